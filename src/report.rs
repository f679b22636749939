//! What plandeck shows of a request on its forge: the summary comment of
//! every root (`render::request_comment`) and a commit status per root
//! from its gate. Used by `plandeck comment`, `plandeck ci plan` (with the
//! plans it just made) and the TUI's key alike.

use crate::backend::{Backend, BackendError, RootStatus};
use crate::config::Config;
use crate::cost::CostReport;
use crate::domain::Request;
use crate::plan::Plan;
use crate::render::{
    COMMENT_MARKER, RenderContext, RenderOptions, RequestComment, RootPlan, RootReport, WholePlan,
    request_comment,
};
use crate::review::PlanFacts;
use crate::risk::RiskPolicy;
use crate::source::gate::{RootReview, facts_of, review_request, review_request_with};
use crate::summary::Summary;

/// What [`publish`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    /// The comment was created (not edited in place).
    pub created: bool,
    /// Its length in characters.
    pub chars: usize,
}

/// A root's plan as [`publish_plans`] shows it.
pub enum PlanRead {
    /// A plan (and its cost estimate).
    Planned(Box<Plan>, Option<CostReport>),
    /// None yet, in words ("no plan", "no plan (CI running)"): pending.
    Missing(String),
    /// None, because reading or making it failed: why.
    Failed(String),
}

/// Sets each root's status (when `statuses`) and posts or updates the
/// request's comment, within `max_chars`, from the stored plans.
pub fn publish(
    source: &dyn Backend,
    config: &Config,
    risk: &RiskPolicy,
    request: &Request,
    max_chars: usize,
    statuses: bool,
) -> Result<Published, BackendError> {
    let reviews = review_request(source, config, request, crate::clock::unix_now())?;
    let plans = request
        .roots
        .iter()
        .map(|root| match source.stored_plan(request, &root.path) {
            Ok(Some(stored)) => match source.load_plan(&stored) {
                Ok((plan, cost)) => PlanRead::Planned(Box::new(plan), cost),
                Err(e) => PlanRead::Failed(format!("plan unreadable: {e}")),
            },
            Ok(None) if source.plan_pending(request, &root.path) => {
                PlanRead::Missing("no plan (CI running)".into())
            }
            Ok(None) => PlanRead::Missing("no plan".into()),
            Err(e) => PlanRead::Failed(format!("plan unreadable: {e}")),
        })
        .collect();
    publish_plans(
        source, config, risk, request, &reviews, plans, max_chars, statuses,
    )
}

/// [`publish`] from `plans`, one per root of `request` in its order, made
/// at its head but not stored (`ci plan`): the gate of each root is
/// evaluated with its plan.
pub fn publish_fresh(
    source: &dyn Backend,
    config: &Config,
    risk: &RiskPolicy,
    request: &Request,
    plans: Vec<PlanRead>,
    max_chars: usize,
) -> Result<Published, BackendError> {
    let facts: Vec<(&str, Option<PlanFacts>)> = request
        .roots
        .iter()
        .zip(&plans)
        .map(|(root, read)| match read {
            PlanRead::Planned(plan, _) => (root.path.as_str(), Some(facts_of(plan, &request.head))),
            PlanRead::Missing(_) | PlanRead::Failed(_) => (root.path.as_str(), None),
        })
        .collect();
    let now = crate::clock::unix_now();
    let reviews = review_request_with(source, config, request, now, &mut |root| {
        Ok(facts
            .iter()
            .find(|(path, _)| *path == root)
            .and_then(|(_, facts)| facts.clone()))
    })?;
    publish_plans(
        source, config, risk, request, &reviews, plans, max_chars, true,
    )
}

#[allow(clippy::too_many_arguments)] // publish's and publish_fresh's common part
fn publish_plans(
    source: &dyn Backend,
    config: &Config,
    risk: &RiskPolicy,
    request: &Request,
    reviews: &[RootReview],
    plans: Vec<PlanRead>,
    max_chars: usize,
    statuses: bool,
) -> Result<Published, BackendError> {
    let options = RenderOptions::default();
    // The summaries first: the comment borrows them.
    let summaries: Vec<Option<Summary>> = plans
        .iter()
        .map(|read| match read {
            PlanRead::Planned(plan, cost) => {
                Some(Summary::of(plan, risk, cost.as_ref(), &config.cost))
            }
            PlanRead::Missing(_) | PlanRead::Failed(_) => None,
        })
        .collect();
    let whole = WholePlan::Text(format!(
        "the plan artifact of this root in the CI run of {}",
        request.head.chars().take(12).collect::<String>()
    ));
    let roots: Vec<RootReport<'_>> = request
        .roots
        .iter()
        .zip(plans.iter().zip(&summaries))
        .zip(reviews)
        .map(|((root, read), review)| RootReport {
            root: &root.path,
            environment: Some(review.report.environment.as_str()),
            plan: match read {
                (PlanRead::Planned(plan, cost), Some(summary)) => RootPlan::Planned {
                    summary,
                    plan,
                    ctx: RenderContext {
                        risk,
                        cost: cost.as_ref(),
                        cost_thresholds: &config.cost,
                        options: &options,
                    },
                    whole_plan: whole.clone(),
                },
                (PlanRead::Missing(why) | PlanRead::Failed(why), _) => RootPlan::Missing(why),
                (PlanRead::Planned(..), None) => RootPlan::Missing("no plan"),
            },
        })
        .collect();
    let body = request_comment(&RequestComment {
        number: request.number,
        title: &request.title,
        head_sha: &request.head,
        roots: &roots,
        max_chars,
    });
    if statuses {
        for (review, read) in reviews.iter().zip(&plans) {
            let (status, description) = status_of(review, read);
            source.set_status(request, &review.report.root, status, &description)?;
        }
    }
    let created = source.publish_comment(request, COMMENT_MARKER, &body)?;
    Ok(Published {
        created,
        chars: body.chars().count(),
    })
}

/// The gate's verdict in a few words.
fn verdict(review: &RootReview) -> String {
    let report = &review.report;
    if report.passed {
        format!(
            "ready to apply ({}/{} approvals)",
            report.counted, report.required
        )
    } else {
        format!(
            "not ready ({}/{} approvals)",
            report.counted, report.required
        )
    }
}

/// A root's status: success only when its gate passes; pending while it
/// has no plan yet; failure when its plan failed or could not be read,
/// and otherwise with the first failing check.
fn status_of(review: &RootReview, read: &PlanRead) -> (RootStatus, String) {
    let report = &review.report;
    if report.passed {
        return (RootStatus::Success, verdict(review));
    }
    match read {
        PlanRead::Failed(why) => return (RootStatus::Failure, why.clone()),
        PlanRead::Missing(_) => return (RootStatus::Pending, "no plan yet".into()),
        PlanRead::Planned(..) if report.digest.is_none() => {
            return (RootStatus::Pending, "no plan yet".into());
        }
        PlanRead::Planned(..) => {}
    }
    let failing = report.checks.iter().find(|c| !c.passed);
    let why = failing.map_or_else(|| verdict(review), |c| format!("{}: {}", c.name, c.detail));
    (RootStatus::Failure, why)
}
