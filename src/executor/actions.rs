//! The github-actions executor: each root's apply runs on a GitHub Actions
//! runner, as a dispatch of the apply workflow with the request, root,
//! approved head and digest. Every root's gate is checked before any call
//! (a failing one refuses with nothing dispatched); independent roots are
//! dispatched side by side, and a root waits for the roots of the
//! environments it comes `after` until their runs succeeded (then its gate
//! is checked again). Each run is followed to its end: status, then each
//! step as it changes, then the job's log, all into `out`. The outcome is
//! audited and set as the root's commit status; GitHub's record of the
//! successful run is the apply's decision (`apply-succeeded`, attested).
//! Once every root of the request applied at its head, the gate of every
//! root is checked once more and the pull request merged at that head. In
//! merge-then-apply the merge comes first (every gate passing, promotion
//! aside), and the runs apply the approved plans from the merge commit;
//! `plandeck apply` on the merged pull request resumes the roots left.
//! Cancelling (the TUI's cancel, quitting) cancels the running runs.

use super::record::audit;
use super::{
    ExecError, Outcome, Places, Step, delete_branch, failing_checks, gate_before_merge, gate_of,
    merge_and_audit, prepare,
};
use crate::audit::AuditAction;
use crate::backend::prelude::*;
use crate::backend::{DispatchedRun, MergePurpose, RootStatus, RunProgress};
use crate::config::Config;
use crate::domain::{Decision, DecisionKind, Identity, Request};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How often a follower looks whether it was cancelled while it waits.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What a root's follower reports.
enum Event {
    Dispatched(DispatchedRun),
    /// A line of progress (status, a step, a log line), raw.
    Line(String),
    Finished(Result<RunProgress, String>),
}

/// Applies a request merged for apply earlier (merge-then-apply) whose
/// roots did not all apply: the roots left, in promotion order.
pub fn resume_on_actions(
    source: &dyn Backend,
    config: &Config,
    merged: &crate::domain::MergedRequest,
    only_root: Option<&str>,
    places: &Places,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    let who = source.reviewer()?;
    apply_on_actions(
        source,
        config,
        &merged.request,
        Some(&merged.merge),
        only_root,
        places,
        &who,
        out,
    )
}

