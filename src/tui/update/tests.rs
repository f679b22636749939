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
