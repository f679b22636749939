//! `plandeck ci apply` (#12 point 3) as the apply workflow runs it: in a
//! real clone, with real Terraform and the null provider, against the
//! emulated GitHub. It applies when two other accounts approved this head
//! and digest, and refuses, applying nothing, when the approvals are
//! missing, stale, from the author or for another digest, when the
//! dispatch names another head or digest, when the fresh plan differs
//! (drift), and when its config file lies inside the checkout.

mod support;

#[path = "support/github.rs"]
mod emulator;

use emulator::{ANN, ArtifactSpec, BOB, GitHub, OCTOCAT, Pull, ReviewSpec, RunSpec, TOKEN};
use plandeck::domain::{Decision, DecisionKind, Identity};
use std::path::{Path, PathBuf};
use std::process::Output;
use support::apply::{root_tf, text};
use support::{TestRepo, terraform};

const REPO: &str = "octo-org/infra";
const ROOT: &str = "apps/web/prod";

struct Setup {
    repo: TestRepo,
    state: PathBuf,
    github: GitHub,
    head: String,
    digest: String,
    home: PathBuf,
}

/// main applies version 1; pull request #7 (by ann) moves it to 2, with
/// CI's plan of its head as the artifact.
fn setup() -> Setup {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    let tf = terraform();
    repo.write(
        &format!("{ROOT}/main.tf"),
        &root_tf(&state, "prod", "1", ""),
    );
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("base", &[]);
    tf.apply(&repo.path.join(ROOT));
    repo.branch("feature/7", "main");
    repo.write(
        &format!("{ROOT}/main.tf"),
        &root_tf(&state, "prod", "2", ""),
    );
    let head = repo.commit("version 2", &[]);
    let plan_json = plan_json(&repo, &head);
    let digest = plandeck::plan::parse_plan_text(std::sync::Arc::new(plan_json.clone()))
        .expect("plan")
        .digest;
    let github = GitHub::start(REPO);
    let mut pull = Pull::new(7, &[&format!("{ROOT}/main.tf")]);
    pull.head_sha = head.clone();
    pull.head_ref = "feature/7".into();
    github.add(pull);
    github.with(|s| {
        s.branches.push(("main".into(), repo.rev("main")));
        s.branches.push(("feature/7".into(), head.clone()));
        s.runs.push(RunSpec {
            id: 70,
            head_sha: head.clone(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            created_at: "2026-11-20T10:00:00Z".into(),
            artifacts: vec![ArtifactSpec {
                id: 71,
                name: plandeck::config::GitHubConfig::default().artifact_name(ROOT),
                expired: false,
                zip: zip_of("plan.json", plan_json.as_bytes()),
            }],
        });
    });
    let home = repo.scratch("home");
    Setup {
        repo,
        state,
        github,
        head,
        digest,
        home,
    }
}

/// `show -json` of the root's plan at `commit`, made in a worktree.
fn plan_json(repo: &TestRepo, commit: &str) -> String {
    let dir = repo.scratch("ci-plan").join("tree");
    repo.git(&[
        "worktree",
        "add",
        "--detach",
        "-q",
        &dir.to_string_lossy(),
        commit,
    ]);
    let tf = terraform();
    let root = dir.join(ROOT);
    tf.run(&root, &["init", "-input=false", "-no-color"]);
    tf.run(
        &root,
        &["plan", "-input=false", "-no-color", "-out=ci.tfplan"],
    );
    let json = tf.run(&root, &["show", "-json", "ci.tfplan"]);
    repo.git(&[
        "worktree",
        "remove",
        "--force",
        "--force",
        &dir.to_string_lossy(),
    ]);
    json
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    out.start_file(name, zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    out.write_all(bytes).expect("zip write");
    out.finish().expect("zip").into_inner()
}

impl Setup {
    /// A review by `who` approving `ROOT` at `commit` for `digest`.
    fn approve(&self, who: emulator::Account, commit: &str, digest: &str) {
        let decision = Decision {
            kind: DecisionKind::Approve,
            request: "pull/7".into(),
            root: ROOT.into(),
            head: commit.into(),
            digest: digest.into(),
            who: Identity::git(who.1, &format!("{}@example.com", who.1)),
            at: 0,
            comment: None,
            viewed_destructive: Vec::new(),
            emergency: None,
            audit: None,
            attested: None,
            check: None,
        };
        let body = plandeck::source::github::reviews::review_body(&decision);
        self.github.with(|s| {
            s.next_id += 1;
            let id = 5000 + s.next_id;
            s.reviews.push(ReviewSpec {
                id,
                pull: 7,
                user: (who.0, who.1.to_string()),
                body,
                state: "APPROVED".into(),
                commit_id: Some(commit.into()),
                submitted_at: Some(format!("2026-11-21T10:00:{:02}Z", id % 60)),
            });
        });
    }

    fn ci_apply(&self, head: &str, digest: &str, extra: &[&str]) -> Output {
        // The operator's file, outside the checkout.
        let config = self.home.join("ci.toml");
        std::fs::write(&config, "[source]\nroots = [\"apps/*/*\"]\n").expect("config");
        let config = config.to_string_lossy().into_owned();
        let extra = if extra.is_empty() {
            vec!["--config", config.as_str()]
        } else {
            extra.to_vec()
        };
        std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .current_dir(&self.repo.path)
            .args(&extra)
            .args([
                "ci",
                "apply",
                "--request",
                "7",
                "--root",
                ROOT,
                "--head",
                head,
                "--digest",
                digest,
            ])
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_API_URL", self.github.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env("XDG_DATA_HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("HOME", &self.home)
            .envs(terraform().env.iter().map(|(k, v)| (k, v)))
            .env("PATH", path_with_terraform())
            .output()
            .expect("plandeck runs")
    }

    /// The `version` output in the root's state.
    fn applied_version(&self) -> String {
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.state.join("prod.tfstate")).expect("state"))
                .expect("json");
        state["outputs"]["version"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Runs `ci apply` expecting a refusal (exit 1) naming `why`; checks
    /// nothing was applied.
    fn refused(&self, head: &str, digest: &str, why: &str) {
        let out = self.ci_apply(head, digest, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}{stderr}", text(&out.stdout));
        assert!(stderr.contains(why), "{why} missing: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert_eq!(self.applied_version(), "1", "nothing may be applied");
    }
}

/// `terraform` on PATH for `choose_binary` (no `tofu` here).
fn path_with_terraform() -> std::ffi::OsString {
    let dir = terraform().binary.parent().expect("dir").to_path_buf();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

#[test]
fn applies_when_two_other_accounts_approved_this_head_and_digest() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    let out = s.ci_apply(&s.head, &s.digest, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("the fresh plan matches the approved") && stdout.contains("applied"),
        "{stdout}"
    );
    assert_eq!(s.applied_version(), "2");
    // The dispatched commit was planned in a worktree of its own, removed
    // after: only the job's checkout is left.
    let worktrees = s.repo.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
}

#[test]
fn refuses_missing_stale_self_and_other_digest_approvals_and_applies_nothing() {
    let s = setup();
    // Only one approval.
    s.approve(BOB, &s.head, &s.digest);
    s.refused(&s.head, &s.digest, "approvals");
    // The second is the author's own.
    s.approve(ANN, &s.head, &s.digest);
    s.refused(&s.head, &s.digest, "approvals");
    // The second is of an older head.
    s.approve(OCTOCAT, &s.repo.rev("main"), &s.digest);
    s.refused(&s.head, &s.digest, "approvals");
    // The second is for another digest.
    s.approve(OCTOCAT, &s.head, "v2:sha256:0000");
    s.refused(&s.head, &s.digest, "approvals");
}

#[test]
fn refuses_a_dispatch_whose_head_or_digest_two_people_did_not_approve() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    // Another digest than the approved plan's.
    s.refused(&s.head, "v2:sha256:1234", "digest: the dispatch names");
    // Another head than the pull request's.
    let main = s.repo.rev("main");
    s.refused(&main, &s.digest, "head:");
    // A hostile input is bad input (exit 2), on one line.
    let out = s.ci_apply(&s.head, "x\u{1b}[31m", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains('\u{1b}'));
}

#[test]
fn refuses_when_the_fresh_plan_differs_from_the_approved_one() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    // Out of band, the state moved on: the approved plan no longer holds.
    let tree = s.repo.scratch("drift").join("tree");
    s.repo.git(&[
        "worktree",
        "add",
        "--detach",
        "-q",
        &tree.to_string_lossy(),
        "main",
    ]);
    std::fs::write(
        tree.join(ROOT).join("main.tf"),
        root_tf(&s.state, "prod", "9", ""),
    )
    .expect("write");
    terraform().apply(&tree.join(ROOT));
    let out = s.ci_apply(&s.head, &s.digest, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{stderr}", text(&out.stdout));
    assert!(stderr.contains("drift: the fresh plan"), "{stderr}");
    assert!(text(&out.stdout).contains("DRIFT"), "{}", text(&out.stdout));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.state.join("prod.tfstate")).expect("state"))
            .expect("json");
    assert_eq!(state["outputs"]["version"]["value"], "9", "nothing applied");
}

