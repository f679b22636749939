//! The parts of a whole plan around its resource changes: the header with
//! flags, counts, risk and cost; drift; outputs; checks; deferred changes.

use super::resource::{ResourceView, cost_badge, cost_role, resource_lines};
use super::value::ValueRenderer;
use super::{Line, RenderContext, Role};
use crate::cost::format_delta;
use crate::diff::diff_change;
use crate::plan::{CheckStatus, Plan};
use crate::summary::Summary;

/// Every line of a plan, in reading order.
pub fn plan_lines(plan: &Plan, summary: &Summary, ctx: &RenderContext<'_>) -> Vec<Line> {
    plan_chunks(plan, summary, ctx).flatten().collect()
}

/// The plan in reading order, one chunk per section or resource, rendered
/// lazily so a huge plan streams without holding every line.
pub fn plan_chunks<'a>(
    plan: &'a Plan,
    summary: &'a Summary,
    ctx: &'a RenderContext<'a>,
) -> impl Iterator<Item = Vec<Line>> + 'a {
    let resources = plan
        .resource_changes
        .iter()
        .filter(|rc| is_shown(rc))
        .map(move |rc| {
            let mut lines = vec![Line::new()];
            lines.extend(resource_lines(rc, ResourceView::Planned, ctx));
            lines
        });
    std::iter::once_with(move || plan_header_lines(summary))
        .chain(std::iter::once_with(move || drift_lines(plan, ctx)))
        .chain(resources)
        .chain(std::iter::once_with(move || outputs_lines(plan, ctx)))
        .chain(std::iter::once_with(move || deferred_lines(plan, ctx)))
        .chain(std::iter::once_with(move || checks_lines(plan)))
}

/// Plain no-ops are counted, not shown; moved and imported no-ops are shown.
pub fn is_shown(rc: &crate::plan::ResourceChange) -> bool {
    rc.change.kind != crate::plan::ChangeKind::NoOp || rc.is_move() || rc.is_import()
}

fn text_line(role: Role, text: impl Into<std::borrow::Cow<'static, str>>) -> Line {
    let mut line = Line::new();
    line.push(role, text);
    line
}

