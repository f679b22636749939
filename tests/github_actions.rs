//! The github-actions executor against the emulated GitHub (#12 point 2):
//! every gate is checked before any call; the apply workflow is dispatched
//! per root with the four inputs, independent roots side by side and
//! later environments only once the earlier ones' runs succeeded; each run
//! is followed queued → in_progress → completed with its steps and log; a
//! success is audited and merges the pull request at its head, a failure
//! leaves it open; a server that returns no run id (204) has its run
//! found; cancelling cancels the runs. And what proves an apply: only a
//! successful run of the apply workflow on the apply ref, never a review
//! or a run of another branch.

#[path = "support/github.rs"]
mod emulator;

use emulator::{ArtifactSpec, BOB, GitHub, OCTOCAT, Pull, ReviewSpec, RunSpec, TOKEN};
use plandeck::backend::prelude::*;
use plandeck::domain::{Decision, DecisionKind, Identity};
use plandeck::executor::{Outcome, apply_request, places};
use plandeck::source::github::{GitHubSource, Token};
use std::path::Path;
use std::time::{Duration, Instant};

const REPO: &str = "octo-org/infra";
const PLAN: &str = "tests/fixtures/corpus/plans/tfjson-basic-plan-0.15.json";
/// Two dev roots (independent), then stage, then prod.
const ROOTS: [&str; 4] = [
    "apps/web/dev",
    "apps/api/dev",
    "apps/web/stage",
    "apps/web/prod",
];
const CAROL: (u64, &str) = (4242, "carol");

fn config_text(github: &GitHub, apply: &str) -> String {
    format!(
        "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n\n\
         [github]\nrepo = \"{REPO}\"\napi_url = \"{}\"\npoll_interval_ms = 100\n\n\
         [apply]\nexecutor = \"github-actions\"\n{apply}\n\
         [environments.dev]\nroots = [\"apps/*/dev\"]\nrequired_approvals = 0\nauto_apply = true\n\n\
         [environments.stage]\nroots = [\"apps/*/stage\"]\nrequired_approvals = 1\nafter = [\"dev\"]\n\n\
         [environments.prod]\nroots = [\"apps/*/prod\"]\nrequired_approvals = 2\nafter = [\"stage\"]\n",
        github.url()
    )
}

struct Setup {
    github: GitHub,
    source: GitHubSource,
    config: plandeck::config::Config,
    head: String,
    digest: String,
    data: tempfile::TempDir,
}

fn setup() -> Setup {
    setup_with("")
}