#[test]
fn a_config_file_inside_the_checkout_is_refused() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    // The request's own file would set its own policy.
    let inside: &Path = &s.repo.path.join("loose.toml");
    std::fs::write(inside, "[environments.prod]\nrequired_approvals = 0\n").expect("write");
    let out = s.ci_apply(&s.head, &s.digest, &["--config", &inside.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("inside the checkout"));
    assert_eq!(s.applied_version(), "1");
}

#[test]
fn the_policy_comes_from_the_base_branch_on_github() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    // main's .plandeck.toml on GitHub asks three approvals of prod.
    s.github.with(|st| {
        st.contents.push((
            "main".into(),
            ".plandeck.toml".into(),
            "[environments.prod]\nrequired_approvals = 3\n".into(),
        ))
    });
    s.approve(OCTOCAT, &s.head, &s.digest);
    s.refused(&s.head, &s.digest, "2/3 approvals in prod");
}

#[test]
fn a_strangers_approval_is_no_second_person() {
    let s = setup();
    // Any account can review a public repository's pull request.
    const MALLORY: emulator::Account = (6666, "mallory");
    s.github.with(|st| st.outsiders.push(MALLORY.1.into()));
    s.approve(BOB, &s.head, &s.digest);
    s.approve(MALLORY, &s.head, &s.digest);
    s.refused(&s.head, &s.digest, "1/2 approvals in prod");
}

