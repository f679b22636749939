//! The backend seam holds: the executor, drift checks, tofu and the TUI
//! reach backends only through `plandeck::backend`'s traits. `clippy.toml`
//! makes naming the git backend there a lint error; this test is the same
//! rule for a build without clippy, over the source text itself.

#![allow(clippy::disallowed_types)] // tests the git backend itself

use std::path::{Path, PathBuf};

/// The layers above the seam.
const ABOVE_THE_SEAM: &[&str] = &["executor", "drift", "tofu", "tui"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn files_above_the_seam() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ABOVE_THE_SEAM {
        files.push(src.join(format!("{layer}.rs")));
        rust_files(&src.join(layer), &mut files);
    }
    files
}

/// Places in `text` that name the git backend (comments included: a doc
/// link to it is a dependency too).
fn names_of_the_git_backend(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains("GitSource") || line.contains("source::git"))
        .map(|(i, line)| (i + 1, line.trim().to_string()))
        .collect()
}

#[test]
fn no_layer_above_the_seam_names_the_git_backend() {
    let files = files_above_the_seam();
    assert!(files.len() > 20, "the layers were found: {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (line, code) in names_of_the_git_backend(&text) {
            found.push(format!("{}:{line}: {code}", file.display()));
        }
    }
    assert!(
        found.is_empty(),
        "names the git backend:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_use_of_the_git_backend() {
    let text = "use crate::backend::Backend;\nfn f(s: &crate::source::git::GitSource) {}\n";
    assert_eq!(names_of_the_git_backend(text).len(), 1);
    assert!(names_of_the_git_backend("fn f(s: &dyn Backend) {}").is_empty());
}
