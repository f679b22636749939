//! Checking the whole chain: the first problem, with its line and what it
//! means (edited, removed, reordered, duplicated, cut short, garbage).
//!
//! Pure: it judges bytes and never reads or repairs the file. What no chain
//! can show: whole entries removed from the *end* (the log then looks like
//! an older, shorter one) or a log rewritten with every hash recomputed;
//! the head file (see `head`) catches both while it is left in place.

use super::AuditRecord;
use super::head::Head;
use super::record::{LINE_START, is_canonical, parse_line};
use std::fmt;
use std::path::PathBuf;

/// The outcome of [`super::AuditLog::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyReport {
    /// Every entry is intact and chained; `last_hash` is the newest entry's hash.
    Ok {
        entries: usize,
        last_hash: Option<String>,
    },
    /// The first problem; `intact` entries before it check out.
    Broken { intact: usize, problem: Problem },
    /// The file could not be read at all.
    Unreadable { path: PathBuf, error: String },
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok { .. })
    }
}

/// Where the chain first breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number in the file.
    pub line: usize,
    /// The `seq` the line claims, when it could be read.
    pub seq: Option<u64>,
    pub kind: ProblemKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The last line is cut short: an append was interrupted (a crash
    /// between or during writes). Its entry is lost.
    Truncated,
    /// Not JSON, or not an audit entry.
    Invalid(String),
    /// The hash does not match the content: the entry was edited.
    Edited,
    /// The content hashes right, but the line is not as written (whitespace,
    /// key order or escapes changed): the line was edited by hand.
    Reformatted,
    /// Entries after the last one were removed: the head file names a
    /// later `head` than the log's `last` (0: the log is empty).
    RemovedAtEnd { last: u64, head: u64 },
    /// The entry the head file names is not the one in the log: the log
    /// from there on was replaced (rewritten with recomputed hashes).
    HeadMismatch { seq: u64 },
    /// Entries were removed: `expected` is missing, `found` came instead.
    Missing { expected: u64, found: u64 },
    /// Entries were reordered: `found` stands where `expected` belongs;
    /// `expected_at` is the line holding `expected`, if any.
    Reordered {
        expected: u64,
        found: u64,
        expected_at: Option<usize>,
    },
    /// The same `seq` twice: a copied entry; `first_line` holds the first.
    Duplicated { seq: u64, first_line: usize },
    /// `prev` is not the previous entry's hash, although the seqs follow:
    /// the previous entry was replaced, or edited and re-hashed. On the
    /// first line: entries before it were removed.
    BrokenLink,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok { entries: 1, .. } => write!(f, "audit log OK: 1 entry"),
            Self::Ok { entries, .. } => write!(f, "audit log OK: {entries} entries"),
            Self::Broken { problem, .. } => write!(f, "audit log broken at {problem}"),
            Self::Unreadable { path, error } => {
                write!(f, "cannot read the audit log {}: {error}", path.display())
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.kind.describe(self.line))
    }
}

impl ProblemKind {
    fn describe(&self, line: usize) -> String {
        match self {
            Self::Truncated => "the last line is cut short: an append was interrupted (crash?); \
                 its entry is lost"
                .into(),
            Self::Invalid(cause) => cause.clone(),
            Self::Edited => "the entry was edited: its hash does not match its content".into(),
            Self::Reformatted => "the line was edited: it is not as written \
                 (whitespace, key order or escapes changed), though its content hashes the same"
                .into(),
            Self::RemovedAtEnd { last, head } => format!(
                "entries {}.. removed: the log ends at {last}, its head file says {head}",
                last + 1
            ),
            Self::HeadMismatch { seq } => format!(
                "the entry seq {seq} is not the one the head file names: \
                 the log was rewritten from there on"
            ),
            Self::Missing { expected, found } => {
                format!(
                    "entry seq {expected} is missing (removed); seq {found} stands in its place"
                )
            }
            Self::Reordered {
                expected,
                found,
                expected_at,
            } => {
                let at = expected_at.map_or(String::new(), |l| {
                    format!(", seq {expected} is at line {l}")
                });
                format!(
                    "entries were reordered: seq {found} stands where seq {expected} belongs{at}"
                )
            }
            Self::Duplicated { seq, first_line } => {
                format!("seq {seq} appears twice (first at line {first_line}): a duplicated entry")
            }
            Self::BrokenLink if line == 1 => {
                "the first entry's prev is not empty: entries before it were removed".into()
            }
            Self::BrokenLink => format!(
                "prev does not match the hash of the entry at line {}: \
                 that entry was replaced, or edited and re-hashed",
                line - 1
            ),
        }
    }
}

