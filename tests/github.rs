//! The GitHub source against the emulated GitHub REST API on 127.0.0.1
//! (tests/support/github.rs): listing with pagination and filters, the
//! authors, roots and diff of a request, the reviewer, ETag revalidation,
//! and every failure mapped to the error a front end acts on, with the
//! token never in any message.

#[path = "support/github.rs"]
mod emulator;

use emulator::{ANN, BOB, CommitSpec, Fault, GitHub, OCTOCAT, Pull, TOKEN};
use plandeck::backend::prelude::*;
use plandeck::backend::{BackendError, ErrorKind};
use plandeck::domain::{Identity, Provider};
use plandeck::source::github::{GitHubSource, Token};
use std::path::Path;

const REPO: &str = "octo-org/infra";

fn config(url: &str, extra: &str) -> plandeck::config::Config {
    let text = format!(
        "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n\n\
         [github]\nrepo = \"{REPO}\"\napi_url = \"{url}\"\n{extra}"
    );
    let loaded = plandeck::config::load_str(&text, "test.toml".into()).expect("config");
    loaded.config
}

fn source(github: &GitHub, extra: &str) -> GitHubSource {
    let token = Token::new(TOKEN.into(), "test").expect("token");
    let data = github.data.path().to_path_buf();
    GitHubSource::connect_in(
        &config(&github.url(), extra),
        token,
        std::time::Duration::from_secs(30),
        data,
    )
    .expect("opens")
}

fn emulator() -> GitHub {
    GitHub::start(REPO)
}

fn numbers(requests: &[plandeck::domain::Request]) -> Vec<u64> {
    let mut all: Vec<u64> = requests.iter().filter_map(|r| r.number).collect();
    all.sort();
    all
}

/// Every message and debug form of `error` is free of the token.
fn assert_no_token(error: &BackendError) {
    assert!(!error.to_string().contains(TOKEN), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
}

#[test]
fn listing_reads_every_page_and_keeps_open_non_draft_pulls_into_the_bases() {
    let github = emulator();
    github.with(|s| s.max_per_page = 2);
    for n in 1..=5 {
        github.add(Pull::new(n, &[&format!("apps/web/prod{n}/main.tf")]));
    }
    let mut draft = Pull::new(6, &["apps/web/prod/main.tf"]);
    draft.draft = true;
    github.add(draft);
    let mut other_base = Pull::new(7, &["apps/web/prod/main.tf"]);
    other_base.base_ref = "develop".into();
    github.add(other_base);
    let mut closed = Pull::new(8, &["apps/web/prod/main.tf"]);
    closed.state = "closed".into();
    github.add(closed);

    let requests = source(&github, "").list_requests().expect("lists");
    assert_eq!(numbers(&requests), [1, 2, 3, 4, 5]);
    // Newest first (updated_at).
    let order: Vec<u64> = requests.iter().filter_map(|r| r.number).collect();
    assert_eq!(order, [5, 4, 3, 2, 1]);
    let list_pages: Vec<String> = github
        .log()
        .into_iter()
        .map(|l| l.path_and_query)
        .filter(|p| p.starts_with(&format!("/repos/{REPO}/pulls?")))
        .collect();
    assert_eq!(
        list_pages.len(),
        3,
        "6 open into main at 2 a page: {list_pages:?}"
    );
    assert!(list_pages[2].contains("page=3"), "{list_pages:?}");
    assert!(list_pages.iter().all(|p| p.contains("base=main")));
    let first = requests.iter().find(|r| r.number == Some(3)).expect("#3");
    assert_eq!(first.id, "pull/3");
    assert_eq!(first.head, format!("{:040x}", 3));
    assert_eq!(first.base, "main");
    assert_eq!(first.changed_files, ["apps/web/prod3/main.tf"]);
    let roots: Vec<(&str, Option<&str>)> = first
        .roots
        .iter()
        .map(|r| (r.path.as_str(), r.environment.as_deref()))
        .collect();
    assert_eq!(roots, [("apps/web/prod3", Some("prod"))]);
    assert!(first.updated_at > first.created_at);
}

#[test]
fn an_enterprise_api_root_keeps_its_path_on_every_page() {
    let github = emulator();
    github.with(|s| s.max_per_page = 1);
    for n in 1..=3 {
        github.add(Pull::new(n, &["apps/web/prod/main.tf"]));
    }
    let token = Token::new(TOKEN.into(), "test").expect("token");
    let url = format!("{}/api/v3", github.url());
    let source = GitHubSource::with_token(&config(&url, ""), token).expect("opens");
    assert_eq!(numbers(&source.list_requests().expect("lists")), [1, 2, 3]);
    let log = github.log();
    assert!(
        log.iter().all(|l| l.path_and_query.starts_with("/api/v3/")),
        "{log:?}"
    );
    assert!(log.iter().all(|l| l.authorized), "{log:?}");
    let pages = log
        .iter()
        .filter(|l| l.path_and_query.contains("/pulls?"))
        .count();
    assert_eq!(pages, 3);
}

#[test]
fn two_bases_are_both_listed_and_a_pull_is_never_listed_twice() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/a/dev/x.tf"]));
    let mut release = Pull::new(2, &["apps/a/dev/x.tf"]);
    release.base_ref = "release".into();
    github.add(release);
    let mut other = Pull::new(3, &["apps/a/dev/x.tf"]);
    other.base_ref = "gh-pages".into();
    github.add(other);
    let requests = source(&github, "bases = [\"main\", \"release\", \"main\"]\n")
        .list_requests()
        .expect("lists");
    assert_eq!(numbers(&requests), [1, 2]);
}

#[test]
fn head_pattern_and_labels_filter_the_listing_and_resolving_one() {
    let github = emulator();
    let mut wanted = Pull::new(1, &["apps/web/prod/main.tf"]);
    wanted.head_ref = "infra/db".into();
    wanted.labels = vec!["infra".into(), "prod".into()];
    github.add(wanted);
    let mut unlabelled = Pull::new(2, &["apps/web/prod/main.tf"]);
    unlabelled.head_ref = "infra/web".into();
    unlabelled.labels = vec!["prod".into()];
    github.add(unlabelled);
    let mut other_branch = Pull::new(3, &["apps/web/prod/main.tf"]);
    other_branch.head_ref = "feature/x".into();
    other_branch.labels = vec!["infra".into()];
    github.add(other_branch);
    let source = source(
        &github,
        "head_pattern = \"infra/*\"\nlabels = [\"infra\"]\n",
    );
    assert_eq!(numbers(&source.list_requests().expect("lists")), [1]);
    for name in ["1", "#1", "pull/1"] {
        assert_eq!(source.resolve_request(name).expect(name).number, Some(1));
    }
    let err = source.resolve_request("#2").expect_err("unlabelled");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        err.to_string().contains("lacks the label(s) infra"),
        "{err}"
    );
    let err = source.resolve_request("3").expect_err("other branch");
    assert!(err.to_string().contains("head_pattern"), "{err}");
    let err = source.resolve_request("99").expect_err("absent");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = source
        .resolve_request("feature/x")
        .expect_err("not a number");
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
}

