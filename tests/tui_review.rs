//! Approving and blocking in the TUI through the harness (real update,
//! loading, drawing, git notes and audit log): refusals, the confirmation
//! with the gate report, the typed root name for a critical plan, blocks
//! with a reason, and the audit view.

mod support;

use plandeck::backend::prelude::*;
use plandeck::tui::harness::Harness;
use support::tui::{Demo, NOW, demo_harness};

/// The demo in `dir` with the default config (built on first use).
fn harness(dir: &tempfile::TempDir) -> Harness {
    demo_harness(dir.path(), None, (120, 48))
}

#[test]
fn critical_plans_need_viewed_destructive_changes_and_the_typed_root_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    h.press("j j <Enter>");
    assert!(h.screen().contains("Decisions: none yet"));
    h.press("a");
    let refused = h.screen();
    assert!(
        refused.contains("refused: 1 of 1 destructive changes not marked viewed"),
        "{refused}"
    );
    assert!(h.state.modal.is_none());
    h.press("d <Space> a");
    let modal = h.screen();
    assert!(
        modal.contains("Approve request/103 · apps/web/prod"),
        "{modal}"
    );
    assert!(modal.contains("Type the root's name to approve"), "{modal}");
    assert!(
        modal.contains("approvals") && modal.contains("0/2 approvals in prod"),
        "{modal}"
    );
    insta::assert_snapshot!(
        "approve_critical_modal",
        modal.replace(&dir.path().display().to_string(), "[tmp]")
    );
    // Enter alone does not confirm; a wrong name does not either.
    h.type_text("apps/web/pro");
    h.press("<Enter>");
    assert!(
        h.screen()
            .contains("the typed name does not match the root: not approved")
    );
    assert!(h.state.modal.is_none());
    h.press("a");
    h.type_text("apps/web/prod");
    h.press("<Enter>");
    let done = h.screen();
    assert!(
        done.contains("approve recorded for request/103 apps/web/prod"),
        "{done}"
    );
    assert!(
        done.contains("riley@example.com approved"),
        "the Decisions panel shows it:\n{done}"
    );
    assert!(done.contains("approvals (1/2 approvals in prod)"), "{done}");
    h.press("<Esc>");
    let list = h.screen();
    assert!(list.contains("1/2"), "the request row shows 1/2:\n{list}");
}

#[test]
fn plain_plans_confirm_with_y_and_enter_means_no() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    // request/101 (dev, creates only): nothing destructive.
    h.press("G <Enter> a");
    assert!(h.screen().contains("Approve? y yes"), "{}", h.screen());
    h.press("<Enter>");
    assert!(h.screen().contains("not approved"));
    h.press("a y");
    assert!(
        h.screen()
            .contains("approve recorded for request/101 apps/web/dev")
    );
}

#[test]
fn self_approval_is_refused_in_the_ui() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    plandeck::demo::build_at(&repo, NOW).expect("demo");
    // The reviewer is Alice, who wrote request/101.
    let status = std::process::Command::new("git")
        .args([
            "-C",
            repo.to_str().expect("path"),
            "config",
            "user.email",
            "alice@example.com",
        ])
        .status()
        .expect("git");
    assert!(status.success());
    let mut h = harness(&dir);
    h.press("G <Enter> a");
    let screen = h.screen();
    assert!(
        screen.contains(
            "refused: Riley Reviewer <alice@example.com> authored or committed this request"
        ),
        "{screen}"
    );
}

#[test]
fn blocks_need_a_reason_and_show_in_the_list_and_the_audit_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    h.press("j j <Enter> x");
    assert!(h.screen().contains("Why? (the reason is recorded"));
    h.press("<Enter>");
    assert!(h.screen().contains("a block needs a reason"));
    h.type_text("bucket still read by reporting");
    h.press("<Enter>");
    let screen = h.screen();
    assert!(screen.contains("block recorded"), "{screen}");
    assert!(
        screen.contains("riley@example.com blocked 0m ago")
            && screen.contains("in force")
            && screen.contains("      “bucket still read by reporting”"),
        "{screen}"
    );
    h.press("<Esc>");
    assert!(h.screen().contains("blocked"));
    h.press("L");
    let audit = h.screen();
    assert!(
        audit.contains("Audit log · 1 entries") && audit.contains("bucket still read by"),
        "{audit}"
    );
}

