//! Unified diff text (`git diff`, or `diff_texts`) into files, hunks and
//! numbered lines, borrowing the text.
//!
//! Hunk lines are recognised by the counts in their `@@` header, never by
//! their first characters alone, so a removed line reading `-- x` cannot
//! pass for a file header. The parser is lenient: what it does not know
//! becomes a header line. It neither highlights nor escapes.

use super::paths::{git_paths, header_path};
use super::{FileStatus, LineKind};

/// A file as the diff describes it; paths are raw (unescaped).
#[derive(Debug, Default)]
pub(crate) struct RawFile<'a> {
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub status: FileStatus,
    pub binary: bool,
    pub old_mode: Option<&'a str>,
    pub new_mode: Option<&'a str>,
    pub lines: Vec<RawLine<'a>>,
    /// A `---` line was seen: the next one starts another file.
    seen_minus: bool,
    /// Inside a `GIT binary patch`, whose payload is not shown.
    in_binary_patch: bool,
}

/// One line; for hunk lines `text` is without the `+`/`-`/` ` marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawLine<'a> {
    pub kind: LineKind,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    pub text: &'a str,
}

#[derive(Clone, Copy, Debug)]
struct Hunk {
    old_no: u32,
    new_no: u32,
    old_left: u32,
    new_left: u32,
}

impl Hunk {
    fn open(&self) -> bool {
        self.old_left > 0 || self.new_left > 0
    }
}

/// Parses a whole diff; text before the first file header is ignored.
pub(crate) fn parse(diff: &str) -> Vec<RawFile<'_>> {
    let mut files: Vec<RawFile<'_>> = Vec::new();
    let mut hunk: Option<Hunk> = None;
    for line in diff.lines() {
        if let Some(h) = hunk.as_mut().filter(|h| h.open()) {
            if let Some(raw) = hunk_line(h, line) {
                if let Some(file) = files.last_mut() {
                    file.lines.push(raw);
                }
                continue;
            }
        }
        hunk = None;
        if line.starts_with("diff --git ") || starts_plain_file(files.last(), line) {
            files.push(RawFile::default());
        }
        if let Some(file) = files.last_mut() {
            hunk = header_line(file, line);
        }
    }
    for file in &mut files {
        settle(file);
    }
    files
}

/// A `---` outside any hunk starts a file in a diff without `diff --git`.
fn starts_plain_file(current: Option<&RawFile<'_>>, line: &str) -> bool {
    line.starts_with("--- ")
        && current
            .is_none_or(|f| f.seen_minus || f.lines.iter().any(|l| l.kind != LineKind::FileHeader))
}

/// A line inside an open hunk, or `None` if it ends the hunk early.
fn hunk_line<'a>(h: &mut Hunk, line: &'a str) -> Option<RawLine<'a>> {
    let (marker, text) = match line.chars().next() {
        // Some tools strip the space of an empty context line.
        None => (' ', ""),
        Some(c) => (c, &line[c.len_utf8()..]),
    };
    let (kind, old_no, new_no) = match marker {
        ' ' if h.old_left > 0 && h.new_left > 0 => {
            h.old_left -= 1;
            h.new_left -= 1;
            (LineKind::Context, Some(h.old_no), Some(h.new_no))
        }
        '-' if h.old_left > 0 => {
            h.old_left -= 1;
            (LineKind::Removed, Some(h.old_no), None)
        }
        '+' if h.new_left > 0 => {
            h.new_left -= 1;
            (LineKind::Added, None, Some(h.new_no))
        }
        '\\' => (LineKind::NoNewline, None, None),
        _ => return None,
    };
    h.old_no = h.old_no.saturating_add(u32::from(old_no.is_some()));
    h.new_no = h.new_no.saturating_add(u32::from(new_no.is_some()));
    let text = if kind == LineKind::NoNewline {
        line
    } else {
        text
    };
    Some(RawLine {
        kind,
        old_no,
        new_no,
        text,
    })
}

/// Records a header line on `file`; returns the hunk an `@@` line opens.
fn header_line<'a>(file: &mut RawFile<'a>, line: &'a str) -> Option<Hunk> {
    if file.in_binary_patch && !line.starts_with("diff ") {
        return None;
    }
    let mut kind = LineKind::FileHeader;
    let mut hunk = None;
    if let Some(rest) = line.strip_prefix("diff --git ") {
        if let Some((old, new)) = git_paths(rest) {
            file.old_path = Some(old);
            file.new_path = Some(new);
        }
    } else if let Some(rest) = line.strip_prefix("--- ") {
        file.old_path = header_path(rest, "a/");
        file.seen_minus = true;
    } else if let Some(rest) = line.strip_prefix("+++ ") {
        file.new_path = header_path(rest, "b/");
    } else if line.starts_with("@@ ") {
        hunk = hunk_header(line);
        if hunk.is_some() {
            kind = LineKind::HunkHeader;
        }
    } else if line.starts_with('\\') && !file.lines.is_empty() {
        kind = LineKind::NoNewline;
    } else {
        extended_header(file, line);
    }
    file.lines.push(RawLine {
        kind,
        old_no: None,
        new_no: None,
        text: line,
    });
    hunk
}

