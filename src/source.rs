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

pub use crate::domain::{Identity, PlanOrigin, PlanStatus, Request, RootRef, StoredPlan};

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
