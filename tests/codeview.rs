//! The code view: unified diffs parsed, numbered, highlighted into roles and
//! made terminal-safe.

use plandeck::codeview::{
    CodeDiff, CodeHighlighter, CodeRole, DiffLine, FileDiff, FileStatus, LONG_LINE_BYTES,
    LONG_LINES_PER_DIFF, LineKind, MAX_HIGHLIGHT_CHARS, diff_texts,
};
use std::sync::OnceLock;
use std::time::Instant;

/// Built once for all tests: loading the syntaxes is the slow part.
fn highlighter() -> &'static CodeHighlighter {
    static H: OnceLock<CodeHighlighter> = OnceLock::new();
    H.get_or_init(CodeHighlighter::new)
}

fn view(diff: &str) -> CodeDiff {
    highlighter().diff_view(diff)
}

/// A diff adding `path` with `body`, as git writes it.
fn added_file(path: &str, body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut diff = format!(
        "diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for line in lines {
        diff.push('+');
        diff.push_str(line);
        diff.push('\n');
    }
    diff
}

fn only_file(diff: &CodeDiff) -> &FileDiff {
    assert_eq!(diff.files.len(), 1, "{diff:#?}");
    &diff.files[0]
}

/// The code lines of a file (no headers).
fn code(file: &FileDiff) -> Vec<&DiffLine> {
    file.lines
        .iter()
        .filter(|l| {
            matches!(
                l.kind,
                LineKind::Context | LineKind::Added | LineKind::Removed
            )
        })
        .collect()
}

/// The role of every character of `token` in `line`; panics if they differ
/// or the token is missing.
fn role_of(line: &DiffLine, token: &str) -> CodeRole {
    let text = line.text();
    let start = text
        .find(token)
        .unwrap_or_else(|| panic!("{token:?} not in {text:?}"));
    let end = start + token.len();
    let mut pos = 0;
    let mut roles = Vec::new();
    for (role, s) in &line.spans {
        let next = pos + s.len();
        if next > start && pos < end {
            roles.push(*role);
        }
        pos = next;
    }
    roles.dedup();
    assert_eq!(
        roles.len(),
        1,
        "{token:?} spans {roles:?} in {:?}",
        line.spans
    );
    roles[0]
}

const MAIN_TF: &str = r#"# Buckets for the logs
resource "aws_s3_bucket" "logs" {
  bucket  = "logs-${var.env}-%{ if var.x }on%{ endif }"
  count   = 3
  enabled = true
  policy  = <<-EOF
    {"Version": "2012-10-17"}
  EOF
  /* a block
     comment */
  name = lower(var.x) // trailing
  tags = { for k, v in local.tags : k => v if v != null }
  null = { source = "hashicorp/null" }
}
"#;

