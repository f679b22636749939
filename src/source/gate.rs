//! Gathering what the review gate needs from a source: the stored plan's
//! facts, the decisions, the environment's policy. The gate itself is pure
//! (`crate::review::evaluate`).

use super::{BackendError, Request};
use crate::backend::prelude::*;
use crate::config::Config;
use crate::review::{
    CodeOwners, Decision, EnvironmentPolicy, GateInput, GateReport, PlanFacts, evaluate,
};

/// The gate of one root with what it was computed from.
#[derive(Clone, Debug)]
pub struct RootReview {
    pub report: GateReport,
    pub facts: Option<PlanFacts>,
    pub policy: EnvironmentPolicy,
}

impl RootReview {
    /// The checks that stop an apply of this root: every failing one, but
    /// approvals and approval groups for an environment with `auto_apply`.
    /// The executor and the TUI's confirmation both decide by this.
    pub fn apply_blockers(&self) -> Vec<&crate::review::GateCheck> {
        let waived = |c: &crate::review::GateCheck| {
            self.policy.auto_apply && matches!(c.name, "approvals" | "groups")
        };
        self.report
            .checks
            .iter()
            .filter(|c| !(c.passed || waived(c)))
            .collect()
    }
}

/// The facts of a root's stored plan, if it has one.
pub fn plan_facts(
    source: &dyn Backend,
    request: &Request,
    root: &str,
) -> Result<Option<PlanFacts>, BackendError> {
    let Some(stored) = source.stored_plan(request, root)? else {
        return Ok(None);
    };
    let (plan, _) = source.load_plan(&stored)?;
    Ok(Some(facts_of(&plan, &stored.head)))
}

/// What the gate needs from a plan made at `head`.
pub fn facts_of(plan: &crate::plan::Plan, head: &str) -> PlanFacts {
    PlanFacts {
        digest: plan.digest.clone(),
        head: head.to_string(),
        destructive: plan
            .resource_changes
            .iter()
            .filter(|rc| rc.change.kind.is_destructive())
            .map(|rc| rc.address.clone())
            .collect(),
        moving_sources: crate::risk::moving_sources(&plan.configuration)
            .into_iter()
            .map(|m| m.module)
            .collect(),
    }
}

/// The environments of a request's roots, as the gate's promotion check wants them.
pub fn root_environments(request: &Request) -> Vec<(String, String)> {
    request
        .roots
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                r.environment.clone().unwrap_or_else(|| "unknown".into()),
            )
        })
        .collect()
}

/// Evaluates the gate of one root.
pub fn review_root(
    config: &Config,
    request: &Request,
    root: &str,
    facts: Option<PlanFacts>,
    decisions: &[Decision],
    owners: Option<&CodeOwners>,
    now: i64,
) -> RootReview {
    let environment = request
        .roots
        .iter()
        .find(|r| r.path == root)
        .and_then(|r| r.environment.clone())
        .unwrap_or_else(|| "unknown".into());
    let policy = EnvironmentPolicy::from_config(config, &environment);
    let roots = root_environments(request);
    let report = evaluate(&GateInput {
        request,
        root,
        policy: &policy,
        plan: facts.as_ref(),
        decisions,
        code_owners: owners,
        roots: &roots,
        now,
    });
    RootReview {
        report,
        facts,
        policy,
    }
}

/// Every root of a request, with one read of decisions and owners.
pub fn review_request(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    now: i64,
) -> Result<Vec<RootReview>, BackendError> {
    // An unreadable stored plan fails this root's plan check (with the
    // cause) instead of the whole request's report.
    review_request_with(source, config, request, now, &mut |root| {
        plan_facts(source, request, root)
            .map_err(|e| format!("the stored plan cannot be read: {e}"))
    })
}

/// [`review_request`] with each root's plan facts from `facts` instead of
/// the stored plan (`ci plan`: a plan just made, not uploaded yet);
/// `Err(why)` fails the root's plan check with `why`.
pub fn review_request_with(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    now: i64,
    facts: &mut dyn FnMut(&str) -> Result<Option<PlanFacts>, String>,
) -> Result<Vec<RootReview>, BackendError> {
    let decisions = source.decisions(request)?;
    let owners = source.code_owners()?;
    Ok(request
        .roots
        .iter()
        .map(|root| {
            let (facts, error) = match facts(&root.path) {
                Ok(facts) => (facts, None),
                Err(e) => (None, Some(e)),
            };
            let mut review = review_root(
                config,
                request,
                &root.path,
                facts,
                &decisions,
                owners.as_ref(),
                now,
            );
            if let Some(error) = error {
                for check in review.report.checks.iter_mut().filter(|c| c.name == "plan") {
                    check.passed = false;
                    check.detail.clone_from(&error);
                }
                review.report.passed = false;
            }
            review
        })
        .collect())
}
