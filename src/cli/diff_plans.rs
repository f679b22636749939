//! `plandeck diff-plans OLD NEW`: what changed between two plans of a root,
//! as coloured text or JSON.
//!
//! A report, not a gate: it exits 0 whenever both plans load, whatever they
//! say; 2 with one line naming the file on bad input. At most one of the two
//! may be `-` (standard input). JSON holds no attribute values and is made
//! terminal-safe. This module never approves, blocks or applies.

use super::{Failure, ListFormat, context, write_stdout, write_styled};
use crate::config::Loaded;
use crate::delta::{compare, delta_lines};
use crate::plan::load_plan;
use crate::render::ansi;
use crate::sanitize;
use std::path::Path;

pub(super) fn run(
    loaded: &Loaded,
    old: &Path,
    new: &Path,
    color: bool,
    format: ListFormat,
) -> Result<i32, Failure> {
    let stdin = Path::new("-");
    if old == stdin && new == stdin {
        return Err(Failure(
            "-: only one of OLD and NEW can be `-` (standard input)".into(),
        ));
    }
    let old = load_plan(old)?;
    let new = load_plan(new)?;
    let delta = compare(&old, &new);
    match format {
        ListFormat::Json => {
            let json = serde_json::to_string_pretty(&delta)
                .map_err(|e| Failure(format!("cannot encode the delta: {e}")))?;
            let json = sanitize::json_safe(json);
            write_stdout(|out| writeln!(out, "{json}"))?;
        }
        ListFormat::Text => {
            let options = super::render_options(loaded, false);
            let ctx = context(loaded, None, &options);
            let lines = delta_lines(&delta, &ctx);
            write_styled(color, |out| ansi::write_lines(out, &lines, color))?;
        }
    }
    Ok(0)
}