#[test]
fn a_draft_is_not_resolved_either() {
    let github = emulator();
    let mut draft = Pull::new(4, &["apps/web/prod/main.tf"]);
    draft.draft = true;
    github.add(draft);
    let err = source(&github, "")
        .resolve_request("#4")
        .expect_err("draft");
    assert!(err.to_string().contains("#4 is a draft"), "{err}");
}

#[test]
fn changed_files_are_read_on_every_page_and_too_many_are_refused() {
    let github = emulator();
    let files: Vec<String> = (0..250)
        .map(|i| format!("apps/svc/dev{i:03}/main.tf"))
        .collect();
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let mut pull = Pull::new(1, &refs);
    pull.files.push((
        "apps/web/prod/new.tf".into(),
        "renamed".into(),
        Some("apps/web/stage/old.tf".into()),
        None,
    ));
    github.add(pull);
    let requests = source(&github, "").list_requests().expect("lists");
    let request = &requests[0];
    assert_eq!(request.changed_files.len(), 252, "both sides of the rename");
    assert!(
        request
            .changed_files
            .contains(&"apps/web/stage/old.tf".to_string())
    );
    assert_eq!(request.roots.len(), 252);
    let file_pages = github
        .log()
        .iter()
        .filter(|l| l.path_and_query.contains("/pulls/1/files"))
        .count();
    assert_eq!(file_pages, 3, "251 files at 100 a page");

    let huge: Vec<String> = (0..3000)
        .map(|i| format!("apps/svc/x{i}/main.tf"))
        .collect();
    let refs: Vec<&str> = huge.iter().map(String::as_str).collect();
    github.add(Pull::new(2, &refs));
    let err = source(&github, "")
        .list_requests()
        .expect_err("too many files");
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    assert!(
        err.to_string().contains("#2 changes 3000 files or more"),
        "{err}"
    );
}

#[test]
fn authors_are_the_pull_author_and_every_commit_author_and_committer_by_account() {
    let github = emulator();
    let mut pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    pull.author = OCTOCAT;
    pull.commits = vec![
        CommitSpec {
            author: Some(ANN),
            committer: Some(BOB),
            name: "Someone Else".into(),
            email: "else@example.com".into(),
        },
        CommitSpec {
            author: Some(OCTOCAT),
            committer: Some(BOB),
            name: "Mona".into(),
            email: "mona@example.com".into(),
        },
        CommitSpec {
            author: None,
            committer: None,
            name: "Unlinked".into(),
            email: "nobody@example.com".into(),
        },
    ];
    github.add(pull);
    let requests = source(&github, "").list_requests().expect("lists");
    let request = &requests[0];
    let github_id = |who: &Identity| who.stable_id();
    let authors: Vec<String> = request.authors.iter().map(github_id).collect();
    assert_eq!(
        authors,
        ["github:1", "github:583231", "nobody@example.com"],
        "{:?}",
        request.authors
    );
    let committers: Vec<String> = request.committers.iter().map(github_id).collect();
    assert_eq!(committers, ["github:9001", "nobody@example.com"]);
    assert_eq!(request.authors[0].provider, Provider::GitHub);
    assert_eq!(request.authors[0].aliases, ["octocat"]);
    // A commit whose email is no account's stays a (self-declared) git identity.
    assert_eq!(request.authors[2].provider, Provider::Git);
}

#[test]
fn the_reviewer_is_the_tokens_account() {
    let github = emulator();
    let who = source(&github, "").reviewer().expect("GET /user");
    assert_eq!(
        who,
        Identity::forge(Provider::GitHub, "583231", "ann", "Ann Example")
    );
    assert_eq!(who.stable_id(), "github:583231");
    assert!(github.log().iter().all(|l| l.authorized));
}

#[test]
fn the_code_diff_is_built_from_the_file_patches() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf", "README.md"]));
    let source = source(&github, "");
    let request = source.resolve_request("1").expect("resolves");
    let diff = source.code_diff(&request).expect("diff");
    assert_eq!(
        diff,
        "diff --git a/apps/web/prod/main.tf b/apps/web/prod/main.tf\n\
         --- a/apps/web/prod/main.tf\n+++ b/apps/web/prod/main.tf\n\
         @@ -1 +1 @@\n-old apps/web/prod/main.tf\n+new apps/web/prod/main.tf\n\
         diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n\
         @@ -1 +1 @@\n-old README.md\n+new README.md\n"
    );
    assert!(
        github
            .log()
            .iter()
            .all(|l| !l.path_and_query.contains("/compare/")),
        "every file had a patch: no comparison needed"
    );
}

#[test]
fn a_file_without_a_patch_takes_the_diff_from_the_compare_api() {
    let github = emulator();
    let mut pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    pull.files
        .push(("apps/web/prod/big.tf".into(), "modified".into(), None, None));
    pull.compare_diff = "diff --git a/apps/web/prod/big.tf b/apps/web/prod/big.tf\n\
                         --- a/apps/web/prod/big.tf\n+++ b/apps/web/prod/big.tf\n\
                         @@ -1 +1 @@\n-a\n+b\n"
        .into();
    github.add(pull);
    let source = source(&github, "");
    let request = source.resolve_request("1").expect("resolves");
    let diff = source.code_diff(&request).expect("diff");
    assert!(
        diff.contains("+++ b/apps/web/prod/big.tf\n@@ -1 +1 @@\n-a\n+b\n"),
        "{diff}"
    );
    let compared = github
        .log()
        .into_iter()
        .find(|l| l.path_and_query.contains("/compare/"))
        .expect("the compare API was asked");
    assert_eq!(
        compared.path_and_query,
        format!("/repos/{REPO}/compare/main...{:040x}", 1)
    );
}

