//! Applying one root: plan again at the commit to apply, compare the fresh
//! plan's digest with the approved one, apply exactly that plan file, and
//! record the result. Drift records a block; a state locked by another run
//! is a refusal (nothing was attempted).

use super::check::{self, Subject};
use super::lock::{LockError, LockInfo, RootLock};
use super::record::{audit, now, record};
use super::{ExecError, Outcome, Places, run};
use crate::audit::AuditAction;
use crate::backend::prelude::*;
use crate::config::Config;
use crate::review::{Decision, DecisionKind};
use crate::source::{Identity, Request};
use crate::tofu::{self, Workspace};
use std::io::Write;
use std::path::PathBuf;

/// Terraform's and OpenTofu's words when another run holds the state lock.
const STATE_LOCKED: &str = "Error acquiring the state lock";

/// A root's lock and the log its apply writes.
pub struct Held {
    _lock: RootLock,
    pub log: PathBuf,
}

/// Takes the executor's lock of `root`; `Err(outcome)` when another live
/// apply holds it.
pub fn lock(
    places: &Places,
    request: &Request,
    root: &str,
    approved: &str,
) -> Result<Result<Held, Outcome>, ExecError> {
    std::fs::create_dir_all(&places.logs)?;
    let log = places.logs.join(format!(
        "{}-{}-{}.log",
        crate::source::store::encode(&request.id)?,
        crate::source::store::encode(root)?,
        now()
    ));
    let info = LockInfo {
        pid: std::process::id(),
        started_at: now(),
        request: request.id.clone(),
        root: root.to_string(),
        digest: approved.to_string(),
        log: log.clone(),
    };
    match RootLock::acquire(&places.locks, root, &info) {
        Ok(lock) => Ok(Ok(Held { _lock: lock, log })),
        Err(LockError::Held(path, held)) => Ok(Err(Outcome::Refused {
            root: root.to_string(),
            reasons: vec![format!(
                "lock: {} is being applied by pid {} for {} (lock file {})",
                held.root,
                held.pid,
                held.request,
                path.display()
            )],
        })),
        Err(LockError::Io(e)) => Err(ExecError::Io(e)),
    }
}

