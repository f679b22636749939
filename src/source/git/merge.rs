//! Merging a request into its base with a merge commit that names the
//! request, its roots and their digests. When the base is checked out in the
//! repository the merge happens there; otherwise the branch ref is moved with
//! plumbing (`merge-tree` and `commit-tree`), guarded by its old value.

use super::GitSource;
use crate::source::{BackendError, Request};

/// Merges `request` into its base; returns the merge commit.
pub(super) fn merge_request(
    source: &GitSource,
    request: &Request,
    roots: &[(String, String)],
    purpose: crate::backend::MergePurpose,
) -> Result<String, BackendError> {
    let (subject, body) = crate::domain::merge_message(request, roots, purpose);
    let message = format!("{subject}\n\n{body}");
    let base_ref = format!("refs/heads/{}", request.base);
    let checked_out = source
        .git(&["symbolic-ref", "-q", "HEAD"])
        .map(|h| h.trim() == base_ref)
        .unwrap_or(false);
    if checked_out {
        source.git(&[
            "-c",
            "core.hooksPath=/dev/null",
            "merge",
            "--no-ff",
            "--no-edit",
            "-m",
            &message,
            &request.head,
        ])?;
        return Ok(source.git(&["rev-parse", "HEAD"])?.trim().to_string());
    }
    let base = source.git(&["rev-parse", &base_ref])?.trim().to_string();
    let tree = source
        .git(&["merge-tree", "--write-tree", &base, &request.head])
        .map_err(|_| {
            BackendError::Invalid(format!(
                "{} does not merge cleanly into {}",
                request.id, request.base
            ))
        })?;
    let tree = tree.lines().next().unwrap_or("").trim().to_string();
    let commit = source
        .git(&[
            "commit-tree",
            &tree,
            "-p",
            &base,
            "-p",
            &request.head,
            "-m",
            &message,
        ])?
        .trim()
        .to_string();
    source
        .git(&["update-ref", &base_ref, &commit, &base])
        .map_err(|e| {
            BackendError::Conflict(format!(
                "{} moved while {} was merged into it: {e}",
                request.base, request.id
            ))
        })?;
    Ok(commit)
}
