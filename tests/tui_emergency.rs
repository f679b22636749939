//! The TUI's emergency approval through the harness (real update, loading,
//! drawing, git notes and audit log): `<Tab>` in the approve confirmation,
//! a required reason, the root's name typed to confirm, then the decision
//! in red in the Decisions panel, the gate and the audit view.

#![allow(clippy::disallowed_types)] // tests the git backend itself

mod support;

use plandeck::tui::harness::Harness;
use ratatui::style::Color;
use support::tui::demo_harness;

/// prod allows emergencies; its window (Saturdays) is closed at the
/// harness's moment (a Monday afternoon).
const CONFIG: &str = r#"
[environments.prod]
allow_emergency = true
window = { days = ["sat"], hours = "03:00-03:01", time_zone = "UTC" }
"#;

const REASON: &str = "INC-9 export job stuck";

/// The foreground colour of the first cell of `needle` on the screen.
fn fg_of(h: &mut Harness, needle: &str) -> Option<Color> {
    h.draw();
    let buffer = h.terminal.backend().buffer();
    let width = buffer.area.width as usize;
    for row in buffer.content.chunks(width) {
        let mut text = String::new();
        let mut starts = Vec::new();
        for cell in row {
            starts.push(text.len());
            text.push_str(cell.symbol());
        }
        if let Some(at) = text.find(needle) {
            let cell = starts.iter().position(|s| *s == at)?;
            return row[cell].fg.into();
        }
    }
    None
}

/// Opens request/103 (apps/web/prod, critical) with its destructive change
/// viewed, and the approve confirmation.
fn open_confirmation(h: &mut Harness) {
    h.press("j j <Enter> d <Space> a");
}

#[test]
fn tab_switches_to_an_emergency_approval_that_needs_a_reason_and_the_typed_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_harness(dir.path(), Some(CONFIG), (140, 48));
    open_confirmation(&mut h);
    let modal = h.screen();
    assert!(
        modal.contains("<Tab> emergency approval instead: waives the deployment window"),
        "{modal}"
    );
    assert!(
        modal.contains("window      closed: applies only sat"),
        "{modal}"
    );
    h.press("<Tab>");
    let modal = h.screen();
    assert!(modal.contains("EMERGENCY approval request/103"), "{modal}");
    assert!(
        modal.contains("waives the deployment window only"),
        "{modal}"
    );
    h.press("<Enter>");
    assert!(h.screen().contains("an emergency approval needs a reason"));
    assert!(h.state.modal.is_some(), "still asking");
    h.type_text(REASON);
    h.press("<Enter>");
    assert!(
        h.screen()
            .contains("Type the root's name to confirm the emergency approval")
    );
    // `y` is typed, not a confirmation; a wrong name cancels.
    h.type_text("apps/web/pro");
    h.press("<Enter>");
    assert!(
        h.screen()
            .contains("the typed name does not match the root: no emergency approval")
    );
    assert!(h.state.modal.is_none());

    h.press("a <Tab>");
    h.type_text(REASON);
    h.press("<Enter>");
    h.type_text("apps/web/prod");
    h.press("<Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("approve recorded for request/103 apps/web/prod"),
        "{screen}"
    );
    assert!(
        screen.contains("riley@example.com EMERGENCY-approved")
            && screen.contains(&format!("EMERGENCY: “{REASON}”")),
        "{screen}"
    );
    assert!(
        screen.contains("EMERGENCY: window waived by riley@example.com"),
        "{screen}"
    );
    // One approval of two: the second person is still needed.
    assert!(
        screen.contains("approvals (1/2 approvals in prod)"),
        "{screen}"
    );
    for red in [
        "EMERGENCY-approved",
        "EMERGENCY: “INC-9",
        "EMERGENCY: window waived",
    ] {
        assert_eq!(fg_of(&mut h, red), Some(Color::Red), "{red} in red");
    }
    h.press("<Esc> L");
    let audit = h.screen();
    assert!(
        audit.contains("approve") && audit.contains("EMERGENCY: INC-9"),
        "{audit}"
    );
    assert_eq!(fg_of(&mut h, "EMERGENCY: INC-9"), Some(Color::Red));
    assert_eq!(fg_of(&mut h, "approve"), Some(Color::Red), "the action too");
}

