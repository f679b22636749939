//! The code view's model: a request's file changes (unified diff text, as
//! from `git diff base...head`) as files of numbered, syntax-highlighted
//! lines.
//!
//! Spans carry a semantic [`CodeRole`], never a colour: the front end maps
//! roles to styles, so one result serves dark and light terminals and
//! NO_COLOR. All diff text is untrusted and goes through `crate::sanitize`
//! as it becomes a span; a line that held hidden characters is `flagged`.
//! This module does no I/O (it never runs git or reads files) and keeps no
//! global state: build one [`CodeHighlighter`] and reuse it.

mod hunk;
mod parse;
mod paths;
mod syntax;
mod text;

pub use hunk::{LONG_LINE_BYTES, LONG_LINES_PER_DIFF};
pub use syntax::MAX_HIGHLIGHT_CHARS;
pub use text::{MAX_LINE_CHARS, TAB_WIDTH};

use similar::TextDiff;
use std::fmt;

/// What a span of code means; the front end decides how it looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodeRole {
    /// Code with no more specific role, and all of a file without a syntax.
    Plain,
    Comment,
    /// String literals, heredoc bodies, block labels.
    String,
    Number,
    /// `true`, `false`, `null` and other language constants; escapes.
    Constant,
    /// Block keywords (`resource`, `variable`, ...) and control words.
    Keyword,
    Operator,
    /// Attribute names, block types, keys: what is being set.
    Name,
    Function,
    /// References such as `var.x` and `each.key`.
    Variable,
    Punctuation,
    /// The `+` marker of an added line (see [`DiffLine::marker`]).
    Added,
    /// The `-` marker of a removed line.
    Removed,
    /// An `@@ -a,b +c,d @@` line.
    HunkHeader,
    /// The lines naming a file: `diff --git`, `---`, `+++`.
    FileHeader,
    /// Other diff furniture: `index`, modes, renames, `\ No newline`, the
    /// marker of a cut line.
    Meta,
}

/// What happened to a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FileStatus {
    Added,
    Deleted,
    #[default]
    Modified,
    Renamed,
    Copied,
}

/// What a line of the diff is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// `diff --git`, `index`, modes, renames, `---`/`+++`, `Binary files`.
    FileHeader,
    HunkHeader,
    Context,
    Added,
    Removed,
    /// `\ No newline at end of file`, about the line before it.
    NoNewline,
}

/// One display line. `spans` hold the text without the diff marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    /// Line number in the old file (context and removed lines).
    pub old_no: Option<u32>,
    /// Line number in the new file (context and added lines).
    pub new_no: Option<u32>,
    /// Escaped text in roles; tabs expanded, overlong lines cut with a
    /// [`CodeRole::Meta`] marker at the end.
    pub spans: Vec<(CodeRole, String)>,
    /// The line held control, bidi or invisible characters (shown escaped):
    /// show a warning beside it.
    pub flagged: bool,
}

impl DiffLine {
    /// The diff marker to show in the gutter, for hunk lines.
    pub fn marker(&self) -> Option<(CodeRole, &'static str)> {
        match self.kind {
            LineKind::Added => Some((CodeRole::Added, "+")),
            LineKind::Removed => Some((CodeRole::Removed, "-")),
            LineKind::Context => Some((CodeRole::Plain, " ")),
            _ => None,
        }
    }

    /// The text without roles.
    pub fn text(&self) -> String {
        self.spans.iter().map(|(_, s)| s.as_str()).collect()
    }
}

/// One file of the diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiff {
    /// Escaped for display; `None` for an added file.
    pub old_path: Option<String>,
    /// Escaped for display; `None` for a deleted file.
    pub new_path: Option<String>,
    pub status: FileStatus,
    /// Binary content: there are header lines but no hunks.
    pub binary: bool,
    /// File modes (`100644`, `100755`) when the diff mentions them.
    pub old_mode: Option<String>,
    pub new_mode: Option<String>,
    /// A path held hidden characters.
    pub flagged: bool,
    /// The syntax used (`"HCL"`, `"YAML"`), `None` for plain text.
    pub syntax: Option<String>,
    pub lines: Vec<DiffLine>,
}

