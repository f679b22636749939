//! Running the `git` binary for the git source: no pager, no prompts, no
//! locale, no optional locks, and none of the variables a git hook sets
//! that would point it at another repository.

use crate::source::BackendError;
use std::path::Path;
use std::process::{Command, Stdio};

/// `git --no-pager -C repo` with a clean environment; arguments follow.
pub(super) fn command(repo: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("--no-pager")
        .arg("-C")
        .arg(repo)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        // Set inside git hooks; they would point git at another repository.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command
}

/// Runs `git -C repo ARGS` without a pager, prompts or locale, and returns
/// its standard output (invalid UTF-8 replaced).
pub(super) fn git(repo: &Path, args: &[&str]) -> Result<String, BackendError> {
    let output = command(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| BackendError::Io(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        let stderr = crate::backend::stderr_tail(&String::from_utf8_lossy(&output.stderr));
        return Err(BackendError::Process {
            command: format!("git {}", subcommand(args)),
            code: output.status.code(),
            stderr_tail: if stderr.is_empty() {
                format!("exit status {}", output.status.code().unwrap_or(-1))
            } else {
                stderr
            },
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The git command in `args`, past global options such as `-c key=value`.
fn subcommand<'a>(args: &[&'a str]) -> &'a str {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "-c" => {
                args.next();
            }
            _ if arg.starts_with('-') => {}
            _ => return arg,
        }
    }
    ""
}
