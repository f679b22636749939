//! The executor across roots, with the real Terraform 1.0.3 and null
//! provider on real git repositories: merge-then-apply gates the merge of
//! the whole request, a request without roots is never merged, applied
//! roots are skipped, the merge entry lists every digest, a state locked
//! by another run refuses, a `terraform_remote_state` input edited
//! after approval is drift, and a merged request whose roots did not all
//! apply is resumed from its merge (or refused, when blocked).

mod support;

use std::path::Path;
use std::process::Command;
use support::apply::{ALICE, Fixture, fixture, root_tf, text};
use support::terraform;

const DEV_AND_STAGE: &[(&str, &str)] = &[("apps/web/dev", ""), ("apps/web/stage", "")];
const POLICY: &str = "[environments.dev]\nauto_apply = true\n\
    [environments.stage]\nrequired_approvals = 1\nafter = [\"dev\"]\n";

#[test]
fn merge_then_apply_gates_the_whole_request_then_applies_every_root_from_the_merge() {
    let config = format!("[apply]\nmode = \"merge-then-apply\"\n{POLICY}");
    let fx = fixture(&config, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    let main_before = fx.repo.rev("main");
    // stage is unapproved: the whole request is refused, nothing merges.
    fx.refused(&["apply", "request/1"], "apps/web/stage: approvals: 0/1");
    assert_eq!(fx.repo.rev("main"), main_before, "main untouched");
    assert_eq!(
        (fx.version("apps-web-dev"), fx.version("apps-web-stage")),
        ("1".into(), "1".into())
    );
    // One root of two cannot be selected: the merge takes both.
    fx.refused(
        &["apply", "request/1", "--root", "apps/web/dev"],
        "merges the whole request",
    );
    assert!(fx.entries("merge").is_empty());

    fx.approve("Bob", "apps/web/stage");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    let merge = fx.repo.rev("main");
    assert_ne!(merge, main_before);
    assert!(out.contains("request/1 applied and merged"), "{out}");
    let message = fx.repo.git(&["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains("Merged by plandeck for apply"),
        "{message}"
    );
    assert!(
        !message.contains("Applied"),
        "the merge claims no apply: {message}"
    );
    assert_eq!(
        (fx.version("apps-web-dev"), fx.version("apps-web-stage")),
        ("2".into(), "2".into())
    );
    // Both planned again and applied at the merge commit, dev first.
    let dev_at = out.find(&format!("apps/web/dev: planning again at {}", &merge[..8]));
    let stage_at = out.find(&format!(
        "apps/web/stage: planning again at {}",
        &merge[..8]
    ));
    assert!(
        dev_at.is_some() && stage_at.is_some() && dev_at < stage_at,
        "{out}"
    );
    let started = fx.entries("apply-started");
    assert_eq!(started.len(), 2, "{started:?}");
    assert!(
        started.iter().all(|e| e["head"] == merge.as_str()),
        "{started:?}"
    );
    assert_eq!(fx.entries("apply-succeeded").len(), 2);
    // The results stay visible on the (now merged) request's commits.
    let log = fx.repo.git(&[
        "notes",
        "--ref",
        "refs/notes/plandeck",
        "show",
        &fx.repo.rev("request/1"),
    ]);
    assert_eq!(log.matches("\"apply-succeeded\"").count(), 2, "{log}");
}

#[test]
fn a_request_touching_no_root_is_not_merged() {
    let fx = fixture(POLICY, DEV_AND_STAGE, &[]);
    let main_before = fx.repo.rev("main");
    fx.refused(&["apply", "request/1"], "touches no root");
    assert_eq!(fx.repo.rev("main"), main_before);
    assert!(fx.entries("merge").is_empty());
}

#[test]
fn applied_roots_are_skipped_and_the_merge_entry_lists_every_digest() {
    let fx = fixture(POLICY, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    let out = fx.ok("Bob", &["apply", "request/1", "--root", "apps/web/dev"]);
    assert!(out.contains("apps/web/dev: applied"), "{out}");
    assert!(!out.contains("merged"), "stage is still due: {out}");
    fx.approve("Carol", "apps/web/stage");
    let head = fx.repo.rev("request/1");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("apps/web/dev: already applied at"), "{out}");
    assert!(!out.contains("apps/web/dev: planning again"), "{out}");
    assert!(!out.contains("DRIFT"), "{out}");
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert!(out.contains("deleted branch request/1"), "{out}");
    let branches = fx.repo.git(&["branch", "--list", "request/1"]);
    assert!(
        branches.trim().is_empty(),
        "the merged branch is gone: {branches}"
    );
    assert_eq!(fx.version("apps-web-stage"), "2");
    let merges = fx.entries("merge");
    assert_eq!(merges.len(), 1, "{merges:?}");
    let merge = &merges[0];
    assert_eq!(merge["head"], head.as_str());
    let comment = merge["comment"].as_str().unwrap_or("");
    assert!(
        comment.contains(&fx.repo.rev("main")),
        "merge commit in {comment}"
    );
    for applied in fx.entries("apply-succeeded") {
        let pair = format!(
            "{}={}",
            applied["root"].as_str().unwrap_or("?"),
            applied["digest"].as_str().unwrap_or("?")
        );
        assert!(pair.contains("=sha256:"), "{applied}");
        assert!(comment.contains(&pair), "{pair} in {comment}");
    }
}

/// `delete_branch = false` keeps the merged branch; a branch checked out
/// is kept with a warning, the apply and merge standing.
#[test]
fn the_merged_branch_is_kept_when_configured_or_checked_out() {
    let keep = format!("{POLICY}[apply]\ndelete_branch = false\n");
    let fx = fixture(&keep, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    fx.approve("Carol", "apps/web/stage");
    let head = fx.repo.rev("request/1");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert!(!out.contains("deleted branch"), "{out}");
    assert_eq!(fx.repo.rev("request/1"), head);

    let fx = fixture(POLICY, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    fx.approve("Carol", "apps/web/stage");
    let head = fx.repo.rev("request/1");
    fx.repo.checkout("request/1");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert!(
        out.contains("warning: branch request/1 kept") && out.contains("checked out here"),
        "{out}"
    );
    assert_eq!(fx.repo.rev("request/1"), head);
}

/// Holds the fcntl lock Terraform's local backend takes on its state file,
/// as another run planning or applying the root would; kill to release.
fn hold_state_lock(state: &Path) -> std::process::Child {
    let script = "import fcntl,sys,time\nf=open(sys.argv[1],'r+')\n\
        fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nprint('locked',flush=True)\ntime.sleep(120)\n";
    let mut holder = Command::new("python3")
        .args(["-c", script])
        .arg(state)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    let stdout = holder.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read");
    assert_eq!(line.trim(), "locked");
    holder
}

#[test]
fn a_root_left_unapplied_after_the_merge_is_named() {
    let config = format!("[apply]\nmode = \"merge-then-apply\"\n{POLICY}");
    let fx = fixture(&config, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    fx.approve("Bob", "apps/web/stage");
    let main_before = fx.repo.rev("main");
    let mut holder = hold_state_lock(&fx.state.join("apps-web-stage.tfstate"));
    let out = fx.run("Bob", &["apply", "request/1"]);
    let _ = holder.kill();
    let _ = holder.wait();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the state of apps/web/stage is locked by another run"),
        "{stderr}"
    );
    let merge = fx.repo.rev("main");
    assert_ne!(merge, main_before, "the approved request merged");
    assert_eq!(fx.version("apps-web-dev"), "2");
    assert_eq!(fx.version("apps-web-stage"), "1");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "request/1: merged as {merge}, but not applied: apps/web/stage"
        )),
        "{stdout}"
    );
}

#[test]
fn a_state_locked_by_another_run_refuses_without_applying() {
    let fx = fixture(
        "[environments.stage]\nrequired_approvals = 1\n",
        DEV_AND_STAGE,
        &["apps/web/dev", "apps/web/stage"],
    );
    fx.approve("Bob", "apps/web/stage");
    let mut holder = hold_state_lock(&fx.state.join("apps-web-stage.tfstate"));
    let out = fx.run("Bob", &["apply", "request/1", "--root", "apps/web/stage"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("the state of apps/web/stage is locked by another run"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fx.version("apps-web-stage"), "1", "nothing applied");
    assert!(
        fx.entries("apply-failed").is_empty(),
        "a refusal, not a failure"
    );
    // Once the other run is gone, the same apply goes through.
    let out = fx.ok("Bob", &["apply", "request/1", "--root", "apps/web/stage"]);
    assert!(out.contains("apps/web/stage: applied"), "{out}");
}

#[test]
fn an_edited_remote_state_output_after_approval_is_drift() {
    // STATE is the fixture's state dir, outside the repository.
    let network_state = "STATE/apps-network-stage.tfstate";
    let reader = format!(
        r#"
data "terraform_remote_state" "network" {{
  backend = "local"
  config = {{
    path = "{network_state}"
  }}
}}

resource "null_resource" "uses_network" {{
  triggers = {{
    subnet = data.terraform_remote_state.network.outputs.subnet
  }}
}}

output "upstream_subnet" {{
  value = data.terraform_remote_state.network.outputs.subnet
}}
"#
    );
    let writer = "\noutput \"subnet\" {\n  value = \"10.0.1.0/24\"\n}\n";
    let fx = fixture(
        "[environments.stage]\nrequired_approvals = 1\n",
        &[("apps/network/stage", writer), ("apps/app/stage", "")],
        &[],
    );
    // Root B reads A's state: written on main, then changed by request/2.
    let b_tf = |version: &str| {
        root_tf(
            &fx.state,
            "apps-app-stage",
            version,
            &reader.replace("STATE", &fx.state.display().to_string()),
        )
    };
    fx.repo.write("apps/app/stage/main.tf", &b_tf("1"));
    fx.repo.commit("app reads the network", &[]);
    terraform().apply(&fx.repo.path.join("apps/app/stage"));
    fx.repo.branch("request/2", "main");
    fx.repo.write("apps/app/stage/main.tf", &b_tf("2"));
    fx.repo.commit_as("app version 2", &[], ALICE, ALICE);
    fx.repo.checkout("main");
    fx.ok("Bob", &["plan", "request/2"]);
    fx.ok(
        "Bob",
        &[
            "approve",
            "request/2",
            "--root",
            "apps/app/stage",
            "--ack",
            "null_resource.app",
        ],
    );
    // Out of band, between approval and apply: A's output changes.
    let path = fx.state.join("apps-network-stage.tfstate");
    let before = std::fs::read_to_string(&path).expect("state");
    let edited = before.replace("10.0.1.0/24", "10.0.9.0/24");
    assert_ne!(edited, before, "the state holds the output");
    std::fs::write(&path, edited).expect("edit");
    let main_before = fx.repo.rev("main");
    let b_state = std::fs::read(fx.state.join("apps-app-stage.tfstate")).expect("b state");
    let out = fx.run("Bob", &["apply", "request/2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("DRIFT"), "{stdout}");
    assert!(
        stdout.contains("upstream_subnet"),
        "the changed output is named: {stdout}"
    );
    assert!(text(&out.stderr).contains("drift"), "{}", text(&out.stderr));
    assert_eq!(fx.repo.rev("main"), main_before, "base untouched");
    assert_eq!(
        std::fs::read(fx.state.join("apps-app-stage.tfstate")).expect("b state"),
        b_state,
        "B not applied"
    );
    assert_eq!(fx.entries("drift-block").len(), 1);
    let status = fx.ok("Bob", &["status", "request/2"]);
    assert!(
        status.contains("blocked by Bob <bob@example.com>: drift"),
        "{status}"
    );
}

#[test]
fn a_closed_stdout_does_not_stop_the_apply_or_its_record() {
    let slow_output = "\nresource \"null_resource\" \"talk\" {\n  triggers = { label = local.label }\n  provisioner \"local-exec\" {\n    command = \"for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done\"\n  }\n}\n";
    let roots: &[(&str, &str)] = &[("apps/web/dev", slow_output)];
    let fx = fixture(POLICY, roots, &["apps/web/dev"]);
    let mut child = fx
        .command("Bob", &["apply", "request/1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // The operator's terminal goes away before the apply streams anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fx.version("apps-web-dev"), "2", "applied to the end");
    assert_eq!(fx.entries("apply-succeeded").len(), 1);
    assert_eq!(fx.entries("merge").len(), 1);
    let logs: Vec<String> = std::fs::read_dir(fx.data.join("plandeck/logs"))
        .expect("logs")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(
        logs.iter().any(|l| l.contains("line 5")),
        "the log has every line: {logs:?}"
    );
}

#[test]
fn a_cycle_in_promotion_order_is_a_one_line_config_error() {
    let config = "[environments.dev]\nafter = [\"stage\"]\n\
        [environments.stage]\nrequired_approvals = 0\nafter = [\"dev\"]\n";
    // Planned under a valid config; the cycle comes with a later edit (a
    // config with a cycle is refused at load, by every command).
    let fx = fixture(POLICY, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    let toml = format!(
        "[tofu]\nbinary = {:?}\n{config}",
        terraform().binary.display().to_string()
    );
    std::fs::write(&fx.config, toml).expect("config");
    let out = fx.run("Bob", &["apply", "request/1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("form a cycle: dev after stage after dev"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(fx.version("apps-web-dev"), "1", "nothing applied");
}

/// A `gate` resource at revision `rev` whose destroy fails unless `marker`
/// exists. Replacing it fails before anything else in the state changes
/// (`app` and the outputs stay), so a retry's fresh plan is the approved one.
fn gate(marker: &Path, rev: &str) -> String {
    format!(
        r#"
resource "null_resource" "gate" {{
  triggers = {{
    rev = "{rev}"
  }}
  provisioner "local-exec" {{
    when    = destroy
    command = "test -f {}"
  }}
}}
"#,
        marker.display()
    )
}

/// The gate's revision in stage's state.
fn gate_rev(fx: &Fixture) -> String {
    let state = fx.state_json("apps-web-stage");
    let resources = state["resources"].as_array().cloned().unwrap_or_default();
    resources
        .iter()
        .find(|r| r["name"] == "gate")
        .and_then(|r| r["instances"][0]["attributes"]["triggers"]["rev"].as_str())
        .unwrap_or("")
        .to_string()
}

/// merge-then-apply of dev (version 2) and stage (gate to revision 2):
/// merged, dev applied, stage's apply failed.
fn merged_with_stage_failed(marker: &Path) -> (Fixture, String) {
    let config = format!("[apply]\nmode = \"merge-then-apply\"\n{POLICY}");
    let first = gate(marker, "1");
    let roots: &[(&str, &str)] = &[("apps/web/dev", ""), ("apps/web/stage", &first)];
    let fx = fixture(&config, roots, &["apps/web/dev"]);
    fx.repo.checkout("request/1");
    fx.repo.write(
        "apps/web/stage/main.tf",
        &root_tf(&fx.state, "apps-web-stage", "1", &gate(marker, "2")),
    );
    fx.repo.commit_as("stage gate 2", &[], ALICE, ALICE);
    fx.repo.checkout("main");
    fx.ok("Bob", &["plan", "request/1"]);
    fx.ok(
        "Bob",
        &[
            "approve",
            "request/1",
            "--root",
            "apps/web/stage",
            "--ack",
            "null_resource.gate",
        ],
    );
    let out = fx.run("Bob", &["apply", "request/1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{stderr}", text(&out.stdout));
    assert!(
        stderr.contains("apps/web/stage: apply failed")
            && stderr.contains("the merge stands; `plandeck apply request/1` resumes"),
        "{stderr}"
    );
    let merge = fx.repo.rev("main");
    assert!(
        text(&out.stdout).contains(&format!(
            "merged as {merge}, but not applied: apps/web/stage"
        )),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(fx.version("apps-web-dev"), "2");
    assert_eq!(gate_rev(&fx), "1", "stage not applied");
    assert_eq!(fx.entries("apply-failed").len(), 1);
    (fx, merge)
}

#[test]
fn a_merged_request_with_a_failed_root_resumes_from_the_same_merge() {
    let marker_dir = tempfile::tempdir().expect("tempdir");
    let marker = marker_dir.path().join("stage-may-apply");
    let (fx, merge) = merged_with_stage_failed(&marker);
    // No longer open: only the resume finds it.
    let requests = fx.ok("Bob", &["requests"]);
    assert!(!requests.contains("request/1"), "{requests}");
    std::fs::write(&marker, "").expect("marker");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("apps/web/dev: already applied at"), "{out}");
    assert!(!out.contains("apps/web/dev: planning again"), "{out}");
    assert!(
        out.contains(&format!(
            "apps/web/stage: planning again at {}",
            &merge[..8]
        )),
        "applied from the same merge: {out}"
    );
    assert!(!out.contains("DRIFT"), "{out}");
    assert!(
        out.contains("request/1 is complete") && out.contains("now: apps/web/stage"),
        "{out}"
    );
    assert_eq!(gate_rev(&fx), "2", "stage applied");
    assert_eq!(fx.repo.rev("main"), merge, "no second merge");
    assert_eq!(fx.entries("merge").len(), 1);
    let started = fx.entries("apply-started");
    assert_eq!(started.len(), 3, "dev, stage, stage again: {started:?}");
    assert!(
        started.iter().all(|e| e["head"] == merge.as_str()),
        "{started:?}"
    );
    let succeeded = fx.entries("apply-succeeded");
    let roots: Vec<&str> = succeeded
        .iter()
        .filter_map(|e| e["root"].as_str())
        .collect();
    assert_eq!(roots, ["apps/web/dev", "apps/web/stage"], "{succeeded:?}");
    assert_eq!(fx.entries("apply-failed").len(), 1);
}

#[test]
fn resuming_a_fully_applied_merge_says_it_is_complete() {
    let marker_dir = tempfile::tempdir().expect("tempdir");
    let marker = marker_dir.path().join("stage-may-apply");
    let (fx, merge) = merged_with_stage_failed(&marker);
    std::fs::write(&marker, "").expect("marker");
    fx.ok("Bob", &["apply", "request/1"]);
    let started = fx.entries("apply-started").len();
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(
        out.contains(&format!(
            "request/1 is complete: merged as {}, every root already applied; nothing to do",
            &merge[..12]
        )),
        "{out}"
    );
    assert!(!out.contains("planning again"), "{out}");
    assert_eq!(fx.entries("apply-started").len(), started, "nothing ran");
    assert_eq!(fx.repo.rev("main"), merge);
}

#[test]
fn a_drift_block_after_the_merge_needs_a_new_request() {
    let config = format!("[apply]\nmode = \"merge-then-apply\"\n{POLICY}");
    let fx = fixture(&config, DEV_AND_STAGE, &["apps/web/dev", "apps/web/stage"]);
    fx.approve("Bob", "apps/web/stage");
    // Out of band, after approval: stage's state changes, so its fresh
    // plan at the merge is drift.
    let path = fx.state.join("apps-web-stage.tfstate");
    let before = std::fs::read_to_string(&path).expect("state");
    let edited = before.replace("apps-web-stage-1", "apps-web-stage-x");
    assert_ne!(edited, before, "the state holds the label");
    std::fs::write(&path, edited).expect("edit");
    let stdout = fx.refused(&["apply", "request/1"], "drift");
    assert!(stdout.contains("DRIFT"), "{stdout}");
    let merge = fx.repo.rev("main");
    assert_eq!(fx.version("apps-web-dev"), "2");
    // The block stands on the merged request: resuming refuses, and says why.
    let stdout = fx.refused(&["apply", "request/1"], "it needs a new request");
    assert!(
        stdout.contains("but not applied: apps/web/stage"),
        "{stdout}"
    );
    assert!(!stdout.contains("planning again"), "{stdout}");
    assert_eq!(fx.version("apps-web-stage"), "1");
    assert_eq!(fx.repo.rev("main"), merge, "no second merge");
    assert_eq!(fx.entries("merge").len(), 1);
}

#[test]
fn an_unknown_request_is_a_one_line_error_in_merge_then_apply_mode() {
    let config = format!("[apply]\nmode = \"merge-then-apply\"\n{POLICY}");
    let fx = fixture(&config, DEV_AND_STAGE, &["apps/web/dev"]);
    let out = fx.run("Bob", &["apply", "request/9"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no open request `request/9`"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
