//! The local executor with the real Terraform 1.0.3 and null provider, on
//! real git repositories: approved requests apply and merge, drift blocks,
//! failures leave the request open, the gate refuses, merge-then-apply, and
//! a killed apply is reported.

mod support;

use std::path::Path;
use std::process::Command;
use support::apply::{ALICE, Fixture, terraform_block, text};
use support::{TestRepo, terraform};

fn root_tf(state: &Path, env: &str, version: &str, extra: &str) -> String {
    format!(
        r#"{header}
resource "null_resource" "app" {{
  triggers = {{
    version = "{version}"
  }}
}}

output "version" {{
  value = "{version}"
}}
{extra}"#,
        header = terraform_block(state, env)
    )
}

/// stage and prod roots applied at version 1 on main; request/1 moves
/// both to version 2 (a replacement), with `prod_extra` added to prod.
fn fixture(config: &str, prod_extra: &str) -> Fixture {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    let tf = terraform();
    for env in ["stage", "prod"] {
        repo.write(
            &format!("apps/web/{env}/main.tf"),
            &root_tf(&state, env, "1", ""),
        );
    }
    repo.commit("base", &[]);
    for env in ["stage", "prod"] {
        tf.apply(&repo.path.join(format!("apps/web/{env}")));
    }
    // Terraform's working files stay out of the repository.
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("ignore terraform files", &[]);
    repo.branch("request/1", "main");
    repo.write("apps/web/stage/main.tf", &root_tf(&state, "stage", "2", ""));
    repo.write(
        "apps/web/prod/main.tf",
        &root_tf(&state, "prod", "2", prod_extra),
    );
    repo.commit_as("web: version 2", &[], ALICE, ALICE);
    repo.checkout("main");
    let fixture = Fixture::with_config(repo, state, config);
    fixture.ok("Bob", &["plan", "request/1"]);
    fixture
}

/// Bob and Carol approve both roots.
fn approve_all(fx: &Fixture) {
    for person in ["Bob", "Carol"] {
        for root in ["apps/web/stage", "apps/web/prod"] {
            fx.approve(person, root);
        }
    }
}

