//! The audit log: every decision (approve, block, unblock), apply start and
//! result, merge, drift block and drift acknowledgement, appended as one
//! JSON line to a file whose entries chain by hash (each holds the hash of
//! the one before), so an edited, removed, reordered or cut-short entry is
//! found by [`AuditLog::verify`]. The exact hash is defined in `record`.
//!
//! Appends take a lock file beside the log, refuse to extend a log whose last
//! entry is damaged, write the line with one `write_all` and `sync_all` it
//! before returning: an action is reported done only once its entry is on
//! disk. After each append the log's head file (`audit.log.head`: last seq
//! and hash) is replaced atomically, so that verify also finds entries
//! removed from the end. This module never rewrites, repairs or deletes entries, never
//! renders (strings in records are untrusted: escape them to show them) and
//! decides nothing; callers decide, then record.

mod decision;
mod head;
mod lock;
mod record;
mod tail;
mod time;
mod verify;

pub use time::{format_utc, unix_now};
pub use verify::{Problem, ProblemKind, VerifyReport};

use crate::domain::Identity;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tail::{Tail, last_line};

/// The longest line an append writes or reads back as the tail: a
/// pathological `details` must not make the log unreadable.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// How long an append waits for another one by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(5);

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    Approve,
    Block,
    Unblock,
    ApplyStarted,
    ApplySucceeded,
    ApplyFailed,
    /// The after-apply check of an applied root (next plan, verify command).
    ApplyChecked,
    Merge,
    DriftBlock,
    DriftAck,
    /// An operator accepted that entries at the end of the log were lost
    /// (`plandeck audit accept-cut`), so appends may go on.
    AcceptCut,
}

impl AuditAction {
    /// The stored kebab-case word.
    pub fn word(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Block => "block",
            Self::Unblock => "unblock",
            Self::ApplyStarted => "apply-started",
            Self::ApplySucceeded => "apply-succeeded",
            Self::ApplyFailed => "apply-failed",
            Self::ApplyChecked => "apply-checked",
            Self::Merge => "merge",
            Self::DriftBlock => "drift-block",
            Self::DriftAck => "drift-ack",
            Self::AcceptCut => "accept-cut",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// One event, as the caller describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub who: Identity,
    /// Unix seconds.
    pub at: i64,
    pub action: AuditAction,
    pub request: String,
    pub root: Option<String>,
    /// The head commit decided on.
    pub head: Option<String>,
    /// The plan digest decided on.
    pub digest: Option<String>,
    pub comment: Option<String>,
    /// Anything else worth keeping (exit code, drifted addresses, …).
    /// `Some(Value::Null)` is stored as `None`.
    pub details: Option<serde_json::Value>,
}

impl AuditEntry {
    /// An entry made now, with no root, head, digest, comment or details.
    pub fn new(who: Identity, action: AuditAction, request: impl Into<String>) -> Self {
        Self {
            who,
            at: unix_now(),
            action,
            request: request.into(),
            root: None,
            head: None,
            digest: None,
            comment: None,
            details: None,
        }
    }
}

/// An entry as stored: numbered, chained and hashed. Serialises as its
/// stored line (see `record` for the field order and the hash).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "record::WireOwned")]
pub struct AuditRecord {
    /// 1-based position in the log.
    pub seq: u64,
    /// The previous record's `hash`; `""` for the first.
    pub prev: String,
    /// `at` as RFC 3339 UTC, for people reading the file.
    pub at_utc: String,
    pub entry: AuditEntry,
    /// `sha256:<hex>` over everything above.
    pub hash: String,
}

/// Why the log could not be appended to or read. One line each.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}: {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: &'static str,
        source: io::Error,
    },
    #[error(
        "the audit log is locked by another plandeck (waited {waited:.0}s); \
         if none is running, remove {}",
        lock.display()
    )]
    Locked { lock: PathBuf, waited: f64 },
    #[error(
        "{}: refusing to append to a damaged audit log: {problem}; \
         `plandeck audit verify` names the problem",
        path.display()
    )]
    Damaged { path: PathBuf, problem: String },
    #[error(
        "{}: refusing to append: the log ends at entry {last} but its head file says {head}, \
         so entries were removed; `plandeck audit verify` shows the gap and \
         `plandeck audit accept-cut --reason TEXT` records that an operator accepted it",
        path.display()
    )]
    Cut { path: PathBuf, last: u64, head: u64 },
    #[error("{}: line {line}: {cause}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        cause: String,
    },
    #[error("cannot record the audit entry: {0}")]
    Unrecordable(String),
    #[error("no data directory for the audit log on this platform (set XDG_DATA_HOME or HOME)")]
    NoDataDir,
    /// An I/O failure with no file to name.
    #[error("{0}")]
    Os(#[from] io::Error),
}

