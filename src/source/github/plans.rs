//! Plans from GitHub Actions artifacts: a root's plan is the artifact
//! named by `[github] plan_artifact` of the newest successful workflow run
//! of the request's head commit. It is downloaded once (the artifact's id
//! names what was fetched), read by the plan engine and kept in the data
//! dir's plan store, where `load_plan` and `plan_by_digest` find it like a
//! plan made here. A head with no such artifact is "no plan", or "no plan
//! (CI running)" while a run of that commit has not finished.

use super::api::MAX_PAGES;
use super::artifact;
use super::wire::{Artifact, ArtifactsPage, RunsPage, WorkflowRun};
use super::{Shared, encode};
use crate::backend::BackendError;
use crate::domain::{PlanOrigin, Request, StoredPlan};
use std::path::PathBuf;
use std::sync::Arc;

/// A zip larger than this is not downloaded.
const MAX_ZIP_BYTES: u64 = 1 << 30;

/// What the runs of a head commit hold for one root.
#[derive(Clone, Debug)]
pub(super) enum Lookup {
    /// The artifact of the newest successful run that has it.
    Found {
        run: WorkflowRun,
        artifact: Artifact,
    },
    /// None yet, and a run of the commit is still going.
    Running,
    /// None, and no run will bring one.
    Nothing,
}

impl Shared {
    /// The runs of `head`, newest first.
    async fn runs_of(&self, head: &str) -> Result<Vec<WorkflowRun>, BackendError> {
        let path = format!(
            "/repos/{}/actions/runs?head_sha={}&per_page=100",
            self.repo,
            encode(head)
        );
        let mut runs = self
            .all::<RunsPage>(path, &format!("the workflow runs of {head}"), MAX_PAGES)
            .await?;
        // The filter is the server's: keep only what is of this very commit.
        runs.retain(|r| r.head_sha == head);
        runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(runs)
    }

    /// Where the plan of each of `roots` at `head` is: the runs of the
    /// head read once, and each successful run's artifacts once, newest
    /// run first, until every root has its artifact.
    pub(super) async fn lookup(
        &self,
        head: &str,
        roots: &[String],
    ) -> Result<Vec<Result<Lookup, BackendError>>, BackendError> {
        let runs = self.runs_of(head).await?;
        self.lookup_in(&runs, roots).await
    }

    /// The runs of `head`, with the artifacts of its newest successful run
    /// asked too (then known): what a lookup needs first, asked before the
    /// roots are known.
    pub(super) async fn runs_ahead(&self, head: &str) -> Result<Vec<WorkflowRun>, BackendError> {
        let runs = self.runs_of(head).await?;
        if let Some(newest) = runs.iter().find(|r| r.succeeded()) {
            // A failure here is met again, and said, by the lookup.
            let _ = self.artifacts_of(newest.id).await;
        }
        Ok(runs)
    }

    /// [`Self::lookup`] among `runs` (newest first).
    async fn lookup_in(
        &self,
        runs: &[WorkflowRun],
        roots: &[String],
    ) -> Result<Vec<Result<Lookup, BackendError>>, BackendError> {
        let names: Vec<String> = roots
            .iter()
            .map(|r| self.config.github.artifact_name(r))
            .collect();
        let mut found: Vec<Option<Lookup>> = vec![None; roots.len()];
        let mut expired: Vec<Option<u64>> = vec![None; roots.len()];
        for run in runs.iter().filter(|r| r.succeeded()) {
            if found.iter().all(Option::is_some) {
                break;
            }
            let artifacts = self.artifacts_of(run.id).await?;
            for (at, name) in names.iter().enumerate() {
                if found[at].is_some() {
                    continue;
                }
                let Some(artifact) = artifacts.iter().find(|a| a.name == *name) else {
                    continue;
                };
                if artifact.expired {
                    expired[at].get_or_insert(run.id);
                    continue;
                }
                found[at] = Some(Lookup::Found {
                    run: run.clone(),
                    artifact: artifact.clone(),
                });
            }
        }
        let running = runs.iter().any(WorkflowRun::running);
        let lookups = found
            .into_iter()
            .zip(expired)
            .zip(&names)
            .map(|((found, expired), name)| match (found, expired) {
                (Some(found), _) => Ok(found),
                (None, _) if running => Ok(Lookup::Running),
                (None, Some(run)) => Err(BackendError::NotFound(format!(
                    "the plan artifact {name} of run {run} expired: re-run the workflow"
                ))),
                (None, None) => Ok(Lookup::Nothing),
            })
            .collect::<Vec<_>>();
        Ok(lookups)
    }

