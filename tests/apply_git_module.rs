//! A module fetched from a git branch, with the real Terraform 1.0.3 (which
//! clones it with the system git) and null provider, on real repositories:
//! the source is listed as moving and makes the plan critical; two people
//! approve it (acknowledging the source); the branch then moves, changing
//! only a provisioner's command, and `plandeck apply` refuses it as drift,
//! blocks the request and names the provisioner in the difference.

mod support;

use serde_json::Value;
use std::path::Path;
use support::TestRepo;
use support::apply::{ALICE, Fixture, terraform_block, text};

const ROOT: &str = "apps/web/prod";

fn module_tf(command: &str) -> String {
    format!(
        r#"resource "null_resource" "hook" {{
  provisioner "local-exec" {{
    command = "{command}"
  }}
}}
"#
    )
}

fn root_tf(state: &Path, module: &str) -> String {
    format!(
        "{header}\nmodule \"remote\" {{\n  source = \"{module}\"\n}}\n",
        header = terraform_block(state, "prod")
    )
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn a_module_on_a_moving_branch_is_critical_and_its_edited_provisioner_is_drift() {
    // The module's own repository, on branch main.
    let modules = TestRepo::new();
    modules.commit("hook", &[("main.tf", &module_tf("echo release one"))]);
    let source = format!("git::file://{}?ref=main", modules.path.display());

    let repo = TestRepo::new();
    let state = repo.scratch("state");
    repo.commit(
        "base",
        &[
            (".gitignore", ".terraform/\n.terraform.lock.hcl\n"),
            (&format!("{ROOT}/README.md"), "prod\n"),
        ],
    );
    repo.branch("request/1", "main");
    repo.commit_as(
        "prod: the remote hook",
        &[(&format!("{ROOT}/main.tf"), &root_tf(&state, &source))],
        ALICE,
        ALICE,
    );
    repo.checkout("main");
    let fx = Fixture::with_config(repo, state, "");
    fx.ok("Bob", &["plan", "request/1"]);

    // The source is listed as moving, and the plan is critical.
    let requests = json(&fx.ok("Bob", &["requests", "--format", "json"]));
    let root = &requests[0]["roots"][0];
    assert_eq!(root["path"], ROOT, "{requests:#}");
    assert_eq!(root["risk"], "critical", "{requests:#}");
    let stored = fx
        .repo
        .git_dir()
        .join("plandeck/plans/request%2F1/apps%2Fweb%2Fprod/plan.json");
    let stored = stored.to_str().expect("path");
    let summary = json(&fx.ok("Bob", &["summary", stored, "--format", "json"]));
    assert_eq!(summary["risk"]["highest"], "critical");
    let moving = &summary["moving_module_sources"];
    assert_eq!(moving[0]["module"], "module.remote", "{summary:#}");
    assert_eq!(moving[0]["source"], source.as_str());
    assert!(
        moving[0]["why"]
            .as_str()
            .is_some_and(|w| w.contains("not a full commit SHA")),
        "{moving}"
    );
    let shown = fx.ok("Bob", &["show", stored, "--color", "never"]);
    assert!(
        shown.starts_with("!! MODULE SOURCES CAN MOVE (1)"),
        "{shown}"
    );
    let check = fx.run("Bob", &["check", stored]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stdout));
    // What Terraform 1.0.3 writes for the provisioner, as the digest reads it.
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(stored).expect("plan")).expect("json");
    let provisioner = &plan["configuration"]["root_module"]["module_calls"]["remote"]["module"]["resources"]
        [0]["provisioners"][0];
    assert_eq!(provisioner["type"], "local-exec", "{plan:#}");
    assert_eq!(
        provisioner["expressions"]["command"]["constant_value"],
        "echo release one"
    );

    // Two people approve, each acknowledging the moving source.
    let approve = |person: &str, ack: &[&str]| {
        let args = [&["approve", "request/1", "--root", ROOT][..], ack].concat();
        fx.run(person, &args)
    };
    let refused = approve("Bob", &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("module source(s) can move and were not acknowledged"),
        "{}",
        text(&refused.stderr)
    );
    for person in ["Bob", "Carol"] {
        let out = approve(person, &["--ack", "module.remote"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(status.contains("2/2 approvals"), "{status}");

    // The branch moves: only the provisioner's command changes.
    modules.commit("hook", &[("main.tf", &module_tf("echo release two"))]);
    let main_before = fx.repo.rev("main");
    let out = fx.run("Bob", &["apply", "request/1"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("drift"), "{}", text(&out.stderr));
    assert!(stdout.contains(&format!("{ROOT}: DRIFT")), "{stdout}");
    assert!(
        stdout
            .contains("  ~ provisioner changed: local-exec #1 of module.remote.null_resource.hook"),
        "the difference names the provisioner:\n{stdout}"
    );
    assert!(
        stdout.contains("      command: \"echo release one\" → \"echo release two\""),
        "{stdout}"
    );
    assert!(
        !stdout.contains("(local-exec): release two"),
        "the new command did not run:\n{stdout}"
    );
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        status.contains("blocked by Bob <bob@example.com>: drift"),
        "{status}"
    );
    assert!(fx.entries("drift-block").len() == 1);
    assert!(fx.entries("apply-succeeded").is_empty());
    // Nothing was applied: the state holds no resource.
    let state = fx.state.join("prod.tfstate");
    if state.exists() {
        let resources = fx.state_json("prod")["resources"].clone();
        assert!(
            resources.as_array().is_none_or(Vec::is_empty),
            "{resources}"
        );
    }
}