#[test]
fn the_base_its_fork_point_a_tree_and_codeowners_are_read() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    let base = "b".repeat(40);
    let fork = "f".repeat(40);
    github.with(|s| {
        s.branches.push(("main".into(), base.clone()));
        s.merge_base = fork.clone();
        s.trees.push((
            fork.clone(),
            vec![
                ("apps".into(), "tree".into()),
                ("apps/web/prod/main.tf".into(), "blob".into()),
                ("vendor/lib".into(), "commit".into()),
            ],
            false,
        ));
        s.trees.push(("e".repeat(40), Vec::new(), true));
        s.contents.push((
            "main".into(),
            ".github/CODEOWNERS".into(),
            "apps/web/prod/ @octo-org/sre\n".into(),
        ));
        s.contents.push((
            "main".into(),
            "docs/CODEOWNERS".into(),
            "apps/web/prod/ @octo-org/docs-team\n".into(),
        ));
    });
    let source = source(&github, "");
    assert_eq!(source.base_commit("main").expect("base"), base);
    let request = source.resolve_request("1").expect("resolves");
    assert_eq!(source.fork_point(&request).expect("fork point"), fork);
    assert_eq!(
        source.files_at(&fork).expect("tree"),
        ["apps/web/prod/main.tf", "vendor/lib"]
    );
    let err = source.files_at(&"e".repeat(40)).expect_err("truncated");
    assert!(err.to_string().contains("too large"), "{err}");
    let owners = source.code_owners().expect("reads").expect("found");
    // git's order decides: .github/ before docs/, the root's absent.
    assert!(
        format!("{owners:?}").contains("@octo-org/sre")
            && !format!("{owners:?}").contains("docs-team"),
        "{owners:?}"
    );
    // The three places are asked at once (in any order).
    let mut asked: Vec<String> = github
        .log()
        .into_iter()
        .filter(|l| l.path_and_query.contains("/contents/"))
        .map(|l| format!("{} {}", l.status, l.path_and_query))
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            format!("200 /repos/{REPO}/contents/.github/CODEOWNERS?ref=main"),
            format!("200 /repos/{REPO}/contents/docs/CODEOWNERS?ref=main"),
            format!("404 /repos/{REPO}/contents/CODEOWNERS?ref=main"),
        ]
    );
    github.with(|s| s.contents.clear());
    github.clear_log();
    assert!(source.code_owners().expect("reads").is_none());
    assert_eq!(github.log().len(), 3, "all three places asked");
}

/// The pages a listing had are asked with its first page on the next
/// reading (one round trip, not one per page); pages the first page's Link
/// names beyond them are asked then, and guesses it does not name are
/// dropped.
#[test]
fn a_refresh_asks_the_pages_it_knows_together_with_the_first() {
    let github = emulator();
    github.with(|s| s.max_per_page = 2);
    for n in 1..=5 {
        github.add(Pull::new(n, &["apps/web/prod/main.tf"]));
    }
    let source = source(&github, "");
    assert_eq!(source.list_requests().expect("lists").len(), 5);
    let latency = std::time::Duration::from_millis(400);
    github.with(|s| s.latency = Some(latency));
    github.clear_log();
    assert_eq!(source.list_requests().expect("lists again").len(), 5);
    let pages: Vec<_> = github
        .log()
        .into_iter()
        .filter(|l| l.path_and_query.contains("/pulls?"))
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|l| l.status == 304), "{pages:?}");
    let first = pages.iter().map(|l| l.at).min().expect("a page");
    let last = pages.iter().map(|l| l.at).max().expect("a page");
    assert!(
        last - first < latency / 2,
        "all three asked before any answer: {:?}",
        last - first
    );

    // Two more pull requests make a fourth page: asked after the first.
    for n in 6..=7 {
        github.add(Pull::new(n, &["apps/web/prod/main.tf"]));
    }
    github.clear_log();
    assert_eq!(
        source.list_requests().expect("lists a longer list").len(),
        7
    );
    let asked: Vec<String> = github
        .log()
        .into_iter()
        .filter(|l| l.path_and_query.contains("/pulls?"))
        .map(|l| l.path_and_query)
        .collect();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert!(asked.iter().any(|p| p.ends_with("page=4")), "{asked:?}");

    // Down to one page: the guesses are asked, and nothing breaks.
    github.with(|s| {
        s.latency = None;
        s.pulls.truncate(2);
    });
    assert_eq!(source.list_requests().expect("lists a short list").len(), 2);
}

#[test]
fn an_unchanged_list_is_revalidated_with_etags_and_a_change_is_read() {
    let github = emulator();
    github.with(|s| s.max_per_page = 2);
    for n in 1..=3 {
        github.add(Pull::new(n, &["apps/web/prod/main.tf"]));
    }
    let source = source(&github, "");
    let first = source.list_requests().expect("lists");
    let before = source.counts();
    assert_eq!(before.not_modified, 0);
    github.clear_log();
    let again = source.list_requests().expect("lists again");
    assert_eq!(again, first);
    let after = source.counts();
    let calls = after.calls - before.calls;
    assert_eq!(
        calls, 2,
        "two list pages; the files and commits of unchanged pulls are known"
    );
    assert_eq!(
        after.not_modified - before.not_modified,
        calls,
        "every call a 304"
    );
    assert!(
        github
            .log()
            .iter()
            .all(|l| l.status == 304 && l.if_none_match.is_some())
    );

    github.with(|s| s.pulls[0].title = "Renamed".into());
    let changed = source.list_requests().expect("lists after a change");
    let renamed = changed.iter().find(|r| r.number == Some(1)).expect("#1");
    assert_eq!(renamed.title, "Renamed");
    // A push moves the head: that pull's files and commits are read again.
    github.with(|s| {
        s.pulls[0].head_sha = "7".repeat(40);
        s.pulls[0].files[0].0 = "apps/web/stage/main.tf".into();
    });
    github.clear_log();
    let pushed = source.list_requests().expect("lists after a push");
    let moved = pushed.iter().find(|r| r.number == Some(1)).expect("#1");
    assert_eq!(moved.roots[0].path, "apps/web/stage");
    let read: Vec<String> = github
        .log()
        .into_iter()
        .filter(|l| l.status == 200)
        .map(|l| l.path_and_query)
        .collect();
    assert!(
        read.iter().any(|p| p.contains("/pulls/1/files")),
        "{read:?}"
    );
    assert!(!read.iter().any(|p| p.contains("/pulls/2/")), "{read:?}");
}

#[test]
fn a_rate_limit_is_rate_limited_until_its_reset() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    let reset = plandeck::clock::unix_now() + 600;
    github.fail("/pulls?", Fault::RateLimit { reset }, 1);
    let source = source(&github, "");
    let err = source.list_requests().expect_err("limited");
    assert_no_token(&err);
    match &err {
        BackendError::RateLimited { reset_at, .. } => assert_eq!(*reset_at, Some(reset)),
        other => panic!("not a rate limit: {other:?}"),
    }
    assert!(err.is_transient());
    assert!(err.to_string().contains("API rate limit exceeded"), "{err}");
    // Nothing retried it: the next call is a new one, and succeeds.
    assert_eq!(source.list_requests().expect("after the reset").len(), 1);

    github.fail("/user", Fault::RetryAfter { seconds: 90 }, 1);
    let err = source.reviewer().expect_err("secondary limit");
    let now = plandeck::clock::unix_now();
    match err {
        BackendError::RateLimited {
            reset_at: Some(at), ..
        } => assert!((now + 85..=now + 95).contains(&at), "{at} vs {now}"),
        other => panic!("not a rate limit: {other:?}"),
    }
}

