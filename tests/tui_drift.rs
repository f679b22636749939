//! The Drift view through the harness on the demo repository, with drift
//! reports stored as `plandeck drift check` stores them: the view renders the
//! drifted resources, `b` blocks exactly the open requests touching the
//! root, `a` acknowledges; both are audited.

mod support;

use plandeck::backend::prelude::*;
use plandeck::drift::{DriftReport, DriftStatus, DriftedChange};
use std::sync::Arc;
use support::tui::{Demo, NOW};

fn report(root: &str, status: DriftStatus, drifted: Vec<DriftedChange>) -> DriftReport {
    DriftReport {
        root: root.into(),
        checked_at: NOW - 7_200,
        base_commit: "0000000000000000000000000000000000000000".into(),
        status,
        exit_code: Some(if status == DriftStatus::Drift { 2 } else { 0 }),
        error: None,
        drifted,
        digest: Some("sha256:refresh".into()),
        acks: Vec::new(),
        plan_json: None,
    }
}

#[test]
fn drift_view_renders_blocks_the_right_requests_and_acknowledges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Demo::open(dir.path(), None);
    let source = &demo.source;
    // request/103's plan carries a real resource_drift section: use it as
    // the refresh-only plan of apps/web/prod.
    let request = source.resolve_request("request/103").expect("request");
    let stored = plandeck::backend::PlanArtifacts::stored_plan(source, &request, "apps/web/prod")
        .expect("reads")
        .expect("stored");
    let plan = std::fs::read(&stored.plan_json).expect("plan");
    let drifted = vec![DriftedChange {
        address: "aws_security_group.web".into(),
        actions: vec!["update".into()],
    }];
    plandeck::drift::store::save(
        source,
        &report("apps/web/prod", DriftStatus::Drift, drifted),
        Some(&plan),
    )
    .expect("saved");
    plandeck::drift::store::save(
        source,
        &report("apps/web/dev", DriftStatus::Clean, Vec::new()),
        None,
    )
    .expect("saved");
    let ops = demo.reopen();
    let mut h = demo.harness((120, 48)).with_drift(Arc::new(ops));
    h.press("w");
    let view = h.screen();
    assert!(
        view.contains("Drift · 2 roots checked · 1 drifted"),
        "{view}"
    );
    assert!(
        view.contains("DRIFT") && view.contains("clean") && view.contains("2h"),
        "{view}"
    );
    h.press("j");
    let prod = h.screen();
    assert!(
        prod.contains("aws_security_group.web has changed"),
        "the drifted resource as a diff:\n{prod}"
    );
    insta::assert_snapshot!(
        "drift_view",
        prod.replace(&dir.path().display().to_string(), "[tmp]")
    );
    h.press("b");
    h.type_text("someone opened SSH by hand");
    h.press("<Enter>");
    assert!(
        h.screen()
            .contains("blocked 1 request(s) touching apps/web/prod"),
        "{}",
        h.screen()
    );
    h.press("a");
    h.type_text("reverted, tracked in INC-42");
    h.press("<Enter>");
    let acked = h.screen();
    assert!(acked.contains("acknowledged by riley@example."), "{acked}");
    h.press("<Esc>");
    let list = h.screen();
    let rows: Vec<&str> = list.lines().filter(|l| l.contains('#')).collect();
    let blocked: Vec<&&str> = rows.iter().filter(|l| l.contains("blocked")).collect();
    assert_eq!(
        blocked.len(),
        1,
        "exactly the request touching the root:\n{list}"
    );
    assert!(blocked[0].contains("#103"), "{list}");
    h.press("L");
    let audit = h.screen();
    assert!(
        audit.contains("drift-block") && audit.contains("drift-ack"),
        "{audit}"
    );
}

#[test]
fn the_root_matrix_shows_each_roots_last_drift_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Demo::open(dir.path(), None);
    let source = &demo.source;
    let change = |address: &str| DriftedChange {
        address: address.into(),
        actions: vec!["update".into()],
    };
    plandeck::drift::store::save(
        source,
        &report(
            "apps/api/prod",
            DriftStatus::Drift,
            vec![change("aws_db_instance.main"), change("aws_kms_key.db")],
        ),
        None,
    )
    .expect("saved");
    plandeck::drift::store::save(
        source,
        &report("apps/api/stage", DriftStatus::Clean, Vec::new()),
        None,
    )
    .expect("saved");
    let ops = demo.reopen();
    let mut h = demo.harness((120, 40)).with_drift(Arc::new(ops));
    // request/102 touches apps/api/prod and apps/api/stage: its matrix.
    h.press("j j j <Enter>");
    let matrix = h.screen();
    let row = |root: &str| support::tui::row(&matrix, root);
    assert!(matrix.contains("Drift"), "{matrix}");
    assert!(row("apps/api/prod").contains("2 drifted 2h"), "{matrix}");
    assert!(row("apps/api/stage").contains("clean 2h"), "{matrix}");
}
