//! Every command with its standard output closed (`plandeck … | head -0`):
//! no panic (exit 101), the exit status it has with an open stdout, and a
//! decision made with a closed stdout is recorded and says so on stderr.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const NOW: i64 = 1_790_000_000;

fn plandeck(dir: &Path, repo: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plandeck"));
    command
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("GIT_COMMITTER_NAME", "Erin")
        .env("GIT_COMMITTER_EMAIL", "erin@example.com")
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Exit code and stderr with stdout open, then with it closed at once.
fn both(dir: &Path, repo: &Path, args: &[&str]) -> ((Option<i32>, String), (Option<i32>, String)) {
    let open = plandeck(dir, repo, args).output().expect("runs");
    let mut child = plandeck(dir, repo, args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let closed = child.wait_with_output().expect("waits");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        (open.status.code(), text(&open.stderr)),
        (closed.status.code(), text(&closed.stderr)),
    )
}

#[test]
fn every_command_survives_a_closed_stdout_with_its_usual_exit_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    let plan: PathBuf = std::fs::canonicalize("assets/sample/plan.json").expect("sample");
    let cost: PathBuf = std::fs::canonicalize("assets/sample/infracost.json").expect("sample");
    let (plan, cost) = (plan.display().to_string(), cost.display().to_string());
    let read_only: Vec<Vec<&str>> = vec![
        vec!["requests"],
        vec!["requests", "--format", "json"],
        vec!["status", "request/102"],
        vec!["status", "request/102", "--format", "json"],
        vec!["check-config"],
        vec!["audit"],
        vec!["audit", "--format", "json"],
        vec!["audit", "verify"],
        vec!["drift", "list"],
        vec!["show", &plan, "--cost", &cost],
        vec!["show", &plan, "--color", "always", "--all"],
        vec!["summary", &plan, "--format", "text"],
        vec!["summary", &plan, "--format", "markdown"],
        vec!["summary", &plan, "--format", "json", "--cost", &cost],
        vec!["check", &plan],
        vec!["diff-plans", &plan, &plan],
        vec!["--help"],
        vec!["no-such-command"],
    ];
    for args in &read_only {
        let ((open, _), (closed, err)) = both(dir.path(), &repo, args);
        assert_ne!(closed, Some(101), "{args:?} panicked: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(open, closed, "{args:?}: {err}");
    }
    // A decision with stdout closed is recorded, and stderr says so.
    let decisions: [&[&str]; 3] = [
        &[
            "approve",
            "request/102",
            "--root",
            "apps/api/prod",
            "--ack",
            "aws_db_instance.main",
        ],
        &[
            "block",
            "request/102",
            "--root",
            "apps/api/prod",
            "--reason",
            "wait",
        ],
        &["unblock", "request/102", "--root", "apps/api/prod"],
    ];
    for args in decisions {
        let mut child = plandeck(dir.path(), &repo, args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("waits");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.contains("recorded (standard output is closed)"),
            "{args:?}: {err}"
        );
    }
    let status = plandeck(
        dir.path(),
        &repo,
        &["status", "request/102", "--format", "json"],
    )
    .stdout(Stdio::piped())
    .output()
    .expect("runs");
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(report.contains("\"kind\": \"approve\""), "{report}");
}