#[test]
fn a_server_fault_is_a_network_error_and_bad_json_a_parse_error() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    let source = source(&github, "");
    github.fail("/pulls/1/files", Fault::Status(502, "Server Error"), 1);
    let err = source.list_requests().expect_err("5xx");
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("502"), "{err}");
    assert_no_token(&err);
    let retried = github
        .log()
        .iter()
        .filter(|l| l.path_and_query.contains("/pulls/1/files"))
        .count();
    assert_eq!(retried, 1, "a failed call is not repeated by itself");

    github.fail("/user", Fault::BadJson, 1);
    let err = source.reviewer().expect_err("not JSON");
    assert_eq!(err.kind(), ErrorKind::Parse, "{err}");
    for (status, kind) in [(404, ErrorKind::NotFound), (409, ErrorKind::Conflict)] {
        github.fail("/pulls/1", Fault::Status(status, "nope"), 1);
        let err = source.resolve_request("1").expect_err("fails");
        assert_eq!(err.kind(), kind, "{status}: {err}");
    }
}

#[test]
fn a_refused_token_is_an_auth_error_that_never_shows_the_token() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    // A server that echoes what it was sent (GitHub does not; a proxy might).
    let wrong = "ghp_wrongWrongWrong";
    github.with(|s| s.unauthorized_message = format!("Bad credentials: Bearer {wrong}"));
    let token = Token::new(wrong.into(), "GITHUB_TOKEN").expect("token");
    let source = GitHubSource::with_token(&config(&github.url(), ""), token).expect("opens");
    assert!(!format!("{source:?}").contains(wrong), "{source:?}");
    for err in [
        source.list_requests().expect_err("401"),
        source.reviewer().expect_err("401"),
    ] {
        assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
        assert!(!err.to_string().contains(wrong), "{err}");
        assert!(!format!("{err:?}").contains(wrong), "{err:?}");
        assert!(err.to_string().contains("Bad credentials"), "{err}");
    }
    let right = source_debug(&github);
    assert!(!right.contains(TOKEN), "{right}");
}

fn source_debug(github: &GitHub) -> String {
    format!("{:?}", source(github, ""))
}

#[test]
fn a_next_page_on_another_host_is_not_followed() {
    let github = emulator();
    let elsewhere = emulator();
    github.with(|s| {
        s.max_per_page = 1;
        s.link_origin = Some(elsewhere.url());
    });
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    github.add(Pull::new(2, &["apps/web/prod/main.tf"]));
    let err = source(&github, "").list_requests().expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Parse, "{err}");
    assert!(err.to_string().contains("not followed"), "{err}");
    assert!(elsewhere.log().is_empty(), "{:?}", elsewhere.log());
}

#[test]
fn a_server_that_does_not_answer_in_time_is_a_network_error() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    let token = Token::new(TOKEN.into(), "test").expect("token");
    let timeout = std::time::Duration::from_millis(300);
    let source = GitHubSource::connect(&config(&github.url(), ""), token, timeout).expect("opens");
    github.fail("/user", Fault::Slow(std::time::Duration::from_secs(3)), 1);
    let started = std::time::Instant::now();
    let err = source.reviewer().expect_err("too slow");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert_no_token(&err);
    assert_eq!(
        source.reviewer().expect("answers in time").stable_id(),
        "github:583231"
    );
}

#[test]
fn an_unreachable_server_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let token = Token::new(TOKEN.into(), "test").expect("token");
    let source = GitHubSource::with_token(&config(&url, ""), token).expect("opens");
    let err = source.list_requests().expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains(&url), "{err}");
    assert_no_token(&err);
}

#[test]
fn hostile_titles_and_branch_names_stay_raw_in_the_model() {
    let github = emulator();
    let title = "Fix \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{202e}gnp.exe <script>";
    let branch = "feature/\u{1b}[31mred\u{7}";
    let mut pull = Pull::new(1, &["apps/web/prod/\u{1b}[1mmain.tf"]);
    pull.title = title.into();
    pull.head_ref = branch.into();
    github.add(pull);
    let requests = source(&github, "").list_requests().expect("lists");
    assert_eq!(requests[0].title, title);
    assert_eq!(
        requests[0].changed_files,
        ["apps/web/prod/\u{1b}[1mmain.tf"]
    );
    assert_eq!(requests[0].roots[0].path, "apps/web/prod");
}

#[test]
fn what_is_not_built_says_so() {
    let github = emulator();
    github.add(Pull::new(1, &["apps/web/prod/main.tf"]));
    let source = source(&github, "");
    let request = source.resolve_request("1").expect("resolves");
    // An open pull request is not merged for apply (built: see
    // tests/github_actions.rs); checking out is not built on GitHub.
    assert!(source.merged_for_apply("pull/1").expect("asks").is_none());
    let errors = [source
        .check_out(&request.head, Path::new("/nonexistent"))
        .expect_err("checkout")];
    for err in errors {
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        assert!(
            err.to_string().ends_with("not supported on GitHub yet"),
            "{err}"
        );
    }
    let store = source
        .store_plan(
            &request,
            "apps/web/prod",
            plandeck::backend::NewPlan {
                head: &request.head,
                origin: plandeck::domain::PlanOrigin::Imported,
                plan_json: b"{}",
                plan_file: None,
                cost_json: None,
            },
        )
        .expect_err("plans come from CI");
    assert!(store.to_string().contains("Actions artifacts"), "{store}");
}

#[test]
fn the_source_needs_root_globs_and_a_repo() {
    let token = || Token::new(TOKEN.into(), "test").expect("token");
    let no_roots = plandeck::config::parse(
        "[github]\nrepo = \"o/r\"\napi_url = \"http://127.0.0.1:9\"\n",
        Path::new("t.toml"),
    )
    .expect("parses");
    let err = GitHubSource::with_token(&no_roots, token()).expect_err("no roots");
    assert!(err.to_string().contains("[source] roots"), "{err}");
    let no_repo = plandeck::config::parse("[source]\nroots = [\"a/*\"]\n", Path::new("t.toml"))
        .expect("parses");
    let err = GitHubSource::with_token(&no_repo, token()).expect_err("no repo");
    assert!(err.to_string().contains("[github] repo"), "{err}");
}

/// `plandeck` run against the emulator with its own home, config and token.
struct Cli {
    home: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Cli {
    fn new(github: &GitHub) -> Self {
        let home = tempfile::tempdir().expect("home");
        let config = home.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n\
                 [github]\nrepo = \"{REPO}\"\napi_url = \"{}\"\n",
                github.url()
            ),
        )
        .expect("config");
        Self { home, config }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with(args, Some(TOKEN))
    }

    fn run_with(&self, args: &[&str], token: Option<&str>) -> (i32, String, String) {
        let home = self.home.path();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"));
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--repo")
            .arg(home)
            .args(args)
            .current_dir(home)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN");
        if let Some(token) = token {
            command.env("GITHUB_TOKEN", token);
        }
        let out = command.output().expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "{stdout}{stderr}"
        );
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }
}