impl FileDiff {
    /// The path to show: the new one, or the old one of a deleted file.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or_default()
    }

    /// Added and removed line counts.
    pub fn counts(&self) -> (usize, usize) {
        let count = |kind| self.lines.iter().filter(|l| l.kind == kind).count();
        (count(LineKind::Added), count(LineKind::Removed))
    }
}

/// A whole diff, file by file in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeDiff {
    pub files: Vec<FileDiff>,
}

/// Holds the syntax definitions; building it takes a while, so build one and
/// reuse it. It is `Send + Sync`: a background task can use a shared one.
pub struct CodeHighlighter {
    syntaxes: syntax::Syntaxes,
}

impl fmt::Debug for CodeHighlighter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeHighlighter").finish_non_exhaustive()
    }
}

impl Default for CodeHighlighter {
    fn default() -> Self {
        Self::new()
    }
}

impl CodeHighlighter {
    /// syntect's default syntaxes (YAML, JSON, Markdown, shell, ...) plus
    /// our HCL for `.tf`, `.tfvars`, `.hcl` and `.tofu`.
    pub fn new() -> Self {
        Self {
            syntaxes: syntax::Syntaxes::load(),
        }
    }

    /// The syntax a path would be highlighted with; `None` for plain text.
    pub fn syntax_name(&self, path: &str) -> Option<&str> {
        self.syntaxes.for_path(path).map(|s| s.name.as_str())
    }

    /// Parses and highlights a unified diff. Never fails: what it does not
    /// understand is shown as header text. To bound the time a generated or
    /// hostile diff can take, only the first [`MAX_HIGHLIGHT_CHARS`] of a
    /// line are highlighted, and after [`LONG_LINES_PER_DIFF`] lines longer
    /// than [`LONG_LINE_BYTES`], long lines are shown plain.
    pub fn diff_view(&self, unified_diff: &str) -> CodeDiff {
        let mut budget = hunk::Budget::new();
        let files = parse::parse(unified_diff)
            .iter()
            .map(|raw| self.file_view(raw, &mut budget))
            .collect();
        CodeDiff { files }
    }

    fn file_view(&self, raw: &parse::RawFile<'_>, budget: &mut hunk::Budget) -> FileDiff {
        let path = raw.new_path.as_deref().or(raw.old_path.as_deref());
        let syntax = path
            .filter(|_| !raw.binary)
            .and_then(|p| self.syntaxes.for_path(p));
        let mut highlighter = hunk::FileHighlighter::new(&self.syntaxes, syntax);
        let lines = raw
            .lines
            .iter()
            .map(|l| highlighter.line(l, budget))
            .collect();
        let (old_path, old_flagged) = escape_path(raw.old_path.as_deref());
        let (new_path, new_flagged) = escape_path(raw.new_path.as_deref());
        FileDiff {
            old_path,
            new_path,
            status: raw.status,
            binary: raw.binary,
            old_mode: raw.old_mode.map(|m| text::escape(m).0),
            new_mode: raw.new_mode.map(|m| text::escape(m).0),
            flagged: old_flagged || new_flagged,
            syntax: syntax.map(|s| s.name.clone()),
            lines,
        }
    }
}

fn escape_path(path: Option<&str>) -> (Option<String>, bool) {
    match path.map(text::escape) {
        Some((shown, flagged)) => (Some(shown), flagged),
        None => (None, false),
    }
}

/// A unified diff (3 lines of context, `a/` and `b/` prefixes, git-style
/// quoting of odd paths) of two texts, for changes that have no git diff.
/// Empty when the texts are equal. Pure: `diff_view` reads it back.
pub fn diff_texts(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let (old_name, new_name) = prefixed(path);
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string()
}

/// `a/path` and `b/path`, quoted as a whole as git does when needed.
fn prefixed(path: &str) -> (String, String) {
    let quoted = paths::quote(path);
    match quoted.strip_prefix('"') {
        Some(inner) => (format!("\"a/{inner}"), format!("\"b/{inner}")),
        None => (format!("a/{path}"), format!("b/{path}")),
    }
}
