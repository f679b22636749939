//! How a decision becomes an audit entry, and whether its proof holds.

use super::{AuditAction, AuditEntry, record_hash};
use crate::domain::{AuditProof, Decision, DecisionKind, ProofState};

impl Decision {
    /// The audit entry this decision is recorded as.
    pub fn audit_entry(&self) -> AuditEntry {
        let action = match self.kind {
            DecisionKind::Approve => AuditAction::Approve,
            DecisionKind::Block => AuditAction::Block,
            DecisionKind::Unblock => AuditAction::Unblock,
            DecisionKind::ApplySucceeded => AuditAction::ApplySucceeded,
            DecisionKind::ApplyFailed => AuditAction::ApplyFailed,
        };
        let details = (!self.viewed_destructive.is_empty())
            .then(|| serde_json::json!({ "viewed_destructive": self.viewed_destructive }));
        AuditEntry {
            who: self.who.clone(),
            at: self.at,
            action,
            request: self.request.clone(),
            root: Some(self.root.clone()),
            head: Some(self.head.clone()),
            digest: (!self.digest.is_empty()).then(|| self.digest.clone()),
            comment: self.comment.clone(),
            details,
        }
    }

    /// This decision with the proof of its entry at `seq` after `prev` in `log`.
    pub fn proven(mut self, log: &str, seq: u64, prev: &str) -> Self {
        let hash = record_hash(seq, prev, self.audit_entry());
        self.audit = Some(AuditProof {
            log: log.to_string(),
            seq,
            prev: prev.to_string(),
            hash,
        });
        self
    }

    /// Whether the proof names this decision's own audit record.
    pub fn proof_state(&self) -> ProofState {
        let Some(proof) = &self.audit else {
            return ProofState::Missing;
        };
        if record_hash(proof.seq, &proof.prev, self.audit_entry()) == proof.hash {
            ProofState::Matches
        } else {
            ProofState::Mismatch
        }
    }
}