#[test]
fn the_binary_lists_approves_and_refuses_on_github() {
    let github = emulator();
    let (_, request, digest) = planned_pull(&github);
    let cli = Cli::new(&github);
    // No token: one line, exit 2.
    let (code, _, stderr) = cli.run_with(&["requests"], None);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN"), "{stderr}");
    // The list, with the plan from the artifact.
    let (code, stdout, stderr) = cli.run(&["requests", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(listed[0]["id"], "pull/1");
    assert_eq!(listed[0]["roots"][0]["status"], "planned");
    assert_eq!(listed[0]["roots"][0]["digest"], digest.as_str());
    // What works on git only says so.
    let (code, _, stderr) = cli.run(&["plan", "pull/1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("works on git branches only"), "{stderr}");
    // The author cannot approve, whatever their name and email.
    as_user(&github, ANN);
    let approve = [
        "approve",
        "pull/1",
        "--root",
        ROOT,
        "--ack",
        "local_file.foo",
    ];
    let (code, _, stderr) = cli.run(&approve);
    assert_ne!(code, 0, "{stderr}");
    assert!(
        github.with(|s| s.reviews.is_empty()),
        "nothing posted for the author"
    );
    // A second account approves: the review is on the emulator, bound to
    // the head and the digest.
    as_user(&github, BOB);
    let (code, stdout, stderr) = cli.run(&approve);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let review = github
        .with(|s| s.reviews.last().cloned())
        .expect("a review");
    assert_eq!(review.user.0, BOB.0);
    assert_eq!(review.state, "APPROVED");
    assert_eq!(review.commit_id.as_deref(), Some(request.head.as_str()));
    assert!(
        review
            .body
            .starts_with(&format!("plandeck: approve root={ROOT} digest={digest}")),
        "{}",
        review.body
    );
    let (code, stdout, stderr) = cli.run(&["status", "pull/1", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(report[0]["counted"], 1, "{stdout}");
    // A block labels the pull request.
    as_user(&github, OCTOCAT);
    let (code, _, stderr) = cli.run(&[
        "block",
        "pull/1",
        "--root",
        ROOT,
        "--reason",
        "wait for the freeze",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        github.with(|s| s.pulls[0].labels.clone()),
        ["plandeck:blocked"]
    );
    // GitHub's own review state is shown beside the gate, never in it: a
    // plain "LGTM" approval is GitHub's, not plandeck's.
    github.with(|s| {
        s.reviews.push(ReviewSpec {
            id: 99,
            pull: 1,
            user: (4242, "carol".into()),
            body: "LGTM".into(),
            state: "APPROVED".into(),
            commit_id: Some(request.head.clone()),
            submitted_at: Some("2026-11-30T11:00:00Z".into()),
        })
    });
    let (code, stdout, stderr) = cli.run(&["status", "pull/1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "GitHub's own reviews (not counted by plandeck): approved by @bob, @carol; \
             changes requested by @octocat"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("(1/2 approvals)"),
        "carol's LGTM is not counted: {stdout}"
    );
    // The decisions went through the local audit log too.
    let audit = walk(&cli.home.path().join("data"));
    assert!(
        audit.iter().any(|p| p.to_string_lossy().contains("audit")),
        "{audit:?}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(walk(&path));
        }
        all.push(path);
    }
    all
}

// ---- plans from Actions artifacts ----

use emulator::{ArtifactSpec, ReviewSpec, RunSpec};
use plandeck::domain::{DecisionKind, PlanStatus};

const PLAN: &str = "tests/fixtures/corpus/plans/tfplanvalidator-delete-create.json";
const OTHER_PLAN: &str = "tests/fixtures/corpus/plans/tfjson-basic-plan-0.15.json";
const ROOT: &str = "apps/web/prod";
const ARTIFACT: &str = "plandeck-plan-apps__web__prod";

fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        out.start_file(*name, options).expect("entry");
        out.write_all(bytes).expect("write");
    }
    out.finish().expect("zip").into_inner()
}

fn plan_zip(path: &str) -> Vec<u8> {
    zip_of(&[("plan.json", std::fs::read(path).expect("fixture"))])
}

fn run(
    id: u64,
    head: &str,
    status: &str,
    conclusion: Option<&str>,
    artifacts: Vec<ArtifactSpec>,
) -> RunSpec {
    RunSpec {
        id,
        head_sha: head.into(),
        status: status.into(),
        conclusion: conclusion.map(String::from),
        created_at: format!("2026-11-30T09:{:02}:00Z", id % 60),
        artifacts,
    }
}

fn artifact(id: u64, zip: Vec<u8>) -> ArtifactSpec {
    ArtifactSpec {
        id,
        name: ARTIFACT.into(),
        expired: false,
        zip,
    }
}

fn digest_of(path: &str) -> String {
    plandeck::plan::load_plan(Path::new(path))
        .expect("fixture plan")
        .digest
}

#[test]
fn a_plan_comes_from_the_newest_successful_run_and_is_downloaded_once() {
    let github = emulator();
    let pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    let head = pull.head_sha.clone();
    github.add(pull);
    github.with(|s| {
        s.runs.push(run(
            10,
            &head,
            "completed",
            Some("success"),
            vec![artifact(100, plan_zip(OTHER_PLAN))],
        ));
        s.runs.push(run(
            11,
            &head,
            "completed",
            Some("success"),
            vec![artifact(110, plan_zip(PLAN))],
        ));
        // Newer, failed: its artifact is not a plan anyone should trust.
        s.runs.push(run(
            12,
            &head,
            "completed",
            Some("failure"),
            vec![artifact(120, plan_zip(OTHER_PLAN))],
        ));
        // Another commit's run.
        s.runs.push(run(
            13,
            "f".repeat(40).as_str(),
            "completed",
            Some("success"),
            vec![artifact(130, plan_zip(OTHER_PLAN))],
        ));
    });
    let source = source(&github, "");
    let request = source.resolve_request("1").expect("resolves");
    let stored = source
        .stored_plan(&request, ROOT)
        .expect("reads")
        .expect("a plan");
    assert_eq!(stored.digest, digest_of(PLAN));
    assert_eq!(stored.head, head);
    assert_eq!(stored.origin, plandeck::domain::PlanOrigin::Artifact);
    let (plan, cost) = source.load_plan(&stored).expect("loads");
    assert_eq!(plan.digest, stored.digest);
    assert!(cost.is_none());
    assert!(!source.plan_pending(&request, ROOT));
    // The download left the API host for the blob host without the token.
    let blobs = github.with(|s| s.blob_log.clone());
    assert_eq!(blobs, [("/blob/110".to_string(), false)]);
    // Asked again: the same plan, nothing downloaded again.
    let again = source
        .stored_plan(&request, ROOT)
        .expect("reads")
        .expect("a plan");
    assert_eq!(again.digest, stored.digest);
    assert_eq!(github.with(|s| s.blob_log.len()), 1);
    // The plan by digest, for a re-review.
    assert!(
        source
            .plan_by_digest(&request, ROOT, &stored.digest)
            .expect("reads")
            .is_some()
    );
    let log = github.log();
    assert!(log.iter().all(|l| l.authorized), "{log:?}");
}

#[test]
fn a_head_without_an_artifact_is_no_plan_or_ci_running() {
    let github = emulator();
    let pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    let head = pull.head_sha.clone();
    github.add(pull);
    let source = source(&github, "");
    let request = source.resolve_request("1").expect("resolves");
    assert!(source.stored_plan(&request, ROOT).expect("reads").is_none());
    assert!(!source.plan_pending(&request, ROOT));
    github.with(|s| s.runs.push(run(20, &head, "in_progress", None, Vec::new())));
    assert!(source.stored_plan(&request, ROOT).expect("reads").is_none());
    assert!(source.plan_pending(&request, ROOT));
    assert_eq!(
        PlanStatus::with_pending(&request, None, source.plan_pending(&request, ROOT)).word(),
        "no plan (CI running)"
    );
    // The run ends without the artifact: no plan, and none coming.
    github.with(|s| {
        s.runs[0].status = "completed".into();
        s.runs[0].conclusion = Some("failure".into());
    });
    assert!(source.stored_plan(&request, ROOT).expect("reads").is_none());
    assert!(!source.plan_pending(&request, ROOT));
}

#[test]
fn an_expired_or_broken_artifact_is_an_error_of_that_root() {
    let github = emulator();
    let pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    let head = pull.head_sha.clone();
    github.add(pull);
    let mut expired = artifact(300, plan_zip(PLAN));
    expired.expired = true;
    github.with(|s| {
        s.runs
            .push(run(30, &head, "completed", Some("success"), vec![expired]))
    });
    let source = source(&github, "");
    let request = source.resolve_request("1").expect("resolves");
    let err = source.stored_plan(&request, ROOT).expect_err("expired");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("expired"), "{err}");
    for (id, zip) in [
        (310, b"<html>not a zip</html>".to_vec()),
        (
            311,
            zip_of(&[("plan.json", b"{\"not\": \"a plan\"}".to_vec())]),
        ),
        (312, zip_of(&[("README", b"x".to_vec())])),
    ] {
        github.with(|s| {
            s.runs.clear();
            s.runs.push(run(
                id,
                &head,
                "completed",
                Some("success"),
                vec![artifact(id, zip)],
            ));
        });
        let err = source.stored_plan(&request, ROOT).expect_err("unreadable");
        let text = err.to_string();
        assert!(
            text.contains(&format!("artifact {ARTIFACT} of run {id}")),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");
        assert_no_token(&err);
    }
}

// ---- decisions as reviews ----

fn as_user(github: &GitHub, who: emulator::Account) {
    github.with(|s| s.user = (who.0, who.1.to_string(), String::new()));
}

fn decision(
    kind: DecisionKind,
    request: &plandeck::domain::Request,
    digest: &str,
    who: &Identity,
) -> plandeck::domain::Decision {
    plandeck::domain::Decision {
        kind,
        request: request.id.clone(),
        root: ROOT.into(),
        head: request.head.clone(),
        digest: digest.into(),
        who: who.clone(),
        at: 1_700_000_000,
        comment: Some("checked the replacement".into()),
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    }
}

/// A pull request by ann with a plan artifact, and the source.
fn planned_pull(github: &GitHub) -> (GitHubSource, plandeck::domain::Request, String) {
    let mut pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    // octocat committed too: a committer, never a second person.
    pull.commits.push(CommitSpec {
        author: Some(OCTOCAT),
        committer: Some(OCTOCAT),
        name: "Someone Else".into(),
        email: "other@example.com".into(),
    });
    let head = pull.head_sha.clone();
    github.add(pull);
    github.with(|s| {
        s.runs.push(run(
            40,
            &head,
            "completed",
            Some("success"),
            vec![artifact(400, plan_zip(PLAN))],
        ))
    });
    let source = source(github, "");
    let request = source.resolve_request("1").expect("resolves");
    let digest = source
        .stored_plan(&request, ROOT)
        .expect("reads")
        .expect("plan")
        .digest;
    (source, request, digest)
}

fn gate(
    source: &GitHubSource,
    request: &plandeck::domain::Request,
) -> plandeck::review::GateReport {
    let config = config("http://unused", "");
    let reviews = plandeck::source::gate::review_request(source, &config, request, 1_800_000_000)
        .expect("reviews");
    reviews.into_iter().next().expect("one root").report
}

#[test]
fn an_approval_is_a_review_of_the_head_with_the_machine_line_and_counts() {
    let github = emulator();
    let (source, request, digest) = planned_pull(&github);
    as_user(&github, BOB);
    let bob = source.reviewer().expect("bob");
    source
        .record_decision(&decision(DecisionKind::Approve, &request, &digest, &bob))
        .expect("recorded");
    let posted = github
        .log()
        .into_iter()
        .find(|l| l.method == "POST")
        .expect("a POST");
    assert_eq!(
        posted.path_and_query,
        format!("/repos/{REPO}/pulls/1/reviews")
    );
    let body: serde_json::Value = serde_json::from_str(&posted.body).expect("json");
    assert_eq!(body["event"], "APPROVE");
    assert_eq!(body["commit_id"], request.head.as_str());
    let text = body["body"].as_str().expect("body");
    assert!(
        text.starts_with(&format!("plandeck: approve root={ROOT} digest={digest}\n")),
        "{text}"
    );
    let decisions = source.decisions(&request).expect("reads");
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].who.stable_id(), format!("github:{}", BOB.0));
    assert_eq!(
        decisions[0].comment.as_deref(),
        Some("checked the replacement")
    );
    let report = gate(&source, &request);
    assert_eq!(report.counted, 1, "{report:?}");
}

#[test]
fn reviews_that_must_not_count_do_not() {
    let github = emulator();
    let (source, request, digest) = planned_pull(&github);
    let line = format!("plandeck: approve root={ROOT} digest={digest}\n");
    let review = |id: u64, user: emulator::Account, state: &str, commit: &str| ReviewSpec {
        id,
        pull: 1,
        user: (user.0, user.1.to_string()),
        body: line.clone(),
        state: state.into(),
        commit_id: Some(commit.into()),
        submitted_at: Some(format!("2026-11-30T10:00:{:02}Z", id % 60)),
    };
    let head = request.head.clone();
    github.with(|s| {
        // The author, by account (whatever name the commits declare).
        s.reviews.push(review(1, ANN, "APPROVED", &head));
        // A committer of the request.
        s.reviews.push(review(2, OCTOCAT, "APPROVED", &head));
        // Dismissed.
        s.reviews.push(review(3, BOB, "DISMISSED", &head));
        // The line in a comment is no approval.
        s.reviews.push(review(4, BOB, "COMMENTED", &head));
    });
    let report = gate(&source, &request);
    assert_eq!(report.counted, 0, "{report:?}");
    let reasons: Vec<String> = report
        .approvals
        .iter()
        .map(|a| format!("{:?}", a.state))
        .collect();
    assert_eq!(
        reasons.len(),
        2,
        "only the two APPROVED reviews are decisions: {reasons:?}"
    );
    assert!(
        reasons.iter().all(|r| r.contains("authored or committed")),
        "{reasons:?}"
    );
    // A second account's approval counts; a push after it makes it stale.
    github.with(|s| s.reviews.push(review(5, BOB, "APPROVED", &head)));
    assert_eq!(gate(&source, &request).counted, 1);
    github.with(|s| s.pulls[0].head_sha = "9".repeat(40));
    let pushed = source.resolve_request("1").expect("resolves");
    let report = gate(&source, &pushed);
    assert_eq!(report.counted, 0, "{report:?}");
    assert!(
        format!("{:?}", report.approvals).contains("Stale"),
        "{report:?}"
    );
}

#[test]
fn a_block_labels_the_pull_request_and_its_unblock_takes_the_label_off() {
    let github = emulator();
    let (source, request, digest) = planned_pull(&github);
    as_user(&github, BOB);
    let bob = source.reviewer().expect("bob");
    source
        .record_decision(&decision(DecisionKind::Block, &request, &digest, &bob))
        .expect("blocked");
    assert_eq!(
        github.with(|s| s.pulls[0].labels.clone()),
        ["plandeck:blocked"]
    );
    let review = github.with(|s| s.reviews.last().cloned()).expect("review");
    assert_eq!(review.state, "CHANGES_REQUESTED");
    let report = gate(&source, &request);
    assert_eq!(report.blocks.len(), 1);
    assert!(!report.passed);
    source
        .record_decision(&decision(DecisionKind::Unblock, &request, &digest, &bob))
        .expect("unblocked");
    assert!(github.with(|s| s.pulls[0].labels.is_empty()));
    assert!(gate(&source, &request).blocks.is_empty());
    // Nothing was sent twice.
    let posts = github
        .log()
        .into_iter()
        .filter(|l| l.method != "GET")
        .count();
    assert_eq!(posts, 4, "review, label, review, label removal");
}

#[test]
fn a_failed_mutation_is_not_retried() {
    let github = emulator();
    let (source, request, digest) = planned_pull(&github);
    as_user(&github, BOB);
    let bob = source.reviewer().expect("bob");
    github.fail("/pulls/1/reviews", Fault::Status(502, "Bad Gateway"), 1);
    github.clear_log();
    let err = source
        .record_decision(&decision(DecisionKind::Approve, &request, &digest, &bob))
        .expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    let posts = github
        .log()
        .into_iter()
        .filter(|l| l.method == "POST")
        .count();
    assert_eq!(posts, 1);
    assert!(github.with(|s| s.reviews.is_empty()));
}

// ---- the TUI on the GitHub source ----

#[test]
fn the_tui_lists_opens_approves_and_blocks_on_github() {
    use plandeck::tui::Settings;
    use plandeck::tui::harness::Harness;
    let github = emulator();
    let (_, _, digest) = planned_pull(&github);
    let mut waiting = Pull::new(2, &["apps/api/stage/main.tf"]);
    waiting.title = "Waiting for CI".into();
    let head = waiting.head_sha.clone();
    github.add(waiting);
    github.with(|s| s.runs.push(run(50, &head, "in_progress", None, Vec::new())));
    as_user(&github, BOB);
    let loaded = plandeck::config::load_str(
        &format!(
            "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n[github]\nrepo = \"{REPO}\"\n\
             api_url = \"{}\"\n",
            github.url()
        ),
        "test.toml".into(),
    )
    .expect("config");
    let settings = Settings::from_config(&loaded).expect("settings");
    let data = github.data.path().join("ui");
    let mut h = Harness::new(
        std::sync::Arc::new(source(&github, "")),
        settings,
        1_800_000_000,
        (150, 48),
        Some(data),
    );
    let list = h.screen();
    assert!(list.contains("#1") && list.contains("Change 1"), "{list}");
    assert!(
        list.contains("Waiting for CI") && list.contains("in CI"),
        "{list}"
    );
    assert!(
        list.contains("no plan (CI running)"),
        "the preview says it in words: {list}"
    );
    // Opening the request without a plan says why.
    let row = |screen: &str, text: &str| screen.lines().position(|l| l.contains(text));
    let waiting_first = row(&list, "Waiting for CI") < row(&list, "Change 1");
    h.press(if waiting_first {
        "<Enter>"
    } else {
        "j <Enter>"
    });
    assert!(
        h.screen().contains("its CI run is still going"),
        "{}",
        h.screen()
    );
    // The planned one opens from its artifact; its replacement must be
    // viewed before approving.
    h.press(if waiting_first {
        "j <Enter>"
    } else {
        "k <Enter>"
    });
    let plan = h.screen();
    assert!(plan.contains("local_file.foo"), "{plan}");
    h.press("d <Space> a");
    let modal = h.screen();
    assert!(modal.contains("Approve pull/1"), "{modal}");
    if modal.contains("Type the root's name") {
        h.type_text(ROOT);
        h.press("<Enter>");
    } else {
        h.press("y");
    }
    let done = h.screen();
    assert!(
        done.contains("approved") && done.contains("counted"),
        "{done}"
    );
    assert!(done.contains("approvals (1/2 approvals in prod)"), "{done}");
    let review = github
        .with(|s| s.reviews.last().cloned())
        .expect("a review");
    assert_eq!((review.user.0, review.state.as_str()), (BOB.0, "APPROVED"));
    assert!(review.body.contains(&digest), "{}", review.body);
    // A block, with its reason, labels the pull request.
    h.press("x");
    h.type_text("hold for the freeze");
    h.press("<Enter>");
    let blocked = h.screen();
    assert!(blocked.contains("blocked"), "{blocked}");
    assert_eq!(
        github.with(|s| s.pulls[0].labels.clone()),
        ["plandeck:blocked"]
    );
    // From the list, C posts the summary comment and a status per root.
    h.press("<Esc>");
    let list = h.screen();
    let selected = h.selected_row().unwrap_or_default();
    if !selected.contains("Change 1") {
        h.press("j");
    }
    assert!(
        h.selected_row().unwrap_or_default().contains("Change 1"),
        "{list}"
    );
    // GitHub's own review state is beside the gate, not in it: bob's
    // approval then block are, to GitHub, one request for changes.
    let preview = h.screen();
    assert!(
        preview.contains("GitHub's own reviews (not counted by plandeck)")
            && preview.contains("changes requested by @bob"),
        "{preview}"
    );
    h.press("C");
    let posted = h.screen();
    assert!(posted.contains("comment created on pull/1"), "{posted}");
    let comment = github
        .with(|s| s.comments.last().cloned())
        .expect("a comment");
    assert_eq!(comment.user.0, BOB.0);
    assert!(
        comment.body.starts_with("<!-- plandeck:summary -->"),
        "{}",
        comment.body
    );
    let statuses = github.with(|s| s.statuses.clone());
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(statuses[0].context, format!("plandeck/{ROOT}"));
    // Blocked: not a success.
    assert_eq!(statuses[0].state, "failure");

    // The status bar shows the rate limit left as GitHub last said it.
    let before = github.with(|s| s.rate_used);
    h.press("r");
    let after = github.with(|s| s.rate_used);
    let screen = h.screen();
    let shown: u64 = screen
        .split("API ")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no rate limit on screen:\n{screen}"));
    assert!(
        (5000 - after..=5000 - before).contains(&shown),
        "{shown} left, GitHub counted {before}..{after} used:\n{screen}"
    );
    assert!(screen.contains(&format!("API {shown}/5000")), "{screen}");
    // y copies the pull request's page, o opens it: GitHub's html_url.
    let page = format!("{}/{REPO}/pull/1", github.url());
    let copied = h.key_deferred(plandeck::tui::harness::parse_key("y"));
    assert!(
        matches!(copied.as_slice(), [plandeck::tui::Effect::CopyToClipboard { text }] if *text == page),
        "{copied:?}"
    );
    let opened = h.key_deferred(plandeck::tui::harness::parse_key("o"));
    assert!(
        matches!(opened.as_slice(), [plandeck::tui::Effect::OpenUrl { url }] if *url == page),
        "{opened:?}"
    );
    assert!(
        h.screen().contains(&format!("opening {page}")),
        "{}",
        h.screen()
    );
}

/// A pull request's `html_url` is a page of the emulator, served without
/// a token as a browser asks for it.
#[test]
fn the_emulator_serves_a_page_for_each_pull_request() {
    use std::io::{Read, Write};
    let github = emulator();
    let mut pull = Pull::new(7, &["apps/web/prod/main.tf"]);
    pull.title = "<b>Resize</b> & more".into();
    github.add(pull);
    let host = github.url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&host).expect("connects");
    write!(
        stream,
        "GET /{REPO}/pull/7 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("asks");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("#7 &lt;b&gt;Resize&lt;/b&gt; &amp; more"),
        "{answer}"
    );
}

#[test]
fn a_team_approver_is_asked_of_github() {
    let github = emulator();
    let extra =
        "[environments.prod]\napprovers = [\"team:octo-org/sre\"]\nrequired_approvals = 1\n";
    let (_, request, digest) = planned_pull(&github);
    let line = format!("plandeck: approve root={ROOT} digest={digest}\n");
    github.with(|s| {
        s.reviews.push(ReviewSpec {
            id: 7,
            pull: 1,
            user: (BOB.0, BOB.1.to_string()),
            body: line,
            state: "APPROVED".into(),
            commit_id: Some(request.head.clone()),
            submitted_at: Some("2026-11-30T10:00:00Z".into()),
        })
    });
    let report = |source: &GitHubSource| {
        let config = config("http://unused", extra);
        plandeck::source::gate::review_request(source, &config, &request, 1_800_000_000)
            .expect("reviews")
            .remove(0)
            .report
    };
    let outside = report(&source(&github, extra));
    assert_eq!(outside.counted, 0, "{outside:?}");
    assert!(
        format!("{:?}", outside.approvals).contains("not an approver"),
        "{outside:?}"
    );
    github.with(|s| s.teams.push(("octo-org/sre".into(), BOB.1.into())));
    let member = source(&github, extra);
    let inside = report(&member);
    assert_eq!(inside.counted, 1, "{inside:?}");
    assert!(
        inside.passed
            || inside
                .checks
                .iter()
                .all(|c| c.name != "approvals" || c.passed),
        "{inside:?}"
    );
    // Asked once per team and login.
    github.clear_log();
    report(&member);
    assert!(
        !github
            .log()
            .iter()
            .any(|l| l.path_and_query.contains("/memberships/"))
    );
}

#[test]
fn the_comment_is_created_once_then_updated_and_statuses_follow_the_gate() {
    let github = emulator();
    let (_, request, _) = planned_pull(&github);
    let cli = Cli::new(&github);
    as_user(&github, BOB);
    // Someone else's comment with the marker is never taken for plandeck's.
    github.with(|s| {
        s.comments.push(emulator::CommentSpec {
            id: 1,
            pull: 1,
            user: (OCTOCAT.0, OCTOCAT.1.into()),
            body: "<!-- plandeck:summary -->\nnot plandeck's".into(),
        })
    });
    let (code, stdout, stderr) = cli.run(&["comment", "pull/1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("comment created on pull/1"), "{stdout}");
    let comments = github.with(|s| s.comments.clone());
    assert_eq!(comments.len(), 2);
    let mine = &comments[1];
    assert_eq!(mine.user.0, BOB.0);
    assert!(
        mine.body.starts_with("<!-- plandeck:summary -->"),
        "{}",
        mine.body
    );
    assert!(mine.body.contains("local_file.foo"), "{}", mine.body);
    // Not approved yet: the status says failure, on the head.
    let statuses = github.with(|s| s.statuses.clone());
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].sha, request.head);
    assert_eq!(statuses[0].context, format!("plandeck/{ROOT}"));
    assert_eq!(statuses[0].state, "failure");
    // Again: the same comment edited in place, nothing new.
    let (code, stdout, stderr) = cli.run(&["comment", "pull/1", "--no-status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("comment updated on pull/1"), "{stdout}");
    assert_eq!(github.with(|s| s.comments.len()), 2);
    assert_eq!(
        github.with(|s| s.comments[0].body.clone()),
        comments[0].body
    );
    assert_eq!(github.with(|s| s.statuses.len()), 1);
    let patched = github
        .log()
        .into_iter()
        .filter(|l| l.method == "PATCH")
        .map(|l| l.path_and_query)
        .collect::<Vec<_>>();
    assert_eq!(
        patched,
        [format!("/repos/{REPO}/issues/comments/{}", mine.id)]
    );
    // Over GitHub's limit: one line, exit 2, nothing sent.
    github.clear_log();
    let (code, _, stderr) = cli.run(&["comment", "pull/1", "--max-chars", "70000"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(github.log().is_empty());
}

#[test]
fn a_huge_plans_comment_stays_within_githubs_limit() {
    let github = emulator();
    let pull = Pull::new(1, &["apps/web/prod/main.tf"]);
    let head = pull.head_sha.clone();
    github.add(pull);
    let plan = tempfile::NamedTempFile::new().expect("temp");
    plandeck::genplan::write_plan(3_000, 9, plan.as_file()).expect("plan");
    let zip = zip_of(&[("plan.json", std::fs::read(plan.path()).expect("read"))]);
    github.with(|s| {
        s.runs.push(run(
            60,
            &head,
            "completed",
            Some("success"),
            vec![artifact(600, zip)],
        ))
    });
    let cli = Cli::new(&github);
    as_user(&github, BOB);
    let (code, _, stderr) = cli.run(&["comment", "pull/1"]);
    assert_eq!(code, 0, "{stderr}");
    let body = github.with(|s| s.comments[0].body.clone());
    let chars = body.chars().count();
    assert!(chars <= 65_536, "{chars}");
    assert!(chars > 30_000, "the room is used: {chars}");
    assert!(body.contains("cut to stay within"), "the cut is said");
}
