//! `plandeck ci apply`: the gate enforced where the credentials are. Run by
//! the apply workflow on a dispatch, it trusts none of its inputs: the pull
//! request must still be at the dispatched head, the root's gate must pass
//! on what the forge itself says (reviews, head, the plan artifact's
//! digest; the policy from the base branch, read by the caller), the
//! dispatched digest must be the approved one, and a fresh plan of exactly
//! that commit must have that digest. Only then is that plan file applied.
//! A pull request merged already (merge-then-apply) is planned at its merge
//! commit instead, under the same gate and digest check. The commit is checked out from the job's clone into a private worktree:
//! nothing else of the job's working tree is read.

use super::{ExecError, run};
use crate::backend::Workspaces;
use crate::backend::prelude::*;
use crate::config::Config;
use crate::source::Request;
use crate::source::gate::review_request;
use crate::tofu::{self, Workspace};
use std::io::Write;
use std::path::Path;

/// What the workflow was dispatched with.
#[derive(Clone, Debug)]
pub struct Dispatch {
    pub request: String,
    pub root: String,
    pub head: String,
    pub digest: String,
}

/// How `ci apply` ended; each has its exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum CiOutcome {
    /// The approved plan was applied. Exit 0.
    Applied,
    /// Nothing was applied: why. Exit 1.
    Refused(Vec<String>),
    /// The apply ran and failed. Exit 3.
    Failed(String),
    /// Applied (or found applied), but the environment's verify command
    /// failed and blocks. Exit 4.
    VerifyFailed(String),
}

impl CiOutcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Applied => 0,
            Self::Refused(_) => 1,
            Self::Failed(_) => 3,
            Self::VerifyFailed(_) => 4,
        }
    }
}

/// Checks `dispatch` against the forge and applies it, or refuses.
/// `checkouts` is the job's clone; the apply's log goes to `log`.
pub fn ci_apply(
    source: &dyn Backend,
    checkouts: &dyn Workspaces,
    config: &Config,
    dispatch: &Dispatch,
    log: &Path,
    out: &mut dyn Write,
) -> Result<CiOutcome, ExecError> {
    let refuse = |why: String| Ok(CiOutcome::Refused(vec![why]));
    // Merged already (merge-then-apply): the approved head's plan is
    // applied from the merge commit, if planning that commit gives it.
    let (request, commit) = match source.resolve_request(&dispatch.request) {
        Ok(request) => {
            let head = request.head.clone();
            (request, head)
        }
        Err(crate::backend::BackendError::NotFound(why)) => {
            match source.merged_for_apply(&dispatch.request)? {
                Some(merged) => (merged.request, merged.merge),
                None => return refuse(format!("request: {why}")),
            }
        }
        Err(e) => return Err(e.into()),
    };
    if request.head != dispatch.head {
        return refuse(format!(
            "head: {} is at {}, the dispatch names {}: approve and dispatch the current head",
            request.id,
            short(&request.head),
            short(&dispatch.head)
        ));
    }
    if !request.roots.iter().any(|r| r.path == dispatch.root) {
        return refuse(format!("root: {}", request.unknown_root(&dispatch.root)));
    }
    if let Some(refused) = gate(source, config, &request, dispatch)? {
        return Ok(refused);
    }
    let at = if commit == dispatch.head {
        String::new()
    } else {
        format!(" from its merge commit {}", short(&commit))
    };
    let _ = writeln!(
        out,
        "{}: the gate passes for {} at {}; planning again{at}",
        dispatch.root,
        dispatch.digest,
        short(&dispatch.head)
    );
    let target = match config.target(&dispatch.root) {
        Ok(target) => target,
        Err(why) => return refuse(format!("root: {why}")),
    };
    let binary = tofu::choose_binary(&config.tofu);
    let mut workspace = Workspace::create(checkouts, &commit)?;
    let fresh = match workspace.plan(&binary, &target) {
        Ok(fresh) => fresh,
        Err(tofu::PlanInWorkspaceError::Tofu(tofu::TofuError::Confined(why))) => {
            return refuse(format!("tree: {why}"));
        }
        Err(e) => return Ok(CiOutcome::Failed(format!("planning failed: {e}"))),
    };
    let fresh_plan = crate::plan::parse_plan_text(std::sync::Arc::new(
        String::from_utf8_lossy(&fresh.plan_json).into_owned(),
    ))
    .map_err(|e| ExecError::Io(format!("the fresh plan could not be read: {e}")))?;
    let subject = super::check::Subject {
        request: &request,
        root: &dispatch.root,
        approved: &dispatch.digest,
        commit: &commit,
    };
    if fresh_plan.digest != dispatch.digest
        && super::check::remaining_changes(&fresh_plan).is_empty()
    {
        // Nothing left to apply: the state has the approved change already
        // (an earlier run applied it, and its verify failed, say). Only
        // the check runs.
        let _ = writeln!(
            out,
            "{}: the fresh plan is a no-op: the state has the approved change already; \
             checking it (no apply)",
            dispatch.root
        );
        let outcome = checked(config, &subject, &mut workspace, Some(fresh_plan), log, out);
        let _ = workspace.remove();
        return Ok(outcome);
    }
    if fresh_plan.digest != dispatch.digest {
        let _ = writeln!(
            out,
            "{}: DRIFT: the fresh plan {} differs from the approved {}; not applied",
            dispatch.root, fresh_plan.digest, dispatch.digest
        );
        super::root::write_difference(
            source,
            &request,
            &dispatch.root,
            &dispatch.digest,
            &fresh_plan,
            out,
        )?;
        return refuse(format!(
            "drift: the fresh plan {} differs from the approved {}",
            fresh_plan.digest, dispatch.digest
        ));
    }
    let _ = writeln!(
        out,
        "{}: the fresh plan matches the approved {}; applying it",
        dispatch.root, dispatch.digest
    );
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let root_dir = workspace.worktree().join(&target.dir);
    let finished = run::apply(&binary, &root_dir, &fresh.plan_file, log, out);
    if matches!(&finished, Ok(f) if f.success) {
        let outcome = checked(config, &subject, &mut workspace, None, log, out);
        let _ = workspace.remove();
        return Ok(outcome);
    }
    let _ = workspace.remove();
    Ok(match finished {
        Ok(f) if f.state_locked => CiOutcome::Refused(vec![format!(
            "state: the state of {} is locked by another run; nothing applied",
            dispatch.root
        )]),
        Ok(f) => CiOutcome::Failed(format!(
            "apply exited with {}",
            f.code.map_or("a signal".into(), |c| c.to_string())
        )),
        Err(e) => CiOutcome::Failed(format!("apply could not run: {e}")),
    })
}