/// Pull request #7 by ann touching every root, CI's plan of each as an
/// artifact, stage approved by bob and prod by bob and octocat; carol
/// applies. `apply`: more of `[apply]`.
fn setup_with(apply: &str) -> Setup {
    let github = GitHub::start(REPO);
    let files: Vec<String> = ROOTS.iter().map(|r| format!("{r}/main.tf")).collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let mut pull = Pull::new(7, &files);
    pull.head_ref = "feature/7".into();
    let head = pull.head_sha.clone();
    github.add(pull);
    let config = plandeck::config::load_str(&config_text(&github, apply), "test.toml".into())
        .expect("config")
        .config;
    let plan = std::fs::read(PLAN).expect("fixture");
    let digest = plandeck::plan::load_plan(Path::new(PLAN))
        .expect("plan")
        .digest;
    github.with(|s| {
        s.user = (CAROL.0, CAROL.1.into(), "Carol".into());
        s.branches.push(("main".into(), "b".repeat(40)));
        s.branches.push(("feature/7".into(), head.clone()));
        s.merge_base = "b".repeat(40);
        s.runs.push(RunSpec {
            id: 70,
            head_sha: head.clone(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            created_at: "2026-11-20T10:00:00Z".into(),
            artifacts: ROOTS
                .iter()
                .enumerate()
                .map(|(n, root)| ArtifactSpec {
                    id: 71 + n as u64,
                    name: config.github.artifact_name(root),
                    expired: false,
                    zip: zip_of("plan.json", &plan),
                })
                .collect(),
        });
        s.actions.queued_for = Duration::from_millis(100);
        s.actions.runs_for = Duration::from_millis(700);
    });
    let data = tempfile::tempdir().expect("data dir");
    let token = Token::new(TOKEN.into(), "test").expect("token");
    let source = GitHubSource::connect_in(
        &config,
        token,
        Duration::from_secs(30),
        data.path().join("github"),
    )
    .expect("opens");
    let setup = Setup {
        github,
        source,
        config,
        head,
        digest,
        data,
    };
    setup.approve(BOB, "apps/web/stage");
    setup.approve(BOB, "apps/web/prod");
    setup.approve(OCTOCAT, "apps/web/prod");
    setup
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
    fn approve(&self, who: emulator::Account, root: &str) {
        self.review(
            who,
            root,
            &self.head.clone(),
            "APPROVED",
            DecisionKind::Approve,
        );
    }

    fn review(
        &self,
        who: emulator::Account,
        root: &str,
        head: &str,
        state: &str,
        kind: DecisionKind,
    ) {
        let decision = Decision {
            kind,
            request: "pull/7".into(),
            root: root.into(),
            head: head.into(),
            digest: self.digest.clone(),
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
                state: state.into(),
                commit_id: Some(head.into()),
                submitted_at: Some(format!("2026-11-21T10:00:{:02}Z", id % 60)),
            });
        });
    }

    /// `plandeck apply 7 [--root ROOT]`, its outcome and output.
    fn apply(&self, root: Option<&str>) -> (Outcome, String) {
        let request = self.source.resolve_request("7").expect("request");
        let places = places(&self.source, self.data.path()).expect("places");
        let mut out = Vec::new();
        let outcome = apply_request(
            &self.source,
            &self.config,
            &request,
            root,
            &places,
            &mut out,
        )
        .expect("applies");
        (outcome, String::from_utf8_lossy(&out).into_owned())
    }

    fn calls(&self, method: &str, fragment: &str) -> Vec<emulator::Logged> {
        self.github
            .log()
            .into_iter()
            .filter(|l| l.method == method && l.path_and_query.contains(fragment))
            .collect()
    }

    fn runs(&self) -> Vec<emulator::WorkflowRun> {
        self.github.with(|s| s.actions.runs.clone())
    }

    fn run_of(&self, root: &str) -> emulator::WorkflowRun {
        self.runs()
            .into_iter()
            .find(|r| r.input("root") == root)
            .unwrap_or_else(|| panic!("no run of {root}"))
    }

    fn merged(&self) -> bool {
        self.github.with(|s| s.pulls[0].merged.is_some())
    }

    fn audited(&self, action: &str) -> Vec<String> {
        let log = std::fs::read_to_string(self.data.path().join("audit.log")).unwrap_or_default();
        log.lines()
            .filter(|l| l.contains(&format!("\"action\":\"{action}\"")))
            .map(String::from)
            .collect()
    }
}

