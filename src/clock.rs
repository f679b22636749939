//! The one wall clock: unix seconds, for everything that stamps or judges
//! time. Pure code never calls it; it takes `now` as an argument (the TUI's
//! `State::now`, set by its ticks), so tests pin time. Depends on nothing.

/// Unix seconds now; 0 before the epoch, `i64::MAX` past the year 292
/// billion (never a wrapped, negative time).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
