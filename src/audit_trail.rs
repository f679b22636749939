//! Decisions into the audit log: the one place that appends a review
//! decision's entry (durably) to the user's log and only then stores the
//! decision, with the proof of its entry, in the source.

use crate::audit::{AuditEntry, AuditError, AuditLog, AuditRecord};
use crate::review::Decision;
use crate::source::{Source, SourceError};

/// Why a decision was not recorded. One line each.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The log could not take the entry: nothing was written.
    #[error("decision not recorded: {0}")]
    Audit(AuditError),
    /// The entry is in the log, but storing the decision failed: it did
    /// not take effect (`audit verify` lists the entry as such).
    #[error("decision not recorded (audit entry {seq} stands for the attempt): {error}")]
    AuditedNotStored { seq: u64, error: SourceError },
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
    source: &dyn Source,
    decision: &Decision,
) -> Result<Decision, RecordError> {
    record_as(log, source, decision, decision.audit_entry())
}

/// Like [`record_with_source`], with the entry given (a drift block is
/// audited as `drift-block` with its report).
pub fn record_as(
    log: &AuditLog,
    source: &dyn Source,
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
