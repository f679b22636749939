//! Running `apply` of a checked plan file with its output streamed to the
//! operator and kept in a log file.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// How an apply ended.
pub struct Finished {
    pub success: bool,
    pub code: Option<i32>,
    /// The state was locked by another run.
    pub state_locked: bool,
}

/// `BINARY -chdir=ROOT apply -input=false -no-color PLANFILE`, streaming
/// every line (both streams, sanitised) to `out` and to `log`.
pub fn apply(
    binary: &Path,
    root_dir: &Path,
    plan_file: &Path,
    log: &Path,
    out: &mut dyn Write,
) -> std::io::Result<Finished> {
    let mut log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let mut child = Command::new(binary)
        .arg(format!("-chdir={}", root_dir.display()))
        .args(["apply", "-input=false", "-no-color", "-auto-approve"])
        .arg(plan_file)
        .env("TF_INPUT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take();
    let stderr_lines = std::thread::spawn(move || {
        stderr
            .map(|s| {
                BufReader::new(s)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    // The operator's output is best effort (stdout may be closed); the log
    // file gets every line and the apply runs to its end either way.
    let mut out = Some(out);
    let mut show = |prefix: &str, line: &str| {
        let shown = out
            .as_mut()
            .map(|o| writeln!(o, "  {prefix} {}", crate::sanitize::escape(line).text));
        if matches!(shown, Some(Err(_))) {
            out = None;
        }
    };
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            writeln!(log_file, "{line}")?;
            show("|", &line);
        }
    }
    let errors = stderr_lines.join().unwrap_or_default();
    for line in &errors {
        writeln!(log_file, "{line}")?;
        show("!", line);
    }
    log_file.sync_all()?;
    let status = child.wait()?;
    Ok(Finished {
        success: status.success(),
        code: status.code(),
        state_locked: errors
            .iter()
            .any(|l| l.contains("Error acquiring the state lock")),
    })
}