    /// The artifacts of a completed run: asked once, as they do not change
    /// (an artifact that expires since answers 410 when downloaded).
    async fn artifacts_of(&self, run: u64) -> Result<Vec<Artifact>, BackendError> {
        let known = self
            .run_artifacts
            .lock()
            .ok()
            .and_then(|k| k.get(&run).cloned());
        if let Some(known) = known {
            return Ok(known);
        }
        let path = format!(
            "/repos/{}/actions/runs/{run}/artifacts?per_page=100",
            self.repo
        );
        let artifacts = self
            .all::<ArtifactsPage>(path, &format!("the artifacts of run {run}"), 10)
            .await?;
        if let Ok(mut known) = self.run_artifacts.lock() {
            known.insert(run, artifacts.clone());
        }
        Ok(artifacts)
    }

    /// The stored plan of each root of `request`, each with its own result;
    /// from `runs` of its head when they were read already.
    pub(super) async fn plans_of(
        self: Arc<Self>,
        request: Request,
        roots: Vec<String>,
        runs: Option<Result<Vec<WorkflowRun>, BackendError>>,
    ) -> Result<Vec<Result<Option<StoredPlan>, BackendError>>, BackendError> {
        let lookups = match runs {
            Some(runs) => self.lookup_in(&runs?, &roots).await?,
            None => self.lookup(&request.head, &roots).await?,
        };
        let plans = roots
            .into_iter()
            .zip(lookups)
            .map(|(root, lookup)| self.clone().plan_from(&request, root, lookup));
        Ok(futures_util::future::join_all(plans).await)
    }

    /// The stored plan of `root` of `request`: downloaded and stored when
    /// its artifact is new here. Remembers whether a run is going.
    pub(super) async fn plan_of(
        self: Arc<Self>,
        request: Request,
        root: String,
    ) -> Result<Option<StoredPlan>, BackendError> {
        let mut lookups = self
            .lookup(&request.head, std::slice::from_ref(&root))
            .await?;
        let lookup = lookups
            .pop()
            .ok_or_else(|| BackendError::Internal("no lookup for the root asked".into()))?;
        self.plan_from(&request, root, lookup).await
    }

    /// The stored plan `lookup` leads to. Remembers whether a run is going.
    async fn plan_from(
        self: Arc<Self>,
        request: &Request,
        root: String,
        lookup: Result<Lookup, BackendError>,
    ) -> Result<Option<StoredPlan>, BackendError> {
        if let Ok(mut seen) = self.lookups.lock() {
            let key = (request.head.clone(), root.clone());
            match &lookup {
                Ok(found) => seen.insert(key, found.clone()),
                Err(_) => seen.remove(&key),
            };
        }
        let Lookup::Found { run, artifact } = lookup? else {
            return Ok(None);
        };
        let known = self.fetched_digest(artifact.id);
        let store = self.store.clone();
        let (id, r) = (request.id.clone(), root.clone());
        let stored = tokio::task::spawn_blocking(move || store.get(&id, &r))
            .await
            .map_err(|e| BackendError::Internal(format!("reading the plan store: {e}")))??;
        if let (Some(stored), Some(digest)) = (&stored, &known) {
            if stored.digest == *digest && stored.head == run.head_sha {
                return Ok(Some(stored.clone()));
            }
        }
        self.fetch(request.clone(), root, run, artifact)
            .await
            .map(Some)
    }

