//! Pull requests as [`Request`]s: the listing (every page, filtered), one
//! by number, their changed files (every page, up to GitHub's 3,000) and
//! commits, and the code diff from the files' patches.

use super::api::{JSON, MAX_PAGES};
use super::wire::{self, Commit, File, Listing, Pull, User};
use super::{Shared, encode};
use crate::backend::{BackendError, ListedBundle};
use crate::domain::{Identity, Provider, Request};
use futures_util::{StreamExt, TryStreamExt, future::try_join};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Pull requests read at once when listing (each is two calls; the API
/// bounds what is in flight).
const CONCURRENCY: usize = 64;

/// Pull requests read with their bundles at once: each waits on one or two
/// calls at a time, so more than the API's bound keep it busy to the end.
const BUNDLED_AT_ONCE: usize = 4 * super::api::MAX_IN_FLIGHT;

/// Newest first: by `updated_at`, then by number.
fn newest_first(a: &Request, b: &Request) -> std::cmp::Ordering {
    b.updated_at
        .cmp(&a.updated_at)
        .then_with(|| b.number.cmp(&a.number))
}

/// GitHub's media type for a comparison as a unified diff.
const DIFF: &str = "application/vnd.github.diff";

/// GitHub lists at most this many files of a pull request.
pub(super) const MAX_FILES: usize = 3000;

impl Shared {
    /// Every page of a listing, at most `max_pages`. The numbered pages the
    /// last reading of this listing had are asked together with the first
    /// (a refresh then costs one round trip, not two); the first page's
    /// `Link` says which are right, and any it names beyond them are asked
    /// then, side by side.
    pub(super) async fn all<L: Listing>(
        &self,
        first: String,
        what: &str,
        max_pages: usize,
    ) -> Result<Vec<L::Item>, BackendError> {
        let known = self.known_pages(&first);
        let (first_page, guessed) = futures_util::future::join(
            self.api.get(&first, JSON),
            futures_util::future::join_all(known.iter().map(|path| self.api.get(path, JSON))),
        )
        .await;
        let first_page = first_page?;
        let batch: L = wire::parse(&first_page.body, what)?;
        let mut items = Vec::new();
        items.extend(batch.items());
        // Numbered pages up to `last` are asked side by side.
        let numbered = match (&first_page.next, &first_page.last) {
            (Some(next), Some(last)) => {
                super::api::pages_between(next, last, max_pages.saturating_sub(1))
            }
            (None, _) => Some(Vec::new()),
            _ => None,
        };
        if let Some(pages) = numbered {
            let mut guessed: Vec<(String, _)> = known.into_iter().zip(guessed).collect();
            let reads = pages.iter().map(|path| {
                let ready = guessed
                    .iter()
                    .position(|(p, _)| p == path)
                    .map(|at| guessed.swap_remove(at).1);
                async move {
                    match ready {
                        // A guess that failed is asked again: its error may be stale.
                        Some(Ok(page)) => Ok(page),
                        _ => self.api.get(path, JSON).await,
                    }
                }
            });
            for page in futures_util::future::try_join_all(reads).await? {
                let batch: L = wire::parse(&page.body, what)?;
                items.extend(batch.items());
            }
            self.remember_pages(&first, pages);
            return Ok(items);
        }
        self.remember_pages(&first, Vec::new());
        let mut next = first_page.next;
        let mut seen = BTreeSet::from([first]);
        while let Some(path) = next.take() {
            if seen.len() == max_pages || !seen.insert(path.clone()) {
                break;
            }
            let page = self.api.get(&path, JSON).await?;
            let batch: L = wire::parse(&page.body, what)?;
            items.extend(batch.items());
            next = page.next;
        }
        Ok(items)
    }

    /// The numbered pages after the first that `first` had when last read.
    fn known_pages(&self, first: &str) -> Vec<String> {
        let known = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        known.get(first).cloned().unwrap_or_default()
    }

    fn remember_pages(&self, first: &str, pages: Vec<String>) {
        let mut known = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        known.insert(first.to_string(), pages);
    }

    /// Why a pull request is not a request, if it is not one.
    fn refusal(&self, pull: &Pull) -> Option<String> {
        let github = &self.config.github;
        let n = pull.number;
        if pull.state != "open" {
            return Some(format!("#{n} is {}", pull.state));
        }
        if pull.draft == Some(true) {
            return Some(format!("#{n} is a draft"));
        }
        if !github.bases.contains(&pull.base.name) {
            return Some(format!(
                "#{n} merges into {:?}, not into {}",
                pull.base.name,
                github.bases.join(", ")
            ));
        }
        if !self.head_pattern.is_match(&pull.head.name) {
            return Some(format!(
                "#{n}'s branch {:?} does not match github.head_pattern {:?}",
                pull.head.name, github.head_pattern
            ));
        }
        let missing: Vec<&str> = github
            .labels
            .iter()
            .filter(|l| !pull.labels.iter().any(|p| &p.name == *l))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Some(format!("#{n} lacks the label(s) {}", missing.join(", ")));
        }
        None
    }

    /// The open pull requests that are requests, newest first.
    pub(super) async fn list(self: Arc<Self>) -> Result<Vec<Request>, BackendError> {
        let pulls = self.listed_pulls().await?;
        // Unordered: one slow pull request does not hold up the next ones.
        let mut requests: Vec<Request> = futures_util::stream::iter(pulls)
            .map(|pull| self.clone().request(pull))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        requests.sort_by(newest_first);
        Ok(requests)
    }

    /// As [`Self::list`], each request with its bundle, asked for as soon
    /// as the request is read and sent on `arrived` as soon as complete.
    pub(super) async fn list_with_bundles(
        self: Arc<Self>,
        arrived: std::sync::mpsc::Sender<ListedBundle>,
    ) -> Result<(), BackendError> {
        let mut pulls = self.listed_pulls().await?;
        // The list's order is known from the listing: newest first.
        pulls.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| b.number.cmp(&a.number))
        });
        futures_util::stream::iter(pulls.into_iter().enumerate())
            .map(|(position, pull)| {
                let (shared, arrived) = (self.clone(), arrived.clone());
                async move {
                    // The head's runs need only the listing: asked beside
                    // the files and commits.
                    let head = pull.head.sha.clone();
                    let (request, runs) = futures_util::future::join(
                        shared.clone().request(pull),
                        shared.runs_ahead(&head),
                    )
                    .await;
                    let request = request?;
                    let bundle = shared.bundle_with(request.clone(), Some(runs)).await;
                    // A caller that stopped listening wants no more.
                    let _ = arrived.send(ListedBundle {
                        position,
                        request,
                        bundle,
                    });
                    Ok::<_, BackendError>(())
                }
            })
            .buffer_unordered(BUNDLED_AT_ONCE)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The open pull requests into every base that are requests, each once.
    async fn listed_pulls(&self) -> Result<Vec<Pull>, BackendError> {
        let mut pulls: Vec<Pull> = Vec::new();
        let lists = self.config.github.bases.iter().map(|base| {
            let path = format!(
                "/repos/{}/pulls?state=open&base={}&sort=created&direction=desc&per_page=100",
                self.repo,
                encode(base)
            );
            self.all::<Vec<Pull>>(path, "the pull request list", MAX_PAGES)
        });
        // Every base's listing at once.
        let mut seen = BTreeSet::new();
        for listed in futures_util::future::try_join_all(lists).await? {
            for pull in listed {
                if self.refusal(&pull).is_none() && seen.insert(pull.number) {
                    pulls.push(pull);
                }
            }
        }
        Ok(pulls)
    }

    /// One open pull request that is a request, by `pull/42`, `#42` or `42`.
    pub(super) async fn one(self: Arc<Self>, name: String) -> Result<Request, BackendError> {
        let digits = name
            .strip_prefix("pull/")
            .or_else(|| name.strip_prefix('#'))
            .unwrap_or(&name);
        let number: u64 = digits.parse().map_err(|_| {
            BackendError::Invalid(format!(
                "{name:?} is not a pull request (give its number: 42, #42 or pull/42)"
            ))
        })?;
        let path = format!("/repos/{}/pulls/{number}", self.repo);
        let page = self.api.get(&path, JSON).await?;
        let pull: Pull = wire::parse(&page.body, &format!("pull request #{number}"))?;
        if let Some(why) = self.refusal(&pull) {
            return Err(BackendError::NotFound(format!(
                "no open request #{number} in {}: {why}",
                self.repo
            )));
        }
        self.request(pull).await
    }

    /// Pull request `number` once merged, with its merge commit: what a
    /// merge-then-apply applies from. `None` while it is not merged.
    pub(super) async fn merged_one(
        self: Arc<Self>,
        number: u64,
    ) -> Result<Option<crate::domain::MergedRequest>, BackendError> {
        let path = format!("/repos/{}/pulls/{number}", self.repo);
        let page = self.api.get(&path, JSON).await?;
        let mut pull: Pull = wire::parse(&page.body, &format!("pull request #{number}"))?;
        let merge = match (&pull.merged_at, &pull.merge_commit_sha) {
            (Some(_), Some(sha)) if pull.state == "closed" && is_sha(sha) => sha.clone(),
            _ => return Ok(None),
        };
        // Otherwise a request like an open one: the same base and filters.
        pull.state = "open".into();
        if let Some(why) = self.refusal(&pull) {
            return Err(BackendError::NotFound(format!(
                "#{number} in {} was merged, but is no request: {why}",
                self.repo
            )));
        }
        let request = self.request(pull).await?;
        Ok(Some(crate::domain::MergedRequest { request, merge }))
    }

    /// Every changed file of pull request `number`, refused when GitHub
    /// cannot list them all.
    pub(super) async fn files(&self, number: u64) -> Result<Vec<File>, BackendError> {
        let path = format!("/repos/{}/pulls/{number}/files?per_page=100", self.repo);
        let files = self
            .all::<Vec<File>>(path, &format!("the files of #{number}"), MAX_FILES / 100)
            .await?;
        if files.len() >= MAX_FILES {
            return Err(BackendError::Invalid(format!(
                "#{number} changes {MAX_FILES} files or more: GitHub lists only the first \
                 {MAX_FILES}, so the roots it touches cannot be known (split it)"
            )));
        }
        Ok(files)
    }

    async fn commits(&self, number: u64) -> Result<Vec<Commit>, BackendError> {
        let path = format!("/repos/{}/pulls/{number}/commits?per_page=100", self.repo);
        self.all::<Vec<Commit>>(path, &format!("the commits of #{number}"), MAX_PAGES)
            .await
    }

    /// The request of an open pull request: its files and commits read,
    /// or known from the last time when its head and `updated_at` are the
    /// same (new commits move the head; retargeting updates the time).
    async fn request(self: Arc<Self>, pull: Pull) -> Result<Request, BackendError> {
        let n = pull.number;
        let key = (
            pull.head.sha.clone(),
            pull.updated_at.clone(),
            pull.base.name.clone(),
        );
        let known = self.requests.lock().ok().and_then(|known| {
            known
                .get(&n)
                .filter(|(k, _)| *k == key)
                .map(|(_, r)| r.clone())
        });
        if let Some(mut request) = known {
            // The title and labels are read fresh from the listing.
            request.title = pull.title;
            return Ok(request);
        }
        let request = self.clone().read_request(pull).await?;
        if let Ok(mut known) = self.requests.lock() {
            known.insert(n, (key, request.clone()));
        }
        Ok(request)
    }

    async fn read_request(self: Arc<Self>, pull: Pull) -> Result<Request, BackendError> {
        let n = pull.number;
        let (files, commits) = try_join(self.files(n), self.commits(n)).await?;
        let mut changed = BTreeSet::new();
        for file in &files {
            changed.insert(file.filename.clone());
            if let Some(old) = &file.previous_filename {
                changed.insert(old.clone());
            }
        }
        let changed_files: Vec<String> = changed.into_iter().collect();
        let roots = crate::source::paths::roots_of_changed(
            &changed_files,
            &self.roots,
            &self.config,
            &pull.base.name,
        )?;
        let mut authors: Vec<Identity> = pull.user.iter().filter_map(account).collect();
        let mut committers = Vec::new();
        for commit in &commits {
            let author = person(commit.author.as_ref(), commit.commit.author.as_ref());
            let committer = person(commit.committer.as_ref(), commit.commit.committer.as_ref());
            push_distinct(&mut authors, author);
            push_distinct(&mut committers, committer);
        }
        Ok(Request {
            id: format!("pull/{n}"),
            number: Some(n),
            title: pull.title,
            authors,
            committers,
            head: pull.head.sha,
            base: pull.base.name,
            created_at: timestamp(&pull.created_at, n)?,
            updated_at: timestamp(&pull.updated_at, n)?,
            changed_files,
            roots,
            url: pull.html_url.filter(|u| crate::domain::is_web_url(u)),
        })
    }

    /// The pull request's code change, from its files' patches; when a
    /// file has none (GitHub leaves out large ones and binaries), the whole
    /// diff of the compare API instead, so no change goes unseen.
    pub(super) async fn diff(
        self: Arc<Self>,
        number: u64,
        base: String,
        head: String,
    ) -> Result<String, BackendError> {
        let files = self.files(number).await?;
        if files.iter().all(|f| f.patch.is_some()) {
            return Ok(diff_of(&files));
        }
        let path = format!(
            "/repos/{}/compare/{}...{}",
            self.repo,
            encode(&base),
            encode(&head)
        );
        let page = self.api.get(&path, DIFF).await?;
        Ok(page.body.to_string())
    }
}

