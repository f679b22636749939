//! Where a root stands with the local executor: being applied (a live
//! lock), interrupted (a stale lock), or the last apply result recorded for
//! the request's current head. Read by the runner; shown in the root matrix
//! and in the apply confirmation.

use crate::executor::current_lock;
use crate::review::{Decision, DecisionKind};
use crate::source::Request;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyState {
    /// A live apply holds the root's lock.
    Applying {
        pid: u32,
        request: String,
    },
    /// The lock's process is gone: that apply was interrupted.
    Interrupted {
        pid: u32,
        request: String,
    },
    /// The last recorded result for this head, with what the
    /// after-apply check found.
    Applied {
        at: i64,
        check: AfterApply,
    },
    Failed {
        at: i64,
    },
}

/// What the latest after-apply check of an applied root found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterApply {
    /// Converged, and the verify command (if any) passed; or not checked.
    Clean,
    /// The next plan still has changes (or could not be made).
    NotConverged,
    /// The verify command failed.
    VerifyFailed,
}

impl ApplyState {
    /// The state of `root` of `request`: its lock in `locks` first, else
    /// the latest apply result among `decisions` for the current head.
    pub fn of(
        locks: Option<&Path>,
        decisions: &[Decision],
        request: &Request,
        root: &str,
    ) -> Option<Self> {
        if let Some((lock, alive)) = locks.and_then(|dir| current_lock(dir, root)) {
            let (pid, request) = (lock.pid, lock.request);
            return Some(if alive {
                Self::Applying { pid, request }
            } else {
                Self::Interrupted { pid, request }
            });
        }
        decisions
            .iter()
            .filter(|d| d.root == root && d.head == request.head)
            .filter(|d| {
                matches!(
                    d.kind,
                    DecisionKind::ApplySucceeded | DecisionKind::ApplyFailed
                )
            })
            .max_by_key(|d| d.at)
            .map(|d| match d.kind {
                DecisionKind::ApplySucceeded => Self::Applied {
                    at: d.at,
                    check: after_apply(decisions, d),
                },
                _ => Self::Failed { at: d.at },
            })
    }

    /// Why an apply of this root cannot start now, if it cannot.
    pub fn blocks_apply(&self) -> Option<String> {
        match self {
            Self::Applying { pid, request } => Some(format!(
                "lock: being applied by pid {pid} for {}",
                crate::sanitize::escape(request).text
            )),
            _ => None,
        }
    }
}

/// The latest proven check of the apply `applied` (same root, head and
/// digest, not older than it).
fn after_apply(decisions: &[Decision], applied: &Decision) -> AfterApply {
    let latest = decisions
        .iter()
        .filter(|d| {
            d.kind == DecisionKind::ApplyChecked
                && d.root == applied.root
                && d.head == applied.head
                && d.digest == applied.digest
                && d.at >= applied.at
                && d.proof_state() == crate::review::ProofState::Matches
        })
        .max_by_key(|d| (d.at, d.audit.as_ref().map_or(0, |p| p.seq)))
        .and_then(|d| d.check.as_ref());
    match latest {
        Some(check) if check.verify_failed() => AfterApply::VerifyFailed,
        Some(check) if !check.converged => AfterApply::NotConverged,
        _ => AfterApply::Clean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{ApplyCheck, Identity, VerifyResult};

    fn decision(kind: DecisionKind, at: i64, check: Option<ApplyCheck>) -> Decision {
        Decision {
            kind,
            request: "request/1".into(),
            root: "apps/web/dev".into(),
            head: "1".repeat(40),
            digest: "sha256:v2:aa".into(),
            who: Identity::git("Bob", "bob@example.com"),
            at,
            comment: None,
            viewed_destructive: Vec::new(),
            emergency: None,
            audit: None,
            attested: None,
            check,
        }
    }

    fn check(converged: bool, verify_passed: Option<bool>) -> ApplyCheck {
        ApplyCheck {
            converged,
            remaining: Vec::new(),
            remaining_total: usize::from(!converged),
            plan_error: None,
            verify: verify_passed.map(|passed| VerifyResult {
                command: "true".into(),
                exit_code: Some(if passed { 0 } else { 3 }),
                passed,
                timed_out: false,
                output_tail: String::new(),
            }),
            blocks: verify_passed.is_some(),
        }
    }

    fn state_of(decisions: &[Decision]) -> Option<ApplyState> {
        let request = Request {
            id: "request/1".into(),
            number: None,
            title: String::new(),
            authors: Vec::new(),
            committers: Vec::new(),
            head: "1".repeat(40),
            base: "main".into(),
            created_at: 0,
            updated_at: 0,
            changed_files: Vec::new(),
            roots: Vec::new(),
            url: None,
        };
        ApplyState::of(None, decisions, &request, "apps/web/dev")
    }

    #[test]
    fn the_latest_proven_check_decides_what_applied_means() {
        let applied = decision(DecisionKind::ApplySucceeded, 10, None).proven("log", 1, "");
        let failed = decision(
            DecisionKind::ApplyChecked,
            11,
            Some(check(true, Some(false))),
        )
        .proven("log", 2, "p");
        let restless = decision(DecisionKind::ApplyChecked, 11, Some(check(false, None)))
            .proven("log", 2, "p");
        let state = |decisions: &[Decision]| match state_of(decisions) {
            Some(ApplyState::Applied { check, .. }) => check,
            other => panic!("{other:?}"),
        };
        assert_eq!(state(std::slice::from_ref(&applied)), AfterApply::Clean);
        assert_eq!(
            state(&[applied.clone(), failed.clone()]),
            AfterApply::VerifyFailed
        );
        assert_eq!(
            state(&[applied.clone(), restless]),
            AfterApply::NotConverged
        );
        // A later pass counts; a note claiming one without a proof does not.
        let passed = decision(
            DecisionKind::ApplyChecked,
            12,
            Some(check(true, Some(true))),
        );
        assert_eq!(
            state(&[applied.clone(), failed.clone(), passed.clone()]),
            AfterApply::VerifyFailed
        );
        let passed = passed.proven("log", 3, "q");
        assert_eq!(state(&[applied, failed, passed]), AfterApply::Clean);
    }
}
