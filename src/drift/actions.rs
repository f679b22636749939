//! What an operator does about a drift: block every open request that
//! touches the drifted root (a `Block` decision per request, bound to its
//! head and current plan digest, recorded with the source and audited as
//! `drift-block`), or acknowledge the drift with a note (kept in the report
//! and audited as `drift-ack`). Callers decide; this module records. It
//! never renders.

use super::{DriftAck, DriftError, DriftReport, store};
use crate::audit::{AuditAction, AuditEntry, AuditLog};
use crate::backend::prelude::*;
use crate::review::{Decision, DecisionKind};
use crate::source::Request;

/// A request blocked because of a drifted root.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BlockOutcome {
    pub request: String,
    pub head: String,
    /// The request's plan digest for the root; empty when it has no plan.
    pub digest: String,
}

/// Blocks every open request touching `root`, with the comment `drift: REASON`.
pub fn block_requests(
    source: &dyn Backend,
    log: &AuditLog,
    root: &str,
    reason: &str,
) -> Result<Vec<BlockOutcome>, DriftError> {
    let report = store::get(source, root)?;
    let who = source.reviewer()?;
    let touching: Vec<Request> = source
        .list_requests()?
        .into_iter()
        .filter(|r| r.roots.iter().any(|rr| rr.path == root))
        .collect();
    let mut blocked = Vec::new();
    for request in touching {
        let digest = crate::source::gate::plan_facts(source, &request, root)?
            .map(|f| f.digest)
            .unwrap_or_default();
        let decision = Decision {
            kind: DecisionKind::Block,
            request: request.id.clone(),
            root: root.to_string(),
            head: request.head.clone(),
            digest: digest.clone(),
            who: who.clone(),
            at: crate::audit::unix_now(),
            comment: Some(format!("drift: {reason}")),
            viewed_destructive: Vec::new(),
            emergency: None,
            audit: None,
            attested: None,
            check: None,
        };
        let mut entry = decision.audit_entry();
        entry.action = AuditAction::DriftBlock;
        entry.details = report.as_ref().map(details);
        crate::audit_trail::record_as(log, source, &decision, entry)
            .map_err(|e| DriftError::Record(e.to_string()))?;
        blocked.push(BlockOutcome {
            request: request.id,
            head: request.head,
            digest,
        });
    }
    Ok(blocked)
}

/// Records an acknowledgement of the root's current drift report.
pub fn acknowledge(
    source: &dyn Backend,
    log: &AuditLog,
    root: &str,
    note: &str,
) -> Result<DriftReport, DriftError> {
    let mut report =
        store::get(source, root)?.ok_or_else(|| DriftError::NoReport(root.to_string()))?;
    let ack = DriftAck {
        who: source.reviewer()?,
        at: crate::audit::unix_now(),
        note: note.to_string(),
        digest: report.digest.clone().unwrap_or_default(),
    };
    // Audited first: an acknowledgement that is not on record did not happen.
    let mut entry = AuditEntry::new(ack.who.clone(), AuditAction::DriftAck, "");
    entry.at = ack.at;
    entry.root = Some(root.to_string());
    entry.head = Some(report.base_commit.clone());
    entry.digest = report.digest.clone();
    entry.comment = Some(note.to_string());
    entry.details = Some(details(&report));
    log.append(entry)?;
    report.acks.push(ack);
    let plan = match report.plan_json.as_deref() {
        Some(path) => Some(
            std::fs::read(path).map_err(|e| DriftError::Io(format!("{}: {e}", path.display())))?,
        ),
        None => None,
    };
    store::save(source, &report, plan.as_deref())
}

/// The drifted addresses and the check's time, for the audit entry.
fn details(report: &DriftReport) -> serde_json::Value {
    serde_json::json!({
        "checked_at": report.checked_at,
        "status": report.status.word(),
        "drifted": report.drifted.iter().map(|d| &d.address).collect::<Vec<_>>(),
    })
}
