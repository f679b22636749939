//! `update`: the TUI's state machine. Pure and synchronous: it changes the
//! state and returns the effects to carry out; it never awaits, reads files
//! or looks at the clock (time comes in with `Msg::Tick`).

use super::keymap::Keymap;
use super::msg::{Action, Effect, JobId, Msg};
use super::state::{CodeScreen, Layer, Loadable, LogKind, LogScreen, Screen, State, root_status};
use crate::source::{PlanStatus, Request};
use crossterm::event::{KeyCode, KeyEvent, MouseEventKind};

mod backend;
#[cfg(test)]
mod fake_tests;
mod outline;
mod review;
#[cfg(test)]
mod tests;

/// Rows moved by half a page (the pane height is the renderer's business).
const PAGE_ROWS: usize = 15;
/// Rows moved by one mouse wheel step.
const WHEEL_ROWS: usize = 3;

pub fn update(state: &mut State, msg: Msg, keymap: &Keymap) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            state.status = None;
            if state.layer() == Layer::Modal {
                return review::modal_key(state, key);
            }
            if state.layer() == Layer::Input {
                return input(state, key);
            }
            match keymap.resolve(state.layer(), &key) {
                Some(action) => act(state, action),
                None => Vec::new(),
            }
        }
        Msg::Mouse(mouse) => {
            let action = match mouse.kind {
                MouseEventKind::ScrollDown => Action::SelectNext,
                MouseEventKind::ScrollUp => Action::SelectPrev,
                _ => return Vec::new(),
            };
            (0..WHEEL_ROWS).flat_map(|_| act(state, action)).collect()
        }
        Msg::Resize(..) => Vec::new(),
        Msg::Tick { now } => {
            state.now = now;
            state.spinner = state.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Backend(event) => backend::backend(state, event),
    }
}

/// Starts (or restarts) loading the request list.
pub fn load_requests(state: &mut State) -> Vec<Effect> {
    let req = state.next_req();
    state.list_req = req;
    if !matches!(state.list.snapshot, Loadable::Loaded(_)) {
        state.list.snapshot = Loadable::Loading;
    }
    // A reload supersedes the load in flight: one spinner, not one per reload.
    if let Some(old) = state.list_job.take() {
        state.jobs.finish(old);
    }
    state.list_job = Some(state.jobs.start("loading requests"));
    vec![Effect::LoadRequests {
        req,
        now: state.now,
    }]
}

/// Starts loading the plan view's plan, superseding a load in flight.
fn start_plan_job(state: &mut State) {
    if let Some(old) = state.plan_job.take() {
        state.jobs.finish(old);
    }
    state.plan_job = Some(state.jobs.start("loading plan"));
}

/// Ends a superseding load's job (the list or the plan view's plan).
fn end_load_job(state: &mut State, slot: fn(&mut State) -> &mut Option<JobId>) {
    if let Some(job) = slot(state).take() {
        state.jobs.finish(job);
    }
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            state.should_quit = true;
            return vec![Effect::Quit];
        }
        Action::Help => {
            state.help = true;
            return Vec::new();
        }
        Action::Back if state.help => {
            state.help = false;
            return Vec::new();
        }
        Action::OpenInBrowser | Action::CopyUrl => return web_page(state, action),
        _ => {}
    }
    match state.layer() {
        Layer::List => list_action(state, action),
        Layer::Matrix => matrix_action(state, action),
        Layer::Plan => outline::diff_action(state, action),
        Layer::Outline => outline::outline_action(state, action),
        Layer::Code => code_action(state, action),
        Layer::Audit => audit_action(state, action),
        Layer::Drift => drift_action(state, action),
        Layer::Help | Layer::Input | Layer::Modal => Vec::new(),
    }
}

