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
