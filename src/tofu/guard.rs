//! Terraform must not outlive plandeck. Every `tofu`/`terraform` run goes
//! through a guard: plandeck's own binary in a hidden mode
//! (`plandeck __guard -- BINARY ARGS…`), a small process between plandeck
//! and Terraform. Its standard input is a pipe whose other end only
//! plandeck holds; when plandeck dies (even by `kill -9`) the pipe closes,
//! and the guard stops Terraform the way Ctrl-C would (SIGINT: it ends its
//! step, writes its state, releases the state lock), then kills it if it
//! has not ended within [`GRACE`]. The guard also relays Terraform's output,
//! so Terraform never writes into a pipe whose reader died (SIGPIPE would
//! kill it mid-apply). Where plandeck's binary cannot be found (a test
//! harness linking the library), Terraform runs unguarded.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand.
pub const SUBCOMMAND: &str = "__guard";
/// How long Terraform may take to stop after SIGINT before it is killed.
pub const GRACE: Duration = Duration::from_secs(120);

/// A command running `binary` under the guard (or bare, without one).
/// Spawn it with [`spawn`], which keeps the guard's lifeline.
pub fn command(binary: &Path) -> Command {
    match guard_exe() {
        Some(exe) => {
            let mut command = Command::new(exe);
            command.arg(SUBCOMMAND).arg("--").arg(binary);
            command
        }
        None => Command::new(binary),
    }
}

/// A running guarded process and the write end of its lifeline: keep it
/// until the process has ended (dropping it asks the guard to stop). Under
/// a [`CancelScope`] the scope holds the lifeline instead, and
/// `registration` takes it out of the scope when dropped.
pub struct Guarded {
    pub child: Child,
    pub lifeline: Option<ChildStdin>,
    pub registration: Option<Registration>,
}

/// The guarded processes one job started: cancelling the scope closes
/// their lifelines, so each guard stops its Terraform as it would if
/// plandeck died (SIGINT, then SIGKILL after [`GRACE`]), and processes
/// started after the cancel are stopped at once. A scope is current on
/// the thread that [`CancelScope::enter`]s it: the executor runs Terraform
/// on its caller's thread, so every run of one job lands in its scope.
#[derive(Debug, Default)]
pub struct CancelScope {
    state: std::sync::Mutex<ScopeState>,
}

#[derive(Debug, Default)]
struct ScopeState {
    cancelled: bool,
    next: u64,
    lifelines: std::collections::HashMap<u64, ChildStdin>,
}

/// A lifeline held by a scope; dropping it forgets the lifeline (closing
/// it: the process has ended by then).
pub struct Registration {
    scope: std::sync::Arc<CancelScope>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut state) = self.scope.state.lock() {
            state.lifelines.remove(&self.id);
        }
    }
}

thread_local! {
    static CURRENT_SCOPE: std::cell::RefCell<Option<std::sync::Arc<CancelScope>>> =
        const { std::cell::RefCell::new(None) };
}

/// Whether the scope current on this thread, if any, was cancelled: work
/// that runs no process of its own (following a remote run) looks here.
pub fn current_cancelled() -> bool {
    CURRENT_SCOPE.with(|c| c.borrow().as_ref().is_some_and(|s| s.is_cancelled()))
}

impl CancelScope {
    /// Runs `work` with this scope current on this thread.
    pub fn enter<T>(self: &std::sync::Arc<Self>, work: impl FnOnce() -> T) -> T {
        let previous = CURRENT_SCOPE.with(|c| c.replace(Some(std::sync::Arc::clone(self))));
        let result = work();
        CURRENT_SCOPE.with(|c| *c.borrow_mut() = previous);
        result
    }

    /// Stops every guarded process of the scope, now and from now on.
    pub fn cancel(&self) {
        let lifelines = match self.state.lock() {
            Ok(mut state) => {
                state.cancelled = true;
                std::mem::take(&mut state.lifelines)
            }
            Err(_) => return,
        };
        drop(lifelines);
    }

    pub fn is_cancelled(&self) -> bool {
        self.state.lock().map_or(true, |s| s.cancelled)
    }

