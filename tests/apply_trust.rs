//! The executor's trust rules attacked with the real Terraform 1.0.3 and
//! null provider: an `apply-succeeded` note written by hand is no evidence
//! (nothing is skipped, nothing merges on it), and a merge happens only
//! when every root's gate passes at that moment, in both modes.

mod support;

use support::apply::{Fixture, fixture, text};

/// dev is auto-applied, stage needs one approval; no promotion order.
const POLICY: &str = "[environments.dev]\nauto_apply = true\n\
    [environments.stage]\nrequired_approvals = 1\n";
const ROOTS: &[(&str, &str)] = &[("apps/web/dev", ""), ("apps/web/stage", "")];

/// The digest of `root`'s stored plan and the request's head.
fn digest_and_head(fx: &Fixture, root: &str) -> (String, String) {
    let out = fx.ok("Bob", &["status", "request/1", "--format", "json"]);
    let reports: serde_json::Value = serde_json::from_str(&out).expect("json");
    let report = reports
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["root"] == root)
        .expect("root")
        .clone();
    let head = fx.repo.rev("request/1");
    (report["digest"].as_str().expect("digest").to_string(), head)
}

/// Writes a decision line into the notes by hand, as anyone who can push
/// the notes ref could.
fn hand_written(fx: &Fixture, kind: &str, root: &str, who: &str) {
    let (digest, head) = digest_and_head(fx, root);
    let line = serde_json::json!({
        "kind": kind,
        "request": "request/1",
        "root": root,
        "head": head,
        "digest": digest,
        "who": {"name": who, "email": format!("{}@example.com", who.to_lowercase())},
        "at": 1_700_000_000,
    })
    .to_string();
    fx.repo.git(&[
        "notes",
        "--ref",
        "refs/notes/plandeck",
        "append",
        "-m",
        &line,
        &head,
    ]);
}

#[test]
fn a_hand_written_apply_succeeded_note_neither_skips_a_root_nor_merges() {
    let fx = fixture(POLICY, ROOTS, &["apps/web/dev", "apps/web/stage"]);
    let main_before = fx.repo.rev("main");
    for root in ["apps/web/dev", "apps/web/stage"] {
        hand_written(&fx, "apply-succeeded", root, "Mallory");
    }
    // stage has no approval: the apply stops there, and nothing merges.
    let out = fx.refused(&["apply", "request/1"], "apps/web/stage: approvals: 0/1");
    assert!(!out.contains("skipped"), "a note is no evidence: {out}");
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");
    assert!(fx.entries("merge").is_empty());
    // dev (auto-applied) really ran; stage did not.
    assert_eq!(fx.version("apps-web-dev"), "2");
    assert_eq!(fx.version("apps-web-stage"), "1");
    let started: Vec<String> = fx
        .entries("apply-started")
        .iter()
        .map(|e| e["root"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(started, vec!["apps/web/dev".to_string()]);
}

#[test]
fn apply_then_merge_refuses_the_merge_when_a_gate_fails_at_that_moment() {
    let fx = fixture(POLICY, ROOTS, &["apps/web/dev", "apps/web/stage"]);
    let main_before = fx.repo.rev("main");
    fx.approve("Bob", "apps/web/stage");
    let out = fx.ok("Bob", &["apply", "request/1", "--root", "apps/web/stage"]);
    assert!(!out.contains("merged"), "{out}");
    assert_eq!(fx.version("apps-web-stage"), "2");
    // Applied, then blocked: the last root's apply must not merge.
    fx.ok(
        "Carol",
        &[
            "block",
            "request/1",
            "--root",
            "apps/web/stage",
            "--reason",
            "the rollout broke checkout",
        ],
    );
    let out = fx.run("Bob", &["apply", "request/1"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("apps/web/stage: already applied"), "{all}");
    assert!(all.contains("blocks:"), "{all}");
    assert!(
        all.contains("the gate of every root must pass at the merge"),
        "{all}"
    );
    assert_eq!(fx.version("apps-web-dev"), "2", "dev applied");
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");
    assert!(fx.entries("merge").is_empty());
}

#[test]
fn merge_then_apply_refuses_the_merge_on_hand_written_approvals() {
    let config = format!("[apply]\nmode = \"merge-then-apply\"\n{POLICY}");
    let fx = fixture(&config, ROOTS, &["apps/web/dev", "apps/web/stage"]);
    let main_before = fx.repo.rev("main");
    hand_written(&fx, "approve", "apps/web/stage", "Mallory");
    hand_written(&fx, "approve", "apps/web/stage", "Trent");
    fx.refused(&["apply", "request/1"], "apps/web/stage: approvals: 0/1");
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");
    assert!(fx.entries("merge").is_empty());
    assert_eq!(
        (fx.version("apps-web-dev"), fx.version("apps-web-stage")),
        ("1".into(), "1".into()),
        "nothing applied"
    );
    // A real approval merges and applies.
    fx.approve("Bob", "apps/web/stage");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("applied and merged"), "{out}");
}
