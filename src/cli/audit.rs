//! `plandeck audit` lists the audit log; `plandeck audit verify` checks its
//! hash chain (exit 0 when intact, 1 naming the first problem, 2 when the
//! log cannot be read).
//!
//! Every string in the log is untrusted (names, comments, request ids come
//! from git and forges) and passes through the sanitiser before it is shown;
//! JSON goes through `sanitize::json_safe`. This module never writes the log.

use super::{AuditAction as Verb, Failure, ListFormat, write_stdout};
use crate::audit::{AuditLog, AuditRecord, VerifyReport};
use crate::audit_trail::{CrossCheck, cross_check};
use crate::backend::prelude::*;
use crate::sanitize;
use crate::source::git::GitSource;
use serde::Serialize;

/// `sha256:` and 12 hex digits: enough to tell plans apart by eye.
const SHORT_DIGEST: usize = "sha256:".len() + 12;

pub(super) fn run(
    action: Option<Verb>,
    format: ListFormat,
    color: bool,
    repo: Option<&std::path::Path>,
) -> Result<i32, Failure> {
    let log = AuditLog::open_default()?;
    match action {
        None => list(&log, format, color),
        Some(Verb::Verify) => verify(&log, format, repo),
        Some(Verb::AcceptCut { reason }) => accept_cut(&log, &reason, repo),
    }
}

/// The repository whose notes `audit verify` cross-checks: `--repo`, or
/// the current directory when it holds plandeck's notes; `None` otherwise.
fn notes_repo(repo: Option<&std::path::Path>) -> Result<Option<GitSource>, Failure> {
    let dir = repo.unwrap_or(std::path::Path::new("."));
    let has = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has(&["rev-parse", "--git-dir"]) {
        return match repo {
            Some(r) => Err(Failure(format!("{}: not a git repository", r.display()))),
            None => Ok(None),
        };
    }
    let notes = crate::source::notes::NOTES_REF;
    if repo.is_none() && !has(&["rev-parse", "-q", "--verify", notes]) {
        return Ok(None);
    }
    Ok(Some(GitSource::open(
        dir,
        &crate::config::Config::default(),
    )?))
}

fn accept_cut(
    log: &AuditLog,
    reason: &str,
    repo: Option<&std::path::Path>,
) -> Result<i32, Failure> {
    if reason.trim().is_empty() {
        return Err(Failure("accept-cut needs a --reason".into()));
    }
    let dir = repo.unwrap_or(std::path::Path::new("."));
    let who = GitSource::open(dir, &crate::config::Config::default())
        .and_then(|s| s.reviewer())
        .map_err(|e| Failure(format!("who accepts the cut: {e}")))?;
    let record = log.accept_cut(who, reason)?;
    let lost = record
        .entry
        .details
        .as_ref()
        .map(|d| format!("{}..{}", d["lost_from"], d["lost_to"]))
        .unwrap_or_default();
    write_stdout(|out| {
        writeln!(
            out,
            "accepted the loss of entries {lost}: recorded as entry {}",
            record.seq
        )
    })?;
    Ok(0)
}

fn list(log: &AuditLog, format: ListFormat, color: bool) -> Result<i32, Failure> {
    // A damaged line is named on stderr; every readable entry is listed.
    let mut records = Vec::new();
    for line in log.read_lines()? {
        match line {
            Ok(record) => records.push(record),
            Err(e) => crate::sanitize::warn_line(format_args!(
                "plandeck: warning: unreadable entry: {}",
                sanitize::escape(&e.to_string()).text
            )),
        }
    }
    match format {
        ListFormat::Json => {
            let json = serde_json::to_string_pretty(&records)
                .map_err(|e| Failure(format!("cannot encode the audit log: {e}")))?;
            let json = sanitize::json_safe(json);
            write_stdout(|out| writeln!(out, "{json}"))?;
        }
        ListFormat::Text if records.is_empty() => {
            let path = log.path().display().to_string();
            let path = sanitize::escape(&path).text.into_owned();
            write_stdout(|out| writeln!(out, "no audit entries in {path}"))?;
        }
        ListFormat::Text => {
            // Emergency approvals in red: each line is escaped already.
            let lines: Vec<crate::render::Line> = text_lines(&records)
                .into_iter()
                .zip(&records)
                .map(|(text, record)| {
                    let role = if emergency_reason(record).is_some() {
                        crate::render::Role::High
                    } else {
                        crate::render::Role::Plain
                    };
                    let mut line = crate::render::Line::new();
                    line.push(role, text);
                    line
                })
                .collect();
            super::write_styled(color, |out| {
                crate::render::ansi::write_lines(out, &lines, color)
            })?;
        }
    }
    // Readable is not intact: say so, without failing the listing.
    let report = log.verify();
    if !report.is_ok() {
        let report = report.to_string();
        crate::sanitize::warn_line(format_args!(
            "plandeck: warning: {}",
            sanitize::escape(&report).text
        ));
    }
    Ok(0)
}

