//! Which roots a request affects, on real repositories: the roots holding
//! its changed files, the roots that call a changed local module (also
//! transitively, also a deleted one), never through a `source` that leaves
//! the repository or a commented-out call; and how directory globs match
//! (`*` within a segment, `**` across).

#![allow(clippy::disallowed_types)] // tests the git backend itself

mod support;

use plandeck::backend::prelude::*;
use plandeck::config::{Config, parse};
use plandeck::source::git::GitSource;
use plandeck::source::{Request, RootRef};
use std::path::Path;
use support::TestRepo;

fn config(toml: &str) -> Config {
    parse(toml, Path::new("test.toml")).expect("config parses")
}

fn requests(repo: &TestRepo, toml: &str) -> Vec<Request> {
    GitSource::open(&repo.path, &config(toml))
        .expect("opens")
        .list_requests()
        .expect("lists")
}

fn only(repo: &TestRepo, toml: &str) -> Request {
    let mut all = requests(repo, toml);
    assert_eq!(all.len(), 1, "one request: {all:?}");
    all.remove(0)
}

fn paths(request: &Request) -> Vec<&str> {
    request.roots.iter().map(|r| r.path.as_str()).collect()
}

fn root<'a>(request: &'a Request, path: &str) -> &'a RootRef {
    request
        .roots
        .iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("{path} in {:?}", paths(request)))
}

const ENVIRONMENTS: &str = "[environments.development]\nroots = [\"apps/*/dev*\"]\n\
                            [environments.production]\nroots = [\"apps/**/prod*\"]\n";

#[test]
fn a_star_stays_in_one_segment_and_a_double_star_crosses() {
    let repo = TestRepo::new();
    repo.commit("base", &[("apps/web/dev/main.tf", "\n")]);
    repo.branch("request/1", "main");
    repo.commit(
        "New roots",
        &[
            ("apps/web/dev/eu-prod/main.tf", "\n"),
            ("apps/web/dev-eu/main.tf", "\n"),
            ("apps/web/eu/prod1/main.tf", "\n"),
            ("apps/prod2/main.tf", "\n"),
        ],
    );
    let request = only(&repo, ENVIRONMENTS);
    assert_eq!(
        paths(&request),
        [
            "apps/prod2",
            "apps/web/dev-eu",
            "apps/web/dev/eu-prod",
            "apps/web/eu/prod1"
        ]
    );
    let env = |path: &str| root(&request, path).environment.as_deref();
    // `apps/*/dev*` does not reach below apps/web/dev: the new directory is
    // classified by its own name, prod, not given dev's policy.
    assert_eq!(env("apps/web/dev/eu-prod"), Some("prod"));
    assert_eq!(env("apps/web/dev-eu"), Some("development"));
    // `**` crosses any number of segments, none included.
    assert_eq!(env("apps/web/eu/prod1"), Some("production"));
    assert_eq!(env("apps/prod2"), Some("production"));

    // `[source] roots` globs follow the same rule: `apps/*` is one level, so
    // the files below apps/web belong to apps/web unless `**` reaches deeper.
    let request = only(&repo, "[source]\nroots = [\"apps/*\", \"apps/**/prod1\"]\n");
    assert_eq!(
        paths(&request),
        ["apps/prod2", "apps/web", "apps/web/eu/prod1"]
    );
}

/// `source = "…"` in a module block named `name`.
fn call(name: &str, source: &str) -> String {
    format!("module \"{name}\" {{\n  source = \"{source}\"\n}}\n")
}

const RESOURCE: &str = "resource \"null_resource\" \"a\" {}\n";

/// envs/prod calls modules/shared; envs/dev calls nothing.
fn shared_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.commit(
        "base",
        &[
            ("envs/prod/main.tf", &call("shared", "../../modules/shared")),
            ("envs/dev/main.tf", RESOURCE),
            ("modules/shared/main.tf", RESOURCE),
            ("modules/shared/templates/init.sh", "echo 1\n"),
        ],
    );
    repo
}

fn via<'a>(request: &'a Request, path: &str) -> Vec<&'a str> {
    root(request, path).via.iter().map(String::as_str).collect()
}