#[test]
fn without_allow_emergency_tab_says_why_and_approving_stays_normal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_harness(dir.path(), None, (140, 48));
    open_confirmation(&mut h);
    assert!(!h.screen().contains("<Tab> emergency approval"));
    h.press("<Tab>");
    let screen = h.screen();
    assert!(
        screen.contains("no emergency approval: emergency approvals are not allowed in prod"),
        "{screen}"
    );
    assert!(
        !screen.contains("EMERGENCY approval request/103"),
        "{screen}"
    );
    // The ordinary typed confirmation still works.
    h.type_text("apps/web/prod");
    h.press("<Enter>");
    let done = h.screen();
    assert!(done.contains("approve recorded"), "{done}");
    assert!(!done.contains("EMERGENCY"), "{done}");
}

#[test]
fn a_normal_approver_may_replace_their_approval_with_an_emergency_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_harness(dir.path(), Some(CONFIG), (140, 48));
    open_confirmation(&mut h);
    h.type_text("apps/web/prod");
    h.press("<Enter>");
    assert!(h.screen().contains("approve recorded"));
    h.press("a");
    let screen = h.screen();
    assert!(
        screen.contains(
            "already approved this plan of apps/web/prod: only an emergency approval can replace it"
        ) && screen.contains("EMERGENCY approval request/103"),
        "{screen}"
    );
    h.type_text(REASON);
    h.press("<Enter>");
    h.type_text("apps/web/prod");
    h.press("<Enter>");
    let screen = h.screen();
    assert!(screen.contains("EMERGENCY-approved"), "{screen}");
    assert!(
        screen.contains("superseded by a later approval"),
        "{screen}"
    );
    h.press("a");
    assert!(
        h.screen()
            .contains("refused: Riley Reviewer <riley@example.com> already approved")
    );
}

#[test]
fn the_demo_shows_approval_groups_and_an_emergency_approval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    plandeck::demo::build_at(&repo, support::tui::NOW).expect("demo");
    // As `plandeck demo` loads it: with the repository's .plandeck.toml.
    let text = support::git_in(&repo, &["show", "main:.plandeck.toml"]);
    let loaded =
        plandeck::config::load_with_repo(None, Some((".plandeck.toml (main)".into(), text)))
            .expect("config");
    let source = plandeck::source::git::GitSource::open(&repo, &loaded.config).expect("opens");
    let mut h = support::tui::harness(source, &loaded, (140, 48), dir.path().join("data"));
    let list = h.screen();
    for number in ["#107", "#106"] {
        assert!(
            list.lines()
                .any(|l| l.contains(number) && l.contains("main") && l.contains("shop/prod")),
            "{number}: {list}"
        );
    }
    // request/107: an emergency approval by Bob (staff), Erin (client).
    h.press("j j j j <Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("request/107 · clients/shop/prod"),
        "{screen}"
    );
    assert!(
        screen.contains("bob@example.com EMERGENCY-approved")
            && screen.contains("EMERGENCY: “INC-2041: card payments failing")
            && screen.contains("erin@client.example approved"),
        "{screen}"
    );
    assert!(
        screen.contains("Gate: ready to apply · EMERGENCY: window waived by bob@example.com"),
        "{screen}"
    );
    assert_eq!(fg_of(&mut h, "EMERGENCY: window waived"), Some(Color::Red));
    // request/106: staff approved, the client has not.
    h.press("<Esc> j <Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("request/106 · clients/shop/prod"),
        "{screen}"
    );
    assert!(
        screen.contains("groups (staff 1/1, client 0/1: missing 1 approval from team client)"),
        "{screen}"
    );
}
