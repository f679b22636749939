//! The local executor: applies exactly the approved plan, or refuses.
//!
//! For each root of a request, in promotion order: the gate must pass;
//! the root is locked; it is planned again in a worktree of the approved
//! head (`plan -out`); only if the fresh plan's digest equals the approved
//! digest is *that plan file* applied. A different digest is drift: the
//! apply is refused, a block is recorded and the difference is shown.
//! Every start, result, block and merge is audited. This module writes to
//! `out` for the operator; it never reads the terminal.

mod lock;
mod merge;
mod run;

pub use lock::{LockInfo, stale_locks};

use crate::audit::{AuditAction, AuditEntry, AuditLog};
use crate::config::{ApplyMode, Config};
use crate::review::{Decision, DecisionKind};
use crate::source::gate::{RootReview, review_request};
use crate::source::git::GitSource;
use crate::source::{Identity, Request, Source, SourceError};
use crate::tofu::{self, Workspace};
use lock::{LockError, RootLock};
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
    /// The apply ran and failed; the request stays open.
    Failed { root: String, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}")]
    Io(String),
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

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Roots sorted so that an environment comes after those it must follow.
fn promotion_order(reviews: &mut [RootReview]) {
    let depth = |r: &RootReview| r.policy.after.len() + usize::from(r.policy.environment == "prod");
    reviews.sort_by_key(depth);
}

/// Applies a request's roots (or one) under the gate, then merges or not by mode.
pub fn apply_request(
    source: &GitSource,
    config: &Config,
    request: &Request,
    only_root: Option<&str>,
    places: &Places,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    let who = source.reviewer()?;
    record_interrupted(source, places, &who, out)?;
    let mut reviews = review_request(source, config, request, now())?;
    promotion_order(&mut reviews);
    let order: Vec<String> = reviews
        .iter()
        .map(|r| r.report.root.clone())
        .filter(|root| only_root.is_none_or(|only| root == only))
        .collect();
    let mode = config.apply.mode;
    let mut merged = None;
    let commit = if mode == ApplyMode::MergeThenApply {
        // Approval gates the merge: every selected root must pass first.
        for review in reviews.iter().filter(|r| order.contains(&r.report.root)) {
            let failing = failing_checks(review);
            if !failing.is_empty() {
                return Ok(Outcome::Refused {
                    root: review.report.root.clone(),
                    reasons: failing,
                });
            }
        }
        let commit = merge_and_audit(source, request, &reviews, places, &who)?;
        merged = Some(commit.clone());
        commit
    } else {
        request.head.clone()
    };
    for root in &order {
        // The gate again, just before this root: earlier roots' applies
        // count for promotion order.
        let review = review_request(source, config, request, now())?
            .into_iter()
            .find(|r| &r.report.root == root)
            .ok_or_else(|| ExecError::Io(format!("{root} vanished from the request")))?;
        let failing = failing_checks(&review);
        if !failing.is_empty() && mode == ApplyMode::ApplyThenMerge {
            return Ok(Outcome::Refused {
                root: root.clone(),
                reasons: failing,
            });
        }
        if let Some(stop) =
            apply_root(source, config, request, &review, &commit, places, &who, out)?
        {
            return Ok(stop);
        }
    }
    if mode == ApplyMode::ApplyThenMerge && every_root_applied(source, request)? {
        let commit = merge_and_audit(source, request, &reviews, places, &who)?;
        merged = Some(commit);
    }
    Ok(Outcome::Applied { merged })
}

/// Merges the request and records the merge in the audit log.
fn merge_and_audit(
    source: &GitSource,
    request: &Request,
    reviews: &[RootReview],
    places: &Places,
    who: &Identity,
) -> Result<String, ExecError> {
    let commit = merge::merge_request(source, request, &digests(reviews))?;
    audit(
        places,
        who,
        AuditAction::Merge,
        request,
        None,
        Some(&commit),
        None,
        None,
    )?;
    Ok(commit)
}

/// The gate checks that fail; approvals do not count for auto-applied roots.
fn failing_checks(review: &RootReview) -> Vec<String> {
    review
        .report
        .checks
        .iter()
        .filter(|c| !(c.passed || (review.policy.auto_apply && c.name == "approvals")))
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect()
}

