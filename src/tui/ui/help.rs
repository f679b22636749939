//! The help overlay: every binding of the layer underneath, with its words,
//! generated from the keymap itself.

use crate::tui::keymap::Keymap;
use crate::tui::state::Layer;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, layer: Layer, keymap: &Keymap, theme: &Theme) {
    let mut lines: Vec<Line> = Vec::new();
    let mut seen = Vec::new();
    for binding in keymap.bindings(layer) {
        // One line per action, with all its keys.
        if let Some(pos) = seen.iter().position(|(a, _)| *a == binding.action) {
            let (_, keys): &mut (_, Vec<String>) = &mut seen[pos];
            keys.push(binding.label.to_string());
            continue;
        }
        seen.push((binding.action, vec![binding.label.to_string()]));
    }
    for (action, keys) in &seen {
        let desc = keymap
            .bindings(layer)
            .find(|b| b.action == *action)
            .map_or("", |b| b.desc.as_str());
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<22}", keys.join(" ")), theme.key()),
            Span::raw(desc.to_string()),
        ]));
    }
    let title = format!(" Keys ({}) — ? or Esc closes ", layer_name(layer));
    // As wide as the longest line (or the title), so no description is cut.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    // A terminal too short for one column gets two, side by side.
    let rows_fit = usize::from(area.height.saturating_sub(2));
    if lines.len() > rows_fit && widest * 2 + 4 <= usize::from(area.width) {
        let half = lines.len().div_ceil(2);
        let right: Vec<Line> = lines.split_off(half);
        lines = lines
            .into_iter()
            .zip(right.into_iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(left, right)| {
                let pad = widest + 2 - left.width();
                let mut spans = left.spans;
                spans.push(Span::raw(" ".repeat(pad)));
                spans.extend(right.map(|r| r.spans).unwrap_or_default());
                Line::from(spans)
            })
            .collect();
    }
    let widest = lines
        .iter()
        .map(Line::width)
        .chain([title.chars().count()])
        .max()
        .unwrap_or(0);
    let width = u16::try_from(widest + 3).unwrap_or(u16::MAX);
    let popup = super::centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(title, theme.title())),
        ),
        popup,
    );
}

fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::List => "requests",
        Layer::Matrix => "roots",
        Layer::Plan => "plan",
        Layer::Outline => "plan outline",
        Layer::Code => "code",
        Layer::Help => "help",
        Layer::Input => "typing",
        Layer::Modal => "confirmation",
        Layer::Audit => "audit log",
        Layer::Drift => "drift",
    }
}
