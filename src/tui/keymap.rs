//! Keys per layer, each binding with the words the help and the status bar
//! show, so hints are generated from the live bindings and never drift.
//! Defaults follow vim and lazygit/k9s habits.

use super::msg::Action;
use super::state::Layer;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::borrow::Cow;

/// One key and what it does in a layer.
#[derive(Clone, Debug)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    /// How the key is written in hints, e.g. `j`, `<C-d>`, `<Enter>`.
    pub label: Cow<'static, str>,
    pub action: Action,
    pub desc: &'static str,
    /// Shown in the status bar (the rest only in the help overlay).
    pub hint: bool,
}

/// All bindings, by layer.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: Vec<(Layer, Binding)>,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

fn key(
    label: &'static str,
    code: KeyCode,
    modifiers: KeyModifiers,
    action: Action,
    desc: &'static str,
) -> Binding {
    Binding {
        code,
        modifiers,
        label: Cow::Borrowed(label),
        action,
        desc,
        hint: false,
    }
}

fn char_key(c: char, action: Action, desc: &'static str) -> Binding {
    let mut binding = key("", KeyCode::Char(c), NONE, action, desc);
    binding.label = Cow::Owned(c.to_string());
    binding
}

fn hinted(mut binding: Binding) -> Binding {
    binding.hint = true;
    binding
}

/// Movement shared by every scrolling layer.
fn movement() -> Vec<Binding> {
    vec![
        char_key('j', Action::SelectNext, "down"),
        key("<Down>", KeyCode::Down, NONE, Action::SelectNext, "down"),
        char_key('k', Action::SelectPrev, "up"),
        key("<Up>", KeyCode::Up, NONE, Action::SelectPrev, "up"),
        char_key('g', Action::Top, "first row"),
        key("<Home>", KeyCode::Home, NONE, Action::Top, "first row"),
        char_key('G', Action::Bottom, "last row"),
        key("<End>", KeyCode::End, NONE, Action::Bottom, "last row"),
        key(
            "<C-d>",
            KeyCode::Char('d'),
            CTRL,
            Action::PageDown,
            "half a page down",
        ),
        key(
            "<PageDown>",
            KeyCode::PageDown,
            NONE,
            Action::PageDown,
            "half a page down",
        ),
        key(
            "<C-u>",
            KeyCode::Char('u'),
            CTRL,
            Action::PageUp,
            "half a page up",
        ),
        key(
            "<PageUp>",
            KeyCode::PageUp,
            NONE,
            Action::PageUp,
            "half a page up",
        ),
    ]
}

/// Keys every layer but input and help has.
fn global() -> Vec<Binding> {
    vec![
        hinted(char_key('?', Action::Help, "help")),
        hinted(char_key('q', Action::Quit, "quit")),
        key("<C-c>", KeyCode::Char('c'), CTRL, Action::Quit, "quit"),
    ]
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = Vec::new();
        let mut add = |layer: Layer, list: Vec<Binding>| {
            bindings.extend(list.into_iter().map(|b| (layer, b)))
        };
        add(Layer::List, movement());
        add(
            Layer::List,
            vec![
                hinted(key("<Enter>", KeyCode::Enter, NONE, Action::Open, "open")),
                hinted(char_key('/', Action::Search, "filter")),
                hinted(char_key('s', Action::CycleSort, "sort")),
                hinted(char_key('c', Action::OpenCode, "code")),
                char_key('p', Action::RunPlan, "plan the request again"),
                char_key('L', Action::OpenAudit, "audit log"),
                char_key('w', Action::OpenDrift, "drift view"),
                hinted(char_key('r', Action::Refresh, "refresh")),
                key(
                    "<Esc>",
                    KeyCode::Esc,
                    NONE,
                    Action::Back,
                    "clear the filter",
                ),
            ],
        );
        add(Layer::Matrix, movement());
        add(
            Layer::Matrix,
            vec![
                hinted(key(
                    "<Enter>",
                    KeyCode::Enter,
                    NONE,
                    Action::Open,
                    "open root",
                )),
                hinted(char_key('c', Action::OpenCode, "code")),
                char_key('p', Action::RunPlan, "plan the request again"),
                hinted(key("<Esc>", KeyCode::Esc, NONE, Action::Back, "back")),
            ],
        );
        add(Layer::Plan, movement());
        add(
            Layer::Plan,
            vec![
                hinted(key(
                    "<Space>",
                    KeyCode::Char(' '),
                    NONE,
                    Action::ToggleViewed,
                    "viewed",
                )),
                hinted(char_key('a', Action::Approve, "approve")),
                char_key(
                    'v',
                    Action::ToggleDelta,
                    "changes since your approval / whole plan",
                ),
                hinted(char_key('x', Action::Block, "block")),
                char_key(
                    'A',
                    Action::ApplyPlan,
                    "apply (the confirmation lists every gate check)",
                ),
                hinted(char_key('d', Action::NextDestructive, "next destructive")),
                char_key('D', Action::PrevDestructive, "previous destructive"),
                hinted(key(
                    "<Enter>",
                    KeyCode::Enter,
                    NONE,
                    Action::ToggleFold,
                    "fold",
                )),
                char_key('z', Action::ToggleFold, "fold or unfold"),
                char_key('Z', Action::ToggleFoldAll, "fold or unfold all"),
                hinted(char_key('/', Action::Search, "search")),
                char_key('n', Action::SearchNext, "next match"),
                char_key('N', Action::SearchPrev, "previous match"),
                hinted(char_key('f', Action::CycleActionFilter, "action filter")),
                char_key('F', Action::CycleRiskFilter, "risk filter"),
                char_key('.', Action::ToggleNoise, "show or hide noise"),
                char_key('c', Action::OpenCode, "code"),
                char_key('p', Action::RunPlan, "plan the request again"),
                hinted(key("<Esc>", KeyCode::Esc, NONE, Action::Back, "back")),
            ],
        );
        add(Layer::Code, movement());
        add(
            Layer::Code,
            vec![
                hinted(char_key(']', Action::NextFile, "next file")),
                hinted(char_key('[', Action::PrevFile, "previous file")),
                hinted(char_key('/', Action::Search, "search")),
                char_key('n', Action::SearchNext, "next match"),
                char_key('N', Action::SearchPrev, "previous match"),
                hinted(key("<Esc>", KeyCode::Esc, NONE, Action::Back, "back")),
            ],
        );
        add(Layer::Drift, movement());
        add(
            Layer::Drift,
            vec![
                hinted(char_key(
                    'b',
                    Action::BlockDriftedRoot,
                    "block requests touching the root",
                )),
                hinted(char_key('a', Action::AcknowledgeDrift, "acknowledge")),
                hinted(key("<Esc>", KeyCode::Esc, NONE, Action::Back, "back")),
            ],
        );
        add(Layer::Audit, movement());
        add(
            Layer::Audit,
            vec![hinted(key(
                "<Esc>",
                KeyCode::Esc,
                NONE,
                Action::Back,
                "back",
            ))],
        );
        for layer in Layer::ALL.into_iter().filter(|l| l.is_screen()) {
            add(layer, global());
        }
        add(
            Layer::Help,
            vec![
                hinted(key("<Esc>", KeyCode::Esc, NONE, Action::Back, "close")),
                char_key('?', Action::Back, "close"),
                char_key('q', Action::Back, "close"),
                key("<C-c>", KeyCode::Char('c'), CTRL, Action::Quit, "quit"),
            ],
        );
        Self { bindings }
    }
}

