//! The local executor: applies exactly the approved plan, or refuses.
//!
//! For each root of a request, in promotion order: the gate must pass;
//! the root is locked; it is planned again in a worktree of the approved
//! head (`plan -out`); only if the fresh plan's digest equals the approved
//! digest is *that plan file* applied. A different digest is drift: the
//! apply is refused, a block is recorded and the difference is shown.
//! In `merge-then-apply` mode approval gates the merge of the whole
//! request instead: every root must pass (promotion order aside, which
//! applying in order satisfies), then every root is applied from the merge
//! commit. Every start, result, block and merge is audited. This module writes to
//! `out` for the operator; it never reads the terminal. Above the backend seam:
//! it takes `&dyn Backend` (merges, checkouts, decisions, locks' state dir) and
//! never names a concrete backend.

mod actions;
mod check;
pub mod ci;
pub mod ci_plan;
mod lock;
pub mod planner;
mod record;
mod resume;
mod root;
mod run;
mod verified;
mod verify_command;

pub use actions::resume_on_actions;
pub use lock::{LockInfo, current_lock, lock_path, stale_locks};
pub use resume::resume_request;

use crate::audit::{AuditAction, AuditEntry, AuditLog};
use crate::backend::MergePurpose;
use crate::backend::prelude::*;
use crate::config::{ApplyMode, Config};
use crate::review::{Decision, DecisionKind};
use crate::source::gate::{RootReview, review_request};
use crate::source::{BackendError, Identity, Request};
use record::{now, record};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How an apply of a request ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every selected root applied (and the request merged, when due).
    Applied { merged: Option<String> },
    /// A gate check failed: nothing was applied for this root.
    Refused { root: String, reasons: Vec<String> },
    /// The fresh plan differs from the approved one: blocked.
    Drift {
        root: String,
        approved: String,
        fresh: String,
    },
    /// A request merged for apply earlier now has every root applied;
    /// `applied` are those applied by this run (none: nothing was left).
    Complete {
        merged: String,
        applied: Vec<String>,
    },
    /// The apply ran and failed; the request stays open.
    Failed { root: String, reason: String },
    /// The root applied but its verify command (health check) failed, and
    /// its environment lets that stop the run: nothing more is applied or
    /// merged until a re-run's check passes.
    VerifyFailed { root: String, reason: String },
}

