//! What plandeck shows of a request on its forge: the summary comment of
//! every root (`render::request_comment`) and a commit status per root
//! from its gate. Used by `plandeck comment` and the TUI's key alike.

use crate::backend::{Backend, BackendError, RootStatus};
use crate::config::Config;
use crate::domain::Request;
use crate::render::{
    COMMENT_MARKER, RenderContext, RenderOptions, RequestComment, RootPlan, RootReport, WholePlan,
    request_comment,
};
use crate::risk::RiskPolicy;
use crate::source::gate::{RootReview, review_request};
use crate::summary::Summary;

/// What [`publish`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    /// The comment was created (not edited in place).
    pub created: bool,
    /// Its length in characters.
    pub chars: usize,
}

/// Sets each root's status (when `statuses`) and posts or updates the
/// request's comment, within `max_chars`.
pub fn publish(
    source: &dyn Backend,
    config: &Config,
    risk: &RiskPolicy,
    request: &Request,
    max_chars: usize,
    statuses: bool,
) -> Result<Published, BackendError> {
    let reviews = review_request(source, config, request, crate::clock::unix_now())?;
    let options = RenderOptions::default();
    // Each root's plan, or why there is none, read first: the comment
    // borrows them.
    let mut planned = Vec::new();
    for root in &request.roots {
        let read = match source.stored_plan(request, &root.path) {
            Ok(Some(stored)) => source
                .load_plan(&stored)
                .map(|(plan, cost)| {
                    let summary = Summary::of(&plan, risk, cost.as_ref(), &config.cost);
                    (plan, summary, cost)
                })
                .map_err(|e| format!("plan unreadable: {e}")),
            Ok(None) if source.plan_pending(request, &root.path) => {
                Err("no plan (CI running)".to_string())
            }
            Ok(None) => Err("no plan".to_string()),
            Err(e) => Err(format!("plan unreadable: {e}")),
        };
        planned.push(read);
    }
    let whole = WholePlan::Text(format!(
        "the plan artifact of this root in the CI run of {}",
        request.head.chars().take(12).collect::<String>()
    ));
    let roots: Vec<RootReport<'_>> = request
        .roots
        .iter()
        .zip(&planned)
        .zip(&reviews)
        .map(|((root, read), review)| RootReport {
            root: &root.path,
            environment: Some(review.report.environment.as_str()),
            plan: match read {
                Ok((plan, summary, cost)) => RootPlan::Planned {
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
                Err(why) => RootPlan::Missing(why),
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
        for review in &reviews {
            let (status, description) = status_of(review);
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
/// has no plan; failure with the first failing check otherwise.
fn status_of(review: &RootReview) -> (RootStatus, String) {
    let report = &review.report;
    if report.passed {
        return (RootStatus::Success, verdict(review));
    }
    let failing = report.checks.iter().find(|c| !c.passed);
    if report.digest.is_none() {
        return (RootStatus::Pending, "no plan yet".into());
    }
    let why = failing.map_or_else(|| verdict(review), |c| format!("{}: {}", c.name, c.detail));
    (RootStatus::Failure, why)
}
