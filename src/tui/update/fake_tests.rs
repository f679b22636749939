//! The TUI on the in-memory backend (`backend::fake`), through the harness
//! (the real `update`, loaders and drawing): what it asks of the backend,
//! and what it must never ask. No git, Terraform or terminal.

use crate::backend::fake::{FakeBackend, WRITES};
use crate::backend::{Backend, BackendError};
use crate::domain::{Identity, Request, RootRef};
use crate::tui::harness::Harness;
use crate::tui::plan_view::Settings;
use std::sync::Arc;

const NOW: i64 = 1_790_000_000;
const ROOT: &str = "apps/web/dev";

/// One create: nothing destructive to view before approving.
const PLAN: &str = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.app",
"mode":"managed","type":"null_resource","name":"app","provider_name":"registry.terraform.io/hashicorp/null",
"change":{"actions":["create"],"before":null,"after":{"triggers":null},"after_unknown":{"id":true}}}]}"#;

fn request(id: &str) -> Request {
    Request {
        id: id.into(),
        number: None,
        title: format!("change {id}"),
        authors: vec![Identity::git("Alice", "alice@example.com")],
        committers: vec![Identity::git("Alice", "alice@example.com")],
        head: "1".repeat(40),
        base: "main".into(),
        created_at: NOW - 3600,
        updated_at: NOW - 60,
        changed_files: vec![format!("{ROOT}/main.tf")],
        roots: vec![RootRef {
            path: ROOT.into(),
            environment: Some("dev".into()),
            via: Vec::new(),
        }],
        url: None,
    }
}

fn fake() -> Arc<FakeBackend> {
    Arc::new(
        FakeBackend::new()
            .with_request(request("request/1"))
            .with_plan("request/1", ROOT, PLAN)
            .with_reviewer(Identity::git("Bob", "bob@example.com")),
    )
}

fn harness(fake: &Arc<FakeBackend>, data: &tempfile::TempDir) -> Harness {
    let loaded = crate::config::defaults().expect("default config");
    let settings = Settings::from_config(&loaded).expect("settings");
    let backend: Arc<dyn Backend> = fake.clone();
    Harness::new(
        backend,
        settings,
        NOW,
        (120, 40),
        Some(data.path().to_path_buf()),
    )
}

fn writes(fake: &FakeBackend) -> Vec<String> {
    fake.calls()
        .into_iter()
        .filter(|c| WRITES.iter().any(|w| c.split(' ').next() == Some(*w)))
        .collect()
}

#[test]
fn enter_never_confirms_and_y_records_through_the_backend() {
    let (fake, data) = (fake(), tempfile::tempdir().expect("tempdir"));
    let mut h = harness(&fake, &data);
    assert!(h.screen().contains("request/1"), "{}", h.screen());
    h.press("<Enter>");
    assert!(h.screen().contains("null_resource.app"), "{}", h.screen());
    h.press("a");
    assert!(h.state.modal.is_some(), "{}", h.screen());
    h.press("<Enter>");
    assert!(h.state.modal.is_none());
    assert!(
        writes(&fake).is_empty(),
        "Enter confirmed: {:?}",
        fake.calls()
    );
    h.press("a y");
    assert_eq!(
        writes(&fake),
        ["record_decision approve request/1 apps/web/dev"],
        "{:?}",
        fake.calls()
    );
    let recorded = fake.recorded();
    assert_eq!(recorded.len(), 1);
    assert!(
        recorded[0].audit.is_some(),
        "audited before it was recorded"
    );
}

#[test]
fn read_only_asks_the_backend_for_no_write() {
    let (fake, data) = (fake(), tempfile::tempdir().expect("tempdir"));
    let mut h = harness(&fake, &data);
    h.state.read_only = true;
    h.press("p");
    assert!(h.screen().contains("read-only: planning is disabled"));
    h.press("<Enter>");
    for (key, refusal) in [
        ("a", "read-only: approving is disabled"),
        ("x", "read-only: blocking is disabled"),
        ("A", "read-only: applying is disabled"),
        ("p", "read-only: planning is disabled"),
    ] {
        h.press(key);
        assert!(h.state.modal.is_none(), "{key} opened a confirmation");
        assert!(h.screen().contains(refusal), "{key}:\n{}", h.screen());
    }
    assert!(writes(&fake).is_empty(), "{:?}", fake.calls());
    // Nor does it start a job (the harness leaves those unhandled).
    let jobs: Vec<_> = h
        .unhandled
        .iter()
        .filter(|e| {
            matches!(
                e,
                crate::tui::msg::Effect::RunPlan { .. } | crate::tui::msg::Effect::RunApply { .. }
            )
        })
        .collect();
    assert!(jobs.is_empty(), "{jobs:?}");
}

#[test]
fn a_backend_error_is_shown_in_the_pane_that_asked_and_a_retry_recovers() {
    let (fake, data) = (fake(), tempfile::tempdir().expect("tempdir"));
    let mut h = harness(&fake, &data);
    fake.fail_next(
        "list_requests",
        BackendError::RateLimited {
            reset_at: None,
            message: "API rate limit exceeded".into(),
        },
    );
    h.press("r");
    let screen = h.screen();
    assert!(
        screen.contains("rate limited: API rate limit exceeded"),
        "{screen}"
    );
    h.press("r");
    assert!(h.screen().contains("request/1"), "{}", h.screen());
    // One root's failure fails that root only: the request stays listed.
    fake.fail_next(
        "stored_plan",
        BackendError::Network("connection reset".into()),
    );
    h.press("r");
    let screen = h.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("request/1 "))
        .unwrap_or_default();
    assert!(row.contains("error"), "{screen}");
    // The plan pane that asked says what failed, in the backend's words.
    fake.fail_next(
        "stored_plan",
        BackendError::Network("connection reset".into()),
    );
    h.press("<Enter>");
    assert!(
        h.screen().contains("network: connection reset"),
        "{}",
        h.screen()
    );
}

#[test]
fn a_stale_list_result_is_ignored() {
    let (fake, data) = (fake(), tempfile::tempdir().expect("tempdir"));
    let mut h = harness(&fake, &data);
    let first = h.key_deferred(crate::tui::harness::parse_key("r"));
    let second = h.key_deferred(crate::tui::harness::parse_key("r"));
    fake.set_requests(vec![request("request/1"), request("request/2")]);
    h.complete(second);
    assert!(h.screen().contains("request/2"), "{}", h.screen());
    // The older load answers last, with the older list: it is dropped.
    fake.set_requests(vec![request("request/1")]);
    h.complete(first);
    assert!(
        h.screen().contains("request/2"),
        "a stale result replaced a newer one:\n{}",
        h.screen()
    );
}

#[test]
fn a_plan_job_runs_through_the_same_executor_and_cleans_its_checkout() {
    let (fake, data) = (fake(), tempfile::tempdir().expect("tempdir"));
    let mut h = harness(&fake, &data);
    h.run_jobs = true;
    h.press("p");
    let screen = h.screen();
    assert!(
        screen.contains("the root does not exist at the request's head"),
        "the fake checkout is empty, so planning fails for that reason:\n{screen}"
    );
    let calls = fake.calls();
    let checked_out = calls.iter().position(|c| c.starts_with("check_out "));
    let removed = calls.iter().position(|c| c == "remove_checkout");
    assert!(
        matches!((checked_out, removed), (Some(a), Some(b)) if a < b),
        "a checkout of the head, then its removal: {calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.starts_with("store_plan")),
        "{calls:?}"
    );
    assert!(h.unhandled.is_empty(), "{:?}", h.unhandled);
}
