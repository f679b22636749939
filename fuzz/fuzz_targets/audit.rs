//! Audit log bytes (optionally followed by `0xff` and a head file's bytes)
//! verified as `plandeck audit verify` does; the report is formatted as it
//! is printed. Nothing may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::audit::{VerifyReport, format_utc, verify_bytes};
use plandeck_fuzz::split_ff;

fuzz_target!(|data: &[u8]| {
    let (log, head) = split_ff(data);
    let report = verify_bytes(log, head);
    let _ = report.to_string();
    if let VerifyReport::Broken { intact, problem } = &report {
        assert!(problem.line >= 1, "lines are 1-based: {report:?}");
        assert!(*intact < problem.line, "{report:?}");
    }
    if let Some(bytes) = data.get(..8) {
        let mut at = [0u8; 8];
        at.copy_from_slice(bytes);
        let _ = format_utc(i64::from_le_bytes(at));
    }
});
