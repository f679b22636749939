//! Decisions into the audit log: the one place that appends a review
//! decision's entry (durably) to the user's log and only then stores the
//! decision, with the proof of its entry, in the source.

use crate::audit::{AuditEntry, AuditError, AuditLog, AuditRecord};
use crate::backend::prelude::*;
use crate::review::Decision;
use crate::source::BackendError;

/// Why a decision was not recorded. One line each.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The log could not take the entry: nothing was written.
    #[error("decision not recorded: {0}")]
    Audit(AuditError),
    /// The entry is in the log, but storing the decision failed: it did
    /// not take effect (`audit verify` lists the entry as such).
    #[error("decision not recorded (audit entry {seq} stands for the attempt): {error}")]
    AuditedNotStored { seq: u64, error: BackendError },
}

impl From<RecordError> for BackendError {
    /// A refused audit entry is a local io failure; a decision the backend
    /// did not store keeps the backend's kind, in words that say the entry
    /// stands for the attempt.
    fn from(e: RecordError) -> Self {
        let text = e.to_string();
        match e {
            RecordError::AuditedNotStored { error, .. } => match error {
                BackendError::Conflict(_) => BackendError::Conflict(text),
                BackendError::Auth(_) => BackendError::Auth(text),
                BackendError::Network(_) => BackendError::Network(text),
                BackendError::RateLimited { reset_at, .. } => BackendError::RateLimited {
                    reset_at,
                    message: text,
                },
                _ => BackendError::Io(text),
            },
            RecordError::Audit(_) => BackendError::Io(text),
        }
    }
}

impl From<AuditError> for RecordError {
    fn from(e: AuditError) -> Self {
        Self::Audit(e)
    }
}

/// Appends `decision`'s entry to `log`, then stores the decision with the
/// proof of that entry in `source`. The entry comes first (audit before
/// effect): a crash in between leaves an entry whose decision never took
/// effect, never a decision without an entry. Returns the stored decision.
pub fn record_with_source(
    log: &AuditLog,
    source: &dyn Backend,
    decision: &Decision,
) -> Result<Decision, RecordError> {
    record_as(log, source, decision, decision.audit_entry())
}

/// Like [`record_with_source`], with the entry given (a drift block is
/// audited as `drift-block` with its report).
pub fn record_as(
    log: &AuditLog,
    source: &dyn Backend,
    decision: &Decision,
    entry: AuditEntry,
) -> Result<Decision, RecordError> {
    let mut stored = None;
    log.append_then(entry, |record: &AuditRecord, log_id: &str| {
        let proven = with_proof(decision, record, log_id);
        source
            .record_decision(&proven)
            .map_err(|error| RecordError::AuditedNotStored {
                seq: record.seq,
                error,
            })?;
        stored = Some(proven);
        Ok::<(), RecordError>(())
    })?;
    stored.ok_or_else(|| RecordError::Audit(AuditError::Unrecordable("not stored".into())))
}

/// The decision with the proof of `record` (its own entry, or the entry it
/// was audited as).
fn with_proof(decision: &Decision, record: &AuditRecord, log_id: &str) -> Decision {
    let mut proven = decision.clone();
    proven.audit = Some(crate::review::AuditProof {
        log: log_id.to_string(),
        seq: record.seq,
        prev: record.prev.clone(),
        hash: record.hash.clone(),
    });
    proven
}

/// The default audit log (the platform data dir).
pub fn default_log() -> Result<AuditLog, AuditError> {
    AuditLog::open_default()
}

/// What `audit verify` finds when it holds the decisions in the notes
/// against the log (beside the chain's own check).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrossCheck {
    /// Decisions the gate does not count, or that this log should hold
    /// and does not: each a line naming the decision and why.
    pub problems: Vec<String>,
    /// Entries of this log whose decision is not in the notes: it never
    /// took effect (a crash between the entry and the note, or a failure
    /// to store it), or the notes were not fetched here.
    pub untaken: Vec<String>,
    /// Decisions proven by another log (another reviewer's machine).
    pub elsewhere: usize,
    /// Decisions that match an entry of this log.
    pub matched: usize,
}

