//! The backend seam: what plandeck needs from wherever requests, plans and
//! decisions live, as capability traits, and the one error shape they share.
//!
//! A backend is the git repository today (`source::git`), a forge next
//! (GitHub pull requests, reviews and Actions artifacts; GitLab merge
//! requests, approvals and pipelines). Everything above this seam — the
//! gate's inputs (`source::gate`), the executor, drift checks, the TUI —
//! takes `&dyn Backend` (or one capability) and never names a concrete
//! backend; `clippy.toml` makes naming `GitSource` outside `source`, `cli`
//! and `demo` a lint error, and `.ci/run` runs clippy with `-D warnings`.
//!
//! The capabilities:
//! - [`Requests`]: open requests, one by name, their code diff, the base's
//!   CODEOWNERS and files (drift reads the roots at the base);
//! - [`PlanArtifacts`]: stored plans by request and root, and by digest;
//! - [`Decisions`]: read and record decisions atomically;
//! - [`Reviewers`]: who is reviewing, and whether two identities are one
//!   person (the provider decides);
//! - [`Workspaces`]: a checkout of a commit to plan or apply in;
//! - [`Merges`]: merging a request, and finding one merged for apply;
//! - [`LocalState`]: where this clone keeps drift reports and apply locks;
//! - [`ApplyRuns`]: applies run on the forge's CI (GitHub Actions).
//!
//! Implementations block (they run git, read files, call a forge); the TUI
//! calls them from tokio's blocking pool, never from its event loop. Nothing
//! here renders.

mod bundle;
mod error;
#[cfg(any(test, feature = "test-util"))]
pub mod fake;
mod runs;

pub use bundle::{RequestBundle, RootBundle};
pub use error::{BackendError, ErrorKind};
pub use runs::{ApplyRuns, DispatchedRun, JobProgress, RunProgress, StepProgress};

use crate::cost::CostReport;
use crate::domain::{Decision, Identity, MergedRequest, Request, StoredPlan};
use crate::plan::Plan;
use crate::review::CodeOwners;
use std::path::{Path, PathBuf};

/// Every capability in scope at once: `use crate::backend::prelude::*`.
pub mod prelude {
    pub use super::{
        ApplyRuns as _, Backend, Decisions as _, LocalState as _, Merges as _, PlanArtifacts as _,
        Reports as _, Requests as _, Reviewers as _, Workspaces as _,
    };
}

/// Where open requests come from.
pub trait Requests: Send + Sync {
    /// One line naming the backend, for the status bar.
    fn describe(&self) -> String;
    /// Open requests, newest first.
    fn list_requests(&self) -> Result<Vec<Request>, BackendError>;
    /// One open request by name or number (`request/42`, `42`, `#42`).
    fn resolve_request(&self, name_or_number: &str) -> Result<Request, BackendError>;
    /// The request's code change against its base, as a unified diff.
    fn code_diff(&self, request: &Request) -> Result<String, BackendError>;
    /// The CODEOWNERS file of the base branch, if there is one.
    fn code_owners(&self) -> Result<Option<CodeOwners>, BackendError>;
    /// The head commit of base branch `base` (one of `Config::bases`).
    fn base_commit(&self, base: &str) -> Result<String, BackendError>;
    /// The commit of the base the request's head forked from (the merge base).
    fn fork_point(&self, request: &Request) -> Result<String, BackendError>;
    /// Every file path of a commit's tree.
    fn files_at(&self, commit: &str) -> Result<Vec<String>, BackendError>;
}

/// A plan to store: what `plan -out` and `show -json` made for a root.
#[derive(Clone, Copy, Debug)]
pub struct NewPlan<'a> {
    /// The commit it was made from.
    pub head: &'a str,
    pub origin: crate::domain::PlanOrigin,
    pub plan_json: &'a [u8],
    /// The binary plan file, applied later exactly as approved.
    pub plan_file: Option<&'a Path>,
    pub cost_json: Option<&'a [u8]>,
}

/// Where plans are kept.
pub trait PlanArtifacts: Send + Sync {
    /// Whether a root without a stored plan has one on the way (a CI run
    /// of its head is still going), as of the last `stored_plan` call.
    fn plan_pending(&self, _request: &Request, _root: &str) -> bool {
        false
    }

