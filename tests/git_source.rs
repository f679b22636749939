//! The git source on real repositories: which branches are requests, their
//! numbers, titles, people, changed files and roots, and its errors.

#![allow(clippy::disallowed_types)] // tests the git backend itself

mod support;

use plandeck::backend::prelude::*;
use plandeck::config::{Config, parse};
use plandeck::source::git::GitSource;
use plandeck::source::{BackendError, Identity, Request, RootRef};
use std::path::Path;
use support::{OWNER, TestRepo, Who};

const ALICE: Who = ("Alice Author", "alice@example.com");
const BOB: Who = ("Bob Committer", "bob@example.com");
const CAROL: Who = ("Carol", "carol@example.com");

fn config(toml: &str) -> Config {
    parse(toml, Path::new("test.toml")).expect("config parses")
}

fn open(repo: &TestRepo, toml: &str) -> GitSource {
    GitSource::open(&repo.path, &config(toml)).expect("opens")
}

fn ids(requests: &[Request]) -> Vec<&str> {
    requests.iter().map(|r| r.id.as_str()).collect()
}

fn root(path: &str, environment: Option<&str>) -> RootRef {
    RootRef {
        path: path.into(),
        environment: environment.map(String::from),
        via: Vec::new(),
    }
}

fn who((name, email): Who) -> Identity {
    Identity::git(name, email)
}

/// `main` with three roots, a module and a README.
fn config_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.commit(
        "initial layout",
        &[
            (
                "apps/web/dev1/main.tf",
                "resource \"null_resource\" \"a\" {}\n",
            ),
            (
                "apps/web/prod1/main.tf",
                "resource \"null_resource\" \"a\" {}\n",
            ),
            (
                "apps/db/stage1/main.tf",
                "resource \"null_resource\" \"a\" {}\n",
            ),
            ("apps/db/stage1/templates/init.sh", "echo hi\n"),
            ("README.md", "config repo\n"),
        ],
    );
    repo
}

fn find<'a>(requests: &'a [Request], id: &str) -> &'a Request {
    requests
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("request {id} in {:?}", ids(requests)))
}

#[test]
fn requests_are_unmerged_matching_branches_newest_first() {
    let repo = config_repo();
    repo.branch("request/1", "main");
    let first = repo.commit(
        "Scale web dev",
        &[(
            "apps/web/dev1/main.tf",
            "resource \"null_resource\" \"b\" {}\n",
        )],
    );
    repo.commit(
        "Fix typo",
        &[("apps/web/dev1/vars.tf", "variable \"x\" {}\n")],
    );
    repo.branch("request/2", "main");
    repo.commit(
        "Prod and stage",
        &[
            (
                "apps/web/prod1/main.tf",
                "resource \"null_resource\" \"c\" {}\n",
            ),
            ("apps/db/stage1/templates/init.sh", "echo changed\n"),
        ],
    );
    repo.branch("request/3", "main");
    repo.commit("Merged already", &[("apps/web/dev1/merged.tf", "\n")]);
    repo.checkout("main");
    repo.merge("request/3");
    repo.branch("request/4", "main"); // no commits beyond main
    repo.branch("feature/5", "main");
    repo.commit("Not a request", &[("apps/web/dev1/x.tf", "\n")]);
    repo.branch("request/docs-6", "main");
    repo.commit("Docs only", &[("README.md", "more\n")]);
    repo.checkout("main");

    let requests = open(&repo, "").list_requests().expect("lists");
    assert_eq!(ids(&requests), ["request/docs-6", "request/2", "request/1"]);

    let one = find(&requests, "request/1");
    assert_eq!(one.number, Some(1));
    assert_eq!(one.title, "Scale web dev");
    assert_eq!(one.head, repo.rev("request/1"));
    assert_eq!(one.base, "main");
    assert_eq!(
        one.changed_files,
        ["apps/web/dev1/main.tf", "apps/web/dev1/vars.tf"]
    );
    assert_eq!(one.roots, [root("apps/web/dev1", Some("dev"))]);
    assert_eq!(one.authors, [who(OWNER)]);
    let first_time: i64 = repo
        .git(&["show", "-s", "--format=%ct", &first])
        .trim()
        .parse()
        .expect("time");
    assert_eq!(one.created_at, first_time);
    assert_eq!(one.updated_at, first_time + 60);

    let two = find(&requests, "request/2");
    assert_eq!(
        two.roots,
        [
            root("apps/db/stage1", Some("stage")),
            root("apps/web/prod1", Some("prod"))
        ]
    );
    let docs = find(&requests, "request/docs-6");
    assert_eq!(docs.number, Some(6));
    assert!(docs.roots.is_empty());
    assert_eq!(docs.changed_files, ["README.md"]);
}

