//! Which roots a request affects, on real repositories: the roots holding
//! its changed files, the roots that call a changed local module (also
//! transitively, also a deleted one), never through a `source` that leaves
//! the repository or a commented-out call; and how directory globs match
//! (`*` within a segment, `**` across).

mod support;

use plandeck::config::{Config, parse};
use plandeck::source::git::GitSource;
use plandeck::source::{Request, RootRef, Source};
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