impl AuditError {
    fn io(path: &Path, what: &'static str, source: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            what,
            source,
        }
    }
}

/// The log file at one path. Cheap; holds no open file.
#[derive(Clone, Debug)]
pub struct AuditLog {
    path: PathBuf,
    lock_wait: Duration,
}

impl AuditLog {
    /// The log at `path`. Nothing is created until the first append.
    pub fn open(path: PathBuf) -> Self {
        Self {
            path,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }

    /// `audit.log` in the platform data dir (`$XDG_DATA_HOME/plandeck` on Linux).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "plandeck").map(|d| d.data_dir().join("audit.log"))
    }

    /// The log at [`Self::default_path`].
    pub fn open_default() -> Result<Self, AuditError> {
        Self::default_path()
            .map(Self::open)
            .ok_or(AuditError::NoDataDir)
    }

    /// How long an append waits for another process's append.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file: the log's name plus `.lock`, in the same directory.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// The head file: the log's name plus `.head`, in the same directory.
    pub fn head_path(&self) -> PathBuf {
        head::path_of(&self.path)
    }

    /// Appends `entry` as the next record and returns it once it is on disk.
    /// Fails, writing nothing, when the last record is damaged or the log
    /// was cut (run [`Self::verify`]); only the log's end is checked here.
    pub fn append(&self, entry: AuditEntry) -> Result<AuditRecord, AuditError> {
        self.append_then(entry, |_, _| Ok::<(), AuditError>(()))
    }

    /// Appends `entry` like [`Self::append`], then runs `effect` with the
    /// durable record while still holding the lock. The entry is written
    /// *before* the effect (storing a decision) so that no decision ever
    /// exists without its entry: a crash in between leaves an entry for a
    /// decision that never took effect, which `audit verify` names, never a
    /// counted decision with no entry. The record is returned even when
    /// the effect fails, beside its error.
    pub fn append_then<E: From<AuditError>>(
        &self,
        entry: AuditEntry,
        effect: impl FnOnce(&AuditRecord, &str) -> Result<(), E>,
    ) -> Result<AuditRecord, E> {
        self.append_checked(entry, true, effect)
    }

    /// Records that an operator accepted the loss of the entries after the
    /// log's last one (the head file names a later one): the only append a
    /// cut log takes. Refused when the log is not cut.
    pub fn accept_cut(&self, who: Identity, reason: &str) -> Result<AuditRecord, AuditError> {
        let head = head::read(&self.head_path()).map_err(|problem| AuditError::Damaged {
            path: self.head_path(),
            problem,
        })?;
        let last = self.records()?.last().map_or(0, |r| r.seq);
        let Some(head) = head.filter(|h| h.seq > last) else {
            return Err(AuditError::Unrecordable(format!(
                "{} is not cut: nothing to accept",
                self.path.display()
            )));
        };
        let mut entry = AuditEntry::new(who, AuditAction::AcceptCut, "");
        entry.comment = Some(reason.to_string());
        entry.details = Some(serde_json::json!({
            "lost_from": last + 1,
            "lost_to": head.seq,
            "head_hash": head.hash,
        }));
        self.append_checked(entry, false, |_, _| Ok::<(), AuditError>(()))
    }

    /// The log's identity: the hash of its first entry (`""` while empty).
    /// Decisions name it in their audit proof, so `audit verify` can tell
    /// a decision this log must hold from one recorded in another's log.
    pub fn log_id(&self) -> Result<String, AuditError> {
        let bytes = self.read_all()?.unwrap_or_default();
        let (lines, _) = verify::split_lines(&bytes);
        Ok(lines
            .first()
            .and_then(|l| record::parse_line(l).ok())
            .map(|r| r.hash)
            .unwrap_or_default())
    }