impl Keymap {
    /// The action a key press means in a layer.
    pub fn resolve(&self, layer: Layer, event: &KeyEvent) -> Option<Action> {
        // Shift is implied by an upper-case character; ignore it for chars.
        let modifiers = match event.code {
            KeyCode::Char(_) => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.bindings
            .iter()
            .find(|(l, b)| *l == layer && b.code == event.code && b.modifiers == modifiers)
            .map(|(_, b)| b.action)
    }

    /// Every binding of a layer, for the help overlay.
    pub fn bindings(&self, layer: Layer) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(move |(l, _)| *l == layer)
            .map(|(_, b)| b)
    }

    /// The short hints of a layer for the status bar.
    pub fn hints(&self, layer: Layer) -> Vec<(&str, &'static str)> {
        self.bindings(layer)
            .filter(|b| b.hint)
            .map(|b| (b.label.as_ref(), b.desc))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn no_key_is_bound_twice_in_a_layer() {
        let keymap = Keymap::default();
        for layer in Layer::ALL {
            let mut seen = std::collections::HashSet::new();
            for b in keymap.bindings(layer) {
                assert!(
                    seen.insert((b.code, b.modifiers)),
                    "{layer:?}: {} bound twice",
                    b.label
                );
            }
        }
    }

    #[test]
    fn every_screen_layer_has_help_quit_and_back() {
        let keymap = Keymap::default();
        for layer in Layer::ALL.into_iter().filter(|l| l.is_screen()) {
            let resolve = |code, modifiers| keymap.resolve(layer, &press(code, modifiers));
            assert_eq!(
                resolve(KeyCode::Char('?'), NONE),
                Some(Action::Help),
                "{layer:?}"
            );
            assert_eq!(
                resolve(KeyCode::Char('q'), NONE),
                Some(Action::Quit),
                "{layer:?}"
            );
            assert_eq!(
                resolve(KeyCode::Char('c'), CTRL),
                Some(Action::Quit),
                "{layer:?}"
            );
            let hints = keymap.hints(layer);
            assert!(hints.contains(&("?", "help")), "{layer:?}: {hints:?}");
            assert!(hints.contains(&("q", "quit")), "{layer:?}: {hints:?}");
        }
        let esc = press(KeyCode::Esc, NONE);
        for layer in Layer::ALL
            .into_iter()
            .filter(|l| l.is_screen() || *l == Layer::Help)
        {
            assert_eq!(keymap.resolve(layer, &esc), Some(Action::Back), "{layer:?}");
        }
    }

    #[test]
    fn help_closes_with_its_own_keys_and_ctrl_c_quits() {
        let keymap = Keymap::default();
        let resolve = |code, modifiers| keymap.resolve(Layer::Help, &press(code, modifiers));
        assert_eq!(resolve(KeyCode::Char('?'), NONE), Some(Action::Back));
        assert_eq!(resolve(KeyCode::Char('q'), NONE), Some(Action::Back));
        assert_eq!(resolve(KeyCode::Char('c'), CTRL), Some(Action::Quit));
    }

    #[test]
    fn modal_and_input_take_keys_themselves() {
        let keymap = Keymap::default();
        for layer in [Layer::Modal, Layer::Input] {
            assert_eq!(keymap.bindings(layer).count(), 0, "{layer:?}");
        }
    }

    #[test]
    fn shifted_letters_resolve() {
        let keymap = Keymap::default();
        let big_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(keymap.resolve(Layer::Plan, &big_g), Some(Action::Bottom));
    }
}
