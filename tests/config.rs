//! Configuration errors through the built binary: each invalid fixture in
//! tests/fixtures/config/invalid/ must be refused with exit 2 and one line
//! naming the file, the line and the key (the fragment in its `.expect`).

use plandeck::config::load_str;
use std::path::PathBuf;
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

#[test]
fn check_config_says_what_it_read_and_refuses_a_bad_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}");
    };
    std::fs::create_dir(&repo).expect("repo");
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(
        repo.join(".plandeck.toml"),
        "[environments.prod]\nroots = [\"apps/*/prod\"]\nrequired_approvals = 2\n",
    )
    .expect("repo config");
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "-m",
        "policy",
    ]);
    let check = |config: &str| {
        let file = dir.path().join("user.toml");
        std::fs::write(&file, config).expect("user config");
        Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .arg("--config")
            .arg(&file)
            .arg("--repo")
            .arg(&repo)
            .arg("check-config")
            .env("XDG_CONFIG_HOME", dir.path())
            .output()
            .expect("runs")
    };
    let ok = check("[source]\nbase = \"main\"\n");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("config OK: ")
            && stdout.contains("user.toml")
            && stdout.contains(".plandeck.toml (main)"),
        "{stdout}"
    );
    let bad = check("[environments.prod]\nrequired_approvals = \"two\"\n");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("user.toml:2: key `environments.prod.required_approvals`"),
        "{stderr}"
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn load_str_validates_text_as_loading_the_file_does() {
    let example = std::fs::read_to_string("config.example.toml").expect("example");
    let loaded = load_str(&example, PathBuf::from("example.toml")).expect("the example is valid");
    assert_eq!(loaded.config.display.noise_attributes, ["tags_all"]);
    assert_eq!(loaded.path, Some(PathBuf::from("example.toml")));
    let bad =
        std::fs::read_to_string("tests/fixtures/config/invalid/bad_glob.toml").expect("fixture");
    let expected =
        std::fs::read_to_string("tests/fixtures/config/invalid/bad_glob.expect").expect("fixture");
    let error = load_str(&bad, PathBuf::from("bad.toml"))
        .expect_err("an invalid glob is refused")
        .to_string();
    let expected = format!("bad.toml{}", expected.trim_end());
    assert!(
        error.starts_with(&expected),
        "{error:?} should start {expected:?}"
    );
}
