//! `[source] kind` and `[github]`: which backend holds the requests, and
//! how the GitHub one reaches its repository. Validated here (repo shape,
//! URL, globs) so a bad value names its line before anything connects.

use serde::Deserialize;

/// `[source] kind`: where requests come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Branches of the local git repository.
    #[default]
    Git,
    /// Pull requests of `[github] repo`.
    GitHub,
}

/// `[github]`: the repository whose pull requests are requests.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitHubConfig {
    /// `owner/name`.
    pub repo: String,
    /// The REST API root: `https://api.github.com`, or
    /// `https://HOST/api/v3` for GitHub Enterprise Server.
    pub api_url: String,
    /// A command printing the token (`gh auth token`), split at spaces and
    /// run without a shell; used when neither GITHUB_TOKEN nor GH_TOKEN is set.
    pub token_command: Option<String>,
    /// Pull requests into these branches are requests.
    pub bases: Vec<String>,
    /// Only pull requests whose head branch matches (`*` any characters).
    pub head_pattern: String,
    /// Only pull requests carrying every one of these labels.
    pub labels: Vec<String>,
    /// The Actions artifact of a root's plan: `{root}` is the root's path
    /// with `/` written `__`.
    pub plan_artifact: String,
    /// How a pull request is merged: `merge`, `squash` or `rebase`.
    pub merge_method: MergeMethod,
    /// The apply workflow's file in `.github/workflows` (the
    /// github-actions executor dispatches it).
    pub apply_workflow: String,
    /// The branch the apply workflow is dispatched on; empty: the first
    /// of `bases`. Only its runs count as applies: a workflow file changed
    /// on another branch proves nothing.
    pub apply_ref: String,
    /// How often a running apply workflow run is looked at, in milliseconds.
    pub poll_interval_ms: u64,
}

/// `[github] merge_method`: GitHub's merge methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    #[default]
    Merge,
    Squash,
    Rebase,
}

impl MergeMethod {
    /// The API's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Merge => "merge",
            Self::Squash => "squash",
            Self::Rebase => "rebase",
        }
    }
}

impl Default for GitHubConfig {
    fn default() -> Self {
        Self {
            repo: String::new(),
            api_url: "https://api.github.com".into(),
            token_command: None,
            bases: vec!["main".into()],
            head_pattern: "*".into(),
            labels: Vec::new(),
            plan_artifact: "plandeck-plan-{root}".into(),
            merge_method: MergeMethod::default(),
            apply_workflow: "plandeck-apply.yml".into(),
            apply_ref: String::new(),
            poll_interval_ms: 3000,
        }
    }
}

impl GitHubConfig {
    /// The branch the apply workflow runs on.
    pub fn apply_ref(&self) -> &str {
        match self.apply_ref.trim() {
            "" => self.bases.first().map_or("main", String::as_str),
            named => named,
        }
    }

    /// The artifact name of a root's plan.
    pub fn artifact_name(&self, root: &str) -> String {
        self.plan_artifact
            .replace("{root}", &root.replace('/', "__"))
    }
}

/// The first bad `[github]` value as (text to find its line by, message).
/// `kind` says whether the table is in use: only then is `repo` required.
pub(super) fn check(kind: SourceKind, github: &GitHubConfig) -> Result<(), (String, String)> {
    let quoted = |v: &str| format!("\"{v}\"");
    if kind == SourceKind::GitHub && github.repo.is_empty() {
        return Err((
            "[github]".into(),
            "key `github.repo`: `[source] kind = \"github\"` needs `[github] repo = \"owner/name\"`"
                .into(),
        ));
    }
    if !github.repo.is_empty() && !is_repo_name(&github.repo) {
        return Err((
            quoted(&github.repo),
            format!(
                "key `github.repo`: {:?} is not `owner/name` (letters, digits, `-`, `_`, `.`)",
                github.repo
            ),
        ));
    }
    if let Err(why) = check_api_url(&github.api_url) {
        return Err((
            quoted(&github.api_url),
            format!("key `github.api_url`: {:?} {why}", github.api_url),
        ));
    }
    if github
        .token_command
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        return Err((
            "token_command".into(),
            "key `github.token_command`: empty (leave it out to use GITHUB_TOKEN or GH_TOKEN)"
                .into(),
        ));
    }
    if github.bases.is_empty() || github.bases.iter().any(|b| b.trim().is_empty()) {
        return Err((
            "bases".into(),
            "key `github.bases`: name at least one base branch, none empty".into(),
        ));
    }
    if let Err(e) = globset::Glob::new(&github.head_pattern) {
        return Err((
            quoted(&github.head_pattern),
            format!(
                "key `github.head_pattern`: invalid glob {:?}: {e}",
                github.head_pattern
            ),
        ));
    }
    let workflow = &github.apply_workflow;
    let plain_file = !workflow.is_empty()
        && (workflow.ends_with(".yml") || workflow.ends_with(".yaml"))
        && workflow
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !plain_file {
        return Err((
            quoted(workflow),
            format!(
                "key `github.apply_workflow`: {workflow:?} must be a file name in \
                 .github/workflows ending in .yml or .yaml (letters, digits, `-`, `_`, `.`)"
            ),
        ));
    }
    if !(100..=600_000).contains(&github.poll_interval_ms) {
        return Err((
            "poll_interval_ms".into(),
            format!(
                "key `github.poll_interval_ms`: {} must be between 100 and 600000",
                github.poll_interval_ms
            ),
        ));
    }
    if !github.plan_artifact.contains("{root}") {
        return Err((
            quoted(&github.plan_artifact),
            format!(
                "key `github.plan_artifact`: {:?} must contain `{{root}}` (one artifact per root)",
                github.plan_artifact
            ),
        ));
    }
    Ok(())
}

/// GitHub's owner and repository names: ASCII letters, digits, `-`, `_`, `.`.
fn is_repo_name(repo: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    matches!(repo.split_once('/'), Some((owner, name)) if part(owner) && part(name))
}

/// An `http(s)://host[:port][/path]` without credentials, query or fragment
/// (the token goes to this host).
fn check_api_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// (or http:// for a local server)")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err("has no host");
    }
    if rest.contains(['@', '?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not hold credentials, a query, a fragment or spaces");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names_are_owner_slash_name() {
        assert!(is_repo_name("octo-org/infra.live"));
        for bad in ["octo", "a/b/c", "/b", "a/", "a/..", "a b/c", "a/b\u{1b}"] {
            assert!(!is_repo_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn api_urls_are_plain_http_roots() {
        assert!(check_api_url("https://api.github.com").is_ok());
        assert!(check_api_url("https://ghe.example.com/api/v3").is_ok());
        assert!(check_api_url("http://127.0.0.1:8080").is_ok());
        for bad in [
            "api.github.com",
            "https://",
            "https://user:pw@host",
            "https://host/?x=1",
            "ftp://host",
        ] {
            assert!(check_api_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_artifact_name_writes_slashes_as_double_underscores() {
        let github = GitHubConfig::default();
        assert_eq!(
            github.artifact_name("apps/web/prod"),
            "plandeck-plan-apps__web__prod"
        );
    }
}