    /// Validates and stores a plan of a request's root, replacing the
    /// earlier one; returns it as stored.
    fn store_plan(
        &self,
        request: &Request,
        root: &str,
        plan: NewPlan<'_>,
    ) -> Result<StoredPlan, BackendError>;
    /// The stored plan of a request's root, if any (metadata only).
    fn stored_plan(
        &self,
        request: &Request,
        root: &str,
    ) -> Result<Option<StoredPlan>, BackendError>;
    /// Loads a stored plan and its cost estimate.
    fn load_plan(&self, stored: &StoredPlan) -> Result<(Plan, Option<CostReport>), BackendError>;
    /// An earlier plan of a root by digest (the one an approval was bound
    /// to), when the backend kept it.
    fn plan_by_digest(
        &self,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<Option<Plan>, BackendError>;
}

/// Where decisions are recorded.
pub trait Decisions: Send + Sync {
    /// Decisions recorded on the request (every root, every head), oldest first.
    fn decisions(&self, request: &Request) -> Result<Vec<Decision>, BackendError>;
    /// Every decision on every request, for cross-checking the audit log.
    fn all_decisions(&self) -> Result<Vec<Decision>, BackendError>;
    /// Records a decision where every reviewer of the request will see it,
    /// atomically: concurrent recorders lose nothing.
    fn record_decision(&self, decision: &Decision) -> Result<(), BackendError>;
}

/// Who acts.
pub trait Reviewers: Send + Sync {
    /// Who is reviewing (the configured identity, or the token's account).
    fn reviewer(&self) -> Result<Identity, BackendError>;
}

/// A place to plan and apply in.
pub trait Workspaces: Send + Sync {
    /// Checks `commit` out into `dir`, a new path inside a private directory.
    fn check_out(&self, commit: &str, dir: &Path) -> Result<(), BackendError>;
    /// Removes a checkout made by [`Workspaces::check_out`] (best effort).
    fn remove_checkout(&self, dir: &Path);
    /// Forgets checkouts whose directories are gone.
    fn prune_checkouts(&self);
}

pub use crate::domain::MergePurpose;

/// Merging requests into their base.
pub trait Merges: Send + Sync {
    /// Merges `request` (at its pinned head) into its base with a message
    /// naming the roots and digests and why; returns the merge commit. A
    /// base or head that moved is a conflict, never retried.
    fn merge(
        &self,
        request: &Request,
        roots: &[(String, String)],
        purpose: MergePurpose,
    ) -> Result<String, BackendError>;
    /// The newest merge plandeck made for applying request `id`
    /// (merge-then-apply), with the request rebuilt from it.
    fn merged_for_apply(&self, id: &str) -> Result<Option<MergedRequest>, BackendError>;

    /// Deletes the request's branch once it is merged, only while it still
    /// points at the merged head (a push since keeps it). `Ok(false)`:
    /// there is no branch of it here to delete.
    fn delete_branch(&self, request: &Request) -> Result<bool, BackendError> {
        let _ = request;
        Err(BackendError::Invalid(
            "this source cannot delete request branches".into(),
        ))
    }
}

/// A root's commit status, as the forge shows it beside the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootStatus {
    /// The gate passes.
    Success,
    /// The gate does not pass (yet).
    Failure,
    /// No plan yet.
    Pending,
}

/// The forge's own review state of a request (its latest APPROVED or
/// CHANGES_REQUESTED review per account): shown beside plandeck's gate,
/// never counted by it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForgeReviews {
    /// Logins whose latest review approves.
    pub approved: Vec<String>,
    /// Logins whose latest review requests changes.
    pub changes_requested: Vec<String>,
}