#[test]
fn hcl_tokens_get_their_roles() {
    let diff = view(&added_file("infra/main.tf", MAIN_TF));
    let file = only_file(&diff);
    assert_eq!(file.syntax.as_deref(), Some("HCL"));
    let l = code(file);
    assert_eq!(role_of(l[0], "# Buckets for the logs"), CodeRole::Comment);
    assert_eq!(role_of(l[1], "resource"), CodeRole::Keyword);
    assert_eq!(role_of(l[1], "\"aws_s3_bucket\""), CodeRole::String);
    assert_eq!(role_of(l[2], "bucket"), CodeRole::Name);
    assert_eq!(role_of(l[2], "="), CodeRole::Operator);
    assert_eq!(role_of(l[2], "\"logs-"), CodeRole::String);
    assert_eq!(role_of(l[2], "${"), CodeRole::Punctuation);
    assert_eq!(role_of(l[2], "var"), CodeRole::Variable);
    assert_eq!(role_of(l[2], "env"), CodeRole::Variable);
    assert_eq!(role_of(l[2], "if"), CodeRole::Keyword);
    assert_eq!(role_of(l[2], "on"), CodeRole::String);
    assert_eq!(role_of(l[3], "3"), CodeRole::Number);
    assert_eq!(role_of(l[4], "true"), CodeRole::Constant);
    assert_eq!(role_of(l[5], "<<-"), CodeRole::Operator);
    assert_eq!(role_of(l[5], "EOF"), CodeRole::Keyword);
    // The heredoc body is a string, JSON-looking or not.
    assert_eq!(
        role_of(l[6], r#"{"Version": "2012-10-17"}"#),
        CodeRole::String
    );
    assert_eq!(role_of(l[7], "EOF"), CodeRole::Keyword);
    assert_eq!(role_of(l[8], "/* a block"), CodeRole::Comment);
    assert_eq!(role_of(l[9], "comment */"), CodeRole::Comment);
    assert_eq!(role_of(l[10], "name"), CodeRole::Name);
    assert_eq!(role_of(l[10], "lower"), CodeRole::Function);
    assert_eq!(role_of(l[10], "// trailing"), CodeRole::Comment);
    assert_eq!(role_of(l[11], "for"), CodeRole::Keyword);
    assert_eq!(role_of(l[11], "=>"), CodeRole::Operator);
    assert_eq!(role_of(l[11], "null"), CodeRole::Constant);
    assert_eq!(role_of(l[12], "null"), CodeRole::Name);
    assert_eq!(role_of(l[13], "}"), CodeRole::Punctuation);
}

#[test]
fn each_side_of_a_hunk_keeps_its_own_state() {
    let diff = "--- a/x.tf\n+++ b/x.tf\n@@ -1,8 +1,6 @@\n a = 1\n-/* gone\n-still a comment\n-*/\n+b = 2\n c = 3\n p = <<EOF\n-old body\n+new body\n EOF\n";
    let file = only_file(&view(diff)).clone();
    let l = code(&file);
    assert_eq!(role_of(l[2], "still a comment"), CodeRole::Comment);
    assert_eq!(role_of(l[4], "b"), CodeRole::Name);
    assert_eq!(role_of(l[5], "c"), CodeRole::Name);
    assert_eq!(role_of(l[7], "old body"), CodeRole::String);
    assert_eq!(role_of(l[8], "new body"), CodeRole::String);
    assert_eq!(role_of(l[9], "EOF"), CodeRole::Keyword);
}

#[test]
fn yaml_and_json_highlight_and_text_is_plain() {
    let yaml = view(&added_file(
        ".github/workflows/ci.yml",
        "name: CI # build\non: [push]\njobs:\n  n: 2\n",
    ));
    let y = code(only_file(&yaml));
    assert_eq!(only_file(&yaml).syntax.as_deref(), Some("YAML"));
    assert_eq!(role_of(y[0], "name"), CodeRole::Name);
    assert_eq!(role_of(y[0], "CI"), CodeRole::String);
    assert_eq!(role_of(y[0], "# build"), CodeRole::Comment);
    assert_eq!(role_of(y[3], "2"), CodeRole::Number);

    let json = view(&added_file("p.json", "{\"a\": 12, \"b\": true}\n"));
    let j = code(only_file(&json));
    assert_eq!(role_of(j[0], "\"b\""), CodeRole::String);
    assert_eq!(role_of(j[0], "12"), CodeRole::Number);
    assert_eq!(role_of(j[0], "true"), CodeRole::Constant);

    let txt = view(&added_file("notes.txt", "resource \"x\" # 12\n"));
    let file = only_file(&txt);
    assert_eq!(file.syntax, None);
    assert_eq!(
        code(file)[0].spans,
        vec![(CodeRole::Plain, "resource \"x\" # 12".to_string())]
    );
}

#[test]
fn line_numbers_follow_each_side_across_two_hunks() {
    use LineKind::*;
    let diff = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -2,3 +2,4 @@ top\n c1\n-r1\n+a1\n+a2\n c2\n@@ -20,3 +21,2 @@\n c3\n-r2\n c4\n";
    let file = only_file(&view(diff)).clone();
    let nos: Vec<_> = file
        .lines
        .iter()
        .map(|l| (l.kind, l.old_no, l.new_no))
        .collect();
    let expected = vec![
        (FileHeader, None, None),
        (FileHeader, None, None),
        (FileHeader, None, None),
        (HunkHeader, None, None),
        (Context, Some(2), Some(2)),
        (Removed, Some(3), None),
        (Added, None, Some(3)),
        (Added, None, Some(4)),
        (Context, Some(4), Some(5)),
        (HunkHeader, None, None),
        (Context, Some(20), Some(21)),
        (Removed, Some(21), None),
        (Context, Some(22), Some(22)),
    ];
    assert_eq!(nos, expected);
    assert_eq!(file.counts(), (2, 2));
    assert_eq!(file.lines[3].text(), "@@ -2,3 +2,4 @@ top");
    assert_eq!(file.lines[5].marker(), Some((CodeRole::Removed, "-")));
}

/// `git diff --cached -M` of a real repository (paths and modes only).
const GIT_DIFF: &str = "diff --git a/added.md b/added.md\nnew file mode 100644\nindex 0000000..fa49b07\n--- /dev/null\n+++ b/added.md\n@@ -0,0 +1 @@\n+new file\ndiff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex fc1f2a2..0000000\n--- a/gone.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-old content\n-line2\ndiff --git a/logo.png b/logo.png\nindex 6772730..7f23aac 100644\nBinary files a/logo.png and b/logo.png differ\ndiff --git a/move.yaml b/moved.yaml\nsimilarity index 100%\nrename from move.yaml\nrename to moved.yaml\ndiff --git a/new.bin b/new.bin\nnew file mode 100644\nindex 0000000..5726412\nBinary files /dev/null and b/new.bin differ\ndiff --git \"a/odd\\033name.tf\" \"b/odd\\033name.tf\"\nindex 70ac00b..a8756be 100644\n--- \"a/odd\\033name.tf\"\n+++ \"b/odd\\033name.tf\"\n@@ -1 +1 @@\n-resource \"a\" \"b\" {}\n+resource \"a\" \"c\" {}\ndiff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n";

#[test]
fn git_statuses_renames_binaries_and_modes() {
    use FileStatus::*;
    let diff = view(GIT_DIFF);
    let summary: Vec<_> = diff
        .files
        .iter()
        .map(|f| {
            (
                f.old_path.as_deref(),
                f.new_path.as_deref(),
                f.status,
                f.binary,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (None, Some("added.md"), Added, false),
            (Some("gone.txt"), None, Deleted, false),
            (Some("logo.png"), Some("logo.png"), Modified, true),
            (Some("move.yaml"), Some("moved.yaml"), Renamed, false),
            (None, Some("new.bin"), Added, true),
            (
                Some("odd\\x1bname.tf"),
                Some("odd\\x1bname.tf"),
                Modified,
                false
            ),
            (Some("run.sh"), Some("run.sh"), Modified, false),
        ]
    );
    let f = &diff.files;
    assert_eq!(f[0].counts(), (1, 0));
    assert_eq!(f[1].counts(), (0, 2));
    assert_eq!(f[1].path(), "gone.txt");
    assert!(f[2].lines.iter().all(|l| l.kind == LineKind::FileHeader));
    assert_eq!(f[3].syntax.as_deref(), Some("YAML"));
    assert!(f[5].flagged, "an ESC in a path is flagged");
    assert_eq!(f[5].syntax.as_deref(), Some("HCL"));
    assert_eq!(f[6].old_mode.as_deref(), Some("100644"));
    assert_eq!(f[6].new_mode.as_deref(), Some("100755"));
    assert_eq!(f[0].new_mode.as_deref(), Some("100644"));
}

#[test]
fn hostile_text_is_escaped_and_flagged() {
    let body = "ok = 1\nname = \"\u{1b}[2J\u{1b}]0;pwned\u{7}\"\nrole = \"admin\u{202e}nimda\"\n";
    let diff = view(&added_file("evil.tf", body));
    let lines = code(only_file(&diff));
    assert!(!lines[0].flagged);
    for line in &lines[1..] {
        assert!(line.flagged, "{line:?}");
        let text = line.text();
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
    assert_eq!(lines[1].text(), "name = \"\\x1b[2J\\x1b]0;pwned\\x07\"");
    assert_eq!(lines[2].text(), "role = \"admin\\u{202e}nimda\"");
}

#[test]
fn crlf_tabs_long_lines_and_missing_newlines() {
    let long = "x".repeat(5000);
    let diff = format!(
        "--- a/f.txt\r\n+++ b/f.txt\r\n@@ -1,2 +1,2 @@\r\n \tindented\r\n-{long}\r\n+short\n\\ No newline at end of file\n"
    );
    let file = only_file(&view(&diff)).clone();
    let l = code(&file);
    assert_eq!(l[0].text(), "    indented");
    assert!(!l[0].flagged, "a CRLF line ending is not hostile");
    let cut = &l[1].spans;
    assert_eq!(cut.last().map(|s| s.0), Some(CodeRole::Meta));
    assert!(l[1].text().ends_with(" … 3000 more characters"));
    let last = file.lines.last().expect("lines");
    assert_eq!(last.kind, LineKind::NoNewline);
    assert_eq!((last.old_no, last.new_no), (None, None));
}

#[test]
fn long_lines_are_highlighted_within_a_budget() {
    let line = format!("{{\"k\": [{}]}}", "1, ".repeat(100));
    let count = LONG_LINES_PER_DIFF + 5;
    let body = format!("{line}\n").repeat(count);
    let diff = view(&added_file("gen.json", &body));
    let l = code(only_file(&diff));
    assert!(line.len() > LONG_LINE_BYTES && line.len() < MAX_HIGHLIGHT_CHARS);
    let plain = |l: &DiffLine| l.spans.iter().all(|s| s.0 == CodeRole::Plain);
    assert!(l[..LONG_LINES_PER_DIFF].iter().all(|l| !plain(l)));
    assert!(l[LONG_LINES_PER_DIFF..].iter().all(|l| plain(l)));
    assert!(l.iter().all(|l| l.text() == line));

    // Past the highlighting limit the line goes on in plain text.
    let long = format!("x = [{}]", "1, ".repeat(200));
    let diff = view(&added_file("long.tf", &long));
    let spans = &code(only_file(&diff))[0].spans;
    assert_eq!(role_of(code(only_file(&diff))[0], "x"), CodeRole::Name);
    let (role, tail) = spans.last().expect("spans");
    assert_eq!(*role, CodeRole::Plain);
    assert_eq!(tail.len(), long.len() - MAX_HIGHLIGHT_CHARS);
}

#[test]
fn diff_texts_reads_back_through_diff_view() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    let new = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl";
    let text = diff_texts("dir/f.txt", old, new);
    let diff = view(&text);
    let file = only_file(&diff);
    assert_eq!(file.path(), "dir/f.txt");
    assert_eq!(file.status, FileStatus::Modified);
    let changed = |kind| -> Vec<(String, Option<u32>)> {
        file.lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| (l.text(), l.old_no.or(l.new_no)))
            .collect()
    };
    assert_eq!(changed(LineKind::Removed), vec![("b".into(), Some(2))]);
    assert_eq!(
        changed(LineKind::Added),
        vec![("B".into(), Some(2)), ("l".into(), Some(12))]
    );
    assert_eq!(
        file.lines
            .iter()
            .filter(|l| l.kind == LineKind::HunkHeader)
            .count(),
        2
    );
    assert!(diff_texts("f", "same\n", "same\n").is_empty());
    // An odd path survives the header's quoting.
    let odd = view(&diff_texts("we ird\n\u{1b}.tf", "a = 1\n", "a = 2\n"));
    assert_eq!(only_file(&odd).path(), "we ird\\n\\x1b.tf");
    assert!(only_file(&odd).flagged);
}

#[test]
fn ten_thousand_lines_are_fast() {
    let mut body = String::new();
    for i in 0..2_000 {
        body.push_str(&format!(
            "resource \"null_resource\" \"r{i}\" {{\n  triggers = {{ v = \"${{var.x}}-{i}\" }}\n  # note {i}\n  count = {i}\n}}\n"
        ));
    }
    let diff = added_file("big.tf", &body);
    let h = highlighter();
    let start = Instant::now();
    let view = h.diff_view(&diff);
    let took = start.elapsed();
    let lines = view.files[0].lines.len();
    println!("code view: {lines} lines in {took:?}");
    assert!(lines > 10_000);
    // Generous: debug builds are far slower than release.
    assert!(took.as_secs() < 60, "{took:?}");
}

#[test]
fn highlighter_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<CodeHighlighter>();
}
