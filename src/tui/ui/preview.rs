//! The requests list's preview pane (as gh-dash's sidebar): the selected
//! request's roots with environment, plan state, counts, risk, cost, drift,
//! apply state and approvals; its destructive changes (the first few, then
//! "+N more"); the latest decisions; the gate's failing checks. Drawn from
//! the list's own snapshot (the cached summaries), so moving the selection
//! never waits on anything. Every string from the repository is escaped.

use super::matrix;
use super::requests::{
    approvals_span, author_of, clean, counts_spans, display_name, env_badge, risk_span,
};
use crate::cost::format_delta;
use crate::render::Role;
use crate::review::ApprovalState;
use crate::source::PlanStatus;
use crate::tui::msg::RequestEntry;
use crate::tui::state::root_status;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Destructive changes listed before "+N more".
const MAX_DESTRUCTIVE: usize = 5;
/// Decisions listed, newest first.
const MAX_DECISIONS: usize = 3;

pub fn draw(frame: &mut Frame, area: Rect, entry: Option<&RequestEntry>, now: i64, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(theme.border(false))
        .title(Span::styled(" Preview ", theme.title()));
    let lines = match entry {
        Some(entry) => lines(entry, now, theme),
        None => vec![Line::from(Span::styled(
            "no request selected",
            theme.role(Role::Muted),
        ))],
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn heading(text: &'static str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text, theme.role(Role::Heading)))
}

/// The pane's lines for one request.
pub fn lines(entry: &RequestEntry, now: i64, theme: &Theme) -> Vec<Line<'static>> {
    let request = &entry.request;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(clean(&display_name(entry)), theme.role(Role::Heading)),
            Span::raw(format!(" {}", clean(&request.title))),
        ]),
        Line::from(Span::styled(
            format!(
                "by {} · {} · head {}",
                clean(&author_of(entry)),
                clean(&request.id),
                clean(request.head.get(..8).unwrap_or(&request.head))
            ),
            theme.role(Role::Muted),
        )),
        Line::default(),
        heading("Roots", theme),
    ];
    if request.roots.is_empty() {
        lines.push(Line::from(Span::styled(
            " touches no root",
            theme.role(Role::Muted),
        )));
    }
    for (i, root) in request.roots.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::raw(" "),
            env_badge(root.environment.as_deref().unwrap_or("?"), theme),
            Span::raw(format!(" {}", clean(&root.path))),
        ]));
        if let Some(info) = entry.roots.get(i) {
            lines.push(root_line(entry, i, info, now, theme));
        }
    }
    lines.push(Line::default());
    lines.extend(destructive_lines(entry, theme));
    lines.push(Line::default());
    lines.extend(decision_lines(entry, now, theme));
    lines.push(Line::default());
    lines.extend(gate_lines(entry, theme));
    lines
}

/// `   planned  +0 ~2 -1 ±0  CRIT  +$47.08/mo  0/2  drift clean 2h`
fn root_line(
    entry: &RequestEntry,
    i: usize,
    info: &crate::tui::msg::RootPlanInfo,
    now: i64,
    theme: &Theme,
) -> Line<'static> {
    let status = match (&info.error, root_status(entry, i)) {
        (Some(_), _) => Span::styled("error", theme.role(Role::High)),
        (None, PlanStatus::NoPlan) => Span::styled("no plan", theme.role(Role::Muted)),
        (None, PlanStatus::Pending) => {
            Span::styled("no plan (CI running)", theme.role(Role::Muted))
        }
        (None, PlanStatus::Outdated) => Span::styled("outdated", theme.role(Role::Warning)),
        (None, PlanStatus::Planned) => Span::styled("planned", theme.role(Role::Create)),
    };
    let mut spans = vec![Span::raw("   "), status, Span::raw("  ")];
    if let Some(summary) = &info.summary {
        let c = &summary.counts;
        spans.extend(counts_spans([c.create, c.update, c.delete, c.replace], theme).spans);
        spans.push(Span::raw(" "));
        spans.push(risk_span(summary.risk.highest, theme));
        if let Some(cost) = &summary.cost {
            let delta = cost
                .monthly_delta
                .map_or("cost ?".into(), |d| format_delta(d, &cost.currency));
            spans.push(Span::raw("  "));
            spans.push(Span::styled(
                delta,
                theme.role(crate::render::cost_role(cost.level)),
            ));
        }
    }
    spans.push(Span::raw("  "));
    spans.push(matrix::approvals(info, theme));
    spans.push(Span::styled("  drift ", theme.role(Role::Muted)));
    spans.push(matrix::drift(info, now, theme));
    if info.apply.is_some() {
        spans.push(Span::raw("  "));
        spans.push(matrix::apply(info, now, theme));
    }
    Line::from(spans)
}