/// A GitHub account as an identity: named by its login, so every mention
/// of one account is the same value.
fn account(user: &User) -> Option<Identity> {
    user.is_account()
        .then(|| Identity::forge(Provider::GitHub, &user.id.to_string(), &user.login, ""))
}

/// A commit's author or committer: the account GitHub linked, else the
/// git identity the commit declares (kept, so it is not lost).
fn person(user: Option<&User>, declared: Option<&wire::GitPerson>) -> Option<Identity> {
    user.and_then(account)
        .or_else(|| declared.map(|p| Identity::git(&p.name, &p.email)))
}

fn push_distinct(all: &mut Vec<Identity>, who: Option<Identity>) {
    if let Some(who) = who {
        if !all.contains(&who) {
            all.push(who);
        }
    }
}

pub(super) fn timestamp(text: &str, number: u64) -> Result<i64, BackendError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| BackendError::Parse(format!("#{number}: time {text:?}: {e}")))
}

/// A unified diff from GitHub's per-file patches. A file without a patch
/// (binary, or too large for GitHub to show) has its header only.
pub(super) fn diff_of(files: &[File]) -> String {
    let mut out = String::new();
    for file in files {
        let new = &file.filename;
        let old = file.previous_filename.as_deref().unwrap_or(new);
        out.push_str(&format!("diff --git a/{old} b/{new}\n"));
        match file.status.as_str() {
            "added" => out.push_str(&format!(
                "new file mode 100644\n--- /dev/null\n+++ b/{new}\n"
            )),
            "removed" => out.push_str(&format!(
                "deleted file mode 100644\n--- a/{old}\n+++ /dev/null\n"
            )),
            "renamed" => out.push_str(&format!(
                "rename from {old}\nrename to {new}\n--- a/{old}\n+++ b/{new}\n"
            )),
            _ => out.push_str(&format!("--- a/{old}\n+++ b/{new}\n")),
        }
        if let Some(patch) = &file.patch {
            out.push_str(patch);
            if !patch.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

fn is_sha(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, status: &str, old: Option<&str>, patch: Option<&str>) -> File {
        File {
            filename: name.into(),
            status: status.into(),
            previous_filename: old.map(String::from),
            patch: patch.map(String::from),
        }
    }

    #[test]
    fn the_diff_has_a_header_per_file_and_each_patch() {
        let diff = diff_of(&[
            file("a.tf", "modified", None, Some("@@ -1 +1 @@\n-x\n+y")),
            file("b.tf", "added", None, Some("@@ -0,0 +1 @@\n+z\n")),
            file("new.tf", "renamed", Some("old.tf"), None),
            file("gone.tf", "removed", None, Some("@@ -1 +0,0 @@\n-w")),
        ]);
        assert_eq!(
            diff,
            "diff --git a/a.tf b/a.tf\n--- a/a.tf\n+++ b/a.tf\n@@ -1 +1 @@\n-x\n+y\n\
             diff --git a/b.tf b/b.tf\nnew file mode 100644\n--- /dev/null\n+++ b/b.tf\n@@ -0,0 +1 @@\n+z\n\
             diff --git a/old.tf b/new.tf\nrename from old.tf\nrename to new.tf\n--- a/old.tf\n+++ b/new.tf\n\
             diff --git a/gone.tf b/gone.tf\ndeleted file mode 100644\n--- a/gone.tf\n+++ /dev/null\n@@ -1 +0,0 @@\n-w\n"
        );
        let view = crate::codeview::CodeHighlighter::new().diff_view(&diff);
        let read: Vec<(&str, (usize, usize))> =
            view.files.iter().map(|f| (f.path(), f.counts())).collect();
        assert_eq!(
            read,
            [
                ("a.tf", (1, 1)),
                ("b.tf", (1, 0)),
                ("new.tf", (0, 0)),
                ("gone.tf", (0, 1))
            ]
        );
    }
}