/// `o` and `y`: the page of the request on screen, opened or copied.
fn web_page(state: &mut State, action: Action) -> Vec<Effect> {
    let request = match &state.screen {
        Screen::Plan(view) => match view.as_ref() {
            Loadable::Loaded(view) => Some(view.request.clone()),
            _ => None,
        },
        Screen::Matrix { request, .. } => state
            .list
            .selected_entry()
            .filter(|e| e.request.id == *request)
            .map(|e| e.request.clone()),
        Screen::List => state.list.selected_entry().map(|e| e.request.clone()),
        _ => None,
    };
    let Some(request) = request else {
        return Vec::new();
    };
    let Some(url) = request.url.filter(|u| crate::domain::is_web_url(u)) else {
        let id = crate::sanitize::escape(&request.id).text.into_owned();
        state.status = Some(format!(
            "{id} has no web page (a GitHub source's pull requests do)"
        ));
        return Vec::new();
    };
    let shown = crate::sanitize::escape(&url).text.into_owned();
    if action == Action::CopyUrl {
        state.status = Some(format!("copied {shown}"));
        return vec![Effect::CopyToClipboard { text: url }];
    }
    state.status = Some(format!("opening {shown}"));
    vec![Effect::OpenUrl { url }]
}

/// New cursor position after a movement, within `len` rows.
fn moved(cursor: usize, len: usize, action: Action) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::SelectNext => (cursor + 1).min(last),
        Action::SelectPrev => cursor.saturating_sub(1),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageDown => (cursor + PAGE_ROWS).min(last),
        Action::PageUp => cursor.saturating_sub(PAGE_ROWS),
        _ => cursor,
    }
}

fn is_movement(action: Action) -> bool {
    matches!(
        action,
        Action::SelectNext
            | Action::SelectPrev
            | Action::Top
            | Action::Bottom
            | Action::PageDown
            | Action::PageUp
    )
}

fn go_back(state: &mut State) {
    state.screen = state.back.pop().unwrap_or_default();
}

fn push_screen(state: &mut State, screen: Screen) {
    let previous = std::mem::replace(&mut state.screen, screen);
    state.back.push(previous);
}

fn list_action(state: &mut State, action: Action) -> Vec<Effect> {
    if is_movement(action) {
        let len = state.list.visible().len();
        state.list.selected = moved(state.list.selected, len, action);
        return Vec::new();
    }
    match action {
        Action::Search => state.list.filter_editing = true,
        Action::TogglePreview => state.list.hide_preview = !state.list.hide_preview,
        Action::Back => {
            state.list.filter.clear();
            state.list.selected = 0;
        }
        Action::CycleSort => {
            state.list.sort = state.list.sort.next();
            state.list.selected = 0;
        }
        Action::Refresh => return load_requests(state),
        Action::Open => return open_selected_request(state),
        Action::OpenCode => {
            if let Some(request) = state.list.selected_entry().map(|e| e.request.clone()) {
                return open_code(state, request);
            }
        }
        Action::RunPlan => return run_plan(state),
        Action::PostComment if state.read_only => {
            state.status = Some("read-only: posting the comment is disabled".into())
        }
        Action::PostComment => {
            if let Some(request) = state.list.selected_entry().map(|e| e.request.clone()) {
                let job = state.jobs.start("posting the comment");
                return vec![Effect::PostComment {
                    job,
                    request: Box::new(request),
                }];
            }
        }
        Action::OpenAudit => {
            let req = state.next_req();
            state.code_req = req;
            return review::open_audit(state, req);
        }
        Action::OpenDrift => {
            let req = state.next_req();
            state.code_req = req;
            return review::open_drift(state, req);
        }
        _ => {}
    }
    Vec::new()
}

fn drift_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Back => go_back(state),
        Action::BlockDriftedRoot if !state.read_only => review::drift_prompt(state, true),
        Action::AcknowledgeDrift if !state.read_only => review::drift_prompt(state, false),
        Action::BlockDriftedRoot | Action::AcknowledgeDrift => {
            state.status = Some("read-only: drift actions are disabled".into())
        }
        _ => {
            if let Screen::Drift(drift) = &mut state.screen {
                let len = match &drift.entries {
                    Loadable::Loaded(entries) => entries.len(),
                    _ => 0,
                };
                drift.selected = moved(drift.selected, len, action);
            }
        }
    }
    Vec::new()
}

