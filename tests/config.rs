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

#[test]
fn a_root_matched_by_two_environments_is_refused_naming_both_and_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), 1_790_000_000).expect("demo");
    let config = dir.path().join("config.toml");
    let run = |text: &str| {
        std::fs::write(&config, text).expect("config");
        Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .arg("--config")
            .arg(&config)
            .arg("--repo")
            .arg(&repo)
            .args(["status", "request/102"])
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .output()
            .expect("runs")
    };
    let out = run("[environments.prod]\nroots = [\"apps/*/prod\"]\n\
                   [environments.critical]\nroots = [\"apps/api/*\"]\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("root \"apps/api/prod\" matches the roots of more than one environment")
            && stderr.contains("(critical and prod)"),
        "{stderr}"
    );
    // Disjoint globs: each root has its one environment.
    let out = run("[environments.prod]\nroots = [\"apps/*/prod\"]\n\
                   [environments.critical]\nroots = [\"apps/api/stage\"]\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("apps/api/prod [prod]"), "{stdout}");
}
