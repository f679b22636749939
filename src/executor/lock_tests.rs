//! The executor's root lock: a live lock refuses, a stale one is taken
//! over by exactly one of many racing takers.

use super::*;
use std::sync::{Arc, Barrier};

fn info(pid: u32, request: &str) -> LockInfo {
    LockInfo {
        pid,
        started_at: 1,
        request: request.into(),
        root: "apps/web/prod".into(),
        digest: "sha256:00".into(),
        log: PathBuf::from("/tmp/log"),
    }
}

/// The pid of a process that has ended (and been reaped).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let pid = child.id();
    child.wait().expect("wait");
    assert!(!is_alive(pid));
    pid
}

fn write_lock(dir: &Path, info: &LockInfo) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let path = lock_path(dir, &info.root).expect("path");
    std::fs::write(&path, serde_json::to_vec(info).expect("json")).expect("write");
    path
}

#[test]
fn a_live_lock_refuses_and_names_its_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn");
    let path = write_lock(dir.path(), &info(sleeper.id(), "request/live"));
    let result = RootLock::acquire(dir.path(), "apps/web/prod", &info(1, "request/me"));
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    match result {
        Err(LockError::Held(held_path, held)) => {
            assert_eq!(held_path, path);
            assert_eq!(held.request, "request/live");
        }
        other => panic!("expected held, got {other:?}"),
    }
    let still: LockInfo =
        serde_json::from_slice(&std::fs::read(&path).expect("kept")).expect("json");
    assert_eq!(still.request, "request/live", "the live lock is untouched");
}

#[test]
fn a_stale_lock_is_taken_over_by_exactly_one_of_racing_takers() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().expect("tmp");
        write_lock(dir.path(), &info(dead_pid(), "request/old"));
        let takers = 8;
        let barrier = Arc::new(Barrier::new(takers));
        let handles: Vec<_> = (0..takers)
            .map(|i| {
                let dir = dir.path().to_path_buf();
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    RootLock::acquire(
                        &dir,
                        "apps/web/prod",
                        &info(std::process::id(), &format!("r{i}")),
                    )
                })
            })
            .collect();
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        let holders: Vec<&RootLock> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(holders.len(), 1, "{results:?}");
        for refused in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(matches!(refused, LockError::Held(_, _)), "{refused:?}");
        }
    }
}

#[test]
fn stale_locks_are_reported_to_exactly_one_caller() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().expect("tmp");
        let path = write_lock(dir.path(), &info(dead_pid(), "request/old"));
        let barrier = Arc::new(Barrier::new(6));
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let dir = dir.path().to_path_buf();
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    take_over_stale(&dir)
                })
            })
            .collect();
        let reported: Vec<LockInfo> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect();
        assert_eq!(reported.len(), 1, "{reported:?}");
        assert_eq!(reported[0].request, "request/old");
        assert!(!path.exists(), "the stale lock is gone");
    }
}
