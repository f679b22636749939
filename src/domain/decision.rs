//! Decisions (approve, block, unblock, apply results) bound to a request's
//! head commit and plan digest, and their link to the audit log. Pure data:
//! the serialised form is stored (git notes) and hashed for the audit
//! proof, so existing fields never change name or shape. How a decision
//! becomes an audit entry lives in `audit`; how it counts, in `review`.

use super::Identity;
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
    /// The after-apply check of an applied root: the next plan (converged
    /// or not) and the verify command's result, in `check`.
    ApplyChecked,
}

impl DecisionKind {
    pub fn word(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Block => "block",
            Self::Unblock => "unblock",
            Self::ApplySucceeded => "apply-succeeded",
            Self::ApplyFailed => "apply-failed",
            Self::ApplyChecked => "apply-checked",
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
    /// For approvals: an emergency approval, which may waive the
    /// deployment window (never anything else). Part of the audit entry,
    /// so the proof binds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
    /// Where its audit entry is, set when it is recorded: written to the
    /// log before the decision is stored. An approval or apply result
    /// without a proof that matches it is never counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditProof>,
    /// Set only by a forge backend for a decision it read from the forge
    /// itself (a review, authenticated by the forge): never read from or
    /// written to a stored note, so no file can claim it.
    #[serde(skip)]
    pub attested: Option<Attestation>,
    /// For `apply-checked`: what the after-apply check found. Part of the
    /// audit entry, so the proof binds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<ApplyCheck>,
}

/// The after-apply check of a root: the root planned once more, and the
/// environment's verify command (health check) when one is configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyCheck {
    /// The next plan is a no-op: the apply (an import too) is done.
    pub converged: bool,
    /// The changes the next plan still has (`ADDRESS: ACTIONS`), the first
    /// few of `remaining_total`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remaining: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub remaining_total: usize,
    /// Why the next plan could not be made (then not converged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifyResult>,
    /// A failed verify holds the request back (`verify_failure =
    /// "block"`): later environments' promotion waits for a passing check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blocks: bool,
}

/// How the verify command ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResult {
    pub command: String,
    /// None: killed (by the timeout or a signal) or it could not start.
    pub exit_code: Option<i32>,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// The end of its output (both streams), raw: escape before showing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output_tail: String,
}

impl ApplyCheck {
    /// A verify command ran and did not pass.
    pub fn verify_failed(&self) -> bool {
        self.verify.as_ref().is_some_and(|v| !v.passed)
    }

    /// A failed verify that holds later environments back.
    pub fn holds_back(&self) -> bool {
        self.blocks && self.verify_failed()
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A forge's own record of a decision: the forge authenticated who made
/// it, so it counts without a local audit proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    pub provider: super::Provider,
    /// The forge's id of the record (a review id).
    pub id: String,
}

/// Why an approval is an emergency one (break-glass): required, shown
/// with it everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emergency {
    pub reason: String,
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
