//! Plans and applies started from the TUI run in-process, through the
//! executor, on the blocking pool: their output streams in as events, line
//! by line. Each job runs under its own [`CancelScope`], so a job can be
//! cancelled by id, and quitting cancels every running one the way Ctrl-C
//! in a shell would (Terraform gets SIGINT from its guard: it ends its
//! step and releases the state lock; the executor records the result and
//! removes its worktree) and waits for them instead of orphaning them.

use super::jobs::JobId;
use super::msg::BackendEvent;
use crate::backend::Backend;
use crate::config::Config;
use crate::domain::Request;
use crate::executor::planner::{PlanStep, RootPlanned, plan_roots};
use crate::tofu::guard::CancelScope;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;

/// How long quitting waits for cancelled jobs to end.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The plan and apply jobs running in this session, each with its scope.
#[derive(Debug, Default)]
pub struct RunningJobs {
    scopes: Mutex<HashMap<JobId, Arc<CancelScope>>>,
}

/// A job's place in [`RunningJobs`]; dropping it (the job ended, or its
/// task panicked) takes the job out.
pub struct Running<'a> {
    jobs: &'a RunningJobs,
    job: JobId,
    pub scope: Arc<CancelScope>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut scopes) = self.jobs.scopes.lock() {
            scopes.remove(&self.job);
        }
    }
}

impl RunningJobs {
    pub fn start(&self, job: JobId) -> Running<'_> {
        let scope = Arc::new(CancelScope::default());
        if let Ok(mut scopes) = self.scopes.lock() {
            scopes.insert(job, Arc::clone(&scope));
        }
        Running {
            jobs: self,
            job,
            scope,
        }
    }

    pub fn running(&self) -> usize {
        self.scopes.lock().map_or(0, |s| s.len())
    }

    /// Cancels one job; false when it is not running.
    pub fn cancel(&self, job: JobId) -> bool {
        let scope = self.scopes.lock().ok().and_then(|s| s.get(&job).cloned());
        scope.map(|s| s.cancel()).is_some()
    }

    /// Cancels every job, then waits until they have ended or `timeout`
    /// passed. Returns how many still run (their Terraform is killed by
    /// its guard when this process exits).
    pub async fn stop(&self, timeout: Duration) -> usize {
        let scopes: Vec<Arc<CancelScope>> = self
            .scopes
            .lock()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default();
        for scope in scopes {
            scope.cancel();
        }
        let deadline = Instant::now() + timeout;
        while self.running() > 0 && Instant::now() < deadline {
            tokio::time::sleep(STOP_POLL_INTERVAL).await;
        }
        self.running()
    }
}

/// Collects written bytes into lines and sends each as an event.
pub struct LineSink {
    tx: Sender<BackendEvent>,
    event: Box<dyn Fn(String) -> BackendEvent + Send>,
    partial: Vec<u8>,
}

impl LineSink {
    pub fn new(
        tx: Sender<BackendEvent>,
        event: impl Fn(String) -> BackendEvent + Send + 'static,
    ) -> Self {
        Self {
            tx,
            event: Box::new(event),
            partial: Vec::new(),
        }
    }

    /// Sends a line now (from the blocking pool: waits for room).
    pub fn line(&self, text: String) {
        let _ = self.tx.blocking_send((self.event)(text));
    }
}

impl std::io::Write for LineSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]).into_owned();
            self.line(text);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineSink {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            let text = String::from_utf8_lossy(&self.partial).into_owned();
            self.line(text);
        }
    }
}

/// Plans every root of `request`, each root's line streaming as progress.
pub fn plan_request(
    backend: &dyn Backend,
    config: &Config,
    request: &Request,
    scope: &Arc<CancelScope>,
    progress: &LineSink,
) -> Result<String, String> {
    for dir in crate::tofu::prune_stale(backend) {
        progress.line(format!(
            "removed the workspace of an interrupted run: {}",
            dir.display()
        ));
    }
    let roots: Vec<String> = request.roots.iter().map(|r| r.path.clone()).collect();
    let mut failures = Vec::new();
    scope
        .enter(|| {
            plan_roots(
                backend,
                config,
                request,
                &roots,
                &mut |root, step| match step {
                    PlanStep::Started => progress.line(format!("{root}: planning…")),
                    PlanStep::Done(RootPlanned::Stored(stored)) => {
                        progress.line(format!("{root}  {}  planned", stored.digest));
                    }
                    PlanStep::Done(RootPlanned::Failed(why)) => {
                        progress.line(format!("{root}: {why}"));
                        failures.push(format!("{root}: {why}"));
                    }
                },
            )
        })
        .map_err(|e| e.to_string())?;
    if scope.is_cancelled() {
        return Err("planning interrupted".into());
    }
    match failures.len() {
        0 => Ok(format!("planned {}", request.id)),
        _ => Err(format!("planning failed: {}", failures.join("; "))),
    }
}

/// Applies one root of request `id` through the executor, its output
/// streaming into `out`; the outcome in one line.
pub fn apply_root(
    backend: &dyn Backend,
    config: &Config,
    data_dir: Option<&Path>,
    id: &str,
    root: &str,
    scope: &Arc<CancelScope>,
    out: &mut LineSink,
) -> Result<String, String> {
    let data_dir = data_dir.ok_or("no data directory on this platform: nothing is audited")?;
    let request = backend.resolve_request(id).map_err(|e| e.to_string())?;
    let places = crate::executor::places(backend, data_dir).map_err(|e| e.to_string())?;
    let outcome = scope
        .enter(|| {
            crate::executor::apply_request(backend, config, &request, Some(root), &places, out)
        })
        .map_err(|e| e.to_string())?;
    let merged = matches!(config.apply.mode, crate::config::ApplyMode::MergeThenApply);
    outcome.summary(&request.id, merged)
}
