//! One apply per root at a time: a lock file in the repository's git dir
//! holding who applies what. A lock whose process is gone is stale: it is
//! reported (the apply it belonged to was interrupted) and taken over.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a lock file says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub started_at: i64,
    pub request: String,
    pub root: String,
    pub digest: String,
    pub log: PathBuf,
}

/// A held lock; released on drop.
pub struct RootLock {
    path: PathBuf,
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live apply holds it.
    Held(LockInfo),
    Io(String),
}

impl RootLock {
    /// Takes the lock of a root. A stale lock is removed and returned, so
    /// the caller can record the interrupted apply.
    pub fn acquire(
        dir: &Path,
        root: &str,
        info: &LockInfo,
    ) -> Result<(Self, Option<LockInfo>), LockError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| LockError::Io(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!(
            "{}.json",
            crate::source::store::encode(root).map_err(|e| LockError::Io(e.to_string()))?
        ));
        let mut stale = None;
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    serde_json::to_writer_pretty(&file, info)
                        .map_err(|e| LockError::Io(e.to_string()))?;
                    file.sync_all().map_err(|e| LockError::Io(e.to_string()))?;
                    return Ok((Self { path }, stale));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = read(&path);
                    match held {
                        Some(held) if is_alive(held.pid) => return Err(LockError::Held(held)),
                        other => {
                            stale = other;
                            std::fs::remove_file(&path)
                                .map_err(|e| LockError::Io(format!("{}: {e}", path.display())))?;
                        }
                    }
                }
                Err(e) => return Err(LockError::Io(format!("{}: {e}", path.display()))),
            }
        }
        Err(LockError::Io(format!(
            "{}: could not take the lock",
            path.display()
        )))
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Stale locks in `dir`: applies that were interrupted (their process is gone).
pub fn stale_locks(dir: &Path) -> Vec<LockInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| read(&e.ok()?.path()))
        .filter(|info| !is_alive(info.pid))
        .collect()
}

fn read(path: &Path) -> Option<LockInfo> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
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