fn verify(
    log: &AuditLog,
    format: ListFormat,
    repo: Option<&std::path::Path>,
) -> Result<i32, Failure> {
    let report = log.verify();
    if let VerifyReport::Unreadable { .. } = report {
        return Err(Failure(report.to_string()));
    }
    let cross = match notes_repo(repo)? {
        Some(source) => {
            let decisions = crate::source::notes::all_decisions(&source)?;
            let records = log.records().unwrap_or_default();
            let log_id = log.log_id().unwrap_or_default();
            let here = |r: &AuditRecord| {
                r.entry.head.as_deref().is_some_and(|head| {
                    source
                        .git(&["cat-file", "-e", &format!("{head}^{{commit}}")])
                        .is_ok()
                })
            };
            Some(cross_check(&records, &log_id, &decisions, here))
        }
        None => None,
    };
    let ok = report.is_ok() && cross.as_ref().is_none_or(CrossCheck::is_ok);
    let lines = match format {
        ListFormat::Json => vec![verify_json(&report, cross.as_ref())?],
        ListFormat::Text => {
            let mut lines = vec![report.to_string()];
            if let Some(cross) = &cross {
                lines.push(format!(
                    "decisions in the notes: {} in this log, {} in other reviewers' logs, {} inconsistent",
                    cross.matched,
                    cross.elsewhere,
                    cross.problems.len()
                ));
                lines.extend(
                    cross
                        .problems
                        .iter()
                        .map(|p| format!("  inconsistent: {p}")),
                );
                lines.extend(cross.untaken.iter().map(|p| format!("  notice: {p}")));
            }
            lines
                .iter()
                .map(|l| sanitize::escape(l).text.into_owned())
                .collect()
        }
    };
    write_stdout(|out| lines.iter().try_for_each(|l| writeln!(out, "{l}")))?;
    Ok(if ok { 0 } else { 1 })
}

#[derive(Serialize)]
struct VerifyJson {
    ok: bool,
    /// Intact entries (before the problem, when there is one).
    entries: usize,
    last_hash: Option<String>,
    line: Option<usize>,
    seq: Option<u64>,
    problem: Option<String>,
}

fn verify_json(report: &VerifyReport, cross: Option<&CrossCheck>) -> Result<String, Failure> {
    let json = match report {
        VerifyReport::Ok { entries, last_hash } => VerifyJson {
            ok: true,
            entries: *entries,
            last_hash: last_hash.clone(),
            line: None,
            seq: None,
            problem: None,
        },
        VerifyReport::Broken { intact, problem } => VerifyJson {
            ok: false,
            entries: *intact,
            last_hash: None,
            line: Some(problem.line),
            seq: problem.seq,
            problem: Some(problem.to_string()),
        },
        VerifyReport::Unreadable { .. } => return Err(Failure(report.to_string())),
    };
    let mut value = serde_json::to_value(&json)
        .map_err(|e| Failure(format!("cannot encode the report: {e}")))?;
    if let Some(cross) = cross {
        value["ok"] = serde_json::Value::Bool(json.ok && cross.is_ok());
        value["decisions"] = serde_json::json!({
            "matched": cross.matched,
            "elsewhere": cross.elsewhere,
            "inconsistent": cross.problems,
            "not_taken_effect": cross.untaken,
        });
    }
    serde_json::to_string(&value)
        .map(sanitize::json_safe)
        .map_err(|e| Failure(format!("cannot encode the report: {e}")))
}

/// `SEQ  TIME  WHO  ACTION  REQUEST  ROOT  DIGEST  COMMENT`, columns aligned,
/// `-` for what an entry lacks; a trailing `!` flags hidden characters.
fn text_lines(records: &[AuditRecord]) -> Vec<String> {
    let rows: Vec<[String; 8]> = records.iter().map(row).collect();
    let mut widths = [0usize; 7];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (cell, width) in row.iter().zip(widths) {
                line.push_str(&format!("{cell:<width$}  "));
            }
            line.push_str(&row[7]);
            line
        })
        .collect()
}

fn row(record: &AuditRecord) -> [String; 8] {
    let e = &record.entry;
    let optional = |s: &Option<String>| match s.as_deref() {
        None | Some("") => "-".to_string(),
        Some(s) => escaped(s),
    };
    let digest = e.digest.as_deref().map_or_else(|| "-".into(), short_digest);
    let (action, comment) = match emergency_reason(record) {
        Some(reason) => (
            format!("{} EMERGENCY", e.action.word()),
            match e.comment.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => format!("EMERGENCY: {} · {}", escaped(reason), escaped(c)),
                None => format!("EMERGENCY: {}", escaped(reason)),
            },
        ),
        None => (e.action.word().to_string(), optional(&e.comment)),
    };
    [
        format!("{:>4}", record.seq),
        escaped(&record.at_utc),
        escaped(&e.who.to_string()),
        action,
        escaped(&e.request),
        optional(&e.root),
        digest,
        comment,
    ]
}

fn emergency_reason(record: &AuditRecord) -> Option<&str> {
    record.entry.emergency_reason()
}

fn escaped(s: &str) -> String {
    let escaped = sanitize::escape(s);
    let mut text = escaped.text.into_owned();
    if escaped.flagged {
        text.push('!');
    }
    text
}

/// The digest cut to [`SHORT_DIGEST`] characters, after escaping.
fn short_digest(digest: &str) -> String {
    let escaped = sanitize::escape(digest);
    let mut text: String = escaped.text.chars().take(SHORT_DIGEST).collect();
    if escaped.flagged {
        text.push('!');
    }
    text
}
