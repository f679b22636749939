//! The TUI through its real update, loading and drawing code on ratatui's
//! TestBackend, on the demo repository (real git): snapshots of the screens
//! and the behaviour behind the keys.

#![allow(clippy::disallowed_types)] // tests the git backend itself

mod support;

use plandeck::config::{self, Loaded};
use plandeck::source::git::GitSource;
use plandeck::tui::harness::Harness;
use std::path::Path;
use support::tui::NOW;

struct Fixture {
    _dir: tempfile::TempDir,
    repo: std::path::PathBuf,
    data: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo builds");
    let data = dir.path().join("data");
    Fixture {
        _dir: dir,
        repo,
        data,
    }
}

fn loaded(config: &str) -> Loaded {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).expect("config");
    config::load(Some(&path)).expect("valid config")
}

fn harness(fixture: &Fixture, loaded: &Loaded) -> Harness {
    let source = GitSource::open(&fixture.repo, &loaded.config).expect("opens");
    support::tui::harness(source, loaded, (120, 48), fixture.data.clone())
}

fn redact(screen: &str, repo: &Path) -> String {
    screen.replace(&repo.display().to_string(), "[repo]")
}

#[test]
fn request_list_shows_every_open_request_with_its_state() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    let screen = h.screen();
    for expected in [
        "#101",
        "#102",
        "#103",
        "#104",
        "#105",
        "CRIT",
        "outdated",
        "no plan",
        "+$20.00/mo",
        "reviewer riley@example.com",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    assert!(!screen.contains("#100"), "a merged request is not listed");
    insta::assert_snapshot!("request_list", redact(&screen, &fx.repo));
}

#[test]
fn a_request_with_several_roots_opens_on_its_matrix_then_a_plan() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    // Newest first: 104, 105, 103, 102, 101.
    h.press("j j j");
    assert!(h.selected_row().expect("a selected row").contains("#102"));
    h.press("<Enter>");
    let matrix = h.screen();
    assert!(
        matrix.contains("apps/api/prod") && matrix.contains("apps/api/stage"),
        "{matrix}"
    );
    insta::assert_snapshot!("root_matrix", redact(&matrix, &fx.repo));
    h.press("<Enter>");
    let plan = h.screen();
    assert!(plan.contains("request/102 · apps/api/prod"), "{plan}");
    assert!(
        plan.contains("must be replaced") && plan.contains("(sensitive value)"),
        "{plan}"
    );
    assert!(
        !plan.contains("correct-horse") && !plan.contains("tr0ub4dor"),
        "no secret on screen"
    );
    insta::assert_snapshot!("plan_replacement_sensitive", redact(&plan, &fx.repo));
    h.press("<Esc>");
    assert!(
        h.screen().contains("apps/api/stage"),
        "Esc goes back to the matrix"
    );
    h.press("<Esc>");
    assert!(h.screen().contains("Requests 7/7"), "and then to the list");
}

#[test]
fn plan_keys_fold_jump_search_filter_and_mark_viewed() {
    let fx = fixture();
    let mut h = harness(
        &fx,
        &loaded("[display]\nnoise_attributes = [\"tags_all\"]\n"),
    );
    h.press("j j <Enter>");
    let screen = h.screen();
    assert!(screen.contains("request/103 · apps/web/prod"), "{screen}");
    assert!(
        screen.contains("1 hidden by noise rules: tags_all"),
        "noise is counted:\n{screen}"
    );
    h.press(".");
    let shown = h.screen();
    assert!(
        !shown.contains("hidden by noise rules: tags_all"),
        "{shown}"
    );
    assert!(
        shown.contains("noise shown (. to hide)"),
        "one key shows everything:\n{shown}"
    );
    h.press(".");
    assert!(h.screen().contains("1 hidden by noise rules: tags_all"));
    // Search, then jump to the destructive change.
    h.press("/");
    h.type_text("iam");
    h.press("<Enter>");
    assert!(
        h.selected_row()
            .expect("selection")
            .contains("aws_iam_policy.assets")
    );
    h.press("d");
    assert!(
        h.selected_row()
            .expect("selection")
            .contains("aws_s3_bucket.legacy_exports")
    );
    assert!(h.screen().contains("destructive viewed 0/1"));
    h.press("<Space>");
    let screen = h.screen();
    assert!(
        screen.contains("viewed 1/3") && screen.contains("destructive viewed 1/1"),
        "{screen}"
    );
    // Folding the resource under the cursor hides its body.
    h.press("z");
    assert!(!h.screen().contains("force_destroy"));
    h.press("z");
    assert!(h.screen().contains("force_destroy"));
    // The action filter keeps only updates.
    h.press("f f");
    let filtered = h.screen();
    assert!(
        filtered.contains("Filter: update") && !filtered.contains("legacy_exports"),
        "{filtered}"
    );
}

