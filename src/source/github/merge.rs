//! Merging a pull request on GitHub, guarded by the approved head: `PUT
//! /pulls/{n}/merge` with `sha` = the head the gate passed for, so a push
//! after the approval makes GitHub refuse (409) rather than merge what
//! nobody approved. A refusal is reported with GitHub's reason and never
//! retried. After an apply-then-merge the head branch is deleted, only
//! when it is this repository's (not a fork's), not a base, and still at
//! the merged head.

use super::api::{JSON, Mutation};
use super::{Shared, encode, wire};
use crate::backend::{BackendError, MergePurpose};
use crate::domain::Request;
use serde::Deserialize;
use serde_json::json;

/// `pull-request-merge-result`.
#[derive(Debug, Deserialize)]
struct MergeResult {
    sha: Option<String>,
    merged: bool,
    #[serde(default)]
    message: String,
}

/// What deleting the head branch needs of a pull request.
#[derive(Debug, Deserialize)]
struct PullHead {
    head: Head,
}

#[derive(Debug, Deserialize)]
struct Head {
    #[serde(rename = "ref")]
    name: String,
    sha: String,
    /// `None`: the fork was deleted.
    repo: Option<HeadRepo>,
}

#[derive(Debug, Deserialize)]
struct HeadRepo {
    full_name: String,
}

impl Shared {
    /// Merges pull request `number` at exactly `request.head`; the merge
    /// commit's sha.
    pub(super) async fn merge_pull(
        &self,
        number: u64,
        request: &Request,
        roots: &[(String, String)],
        purpose: MergePurpose,
    ) -> Result<String, BackendError> {
        let (subject, body) = crate::domain::merge_message(request, roots, purpose);
        let path = format!("/repos/{}/pulls/{number}/merge", self.repo);
        let payload = json!({
            "sha": request.head,
            "merge_method": self.config.github.merge_method.word(),
            "commit_title": subject,
            "commit_message": body,
        });
        let refused = |why: String| {
            BackendError::Conflict(format!(
                "GitHub refused to merge #{number} at {}: {why}; nothing was retried",
                short(&request.head)
            ))
        };
        let page = match self.api.send(Mutation::Put, &path, Some(payload)).await {
            Ok(page) => page,
            // 409: the head moved since the approval; 405: not mergeable
            // (conflicts, branch protection); both are GitHub's answer.
            Err(BackendError::Conflict(why)) => {
                return Err(refused(format!("the head moved ({why})")));
            }
            Err(BackendError::Invalid(why)) => return Err(refused(why)),
            Err(e) => return Err(e),
        };
        let result: MergeResult = wire::parse(&page.body, "the merge result")?;
        match result.sha {
            Some(sha) if result.merged && is_sha(&sha) => Ok(sha),
            _ => Err(refused(format!("not merged ({})", result.message))),
        }
    }

    /// Deletes the head branch of merged pull request `number`; `Ok(false)`
    /// when it is not this repository's to delete (a fork's, a base, gone).
    pub(super) async fn delete_head_branch(
        &self,
        number: u64,
        request: &Request,
    ) -> Result<bool, BackendError> {
        let path = format!("/repos/{}/pulls/{number}", self.repo);
        let page = self.api.get(&path, JSON).await?;
        let pull: PullHead = wire::parse(&page.body, "the pull request")?;
        let ours = pull
            .head
            .repo
            .as_ref()
            .is_some_and(|r| r.full_name.eq_ignore_ascii_case(&self.repo));
        if !ours || self.config.bases().contains(&pull.head.name) {
            return Ok(false);
        }
        if pull.head.sha != request.head {
            return Err(BackendError::Conflict(format!(
                "{} moved since it was merged (now {}): not deleted",
                pull.head.name,
                short(&pull.head.sha)
            )));
        }
        let segments: Vec<String> = pull.head.name.split('/').map(encode).collect();
        let path = format!("/repos/{}/git/refs/heads/{}", self.repo, segments.join("/"));
        match self.api.send(Mutation::Delete, &path, None).await {
            Ok(_) => Ok(true),
            // 422 "Reference does not exist": deleted already (GitHub's own
            // automatic deletion of head branches, say).
            Err(BackendError::Invalid(why)) if why.contains("Reference does not exist") => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn is_sha(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}
