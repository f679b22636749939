//! The root matrix of a request touching several roots: one row per root
//! with its environment, path (and the changed modules it is affected
//! through), plan state, counts, risk, cost, last drift check,
//! apply state (lock, last result), approvals and digest.

use super::requests::{clean, counts_spans, env_badge, risk_span, via_text};
use crate::cost::format_delta;
use crate::render::Role;
use crate::tui::state::{State, root_status};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    request: &str,
    selected: usize,
    theme: &Theme,
) {
    let Some(entry) = state
        .list
        .selected_entry()
        .filter(|e| e.request.id == request)
    else {
        frame.render_widget(Paragraph::new(" the request is gone; press Esc"), area);
        return;
    };
    let title = format!(
        " {} — {} — into {} — {} roots ",
        clean(&entry.request.id),
        clean(&entry.request.title),
        clean(&entry.request.base),
        entry.request.roots.len()
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.title()));
    let rows = entry.request.roots.iter().enumerate().map(|(i, root)| {
        let info = &entry.roots[i];
        let summary = info.summary.as_ref();
        let counts = summary.map_or([0; 4], |s| {
            [
                s.counts.create,
                s.counts.update,
                s.counts.delete,
                s.counts.replace,
            ]
        });
        let cost = summary.and_then(|s| s.cost.as_ref()).map_or_else(
            || Span::styled("-", theme.role(Role::Muted)),
            |c| {
                let text = c
                    .monthly_delta
                    .map_or("unknown".into(), |d| format_delta(d, &c.currency));
                Span::styled(text, theme.role(super::plan::cost_role(c.level)))
            },
        );
        let status = match (&info.error, root_status(entry, i)) {
            (Some(e), _) => Span::styled(format!("error: {}", clean(e)), theme.role(Role::High)),
            (None, status) => Span::raw(status.word()),
        };
        let digest = info.stored.as_ref().map_or(String::new(), |s| {
            // The column is narrow: the scheme and 8 digits (`v2:0a1b2c3d`).
            let label = crate::plan::digest_label(&s.digest, 8);
            clean(label.strip_prefix("sha256:").unwrap_or(label))
        });
        let row =
            Row::new(vec![
                Cell::from(env_badge(root.environment.as_deref().unwrap_or("?"), theme)),
                Cell::from(Line::from(
                    std::iter::once(Span::raw(clean(&root.path)))
                        .chain(via_text(root.via.iter()).map(|text| {
                            Span::styled(format!(" {text}"), theme.role(Role::Warning))
                        }))
                        .collect::<Vec<_>>(),
                )),
                Cell::from(status),
                Cell::from(counts_spans(counts, theme)),
                Cell::from(risk_span(info.highest_risk(), theme)),
                Cell::from(cost),
                Cell::from(drift(info, state.now, theme)),
                Cell::from(apply(info, state.now, theme)),
                Cell::from(approvals(info, theme)),
                Cell::from(Span::styled(digest, theme.role(Role::Muted))),
            ]);
        if i == selected {
            row.style(theme.selection())
        } else {
            row
        }
    });
    let header = Row::new([
        "Env",
        "Root",
        "Plan",
        "+ ~ - ±",
        "Risk",
        "Cost",
        "Drift",
        "Apply",
        "Approvals",
        "Digest",
    ])
    .style(theme.role(Role::Heading));
    let widths = [
        Constraint::Length(8),
        Constraint::Fill(2),
        Constraint::Fill(1),
        Constraint::Length(12),
        Constraint::Length(6),
        Constraint::Length(12),
        Constraint::Length(14),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(15),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

/// The root's last drift check on the base: `clean 2h`, `3 drifted 1d`,
/// `acked 1d` (this very drift acknowledged), `error 5m`, or `-` when never
/// checked.
pub(super) fn drift(
    info: &crate::tui::msg::RootPlanInfo,
    now: i64,
    theme: &Theme,
) -> Span<'static> {
    use crate::drift::DriftStatus;
    let Some(report) = &info.drift else {
        return Span::styled("-", theme.role(Role::Muted));
    };
    let age = super::age(now, report.checked_at);
    match report.status {
        DriftStatus::Clean => Span::styled(format!("clean {age}"), theme.role(Role::Create)),
        DriftStatus::Drift if report.current_ack().is_some() => {
            Span::styled(format!("acked {age}"), theme.role(Role::Muted))
        }
        DriftStatus::Drift => Span::styled(
            format!("{} drifted {age}", report.drifted.len()),
            theme.role(Role::High),
        ),
        DriftStatus::Error => Span::styled(format!("error {age}"), theme.role(Role::Warning)),
    }
}

/// The local executor's state of the root: `applying`, `interrupted`, or
/// the last result for this head with its age (`unconverged` or `verify
/// fail` for an applied root whose after-apply check found changes left or
/// a failed verify); `-` before any apply.
pub(super) fn apply(
    info: &crate::tui::msg::RootPlanInfo,
    now: i64,
    theme: &Theme,
) -> Span<'static> {
    use crate::tui::{AfterApply, ApplyState};
    match &info.apply {
        None => Span::styled("-", theme.role(Role::Muted)),
        Some(ApplyState::Applying { .. }) => Span::styled("applying", theme.role(Role::Warning)),
        Some(ApplyState::Interrupted { .. }) => Span::styled("interrupted", theme.role(Role::High)),
        // Applied, but its after-apply check found changes left or a failed
        // verify: that, without the age, fits the column.
        Some(ApplyState::Applied { at, check }) => match check {
            AfterApply::Clean => Span::styled(
                format!("applied {}", super::age(now, *at)),
                theme.role(Role::Create),
            ),
            AfterApply::NotConverged => Span::styled("unconverged", theme.role(Role::High)),
            AfterApply::VerifyFailed => Span::styled("verify fail", theme.role(Role::High)),
        },
        Some(ApplyState::Failed { at }) => Span::styled(
            format!("failed {}", super::age(now, *at)),
            theme.role(Role::High),
        ),
    }
}

/// `1/2`, `blocked` or `-` for one root.
pub(super) fn approvals(info: &crate::tui::msg::RootPlanInfo, theme: &Theme) -> Span<'static> {
    match &info.gate {
        Some(gate) if !gate.blocks.is_empty() => Span::styled("blocked", theme.role(Role::High)),
        Some(gate) => {
            let role = if gate.counted >= gate.required {
                Role::Create
            } else {
                Role::Plain
            };
            Span::styled(
                format!("{}/{}", gate.counted, gate.required),
                theme.role(role),
            )
        }
        None => Span::styled("-", theme.role(Role::Muted)),
    }
}
