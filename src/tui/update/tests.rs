//! `update` on plain state: no source, no terminal, no clock.

use super::update;
use crate::tui::keymap::Keymap;
use crate::tui::msg::{Effect, Msg};
use crate::tui::plan_view::Settings;
use crate::tui::state::{DriftScreen, Layer, Loadable, Screen, State};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

pub(super) fn state() -> State {
    let loaded = crate::config::defaults().expect("default config");
    let settings = Settings::from_config(&loaded).expect("default settings");
    State::new(Arc::new(settings), 1_700_000_000)
}

pub(super) fn key(code: KeyCode, modifiers: KeyModifiers) -> Msg {
    Msg::Key(KeyEvent::new(code, modifiers))
}

fn drift_screen() -> Screen {
    Screen::Drift(Box::new(DriftScreen {
        entries: Loadable::Loaded(Vec::new()),
        selected: 0,
    }))
}

#[test]
fn drift_view_quits_with_q_and_ctrl_c_and_opens_help() {
    let keymap = Keymap::default();
    for quit in [
        key(KeyCode::Char('q'), KeyModifiers::NONE),
        key(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut s = state();
        s.screen = drift_screen();
        assert_eq!(s.layer(), Layer::Drift);
        let effects = update(&mut s, quit, &keymap);
        assert!(s.should_quit);
        assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
    }
    let mut s = state();
    s.screen = drift_screen();
    update(&mut s, key(KeyCode::Char('?'), KeyModifiers::NONE), &keymap);
    assert_eq!(s.layer(), Layer::Help);
    update(&mut s, key(KeyCode::Char('q'), KeyModifiers::NONE), &keymap);
    assert_eq!(
        s.layer(),
        Layer::Drift,
        "q closes the help, it does not quit"
    );
    assert!(!s.should_quit);
}

#[test]
fn ctrl_c_quits_while_typing_a_filter_and_q_is_text() {
    let keymap = Keymap::default();
    let mut s = state();
    s.list.filter_editing = true;
    assert_eq!(s.layer(), Layer::Input);
    update(&mut s, key(KeyCode::Char('q'), KeyModifiers::NONE), &keymap);
    assert_eq!(s.list.filter, "q");
    assert!(!s.should_quit);
    let effects = update(
        &mut s,
        key(KeyCode::Char('c'), KeyModifiers::CONTROL),
        &keymap,
    );
    assert!(s.should_quit);
    assert!(matches!(effects.as_slice(), [Effect::Quit]), "{effects:?}");
}

fn request(id: &str) -> crate::domain::Request {
    crate::domain::Request {
        id: id.into(),
        number: None,
        title: format!("change {id}"),
        authors: Vec::new(),
        committers: Vec::new(),
        head: "abc".into(),
        base: "main".into(),
        created_at: 0,
        updated_at: 0,
        changed_files: Vec::new(),
        roots: Vec::new(),
        url: None,
    }
}

/// A state whose list holds `ids`, in that order.
pub(super) fn listed(ids: &[&str]) -> State {
    let mut s = state();
    s.list.snapshot = Loadable::Loaded(crate::tui::msg::RequestsSnapshot {
        entries: ids
            .iter()
            .map(|id| crate::tui::msg::RequestEntry {
                request: request(id),
                roots: Vec::new(),
                forge_reviews: None,
            })
            .collect(),
        reviewer: None,
        seen: Default::default(),
        source: "test".into(),
        api_rate: None,
    });
    s
}

fn started_plan(effects: &[Effect]) -> crate::tui::JobId {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::RunPlan { job, .. } => Some(*job),
            _ => None,
        })
        .expect("a plan started")
}

fn pane_lines(screen: &Screen) -> Vec<String> {
    match screen {
        Screen::Log(log) => log.lines.iter().cloned().collect(),
        other => panic!("not a log pane: {other:?}"),
    }
}

