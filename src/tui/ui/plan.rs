//! The plan view: a header with flags, counts, risk, cost, review progress
//! and filters, then the scrollable rows (drift, resource changes folded or
//! unfolded, outputs, checks).

use super::requests::clean;
use super::{UiState, highlight, scroll_to, styled_line};
use crate::cost::format_delta;
use crate::render::{self, Role};
use crate::risk::Risk;
use crate::tui::plan_view::{PlanView, Row};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    view: &PlanView,
    state: &State,
    ui: &mut UiState,
    theme: &Theme,
) {
    let header = header_lines(view, state, theme);
    let [top, rows_area] = Layout::vertical([
        Constraint::Length(header.len() as u16 + 1),
        Constraint::Min(1),
    ])
    .areas(area);
    let title = format!(" {} · {} ", clean(&view.request.id), clean(&view.root));
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.title()));
    frame.render_widget(Paragraph::new(header).block(block), top);
    let rows_area = match split_for_outline(rows_area, view.outline.focused) {
        (Some(outline_area), diff) => {
            super::outline::draw(frame, outline_area, view, &mut ui.outline_offset, theme);
            diff
        }
        (None, diff) => diff,
    };
    let height = rows_area.height as usize;
    scroll_to(&mut ui.plan_offset, view.cursor, height);
    let lines: Vec<Line> = view
        .rows
        .iter()
        .enumerate()
        .skip(ui.plan_offset)
        .take(height)
        .map(|(pos, row)| {
            let line = row_line(view, *row, theme);
            if pos == view.cursor {
                highlight(line, rows_area.width, theme)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows_area);
}

/// Terminals at least this wide show the outline beside the diff.
const OUTLINE_FROM: u16 = 60;

/// The outline's area (when shown) and the diff's. On a terminal too
/// narrow for both, a focused outline takes the whole width.
fn split_for_outline(area: Rect, focused: bool) -> (Option<Rect>, Rect) {
    if area.width < OUTLINE_FROM {
        return if focused {
            (Some(area), Rect::default())
        } else {
            (None, area)
        };
    }
    let width = (area.width * 30 / 100).clamp(24, 56);
    let [outline, diff] =
        Layout::horizontal([Constraint::Length(width), Constraint::Min(1)]).areas(area);
    (Some(outline), diff)
}

fn header_lines(view: &PlanView, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let summary = &view.loaded.summary;
    let mut lines = Vec::new();
    for flag in &summary.flags {
        lines.push(Line::from(Span::styled(
            format!("!! {flag}"),
            theme.role(Role::Critical),
        )));
    }
    if view.loaded.stored.head != view.request.head {
        lines.push(Line::from(Span::styled(
            "!! OUTDATED: this plan was made from an older head commit; plan again",
            theme.role(Role::Warning),
        )));
    }
    for line in render::plan_header_lines(summary).iter().take(2) {
        lines.push(styled_line(line, theme));
    }
    let ((viewed, total), (destructive_viewed, destructive)) = view.progress();
    let mut progress = vec![
        Span::styled("Review: ", theme.role(Role::Heading)),
        Span::raw(format!("viewed {viewed}/{total}")),
    ];
    if destructive > 0 {
        let role = if destructive_viewed < destructive {
            Role::High
        } else {
            Role::Create
        };
        progress.push(Span::raw("  "));
        progress.push(Span::styled(
            format!("destructive viewed {destructive_viewed}/{destructive}"),
            theme.role(role),
        ));
    }
    if let Some(cost) = &summary.cost {
        let text = cost
            .monthly_delta
            .map_or("unknown".into(), |d| format_delta(d, &cost.currency));
        progress.push(Span::styled("  Cost: ", theme.role(Role::Heading)));
        progress.push(Span::styled(text, theme.role(cost_role(cost.level))));
    }
    lines.push(Line::from(progress));
    let mut filters = vec![Span::styled(
        format!(
            "Filter: {} · risk ≥ {}",
            view.action_filter.word(),
            view.min_risk.map_or("any", Risk::word)
        ),
        theme.role(Role::Muted),
    )];
    if view.hidden_by_noise > 0 || !state.settings.noise.attributes.is_empty() {
        let what = if view.show_noise {
            "noise shown (. to hide)".to_string()
        } else {
            let mut parts = Vec::new();
            if view.hidden_by_noise > 0 {
                parts.push(format!("{} hidden by noise rules", view.hidden_by_noise));
            }
            let attributes = &state.settings.noise.attributes;
            if !attributes.is_empty() {
                let names: Vec<&str> = attributes.iter().map(String::as_str).collect();
                parts.push(format!("{} folded", names.join(", ")));
            }
            format!("{} (. shows all)", parts.join(", "))
        };
        filters.push(Span::styled(
            format!(" · {what}"),
            theme.role(Role::Warning),
        ));
    }
    if !view.search.query.is_empty() || view.search.editing {
        let cursor = if view.search.editing { "▏" } else { "" };
        filters.push(Span::raw(format!(
            " · /{}{cursor} ({} matches)",
            clean(&view.search.query),
            view.search.matches.len()
        )));
    }
    lines.extend(decision_lines(view, state, theme));
    if let Some((digest, _)) = &view.loaded.since_approval {
        let short = clean(crate::plan::short_digest(digest));
        let text = if view.show_delta {
            format!(
                "Re-review: your approval of {short} is stale; showing only what changed since (v: whole plan)"
            )
        } else {
            format!("Re-review: your approval of {short} is stale (v: only what changed since)")
        };
        lines.push(Line::from(Span::styled(text, theme.role(Role::Warning))));
    }
    if let Some(notice) = &view.notice {
        filters.push(Span::styled(
            format!(" · {notice}"),
            theme.role(Role::Warning),
        ));
    }
    lines.push(Line::from(filters));
    lines
}

fn row_line(view: &PlanView, row: Row, theme: &Theme) -> Line<'static> {
    match row {
        Row::Text(n) => view
            .texts
            .get(n)
            .map_or_else(Line::default, |l| styled_line(l, theme)),
        Row::Body(i, n) => view
            .body_line(i, n)
            .map_or_else(Line::default, |l| styled_line(l, theme)),
        Row::Resource(i) => resource_header(view, i, theme),
    }
}

