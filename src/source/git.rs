//! The git source: requests are local branches matching a pattern with
//! commits not yet in the base branch; their roots come from the files
//! changed since the merge base and the local modules its roots call
//! (`affected`, from the trees of both commits: `tree`). Plans live in the
//! [`PlanStore`] under the repository's common git dir.
//!
//! Everything is read by running the `git` binary (no pager, `LC_ALL=C`,
//! NUL-separated output), so it works wherever git does. Branch names,
//! commit subjects, identities and paths are untrusted and kept raw; this
//! module never renders, never changes a branch and never writes outside
//! the plan store.

mod affected;
mod backend;
mod checkouts;
mod merge;
mod merged;
mod run;
mod tree;

pub use crate::domain::MergedRequest;
pub use checkouts::LocalCheckouts;

use super::paths::ancestors;
use super::store::PlanStore;
use super::{BackendError, Identity, Request};
use crate::config::Config;
use globset::{GlobBuilder, GlobMatcher, GlobSet};
use run::git;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Fields of one commit as `git log` prints them, NUL-separated.
const COMMIT_FORMAT: &str = "--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00%ct%x00%s%x00";
const COMMIT_FIELDS: usize = 7;

pub use crate::domain::{APPLIED, MERGED_FOR_APPLY, REQUEST_TRAILER};

/// The git source of one repository.
#[derive(Debug)]
pub struct GitSource {
    repo: PathBuf,
    config: Config,
    /// Branch patterns and the base each merges into, first match wins.
    routes: Vec<(GlobMatcher, String)>,
    roots: Option<GlobSet>,
    store: PlanStore,
}

/// One commit of a request, oldest first.
struct Commit {
    author: Identity,
    committer: Identity,
    time: i64,
    subject: String,
}

impl GitSource {
    /// Opens the repository at `repo`; fails when it is not a git
    /// repository or the configured base branch does not exist.
    pub fn open(repo: &Path, config: &Config) -> Result<Self, BackendError> {
        if config.source.kind != crate::config::SourceKind::Git {
            // Never read branches when pull requests were asked for.
            return Err(BackendError::Invalid(
                "[source] kind = \"github\": this command works on git branches only \
                 (on GitHub: requests, show-request, approve, block, unblock, comment, status \
                 and the terminal UI)"
                    .into(),
            ));
        }
        if !repo.is_dir() {
            return Err(BackendError::NotFound(format!(
                "{}: no such directory",
                repo.display()
            )));
        }
        // Absolute, so `describe`, the store and worktrees do not depend on the cwd.
        let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
        let git_dir = git(&repo, &["rev-parse", "--git-common-dir"]).map_err(|_| {
            BackendError::Invalid(format!("{}: not a git repository", repo.display()))
        })?;
        // Printed relative to `repo` unless it is elsewhere.
        let git_dir = repo.join(git_dir.trim_end_matches('\n'));
        let source = Self {
            repo,
            config: config.clone(),
            routes: config
                .source
                .routes()
                .into_iter()
                .map(|r| Ok((request_pattern(&r.pattern)?, r.base)))
                .collect::<Result<_, BackendError>>()?,
            roots: root_globs(&config.source.roots)?,
            store: PlanStore::open(&git_dir),
        };
        source.branch_head(&config.source.base)?;
        Ok(source)
    }

    /// The plan store of this repository.
    pub fn store(&self) -> &PlanStore {
        &self.store
    }

    /// The repository directory this source reads.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// Runs git in the repository and returns its standard output.
    pub fn git(&self, args: &[&str]) -> Result<String, BackendError> {
        git(&self.repo, args)
    }

    /// `git` with fixed words (split at spaces) and then `args` kept whole.
    fn run(&self, fixed: &str, args: &[&str]) -> Result<String, BackendError> {
        let mut all: Vec<&str> = fixed.split_whitespace().collect();
        all.extend_from_slice(args);
        git(&self.repo, &all)
    }

