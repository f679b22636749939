//! One apply per root at a time: a lock file in the repository's git dir
//! holding who applies what. A lock whose process is gone is stale: it is
//! reported (the apply it belonged to was interrupted) and taken over.
//!
//! Taking over is atomic: a lock file appears whole (written aside, then
//! hard-linked into place, which fails when one exists), and a stale lock
//! is removed only by the process that created its claim file
//! (`NAME.json.takeover-HASH`, `create_new`, HASH of the stale content).
//! While the stale file exists nobody else can change it, so exactly one
//! process removes it, and of those racing to create the new lock exactly
//! one link succeeds.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// What a lock file says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub started_at: i64,
    pub request: String,
    pub root: String,
    pub digest: String,
    pub log: PathBuf,
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct RootLock {
    path: PathBuf,
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live apply holds it: the lock file and what it says.
    Held(PathBuf, Box<LockInfo>),
    Io(String),
}

fn io(path: &Path, e: std::io::Error) -> LockError {
    LockError::Io(format!("{}: {e}", path.display()))
}

/// The lock file of a root in `dir`.
pub fn lock_path(dir: &Path, root: &str) -> Result<PathBuf, LockError> {
    let name = crate::source::store::encode(root).map_err(|e| LockError::Io(e.to_string()))?;
    Ok(dir.join(format!("{name}.json")))
}

impl RootLock {
    /// Takes the lock of a root. A stale lock in the way is taken over
    /// (see [`take_over`]); a live one is [`LockError::Held`].
    pub fn acquire(dir: &Path, root: &str, info: &LockInfo) -> Result<Self, LockError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let path = lock_path(dir, root)?;
        // Unique per process and call, so racing takers never share it.
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let aside = path.with_extension(format!("json.new-{}-{call}", std::process::id()));
        let body = serde_json::to_vec_pretty(info).map_err(|e| LockError::Io(e.to_string()))?;
        std::fs::write(&aside, body).map_err(|e| io(&aside, e))?;
        let taken = (|| {
            // A few rounds: each lost race means someone else progressed.
            for _ in 0..4 {
                match std::fs::hard_link(&aside, &path) {
                    Ok(()) => return Ok(Self { path: path.clone() }),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                        match std::fs::read(&path) {
                            Ok(bytes) => match parse(&bytes) {
                                Some(held) if is_alive(held.pid) => {
                                    return Err(LockError::Held(path.clone(), Box::new(held)));
                                }
                                _ => {
                                    take_over(&path, &bytes)?;
                                }
                            },
                            // Released meanwhile: try again.
                            Err(e) if e.kind() == ErrorKind::NotFound => {}
                            Err(e) => return Err(io(&path, e)),
                        }
                    }
                    Err(e) => return Err(io(&path, e)),
                }
            }
            Err(LockError::Io(format!(
                "{}: could not take the lock (other processes keep taking it)",
                path.display()
            )))
        })();
        let _ = std::fs::remove_file(&aside);
        taken
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes the stale lock at `path` whose content is `stale`, if this
/// process is the one to claim it. `Ok(true)` when it removed it.
fn take_over(path: &Path, stale: &[u8]) -> Result<bool, LockError> {
    let hash = Sha256::digest(stale);
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let claim = path.with_extension(format!("json.takeover-{hex}"));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&claim)
    {
        Ok(_) => {}
        // Another process is taking this stale lock over; a claim that
        // outlived its process for long is left for the operator.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let age = std::fs::metadata(&claim)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok());
            if age.is_some_and(|a| a.as_secs() > 60) {
                return Err(LockError::Io(format!(
                    "{} is stale and its takeover never finished: remove it and {} by hand",
                    path.display(),
                    claim.display()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            return Ok(false);
        }
        Err(e) => return Err(io(&claim, e)),
    }
    // Still the stale content? (It was released and re-taken before our claim.)
    let removed = match std::fs::read(path) {
        Ok(now) if now == stale => {
            std::fs::remove_file(path).map_err(|e| io(path, e))?;
            true
        }
        _ => false,
    };
    let _ = std::fs::remove_file(&claim);
    Ok(removed)
}

/// Claims and removes every stale lock in `dir`: applies that were
/// interrupted (their process is gone). Each is returned to exactly one
/// caller, so it is reported once.
pub fn take_over_stale(dir: &Path) -> Vec<LockInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut taken = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Some(info) = parse(&bytes) else { continue };
        if !is_alive(info.pid) && take_over(&path, &bytes).unwrap_or(false) {
            taken.push(info);
        }
    }
    taken
}

/// The lock of `root` in `dir`, if one is there, and whether its process
/// still runs (an apply in progress) or not (an interrupted apply).
pub fn current_lock(dir: &Path, root: &str) -> Option<(LockInfo, bool)> {
    let path = lock_path(dir, root).ok()?;
    let info = parse(&std::fs::read(path).ok()?)?;
    let alive = is_alive(info.pid);
    Some((info, alive))
}

/// Stale locks in `dir`, without taking them over.
pub fn stale_locks(dir: &Path) -> Vec<LockInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| parse(&std::fs::read(p).ok()?))
        .filter(|info| !is_alive(info.pid))
        .collect()
}

fn parse(bytes: &[u8]) -> Option<LockInfo> {
    serde_json::from_slice(bytes).ok()
}

/// Whether a process is running (Linux: its /proc entry exists and is not a zombie).
fn is_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