#[test]
fn roots_by_globs_take_the_deepest_matching_directory() {
    let repo = config_repo();
    repo.branch("request/7", "main");
    repo.commit(
        "Globs",
        &[
            ("apps/db/stage1/templates/init.sh", "echo changed\n"),
            ("apps/web/notes.txt", "outside any root\n"),
            ("apps/web/prod1/eu/extra.tf", "\n"),
            ("stacks/net/main.tf", "\n"),
        ],
    );
    let globs = "[source]\nroots = [\"apps/*/*\", \"apps/*/*/eu\"]\n";
    let requests = open(&repo, globs).list_requests().expect("lists");
    let roots: Vec<&str> = requests[0].roots.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(roots, ["apps/db/stage1", "apps/web/prod1/eu"]);

    // Without globs: directories holding .tf files; the template belongs to
    // the root above it, the new directory is a root of its own.
    let requests = open(&repo, "").list_requests().expect("lists");
    let roots: Vec<&str> = requests[0].roots.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(roots, ["apps/db/stage1", "apps/web/prod1/eu", "stacks/net"]);
}

#[test]
fn deleted_and_renamed_roots_count() {
    let repo = config_repo();
    repo.branch("request/8", "main");
    repo.remove("apps/web/dev1");
    repo.git(&["mv", "apps/db/stage1", "apps/db/stage2"]);
    repo.commit("Retire dev1, rename stage", &[]);
    let requests = open(&repo, "").list_requests().expect("lists");
    let request = &requests[0];
    assert_eq!(
        request.changed_files,
        [
            "apps/db/stage1/main.tf",
            "apps/db/stage1/templates/init.sh",
            "apps/db/stage2/main.tf",
            "apps/db/stage2/templates/init.sh",
            "apps/web/dev1/main.tf",
        ]
    );
    assert_eq!(
        request.roots,
        [
            root("apps/db/stage1", Some("stage")),
            root("apps/db/stage2", Some("stage")),
            root("apps/web/dev1", Some("dev")),
        ]
    );
}

#[test]
fn environments_from_config_globs_then_names() {
    let repo = config_repo();
    repo.branch("request/9", "main");
    repo.commit(
        "Everywhere",
        &[
            ("apps/web/dev1/a.tf", "\n"),
            ("apps/web/prod1/a.tf", "\n"),
            ("shared/dns/a.tf", "\n"),
        ],
    );
    let toml = "[environments.production]\nroots = [\"apps/*/prod*\"]\n\
                [environments.global]\nroots = [\"shared/**\"]\n";
    let requests = open(&repo, toml).list_requests().expect("lists");
    assert_eq!(
        requests[0].roots,
        [
            root("apps/web/dev1", Some("dev")),
            root("apps/web/prod1", Some("production")),
            root("shared/dns", Some("global")),
        ]
    );
}

#[test]
fn authors_and_committers_in_order_of_first_appearance() {
    let repo = config_repo();
    repo.branch("request/10", "main");
    repo.commit_as("First", &[("apps/web/dev1/a.tf", "\n")], ALICE, BOB);
    repo.commit_as("Second", &[("apps/web/dev1/b.tf", "\n")], CAROL, CAROL);
    repo.commit_as("Third", &[("apps/web/dev1/c.tf", "\n")], ALICE, ALICE);
    let requests = open(&repo, "").list_requests().expect("lists");
    let request = &requests[0];
    assert_eq!(request.title, "First");
    assert_eq!(request.authors, [who(ALICE), who(CAROL)]);
    assert_eq!(request.committers, [who(BOB), who(CAROL), who(ALICE)]);
}

#[test]
fn hostile_text_is_kept_raw() {
    let repo = config_repo();
    let branch = "request/11-\u{202e}txt.exe";
    repo.branch(branch, "main");
    let subject = "\u{1b}[31mred\u{1b}[0m \u{202e}evil\u{200b} title";
    let file = "apps/web/dev1/we\nird\u{1b}.tf";
    let evil: Who = ("Mallory \u{202e}", "mallory@example.com");
    repo.commit_as(subject, &[(file, "\n")], evil, evil);
    let requests = open(&repo, "").list_requests().expect("lists");
    let request = &requests[0];
    assert_eq!(request.id, branch);
    assert_eq!(request.number, None);
    assert_eq!(request.title, subject);
    assert_eq!(request.changed_files, [file]);
    assert_eq!(request.authors, [who(evil)]);
    assert_eq!(request.roots, [root("apps/web/dev1", Some("dev"))]);
}