fn digests(reviews: &[RootReview]) -> Vec<(String, String)> {
    reviews
        .iter()
        .map(|r| {
            (
                r.report.root.clone(),
                r.facts
                    .as_ref()
                    .map(|f| f.digest.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn every_root_applied(source: &GitSource, request: &Request) -> Result<bool, ExecError> {
    let decisions = source.decisions(request)?;
    Ok(request.roots.iter().all(|root| {
        decisions.iter().any(|d| {
            d.kind == DecisionKind::ApplySucceeded && d.root == root.path && d.head == request.head
        })
    }))
}

#[allow(clippy::too_many_arguments)]
fn apply_root(
    source: &GitSource,
    config: &Config,
    request: &Request,
    review: &RootReview,
    commit: &str,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Option<Outcome>, ExecError> {
    let root = review.report.root.clone();
    let approved = review
        .facts
        .as_ref()
        .map(|f| f.digest.clone())
        .unwrap_or_default();
    std::fs::create_dir_all(&places.logs)?;
    let log = places.logs.join(format!(
        "{}-{}-{}.log",
        crate::source::store::encode(&request.id)?,
        crate::source::store::encode(&root)?,
        now()
    ));
    let info = LockInfo {
        pid: std::process::id(),
        started_at: now(),
        request: request.id.clone(),
        root: root.clone(),
        digest: approved.clone(),
        log: log.clone(),
    };
    let _lock = match RootLock::acquire(&places.locks, &root, &info) {
        Ok((lock, _)) => lock,
        Err(LockError::Held(held)) => {
            return Ok(Some(Outcome::Refused {
                root,
                reasons: vec![format!(
                    "lock: {} is being applied by pid {} for {}",
                    held.root, held.pid, held.request
                )],
            }));
        }
        Err(LockError::Io(e)) => return Err(ExecError::Io(e)),
    };
    writeln!(
        out,
        "{root}: planning again at {}",
        &commit[..commit.len().min(8)]
    )?;
    audit(
        places,
        who,
        AuditAction::ApplyStarted,
        request,
        Some(&root),
        Some(commit),
        Some(&approved),
        None,
    )?;
    let binary = tofu::choose_binary(&config.tofu);
    let mut workspace = Workspace::create(source, commit)?;
    let fresh = match workspace.plan(&binary, &root) {
        Ok(fresh) => fresh,
        Err(e) => {
            return failed(
                source,
                request,
                &root,
                &approved,
                places,
                who,
                format!("planning failed: {e}"),
            )
            .map(Some);
        }
    };
    let fresh_plan = crate::plan::parse_plan_text(std::sync::Arc::new(
        String::from_utf8_lossy(&fresh.plan_json).into_owned(),
    ))
    .map_err(|e| ExecError::Io(format!("the fresh plan of {root} could not be read: {e}")))?;
    if fresh_plan.digest != approved {
        drift(
            source,
            request,
            &root,
            &approved,
            &fresh_plan,
            places,
            who,
            out,
        )?;
        return Ok(Some(Outcome::Drift {
            root,
            approved,
            fresh: fresh_plan.digest,
        }));
    }
    writeln!(
        out,
        "{root}: the fresh plan matches the approved {approved}; applying it"
    )?;
    let root_dir = workspace.worktree().join(&root);
    let finished = run::apply(&binary, &root_dir, &fresh.plan_file, &log, out)?;
    workspace.remove()?;
    if !finished.success {
        let reason = if finished.state_locked {
            "the state is locked by another run".to_string()
        } else {
            format!(
                "apply exited with {}",
                finished.code.map_or("a signal".into(), |c| c.to_string())
            )
        };
        return failed(source, request, &root, &approved, places, who, reason).map(Some);
    }
    record(
        source,
        places,
        who,
        request,
        &root,
        &approved,
        DecisionKind::ApplySucceeded,
        Some(format!("log: {}", log.display())),
    )?;
    writeln!(out, "{root}: applied (log {})", log.display())?;
    Ok(None)
}

#[allow(clippy::too_many_arguments)]
fn drift(
    source: &GitSource,
    request: &Request,
    root: &str,
    approved: &str,
    fresh: &crate::plan::Plan,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<(), ExecError> {
    writeln!(
        out,
        "{root}: DRIFT: the fresh plan {} differs from the approved {approved}; not applied",
        fresh.digest
    )?;
    if let Some(old) = source.plan_by_digest(request, root, approved)? {
        let risk = crate::risk::RiskPolicy::default();
        let thresholds = crate::cost::CostThresholds::default();
        let options = crate::render::RenderOptions::default();
        let ctx = crate::render::RenderContext {
            risk: &risk,
            cost: None,
            cost_thresholds: &thresholds,
            options: &options,
        };
        let lines = crate::delta::delta_lines(&crate::delta::compare(&old, fresh), &ctx);
        crate::render::ansi::write_lines(out, &lines, false)?;
    }
    let comment = format!(
        "drift: the fresh plan {} differs from the approved one",
        fresh.digest
    );
    let decision = Decision {
        kind: DecisionKind::Block,
        request: request.id.clone(),
        root: root.to_string(),
        head: request.head.clone(),
        digest: approved.to_string(),
        who: who.clone(),
        at: now(),
        comment: Some(comment.clone()),
        viewed_destructive: Vec::new(),
    };
    source.record_decision(&decision)?;
    audit(
        places,
        who,
        AuditAction::DriftBlock,
        request,
        Some(root),
        Some(&request.head),
        Some(approved),
        Some(comment),
    )?;
    Ok(())
}

fn failed(
    source: &GitSource,
    request: &Request,
    root: &str,
    approved: &str,
    places: &Places,
    who: &Identity,
    reason: String,
) -> Result<Outcome, ExecError> {
    record(
        source,
        places,
        who,
        request,
        root,
        approved,
        DecisionKind::ApplyFailed,
        Some(reason.clone()),
    )?;
    Ok(Outcome::Failed {
        root: root.to_string(),
        reason,
    })
}

#[allow(clippy::too_many_arguments)]
fn record(
    source: &GitSource,
    places: &Places,
    who: &Identity,
    request: &Request,
    root: &str,
    digest: &str,
    kind: DecisionKind,
    comment: Option<String>,
) -> Result<(), ExecError> {
    let decision = Decision {
        kind,
        request: request.id.clone(),
        root: root.to_string(),
        head: request.head.clone(),
        digest: digest.to_string(),
        who: who.clone(),
        at: now(),
        comment,
        viewed_destructive: Vec::new(),
    };
    source.record_decision(&decision)?;
    crate::audit_trail::record_decision_in(&places.audit, &decision)
        .map_err(|e| ExecError::Io(e.to_string()))?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn audit(
    places: &Places,
    who: &Identity,
    action: AuditAction,
    request: &Request,
    root: Option<&str>,
    head: Option<&str>,
    digest: Option<&str>,
    comment: Option<String>,
) -> Result<(), ExecError> {
    let mut entry = AuditEntry::new(who.clone(), action, request.id.clone());
    entry.root = root.map(str::to_string);
    entry.head = head.map(str::to_string);
    entry.digest = digest.map(str::to_string);
    entry.comment = comment;
    places
        .audit
        .append(entry)
        .map_err(|e| ExecError::Io(e.to_string()))?;
    Ok(())
}

/// Applies interrupted by a killed process: their lock is stale. Each is
/// reported, recorded as failed (with its log), and its lock removed.
fn record_interrupted(
    source: &GitSource,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<(), ExecError> {
    for stale in stale_locks(&places.locks) {
        writeln!(
            out,
            "{}: the apply of {} by pid {} was interrupted (log kept: {}); recorded as failed",
            stale.root,
            stale.request,
            stale.pid,
            stale.log.display()
        )?;
        if let Ok(request) = source.resolve_request(&stale.request) {
            record(
                source,
                places,
                who,
                &request,
                &stale.root,
                &stale.digest,
                DecisionKind::ApplyFailed,
                Some(format!(
                    "interrupted: process {} ended mid-apply; log {}",
                    stale.pid,
                    stale.log.display()
                )),
            )?;
        }
        let path = places.locks.join(format!(
            "{}.json",
            crate::source::store::encode(&stale.root)?
        ));
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// The executor's places for a repository and the user's data dir.
pub fn places(source: &GitSource, data_dir: &Path) -> Result<Places, ExecError> {
    let git_dir = source.git(&["rev-parse", "--git-common-dir"])?;
    let git_dir = source.repo().join(git_dir.trim());
    Ok(Places {
        locks: git_dir.join("plandeck").join("locks"),
        logs: data_dir.join("logs"),
        audit: AuditLog::open(data_dir.join("audit.log")),
    })
}