    /// How many guarded processes of the scope are running.
    pub fn running(&self) -> usize {
        self.state.lock().map_or(0, |s| s.lifelines.len())
    }

    /// Takes a lifeline into the current scope, if there is one: `Err`
    /// gives it back when there is none.
    fn adopt(lifeline: ChildStdin) -> Result<Option<Registration>, ChildStdin> {
        let Some(scope) = CURRENT_SCOPE.with(|c| c.borrow().clone()) else {
            return Err(lifeline);
        };
        let Ok(mut state) = scope.state.lock() else {
            return Err(lifeline);
        };
        if state.cancelled {
            // Closed at once: the guard stops the process it just started.
            drop(lifeline);
            return Ok(None);
        }
        state.next += 1;
        let id = state.next;
        state.lifelines.insert(id, lifeline);
        drop(state);
        Ok(Some(Registration { scope, id }))
    }
}

impl Guarded {
    /// Waits for the end, capturing what was piped, then lets go of the lifeline.
    pub fn wait_with_output(mut self) -> std::io::Result<std::process::Output> {
        let output = self.child.wait_with_output();
        drop(self.lifeline.take());
        drop(self.registration.take());
        output
    }
}

/// Spawns `command` (from [`command`]) with its standard input as the
/// lifeline; the program itself reads nothing (`-input=false`).
pub fn spawn(mut command: Command) -> std::io::Result<Guarded> {
    let guarded = guard_exe().is_some();
    command.stdin(if guarded {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn()?;
    let (lifeline, registration) = match child.stdin.take().map(CancelScope::adopt) {
        None => (None, None),
        Some(Err(lifeline)) => (Some(lifeline), None),
        Some(Ok(registration)) => (None, registration),
    };
    Ok(Guarded {
        child,
        lifeline,
        registration,
    })
}

/// plandeck's binary, when this process is it (or `PLANDECK_EXE` names it).
fn guard_exe() -> Option<PathBuf> {
    if let Some(exe) = std::env::var_os("PLANDECK_EXE") {
        return Some(PathBuf::from(exe));
    }
    let exe = std::env::current_exe().ok()?;
    let name = exe.file_name()?.to_str()?;
    (name == "plandeck" || name == "plandeck.exe").then_some(exe)
}

/// The guard's body: runs `program args`, relays its output, stops it when
/// the lifeline (standard input) closes; returns its exit code (128 + the
/// signal when a signal ended it).
pub fn run(program: &OsStr, args: &[OsString]) -> i32 {
    // Ctrl-C reaches the whole process group: Terraform handles it, and the
    // guard waits for Terraform's end instead of dying first.
    super::outlive_interrupts();
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            crate::sanitize::warn_line(format_args!(
                "cannot run {}: {e}",
                Path::new(program).display()
            ));
            return 127;
        }
    };
    let relays = [
        child.stdout.take().map(|s| relay(s, std::io::stdout())),
        child.stderr.take().map(|s| relay(s, std::io::stderr())),
    ];
    let pid = child.id();
    let (ended_tx, ended_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        // plandeck is gone: stop Terraform gracefully, then for good.
        signal(pid, rustix::process::Signal::INT);
        let start = Instant::now();
        while start.elapsed() < GRACE {
            if ended_rx.recv_timeout(Duration::from_millis(100)).is_ok() {
                return;
            }
        }
        signal(pid, rustix::process::Signal::KILL);
    });
    let status = child.wait();
    let _ = ended_tx.send(());
    for relay in relays.into_iter().flatten() {
        let _ = relay.join();
    }
    match status {
        Ok(status) => status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }),
        Err(_) => 1,
    }
}

/// Copies `from` to `to` until the end; once `to` fails (plandeck is
/// gone) the rest is read and dropped, so the writer never blocks or dies.
fn relay(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut open = true;
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) if open => open = to.write_all(&buf[..n]).and_then(|()| to.flush()).is_ok(),
                Ok(_) => {}
            }
        }
    })
}

fn signal(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, signal);
    }
}
