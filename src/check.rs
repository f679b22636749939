//! `plandeck check`: the risk policy a CI job enforces on a plan.
//!
//! A change whose action list plandeck does not know always fails the
//! check, whatever `fail_on` says: its risk cannot be judged. A module
//! source that can move is a critical finding of the configuration.

use crate::config::CheckConfig;
use crate::cost::CostReport;
use crate::plan::{ChangeKind, Plan};
use crate::risk::{Risk, RiskPolicy};
use crate::sanitize;
use std::io::{self, Write};

/// One reason the plan fails the policy, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation(pub String);

/// Everything in `plan` that the policy refuses; empty means it passes.
pub fn violations(
    plan: &Plan,
    risk: &RiskPolicy,
    cost: Option<&CostReport>,
    check: &CheckConfig,
) -> Vec<Violation> {
    let mut found = Vec::new();
    if check.fail_on_errored {
        found.extend(
            plan.status_flags()
                .into_iter()
                .map(|f| Violation(f.to_string())),
        );
    }
    if Risk::Critical >= check.fail_on {
        for m in crate::risk::moving_sources(&plan.configuration) {
            found.push(Violation(format!(
                "critical risk: the source of {} can move: \"{}\" ({})",
                sanitize::escape(&m.module).text,
                sanitize::escape_quoted(m.source.as_deref().unwrap_or("")).text,
                m.why
            )));
        }
        for entry in &plan.configuration.unread {
            found.push(Violation(format!(
                "critical risk: {} could not be read: what it runs is not shown",
                sanitize::escape(&entry.place).text
            )));
        }
    }
    for rc in &plan.resource_changes {
        let assessment = risk.assess(rc);
        if let ChangeKind::Unknown(actions) = &rc.change.kind {
            // Whatever the threshold: plandeck cannot say what this does.
            found.push(Violation(format!(
                "unknown action {} on {}: plandeck cannot judge it",
                sanitize::escape(&crate::summary::actions_text(actions)).text,
                sanitize::escape(&rc.address).text,
            )));
        } else if assessment.risk >= check.fail_on {
            found.push(Violation(format!(
                "{} risk: {} {} ({})",
                assessment.risk.word(),
                rc.change.kind.symbol().trim(),
                sanitize::escape(&rc.address).text,
                sanitize::escape(&assessment.reason).text,
            )));
        }
    }
    let destructive = plan
        .resource_changes
        .iter()
        .filter(|rc| rc.change.kind.is_destructive())
        .count();
    if let Some(max) = check.max_destructive.filter(|max| destructive > *max) {
        found.push(Violation(format!(
            "{destructive} destructive changes, more than the allowed {max}"
        )));
    }
    if let (Some(max), Some(delta)) = (
        check.max_monthly_cost_increase,
        cost.and_then(|c| c.monthly_delta),
    ) {
        if delta > max {
            found.push(Violation(format!(
                "monthly cost increase {delta:.2} exceeds the allowed {max:.2}"
            )));
        }
    }
    found
}

/// Writes the verdict and one line per violation.
pub fn report(out: &mut dyn Write, violations: &[Violation]) -> io::Result<()> {
    if violations.is_empty() {
        return writeln!(out, "check passed: the plan is within the risk policy");
    }
    writeln!(
        out,
        "check failed: {} violation(s) of the risk policy",
        violations.len()
    )?;
    for v in violations {
        writeln!(out, "  {}", v.0)?;
    }
    Ok(())
}