/// Applies the request's roots (or one) on GitHub Actions, merging after
/// (apply-then-merge) or before (merge-then-apply; `merged`: the merge
/// commit when that merge happened earlier).
#[allow(clippy::too_many_arguments)]
pub(super) fn apply_on_actions(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    merged: Option<&str>,
    only_root: Option<&str>,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    let merge_first = config.apply.mode == crate::config::ApplyMode::MergeThenApply;
    let (pinned, reviews, steps) = prepare(source, config, request)?;
    if let Some(only) = only_root.filter(|_| merge_first) {
        if steps.len() != 1 || steps[0].root != only {
            return Ok(Outcome::Refused {
                root: only.to_string(),
                reasons: vec![format!(
                    "mode: merge-then-apply merges the whole request, so it applies all its {} \
                     roots; run `plandeck apply {}` without --root",
                    steps.len(),
                    request.id
                )],
            });
        }
    }
    let environments: HashMap<String, String> = crate::source::gate::root_environments(&pinned)
        .into_iter()
        .collect();
    // A root waits for the roots of its request in the environments it
    // comes after.
    let waits_for = |root: &str| -> Vec<String> {
        let env = environments.get(root).cloned().unwrap_or_default();
        let after = config
            .environments
            .get(&env)
            .map(|e| e.after.clone())
            .unwrap_or_default();
        steps
            .iter()
            .filter(|s| s.root != root)
            .filter(|s| environments.get(&s.root).is_some_and(|e| after.contains(e)))
            .map(|s| s.root.clone())
            .collect()
    };
    let selected: Vec<&Step> = steps
        .iter()
        .filter(|s| only_root.is_none_or(|only| s.root == only))
        .collect();
    let mut done: HashSet<String> = HashSet::new();
    let decisions = source.decisions(&pinned)?;
    for step in &steps {
        if applied_by_run(&decisions, &pinned, &step.root, &step.approved) {
            done.insert(step.root.clone());
        }
    }
    // Every gate before any call. Promotion is left to the runs below
    // only where what the root waits for is applied by this very run.
    for step in selected.iter().filter(|s| !done.contains(&s.root)) {
        let waits = waits_for(&step.root);
        let in_run = !waits.is_empty()
            && waits
                .iter()
                .all(|w| done.contains(w) || selected.iter().any(|s| s.root == *w));
        // Before a merge-then-apply's merge, applying in order meets it.
        let ignored: &[&str] = if in_run || (merge_first && merged.is_none()) {
            &["promotion"]
        } else {
            &[]
        };
        let review = reviews
            .iter()
            .find(|r| r.report.root == step.root)
            .ok_or_else(|| ExecError::Io(format!("{} vanished from the request", step.root)))?;
        let failing = failing_checks(review, ignored);
        if !failing.is_empty() {
            return Ok(Outcome::Refused {
                root: step.root.clone(),
                reasons: failing,
            });
        }
    }
    for step in selected.iter().filter(|s| done.contains(&s.root)) {
        let _ = writeln!(
            out,
            "{}: already applied at {} with the approved {} (GitHub Actions); skipped",
            step.root,
            short(&pinned.head),
            step.approved
        );
    }

    let merged: Option<String> = match merged {
        Some(commit) => Some(commit.to_string()),
        None if merge_first => {
            if let Some(refused) = gate_before_merge(source, config, &pinned, &["promotion"])? {
                return Ok(refused);
            }
            let commit =
                merge_and_audit(source, request, &steps, MergePurpose::ForApply, places, who)?;
            let _ = writeln!(out, "{}: merged as {commit}; applying from it", request.id);
            Some(commit)
        }
        None => None,
    };
    let poll = Duration::from_millis(config.github.poll_interval_ms);
    let mut applied_now: Vec<String> = Vec::new();
    let cancelled = AtomicBool::new(false);
    let mut stop: Option<Outcome> = None;
    let mut pending: Vec<&Step> = selected
        .iter()
        .copied()
        .filter(|s| !done.contains(&s.root))
        .collect();
    std::thread::scope(|scope| -> Result<(), ExecError> {
        let (tx, rx) = mpsc::channel::<(String, Event)>();
        let mut running: HashSet<String> = HashSet::new();
        let mut runs: HashMap<String, u64> = HashMap::new();
        loop {
            // Start whatever waits for nothing that is not done.
            if stop.is_none() && !cancelled.load(Ordering::SeqCst) {
                let mut started = false;
                for step in pending.clone() {
                    let waits = waits_for(&step.root);
                    if waits.iter().any(|w| !done.contains(w)) {
                        continue;
                    }
                    if !waits.is_empty() {
                        // Its earlier environments applied: the whole gate now.
                        let failing =
                            failing_checks(&gate_of(source, config, &pinned, &step.root)?, &[]);
                        if !failing.is_empty() {
                            stop = Some(Outcome::Refused {
                                root: step.root.clone(),
                                reasons: failing,
                            });
                            break;
                        }
                    }
                    pending.retain(|s| s.root != step.root);
                    running.insert(step.root.clone());
                    started = true;
                    audit(
                        places,
                        who,
                        AuditAction::ApplyStarted,
                        &pinned,
                        Some(&step.root),
                        Some(&pinned.head),
                        Some(&step.approved),
                        Some("dispatched to GitHub Actions".into()),
                    )?;
                    let tx = tx.clone();
                    let (root, digest) = (step.root.clone(), step.approved.clone());
                    let (pinned, cancelled) = (&pinned, &cancelled);
                    scope.spawn(move || {
                        follow(source, pinned, &root, &digest, poll, cancelled, &|event| {
                            let _ = tx.send((root.clone(), event));
                        })
                    });
                }
                if !started && running.is_empty() {
                    break;
                }
            } else if running.is_empty() {
                break;
            }
            let Ok((root, event)) = rx.recv_timeout(CANCEL_POLL) else {
                if crate::tofu::guard::current_cancelled() {
                    cancelled.store(true, Ordering::SeqCst);
                }
                continue;
            };
            match event {
                Event::Dispatched(run) => {
                    let how = if run.searched {
                        "; GitHub named no run (204), so it was found by workflow, event, \
                         actor, branch, creation time and title"
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "{root}: dispatched run {} ({}){how}", run.id, run.url);
                    runs.insert(root, run.id);
                }
                Event::Line(line) => {
                    let _ = writeln!(out, "{root}: {line}");
                }
                Event::Finished(result) => {
                    running.remove(&root);
                    let digest = steps
                        .iter()
                        .find(|s| s.root == root)
                        .map(|s| s.approved.clone())
                        .unwrap_or_default();
                    let run = runs.get(&root).copied();
                    let ended = finish(source, places, who, &pinned, &root, &digest, run, result)?;
                    let _ = writeln!(out, "{root}: {}", ended.line);
                    if ended.succeeded {
                        applied_now.push(root.clone());
                        done.insert(root);
                    } else if stop.is_none() {
                        stop = Some(Outcome::Failed {
                            root,
                            reason: ended.line,
                        });
                    }
                }
            }
        }
        Ok(())
    })?;
    let stop = stop.or_else(|| {
        cancelled.load(Ordering::SeqCst).then(|| Outcome::Failed {
            root: pinned.id.clone(),
            reason: "cancelled".into(),
        })
    });
    // What never started waits for a root applied with another plan.
    let stop = stop.or_else(|| {
        pending.first().map(|step| {
            let waits: Vec<String> = waits_for(&step.root)
                .into_iter()
                .filter(|w| !done.contains(w))
                .collect();
            Outcome::Refused {
                root: step.root.clone(),
                reasons: vec![format!(
                    "promotion: must apply first, with its approved plan at this head: {}",
                    waits.join(", ")
                )],
            }
        })
    });
    if let Some(stop) = stop {
        if let Some(commit) = &merged {
            // The merge stands: say plainly what it left unapplied.
            let left: Vec<&str> = steps
                .iter()
                .map(|s| s.root.as_str())
                .filter(|r| !done.contains(*r))
                .collect();
            let _ = writeln!(
                out,
                "{}: merged as {commit}, but not applied: {}; `plandeck apply {}` resumes",
                pinned.id,
                left.join(", "),
                pinned.id
            );
        }
        return Ok(stop);
    }
    if let Some(commit) = merged {
        return Ok(if merge_first && applied_now.len() == steps.len() {
            Outcome::Applied {
                merged: Some(commit),
            }
        } else {
            Outcome::Complete {
                merged: commit,
                applied: applied_now,
            }
        });
    }
    // The merge waits for every root of the request, on GitHub's word.
    let decisions = source.decisions(&pinned)?;
    let every = steps
        .iter()
        .all(|s| applied_by_run(&decisions, &pinned, &s.root, &s.approved));
    if !every {
        return Ok(Outcome::Applied { merged: None });
    }
    if let Some(refused) = gate_before_merge(source, config, &pinned, &[])? {
        return Ok(refused);
    }
    let merged = merge_and_audit(source, request, &steps, MergePurpose::Applied, places, who)?;
    if config.apply.delete_branch {
        delete_branch(source, &pinned, out);
    }
    Ok(Outcome::Applied {
        merged: Some(merged),
    })
}

