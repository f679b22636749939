//! Turning one untrusted line of a diff into display-safe spans.
//!
//! Tabs are expanded and very long lines cut *before* highlighting, so the
//! highlighter's byte ranges index the text that is shown; every span then
//! goes through `crate::sanitize::escape` as it becomes a `String`. This
//! module does not parse diffs or syntax.

use super::CodeRole;
use crate::sanitize;
use std::borrow::Cow;
use std::ops::Range;

/// Longer lines are cut (minified JSON, generated files): highlighting them
/// is slow and nobody reads past the edge of the screen.
pub const MAX_LINE_CHARS: usize = 2000;
/// Tab stops every this many columns.
pub const TAB_WIDTH: usize = 4;

/// The line as shown, and how many characters were cut from its end.
pub(crate) fn prepare(raw: &str) -> (Cow<'_, str>, usize) {
    // Bytes bound chars from above, so short tab-free lines are untouched.
    if raw.len() <= MAX_LINE_CHARS && !raw.contains('\t') {
        return (Cow::Borrowed(raw), 0);
    }
    let mut out = String::with_capacity(raw.len().min(MAX_LINE_CHARS * 4));
    let mut col = 0;
    for (i, c) in raw.char_indices() {
        if col >= MAX_LINE_CHARS {
            return (Cow::Owned(out), raw[i..].chars().count());
        }
        if c == '\t' {
            let stop = (col / TAB_WIDTH + 1) * TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', stop - col));
            col = stop;
        } else {
            out.push(c);
            col += 1;
        }
    }
    (Cow::Owned(out), 0)
}

/// Roles over byte ranges of a prepared line, adjacent equal roles merged.
#[derive(Default)]
pub(crate) struct RawSpans {
    spans: Vec<(CodeRole, Range<usize>)>,
}

impl RawSpans {
    pub(crate) fn clear(&mut self) {
        self.spans.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.spans.truncate(len);
    }

    pub(crate) fn push(&mut self, role: CodeRole, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        match self.spans.last_mut() {
            Some((last, r)) if *last == role && r.end == range.start => r.end = range.end,
            _ => self.spans.push((role, range)),
        }
    }

    /// The escaped spans of `line`, a marker if `cut` characters were cut,
    /// and whether anything had to be flagged.
    pub(crate) fn finish(&self, line: &str, cut: usize) -> (Vec<(CodeRole, String)>, bool) {
        let mut flagged = false;
        let mut out = Vec::with_capacity(self.spans.len() + 1);
        for (role, range) in &self.spans {
            let text = line.get(range.clone()).unwrap_or_default();
            let (text, hidden) = escape(text);
            flagged |= hidden;
            out.push((*role, text));
        }
        if cut > 0 {
            out.push((CodeRole::Meta, format!(" … {cut} more characters")));
        }
        (out, flagged)
    }
}

/// One untrusted string, escaped, and whether it held hidden characters.
pub(crate) fn escape(text: &str) -> (String, bool) {
    let escaped = sanitize::escape(text);
    (escaped.text.into_owned(), escaped.flagged)
}

/// A whole line in one role (headers, plain text).
pub(crate) fn single(role: CodeRole, text: &str) -> (Vec<(CodeRole, String)>, bool) {
    let (shown, cut) = prepare(text);
    let mut spans = RawSpans::default();
    spans.push(role, 0..shown.len());
    spans.finish(&shown, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_go_to_four_column_stops() {
        assert_eq!(prepare("\tx").0, "    x");
        assert_eq!(prepare("ab\tc").0, "ab  c");
        assert_eq!(prepare("abcd\te").0, "abcd    e");
    }

    #[test]
    fn long_lines_are_cut_with_a_count() {
        let long = "é".repeat(MAX_LINE_CHARS + 5);
        let (shown, cut) = prepare(&long);
        assert_eq!(shown.chars().count(), MAX_LINE_CHARS);
        assert_eq!(cut, 5);
        let (spans, _) = single(CodeRole::Plain, &long);
        assert_eq!(
            spans.last().map(|s| s.1.as_str()),
            Some(" … 5 more characters")
        );
    }

    #[test]
    fn adjacent_spans_of_one_role_merge() {
        let mut s = RawSpans::default();
        s.push(CodeRole::String, 0..2);
        s.push(CodeRole::String, 2..4);
        s.push(CodeRole::Plain, 4..4);
        s.push(CodeRole::Plain, 4..5);
        let (spans, flagged) = s.finish("\"ab\"x", 0);
        assert_eq!(
            spans,
            vec![
                (CodeRole::String, "\"ab\"".to_string()),
                (CodeRole::Plain, "x".to_string())
            ]
        );
        assert!(!flagged);
    }

    #[test]
    fn control_characters_are_escaped_and_flagged() {
        let (spans, flagged) = single(CodeRole::Plain, "a\u{1b}[2Jb\u{202e}");
        assert_eq!(spans[0].1, "a\\x1b[2Jb\\u{202e}");
        assert!(flagged);
    }
}
