//! The plan view's outline pane: module headers with their counts, then
//! each resource with its viewed mark, risk badge and action symbol, the
//! address without its module prefix. Only the rows on screen are drawn.

use super::requests::clean;
use super::{highlight, scroll_to};
use crate::render::Role;
use crate::risk::Risk;
use crate::tui::outline::OutlineRow;
use crate::tui::plan_view::PlanView;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, view: &PlanView, offset: &mut usize, theme: &Theme) {
    let outline = &view.outline;
    let filter = if outline.filter.is_empty() && !outline.filter_editing {
        String::new()
    } else {
        format!(
            " /{}{}",
            clean(&outline.filter),
            if outline.filter_editing { "▏" } else { "" }
        )
    };
    let title = format!(" Outline {}{filter} ", outline.resources());
    let block = Block::default()
        .borders(Borders::TOP | Borders::RIGHT)
        .border_style(theme.border(outline.focused))
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if outline.rows.is_empty() {
        let text = if outline.filter.is_empty() {
            " no resource changes shown"
        } else {
            " nothing matches the filter"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.role(Role::Muted))),
            inner,
        );
        return;
    }
    let height = usize::from(inner.height);
    scroll_to(offset, outline.cursor, height);
    let lines: Vec<Line> = outline
        .rows
        .iter()
        .enumerate()
        .skip(*offset)
        .take(height)
        .map(|(pos, row)| {
            let line = match *row {
                OutlineRow::Group(g) => group_line(view, g, theme),
                OutlineRow::Resource(i) => resource_line(view, i, theme),
            };
            if pos == outline.cursor {
                highlight(line, inner.width, theme)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn group_line(view: &PlanView, g: usize, theme: &Theme) -> Line<'static> {
    let group = &view.outline.groups[g];
    let name = if group.module.is_empty() {
        "(root module)".to_string()
    } else {
        clean(&group.module)
    };
    let mut spans = vec![Span::styled(name, theme.role(Role::Heading))];
    let roles = [
        Role::Create,
        Role::Update,
        Role::Delete,
        Role::Replace,
        Role::Read,
    ];
    for ((n, role), symbol) in group
        .counts
        .iter()
        .zip(roles)
        .zip(["+", "~", "-", "±", "·"])
    {
        if *n > 0 {
            spans.push(Span::styled(format!(" {symbol}{n}"), theme.role(role)));
        }
    }
    Line::from(spans)
}

fn resource_line(view: &PlanView, i: usize, theme: &Theme) -> Line<'static> {
    let rc = &view.loaded.plan.resource_changes[i];
    let viewed = if view.is_viewed(i) {
        Span::styled(" ✓", theme.role(Role::Create))
    } else {
        Span::styled(" ·", theme.role(Role::Muted))
    };
    let badge = match view.loaded.risks[i] {
        Risk::Critical => Span::styled("CRIT", theme.role(Role::Critical)),
        Risk::High => Span::styled("HIGH", theme.role(Role::High)),
        _ => Span::raw("    "),
    };
    let kind = &rc.change.kind;
    let role = match kind {
        k if k.is_replace() => Role::Replace,
        crate::plan::ChangeKind::Create => Role::Create,
        crate::plan::ChangeKind::Update => Role::Update,
        crate::plan::ChangeKind::Delete => Role::Delete,
        crate::plan::ChangeKind::Read => Role::Read,
        _ => Role::Muted,
    };
    // The module is the group's header: the address without it.
    let address = rc
        .module_address
        .as_deref()
        .and_then(|m| rc.address.strip_prefix(m))
        .and_then(|a| a.strip_prefix('.'))
        .unwrap_or(&rc.address);
    Line::from(vec![
        viewed,
        Span::raw(" "),
        badge,
        Span::styled(format!(" {:>3} ", kind.symbol()), theme.role(role)),
        Span::raw(clean(address)),
    ])
}
