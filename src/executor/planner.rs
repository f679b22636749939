//! Planning a request: every selected root planned in one workspace of the
//! request's head (`plan -out`, then `show -json`) and stored with its plan
//! file, each reported as soon as it is done. The CLI's `plandeck plan` and
//! the TUI's `p` both plan through here.

use crate::backend::{Backend, BackendError, NewPlan};
use crate::config::{Config, RootTarget};
use crate::domain::{PlanOrigin, Request, StoredPlan};
use crate::tofu::Workspace;
use std::path::Path;

/// Where planning one root is.
#[derive(Debug)]
pub enum PlanStep {
    Started,
    Done(RootPlanned),
}

/// How planning one root ended.
#[derive(Debug)]
pub enum RootPlanned {
    Stored(Box<StoredPlan>),
    /// Planning or storing failed: the reason, in one line.
    Failed(String),
}

/// Plans `roots` of `request` (by name: `DIR` or `DIR@ENV`), calling `step` with each root
/// as it starts and as it finishes. A root that fails does not stop the others; the
/// workspace is removed at the end (or on any early return).
pub fn plan_roots(
    backend: &dyn Backend,
    config: &Config,
    request: &Request,
    roots: &[String],
    step: &mut dyn FnMut(&str, PlanStep),
) -> Result<(), BackendError> {
    let binary = crate::tofu::choose_binary(&config.tofu);
    let mut workspace = Workspace::create(backend, &request.head)?;
    for root in roots {
        step(root, PlanStep::Started);
        let planned = match config
            .target(root)
            .and_then(|target| plan_one(backend, request, &mut workspace, &binary, &target))
        {
            Ok(stored) => RootPlanned::Stored(Box::new(stored)),
            Err(why) => RootPlanned::Failed(why),
        };
        step(root, PlanStep::Done(planned));
    }
    workspace.remove()
}

fn plan_one(
    backend: &dyn Backend,
    request: &Request,
    workspace: &mut Workspace<'_>,
    binary: &Path,
    target: &RootTarget,
) -> Result<StoredPlan, String> {
    let output = workspace.plan(binary, target).map_err(|e| e.to_string())?;
    let plan = NewPlan {
        head: &request.head,
        origin: PlanOrigin::Planned,
        plan_json: &output.plan_json,
        plan_file: Some(&output.plan_file),
        cost_json: None,
    };
    backend
        .store_plan(request, &target.key, plan)
        .map_err(|e| e.to_string())
}
