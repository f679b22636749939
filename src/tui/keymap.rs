//! Keys per layer, each binding with the words the help and the status bar
//! show, so hints are generated from the live bindings and never drift.
//! The defaults are `assets/keys.toml` (vim and lazygit/k9s habits); the
//! user's config overrides and adds bindings per view (`[keys.plan]`…).
//! A binding the keymap cannot honour is refused with its file and line:
//! an unknown view or action, an action the view does not have, one key
//! written twice in a view, a `[keys.global]` key a view already uses for
//! something else, `<C-c>` (always quit), or a view left without `quit`
//! or `help`.

mod file;
pub mod names;
pub mod notation;

use super::msg::Action;
use super::state::Layer;
use crate::config::ConfigError;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub use file::Spec;
use names::View;
pub use notation::KeyId;

/// The shipped defaults.
pub const DEFAULTS: &str = include_str!("../../assets/keys.toml");
const DEFAULTS_FILE: &str = "assets/keys.toml (built in)";

/// One key and what it does in a layer.
#[derive(Clone, Debug)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    /// How the key is written in hints, e.g. `j`, `<C-d>`, `<Enter>`.
    pub label: String,
    pub action: Action,
    pub desc: String,
    /// Shown in the status bar (the rest only in the help overlay).
    pub hint: bool,
    /// Where it was bound: the defaults or the user's file, with the line.
    pub origin: Option<(String, usize)>,
}

impl Binding {
    fn key(&self) -> KeyId {
        KeyId {
            code: self.code,
            modifiers: self.modifiers,
        }
    }
}

/// All bindings, by layer.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: Vec<(Layer, Binding)>,
}

/// The reserved quit key of every layer.
const CTRL_C: KeyId = KeyId {
    code: KeyCode::Char('c'),
    modifiers: KeyModifiers::CONTROL,
};

impl Default for Keymap {
    /// The shipped defaults. They are checked by the tests; should they
    /// ever fail to load, an empty map would leave no way out, so this
    /// falls back to the reserved keys alone.
    fn default() -> Self {
        Self::load(None).unwrap_or_else(|_| Self::from_tables(&Tables::default()))
    }
}

/// Bindings per view before they are expanded into layers.
#[derive(Default)]
struct Tables {
    views: Vec<(View, Vec<Binding>)>,
}

impl Tables {
    fn table(&mut self, view: View) -> &mut Vec<Binding> {
        if let Some(pos) = self.views.iter().position(|(v, _)| *v == view) {
            return &mut self.views[pos].1;
        }
        self.views.push((view, Vec::new()));
        let last = self.views.len() - 1;
        &mut self.views[last].1
    }

    fn get(&self, view: View) -> &[Binding] {
        self.views
            .iter()
            .find(|(v, _)| *v == view)
            .map_or(&[], |(_, b)| b.as_slice())
    }
}

/// The screen layers `[keys.global]` applies to.
fn screen_layers() -> impl Iterator<Item = Layer> {
    Layer::ALL.into_iter().filter(|l| l.is_screen())
}

impl Keymap {
    /// The defaults, with the user's `[keys]` (file name and text) on top.
    pub fn load(user: Option<(&str, &str)>) -> Result<Self, ConfigError> {
        let defaults = file::read(&file::Origin {
            file: DEFAULTS_FILE,
            text: DEFAULTS,
        })?;
        let mut tables = Tables::default();
        apply(&mut tables, &defaults, DEFAULTS_FILE, None)?;
        let builtin = Self::from_tables(&tables);
        builtin.check_ways_out(DEFAULTS_FILE, &[], &builtin)?;
        let Some((name, text)) = user else {
            return Ok(builtin);
        };
        let specs = file::read(&file::Origin { file: name, text })?;
        let allowed = Allowed::of(&tables);
        apply(&mut tables, &specs, name, Some(&allowed))?;
        let keymap = Self::from_tables(&tables);
        keymap.check_ways_out(name, &specs, &builtin)?;
        Ok(keymap)
    }