/// git's extended header lines: modes, renames, copies, binary files.
fn extended_header<'a>(file: &mut RawFile<'a>, line: &'a str) {
    if let Some(mode) = line.strip_prefix("new file mode ") {
        file.status = FileStatus::Added;
        file.new_mode = Some(mode);
    } else if let Some(mode) = line.strip_prefix("deleted file mode ") {
        file.status = FileStatus::Deleted;
        file.old_mode = Some(mode);
    } else if let Some(mode) = line.strip_prefix("old mode ") {
        file.old_mode = Some(mode);
    } else if let Some(mode) = line.strip_prefix("new mode ") {
        file.new_mode = Some(mode);
    } else if let Some(path) = line.strip_prefix("rename from ") {
        file.status = FileStatus::Renamed;
        file.old_path = Some(header_path(path, "").unwrap_or_default());
    } else if let Some(path) = line.strip_prefix("rename to ") {
        file.status = FileStatus::Renamed;
        file.new_path = Some(header_path(path, "").unwrap_or_default());
    } else if let Some(path) = line.strip_prefix("copy from ") {
        file.status = FileStatus::Copied;
        file.old_path = Some(header_path(path, "").unwrap_or_default());
    } else if let Some(path) = line.strip_prefix("copy to ") {
        file.status = FileStatus::Copied;
        file.new_path = Some(header_path(path, "").unwrap_or_default());
    } else if line.starts_with("Binary files ") && line.ends_with(" differ") {
        file.binary = true;
        binary_paths(file, line);
    } else if line == "GIT binary patch" {
        file.binary = true;
        file.in_binary_patch = true;
    }
}

/// `Binary files /dev/null and b/x differ` says which side is missing.
fn binary_paths(file: &mut RawFile<'_>, line: &str) {
    if line.starts_with("Binary files /dev/null and ") {
        file.status = FileStatus::Added;
    } else if line.ends_with(" and /dev/null differ") {
        file.status = FileStatus::Deleted;
    }
}

/// `@@ -a[,b] +c[,d] @@ section`; a missing count means 1.
fn hunk_header(line: &str) -> Option<Hunk> {
    let mut parts = line.strip_prefix("@@ -")?.splitn(2, " +");
    let (old_no, old_left) = range(parts.next()?)?;
    let rest = parts.next()?;
    let (new_no, new_left) = range(rest.split(' ').next()?)?;
    rest.contains(" @@").then_some(Hunk {
        old_no,
        new_no,
        old_left,
        new_left,
    })
}

fn range(s: &str) -> Option<(u32, u32)> {
    match s.split_once(',') {
        Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
        None => Some((s.parse().ok()?, 1)),
    }
}

/// Status from `/dev/null` sides, and no path on a side that does not exist.
fn settle(file: &mut RawFile<'_>) {
    if file.status == FileStatus::Modified {
        match (&file.old_path, &file.new_path) {
            (None, Some(_)) => file.status = FileStatus::Added,
            (Some(_), None) => file.status = FileStatus::Deleted,
            _ => {}
        }
    }
    match file.status {
        FileStatus::Added => file.old_path = None,
        FileStatus::Deleted => file.new_path = None,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds<'a>(files: &[RawFile<'a>]) -> Vec<Vec<(LineKind, &'a str)>> {
        let line = |l: &RawLine<'a>| (l.kind, l.text);
        files
            .iter()
            .map(|f| f.lines.iter().map(line).collect())
            .collect()
    }

    #[test]
    fn a_removed_line_that_looks_like_a_header_stays_in_its_hunk() {
        let files =
            parse("--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n--- not a header\n-+++ nor this\n+@@ x\n");
        assert_eq!(files.len(), 1);
        assert_eq!(
            kinds(&files)[0][3..],
            [
                (LineKind::Removed, "-- not a header"),
                (LineKind::Removed, "+++ nor this"),
                (LineKind::Added, "@@ x"),
            ]
        );
    }

    #[test]
    fn plain_diffs_of_several_files_split_on_their_headers() {
        let text = "preamble\n--- a/one\n+++ b/one\n@@ -1 +1 @@\n-a\n+b\n--- two\t2024-01-01\n+++ two\n@@ -0,0 +1 @@\n+c\n";
        let files = parse(text);
        let paths: Vec<_> = files.iter().map(|f| f.new_path.as_deref()).collect();
        assert_eq!(paths, [Some("one"), Some("two")]);
        assert_eq!(files[1].old_path.as_deref(), Some("two"));
    }

    #[test]
    fn binary_patches_are_not_shown() {
        let text = "diff --git a/i.png b/i.png\nindex 1..2\nGIT binary patch\nliteral 5\nMcmZ?wbN~PV\n\nliteral 0\nHcmV?d00001\n\ndiff --git a/t b/t\n--- a/t\n+++ b/t\n@@ -1 +1 @@\n-x\n+y\n";
        let files = parse(text);
        assert!(files[0].binary);
        assert_eq!(files[0].lines.len(), 3);
        assert_eq!(files[1].lines.len(), 6);
        assert!(!files[1].binary);
    }

    #[test]
    fn malformed_hunk_headers_become_header_lines() {
        let files = parse("--- a/x\n+++ b/x\n@@ -a +b @@\n-x\n");
        let kinds: Vec<_> = files[0].lines.iter().map(|l| l.kind).collect();
        assert!(kinds.iter().all(|k| *k == LineKind::FileHeader));
    }
}