fn audit_action(state: &mut State, action: Action) -> Vec<Effect> {
    if action == Action::Back {
        go_back(state);
        return Vec::new();
    }
    match &mut state.screen {
        Screen::Audit(audit) => {
            let len = match &audit.records {
                Loadable::Loaded(records) => records.len(),
                _ => 0,
            };
            audit.cursor = moved(audit.cursor, len, action);
        }
        Screen::Log(log) => log.cursor = moved(log.cursor, log.lines.len(), action),
        _ => {}
    }
    Vec::new()
}

fn open_selected_request(state: &mut State) -> Vec<Effect> {
    let Some(entry) = state.list.selected_entry().cloned() else {
        return Vec::new();
    };
    let request = entry.request;
    let mut effects = vec![Effect::SaveSeen {
        request: request.id.clone(),
        head: request.head.clone(),
    }];
    if let Loadable::Loaded(snapshot) = &mut state.list.snapshot {
        snapshot
            .seen
            .insert(request.id.clone(), request.head.clone());
    }
    match request.roots.len() {
        0 => {
            state.status = Some(format!(
                "{} touches no root",
                crate::sanitize::escape(&request.id).text
            ))
        }
        1 => effects.extend(open_plan(state, request, 0)),
        _ => push_screen(
            state,
            Screen::Matrix {
                request: request.id,
                selected: 0,
            },
        ),
    }
    effects
}

fn open_plan(state: &mut State, request: Request, root_index: usize) -> Vec<Effect> {
    let Some(root) = request.roots.get(root_index).map(|r| r.path.clone()) else {
        return Vec::new();
    };
    let entry = state
        .list
        .selected_entry()
        .filter(|e| e.request.id == request.id)
        .cloned();
    let status = entry
        .as_ref()
        .map_or(PlanStatus::NoPlan, |e| root_status(e, root_index));
    // A root whose plan could not be read is opened: the plan pane asks the
    // backend again and shows its error, rather than claiming there is none.
    let unreadable = entry
        .as_ref()
        .and_then(|e| e.roots.get(root_index))
        .is_some_and(|r| r.error.is_some());
    if status == PlanStatus::Pending && !unreadable {
        state.status = Some(format!("no plan for {root} yet: its CI run is still going"));
        return Vec::new();
    }
    if status == PlanStatus::NoPlan && !unreadable {
        state.status = Some(format!(
            "no plan for {root} yet: press p, or run `plandeck plan {}`",
            crate::sanitize::escape(&request.id).text
        ));
        return Vec::new();
    }
    let req = state.next_req();
    state.plan_req = req;
    push_screen(state, Screen::Plan(Box::new(Loadable::Loading)));
    start_plan_job(state);
    vec![Effect::LoadPlan {
        req,
        now: state.now,
        request: Box::new(request),
        root,
    }]
}

/// The log pane of `job`, on screen or under the current screen.
fn log_screen(state: &mut State, job: JobId) -> Option<&mut LogScreen> {
    std::iter::once(&mut state.screen)
        .chain(state.back.iter_mut().rev())
        .find_map(|s| match s {
            Screen::Log(log) if log.job == Some(job) => Some(log.as_mut()),
            _ => None,
        })
}

/// Loads the plan view's plan again (after a decision changed its gate).
fn reload_plan(state: &mut State) -> Vec<Effect> {
    let Screen::Plan(view) = &state.screen else {
        return Vec::new();
    };
    let Loadable::Loaded(view) = view.as_ref() else {
        return Vec::new();
    };
    let (request, root) = (view.request.clone(), view.root.clone());
    let req = state.next_req();
    state.plan_req = req;
    vec![Effect::LoadPlan {
        req,
        now: state.now,
        request: Box::new(request),
        root,
    }]
}