#[test]
fn a_root_calling_a_changed_shared_module_is_affected_via_it() {
    let repo = shared_repo();
    repo.branch("request/1", "main");
    repo.commit(
        "Shared and dev",
        &[
            ("modules/shared/templates/init.sh", "echo 2\n"),
            ("envs/dev/main.tf", "# dev\n"),
        ],
    );
    // Without globs the module directory is not a root of its own.
    let request = only(&repo, "");
    assert_eq!(paths(&request), ["envs/dev", "envs/prod"]);
    assert_eq!(via(&request, "envs/dev"), Vec::<&str>::new());
    assert_eq!(via(&request, "envs/prod"), ["modules/shared"]);
    assert_eq!(
        root(&request, "envs/prod").environment.as_deref(),
        Some("prod")
    );
    // With globs, the same.
    let request = only(&repo, "[source]\nroots = [\"envs/*\"]\n");
    assert_eq!(paths(&request), ["envs/dev", "envs/prod"]);
    assert_eq!(via(&request, "envs/prod"), ["modules/shared"]);
    // A request touching dev alone leaves prod out.
    repo.branch("request/2", "main");
    repo.commit("Dev only", &[("envs/dev/main.tf", "# dev only\n")]);
    let all = requests(&repo, "");
    let dev_only = all.iter().find(|r| r.id == "request/2").expect("request/2");
    assert_eq!(paths(dev_only), ["envs/dev"]);
}

#[test]
fn module_calls_are_followed_transitively_and_in_json_syntax() {
    let repo = TestRepo::new();
    repo.commit(
        "base",
        &[
            ("envs/prod/main.tf", &call("a", "../../modules/a")),
            (
                "envs/stage/main.tf.json",
                "{\"module\": {\"a\": {\"source\": \"../../modules/a/\"}}}",
            ),
            ("envs/dev/main.tf", &call("c", "../../modules/c")),
            ("modules/a/main.tf", &call("b", "../b")),
            ("modules/b/main.tf", RESOURCE),
            ("modules/c/main.tf", RESOURCE),
        ],
    );
    repo.branch("request/1", "main");
    repo.commit("Deep change", &[("modules/b/main.tf", "# b\n")]);
    let request = only(&repo, "");
    assert_eq!(paths(&request), ["envs/prod", "envs/stage"]);
    assert_eq!(via(&request, "envs/prod"), ["modules/b"]);
    assert_eq!(via(&request, "envs/stage"), ["modules/b"]);
}

#[test]
fn a_source_leaving_the_repository_and_commented_calls_are_ignored() {
    let repo = TestRepo::new();
    // `../../../x` from envs/prod is beside the repository: never followed.
    let outside = repo.scratch("x");
    std::fs::write(outside.join("main.tf"), RESOURCE).expect("outside module");
    let prod = format!(
        "{}{}# module \"old\" {{ source = \"../../modules/shared\" }}\n\
         /* module \"older\" {{\n  source = \"../../modules/shared\"\n}} */\n\
         locals {{\n  doc = <<-EOT\n    module \"doc\" {{ source = \"../../modules/shared\" }}\n  EOT\n}}\n",
        call("outside", "../../../x"),
        call("climbing", "../../../repo/modules/shared"),
    );
    // Above the top and down again: not the repository's modules/shared.
    let prod = format!("{prod}{}", call("aliased", "../../../modules/shared"));
    repo.commit(
        "base",
        &[
            ("envs/prod/main.tf", &prod),
            ("envs/dev/main.tf", RESOURCE),
            ("modules/shared/main.tf", RESOURCE),
        ],
    );
    repo.branch("request/1", "main");
    repo.commit(
        "Shared and dev",
        &[
            ("modules/shared/main.tf", "# changed\n"),
            ("envs/dev/main.tf", "# dev\n"),
        ],
    );
    // modules/shared is called by nobody: a root of its own, changed.
    let request = only(&repo, "");
    assert_eq!(paths(&request), ["envs/dev", "modules/shared"]);
    let request = only(&repo, "[source]\nroots = [\"envs/*\"]\n");
    assert_eq!(paths(&request), ["envs/dev"]);
}

#[test]
fn a_deleted_module_and_a_removed_call_still_count() {
    let repo = TestRepo::new();
    repo.commit(
        "base",
        &[
            ("envs/prod/main.tf", &call("a", "../../modules/a")),
            ("envs/stage/main.tf", &call("old", "../../modules/old")),
            ("modules/a/main.tf", &call("b", "../b")),
            ("modules/b/main.tf", RESOURCE),
            ("modules/old/main.tf", RESOURCE),
        ],
    );
    repo.branch("request/1", "main");
    // modules/a stops calling modules/b, which is deleted; modules/old is
    // deleted while stage still calls it.
    repo.remove("modules/b");
    repo.remove("modules/old");
    repo.commit("Drop b and old", &[("modules/a/main.tf", RESOURCE)]);
    let request = only(&repo, "");
    assert_eq!(paths(&request), ["envs/prod", "envs/stage"]);
    // b is reached through the merge base's modules/a only.
    assert_eq!(via(&request, "envs/prod"), ["modules/a", "modules/b"]);
    assert_eq!(via(&request, "envs/stage"), ["modules/old"]);
}