#[test]
fn a_stale_approval_opens_on_what_changed_since() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    h.press("G <Enter> a y");
    assert!(
        h.screen()
            .contains("approve recorded for request/101 apps/web/dev")
    );
    // CI re-plans the same head with a different threshold.
    let source = Demo::open(dir.path(), None).source;
    let request = source.resolve_request("request/101").expect("request");
    let stored = plandeck::backend::PlanArtifacts::stored_plan(&source, &request, "apps/web/dev")
        .expect("reads")
        .expect("stored");
    let json = std::fs::read_to_string(&stored.plan_json)
        .expect("plan")
        .replace("\"threshold\":80", "\"threshold\":90");
    source
        .store()
        .put(
            "request/101",
            "apps/web/dev",
            &request.head,
            plandeck::source::PlanOrigin::Imported,
            json.as_bytes(),
            None,
            None,
        )
        .expect("stores");
    let mut again = harness(&dir);
    let list = again.screen();
    assert!(
        list.contains("0/0 stale"),
        "the row shows the stale approval:\n{list}"
    );
    again.press("G <Enter>");
    let screen = again.screen();
    assert!(
        screen.contains("Re-review: your approval of sha256:"),
        "{screen}"
    );
    assert!(
        screen.contains("Since the earlier plan: 0 resources added, 0 removed, 2 changed"),
        "{screen}"
    );
    assert!(
        screen.contains("threshold") && screen.contains("80") && screen.contains("90"),
        "{screen}"
    );
    again.press("v");
    let whole = again.screen();
    assert!(
        whole.contains("aws_cloudwatch_metric_alarm.cpu[\"web\"] will be created"),
        "{whole}"
    );
}

#[test]
fn apply_confirmation_lists_every_gate_check_and_refuses_a_failing_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    // request/103 (prod) has no approvals: the gate fails.
    h.press("j j <Enter> A");
    let modal = h.screen();
    assert!(
        modal.contains("Apply request/103 · apps/web/prod"),
        "{modal}"
    );
    assert!(
        modal.contains("✗ approvals") && modal.contains("✓ plan") && modal.contains("✓ blocks"),
        "{modal}"
    );
    assert!(
        modal.contains("The gate fails: the apply cannot start"),
        "{modal}"
    );
    h.press("y");
    assert!(
        h.screen()
            .contains("the gate fails: the apply cannot start")
    );
    assert!(
        !h.unhandled
            .iter()
            .any(|e| matches!(e, plandeck::tui::Effect::RunApply { .. })),
        "nothing was started"
    );
    h.press("<Esc>");
    assert!(h.state.modal.is_none());
}

#[test]
fn a_passing_gate_starts_the_apply_and_its_output_streams_into_the_log_pane() {
    use plandeck::tui::{BackendEvent, Effect, Msg};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    // request/101 is dev: no approval needed.
    h.press("G <Enter> A");
    assert!(h.screen().contains("Apply? y yes"), "{}", h.screen());
    h.press("<Enter>");
    assert!(h.screen().contains("not applied"), "Enter means no");
    h.press("A y");
    assert!(
        matches!(h.unhandled.last(), Some(Effect::RunApply { request, root, .. }) if request == "request/101" && root == "apps/web/dev"),
        "{:?}",
        h.unhandled
    );
    let Some(Effect::RunApply { job, .. }) = h.unhandled.last() else {
        panic!("an apply was started: {:?}", h.unhandled)
    };
    let job = *job;
    for line in [
        "apps/web/dev: planning again at 1234abcd",
        "  | null_resource.app: Creating...",
        "apps/web/dev: applied",
    ] {
        plandeck::tui::update(
            &mut h.state,
            Msg::Backend(BackendEvent::ApplyLine {
                job,
                text: line.into(),
            }),
            &h.keymap,
        );
    }
    let running = h.screen();
    assert!(
        running.contains("apply request/101 apps/web/dev · running")
            && running.contains("Creating..."),
        "{running}"
    );
    plandeck::tui::update(
        &mut h.state,
        Msg::Backend(BackendEvent::ApplyFinished {
            job,
            result: Ok("request/101 applied and merged (abc)".into()),
        }),
        &h.keymap,
    );
    assert!(
        h.screen().contains("request/101 applied and merged"),
        "{}",
        h.screen()
    );
}

