//! One corrupt file of each kind in the plan store and the data dir: only
//! its own item fails (listed with the error); the rest works.

mod support;

use std::path::Path;
use std::process::{Command, Output};

const NOW: i64 = 1_790_000_000;

fn run(dir: &Path, repo: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("GIT_COMMITTER_NAME", "Erin")
        .env("GIT_COMMITTER_EMAIL", "erin@example.com")
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .output()
        .expect("runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_corrupt_meta_json_fails_only_its_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    let meta = repo.join(".git/plandeck/plans/request%2F102/apps%2Fapi%2Fprod/meta.json");
    assert!(meta.exists());
    std::fs::write(&meta, "{ not json").expect("corrupt");
    let out = run(dir.path(), &repo, &["requests", "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let rows = rows.as_array().expect("rows");
    assert!(rows.len() >= 4, "every request listed: {stdout}");
    let roots: Vec<&serde_json::Value> = rows
        .iter()
        .flat_map(|r| r["roots"].as_array().into_iter().flatten())
        .collect();
    let broken: Vec<&&serde_json::Value> = roots.iter().filter(|r| !r["error"].is_null()).collect();
    assert_eq!(broken.len(), 1, "{stdout}");
    assert_eq!(broken[0]["path"], "apps/api/prod");
    assert!(roots.iter().any(|r| r["status"] == "planned"), "{stdout}");
    let out = run(dir.path(), &repo, &["requests"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    // The gate of that root fails its plan check with the cause; the other
    // roots of the request are judged as usual.
    let out = run(
        dir.path(),
        &repo,
        &["status", "request/102", "--format", "json"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let reports: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    for report in reports.as_array().expect("reports") {
        let plan = report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == "plan")
            .expect("plan check")
            .clone();
        if report["root"] == "apps/api/prod" {
            assert_eq!(plan["passed"], false);
            assert!(
                plan["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("cannot be read"),
                "{plan}"
            );
        } else {
            assert_eq!(plan["passed"], true, "{report}");
        }
    }
}

#[test]
fn an_unreadable_audit_line_hides_no_other_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    for reason in ["one", "two", "three"] {
        let args = [
            "block",
            "request/102",
            "--root",
            "apps/api/prod",
            "--reason",
            reason,
        ];
        assert_eq!(run(dir.path(), &repo, &args).status.code(), Some(0));
    }
    let log = dir.path().join("data/plandeck/audit.log");
    let content = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = content.lines().collect();
    std::fs::write(&log, format!("{}\ngarbage\n{}\n", lines[0], lines[2])).expect("edit");
    let out = run(dir.path(), &repo, &["audit"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("one") && stdout.contains("three"),
        "{stdout}"
    );
    assert!(stderr.contains("line 2"), "{stderr}");
    let out = run(dir.path(), &repo, &["audit", "--format", "json"]);
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(records.as_array().map(Vec::len), Some(2));
    // verify still names the damage.
    let out = run(dir.path(), &repo, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).0);
}

#[test]
fn a_corrupt_drift_report_is_listed_as_its_roots_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    let drift = repo.join(".git/plandeck/drift");
    let good = serde_json::json!({
        "root": "apps/web/prod1", "checked_at": NOW, "base_commit": "abc",
        "status": "clean", "exit_code": 0, "drifted": [], "acks": []
    });
    std::fs::create_dir_all(drift.join("apps%2Fweb%2Fprod1")).expect("dir");
    std::fs::write(
        drift.join("apps%2Fweb%2Fprod1/report.json"),
        good.to_string(),
    )
    .expect("w");
    std::fs::create_dir_all(drift.join("apps%2Fapi%2Fprod")).expect("dir");
    std::fs::write(drift.join("apps%2Fapi%2Fprod/report.json"), "{ broken").expect("w");
    let out = run(dir.path(), &repo, &["drift", "list"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("apps/web/prod1") && stdout.contains("clean"),
        "{stdout}"
    );
    assert!(
        stdout.contains("apps/api/prod") && stdout.contains("unreadable drift report"),
        "{stdout}"
    );
}

#[test]
fn a_corrupt_plan_or_cost_file_fails_only_its_root_and_bad_marks_hide_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    let plans = repo.join(".git/plandeck/plans");
    std::fs::write(
        plans.join("request%2F101/apps%2Fweb%2Fdev/plan.json"),
        "{\"format_version\":",
    )
    .expect("corrupt plan");
    std::fs::write(
        plans.join("request%2F103/apps%2Fweb%2Fprod/cost.json"),
        "[1,",
    )
    .expect("corrupt cost");
    // Viewed and seen marks that are not JSON at all.
    for sub in ["seen", "progress"] {
        let d = dir.path().join("data/plandeck").join(sub);
        std::fs::create_dir_all(&d).expect("dir");
        std::fs::write(d.join("garbage"), "\u{0}\u{1}not json").expect("garbage");
    }
    let out = run(dir.path(), &repo, &["requests", "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let mut broken: Vec<String> = rows
        .as_array()
        .expect("rows")
        .iter()
        .flat_map(|r| r["roots"].as_array().into_iter().flatten())
        .filter(|r| !r["error"].is_null())
        .map(|r| r["path"].as_str().unwrap_or("").to_string())
        .collect();
    broken.sort();
    assert_eq!(
        broken,
        vec!["apps/web/dev".to_string(), "apps/web/prod".to_string()],
        "{stdout}"
    );
    // Approving elsewhere still works with the damaged marks around.
    let args = [
        "approve",
        "request/102",
        "--root",
        "apps/api/prod",
        "--ack",
        "aws_db_instance.main",
    ];
    let out = run(dir.path(), &repo, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
}
