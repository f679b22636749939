//! Highlighting the lines of one file's diff, hunk by hunk.
//!
//! The old and new sides are parsed separately (removed lines continue the
//! old text, added lines the new, context lines both) so that a heredoc or
//! block comment opened on one side colours the lines after it correctly.
//! Each hunk starts from a fresh state: the text between hunks is unknown.

use super::parse::RawLine;
use super::syntax::{Side, Syntaxes};
use super::text::{self, RawSpans};
use super::{CodeRole, DiffLine, LineKind};
use syntect::parsing::SyntaxReference;

/// Lines longer than this many bytes count against a diff's [`Budget`].
pub const LONG_LINE_BYTES: usize = 200;
/// How many long lines one diff highlights; later ones are shown plain.
/// Some grammars (YAML, Markdown) take about 10 ms for a 400-character line
/// with the pure-Rust regex engine: this bounds what a generated or hostile
/// diff can cost to a couple of seconds.
pub const LONG_LINES_PER_DIFF: usize = 200;

/// What is left of one diff's allowance for long lines.
pub(crate) struct Budget {
    long_lines: usize,
}

impl Budget {
    pub(crate) fn new() -> Self {
        Self {
            long_lines: LONG_LINES_PER_DIFF,
        }
    }

    /// May a line of `len` bytes be highlighted? Counts it if it is long.
    fn take(&mut self, len: usize) -> bool {
        if len <= LONG_LINE_BYTES {
            return true;
        }
        let allowed = self.long_lines > 0;
        self.long_lines = self.long_lines.saturating_sub(1);
        allowed
    }
}

/// Parser states for a file that has a syntax.
struct Code<'s> {
    syntax: &'s SyntaxReference,
    new: Side,
    /// `None` while both sides are in the same state: context lines are then
    /// parsed once, which is most of a typical diff.
    old: Option<Side>,
}

pub(crate) struct FileHighlighter<'s> {
    syntaxes: &'s Syntaxes,
    code: Option<Code<'s>>,
    buf: String,
    spans: RawSpans,
    /// Spans of the old side of a context line, which are not shown.
    discard: RawSpans,
}

impl<'s> FileHighlighter<'s> {
    /// `syntax` is `None` for plain text and binary files.
    pub(crate) fn new(syntaxes: &'s Syntaxes, syntax: Option<&'s SyntaxReference>) -> Self {
        Self {
            syntaxes,
            code: syntax.map(|syntax| Code {
                syntax,
                new: Side::new(syntax),
                old: None,
            }),
            buf: String::new(),
            spans: RawSpans::default(),
            discard: RawSpans::default(),
        }
    }

    pub(crate) fn line(&mut self, raw: &RawLine<'_>, budget: &mut Budget) -> DiffLine {
        let (spans, flagged) = match raw.kind {
            LineKind::HunkHeader => {
                self.reset();
                text::single(CodeRole::HunkHeader, raw.text)
            }
            LineKind::FileHeader => text::single(header_role(raw.text), raw.text),
            LineKind::NoNewline => text::single(CodeRole::Meta, raw.text),
            LineKind::Context | LineKind::Added | LineKind::Removed => {
                self.code_line(raw.kind, raw.text, budget)
            }
        };
        DiffLine {
            kind: raw.kind,
            old_no: raw.old_no,
            new_no: raw.new_no,
            spans,
            flagged,
        }
    }

    fn reset(&mut self) {
        if let Some(code) = &mut self.code {
            code.new = Side::new(code.syntax);
            code.old = None;
        }
    }

    fn code_line(
        &mut self,
        kind: LineKind,
        raw: &str,
        budget: &mut Budget,
    ) -> (Vec<(CodeRole, String)>, bool) {
        let (shown, cut) = text::prepare(raw);
        self.spans.clear();
        let code = match &mut self.code {
            Some(code) if budget.take(shown.len()) => code,
            _ => {
                self.spans.push(CodeRole::Plain, 0..shown.len());
                return self.spans.finish(&shown, cut);
            }
        };
        let (syntaxes, syntax, buf) = (self.syntaxes, code.syntax, &mut self.buf);
        match kind {
            LineKind::Removed => {
                let old = code.old.get_or_insert_with(|| code.new.clone());
                old.highlight(syntaxes, syntax, &shown, buf, &mut self.spans);
            }
            LineKind::Added => {
                if code.old.is_none() {
                    code.old = Some(code.new.clone());
                }
                code.new
                    .highlight(syntaxes, syntax, &shown, buf, &mut self.spans);
            }
            _ => {
                if let Some(old) = &mut code.old {
                    self.discard.clear();
                    old.highlight(syntaxes, syntax, &shown, buf, &mut self.discard);
                }
                code.new
                    .highlight(syntaxes, syntax, &shown, buf, &mut self.spans);
                if code.old.as_ref() == Some(&code.new) {
                    code.old = None;
                }
            }
        }
        self.spans.finish(&shown, cut)
    }
}

/// The lines naming the file stand out from the rest of the header.
fn header_role(line: &str) -> CodeRole {
    if line.starts_with("diff ") || line.starts_with("--- ") || line.starts_with("+++ ") {
        CodeRole::FileHeader
    } else {
        CodeRole::Meta
    }
}