#[test]
fn the_decisions_panel_shows_each_decision_on_its_own_line_with_its_comment() {
    use plandeck::backend::prelude::*;
    use plandeck::review::{Decision, DecisionKind};
    use plandeck::source::Identity;
    let dir = tempfile::tempdir().expect("tempdir");
    let Demo { source, .. } = Demo::open(dir.path(), None);
    let request = source.resolve_request("request/103").expect("request");
    let root = "apps/web/prod";
    let digest = plandeck::source::gate::plan_facts(&source, &request, root)
        .expect("facts")
        .expect("a plan")
        .digest;
    let person = |name: &str| Identity::git(name, &format!("{}@example.com", name.to_lowercase()));
    let decision = |kind, who: &str, head: &str, at: i64, comment: Option<&str>| {
        Decision {
            kind,
            request: request.id.clone(),
            root: root.into(),
            head: head.into(),
            digest: digest.clone(),
            who: person(who),
            at,
            comment: comment.map(str::to_string),
            viewed_destructive: Vec::new(),
            emergency: None,
            audit: None,
            attested: None,
            check: None,
        }
        .proven("test-log", 1, "")
    };
    let old_head = "0123456789abcdef0123456789abcdef01234567";
    for d in [
        decision(
            DecisionKind::Approve,
            "Erin",
            old_head,
            NOW - 7200,
            Some("looked fine"),
        ),
        decision(
            DecisionKind::Approve,
            "Frank",
            &request.head,
            NOW - 600,
            Some("ok\n\u{1b}[31mforged line"),
        ),
        decision(
            DecisionKind::Block,
            "Grace",
            &request.head,
            NOW - 60,
            Some("wait for backup"),
        ),
    ] {
        source.record_decision(&d).expect("record");
    }
    let mut h = harness(&dir);
    h.press("j j <Enter>");
    let screen = h.screen();
    // Each decision's line, then its comment on the next line.
    let lines: Vec<&str> = screen.lines().collect();
    let at = |needle: &str| {
        let i = lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"));
        (lines[i], lines.get(i + 1).copied().unwrap_or(""))
    };
    let (block, reason) = at("grace@example.com");
    assert!(
        block.contains("blocked 1m ago") && block.contains("in force"),
        "{block}"
    );
    assert_eq!(reason.trim(), "“wait for backup”");
    let (frank, comment) = at("frank@example.com");
    // The scheme prefix and 8 hex digits (`sha256:v2:0a1b2c3d`).
    let short = plandeck::plan::digest_label(&digest, 8);
    assert!(
        frank.contains(&format!("approved 10m ago · plan {short} · counted")),
        "{frank}"
    );
    assert_eq!(comment.trim(), "“ok\\n\\x1b[31mforged line”", "sanitised");
    assert!(!screen.contains('\u{1b}'));
    let (erin, comment) = at("erin@example.com");
    assert!(
        erin.contains("approved 2h ago") && erin.contains("stale: approved head 01234567"),
        "{erin}"
    );
    assert_eq!(comment.trim(), "“looked fine”");
    // Newest first: the block, Frank, then Erin.
    let pos = |needle: &str| screen.find(needle).expect(needle);
    assert!(pos("grace@") < pos("frank@") && pos("frank@") < pos("erin@"));
    insta::assert_snapshot!(
        "decisions_panel",
        screen.replace(&dir.path().display().to_string(), "[tmp]")
    );
}

#[test]
fn a_damaged_audit_log_refuses_a_block_in_the_ui_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = harness(&dir);
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    // An append cut short by a crash.
    std::fs::write(data.join("audit.log"), "{\"seq\":1,\"prev\":\"\"").expect("log");
    // The demo's own decisions (the shop's requests) are there already.
    let notes = || {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path().join("repo"))
            .args(["rev-parse", "refs/notes/plandeck"])
            .output()
            .expect("git")
            .stdout
    };
    let before = notes();
    assert!(!before.is_empty(), "the demo has notes");
    h.press("j j <Enter> x");
    h.type_text("bucket still read by reporting");
    h.press("<Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("decision not recorded") && screen.contains("audit.log"),
        "{screen}"
    );
    assert!(!screen.contains("in force"), "no block shown:\n{screen}");
    assert_eq!(notes(), before, "no note was written");
}

