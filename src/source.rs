//! Sources of requests: where open infrastructure changes, their plans and
//! their code diffs come from. One trait, so later sources (GitHub, GitLab)
//! plug in without touching the UI.
//!
//! Implementations block (they run git, read files, call a forge); the TUI
//! calls them from tokio's blocking pool, never from the event loop. This
//! module never renders.

pub mod gate;
pub mod git;
pub mod modules;
pub mod notes;
pub mod store;

use crate::cost::CostReport;
use crate::plan::Plan;
use serde::Serialize;
use std::path::PathBuf;

/// A person as git or a forge knows them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// A root directory (its own state) touched by a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RootRef {
    /// Path relative to the repository, `/`-separated, e.g. `apps/web/prod1`.
    pub path: String,
    /// The environment by config globs or by name (`dev`, `stage`, `prod`).
    pub environment: Option<String>,
    /// Why it is affected when none of its own files changed: the changed
    /// local module directories it reads (directly or through other
    /// modules), sorted. Empty when its own files changed.
    pub via: Vec<String>,
}

/// An open change: a branch and, on a forge, its pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Stable identifier: the branch name for git (`request/42`).
    pub id: String,
    /// The number, when the branch or pull request has one.
    pub number: Option<u64>,
    /// The subject of the request's first commit, or the pull request title.
    pub title: String,
    /// Authors of the request's commits, in order of first appearance.
    pub authors: Vec<Identity>,
    /// Committers of the request's commits, in order of first appearance.
    pub committers: Vec<Identity>,
    /// The head commit.
    pub head: String,
    /// The base branch it merges into.
    pub base: String,
    /// Commit time of the first commit of the request (unix seconds).
    pub created_at: i64,
    /// Commit time of the head commit (unix seconds).
    pub updated_at: i64,
    /// Files changed against the base (`git diff base...head`).
    pub changed_files: Vec<String>,
    /// Roots those files belong to, sorted by path.
    pub roots: Vec<RootRef>,
}

/// Where a stored plan came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanOrigin {
    /// Made by `plandeck plan` in a worktree of the request.
    Planned,
    /// Imported with `plandeck import-plan` (made by CI).
    Imported,
}

/// A plan kept for a request and root, as metadata; the JSON is loaded on demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredPlan {
    pub request: String,
    pub root: String,
    /// The head commit the plan was made from.
    pub head: String,
    /// When it was stored (unix seconds).
    pub stored_at: i64,
    pub origin: PlanOrigin,
    pub digest: String,
    pub plan_json: PathBuf,
    /// The binary plan file (`plan -out`), when one exists.
    pub plan_file: Option<PathBuf>,
    pub cost_json: Option<PathBuf>,
}

/// Whether a request's root has a usable plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanStatus {
    NoPlan,
    /// Made from an older head commit than the request's.
    #[serde(rename = "outdated-plan")]
    Outdated,
    Planned,
}

impl PlanStatus {
    pub fn of(request: &Request, stored: Option<&StoredPlan>) -> Self {
        match stored {
            None => Self::NoPlan,
            Some(plan) if plan.head != request.head => Self::Outdated,
            Some(_) => Self::Planned,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::NoPlan => "no plan",
            Self::Outdated => "outdated plan",
            Self::Planned => "planned",
        }
    }
}

/// A failure of a source, in one line.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("git {command} failed: {stderr}")]
    Git { command: String, stderr: String },
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Plan(#[from] crate::plan::LoadError),
    #[error(transparent)]
    Cost(#[from] crate::cost::CostError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

/// Where requests come from.
pub trait Source: Send + Sync {
    /// One line naming the source, for the status bar.
    fn describe(&self) -> String;
    /// Open requests, newest first.
    fn list_requests(&self) -> Result<Vec<Request>, SourceError>;
    /// The stored plan of a request's root, if any (metadata only).
    fn stored_plan(&self, request: &Request, root: &str)
    -> Result<Option<StoredPlan>, SourceError>;
    /// Loads a stored plan and its cost estimate.
    fn load_plan(&self, stored: &StoredPlan) -> Result<(Plan, Option<CostReport>), SourceError>;
    /// The request's code change against its base, as a unified diff.
    fn code_diff(&self, request: &Request) -> Result<String, SourceError>;
    /// Who is reviewing (the configured identity).
    fn reviewer(&self) -> Result<Identity, SourceError>;
    /// Decisions recorded on the request (every root, every head), oldest first.
    fn decisions(&self, request: &Request) -> Result<Vec<crate::review::Decision>, SourceError>;
    /// Records a decision where every reviewer of the request will see it.
    fn record_decision(&self, decision: &crate::review::Decision) -> Result<(), SourceError>;
    /// An earlier plan of a root by digest (the one an approval was bound
    /// to), when the source kept it.
    fn plan_by_digest(
        &self,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<Option<Plan>, SourceError>;
    /// The CODEOWNERS file of the base branch, if there is one.
    fn code_owners(&self) -> Result<Option<crate::review::CodeOwners>, SourceError>;
}
