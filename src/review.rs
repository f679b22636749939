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

pub use crate::domain::{
    ApplyCheck, AuditProof, Decision, DecisionKind, Emergency, Identity, ProofState, VerifyResult,
};

/// One identity counts once. The provider decides: two accounts of one
/// forge are one person exactly when their account ids are equal (a forge
/// vouches for them); otherwise emails compare case-insensitively (git).
pub fn same_person(a: &Identity, b: &Identity) -> bool {
    if a.is_account() && b.is_account() {
        return a.provider == b.provider && a.account == b.account;
    }
    !a.email.is_empty() && a.email.eq_ignore_ascii_case(&b.email)
}

/// For counting approvals: two accounts of one forge are one person by
/// account id alone. Anywhere a git identity takes part, the same email
/// *or* the same name (ignoring case and spacing) is one person: git
/// identities are self-declared, so an author approving under a second
/// address, or one reviewer approving twice under two, must not make a
/// second person. Two people who share a name are counted once (the safe
/// side of a two-person rule).
pub fn may_be_same_person(a: &Identity, b: &Identity) -> bool {
    if a.is_account() && b.is_account() {
        return same_person(a, b);
    }
    let name = |i: &Identity| {
        i.name
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Two identities without an email cannot be told apart by it.
    let both_without_email = a.email.is_empty() && b.email.is_empty();
    same_person(a, b) || both_without_email || (!name(a).is_empty() && name(a) == name(b))
}

#[cfg(test)]
mod identity_tests {
    use super::*;
    use crate::domain::Provider;

    #[test]
    fn a_forge_decides_by_account_id() {
        let octocat = Identity::forge(Provider::GitHub, "1", "octocat", "Mona");
        let renamed = Identity::forge(Provider::GitHub, "1", "mona", "Mona Lisa");
        let namesake = Identity::forge(Provider::GitHub, "2", "mona2", "Mona");
        assert!(same_person(&octocat, &renamed));
        assert!(may_be_same_person(&octocat, &renamed));
        // The forge vouches for both accounts: a shared name is two people.
        assert!(!same_person(&octocat, &namesake));
        assert!(!may_be_same_person(&octocat, &namesake));
        let elsewhere = Identity::forge(Provider::GitLab, "1", "octocat", "Mona");
        assert!(!same_person(&octocat, &elsewhere));
    }

    #[test]
    fn where_git_takes_part_the_self_declared_rules_hold() {
        let account = Identity::forge(Provider::GitHub, "1", "octocat", "Mona");
        let commit_author = Identity::git("Mona", "mona@example.com");
        assert!(
            may_be_same_person(&account, &commit_author),
            "a git identity with the account's name may be its owner"
        );
        let nameless = Identity::git("", "");
        let other_nameless = Identity::git("", "");
        assert!(
            !same_person(&nameless, &other_nameless),
            "no email is nobody in particular: it lifts nobody's block"
        );
        assert!(
            may_be_same_person(&nameless, &other_nameless),
            "but for counting, two identities without email are one"
        );
    }
}