/// Writes a lock file for `root` as a running apply of `pid` would.
fn lock_root(locks: &std::path::Path, root: &str, pid: u32, request: &str) {
    let info = plandeck::executor::LockInfo {
        pid,
        started_at: NOW - 60,
        request: request.into(),
        root: root.into(),
        digest: "sha256:approved".into(),
        log: locks.join("apply.log"),
    };
    std::fs::create_dir_all(locks).expect("locks dir");
    let path = plandeck::executor::lock_path(locks, root).expect("lock path");
    std::fs::write(path, serde_json::to_vec(&info).expect("json")).expect("lock");
}

#[test]
fn the_matrix_and_the_apply_confirmation_show_locks_and_apply_results() {
    use plandeck::backend::prelude::*;
    use plandeck::review::{Decision, DecisionKind};
    let dir = tempfile::tempdir().expect("tempdir");
    let Demo { source, loaded, .. } = Demo::open(dir.path(), None);
    let request = source.resolve_request("request/102").expect("request");
    // stage applied at this head; prod is being applied by a live process
    // (this test's own, which is surely running).
    source
        .record_decision(
            &Decision {
                kind: DecisionKind::ApplySucceeded,
                request: request.id.clone(),
                root: "apps/api/stage".into(),
                head: request.head.clone(),
                digest: "sha256:x".into(),
                who: plandeck::source::Identity::git("Riley", "riley@example.com"),
                at: NOW - 3 * 3600,
                comment: None,
                viewed_destructive: Vec::new(),
                emergency: None,
                audit: None,
                attested: None,
                check: None,
            }
            .proven("test-log", 1, ""),
        )
        .expect("recorded");
    let locks = plandeck::executor::locks_dir(&source).expect("locks dir");
    lock_root(&locks, "apps/api/prod", std::process::id(), "request/102");
    let mut h = support::tui::harness(source, &loaded, (120, 48), dir.path().join("data"))
        .with_locks(locks.clone());
    h.press("j j j <Enter>");
    let matrix = h.screen();
    let row = |root: &str| support::tui::row(&matrix, root);
    assert!(row("apps/api/prod").contains("applying"), "{matrix}");
    assert!(row("apps/api/stage").contains("applied 3h"), "{matrix}");
    // The confirmation names the lock and refuses to start.
    h.press("<Enter> A");
    let modal = h.screen();
    assert!(
        modal.contains(&format!(
            "✗ lock: being applied by pid {} for request/102",
            std::process::id()
        )),
        "{modal}"
    );
    h.press("y");
    assert!(
        !h.unhandled
            .iter()
            .any(|e| matches!(e, plandeck::tui::Effect::RunApply { .. })),
        "nothing was started"
    );
    // A lock whose process is gone is an interrupted apply.
    lock_root(&locks, "apps/api/prod", u32::MAX - 1, "request/102");
    h.press("<Esc> <Esc> <Esc> r <Enter>");
    assert!(h.screen().contains("interrupted"), "{}", h.screen());
}

#[test]
fn auto_apply_roots_are_offered_the_apply_without_approvals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo_harness(
        dir.path(),
        Some(
            "[environments.dev]\nroots = [\"apps/*/dev\"]\nrequired_approvals = 1\nauto_apply = true\n",
        ),
        (120, 48),
    );
    // request/101 is dev: 0/1 approvals, but dev applies automatically.
    h.press("G <Enter> A");
    let modal = h.screen();
    assert!(modal.contains("✗ approvals"), "{modal}");
    assert!(modal.contains("Apply? y yes"), "{modal}");
    h.press("y");
    assert!(
        matches!(h.unhandled.last(), Some(plandeck::tui::Effect::RunApply { root, .. }) if root == "apps/web/dev"),
        "{:?}",
        h.unhandled
    );
}
