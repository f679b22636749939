//! The fields plandeck reads of GitHub's REST answers (the shapes of its
//! OpenAPI description), and nothing else: everything not named here is
//! ignored, so a new field never breaks a listing. Strings stay raw.

use serde::Deserialize;

/// A user as GitHub embeds it (`simple-user`); a commit's `author` may be
/// null or `{}` when its email belongs to no account.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct User {
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub id: u64,
    /// Only in `GET /user` (and `users/{name}`).
    #[serde(default)]
    pub name: Option<String>,
}

impl User {
    /// Whether this names an account (not null, not `{}`).
    pub fn is_account(&self) -> bool {
        self.id != 0 && !self.login.is_empty()
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Label {
    pub name: String,
}

/// `head` or `base` of a pull request.
#[derive(Debug, Deserialize)]
pub(super) struct Branch {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
}

/// `pull-request-simple` (the list) and `pull-request` (one).
#[derive(Debug, Deserialize)]
pub(super) struct Pull {
    pub number: u64,
    pub state: String,
    pub title: String,
    pub user: Option<User>,
    #[serde(default)]
    pub labels: Vec<Label>,
    pub created_at: String,
    pub updated_at: String,
    pub head: Branch,
    pub base: Branch,
    #[serde(default)]
    pub draft: Option<bool>,
    /// Its page on the web.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Set once merged (an open one's `merge_commit_sha` is GitHub's test merge).
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
}

/// `diff-entry`: one changed file of a pull request.
#[derive(Debug, Deserialize)]
pub(super) struct File {
    pub filename: String,
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
    /// Absent for binary files and very large diffs.
    #[serde(default)]
    pub patch: Option<String>,
}

/// `commit` of `pulls/{n}/commits`.
#[derive(Debug, Deserialize)]
pub(super) struct Commit {
    pub commit: CommitDetail,
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub committer: Option<User>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CommitDetail {
    #[serde(default)]
    pub author: Option<GitPerson>,
    #[serde(default)]
    pub committer: Option<GitPerson>,
}

/// A git identity as the commit records it (self-declared).
#[derive(Debug, Deserialize)]
pub(super) struct GitPerson {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

/// `branch-with-protection`, for its head commit.
#[derive(Debug, Deserialize)]
pub(super) struct BranchInfo {
    pub commit: Sha,
}

#[derive(Debug, Deserialize)]
pub(super) struct Sha {
    pub sha: String,
}

/// `commit-comparison`, for the merge base.
#[derive(Debug, Deserialize)]
pub(super) struct Comparison {
    pub merge_base_commit: Sha,
}

/// `git-tree` (recursive).
#[derive(Debug, Deserialize)]
pub(super) struct Tree {
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Parses an answer; a failure names what was asked.
pub(super) fn parse<T: serde::de::DeserializeOwned>(
    body: &str,
    what: &str,
) -> Result<T, crate::backend::BackendError> {
    serde_json::from_str(body).map_err(|e| {
        crate::backend::BackendError::Parse(format!(
            "GitHub's answer to {what} is not as expected: {e}"
        ))
    })
}

/// `workflow-run`, of `actions/runs?head_sha=…`.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct WorkflowRun {
    pub id: u64,
    pub head_sha: String,
    /// queued, in_progress, completed, waiting, requested, pending.
    #[serde(default)]
    pub status: Option<String>,
    /// success, failure, cancelled… once completed.
    #[serde(default)]
    pub conclusion: Option<String>,
    pub created_at: String,
}

impl WorkflowRun {
    pub fn succeeded(&self) -> bool {
        self.status.as_deref() == Some("completed") && self.conclusion.as_deref() == Some("success")
    }

    pub fn running(&self) -> bool {
        self.status.as_deref() != Some("completed")
    }
}

/// A page of `actions/runs`.
#[derive(Debug, Deserialize)]
pub(super) struct RunsPage {
    pub workflow_runs: Vec<WorkflowRun>,
}

/// `artifact`.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Artifact {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub size_in_bytes: u64,
    #[serde(default)]
    pub expired: bool,
}

/// A page of `actions/runs/{id}/artifacts`.
#[derive(Debug, Deserialize)]
pub(super) struct ArtifactsPage {
    pub artifacts: Vec<Artifact>,
}

/// Pages whose items are wrapped in an object (`{total_count, items…}`)
/// and pages that are the array itself.
pub(super) trait Listing: serde::de::DeserializeOwned {
    type Item;
    fn items(self) -> Vec<Self::Item>;
}

impl<T: serde::de::DeserializeOwned> Listing for Vec<T> {
    type Item = T;
    fn items(self) -> Vec<T> {
        self
    }
}

impl Listing for RunsPage {
    type Item = WorkflowRun;
    fn items(self) -> Vec<WorkflowRun> {
        self.workflow_runs
    }
}

impl Listing for ArtifactsPage {
    type Item = Artifact;
    fn items(self) -> Vec<Artifact> {
        self.artifacts
    }
}

/// `pull-request-review`.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Review {
    pub id: u64,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    /// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING.
    pub state: String,
    /// Null when the commit is gone.
    #[serde(default)]
    pub commit_id: Option<String>,
    /// Absent for a pending review.
    #[serde(default)]
    pub submitted_at: Option<String>,
    /// The author's relation to the repository (OWNER, MEMBER,
    /// COLLABORATOR, CONTRIBUTOR, NONE…).
    #[serde(default)]
    pub author_association: Option<String>,
}

/// `issue-comment`.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
}

/// `team-membership`.
#[derive(Debug, Deserialize)]
pub(super) struct Membership {
    /// active or pending.
    pub state: String,
}