    /// The request named `name_or_number` (its branch), or the one whose
    /// number it is (`42` or `#42`).
    fn find_request(&self, name_or_number: &str) -> Result<Request, BackendError> {
        let requests = self.requests()?;
        if let Some(request) = requests.iter().find(|r| r.id == name_or_number) {
            return Ok(request.clone());
        }
        let number = name_or_number.strip_prefix('#').unwrap_or(name_or_number);
        let mut matches: Vec<Request> = match number.parse::<u64>() {
            Ok(n) => requests
                .into_iter()
                .filter(|r| r.number == Some(n))
                .collect(),
            Err(_) => Vec::new(),
        };
        match matches.len() {
            1 => Ok(matches.remove(0)),
            0 => Err(BackendError::NotFound(format!(
                "no open request `{name_or_number}` (requests are {})",
                self.describe_routes()
            ))),
            _ => Err(BackendError::Invalid(format!(
                "request number `{name_or_number}` is ambiguous: {}",
                matches
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// "branches matching `P` with commits not in `B`", for every route.
    pub(crate) fn describe_routes(&self) -> String {
        self.config
            .source
            .routes()
            .iter()
            .map(|r| {
                format!(
                    "branches matching `{}` with commits not in `{}`",
                    r.pattern, r.base
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The head commit of branch `base`.
    fn branch_head(&self, base: &str) -> Result<String, BackendError> {
        let spec = format!("{base}^{{commit}}");
        let out = self.run("rev-parse --verify --quiet --end-of-options", &[&spec]);
        let out = out.map_err(|_| {
            BackendError::NotFound(format!(
                "{}: base branch `{base}` does not exist",
                self.repo.display()
            ))
        })?;
        Ok(out.trim().to_string())
    }

    /// Branches matching a request pattern, with their head commits and
    /// the base they merge into: local ones, then those of the configured
    /// remote that have no local branch of the same name (a fresh clone has
    /// only remote-tracking ones). A base is never a request into itself.
    fn candidate_branches(&self) -> Result<Vec<(String, String, String)>, BackendError> {
        let remote = &self.config.source.remote;
        let remote_prefix = format!("refs/remotes/{remote}/");
        let mut patterns = vec!["refs/heads/"];
        if !remote.is_empty() {
            patterns.push(&remote_prefix);
        }
        let out = self.run(
            "for-each-ref --format=%(refname)%00%(objectname)",
            &patterns,
        )?;
        let mut branches: Vec<(String, String, String)> = Vec::new();
        for (name, sha) in out.lines().filter_map(|line| line.split_once('\0')) {
            let (local, branch) = match name.strip_prefix("refs/heads/") {
                Some(branch) => (true, branch),
                None => match name.strip_prefix(remote_prefix.as_str()) {
                    Some(branch) if branch != "HEAD" => (false, branch),
                    _ => continue,
                },
            };
            let Some((_, base)) = self.routes.iter().find(|(p, _)| p.is_match(branch)) else {
                continue;
            };
            if branch == base {
                continue;
            }
            // for-each-ref lists refs/heads before refs/remotes: a local
            // branch wins over the remote's of the same name.
            if local || !branches.iter().any(|(b, _, _)| b == branch) {
                branches.push((branch.to_string(), sha.to_string(), base.clone()));
            }
        }
        Ok(branches)
    }

    /// The request on `branch` into branch `into` (whose head is `base`),
    /// or `None` when it has nothing beyond the base (merged, or never
    /// committed to) or shares no history with it.
    fn request(
        &self,
        branch: &str,
        head: &str,
        base: &str,
        into: &str,
        trees: &mut tree::Cache,
    ) -> Result<Option<Request>, BackendError> {
        let commits = self.commits(&format!("{base}..{head}"))?;
        let (Some(first), Some(last)) = (commits.first(), commits.last()) else {
            return Ok(None);
        };
        let Ok(merge_base) = self.run("merge-base --end-of-options", &[base, head]) else {
            return Ok(None);
        };
        let merge_base = merge_base.trim().to_string();
        let changed_files = self.changed_files(&merge_base, head)?;
        let roots = self.affected_roots(&changed_files, head, &merge_base, into, trees)?;
        Ok(Some(Request {
            id: branch.to_string(),
            number: trailing_number(branch),
            title: first.subject.clone(),
            authors: distinct(commits.iter().map(|c| &c.author)),
            committers: distinct(commits.iter().map(|c| &c.committer)),
            head: head.to_string(),
            base: into.to_string(),
            created_at: first.time,
            updated_at: last.time,
            changed_files,
            roots,
            url: None,
        }))
    }

    /// Commits of a range, oldest first.
    fn commits(&self, range: &str) -> Result<Vec<Commit>, BackendError> {
        let log = "log --no-show-signature --no-color --reverse";
        let out = self.run(log, &[COMMIT_FORMAT, "--end-of-options", range])?;
        // Every record ends with NUL then newline; no field holds a NUL.
        let mut commits = Vec::new();
        for record in out.split("\0\n").filter(|r| !r.is_empty()) {
            // The subject is last, so a stray NUL in it cannot shift fields.
            let fields: Vec<&str> = record.splitn(COMMIT_FIELDS, '\0').collect();
            let [_, an, ae, cn, ce, time, subject] = fields.as_slice() else {
                return Err(BackendError::Invalid(format!(
                    "git log printed a commit with {} fields, expected {COMMIT_FIELDS}",
                    fields.len()
                )));
            };
            commits.push(Commit {
                author: identity(an, ae),
                committer: identity(cn, ce),
                time: time.parse().unwrap_or(0),
                subject: (*subject).to_string(),
            });
        }
        Ok(commits)
    }

    /// Files changed between the merge base and the head: a rename counts
    /// as its old and its new path, a deletion as the deleted path.
    fn changed_files(&self, merge_base: &str, head: &str) -> Result<Vec<String>, BackendError> {
        let diff = "diff --name-only -z --no-renames --no-ext-diff --no-relative --end-of-options";
        let out = self.run(diff, &[merge_base, head])?;
        let files: BTreeSet<String> = out
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(String::from)
            .collect();
        Ok(files.into_iter().collect())
    }
}

impl GitSource {
    /// Open requests, newest first.
    fn requests(&self) -> Result<Vec<Request>, BackendError> {
        let mut heads = std::collections::BTreeMap::new();
        let mut trees = tree::Cache::default();
        let mut requests = Vec::new();
        for (branch, head, into) in self.candidate_branches()? {
            if !heads.contains_key(&into) {
                // A base this clone lacks (a fresh clone has only main
                // locally): no requests into it until it is created.
                let found = match self.branch_head(&into) {
                    Ok(commit) => Some(commit),
                    Err(_) if into != self.config.source.base => None,
                    Err(e) => return Err(e),
                };
                heads.insert(into.clone(), found);
            }
            let Some(base) = &heads[&into] else {
                continue;
            };
            if let Some(request) = self.request(&branch, &head, base, &into, &mut trees)? {
                requests.push(request);
            }
        }
        requests.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(requests)
    }

    /// `git var GIT_COMMITTER_IDENT`: who commits here.
    fn committer(&self) -> Result<Identity, BackendError> {
        let ident = self.run("var GIT_COMMITTER_IDENT", &[]).map_err(|e| {
            BackendError::Auth(format!(
                "git does not say who you are ({e}): set git config user.name and user.email"
            ))
        })?;
        parse_ident(ident.trim_end_matches('\n')).ok_or_else(|| {
            BackendError::Invalid(format!("git var GIT_COMMITTER_IDENT printed `{ident}`"))
        })
    }

    /// `<git-dir>` of the repository (the common one, for worktrees).
    pub(crate) fn git_dir(&self) -> Result<PathBuf, BackendError> {
        let git_dir = self.git(&["rev-parse", "--git-common-dir"])?;
        Ok(self.repo.join(git_dir.trim_end_matches('\n')))
    }
}

impl GitSource {
    /// The first of `paths` that exists on the base branch, as text.
    pub fn base_file(&self, paths: &[&str]) -> Option<String> {
        let base = &self.config.source.base;
        paths
            .iter()
            .find_map(|p| self.git(&["show", &format!("{base}:{p}")]).ok())
    }
}

/// The request branch pattern: `*` matches any characters, `/` included.
fn request_pattern(pattern: &str) -> Result<GlobMatcher, BackendError> {
    let glob = GlobBuilder::new(pattern).literal_separator(false).build();
    glob.map(|g| g.compile_matcher()).map_err(|e| {
        BackendError::Invalid(format!("config: source.request_pattern `{pattern}`: {e}"))
    })
}

/// Root globs (`config::path_glob`: `*` within a segment, `**` across).
fn root_globs(globs: &[String]) -> Result<Option<GlobSet>, BackendError> {
    crate::config::path_glob_set(globs)
        .map_err(|e| BackendError::Invalid(format!("config: source.roots: {e}")))
}

/// Terraform and OpenTofu configuration files, native or JSON syntax.
fn is_config_file(path: &str) -> bool {
    [".tf", ".tf.json", ".tofu", ".tofu.json"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// The number at the end of a branch name (`request/42` → 42).
fn trailing_number(name: &str) -> Option<u64> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    name[name.len() - digits..].parse().ok()
}

fn identity(name: &str, email: &str) -> Identity {
    Identity::git(name, email)
}

/// Identities in order of first appearance, without repeats.
fn distinct<'a>(all: impl Iterator<Item = &'a Identity>) -> Vec<Identity> {
    let mut seen = Vec::new();
    for identity in all {
        if !seen.contains(identity) {
            seen.push(identity.clone());
        }
    }
    seen
}

/// `Name <email> 1700000000 +0000` → the name and email.
fn parse_ident(line: &str) -> Option<Identity> {
    let (person, _zone) = line.rsplit_once(' ')?;
    let (person, _time) = person.rsplit_once(' ')?;
    let (name, email) = person.rsplit_once(" <")?;
    Some(identity(name, email.strip_suffix('>')?))
}