/// Plans `root` again at `commit` and applies it when the digest matches
/// `approved`. `None` when it applied; otherwise the outcome that stops the run.
#[allow(clippy::too_many_arguments)]
pub fn apply_root(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    root: &str,
    approved: &str,
    commit: &str,
    held: &Held,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Option<Outcome>, ExecError> {
    let log = &held.log;
    // The operator's terminal going away must not stop an apply: output
    // is best effort, the log file and the records are not.
    let _ = writeln!(
        out,
        "{root}: planning again at {}",
        &commit[..commit.len().min(8)]
    );
    audit(
        places,
        who,
        AuditAction::ApplyStarted,
        request,
        Some(root),
        Some(commit),
        Some(approved),
        None,
    )?;
    let binary = tofu::choose_binary(&config.tofu);
    let target = match config.target(root) {
        Ok(target) => target,
        Err(why) => {
            return Ok(Some(Outcome::Refused {
                root: root.to_string(),
                reasons: vec![format!("root: {why}")],
            }));
        }
    };
    let mut workspace = Workspace::create(source, commit)?;
    let fresh = match workspace.plan(&binary, &target) {
        Ok(fresh) => fresh,
        Err(e) if e.to_string().contains(STATE_LOCKED) => return Ok(Some(state_locked(root))),
        // A path out of the approved tree: nothing was planned or applied.
        Err(tofu::PlanInWorkspaceError::Tofu(tofu::TofuError::Confined(why))) => {
            return Ok(Some(Outcome::Refused {
                root: root.to_string(),
                reasons: vec![format!("tree: {why}")],
            }));
        }
        Err(e) => {
            let reason = format!("planning failed: {e}");
            return failed(source, request, root, approved, places, who, reason).map(Some);
        }
    };
    let fresh_plan = crate::plan::parse_plan_text(std::sync::Arc::new(
        String::from_utf8_lossy(&fresh.plan_json).into_owned(),
    ))
    .map_err(|e| ExecError::Io(format!("the fresh plan of {root} could not be read: {e}")))?;
    if fresh_plan.digest != approved
        && is_no_op(&fresh_plan)
        && applied_elsewhere(source, request, root, approved)?
    {
        // The state check: an apply recorded on another machine (its note
        // travelled, its log did not) is confirmed by a no-op fresh plan,
        // and recorded here with this executor's own entry.
        record(
            source,
            places,
            who,
            request,
            root,
            approved,
            DecisionKind::ApplySucceeded,
            Some("confirmed by a state check: the fresh plan at this head is a no-op".into()),
        )?;
        let _ = writeln!(
            out,
            "{root}: already applied (recorded elsewhere; confirmed: the fresh plan is a no-op)"
        );
        let subject = Subject {
            request,
            root,
            approved,
            commit,
        };
        let stop = check::after_apply(
            source,
            config,
            &subject,
            &mut workspace,
            Some(fresh_plan),
            log,
            places,
            who,
            out,
        )?;
        let _ = workspace.remove();
        return Ok(stop);
    }
    if fresh_plan.digest != approved {
        drift(
            source,
            request,
            root,
            approved,
            &fresh_plan,
            places,
            who,
            &mut Tee { out, log },
        )?;
        return Ok(Some(Outcome::Drift {
            root: root.to_string(),
            approved: approved.to_string(),
            fresh: fresh_plan.digest,
        }));
    }
    let _ = writeln!(
        out,
        "{root}: the fresh plan matches the approved {approved}; applying it"
    );
    let root_dir = workspace.worktree().join(&target.dir);
    crate::failpoint::reach("apply-planned");
    let finished = run::apply(&binary, &root_dir, &fresh.plan_file, log, out);
    crate::failpoint::reach("apply-finished");
    // Record first, clean up after: a cleanup error must not lose the result.
    let stop = match finished {
        Ok(f) if f.state_locked => Some(state_locked(root)),
        Ok(f) if f.success => {
            record(
                source,
                places,
                who,
                request,
                root,
                approved,
                DecisionKind::ApplySucceeded,
                Some(format!("log: {}", log.display())),
            )?;
            let _ = writeln!(out, "{root}: applied (log {})", log.display());
            // The after-apply check: the result above is recorded already,
            // so a crash here loses only the check.
            let subject = Subject {
                request,
                root,
                approved,
                commit,
            };
            check::after_apply(
                source,
                config,
                &subject,
                &mut workspace,
                None,
                log,
                places,
                who,
                out,
            )?
        }
        unfinished => {
            let reason = match unfinished {
                Ok(f) => format!(
                    "apply exited with {}",
                    f.code.map_or("a signal".into(), |c| c.to_string())
                ),
                Err(e) => format!("apply could not run: {e}"),
            };
            Some(failed(
                source, request, root, approved, places, who, reason,
            )?)
        }
    };
    if let Err(e) = workspace.remove() {
        let _ = writeln!(
            out,
            "{root}: warning: cleaning up the workspace failed: {e}"
        );
    }
    Ok(stop)
}

/// Whether an interrupted apply of `root` from `commit` took effect: a
/// fresh plan there that is a no-op means the approved change is in the
/// state. The decision to record, and why, in words.
pub fn reconcile(
    source: &dyn Backend,
    config: &Config,
    commit: &str,
    root: &str,
) -> (DecisionKind, String) {
    let at = &commit[..commit.len().min(8)];
    let binary = tofu::choose_binary(&config.tofu);
    let fresh = config
        .target(root)
        .and_then(|target| {
            Workspace::create(source, commit)
                .map(|w| (w, target))
                .map_err(|e| e.to_string())
        })
        .and_then(|(mut w, target)| {
            let planned = w.plan(&binary, &target).map_err(|e| e.to_string());
            let _ = w.remove();
            planned
        })
        .and_then(|fresh| {
            crate::plan::parse_plan_text(std::sync::Arc::new(
                String::from_utf8_lossy(&fresh.plan_json).into_owned(),
            ))
            .map_err(|e| e.to_string())
        });
    match fresh {
        Ok(plan) if is_no_op(&plan) => (
            DecisionKind::ApplySucceeded,
            format!(
                "reconciled as applied: the fresh plan at {at} is a no-op, so the approved change is in the state"
            ),
        ),
        Ok(_) => (
            DecisionKind::ApplyFailed,
            format!("recorded as failed: the fresh plan at {at} still has changes"),
        ),
        Err(e) => (
            DecisionKind::ApplyFailed,
            format!("recorded as failed: the state could not be checked ({e})"),
        ),
    }
}

/// Nothing to do: every resource and output change is a no-op (or a read).
fn is_no_op(plan: &crate::plan::Plan) -> bool {
    use crate::plan::ChangeKind::{NoOp, Read};
    plan.resource_changes
        .iter()
        .all(|rc| matches!(rc.change.kind, NoOp | Read))
        && plan
            .output_changes
            .iter()
            .all(|o| matches!(o.change.kind, NoOp))
}

/// Whether an audited `apply-succeeded` of this head and digest was
/// recorded (by any executor) for `root`.
fn applied_elsewhere(
    source: &dyn Backend,
    request: &Request,
    root: &str,
    approved: &str,
) -> Result<bool, ExecError> {
    Ok(source.decisions(request)?.iter().any(|d| {
        d.kind == DecisionKind::ApplySucceeded
            && d.root == root
            && d.head == request.head
            && d.digest == approved
            && d.proof_state() == crate::review::ProofState::Matches
    }))
}

/// The operator's output and, the one that matters later, the apply's log
/// file: the drift report is kept on disk beside the apply logs.
struct Tee<'a> {
    out: &'a mut dyn Write,
    log: &'a std::path::Path,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log)?;
        file.write_all(buf)?;
        // Best effort to the terminal, as for the apply's output.
        let _ = self.out.write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.out.flush();
        Ok(())
    }
}

