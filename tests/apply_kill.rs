//! `kill -9` of plandeck during an apply, with the real Terraform 1.0.3 and
//! null provider: before Terraform's apply, during it and right after it.
//! Each time no Terraform process outlives plandeck for long (its guard
//! stops it), the next run removes the workspace left behind and names
//! it, and reconciles the interrupted apply from the state: "applied" when
//! the approved change is in it, "failed" otherwise — never a false drift.

mod support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::apply::{Fixture, fixture, text};

/// Replaced with the release; its provisioner sleeps at release 2 only.
const SLOW: &str = "\nresource \"null_resource\" \"slow\" {\n  triggers = {\n    v = var.release\n  }\n  provisioner \"local-exec\" {\n    command = \"echo started; test ${self.triggers.v} = 1 || sleep 20\"\n  }\n}\n";
const QUICK: &str = "";
const ROOT: &str = "apps/web/prod";

fn setup(extra: &str) -> Fixture {
    let fx = fixture(
        "[environments.prod]\nrequired_approvals = 1\n",
        &[(ROOT, extra)],
        &[ROOT],
    );
    fx.ok(
        "Carol",
        &[
            "approve",
            "request/1",
            "--root",
            ROOT,
            "--ack",
            "null_resource.app",
            "--ack",
            "null_resource.slow",
        ],
    );
    fx
}

fn start(fx: &Fixture, pause_at: Option<&str>) -> (Child, std::path::PathBuf) {
    let marker = fx.repo.scratch("paused");
    let mut command = fx.command("Bob", &["apply", "request/1"]);
    // A temp dir of this test's own: other tests' runs prune dead
    // workspaces in theirs, not in this one.
    command.env("TMPDIR", tmp(fx));
    if let Some(point) = pause_at {
        command
            .env("PLANDECK_PAUSE_AT", point)
            .env("PLANDECK_PAUSE_FILE", marker.join("at"));
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    (child, marker.join("at"))
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes (Terraform, the guard) working in `pid`'s workspaces.
fn processes_of(pid: u32) -> Vec<String> {
    let needle = format!("plandeck-plan-{pid}-");
    std::fs::read_dir("/proc")
        .expect("proc")
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

fn tmp(fx: &Fixture) -> std::path::PathBuf {
    fx.repo.scratch("tmp")
}

fn workspaces_of(fx: &Fixture, pid: u32) -> Vec<std::path::PathBuf> {
    let prefix = format!("plandeck-plan-{pid}-");
    std::fs::read_dir(tmp(fx))
        .expect("tmp")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Kills plandeck alone (its guard and Terraform are left to the guard),
/// waits until nothing of it runs, then runs the apply again.
fn kill_and_rerun(fx: &Fixture, mut child: Child) -> String {
    let pid = child.id();
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    wait_for("Terraform stops with plandeck", || {
        processes_of(pid).is_empty()
    });
    assert!(
        !workspaces_of(fx, pid).is_empty(),
        "the kill left its workspace"
    );
    let out = fx
        .command("Bob", &["apply", "request/1"])
        .env("TMPDIR", tmp(fx))
        .output()
        .expect("runs");
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        workspaces_of(fx, pid).is_empty(),
        "removed by the next run: {all}"
    );
    assert!(
        all.contains("removed the workspace of an interrupted run"),
        "{all}"
    );
    let worktrees = fx.repo.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
    all
}

#[test]
fn killed_before_terraform_applies_is_failed_then_applied_by_the_next_run() {
    let fx = setup(QUICK);
    let (child, marker) = start(&fx, Some("apply-planned"));
    wait_for("paused before the apply", || marker.exists());
    let out = kill_and_rerun(&fx, child);
    assert!(out.contains("was interrupted"), "{out}");
    assert!(out.contains("recorded as failed: the fresh plan"), "{out}");
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert_eq!(fx.version("apps-web-prod"), "2");
    assert_eq!(fx.entries("apply-failed").len(), 1);
    assert!(fx.entries("drift-block").is_empty(), "no false drift");
}

#[test]
fn killed_right_after_terraform_applied_is_reconciled_as_applied_and_merges() {
    let fx = setup(QUICK);
    let (child, marker) = start(&fx, Some("apply-finished"));
    wait_for("paused after the apply", || marker.exists());
    let out = kill_and_rerun(&fx, child);
    assert!(
        out.contains("reconciled as applied: the fresh plan at"),
        "{out}"
    );
    assert!(out.contains("already applied"), "{out}");
    assert!(out.contains("merged"), "{out}");
    assert!(
        fx.entries("drift-block").is_empty(),
        "no false drift: {out}"
    );
    assert!(fx.entries("apply-failed").is_empty(), "{out}");
    // One apply ran: the second run planned only to reconcile.
    assert_eq!(fx.entries("apply-started").len(), 1);
}

#[test]
fn killed_during_terraform_apply_stops_terraform_and_is_reconciled() {
    let fx = setup(SLOW);
    let (child, _) = start(&fx, None);
    let logs = fx.data.join("plandeck/logs");
    wait_for("the provisioner runs", || {
        std::fs::read_dir(&logs)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .any(|t| t.contains("(local-exec): started"))
    });
    let started = Instant::now();
    let out = kill_and_rerun(&fx, child);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "Terraform was stopped, not left to finish"
    );
    assert!(out.contains("was interrupted"), "{out}");
    let recorded = fx.entries("apply-failed").len() + fx.entries("apply-succeeded").len();
    assert!(recorded >= 1, "the interrupted apply has an outcome: {out}");
    let reconciled = out.contains("reconciled as applied") || out.contains("recorded as failed");
    assert!(reconciled, "{out}");
}
