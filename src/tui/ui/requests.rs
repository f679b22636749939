//! The request list: one row per open request with its roots, counts, risk,
//! cost, plan state and age.

use super::{UiState, age, scroll_to};
use crate::cost::format_delta;
use crate::render::Role;
use crate::risk::Risk;
use crate::sanitize;
use crate::source::PlanStatus;
use crate::tui::msg::RequestEntry;
use crate::tui::state::{Loadable, State, highest_risk, is_new, root_status};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &mut UiState, theme: &Theme) {
    let snapshot = match &state.list.snapshot {
        Loadable::Loaded(snapshot) => snapshot,
        other => return super::draw_loadable(frame, area, other, "requests", theme),
    };
    let visible = state.list.visible();
    let filter = if state.list.filter.is_empty() && !state.list.filter_editing {
        String::new()
    } else {
        format!(
            "  filter: {}{}",
            sanitize::escape(&state.list.filter).text,
            if state.list.filter_editing { "▏" } else { "" }
        )
    };
    let title = format!(
        " Requests {}/{}  sort: {}{filter} ",
        visible.len(),
        snapshot.entries.len(),
        state.list.sort.word()
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.title()));
    if visible.is_empty() {
        let text = if snapshot.entries.is_empty() {
            " no open requests"
        } else {
            " nothing matches the filter"
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let (area, preview_area) = split_for_preview(area, visible.len(), state.list.hide_preview);
    if let Some(preview_area) = preview_area {
        super::preview::draw(
            frame,
            preview_area,
            state.list.selected_entry(),
            state.now,
            theme,
        );
    }
    let height = area.height.saturating_sub(2) as usize;
    scroll_to(&mut ui.list_offset, state.list.selected, height);
    // The base shows once requests go into more than one (GitFlow).
    let several_bases = snapshot
        .entries
        .iter()
        .any(|e| e.request.base != snapshot.entries[0].request.base);
    let rows = visible
        .iter()
        .enumerate()
        .skip(ui.list_offset)
        .take(height)
        .map(|(pos, &i)| {
            let entry = &snapshot.entries[i];
            let row = request_row(
                entry,
                is_new(snapshot, entry),
                state.now,
                theme,
                several_bases,
            );
            if pos == state.list.selected {
                row.style(theme.selection())
            } else {
                row
            }
        });
    let mut header = vec![
        "",
        "Request",
        "Title",
        "Author",
        "Roots",
        "+ ~ - ±",
        "Risk",
        "Cost",
        "Approvals",
        "Status",
        "Age",
    ];
    if several_bases {
        header.insert(2, "Base");
    }
    let header = Row::new(header).style(theme.role(Role::Heading));
    // Columns as wide as their content (within caps); the title takes the rest.
    let entries: Vec<&RequestEntry> = visible.iter().map(|&i| &snapshot.entries[i]).collect();
    let width_of = |header: &str, cap: usize, text: &dyn Fn(&RequestEntry) -> usize| {
        let widest = entries.iter().map(|e| text(e)).max().unwrap_or(0);
        Constraint::Length(widest.max(header.chars().count()).min(cap) as u16)
    };
    let mut widths = vec![
        Constraint::Length(1),
        width_of("Request", 24, &|e| clean(&display_name(e)).chars().count()),
        Constraint::Fill(1),
        width_of("Author", 16, &|e| clean(&author_of(e)).chars().count()),
        width_of("Roots", 40, &|e| roots_line(e, theme).width()),
        Constraint::Length(12),
        Constraint::Length(6),
        width_of("Cost", 14, &|e| cost_span(e, theme).width()),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(4),
    ];
    if several_bases {
        widths.insert(
            2,
            width_of("Base", 16, &|e| clean(&e.request.base).chars().count()),
        );
    }
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

/// Terminals at least this wide show the preview beside the list: the
/// list's columns need about 128 (narrower, the request numbers are cut).
const PREVIEW_BESIDE_FROM: u16 = 176;
const LIST_NEEDS: u16 = 128;
/// Rows the preview needs below the list to be worth showing.
const PREVIEW_MIN_ROWS: u16 = 10;

/// The list's area and the preview's: beside the list on a wide terminal,
/// below it on a narrower one when the list leaves room, else none.
fn split_for_preview(area: Rect, rows: usize, hidden: bool) -> (Rect, Option<Rect>) {
    use ratatui::layout::Layout;
    if hidden {
        return (area, None);
    }
    if area.width >= PREVIEW_BESIDE_FROM {
        let width = area.width.saturating_sub(LIST_NEEDS).clamp(48, 72);
        let [list, preview] =
            Layout::horizontal([Constraint::Min(1), Constraint::Length(width)]).areas(area);
        return (list, Some(preview));
    }
    // The list's title and header rows, then one row per request.
    let list_rows = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    if area.height >= list_rows.saturating_add(PREVIEW_MIN_ROWS) {
        let [list, preview] = Layout::vertical([
            Constraint::Length(list_rows),
            Constraint::Min(PREVIEW_MIN_ROWS),
        ])
        .areas(area);
        return (list, Some(preview));
    }
    (area, None)
}

fn request_row(
    entry: &RequestEntry,
    new: bool,
    now: i64,
    theme: &Theme,
    with_base: bool,
) -> Row<'static> {
    let request = &entry.request;
    let name = display_name(entry);
    let author = author_of(entry);
    let mut cells = vec![
        Cell::from(if new {
            Span::styled("●", theme.role(Role::Read))
        } else {
            Span::raw(" ")
        }),
        Cell::from(clean(&name)),
        Cell::from(clean(&request.title)),
        Cell::from(clean(&author)),
        Cell::from(roots_line(entry, theme)),
        Cell::from(counts_line(entry, theme)),
        Cell::from(risk_span(highest_risk(entry), theme)),
        Cell::from(cost_span(entry, theme)),
        Cell::from(approvals_span(entry, theme)),
        Cell::from(status_span(entry, theme)),
        Cell::from(age(now, request.updated_at)),
    ];
    if with_base {
        cells.insert(2, Cell::from(clean(&request.base)));
    }
    Row::new(cells)
}

/// `#104` for a numbered request, else its id.
pub(super) fn display_name(entry: &RequestEntry) -> String {
    let request = &entry.request;
    request
        .number
        .map_or_else(|| request.id.clone(), |n| format!("#{n}"))
}

pub(super) fn author_of(entry: &RequestEntry) -> String {
    entry
        .request
        .authors
        .first()
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

/// An untrusted string, escaped for display.
pub(super) fn clean(text: &str) -> String {
    sanitize::escape(text).text.into_owned()
}

fn roots_line(entry: &RequestEntry, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for root in &entry.request.roots {
        let env = root.environment.as_deref().unwrap_or("?");
        spans.push(env_badge(env, theme));
        spans.push(Span::raw(" "));
    }
    if entry.request.roots.len() == 1 {
        spans.push(Span::raw(clean(&entry.request.roots[0].path)));
    }
    let via: std::collections::BTreeSet<&String> =
        entry.request.roots.iter().flat_map(|r| &r.via).collect();
    if let Some(text) = via_text(via.into_iter()) {
        spans.push(Span::styled(format!(" {text}"), theme.role(Role::Warning)));
    }
    Line::from(spans)
}

/// `via modules/shared` (`+N` more), escaped; `None` without modules.
pub(super) fn via_text<'a>(mut via: impl ExactSizeIterator<Item = &'a String>) -> Option<String> {
    let more = via.len().saturating_sub(1);
    let first = clean(via.next()?);
    Some(if more == 0 {
        format!("via {first}")
    } else {
        format!("via {first} +{more}")
    })
}

pub(super) fn env_badge(env: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!(" {} ", clean(env)), theme.env(env))
}

