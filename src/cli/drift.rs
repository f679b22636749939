//! `plandeck drift check|list|block-requests|ack`: drift checks of the base
//! branch's roots from the command line. Every untrusted string (roots,
//! addresses, notes, the binary's errors) is escaped before it is printed.

use super::{Failure, ListFormat};
use crate::audit::AuditLog;
use crate::config::Loaded;
use crate::drift::{self, DriftReport, DriftStatus};
use crate::sanitize;
use crate::source::git::GitSource;
use clap::Subcommand;
use std::path::Path;

/// Exit code of `drift check` when the binary failed for a root.
const EXIT_ERROR: i32 = 2;
/// Exit code of `drift check` when a root drifted (and none failed).
const EXIT_DRIFT: i32 = 3;

#[derive(Subcommand, Debug)]
pub enum DriftAction {
    /// Run `plan -refresh-only -detailed-exitcode` for each root of the base
    /// branch (or one) and store a drift report per root.
    ///
    /// Exit status: 0 every root clean; 3 drift found in a root; 2 the binary
    /// failed for a root (or bad input), which wins over 3.
    Check {
        /// Only this root (default: every root on the base branches); DIR@ENV
        /// where environments share a directory.
        #[arg(long, value_name = "ROOT")]
        root: Option<String>,
        /// No progress on the terminal (stderr).
        #[arg(long, short)]
        quiet: bool,
    },
    /// The stored drift reports: root, age of the last check, status, drifted addresses.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Block every open request touching ROOT (audited as drift-block).
    BlockRequests {
        root: String,
        #[arg(long)]
        reason: String,
    },
    /// Acknowledge ROOT's current drift with a note (audited as drift-ack).
    Ack {
        root: String,
        #[arg(long)]
        note: String,
    },
}

pub(super) fn run(loaded: &Loaded, repo: &Path, action: DriftAction) -> Result<i32, Failure> {
    let source = GitSource::open(repo, &loaded.config)?;
    match action {
        DriftAction::Check { root, quiet } => check(loaded, &source, root.as_deref(), quiet),
        DriftAction::List { format } => list(&source, format),
        DriftAction::BlockRequests { root, reason } => block(&source, &root, &reason),
        DriftAction::Ack { root, note } => ack(&source, &root, &note),
    }
}

fn check(
    loaded: &Loaded,
    source: &GitSource,
    only: Option<&str>,
    quiet: bool,
) -> Result<i32, Failure> {
    let roots = drift::roots_to_check(source, &loaded.config, only)?;
    crate::tofu::prune_stale_and_say(source);
    let width = roots.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let progress = super::progress::RootProgress::new("checking", roots.len(), quiet);
    let mut code = 0;
    for root in &roots {
        progress.start(root);
        let report = drift::check_root(source, &loaded.config, root)?;
        progress.suspend(|| {
            say!(
                "{:<width$}  {}",
                sanitize::escape(root).text,
                status_text(&report)
            )
        });
        progress.done();
        code = match (code, report.status) {
            (_, DriftStatus::Error) | (EXIT_ERROR, _) => EXIT_ERROR,
            (_, DriftStatus::Drift) => EXIT_DRIFT,
            (code, DriftStatus::Clean) => code,
        };
    }
    Ok(code)
}

fn status_text(report: &DriftReport) -> String {
    match report.status {
        DriftStatus::Clean => "clean".into(),
        DriftStatus::Drift => format!("DRIFT ({} resources)", report.drifted.len()),
        DriftStatus::Error => format!(
            "error: {}",
            sanitize::escape(report.error.as_deref().unwrap_or("unknown")).text
        ),
    }
}

fn list(source: &GitSource, format: ListFormat) -> Result<i32, Failure> {
    let reports = drift::reports(source)?;
    let now = crate::audit::unix_now();
    match format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = reports
                .iter()
                .map(|r| {
                    let mut value = serde_json::to_value(r).unwrap_or_default();
                    value["age_seconds"] = (now - r.checked_at).max(0).into();
                    value["acknowledged"] = r.current_ack().is_some().into();
                    value
                })
                .collect();
            let json = serde_json::to_string_pretty(&rows).map_err(|e| Failure(e.to_string()))?;
            say!("{}", sanitize::json_safe(json));
        }
        ListFormat::Text => {
            for report in &reports {
                print_report(report, now);
            }
        }
    }
    Ok(0)
}

fn print_report(report: &DriftReport, now: i64) {
    say!(
        "{}  checked {}  {}",
        sanitize::escape(&report.root).text,
        age(now - report.checked_at),
        status_text(report)
    );
    for change in &report.drifted {
        say!(
            "  {} {}",
            sanitize::escape(&change.actions.join(",")).text,
            sanitize::escape(&change.address).text
        );
    }
    if let Some(ack) = report.current_ack() {
        say!(
            "  acknowledged by {} {}: {}",
            sanitize::escape(&ack.who.to_string()).text,
            age(now - ack.at),
            sanitize::escape(&ack.note).text
        );
    }
}

/// `42s ago`, `5m ago`, `3h ago`, `2d ago`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86_400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

fn block(source: &GitSource, root: &str, reason: &str) -> Result<i32, Failure> {
    if reason.trim().is_empty() {
        return Err(Failure("--reason must say why".into()));
    }
    let log = AuditLog::open_default()?;
    let blocked = drift::block_requests(source, &log, root, reason)?;
    if blocked.is_empty() {
        say!("no open request touches {}", sanitize::escape(root).text);
    }
    for outcome in &blocked {
        say!(
            "blocked {} {} (head {}, plan {})",
            sanitize::escape(&outcome.request).text,
            sanitize::escape(root).text,
            outcome.head.get(..12).unwrap_or(&outcome.head),
            if outcome.digest.is_empty() {
                "none"
            } else {
                &outcome.digest
            }
        );
    }
    Ok(0)
}

fn ack(source: &GitSource, root: &str, note: &str) -> Result<i32, Failure> {
    if note.trim().is_empty() {
        return Err(Failure("--note must say something".into()));
    }
    let log = AuditLog::open_default()?;
    let report = drift::acknowledge(source, &log, root, note)?;
    say!(
        "acknowledged {} ({})",
        sanitize::escape(&report.root).text,
        status_text(&report)
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_read_in_the_largest_unit() {
        assert_eq!(age(5), "5s ago");
        assert_eq!(age(300), "5m ago");
        assert_eq!(age(7200), "2h ago");
        assert_eq!(age(-3), "0s ago");
    }
}
