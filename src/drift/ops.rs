//! What the TUI's Drift view needs from a source, behind one trait so the
//! view does not depend on the git source: the stored reports with their
//! refresh-only plans, blocking every request touching a root, and
//! acknowledging a drift. Both actions are audited in `log`.

use super::{DriftReport, acknowledge, block_requests, load_plan, reports};
use crate::audit::AuditLog;
use crate::backend::{Backend, BackendError};
use crate::plan::Plan;

pub trait DriftOps: Send + Sync {
    /// Every root's last drift report, with its refresh-only plan when stored.
    fn drift_reports(&self) -> Result<Vec<(DriftReport, Option<Plan>)>, BackendError>;
    /// Every root's last drift report without its plan (for the root matrix).
    fn drift_summaries(&self) -> Result<Vec<DriftReport>, BackendError>;
    /// Blocks every open request touching `root`; returns how many.
    fn block_for_drift(
        &self,
        log: &AuditLog,
        root: &str,
        reason: &str,
    ) -> Result<usize, BackendError>;
    fn acknowledge_drift(&self, log: &AuditLog, root: &str, note: &str)
    -> Result<(), BackendError>;
}

impl<B: Backend> DriftOps for B {
    fn drift_reports(&self) -> Result<Vec<(DriftReport, Option<Plan>)>, BackendError> {
        let reports = reports(self).map_err(BackendError::from)?;
        Ok(reports
            .into_iter()
            .map(|report| {
                let plan = report
                    .plan_json
                    .as_ref()
                    .and_then(|_| load_plan(&report).ok());
                (report, plan)
            })
            .collect())
    }

    fn drift_summaries(&self) -> Result<Vec<DriftReport>, BackendError> {
        reports(self).map_err(BackendError::from)
    }

    fn block_for_drift(
        &self,
        log: &AuditLog,
        root: &str,
        reason: &str,
    ) -> Result<usize, BackendError> {
        block_requests(self, log, root, reason)
            .map(|b| b.len())
            .map_err(BackendError::from)
    }

    fn acknowledge_drift(
        &self,
        log: &AuditLog,
        root: &str,
        note: &str,
    ) -> Result<(), BackendError> {
        acknowledge(self, log, root, note)
            .map(drop)
            .map_err(BackendError::from)
    }
}