/// Flags, warnings, counts, risk, cost and digest.
pub fn plan_header_lines(summary: &Summary) -> Vec<Line> {
    let mut lines = Vec::new();
    for flag in &summary.flags {
        lines.push(text_line(Role::Critical, format!("!! {flag}")));
    }
    lines.extend(moving_source_lines(summary));
    for warning in &summary.warnings {
        let mut line = Line::new();
        line.push(Role::Warning, "warning: ")
            .push_untrusted(Role::Warning, warning);
        lines.push(line.finish());
    }
    let c = &summary.counts;
    let mut counts = Line::new();
    counts.push(Role::Heading, "Plan: ");
    counts.push(Role::Create, format!("{} to add", c.create));
    counts.push(Role::Plain, ", ");
    counts.push(Role::Update, format!("{} to change", c.update));
    counts.push(Role::Plain, ", ");
    counts.push(Role::Delete, format!("{} to destroy", c.delete));
    counts.push(Role::Plain, ", ");
    counts.push(Role::Replace, format!("{} to replace", c.replace));
    let extras = [
        ("to read", c.read),
        ("to forget", c.forget),
        ("to move", c.moved),
        ("to import", c.import),
    ];
    for (word, n) in extras.into_iter().filter(|(_, n)| *n > 0) {
        counts.push(Role::Plain, format!(", {n} {word}"));
    }
    counts.push(Role::Muted, format!(" ({} unchanged)", c.no_op));
    lines.push(counts);
    let risk = &summary.risk;
    let mut risk_line = Line::new();
    risk_line.push(Role::Heading, "Risk: ");
    if risk.configuration > 0 {
        risk_line
            .push(
                Role::Critical,
                format!("{} CRITICAL in the configuration", risk.configuration),
            )
            .push(Role::Plain, ", ");
    }
    if risk.critical > 0 {
        risk_line
            .push(Role::Critical, format!("{} CRITICAL", risk.critical))
            .push(Role::Plain, ", ");
    }
    if risk.high > 0 {
        risk_line
            .push(Role::High, format!("{} high", risk.high))
            .push(Role::Plain, ", ");
    }
    risk_line.push(
        Role::Plain,
        format!("{} medium, {} low", risk.medium, risk.low),
    );
    lines.push(risk_line);
    for d in summary.destructive.iter().take(20) {
        let mut line = Line::new();
        let role = if d.risk == crate::risk::Risk::Critical {
            Role::Critical
        } else {
            Role::High
        };
        line.push(role, format!("  {:>3} ", d.symbol))
            .push_untrusted(role, &d.address);
        // The reason can name the plan's resource type: untrusted.
        line.push(Role::Muted, "  (")
            .push_untrusted(Role::Muted, &d.reason)
            .push(Role::Muted, ")");
        lines.push(line.finish());
    }
    if !summary.unknown_actions.is_empty() {
        lines.push(text_line(
            Role::High,
            format!(
                "Unknown actions: {} change(s) with an action list plandeck cannot judge",
                summary.unknown_actions.len()
            ),
        ));
        for u in &summary.unknown_actions {
            let mut line = Line::new();
            line.push(Role::High, "    ? ")
                .push_untrusted(Role::High, &u.address);
            // JSON escapes C0 controls but leaves DEL, C1 and bidi raw.
            line.push(Role::Muted, "  (actions ")
                .push_untrusted(Role::Muted, &crate::summary::actions_text(&u.actions))
                .push(Role::Muted, ")");
            lines.push(line.finish());
        }
    }
    if summary.destructive.len() > 20 {
        lines.push(text_line(
            Role::Muted,
            format!(
                "  … and {} more destructive changes",
                summary.destructive.len() - 20
            ),
        ));
    }
    if let Some(cost) = &summary.cost {
        let mut line = Line::new();
        line.push(Role::Heading, "Cost: ");
        match cost.monthly_delta {
            Some(delta) => line.push(cost_role(cost.level), format_delta(delta, &cost.currency)),
            None => line.push(Role::Muted, "unknown"),
        };
        if let Some(badge) = cost_badge(cost.level, &cost.thresholds, &cost.currency) {
            line.push(Role::Plain, " ");
            line.push(cost_role(cost.level), badge);
        }
        lines.push(line);
    }
    let extra = [
        ("output changes", summary.outputs),
        ("drifted resources", summary.drift),
        ("deferred changes", summary.deferred),
    ];
    let extra: Vec<String> = extra
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(w, n)| format!("{n} {w}"))
        .collect();
    if !extra.is_empty() {
        lines.push(text_line(Role::Plain, extra.join(", ")));
    }
    let version = summary.format_version.as_deref().unwrap_or("unknown");
    lines.push(text_line(
        Role::Muted,
        format!("Format {version}, digest {}", summary.digest),
    ));
    lines
}

/// Module calls whose source can move, one line each under a flag: the
/// code `init` fetches at apply may not be the code this plan was made from.
fn moving_source_lines(summary: &Summary) -> Vec<Line> {
    let moving = &summary.moving_module_sources;
    if moving.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![text_line(
        Role::Critical,
        format!(
            "!! MODULE SOURCES CAN MOVE ({}): the code fetched at apply may not be the code \
             reviewed",
            moving.len()
        ),
    )];
    for m in moving {
        let mut line = Line::new();
        line.push(Role::Critical, "     ")
            .push_untrusted(Role::Critical, &m.module);
        line.push(Role::Plain, "  source ");
        match &m.source {
            Some(source) => line.push_quoted(Role::Plain, source),
            None => line.push(Role::Muted, "none"),
        };
        if let Some(version) = &m.version_constraint {
            line.push(Role::Plain, " version ")
                .push_quoted(Role::Plain, version);
        }
        line.push(Role::Muted, format!("  ({})", m.why));
        lines.push(line.finish());
    }
    lines
}

