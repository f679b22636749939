//! Confirmations and prompts: the gate report of the root, then what the
//! user must type or press. Drawing only; the keys are `update`'s.

use super::requests::clean;
use crate::render::Role;
use crate::review::GateReport;
use crate::tui::state::Modal;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, modal: &Modal, theme: &Theme) {
    if let Modal::Drift { root, block, text } = modal {
        return draw_drift(frame, area, root, *block, text, theme);
    }
    let (title, report, prompt) = match modal {
        Modal::Drift { .. } => return,
        Modal::Approve {
            decision,
            report,
            typed,
            emergency: Some(entry),
            ..
        } => (
            format!(
                " EMERGENCY approval {} · {} ",
                clean(&decision.request),
                clean(&decision.root)
            ),
            report,
            emergency_prompt(&decision.root, entry, typed, theme),
        ),
        Modal::Approve {
            decision,
            report,
            typed_confirmation,
            typed,
            emergency_refused,
            emergency: None,
        } => {
            let mut prompt = match typed_confirmation {
                Some(root) => vec![
                    Line::from(Span::styled(
                        "This plan has CRITICAL changes. Type the root's name to approve:",
                        theme.role(Role::Critical),
                    )),
                    Line::from(vec![
                        Span::raw(format!("  {} ", clean(root))),
                        Span::styled(format!("> {}▏", clean(typed)), theme.key()),
                    ]),
                    Line::from(Span::styled(
                        "  <Enter> approve if it matches · <Esc> cancel",
                        theme.role(Role::Muted),
                    )),
                ],
                None => vec![Line::from(vec![
                    Span::raw("Approve? "),
                    Span::styled("y", theme.key()),
                    Span::raw(" yes · "),
                    Span::styled("n <Enter> <Esc>", theme.key()),
                    Span::raw(" no"),
                ])],
            };
            if emergency_refused.is_none() {
                prompt.push(Line::from(vec![
                    Span::styled("<Tab>", theme.key()),
                    Span::styled(
                        " emergency approval instead: waives the deployment window, nothing else",
                        theme.role(Role::High),
                    ),
                ]));
            }
            (
                format!(
                    " Approve {} · {} ",
                    clean(&decision.request),
                    clean(&decision.root)
                ),
                report,
                prompt,
            )
        }
        Modal::Apply {
            request,
            root,
            report,
            blockers,
            notes,
        } => (
            format!(" Apply {} · {} ", clean(request), clean(root)),
            report,
            apply_prompt(blockers, notes, theme),
        ),
        Modal::Block {
            decision,
            report,
            reason,
        } => (
            format!(
                " Block {} · {} ",
                clean(&decision.request),
                clean(&decision.root)
            ),
            report,
            vec![
                Line::from("Why? (the reason is recorded and shown to everyone)"),
                Line::from(Span::styled(format!("> {}▏", clean(reason)), theme.key())),
                Line::from(Span::styled(
                    "  <Enter> block · <Esc> cancel",
                    theme.role(Role::Muted),
                )),
            ],
        ),
    };
    let mut lines = gate_lines(report, theme);
    lines.push(Line::default());
    lines.extend(prompt);
    let popup = super::centered(area, 90, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}

/// The emergency approval's steps, in red: the reason, then the root's name.
fn emergency_prompt(
    root: &str,
    entry: &crate::tui::state::EmergencyEntry,
    typed: &str,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let red = theme.role(Role::High);
    let mut lines = vec![
        Line::from(Span::styled(
            "EMERGENCY APPROVAL: waives the deployment window only; the second person and \
             every other check still apply. Recorded and audited as an emergency.",
            theme.role(Role::Critical),
        )),
        Line::from(Span::styled(
            "Reason (recorded, audited and shown with the approval):",
            red,
        )),
    ];
    if entry.confirming {
        lines.push(Line::from(Span::styled(
            format!("  {}", clean(&entry.reason)),
            red,
        )));
        lines.push(Line::from(Span::styled(
            "Type the root's name to confirm the emergency approval:",
            red,
        )));
        lines.push(Line::from(vec![
            Span::raw(format!("  {} ", clean(root))),
            Span::styled(format!("> {}▏", clean(typed)), theme.key()),
        ]));
        lines.push(Line::from(Span::styled(
            "  <Enter> approve if it matches · <Esc> cancel",
            theme.role(Role::Muted),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            format!("> {}▏", clean(&entry.reason)),
            theme.key(),
        )));
        lines.push(Line::from(Span::styled(
            "  <Enter> next · <Esc> cancel",
            theme.role(Role::Muted),
        )));
    }
    lines
}

/// The gate report: one line per check, then the approvals.
/// The apply confirmation's last lines: what stops it, or the question.
fn apply_prompt(blockers: &[String], notes: &[String], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = notes
        .iter()
        .map(|n| {
            Line::from(Span::styled(
                format!("Note: {n}"),
                theme.role(Role::Warning),
            ))
        })
        .collect();
    if !blockers.is_empty() {
        lines.extend(blockers.iter().map(|b| {
            Line::from(Span::styled(
                format!("✗ {}", clean(b)),
                theme.role(Role::High),
            ))
        }));
        lines.push(Line::from(Span::styled(
            "The gate fails: the apply cannot start. <Esc> closes.",
            theme.role(Role::High),
        )));
        return lines;
    }
    lines.push(Line::from(
        "Re-plans the root, checks the digest against the approved one, applies that plan file.",
    ));
    lines.push(Line::from(vec![
        Span::raw("Apply? "),
        Span::styled("y", theme.key()),
        Span::raw(" yes · "),
        Span::styled("n <Enter> <Esc>", theme.key()),
        Span::raw(" no"),
    ]));
    lines
}

pub fn gate_lines(report: &GateReport, theme: &Theme) -> Vec<Line<'static>> {
    let verdict = if report.passed {
        ("ready to apply", Role::Create)
    } else {
        ("not ready to apply", Role::Warning)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("Gate [{}]: ", clean(&report.environment)),
            theme.role(Role::Heading),
        ),
        Span::styled(verdict.0, theme.role(verdict.1)),
    ])];
    for check in &report.checks {
        let waived = check.name == "window" && report.emergency.is_some();
        let (mark, role) = match (check.passed, waived) {
            (_, true) => ("!", Role::High),
            (true, false) => ("✓", Role::Create),
            (false, false) => ("✗", Role::High),
        };
        let detail = if waived {
            Span::styled(clean(&check.detail), theme.role(Role::High))
        } else {
            Span::raw(clean(&check.detail))
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), theme.role(role)),
            Span::styled(format!("{:<12}", check.name), theme.role(Role::Heading)),
            detail,
        ]));
    }
    lines
}

fn draw_drift(frame: &mut Frame, area: Rect, root: &str, block: bool, text: &str, theme: &Theme) {
    let (title, ask) = if block {
        (
            format!(" Block every open request touching {} ", clean(root)),
            "Why? (recorded as `drift: …` on each request)",
        )
    } else {
        (
            format!(" Acknowledge the drift of {} ", clean(root)),
            "Note (recorded and audited):",
        )
    };
    let lines = vec![
        Line::from(ask),
        Line::from(Span::styled(format!("> {}▏", clean(text)), theme.key())),
        Line::from(Span::styled(
            "  <Enter> record · <Esc> cancel",
            theme.role(Role::Muted),
        )),
    ];
    let popup = super::centered(area, 90, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
