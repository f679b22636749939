//! `plandeck ci …`: the steps of the example GitHub Actions workflows.
//! `ci plan` runs in the pull request workflow, `ci apply` in the apply
//! workflow. Their configuration is built from the job's environment (`GITHUB_REPOSITORY`, `GITHUB_API_URL`,
//! `GITHUB_TOKEN`), an optional `--config` outside the checkout, and the
//! repository's `.plandeck.toml` as GitHub has it on the base branch: never
//! a file of the checkout, which is the request's own.

#![allow(clippy::disallowed_types)] // the job's clone is a local git checkout

use super::Failure;
use crate::config;
use crate::executor::ci::{CiOutcome, Dispatch, ci_apply};
use crate::sanitize;
use crate::source::git::LocalCheckouts;
use crate::source::github::GitHubSource;
use std::path::{Path, PathBuf};

mod plan;

#[derive(Debug, clap::Subcommand)]
pub enum CiAction {
    /// In the pull request workflow: plan every root the pull request
    /// affects at its head, write one artifact folder per root into --out,
    /// post or update the summary comment and set the plandeck/ROOT
    /// statuses, and append `roots=[{"root":…,"artifact":…}]` to
    /// $GITHUB_OUTPUT. Exit codes: 0 every affected root planned (or none
    /// affected), 1 a root's plan failed (the others are still written and
    /// published), 2 usage or bad input.
    Plan {
        /// Where the folders go: DIR/<artifact name>/ holding plan.json,
        /// tfplan and cost.json (artifact names as `[github] plan_artifact`).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A directory outside the checkout holding each root's cost tool
        /// JSON (Infracost or OpenInfraQuote) as <artifact name>.json; a
        /// root without one has no estimate.
        #[arg(long, value_name = "DIR")]
        cost_dir: Option<PathBuf>,
        /// The pull request number (default: the pull request of the job's
        /// event, $GITHUB_EVENT_PATH).
        #[arg(long)]
        request: Option<String>,
    },
    /// In the apply workflow: check the gate on GitHub, plan the dispatched
    /// head again, compare digests and apply exactly that plan, or refuse.
    /// Exit codes: 0 applied, 1 refused (nothing applied), 2 usage or bad
    /// input, 3 the apply ran and failed, 4 applied but the environment's
    /// verify command failed.
    Apply {
        /// The pull request number.
        #[arg(long)]
        request: String,
        /// The root (DIR@ENV where environments share a directory).
        #[arg(long, value_name = "ROOT")]
        root: String,
        /// The approved head commit (40 hex digits).
        #[arg(long, value_name = "SHA")]
        head: String,
        /// The approved plan digest.
        #[arg(long)]
        digest: String,
    },
}

pub(super) fn run(explicit: Option<&Path>, repo: &Path, action: CiAction) -> Result<i32, Failure> {
    match action {
        CiAction::Plan {
            out,
            cost_dir,
            request,
        } => {
            let request = match request {
                Some(number) => request_number("--request", &number)?,
                None => plan::event_request()?,
            };
            if let Some(dir) = cost_dir.as_deref().filter(|d| inside_checkout(d, repo)) {
                return Err(Failure(format!(
                    "--cost-dir {}: inside the checkout, which is the request's own; \
                     write the estimates elsewhere (e.g. $RUNNER_TEMP/costs)",
                    sanitize::escape(&dir.display().to_string()).text
                )));
            }
            let loaded = job_loaded(explicit, repo)?;
            plan::run(&loaded, repo, &request, &out, cost_dir.as_deref())
        }
        CiAction::Apply {
            request,
            root,
            head,
            digest,
        } => {
            let dispatch = checked(Dispatch {
                request,
                root,
                head,
                digest,
            })?;
            apply(explicit, repo, &dispatch)
        }
    }
}

/// The dispatch's inputs come from whoever dispatched: plain values only.
fn checked(dispatch: Dispatch) -> Result<Dispatch, Failure> {
    let number = request_number("--request", &dispatch.request)?;
    if dispatch.head.len() != 40 || !dispatch.head.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Failure(format!(
            "--head {:?}: a commit sha of 40 hex digits",
            sanitize::escape(&dispatch.head).text
        )));
    }
    for (flag, value) in [("--root", &dispatch.root), ("--digest", &dispatch.digest)] {
        if value.is_empty() || value.len() > 512 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Failure(format!(
                "{flag} {:?}: printable ASCII without spaces",
                sanitize::escape(value).text
            )));
        }
    }
    Ok(Dispatch {
        request: number,
        head: dispatch.head.to_ascii_lowercase(),
        ..dispatch
    })
}

