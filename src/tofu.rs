//! Running OpenTofu or Terraform to plan a root: `init`, `plan -out` and
//! `show -json`, in a [`Workspace`] (a temporary detached worktree of the
//! request's head, never the operator's checkout). The environment passes
//! through (`TF_CLI_CONFIG_FILE`, credentials, `TF_DATA_DIR`, …); standard
//! input is closed so the binary can never wait for an answer.
//!
//! Above the backend seam: a [`Workspace`] takes its checkout from the
//! backend's `Workspaces` capability, never from git directly.
//!
//! The API is synchronous and tokio-free: the TUI calls it from a blocking
//! task. This module never applies, never touches the plan store and never
//! prints; output is captured and returned.

pub mod confine;
pub mod guard;
mod workspace;

pub use workspace::{PlanInWorkspaceError, Workspace, prune_stale, prune_stale_and_say};

use crate::config::{RootTarget, TofuConfig};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The binary plan file's name inside the output directory.
pub const PLAN_FILE_NAME: &str = "plan.tfplan";
/// How many trailing lines of standard error an error keeps without `Error:`.
const TAIL_LINES: usize = 6;
/// The longest error excerpt kept, in characters.
const TAIL_CHARS: usize = 600;

/// One step of planning, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Init,
    Plan,
    Show,
}

impl Step {
    pub fn word(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Plan => "plan",
            Self::Show => "show",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// A failed planning step, shown as one line.
#[derive(Debug, thiserror::Error)]
pub enum TofuError {
    #[error("cannot run {binary} {step}: {message}")]
    Spawn {
        binary: String,
        step: Step,
        message: String,
    },
    #[error("{binary} {step} failed ({}): {stderr_tail}", exit_text(*code))]
    Failed {
        binary: String,
        step: Step,
        /// `None` when the process was killed by a signal.
        code: Option<i32>,
        /// The first error (or the last lines) of standard error, joined with ` | `.
        stderr_tail: String,
    },
    /// A path of the root reaches outside the approved tree: refused.
    #[error("refused: {0}")]
    Confined(String),
}

fn exit_text(code: Option<i32>) -> String {
    code.map_or_else(|| "killed by a signal".into(), |c| format!("exit code {c}"))
}

/// What planning a root produced.
#[derive(Clone, Debug)]
pub struct PlanOutput {
    /// The binary plan file (`plan -out`), inside the output directory.
    pub plan_file: PathBuf,
    /// `show -json` of the plan file.
    pub plan_json: Vec<u8>,
    /// Standard output and error of `init` and `plan`, for a log pane.
    pub log: String,
}

/// The binary to run: the configured one, else `tofu` when it is on
/// `PATH`, else `terraform`.
pub fn choose_binary(config: &TofuConfig) -> PathBuf {
    if let Some(binary) = config.binary.as_deref().filter(|b| !b.is_empty()) {
        return PathBuf::from(binary);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| is_executable(&dir.join("tofu"))) {
        PathBuf::from("tofu")
    } else {
        PathBuf::from("terraform")
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The arguments that choose an environment's state in a shared
/// directory: `init -backend-config=F…`, `plan -var-file=F…` and the
/// workspace to select (paths relative to the root directory).
pub fn init_args(target: &RootTarget) -> Vec<OsString> {
    prefixed("-backend-config=", &target.backend_config)
}

/// `-var-file=F` for each of the target's var files.
pub fn plan_args(target: &RootTarget) -> Vec<OsString> {
    prefixed("-var-file=", &target.var_files)
}

fn prefixed(flag: &str, values: &[String]) -> Vec<OsString> {
    values
        .iter()
        .map(|v| {
            let mut arg = OsString::from(flag);
            arg.push(v);
            arg
        })
        .collect()
}

/// After `init`: selects the target's workspace in `root_dir`, creating it
/// when it does not exist yet (`workspace select`, else `workspace new`).
/// The choice is kept in the root's `.terraform`, so `plan`, `show` and
/// `apply` in that directory use it. Nothing to do without a workspace.
pub fn select_workspace(
    binary: &Path,
    root_dir: &Path,
    target: &RootTarget,
) -> Result<String, TofuError> {
    let Some(name) = &target.workspace else {
        return Ok(String::new());
    };
    let mut chdir = OsString::from("-chdir=");
    chdir.push(absolute(root_dir));
    let select = |verb: &str| {
        run(
            binary,
            Step::Init,
            &[&chdir, "workspace".as_ref(), verb.as_ref(), name.as_ref()],
        )
    };
    match select("select") {
        Ok(done) => Ok(done.text()),
        Err(_) => select("new").map(|done| done.text()),
    }
}

/// Plans `target` in `root_dir` with `binary`: `init`, `plan
/// -out=OUT/plan.tfplan`, `show -json`, with the target's state arguments.
/// The plan file is written into `out_dir`, which must exist. When
/// `worktree` is given, any module directory or symlink that leaves it is
/// refused before `plan` (see [`confine`]).
fn plan_confined(
    binary: &Path,
    root_dir: &Path,
    target: &RootTarget,
    out_dir: &Path,
    worktree: Option<&Path>,
) -> Result<PlanOutput, TofuError> {
    let root_dir = absolute(root_dir);
    let plan_file = absolute(out_dir).join(PLAN_FILE_NAME);
    let mut chdir = OsString::from("-chdir=");
    chdir.push(&root_dir);
    let mut out = OsString::from("-out=");
    out.push(&plan_file);

    let mut log = String::new();
    let backend = init_args(target);
    let mut init_argv: Vec<&std::ffi::OsStr> = vec![
        &chdir,
        "init".as_ref(),
        "-input=false".as_ref(),
        "-no-color".as_ref(),
    ];
    init_argv.extend(backend.iter().map(OsString::as_os_str));
    let init = run(binary, Step::Init, &init_argv)?;
    log.push_str(&init.text());
    log.push_str(&select_workspace(binary, &root_dir, target)?);
    if let Some(worktree) = worktree {
        confine::check_modules(worktree, &root_dir).map_err(TofuError::Confined)?;
    }
    let vars = plan_args(target);
    let mut plan_argv: Vec<&std::ffi::OsStr> = vec![
        &chdir,
        "plan".as_ref(),
        "-input=false".as_ref(),
        "-no-color".as_ref(),
        &out,
    ];
    plan_argv.extend(vars.iter().map(OsString::as_os_str));
    let plan = run(binary, Step::Plan, &plan_argv)?;
    log.push_str(&plan.text());
    let show = run(
        binary,
        Step::Show,
        &[
            &chdir,
            "show".as_ref(),
            "-json".as_ref(),
            "-no-color".as_ref(),
            plan_file.as_os_str(),
        ],
    )?;
    Ok(PlanOutput {
        plan_file,
        plan_json: show.stdout,
        log,
    })
}

/// `-chdir` and `-out` must not depend on the binary's working directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Captured {
    fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&self.stderr));
        text
    }
}

