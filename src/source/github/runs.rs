//! GitHub Actions as the apply executor's engine: dispatching the apply
//! workflow (`return_run_details`, or finding the run where the server
//! answers 204 without it), following the run's jobs and steps, reading a
//! job's log (a redirect to another host), cancelling; and the applies
//! GitHub itself vouches for: successful runs of the apply workflow on the
//! apply ref, whose titles say what they applied.

use super::api::{JSON, MAX_PAGES, Mutation};
use super::pulls::timestamp;
use super::{Shared, encode, wire};
use crate::backend::{BackendError, DispatchedRun, JobProgress, RunProgress, StepProgress};
use crate::domain::{
    Attestation, Decision, DecisionKind, Identity, Provider, Request, apply_run_title,
    parse_apply_run_title,
};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// At most this much of a job's log is read.
const MAX_LOG_BYTES: u64 = 16 << 20;
/// How long a dispatched run is looked for when GitHub returned no id.
const SEARCH_FOR: Duration = Duration::from_secs(30);
/// How far GitHub's clock may be behind ours.
const CLOCK_SKEW_SECONDS: i64 = 120;

/// `workflow-dispatch-response`.
#[derive(Debug, Deserialize)]
struct DispatchResponse {
    workflow_run_id: u64,
    #[serde(default)]
    html_url: String,
}

/// A run as the apply executor reads it.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct ApplyRun {
    id: u64,
    #[serde(default)]
    display_title: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    head_branch: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    html_url: String,
    created_at: String,
    actor: Option<wire::User>,
}

#[derive(Debug, Deserialize)]
struct ApplyRunsPage {
    workflow_runs: Vec<ApplyRun>,
}

impl wire::Listing for ApplyRunsPage {
    type Item = ApplyRun;
    fn items(self) -> Vec<ApplyRun> {
        self.workflow_runs
    }
}

#[derive(Debug, Deserialize)]
struct JobsPage {
    jobs: Vec<Job>,
}

#[derive(Debug, Deserialize)]
struct Job {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
struct Step {
    #[serde(default)]
    number: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    conclusion: Option<String>,
}

impl Shared {
    fn workflow_path(&self) -> String {
        format!(
            "/repos/{}/actions/workflows/{}",
            self.repo,
            encode(&self.config.github.apply_workflow)
        )
    }

    /// Whether `run` is a run of the apply workflow file as the apply ref
    /// has it, dispatched by hand or by plandeck: the only runs whose
    /// success means `plandeck ci apply` applied.
    fn is_apply_run(&self, run: &ApplyRun) -> bool {
        let github = &self.config.github;
        let file = run.path.split('@').next().unwrap_or_default();
        let on_ref = run.path.split_once('@').is_none_or(|(_, r)| {
            r == github.apply_ref() || r == format!("refs/heads/{}", github.apply_ref())
        });
        run.event == "workflow_dispatch"
            && file == format!(".github/workflows/{}", github.apply_workflow)
            && on_ref
            && run.head_branch.as_deref() == Some(github.apply_ref())
    }