/// The state lock is Terraform's: another run is planning or applying this
/// root. Nothing was changed, so this is a refusal to retry, not a failure.
fn state_locked(root: &str) -> Outcome {
    Outcome::Refused {
        root: root.to_string(),
        reasons: vec![format!(
            "state: the state of {root} is locked by another run; nothing applied, try again later"
        )],
    }
}

#[allow(clippy::too_many_arguments)]
fn drift(
    source: &dyn Backend,
    request: &Request,
    root: &str,
    approved: &str,
    fresh: &crate::plan::Plan,
    places: &Places,
    who: &Identity,
    out: &mut Tee<'_>,
) -> Result<(), ExecError> {
    writeln!(
        out,
        "{root}: DRIFT: the fresh plan {} differs from the approved {approved}; not applied \
         (this report is kept in {})",
        fresh.digest,
        out.log.display()
    )?;
    write_difference(source, request, root, approved, fresh, out)?;
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
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    };
    let mut entry = decision.audit_entry();
    entry.action = AuditAction::DriftBlock;
    crate::audit_trail::record_as(&places.audit, source, &decision, entry)
        .map_err(|e| ExecError::Io(e.to_string()))?;
    Ok(())
}

/// What the fresh plan changes against the approved one (when that plan is
/// still stored), as the plan delta.
pub(super) fn write_difference(
    source: &dyn Backend,
    request: &Request,
    root: &str,
    approved: &str,
    fresh: &crate::plan::Plan,
    out: &mut dyn Write,
) -> Result<(), ExecError> {
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
    Ok(())
}

fn failed(
    source: &dyn Backend,
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
