//! Line diffs of multi-line strings (user data, scripts, heredocs).

use super::{Delta, LineOp};
use similar::{ChangeTag, TextDiff};

/// Diffs two texts line by line; a missing side counts as empty.
pub(super) fn diff_lines(before: Option<&str>, after: Option<&str>) -> Vec<LineOp> {
    let diff = TextDiff::from_lines(before.unwrap_or(""), after.unwrap_or(""));
    diff.iter_all_changes()
        .map(|change| LineOp {
            delta: match change.tag() {
                ChangeTag::Equal => Delta::Unchanged,
                ChangeTag::Delete => Delta::Removed,
                ChangeTag::Insert => Delta::Added,
            },
            text: change
                .value()
                .strip_suffix('\n')
                .unwrap_or(change.value())
                .to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_line_is_a_removal_and_an_addition() {
        let ops = diff_lines(Some("a\nb\nc\n"), Some("a\nB\nc\n"));
        let deltas: Vec<Delta> = ops.iter().map(|o| o.delta).collect();
        assert_eq!(
            deltas,
            [
                Delta::Unchanged,
                Delta::Removed,
                Delta::Added,
                Delta::Unchanged
            ]
        );
        assert_eq!(ops[2].text, "B");
    }
}
