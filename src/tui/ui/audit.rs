//! The audit view: every recorded decision, apply and merge, newest last.

use super::requests::clean;
use super::{UiState, scroll_to};
use crate::render::Role;
use crate::tui::state::{AuditScreen, Loadable};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

pub fn draw(frame: &mut Frame, area: Rect, audit: &AuditScreen, ui: &mut UiState, theme: &Theme) {
    let records = match &audit.records {
        Loadable::Loaded(records) => records,
        other => return super::draw_loadable(frame, area, other, "audit log", theme),
    };
    let block = Block::default().borders(Borders::TOP).title(Span::styled(
        format!(" Audit log · {} entries ", records.len()),
        theme.title(),
    ));
    if records.is_empty() {
        frame.render_widget(Paragraph::new(" nothing recorded yet").block(block), area);
        return;
    }
    let height = area.height.saturating_sub(2) as usize;
    scroll_to(&mut ui.code_offset, audit.cursor, height);
    let rows = records
        .iter()
        .enumerate()
        .skip(ui.code_offset)
        .take(height)
        .map(|(i, r)| {
            let e = &r.entry;
            let digest = clean(crate::plan::short_digest(e.digest.as_deref().unwrap_or("")));
            let emergency = e.emergency_reason();
            let role = match e.action.word() {
                _ if emergency.is_some() => Role::High,
                "approve" | "apply-succeeded" | "merge" => Role::Create,
                "block" | "drift-block" | "apply-failed" => Role::High,
                _ => Role::Plain,
            };
            let comment = match emergency {
                Some(reason) => Span::styled(
                    format!(
                        "EMERGENCY: {} {}",
                        clean(reason),
                        clean(e.comment.as_deref().unwrap_or(""))
                    ),
                    theme.role(Role::High),
                ),
                None => Span::raw(clean(e.comment.as_deref().unwrap_or(""))),
            };
            let row = Row::new(vec![
                Cell::from(r.seq.to_string()),
                Cell::from(r.at_utc.clone()),
                Cell::from(clean(&e.who.handle())),
                Cell::from(Span::styled(e.action.word(), theme.role(role))),
                Cell::from(clean(&e.request)),
                Cell::from(clean(e.root.as_deref().unwrap_or(""))),
                Cell::from(Span::styled(digest, theme.role(Role::Muted))),
                Cell::from(comment),
            ]);
            if i == audit.cursor {
                row.style(theme.selection())
            } else {
                row
            }
        });
    let header = Row::new([
        "#",
        "When (UTC)",
        "Who",
        "Action",
        "Request",
        "Root",
        "Digest",
        "Comment",
    ])
    .style(theme.role(Role::Heading));
    let widths = [
        Constraint::Length(4),
        Constraint::Length(20),
        Constraint::Fill(1),
        Constraint::Length(15),
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(22),
        Constraint::Fill(2),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

/// The output of a running or finished apply or plan (the log pane).
pub fn draw_log(
    frame: &mut Frame,
    area: Rect,
    log: &crate::tui::state::LogScreen,
    ui: &mut UiState,
    theme: &Theme,
) {
    let state = match &log.finished {
        None => Span::styled("running…", theme.role(Role::Warning)),
        Some(Ok(done)) => Span::styled(clean(done), theme.role(Role::Create)),
        Some(Err(e)) => Span::styled(clean(e), theme.role(Role::High)),
    };
    let mut title = vec![
        Span::styled(format!(" {} · ", clean(&log.title)), theme.title()),
        state,
    ];
    if log.dropped > 0 {
        title.push(Span::styled(
            match log.kind {
                crate::tui::state::LogKind::Apply => {
                    format!(" · {} earlier lines in the log file", log.dropped)
                }
                crate::tui::state::LogKind::Plan => {
                    format!(" · {} earlier lines not kept", log.dropped)
                }
            },
            theme.role(Role::Muted),
        ));
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .title(ratatui::text::Line::from(title));
    let height = area.height.saturating_sub(1) as usize;
    scroll_to(&mut ui.code_offset, log.cursor, height);
    let lines: Vec<ratatui::text::Line> = log
        .lines
        .iter()
        .skip(ui.code_offset)
        .take(height)
        .map(|l| ratatui::text::Line::from(clean(l)))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
