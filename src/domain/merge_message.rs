//! The message of a merge plandeck makes, on any source: the request, why
//! (applied, or merged for apply), each root with its approved digest, and
//! a trailer naming the request exactly, so a later run finds the merge
//! (and resumes its apply) without parsing the subject.

use super::Request;

/// Why a request is merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergePurpose {
    /// apply-then-merge: every root applied at this head.
    Applied,
    /// merge-then-apply: the roots are applied from the merge commit next.
    ForApply,
}

/// The trailer of a plandeck merge commit naming its request.
pub const REQUEST_TRAILER: &str = "Plandeck-Request";

/// The heading of an apply-then-merge merge: the roots were applied before it.
pub const APPLIED: &str = "Applied by plandeck";

/// The heading of a merge-then-apply merge: the roots were applied after it.
pub const MERGED_FOR_APPLY: &str = "Merged by plandeck for apply";

/// The subject line and the body of the merge of `request` with `roots`
/// (root, approved digest).
pub fn merge_message(
    request: &Request,
    roots: &[(String, String)],
    purpose: MergePurpose,
) -> (String, String) {
    let heading = match purpose {
        MergePurpose::Applied => APPLIED,
        MergePurpose::ForApply => MERGED_FOR_APPLY,
    };
    let subject = format!("Merge {}: {}", request.id, request.title);
    let mut body = format!("{heading} (head {}):\n", request.head);
    for (root, digest) in roots {
        body.push_str(&format!("  {root} {digest}\n"));
    }
    body.push_str(&format!("\n{REQUEST_TRAILER}: {}\n", request.id));
    (subject, body)
}
