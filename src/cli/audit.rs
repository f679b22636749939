//! `plandeck audit` lists the audit log; `plandeck audit verify` checks its
//! hash chain (exit 0 when intact, 1 naming the first problem, 2 when the
//! log cannot be read).
//!
//! Every string in the log is untrusted (names, comments, request ids come
//! from git and forges) and passes through the sanitiser before it is shown;
//! JSON goes through `sanitize::json_safe`. This module never writes the log.

use super::{AuditAction as Verb, Failure, ListFormat, write_stdout};
use crate::audit::{AuditLog, AuditRecord, VerifyReport};
use crate::sanitize;
use serde::Serialize;

/// `sha256:` and 12 hex digits: enough to tell plans apart by eye.
const SHORT_DIGEST: usize = "sha256:".len() + 12;

pub(super) fn run(action: Option<Verb>, format: ListFormat) -> Result<i32, Failure> {
    let log = AuditLog::open_default()?;
    match action {
        None => list(&log, format),
        Some(Verb::Verify) => verify(&log, format),
    }
}

fn list(log: &AuditLog, format: ListFormat) -> Result<i32, Failure> {
    let records = log.records()?;
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
            let lines = text_lines(&records);
            write_stdout(|out| lines.iter().try_for_each(|l| writeln!(out, "{l}")))?;
        }
    }
    // Readable is not intact: say so, without failing the listing.
    let report = log.verify();
    if !report.is_ok() {
        let report = report.to_string();
        eprintln!("plandeck: warning: {}", sanitize::escape(&report).text);
    }
    Ok(0)
}

fn verify(log: &AuditLog, format: ListFormat) -> Result<i32, Failure> {
    let report = log.verify();
    if let VerifyReport::Unreadable { .. } = report {
        return Err(Failure(report.to_string()));
    }
    let line = match format {
        ListFormat::Json => verify_json(&report)?,
        ListFormat::Text => sanitize::escape(&report.to_string()).text.into_owned(),
    };
    write_stdout(|out| writeln!(out, "{line}"))?;
    Ok(if report.is_ok() { 0 } else { 1 })
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

fn verify_json(report: &VerifyReport) -> Result<String, Failure> {
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
    serde_json::to_string(&json)
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
    [
        format!("{:>4}", record.seq),
        escaped(&record.at_utc),
        escaped(&e.who.to_string()),
        e.action.word().to_string(),
        escaped(&e.request),
        optional(&e.root),
        digest,
        optional(&e.comment),
    ]
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
