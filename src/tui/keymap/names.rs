//! The kebab-case names of actions and views as written in keymap files
//! (`[keys.plan] "d" = "next-destructive"`), with the words an action gets
//! when a binding gives none. `name` is an exhaustive match, so a new
//! action cannot be added without a name.

use crate::tui::msg::Action;
use crate::tui::state::Layer;

/// Every action, in the order `plandeck keys` and the tests go through them.
pub const ACTIONS: [Action; 42] = [
    Action::SelectNext,
    Action::SelectPrev,
    Action::Top,
    Action::Bottom,
    Action::PageDown,
    Action::PageUp,
    Action::Open,
    Action::Back,
    Action::Quit,
    Action::Help,
    Action::Search,
    Action::SearchNext,
    Action::SearchPrev,
    Action::Refresh,
    Action::CycleSort,
    Action::ToggleFold,
    Action::ToggleFoldAll,
    Action::ToggleViewed,
    Action::NextDestructive,
    Action::PrevDestructive,
    Action::CycleActionFilter,
    Action::CycleRiskFilter,
    Action::ToggleNoise,
    Action::OpenCode,
    Action::NextFile,
    Action::PrevFile,
    Action::RunPlan,
    Action::Approve,
    Action::Block,
    Action::Confirm,
    Action::OpenAudit,
    Action::ToggleDelta,
    Action::ApplyPlan,
    Action::OpenDrift,
    Action::BlockDriftedRoot,
    Action::AcknowledgeDrift,
    Action::TogglePreview,
    Action::PostComment,
    Action::OpenInBrowser,
    Action::CopyUrl,
    Action::FocusNextPane,
    Action::FocusPrevPane,
];

/// The action's name in keymap files.
pub fn name(action: Action) -> &'static str {
    match action {
        Action::SelectNext => "select-next",
        Action::SelectPrev => "select-prev",
        Action::Top => "top",
        Action::Bottom => "bottom",
        Action::PageDown => "page-down",
        Action::PageUp => "page-up",
        Action::Open => "open",
        Action::Back => "back",
        Action::Quit => "quit",
        Action::Help => "help",
        Action::Search => "search",
        Action::SearchNext => "search-next",
        Action::SearchPrev => "search-prev",
        Action::Refresh => "refresh",
        Action::CycleSort => "cycle-sort",
        Action::ToggleFold => "toggle-fold",
        Action::ToggleFoldAll => "toggle-fold-all",
        Action::ToggleViewed => "toggle-viewed",
        Action::NextDestructive => "next-destructive",
        Action::PrevDestructive => "prev-destructive",
        Action::CycleActionFilter => "cycle-action-filter",
        Action::CycleRiskFilter => "cycle-risk-filter",
        Action::ToggleNoise => "toggle-noise",
        Action::OpenCode => "open-code",
        Action::NextFile => "next-file",
        Action::PrevFile => "prev-file",
        Action::RunPlan => "run-plan",
        Action::Approve => "approve",
        Action::Block => "block",
        Action::Confirm => "confirm",
        Action::OpenAudit => "open-audit",
        Action::ToggleDelta => "toggle-delta",
        Action::ApplyPlan => "apply",
        Action::OpenDrift => "open-drift",
        Action::BlockDriftedRoot => "block-drifted-root",
        Action::AcknowledgeDrift => "acknowledge-drift",
        Action::TogglePreview => "toggle-preview",
        Action::PostComment => "post-comment",
        Action::OpenInBrowser => "open-in-browser",
        Action::CopyUrl => "copy-url",
        Action::FocusNextPane => "focus-next-pane",
        Action::FocusPrevPane => "focus-prev-pane",
    }
}

pub fn from_name(text: &str) -> Option<Action> {
    ACTIONS.into_iter().find(|a| name(*a) == text)
}

/// A configurable view: a screen layer, the help overlay, or `global`
/// (bindings every screen layer has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Global,
    Layer(Layer),
}

/// The views in file order: `[keys.global]`, then each layer.
pub const VIEWS: [(&str, View); 9] = [
    ("global", View::Global),
    ("list", View::Layer(Layer::List)),
    ("matrix", View::Layer(Layer::Matrix)),
    ("plan", View::Layer(Layer::Plan)),
    ("outline", View::Layer(Layer::Outline)),
    ("code", View::Layer(Layer::Code)),
    ("audit", View::Layer(Layer::Audit)),
    ("drift", View::Layer(Layer::Drift)),
    ("help", View::Layer(Layer::Help)),
];

pub fn view_from_name(text: &str) -> Option<View> {
    VIEWS.iter().find(|(n, _)| *n == text).map(|(_, v)| *v)
}

pub fn view_name(view: View) -> &'static str {
    VIEWS
        .iter()
        .find(|(_, v)| *v == view)
        .map_or("?", |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for action in ACTIONS {
            let n = name(action);
            assert!(seen.insert(n), "{n} twice");
            assert_eq!(from_name(n), Some(action), "{n}");
            assert!(
                n.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{n} is kebab-case"
            );
        }
    }

    #[test]
    fn every_configurable_layer_has_a_view_name() {
        for layer in Layer::ALL {
            let configurable = layer.is_screen() || layer == Layer::Help;
            assert_eq!(
                VIEWS.iter().any(|(_, v)| *v == View::Layer(layer)),
                configurable,
                "{layer:?}"
            );
        }
    }
}