/// The whole chain (#12): `plandeck apply` with the github-actions
/// executor dispatches the apply workflow; the emulated run runs the real
/// `plandeck ci apply` (real Terraform) in the job's clone with the
/// dispatch's inputs; plandeck follows it, sees it succeed, and merges.
#[test]
fn plandeck_apply_on_actions_runs_ci_apply_in_the_workflow_and_merges() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    let (repo, home, url) = (s.repo.path.clone(), s.home.clone(), s.github.url());
    let runner: emulator::Runner = std::sync::Arc::new(move |run: &emulator::WorkflowRun| {
        let config = home.join("ci.toml");
        std::fs::write(&config, "[source]\nroots = [\"apps/*/*\"]\n").expect("config");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .current_dir(&repo)
            .arg("--config")
            .arg(&config)
            .args(["ci", "apply"])
            .args(["--request", run.input("request")])
            .args(["--root", run.input("root")])
            .args(["--head", run.input("head")])
            .args(["--digest", run.input("digest")])
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_API_URL", &url)
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env("XDG_DATA_HOME", home.join("runner"))
            .env("HOME", &home)
            .envs(terraform().env.iter().map(|(k, v)| (k, v)))
            .env("PATH", path_with_terraform())
            .output()
            .expect("ci apply runs");
        let conclusion = if out.status.success() {
            "success"
        } else {
            "failure"
        };
        (
            conclusion.to_string(),
            format!("{}{}", text(&out.stdout), text(&out.stderr)),
        )
    });
    s.github.with(|st| {
        st.actions.runner = Some(runner);
        st.actions.queued_for = std::time::Duration::from_millis(100);
    });
    let operator = s.home.join("operator.toml");
    std::fs::write(
        &operator,
        format!(
            "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n\n\
             [github]\nrepo = \"{REPO}\"\napi_url = \"{}\"\npoll_interval_ms = 200\n\n\
             [apply]\nexecutor = \"github-actions\"\n",
            s.github.url()
        ),
    )
    .expect("config");
    let apply = |request: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .current_dir(&s.repo.path)
            .arg("--config")
            .arg(&operator)
            .args(["apply", request])
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env("XDG_DATA_HOME", s.home.join("operator"))
            .env("XDG_CONFIG_HOME", &s.home)
            .env("HOME", &s.home)
            .output()
            .expect("plandeck runs")
    };
    let out = apply("7");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for want in [
        "apps/web/prod: dispatched run",
        "step 6/7 Apply the approved plan: success",
        // The run's own log: ci apply checked the gate and the fresh plan.
        "the fresh plan matches the approved",
        "applied and merged",
    ] {
        assert!(stdout.contains(want), "{want:?} missing:\n{stdout}");
    }
    assert_eq!(s.applied_version(), "2");
    assert!(s.github.with(|st| st.pulls[0].merged.is_some()));
}