/// Whether GitHub vouches that `root` applied `digest` at the request's
/// head: a successful run of the apply workflow (never a review or note).
fn applied_by_run(decisions: &[Decision], request: &Request, root: &str, digest: &str) -> bool {
    !digest.is_empty()
        && decisions.iter().any(|d| {
            d.kind == DecisionKind::ApplySucceeded
                && d.root == root
                && d.head == request.head
                && d.digest == digest
                && d.attested
                    .as_ref()
                    .is_some_and(|a| a.id.starts_with("run:"))
                && d.proof_state() == crate::domain::ProofState::Matches
        })
}

/// Dispatches one root's run and follows it to its end, cancelling it
/// once `cancelled` is set.
fn follow(
    source: &dyn Backend,
    request: &Request,
    root: &str,
    digest: &str,
    poll: Duration,
    cancelled: &AtomicBool,
    send: &dyn Fn(Event),
) {
    let run = match source.dispatch_apply(request, root, digest) {
        Ok(run) => run,
        Err(e) => return send(Event::Finished(Err(format!("dispatch failed: {e}")))),
    };
    let id = run.id;
    send(Event::Dispatched(run));
    let mut shown: Vec<String> = Vec::new();
    let mut asked_to_cancel = false;
    let mut failures = 0;
    loop {
        if cancelled.load(Ordering::SeqCst) && !asked_to_cancel {
            asked_to_cancel = true;
            match source.cancel_apply_run(id) {
                Ok(()) => send(Event::Line(format!("asked GitHub to cancel run {id}"))),
                Err(e) => send(Event::Line(format!("cancelling run {id}: {e}"))),
            }
        }
        let progress = match source.apply_run(id) {
            Ok(progress) => progress,
            // A bad moment of the API does not end the run: look again.
            Err(e) if failures < 5 => {
                failures += 1;
                send(Event::Line(format!("run {id}: {e}; looking again")));
                wait(poll, cancelled, asked_to_cancel);
                continue;
            }
            Err(e) => return send(Event::Finished(Err(format!("run {id}: {e}")))),
        };
        failures = 0;
        for line in progress_lines(&progress) {
            if !shown.contains(&line) {
                send(Event::Line(line.clone()));
                shown.push(line);
            }
        }
        if progress.completed() {
            for job in &progress.jobs {
                match source.apply_run_log(job.id) {
                    Ok(log) => {
                        for line in log.lines() {
                            send(Event::Line(format!("| {line}")));
                        }
                    }
                    Err(e) => send(Event::Line(format!("the log of job {}: {e}", job.id))),
                }
            }
            return send(Event::Finished(Ok(progress)));
        }
        wait(poll, cancelled, asked_to_cancel);
    }
}

