//! The corpus of real plans in tests/fixtures/corpus/plans.

use std::path::{Path, PathBuf};

pub const PLANS: &str = "tests/fixtures/corpus/plans";

/// Every plan of the corpus, sorted by name.
pub fn plan_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(PLANS)
        .expect("plans dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A file's name, for messages.
pub fn name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}
