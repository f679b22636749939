//! Decisions into the audit log: the one place that maps a review decision
//! to an audit entry and appends it (durably) to the user's log.

use crate::audit::{AuditAction, AuditEntry, AuditError, AuditLog, AuditRecord};
use crate::review::{Decision, DecisionKind};

/// Appends a decision to the default audit log; returns once it is on disk.
pub fn record_decision(decision: &Decision) -> Result<AuditRecord, AuditError> {
    let path = AuditLog::default_path().ok_or_else(|| AuditError::Io {
        path: "audit.log".into(),
        what: "finding the data directory",
        source: std::io::Error::other("no data directory on this platform"),
    })?;
    record_decision_in(&AuditLog::open(path), decision)
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