/// Sleeps `poll`, waking early when a cancel is due.
fn wait(poll: Duration, cancelled: &AtomicBool, asked: bool) {
    let mut left = poll;
    while !left.is_zero() {
        if cancelled.load(Ordering::SeqCst) && !asked {
            return;
        }
        let nap = left.min(CANCEL_POLL);
        std::thread::sleep(nap);
        left -= nap;
    }
}

/// The run's status and each job's steps, a line each.
fn progress_lines(progress: &RunProgress) -> Vec<String> {
    let mut lines = vec![format!("run {} {}", progress.id, progress.status)];
    for job in &progress.jobs {
        let total = job.steps.len();
        for step in &job.steps {
            if step.status == "queued" || step.status == "pending" {
                continue;
            }
            let state = match &step.conclusion {
                Some(conclusion) => conclusion.clone(),
                None => step.status.clone(),
            };
            lines.push(format!(
                "{} step {}/{total} {}: {state}",
                job.name, step.number, step.name
            ));
        }
    }
    lines
}

struct Ended {
    succeeded: bool,
    line: String,
}

/// Records how a root's run ended: the audit log and its commit status.
#[allow(clippy::too_many_arguments)]
fn finish(
    source: &dyn Backend,
    places: &Places,
    who: &Identity,
    request: &Request,
    root: &str,
    digest: &str,
    run: Option<u64>,
    result: Result<RunProgress, String>,
) -> Result<Ended, ExecError> {
    let (succeeded, line) = match &result {
        Ok(progress) if progress.succeeded() => (
            true,
            format!("applied {digest} by GitHub Actions run {}", progress.id),
        ),
        Ok(progress) => (
            false,
            format!(
                "GitHub Actions run {} ended {}: not applied, or the apply failed (its log says which)",
                progress.id,
                progress
                    .conclusion
                    .as_deref()
                    .unwrap_or("without a conclusion")
            ),
        ),
        Err(why) => (false, why.clone()),
    };
    let action = if succeeded {
        AuditAction::ApplySucceeded
    } else {
        AuditAction::ApplyFailed
    };
    let url = result.as_ref().map(|p| p.url.clone()).unwrap_or_default();
    audit(
        places,
        who,
        action,
        request,
        Some(root),
        Some(&request.head),
        Some(digest),
        Some(match run {
            Some(id) => format!("{line} ({url}; run {id})"),
            None => line.clone(),
        }),
    )?;
    let status = if succeeded {
        RootStatus::Success
    } else {
        RootStatus::Failure
    };
    let description = match run {
        Some(id) if succeeded => format!("applied by run {id}"),
        Some(id) => format!("apply run {id} did not succeed"),
        None => "apply not dispatched".to_string(),
    };
    if let Err(e) = source.set_status(request, root, status, &description) {
        return Ok(Ended {
            succeeded,
            line: format!("{line}; warning: status not set: {e}"),
        });
    }
    Ok(Ended { succeeded, line })
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(8)]
}