/// Checks a whole log's bytes, then its end against its head file.
pub(super) fn check_with_head(bytes: &[u8], head: Option<&Head>) -> VerifyReport {
    let report = check(bytes);
    let (VerifyReport::Ok { entries, .. }, Some(head)) = (&report, head) else {
        return report;
    };
    let (lines, _) = split_lines(bytes);
    let records: Vec<AuditRecord> = lines.iter().filter_map(|l| parse_line(l).ok()).collect();
    let last = records.last().map_or(0, |r| r.seq);
    // The entries before the problem's line are the intact ones.
    let broken = |line: usize, seq, kind| VerifyReport::Broken {
        intact: line - 1,
        problem: Problem { line, seq, kind },
    };
    if last < head.seq {
        let kind = ProblemKind::RemovedAtEnd {
            last,
            head: head.seq,
        };
        return broken(*entries + 1, None, kind);
    }
    // Seqs are 1.. in order here: the head's entry is at its seq's line.
    let at = usize::try_from(head.seq).unwrap_or(usize::MAX);
    match records.get(at.wrapping_sub(1)) {
        Some(r) if r.hash == head.hash => report,
        Some(r) => broken(at, Some(r.seq), ProblemKind::HeadMismatch { seq: r.seq }),
        // A head of seq 0 names no entry.
        None => report,
    }
}

/// Checks a whole log's bytes.
pub(super) fn check(bytes: &[u8]) -> VerifyReport {
    let (lines, unterminated) = split_lines(bytes);
    let parsed: Vec<Result<AuditRecord, String>> = lines.iter().map(|l| parse_line(l)).collect();
    let mut prev: Option<&AuditRecord> = None;
    for (index, result) in parsed.iter().enumerate() {
        let line = index + 1;
        let broken = |seq, kind| VerifyReport::Broken {
            intact: index,
            problem: Problem { line, seq, kind },
        };
        if unterminated && line == lines.len() {
            let seq = result.as_ref().ok().map(|r| r.seq);
            return broken(seq, cut_short(lines[index], result));
        }
        let record = match result {
            Ok(record) => record,
            Err(cause) => return broken(None, ProblemKind::Invalid(cause.clone())),
        };
        if let Some(kind) = link_problem(record, lines[index], prev, &parsed, index) {
            return broken(Some(record.seq), kind);
        }
        prev = Some(record);
    }
    VerifyReport::Ok {
        entries: parsed.len(),
        last_hash: prev.map(|r| r.hash.clone()),
    }
}

/// Lines without their `\n`, and whether the last one lacked it.
pub(super) fn split_lines(bytes: &[u8]) -> (Vec<&[u8]>, bool) {
    if bytes.is_empty() {
        return (Vec::new(), false);
    }
    let unterminated = !bytes.ends_with(b"\n");
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    (body.split(|&b| b == b'\n').collect(), unterminated)
}

/// A last line without `\n`: our writer's line cut short, or garbage.
fn cut_short(line: &[u8], parsed: &Result<AuditRecord, String>) -> ProblemKind {
    match parsed {
        // Whole but unterminated: the next append would glue onto it.
        Ok(_) => ProblemKind::Truncated,
        Err(_) if line.starts_with(LINE_START) => ProblemKind::Truncated,
        Err(cause) => ProblemKind::Invalid(cause.clone()),
    }
}

/// What is wrong with `record` given the entry before it, if anything.
fn link_problem(
    record: &AuditRecord,
    line: &[u8],
    prev: Option<&AuditRecord>,
    all: &[Result<AuditRecord, String>],
    index: usize,
) -> Option<ProblemKind> {
    if !record.is_intact() {
        return Some(ProblemKind::Edited);
    }
    if !is_canonical(record, line) {
        return Some(ProblemKind::Reformatted);
    }
    let expected = prev.map_or(1, |p| p.seq.saturating_add(1));
    let line_of = |seq: u64, range: std::ops::Range<usize>| {
        range
            .into_iter()
            .find(|&i| all[i].as_ref().is_ok_and(|r| r.seq == seq))
    };
    let found = record.seq;
    if found > expected {
        return Some(match line_of(expected, index + 1..all.len()) {
            Some(at) => ProblemKind::Reordered {
                expected,
                found,
                expected_at: Some(at + 1),
            },
            None => ProblemKind::Missing { expected, found },
        });
    }
    if found < expected {
        return Some(match line_of(found, 0..index) {
            Some(first) => ProblemKind::Duplicated {
                seq: found,
                first_line: first + 1,
            },
            None => ProblemKind::Reordered {
                expected,
                found,
                expected_at: line_of(expected, index + 1..all.len()).map(|i| i + 1),
            },
        });
    }
    let expected_prev = prev.map_or("", |p| p.hash.as_str());
    (record.prev != expected_prev).then_some(ProblemKind::BrokenLink)
}
