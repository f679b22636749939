//! An open change and the roots it touches, as every source reports it.
//! Pure data: listing requests is the sources' work.

use super::Identity;
use serde::Serialize;

/// A root directory (its own state) touched by a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RootRef {
    /// Path relative to the repository, `/`-separated, e.g. `apps/web/prod1`.
    pub path: String,
    /// The environment by config globs or by name (`dev`, `stage`, `prod`).
    pub environment: Option<String>,
    /// Why it is affected when none of its own files changed: the changed
    /// local module directories it reads (directly or through other
    /// modules), sorted. Empty when its own files changed.
    pub via: Vec<String>,
}

impl RootRef {
    /// The root's directory: its path without the `@ENV` that names the
    /// environment of a directory shared by several.
    pub fn dir(&self) -> &str {
        self.environment
            .as_deref()
            .and_then(|env| self.path.strip_suffix(env))
            .and_then(|rest| rest.strip_suffix('@'))
            .unwrap_or(&self.path)
    }
}

/// An open change: a branch and, on a forge, its pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Stable identifier: the branch name for git (`request/42`).
    pub id: String,
    /// The number, when the branch or pull request has one.
    pub number: Option<u64>,
    /// The subject of the request's first commit, or the pull request title.
    pub title: String,
    /// Authors of the request's commits, in order of first appearance.
    pub authors: Vec<Identity>,
    /// Committers of the request's commits, in order of first appearance.
    pub committers: Vec<Identity>,
    /// The head commit.
    pub head: String,
    /// The base branch it merges into.
    pub base: String,
    /// Commit time of the first commit of the request (unix seconds).
    pub created_at: i64,
    /// Commit time of the head commit (unix seconds).
    pub updated_at: i64,
    /// Files changed against the base (`git diff base...head`).
    pub changed_files: Vec<String>,
    /// Roots those files belong to, sorted by path.
    pub roots: Vec<RootRef>,
    /// Its web page, when the source has one (a pull request's page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Request {
    /// Why `wanted` names no root of this request, in one line; a
    /// directory shared by environments is answered with its `DIR@ENV` roots.
    pub fn unknown_root(&self, wanted: &str) -> String {
        let prefix = format!("{wanted}@");
        let shared: Vec<&str> = self
            .roots
            .iter()
            .map(|r| r.path.as_str())
            .filter(|p| p.starts_with(&prefix))
            .collect();
        if !shared.is_empty() {
            return format!(
                "{}: root `{wanted}` is in several environments here: name one with --root {}",
                self.id,
                shared.join(" or --root ")
            );
        }
        let known: Vec<&str> = self.roots.iter().map(|r| r.path.as_str()).collect();
        format!(
            "request {} does not touch root `{wanted}` (its roots: {})",
            self.id,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
    }
}

/// Whether `url` may be handed to a browser: http(s), and nothing in it a
/// terminal or a shell could read as more than a URL.
pub fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && url.len() <= 2048
        && url.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::is_web_url;

    #[test]
    fn only_plain_http_pages_go_to_a_browser() {
        assert!(is_web_url("https://github.com/o/r/pull/1"));
        assert!(is_web_url("http://127.0.0.1:8080/o/r/pull/1"));
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://",
            "https:///path",
            "https://host/a b",
            "https://host/\x1b]52;c;AAAA\x07",
            "https://host/\u{202e}",
            "--help",
        ] {
            assert!(!is_web_url(bad), "{bad:?}");
        }
        assert!(!is_web_url(&format!("https://h/{}", "a".repeat(3000))));
    }
}

/// A request plandeck merged for apply (merge-then-apply), rebuilt from
/// its merge commit.
#[derive(Clone, Debug)]
pub struct MergedRequest {
    /// Its head is the merge's second parent; its base the first parent's
    /// commit, so decisions read over the request's own commits.
    pub request: Request,
    pub merge: String,
}
