//! The requests list's preview pane through the harness: what it shows of
//! the selected request (roots, destructive changes, decisions, gate), that
//! it follows the selection from the cached list (no effect is asked for),
//! its place beside or below the list, and `P`.

mod support;

#[test]
fn the_preview_shows_the_selected_requests_roots_destructive_changes_and_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = support::tui::demo_harness(dir.path(), None, (160, 40));
    // Newest first: 104, 105, 103, 102, 101.
    h.press("j j");
    let screen = h.screen();
    for expected in [
        " Preview ",
        "#103 web/prod: retire the legacy export bucket",
        "apps/web/prod",
        "Destructive changes (1)",
        "aws_s3_bucket.legacy_exports",
        "Latest decisions",
        "Gate 0/2",
        "apps/web/prod: approvals (0/2 approvals in prod)",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    // Moving the selection moves the preview, without any background work.
    let effects = h.key_deferred(plandeck::tui::harness::parse_key("j"));
    assert!(effects.is_empty(), "no effect for the preview: {effects:?}");
    let screen = h.screen();
    assert!(
        screen.contains("#102 api: upgrade the database"),
        "{screen}"
    );
    assert!(
        screen.contains("Destructive changes (2)") && screen.contains("-/+"),
        "both roots' replacements:\n{screen}"
    );
    assert!(!screen.contains("legacy_exports"), "{screen}");
    h.press("j");
    assert!(h.screen().contains("Destructive changes (0)"));
}

#[test]
fn the_preview_sits_beside_a_wide_list_below_a_narrow_one_and_p_toggles_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wide = support::tui::demo_harness(dir.path(), None, (200, 30));
    let screen = wide.screen();
    let header = support::tui::row(&screen, "Author");
    assert!(
        header.contains("Title"),
        "the list keeps its columns:\n{screen}"
    );
    let preview_row = screen
        .lines()
        .position(|l| l.contains(" Preview "))
        .expect("preview");
    assert_eq!(
        preview_row, 1,
        "beside the list, on its title row:\n{screen}"
    );
    wide.press("P");
    assert!(!wide.screen().contains(" Preview "), "P hides it");
    wide.press("P");
    assert!(wide.screen().contains(" Preview "), "P shows it again");

    let mut narrow = support::tui::demo_harness(dir.path(), None, (80, 24));
    let screen = narrow.screen();
    let preview_row = screen
        .lines()
        .position(|l| l.contains(" Preview "))
        .expect("preview");
    let lines: Vec<&str> = screen.lines().collect();
    let last_request = lines
        .iter()
        .rposition(|l| l.contains("Bob Data"))
        .expect("the last request");
    assert!(preview_row > last_request, "below the list:\n{screen}");
    // Too short for both: the list keeps the room.
    let mut short = support::tui::demo_harness(dir.path(), None, (80, 14));
    assert!(!short.screen().contains(" Preview "));
}

#[test]
fn many_destructive_changes_are_cut_with_a_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = support::tui::generated_plan_harness(dir.path(), 60, (160, 40));
    let screen = h.screen();
    let count: usize = screen
        .split("Destructive changes (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count:\n{screen}"));
    assert!(
        count > 5,
        "the generated plan has several: {count}\n{screen}"
    );
    assert!(screen.contains(&format!("+{} more", count - 5)), "{screen}");
}
