//! Review: decisions (approve, block, unblock, apply results) bound to a
//! request's head commit and plan digest, and the gate that decides whether
//! a root may be applied. Everything here is pure: storage lives with the
//! sources (git notes for the git source), the clock comes in as `now`.

mod codeowners;
mod gate;

pub use codeowners::CodeOwners;
pub use gate::{
    ApprovalState, ApprovalStatus, EmergencyWaiver, EnvironmentPolicy, GateCheck, GateInput,
    GateReport, GroupPolicy, GroupStatus, PlanFacts, approval_refusal, emergency_approval_refusal,
    emergency_refusal, evaluate,
};

pub use crate::domain::{AuditProof, Decision, DecisionKind, Emergency, Identity, ProofState};

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