/// The after-apply check (next plan, verify command), said rather than
/// recorded: GitHub keeps the run's outcome, and a blocking failed verify
/// fails the run.
fn checked(
    config: &Config,
    subject: &super::check::Subject<'_>,
    workspace: &mut Workspace<'_>,
    next: Option<crate::plan::Plan>,
    log: &Path,
    out: &mut dyn Write,
) -> CiOutcome {
    let (check, policy) = super::check::check_applied(config, subject, workspace, next, log, out);
    let blocks = policy
        .as_ref()
        .is_some_and(super::check::VerifyPolicy::blocks);
    match check.verify.as_ref() {
        Some(result) if check.verify_failed() && blocks => {
            CiOutcome::VerifyFailed(super::check::verify_reason(result))
        }
        _ => CiOutcome::Applied,
    }
}

/// The root's gate on what the forge says, and the dispatched digest
/// against the approved one; the refusal, if any.
fn gate(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    dispatch: &Dispatch,
) -> Result<Option<CiOutcome>, ExecError> {
    let reviews = review_request(source, config, request, crate::clock::unix_now())?;
    let Some(review) = reviews.iter().find(|r| r.report.root == dispatch.root) else {
        return Ok(Some(CiOutcome::Refused(vec![format!(
            "root: {} has no gate report",
            dispatch.root
        )])));
    };
    let mut reasons: Vec<String> = review
        .apply_blockers()
        .into_iter()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    match review.facts.as_ref().map(|f| f.digest.as_str()) {
        Some(approved) if approved == dispatch.digest => {}
        Some(approved) => reasons.push(format!(
            "digest: the dispatch names {}, but the plan the gate is for is {approved}",
            dispatch.digest
        )),
        None => reasons.push("digest: no plan of this head to compare with".into()),
    }
    Ok((!reasons.is_empty()).then_some(CiOutcome::Refused(reasons)))
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