    /// Dispatches the apply workflow once; finds the run when GitHub
    /// answers 204 without its details.
    pub(super) async fn dispatch_apply(
        &self,
        number: u64,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<DispatchedRun, BackendError> {
        let github = &self.config.github;
        let before = crate::clock::unix_now();
        let body = json!({
            "ref": github.apply_ref(),
            "inputs": {
                "request": number.to_string(),
                "root": root,
                "head": request.head,
                "digest": digest,
            },
            "return_run_details": true,
        });
        let path = format!("{}/dispatches", self.workflow_path());
        let page = self.api.send(Mutation::Post, &path, Some(body)).await?;
        if !page.body.trim().is_empty() {
            let details: DispatchResponse = wire::parse(&page.body, "the dispatch's run")?;
            return Ok(DispatchedRun {
                id: details.workflow_run_id,
                url: details.html_url,
                searched: false,
            });
        }
        let title = apply_run_title(root, &number.to_string(), &request.head, digest);
        self.find_dispatched(&title, before).await
    }

    /// The newest run of the apply workflow with `title`, dispatched by
    /// this token's account on the apply ref since `since` (unix seconds).
    async fn find_dispatched(
        &self,
        title: &str,
        since: i64,
    ) -> Result<DispatchedRun, BackendError> {
        let login = self.reviewer_login().await?;
        let created = jiff::Timestamp::from_second(since - CLOCK_SKEW_SECONDS)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        let path = format!(
            "{}/runs?event=workflow_dispatch&actor={}&branch={}&created={}&per_page=100",
            self.workflow_path(),
            encode(&login),
            encode(self.config.github.apply_ref()),
            encode(&format!(">={created}"))
        );
        let deadline = tokio::time::Instant::now() + SEARCH_FOR;
        let pause = Duration::from_millis(self.config.github.poll_interval_ms.min(2000));
        loop {
            let runs = self
                .all::<ApplyRunsPage>(path.clone(), "the apply workflow's runs", 1)
                .await?;
            let found = runs
                .into_iter()
                .filter(|r| r.display_title == title && self.is_apply_run(r))
                .filter(|r| self.claim(r.id))
                .max_by_key(|r| r.id);
            if let Some(run) = found {
                return Ok(DispatchedRun {
                    id: run.id,
                    url: run.html_url,
                    searched: true,
                });
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Err(BackendError::NotFound(format!(
                    "GitHub accepted the dispatch without naming its run (204), and no run \
                     titled {title:?} by {login} appeared within {}s: look at the apply \
                     workflow's runs before dispatching again",
                    SEARCH_FOR.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Takes run `id` as found by this process; false when found before
    /// (a second dispatch of the same title must not take the first run).
    fn claim(&self, id: u64) -> bool {
        self.claimed_runs.lock().is_ok_and(|mut c| c.insert(id))
    }

    async fn reviewer_login(&self) -> Result<String, BackendError> {
        if let Some(known) = self.reviewer.get() {
            if let Some(login) = known.aliases.first() {
                return Ok(login.clone());
            }
        }
        let user: wire::User = wire::parse(&self.api.get("/user", JSON).await?.body, "GET /user")?;
        Ok(user.login)
    }

    /// The run and its jobs, asked side by side.
    pub(super) async fn apply_run(&self, id: u64) -> Result<RunProgress, BackendError> {
        let run_path = format!("/repos/{}/actions/runs/{id}", self.repo);
        let jobs_path = format!("{run_path}/jobs?per_page=100");
        let (run, jobs) = futures_util::future::join(
            self.api.get(&run_path, JSON),
            self.api.get(&jobs_path, JSON),
        )
        .await;
        let run: ApplyRun = wire::parse(&run?.body, "the apply run")?;
        let jobs: JobsPage = wire::parse(&jobs?.body, "the apply run's jobs")?;
        Ok(RunProgress {
            id: run.id,
            url: run.html_url,
            status: run.status.unwrap_or_default(),
            conclusion: run.conclusion,
            jobs: jobs
                .jobs
                .into_iter()
                .map(|j| JobProgress {
                    id: j.id,
                    name: j.name,
                    status: j.status,
                    conclusion: j.conclusion,
                    steps: j
                        .steps
                        .into_iter()
                        .map(|s| StepProgress {
                            number: s.number,
                            name: s.name,
                            status: s.status,
                            conclusion: s.conclusion,
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    pub(super) async fn apply_run_log(&self, job: u64) -> Result<String, BackendError> {
        let path = format!("/repos/{}/actions/jobs/{job}/logs", self.repo);
        let bytes = self.api.get_bytes(&path, MAX_LOG_BYTES).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub(super) async fn cancel_apply_run(&self, id: u64) -> Result<(), BackendError> {
        let path = format!("/repos/{}/actions/runs/{id}/cancel", self.repo);
        match self.api.send(Mutation::Post, &path, None).await {
            Ok(_) => Ok(()),
            Err(BackendError::Conflict(why)) => Err(BackendError::Conflict(format!(
                "run {id} could not be cancelled: {why}"
            ))),
            Err(e) => Err(e),
        }
    }

    /// The applies of pull request `number` GitHub vouches for: the
    /// successful runs of the apply workflow on the apply ref, read from
    /// their titles, as attested `apply-succeeded` decisions.
    pub(super) async fn applied_by_runs(&self, number: u64) -> Result<Vec<Decision>, BackendError> {
        let path = format!(
            "{}/runs?event=workflow_dispatch&status=success&branch={}&per_page=100",
            self.workflow_path(),
            encode(self.config.github.apply_ref())
        );
        let runs = self
            .all::<ApplyRunsPage>(path, "the apply workflow's runs", MAX_PAGES.min(10))
            .await?;
        let mut applied = Vec::new();
        for run in runs {
            let succeeded = run.status.as_deref() == Some("completed")
                && run.conclusion.as_deref() == Some("success");
            let Some(title) = parse_apply_run_title(&run.display_title) else {
                continue;
            };
            let Some(actor) = run.actor.as_ref().filter(|a| a.is_account()) else {
                continue;
            };
            if !succeeded || !self.is_apply_run(&run) || title.request != number.to_string() {
                continue;
            }
            applied.push(Decision {
                kind: DecisionKind::ApplySucceeded,
                request: format!("pull/{number}"),
                root: title.root,
                head: title.head,
                digest: title.digest,
                who: Identity::forge(Provider::GitHub, &actor.id.to_string(), &actor.login, ""),
                at: timestamp(&run.created_at, number)?,
                comment: Some(format!(
                    "applied by GitHub Actions run {} ({})",
                    run.id, run.html_url
                )),
                viewed_destructive: Vec::new(),
                emergency: None,
                audit: None,
                attested: Some(Attestation {
                    provider: Provider::GitHub,
                    id: format!("run:{}", run.id),
                }),
                check: None,
            });
        }
        Ok(applied)
    }
}
