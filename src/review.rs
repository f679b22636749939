//! Review: decisions (approve, block, unblock, apply results) bound to a
//! request's head commit and plan digest, and the gate that decides whether
//! a root may be applied. Everything here is pure: storage lives with the
//! sources (git notes for the git source), the clock comes in as `now`.

mod codeowners;
mod gate;

pub use codeowners::CodeOwners;
pub use gate::{
    ApprovalState, ApprovalStatus, EnvironmentPolicy, GateCheck, GateInput, GateReport, PlanFacts,
    approval_refusal, evaluate,
};

use crate::audit::{AuditAction, AuditEntry};
use crate::source::Identity;
use serde::{Deserialize, Serialize};

/// What a decision says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    Approve,
    Block,
    /// Lifts the same person's earlier block.
    Unblock,
    /// The root applied successfully at this head and digest (promotion order).
    ApplySucceeded,
    ApplyFailed,
}

impl DecisionKind {
    pub fn word(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Block => "block",
            Self::Unblock => "unblock",
            Self::ApplySucceeded => "apply-succeeded",
            Self::ApplyFailed => "apply-failed",
        }
    }
}

/// A decision by an identity on (request, root, head commit, plan digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DecisionKind,
    pub request: String,
    pub root: String,
    pub head: String,
    pub digest: String,
    pub who: Identity,
    /// Unix seconds.
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// For approvals: the destructive changes the approver had viewed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub viewed_destructive: Vec<String>,
    /// Where its audit entry is, set when it is recorded: written to the
    /// log before the decision is stored. An approval or apply result
    /// without a proof that matches it is never counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditProof>,
}

/// A decision's link to its audit entry: the log (the hash of the log's
/// first entry), the entry's `seq` and `prev`, and its `hash`, which is the
/// audit record's hash over exactly this decision. It proves the decision
/// went through the audit log (a note written by hand, or one whose
/// decision was edited after it was audited, has none that matches); it is
/// not a signature: `audit verify` cross-checks it against the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditProof {
    pub log: String,
    pub seq: u64,
    pub prev: String,
    pub hash: String,
}

/// Whether a decision's audit proof holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofState {
    /// The proof's hash is the audit record of this very decision.
    Matches,
    /// No proof: not recorded through plandeck's audit log.
    Missing,
    /// A proof whose hash is not this decision's record: edited.
    Mismatch,
}

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
        let hash = crate::audit::record_hash(seq, prev, self.audit_entry());
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
        if crate::audit::record_hash(proof.seq, &proof.prev, self.audit_entry()) == proof.hash {
            ProofState::Matches
        } else {
            ProofState::Mismatch
        }
    }
}

/// One identity counts once: emails compare case-insensitively.
pub fn same_person(a: &Identity, b: &Identity) -> bool {
    a.email.eq_ignore_ascii_case(&b.email)
}

/// For counting approvals, the same email *or* the same name (ignoring
/// case and spacing) is one person. Git identities are self-declared: an
/// author approving under a second address, or one reviewer approving
/// twice under two, must not make a second person. Two people who share a
/// name are counted once (the safe side of a two-person rule).
pub fn may_be_same_person(a: &Identity, b: &Identity) -> bool {
    let name = |i: &Identity| {
        i.name
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    same_person(a, b) || (!name(a).is_empty() && name(a) == name(b))
}