impl ForgeReviews {
    /// `approved by @a, @b; changes requested by nobody`: logins raw.
    pub fn describe(&self) -> String {
        let names = |logins: &[String]| match logins.len() {
            0 => "nobody".to_string(),
            _ => logins
                .iter()
                .map(|l| format!("@{l}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!(
            "approved by {}; changes requested by {}",
            names(&self.approved),
            names(&self.changes_requested)
        )
    }
}

/// A forge API's rate limit as its answers state it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRate {
    pub remaining: u64,
    pub limit: u64,
    /// When the window starts again (unix seconds).
    pub reset_at: Option<i64>,
}

impl ApiRate {
    /// Less than a tenth left: worth a warning.
    pub fn is_low(&self) -> bool {
        self.remaining.saturating_mul(10) < self.limit
    }
}

/// What precedes [`ForgeReviews::describe`] wherever it is shown: it is
/// beside the gate, never in it.
pub const FORGE_REVIEWS_LABEL: &str = "GitHub's own reviews (not counted by plandeck): ";

/// What a forge shows of plandeck on its requests: one summary comment per
/// request, a status per root. Where there is no forge (git), each says so.
pub trait Reports: Send + Sync {
    /// Creates or updates (in place) the request's plandeck comment, the
    /// one of this account starting with `marker`; true when it was created.
    fn publish_comment(
        &self,
        _request: &Request,
        _marker: &str,
        _body: &str,
    ) -> Result<bool, BackendError> {
        Err(BackendError::Invalid(
            "this source has no pull request to comment on (use [source] kind = \"github\")".into(),
        ))
    }

    /// How much of the forge's API rate limit is left, as its last answer
    /// said; `None` without a forge or before any answer.
    fn api_rate(&self) -> Option<ApiRate> {
        None
    }

    /// The forge's own review state, where there is a forge.
    fn forge_reviews(&self, _request: &Request) -> Result<Option<ForgeReviews>, BackendError> {
        Ok(None)
    }

    /// Sets the status `plandeck/<root>` of the request's head.
    fn set_status(
        &self,
        _request: &Request,
        _root: &str,
        _status: RootStatus,
        _description: &str,
    ) -> Result<(), BackendError> {
        Err(BackendError::Invalid(
            "this source has no commit statuses (use [source] kind = \"github\")".into(),
        ))
    }
}

/// State this clone keeps for itself: drift reports and apply locks.
pub trait LocalState: Send + Sync {
    /// A directory shared by everyone working from this clone
    /// (`<git-dir>/plandeck` for git).
    fn state_dir(&self) -> Result<PathBuf, BackendError>;
}

/// Every capability: what the executor, drift checks and the TUI take.
pub trait Backend:
    Requests
    + PlanArtifacts
    + Decisions
    + Reviewers
    + Workspaces
    + Merges
    + LocalState
    + Reports
    + ApplyRuns
{
    /// A request with each root's stored plan, its summary facts and the
    /// request's decisions, in one call: a forge fetches them concurrently;
    /// this default asks one after the other.
    fn request_bundle(&self, request: &Request) -> Result<RequestBundle, BackendError> {
        bundle::sequential(self, request)
    }

    /// [`Backend::request_bundle`] of each request, in their order: a forge
    /// fetches them concurrently (within its bound on requests in flight).
    fn request_bundles(&self, requests: &[Request]) -> Vec<Result<RequestBundle, BackendError>> {
        requests.iter().map(|r| self.request_bundle(r)).collect()
    }

    /// The open requests, each with its bundle, handed to `each` as they
    /// come: what the request list shows. A forge asks for each request's
    /// bundle as soon as it has read the request, and hands it over as soon
    /// as it is complete, so the caller can work on it while the rest
    /// arrive; `position` puts them back in the list's order.
    fn list_with_bundles(&self, each: &mut dyn FnMut(ListedBundle)) -> Result<(), BackendError> {
        let requests = self.list_requests()?;
        let bundles = self.request_bundles(&requests);
        for (position, (request, bundle)) in requests.into_iter().zip(bundles).enumerate() {
            each(ListedBundle {
                position,
                request,
                bundle,
            });
        }
        Ok(())
    }
}

/// One request of a listing and its bundle.
pub struct ListedBundle {
    /// Where it goes in the list (newest first); not always dense.
    pub position: usize,
    pub request: Request,
    pub bundle: Result<RequestBundle, BackendError>,
}

/// The stderr of a failed program as one line: whitespace folded, the last
/// 4,000 characters kept (the end says what failed).
pub fn stderr_tail(stderr: &str) -> String {
    let folded = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    const KEEP: usize = 4000;
    match folded.char_indices().rev().nth(KEEP - 1) {
        Some((at, _)) if at > 0 => format!("…{}", &folded[at..]),
        _ => folded,
    }
}
