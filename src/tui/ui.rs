//! Drawing: a pure function of the state. The only thing it changes is
//! `UiState` (scroll offsets), ratatui's own stateful-widget contract.

mod audit;
mod code;
mod drift;
mod help;
mod matrix;
mod modal;
mod outline;
mod plan;
mod preview;
mod requests;

use super::keymap::Keymap;
use super::state::{Layer, Loadable, Screen, State};
use super::theme::Theme;
use crate::render;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Scroll positions, kept between frames.
#[derive(Debug, Default)]
pub struct UiState {
    pub list_offset: usize,
    pub plan_offset: usize,
    pub outline_offset: usize,
    pub code_offset: usize,
}

const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

pub fn draw(frame: &mut Frame, state: &State, ui: &mut UiState, theme: &Theme, keymap: &Keymap) {
    let [title, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_title(frame, title, state, theme);
    match &state.screen {
        Screen::List => requests::draw(frame, main, state, ui, theme),
        Screen::Matrix { request, selected } => {
            matrix::draw(frame, main, state, request, *selected, theme)
        }
        Screen::Plan(view) => match view.as_ref() {
            Loadable::Loaded(view) => plan::draw(frame, main, view, state, ui, theme),
            other => draw_loadable(frame, main, other, "plan", theme),
        },
        Screen::Code(code) => code::draw(frame, main, code, ui, theme),
        Screen::Audit(audit) => audit::draw(frame, main, audit, ui, theme),
        Screen::Log(log) => audit::draw_log(frame, main, log, ui, theme),
        Screen::Drift(drift) => drift::draw(frame, main, drift, state.now, ui, theme),
    }
    draw_status(frame, status, state, theme, keymap);
    if state.help {
        help::draw(frame, frame.area(), state.screen_layer(), keymap, theme);
    }
    if let Some(modal) = &state.modal {
        modal::draw(frame, frame.area(), modal, theme);
    }
}

fn draw_title(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = vec![Span::styled(" plandeck ", theme.title())];
    if state.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            theme.role(render::Role::Warning),
        ));
        spans.push(Span::raw(" "));
    }
    if let Loadable::Loaded(snapshot) = &state.list.snapshot {
        spans.push(Span::raw(
            sanitize::escape(&snapshot.source).text.into_owned(),
        ));
        if let Some(reviewer) = &snapshot.reviewer {
            spans.push(Span::styled("  reviewer ", theme.role(render::Role::Muted)));
            spans.push(Span::raw(
                sanitize::escape(&reviewer.handle()).text.into_owned(),
            ));
        }
    }
    if !state.jobs.is_empty() {
        let spinner = SPINNER[state.spinner % SPINNER.len()];
        spans.push(Span::styled(
            format!(
                "  {spinner} {}",
                state.jobs.labels().collect::<Vec<_>>().join(", ")
            ),
            theme.role(render::Role::Warning),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, keymap: &Keymap) {
    // The forge API's rate limit left, at the right end.
    let rate = match &state.list.snapshot {
        Loadable::Loaded(snapshot) => snapshot.api_rate,
        _ => None,
    };
    let mut area = area;
    if let Some(rate) = rate {
        let text = format!("API {}/{} ", rate.remaining, rate.limit);
        let width = (text.chars().count() as u16).min(area.width / 3);
        let role = if rate.is_low() {
            render::Role::Warning
        } else {
            render::Role::Muted
        };
        let right = Rect {
            x: area.x + area.width - width,
            width,
            ..area
        };
        area.width -= width;
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.role(role)))
                .alignment(ratatui::layout::Alignment::Right),
            right,
        );
    }
    let line = match &state.status {
        Some(status) => Line::from(Span::styled(
            format!(" {}", sanitize::escape(status).text),
            theme.role(render::Role::Warning),
        )),
        None => hints(state.layer(), keymap, theme, usize::from(area.width)),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The layer's hints from the live keymap, cut to `width`: the view's own
/// hints go first from the end, so `? help` (which lists every key) and
/// `q quit` always show.
fn hints<'a>(layer: Layer, keymap: &'a Keymap, theme: &Theme, width: usize) -> Line<'a> {
    let mut spans = vec![Span::raw(" ")];
    if layer == Layer::Input {
        spans.push(Span::styled("<Enter>", theme.key()));
        spans.push(Span::raw(" apply  "));
        spans.push(Span::styled("<Esc>", theme.key()));
        spans.push(Span::raw(" cancel"));
        return Line::from(spans);
    }
    let (mut own, ways_out): (Vec<_>, Vec<_>) = keymap
        .bindings(layer)
        .filter(|b| b.hint)
        .map(|b| (b.label.as_str(), b.desc.as_str(), b.action))
        .partition(|(_, _, a)| !matches!(a, super::msg::Action::Help | super::msg::Action::Quit));
    let cost =
        |(label, desc, _): &(&str, &str, _)| label.chars().count() + desc.chars().count() + 3;
    let budget = width.saturating_sub(2);
    let mut cut = false;
    while own.iter().chain(&ways_out).map(cost).sum::<usize>() + if cut { 2 } else { 0 } > budget
        && own.pop().is_some()
    {
        cut = true;
    }
    for (label, desc, _) in own {
        spans.push(Span::styled(label, theme.key()));
        spans.push(Span::raw(format!(" {desc}  ")));
    }
    if cut {
        spans.push(Span::styled("… ", theme.role(render::Role::Muted)));
    }
    for (label, desc, _) in ways_out {
        spans.push(Span::styled(label, theme.key()));
        spans.push(Span::raw(format!(" {desc}  ")));
    }
    Line::from(spans)
}

fn draw_loadable<T>(
    frame: &mut Frame,
    area: Rect,
    loadable: &Loadable<T>,
    what: &str,
    theme: &Theme,
) {
    let text = match loadable {
        Loadable::Idle | Loadable::Loaded(_) => String::new(),
        Loadable::Loading => format!(" loading {what}…"),
        Loadable::Failed(e) => format!(" could not load the {what}: {}", sanitize::escape(e).text),
    };
    let role = if matches!(loadable, Loadable::Failed(_)) {
        render::Role::High
    } else {
        render::Role::Muted
    };
    frame.render_widget(Paragraph::new(Span::styled(text, theme.role(role))), area);
}

/// A plan-engine line as a ratatui line.
pub(super) fn styled_line(line: &render::Line, theme: &Theme) -> Line<'static> {
    Line::from(
        line.spans
            .iter()
            .map(|s| Span::styled(s.text.to_string(), theme.role(s.role)))
            .collect::<Vec<_>>(),
    )
}

/// The cursor line: reversed across the whole pane width.
pub(super) fn highlight(line: Line<'static>, width: u16, theme: &Theme) -> Line<'static> {
    let used = line.width();
    let mut line = line.patch_style(theme.selection());
    let pad = usize::from(width).saturating_sub(used);
    if pad > 0 {
        line.spans
            .push(Span::styled(" ".repeat(pad), theme.selection()));
    }
    line
}

/// A popup of `width` × `height` centred in `area` (clamped to it).
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    use ratatui::layout::Flex;
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    popup
}

/// Keeps `cursor` inside a window of `height` rows starting at `offset`.
pub(super) fn scroll_to(offset: &mut usize, cursor: usize, height: usize) {
    if height == 0 {
        return;
    }
    if cursor < *offset {
        *offset = cursor;
    } else if cursor >= *offset + height {
        *offset = cursor + 1 - height;
    }
}

/// `3m`, `5h`, `2d` since a unix time.
pub(super) fn age(now: i64, then: i64) -> String {
    let seconds = (now - then).max(0);
    match seconds {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