fn run(binary: &Path, step: Step, args: &[&std::ffi::OsStr]) -> Result<Captured, TofuError> {
    let name = binary.display().to_string();
    let mut command = guard::command(binary);
    command
        .args(args)
        .env("TF_INPUT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = guard::spawn(command)
        .and_then(guard::Guarded::wait_with_output)
        .map_err(|e| TofuError::Spawn {
            binary: name.clone(),
            step,
            message: e.to_string(),
        })?;
    if output.status.success() {
        return Ok(Captured {
            stdout: output.stdout,
            stderr: output.stderr,
        });
    }
    // Terraform prints some errors on stdout; prefer stderr when it has any.
    let stream = if output.stderr.iter().any(|b| !b.is_ascii_whitespace()) {
        &output.stderr
    } else {
        &output.stdout
    };
    Err(TofuError::Failed {
        binary: name,
        step,
        code: output.status.code(),
        stderr_tail: excerpt(&String::from_utf8_lossy(stream)),
    })
}

/// The error on one line: from the first `Error:` line on (Terraform's
/// first error is the cause), else the last lines; frames and blank lines
/// dropped, at most [`TAIL_CHARS`] characters.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || matches!(c, '│' | '╷' | '╵')))
        .filter(|l| !l.is_empty())
        .collect();
    let picked = match lines.iter().position(|l| l.starts_with("Error:")) {
        Some(first) => &lines[first..],
        None => &lines[lines.len().saturating_sub(TAIL_LINES)..],
    };
    let joined = picked.join(" | ");
    if joined.is_empty() {
        return "no error output".into();
    }
    match joined.char_indices().nth(TAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// Ctrl-C (SIGINT to the process group) stops Terraform gracefully: it ends
/// its step, releases the state lock and exits non-zero. plandeck keeps
/// running until then, so it records the result and removes its worktree
/// instead of dying first and leaving both behind. Only SIGINT: SIGTERM
/// still ends plandeck at once.
pub fn outlive_interrupts() {
    #[cfg(unix)]
    {
        let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_excerpt_is_one_line_from_the_first_error() {
        let text = "a\n\n╷\n│ Error: bad thing\n│ \n│   on main.tf line 3:\n╵\nb\n";
        assert_eq!(excerpt(text), "Error: bad thing | on main.tf line 3: | b");
        let text = "1\n2\n3\n4\n5\n6\n7\n8\n";
        assert_eq!(excerpt(text), "3 | 4 | 5 | 6 | 7 | 8");
        assert_eq!(excerpt(""), "no error output");
        assert_eq!(excerpt(&"é".repeat(5000)).chars().count(), TAIL_CHARS + 1);
    }

    #[test]
    fn configured_binary_wins() {
        let config = TofuConfig {
            binary: Some("/opt/tf".into()),
        };
        assert_eq!(choose_binary(&config), PathBuf::from("/opt/tf"));
    }

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let dir = std::env::temp_dir();
        let target = RootTarget::default();
        let err = plan_confined(
            Path::new("/nonexistent/plandeck-tofu"),
            &dir,
            &target,
            &dir,
            None,
        )
        .expect_err("no such binary");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot run /nonexistent/plandeck-tofu init"),
            "{text}"
        );
    }
}