    /// Downloads an artifact, reads it and stores its plan.
    async fn fetch(
        self: Arc<Self>,
        request: Request,
        root: String,
        run: WorkflowRun,
        artifact: Artifact,
    ) -> Result<StoredPlan, BackendError> {
        let what = format!("artifact {} of run {}", artifact.name, run.id);
        if artifact.size_in_bytes > MAX_ZIP_BYTES {
            return Err(BackendError::Invalid(format!(
                "{what} is {} MiB, more than plandeck downloads ({} MiB)",
                artifact.size_in_bytes >> 20,
                MAX_ZIP_BYTES >> 20
            )));
        }
        let path = format!("/repos/{}/actions/artifacts/{}/zip", self.repo, artifact.id);
        let zip = self.api.get_bytes(&path, MAX_ZIP_BYTES).await?;
        let shared = self.clone();
        tokio::task::spawn_blocking(move || {
            let files = artifact::read(&zip, &what)?;
            let scratch = shared.data_dir.join("downloads");
            std::fs::create_dir_all(&scratch).map_err(|e| io(&scratch, &e))?;
            // The binary plan goes into the store by path: written here
            // first, removed whatever happens.
            let plan_file = match &files.plan_file {
                Some(bytes) => {
                    let path = scratch.join(format!("{}.tfplan", artifact.id));
                    std::fs::write(&path, bytes).map_err(|e| io(&path, &e))?;
                    Some(path)
                }
                None => None,
            };
            let stored = shared.store.put(
                &request.id,
                &root,
                &run.head_sha,
                PlanOrigin::Artifact,
                &files.plan_json,
                plan_file.as_deref(),
                files.cost_json.as_deref(),
            );
            if let Some(path) = plan_file {
                let _ = std::fs::remove_file(path);
            }
            let stored = stored.map_err(|e| match e {
                BackendError::Plan(mut load) => {
                    load.source_name = format!("{what}: plan.json");
                    BackendError::Plan(load)
                }
                BackendError::Cost(cost) => BackendError::Parse(format!("{what}: {cost}")),
                other => other,
            })?;
            shared.remember_fetched(artifact.id, &stored.digest)?;
            Ok(stored)
        })
        .await
        .map_err(|e| BackendError::Internal(format!("storing a downloaded plan: {e}")))?
    }

    fn fetched_path(&self, artifact: u64) -> PathBuf {
        self.data_dir.join("artifacts").join(artifact.to_string())
    }

    /// The digest of the plan an artifact held, if it was fetched here.
    fn fetched_digest(&self, artifact: u64) -> Option<String> {
        let text = std::fs::read_to_string(self.fetched_path(artifact)).ok()?;
        Some(text.trim().to_string())
    }

    /// Notes that `artifact` was fetched and held `digest` (atomically).
    fn remember_fetched(&self, artifact: u64, digest: &str) -> Result<(), BackendError> {
        let path = self.fetched_path(artifact);
        let dir = path.parent().unwrap_or(&self.data_dir).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))?;
        let staging = dir.join(format!(".{artifact}.{}", std::process::id()));
        std::fs::write(&staging, digest).map_err(|e| io(&staging, &e))?;
        std::fs::rename(&staging, &path).map_err(|e| io(&path, &e))
    }

    /// Whether a run of `head` was still going when `root` was last looked up.
    pub(super) fn running(&self, head: &str, root: &str) -> bool {
        self.lookups.lock().is_ok_and(|seen| {
            matches!(
                seen.get(&(head.to_string(), root.to_string())),
                Some(Lookup::Running)
            )
        })
    }
}

fn io(path: &std::path::Path, e: &std::io::Error) -> BackendError {
    BackendError::Io(format!("{}: {e}", path.display()))
}