#[test]
fn roots_are_dispatched_in_promotion_order_followed_to_the_end_and_the_request_merged() {
    let s = setup();
    let (outcome, out) = s.apply(None);
    let Outcome::Applied {
        merged: Some(merged),
    } = &outcome
    else {
        panic!("{outcome:?}\n{out}");
    };
    // Four dispatches, each with the four inputs, on the apply ref.
    let dispatches = s.calls("POST", "/actions/workflows/plandeck-apply.yml/dispatches");
    assert_eq!(dispatches.len(), 4, "{out}");
    for call in &dispatches {
        let body: serde_json::Value = serde_json::from_str(&call.body).expect("json");
        assert_eq!(body["ref"], "main");
        assert_eq!(body["return_run_details"], true);
        assert_eq!(body["inputs"]["request"], "7");
        assert_eq!(body["inputs"]["head"], s.head.as_str());
        assert_eq!(body["inputs"]["digest"], s.digest.as_str());
        assert!(ROOTS.contains(&body["inputs"]["root"].as_str().expect("root")));
        assert_eq!(body["inputs"].as_object().expect("inputs").len(), 4);
    }
    // Both dev roots ran side by side; stage only after both succeeded,
    // prod only after stage.
    let (web_dev, api_dev) = (s.run_of("apps/web/dev"), s.run_of("apps/api/dev"));
    let stage = s.run_of("apps/web/stage");
    let prod = s.run_of("apps/web/prod");
    let length = Duration::from_millis(800);
    let ends = |r: &emulator::WorkflowRun| r.dispatched + length;
    assert!(api_dev.dispatched.max(web_dev.dispatched) < ends(&web_dev).min(ends(&api_dev)));
    assert!(
        stage.dispatched >= ends(&web_dev).max(ends(&api_dev)),
        "{out}"
    );
    assert!(prod.dispatched >= ends(&stage), "{out}");
    // Followed through queued, in progress and completed, with steps and log.
    for want in [
        "apps/web/prod: dispatched run",
        "apps/web/prod: run ",
        " queued",
        " in_progress",
        " completed",
        "step 6/7 Apply the approved plan: in_progress",
        "step 6/7 Apply the approved plan: success",
        "apps/web/prod: | ",
        "plandeck ci apply --request 7 --root apps/web/prod",
        "apps/web/prod: applied",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    // Merged at the approved head; the branch is gone.
    let put = s.calls("PUT", "/pulls/7/merge");
    assert_eq!(put.len(), 1);
    assert!(put[0].body.contains(&s.head));
    assert!(s.merged());
    assert_eq!(
        s.github
            .with(|s| s.pulls[0].merged.clone())
            .expect("merged")
            .sha,
        *merged
    );
    assert!(
        s.github
            .with(|s| !s.branches.iter().any(|(b, _)| b == "feature/7"))
    );
    // Each outcome is audited, with its run, and is the root's status.
    let succeeded = s.audited("apply-succeeded");
    assert_eq!(succeeded.len(), 4, "{succeeded:?}");
    assert!(
        succeeded
            .iter()
            .any(|l| l.contains(&format!("run {}", prod.id)))
    );
    assert_eq!(s.audited("merge").len(), 1);
    let statuses = s.github.with(|s| s.statuses.clone());
    for root in ROOTS {
        assert!(
            statuses
                .iter()
                .any(|st| st.context == format!("plandeck/{root}") && st.state == "success"),
            "{root}: {statuses:?}"
        );
    }
}

#[test]
fn a_failing_gate_refuses_before_any_call_to_github() {
    let s = setup();
    // Prod has one approval of two.
    s.github
        .with(|g| g.reviews.retain(|r| r.user.1 != "octocat"));
    s.github.clear_log();
    let (outcome, out) = s.apply(None);
    let Outcome::Refused { root, reasons } = &outcome else {
        panic!("{outcome:?}\n{out}");
    };
    assert_eq!(root, "apps/web/prod");
    assert!(
        reasons.iter().any(|r| r.contains("approvals")),
        "{reasons:?}"
    );
    let mutations: Vec<_> = s
        .github
        .log()
        .into_iter()
        .filter(|l| l.method != "GET")
        .collect();
    assert!(mutations.is_empty(), "{mutations:?}");
    assert!(s.runs().is_empty());
}

#[test]
fn a_failed_run_stops_the_later_environments_and_leaves_the_request_open() {
    let s = setup();
    s.github.with(|g| {
        g.actions
            .conclusions
            .push(("apps/web/stage".into(), "failure".into()))
    });
    let (outcome, out) = s.apply(None);
    let Outcome::Failed { root, reason } = &outcome else {
        panic!("{outcome:?}\n{out}");
    };
    assert_eq!(root, "apps/web/stage");
    assert!(reason.contains("ended failure"), "{reason}");
    assert!(
        out.contains("step 6/7 Apply the approved plan: failure"),
        "{out}"
    );
    assert!(s.runs().iter().all(|r| r.input("root") != "apps/web/prod"));
    assert!(s.calls("PUT", "/merge").is_empty());
    assert!(!s.merged());
    assert_eq!(s.audited("apply-failed").len(), 1);
    let statuses = s.github.with(|g| g.statuses.clone());
    assert!(
        statuses
            .iter()
            .any(|st| st.context == "plandeck/apps/web/stage" && st.state == "failure")
    );
}

#[test]
fn without_run_details_the_run_is_found_by_workflow_event_actor_branch_and_time() {
    let s = setup();
    s.github.with(|g| g.actions.details = false);
    let (outcome, out) = s.apply(Some("apps/web/dev"));
    assert_eq!(outcome, Outcome::Applied { merged: None }, "{out}");
    assert!(out.contains("GitHub named no run (204)"), "{out}");
    let run = s.run_of("apps/web/dev");
    assert!(out.contains(&format!("dispatched run {}", run.id)), "{out}");
    let search = s.calls(
        "GET",
        "/actions/workflows/plandeck-apply.yml/runs?event=workflow_dispatch&actor=carol",
    );
    assert!(!search.is_empty());
    assert!(search[0].path_and_query.contains("branch=main"));
    assert!(search[0].path_and_query.contains("created=%3E%3D"));
    // The run followed is that one.
    assert!(
        s.calls("GET", &format!("/actions/runs/{}/jobs", run.id))
            .len()
            >= 2
    );
}

#[test]
fn cancelling_the_job_cancels_its_runs() {
    let s = setup();
    s.github
        .with(|g| g.actions.runs_for = Duration::from_secs(20));
    let scope = std::sync::Arc::new(plandeck::tofu::guard::CancelScope::default());
    let started = Instant::now();
    let (outcome, out) = std::thread::scope(|threads| {
        let (cancel, setup) = (scope.clone(), &s);
        threads.spawn(move || {
            // Once the dev runs are dispatched.
            while setup.runs().len() < 2 && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            cancel.cancel();
        });
        scope.enter(|| s.apply(None))
    });
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the runs were waited out, not cancelled"
    );
    let Outcome::Failed { reason, .. } = &outcome else {
        panic!("{outcome:?}\n{out}");
    };
    assert!(reason.contains("cancelled"), "{reason}");
    let runs = s.runs();
    assert_eq!(runs.len(), 2, "nothing after the cancel: {out}");
    for run in &runs {
        assert_eq!(
            s.calls("POST", &format!("/actions/runs/{}/cancel", run.id))
                .len(),
            1
        );
        assert!(run.cancelled.is_some());
    }
    assert!(out.contains("asked GitHub to cancel run"), "{out}");
    assert!(!s.merged());
}