#[test]
fn custom_pattern_and_base() {
    let repo = config_repo();
    repo.branch("trunk", "main");
    repo.commit("Trunk moves on", &[("README.md", "trunk\n")]);
    repo.branch("change-12", "trunk");
    repo.commit("On trunk", &[("apps/web/prod1/a.tf", "\n")]);
    repo.branch("request/13", "main");
    repo.commit("Ignored", &[("apps/web/prod1/b.tf", "\n")]);
    let toml = "[source]\nrequest_pattern = \"change-*\"\nbase = \"trunk\"\n";
    let requests = open(&repo, toml).list_requests().expect("lists");
    assert_eq!(ids(&requests), ["change-12"]);
    assert_eq!(requests[0].base, "trunk");
    assert_eq!(requests[0].changed_files, ["apps/web/prod1/a.tf"]);
}

#[test]
fn resolve_by_name_or_number() {
    let repo = config_repo();
    repo.branch("request/14", "main");
    repo.commit("Fourteen", &[("apps/web/dev1/a.tf", "\n")]);
    repo.branch("request/hotfix-15", "main");
    repo.commit("Hotfix", &[("apps/web/dev1/b.tf", "\n")]);
    repo.branch("request/15", "main");
    repo.commit("Fifteen", &[("apps/web/dev1/c.tf", "\n")]);
    let source = open(&repo, "");
    assert_eq!(
        source.resolve_request("request/14").expect("by name").title,
        "Fourteen"
    );
    assert_eq!(
        source.resolve_request("14").expect("by number").id,
        "request/14"
    );
    assert_eq!(
        source.resolve_request("#14").expect("by #number").id,
        "request/14"
    );
    let ambiguous = source.resolve_request("15").expect_err("two numbered 15");
    let text = ambiguous.to_string();
    assert!(
        text.contains("ambiguous") && text.contains("request/hotfix-15"),
        "{text}"
    );
    assert_eq!(
        source.resolve_request("request/15").expect("exact").title,
        "Fifteen"
    );
    let missing = source.resolve_request("99").expect_err("none");
    assert!(matches!(missing, BackendError::NotFound(_)), "{missing}");
    assert!(
        missing.to_string().contains("no open request `99`"),
        "{missing}"
    );
}

#[test]
fn code_diff_and_reviewer() {
    let repo = config_repo();
    repo.branch("request/16", "main");
    repo.commit(
        "Change",
        &[(
            "apps/web/dev1/main.tf",
            "resource \"null_resource\" \"z\" {}\n",
        )],
    );
    repo.checkout("main");
    repo.commit("Main moves on", &[("README.md", "later\n")]);
    let source = open(&repo, "");
    let request = source.resolve_request("16").expect("request");
    let diff = source.code_diff(&request).expect("diff");
    assert!(diff.contains("--- a/apps/web/dev1/main.tf"), "{diff}");
    assert!(
        diff.contains("+resource \"null_resource\" \"z\" {}"),
        "{diff}"
    );
    // A merge-base diff: main's later commit is not part of the request.
    assert!(!diff.contains("README.md"), "{diff}");
    assert_eq!(source.reviewer().expect("reviewer"), who(OWNER));
    assert!(source.describe().contains("request/*"));
}

#[test]
fn a_directory_that_is_not_a_repository_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = GitSource::open(dir.path(), &Config::default()).expect_err("not a repo");
    let text = err.to_string();
    assert!(text.contains("not a git repository"), "{text}");
    assert!(!text.contains('\n'));
    let missing = dir.path().join("nope");
    let err = GitSource::open(&missing, &Config::default()).expect_err("no dir");
    assert!(err.to_string().contains("no such directory"), "{err}");
}

#[test]
fn a_missing_base_branch_is_refused() {
    let repo = config_repo();
    let err =
        GitSource::open(&repo.path, &config("[source]\nbase = \"trunk\"\n")).expect_err("no trunk");
    let text = err.to_string();
    assert!(
        text.contains("base branch `trunk` does not exist"),
        "{text}"
    );
}

#[test]
fn an_empty_repository_has_no_base() {
    let repo = TestRepo::new();
    let err = GitSource::open(&repo.path, &Config::default()).expect_err("no commits");
    assert!(err.to_string().contains("base branch `main`"), "{err}");
}

