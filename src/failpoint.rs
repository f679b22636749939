//! Named points between writes where the crash tests stop plandeck with a
//! real `kill -9`. In debug builds only: when `PLANDECK_PAUSE_AT` names the
//! point reached, the process creates the file `PLANDECK_PAUSE_FILE` and
//! waits there forever, so a test can kill it exactly between two writes.
//! Release builds compile this to nothing.

/// Pauses here for a crash test, when asked to (debug builds only).
#[inline]
pub fn reach(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("PLANDECK_PAUSE_AT").is_some_and(|p| p == point) {
        if let Some(file) = std::env::var_os("PLANDECK_PAUSE_FILE") {
            let _ = std::fs::write(file, point);
        }
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}