/// Merge-then-apply: the pull request is merged before its apply run, so
/// `ci apply` plans its merge commit (GitHub's `merge_commit_sha`), checks
/// the approved head's digest against that plan and applies it.
#[test]
fn a_merged_pull_request_is_applied_from_its_merge_commit() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    s.repo.git(&["checkout", "-q", "main"]);
    s.repo.git(&[
        "merge",
        "--no-ff",
        "-q",
        "-m",
        "merge for apply",
        "feature/7",
    ]);
    let merge = s.repo.rev("HEAD");
    s.github.with(|st| {
        st.pulls[0].state = "closed".into();
        st.pulls[0].merged = Some(emulator::MergedSpec {
            sha: merge.clone(),
            method: "merge".into(),
            title: "merge for apply".into(),
            message: String::new(),
        });
        st.branches.retain(|(b, _)| b != "main");
        st.branches.push(("main".into(), merge.clone()));
    });
    let out = s.ci_apply(&s.head, &s.digest, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("from its merge commit {}", &merge[..12])),
        "{stdout}"
    );
    assert_eq!(s.applied_version(), "2");
    // Another head than the approved one is still refused.
    let out = s.ci_apply(&"f".repeat(40), &s.digest, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

/// The after-apply check in the workflow: a failed verify (the policy's,
/// from the base branch) fails the run with exit 4, so GitHub records no
/// successful apply; a dispatch again finds the approved change in the
/// state (a no-op plan), applies nothing and checks again, passing once
/// the health check does.
#[test]
fn a_failed_verify_fails_the_run_and_a_dispatch_again_only_checks() {
    let s = setup();
    s.approve(BOB, &s.head, &s.digest);
    s.approve(OCTOCAT, &s.head, &s.digest);
    let healthy = s.home.join("healthy");
    s.github.with(|st| {
        st.contents.push((
            "main".into(),
            ".plandeck.toml".into(),
            format!(
                "[environments.prod]\nverify = \"test -f '{}' && echo \\\"ok $PLANDECK_ROOT\\\"\"\n",
                healthy.display()
            ),
        ))
    });
    let out = s.ci_apply(&s.head, &s.digest, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{}{stderr}", text(&out.stdout));
    assert!(stderr.contains("applied, verify failed"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(s.applied_version(), "2", "the apply itself ran");

    // Dispatched again: nothing to apply, the check fails again.
    let out = s.ci_apply(&s.head, &s.digest, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("the state has the approved change already; checking it (no apply)"),
        "{stdout}"
    );
    assert!(!stdout.contains("applying it"), "{stdout}");

    // Healthy now: the same dispatch passes without applying.
    std::fs::write(&healthy, "").expect("marker");
    let out = s.ci_apply(&s.head, &s.digest, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(&format!("ok {ROOT}")), "{stdout}");
    assert!(!stdout.contains("applying it"), "{stdout}");
}
