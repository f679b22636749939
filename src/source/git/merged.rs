//! Requests plandeck merged for apply (merge-then-apply): found again by
//! their merge commit on the base's first-parent history, so the roots left
//! to apply can be resumed from that merge. Reads only.

use super::{GitSource, MERGED_FOR_APPLY, REQUEST_TRAILER, tree};
use crate::domain::MergedRequest;
use crate::source::BackendError;

impl GitSource {
    /// The newest merge on the base's first-parent history that plandeck
    /// wrote for applying request `id` (merge-then-apply), with the request
    /// rebuilt from it: `None` when there is none.
    pub(super) fn find_merged_for_apply(
        &self,
        id: &str,
    ) -> Result<Option<MergedRequest>, BackendError> {
        for into in self.config.bases() {
            if into != self.config.source.base && self.branch_head(&into).is_err() {
                continue;
            }
            if let Some(found) = self.merged_into(id, &into)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// [`Self::find_merged_for_apply`] on the history of branch `into`.
    fn merged_into(&self, id: &str, into: &str) -> Result<Option<MergedRequest>, BackendError> {
        let base = self.branch_head(into)?;
        let log = "log --no-show-signature --no-color --first-parent --merges -z";
        let out = self.run(log, &["--format=%H %P%n%B", "--end-of-options", &base])?;
        for record in out.split('\0').filter(|r| !r.is_empty()) {
            let (hashes, message) = record.split_once('\n').unwrap_or((record, ""));
            if !is_merge_for_apply(message, id) {
                continue;
            }
            let [merge, first, head] = hashes.split(' ').collect::<Vec<_>>()[..] else {
                continue;
            };
            let mut trees = tree::Cache::default();
            let Some(mut request) = self.request(id, head, first, into, &mut trees)? else {
                continue;
            };
            request.base = first.to_string();
            return Ok(Some(MergedRequest {
                request,
                merge: merge.to_string(),
            }));
        }
        Ok(None)
    }
}

/// Whether `message` is a plandeck merge-for-apply of request `id`: its
/// heading, and its trailer naming `id` (or, for merges written before the
/// trailer, its subject; ref names cannot hold `:`).
fn is_merge_for_apply(message: &str, id: &str) -> bool {
    let heading = message
        .lines()
        .any(|l| l.starts_with(&format!("{MERGED_FOR_APPLY} (head ")));
    let trailer = format!("{REQUEST_TRAILER}: ");
    let mut trailers = message.lines().filter_map(|l| l.strip_prefix(&trailer));
    let named = match trailers.next() {
        Some(named) => named == id,
        None => message.starts_with(&format!("Merge {id}: ")),
    };
    heading && named
}

#[cfg(test)]
mod tests {
    use super::is_merge_for_apply;

    #[test]
    fn a_merge_for_apply_is_named_by_its_trailer_or_else_its_subject() {
        let body = "Merged by plandeck for apply (head abc):\n  apps/dev sha256:1\n";
        let with = format!("Merge request/1: t\n\n{body}\nPlandeck-Request: request/1\n");
        assert!(is_merge_for_apply(&with, "request/1"));
        assert!(!is_merge_for_apply(&with, "request/10"));
        // The trailer wins over a subject naming another request.
        let other = with.replace("Plandeck-Request: request/1", "Plandeck-Request: other");
        assert!(!is_merge_for_apply(&other, "request/1"));
        let older = format!("Merge request/1: t\n\n{body}");
        assert!(is_merge_for_apply(&older, "request/1"));
        let applied = older.replace("Merged by plandeck for apply", "Applied by plandeck");
        assert!(!is_merge_for_apply(&applied, "request/1"));
    }
}
