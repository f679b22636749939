//! The git repository as a [`crate::backend::Backend`]: requests are
//! branches, plans live in the plan store under the git dir, decisions are
//! notes, workspaces are detached worktrees, merges are merge commits, and
//! local state lives in `<git-dir>/plandeck`.

use super::GitSource;
use crate::backend::{
    Backend, BackendError, Decisions, LocalState, MergePurpose, Merges, NewPlan, PlanArtifacts,
    Reports, Requests, Reviewers, Workspaces,
};
use crate::cost::CostReport;
use crate::domain::{Decision, Identity, MergedRequest, Request, StoredPlan};
use crate::plan::Plan;
use crate::review::CodeOwners;
use std::path::{Path, PathBuf};

impl Requests for GitSource {
    fn describe(&self) -> String {
        // Short: it heads the terminal UI's title bar.
        let routes = self.config.source.routes();
        let into = match routes.as_slice() {
            [one] => format!("{} into {}", one.pattern, one.base),
            _ => format!("requests into {}", self.config.bases().join(", ")),
        };
        format!("git {} ({into})", self.repo.display())
    }

    fn list_requests(&self) -> Result<Vec<Request>, BackendError> {
        self.requests()
    }

    fn resolve_request(&self, name_or_number: &str) -> Result<Request, BackendError> {
        self.find_request(name_or_number)
    }

    fn code_diff(&self, request: &Request) -> Result<String, BackendError> {
        let range = format!("{}...{}", request.base, request.head);
        let diff = "diff --no-color --no-ext-diff --no-relative --src-prefix=a/ --dst-prefix=b/";
        self.run(diff, &["--end-of-options", &range])
    }

    fn code_owners(&self) -> Result<Option<CodeOwners>, BackendError> {
        Ok(self
            .base_file(&["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"])
            .map(|t| CodeOwners::parse(&t)))
    }

    fn base_commit(&self, base: &str) -> Result<String, BackendError> {
        self.branch_head(base)
    }

    fn fork_point(&self, request: &Request) -> Result<String, BackendError> {
        let base = self.run(
            "merge-base --end-of-options",
            &[&request.base, &request.head],
        )?;
        Ok(base.trim().to_string())
    }

    fn files_at(&self, commit: &str) -> Result<Vec<String>, BackendError> {
        let listing = self.run("ls-tree -r -z --name-only --end-of-options", &[commit])?;
        Ok(listing
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect())
    }
}

impl PlanArtifacts for GitSource {
    fn store_plan(
        &self,
        request: &Request,
        root: &str,
        plan: NewPlan<'_>,
    ) -> Result<StoredPlan, BackendError> {
        self.store.put(
            &request.id,
            root,
            plan.head,
            plan.origin,
            plan.plan_json,
            plan.plan_file,
            plan.cost_json,
        )
    }

    fn stored_plan(
        &self,
        request: &Request,
        root: &str,
    ) -> Result<Option<StoredPlan>, BackendError> {
        self.store.get(&request.id, root)
    }

    fn load_plan(&self, stored: &StoredPlan) -> Result<(Plan, Option<CostReport>), BackendError> {
        self.store.load(stored)
    }

    fn plan_by_digest(
        &self,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<Option<Plan>, BackendError> {
        match self.store.historical(&request.id, root, digest)? {
            Some(path) => Ok(Some(crate::plan::load_plan(&path)?)),
            None => Ok(None),
        }
    }
}

impl Decisions for GitSource {
    fn decisions(&self, request: &Request) -> Result<Vec<Decision>, BackendError> {
        crate::source::notes::decisions(self, request)
    }

    fn all_decisions(&self) -> Result<Vec<Decision>, BackendError> {
        crate::source::notes::all_decisions(self)
    }

    fn record_decision(&self, decision: &Decision) -> Result<(), BackendError> {
        crate::source::notes::record(self, decision)
    }
}

impl Reviewers for GitSource {
    fn reviewer(&self) -> Result<Identity, BackendError> {
        self.committer()
    }
}

impl Workspaces for GitSource {
    fn check_out(&self, commit: &str, dir: &Path) -> Result<(), BackendError> {
        super::LocalCheckouts::new(&self.repo).check_out(commit, dir)
    }

    fn remove_checkout(&self, dir: &Path) {
        super::LocalCheckouts::new(&self.repo).remove_checkout(dir);
    }

    fn prune_checkouts(&self) {
        super::LocalCheckouts::new(&self.repo).prune_checkouts();
    }
}

impl Merges for GitSource {
    fn merge(
        &self,
        request: &Request,
        roots: &[(String, String)],
        purpose: MergePurpose,
    ) -> Result<String, BackendError> {
        super::merge::merge_request(self, request, roots, purpose)
    }

    fn merged_for_apply(&self, id: &str) -> Result<Option<MergedRequest>, BackendError> {
        self.find_merged_for_apply(id)
    }

    /// The local branch only: a remote's request branch is the remote's to
    /// delete (plandeck pushes nothing). A base branch that is itself a
    /// request (GitFlow's `develop` into `main`) is never deleted.
    fn delete_branch(&self, request: &Request) -> Result<bool, BackendError> {
        if self.config.bases().contains(&request.id) {
            return Ok(false);
        }
        let branch = format!("refs/heads/{}", request.id);
        if self
            .git(&["rev-parse", "--verify", "-q", "--end-of-options", &branch])
            .is_err()
        {
            return Ok(false);
        }
        let current = self
            .git(&["symbolic-ref", "-q", "HEAD"])
            .unwrap_or_default();
        if current.trim() == branch {
            return Err(BackendError::Invalid(format!(
                "{} is checked out here: not deleted",
                request.id
            )));
        }
        // Guarded by the merged head: a branch pushed to since stays.
        self.git(&["update-ref", "-d", &branch, &request.head])
            .map_err(|_| {
                BackendError::Conflict(format!(
                    "{} moved since it was merged: not deleted",
                    request.id
                ))
            })?;
        Ok(true)
    }
}

impl LocalState for GitSource {
    fn state_dir(&self) -> Result<PathBuf, BackendError> {
        Ok(self.git_dir()?.join("plandeck"))
    }
}

/// Git has no comments or statuses: the defaults say so.
impl Reports for GitSource {}
impl crate::backend::ApplyRuns for GitSource {}

impl Backend for GitSource {}
