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
use super::{BackendError, Request};
use crate::backend::prelude::*;
use crate::review::Decision;
use std::collections::BTreeSet;

pub const NOTES_REF: &str = "refs/notes/plandeck";

/// Every readable decision on the request, oldest first: those on its
/// commits (base..head) and those on its key, each once.
pub fn decisions(source: &GitSource, request: &Request) -> Result<Vec<Decision>, BackendError> {
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

/// Every readable decision in the notes ref, of every request, each once
/// (a decision is stored on its commit and on its request's key).
pub fn all_decisions(source: &GitSource) -> Result<Vec<Decision>, BackendError> {
    let Ok(listing) = source.git(&["notes", "--ref", NOTES_REF, "list"]) else {
        return Ok(Vec::new());
    };
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for note in listing.lines().filter_map(|l| l.split_whitespace().next()) {
        let text = source.git(&["cat-file", "blob", note])?;
        for decision in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Decision>(l).ok())
        {
            if seen.insert(serde_json::to_string(&decision).unwrap_or_default()) {
                found.push(decision);
            }
        }
    }
    found.sort_by_key(|d| d.at);
    Ok(found)
}

/// Appends a decision to the note of its head commit and of its request's
/// key, both in one update of the notes ref (see [`update_notes`]).
pub fn record(source: &GitSource, decision: &Decision) -> Result<(), BackendError> {
    let line = serde_json::to_string(decision).map_err(|e| BackendError::Invalid(e.to_string()))?;
    let key = request_key(source, &decision.request, true)?;
    let ident = NotesIdent::of(&decision.who);
    update_notes(source, |scratch| {
        // The key first: a decision on the key alone is still read.
        append_line(source, &ident, scratch, &key, &line)?;
        crate::failpoint::reach("note-key-written");
        append_line(source, &ident, scratch, &decision.head, &line)
    })?;
    crate::failpoint::reach("note-written");
    Ok(())
}

/// What [`sync`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Synced {
    /// The remote had decisions, merged into ours.
    pub fetched: bool,
    /// How many pushes a concurrent push made us redo.
    pub retries: u32,
}

/// How often [`sync`] redoes fetch, merge and push when another clone
/// pushed in between.
const SYNC_ATTEMPTS: u32 = 20;

