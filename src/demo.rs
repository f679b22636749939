//! `plandeck demo`: a throwaway config repository with sample requests and
//! their plans in the store, so a new user sees everything in one command.
//!
//! Only `git` is needed: the plans are built here in the JSON format
//! `tofu show -json` writes, not by running Terraform.

#![allow(clippy::disallowed_types)] // names the git backend (see clippy.toml)

pub mod github;
mod plans;
mod shop;

use crate::config::Config;
use crate::source::git::GitSource;
use crate::source::{BackendError, PlanOrigin};
use std::path::{Path, PathBuf};
use std::process::Command;

const REVIEWER: (&str, &str) = ("Riley Reviewer", "riley@example.com");
const ALICE: (&str, &str) = ("Alice Ops", "alice@example.com");
const BOB: (&str, &str) = ("Bob Data", "bob@example.com");
const CAROL: (&str, &str) = ("Carol Web", "carol@example.com");
const DAVE: (&str, &str) = ("Dave Queue", "dave@example.com");

/// Builds the demo repository in `dir` (created; must be empty if it exists).
pub fn build(dir: &Path) -> Result<PathBuf, BackendError> {
    build_at(dir, now())
}

/// Builds the demo as if it were `now` (unix seconds): commit times, and so
/// commit ids, depend only on it, which keeps snapshots stable.
pub fn build_at(dir: &Path, now: i64) -> Result<PathBuf, BackendError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
        return Err(BackendError::Invalid(format!(
            "{}: directory is not empty",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let repo = Repo {
        dir: dir.to_path_buf(),
        clock: now - 6 * 86_400,
    };
    repo.git(&["init", "-q", "-b", "main"], None)?;
    repo.git(&["config", "user.name", REVIEWER.0], None)?;
    repo.git(&["config", "user.email", REVIEWER.1], None)?;
    for app in ["web", "api"] {
        for env in ["dev", "stage", "prod"] {
            repo.write(
                &format!("apps/{app}/{env}/main.tf"),
                &plans::main_tf(app, env, 0),
            )?;
        }
    }
    repo.write(
        "README.md",
        "# infra\n\nOne root per app and environment under apps/.\n",
    )?;
    repo.write(".plandeck.toml", shop::REPO_CONFIG)?;
    repo.commit("Initial infrastructure", ALICE, 0)?;

    // A request already merged: not listed.
    repo.branch("request/100")?;
    repo.write("apps/web/dev/main.tf", &plans::main_tf("web", "dev", 1))?;
    repo.commit("web/dev: tag everything", ALICE, 3_600)?;
    repo.git(&["checkout", "-q", "main"], None)?;
    repo.git(
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge request/100",
            "request/100",
        ],
        Some(ALICE),
    )?;

    let mut stored = Vec::new();
    repo.branch("request/101")?;
    repo.write("apps/web/dev/main.tf", &plans::main_tf("web", "dev", 2))?;
    repo.commit("web/dev: add CPU alarms", ALICE, 86_400)?;
    stored.push((
        "request/101",
        "apps/web/dev",
        plans::alarms(),
        Some(plans::alarms_cost()),
    ));

    // The shop's requests, older than request/102: groups, an emergency.
    repo.branch_from_main("request/106")?;
    repo.write(
        &format!("{}/main.tf", shop::ROOT),
        &shop::main_tf(shop::CHECKOUT_TF),
    )?;
    repo.commit(
        "shop/prod: checkout service with a rate limit",
        ALICE,
        86_400 + 36_000,
    )?;
    stored.push(("request/106", shop::ROOT, plans::shop_checkout(), None));
    repo.branch_from_main("request/107")?;
    repo.write(
        &format!("{}/main.tf", shop::ROOT),
        &shop::main_tf(shop::WEBHOOK_TF),
    )?;
    repo.commit(
        "shop/prod: payment webhook with the rotated secret (INC-2041)",
        DAVE,
        86_400 + 39_000,
    )?;
    stored.push(("request/107", shop::ROOT, plans::shop_webhook(), None));

    repo.branch_from_main("request/102")?;
    repo.write("apps/api/stage/main.tf", &plans::main_tf("api", "stage", 3))?;
    repo.write("apps/api/prod/main.tf", &plans::main_tf("api", "prod", 3))?;
    repo.commit(
        "api: upgrade the database to Postgres 16 with encryption",
        BOB,
        2 * 86_400,
    )?;
    stored.push((
        "request/102",
        "apps/api/stage",
        plans::database("stage"),
        None,
    ));
    stored.push((
        "request/102",
        "apps/api/prod",
        plans::database("prod"),
        Some(plans::database_cost()),
    ));

    repo.branch_from_main("request/103")?;
    repo.write("apps/web/prod/main.tf", &plans::main_tf("web", "prod", 4))?;
    repo.commit(
        "web/prod: retire the legacy export bucket, larger instances",
        CAROL,
        3 * 86_400,
    )?;
    stored.push((
        "request/103",
        "apps/web/prod",
        plans::retire_bucket(),
        Some(plans::retire_bucket_cost()),
    ));

    repo.branch_from_main("request/104")?;
    repo.write("apps/web/stage/main.tf", &plans::main_tf("web", "stage", 5))?;
    repo.commit(
        "web/stage: move the CDN into a module, import the DNS record",
        ALICE,
        4 * 86_400,
    )?;
    stored.push(("request/104", "apps/web/stage", plans::refactor(), None));

    repo.branch_from_main("request/105")?;
    repo.write("apps/api/dev/main.tf", &plans::main_tf("api", "dev", 6))?;
    repo.commit("api/dev: add a work queue", DAVE, 5 * 86_400)?;

    // GitFlow for the web team: feature branches go into develop, whose
    // requests are stage's (the repository's `[[source.requests]]`).
    repo.branch_from_main("develop")?;
    repo.branch("feature/108")?;
    repo.write("apps/web/stage/main.tf", &plans::main_tf("web", "stage", 7))?;
    repo.commit(
        "web/stage: a larger instance for the load test",
        CAROL,
        7_200,
    )?;
    stored.push(("feature/108", "apps/web/stage", plans::resize_stage(), None));
    repo.git(&["checkout", "-q", "main"], None)?;

    let source = GitSource::open(&repo.dir, &Config::default())?;
    for (request, root, plan, cost) in stored {
        let head = repo.git(&["rev-parse", request], None)?;
        let cost = cost.map(|c| c.to_string());
        source.store().put(
            request,
            root,
            head.trim(),
            PlanOrigin::Imported,
            plan.to_string().as_bytes(),
            None,
            cost.as_deref().map(str::as_bytes),
        )?;
    }
    shop::record_decisions(&repo, &source)?;
    // A push after planning makes request/104's plan outdated.
    repo.git(&["checkout", "-q", "request/104"], None)?;
    repo.write("apps/web/stage/README.md", "CDN module notes.\n")?;
    repo.commit(
        "web/stage: document the CDN module",
        ALICE,
        5 * 86_400 + 3_600,
    )?;
    repo.git(&["checkout", "-q", "main"], None)?;
    Ok(repo.dir)
}

struct Repo {
    dir: PathBuf,
    /// Commit times start here and move forward.
    clock: i64,
}

impl Repo {
    fn git(&self, args: &[&str], identity: Option<(&str, &str)>) -> Result<String, BackendError> {
        self.git_at(args, identity, self.clock)
    }

    fn git_at(
        &self,
        args: &[&str],
        identity: Option<(&str, &str)>,
        time: i64,
    ) -> Result<String, BackendError> {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("LC_ALL", "C");
        let date = format!("@{time} +0000");
        command
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        if let Some((name, email)) = identity {
            command
                .env("GIT_AUTHOR_NAME", name)
                .env("GIT_AUTHOR_EMAIL", email);
            command
                .env("GIT_COMMITTER_NAME", name)
                .env("GIT_COMMITTER_EMAIL", email);
        }
        let output = command
            .output()
            .map_err(|e| BackendError::Io(format!("cannot run git: {e}")))?;
        if !output.status.success() {
            return Err(BackendError::Process {
                command: format!("git {}", args.join(" ")),
                code: output.status.code(),
                stderr_tail: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn write(&self, path: &str, text: &str) -> Result<(), BackendError> {
        let path = self.dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)
    }

    fn commit(&self, subject: &str, who: (&str, &str), offset: i64) -> Result<(), BackendError> {
        self.git(&["add", "-A"], None)?;
        self.git_at(
            &["commit", "-q", "-m", subject],
            Some(who),
            self.clock + offset,
        )?;
        Ok(())
    }

    fn branch(&self, name: &str) -> Result<(), BackendError> {
        self.git(&["checkout", "-q", "-b", name], None).map(drop)
    }

    fn branch_from_main(&self, name: &str) -> Result<(), BackendError> {
        self.git(&["checkout", "-q", "-b", name, "main"], None)
            .map(drop)
    }
}

fn io(e: std::io::Error) -> BackendError {
    BackendError::Io(e.to_string())
}

use crate::clock::unix_now as now;