    fn from_tables(tables: &Tables) -> Self {
        let ctrl_c = |desc: &str| Binding {
            code: CTRL_C.code,
            modifiers: CTRL_C.modifiers,
            label: CTRL_C.label(),
            action: Action::Quit,
            desc: desc.into(),
            hint: false,
            origin: None,
        };
        let mut bindings = Vec::new();
        for layer in screen_layers() {
            let own = tables.get(View::Layer(layer));
            let global = tables
                .get(View::Global)
                .iter()
                .filter(|g| !own.iter().any(|b| b.key() == g.key()));
            bindings.extend(own.iter().chain(global).cloned().map(|b| (layer, b)));
            bindings.push((layer, ctrl_c("quit")));
        }
        bindings.extend(
            tables
                .get(View::Layer(Layer::Help))
                .iter()
                .cloned()
                .map(|b| (Layer::Help, b)),
        );
        bindings.push((Layer::Help, ctrl_c("quit")));
        Self { bindings }
    }

    /// Every screen layer keeps a key for `quit` and `help` and the help
    /// overlay one to close it (`<C-c>` always quits, but nobody should
    /// have to know that).
    /// A failure names the line of the binding that took the key away
    /// (`specs`: the file's bindings, `builtin`: the map before them).
    fn check_ways_out(
        &self,
        file: &str,
        specs: &[Spec],
        builtin: &Keymap,
    ) -> Result<(), ConfigError> {
        let needs = screen_layers()
            .flat_map(|l| [(l, Action::Quit), (l, Action::Help)])
            .chain([(Layer::Help, Action::Back)]);
        for (layer, action) in needs {
            let has = self
                .bindings(layer)
                .any(|b| b.action == action && b.key() != CTRL_C);
            if !has {
                let culprit = specs.iter().rev().find(|s| {
                    { matches!(s.view, View::Global) || s.view == View::Layer(layer) }
                        .then_some(())
                        .is_some()
                        && builtin.resolve(layer, &s.key.event()) == Some(action)
                });
                return Err(ConfigError {
                    file: file.to_string(),
                    line: culprit.map(|s| s.line),
                    message: format!(
                        "key `keys`: the {} view is left without a key for `{}`",
                        names::view_name(View::Layer(layer)),
                        names::name(action)
                    ),
                });
            }
        }
        Ok(())
    }

    /// The action a key press means in a layer.
    pub fn resolve(&self, layer: Layer, event: &KeyEvent) -> Option<Action> {
        let key = KeyId::of_event(event);
        self.bindings
            .iter()
            .find(|(l, b)| *l == layer && b.key() == key)
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
    pub fn hints(&self, layer: Layer) -> Vec<(&str, &str)> {
        self.bindings(layer)
            .filter(|b| b.hint)
            .map(|b| (b.label.as_str(), b.desc.as_str()))
            .collect()
    }

    /// The defaults with the `[keys]` of the user's config file on top.
    pub fn for_config(loaded: &crate::config::Loaded) -> Result<Self, ConfigError> {
        Self::load(
            loaded
                .keys_file
                .as_ref()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        )
    }

    /// The first key bound to `action` in `layer`, as its label (for
    /// messages that name a key, e.g. "press p").
    pub fn key_for(&self, layer: Layer, action: Action) -> Option<&str> {
        self.bindings(layer)
            .find(|b| b.action == action)
            .map(|b| b.label.as_str())
    }
}

/// The actions each view may bind: those the defaults bind there (a
/// view's own and, for screens, the global ones).
struct Allowed {
    by_view: Vec<(View, Vec<Action>)>,
}

impl Allowed {
    fn of(tables: &Tables) -> Self {
        let global: Vec<Action> = tables.get(View::Global).iter().map(|b| b.action).collect();
        let by_view = names::VIEWS
            .iter()
            .map(|(_, view)| {
                let mut actions: Vec<Action> = tables.get(*view).iter().map(|b| b.action).collect();
                if let View::Layer(layer) = view {
                    if layer.is_screen() {
                        actions.extend(&global);
                    }
                }
                (*view, actions)
            })
            .collect();
        Self { by_view }
    }

    fn allows(&self, view: View, action: Action) -> bool {
        self.by_view
            .iter()
            .any(|(v, actions)| *v == view && actions.contains(&action))
    }

    fn views_of(&self, action: Action) -> Vec<&'static str> {
        self.by_view
            .iter()
            .filter(|(_, actions)| actions.contains(&action))
            .map(|(v, _)| names::view_name(*v))
            .collect()
    }
}