#[test]
fn two_concurrent_plans_keep_separate_spinners_and_logs() {
    use crate::tui::msg::BackendEvent;
    let keymap = Keymap::default();
    let mut s = listed(&["request/1", "request/2"]);
    let sort = |s: &State| s.list.selected_entry().map(|e| e.request.id.clone());
    let first_id = sort(&s).expect("a request is selected");
    let first = started_plan(&update(
        &mut s,
        key(KeyCode::Char('p'), KeyModifiers::NONE),
        &keymap,
    ));
    update(&mut s, key(KeyCode::Esc, KeyModifiers::NONE), &keymap);
    update(&mut s, key(KeyCode::Char('j'), KeyModifiers::NONE), &keymap);
    let second_id = sort(&s).expect("a request is selected");
    assert_ne!(first_id, second_id);
    let second = started_plan(&update(
        &mut s,
        key(KeyCode::Char('p'), KeyModifiers::NONE),
        &keymap,
    ));
    assert_ne!(first, second);
    let planning: Vec<&str> = s
        .jobs
        .labels()
        .filter(|l| l.starts_with("planning"))
        .collect();
    assert_eq!(planning.len(), 2, "one spinner each: {planning:?}");
    let line = |job, text: &str| {
        Msg::Backend(BackendEvent::JobProgress {
            job,
            text: text.into(),
        })
    };
    update(&mut s, line(first, "first: init"), &keymap);
    update(&mut s, line(second, "second: init"), &keymap);
    update(&mut s, line(first, "first: plan"), &keymap);
    // The first pane was closed (Esc): its lines go nowhere, never into
    // the second plan's pane.
    assert_eq!(pane_lines(&s.screen), ["second: init"]);
    // The first plan finishing ends its own spinner only, and its result
    // lands in its own pane.
    update(
        &mut s,
        Msg::Backend(BackendEvent::PlanFinished {
            job: first,
            result: Err("planning failed: boom".into()),
        }),
        &keymap,
    );
    assert!(!s.jobs.is_running(first));
    assert!(s.jobs.is_running(second), "the second plan still spins");
    let Screen::Log(on_top) = &s.screen else {
        panic!("the second pane stays on top")
    };
    assert_eq!(on_top.job, Some(second));
    assert!(
        on_top.finished.is_none(),
        "the second plan is still running"
    );
    // A repeated (stale) result for the finished job changes nothing.
    let effects = update(
        &mut s,
        Msg::Backend(BackendEvent::PlanFinished {
            job: first,
            result: Ok("planned".into()),
        }),
        &keymap,
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert!(s.jobs.is_running(second));
}

#[test]
fn a_reload_replaces_the_loading_spinner_instead_of_adding_one() {
    let mut s = state();
    super::load_requests(&mut s);
    super::load_requests(&mut s);
    let loading = s.jobs.labels().filter(|l| *l == "loading requests").count();
    assert_eq!(loading, 1);
}

#[test]
fn a_plan_pane_under_another_screen_gets_only_its_own_lines() {
    use crate::tui::msg::BackendEvent;
    use crate::tui::state::LogScreen;
    let keymap = Keymap::default();
    let mut s = listed(&["request/1"]);
    let job = started_plan(&update(
        &mut s,
        key(KeyCode::Char('p'), KeyModifiers::NONE),
        &keymap,
    ));
    // An apply's pane opens over the plan's (as after a confirmed apply).
    let apply = s.jobs.start("applying request/1 apps/x");
    let previous = std::mem::replace(
        &mut s.screen,
        Screen::Log(Box::new(LogScreen {
            job: Some(apply),
            ..Default::default()
        })),
    );
    s.back.push(previous);
    let send = |s: &mut State, event| update(s, Msg::Backend(event), &keymap);
    send(
        &mut s,
        BackendEvent::JobProgress {
            job,
            text: "plan line".into(),
        },
    );
    send(
        &mut s,
        BackendEvent::ApplyLine {
            job: apply,
            text: "apply line".into(),
        },
    );
    assert_eq!(pane_lines(&s.screen), ["apply line"]);
    let plan_pane = s.back.last().expect("the plan pane is under the apply");
    assert_eq!(pane_lines(plan_pane), ["plan line"]);
    send(
        &mut s,
        BackendEvent::PlanFinished {
            job,
            result: Ok("planned".into()),
        },
    );
    let Screen::Log(on_top) = &s.screen else {
        panic!("the apply pane stays on top")
    };
    assert_eq!(
        on_top.job,
        Some(apply),
        "a finished plan closes only its own pane"
    );
    assert!(on_top.finished.is_none());
    assert!(s.jobs.is_running(apply));
}

#[test]
fn loads_are_judged_at_the_states_clock() {
    let mut s = state();
    s.now = 42;
    let effects = super::load_requests(&mut s);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadRequests { now: 42, .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_request_without_a_web_page_says_so_for_o_and_y() {
    let keymap = Keymap::default();
    for letter in ['o', 'y'] {
        let mut s = listed(&["request/1"]);
        let effects = update(
            &mut s,
            key(KeyCode::Char(letter), KeyModifiers::NONE),
            &keymap,
        );
        assert!(effects.is_empty(), "{effects:?}");
        let status = s.status.clone().unwrap_or_default();
        assert!(status.contains("request/1 has no web page"), "{status}");
    }
    // A page that is not plain http(s) is never handed on.
    let mut s = listed(&["request/1"]);
    if let Loadable::Loaded(snapshot) = &mut s.list.snapshot {
        snapshot.entries[0].request.url = Some("javascript:alert(1)".into());
    }
    let effects = update(&mut s, key(KeyCode::Char('o'), KeyModifiers::NONE), &keymap);
    assert!(effects.is_empty(), "{effects:?}");
}