#[test]
fn review_progress_survives_a_restart() {
    let fx = fixture();
    let config = loaded("");
    {
        let mut h = harness(&fx, &config);
        h.press("j j <Enter> d <Space>");
        assert!(h.screen().contains("destructive viewed 1/1"));
    }
    let mut again = harness(&fx, &config);
    again.press("j j <Enter>");
    let screen = again.screen();
    assert!(
        screen.contains("viewed 1/3") && screen.contains("destructive viewed 1/1"),
        "{screen}"
    );
}

#[test]
fn code_view_and_help_overlay() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    h.press("j j c");
    let code = h.screen();
    assert!(
        code.contains("apps/web/prod/main.tf") && code.contains("m6i.xlarge"),
        "{code}"
    );
    insta::assert_snapshot!("code_view", redact(&code, &fx.repo));
    h.press("<Esc> <Enter> ?");
    let help = h.screen();
    assert!(
        help.contains("Keys (plan)") && help.contains("next destructive"),
        "{help}"
    );
    insta::assert_snapshot!("help_overlay", redact(&help, &fx.repo));
    h.press("<Esc>");
    assert!(!h.screen().contains("Keys (plan)"));
}

#[test]
fn opening_a_request_without_a_plan_says_how_to_make_one() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    h.press("j <Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("no plan for apps/api/dev yet: press p"),
        "{screen}"
    );
}

#[test]
fn filter_and_sort_the_request_list() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    h.press("/");
    h.type_text("database");
    h.press("<Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("Requests 1/7") && screen.contains("#102"),
        "{screen}"
    );
    h.press("<Esc>");
    h.press("s");
    assert!(h.screen().contains("sort: risk"));
    let first = h
        .selected_row()
        .unwrap_or_else(|| panic!("no selection:\n{}", h.screen()));
    assert!(first.contains("CRIT"), "highest risk first: {first}");
}

#[test]
fn noise_rules_hide_resource_types_and_known_drift_with_a_count() {
    let fx = fixture();
    let config = "[display]\nnoise_resource_types = [\"aws_iam_*\"]\nknown_drift = [\"aws_security_group.*\"]\n";
    let mut h = harness(&fx, &loaded(config));
    h.press("j j <Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("2 hidden by noise rules (. shows all)"),
        "{screen}"
    );
    assert!(
        !screen.contains("aws_iam_policy.assets") && !screen.contains("has changed"),
        "{screen}"
    );
    h.press(".");
    let all = h.screen();
    assert!(
        all.contains("Objects have changed outside")
            && all.contains("aws_security_group.web has changed"),
        "{all}"
    );
    h.press("G");
    assert!(h.screen().contains("aws_iam_policy.assets"));
}

#[test]
fn drift_is_shown_before_the_changes() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    h.press("j j <Enter>");
    let screen = h.screen();
    let drift = screen
        .find("aws_security_group.web has changed")
        .expect("drift shown");
    let change = screen
        .find("aws_s3_bucket.legacy_exports will be destroyed")
        .expect("change shown");
    assert!(drift < change, "{screen}");
    assert!(
        screen.contains("+ {"),
        "the new ingress rule is shown:\n{screen}"
    );
}

#[test]
fn mouse_wheel_scrolls_the_list() {
    use crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 5,
        modifiers: KeyModifiers::NONE,
    };
    let effects = plandeck::tui::update(&mut h.state, plandeck::tui::Msg::Mouse(wheel), &h.keymap);
    assert!(effects.is_empty());
    assert!(
        h.selected_row().expect("selection").contains("#102"),
        "three rows down"
    );
}