/// Applies one file's bindings to the tables. `allowed` is `None` for the
/// defaults, which define what each view can do.
fn apply(
    tables: &mut Tables,
    specs: &[Spec],
    file: &str,
    allowed: Option<&Allowed>,
) -> Result<(), ConfigError> {
    let fail = |line: usize, message: String| ConfigError {
        file: file.to_string(),
        line: Some(line),
        message,
    };
    for (n, spec) in specs.iter().enumerate() {
        let view = names::view_name(spec.view);
        let label = spec.key.label();
        if spec.key == CTRL_C {
            return Err(fail(
                spec.line,
                format!("key `keys.{view}.{label}`: reserved (it always quits or cancels)"),
            ));
        }
        if let Some(earlier) = specs[..n]
            .iter()
            .find(|s| s.view == spec.view && s.key == spec.key)
        {
            return Err(fail(
                spec.line,
                format!(
                    "key `keys.{view}.{label}`: conflicts with line {}: the same key bound twice",
                    earlier.line
                ),
            ));
        }
        if let (Some(allowed), Some(action)) = (allowed, spec.action) {
            if !allowed.allows(spec.view, action) {
                let views = allowed.views_of(action);
                return Err(fail(
                    spec.line,
                    format!(
                        "key `keys.{view}.{label}`: action `{}` does nothing in this view (it works in: {})",
                        names::name(action),
                        if views.is_empty() {
                            "none".into()
                        } else {
                            views.join(", ")
                        }
                    ),
                ));
            }
        }
        if spec.view == View::Global {
            if let Some(action) = spec.action {
                check_global(tables, specs, spec, action).map_err(|m| fail(spec.line, m))?;
            }
        }
        let table = tables.table(spec.view);
        let existing = table.iter().position(|b| b.key() == spec.key);
        let Some(action) = spec.action else {
            if let Some(pos) = existing {
                table.remove(pos);
            }
            continue;
        };
        let inherited = existing
            .map(|pos| &table[pos])
            .filter(|b| b.action == action);
        let binding = Binding {
            code: spec.key.code,
            modifiers: spec.key.modifiers,
            label,
            action,
            desc: spec
                .desc
                .clone()
                .or_else(|| inherited.map(|b| b.desc.clone()))
                .unwrap_or_else(|| names::name(action).replace('-', " ")),
            hint: spec.hint.or(inherited.map(|b| b.hint)).unwrap_or(false),
            origin: Some((file.to_string(), spec.line)),
        };
        match existing {
            Some(pos) => table[pos] = binding,
            None => table.push(binding),
        }
    }
    Ok(())
}