#[test]
fn a_request_cannot_turn_a_root_into_a_module() {
    let repo = shared_repo();
    repo.branch("request/1", "main");
    // dev now calls prod as a module and changes it: prod stays a root.
    repo.commit(
        "Sneaky",
        &[
            ("envs/dev/main.tf", &call("prod", "../prod")),
            ("envs/prod/extra.tf", RESOURCE),
        ],
    );
    let request = only(&repo, "");
    assert_eq!(paths(&request), ["envs/dev", "envs/prod"]);
    assert_eq!(via(&request, "envs/prod"), Vec::<&str>::new());
}

#[test]
fn a_module_reached_through_a_symlink_counts() {
    let repo = TestRepo::new();
    repo.commit(
        "base",
        &[
            (
                "envs/prod/main.tf",
                &call("shared", "../../modules/current"),
            ),
            ("envs/dev/main.tf", RESOURCE),
            ("modules/v1/main.tf", RESOURCE),
        ],
    );
    std::os::unix::fs::symlink("v1", repo.path.join("modules/current")).expect("symlink");
    repo.commit("link", &[]);
    repo.branch("request/1", "main");
    repo.commit(
        "Change v1",
        &[
            ("modules/v1/main.tf", "# v1\n"),
            ("envs/dev/main.tf", "# dev\n"),
        ],
    );
    let request = only(&repo, "[source]\nroots = [\"envs/*\"]\n");
    assert_eq!(paths(&request), ["envs/dev", "envs/prod"]);
    assert_eq!(via(&request, "envs/prod"), ["modules/v1"]);
}

#[test]
fn the_tui_shows_why_a_root_is_affected() {
    let repo = shared_repo();
    repo.branch("request/1", "main");
    repo.commit(
        "Shared and dev",
        &[
            ("modules/shared/main.tf", "# shared \u{1b}[31m\n"),
            ("envs/dev/main.tf", "# dev\n"),
        ],
    );
    let loaded = plandeck::config::load(None).expect("defaults");
    let source = GitSource::open(&repo.path, &loaded.config).expect("opens");
    let data = repo.scratch("data");
    let mut h = support::tui::harness(source, &loaded, (140, 30), data);
    let list = h.screen();
    let row = support::tui::row(&list, "Shared and dev");
    assert!(row.contains("dev") && row.contains("prod"), "{list}");
    assert!(row.contains("via modules/shared"), "{list}");
    // The matrix names the module on prod's row only.
    h.press("<Enter>");
    let matrix = h.screen();
    let prod = support::tui::row(&matrix, "envs/prod");
    assert!(prod.contains("envs/prod via modules/shared"), "{matrix}");
    assert!(
        !support::tui::row(&matrix, "envs/dev").contains("via"),
        "{matrix}"
    );
}

#[test]
fn a_hostile_module_path_is_escaped_on_screen() {
    let repo = TestRepo::new();
    let evil = "modules/\u{1b}]0;pwned\u{7}x";
    repo.commit(
        "base",
        &[
            ("envs/prod/main.tf", &call("x", &format!("../../{evil}"))),
            (&format!("{evil}/main.tf"), RESOURCE),
            ("envs/dev/main.tf", RESOURCE),
        ],
    );
    repo.branch("request/1", "main");
    repo.commit("Evil", &[(&format!("{evil}/main.tf"), "# changed\n")]);
    let request = only(&repo, "");
    assert_eq!(via(&request, "envs/prod"), [evil]);
    let loaded = plandeck::config::load(None).expect("defaults");
    let source = GitSource::open(&repo.path, &loaded.config).expect("opens");
    let mut h = support::tui::harness(source, &loaded, (140, 30), repo.scratch("data"));
    let list = h.screen();
    assert!(
        !list.contains('\u{1b}') && !list.contains('\u{7}'),
        "{list:?}"
    );
    // Escaped (and cut to the column).
    assert!(list.contains("via modules/\\x1b]0;pwne"), "{list}");
    // And on the command line, text and JSON.
    let config = repo.scratch("config").join("plandeck.toml");
    std::fs::write(&config, "").expect("config");
    for format in ["text", "json"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .arg("--repo")
            .arg(&repo.path)
            .arg("--config")
            .arg(&config)
            .args(["requests", "--format", format])
            .output()
            .expect("plandeck runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(
            !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
            "{stdout:?}"
        );
        let shown = if format == "text" {
            "via modules/\\x1b]0;pwned\\x07x"
        } else {
            "modules/\\u001b]0;pwned\\u0007x"
        };
        assert!(stdout.contains(shown), "{format}: {stdout}");
    }
}