#[test]
fn a_root_at_the_top_and_a_pattern_with_two_stars() {
    let repo = TestRepo::new();
    repo.commit("Top", &[("main.tf", "\n"), ("modules/vpc/main.tf", "\n")]);
    repo.branch("team-a/change-17", "main");
    repo.commit(
        "Top-level change",
        &[("variables.tf", "\n"), ("docs/notes.md", "\n")],
    );
    repo.branch("team-b/fix", "main");
    repo.commit("Not matching", &[("main.tf", "# x\n")]);
    let toml = "[source]\nrequest_pattern = \"team-*/change-*\"\n";
    let requests = open(&repo, toml).list_requests().expect("lists");
    assert_eq!(ids(&requests), ["team-a/change-17"]);
    assert_eq!(requests[0].number, Some(17));
    assert_eq!(requests[0].roots, [root(".", None)]);
}

/// Runs git in `dir`, panicking with its message on failure.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = support::git_command(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_fresh_clone_lists_the_remotes_requests_and_a_local_branch_wins() {
    let repo = config_repo();
    repo.branch("request/1", "main");
    repo.commit("Scale web dev", &[("apps/web/dev1/main.tf", "# scaled\n")]);
    repo.branch("request/2", "main");
    repo.commit("Touch prod", &[("apps/web/prod1/main.tf", "# touched\n")]);
    repo.branch("request/3", "main");
    repo.commit("Merged already", &[("README.md", "merged\n")]);
    repo.checkout("main");
    repo.merge("request/3");
    let clone_dir = repo.scratch("clone");
    let clone = clone_dir.join("repo");
    git_in(
        &clone_dir,
        &["clone", "-q", repo.path.to_str().expect("path"), "repo"],
    );
    let source = GitSource::open(&clone, &config("")).expect("opens the clone");
    let requests = source.list_requests().expect("lists");
    assert_eq!(ids(&requests), ["request/2", "request/1"]);
    assert_eq!(find(&requests, "request/1").head, repo.rev("request/1"));
    assert_eq!(
        find(&requests, "request/2").roots,
        [root("apps/web/prod1", Some("prod"))]
    );

    // A local branch of the same name (the operator's newer work) wins.
    git_in(
        &clone,
        &["checkout", "-q", "-b", "request/1", "origin/request/1"],
    );
    git_in(&clone, &["config", "user.name", "Alice Author"]);
    git_in(&clone, &["config", "user.email", "alice@example.com"]);
    std::fs::write(clone.join("apps/web/dev1/main.tf"), "# scaled twice\n").expect("write");
    git_in(&clone, &["commit", "-q", "-am", "Scale again"]);
    let local_head = git_in(&clone, &["rev-parse", "HEAD"]).trim().to_string();
    let requests = source.list_requests().expect("lists");
    assert_eq!(requests.len(), 2, "{:?}", ids(&requests));
    assert_eq!(find(&requests, "request/1").head, local_head);

    // With `remote = ""` only local branches are requests.
    let local_only = GitSource::open(&clone, &config("[source]\nremote = \"\"\n")).expect("opens");
    assert_eq!(
        ids(&local_only.list_requests().expect("lists")),
        ["request/1"]
    );
}

/// A merged request's branch goes only while it points at the merged head
/// and is not checked out; a request of the remote has no branch here.
#[test]
fn a_request_branch_is_deleted_only_at_its_merged_head() {
    let repo = config_repo();
    repo.branch("request/21", "main");
    repo.commit("Twenty-one", &[("apps/web/dev1/a.tf", "\n")]);
    repo.checkout("main");
    let source = open(&repo, "");
    let request = source.resolve_request("request/21").expect("resolves");
    // Pushed to since: kept.
    repo.checkout("request/21");
    repo.commit("One more", &[("apps/web/dev1/b.tf", "\n")]);
    let moved = repo.rev("request/21");
    repo.checkout("main");
    let err = source.delete_branch(&request).expect_err("moved");
    assert!(matches!(err, BackendError::Conflict(_)), "{err:?}");
    assert_eq!(repo.rev("request/21"), moved);
    // Checked out: kept.
    let request = source.resolve_request("request/21").expect("resolves");
    repo.checkout("request/21");
    let err = source.delete_branch(&request).expect_err("checked out");
    assert!(err.to_string().contains("checked out here"), "{err}");
    // At its head and not checked out: deleted, once.
    repo.checkout("main");
    assert!(source.delete_branch(&request).expect("deletes"));
    assert!(
        repo.git(&["branch", "--list", "request/21"])
            .trim()
            .is_empty()
    );
    assert!(!source.delete_branch(&request).expect("nothing left"));
}