fn open_code(state: &mut State, request: Request) -> Vec<Effect> {
    let req = state.next_req();
    state.code_req = req;
    push_screen(
        state,
        Screen::Code(Box::new(CodeScreen {
            request: request.id.clone(),
            diff: Loadable::Loading,
            cursor: 0,
            search: String::new(),
            search_editing: false,
        })),
    );
    vec![Effect::LoadCode {
        req,
        request: Box::new(request),
    }]
}

fn run_plan(state: &mut State) -> Vec<Effect> {
    if state.read_only {
        state.status = Some("read-only: planning is disabled".into());
        return Vec::new();
    }
    let Some(request) = state.list.selected_entry().map(|e| e.request.clone()) else {
        return Vec::new();
    };
    let job = state.jobs.start(format!("planning {}", request.id));
    // Terraform's output streams into a pane, as an apply's does; it closes
    // by itself when the plan succeeded and stays to be read when it failed.
    let log = LogScreen {
        kind: LogKind::Plan,
        job: Some(job),
        title: format!("plan {}", request.id),
        ..Default::default()
    };
    push_screen(state, Screen::Log(Box::new(log)));
    vec![Effect::RunPlan {
        job,
        request: Box::new(request),
    }]
}

fn matrix_action(state: &mut State, action: Action) -> Vec<Effect> {
    let Screen::Matrix { request, selected } = &mut state.screen else {
        return Vec::new();
    };
    let request_id = request.clone();
    let entry = state
        .list
        .selected_entry()
        .filter(|e| e.request.id == request_id)
        .cloned();
    let Some(entry) = entry else {
        go_back(state);
        return Vec::new();
    };
    if is_movement(action) {
        *selected = moved(*selected, entry.request.roots.len(), action);
        return Vec::new();
    }
    let root_index = *selected;
    match action {
        Action::Back => go_back(state),
        Action::Open => return open_plan(state, entry.request, root_index),
        Action::OpenCode => return open_code(state, entry.request),
        Action::RunPlan => return run_plan(state),
        _ => {}
    }
    Vec::new()
}

fn plan_action(state: &mut State, action: Action) -> Vec<Effect> {
    if action == Action::Back {
        go_back(state);
        return Vec::new();
    }
    let settings = std::sync::Arc::clone(&state.settings);
    let Screen::Plan(view) = &mut state.screen else {
        return Vec::new();
    };
    let Loadable::Loaded(view) = view.as_mut() else {
        return Vec::new();
    };
    view.notice = None;
    if is_movement(action) {
        view.cursor = moved(view.cursor, view.rows.len(), action);
        return Vec::new();
    }
    match action {
        Action::ToggleFold | Action::Open => view.toggle_fold(&settings),
        Action::ToggleFoldAll => view.toggle_fold_all(&settings),
        Action::NextDestructive => view.jump_destructive(true),
        Action::PrevDestructive => view.jump_destructive(false),
        Action::Search => {
            view.search.editing = true;
            view.search.query.clear();
        }
        Action::SearchNext => view.search_step(true),
        Action::SearchPrev => view.search_step(false),
        Action::CycleActionFilter => {
            view.action_filter = view.action_filter.next();
            view.rebuild(&settings);
        }
        Action::CycleRiskFilter => {
            use crate::risk::Risk;
            view.min_risk = match view.min_risk {
                None => Some(Risk::Medium),
                Some(Risk::Medium) => Some(Risk::High),
                Some(Risk::High) => Some(Risk::Critical),
                Some(_) => None,
            };
            view.rebuild(&settings);
        }
        Action::ToggleNoise => view.set_show_noise(!view.show_noise, &settings),
        Action::ToggleDelta if view.loaded.since_approval.is_some() => {
            view.show_delta = !view.show_delta;
            view.cursor = 0;
            view.rebuild(&settings);
        }
        Action::ToggleDelta => {
            view.notice = Some("no stale approval of yours: nothing to compare".into())
        }
        Action::ToggleViewed if view.toggle_viewed() => match &view.progress_key {
            Some(key) => {
                return vec![Effect::SaveProgress {
                    key: key.clone(),
                    viewed: view.loaded.viewed.clone(),
                }];
            }
            None => {
                view.notice = Some(match &view.loaded.reviewer {
                    Err(why) => format!("no reviewer identity ({why}): progress is not saved"),
                    Ok(_) => "no reviewer identity: progress is not saved".into(),
                });
            }
        },
        Action::OpenCode => {
            let request = view.request.clone();
            return open_code(state, request);
        }
        Action::RunPlan => return run_plan(state),
        Action::Approve if state.read_only => {
            state.status = Some("read-only: approving is disabled".into())
        }
        Action::Block if state.read_only => {
            state.status = Some("read-only: blocking is disabled".into())
        }
        Action::ApplyPlan if state.read_only => {
            state.status = Some("read-only: applying is disabled".into())
        }
        Action::ApplyPlan => review::apply(state),
        Action::Approve => review::approve(state),
        Action::Block => review::block(state),
        _ => {}
    }
    Vec::new()
}