#[test]
fn only_a_successful_run_of_the_apply_workflow_on_the_apply_ref_proves_an_apply() {
    let s = setup();
    let title = plandeck::domain::apply_run_title("apps/web/stage", "7", &s.head, &s.digest);
    // Forgeries: a review claiming the apply, a run of the same title
    // dispatched from the request's own branch (where anyone can edit the
    // workflow), and a failed run on main.
    s.review(
        BOB,
        "apps/web/stage",
        &s.head.clone(),
        "COMMENTED",
        DecisionKind::ApplySucceeded,
    );
    s.github.with(|g| {
        let mut fake = |id: u64, branch: &str, conclusion: &str| {
            g.actions.runs.push(emulator::WorkflowRun {
                id,
                job_id: id + 1,
                workflow: "plandeck-apply.yml".into(),
                branch: branch.into(),
                head_sha: "e".repeat(40),
                inputs: Vec::new(),
                actor: (BOB.0, BOB.1.into()),
                title: title.clone(),
                created_at: "2026-11-30T10:00:00Z".into(),
                dispatched: Instant::now() - Duration::from_secs(60),
                finished: Some((conclusion.into(), String::new(), Instant::now())),
                cancelled: None,
                real: true,
                scripted: conclusion.into(),
            });
        };
        fake(900, "feature/7", "success");
        fake(902, "main", "failure");
    });
    let (outcome, out) = s.apply(Some("apps/web/prod"));
    let Outcome::Refused { root, reasons } = &outcome else {
        panic!("{outcome:?}\n{out}");
    };
    assert_eq!(root, "apps/web/prod");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("promotion") && r.contains("apps/web/stage")),
        "{reasons:?}"
    );
    assert!(s.calls("POST", "/dispatches").is_empty());
    // The same run on main, succeeded, is the proof.
    s.github.with(|g| {
        let run = g
            .actions
            .runs
            .iter_mut()
            .find(|r| r.id == 902)
            .expect("run");
        run.finished = Some(("success".into(), String::new(), Instant::now()));
    });
    let (outcome, out) = s.apply(Some("apps/web/prod"));
    assert_eq!(outcome, Outcome::Applied { merged: None }, "{out}");
    assert_eq!(s.run_of("apps/web/prod").input("digest"), s.digest);
}

