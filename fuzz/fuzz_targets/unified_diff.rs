//! A unified diff through the code view (`CodeHighlighter::diff_view`:
//! parse, number, highlight, escape). Nothing may panic, every shown string
//! is terminal-safe, and lines are numbered on the sides they exist on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::codeview::{CodeHighlighter, LineKind};
use plandeck_fuzz::assert_terminal_safe;
use std::sync::LazyLock;

/// Loading the syntaxes takes a while: once per process.
static HIGHLIGHTER: LazyLock<CodeHighlighter> = LazyLock::new(CodeHighlighter::new);

fuzz_target!(|data: &[u8]| {
    let Ok(diff) = std::str::from_utf8(data) else {
        return;
    };
    let view = HIGHLIGHTER.diff_view(diff);
    for file in &view.files {
        for text in [
            &file.old_path,
            &file.new_path,
            &file.old_mode,
            &file.new_mode,
        ]
        .into_iter()
        .flatten()
        {
            assert_terminal_safe("code view header", text, &[]);
        }
        let _ = file.counts();
        for line in &file.lines {
            for (_, text) in &line.spans {
                assert_terminal_safe("code view line", text, &[]);
            }
            // Numbers only where the line exists on that side.
            let (old, new) = match line.kind {
                LineKind::Context => (true, true),
                LineKind::Removed => (true, false),
                LineKind::Added => (false, true),
                _ => (false, false),
            };
            assert_eq!(line.old_no.is_some(), old, "{line:?}");
            assert_eq!(line.new_no.is_some(), new, "{line:?}");
        }
    }
});