/// A `[keys.global]` key must not mean something else in a view: say
/// which, unless the same file rebinds the key in that view too.
fn check_global(
    tables: &Tables,
    specs: &[Spec],
    spec: &Spec,
    action: Action,
) -> Result<(), String> {
    for layer in screen_layers() {
        let view = View::Layer(layer);
        let rebound_here = specs.iter().any(|s| s.view == view && s.key == spec.key);
        if rebound_here {
            continue;
        }
        if let Some(other) = tables
            .get(view)
            .iter()
            .find(|b| b.key() == spec.key && b.action != action)
        {
            return Err(format!(
                "key `keys.global.{}`: conflicts with [keys.{}] {} = `{}`; bind it in that view instead",
                spec.key.label(),
                names::view_name(view),
                other.label,
                names::name(other.action)
            ));
        }
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;

    fn user(text: &str) -> Result<Keymap, ConfigError> {
        Keymap::load(Some(("my.toml", text)))
    }

    fn refusal(text: &str) -> String {
        user(text).expect_err("refused").to_string()
    }

    fn key(text: &str) -> KeyEvent {
        notation::parse(text).expect("key").event()
    }

    #[test]
    fn the_defaults_load_and_no_view_shadows_a_global_key() {
        let specs = file::read(&file::Origin {
            file: DEFAULTS_FILE,
            text: DEFAULTS,
        })
        .expect("defaults parse");
        for global in specs.iter().filter(|s| s.view == View::Global) {
            let shadow = specs
                .iter()
                .find(|s| matches!(s.view, View::Layer(l) if l.is_screen()) && s.key == global.key);
            assert!(
                shadow.is_none(),
                "{} is global and in {shadow:?}",
                global.key.label()
            );
        }
        Keymap::load(None).expect("defaults load");
    }

    #[test]
    fn a_user_binding_overrides_adds_and_removes() {
        let keymap = user(
            "[keys.plan]\n\"J\" = { action = \"next-destructive\", desc = \"to the next danger\", hint = true }\n             \"d\" = \"none\"\n             [keys.list]\n\"<Enter>\" = \"refresh\"\n\"o\" = \"open\"\n",
        )
        .expect("valid");
        assert_eq!(
            keymap.resolve(Layer::Plan, &key("J")),
            Some(Action::NextDestructive)
        );
        assert_eq!(keymap.resolve(Layer::Plan, &key("d")), None, "removed");
        assert!(
            keymap
                .hints(Layer::Plan)
                .contains(&("J", "to the next danger"))
        );
        assert_eq!(
            keymap.resolve(Layer::List, &key("<Enter>")),
            Some(Action::Refresh)
        );
        assert_eq!(keymap.resolve(Layer::List, &key("o")), Some(Action::Open));
        // An override of a key keeps its place, and without a desc it gets
        // the action's name in words.
        let o = keymap
            .bindings(Layer::List)
            .find(|b| b.label == "o")
            .expect("o");
        assert_eq!(o.desc, "open");
        assert_eq!(o.origin, Some(("my.toml".into(), 6)));
        // Other views keep their defaults.
        assert_eq!(
            keymap.resolve(Layer::Code, &key("]")),
            Some(Action::NextFile)
        );
    }

    #[test]
    fn refusals_name_the_file_and_line() {
        let cases = [
            (
                "[keys.plan]\n\"x\" = \"launch-missiles\"\n",
                "my.toml:2:",
                "unknown action `launch-missiles`",
            ),
            (
                "[keys.plan]\n\"<C-x>\" = \"approve\"\n\"<c-x>\" = \"block\"\n",
                "my.toml:3:",
                "conflicts with line 2",
            ),
            (
                "[keys.list]\n\"G\" = \"top\"\n\"<S-g>\" = \"bottom\"\n",
                "my.toml:3:",
                "conflicts with line 2",
            ),
            (
                "[keys.list]\n\"a\" = \"approve\"\n",
                "my.toml:2:",
                "does nothing in this view (it works in: plan)",
            ),
            (
                "[keys.global]\n\"d\" = \"help\"\n",
                "my.toml:2:",
                "conflicts with [keys.plan] d = `next-destructive`",
            ),
            (
                "[keys.plan]\n\"<C-c>\" = \"approve\"\n",
                "my.toml:2:",
                "reserved",
            ),
            (
                "[keys.global]\n\"q\" = \"none\"\n",
                "my.toml:2:",
                "without a key for `quit`",
            ),
            (
                "\n[keys.lists]\n\"o\" = \"open\"\n",
                "my.toml:2:",
                "unknown view",
            ),
            (
                "[keys.list]\n\"<Nope>\" = \"open\"\n",
                "my.toml:2:",
                "unknown key name",
            ),
            (
                "[keys.list]\n\"o\" = { action = \"open\", colour = \"red\" }\n",
                "my.toml:2:",
                "unknown field `colour`",
            ),
            (
                "[keys.list]\n\"o\" = { action = \"open\", desc = \"\\u001b[2J\" }\n",
                "my.toml:2:",
                "control or invisible",
            ),
        ];
        for (text, at, why) in cases {
            let message = refusal(text);
            assert!(
                message.starts_with(at) && message.contains(why),
                "{text}\n=> {message}"
            );
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn a_global_key_rebound_in_the_same_file_for_that_view_is_fine() {
        let keymap = user(
            "[keys.global]\n\"d\" = \"help\"\n[keys.plan]\n\"d\" = \"next-destructive\"\n\
             [keys.outline]\n\"d\" = \"next-destructive\"\n",
        )
        .expect("explicit per view");
        assert_eq!(keymap.resolve(Layer::List, &key("d")), Some(Action::Help));
        assert_eq!(
            keymap.resolve(Layer::Plan, &key("d")),
            Some(Action::NextDestructive)
        );
    }

    #[test]
    fn quit_may_move_to_another_key() {
        let keymap =
            user("[keys.global]\n\"q\" = \"none\"\n\"Q\" = { action = \"quit\", hint = true }\n")
                .expect("quit kept on Q");
        assert_eq!(keymap.resolve(Layer::Plan, &key("Q")), Some(Action::Quit));
        assert_eq!(keymap.resolve(Layer::Plan, &key("q")), None);
        assert!(keymap.hints(Layer::List).contains(&("Q", "quit")));
    }

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
