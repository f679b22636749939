//! Decisions stored as git notes under `refs/notes/plandeck` on the head
//! commit they were made on, one JSON line per decision, so `git push` and
//! `git fetch` of that ref share them. Notes are not signed: anyone who can
//! push the ref can write one; the audit log is the local record.

use super::git::GitSource;
use super::{Request, SourceError};
use crate::review::Decision;
use std::collections::BTreeSet;

pub const NOTES_REF: &str = "refs/notes/plandeck";

/// Every readable decision on the request's commits, oldest first.
pub fn decisions(source: &GitSource, request: &Request) -> Result<Vec<Decision>, SourceError> {
    let range = format!("{}..{}", request.base, request.head);
    let commits: BTreeSet<String> = source
        .git(&["rev-list", &range])?
        .lines()
        .map(str::to_string)
        .collect();
    let listing = match source.git(&["notes", "--ref", NOTES_REF, "list"]) {
        Ok(listing) => listing,
        // No notes ref yet.
        Err(_) => return Ok(Vec::new()),
    };
    let mut found = Vec::new();
    for line in listing.lines() {
        let Some((note, commit)) = line.split_once(' ') else {
            continue;
        };
        if !commits.contains(commit) {
            continue;
        }
        let text = source.git(&["cat-file", "blob", note])?;
        found.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<Decision>(l).ok())
                .filter(|d| d.request == request.id),
        );
    }
    found.sort_by_key(|d| d.at);
    Ok(found)
}

/// Appends a decision to the note of its head commit.
pub fn record(source: &GitSource, decision: &Decision) -> Result<(), SourceError> {
    let existing = source
        .git(&["notes", "--ref", NOTES_REF, "show", &decision.head])
        .unwrap_or_default();
    let line = serde_json::to_string(decision).map_err(|e| SourceError::Invalid(e.to_string()))?;
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    let file = tempfile_path();
    std::fs::write(&file, &text)
        .map_err(|e| SourceError::Io(format!("{}: {e}", file.display())))?;
    let path = file.to_string_lossy().into_owned();
    let result = source.git(&[
        "notes",
        "--ref",
        NOTES_REF,
        "add",
        "-f",
        "-F",
        &path,
        &decision.head,
    ]);
    let _ = std::fs::remove_file(&file);
    result.map(drop)
}

fn tempfile_path() -> std::path::PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("plandeck-note-{}-{stamp}.txt", std::process::id()))
}
