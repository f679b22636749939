//! Merging on GitHub against the emulated API (#12 point 1): the merge is
//! asked at exactly the approved head with the configured method, a head
//! that moved is refused by GitHub (409) and never retried, nor is any
//! other failure; the head branch is deleted only when it is this
//! repository's, not a base, and still at the merged head.

#[path = "support/github.rs"]
mod emulator;

use emulator::{GitHub, Pull, TOKEN};
use plandeck::backend::prelude::*;
use plandeck::backend::{BackendError, MergePurpose};
use plandeck::source::github::{GitHubSource, Token};

const REPO: &str = "octo-org/infra";
const ROOTS: &[(&str, &str)] = &[("apps/web/prod", "v2:sha256:abc")];

fn source(github: &GitHub, extra: &str) -> GitHubSource {
    let text = format!(
        "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n\n\
         [github]\nrepo = \"{REPO}\"\napi_url = \"{}\"\n{extra}",
        github.url()
    );
    let config = plandeck::config::load_str(&text, "test.toml".into())
        .expect("config")
        .config;
    let token = Token::new(TOKEN.into(), "test").expect("token");
    GitHubSource::connect_in(
        &config,
        token,
        std::time::Duration::from_secs(30),
        github.data.path().to_path_buf(),
    )
    .expect("opens")
}

/// The emulator with pull request #7 from `feature/7` and both branches.
fn started() -> GitHub {
    let github = GitHub::start(REPO);
    let pull = Pull::new(7, &["apps/web/prod/main.tf"]);
    github.with(|s| {
        s.branches.push(("main".into(), "b".repeat(40)));
        s.branches
            .push((pull.head_ref.clone(), pull.head_sha.clone()));
    });
    github.add(pull);
    github
}

fn roots() -> Vec<(String, String)> {
    ROOTS
        .iter()
        .map(|(r, d)| (r.to_string(), d.to_string()))
        .collect()
}

fn calls(github: &GitHub, method: &str, fragment: &str) -> Vec<emulator::Logged> {
    github
        .log()
        .into_iter()
        .filter(|l| l.method == method && l.path_and_query.contains(fragment))
        .collect()
}

#[test]
fn a_merge_is_asked_at_the_approved_head_with_the_configured_method() {
    let github = started();
    let source = source(&github, "merge_method = \"squash\"");
    let request = source.resolve_request("7").expect("resolves");
    let merged = source
        .merge(&request, &roots(), MergePurpose::Applied)
        .expect("merged");
    let puts = calls(&github, "PUT", "/pulls/7/merge");
    assert_eq!(puts.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&puts[0].body).expect("json");
    assert_eq!(body["sha"], request.head.as_str());
    assert_eq!(body["merge_method"], "squash");
    let message = body["commit_message"].as_str().expect("message");
    assert!(
        message.contains("Applied by plandeck")
            && message.contains("apps/web/prod v2:sha256:abc")
            && message.contains("Plandeck-Request: pull/7"),
        "{message}"
    );
    let (state, spec, main) = github.with(|s| {
        (
            s.pulls[0].state.clone(),
            s.pulls[0].merged.clone().expect("merged"),
            s.branches.iter().find(|(b, _)| b == "main").cloned(),
        )
    });
    assert_eq!(state, "closed");
    assert_eq!(spec.sha, merged);
    assert_eq!(spec.method, "squash");
    assert_eq!(main, Some(("main".into(), merged)));
}

#[test]
fn a_head_moved_since_the_approval_is_refused_and_never_retried() {
    let github = started();
    let source = source(&github, "");
    let request = source.resolve_request("7").expect("resolves");
    // A push after the approval.
    github.with(|s| s.pulls[0].head_sha = "c".repeat(40));
    let err = source
        .merge(&request, &roots(), MergePurpose::Applied)
        .expect_err("refused");
    assert!(matches!(err, BackendError::Conflict(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("the head moved") && text.contains("nothing was retried"),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
    assert_eq!(calls(&github, "PUT", "/merge").len(), 1, "asked once");
    assert!(github.with(|s| s.pulls[0].merged.is_none()));
    // A pull request that is not mergeable (405) is refused the same way.
    github.with(|s| s.pulls[0].state = "closed".into());
    let request = plandeck::domain::Request {
        head: "c".repeat(40),
        ..request
    };
    let err = source
        .merge(&request, &roots(), MergePurpose::ForApply)
        .expect_err("not mergeable");
    assert!(err.to_string().contains("not mergeable"), "{err}");
    assert_eq!(calls(&github, "PUT", "/merge").len(), 2);
}

#[test]
fn a_failing_server_is_not_retried_either() {
    let github = started();
    let source = source(&github, "");
    let request = source.resolve_request("7").expect("resolves");
    github.fail(
        "/pulls/7/merge",
        emulator::Fault::Status(502, "Bad Gateway"),
        5,
    );
    let err = source
        .merge(&request, &roots(), MergePurpose::Applied)
        .expect_err("failed");
    assert!(matches!(err, BackendError::Network(_)), "{err:?}");
    assert_eq!(
        calls(&github, "PUT", "/merge").len(),
        1,
        "a mutation is sent once"
    );
}

#[test]
fn the_head_branch_is_deleted_only_when_ours_not_a_base_and_unmoved() {
    let github = started();
    let source = source(&github, "");
    let request = source.resolve_request("7").expect("resolves");
    source
        .merge(&request, &roots(), MergePurpose::Applied)
        .expect("merged");
    assert!(source.delete_branch(&request).expect("deleted"));
    assert_eq!(
        calls(&github, "DELETE", "/git/refs/heads/feature/7").len(),
        1
    );
    assert!(github.with(|s| !s.branches.iter().any(|(b, _)| b == "feature/7")));
    // Already gone (GitHub's own automatic deletion): nothing to do.
    assert!(!source.delete_branch(&request).expect("kept"));

    // A fork's branch is the fork's.
    github.with(|s| {
        s.pulls[0].from_fork = true;
        s.branches
            .push(("feature/7".into(), s.pulls[0].head_sha.clone()));
    });
    github.clear_log();
    assert!(!source.delete_branch(&request).expect("kept"));
    assert!(calls(&github, "DELETE", "/git/refs").is_empty());

    // A base branch is never deleted, even as a pull request's head.
    github.with(|s| {
        s.pulls[0].from_fork = false;
        s.pulls[0].head_ref = "main".into();
    });
    assert!(!source.delete_branch(&request).expect("kept"));
    assert!(calls(&github, "DELETE", "/git/refs").is_empty());

    // Pushed to since the merge: kept, with the reason.
    github.with(|s| {
        s.pulls[0].head_ref = "feature/7".into();
        s.pulls[0].head_sha = "d".repeat(40);
    });
    let err = source.delete_branch(&request).expect_err("moved");
    assert!(
        err.to_string().contains("moved since it was merged"),
        "{err}"
    );
    assert!(calls(&github, "DELETE", "/git/refs").is_empty());
    assert!(github.with(|s| s.branches.iter().any(|(b, _)| b == "feature/7")));
}
