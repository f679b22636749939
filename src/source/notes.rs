//! Decisions stored as git notes under `refs/notes/plandeck`, one JSON line
//! per decision, so `git push` and `git fetch` of that ref share them.
//!
//! Each decision is written twice: on the head commit it was made on, and on
//! the request's *key*, a blob holding `plandeck request <id>` whose object
//! name anyone can recompute. Reading takes the union of both, so rewriting
//! the branch (`commit --amend`, rebase, force-push) cannot drop a decision:
//! a block stays in force until its author lifts it or a plan with another
//! digest supersedes it, and approvals of a rewritten head show as stale.
//! The key blob itself need not travel (or survive `git gc`): its name is
//! recomputed from the request id, and the note is what the ref carries.
//!
//! Notes are not signed: anyone who can push the ref can write one; the
//! audit log is the local record.

use super::git::GitSource;
use super::{Request, SourceError};
use crate::review::Decision;
use std::collections::BTreeSet;

pub const NOTES_REF: &str = "refs/notes/plandeck";

/// Every readable decision on the request, oldest first: those on its
/// commits (base..head) and those on its key, each once.
pub fn decisions(source: &GitSource, request: &Request) -> Result<Vec<Decision>, SourceError> {
    let range = format!("{}..{}", request.base, request.head);
    let commits: BTreeSet<String> = source
        .git(&["rev-list", &range])?
        .lines()
        .map(str::to_string)
        .collect();
    let key = request_key(source, &request.id, false)?;
    let listing = match source.git(&["notes", "--ref", NOTES_REF, "list"]) {
        Ok(listing) => listing,
        // No notes ref yet.
        Err(_) => return Ok(Vec::new()),
    };
    let mut notes: Vec<(bool, &str)> = listing
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, object)| *object == key || commits.contains(*object))
        .map(|(note, object)| (*object != key, note))
        .collect();
    // The key's note first: it holds every decision in the order made, which
    // the sort by time keeps for decisions made in the same second.
    notes.sort_by_key(|(not_key, _)| *not_key);
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for (_, note) in notes {
        let text = source.git(&["cat-file", "blob", note])?;
        for line in text.lines() {
            let Ok(decision) = serde_json::from_str::<Decision>(line) else {
                continue;
            };
            // The same decision is stored on its commit and on the key.
            let canonical = serde_json::to_string(&decision).unwrap_or_default();
            if decision.request == request.id && seen.insert(canonical) {
                found.push(decision);
            }
        }
    }
    found.sort_by_key(|d| d.at);
    Ok(found)
}

/// Appends a decision to the note of its head commit and of its request's key.
pub fn record(source: &GitSource, decision: &Decision) -> Result<(), SourceError> {
    let line = serde_json::to_string(decision).map_err(|e| SourceError::Invalid(e.to_string()))?;
    // The key first: a decision on the key alone is still read.
    let key = request_key(source, &decision.request, true)?;
    append_line(source, &key, &line)?;
    append_line(source, &decision.head, &line)
}

/// The object name of the request's key blob; `write` stores the blob so a
/// note can be added to it.
fn request_key(source: &GitSource, request: &str, write: bool) -> Result<String, SourceError> {
    let file = tempfile_path("key");
    std::fs::write(&file, format!("plandeck request {request}\n"))
        .map_err(|e| SourceError::Io(format!("{}: {e}", file.display())))?;
    let path = file.to_string_lossy().into_owned();
    let args: &[&str] = if write {
        &["hash-object", "-w", "--", &path]
    } else {
        &["hash-object", "--", &path]
    };
    let result = source.git(args);
    let _ = std::fs::remove_file(&file);
    Ok(result?.trim().to_string())
}

fn append_line(source: &GitSource, object: &str, line: &str) -> Result<(), SourceError> {
    let existing = source
        .git(&["notes", "--ref", NOTES_REF, "show", object])
        .unwrap_or_default();
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    let file = tempfile_path("note");
    std::fs::write(&file, &text)
        .map_err(|e| SourceError::Io(format!("{}: {e}", file.display())))?;
    let path = file.to_string_lossy().into_owned();
    let result = source.git(&[
        "notes", "--ref", NOTES_REF, "add", "-f", "-F", &path, object,
    ]);
    let _ = std::fs::remove_file(&file);
    result.map(drop)
}

fn tempfile_path(what: &str) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "plandeck-{what}-{}-{stamp}-{n}.txt",
        std::process::id()
    ))
}