impl CrossCheck {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Holds every decision in the notes against the records of `log`. The
/// log is the user's, across repositories: `here` tells the entries that
/// belong to this one (their head commit is in it).
pub fn cross_check(
    records: &[AuditRecord],
    log_id: &str,
    decisions: &[Decision],
    here: impl Fn(&AuditRecord) -> bool,
) -> CrossCheck {
    use crate::review::ProofState;
    let by_hash: std::collections::HashMap<&str, &AuditRecord> =
        records.iter().map(|r| (r.hash.as_str(), r)).collect();
    let mut check = CrossCheck::default();
    let mut taken = std::collections::HashSet::new();
    for decision in decisions {
        let name = describe(decision);
        // A block audited under its own action (a drift block, with the
        // report as details) is not recomputable from the decision: it is
        // matched by its entry in this log, and blocks count either way.
        let audited_as = decision.audit.as_ref().and_then(|p| {
            by_hash
                .get(p.hash.as_str())
                .filter(|r| r.seq == p.seq && same_subject(r, decision))
                .filter(|r| {
                    decision.kind == crate::review::DecisionKind::Block
                        && r.entry.action == crate::audit::AuditAction::DriftBlock
                })
        });
        if let (Some(proof), Some(_)) = (&decision.audit, audited_as) {
            if proof.log == log_id {
                taken.insert(proof.hash.as_str());
                check.matched += 1;
                continue;
            }
        }
        if decision.kind == crate::review::DecisionKind::Block
            && decision.proof_state() == ProofState::Mismatch
            && decision.audit.as_ref().is_some_and(|p| p.log != log_id)
        {
            check.elsewhere += 1;
            continue;
        }
        match (decision.proof_state(), &decision.audit) {
            (ProofState::Missing, _) | (_, None) => check
                .problems
                .push(format!("{name}: no audit entry (not counted): written by hand?")),
            (ProofState::Mismatch, Some(proof)) => check.problems.push(format!(
                "{name}: does not match the audit entry its proof names (seq {}): edited after it was audited (not counted)",
                proof.seq
            )),
            (ProofState::Matches, Some(proof)) if proof.log == log_id && !log_id.is_empty() => {
                match by_hash.get(proof.hash.as_str()) {
                    Some(record) if record.seq == proof.seq => {
                        taken.insert(proof.hash.as_str());
                        check.matched += 1;
                    }
                    _ => check.problems.push(format!(
                        "{name}: names entry seq {} of this log, which does not hold it (the log was cut or replaced, or the proof forged)",
                        proof.seq
                    )),
                }
            }
            (ProofState::Matches, Some(_)) => check.elsewhere += 1,
        }
    }
    for record in records {
        let e = &record.entry;
        use crate::audit::AuditAction::*;
        let is_decision = matches!(
            e.action,
            Approve | Block | Unblock | ApplySucceeded | ApplyFailed | ApplyChecked | DriftBlock
        );
        if is_decision && !taken.contains(record.hash.as_str()) && here(record) {
            check.untaken.push(format!(
                "entry seq {}: {} by {} on {} {}: its decision is not in the notes, so it did not take effect (interrupted?) or the notes were not fetched",
                record.seq,
                e.action,
                e.who,
                e.request,
                e.root.as_deref().unwrap_or("-"),
            ));
        }
    }
    check
}

/// The entry is about the decision's request, root and head.
fn same_subject(record: &AuditRecord, d: &Decision) -> bool {
    let e = &record.entry;
    e.request == d.request
        && e.root.as_deref() == Some(d.root.as_str())
        && e.head.as_deref() == Some(d.head.as_str())
}

fn describe(d: &Decision) -> String {
    format!(
        "{} by {} on {} {} at {}",
        d.kind.word(),
        d.who,
        d.request,
        d.root,
        crate::audit::format_utc(d.at)
    )
}
