//! Running `apply` of a checked plan file with its output streamed to the
//! operator and kept in a log file.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

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
    let mut command = crate::tofu::guard::command(binary);
    command
        .arg(format!("-chdir={}", root_dir.display()))
        .args(["apply", "-input=false", "-no-color", "-auto-approve"])
        .arg(plan_file)
        .env("TF_INPUT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let guarded = crate::tofu::guard::spawn(command)?;
    crate::failpoint::reach("apply-started");
    let mut child = guarded.child;
    let _lifeline = guarded.lifeline;
    let _registration = guarded.registration;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A stand-in for terraform: a shell script running `body`. Written by
    /// a child process, so no thread of this test binary holds it open for
    /// writing when another forks (that makes exec fail with ETXTBSY).
    fn fake(dir: &Path, body: &str) -> std::path::PathBuf {
        let path = dir.join("fake-terraform");
        let status = Command::new("sh")
            .arg("-c")
            .arg("printf '#!/bin/sh\\n%s\\n' \"$1\" > \"$2\" && chmod 755 \"$2\"")
            .args(["sh", body])
            .arg(&path)
            .status()
            .expect("sh");
        assert!(status.success());
        path
    }

    /// An operator's output that has gone away.
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_output_still_logs_every_line_and_waits_for_the_end() {
        let dir = tempfile::tempdir().expect("tmp");
        let binary = fake(
            dir.path(),
            "for i in 1 2 3; do echo line $i; done; echo oops >&2",
        );
        let log = dir.path().join("apply.log");
        let finished =
            apply(&binary, dir.path(), Path::new("plan"), &log, &mut Closed).expect("runs");
        assert!(finished.success && !finished.state_locked);
        let text = std::fs::read_to_string(&log).expect("log");
        assert_eq!(text, "line 1\nline 2\nline 3\noops\n");
    }

    #[test]
    fn a_state_lock_error_in_the_apply_is_recognised() {
        let dir = tempfile::tempdir().expect("tmp");
        let binary = fake(
            dir.path(),
            "echo 'Error: Error acquiring the state lock' >&2; exit 1",
        );
        let mut out = Vec::new();
        let finished = apply(
            &binary,
            dir.path(),
            Path::new("plan"),
            &dir.path().join("log"),
            &mut out,
        )
        .expect("runs");
        assert!(!finished.success && finished.state_locked);
        assert_eq!(finished.code, Some(1));
        assert!(
            String::from_utf8_lossy(&out).contains("  ! Error: Error acquiring the state lock")
        );
    }
}
