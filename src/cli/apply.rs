//! `plandeck apply REQUEST [--root ROOT]`: the local executor from the
//! command line. Exit 0 when everything applied, 1 when the gate refused,
//! drift blocked or an apply failed, 2 on bad input. In merge-then-apply
//! mode a request plandeck merged for apply, no longer open, is resumed.

use super::Failure;
use crate::backend::prelude::*;
use crate::config::{ApplyMode, Loaded};
use crate::executor::{Outcome, apply_request, places, resume_request};
use crate::sanitize;
use crate::source::BackendError;
use crate::source::git::GitSource;
use std::io::Write;
use std::path::Path;

pub(super) fn run(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: Option<&str>,
    quiet: bool,
) -> Result<i32, Failure> {
    let on_actions = loaded.config.apply.executor == crate::config::ApplyExecutor::GithubActions;
    if loaded.config.source.kind != crate::config::SourceKind::Git && !on_actions {
        // A pull request is applied where its credentials are: on GitHub
        // Actions, whose apply workflow checks the gate again.
        return Err(Failure(
            "[source] kind = \"github\": plandeck apply does not apply pull requests from \
             this machine; set [apply] executor = \"github-actions\" to apply them on \
             GitHub Actions (assets/github/plandeck-apply.yml)"
                .into(),
        ));
    }
    let data = crate::tui::progress::data_dir()
        .ok_or_else(|| Failure("no data directory on this platform".into()))?;
    let stdout = std::io::stdout();
    // The executor prints roots, request ids and commits from git as they
    // are: every line is escaped on its way out.
    let mut out = sanitize::LineEscaper::new(stdout.lock());
    if matches!(loaded.config.apply.mode, ApplyMode::MergeThenApply) && on_actions {
        // Merged for apply, the pull request is closed: resume it there.
        let source = crate::source::open(repo, &loaded.config)?;
        if let Err(BackendError::NotFound(why)) = source.resolve_request(request) {
            let Some(merged) = source.merged_for_apply(request)? else {
                return Err(Failure(BackendError::NotFound(why).to_string()));
            };
            let places = places(&*source, &data)?;
            let outcome = crate::executor::resume_on_actions(
                &*source,
                &loaded.config,
                &merged,
                root,
                &places,
                &mut out,
            )?;
            return Ok(report(&mut out, &merged.request.id, outcome, true));
        }
    } else if matches!(loaded.config.apply.mode, ApplyMode::MergeThenApply) {
        // Merged for apply, the request is no longer open: resume it.
        let source = GitSource::open(repo, &loaded.config)?;
        if let Err(BackendError::NotFound(why)) = source.resolve_request(request) {
            let Some(merged) = source.merged_for_apply(request)? else {
                return Err(Failure(BackendError::NotFound(why).to_string()));
            };
            let places = places(&source, &data)?;
            let outcome =
                resume_request(&source, &loaded.config, &merged, root, &places, &mut out)?;
            return Ok(report(&mut out, &merged.request.id, outcome, true));
        }
    }
    let (source, request) = super::review::open(loaded, repo, request, root)?;
    let places = places(&*source, &data)?;
    let roots: Vec<String> = request
        .roots
        .iter()
        .map(|r| r.path.clone())
        .filter(|r| root.is_none_or(|only| only == r))
        .collect();
    let progress = super::progress::RootProgress::new("applying", roots.len(), quiet);
    let mut followed = super::progress::FollowLines::new(&mut out, &progress, roots);
    let outcome = apply_request(
        &*source,
        &loaded.config,
        &request,
        root,
        &places,
        &mut followed,
    );
    let _ = std::io::Write::flush(&mut followed);
    drop(followed);
    drop(progress);
    let outcome = outcome?;
    let merged = matches!(loaded.config.apply.mode, ApplyMode::MergeThenApply);
    Ok(report(&mut out, &request.id, outcome, merged))
}

/// Prints how the apply ended; returns the exit status. `merged`: in
/// merge-then-apply an apply runs only after the merge.
fn report(out: &mut dyn Write, id: &str, outcome: Outcome, merged: bool) -> i32 {
    match outcome.summary(id, merged) {
        Ok(done) => {
            // A closed stdout must not turn a finished apply into a panic.
            let _ = writeln!(out, "{}", sanitize::escape(&done).text);
            0
        }
        Err(why) => {
            crate::sanitize::warn_line(format_args!("plandeck: {}", sanitize::escape(&why).text));
            1
        }
    }
}
