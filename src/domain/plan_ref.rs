//! A plan kept for a request's root: where it came from, its digest and
//! where its files are. Metadata only; loading a plan is the sources' work.

use super::Request;
use serde::Serialize;
use std::path::PathBuf;

/// Where a stored plan came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanOrigin {
    /// Made by `plandeck plan` in a worktree of the request.
    Planned,
    /// Imported with `plandeck import-plan` (made by CI).
    Imported,
    /// Downloaded from a CI run's artifact (the GitHub source).
    Artifact,
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
    /// No plan yet, and a CI run of the head is still going.
    #[serde(rename = "no-plan-ci-running")]
    Pending,
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

    /// [`PlanStatus::of`], with what a forge says of a root without a
    /// plan: one may be on the way.
    pub fn with_pending(request: &Request, stored: Option<&StoredPlan>, pending: bool) -> Self {
        match Self::of(request, stored) {
            Self::NoPlan if pending => Self::Pending,
            status => status,
        }
    }

    /// The word, machine-shaped: `no-plan`, `no-plan-ci-running`,
    /// `outdated-plan`, `planned`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::NoPlan => "no-plan",
            Self::Pending => "no-plan-ci-running",
            Self::Outdated => "outdated-plan",
            Self::Planned => "planned",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::NoPlan => "no plan",
            Self::Pending => "no plan (CI running)",
            Self::Outdated => "outdated plan",
            Self::Planned => "planned",
        }
    }
}
