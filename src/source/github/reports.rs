//! What the GitHub source shows on a pull request: one plandeck comment,
//! found again by its hidden marker among the token account's own comments
//! and edited in place (nobody else's comment is ever taken for it, even
//! one that carries the marker), and a commit status per root
//! (`plandeck/<root>`) on the head.

use super::api::{MAX_PAGES, Mutation};
use super::wire::{self, IssueComment, User};
use super::{GitHubSource, Shared};
use crate::backend::{BackendError, Reports, RootStatus};
use crate::domain::Request;
use serde_json::json;

/// GitHub refuses comments longer than this (characters).
pub const MAX_COMMENT_CHARS: usize = 65_536;
/// GitHub cuts a status description at 140 characters.
const MAX_DESCRIPTION_CHARS: usize = 140;

impl Shared {
    async fn me(&self) -> Result<User, BackendError> {
        let page = self.api.get("/user", super::api::JSON).await?;
        let user: User = wire::parse(&page.body, "GET /user")?;
        if !user.is_account() {
            return Err(BackendError::Auth(
                "GitHub did not say whose token this is (GET /user has no id or login)".into(),
            ));
        }
        Ok(user)
    }

    async fn comment(
        &self,
        number: u64,
        marker: String,
        body: String,
    ) -> Result<bool, BackendError> {
        if body.chars().count() > MAX_COMMENT_CHARS {
            return Err(BackendError::Invalid(format!(
                "the comment is longer than GitHub's {MAX_COMMENT_CHARS} characters"
            )));
        }
        if !body.starts_with(&marker) {
            return Err(BackendError::Internal(
                "a plandeck comment must start with its marker".into(),
            ));
        }
        let me = self.me().await?;
        let path = format!("/repos/{}/issues/{number}/comments?per_page=100", self.repo);
        let comments = self
            .all::<Vec<IssueComment>>(path, &format!("the comments of #{number}"), MAX_PAGES)
            .await?;
        let mine = comments.iter().find(|c| {
            c.user.as_ref().is_some_and(|u| u.id == me.id)
                && c.body.as_deref().is_some_and(|b| b.starts_with(&marker))
        });
        let body = json!({ "body": body });
        match mine {
            Some(existing) => {
                let path = format!("/repos/{}/issues/comments/{}", self.repo, existing.id);
                self.api.send(Mutation::Patch, &path, Some(body)).await?;
                Ok(false)
            }
            None => {
                let path = format!("/repos/{}/issues/{number}/comments", self.repo);
                self.api.send(Mutation::Post, &path, Some(body)).await?;
                Ok(true)
            }
        }
    }
}

impl Reports for GitHubSource {
    fn publish_comment(
        &self,
        request: &Request,
        marker: &str,
        body: &str,
    ) -> Result<bool, BackendError> {
        let number = Self::number(request)?;
        let (marker, body) = (marker.to_string(), body.to_string());
        self.block(move |shared| async move { shared.comment(number, marker, body).await })
    }

    fn api_rate(&self) -> Option<crate::backend::ApiRate> {
        self.shared.api.rate()
    }

    fn forge_reviews(
        &self,
        request: &Request,
    ) -> Result<Option<crate::backend::ForgeReviews>, BackendError> {
        let number = Self::number(request)?;
        self.block(move |shared| async move { shared.forge_reviews(number).await.map(Some) })
    }

    fn set_status(
        &self,
        request: &Request,
        root: &str,
        status: RootStatus,
        description: &str,
    ) -> Result<(), BackendError> {
        let state = match status {
            RootStatus::Success => "success",
            RootStatus::Failure => "failure",
            RootStatus::Pending => "pending",
        };
        let description: String = description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_DESCRIPTION_CHARS)
            .collect();
        let path = format!(
            "/repos/{}/statuses/{}",
            self.shared.repo,
            super::encode(&request.head)
        );
        let body = json!({
            "state": state,
            "context": format!("plandeck/{root}"),
            "description": description,
        });
        self.block(move |shared| async move {
            shared
                .api
                .send(Mutation::Post, &path, Some(body))
                .await
                .map(drop)
        })
    }
}
