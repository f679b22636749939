//! Running the binary for a drift check: `init`, then `plan -refresh-only
//! -detailed-exitcode -out=FILE` (where exit code 2 is an answer, not a
//! failure), then `show -json FILE`. Standard input is closed; output is
//! captured, never printed. This module never stores anything.

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

/// The plan file's name, inside the (temporary) root directory.
const PLAN_FILE: &str = ".plandeck-drift.tfplan";
/// The longest error excerpt kept, in characters.
const MAX_ERROR_CHARS: usize = 600;

/// A finished refresh-only plan: exit code 0 or 2 and `show -json`.
pub struct Done {
    pub code: i32,
    pub plan_json: Vec<u8>,
}

/// A step that failed, as one line.
pub struct Failed {
    pub code: Option<i32>,
    pub message: String,
}

/// Runs the three steps in `root_dir` (a directory of a temporary worktree).
pub fn refresh_only(
    binary: &Path,
    root_dir: &Path,
    target: &crate::config::RootTarget,
) -> Result<Done, Failed> {
    let root_dir = std::path::absolute(root_dir).unwrap_or_else(|_| root_dir.to_path_buf());
    let mut chdir = OsString::from("-chdir=");
    chdir.push(&root_dir);
    let plan_file = root_dir.join(PLAN_FILE);
    let mut out = OsString::from("-out=");
    out.push(&plan_file);

    let backend = crate::tofu::init_args(target);
    let mut init_args: Vec<&std::ffi::OsStr> = vec![
        &chdir,
        "init".as_ref(),
        "-input=false".as_ref(),
        "-no-color".as_ref(),
    ];
    init_args.extend(backend.iter().map(OsString::as_os_str));
    let init = step(binary, "init", &init_args)?;
    expect_success("init", &init)?;
    crate::tofu::select_workspace(binary, &root_dir, target).map_err(|e| Failed {
        code: None,
        message: e.to_string(),
    })?;
    let vars = crate::tofu::plan_args(target);
    let mut plan_args: Vec<&std::ffi::OsStr> = vec![
        &chdir,
        "plan".as_ref(),
        "-refresh-only".as_ref(),
        "-detailed-exitcode".as_ref(),
        "-input=false".as_ref(),
        "-no-color".as_ref(),
        &out,
    ];
    plan_args.extend(vars.iter().map(OsString::as_os_str));
    let plan = step(binary, "plan", &plan_args)?;
    let code = match plan.status.code() {
        Some(code @ (0 | 2)) => code,
        _ => return Err(failure("plan", &plan)),
    };
    let show = step(
        binary,
        "show",
        &[
            &chdir,
            "show".as_ref(),
            "-json".as_ref(),
            "-no-color".as_ref(),
            plan_file.as_os_str(),
        ],
    )?;
    expect_success("show", &show)?;
    Ok(Done {
        code,
        plan_json: show.stdout,
    })
}

fn step(
    binary: &Path,
    word: &str,
    args: &[&std::ffi::OsStr],
) -> Result<std::process::Output, Failed> {
    let mut command = crate::tofu::guard::command(binary);
    command
        .args(args)
        .env("TF_INPUT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::tofu::guard::spawn(command)
        .and_then(crate::tofu::guard::Guarded::wait_with_output)
        .map_err(|e| Failed {
            code: None,
            message: format!("cannot run {} {word}: {e}", binary.display()),
        })
}

fn expect_success(word: &str, output: &std::process::Output) -> Result<(), Failed> {
    if output.status.success() {
        Ok(())
    } else {
        Err(failure(word, output))
    }
}

fn failure(word: &str, output: &std::process::Output) -> Failed {
    // Terraform prints some errors on stdout; prefer stderr when it has any.
    let stream = if output.stderr.iter().any(|b| !b.is_ascii_whitespace()) {
        &output.stderr
    } else {
        &output.stdout
    };
    let code = output.status.code();
    let exit = code.map_or_else(|| "killed by a signal".into(), |c| format!("exit code {c}"));
    Failed {
        code,
        message: format!(
            "{word} failed ({exit}): {}",
            excerpt(&String::from_utf8_lossy(stream))
        ),
    }
}

/// From the first `Error:` line on (else the last lines), on one line.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || matches!(c, '│' | '╷' | '╵')))
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("Error:"))
        .unwrap_or(lines.len().saturating_sub(6));
    let joined = lines[first..].join(" | ");
    if joined.is_empty() {
        return "no error output".into();
    }
    match joined.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_start_at_the_first_error() {
        assert_eq!(excerpt("a\n│ Error: bad\n│ more\n"), "Error: bad | more");
        assert_eq!(excerpt(""), "no error output");
    }

    #[test]
    fn a_missing_binary_is_a_failure_not_a_panic() {
        let dir = std::env::temp_dir();
        let err = refresh_only(
            Path::new("/nonexistent/plandeck-tf"),
            &dir,
            &Default::default(),
        )
        .err();
        assert!(err.is_some_and(|f| f.message.contains("cannot run")));
    }
}