/// `resource_drift`: changes made outside of Terraform/OpenTofu.
pub fn drift_lines(plan: &Plan, ctx: &RenderContext<'_>) -> Vec<Line> {
    if plan.resource_drift.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        Line::new(),
        text_line(
            Role::Warning,
            "Objects have changed outside of Terraform/OpenTofu:",
        ),
    ];
    for rc in &plan.resource_drift {
        lines.push(Line::new());
        let relevant = plan.relevant_attributes.is_empty()
            || plan
                .relevant_attributes
                .iter()
                .any(|r| r.resource == rc.address);
        lines.extend(resource_lines(rc, ResourceView::Drift, ctx));
        if !relevant {
            lines.push(text_line(
                Role::Muted,
                "    # (not referenced by the configuration)",
            ));
        }
    }
    lines
}

/// `output_changes` other than no-ops.
pub fn outputs_lines(plan: &Plan, ctx: &RenderContext<'_>) -> Vec<Line> {
    let changed: Vec<_> = plan
        .output_changes
        .iter()
        .filter(|o| o.change.kind != crate::plan::ChangeKind::NoOp)
        .collect();
    if changed.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::new(), text_line(Role::Heading, "Changes to Outputs:")];
    for output in changed {
        let mut renderer = ValueRenderer {
            options: ctx.options,
            lines: Vec::new(),
        };
        match diff_change(&output.change) {
            Ok(Some(node)) => {
                let members = [(output.name.clone(), node)];
                renderer.outputs(&members);
            }
            Ok(None) => {}
            Err(e) => renderer.lines.push(text_line(
                Role::Warning,
                format!("  # output values could not be read: {e}"),
            )),
        }
        lines.extend(renderer.lines);
    }
    lines
}

/// Checks, preconditions and postconditions that did not pass.
pub fn checks_lines(plan: &Plan) -> Vec<Line> {
    if plan.checks.is_empty() {
        return Vec::new();
    }
    let count = |status| plan.checks.iter().filter(|c| c.status == status).count();
    let (pass, fail, error, unknown) = (
        count(CheckStatus::Pass),
        count(CheckStatus::Fail),
        count(CheckStatus::Error),
        count(CheckStatus::Unknown),
    );
    let role = if fail + error > 0 {
        Role::Critical
    } else {
        Role::Heading
    };
    let mut lines = vec![
        Line::new(),
        text_line(
            role,
            format!("Checks: {pass} pass, {fail} fail, {error} error, {unknown} unknown"),
        ),
    ];
    for check in plan.checks.iter().filter(|c| c.status != CheckStatus::Pass) {
        let mut line = Line::new();
        let role = if check.status == CheckStatus::Unknown {
            Role::Muted
        } else {
            Role::Critical
        };
        line.push(role, format!("  {} ", check.status.word()))
            .push_untrusted(Role::Plain, &check.address);
        line.push(Role::Muted, " (")
            .push_untrusted(Role::Muted, &check.kind)
            .push(Role::Muted, ")");
        lines.push(line.finish());
        for problem in &check.problems {
            let mut line = Line::new();
            line.push(Role::Muted, "      ")
                .push_untrusted(Role::Plain, problem);
            lines.push(line.finish());
        }
    }
    lines
}

/// Changes Terraform deferred to a later plan.
pub fn deferred_lines(plan: &Plan, ctx: &RenderContext<'_>) -> Vec<Line> {
    if plan.deferred_changes.is_empty() && plan.action_invocations.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    if !plan.deferred_changes.is_empty() {
        lines.push(Line::new());
        lines.push(text_line(
            Role::Warning,
            "Deferred changes (planned again after this apply):",
        ));
    }
    for deferred in &plan.deferred_changes {
        lines.push(Line::new());
        let mut reason = Line::new();
        reason
            .push(Role::Muted, "  # deferred because ")
            .push_untrusted(Role::Muted, &deferred.reason);
        lines.push(reason.finish());
        lines.extend(resource_lines(
            &deferred.resource_change,
            ResourceView::Planned,
            ctx,
        ));
    }
    if !plan.action_invocations.is_empty() {
        lines.push(Line::new());
        lines.push(text_line(Role::Heading, "Actions to invoke:"));
        for address in &plan.action_invocations {
            let mut line = Line::new();
            line.push(Role::Update, "  ! ")
                .push_untrusted(Role::Plain, address);
            lines.push(line.finish());
        }
    }
    lines
}
