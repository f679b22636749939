//! Decisions into the audit log: the one place that maps a review decision
//! to an audit entry and appends it (durably) to the user's log, and that
//! stores a decision with its source only once the log can take its entry.

use crate::audit::{AuditAction, AuditEntry, AuditError, AuditLog, AuditRecord};
use crate::review::{Decision, DecisionKind};
use crate::source::{Source, SourceError};
use std::cell::Cell;

/// Why a decision was not recorded (or, rarely, not audited). One line each.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The log could not take the entry: the decision was not stored.
    #[error("decision not recorded: {0}")]
    Audit(AuditError),
    #[error("decision not recorded: {0}")]
    Source(SourceError),
    /// The write itself failed after the decision was stored (disk full…).
    #[error("decision stored, but the audit log failed: {0}")]
    StoredUnaudited(AuditError),
}

impl From<AuditError> for RecordError {
    fn from(e: AuditError) -> Self {
        Self::Audit(e)
    }
}

/// Stores `decision` with `source` and appends its entry to `log`. The
/// log's lock is held and its tail checked *before* the decision is stored,
/// so a damaged or locked log refuses the decision instead of leaving a
/// counted decision with no audit entry.
pub fn record_with_source(
    log: &AuditLog,
    source: &dyn Source,
    decision: &Decision,
) -> Result<AuditRecord, RecordError> {
    let stored = Cell::new(false);
    log.append_after(entry_of(decision), || {
        source
            .record_decision(decision)
            .map_err(RecordError::Source)?;
        stored.set(true);
        Ok(())
    })
    .map_err(|e| match e {
        RecordError::Audit(a) if stored.get() => RecordError::StoredUnaudited(a),
        e => e,
    })
}

/// The default audit log (the platform data dir).
pub fn default_log() -> Result<AuditLog, AuditError> {
    AuditLog::open_default()
}

/// Appends a decision to a given log.
pub fn record_decision_in(log: &AuditLog, decision: &Decision) -> Result<AuditRecord, AuditError> {
    log.append(entry_of(decision))
}

pub fn entry_of(decision: &Decision) -> AuditEntry {
    let action = match decision.kind {
        DecisionKind::Approve => AuditAction::Approve,
        DecisionKind::Block => AuditAction::Block,
        DecisionKind::Unblock => AuditAction::Unblock,
        DecisionKind::ApplySucceeded => AuditAction::ApplySucceeded,
        DecisionKind::ApplyFailed => AuditAction::ApplyFailed,
    };
    let details = (!decision.viewed_destructive.is_empty())
        .then(|| serde_json::json!({ "viewed_destructive": decision.viewed_destructive }));
    AuditEntry {
        who: decision.who.clone(),
        at: decision.at,
        action,
        request: decision.request.clone(),
        root: Some(decision.root.clone()),
        head: Some(decision.head.clone()),
        digest: (!decision.digest.is_empty()).then(|| decision.digest.clone()),
        comment: decision.comment.clone(),
        details,
    }
}
