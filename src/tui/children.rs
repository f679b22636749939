//! The child processes the TUI starts (`plandeck plan`, `plandeck apply`):
//! their output streams in as events, and they are tracked so that quitting
//! stops them the way Ctrl-C in a shell would (SIGINT to their process
//! group: Terraform finishes its step, releases the state lock and exits,
//! and plandeck removes its worktree) instead of orphaning them.

use super::msg::BackendEvent;
use super::runner::PlanCommand;
use crate::source::Request;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc::Sender;

/// How long quitting waits for interrupted children before killing them.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Process ids (each the leader of its own process group) of running children.
#[derive(Debug, Default)]
pub struct Children {
    pids: Mutex<Vec<u32>>,
}

/// Removes its child from the set when the child has ended (or its task ended).
struct Tracked<'a> {
    children: &'a Children,
    pid: u32,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        if let Ok(mut pids) = self.children.pids.lock() {
            pids.retain(|p| *p != self.pid);
        }
    }
}

impl Children {
    fn track(&self, pid: Option<u32>) -> Option<Tracked<'_>> {
        let pid = pid?;
        self.pids.lock().ok()?.push(pid);
        Some(Tracked {
            children: self,
            pid,
        })
    }

    pub fn running(&self) -> usize {
        self.pids.lock().map_or(0, |p| p.len())
    }

    /// Sends SIGINT to every child's process group, then waits until they
    /// have ended or `timeout` passed. Returns how many still run (they are
    /// killed when their task is dropped).
    pub async fn stop(&self, timeout: Duration) -> usize {
        let pids: Vec<u32> = self.pids.lock().map(|p| p.clone()).unwrap_or_default();
        for pid in pids {
            interrupt_group(pid);
        }
        let deadline = Instant::now() + timeout;
        while self.running() > 0 && Instant::now() < deadline {
            tokio::time::sleep(STOP_POLL_INTERVAL).await;
        }
        self.running()
    }
}

#[cfg(unix)]
fn interrupt_group(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::INT);
}

#[cfg(not(unix))]
fn interrupt_group(_pid: u32) {}

/// Runs `plandeck ARGS` (with the repo and config of this session) in its
/// own process group and streams both output streams as events; the last
/// stderr line explains a failure.
pub async fn run_child(
    command: &PlanCommand,
    args: &[String],
    children: &Children,
    tx: &Sender<BackendEvent>,
    event: impl Fn(String) -> BackendEvent + Clone + Send + 'static,
) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(&command.program);
    cmd.arg("--repo").arg(&command.repo);
    if let Some(config) = &command.config {
        cmd.arg("--config").arg(config);
    }
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start plandeck: {e}"))?;
    let _tracked = children.track(child.id());
    let stderr = child.stderr.take();
    let err_tx = tx.clone();
    let err_event = event.clone();
    let errors = tokio::spawn(async move {
        let mut last = String::new();
        if let Some(stderr) = stderr {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                last.clone_from(&line);
                let _ = err_tx.send(err_event(line)).await;
            }
        }
        last
    });
    let mut last = String::new();
    if let Some(stdout) = child.stdout.take() {
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            last.clone_from(&line);
            let _ = tx.send(event(line)).await;
        }
    }
    let last_error = errors.await.unwrap_or_default();
    let status = child.wait().await.map_err(|e| e.to_string())?;
    if status.success() {
        Ok(last)
    } else {
        Err(if last_error.is_empty() {
            format!("exit status {status}")
        } else {
            last_error
        })
    }
}

/// Runs `plandeck plan REQUEST`, its output lines streaming in as progress.
pub async fn run_plan(
    job: super::jobs::JobId,
    command: &PlanCommand,
    request: &Request,
    children: &Children,
    tx: &Sender<BackendEvent>,
) -> Result<String, String> {
    let args = ["plan".to_string(), request.id.clone()];
    let last = run_child(command, &args, children, tx, move |text| {
        BackendEvent::JobProgress { job, text }
    })
    .await?;
    Ok(if last.is_empty() {
        format!("planned {}", request.id)
    } else {
        last
    })
}