#[test]
fn merge_then_apply_merges_first_applies_in_order_and_resumes_what_failed() {
    let s = setup_with("mode = \"merge-then-apply\"");
    s.github.with(|g| {
        g.actions
            .conclusions
            .push(("apps/web/stage".into(), "failure".into()))
    });
    let (outcome, out) = s.apply(None);
    let Outcome::Failed { root, .. } = &outcome else {
        panic!("{outcome:?}\n{out}");
    };
    assert_eq!(root, "apps/web/stage");
    // The merge came first, at the approved head, before any dispatch.
    let log = s.github.log();
    let merge_at = log
        .iter()
        .position(|l| l.method == "PUT" && l.path_and_query.contains("/pulls/7/merge"))
        .expect("merged");
    let first_dispatch = log
        .iter()
        .position(|l| l.path_and_query.contains("/dispatches"))
        .expect("dispatched");
    assert!(merge_at < first_dispatch);
    assert!(log[merge_at].body.contains(&s.head));
    assert!(s.merged());
    assert!(
        out.contains(
            "but not applied: apps/web/stage, apps/web/prod; `plandeck apply pull/7` resumes"
        ),
        "{out}"
    );
    assert!(s.runs().iter().all(|r| r.input("root") != "apps/web/prod"));
    // A merged request's branch is not deleted by merge-then-apply.
    assert!(
        s.github
            .with(|g| g.branches.iter().any(|(b, _)| b == "feature/7"))
    );

    // The next run resumes from the merge: stage again, then prod; the dev
    // roots GitHub saw applied are not dispatched again.
    s.github.with(|g| g.actions.conclusions.clear());
    let merged = s
        .source
        .merged_for_apply("7")
        .expect("asks")
        .expect("merged");
    assert_eq!(merged.request.head, s.head);
    let places = places(&s.source, s.data.path()).expect("places");
    let mut out = Vec::new();
    let outcome = plandeck::executor::resume_on_actions(
        &s.source, &s.config, &merged, None, &places, &mut out,
    )
    .expect("resumes");
    let out = String::from_utf8_lossy(&out);
    let Outcome::Complete { applied, .. } = &outcome else {
        panic!("{outcome:?}\n{out}");
    };
    assert_eq!(
        applied,
        &vec!["apps/web/stage".to_string(), "apps/web/prod".to_string()]
    );
    let roots: Vec<String> = s
        .runs()
        .iter()
        .map(|r| r.input("root").to_string())
        .collect();
    assert_eq!(
        roots.iter().filter(|r| r.ends_with("/dev")).count(),
        2,
        "{roots:?}"
    );
    assert_eq!(roots.iter().filter(|r| *r == "apps/web/stage").count(), 2);
    assert_eq!(roots.iter().filter(|r| *r == "apps/web/prod").count(), 1);
    assert_eq!(s.calls("PUT", "/merge").len(), 1, "merged once");
}

/// `A` in the TUI on the github-actions executor: the confirmation, then
/// the run followed live in the log pane, its steps and log included.
#[test]
fn the_tui_applies_through_actions_with_the_run_in_its_log_pane() {
    use plandeck::tui::Settings;
    use plandeck::tui::harness::Harness;
    let s = setup();
    let loaded = plandeck::config::load_str(&config_text(&s.github, ""), "test.toml".into())
        .expect("config");
    let settings = Settings::from_config(&loaded).expect("settings");
    let token = Token::new(TOKEN.into(), "test").expect("token");
    let source = GitHubSource::connect_in(
        &loaded.config,
        token,
        Duration::from_secs(30),
        s.data.path().join("github"),
    )
    .expect("opens");
    let mut h = Harness::new(
        std::sync::Arc::new(source),
        settings,
        1_800_000_000,
        (160, 60),
        Some(s.data.path().join("ui")),
    );
    h.run_jobs = true;
    // The request's matrix, then its first root (a dev one).
    h.press("<Enter>");
    assert!(h.screen().contains("4 roots"));
    h.press("<Enter>");
    let plan = h.screen();
    let root = ROOTS
        .iter()
        .find(|r| plan.contains(&format!("pull/7 · {r}")))
        .unwrap_or_else(|| panic!("which root?\n{plan}"));
    h.press("A");
    let modal = h.screen();
    assert!(modal.contains("Apply?"), "{modal}");
    h.press("y");
    let screen = h.screen();
    for want in [
        format!("{root}: dispatched run"),
        format!("{root}: run "),
        "Apply the approved plan: success".to_string(),
        format!("{root}: | "),
        format!("{root}: applied"),
    ] {
        assert!(screen.contains(&want), "{want:?} missing:\n{screen}");
    }
    assert_eq!(s.runs().len(), 1);
    assert_eq!(s.run_of(root).input("digest"), s.digest);
}
