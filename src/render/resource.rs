//! One resource change: the `# address will be …` header with its risk badge
//! and cost, then the `resource "type" "name" { … }` block with the diff.

use super::value::ValueRenderer;
use super::{Line, RenderContext, Role};
use crate::cost::{CostLevel, CostThresholds, format_delta};
use crate::diff::diff_change;
use crate::plan::{ChangeKind, Mode, ResourceChange};
use crate::risk::{Assessment, Risk};

/// How a resource change is framed: a planned change or a drift entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceView {
    Planned,
    Drift,
}

/// The header sentence after the address, e.g. `will be updated in-place`,
/// or `(deposed object 1a2b) will be destroyed` (the key escaped).
pub fn resource_header_text(rc: &ResourceChange, view: ResourceView) -> String {
    let deposed = rc
        .deposed
        .as_deref()
        .map(|key| format!("(deposed object {}) ", crate::sanitize::escape(key).text))
        .unwrap_or_default();
    if view == ResourceView::Drift {
        return match rc.change.kind {
            ChangeKind::Delete => "has been deleted".to_string(),
            _ => "has changed".to_string(),
        };
    }
    let verb = match &rc.change.kind {
        ChangeKind::Create => "will be created",
        ChangeKind::Update => "will be updated in-place",
        ChangeKind::Delete => "will be destroyed",
        ChangeKind::DeleteThenCreate => "must be replaced",
        ChangeKind::CreateThenDelete => "must be replaced (create before destroy)",
        ChangeKind::Read => "will be read during apply",
        ChangeKind::Forget => "will be removed from state, but will not be destroyed",
        ChangeKind::NoOp if rc.is_import() => "will be imported",
        ChangeKind::NoOp if rc.is_move() => "has moved",
        ChangeKind::NoOp => "has no changes",
        ChangeKind::Unknown(_) => "has an action plandeck does not know",
    };
    let import = if rc.is_import() && rc.change.kind != ChangeKind::NoOp {
        ", after being imported"
    } else {
        ""
    };
    format!("{deposed}{verb}{import}")
}

/// All lines of one resource change.
pub fn resource_lines(
    rc: &ResourceChange,
    view: ResourceView,
    ctx: &RenderContext<'_>,
) -> Vec<Line> {
    let assessment = ctx.risk.assess(rc);
    let mut lines = vec![header(rc, view, &assessment, ctx)];
    if let Some(previous) = rc.previous_address.as_deref().filter(|_| rc.is_move()) {
        let mut line = Line::new();
        line.push(Role::Muted, "  # (moved from ")
            .push_untrusted(Role::Muted, previous)
            .push(Role::Muted, ")");
        lines.push(line.finish());
    }
    if let Some(reason) = rc.action_reason_text() {
        let mut line = Line::new();
        line.push(Role::Muted, "  # (because ")
            .push_untrusted(Role::Muted, &reason)
            .push(Role::Muted, ")");
        lines.push(line.finish());
    }
    if rc.change.generated_config.is_some() {
        let mut line = Line::new();
        line.push(
            Role::Muted,
            "  # (configuration will be generated for this import)",
        );
        lines.push(line);
    }
    let mut open = Line::new();
    let symbol = match view {
        ResourceView::Drift => "~",
        ResourceView::Planned => rc.change.kind.symbol(),
    };
    let role = kind_role(&rc.change.kind);
    open.push(role, format!("{symbol:>3} "));
    open.push(
        Role::Plain,
        if rc.mode == Mode::Data {
            "data "
        } else {
            "resource "
        },
    );
    open.push_quoted(Role::Plain, &rc.resource_type)
        .push(Role::Plain, " ");
    open.push_quoted(Role::Plain, &rc.name)
        .push(Role::Plain, " {");
    lines.push(open.finish());
    let mut body = ValueRenderer {
        options: ctx.options,
        lines: Vec::new(),
    };
    match diff_change(&rc.change) {
        Ok(Some(node)) => body.body(&node, 6),
        Ok(None) => {}
        Err(e) => {
            let mut line = Line::new();
            line.push(
                Role::Warning,
                format!("      # values could not be read: {e}"),
            );
            body.lines.push(line);
        }
    }
    lines.extend(body.lines);
    let mut close = Line::new();
    close.push(Role::Plain, "    }");
    lines.push(close);
    lines
}

fn header(
    rc: &ResourceChange,
    view: ResourceView,
    assessment: &Assessment,
    ctx: &RenderContext<'_>,
) -> Line {
    let mut line = Line::new();
    line.push(Role::Heading, "  # ");
    line.push_untrusted(Role::Heading, &rc.address);
    line.push(
        Role::Heading,
        format!(" {}", resource_header_text(rc, view)),
    );
    if view == ResourceView::Planned {
        match assessment.risk {
            // The reason can name the plan's resource type: untrusted.
            Risk::Critical => {
                line.push(Role::Plain, " ")
                    .push(Role::Critical, "[CRITICAL: ")
                    .push_untrusted(Role::Critical, &assessment.reason)
                    .push(Role::Critical, "]");
            }
            Risk::High => {
                line.push(Role::Plain, " ")
                    .push(Role::High, "[HIGH: ")
                    .push_untrusted(Role::High, &assessment.reason)
                    .push(Role::High, "]");
            }
            _ => {}
        }
        if let Some((delta, cost)) = ctx
            .cost
            .and_then(|c| c.resource_delta(&rc.address).map(|d| (d, c)))
        {
            let currency = cost.currency.as_str();
            let level = ctx.cost_thresholds.level(delta);
            line.push(Role::Plain, " ");
            line.push(
                cost_role(level),
                format!("({})", format_delta(delta, currency)),
            );
            if let Some(badge) = cost_badge(level, ctx.cost_thresholds, currency) {
                line.push(Role::Plain, " ");
                line.push(cost_role(level), badge);
            }
        }
    }
    line.finish()
}

/// The words that mark a delta past a threshold, so it shows without
/// colour too: `[COST WARN: at least +$100.00/mo]`; `None` below the warning.
pub fn cost_badge(level: CostLevel, thresholds: &CostThresholds, currency: &str) -> Option<String> {
    let (word, threshold) = match level {
        CostLevel::Warn => ("WARN", thresholds.warn_monthly_delta),
        CostLevel::Critical => ("CRITICAL", thresholds.critical_monthly_delta),
        _ => return None,
    };
    Some(format!(
        "[COST {word}: at least {}]",
        format_delta(threshold, currency)
    ))
}

/// The role that shows a cost level.
pub fn cost_role(level: CostLevel) -> Role {
    match level {
        CostLevel::Decrease => Role::CostDown,
        CostLevel::Neutral => Role::Muted,
        CostLevel::Increase => Role::CostUp,
        CostLevel::Warn => Role::Warning,
        CostLevel::Critical => Role::Critical,
    }
}

pub(super) fn kind_role(kind: &ChangeKind) -> Role {
    match kind {
        ChangeKind::Create => Role::Create,
        ChangeKind::Update => Role::Update,
        ChangeKind::Delete => Role::Delete,
        ChangeKind::DeleteThenCreate | ChangeKind::CreateThenDelete => Role::Replace,
        ChangeKind::Read => Role::Read,
        ChangeKind::Forget | ChangeKind::NoOp => Role::Muted,
        ChangeKind::Unknown(_) => Role::High,
    }
}
