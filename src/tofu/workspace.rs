//! The [`Workspace`]: a private temporary directory holding the backend's
//! checkout of the commit to plan (a detached worktree for git), removed when done; and the pruning of
//! workspaces that a killed plandeck left behind.

use super::{PlanOutput, TofuError, confine, plan_confined};
use crate::backend::Workspaces;
use crate::config::RootTarget;
use crate::source::BackendError;
use std::path::{Path, PathBuf};

/// Temporary directories are named `plandeck-plan-PID-…`: the pid tells a
/// live workspace from one whose process died.
const TEMP_PREFIX: &str = "plandeck-plan-";

/// A private temporary directory holding a detached worktree of a commit,
/// where roots are planned, and the plan files' output directories.
/// Removed by [`Workspace::remove`] or, on any early return, on drop.
pub struct Workspace<'a> {
    source: &'a dyn Workspaces,
    temp: PathBuf,
    worktree: PathBuf,
    planned: usize,
    removed: bool,
}

impl<'a> Workspace<'a> {
    /// A checkout of `commit` (a detached worktree for git) in a new
    /// temporary directory.
    pub fn create(source: &'a dyn Workspaces, commit: &str) -> Result<Self, BackendError> {
        let temp = private_temp_dir()?;
        let mut workspace = Self {
            source,
            worktree: temp.join("worktree"),
            temp,
            planned: 0,
            removed: false,
        };
        if let Err(e) = source.check_out(commit, &workspace.worktree) {
            workspace.cleanup();
            return Err(e);
        }
        Ok(workspace)
    }

    /// The worktree directory: the checked-out commit.
    pub fn worktree(&self) -> &Path {
        &self.worktree
    }

    /// Plans `target` (its directory relative to the repository, with its
    /// environment's state arguments).
    pub fn plan(
        &mut self,
        binary: &Path,
        target: &RootTarget,
    ) -> Result<PlanOutput, PlanInWorkspaceError> {
        let root = target.dir.as_str();
        let root_dir = self.worktree.join(root);
        confine::check_tree(&self.worktree, root)
            .map_err(|e| PlanInWorkspaceError::Tofu(TofuError::Confined(e)))?;
        if !root_dir.is_dir() {
            return Err(PlanInWorkspaceError::NoRoot);
        }
        self.planned += 1;
        let out_dir = self.temp.join(format!("out-{}", self.planned));
        std::fs::create_dir(&out_dir)
            .map_err(|e| PlanInWorkspaceError::Io(format!("{}: {e}", out_dir.display())))?;
        Ok(plan_confined(
            binary,
            &root_dir,
            target,
            &out_dir,
            Some(&self.worktree),
        )?)
    }

    /// Removes the worktree and the directory; an error when it stayed.
    pub fn remove(mut self) -> Result<(), BackendError> {
        self.cleanup();
        if self.temp.exists() {
            return Err(BackendError::Io(format!(
                "cannot remove {}",
                self.temp.display()
            )));
        }
        Ok(())
    }

    fn cleanup(&mut self) {
        self.removed = true;
        self.source.remove_checkout(&self.worktree);
        let _ = std::fs::remove_dir_all(&self.temp);
        self.source.prune_checkouts();
    }
}

impl Drop for Workspace<'_> {
    fn drop(&mut self) {
        if !self.removed {
            self.cleanup();
        }
    }
}

/// Why a root could not be planned in a workspace.
#[derive(Debug, thiserror::Error)]
pub enum PlanInWorkspaceError {
    #[error("the root does not exist at the request's head")]
    NoRoot,
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Tofu(#[from] TofuError),
}

/// A new directory only this user can read (plans may hold secrets).
fn private_temp_dir() -> Result<PathBuf, BackendError> {
    let base = std::env::temp_dir();
    let mut last_error = None;
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!(
            "{TEMP_PREFIX}{}-{nanos}-{attempt}",
            std::process::id()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last_error = Some(e),
        }
    }
    Err(BackendError::Io(format!(
        "cannot create a temporary directory in {}: {}",
        base.display(),
        last_error.map_or_else(String::new, |e| e.to_string())
    )))
}

/// Removes the workspaces (temporary directory and worktree) of plandeck
/// processes that are gone, and git's records of their worktrees; returns
/// the directories removed, for the caller to name. Only directories of
/// this user are touched.
pub fn prune_stale(source: &dyn Workspaces) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if is_alive(pid) || !is_ours(&entry.path()) {
            continue;
        }
        let dir = entry.path();
        let worktree = dir.join("worktree");
        if worktree.exists() {
            source.remove_checkout(&worktree);
        }
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed.push(dir);
        }
    }
    source.prune_checkouts();
    removed
}

/// [`prune_stale`], each removed directory named on standard error (the
/// commands' stdout is their result).
pub fn prune_stale_and_say(source: &dyn Workspaces) {
    for dir in prune_stale(source) {
        crate::sanitize::warn_line(format_args!(
            "plandeck: removed the workspace of an interrupted run: {}",
            crate::sanitize::escape(&dir.display().to_string()).text
        ));
    }
}

fn is_alive(pid: i32) -> bool {
    pid == std::process::id() as i32
        || rustix::process::Pid::from_raw(pid).is_some_and(|p| {
            !matches!(
                rustix::process::test_kill_process(p),
                Err(rustix::io::Errno::SRCH)
            )
        })
}

#[cfg(unix)]
fn is_ours(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.is_dir() && m.uid() == rustix::process::getuid().as_raw())
}

#[cfg(not(unix))]
fn is_ours(path: &Path) -> bool {
    path.is_dir()
}
