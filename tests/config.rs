//! Configuration errors through the built binary: each invalid fixture in
//! tests/fixtures/config/invalid/ must be refused with exit 2 and one line
//! naming the file, the line and the key (the fragment in its `.expect`).

use std::process::Command;

#[test]
fn every_invalid_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir("tests/fixtures/config/invalid")
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    for config in entries {
        let expected = std::fs::read_to_string(config.with_extension("expect"))
            .expect("an .expect per fixture");
        let expected = format!("plandeck: {}{}", config.display(), expected.trim_end());
        let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .arg("--config")
            .arg(&config)
            .args([
                "show",
                "tests/fixtures/corpus/plans/tofu-show-json-basic-delete.json",
            ])
            .env("XDG_CONFIG_HOME", dir.path())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", config.display());
        assert_eq!(
            stderr.lines().count(),
            1,
            "{}: one line: {stderr}",
            config.display()
        );
        assert!(
            stderr.starts_with(&expected),
            "{}:\n got {stderr}\nwant {expected}",
            config.display()
        );
        assert!(out.stdout.is_empty());
        checked += 1;
    }
    assert!(checked >= 8, "{checked} invalid fixtures");
}

#[test]
fn the_example_config_is_valid_for_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args([
            "--config",
            "config.example.toml",
            "summary",
            "tests/fixtures/corpus/plans/tofu-show-json-basic-delete.json",
        ])
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
