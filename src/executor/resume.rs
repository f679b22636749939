//! Resuming a merge-then-apply request whose merge stands but whose roots
//! did not all apply (an apply failed, the state was locked, the run was
//! killed). The merged request is found by its merge commit; the roots not
//! yet applied at its head are applied, in promotion order, from that same
//! merge commit, each under the full gate. Nothing is merged again.

use super::{
    ExecError, Outcome, Places, already_applied, failing_checks, gate_of, prepare,
    record_interrupted, root, verified,
};
use crate::backend::prelude::*;
use crate::domain::MergedRequest;
use std::io::Write;

/// Applies the roots of `merged` not yet applied at its head.
pub fn resume_request(
    source: &dyn Backend,
    config: &crate::config::Config,
    merged: &MergedRequest,
    only_root: Option<&str>,
    places: &Places,
    out: &mut dyn Write,
) -> Result<Outcome, ExecError> {
    let who = source.reviewer()?;
    record_interrupted(source, config, places, &who, out)?;
    let request = &merged.request;
    let commit = &merged.merge;
    if let Some(only) = only_root {
        return Ok(Outcome::Refused {
            root: only.to_string(),
            reasons: vec![format!(
                "mode: {} was merged for apply as {commit}; `plandeck apply {}` without --root \
                 applies the roots it left, in promotion order",
                request.id, request.id
            )],
        });
    }
    let (pinned, _, steps) = prepare(source, config, request)?;
    let _ = writeln!(
        out,
        "{}: merged as {commit}; resuming its apply from it",
        request.id
    );
    let mut applied = Vec::new();
    for (at, step) in steps.iter().enumerate() {
        if already_applied(source, &pinned, step, places, out)? {
            let recheck = verified::recheck_if_unverified(
                source, config, &pinned, step, commit, None, places, &who, out,
            )?;
            if let Some(stop) = recheck {
                let left: Vec<&str> = steps[at + 1..].iter().map(|s| s.root.as_str()).collect();
                let _ = writeln!(
                    out,
                    "{}: merged as {commit}; not applied yet: {}",
                    request.id,
                    if left.is_empty() {
                        "none".to_string()
                    } else {
                        left.join(", ")
                    }
                );
                return Ok(stop);
            }
            continue;
        }
        // The full gate, promotion included: the roots before this one
        // applied (now or in the first run) count.
        let review = gate_of(source, config, &pinned, &step.root)?;
        let mut failing = failing_checks(&review, &[]);
        let stop = if !failing.is_empty() {
            if review.apply_blockers().iter().any(|c| c.name == "blocks") {
                // A merged request is not planned again: the block stays.
                failing.push(format!(
                    "resume: {} is blocked after the merge; it needs a new request",
                    step.root
                ));
            }
            Some(Outcome::Refused {
                root: step.root.clone(),
                reasons: failing,
            })
        } else {
            match root::lock(places, &pinned, &step.root, &step.approved)? {
                Err(refused) => Some(refused),
                Ok(held) => root::apply_root(
                    source,
                    config,
                    &pinned,
                    &step.root,
                    &step.approved,
                    commit,
                    &held,
                    places,
                    &who,
                    out,
                )?,
            }
        };
        if let Some(stop) = stop {
            let from = at + usize::from(matches!(stop, Outcome::VerifyFailed { .. }));
            let left: Vec<&str> = steps[from..].iter().map(|s| s.root.as_str()).collect();
            if !left.is_empty() {
                let _ = writeln!(
                    out,
                    "{}: merged as {commit}, but not applied: {}",
                    request.id,
                    left.join(", ")
                );
            }
            return Ok(stop);
        }
        applied.push(step.root.clone());
    }
    Ok(Outcome::Complete {
        merged: commit.clone(),
        applied,
    })
}
