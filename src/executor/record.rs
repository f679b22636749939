//! Recording what the executor did: decisions in the source (git notes)
//! and entries in the audit log.

use super::{ExecError, Places};
use crate::audit::{AuditAction, AuditEntry};
use crate::backend::prelude::*;
use crate::review::{Decision, DecisionKind};
use crate::source::{Identity, Request};

pub use crate::clock::unix_now as now;

/// Records a decision of the executor in the source and the audit log.
#[allow(clippy::too_many_arguments)]
pub fn record(
    source: &dyn Backend,
    places: &Places,
    who: &Identity,
    request: &Request,
    root: &str,
    digest: &str,
    kind: DecisionKind,
    comment: Option<String>,
) -> Result<(), ExecError> {
    let decision = Decision {
        kind,
        request: request.id.clone(),
        root: root.to_string(),
        head: request.head.clone(),
        digest: digest.to_string(),
        who: who.clone(),
        at: now(),
        comment,
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    };
    // The log's tail is checked (and locked) before the note is stored: a
    // recorded apply result always has its audit entry.
    crate::audit_trail::record_with_source(&places.audit, source, &decision)
        .map_err(|e| ExecError::Io(e.to_string()))?;
    Ok(())
}

/// Appends an entry to the audit log.
#[allow(clippy::too_many_arguments)]
pub fn audit(
    places: &Places,
    who: &Identity,
    action: AuditAction,
    request: &Request,
    root: Option<&str>,
    head: Option<&str>,
    digest: Option<&str>,
    comment: Option<String>,
) -> Result<(), ExecError> {
    let mut entry = AuditEntry::new(who.clone(), action, request.id.clone());
    entry.root = root.map(str::to_string);
    entry.head = head.map(str::to_string);
    entry.digest = digest.map(str::to_string);
    entry.comment = comment;
    append(places, entry)
}

pub fn append(places: &Places, entry: AuditEntry) -> Result<(), ExecError> {
    places
        .audit
        .append(entry)
        .map_err(|e| ExecError::Io(e.to_string()))?;
    Ok(())
}
