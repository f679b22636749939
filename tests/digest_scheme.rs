//! Upgrading across digest schemes, end to end on the demo repository: the
//! plans stored and the decisions recorded by a plandeck that wrote scheme 1
//! digests (`sha256:<hex>`) still load; an approval bound to one is stale and
//! says why (not merely "the plan changed"), a block made under it stays in
//! force for its head, and approving again counts.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use support::git_in as git;

const NOW: i64 = 1_790_000_000;
const REQUEST: &str = "request/102";
const ROOT: &str = "apps/api/prod";

fn as_person(dir: &Path, repo: &Path, person: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("GIT_COMMITTER_NAME", person)
        .env(
            "GIT_COMMITTER_EMAIL",
            format!("{}@example.com", person.to_lowercase()),
        )
        .env("XDG_DATA_HOME", dir.join(format!("data-{person}")))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .output()
        .expect("runs")
}

fn ok(dir: &Path, repo: &Path, person: &str, args: &[&str]) -> String {
    let out = as_person(dir, repo, person, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn prod_report(dir: &Path, repo: &Path) -> Value {
    let out = ok(dir, repo, "Erin", &["status", REQUEST, "--format", "json"]);
    let reports: Value = serde_json::from_str(&out).expect("json");
    reports
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["root"] == ROOT)
        .expect("prod report")
        .clone()
}

/// Rewrites every scheme 2 digest in the notes and the plan store into the
/// scheme 1 form, as a plandeck before scheme 2 would have written them.
fn downgrade(repo: &Path) -> usize {
    let old = |text: &str| text.replace("sha256:v2:", "sha256:");
    let mut rewritten = 0;
    let listing = git(repo, &["notes", "--ref", "refs/notes/plandeck", "list"]);
    for line in listing.lines() {
        let (note, object) = line.split_once(' ').expect("note and object");
        let text = git(repo, &["cat-file", "blob", note]);
        let file = repo.join(".git/downgraded-note");
        std::fs::write(&file, old(&text)).expect("write note");
        let file = file.to_str().expect("path");
        git(
            repo,
            &[
                "notes",
                "--ref",
                "refs/notes/plandeck",
                "add",
                "-f",
                "-F",
                file,
                object,
            ],
        );
        rewritten += usize::from(text.contains("sha256:v2:"));
    }
    let meta = repo
        .join(".git/plandeck/plans")
        .join(REQUEST.replace('/', "%2F"))
        .join(ROOT.replace('/', "%2F"))
        .join("meta.json");
    let text = std::fs::read_to_string(&meta).expect("meta.json");
    assert!(text.contains("sha256:v2:"), "{text}");
    std::fs::write(&meta, old(&text)).expect("write meta");
    rewritten
}

#[test]
fn an_approval_under_the_old_scheme_is_stale_with_the_scheme_as_reason() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    let repo = plandeck::demo::build_at(&dir.join("repo"), NOW).expect("demo");
    let ack = ["--ack", "aws_db_instance.main"];
    let approve = [&["approve", REQUEST, "--root", ROOT][..], &ack[..]].concat();
    ok(dir, &repo, "Erin", &approve);
    ok(
        dir,
        &repo,
        "Grace",
        &[
            "block",
            REQUEST,
            "--root",
            ROOT,
            "--reason",
            "wait for the window",
        ],
    );
    let report = prod_report(dir, &repo);
    assert_eq!(
        report["approvals"][0]["state"]["state"], "counted",
        "{report:#}"
    );
    let digest = report["digest"].as_str().expect("digest").to_string();
    assert!(digest.starts_with("sha256:v2:"), "{digest}");

    assert!(downgrade(&repo) >= 1, "the notes held scheme 2 digests");
    let report = prod_report(dir, &repo);
    assert_eq!(report["digest"], digest.as_str(), "the plan still loads");
    let approval = &report["approvals"][0];
    assert!(
        approval["decision"]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:") && !d.starts_with("sha256:v2:")),
        "{approval:#}"
    );
    assert_eq!(approval["state"]["state"], "stale", "{approval:#}");
    assert_eq!(
        approval["state"]["reason"],
        "approved under digest scheme v1; plans are now digested with v2: approve again"
    );
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check"))
            .clone()
    };
    assert_eq!(check("approvals")["passed"], false);
    assert!(
        check("approvals")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("(1 stale, not counted)")),
        "{report:#}"
    );
    // The block cannot be told apart from one on this plan: it holds.
    assert_eq!(check("blocks")["passed"], false, "{report:#}");
    let text = ok(dir, &repo, "Erin", &["status", REQUEST]);
    assert!(
        text.contains("approved under digest scheme v1; plans are now digested with v2"),
        "{text}"
    );

    // Approving again binds the approval to the scheme 2 digest.
    ok(dir, &repo, "Erin", &approve);
    let report = prod_report(dir, &repo);
    let states: Vec<&str> = report["approvals"]
        .as_array()
        .expect("approvals")
        .iter()
        .map(|a| a["state"]["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["stale", "counted"], "{report:#}");
}