    fn append_checked<E: From<AuditError>>(
        &self,
        mut entry: AuditEntry,
        refuse_cut: bool,
        effect: impl FnOnce(&AuditRecord, &str) -> Result<(), E>,
    ) -> Result<AuditRecord, E> {
        if entry
            .details
            .as_ref()
            .is_some_and(serde_json::Value::is_null)
        {
            entry.details = None;
        }
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            fs::create_dir_all(dir)
                .map_err(|e| AuditError::io(dir, "cannot create the directory", e))?;
        }
        let _lock = lock::acquire(&self.lock_path(), self.lock_wait)?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.io("cannot open", e))?;
        let (seq, prev) = self.next_link(&mut file)?;
        if refuse_cut {
            self.refuse_if_cut(seq - 1, &prev)?;
        }
        let record = seal(seq, prev, entry);
        let line = checked_line(&record)?;
        let log_id = if seq == 1 {
            record.hash.clone()
        } else {
            self.log_id()?
        };
        self.write_durably(&mut file, &line)?;
        crate::failpoint::reach("audit-written");
        // Best effort: the entry is durable already, and a head one entry
        // behind the log is what verify expects after a crash here.
        let _ = head::write(
            &self.head_path(),
            &head::Head {
                seq: record.seq,
                hash: record.hash.clone(),
            },
        );
        // A new log's entry and the renamed head need their directory synced.
        sync_dir(dir);
        crate::failpoint::reach("audit-head-written");
        effect(&record, &log_id)?;
        Ok(record)
    }

    /// A log behind its head file lost entries at its end: appending would
    /// hide the gap (the new head would match again), so it is refused.
    fn refuse_if_cut(&self, last: u64, last_hash: &str) -> Result<(), AuditError> {
        let head = head::read(&self.head_path()).map_err(|problem| AuditError::Damaged {
            path: self.head_path(),
            problem,
        })?;
        match head {
            Some(head) if head.seq > last => Err(AuditError::Cut {
                path: self.path.clone(),
                last,
                head: head.seq,
            }),
            Some(head) if head.seq == last && head.hash != last_hash => Err(AuditError::Damaged {
                path: self.path.clone(),
                problem: format!(
                    "the entry seq {last} is not the one the head file names: \
                         the log was rewritten"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Every record, oldest first; empty when the file does not exist. Fails
    /// on the first line that is not a whole record, but does not check the
    /// chain: that is [`Self::verify`].
    pub fn records(&self) -> Result<Vec<AuditRecord>, AuditError> {
        let bytes = self.read_all()?.unwrap_or_default();
        let (lines, unterminated) = verify::split_lines(&bytes);
        let count = lines.len();
        let parse = |(i, line): (usize, &[u8])| {
            if unterminated && i + 1 == count {
                return Err(self.invalid(i + 1, "the line is cut short (no newline)".into()));
            }
            record::parse_line(line).map_err(|cause| self.invalid(i + 1, cause))
        };
        lines.into_iter().enumerate().map(parse).collect()
    }

    /// Every line, oldest first, each a record or the one-line reason it is
    /// not one: a damaged line does not hide the others.
    pub fn read_lines(&self) -> Result<Vec<Result<AuditRecord, AuditError>>, AuditError> {
        let bytes = self.read_all()?.unwrap_or_default();
        let (lines, unterminated) = verify::split_lines(&bytes);
        let count = lines.len();
        Ok(lines
            .into_iter()
            .enumerate()
            .map(|(i, line)| {
                if unterminated && i + 1 == count {
                    return Err(self.invalid(i + 1, "the line is cut short (no newline)".into()));
                }
                record::parse_line(line).map_err(|cause| self.invalid(i + 1, cause))
            })
            .collect())
    }

    /// The records of one request, oldest first.
    pub fn records_for(&self, request: &str) -> Result<Vec<AuditRecord>, AuditError> {
        let mut records = self.records()?;
        records.retain(|r| r.entry.request == request);
        Ok(records)
    }

    /// Checks every record and the chain; a missing file is an empty, OK log.
    /// The last entries are checked against the head file, when there is one.
    pub fn verify(&self) -> VerifyReport {
        let head = match head::read(&self.head_path()) {
            Ok(head) => head,
            Err(error) => {
                return VerifyReport::Unreadable {
                    path: self.head_path(),
                    error,
                };
            }
        };
        match self.read_all() {
            Ok(Some(bytes)) => verify::check_with_head(&bytes, head.as_ref()),
            Ok(None) => verify::check_with_head(&[], head.as_ref()),
            Err(e) => VerifyReport::Unreadable {
                path: self.path.clone(),
                error: e.to_string(),
            },
        }
    }

    fn read_all(&self) -> Result<Option<Vec<u8>>, AuditError> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io("cannot read", e)),
        }
    }

    /// The next `seq` and `prev`, from the last record, which must be whole.
    fn next_link(&self, file: &mut File) -> Result<(u64, String), AuditError> {
        let damaged = |problem: String| AuditError::Damaged {
            path: self.path.clone(),
            problem,
        };
        let line = match last_line(file).map_err(|e| self.io("cannot read", e))? {
            Tail::Empty => return Ok((1, String::new())),
            Tail::Unterminated => {
                return Err(damaged("the last line is cut short (no newline)".into()));
            }
            Tail::TooLong => return Err(damaged("the last line is too long".into())),
            Tail::Line(line) => line,
        };
        let last = record::parse_line(&line).map_err(|e| damaged(format!("last line: {e}")))?;
        if !last.is_intact() || !record::is_canonical(&last, &line) {
            return Err(damaged(format!(
                "the last entry (seq {}) was edited: its hash does not match its content",
                last.seq
            )));
        }
        let seq = last
            .seq
            .checked_add(1)
            .ok_or_else(|| damaged("seq overflow".into()))?;
        Ok((seq, last.hash))
    }

    /// One `write_all`, then `sync_all`. A failed write is cut back off so
    /// no partial line is left behind (when the file system lets us).
    fn write_durably(&self, file: &mut File, line: &[u8]) -> Result<(), AuditError> {
        let len = file
            .metadata()
            .map_err(|e| self.io("cannot read", e))?
            .len();
        if let Err(e) = file.write_all(line) {
            let _ = file.set_len(len);
            return Err(self.io("cannot write", e));
        }
        file.sync_all().map_err(|e| self.io("cannot sync", e))
    }

    fn io(&self, what: &'static str, e: io::Error) -> AuditError {
        AuditError::io(&self.path, what, e)
    }

    fn invalid(&self, line: usize, cause: String) -> AuditError {
        AuditError::Invalid {
            path: self.path.clone(),
            line,
            cause,
        }
    }
}

/// Checks a log's bytes and, when given, its head file's bytes, as
/// [`AuditLog::verify`] does after reading both files: the entry point for
/// checking a log that is not on disk, and for fuzzing. Pure; a head that is
/// not a head file makes the report `Unreadable` (with the path `head`).
pub fn verify_bytes(log: &[u8], head: Option<&[u8]>) -> VerifyReport {
    let head = match head.map(head::parse).transpose() {
        Ok(head) => head,
        Err(error) => {
            return VerifyReport::Unreadable {
                path: PathBuf::from("head"),
                error,
            };
        }
    };
    verify::check_with_head(log, head.as_ref())
}

/// The hash the record of `entry` at `seq` after `prev` has: what a
/// decision's audit proof holds.
pub fn record_hash(seq: u64, prev: &str, entry: AuditEntry) -> String {
    seal(seq, prev.to_string(), entry).hash
}

/// Numbers, chains and hashes an entry.
fn seal(seq: u64, prev: String, entry: AuditEntry) -> AuditRecord {
    let mut record = AuditRecord {
        seq,
        prev,
        at_utc: format_utc(entry.at),
        entry,
        hash: String::new(),
    };
    record.hash = record.content_hash();
    record
}

/// The record's line, after proving it reads back to the same record: a
/// line the log could not read later (too long, too deeply nested
/// `details`) is refused rather than written.
fn checked_line(record: &AuditRecord) -> Result<Vec<u8>, AuditError> {
    let line = record
        .to_line()
        .map_err(|e| AuditError::Unrecordable(e.to_string()))?;
    if line.len() > MAX_LINE_BYTES {
        let size = line.len();
        return Err(AuditError::Unrecordable(format!(
            "the entry is {size} bytes; at most {MAX_LINE_BYTES}"
        )));
    }
    let body = line.strip_suffix(b"\n").unwrap_or(&line);
    match record::parse_line(body) {
        Ok(back) if back == *record && back.is_intact() => Ok(line),
        Ok(_) => Err(AuditError::Unrecordable(
            "it does not read back the same".into(),
        )),
        Err(e) => Err(AuditError::Unrecordable(e)),
    }
}

/// Makes a new file's directory entry durable too (Unix; best effort: some
/// file systems refuse to sync a directory, and the data itself is synced).
fn sync_dir(dir: Option<&Path>) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir.unwrap_or(Path::new("."))) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
