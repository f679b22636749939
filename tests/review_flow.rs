//! Two-person approval end to end on real git repositories, with identities
//! from the environment: the author cannot approve, two others approve prod,
//! the decisions live in `refs/notes/plandeck`, and a clone that fetches
//! that ref (and has the same plan) sees the same gate report.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::git_in as git;

const NOW: i64 = 1_790_000_000;

struct Env {
    dir: tempfile::TempDir,
    repo: PathBuf,
}

fn setup() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    Env { dir, repo }
}

/// Runs plandeck as a person (committer identity and own data dir).
fn as_person(env: &Env, repo: &Path, person: &str, args: &[&str]) -> Output {
    let email = format!("{}@example.com", person.to_lowercase());
    Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("GIT_COMMITTER_NAME", person)
        .env("GIT_COMMITTER_EMAIL", &email)
        .env(
            "XDG_DATA_HOME",
            env.dir.path().join(format!("data-{person}")),
        )
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .output()
        .expect("runs")
}

/// `person` blocks `root` of `request` with `reason`.
fn block(env: &Env, repo: &Path, person: &str, request: &str, root: &str, reason: &str) -> Output {
    as_person(
        env,
        repo,
        person,
        &["block", request, "--root", root, "--reason", reason],
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn prod_report(env: &Env, repo: &Path) -> Value {
    let out = as_person(
        env,
        repo,
        "Erin",
        &["status", "request/102", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reports: Value = serde_json::from_slice(&out.stdout).expect("json");
    reports
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["root"] == "apps/api/prod")
        .expect("prod report")
        .clone()
}

#[test]
fn two_people_approve_prod_and_a_clone_sees_the_same_gate() {
    let env = setup();
    let repo = env.repo.clone();
    let ack = ["--ack", "aws_db_instance.main"];
    let approve = |person: &str, extra: &[&str]| {
        let mut args = vec!["approve", "request/102", "--root", "apps/api/prod"];
        args.extend_from_slice(extra);
        as_person(&env, &repo, person, &args)
    };
    // The author (Bob Data) cannot approve his own request.
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args([
            "--repo",
            repo.to_str().expect("path"),
            "approve",
            "request/102",
            "--root",
            "apps/api/prod",
        ])
        .args(ack)
        .env("GIT_COMMITTER_NAME", "Bob Data")
        .env("GIT_COMMITTER_EMAIL", "bob@example.com")
        .env("XDG_DATA_HOME", env.dir.path().join("data-bob"))
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("authored or committed this request"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stderr).lines().count(), 1);
    // A reviewer must have looked at the destructive change.
    let out = approve("Erin", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not marked viewed"),
        "{}",
        text(&out.stderr)
    );
    let out = approve("Erin", &ack);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1/2 approvals"),
        "{}",
        text(&out.stdout)
    );
    let report = prod_report(&env, &repo);
    assert_eq!(report["passed"], false);
    let out = approve("Frank", &ack);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2/2 approvals"));
    let report = prod_report(&env, &repo);
    assert_eq!(report["passed"], true, "{report:#}");
    // The notes ref holds both decisions on the head commit.
    let head = git(&repo, &["rev-parse", "request/102"]);
    let note = git(
        &repo,
        &["notes", "--ref", "refs/notes/plandeck", "show", head.trim()],
    );
    assert_eq!(note.lines().count(), 2, "{note}");
    assert!(note.contains("erin@example.com") && note.contains("frank@example.com"));
    assert!(note.contains("\"viewed_destructive\":[\"aws_db_instance.main\"]"));
    // A clone that fetches the notes and has the same plan sees the same gate.
    let clone = env.dir.path().join("clone");
    git(
        env.dir.path(),
        &[
            "clone",
            "-q",
            repo.to_str().expect("path"),
            clone.to_str().expect("path"),
        ],
    );
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/plandeck:refs/notes/plandeck",
        ],
    );
    for branch in [
        "request/101",
        "request/102",
        "request/103",
        "request/104",
        "request/105",
    ] {
        git(
            &clone,
            &["branch", "-q", branch, &format!("origin/{branch}")],
        );
    }
    let plan_json = find_plan(&repo, "request%2F102", "apps%2Fapi%2Fprod");
    let out = as_person(
        &env,
        &clone,
        "Erin",
        &[
            "import-plan",
            "request/102",
            "--root",
            "apps/api/prod",
            plan_json.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cloned = prod_report(&env, &clone);
    assert_eq!(cloned["checks"], report["checks"]);
    assert_eq!(cloned["approvals"], report["approvals"]);
    assert_eq!(cloned["passed"], true);
}

fn find_plan(repo: &Path, request: &str, root: &str) -> PathBuf {
    let path = repo
        .join(".git/plandeck/plans")
        .join(request)
        .join(root)
        .join("plan.json");
    assert!(path.exists(), "{}", path.display());
    path
}

#[test]
fn blocks_are_lifted_only_by_whoever_blocked() {
    let env = setup();
    let repo = env.repo.clone();
    let out = block(
        &env,
        &repo,
        "Erin",
        "request/101",
        "apps/web/dev",
        "alarm thresholds look wrong",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = as_person(&env, &repo, "Erin", &["status", "request/101"]);
    let status = text(&status.stdout);
    assert!(
        status.contains("not ready")
            && status.contains("blocked by Erin <erin@example.com>: alarm thresholds look wrong"),
        "{status}"
    );
    let out = as_person(
        &env,
        &repo,
        "Frank",
        &["unblock", "request/101", "--root", "apps/web/dev"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("only the person who blocked"));
    let out = as_person(
        &env,
        &repo,
        "Erin",
        &["unblock", "request/101", "--root", "apps/web/dev"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = text(&as_person(&env, &repo, "Erin", &["status", "request/101"]).stdout);
    assert!(
        status.contains("apps/web/dev [dev]: ready to apply (0/0 approvals)"),
        "dev needs no approval: {status}"
    );
    // The block is lifted: a second unblock has nothing to lift.
    let out = as_person(
        &env,
        &repo,
        "Erin",
        &["unblock", "request/101", "--root", "apps/web/dev"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Erin <erin@example.com> has no block in force on apps/web/dev"),
        "{stderr}"
    );
    let out = block(&env, &repo, "Erin", "request/101", "apps/web/dev", " ");
    assert_eq!(out.status.code(), Some(2), "an empty reason is bad input");
}

#[test]
fn refusals_name_the_cause_in_one_line() {
    let env = setup();
    let repo = env.repo.clone();
    let cases: [(&str, &str, i32, &str); 3] = [
        ("request/105", "apps/api/dev", 1, "no plan for apps/api/dev"),
        ("request/104", "apps/web/stage", 1, "older head"),
        ("request/104", "apps/api/prod", 2, "does not touch root"),
    ];
    for (request, root, code, cause) in cases {
        let out = as_person(&env, &repo, "Erin", &["approve", request, "--root", root]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{request} {root}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(cause),
            "{request} {root}: {stderr:?} lacks {cause:?}"
        );
    }
}

#[test]
fn decisions_are_audited() {
    let env = setup();
    let repo = env.repo.clone();
    block(
        &env,
        &repo,
        "Erin",
        "request/103",
        "apps/web/prod",
        "bucket still in use",
    );
    let out = as_person(&env, &repo, "Erin", &["audit", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let records: Value = serde_json::from_slice(&out.stdout).expect("json");
    let record = &records[0];
    assert_eq!(record["action"], "block");
    assert_eq!(record["request"], "request/103");
    assert_eq!(record["root"], "apps/web/prod");
    assert!(
        record["digest"]
            .as_str()
            .expect("digest")
            .starts_with("sha256:")
    );
    assert_eq!(record["who"]["email"], "erin@example.com");
    let verify = as_person(&env, &repo, "Erin", &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

#[test]
fn the_repository_policy_is_read_from_the_base_branch() {
    let env = setup();
    let repo = env.repo.clone();
    git(&repo, &["checkout", "-q", "main"]);
    std::fs::write(
        repo.join(".plandeck.toml"),
        "[environments.prod]\nrequired_approvals = 3\n",
    )
    .expect("write");
    git(&repo, &["add", ".plandeck.toml"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=Ops",
            "-c",
            "user.email=ops@example.com",
            "commit",
            "-q",
            "-m",
            "policy",
        ],
    );
    let report = prod_report(&env, &repo);
    assert_eq!(report["required"], 3, "{report:#}");
    // A request cannot weaken the policy it is reviewed under.
    git(&repo, &["checkout", "-q", "request/102"]);
    std::fs::write(
        repo.join(".plandeck.toml"),
        "[environments.prod]\nrequired_approvals = 0\n",
    )
    .expect("write");
    git(&repo, &["add", ".plandeck.toml"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=Bob Data",
            "-c",
            "user.email=bob@example.com",
            "commit",
            "-q",
            "-m",
            "relax",
        ],
    );
    git(&repo, &["checkout", "-q", "main"]);
    assert_eq!(prod_report(&env, &repo)["required"], 3);
    // A broken repository policy is refused with its file and line.
    std::fs::write(
        repo.join(".plandeck.toml"),
        "[environments.prod]\nrequired_approvals = \"many\"\n",
    )
    .expect("write");
    git(
        &repo,
        &[
            "-c",
            "user.name=Ops",
            "-c",
            "user.email=ops@example.com",
            "commit",
            "-q",
            "-am",
            "broken",
        ],
    );
    let out = as_person(&env, &repo, "Erin", &["status", "request/102"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(".plandeck.toml (main):2: key `environments.prod.required_approvals`"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_audit_log_refuses_the_decision_before_it_is_stored() {
    let env = setup();
    let repo = env.repo.clone();
    let out = block(
        &env,
        &repo,
        "Erin",
        "request/101",
        "apps/web/dev",
        "first entry",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A crash cut the last entry short.
    let log = env.dir.path().join("data-Erin/plandeck/audit.log");
    let bytes = std::fs::read(&log).expect("log");
    std::fs::write(&log, &bytes[..bytes.len() - 10]).expect("truncate");
    let head = git(&repo, &["rev-parse", "request/102"]);
    let notes_before = git(&repo, &["notes", "--ref", "refs/notes/plandeck", "list"]);
    let before = prod_report(&env, &repo);
    let attempts: [&[&str]; 2] = [
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
            "no",
        ],
    ];
    for args in attempts {
        let out = as_person(&env, &repo, "Erin", args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("decision not recorded") && stderr.contains(&*log.to_string_lossy()),
            "{stderr}"
        );
        assert!(stderr.contains("cut short"), "{stderr}");
    }
    let notes_after = git(&repo, &["notes", "--ref", "refs/notes/plandeck", "list"]);
    assert_eq!(notes_before, notes_after, "no note was written");
    assert!(!notes_after.contains(head.trim()));
    let after = prod_report(&env, &repo);
    assert_eq!(after["approvals"], before["approvals"]);
    assert_eq!(after["blocks"], before["blocks"]);
    assert_eq!(after["counted"], 0);
}

/// The gate report of one root, as `status --format json` gives it.
fn root_report(env: &Env, repo: &Path, request: &str, root: &str) -> Value {
    let out = as_person(env, repo, "Erin", &["status", request, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reports: Value = serde_json::from_slice(&out.stdout).expect("json");
    reports
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["root"] == root)
        .expect("root report")
        .clone()
}

#[test]
fn a_block_survives_rewritten_history_and_travels_with_the_notes() {
    let env = setup();
    let repo = env.repo.clone();
    let (request, root) = ("request/103", "apps/web/prod");
    let out = block(&env, &repo, "Erin", request, root, "bucket still in use");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan = env.dir.path().join("plan-103.json");
    std::fs::copy(
        find_plan(&repo, "request%2F103", "apps%2Fweb%2Fprod"),
        &plan,
    )
    .expect("copy");
    // `git commit --amend` on the branch: same tree and parent, a new commit.
    let old_head = git(&repo, &["rev-parse", request]);
    let new_head = git(
        &repo,
        &[
            "-c",
            "user.name=Carol",
            "-c",
            "user.email=carol@example.com",
            "commit-tree",
            &format!("{}^{{tree}}", old_head.trim()),
            "-p",
            &format!("{}^", old_head.trim()),
            "-m",
            "amended",
        ],
    );
    git(
        &repo,
        &[
            "update-ref",
            &format!("refs/heads/{request}"),
            new_head.trim(),
        ],
    );
    assert_ne!(old_head, new_head);
    let import = |repo: &Path| {
        let out = as_person(
            &env,
            repo,
            "Erin",
            &[
                "import-plan",
                request,
                "--root",
                root,
                plan.to_str().expect("path"),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    import(&repo);
    let report = root_report(&env, &repo, request, root);
    assert_eq!(report["passed"], false, "{report:#}");
    let blocks = report["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 1, "{report:#}");
    assert_eq!(blocks[0]["who"]["email"], "erin@example.com");
    assert_eq!(
        blocks[0]["head"],
        old_head.trim(),
        "the block of the old head"
    );
    // A clone that fetches the notes ref sees the block too.
    let clone = env.dir.path().join("clone");
    let (repo_s, clone_s) = (repo.to_str().expect("path"), clone.to_str().expect("path"));
    git(env.dir.path(), &["clone", "-q", repo_s, clone_s]);
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/plandeck:refs/notes/plandeck",
        ],
    );
    git(
        &clone,
        &["branch", "-q", request, &format!("origin/{request}")],
    );
    import(&clone);
    let cloned = root_report(&env, &clone, request, root);
    assert_eq!(cloned["blocks"], report["blocks"], "{cloned:#}");
    assert_eq!(cloned["passed"], false);
    // Only Erin lifts it, whatever the history.
    let out = as_person(&env, &repo, "Erin", &["unblock", request, "--root", root]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = root_report(&env, &repo, request, root);
    assert_eq!(
        report["blocks"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
}
