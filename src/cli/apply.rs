//! `plandeck apply REQUEST [--root ROOT]`: the local executor from the
//! command line. Exit 0 when everything applied, 1 when the gate refused,
//! drift blocked or an apply failed, 2 on bad input.

use super::Failure;
use crate::config::Loaded;
use crate::executor::{Outcome, apply_request, places};
use crate::sanitize;
use std::io::Write;
use std::path::Path;

pub(super) fn run(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: Option<&str>,
) -> Result<i32, Failure> {
    let (source, request) = super::review::open(loaded, repo, request, root)?;
    let data = crate::tui::progress::data_dir()
        .ok_or_else(|| Failure("no data directory on this platform".into()))?;
    let places = places(&source, &data)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = apply_request(&source, &loaded.config, &request, root, &places, &mut out)?;
    let id = sanitize::escape(&request.id).text.into_owned();
    match outcome {
        Outcome::Applied { merged } => {
            // A closed stdout must not turn a finished apply into a panic.
            let _ = match merged {
                Some(commit) => writeln!(
                    out,
                    "{id} applied and merged ({})",
                    &commit[..commit.len().min(12)]
                ),
                None => writeln!(out, "{id} applied"),
            };
            Ok(0)
        }
        Outcome::Refused { root, reasons } => {
            eprintln!(
                "plandeck: refused: {root}: {}",
                sanitize::escape(&reasons.join("; ")).text
            );
            Ok(1)
        }
        Outcome::Drift {
            root,
            approved,
            fresh,
        } => {
            eprintln!(
                "plandeck: refused: {root}: drift: the fresh plan {fresh} differs from the approved {approved}; blocked"
            );
            Ok(1)
        }
        Outcome::Failed { root, reason } => {
            eprintln!(
                "plandeck: {root}: apply failed: {}; the request stays open",
                sanitize::escape(&reason).text
            );
            Ok(1)
        }
    }
}
