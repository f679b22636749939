//! Keys of the plan view's outline pane (`Layer::Outline`): moving selects
//! a resource and scrolls the diff to it, `Enter` hands the focus to the
//! diff there, `/` filters by address, `Space` marks viewed, `d`/`D` jump
//! between deletes and replacements. And the diff's side: the outline
//! follows the diff's cursor after every plan key.

use super::{go_back, is_movement, moved, plan_action};
use crate::tui::msg::{Action, Effect};
use crate::tui::plan_view::PlanView;
use crate::tui::state::{Loadable, Screen, State};

fn view(state: &mut State) -> Option<&mut PlanView> {
    match &mut state.screen {
        Screen::Plan(view) => match view.as_mut() {
            Loadable::Loaded(view) => Some(view),
            _ => None,
        },
        _ => None,
    }
}

/// A key of the diff (`Layer::Plan`); the outline follows its cursor.
pub(super) fn diff_action(state: &mut State, action: Action) -> Vec<Effect> {
    if matches!(action, Action::FocusNextPane | Action::FocusPrevPane) {
        if let Some(view) = view(state) {
            view.sync_outline();
            view.outline.focused = true;
        }
        return Vec::new();
    }
    let effects = plan_action(state, action);
    if let Some(view) = view(state) {
        view.sync_outline();
    }
    effects
}

/// A key of the outline (`Layer::Outline`).
pub(super) fn outline_action(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(view) = view(state) else {
        return Vec::new();
    };
    view.notice = None;
    if is_movement(action) {
        let outline = &mut view.outline;
        outline.cursor = moved(outline.cursor, outline.rows.len(), action);
        // The cursor rests on resources, never on a module's header.
        let on_header = matches!(
            outline.rows.get(outline.cursor),
            Some(crate::tui::outline::OutlineRow::Group(_))
        );
        match action {
            Action::SelectPrev | Action::PageUp if on_header && outline.cursor > 0 => {
                outline.cursor -= 1
            }
            _ if on_header && outline.cursor + 1 < outline.rows.len() => outline.cursor += 1,
            _ => {}
        }
        select(view);
        return Vec::new();
    }
    match action {
        Action::FocusNextPane | Action::FocusPrevPane | Action::Open => {
            select(view);
            view.outline.focused = false;
        }
        Action::Search => {
            view.outline.filter_editing = true;
            view.outline.filter.clear();
            refilter(view);
        }
        Action::Back if !view.outline.filter.is_empty() => {
            view.outline.filter.clear();
            refilter(view);
        }
        Action::Back => go_back(state),
        Action::NextDestructive | Action::PrevDestructive => {
            let plan = std::sync::Arc::clone(&view.loaded.plan);
            let forward = action == Action::NextDestructive;
            if view.outline.jump(forward, |i| {
                plan.resource_changes[i].change.kind.is_destructive()
            }) {
                select(view);
            } else {
                view.notice = Some("no delete or replacement in the outline".into());
            }
        }
        Action::ToggleViewed => {
            select(view);
            // The diff's own toggle, on the resource the outline selected.
            return plan_action(state, Action::ToggleViewed);
        }
        _ => {}
    }
    Vec::new()
}

/// Scrolls the diff to the outline's resource.
fn select(view: &mut PlanView) {
    if let Some(i) = view.outline.selected_resource() {
        view.show_in_diff(i);
    }
}

/// The filter changed: the outline is built again and the diff follows.
pub(super) fn refilter(view: &mut PlanView) {
    let plan = std::sync::Arc::clone(&view.loaded.plan);
    view.outline.refilter(&view.rows, &plan);
    select(view);
}
