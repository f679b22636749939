//! Running an environment's verify command (a health check): `sh -c` in
//! the root's directory with the request's `PLANDECK_*` variables, both
//! streams to the apply's log and (escaped) to the operator, killed with its
//! whole process group after its timeout. Only the end of its output is
//! kept for the record.

use crate::review::VerifyResult;
use crate::tofu;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How much of the verify command's output the record keeps.
pub const MAX_TAIL_BYTES: usize = 2048;
/// How long the output of an ended verify command is still read: a
/// background process holding its pipes open is not waited for.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Runs `sh -c COMMAND` in `dir` with `vars`, both streams to `log` and
/// (escaped) to `out`, killed with its whole process group after
/// `timeout`. Never an error: a command that cannot start fails.
pub(super) fn run_verify(
    command: &str,
    dir: &Path,
    vars: &[(&str, &str)],
    timeout: Duration,
    log: &Path,
    out: &mut dyn Write,
) -> VerifyResult {
    let mut output = Output {
        log: std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .ok(),
        out: Some(out),
        tail: String::new(),
    };
    output.line("#", &format!("verify: {command}"));
    let failed = |tail: String, timed_out| VerifyResult {
        command: command.to_string(),
        exit_code: None,
        passed: false,
        timed_out,
        output_tail: tail,
    };
    let mut sh = tofu::guard::command(Path::new("sh"));
    sh.arg("-c")
        .arg(command)
        .current_dir(dir)
        .envs(vars.iter().copied())
        // The forge token is plandeck's, not the health check's.
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout kills everything it started.
    std::os::unix::process::CommandExt::process_group(&mut sh, 0);
    let guarded = match tofu::guard::spawn(sh) {
        Ok(guarded) => guarded,
        Err(e) => {
            output.line("!", &format!("cannot run the verify command: {e}"));
            return failed(output.tail, false);
        }
    };
    let mut child = guarded.child;
    let _lifeline = guarded.lifeline;
    let _registration = guarded.registration;
    let (tx, rx) = mpsc::channel::<(&'static str, String)>();
    let readers = [
        child.stdout.take().map(|s| read_lines(s, "|", tx.clone())),
        child.stderr.take().map(|s| read_lines(s, "!", tx.clone())),
    ];
    drop(tx);
    let deadline = Instant::now() + timeout;
    let mut exited: Option<(std::process::ExitStatus, Instant)> = None;
    let mut readers_done = false;
    let mut timed_out = false;
    loop {
        if readers_done {
            std::thread::sleep(POLL_INTERVAL);
        } else {
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok((prefix, line)) => {
                    output.line(prefix, &line);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => readers_done = true,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if exited.is_none() {
            exited = child.try_wait().ok().flatten().map(|s| (s, Instant::now()));
        }
        match exited {
            Some(_) if readers_done => break,
            // Ended, but something it started still holds the pipes.
            Some((_, at)) if at.elapsed() >= DRAIN_AFTER_EXIT => {
                kill_group(child.id());
                break;
            }
            Some(_) => {}
            None if Instant::now() >= deadline => {
                kill_group(child.id());
                let _ = child.wait();
                timed_out = true;
                output.line(
                    "!",
                    &format!("verify: timed out after {}s; killed", timeout.as_secs_f64()),
                );
                break;
            }
            None => {}
        }
    }
    // What was written before the end (the group is gone or done).
    let drain_until = Instant::now() + DRAIN_AFTER_EXIT;
    while let Ok((prefix, line)) =
        rx.recv_timeout(drain_until.saturating_duration_since(Instant::now()))
    {
        output.line(prefix, &line);
    }
    drop(rx);
    for reader in readers.into_iter().flatten() {
        if reader.is_finished() {
            let _ = reader.join();
        }
    }
    if let Some(log) = output.log.as_mut() {
        let _ = log.sync_all();
    }
    if timed_out {
        return failed(output.tail, true);
    }
    let code = exited.and_then(|(s, _)| s.code());
    VerifyResult {
        command: command.to_string(),
        exit_code: code,
        passed: code == Some(0),
        timed_out: false,
        output_tail: output.tail,
    }
}

/// Sends each line of `from` (invalid UTF-8 replaced) until its end.
fn read_lines(
    from: impl std::io::Read + Send + 'static,
    prefix: &'static str,
    tx: mpsc::Sender<(&'static str, String)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut buf = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let line = String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .to_string();
            buf.clear();
            if tx.send((prefix, line)).is_err() {
                break;
            }
        }
    })
}

fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Where the verify command's lines go: the log (raw), the operator
/// (escaped, best effort) and the tail kept for the record.
struct Output<'a> {
    log: Option<std::fs::File>,
    out: Option<&'a mut dyn Write>,
    tail: String,
}

