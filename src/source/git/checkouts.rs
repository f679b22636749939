//! Checkouts of a local clone's commits as detached worktrees, without the
//! operator's hooks: the git source's own, and the clone an Actions job
//! runs in (`plandeck ci apply` plans the dispatched commit there, never
//! the job's working tree).

use super::run::git;
use crate::backend::{BackendError, Workspaces};
use std::path::{Path, PathBuf};

/// The worktrees of one local clone.
#[derive(Clone, Debug)]
pub struct LocalCheckouts {
    repo: PathBuf,
}

impl LocalCheckouts {
    pub fn new(repo: &Path) -> Self {
        Self {
            repo: repo.to_path_buf(),
        }
    }
}

impl Workspaces for LocalCheckouts {
    /// `git worktree add --detach`, without the operator's hooks.
    fn check_out(&self, commit: &str, dir: &Path) -> Result<(), BackendError> {
        let target = dir.to_string_lossy();
        // The operator's hooks (post-checkout) have no business here.
        let add = [
            "-c",
            "core.hooksPath=/dev/null",
            "worktree",
            "add",
            "--detach",
            "--quiet",
            &target,
            commit,
        ];
        git(&self.repo, &add).map(drop)
    }

    fn remove_checkout(&self, dir: &Path) {
        let target = dir.to_string_lossy();
        // Forced twice: planning left untracked files (.terraform) behind.
        let _ = git(
            &self.repo,
            &["worktree", "remove", "--force", "--force", &target],
        );
    }

    fn prune_checkouts(&self) {
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}
