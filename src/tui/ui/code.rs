//! The code view: the request's file diff against its base, syntax
//! highlighted, with line numbers of both sides and diff markers.

use super::{UiState, highlight, scroll_to};
use crate::codeview::{CodeRole, DiffLine, LineKind};
use crate::render::Role;
use crate::tui::state::{CodeScreen, Loadable};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, code: &CodeScreen, ui: &mut UiState, theme: &Theme) {
    let diff = match &code.diff {
        Loadable::Loaded(diff) => diff,
        other => return super::draw_loadable(frame, area, other, "code diff", theme),
    };
    let files = diff.files.len();
    let (added, removed) = diff.files.iter().fold((0, 0), |(a, r), f| {
        let (fa, fr) = f.counts();
        (a + fa, r + fr)
    });
    let mut title = format!(
        " {} · {files} files · +{added} -{removed} ",
        super::requests::clean(&code.request)
    );
    if !code.search.is_empty() || code.search_editing {
        title.push_str(&format!(
            "· /{}{} ",
            super::requests::clean(&code.search),
            if code.search_editing { "▏" } else { "" }
        ));
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.title()));
    let lines: Vec<&DiffLine> = diff.files.iter().flat_map(|f| f.lines.iter()).collect();
    if lines.is_empty() {
        frame.render_widget(
            Paragraph::new(" no changes against the base").block(block),
            area,
        );
        return;
    }
    let height = area.height.saturating_sub(1) as usize;
    scroll_to(&mut ui.code_offset, code.cursor, height);
    let rendered: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(ui.code_offset)
        .take(height)
        .map(|(pos, line)| {
            let rendered = code_line(line, theme);
            if pos == code.cursor {
                highlight(rendered, area.width, theme)
            } else {
                rendered
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(rendered).block(block), area);
}

fn number(n: Option<u32>) -> String {
    n.map_or_else(|| "    ".to_string(), |n| format!("{n:>4}"))
}

fn code_line(line: &DiffLine, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if matches!(
        line.kind,
        LineKind::Context | LineKind::Added | LineKind::Removed
    ) {
        spans.push(Span::styled(
            format!("{} {} ", number(line.old_no), number(line.new_no)),
            theme.role(Role::Muted),
        ));
    }
    if let Some((role, marker)) = line.marker() {
        spans.push(Span::styled(format!("{marker} "), theme.code(role)));
    }
    for (role, text) in &line.spans {
        let style = if line.kind == LineKind::FileHeader {
            theme.code(CodeRole::FileHeader)
        } else {
            theme.code(*role)
        };
        spans.push(Span::styled(text.clone(), style));
    }
    if line.flagged {
        spans.push(Span::styled(" ⚠ hidden characters", theme.role(Role::Flag)));
    }
    Line::from(spans)
}