/// Shares decisions with `remote`: fetches its notes ref, merges it into
/// ours (the union of the decision lines of every note, through
/// [`update_notes`]), and pushes the result, which then descends from the
/// remote's: a fast-forward. A push that another clone beat is redone from
/// the fetch. Nothing is forced, so no clone's decisions are dropped.
pub fn sync(source: &GitSource, remote: &str) -> Result<Synced, BackendError> {
    let tracking = format!("refs/notes/plandeck-remote/{remote}");
    let mut retries = 0;
    loop {
        let _ = source.git(&["update-ref", "-d", &tracking]);
        let fetched = source
            .git(&[
                "fetch",
                "--quiet",
                "--no-tags",
                remote,
                &format!("+{NOTES_REF}:{tracking}"),
            ])
            .is_ok()
            && current(source, &tracking)?.is_some();
        if fetched {
            let ident = NotesIdent::of(&source.reviewer()?);
            update_notes(source, |scratch| {
                merge_into(source, &ident, scratch, &tracking)
            })?;
        }
        if current(source, NOTES_REF)?.is_none() {
            return Ok(Synced { fetched, retries });
        }
        match source.git(&[
            "push",
            "--quiet",
            remote,
            &format!("{NOTES_REF}:{NOTES_REF}"),
        ]) {
            Ok(_) => {
                let _ = source.git(&["update-ref", "-d", &tracking]);
                return Ok(Synced { fetched, retries });
            }
            Err(e) if retries + 1 < SYNC_ATTEMPTS && is_rejected(&e) => {
                retries += 1;
                std::thread::sleep(backoff(retries * 4));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Merges the notes at `theirs` into the scratch ref: every note's lines,
/// each once (`cat_sort_uniq`; readers order decisions by time).
fn merge_into(
    source: &GitSource,
    ident: &NotesIdent,
    scratch: &str,
    theirs: &str,
) -> Result<(), BackendError> {
    if current(source, scratch)?.is_none() {
        return source.git(&["update-ref", scratch, theirs]).map(drop);
    }
    source
        .git(&[
            "-c",
            &ident.name,
            "-c",
            &ident.email,
            "notes",
            "--ref",
            scratch,
            "merge",
            "--quiet",
            "--strategy=cat_sort_uniq",
            theirs,
        ])
        .map(drop)
}

/// The remote refused the push because its ref moved (another clone pushed).
fn is_rejected(e: &BackendError) -> bool {
    matches!(e, BackendError::Process { stderr_tail: stderr, .. }
        if ["rejected", "non-fast-forward", "fetch first", "cannot lock ref"]
            .iter()
            .any(|w| stderr.contains(w)))
}

/// How often an update of the notes ref is tried again after another
/// writer moved it; each try re-reads the ref and redoes the edit on top.
const NOTES_ATTEMPTS: u32 = 200;

/// Updates the notes ref by compare-and-swap: `edit` writes notes on a
/// scratch ref that starts at the ref's current commit, and the ref moves
/// to the result only if nobody moved it meanwhile (`git update-ref REF
/// NEW OLD`). Otherwise the edit is redone on the new commit, so every
/// concurrent writer's decisions survive: appends are re-merged, never lost.
pub fn update_notes(
    source: &GitSource,
    edit: impl Fn(&str) -> Result<(), BackendError>,
) -> Result<(), BackendError> {
    prune_scratch_refs(source);
    let scratch = scratch_ref();
    let result = (|| {
        for attempt in 0..NOTES_ATTEMPTS {
            let old = current(source, NOTES_REF)?;
            match &old {
                Some(old) => source.git(&["update-ref", &scratch, old])?,
                None => source
                    .git(&["update-ref", "-d", &scratch])
                    .unwrap_or_default(),
            };
            edit(&scratch)?;
            let new = current(source, &scratch)?
                .ok_or_else(|| BackendError::Invalid("the notes edit wrote nothing".into()))?;
            let expected = old.unwrap_or_else(|| "0".repeat(new.len()));
            match source.git(&["update-ref", "-m", "plandeck", NOTES_REF, &new, &expected]) {
                Ok(_) => return Ok(()),
                Err(e) if attempt + 1 < NOTES_ATTEMPTS && is_contention(&e) => {
                    std::thread::sleep(backoff(attempt));
                }
                Err(e) => return Err(e),
            }
        }
        Err(BackendError::Invalid(format!(
            "{NOTES_REF} kept moving: gave up after {NOTES_ATTEMPTS} tries"
        )))
    })();
    let _ = source.git(&["update-ref", "-d", &scratch]);
    result
}

/// The commit a ref points at, `None` when it does not exist.
fn current(source: &GitSource, reference: &str) -> Result<Option<String>, BackendError> {
    match source.git(&[
        "rev-parse",
        "-q",
        "--verify",
        &format!("{reference}^{{commit}}"),
    ]) {
        Ok(oid) => Ok(Some(oid.trim().to_string())),
        Err(BackendError::Process { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Another writer got there first: the ref moved, or its lock file exists.
fn is_contention(e: &BackendError) -> bool {
    let BackendError::Process {
        stderr_tail: stderr,
        ..
    } = e
    else {
        return false;
    };
    [
        "but expected",
        "cannot lock ref",
        "Unable to create",
        "is at",
    ]
    .iter()
    .any(|w| stderr.contains(w))
}

/// A short, growing, jittered wait (bounded at 50 ms).
fn backoff(attempt: u32) -> std::time::Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let cap = 2 + u64::from(attempt.min(24)) * 2;
    std::time::Duration::from_millis(1 + u64::from(nanos) % cap)
}

/// Scratch refs live under the notes namespace (`git notes --ref` takes
/// nothing else), one per process and update.
const SCRATCH_PREFIX: &str = "refs/notes/plandeck-scratch/";

fn scratch_ref() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{SCRATCH_PREFIX}{}-{n}", std::process::id())
}

/// Scratch refs left by a process that died mid-update (kill -9): they
/// hold nothing the notes ref needs, and must not be pushed with `notes/*`.
fn prune_scratch_refs(source: &GitSource) {
    let Ok(listing) = source.git(&["for-each-ref", "--format=%(refname)", SCRATCH_PREFIX]) else {
        return;
    };
    for name in listing.lines() {
        let pid = name
            .strip_prefix(SCRATCH_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok());
        let alive = pid.is_some_and(|pid| {
            pid == std::process::id() as i32
                || rustix::process::Pid::from_raw(pid)
                    .is_some_and(|p| rustix::process::test_kill_process(p).is_ok())
        });
        if !alive {
            let _ = source.git(&["update-ref", "-d", name]);
        }
    }
}

/// The object name of the request's key blob; `write` stores the blob so a
/// note can be added to it.
fn request_key(source: &GitSource, request: &str, write: bool) -> Result<String, BackendError> {
    let file = tempfile_path("key");
    std::fs::write(&file, format!("plandeck request {request}\n"))
        .map_err(|e| BackendError::Io(format!("{}: {e}", file.display())))?;
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

/// The identity the notes ref's commits are made as: the decision's own
/// person (a clone need not have `user.name` set for its author line).
struct NotesIdent {
    name: String,
    email: String,
}

impl NotesIdent {
    fn of(who: &crate::source::Identity) -> Self {
        Self {
            name: format!("user.name={}", who.name),
            email: format!("user.email={}", who.email),
        }
    }
}

/// Appends `line` to the note of `object` in the notes ref `notes`.
fn append_line(
    source: &GitSource,
    ident: &NotesIdent,
    notes: &str,
    object: &str,
    line: &str,
) -> Result<(), BackendError> {
    let existing = source
        .git(&["notes", "--ref", notes, "show", object])
        .unwrap_or_default();
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    let file = tempfile_path("note");
    std::fs::write(&file, &text)
        .map_err(|e| BackendError::Io(format!("{}: {e}", file.display())))?;
    let path = file.to_string_lossy().into_owned();
    let result = source.git(&[
        "-c",
        &ident.name,
        "-c",
        &ident.email,
        "notes",
        "--ref",
        notes,
        "add",
        "-f",
        "-F",
        &path,
        object,
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