impl Output<'_> {
    fn line(&mut self, prefix: &str, line: &str) {
        if let Some(log) = self.log.as_mut() {
            let _ = writeln!(log, "{line}");
        }
        let shown = self
            .out
            .as_mut()
            .map(|o| writeln!(o, "  {prefix} {}", crate::sanitize::escape(line).text));
        if matches!(shown, Some(Err(_))) {
            self.out = None;
        }
        if prefix != "#" {
            push_tail(&mut self.tail, line);
        }
    }
}

/// Appends `line` to `tail`, keeping only its last [`MAX_TAIL_BYTES`]
/// (cut at a character boundary).
fn push_tail(tail: &mut String, line: &str) {
    tail.push_str(line);
    tail.push('\n');
    if tail.len() > MAX_TAIL_BYTES {
        let mut cut = tail.len() - MAX_TAIL_BYTES;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::check::verify_reason;

    #[test]
    fn the_tail_keeps_the_last_bytes_at_a_character_boundary() {
        let mut tail = String::new();
        for i in 0..1000 {
            push_tail(&mut tail, &format!("línea {i}"));
        }
        assert!(tail.len() <= MAX_TAIL_BYTES, "{}", tail.len());
        assert!(tail.ends_with("línea 999\n"), "{tail}");
        assert!(tail.len() > MAX_TAIL_BYTES - 20);
    }

    #[test]
    fn a_timeout_kills_the_whole_group_and_fails() {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("log");
        let mut out = Vec::new();
        let started = Instant::now();
        let result = run_verify(
            "echo waiting; sleep 30 & wait",
            dir.path(),
            &[],
            Duration::from_secs(1),
            &log,
            &mut out,
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(result.timed_out && !result.passed, "{result:?}");
        assert_eq!(result.exit_code, None);
        assert!(result.output_tail.contains("waiting"), "{result:?}");
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("timed out after 1s"), "{text}");
    }

    #[test]
    fn the_exit_status_output_and_environment_are_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("log");
        let mut out = Vec::new();
        let result = run_verify(
            "printf 'ok %s\\n' \"$PLANDECK_ROOT\"; pwd > where; echo 'bad \u{1b}[2J' >&2; exit 3",
            dir.path(),
            &[("PLANDECK_ROOT", "apps/web")],
            Duration::from_secs(30),
            &log,
            &mut out,
        );
        assert_eq!(result.exit_code, Some(3));
        assert!(!result.passed && !result.timed_out);
        assert!(result.output_tail.contains("ok apps/web"), "{result:?}");
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("  ! bad "), "{text}");
        assert!(!text.contains('\u{1b}'), "escaped: {text:?}");
        let logged = std::fs::read_to_string(&log).expect("log");
        assert!(logged.contains("ok apps/web"), "{logged}");
        let cwd = std::fs::read_to_string(dir.path().join("where")).expect("cwd");
        assert_eq!(
            Path::new(cwd.trim()).canonicalize().expect("cwd"),
            dir.path().canonicalize().expect("dir")
        );
        // The two streams are read apart: either line may come last.
        let reason = verify_reason(&result);
        assert!(
            reason == "exit 3: bad \u{1b}[2J" || reason == "exit 3: ok apps/web",
            "{reason:?}"
        );
    }

    #[test]
    fn the_reason_is_the_exit_and_the_last_line_of_output() {
        let result = VerifyResult {
            command: "check".into(),
            exit_code: Some(3),
            passed: false,
            timed_out: false,
            output_tail: "ok\nbad \u{1b}[2J\n\n".into(),
        };
        assert_eq!(verify_reason(&result), "exit 3: bad \u{1b}[2J");
        let killed = VerifyResult {
            exit_code: None,
            timed_out: true,
            output_tail: String::new(),
            ..result
        };
        assert_eq!(verify_reason(&killed), "timed out and was killed");
    }
}
