//! The TUI harness on the demo repository, shared by the `tui_*` tests: the
//! demo built at a fixed moment (commit ids and ages are fixed), a config,
//! the git source and the harness with its data directory.

#![allow(clippy::disallowed_types)] // tests the git backend itself

use plandeck::config::{self, Loaded};
use plandeck::source::git::GitSource;
use plandeck::tui::Settings;
use plandeck::tui::harness::Harness;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The moment the demo is built as if it were.
pub const NOW: i64 = 1_790_000_000;

/// The demo repository under `dir/repo`, its config and an open source;
/// the harness keeps its data under `dir/data`.
pub struct Demo {
    pub repo: PathBuf,
    pub loaded: Loaded,
    pub source: GitSource,
    data: PathBuf,
}

impl Demo {
    /// Builds the demo unless `dir/repo` exists (a restart reuses it);
    /// `config_toml` is written to `dir/config.toml`, `None` means the
    /// defaults.
    pub fn open(dir: &Path, config_toml: Option<&str>) -> Self {
        let repo = dir.join("repo");
        if !repo.exists() {
            plandeck::demo::build_at(&repo, NOW).expect("demo");
        }
        let loaded = match config_toml {
            Some(toml) => {
                let path = dir.join("config.toml");
                std::fs::write(&path, toml).expect("config");
                config::load(Some(&path)).expect("config")
            }
            None => config::load(None).expect("defaults"),
        };
        let source = GitSource::open(&repo, &loaded.config).expect("opens");
        Self {
            repo,
            loaded,
            source,
            data: dir.join("data"),
        }
    }

    /// A second source on the same repository (e.g. the drift operations).
    pub fn reopen(&self) -> GitSource {
        GitSource::open(&self.repo, &self.loaded.config).expect("opens")
    }

    pub fn harness(self, size: (u16, u16)) -> Harness {
        harness(self.source, &self.loaded, size, self.data)
    }
}

/// The harness at [`NOW`] on `source` with `loaded`'s settings.
pub fn harness(source: GitSource, loaded: &Loaded, size: (u16, u16), data: PathBuf) -> Harness {
    let settings = Settings::from_config(loaded).expect("settings");
    Harness::new(Arc::new(source), settings, NOW, size, Some(data))
}

/// The demo in `dir` with `config_toml` (or the defaults), straight into
/// the harness.
pub fn demo_harness(dir: &Path, config_toml: Option<&str>, size: (u16, u16)) -> Harness {
    Demo::open(dir, config_toml).harness(size)
}

/// The line of `screen` naming `root`; panics with the screen without one.
pub fn row(screen: &str, root: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(root))
        .unwrap_or_else(|| panic!("{root} in\n{screen}"))
        .to_string()
}

/// A real repository in `dir/repo` with one request (`request/1`, root
/// `apps/big/prod`) whose stored plan is plandeck's generated plan of `n`
/// changes of every kind (seed 7), and the harness on it.
pub fn generated_plan_harness(dir: &Path, n: usize, size: (u16, u16)) -> Harness {
    use plandeck::source::PlanOrigin;
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join("apps/big/prod")).expect("mkdir");
    let git = |args: &[&str]| super::git_command(&repo).args(args).output().expect("git");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["config", "user.name", "Riley Review"],
        &["config", "user.email", "riley@example.com"],
    ] {
        assert!(git(args).status.success());
    }
    std::fs::write(repo.join("apps/big/prod/main.tf"), "# big\n").expect("write");
    let commit = |message: &str, when: i64| {
        let date = format!("@{when} +0000");
        let out = super::git_command(&repo)
            .args(["commit", "-q", "-am", message])
            .env("GIT_AUTHOR_NAME", "Gen Author")
            .env("GIT_AUTHOR_EMAIL", "gen@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .expect("git commit");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    assert!(git(&["add", "-A"]).status.success());
    commit("base", NOW - 7200);
    assert!(git(&["checkout", "-q", "-b", "request/1"]).status.success());
    std::fs::write(repo.join("apps/big/prod/main.tf"), "# bigger\n").expect("write");
    commit("a generated change", NOW - 3600);
    let head = String::from_utf8(git(&["rev-parse", "HEAD"]).stdout).expect("utf-8");
    let mut plan = Vec::new();
    plandeck::genplan::write_plan(n, 7, &mut plan).expect("generates");
    let loaded = config::load(None).expect("defaults");
    let source = GitSource::open(&repo, &loaded.config).expect("opens");
    source
        .store()
        .put(
            "request/1",
            "apps/big/prod",
            head.trim(),
            PlanOrigin::Imported,
            &plan,
            None,
            None,
        )
        .expect("stores");
    harness(source, &loaded, size, dir.join("data"))
}