fn audit_actions(fx: &Fixture) -> Vec<String> {
    fx.audit()
        .iter()
        .map(|r| r["action"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn an_approved_request_applies_in_promotion_order_and_merges() {
    let fx = fixture("[environments.prod]\nafter = [\"stage\"]\n", "");
    approve_all(&fx);
    let main_before = fx.repo.rev("main");
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("request/1 applied and merged"), "{out}");
    let stage_at = out.find("apps/web/stage: applied").expect("stage applied");
    let prod_at = out.find("apps/web/prod: applied").expect("prod applied");
    assert!(stage_at < prod_at, "stage before prod:\n{out}");
    assert_eq!(fx.version("stage"), "2");
    assert_eq!(fx.version("prod"), "2");
    let log = fx.repo.git(&["log", "-1", "--format=%s%n%b", "main"]);
    assert!(log.starts_with("Merge request/1: web: version 2"), "{log}");
    assert!(log.contains("apps/web/prod sha256:"), "{log}");
    assert_ne!(fx.repo.rev("main"), main_before);
    let actions = audit_actions(&fx);
    for expected in ["apply-started", "apply-succeeded", "merge"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    let audit = fx.ok("Bob", &["audit", "--format", "json"]);
    assert!(
        audit.contains("\"action\":\"apply-succeeded\"")
            || audit.contains("\"action\": \"apply-succeeded\"")
    );
    assert!(fx.ok("Bob", &["audit", "verify"]).contains("audit log OK"));
}

#[test]
fn an_out_of_band_change_blocks_the_apply_and_leaves_the_base_alone() {
    let fx = fixture("", "");
    approve_all(&fx);
    // Someone changes prod by hand: the state's trigger is no longer "1".
    let path = fx.state.join("prod.tfstate");
    let state = std::fs::read_to_string(&path).expect("state");
    let edited = state.replace("\"version\": \"1\"", "\"version\": \"1-hotfix\"");
    assert_ne!(edited, state, "the state holds the trigger");
    std::fs::write(&path, edited).expect("write state");
    let main_before = fx.repo.rev("main");
    let out = fx.run("Bob", &["apply", "request/1", "--root", "apps/web/prod"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("DRIFT") && stdout.contains("null_resource.app"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("drift"), "{}", text(&out.stderr));
    assert_eq!(fx.repo.rev("main"), main_before, "base untouched");
    // The difference is kept on disk, in the apply's log.
    let logs: Vec<String> = std::fs::read_dir(fx.data.join("plandeck/logs"))
        .expect("logs")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("DRIFT") && l.contains("null_resource.app")),
        "{logs:?}"
    );
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        status.contains("blocked by Bob <bob@example.com>: drift"),
        "{status}"
    );
    assert!(audit_actions(&fx).iter().any(|a| a == "drift-block"));
}

#[test]
fn a_failing_apply_leaves_the_request_open_and_records_the_failure() {
    let boom = "\nresource \"null_resource\" \"boom\" {\n  provisioner \"local-exec\" {\n    command = \"echo failing on purpose; exit 3\"\n  }\n}\n";
    let fx = fixture("", boom);
    approve_all(&fx);
    let out = fx.run("Bob", &["apply", "request/1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("apply failed") && text(&out.stderr).contains("stays open"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("failing on purpose"),
        "the output streams: {}",
        text(&out.stdout)
    );
    let requests = fx.ok("Bob", &["requests", "--format", "json"]);
    assert!(requests.contains("request/1"), "still open: {requests}");
    assert!(audit_actions(&fx).iter().any(|a| a == "apply-failed"));
    assert!(
        std::fs::read_dir(fx.data.join("plandeck/logs"))
            .expect("logs kept")
            .count()
            >= 1
    );
}

#[test]
fn the_gate_refuses_missing_and_stale_approvals_a_closed_window_and_promotion_order() {
    let fx = fixture("[environments.prod]\nafter = [\"stage\"]\n", "");
    fx.refused(&["apply", "request/1"], "approvals: 0/1 approvals in stage");
    approve_all(&fx);
    fx.refused(
        &["apply", "request/1", "--root", "apps/web/prod"],
        "promotion: must apply first: apps/web/stage (stage)",
    );
    // A new commit makes the approvals stale (and the plan outdated).
    fx.repo.checkout("request/1");
    fx.repo.write("README.md", "notes\n");
    fx.repo.commit_as("notes", &[], ALICE, ALICE);
    fx.repo.checkout("main");
    fx.refused(
        &["apply", "request/1", "--root", "apps/web/stage"],
        "plan again",
    );
    let stale = fx.ok("Bob", &["status", "request/1"]);
    assert!(stale.contains("stale"), "{stale}");
}

#[test]
fn a_closed_window_refuses_the_apply() {
    // A window on no day that is today: the day after tomorrow only, one minute long.
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let today = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 86_400
        + 3)
        % 7;
    // 1970-01-01 was a Thursday (index 3).
    let other = day[((today + 2) % 7) as usize];
    let config = format!(
        "[environments.stage]\nwindow = {{ days = [\"{other}\"], hours = \"03:00-03:01\", time_zone = \"UTC\" }}\n"
    );
    let fx = fixture(&config, "");
    approve_all(&fx);
    let out = fx.run("Bob", &["apply", "request/1", "--root", "apps/web/stage"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("window: closed"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn merge_then_apply_merges_first_and_applies_from_the_base() {
    let fx = fixture("[apply]\nmode = \"merge-then-apply\"\n", "");
    approve_all(&fx);
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert_eq!(fx.version("prod"), "2");
    let merge = fx.repo.git(&["log", "-1", "--format=%s", "main"]);
    assert!(merge.starts_with("Merge request/1"), "{merge}");
    let actions = audit_actions(&fx);
    let merge_at = actions.iter().position(|a| a == "merge").expect("merge");
    let applied_at = actions
        .iter()
        .position(|a| a == "apply-succeeded")
        .expect("applied");
    assert!(merge_at < applied_at, "merged before applying: {actions:?}");
}

#[test]
fn a_killed_apply_is_reported_as_interrupted_with_its_log_kept() {
    use std::os::unix::process::CommandExt;
    let slow = "\nresource \"null_resource\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"echo started; sleep 30\"\n  }\n}\n";
    let fx = fixture("", slow);
    approve_all(&fx);
    let mut child = fx
        .command("Bob", &["apply", "request/1", "--root", "apps/web/prod"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn");
    let locks = fx.repo.path.join(".git/plandeck/locks");
    let logs = fx.data.join("plandeck/logs");
    let started = std::time::Instant::now();
    loop {
        let log_has_started = std::fs::read_dir(&logs)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .is_some_and(|t| t.contains("(local-exec): started"));
        if log_has_started || started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        std::fs::read_dir(&locks).expect("lock dir").count() == 1,
        "the lock is held"
    );
    let group = format!("-{}", child.id());
    let status = Command::new("kill")
        .args(["-9", "--", &group])
        .status()
        .expect("kill");
    assert!(status.success());
    let _ = child.wait();
    let out = fx.run("Bob", &["apply", "request/1", "--root", "apps/web/prod"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("was interrupted (log kept:"),
        "{stdout}{}",
        text(&out.stderr)
    );
    // Reconciled from the state (the hardening issue): Terraform, killed
    // with the whole group, had already written the resources to its state,
    // so a fresh plan decides whether the change took effect.
    let actions = audit_actions(&fx);
    let verdict = stdout.contains("reconciled as applied") || stdout.contains("recorded as failed");
    assert!(verdict, "{actions:?} {stdout}");
    assert!(
        actions
            .iter()
            .any(|a| a == "apply-failed" || a == "apply-succeeded"),
        "{actions:?}"
    );
    assert!(
        std::fs::read_dir(&logs).expect("logs").count() >= 1,
        "the log is kept"
    );
}

#[test]
fn auto_apply_roots_need_no_approval() {
    let fx = fixture(
        "[environments.stage]\nrequired_approvals = 1\nauto_apply = true\n",
        "",
    );
    let out = fx.ok("Bob", &["apply", "request/1", "--root", "apps/web/stage"]);
    assert!(out.contains("apps/web/stage: applied"), "{out}");
    assert_eq!(fx.version("stage"), "2");
    assert_eq!(fx.version("prod"), "1", "only the selected root");
    // prod is not auto-applied: refused without approvals.
    let out = fx.run("Bob", &["apply", "request/1", "--root", "apps/web/prod"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("approvals: 0/2"),
        "{}",
        text(&out.stderr)
    );
}
