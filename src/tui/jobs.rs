//! Background work the TUI started, each job under its own [`JobId`]: the
//! status bar's spinners, the log panes and the results are keyed by it, so
//! two plans running at once keep separate spinners and separate output,
//! and a result for a job that is no longer running is dropped. Pure state:
//! nothing here starts or stops work (the runner does).

use std::collections::BTreeMap;

/// Identifies one started job; ids are never reused within a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

/// The jobs running now, in the order they started.
#[derive(Debug, Default)]
pub struct Jobs {
    last: u64,
    running: BTreeMap<JobId, String>,
}

impl Jobs {
    /// Starts a job shown as `label` and returns its id.
    pub fn start(&mut self, label: impl Into<String>) -> JobId {
        self.last += 1;
        let id = JobId(self.last);
        self.running.insert(id, label.into());
        id
    }

    /// Ends a job; false when it was not running (a stale or repeated result).
    pub fn finish(&mut self, id: JobId) -> bool {
        self.running.remove(&id).is_some()
    }

    pub fn is_running(&self, id: JobId) -> bool {
        self.running.contains_key(&id)
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// What each running job is doing, oldest first (one spinner each).
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.running.values().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finishing_one_job_leaves_the_others() {
        let mut jobs = Jobs::default();
        let a = jobs.start("planning request/1");
        let b = jobs.start("planning request/2");
        assert_ne!(a, b);
        assert!(jobs.finish(a));
        assert!(!jobs.finish(a), "a second result for the same job is stale");
        assert_eq!(jobs.labels().collect::<Vec<_>>(), ["planning request/2"]);
        assert!(jobs.is_running(b));
    }
}