fn counts_line(entry: &RequestEntry, theme: &Theme) -> Line<'static> {
    // No plan at all is not the same as an empty plan.
    if entry.roots.iter().all(|r| r.summary.is_none()) {
        return Line::from(Span::styled("-", theme.role(Role::Muted)));
    }
    let mut totals = [0usize; 4];
    for root in entry.roots.iter().filter_map(|r| r.summary.as_ref()) {
        let c = &root.counts;
        totals[0] += c.create;
        totals[1] += c.update;
        totals[2] += c.delete;
        totals[3] += c.replace;
    }
    counts_spans(totals, theme)
}

pub(super) fn counts_spans(totals: [usize; 4], theme: &Theme) -> Line<'static> {
    let roles = [Role::Create, Role::Update, Role::Delete, Role::Replace];
    let symbols = ["+", "~", "-", "±"];
    let mut spans = Vec::new();
    for ((n, role), symbol) in totals.into_iter().zip(roles).zip(symbols) {
        let style = if n == 0 {
            theme.role(Role::Muted)
        } else {
            theme.role(role)
        };
        spans.push(Span::styled(format!("{symbol}{n} "), style));
    }
    Line::from(spans)
}

pub(super) fn risk_span(risk: Option<Risk>, theme: &Theme) -> Span<'static> {
    match risk {
        Some(Risk::Critical) => Span::styled(" CRIT ", theme.role(Role::Critical)),
        Some(Risk::High) => Span::styled("HIGH", theme.role(Role::High)),
        Some(Risk::Medium) => Span::styled("med", theme.role(Role::Update)),
        Some(Risk::Low) => Span::styled("low", theme.role(Role::Create)),
        Some(Risk::None) | None => Span::styled("-", theme.role(Role::Muted)),
    }
}