/// Every root's deletes and replacements, the first few by name.
fn destructive_lines(entry: &RequestEntry, theme: &Theme) -> Vec<Line<'static>> {
    let several = entry.request.roots.len() > 1;
    let all: Vec<(&str, &crate::summary::DestructiveChange)> = entry
        .roots
        .iter()
        .zip(&entry.request.roots)
        .filter_map(|(info, root)| Some((root.path.as_str(), info.summary.as_ref()?)))
        .flat_map(|(root, s)| s.destructive.iter().map(move |d| (root, d)))
        .collect();
    let planned = entry.roots.iter().any(|r| r.summary.is_some());
    let mut lines = vec![Line::from(vec![
        Span::styled("Destructive changes", theme.role(Role::Heading)),
        Span::raw(format!(" ({})", all.len())),
    ])];
    if all.is_empty() {
        let text = if planned { " none" } else { " not planned yet" };
        lines.push(Line::from(Span::styled(text, theme.role(Role::Muted))));
    }
    for (root, change) in all.iter().take(MAX_DESTRUCTIVE) {
        let role = if change.symbol.contains('/') {
            Role::Replace
        } else {
            Role::Delete
        };
        let mut spans = vec![
            Span::styled(format!(" {:>3} ", change.symbol), theme.role(role)),
            Span::raw(clean(&change.address)),
            Span::raw(" "),
            risk_span(Some(change.risk), theme),
        ];
        if several {
            spans.push(Span::styled(
                format!("  {}", clean(root)),
                theme.role(Role::Muted),
            ));
        }
        lines.push(Line::from(spans));
    }
    if all.len() > MAX_DESTRUCTIVE {
        lines.push(Line::from(Span::styled(
            format!(" +{} more", all.len() - MAX_DESTRUCTIVE),
            theme.role(Role::Muted),
        )));
    }
    lines
}

/// Blocks in force, then approvals newest first, over every root.
fn decision_lines(entry: &RequestEntry, now: i64, theme: &Theme) -> Vec<Line<'static>> {
    let gates: Vec<&crate::review::GateReport> =
        entry.roots.iter().filter_map(|r| r.gate.as_ref()).collect();
    let mut decisions: Vec<(i64, Line<'static>)> = Vec::new();
    for gate in &gates {
        for block in &gate.blocks {
            decisions.push((
                block.at,
                Line::from(vec![
                    Span::styled(" ⛔ ", theme.role(Role::High)),
                    Span::raw(format!(
                        "{} blocked {} {} ago",
                        clean(&block.who.handle()),
                        clean(&gate.root),
                        super::age(now, block.at)
                    )),
                ]),
            ));
        }
        for approval in &gate.approvals {
            let (mark, role, word) = match &approval.state {
                ApprovalState::Counted => ("✓", Role::Create, "counted"),
                ApprovalState::Stale(_) => ("⟲", Role::Warning, "stale"),
                ApprovalState::NotCounted(_) => ("✗", Role::Muted, "not counted"),
            };
            let d = &approval.decision;
            decisions.push((
                d.at,
                Line::from(vec![
                    Span::styled(format!(" {mark} "), theme.role(role)),
                    Span::raw(format!(
                        "{} approved {} {} ago · ",
                        clean(&d.who.handle()),
                        clean(&gate.root),
                        super::age(now, d.at)
                    )),
                    Span::styled(word, theme.role(role)),
                ]),
            ));
        }
    }
    decisions.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut lines = vec![heading("Latest decisions", theme)];
    if decisions.is_empty() {
        lines.push(Line::from(Span::styled(
            " none yet",
            theme.role(Role::Muted),
        )));
    }
    let more = decisions.len().saturating_sub(MAX_DECISIONS);
    lines.extend(decisions.into_iter().take(MAX_DECISIONS).map(|(_, l)| l));
    if more > 0 {
        lines.push(Line::from(Span::styled(
            format!(" +{more} more"),
            theme.role(Role::Muted),
        )));
    }
    lines
}

/// Each root's failing gate checks, or that it is ready.
fn gate_lines(entry: &RequestEntry, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("Gate ", theme.role(Role::Heading)),
        approvals_span(entry, theme),
    ])];
    for (info, root) in entry.roots.iter().zip(&entry.request.roots) {
        let Some(gate) = &info.gate else {
            continue;
        };
        let failing: Vec<String> = gate
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} ({})", c.name, clean(&c.detail)))
            .collect();
        let (text, role) = if failing.is_empty() {
            ("ready to apply".to_string(), Role::Create)
        } else {
            (failing.join("; "), Role::Warning)
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {}: ", clean(&root.path))),
            Span::styled(text, theme.role(role)),
        ]));
    }
    if let Some(forge) = &entry.forge_reviews {
        lines.push(Line::from(Span::styled(
            format!(
                " {}{}",
                crate::backend::FORGE_REVIEWS_LABEL,
                clean(&forge.describe())
            ),
            theme.role(Role::Muted),
        )));
    }
    lines
}