fn resource_header(view: &PlanView, i: usize, theme: &Theme) -> Line<'static> {
    let rc = &view.loaded.plan.resource_changes[i];
    let risk = view.loaded.risks[i];
    let mut spans = vec![
        if view.is_viewed(i) {
            Span::styled("✓ ", theme.role(Role::Create))
        } else {
            Span::styled("· ", theme.role(Role::Muted))
        },
        Span::raw(if view.folded[i] { "▸ " } else { "▾ " }),
    ];
    match risk {
        Risk::Critical => spans.push(Span::styled("CRIT", theme.role(Role::Critical))),
        Risk::High => spans.push(Span::styled("HIGH", theme.role(Role::High))),
        _ => spans.push(Span::raw("    ")),
    }
    let kind_role = match &rc.change.kind {
        k if k.is_replace() => Role::Replace,
        crate::plan::ChangeKind::Create => Role::Create,
        crate::plan::ChangeKind::Update => Role::Update,
        crate::plan::ChangeKind::Delete => Role::Delete,
        crate::plan::ChangeKind::Read => Role::Read,
        _ => Role::Muted,
    };
    spans.push(Span::styled(
        format!(" {:>3} ", rc.change.kind.symbol()),
        theme.role(kind_role),
    ));
    let address = crate::sanitize::escape(&rc.address);
    spans.push(Span::styled(
        address.text.into_owned(),
        theme.role(Role::Heading),
    ));
    spans.push(Span::raw(format!(
        " {}",
        render::resource_header_text(rc, render::ResourceView::Planned)
    )));
    if address.flagged {
        spans.push(Span::styled(" ⚠ hidden characters", theme.role(Role::Flag)));
    }
    if let Some(delta) = view
        .loaded
        .cost
        .as_ref()
        .and_then(|c| c.resource_delta(&rc.address))
    {
        let currency = view
            .loaded
            .cost
            .as_ref()
            .map_or("USD", |c| c.currency.as_str());
        spans.push(Span::styled(
            format!(" ({})", format_delta(delta, currency)),
            theme.role(Role::CostUp),
        ));
    }
    Line::from(spans)
}

pub(super) use crate::render::cost_role;

/// Decisions shown before the rest are summed up: the header must leave
/// room for the plan.
const MAX_DECISIONS: usize = 4;