fn cost_span(entry: &RequestEntry, theme: &Theme) -> Span<'static> {
    let costs: Vec<_> = entry
        .roots
        .iter()
        .filter_map(|r| r.summary.as_ref()?.cost.as_ref())
        .collect();
    let Some(first) = costs.first() else {
        return Span::styled("-", theme.role(Role::Muted));
    };
    let delta: f64 = costs.iter().filter_map(|c| c.monthly_delta).sum();
    let level = costs.iter().map(|c| c.level).max().unwrap_or(first.level);
    Span::styled(
        format_delta(delta, &first.currency),
        theme.role(super::plan::cost_role(level)),
    )
}

/// `1/2`, `2/2`, `blocked` or `1/2 stale` over the request's roots (the
/// root furthest from its required count decides).
pub(super) fn approvals_span(entry: &RequestEntry, theme: &Theme) -> Span<'static> {
    let gates: Vec<&crate::review::GateReport> =
        entry.roots.iter().filter_map(|r| r.gate.as_ref()).collect();
    if gates.iter().any(|g| !g.blocks.is_empty()) {
        return Span::styled("blocked", theme.role(Role::High));
    }
    let Some(worst) = gates
        .iter()
        .max_by_key(|g| g.required.saturating_sub(g.counted))
    else {
        return Span::styled("-", theme.role(Role::Muted));
    };
    let stale = gates
        .iter()
        .flat_map(|g| &g.approvals)
        .any(|a| matches!(a.state, crate::review::ApprovalState::Stale(_)));
    let text = format!(
        "{}/{}{}",
        worst.counted,
        worst.required,
        if stale { " stale" } else { "" }
    );
    let role = if worst.counted >= worst.required {
        Role::Create
    } else if stale {
        Role::Warning
    } else {
        Role::Plain
    };
    Span::styled(text, theme.role(role))
}

fn status_span(entry: &RequestEntry, theme: &Theme) -> Span<'static> {
    let statuses: Vec<PlanStatus> = (0..entry.request.roots.len())
        .map(|i| root_status(entry, i))
        .collect();
    let worst = statuses.iter().min().copied();
    let errors = entry.roots.iter().any(|r| r.error.is_some());
    match worst {
        _ if errors => Span::styled("error", theme.role(Role::High)),
        Some(PlanStatus::NoPlan) => Span::styled("no plan", theme.role(Role::Muted)),
        Some(PlanStatus::Pending) => Span::styled("in CI", theme.role(Role::Muted)),
        Some(PlanStatus::Outdated) => Span::styled("outdated", theme.role(Role::Warning)),
        Some(PlanStatus::Planned) => Span::styled("planned", theme.role(Role::Create)),
        None => Span::styled("no roots", theme.role(Role::Muted)),
    }
    .patch_style(Style::default())
}
