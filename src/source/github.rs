//! The GitHub source: requests are the open, non-draft pull requests of
//! one repository into `[github] bases` (filtered by head branch pattern
//! and labels), read through GitHub's REST API with octocrab (`api`, on
//! its own runtime; the backend traits block). Authors are GitHub
//! accounts (`Identity::forge`, keyed by account id); the reviewer is the
//! token's user (`GET /user`), never a self-declared name.
//!
//! Roots come from the changed files by `[source] roots` (required here:
//! finding roots and the modules they call needs every configuration file
//! of two trees, which this source does not read yet). What is not built
//! yet (plans from Actions artifacts, decisions as reviews, workspaces,
//! merges) answers `BackendError::Invalid` naming it, never a silent
//! empty answer. Titles, branch names, logins and paths stay raw; this
//! module never renders.

mod api;
pub mod artifact;
mod backend;
mod merge;
mod plans;
mod pulls;
mod reports;
pub mod reviews;
mod runs;
pub mod token;
mod wire;

pub use api::{Counts, MAX_IN_FLIGHT, TIMEOUT};
pub use token::Token;

use crate::backend::BackendError;
use crate::config::Config;
use crate::source::store::PlanStore;
use globset::{GlobMatcher, GlobSet};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What must not have moved for a pull request's files and commits to be
/// known still: (head, updated_at, base).
type PullKey = (String, String, String);

/// The GitHub source of one repository.
pub struct GitHubSource {
    shared: Arc<Shared>,
}

/// What every call needs, shared with the tasks on the API's runtime.
struct Shared {
    api: api::Api,
    /// `owner/name`.
    repo: String,
    config: Config,
    head_pattern: GlobMatcher,
    roots: GlobSet,
    /// `<data dir>/github/<owner>/<name>`: downloaded plans, drift
    /// reports and apply locks of this repository on this machine.
    data_dir: PathBuf,
    store: PlanStore,
    /// (head, root) → what its runs held when last looked up.
    lookups: Mutex<HashMap<(String, String), plans::Lookup>>,
    /// Pull request number → (head, updated_at, base) and the request read then.
    requests: Mutex<HashMap<u64, (PullKey, crate::domain::Request)>>,
    /// The artifacts of completed runs (they do not change).
    run_artifacts: Mutex<HashMap<u64, Vec<wire::Artifact>>>,
    /// (org/slug, login) → whether an active member, as GitHub said.
    memberships: Mutex<HashMap<(String, String), bool>>,
    /// A listing's first page → its numbered pages when last read.
    pages: Mutex<HashMap<String, Vec<String>>>,
    /// The token's account, once GitHub said.
    reviewer: std::sync::OnceLock<crate::domain::Identity>,
    /// Runs found for dispatches GitHub named no run of (each taken once).
    claimed_runs: Mutex<std::collections::HashSet<u64>>,
}

impl std::fmt::Debug for GitHubSource {
    // By hand: nothing of the token, whatever octocrab's Debug would show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubSource")
            .field("repo", &self.shared.repo)
            .field("api_url", &self.shared.api.api_url())
            .finish_non_exhaustive()
    }
}

impl GitHubSource {
    /// Opens `[github] repo` with the token from GITHUB_TOKEN, GH_TOKEN or
    /// `token_command`. Nothing is asked of the API yet.
    pub fn open(config: &Config) -> Result<Self, BackendError> {
        let token = token::resolve(&config.github, |name| std::env::var(name).ok())?;
        Self::with_token(config, token)
    }

    /// Opens `[github] repo` with `token`.
    pub fn with_token(config: &Config, token: Token) -> Result<Self, BackendError> {
        Self::connect(config, token, api::TIMEOUT)
    }

    /// Opens `[github] repo` with `token`, giving each call `timeout`.
    pub fn connect(
        config: &Config,
        token: Token,
        timeout: std::time::Duration,
    ) -> Result<Self, BackendError> {
        let dirs = directories::ProjectDirs::from("", "", "plandeck").ok_or_else(|| {
            BackendError::Io("no home directory to keep plandeck's data in".into())
        })?;
        let mut data_dir = dirs.data_dir().join("github");
        for part in config.github.repo.split('/') {
            data_dir.push(part);
        }
        Self::connect_in(config, token, timeout, data_dir)
    }

    /// Opens `[github] repo` keeping this machine's data in `data_dir`.
    pub fn connect_in(
        config: &Config,
        token: Token,
        timeout: std::time::Duration,
        data_dir: PathBuf,
    ) -> Result<Self, BackendError> {
        let github = &config.github;
        if github.repo.is_empty() {
            return Err(BackendError::Invalid(
                "config: the GitHub source needs [github] repo = \"owner/name\"".into(),
            ));
        }
        let roots = crate::config::path_glob_set(&config.source.roots)
            .map_err(|e| BackendError::Invalid(format!("config: source.roots: {e}")))?
            .ok_or_else(|| {
                BackendError::Invalid(
                    "config: the GitHub source needs [source] roots globs (finding roots \
                     without them is not supported on GitHub yet)"
                        .into(),
                )
            })?;
        let head_pattern = globset::GlobBuilder::new(&github.head_pattern)
            .literal_separator(false)
            .build()
            .map_err(|e| {
                BackendError::Invalid(format!(
                    "config: github.head_pattern {:?}: {e}",
                    github.head_pattern
                ))
            })?
            .compile_matcher();
        Ok(Self {
            shared: Arc::new(Shared {
                api: api::Api::new(&github.api_url, token, timeout)?,
                repo: github.repo.clone(),
                config: config.clone(),
                head_pattern,
                roots,
                store: PlanStore::open(&data_dir),
                data_dir,
                lookups: Mutex::new(HashMap::new()),
                memberships: Mutex::new(HashMap::new()),
                pages: Mutex::new(HashMap::new()),
                reviewer: std::sync::OnceLock::new(),
                requests: Mutex::new(HashMap::new()),
                run_artifacts: Mutex::new(HashMap::new()),
                claimed_runs: Mutex::new(std::collections::HashSet::new()),
            }),
        })
    }

    /// How many calls were made, and how many answered 304 from the cache.
    pub fn counts(&self) -> Counts {
        self.shared.api.counts()
    }

    /// Runs async work on the API's runtime and waits for it.
    fn block<T, F, W>(&self, work: W) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, BackendError>> + Send + 'static,
        W: FnOnce(Arc<Shared>) -> F,
    {
        self.shared.api.block(work(self.shared.clone()))
    }
}

/// A path segment or query value, percent-encoded (`/` too).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            super::encode("release/v1.2 é?&"),
            "release%2Fv1.2%20%C3%A9%3F%26"
        );
    }
}