impl Outcome {
    /// How the apply of request `id` ended, in one line (raw: the caller
    /// escapes): `Ok` when everything it was asked to do is done, `Err`
    /// with the reason otherwise. `merged`: in merge-then-apply the merge
    /// came first, so a failure leaves it standing.
    pub fn summary(&self, id: &str, merged: bool) -> Result<String, String> {
        match self {
            Outcome::Applied {
                merged: Some(commit),
            } => Ok(format!(
                "{id} applied and merged ({})",
                &commit[..commit.len().min(12)]
            )),
            Outcome::Applied { merged: None } => Ok(format!("{id} applied")),
            Outcome::Complete { merged, applied } => {
                let short = &merged[..merged.len().min(12)];
                Ok(if applied.is_empty() {
                    format!(
                        "{id} is complete: merged as {short}, every root already applied; nothing to do"
                    )
                } else {
                    format!(
                        "{id} is complete: merged as {short}, every root applied (now: {})",
                        applied.join(", ")
                    )
                })
            }
            Outcome::Refused { root, reasons } => {
                Err(format!("refused: {root}: {}", reasons.join("; ")))
            }
            Outcome::Drift {
                root,
                approved,
                fresh,
            } => Err(format!(
                "refused: {root}: drift: the fresh plan {fresh} differs from the approved {approved}; blocked"
            )),
            Outcome::Failed { root, reason } => {
                let after = if merged {
                    format!("the merge stands; `plandeck apply {id}` resumes")
                } else {
                    "the request stays open".to_string()
                };
                Err(format!("{root}: apply failed: {reason}; {after}"))
            }
            Outcome::VerifyFailed { root, reason } => {
                let after = if merged {
                    "the merge stands"
                } else {
                    "not merged; the request stays open"
                };
                Err(format!(
                    "{root}: applied, verify failed: {reason}; {after}; \
                     `plandeck apply {id}` checks it again (no apply) and goes on when it passes"
                ))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Source(#[from] BackendError),
    #[error("{0}")]
    Io(String),
}

impl From<crate::audit::AuditError> for ExecError {
    fn from(e: crate::audit::AuditError) -> Self {
        Self::Io(e.to_string())
    }
}

impl From<std::io::Error> for ExecError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

/// Where the executor keeps its state and logs.
pub struct Places {
    /// `<git-dir>/plandeck/locks`.
    pub locks: PathBuf,
    /// Apply logs, one per root and run.
    pub logs: PathBuf,
    pub audit: AuditLog,
}

/// One root to apply: its path and approved digest.
struct Step {
    root: String,
    approved: String,
}

/// Applies a request's roots (or one) under the gate, then merges or not by mode.
pub fn apply_request(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    only_root: Option<&str>,
    places: &Places,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    let who = source.reviewer()?;
    let on_actions = config.apply.executor == crate::config::ApplyExecutor::GithubActions;
    if !on_actions {
        record_interrupted(source, config, places, &who, out)?;
    }
    if request.roots.is_empty() {
        return Ok(Outcome::Refused {
            root: request.id.clone(),
            reasons: vec![
                "roots: the request touches no root, so there is no plan to approve or apply; \
                 plandeck does not merge it"
                    .into(),
            ],
        });
    }
    if on_actions {
        return actions::apply_on_actions(
            source, config, request, None, only_root, places, &who, out,
        );
    }
    let (pinned, reviews, steps) = prepare(source, config, request)?;
    match config.apply.mode {
        ApplyMode::ApplyThenMerge => apply_then_merge(
            source, config, request, &pinned, steps, only_root, places, &who, out,
        ),
        ApplyMode::MergeThenApply => merge_then_apply(
            source, config, request, &pinned, steps, &reviews, only_root, places, &who, out,
        ),
    }
}

/// The request with its base pinned, its roots' gates and its steps in
/// promotion order.
fn prepare(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
) -> Result<(Request, Vec<RootReview>, Vec<Step>), ExecError> {
    // Decisions are read over base..head; pinning the base to the merge
    // base keeps them (and the request) in view once the base has merged it.
    let mut pinned = request.clone();
    pinned.base = source.fork_point(request)?;
    let reviews = review_request(source, config, &pinned, now())?;
    let environments = crate::source::gate::root_environments(&pinned);
    let after = config
        .environments
        .iter()
        .map(|(name, env)| (name.clone(), env.after.clone()))
        .collect();
    let order =
        crate::config::order::promotion_order(&environments, &after).map_err(ExecError::Io)?;
    let steps: Vec<Step> = order
        .iter()
        .map(|root| Step {
            root: root.clone(),
            approved: approved_digest(&reviews, root),
        })
        .collect();
    Ok((pinned, reviews, steps))
}

/// Applies from the request's head, root by root; merges once every root
/// of the request has applied at this head.
#[allow(clippy::too_many_arguments)]
fn apply_then_merge(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    pinned: &Request,
    steps: Vec<Step>,
    only_root: Option<&str>,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    for (at, step) in steps
        .iter()
        .enumerate()
        .filter(|(_, s)| only_root.is_none_or(|only| s.root == only))
    {
        if already_applied(source, pinned, step, places, out)? {
            if let Some(stop) = verified::recheck_if_unverified(
                source,
                config,
                pinned,
                step,
                &pinned.head,
                None,
                places,
                who,
                out,
            )? {
                return Ok(stop);
            }
            continue;
        }
        // A root applied earlier whose health check failed stops the
        // roots after it, also when one is selected with --root.
        if let Some(stop) =
            verified::first_unverified(source, config, pinned, &steps[..at], places)?
        {
            return Ok(stop);
        }
        // The gate again, just before this root: earlier roots' applies
        // count for promotion order.
        let failing = failing_checks(&gate_of(source, config, pinned, &step.root)?, &[]);
        if !failing.is_empty() {
            return Ok(Outcome::Refused {
                root: step.root.clone(),
                reasons: failing,
            });
        }
        let held = match root::lock(places, pinned, &step.root, &step.approved)? {
            Ok(held) => held,
            Err(refused) => return Ok(refused),
        };
        let head = pinned.head.clone();
        if let Some(stop) = root::apply_root(
            source,
            config,
            pinned,
            &step.root,
            &step.approved,
            &head,
            &held,
            places,
            who,
            out,
        )? {
            return Ok(stop);
        }
    }
    let mut merged = None;
    if every_root_applied(source, pinned, &steps, places)? {
        if let Some(stop) = verified::first_unverified(source, config, pinned, &steps, places)? {
            return Ok(stop);
        }
        if let Some(refused) = gate_before_merge(source, config, pinned, &[])? {
            return Ok(refused);
        }
        merged = Some(merge_and_audit(
            source,
            request,
            &steps,
            MergePurpose::Applied,
            places,
            who,
        )?);
        if config.apply.delete_branch {
            delete_branch(source, pinned, out);
        }
    }
    Ok(Outcome::Applied { merged })
}

/// Approval gates the merge of the whole request: every root must pass its
/// gate (promotion aside: it is met by applying in order below). Then every
/// root is applied, in promotion order, from the merge commit.
#[allow(clippy::too_many_arguments)]
fn merge_then_apply(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    pinned: &Request,
    steps: Vec<Step>,
    reviews: &[RootReview],
    only_root: Option<&str>,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    if let Some(only) = only_root {
        if steps.len() != 1 || steps[0].root != only {
            return Ok(Outcome::Refused {
                root: only.to_string(),
                reasons: vec![format!(
                    "mode: merge-then-apply merges the whole request, so it applies all its {} roots; \
                     run `plandeck apply {}` without --root",
                    steps.len(),
                    request.id
                )],
            });
        }
    }
    for review in reviews {
        let failing = failing_checks(review, &["promotion"]);
        if !failing.is_empty() {
            return Ok(Outcome::Refused {
                root: review.report.root.clone(),
                reasons: failing,
            });
        }
    }
    // Every lock before the merge: once merged, every root is due.
    let mut held = Vec::new();
    for step in &steps {
        match root::lock(places, pinned, &step.root, &step.approved)? {
            Ok(h) => held.push(h),
            Err(refused) => return Ok(refused),
        }
    }
    // The gate again now that the locks are held: nothing recorded
    // between the first check and here may be skipped.
    if let Some(refused) = gate_before_merge(source, config, pinned, &["promotion"])? {
        return Ok(refused);
    }
    let commit = merge_and_audit(source, request, &steps, MergePurpose::ForApply, places, who)?;
    let _ = writeln!(out, "{}: merged as {commit}; applying from it", request.id);
    for (at, (step, held)) in steps.iter().zip(&held).enumerate() {
        let stop = if already_applied(source, pinned, step, places, out)? {
            verified::recheck_if_unverified(
                source,
                config,
                pinned,
                step,
                &commit,
                Some(held),
                places,
                who,
                out,
            )?
        } else {
            let failing = failing_checks(&gate_of(source, config, pinned, &step.root)?, &[]);
            if failing.is_empty() {
                root::apply_root(
                    source,
                    config,
                    pinned,
                    &step.root,
                    &step.approved,
                    &commit,
                    held,
                    places,
                    who,
                    out,
                )?
            } else {
                Some(Outcome::Refused {
                    root: step.root.clone(),
                    reasons: failing,
                })
            }
        };
        if let Some(stop) = stop {
            // The merge stands: say plainly what it left unapplied (a
            // failed verify's root did apply).
            let from = at + usize::from(matches!(stop, Outcome::VerifyFailed { .. }));
            let left: Vec<&str> = steps[from..].iter().map(|s| s.root.as_str()).collect();
            if !left.is_empty() {
                let _ = writeln!(
                    out,
                    "{}: merged as {commit}, but not applied: {}; `plandeck apply {}` resumes",
                    request.id,
                    left.join(", "),
                    request.id
                );
            }
            return Ok(stop);
        }
    }
    Ok(Outcome::Applied {
        merged: Some(commit),
    })
}

fn gate_of(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    root: &str,
) -> Result<RootReview, ExecError> {
    review_request(source, config, request, now())?
        .into_iter()
        .find(|r| r.report.root == root)
        .ok_or_else(|| ExecError::Io(format!("{root} vanished from the request")))
}

fn approved_digest(reviews: &[RootReview], root: &str) -> String {
    reviews
        .iter()
        .find(|r| r.report.root == root)
        .and_then(|r| r.facts.as_ref())
        .map(|f| f.digest.clone())
        .unwrap_or_default()
}

/// Whether `step` already applied at this head with its approved digest,
/// on the executor's own evidence: an `apply-succeeded` decision whose
/// audit proof matches it *and* names an entry of this executor's audit
/// log. A note alone (written by hand, or copied from another clone) is
/// never evidence: such a root goes through the gate and a fresh plan,
/// where a no-op plan confirms an apply recorded elsewhere (the state check).
fn already_applied(
    source: &dyn Backend,
    request: &Request,
    step: &Step,
    places: &Places,
    out: &mut dyn Write,
) -> Result<bool, ExecError> {
    let decisions = source.decisions(request)?;
    let evidence = Evidence::read(places)?;
    let applied = evidence.has_applied(&decisions, request, &step.root, &step.approved);
    if applied {
        let _ = writeln!(
            out,
            "{}: already applied at {} with the approved {}; skipped",
            step.root,
            &request.head[..request.head.len().min(8)],
            step.approved
        );
    }
    Ok(applied)
}

/// The entries of the executor's own audit log, by hash.
pub(crate) struct Evidence {
    log_id: String,
    hashes: std::collections::HashSet<String>,
}

impl Evidence {
    pub(crate) fn read(places: &Places) -> Result<Self, ExecError> {
        Ok(Self {
            log_id: places.audit.log_id()?,
            // Only whole, intact entries are evidence; a damaged line is not.
            hashes: places
                .audit
                .read_lines()?
                .into_iter()
                .flatten()
                .filter(|r| {
                    r.is_intact()
                        && matches!(
                            r.entry.action,
                            AuditAction::ApplySucceeded | AuditAction::ApplyChecked
                        )
                })
                .map(|r| r.hash)
                .collect(),
        })
    }

    fn has_applied(
        &self,
        decisions: &[Decision],
        request: &Request,
        root: &str,
        digest: &str,
    ) -> bool {
        !digest.is_empty()
            && decisions.iter().any(|d| {
                d.kind == DecisionKind::ApplySucceeded
                    && d.root == root
                    && d.head == request.head
                    && d.digest == digest
                    && self.is_own(d)
            })
    }

    /// The decision's proof matches it and names an entry of this log.
    pub(crate) fn is_own(&self, d: &Decision) -> bool {
        d.proof_state() == crate::review::ProofState::Matches
            && d.audit
                .as_ref()
                .is_some_and(|p| p.log == self.log_id && self.hashes.contains(&p.hash))
    }
}

/// Merges the request and records the merge: the request's head, each
/// root with its approved digest, and the merge commit.
fn merge_and_audit(
    source: &dyn Backend,
    request: &Request,
    steps: &[Step],
    purpose: MergePurpose,
    places: &Places,
    who: &Identity,
) -> Result<String, ExecError> {
    let pairs: Vec<(String, String)> = steps
        .iter()
        .map(|s| (s.root.clone(), s.approved.clone()))
        .collect();
    let commit = source.merge(request, &pairs, purpose)?;
    let listed: Vec<String> = pairs.iter().map(|(r, d)| format!("{r}={d}")).collect();
    let mut entry = AuditEntry::new(who.clone(), AuditAction::Merge, request.id.clone());
    entry.head = Some(request.head.clone());
    entry.comment = Some(format!("merge commit {commit}; {}", listed.join(" ")));
    entry.details = Some(serde_json::json!({
        "merge_commit": commit,
        "roots": pairs
            .iter()
            .map(|(r, d)| serde_json::json!({"root": r, "digest": d}))
            .collect::<Vec<_>>(),
    }));
    record::append(places, entry)?;
    Ok(commit)
}

/// Deletes the merged request's branch, saying so; a branch that cannot
/// go (moved, checked out) is said and kept: the apply and merge stand.
fn delete_branch(source: &dyn Backend, request: &Request, out: &mut dyn Write) {
    let id = crate::sanitize::escape(&request.id).text.into_owned();
    let line = match source.delete_branch(request) {
        Ok(true) => format!("deleted branch {id}"),
        Ok(false) => return,
        Err(e) => format!("warning: branch {id} kept: {e}"),
    };
    let _ = writeln!(out, "{line}");
}

/// The gate checks that fail, `ignored` aside; approvals do not count for
/// auto-applied roots.
fn failing_checks(review: &RootReview, ignored: &[&str]) -> Vec<String> {
    review
        .apply_blockers()
        .into_iter()
        .filter(|c| !ignored.contains(&c.name))
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

fn every_root_applied(
    source: &dyn Backend,
    request: &Request,
    steps: &[Step],
    places: &Places,
) -> Result<bool, ExecError> {
    let decisions = source.decisions(request)?;
    let evidence = Evidence::read(places)?;
    Ok(!steps.is_empty()
        && steps
            .iter()
            .all(|s| evidence.has_applied(&decisions, request, &s.root, &s.approved)))
}

/// The gate of every root again, right before a merge: a merge happens
/// only when each passes at that moment (`ignored` checks aside). The
/// reasons of the first root that fails, if one does.
fn gate_before_merge(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    ignored: &[&str],
) -> Result<Option<Outcome>, ExecError> {
    for review in review_request(source, config, request, now())? {
        let mut failing = failing_checks(&review, ignored);
        if !failing.is_empty() {
            failing.push("merge: refused, the gate of every root must pass at the merge".into());
            return Ok(Some(Outcome::Refused {
                root: review.report.root.clone(),
                reasons: failing,
            }));
        }
    }
    Ok(None)
}

/// Applies interrupted by a killed process: their lock is stale. Each is
/// claimed (by one process only), reconciled from the state and recorded:
/// the root is planned again at the commit the apply ran from, and a
/// no-op plan means the approved change is in the state ("applied"), any
/// other outcome "failed". So an apply killed right after Terraform
/// succeeded is never taken for drift on the next run.
fn record_interrupted(
    source: &dyn Backend,
    config: &Config,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<(), ExecError> {
    for dir in crate::tofu::prune_stale(source) {
        let _ = writeln!(
            out,
            "removed the workspace of an interrupted run: {}",
            crate::sanitize::escape(&dir.display().to_string()).text
        );
    }
    for stale in lock::take_over_stale(&places.locks) {
        // A merged-for-apply request is no longer open but still recorded.
        let found = match source.resolve_request(&stale.request) {
            Ok(request) => {
                let head = request.head.clone();
                Some((request, head))
            }
            Err(_) => source
                .merged_for_apply(&stale.request)
                .ok()
                .flatten()
                .map(|m| (m.request, m.merge)),
        };
        let Some((request, commit)) = found else {
            let _ = writeln!(
                out,
                "{}: the apply of {} by pid {} was interrupted, and the request is gone (log kept: {})",
                stale.root,
                stale.request,
                stale.pid,
                stale.log.display()
            );
            continue;
        };
        let (kind, verdict) = root::reconcile(source, config, &commit, &stale.root);
        let _ = writeln!(
            out,
            "{}: the apply of {} by pid {} was interrupted (log kept: {}); {verdict}",
            stale.root,
            stale.request,
            stale.pid,
            stale.log.display()
        );
        record(
            source,
            places,
            who,
            &request,
            &stale.root,
            &stale.digest,
            kind,
            Some(format!(
                "interrupted: process {} ended mid-apply; {verdict}; log {}",
                stale.pid,
                stale.log.display()
            )),
        )?;
    }
    Ok(())
}

/// The executor's places for a repository and the user's data dir.
pub fn places(source: &dyn Backend, data_dir: &Path) -> Result<Places, ExecError> {
    Ok(Places {
        locks: locks_dir(source)?,
        logs: data_dir.join("logs"),
        audit: AuditLog::open(data_dir.join("audit.log")),
    })
}

/// Where the repository's apply locks live: `<git-dir>/plandeck/locks`.
pub fn locks_dir(source: &dyn Backend) -> Result<PathBuf, ExecError> {
    Ok(source.state_dir()?.join("locks"))
}
