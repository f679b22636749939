//! Sources of requests: the backends that implement the capability traits
//! of [`crate::backend`] (the git repository: `git`, with its decisions as
//! notes, `notes`, and its plan store, `store`), and what is gathered from
//! any backend for the gate (`gate`) and the root discovery (`modules`).
//! This module never renders.

#![allow(clippy::disallowed_types)] // names the git backend (see clippy.toml)

pub mod gate;
pub mod git;
pub mod github;
pub mod modules;
pub mod notes;
pub mod paths;
pub mod store;

pub use crate::backend::{Backend, BackendError};

/// The backend `[source] kind` names: the git repository at `repo`, or the
/// pull requests of `[github] repo` (with the token of the environment or
/// `token_command`).
pub fn open(
    repo: &std::path::Path,
    config: &crate::config::Config,
) -> Result<std::sync::Arc<dyn Backend>, BackendError> {
    Ok(match config.source.kind {
        crate::config::SourceKind::Git => std::sync::Arc::new(git::GitSource::open(repo, config)?),
        crate::config::SourceKind::GitHub => {
            std::sync::Arc::new(github::GitHubSource::open(config)?)
        }
    })
}
pub use crate::domain::{Identity, PlanOrigin, PlanStatus, Request, RootRef, StoredPlan};