fn code_action(state: &mut State, action: Action) -> Vec<Effect> {
    if action == Action::Back {
        go_back(state);
        return Vec::new();
    }
    let Screen::Code(code) = &mut state.screen else {
        return Vec::new();
    };
    let Loadable::Loaded(diff) = &code.diff else {
        return Vec::new();
    };
    let lines: Vec<&crate::codeview::DiffLine> =
        diff.files.iter().flat_map(|f| f.lines.iter()).collect();
    if is_movement(action) {
        code.cursor = moved(code.cursor, lines.len(), action);
        return Vec::new();
    }
    let find = |from: usize, forward: bool, wanted: &dyn Fn(&crate::codeview::DiffLine) -> bool| {
        let n = lines.len();
        (1..=n)
            .map(|step| {
                if forward {
                    (from + step) % n
                } else {
                    (from + n - step) % n
                }
            })
            .find(|i| wanted(lines[*i]))
    };
    let file_header =
        |l: &crate::codeview::DiffLine| l.kind == crate::codeview::LineKind::FileHeader;
    let query = code.search.to_lowercase();
    let matching = |l: &crate::codeview::DiffLine| {
        !query.is_empty()
            && l.spans
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<String>()
                .to_lowercase()
                .contains(&query)
    };
    let target = match action {
        Action::NextFile => find(code.cursor, true, &file_header),
        Action::PrevFile => find(code.cursor, false, &file_header),
        Action::SearchNext => find(code.cursor, true, &matching),
        Action::SearchPrev => find(code.cursor, false, &matching),
        Action::Search => {
            code.search_editing = true;
            code.search.clear();
            None
        }
        _ => None,
    };
    if let Some(target) = target {
        code.cursor = target;
    }
    Vec::new()
}

/// Typing into the list filter or a search.
fn input(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let (text, editing) = match &mut state.screen {
        Screen::Plan(view) => match view.as_mut() {
            Loadable::Loaded(v) if v.outline.filter_editing => {
                (&mut v.outline.filter, &mut v.outline.filter_editing)
            }
            Loadable::Loaded(v) => (&mut v.search.query, &mut v.search.editing),
            _ => return Vec::new(),
        },
        Screen::Code(code) => (&mut code.search, &mut code.search_editing),
        _ => (&mut state.list.filter, &mut state.list.filter_editing),
    };
    if key.code == KeyCode::Char('c')
        && key
            .modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL)
    {
        return act(state, Action::Quit);
    }
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL) =>
        {
            text.push(c)
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Esc => {
            text.clear();
            *editing = false;
        }
        KeyCode::Enter => *editing = false,
        _ => {}
    }
    let finished = !*editing && key.code == KeyCode::Enter;
    match &mut state.screen {
        Screen::Plan(view) => match view.as_mut() {
            // The outline filters as the text is typed.
            Loadable::Loaded(v) if v.outline.focused => outline::refilter(v),
            Loadable::Loaded(v) if finished => {
                v.run_search();
                v.sync_outline();
            }
            _ => {}
        },
        Screen::Code(_) if finished => return code_action(state, Action::SearchNext),
        Screen::List => state.list.selected = 0,
        _ => {}
    }
    Vec::new()
}
