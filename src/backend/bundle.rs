//! One request with everything the list shows of it, fetched in one call
//! (`Backend::request_bundle`): a forge answers it with concurrent calls,
//! the default asks the capabilities one after the other. Each part keeps
//! its own result, so one root's unreadable plan fails only that root.

use super::{Backend, BackendError};
use crate::domain::{Decision, Request, StoredPlan};

/// A request, its decisions and each root's stored plan.
#[derive(Debug)]
pub struct RequestBundle {
    pub request: Request,
    pub decisions: Result<Vec<Decision>, BackendError>,
    /// In the order of `request.roots`.
    pub roots: Vec<RootBundle>,
    /// The forge's own review state, where there is a forge (read with
    /// the decisions; shown beside the gate, never counted).
    pub forge_reviews: Option<super::ForgeReviews>,
}

/// One root's stored plan (metadata only; the plan is loaded on demand).
#[derive(Debug)]
pub struct RootBundle {
    pub path: String,
    pub stored: Result<Option<StoredPlan>, BackendError>,
    /// No plan yet, and one is on the way (a CI run is going).
    pub pending: bool,
}

/// The default: each part asked in turn.
pub(super) fn sequential<B: Backend + ?Sized>(
    backend: &B,
    request: &Request,
) -> Result<RequestBundle, BackendError> {
    let roots = request
        .roots
        .iter()
        .map(|root| {
            let stored = backend.stored_plan(request, &root.path);
            RootBundle {
                pending: backend.plan_pending(request, &root.path),
                path: root.path.clone(),
                stored,
            }
        })
        .collect();
    Ok(RequestBundle {
        decisions: backend.decisions(request),
        request: request.clone(),
        roots,
        forge_reviews: None,
    })
}
