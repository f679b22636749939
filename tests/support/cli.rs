//! The built binary run as a user runs it, for the CLI tests: `home` is both
//! `HOME` and `XDG_CONFIG_HOME`, so no user config leaks in; fixture files
//! written beside it; and the checks on `summary --format json` they share.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn plandeck(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env_remove("NO_COLOR")
        .output()
        .expect("runs")
}

/// Writes `dir/name` and returns its path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

/// The summary's `counts` has exactly the documented keys, no more.
pub fn assert_documented_counts(json: &serde_json::Value) {
    let mut keys: Vec<&str> = json["counts"]
        .as_object()
        .expect("counts")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "create", "update", "delete", "replace", "read", "no_op", "forget", "move", "import",
    ];
    expected.sort_unstable();
    keys.sort_unstable();
    assert_eq!(keys, expected);
}