#[test]
fn search_steps_with_n_and_shift_n_and_the_risk_filter_narrows() {
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    h.press("j j <Enter>");
    h.press("/");
    h.type_text("aws_");
    h.press("<Enter>");
    // Three resources of the plan match (the drifted one is not a change).
    assert!(h.screen().contains("/aws_ (3 matches)"), "{}", h.screen());
    let selected = |h: &mut Harness| h.selected_row().expect("selection");
    assert!(selected(&mut h).contains("aws_s3_bucket.legacy_exports"));
    h.press("n");
    assert!(selected(&mut h).contains("aws_instance.web"));
    h.press("n");
    assert!(selected(&mut h).contains("aws_iam_policy.assets"));
    h.press("N");
    assert!(selected(&mut h).contains("aws_instance.web"));
    // F raises the minimum risk: medium keeps all three, high only the delete.
    h.press("F");
    let medium = h.screen();
    assert!(medium.contains("risk ≥ medium") && medium.contains("aws_instance.web will be"));
    h.press("F");
    let high = h.screen();
    assert!(high.contains("risk ≥ high"), "{high}");
    assert!(
        high.contains("aws_s3_bucket.legacy_exports will be destroyed"),
        "{high}"
    );
    assert!(
        !high.contains("aws_instance.web will be")
            && !high.contains("aws_iam_policy.assets will be"),
        "{high}"
    );
    h.press("F F");
    assert!(h.screen().contains("risk ≥ any") && h.screen().contains("aws_instance.web will be"));
}

#[test]
fn p_plans_again_from_the_plan_view_and_the_matrix() {
    use plandeck::tui::{BackendEvent, Msg};
    let fx = fixture();
    let mut h = harness(&fx, &loaded(""));
    h.press("j j <Enter> p");
    let pane = h.screen();
    assert!(
        pane.contains("planning request/103"),
        "the job shows:\n{pane}"
    );
    assert!(
        pane.contains("plan request/103 · running"),
        "its pane:\n{pane}"
    );
    // Terraform's output streams into the pane; a failure stays there whole.
    let send = |h: &mut Harness, event: BackendEvent| {
        plandeck::tui::update(&mut h.state, Msg::Backend(event), &h.keymap);
    };
    // The job the last `p` started: its lines and result carry its id.
    let last_plan_job = |h: &Harness| {
        h.unhandled
            .iter()
            .rev()
            .find_map(|e| match e {
                plandeck::tui::Effect::RunPlan { job, .. } => Some(*job),
                _ => None,
            })
            .expect("a plan was started")
    };
    let job = last_plan_job(&h);
    for line in [
        "apps/web/prod: terraform init",
        "Error: Failed to query available provider packages",
        "  could not reach registry.terraform.io",
    ] {
        send(
            &mut h,
            BackendEvent::JobProgress {
                job,
                text: line.into(),
            },
        );
    }
    send(
        &mut h,
        BackendEvent::PlanFinished {
            job,
            result: Err(
                "plandeck: apps/web/prod: planning failed: terraform init exited with 1".into(),
            ),
        },
    );
    let failed = h.screen();
    assert!(
        failed.contains("Failed to query available provider packages")
            && failed.contains("could not reach registry.terraform.io")
            && failed.contains("planning failed: terraform init exited with 1"),
        "the whole output stays on screen:\n{failed}"
    );
    assert!(!failed.contains("plandeck: apps"), "said once:\n{failed}");
    // Back to the plan, plan again: a success closes the pane by itself.
    h.press("<Esc> p");
    let job = last_plan_job(&h);
    send(
        &mut h,
        BackendEvent::PlanFinished {
            job,
            result: Ok("planned request/103".into()),
        },
    );
    let back = h.screen();
    assert!(back.contains("request/103 · apps/web/prod"), "{back}");
    assert!(!back.contains("plan request/103 ·"), "{back}");
    // From the matrix too.
    h.press("<Esc> j <Enter> p");
    let planned: Vec<String> = h
        .unhandled
        .iter()
        .filter_map(|e| match e {
            plandeck::tui::Effect::RunPlan { request, .. } => Some(request.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(planned, ["request/103", "request/103", "request/102"]);
}

#[test]
fn the_help_overlay_shows_every_key_on_a_short_terminal() {
    let fx = fixture();
    let config = loaded("");
    let source = GitSource::open(&fx.repo, &config.config).expect("opens");
    let mut h = support::tui::harness(source, &config, (160, 24), fx.data.clone());
    h.press("j j <Enter> ?");
    let help = h.screen();
    let descriptions: Vec<&str> = h
        .keymap
        .bindings(plandeck::tui::Layer::Plan)
        .map(|b| b.desc.as_str())
        .collect();
    assert!(
        descriptions.len() > 22,
        "more keys than rows: {descriptions:?}"
    );
    for desc in descriptions {
        assert!(help.contains(desc), "{desc:?} missing:\n{help}");
    }
}