/// The Decisions panel: each block in force and each approval on its own
/// line, with who, when, which plan, whether it counts and why, and its
/// comment (every string sanitised); then the gate's failing checks.
fn decision_lines(view: &PlanView, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    use crate::review::ApprovalState;
    let report = &view.loaded.review.report;
    let mut lines = Vec::new();
    if report.approvals.is_empty() && report.blocks.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("Decisions: ", theme.role(Role::Heading)),
            Span::styled("none yet", theme.role(Role::Muted)),
        ]));
    } else {
        lines.push(Line::from(Span::styled(
            "Decisions:",
            theme.role(Role::Heading),
        )));
    }
    let mut entries: Vec<Vec<Line<'static>>> = Vec::new();
    for block in &report.blocks {
        entries.push(decision_line(
            state,
            block,
            ("⛔", Role::High),
            "blocked",
            "in force".into(),
            theme,
        ));
    }
    // Newest first: the latest decisions matter most when the list is cut.
    for approval in report.approvals.iter().rev() {
        let (mark, state_text) = match &approval.state {
            ApprovalState::Counted => (("✓", Role::Create), "counted".to_string()),
            ApprovalState::Stale(r) => (("⟲", Role::Warning), format!("stale: {r}")),
            ApprovalState::NotCounted(r) => (("✗", Role::Muted), format!("not counted: {r}")),
        };
        // An emergency approval is red whatever its state: it asks to
        // waive the deployment window.
        let (mark, verb) = match approval.decision.emergency {
            Some(_) => (("‼", Role::High), "EMERGENCY-approved"),
            None => (mark, "approved"),
        };
        entries.push(decision_line(
            state,
            &approval.decision,
            mark,
            verb,
            state_text,
            theme,
        ));
    }
    let hidden = entries.len().saturating_sub(MAX_DECISIONS);
    lines.extend(entries.into_iter().take(MAX_DECISIONS).flatten());
    if hidden > 0 {
        lines.push(Line::from(Span::styled(
            format!("  … {hidden} more (`plandeck status` lists every decision)"),
            theme.role(Role::Muted),
        )));
    }
    let failing: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{} ({})", c.name, clean(&c.detail)))
        .collect();
    let mut gate = if failing.is_empty() {
        Line::from(vec![
            Span::styled("Gate: ", theme.role(Role::Heading)),
            Span::styled("ready to apply", theme.role(Role::Create)),
        ])
    } else {
        Line::from(vec![
            Span::styled("Gate: ", theme.role(Role::Heading)),
            Span::styled(
                format!("not ready: {}", failing.join("; ")),
                theme.role(Role::Warning),
            ),
        ])
    };
    if let Some(waiver) = &report.emergency {
        gate.spans.push(Span::styled(
            format!(
                " · EMERGENCY: window waived by {}",
                clean(&waiver.by.handle())
            ),
            theme.role(Role::High),
        ));
    }
    lines.push(gate);
    lines
}

/// `  ✓ who approved 5m ago · plan sha256:0123abcd · counted`, then the
/// comment on a line of its own (so a long reason cannot hide it).
fn decision_line(
    state: &State,
    d: &crate::review::Decision,
    (mark, role): (&str, Role),
    verb: &str,
    state_text: String,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let digest: String = if d.digest.is_empty() {
        "no plan".into()
    } else {
        format!("plan {}", clean(crate::plan::digest_label(&d.digest, 8)))
    };
    let spans = vec![
        Span::styled(format!("  {mark} "), theme.role(role)),
        Span::styled(
            format!(
                "{} {verb} {} ago · {digest} · ",
                clean(&d.who.handle()),
                super::age(state.now, d.at)
            ),
            // An emergency approval's whole line is red.
            if d.emergency.is_some() {
                theme.role(Role::High)
            } else {
                ratatui::style::Style::default()
            },
        ),
        Span::styled(clean(&state_text), theme.role(role)),
    ];
    let mut lines = vec![Line::from(spans)];
    if let Some(emergency) = &d.emergency {
        lines.push(Line::from(Span::styled(
            format!("      EMERGENCY: “{}”", clean(&emergency.reason)),
            theme.role(Role::High),
        )));
    }
    if let Some(comment) = d.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        lines.push(Line::from(Span::styled(
            format!("      “{}”", clean(comment)),
            theme.role(Role::Muted),
        )));
    }
    lines
}