fn apply(explicit: Option<&Path>, repo: &Path, dispatch: &Dispatch) -> Result<i32, Failure> {
    crate::tofu::outlive_interrupts();
    let loaded = job_loaded(explicit, repo)?;
    let source = GitHubSource::open(&loaded.config)?;
    let checkouts = LocalCheckouts::new(repo);
    let log = std::env::temp_dir().join(format!(
        "plandeck-ci-apply-{}-{}.log",
        std::process::id(),
        crate::clock::unix_now()
    ));
    let mut out = std::io::stdout();
    let outcome = ci_apply(
        &source,
        &checkouts,
        &loaded.config,
        dispatch,
        &log,
        &mut out,
    )?;
    let root = sanitize::escape(&dispatch.root).text.into_owned();
    match &outcome {
        CiOutcome::Applied => {
            say!(
                "{root}: applied {} (log {})",
                dispatch.digest,
                log.display()
            );
        }
        CiOutcome::Refused(reasons) => {
            sanitize::warn_line(format_args!(
                "plandeck: refused: {root}: {}",
                sanitize::escape(&reasons.join("; ")).text
            ));
        }
        CiOutcome::Failed(reason) => {
            sanitize::warn_line(format_args!(
                "plandeck: {root}: apply failed: {}",
                sanitize::escape(reason).text
            ));
        }
        CiOutcome::VerifyFailed(reason) => {
            sanitize::warn_line(format_args!(
                "plandeck: {root}: applied, verify failed: {}",
                sanitize::escape(reason).text
            ));
        }
    }
    Ok(outcome.exit_code())
}

/// A pull request number (`7` or `#7`), from `what`.
fn request_number(what: &str, value: &str) -> Result<String, Failure> {
    let number = value.trim_start_matches('#');
    let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    if !digits || number.len() > 12 || number.bytes().all(|b| b == b'0') {
        return Err(Failure(format!(
            "{what} {:?}: a pull request number",
            sanitize::escape(value).text
        )));
    }
    Ok(number.trim_start_matches('0').to_string())
}

/// Whether `path` lies inside the checkout `repo` (the request's own files).
fn inside_checkout(path: &Path, repo: &Path) -> bool {
    let Ok(checkout) = repo.canonicalize() else {
        return false;
    };
    // A path not there yet is judged by its nearest existing ancestor.
    let mut at = path.to_path_buf();
    loop {
        if let Ok(real) = at.canonicalize() {
            return real.starts_with(&checkout);
        }
        if !at.pop() || at.as_os_str().is_empty() {
            return std::env::current_dir()
                .ok()
                .and_then(|d| d.canonicalize().ok())
                .is_some_and(|d| d.starts_with(&checkout));
        }
    }
}

/// The job's configuration ([`job_config`]) layered with the base
/// branch's `.plandeck.toml` as GitHub has it: what every `ci` step runs on.
fn job_loaded(explicit: Option<&Path>, repo: &Path) -> Result<config::Loaded, Failure> {
    let (text, name) = job_config(explicit, repo)?;
    let mut first = config::load_text_with_repo(&text, name.clone().into(), None)?;
    // Only to read the base's `.plandeck.toml`, which may name the roots.
    if first.config.source.roots.is_empty() {
        first.config.source.roots = vec!["**".into()];
    }
    let source = GitHubSource::open(&first.config)?;
    let base = first.config.primary_base();
    let layer = source.base_file(".plandeck.toml")?.map(|t| {
        (
            format!("{}:.plandeck.toml ({base})", first.config.github.repo),
            t,
        )
    });
    Ok(config::load_text_with_repo(&text, name.into(), layer)?)
}

/// The job's own configuration as TOML text and its name: `--config` (which
/// must lie outside the checkout) with the GitHub source of
/// `GITHUB_REPOSITORY` (at `GITHUB_API_URL`) set.
fn job_config(explicit: Option<&Path>, repo: &Path) -> Result<(String, String), Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let repository = var("GITHUB_REPOSITORY").ok_or_else(|| {
        Failure("GITHUB_REPOSITORY is not set: `plandeck ci` runs in a GitHub Actions job".into())
    })?;
    let mut table = toml::Table::new();
    let mut name = "(the job's environment)".to_string();
    if let Some(path) = explicit {
        if inside_checkout(path, repo) {
            return Err(Failure(format!(
                "--config {}: inside the checkout, which is the request's own; \
                 plandeck ci reads the policy from the base branch (.plandeck.toml) \
                 and only the operator's file from outside the checkout",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure(format!("{}: cannot read: {e}", path.display())))?;
        table = config::parse(&text, path)
            .and_then(|_| {
                toml::from_str(&text).map_err(|e: toml::de::Error| config::ConfigError {
                    file: path.display().to_string(),
                    line: None,
                    message: e.message().replace('\n', " "),
                })
            })
            .map_err(|e| Failure(e.to_string()))?;
        name = path.display().to_string();
    }
    let configured = table
        .get("github")
        .and_then(|g| g.get("repo"))
        .and_then(toml::Value::as_str);
    if let Some(configured) = configured {
        if !configured.eq_ignore_ascii_case(&repository) {
            return Err(Failure(format!(
                "[github] repo is {configured:?} but this job runs for {repository:?}"
            )));
        }
    }
    set(&mut table, "source", "kind", "github".into());
    // This job is the github-actions executor's run: earlier environments'
    // applies are GitHub's successful runs of this workflow.
    set(&mut table, "apply", "executor", "github-actions".into());
    set(&mut table, "github", "repo", repository.into());
    if let Some(api) = var("GITHUB_API_URL") {
        set(&mut table, "github", "api_url", api.into());
    }
    Ok((
        toml::to_string(&table).map_err(|e| Failure(e.to_string()))?,
        name,
    ))
}

/// `[section] key = value`, the section made when missing.
fn set(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    let slot = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match slot {
        toml::Value::Table(inner) => {
            inner.insert(key.to_string(), value);
        }
        other => *other = toml::Value::Table(toml::Table::from_iter([(key.to_string(), value)])),
    }
}
