//! Applies that run on the forge's CI (GitHub Actions) rather than here:
//! what the github-actions executor needs of a backend. A run is
//! dispatched with the request, root, approved head and digest; the
//! executor follows it (status, jobs, steps), reads its job logs, and can
//! cancel it. The run itself (`plandeck ci apply`) checks the gate again
//! where the credentials are.

use super::BackendError;
use crate::domain::Request;

/// A dispatched apply run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatchedRun {
    pub id: u64,
    /// Its page on the forge.
    pub url: String,
    /// The forge returned no run id, so the run was found by workflow,
    /// event, actor, branch, creation time and title.
    pub searched: bool,
}

/// A run as the forge reports it now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunProgress {
    pub id: u64,
    pub url: String,
    /// queued, in_progress, waiting, completed…
    pub status: String,
    /// success, failure, cancelled… once completed.
    pub conclusion: Option<String>,
    pub jobs: Vec<JobProgress>,
}

impl RunProgress {
    pub fn completed(&self) -> bool {
        self.status == "completed"
    }

    pub fn succeeded(&self) -> bool {
        self.completed() && self.conclusion.as_deref() == Some("success")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobProgress {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub steps: Vec<StepProgress>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepProgress {
    pub number: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
}

fn no_runs() -> BackendError {
    BackendError::Invalid(
        "this source runs no workflows: the github-actions executor needs \
         [source] kind = \"github\""
            .into(),
    )
}

/// Apply runs on the forge's CI.
pub trait ApplyRuns: Send + Sync {
    /// Dispatches the apply workflow for `root` of `request` at its head
    /// with the approved `digest`. Sent once, never retried.
    fn dispatch_apply(
        &self,
        _request: &Request,
        _root: &str,
        _digest: &str,
    ) -> Result<DispatchedRun, BackendError> {
        Err(no_runs())
    }

    /// The run and its jobs' steps now.
    fn apply_run(&self, _id: u64) -> Result<RunProgress, BackendError> {
        Err(no_runs())
    }

    /// A job's log, as text.
    fn apply_run_log(&self, _job: u64) -> Result<String, BackendError> {
        Err(no_runs())
    }

    /// Asks the forge to cancel the run.
    fn cancel_apply_run(&self, _id: u64) -> Result<(), BackendError> {
        Err(no_runs())
    }
}
