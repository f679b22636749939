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
