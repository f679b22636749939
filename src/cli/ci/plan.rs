//! `plandeck ci plan`'s glue: the pull request number from the job's
//! event, the run (`executor::ci_plan`), what it prints and the step's
//! `roots` output in `$GITHUB_OUTPUT`.

#![allow(clippy::disallowed_types)] // the job's clone is a local git checkout

use super::Failure;
use crate::config::Loaded;
use crate::executor::ci_plan::{PlanJob, ci_plan};
use crate::sanitize::{self, escape};
use crate::source::git::LocalCheckouts;
use crate::source::github::GitHubSource;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// An event file larger than this is not read (GitHub's are far smaller).
const MAX_EVENT_BYTES: u64 = 64 << 20;

/// The number of the pull request of the job's event
/// (`$GITHUB_EVENT_PATH`, `.pull_request.number`).
pub(super) fn event_request() -> Result<String, Failure> {
    let path = std::env::var_os("GITHUB_EVENT_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            Failure(
                "GITHUB_EVENT_PATH is not set: pass --request N, or run in a pull_request job"
                    .into(),
            )
        })?;
    let shown = escape(&path.display().to_string()).text.into_owned();
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_EVENT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Failure(format!("{shown}: cannot read the event: {e}")))?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err(Failure(format!(
            "{shown}: the event is larger than {} MiB",
            MAX_EVENT_BYTES >> 20
        )));
    }
    let event: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure(format!("{shown}: the event is not JSON: {e}")))?;
    let Some(number) = event.get("pull_request").and_then(|p| p.get("number")) else {
        return Err(Failure(format!(
            "{shown}: no .pull_request.number (not a pull_request event; pass --request N)"
        )));
    };
    match number.as_u64() {
        Some(n) if n > 0 && n < 1_000_000_000_000 => Ok(n.to_string()),
        _ => Err(Failure(format!(
            "{shown}: .pull_request.number is {}, not a pull request number",
            escape(&clip(&number.to_string())).text
        ))),
    }
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

pub(super) fn run(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    out_dir: &Path,
    cost_dir: Option<&Path>,
) -> Result<i32, Failure> {
    crate::tofu::outlive_interrupts();
    if let Some(dir) = cost_dir.filter(|d| !d.is_dir()) {
        return Err(Failure(format!(
            "--cost-dir {}: not a directory",
            escape(&dir.display().to_string()).text
        )));
    }
    let source = GitHubSource::open(&loaded.config)?;
    let checkouts = LocalCheckouts::new(repo);
    let job = PlanJob {
        request,
        out_dir,
        cost_dir,
    };
    // Escaped again on the way out: roots and paths are the request's.
    let mut out = sanitize::LineEscaper::new(std::io::stdout());
    let done = ci_plan(
        &source,
        &checkouts,
        &loaded.config,
        &loaded.risk,
        &job,
        &mut out,
    )?;
    let roots = done.roots_json();
    if let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "roots={roots}"))
            .map_err(|e| {
                Failure(format!(
                    "{}: cannot write the step's output: {e}",
                    escape(&path.display().to_string()).text
                ))
            })?;
    }
    let id = escape(&done.request.id).text.into_owned();
    if let Some(created) = done.comment_created {
        let how = if created { "created" } else { "updated" };
        say!("comment {how} on {id}");
    }
    if !done.failed.is_empty() {
        let names: Vec<String> = done
            .failed
            .iter()
            .map(|(root, _)| escape(root).text.into_owned())
            .collect();
        sanitize::warn_line(format_args!(
            "plandeck: {id}: the plan failed for {} of {} roots: {}",
            done.failed.len(),
            done.failed.len() + done.planned.len(),
            names.join(", ")
        ));
    }
    Ok(done.exit_code())
}
