//! The append lock: a file created with `create_new` beside the log, so two
//! plandeck processes (or threads) never interleave an append.
//!
//! `std::fs::File::lock` would be simpler, but it needs Rust 1.89 and the
//! crate's `rust-version` is 1.85. A lock whose holder died is stale after
//! [`STALE_AFTER`] and is taken over. This module only locks; it never reads
//! or writes the log.

use super::AuditError;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// An append holds the lock for milliseconds; one this old was left by a
/// process that died.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// Tells apart two locks taken by threads of one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Held while appending; removes the lock file when dropped.
#[derive(Debug)]
pub(super) struct LockGuard {
    path: PathBuf,
    token: String,
}

/// Takes the lock at `path`, waiting up to `wait` for another holder.
pub(super) fn acquire(path: &Path, wait: Duration) -> Result<LockGuard, AuditError> {
    let token = format!(
        "plandeck pid {} lock {}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut file) => {
                // The token lets the holder remove only its own lock.
                if let Err(e) = file.write_all(token.as_bytes()) {
                    let _ = fs::remove_file(path);
                    return Err(AuditError::io(path, "cannot write the lock file", e));
                }
                let path = path.to_path_buf();
                return Ok(LockGuard { path, token });
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if is_stale(path) {
                    // Another waiter may remove it first; either way, retry.
                    let _ = fs::remove_file(path);
                    continue;
                }
                if start.elapsed() >= wait {
                    return Err(AuditError::Locked {
                        lock: path.to_path_buf(),
                        waited: wait.as_secs_f64(),
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(AuditError::io(path, "cannot create the lock file", e)),
        }
    }
}

/// Its holder is gone (a `kill -9` mid-append: the pid in the token no
/// longer exists), or it is older than [`STALE_AFTER`]. A lock dated in the
/// future (clock skew) is not stale: the operator is told to remove it.
fn is_stale(path: &Path) -> bool {
    let holder_gone = fs::read_to_string(path).ok().is_some_and(|token| {
        token
            .strip_prefix("plandeck pid ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|pid| pid.parse::<i32>().ok())
            .and_then(rustix::process::Pid::from_raw)
            .is_some_and(|pid| {
                matches!(
                    rustix::process::test_kill_process(pid),
                    Err(rustix::io::Errno::SRCH)
                )
            })
    });
    holder_gone
        || fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age >= STALE_AFTER)
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // A holder that overran STALE_AFTER may have lost the lock to another
        // process: it must not remove that one's lock.
        if fs::read_to_string(&self.path).is_ok_and(|t| t == self.token) {
            let _ = fs::remove_file(&self.path);
        }
    }
}
