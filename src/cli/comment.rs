//! `plandeck comment REQUEST`: the request's summary comment on its pull
//! request (created once, then edited in place) and each root's commit
//! status `plandeck/<root>`: success only when that root's gate passes
//! (`crate::report`).

use super::{Failure, write_stdout};
use crate::config::Loaded;
use crate::render::COMMENT_MAX_CHARS;
use crate::sanitize;
use std::path::Path;

pub(super) fn run(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    max_chars: usize,
    statuses: bool,
) -> Result<i32, Failure> {
    if max_chars > COMMENT_MAX_CHARS {
        return Err(Failure(format!(
            "--max-chars {max_chars}: GitHub takes comments of at most {COMMENT_MAX_CHARS} characters"
        )));
    }
    let (source, request) = super::review::open(loaded, repo, request, None)?;
    let published = crate::report::publish(
        &*source,
        &loaded.config,
        &loaded.risk,
        &request,
        max_chars,
        statuses,
    )?;
    let done = if published.created {
        "created"
    } else {
        "updated"
    };
    let id = sanitize::escape(&request.id).text.into_owned();
    write_stdout(|out| {
        writeln!(
            out,
            "comment {done} on {id} ({} characters)",
            published.chars
        )
    })?;
    Ok(0)
}
