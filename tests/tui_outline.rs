//! The plan view's outline pane through the harness: Tab moves the focus,
//! moving in the outline scrolls the diff to the resource, `/` filters it,
//! it follows the diff, and it groups a generated plan's resources by
//! module with counts.

mod support;

use plandeck::tui::Layer;
use plandeck::tui::harness::Harness;

fn selected_outline_address(h: &Harness) -> String {
    let plandeck::tui::Screen::Plan(view) = &h.state.screen else {
        panic!("not the plan view");
    };
    let plandeck::tui::Loadable::Loaded(view) = view.as_ref() else {
        panic!("plan not loaded");
    };
    let i = view
        .outline
        .selected_resource()
        .expect("a selected resource");
    view.loaded.plan.resource_changes[i].address.clone()
}

#[test]
fn tab_focus_select_scrolls_the_diff_filter_and_follow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = support::tui::demo_harness(dir.path(), None, (140, 40));
    h.press("j j <Enter>");
    let screen = h.screen();
    assert!(screen.contains("request/103 · apps/web/prod"), "{screen}");
    assert!(screen.contains(" Outline 3 "), "{screen}");
    assert_eq!(h.state.layer(), Layer::Plan);
    // The outline follows the diff: d jumps to the delete, the outline too.
    h.press("d");
    assert_eq!(selected_outline_address(&h), "aws_s3_bucket.legacy_exports");
    // Tab gives the outline the keys; its hints are in the status bar.
    h.press("<Tab>");
    assert_eq!(h.state.layer(), Layer::Outline);
    assert!(h.screen().contains("<Tab> diff"), "{}", h.screen());
    // Moving in the outline scrolls the diff to the resource.
    h.press("g");
    let first = selected_outline_address(&h);
    assert!(
        h.selected_row().expect("diff cursor").contains(&first),
        "the diff is on {first}:\n{}",
        h.screen()
    );
    h.press("j");
    let second = selected_outline_address(&h);
    assert_ne!(first, second);
    assert!(h.selected_row().expect("diff cursor").contains(&second));
    // `/` filters the outline as it is typed; the diff follows.
    h.press("/");
    h.type_text("legacy");
    let filtered = h.screen();
    assert!(filtered.contains(" Outline 1 /legacy"), "{filtered}");
    assert_eq!(selected_outline_address(&h), "aws_s3_bucket.legacy_exports");
    assert!(h.selected_row().expect("diff").contains("legacy_exports"));
    h.press("<Enter>");
    assert_eq!(
        h.state.layer(),
        Layer::Outline,
        "Enter ends the filter's typing"
    );
    // Space marks the outline's resource viewed.
    h.press("<Space>");
    assert!(
        h.screen().contains("destructive viewed 1/1"),
        "{}",
        h.screen()
    );
    // Esc clears the filter first, then Enter hands the focus to the diff.
    h.press("<Esc>");
    assert!(h.screen().contains(" Outline 3 "));
    h.press("<Enter>");
    assert_eq!(h.state.layer(), Layer::Plan);
    assert!(h.selected_row().expect("diff").contains("legacy_exports"));
}

#[test]
fn a_generated_plan_is_grouped_by_module_with_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = support::tui::generated_plan_harness(dir.path(), 40, (200, 60));
    h.press("<Enter>");
    let screen = h.screen();
    assert!(
        screen.contains(" Outline 40 ") || screen.contains(" Outline "),
        "{screen}"
    );
    let plandeck::tui::Screen::Plan(view) = &h.state.screen else {
        panic!("plan view");
    };
    let plandeck::tui::Loadable::Loaded(view) = view.as_ref() else {
        panic!("loaded");
    };
    let outline = &view.outline;
    assert!(
        outline.groups.len() > 1,
        "several modules: {:?}",
        outline.groups
    );
    // Every shown resource once, under its own module's header.
    let mut group = None;
    let mut seen = std::collections::HashSet::new();
    for row in &outline.rows {
        match row {
            plandeck::tui::OutlineRow::Group(g) => group = Some(*g),
            plandeck::tui::OutlineRow::Resource(i) => {
                let rc = &view.loaded.plan.resource_changes[*i];
                let g = group.expect("a header first");
                assert_eq!(
                    outline.groups[g].module,
                    rc.module_address.clone().unwrap_or_default()
                );
                assert!(seen.insert(*i), "{} twice", rc.address);
            }
        }
    }
    let counted: usize = outline
        .groups
        .iter()
        .map(|g| g.counts.iter().sum::<usize>())
        .sum();
    assert_eq!(counted, seen.len());
    assert_eq!(outline.resources(), seen.len());
}

#[test]
fn the_outline_follows_a_search_in_the_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = support::tui::demo_harness(dir.path(), None, (140, 40));
    h.press("j j <Enter> G");
    h.press("/");
    h.type_text("iam");
    h.press("<Enter>");
    assert_eq!(selected_outline_address(&h), "aws_iam_policy.assets");
}
