//! The Drift view: every root's last drift check (status, age, what drifted,
//! acknowledgements), and the selected root's drifted resources as diffs.

use super::requests::clean;
use super::{UiState, age, scroll_to, styled_line};
use crate::drift::DriftStatus;
use crate::render::Role;
use crate::tui::state::{DriftScreen, Loadable};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    drift: &DriftScreen,
    now: i64,
    ui: &mut UiState,
    theme: &Theme,
) {
    let entries = match &drift.entries {
        Loadable::Loaded(entries) => entries,
        other => return super::draw_loadable(frame, area, other, "drift reports", theme),
    };
    let drifted = entries
        .iter()
        .filter(|e| e.report.status == DriftStatus::Drift)
        .count();
    let title = format!(
        " Drift · {} roots checked · {drifted} drifted ",
        entries.len()
    );
    if entries.is_empty() {
        let block = Block::default()
            .borders(Borders::TOP)
            .title(Span::styled(title, theme.title()));
        frame.render_widget(
            Paragraph::new(" no drift checks yet: run `plandeck drift check`").block(block),
            area,
        );
        return;
    }
    let list_height = (entries.len() as u16 + 2).min(area.height / 2);
    let [list, detail] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(1)]).areas(area);
    let rows = entries.iter().enumerate().map(|(i, entry)| {
        let r = &entry.report;
        let (word, role) = match r.status {
            DriftStatus::Clean => ("clean", Role::Create),
            DriftStatus::Drift => ("DRIFT", Role::Critical),
            DriftStatus::Error => ("error", Role::High),
        };
        let what: Vec<&str> = r.drifted.iter().map(|d| d.address.as_str()).collect();
        let ack = r.current_ack().map_or(String::new(), |a| {
            format!("acknowledged by {}: {}", a.who.handle(), a.note)
        });
        let row = Row::new(vec![
            Cell::from(clean(&r.root)),
            Cell::from(Span::styled(word, theme.role(role))),
            Cell::from(age(now, r.checked_at)),
            Cell::from(clean(&what.join(", "))),
            Cell::from(Span::styled(clean(&ack), theme.role(Role::Muted))),
        ]);
        if i == drift.selected {
            row.style(theme.selection())
        } else {
            row
        }
    });
    let header = Row::new(["Root", "Status", "Age", "Drifted", "Acknowledged"])
        .style(theme.role(Role::Heading));
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Fill(3),
        Constraint::Fill(2),
    ];
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.title()));
    frame.render_widget(Table::new(rows, widths).header(header).block(block), list);
    let Some(entry) = entries.get(drift.selected) else {
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = &entry.report.error {
        lines.push(Line::from(Span::styled(
            format!("error: {}", clean(error)),
            theme.role(Role::High),
        )));
    }
    lines.extend(entry.lines.iter().map(|l| styled_line(l, theme)));
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "nothing drifted",
            theme.role(Role::Muted),
        )));
    }
    let height = detail.height.saturating_sub(1) as usize;
    scroll_to(&mut ui.plan_offset, 0, height);
    let detail_title = format!(" {} ", clean(&entry.report.root));
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(detail_title, theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block), detail);
}
