//! Workflows of real teams on the git source, with real Terraform and the
//! null provider: GitFlow (requests into `develop` are stage, `develop`
//! into `main` is prod, drift checked per base) and one directory shared
//! by environments with their own state (var files and backend config, or
//! workspaces), named `DIR@ENV` by every command.

mod support;

use support::TestRepo;
use support::apply::{ALICE, Fixture, text};

/// A root whose backend and variables come from its environment.
fn shared_root(backend: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    null = {{
      source  = "hashicorp/null"
      version = "2.1.2"
    }}
  }}
  backend "local" {{{backend}}}
}}

variable "env" {{
  type = string
}}

variable "release" {{
  type = string
}}

resource "null_resource" "app" {{
  triggers = {{
    label = "${{var.env}}-${{var.release}}"
  }}
}}

output "version" {{
  value = "${{var.env}}-${{var.release}}"
}}
"#
    )
}

fn tfvars(env: &str, release: &str) -> String {
    format!("env = \"{env}\"\nrelease = \"{release}\"\n")
}

/// `infra/` with `env/{stage,prod}.tfvars` and a backend config per
/// environment keeping its state at `state/ENV.tfstate`.
fn write_shared_dir(repo: &TestRepo, state: &std::path::Path, release: &str) {
    repo.write("infra/main.tf", &shared_root(""));
    for env in ["stage", "prod"] {
        repo.write(&format!("infra/env/{env}.tfvars"), &tfvars(env, release));
        repo.write(
            &format!("infra/env/{env}.backend.hcl"),
            &format!("path = \"{}/{env}.tfstate\"\n", state.display()),
        );
    }
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
}

/// A repository whose `infra/` is shared by stage and prod (release 1),
/// committed on main, and its state directory.
fn shared_repo() -> (TestRepo, std::path::PathBuf) {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    write_shared_dir(&repo, &state, "1");
    repo.commit("base", &[]);
    (repo, state)
}

/// Alice moves both environments to release 2 on the current branch.
fn release_both(repo: &TestRepo) {
    for env in ["stage", "prod"] {
        repo.write(&format!("infra/env/{env}.tfvars"), &tfvars(env, "2"));
    }
    repo.commit_as("release 2", &[], ALICE, ALICE);
}

const SHARED: &str = r#"
[environments.stage]
roots = ["infra"]
var_files = ["env/stage.tfvars"]
backend_config = ["env/stage.backend.hcl"]
required_approvals = 1

[environments.prod]
roots = ["infra"]
var_files = ["env/prod.tfvars"]
backend_config = ["env/prod.backend.hcl"]
required_approvals = 2
after = ["stage"]
"#;

