//! The after-apply check with the real Terraform 1.0.3 and null provider on
//! real git repositories: every apply is planned once more (an apply that
//! leaves changes is "applied, not converged", recorded, and still merges),
//! and an environment's verify command runs in the root's directory with
//! the request in its environment; a failing or hung one is recorded and
//! blocks the merge (unless `verify_failure = "continue"`), a re-run checks
//! again without applying, and a note claiming a pass does not count.

mod support;

use support::apply::{Fixture, fixture, text};

/// A resource whose trigger changes on every apply: never converges.
const RESTLESS: &str =
    "\nresource \"null_resource\" \"restless\" {\n  triggers = {\n    t = timestamp()\n  }\n}\n";
const DEV: &[(&str, &str)] = &[("apps/web/dev", "")];

/// dev is auto-applied; `extra` goes into its table.
fn dev_policy(extra: &str) -> String {
    format!("[environments.dev]\nauto_apply = true\n{extra}\n")
}

/// The apply-checked decisions recorded in the audit log, oldest first.
fn checks(fx: &Fixture) -> Vec<serde_json::Value> {
    fx.entries("apply-checked")
}

/// `plandeck apply request/1` that must fail; stdout and stderr together.
fn failing_apply(fx: &Fixture) -> String {
    let out = fx.run("Bob", &["apply", "request/1"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{all}");
    all
}

/// The verify command fails until `marker` exists.
fn healthy_when(marker: &std::path::Path) -> String {
    dev_policy(&format!(
        "verify = 'test -f {} || {{ echo unhealthy >&2; exit 3; }}'",
        marker.display()
    ))
}

#[test]
fn an_apply_leaving_changes_is_not_converged_recorded_and_still_merges() {
    let fx = fixture(
        &dev_policy(""),
        &[("apps/web/dev", RESTLESS)],
        &["apps/web/dev"],
    );
    let main_before = fx.repo.rev("main");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(
        out.contains("apps/web/dev: applied, NOT CONVERGED: 1 change remains in the next plan: null_resource.restless (replace)"),
        "{out}"
    );
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert_ne!(fx.repo.rev("main"), main_before, "merged");
    let checks = checks(&fx);
    assert_eq!(checks.len(), 1, "{checks:?}");
    let check = &checks[0]["details"]["check"];
    assert_eq!(check["converged"], false, "{check}");
    assert_eq!(
        check["remaining"],
        serde_json::json!(["null_resource.restless (replace)"])
    );
    assert!(
        check.get("verify").is_none(),
        "no verify configured: {check}"
    );
    // The decision is in the notes with its proof, and the log agrees.
    assert!(fx.ok("Bob", &["audit", "verify"]).contains("audit log OK"));
}

#[test]
fn a_converging_apply_says_so_and_a_passing_verify_sees_the_request_in_the_root() {
    let seen = tempfile::tempdir().expect("tmp");
    let file = seen.path().join("seen");
    let policy = dev_policy(&format!(
        "verify = 'test -f main.tf && echo \"$PLANDECK_REQUEST $PLANDECK_ROOT $PLANDECK_ENVIRONMENT $PLANDECK_DIGEST\" > {} && echo healthy'",
        file.display()
    ));
    let fx = fixture(&policy, DEV, &["apps/web/dev"]);
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(
        out.contains("apps/web/dev: converged: the next plan is a no-op"),
        "{out}"
    );
    assert!(
        out.contains("apps/web/dev: verify passed (exit 0)"),
        "{out}"
    );
    assert!(out.contains("  | healthy"), "the output streams: {out}");
    assert!(out.contains("request/1 applied and merged"), "{out}");
    let written = std::fs::read_to_string(&file).expect("the verify command ran");
    let digest = fx.entries("apply-succeeded")[0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    assert_eq!(
        written.trim(),
        format!("request/1 apps/web/dev dev {digest}"),
        "run in the root's directory (main.tf there) with the request"
    );
    let checks = checks(&fx);
    let verify = &checks[0]["details"]["check"]["verify"];
    assert_eq!(verify["passed"], true, "{verify}");
    assert_eq!(verify["exit_code"], 0, "{verify}");
    assert_eq!(checks[0]["details"]["check"]["converged"], true);
}

#[test]
fn a_failing_verify_is_recorded_and_blocks_the_merge_also_on_a_re_run() {
    let policy = dev_policy("verify = 'echo unhealthy >&2; exit 3'");
    let fx = fixture(&policy, DEV, &["apps/web/dev"]);
    let main_before = fx.repo.rev("main");
    let all = failing_apply(&fx);
    assert!(all.contains("  ! unhealthy"), "the output streams: {all}");
    assert!(
        all.contains("apps/web/dev: applied, verify failed: exit 3: unhealthy; not merged; the request stays open"),
        "{all}"
    );
    assert_eq!(fx.version("apps-web-dev"), "2", "the apply itself ran");
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");
    assert!(fx.entries("merge").is_empty());
    let checks = checks(&fx);
    let verify = &checks[0]["details"]["check"]["verify"];
    assert_eq!(verify["exit_code"], 3, "{verify}");
    assert_eq!(verify["passed"], false, "{verify}");
    assert_eq!(verify["output_tail"], "unhealthy\n", "{verify}");
    // The apply's log keeps the verify output too.
    let logs: Vec<String> = std::fs::read_dir(fx.data.join("plandeck/logs"))
        .expect("logs")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(logs.iter().any(|l| l.contains("unhealthy")), "{logs:?}");

    // Again: checked again (not applied again), still failing, not merged.
    let all = failing_apply(&fx);
    assert!(all.contains("checking it again (no apply)"), "{all}");
    assert!(all.contains("verify failed"), "{all}");
    assert_eq!(fx.repo.rev("main"), main_before, "still not merged");
    assert_eq!(fx.entries("apply-started").len(), 1, "applied once");
    assert_eq!(fx.entries("apply-checked").len(), 2);
    let requests = fx.ok("Bob", &["requests", "--format", "json"]);
    assert!(requests.contains("request/1"), "still open: {requests}");
}

#[test]
fn a_failing_verify_merges_when_its_environment_says_continue() {
    let policy = dev_policy("verify = 'echo unhealthy >&2; exit 3'\nverify_failure = \"continue\"");
    let fx = fixture(&policy, DEV, &["apps/web/dev"]);
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("applied, verify failed: exit 3"), "{out}");
    assert!(out.contains("going on anyway"), "{out}");
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert_eq!(fx.entries("merge").len(), 1);
}

#[test]
fn a_failed_verify_stops_the_later_roots_and_recovers_with_a_check_only() {
    let marker_dir = tempfile::tempdir().expect("tmp");
    let marker = marker_dir.path().join("healthy");
    let policy = format!(
        "{}[environments.stage]\nauto_apply = true\nafter = [\"dev\"]\n",
        healthy_when(&marker)
    );
    let roots = &[("apps/web/dev", ""), ("apps/web/stage", "")];
    let fx = fixture(&policy, roots, &["apps/web/dev", "apps/web/stage"]);
    let main_before = fx.repo.rev("main");
    let all = failing_apply(&fx);
    assert!(
        all.contains("apps/web/dev: applied, verify failed: exit 3"),
        "{all}"
    );
    assert_eq!(
        fx.version("apps-web-stage"),
        "1",
        "stage waits for dev's health"
    );
    // Selecting stage alone does not go past dev's failed check either.
    let out = fx.run("Bob", &["apply", "request/1", "--root", "apps/web/stage"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(
            "apps/web/dev: applied, verify failed: its last verify failed (exit 3: unhealthy)"
        ),
        "{all}"
    );
    assert_eq!(fx.version("apps-web-stage"), "1");

    // Healthy now: the re-run checks dev again without applying it, then
    // applies stage and merges.
    std::fs::write(&marker, "ok").expect("marker");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(
        out.contains(
            "apps/web/dev: applied, but its last verify did not pass; checking it again (no apply)"
        ),
        "{out}"
    );
    assert!(
        out.contains("apps/web/dev: verify passed (exit 0)"),
        "{out}"
    );
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert_eq!(fx.version("apps-web-stage"), "2");
    assert_ne!(fx.repo.rev("main"), main_before);
    let started: Vec<String> = fx
        .entries("apply-started")
        .iter()
        .map(|e| e["root"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        started,
        vec!["apps/web/dev".to_string(), "apps/web/stage".to_string()],
        "dev applied once"
    );
}

/// The notes line of the latest `apply-checked` decision on the head.
fn recorded_check(fx: &Fixture) -> serde_json::Value {
    let head = fx.repo.rev("request/1");
    let notes = fx
        .repo
        .git(&["notes", "--ref", "refs/notes/plandeck", "show", &head]);
    notes
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|d| d["kind"] == "apply-checked")
        .expect("an apply-checked note")
}

fn append_note(fx: &Fixture, decision: &serde_json::Value) {
    let head = fx.repo.rev("request/1");
    fx.repo.git(&[
        "notes",
        "--ref",
        "refs/notes/plandeck",
        "append",
        "-m",
        &decision.to_string(),
        &head,
    ]);
}

#[test]
fn a_note_claiming_a_passed_verify_does_not_unblock_the_merge() {
    let marker_dir = tempfile::tempdir().expect("tmp");
    let marker = marker_dir.path().join("healthy");
    let fx = fixture(&healthy_when(&marker), DEV, &["apps/web/dev"]);
    let main_before = fx.repo.rev("main");
    failing_apply(&fx);
    let real = recorded_check(&fx);
    assert_eq!(real["check"]["verify"]["passed"], false, "{real}");
    // The real decision edited to a pass: its proof no longer matches.
    let mut edited = real.clone();
    edited["check"]["verify"]["passed"] = true.into();
    edited["check"]["verify"]["exit_code"] = 0.into();
    edited["at"] = (real["at"].as_i64().unwrap_or(0) + 1).into();
    append_note(&fx, &edited);
    // A new one written by hand, without any proof.
    let mut forged = edited.clone();
    forged.as_object_mut().expect("object").remove("audit");
    forged["who"] = serde_json::json!({"name": "Mallory", "email": "mallory@example.com"});
    append_note(&fx, &forged);
    // Still unhealthy: the re-run checks again and refuses the merge.
    let all = failing_apply(&fx);
    assert!(all.contains("checking it again (no apply)"), "{all}");
    assert!(all.contains("verify failed"), "{all}");
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");
    assert!(fx.entries("merge").is_empty());
    // `audit verify` names both notes.
    let out = fx.run("Bob", &["audit", "verify"]);
    let report = text(&out.stdout) + &text(&out.stderr);
    assert!(report.contains("apply-checked"), "{report}");
    assert_ne!(out.status.code(), Some(0), "{report}");
}

#[test]
fn a_hung_verify_is_killed_at_its_timeout_and_fails() {
    let policy = dev_policy("verify = 'echo waiting; sleep 60'\nverify_timeout = 1");
    let fx = fixture(&policy, DEV, &["apps/web/dev"]);
    let started = std::time::Instant::now();
    let all = failing_apply(&fx);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(50),
        "killed, not waited for"
    );
    assert!(all.contains("verify: timed out after 1s; killed"), "{all}");
    assert!(
        all.contains("applied, verify failed: timed out and was killed"),
        "{all}"
    );
    let checks = checks(&fx);
    let verify = &checks[0]["details"]["check"]["verify"];
    assert_eq!(verify["timed_out"], true, "{verify}");
    assert!(verify["exit_code"].is_null(), "{verify}");
    assert!(fx.entries("merge").is_empty());
}

#[test]
fn in_merge_then_apply_a_failed_verify_leaves_the_merge_and_a_re_run_resumes_with_a_check() {
    let marker_dir = tempfile::tempdir().expect("tmp");
    let marker = marker_dir.path().join("healthy");
    let policy = format!(
        "[apply]\nmode = \"merge-then-apply\"\n{}",
        healthy_when(&marker)
    );
    let fx = fixture(&policy, DEV, &["apps/web/dev"]);
    let all = failing_apply(&fx);
    assert!(
        all.contains("apps/web/dev: applied, verify failed: exit 3: unhealthy; the merge stands"),
        "{all}"
    );
    assert_eq!(fx.entries("merge").len(), 1, "merged before the apply");
    let merge = fx.repo.rev("main");
    std::fs::write(&marker, "ok").expect("marker");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("checking it again (no apply)"), "{out}");
    assert!(
        out.contains("apps/web/dev: verify passed (exit 0)"),
        "{out}"
    );
    assert!(out.contains("is complete"), "{out}");
    assert_eq!(fx.repo.rev("main"), merge, "nothing merged again");
    assert_eq!(fx.entries("apply-started").len(), 1, "applied once");
}
