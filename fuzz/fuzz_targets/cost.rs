//! An Infracost or OpenInfraQuote JSON file through `parse_cost`, then the
//! lookups and money formatting that rendering does with the report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::cost::{CostThresholds, format_delta_range, format_money, parse_cost};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let report = match parse_cost(text) {
        Ok(report) => report,
        Err(e) => {
            // Documented: every message is one line (it is escaped when shown).
            let message = e.to_string();
            assert!(
                !message.contains('\n'),
                "a cost error of two lines: {message:?}"
            );
            return;
        }
    };
    let thresholds = CostThresholds::default();
    let _ = report.monthly_delta_upper();
    for r in &report.resources {
        let _ = report.resource_delta(&r.address);
        if let Some(delta) = r.monthly_delta {
            let _ = thresholds.level(delta);
            let _ = format_money(delta, &report.currency);
        }
        if let Some(range) = r.monthly_delta_range {
            let _ = format_delta_range(range, &report.currency);
        }
    }
});