fn output_of(fixture: &Fixture, env: &str) -> String {
    fixture.state_json(env)["outputs"]["version"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn approve(fixture: &Fixture, person: &str, request: &str, root: &str) {
    fixture.ok(
        person,
        &[
            "approve",
            request,
            "--root",
            root,
            "--ack",
            "null_resource.app",
        ],
    );
}

fn roots_of(fixture: &Fixture, request: &str) -> Vec<(String, String)> {
    let out = fixture.ok("Bob", &["requests", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("json");
    let request = list
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == request)
        .unwrap_or_else(|| panic!("no request {request} in {out}"));
    request["roots"]
        .as_array()
        .expect("roots")
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap_or("").to_string(),
                r["environment"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn environments_sharing_a_directory_plan_approve_and_apply_separately() {
    let (repo, state) = shared_repo();
    repo.branch("request/1", "main");
    release_both(&repo);
    repo.checkout("main");
    let fixture = Fixture::with_config(repo, state, SHARED);

    assert_eq!(
        roots_of(&fixture, "request/1"),
        [
            ("infra@prod".to_string(), "prod".to_string()),
            ("infra@stage".to_string(), "stage".to_string())
        ]
    );
    // `--root` with the directory alone is refused, naming both.
    let out = fixture.run("Bob", &["plan", "request/1", "--root", "infra"]);
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("--root infra@prod") && err.contains("--root infra@stage"),
        "{err}"
    );
    let planned = fixture.ok("Bob", &["plan", "request/1", "--root", "infra@stage"]);
    assert!(planned.contains("infra@stage"), "{planned}");
    assert!(!planned.contains("infra@prod"), "{planned}");
    fixture.ok("Bob", &["plan", "request/1", "--root", "infra@prod"]);

    // Block and unblock by DIR@ENV.
    fixture.ok(
        "Bob",
        &[
            "block",
            "request/1",
            "--root",
            "infra@prod",
            "--reason",
            "wait",
        ],
    );
    fixture.ok("Bob", &["unblock", "request/1", "--root", "infra@prod"]);

    // Approving stage does not approve prod.
    approve(&fixture, "Bob", "request/1", "infra@stage");
    fixture.ok("Bob", &["apply", "request/1", "--root", "infra@stage"]);
    assert_eq!(output_of(&fixture, "stage"), "stage-2");
    assert!(
        !fixture.state.join("prod.tfstate").exists(),
        "the stage apply wrote prod's state"
    );
    fixture.refused(&["apply", "request/1", "--root", "infra@prod"], "approvals");
    assert!(!fixture.state.join("prod.tfstate").exists());

    approve(&fixture, "Bob", "request/1", "infra@prod");
    approve(&fixture, "Carol", "request/1", "infra@prod");
    let applied = fixture.ok("Bob", &["apply", "request/1"]);
    assert!(applied.contains("already applied"), "{applied}");
    assert_eq!(output_of(&fixture, "prod"), "prod-2");
    assert_eq!(output_of(&fixture, "stage"), "stage-2");
    let results: Vec<String> = fixture
        .entries("apply-succeeded")
        .iter()
        .map(|e| e["root"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(results, ["infra@stage", "infra@prod"]);
    // Merged into main.
    let main_vars = fixture.repo.git(&["show", "main:infra/env/prod.tfvars"]);
    assert!(main_vars.contains("\"2\""), "{main_vars}");

    // Drift is checked per environment's state.
    let drift = fixture.ok("Bob", &["drift", "check", "--root", "infra@prod"]);
    assert!(drift.contains("infra@prod"), "{drift}");
    let reports = fixture.ok("Bob", &["drift", "list", "--format", "json"]);
    let reports: serde_json::Value = serde_json::from_str(&reports).expect("json");
    assert_eq!(reports[0]["root"], "infra@prod");
    assert_eq!(reports[0]["status"], "clean", "{reports}");
    fixture.ok(
        "Bob",
        &["drift", "ack", "infra@prod", "--note", "checked by hand"],
    );
    let out = fixture.run("Bob", &["drift", "check", "--root", "infra"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("infra@prod"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_plan_made_elsewhere_is_imported_for_one_environment_of_a_shared_directory() {
    let (repo, state) = shared_repo();
    repo.branch("request/1", "main");
    repo.write("infra/env/prod.tfvars", &tfvars("prod", "2"));
    let head = repo.commit_as("prod release 2", &[], ALICE, ALICE);
    repo.checkout("main");
    // CI's plan of prod: its own var file and backend config.
    let tree = repo.scratch("ci").join("tree");
    repo.git(&[
        "worktree",
        "add",
        "--detach",
        "-q",
        &tree.to_string_lossy(),
        &head,
    ]);
    let tf = support::terraform();
    let dir = tree.join("infra");
    tf.run(
        &dir,
        &[
            "init",
            "-input=false",
            "-no-color",
            "-backend-config=env/prod.backend.hcl",
        ],
    );
    tf.run(
        &dir,
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-var-file=env/prod.tfvars",
            "-out=ci.tfplan",
        ],
    );
    let json = tf.run(&dir, &["show", "-json", "ci.tfplan"]);
    let plan = repo.scratch("ci").join("plan.json");
    std::fs::write(&plan, json).expect("plan");
    let fixture = Fixture::with_config(repo, state, SHARED);
    let plan = plan.to_string_lossy().into_owned();
    let out = fixture.run(
        "Bob",
        &["import-plan", "request/1", "--root", "infra", &plan],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("--root infra@prod"),
        "{}",
        text(&out.stderr)
    );
    fixture.ok(
        "Bob",
        &["import-plan", "request/1", "--root", "infra@prod", &plan],
    );
    // The approval binds the imported plan; the apply plans again with
    // prod's own files and finds the same digest. (Stage is touched too:
    // any change in the directory is every environment's.)
    fixture.ok("Bob", &["plan", "request/1", "--root", "infra@stage"]);
    approve(&fixture, "Bob", "request/1", "infra@stage");
    approve(&fixture, "Bob", "request/1", "infra@prod");
    approve(&fixture, "Carol", "request/1", "infra@prod");
    let applied = fixture.ok("Bob", &["apply", "request/1"]);
    assert!(applied.contains("matches the approved"), "{applied}");
    assert_eq!(output_of(&fixture, "prod"), "prod-2");
}

/// A var file or backend config can point its environment at another's
/// state or account: the request does not merge before every environment
/// of the directory approved it.
#[test]
fn a_change_to_one_environments_own_file_touches_every_environment_of_the_directory() {
    let (repo, state) = shared_repo();
    repo.branch("request/1", "main");
    // Stage's backend config now names prod's state.
    repo.write(
        "infra/env/stage.backend.hcl",
        &format!("path = \"{}/prod.tfstate\"\n", state.display()),
    );
    repo.commit_as("stage only?", &[], ALICE, ALICE);
    repo.checkout("main");
    let fixture = Fixture::with_config(repo, state, SHARED);
    assert_eq!(
        roots_of(&fixture, "request/1"),
        [
            ("infra@prod".to_string(), "prod".to_string()),
            ("infra@stage".to_string(), "stage".to_string())
        ]
    );
    // Without prod's two approvals the request never merges.
    fixture.ok("Bob", &["plan", "request/1"]);
    approve(&fixture, "Bob", "request/1", "infra@stage");
    approve(&fixture, "Bob", "request/1", "infra@prod");
    let out = fixture.run("Bob", &["apply", "request/1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("infra@prod") && stderr.contains("approvals"),
        "{stderr}"
    );
    let main_config = fixture
        .repo
        .git(&["show", "main:infra/env/stage.backend.hcl"]);
    assert!(
        main_config.contains("stage.tfstate"),
        "not merged: {main_config}"
    );
}

#[test]
fn environments_choose_their_own_workspace_in_one_directory() {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    let backend = format!(
        "\n    path          = \"{0}/default.tfstate\"\n    workspace_dir = \"{0}/ws\"\n  ",
        state.display()
    );
    repo.write("infra/main.tf", &shared_root(&backend));
    for env in ["stage", "prod"] {
        repo.write(&format!("infra/{env}.tfvars"), &tfvars(env, "1"));
    }
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("base", &[]);
    repo.branch("request/1", "main");
    repo.write(
        "infra/main.tf",
        &format!("{}\n# release note\n", shared_root(&backend)),
    );
    repo.commit_as("touch", &[], ALICE, ALICE);
    repo.checkout("main");
    let config = r#"
[environments.stage]
roots = ["infra"]
var_files = ["stage.tfvars"]
workspace = "stage"
required_approvals = 1
[environments.prod]
roots = ["infra"]
var_files = ["prod.tfvars"]
workspace = "prod"
required_approvals = 1
"#;
    let fixture = Fixture::with_config(repo, state.clone(), config);
    fixture.ok("Bob", &["plan", "request/1"]);
    approve(&fixture, "Bob", "request/1", "infra@stage");
    approve(&fixture, "Bob", "request/1", "infra@prod");
    fixture.ok("Bob", &["apply", "request/1"]);
    for env in ["stage", "prod"] {
        let path = state.join("ws").join(env).join("terraform.tfstate");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("workspace state")).expect("json");
        assert_eq!(json["outputs"]["version"]["value"], format!("{env}-1"));
    }
    assert!(!state.join("default.tfstate").exists());
}

const GITFLOW: &str = r#"
[source]
base = "main"

[[source.requests]]
pattern = "dev/*"
base = "develop"

[[source.requests]]
pattern = "develop"
base = "main"

[environments.stage]
base = "develop"
var_files = ["env/stage.tfvars"]
backend_config = ["env/stage.backend.hcl"]
required_approvals = 1

[environments.prod]
base = "main"
var_files = ["env/prod.tfvars"]
backend_config = ["env/prod.backend.hcl"]
required_approvals = 2
"#;

#[test]
fn gitflow_requests_into_develop_are_stage_and_develop_into_main_is_prod() {
    let (repo, state) = shared_repo();
    repo.branch("develop", "main");
    repo.branch("dev/1", "develop");
    release_both(&repo);
    repo.checkout("main");
    let fixture = Fixture::with_config(repo, state, GITFLOW);

    // dev/1 goes into develop: stage's plan and gate.
    let list = fixture.ok("Bob", &["requests", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    let dev = list
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == "dev/1")
        .expect("dev/1 listed");
    assert_eq!(dev["base"], "develop");
    assert!(
        !list
            .as_array()
            .expect("array")
            .iter()
            .any(|r| r["id"] == "develop"),
        "develop has nothing beyond main yet: {list}"
    );
    assert_eq!(
        roots_of(&fixture, "dev/1"),
        [("infra@stage".to_string(), "stage".to_string())]
    );
    fixture.ok("Bob", &["plan", "dev/1"]);
    approve(&fixture, "Bob", "dev/1", "infra@stage");
    let applied = fixture.ok("Bob", &["apply", "dev/1"]);
    assert!(applied.contains("merged"), "{applied}");
    assert_eq!(output_of(&fixture, "stage"), "stage-2");
    assert!(!fixture.state.join("prod.tfstate").exists());
    let develop_vars = fixture.repo.git(&["show", "develop:infra/env/prod.tfvars"]);
    assert!(develop_vars.contains("\"2\""), "merged into develop");
    let main_vars = fixture.repo.git(&["show", "main:infra/env/prod.tfvars"]);
    assert!(main_vars.contains("\"1\""), "main untouched");

    // The same change promoted: develop into main is prod, two approvals.
    assert_eq!(
        roots_of(&fixture, "develop"),
        [("infra@prod".to_string(), "prod".to_string())]
    );
    // Bob merged dev/1, so his merge commit makes him an author of develop.
    fixture.ok("Bob", &["plan", "develop"]);
    approve(&fixture, "Carol", "develop", "infra@prod");
    let out = fixture.run("Bob", &["apply", "develop"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("approvals"),
        "{}",
        text(&out.stderr)
    );
    approve(&fixture, "Dave", "develop", "infra@prod");
    fixture.ok("Bob", &["apply", "develop"]);
    assert_eq!(output_of(&fixture, "prod"), "prod-2");
    let main_vars = fixture.repo.git(&["show", "main:infra/env/prod.tfvars"]);
    assert!(main_vars.contains("\"2\""), "merged into main");
    // A base branch is never deleted as a merged request branch.
    assert_eq!(fixture.repo.rev("develop").len(), 40);

    // Drift: each environment at its own base's head.
    fixture.ok("Bob", &["drift", "check"]);
    let reports = fixture.ok("Bob", &["drift", "list", "--format", "json"]);
    let reports: serde_json::Value = serde_json::from_str(&reports).expect("json");
    let base_of = |root: &str| -> String {
        reports
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["root"] == root)
            .unwrap_or_else(|| panic!("no report for {root}: {reports}"))["base_commit"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(base_of("infra@stage"), fixture.repo.rev("develop"));
    assert_eq!(base_of("infra@prod"), fixture.repo.rev("main"));
    assert_eq!(reports.as_array().expect("array").len(), 2, "{reports}");
}

#[test]
fn a_clone_without_a_local_develop_lists_the_requests_into_main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    plandeck::demo::build_at(&repo, support::tui::NOW).expect("demo");
    let clone = dir.path().join("clone");
    support::git_in(
        dir.path(),
        &[
            "clone",
            "-q",
            &repo.to_string_lossy(),
            &clone.to_string_lossy(),
        ],
    );
    let home = dir.path().join("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(&clone)
        .args(["requests", "--format", "json"])
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"request/103"), "{ids:?}");
    // No local develop: nothing is listed into it until it is created.
    assert!(!ids.contains(&"feature/108"), "{ids:?}");
}

#[test]
fn the_demo_has_a_gitflow_request_into_develop_shown_with_its_base() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    plandeck::demo::build_at(&repo, support::tui::NOW).expect("demo");
    // The repository's own policy routes feature/* into develop.
    let layer = support::git_in(&repo, &["show", "main:.plandeck.toml"]);
    let mut harness = support::tui::demo_harness(dir.path(), Some(&layer), (200, 40));
    let screen = harness.screen();
    assert!(screen.contains("Base"), "{screen}");
    let line = screen
        .lines()
        .find(|l| l.contains("#108"))
        .unwrap_or_else(|| panic!("no #108:\n{screen}"));
    assert!(
        line.contains("develop") && line.contains("apps/web/stage"),
        "{line}"
    );
    let line = screen.lines().find(|l| l.contains("#103")).expect("#103");
    assert!(line.contains("main"), "{line}");

    // The command line reads the same policy from main.
    let home = dir.path().join("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(&repo)
        .args(["requests", "--format", "json"])
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let feature = list
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == "feature/108")
        .expect("feature/108 listed");
    assert_eq!(feature["base"], "develop");
    assert_eq!(feature["roots"][0]["environment"], "stage");
    assert_eq!(feature["roots"][0]["path"], "apps/web/stage");
}
