//! Nothing from outside the approved tree, with the real Terraform 1.0.3
//! and null provider: a symlinked file, a symlinked root directory and a
//! local module reaching out of the worktree are refused at plan and at
//! apply, with the path named, and nothing is applied.

mod support;

use std::path::Path;
use support::apply::{ALICE, Fixture, terraform_block, text};
use support::{TestRepo, terraform};

fn root_tf(state: &Path, name: &str, trigger: &str) -> String {
    format!(
        "{}\nresource \"null_resource\" \"app\" {{\n  triggers = {{\n    v = \"{trigger}\"\n  }}\n}}\n",
        terraform_block(state, name)
    )
}

/// main holds `apps/web/prod` applied at "1"; request/1 changes it to "2"
/// and then `change` adds what reaches out of the tree.
fn fixture(change: impl FnOnce(&TestRepo, &Path)) -> (Fixture, tempfile::TempDir) {
    let outside = tempfile::tempdir().expect("outside");
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    repo.write("apps/web/prod/main.tf", &root_tf(&state, "prod", "1"));
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("base", &[]);
    terraform().apply(&repo.path.join("apps/web/prod"));
    repo.branch("request/1", "main");
    repo.write("apps/web/prod/main.tf", &root_tf(&state, "prod", "2"));
    change(&repo, outside.path());
    repo.commit_as("version 2", &[], ALICE, ALICE);
    repo.checkout("main");
    let fx = Fixture::with_config(repo, state, "");
    (fx, outside)
}

fn refused_plan(fx: &Fixture, why: &str) {
    let out = fx.run("Bob", &["plan", "request/1"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains(why), "{all} lacks {why}");
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_leaving_the_tree_is_refused_at_plan_and_at_apply() {
    use std::os::unix::fs::symlink;
    let (fx, outside) = fixture(|repo, outside| {
        std::fs::write(
            outside.join("extra.tf"),
            "resource \"null_resource\" \"sneaky\" {}\n",
        )
        .expect("outside file");
        symlink(
            outside.join("extra.tf"),
            repo.path.join("apps/web/prod/extra.tf"),
        )
        .expect("link");
    });
    refused_plan(&fx, "the symlink apps/web/prod/extra.tf");
    // A plan made elsewhere (CI) is imported and approved by two people:
    // the apply still refuses, because it plans again in the approved tree.
    let dir = outside.path().join("ci");
    std::fs::create_dir(&dir).expect("ci dir");
    std::fs::write(dir.join("main.tf"), root_tf(&fx.state, "prod", "2")).expect("ci root");
    let tf = terraform();
    tf.run(&dir, &["init", "-input=false"]);
    tf.run(&dir, &["plan", "-input=false", "-out=plan.tfplan"]);
    let json = tf.run(&dir, &["show", "-json", "plan.tfplan"]);
    std::fs::write(dir.join("plan.json"), json).expect("plan json");
    let plan_json = dir.join("plan.json").display().to_string();
    fx.ok(
        "Bob",
        &[
            "import-plan",
            "request/1",
            "--root",
            "apps/web/prod",
            &plan_json,
        ],
    );
    for person in ["Bob", "Carol"] {
        fx.approve(person, "apps/web/prod");
    }
    let out = fx.run("Bob", &["apply", "request/1"]);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("tree: the symlink apps/web/prod/extra.tf"),
        "{all}"
    );
    assert!(fx.entries("apply-succeeded").is_empty(), "nothing applied");
    let state = fx.state_json("prod");
    assert!(
        state.to_string().contains("\"v\":\"1\""),
        "the state keeps version 1: {state}"
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_root_directory_is_refused() {
    let (fx, _outside) = fixture(|repo, outside| {
        let dir = outside.join("stage");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::write(dir.join("main.tf"), "resource \"null_resource\" \"x\" {}\n").expect("tf");
        std::os::unix::fs::symlink(&dir, repo.path.join("apps/web/stage")).expect("link");
    });
    // Every link of the tree is checked, so the request's other root is
    // refused too: nothing the approved commit holds may lead out of it.
    refused_plan(&fx, "the symlink apps/web/stage -> ");
}

#[test]
fn a_local_module_outside_the_tree_is_refused() {
    let (fx, _outside) = fixture(|repo, outside| {
        let module = outside.join("module");
        std::fs::create_dir(&module).expect("dir");
        std::fs::write(
            module.join("main.tf"),
            "resource \"null_resource\" \"m\" {}\n",
        )
        .expect("tf");
        // Enough `..` to reach `/`, then the absolute path: out of any worktree.
        let source = format!(
            "{}{}",
            "../".repeat(40),
            module.display().to_string().trim_start_matches('/')
        );
        repo.write(
            "apps/web/prod/module.tf",
            &format!("module \"outside\" {{\n  source = \"{source}\"\n}}\n"),
        );
    });
    refused_plan(&fx, "module outside");
}
