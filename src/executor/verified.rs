//! The verify gate of a run: an applied root whose environment has a
//! blocking verify command counts as done only when its latest check on
//! this executor's own evidence passed. Such a root is checked again
//! (never applied again); later roots and the merge wait for it. A note
//! claiming a passed check without that evidence is not counted.

use super::check::{self, Subject, VerifyPolicy};
use super::{Evidence, ExecError, Outcome, Places, Step};
use crate::backend::prelude::*;
use crate::config::Config;
use crate::source::{Identity, Request};
use std::io::Write;

/// For an already applied `step`: when its verify still has to pass,
/// checks it again at `commit`. `Some(outcome)` when that stops the run.
#[allow(clippy::too_many_arguments)]
pub(super) fn recheck_if_unverified(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    step: &Step,
    commit: &str,
    held: Option<&super::root::Held>,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Option<Outcome>, ExecError> {
    let decisions = source.decisions(request)?;
    let evidence = Evidence::read(places)?;
    if !check::unverified(
        config,
        &evidence,
        &decisions,
        request,
        &step.root,
        &step.approved,
    ) {
        return Ok(None);
    }
    let subject = Subject {
        request,
        root: &step.root,
        approved: &step.approved,
        commit,
    };
    check::again(source, config, &subject, held, places, who, out)
}

/// The first root of `steps` applied but not verified (its verify
/// blocking): the run must not go past it. `None` when there is none.
pub(super) fn first_unverified(
    source: &dyn Backend,
    config: &Config,
    request: &Request,
    steps: &[Step],
    places: &Places,
) -> Result<Option<Outcome>, ExecError> {
    let decisions = source.decisions(request)?;
    let evidence = Evidence::read(places)?;
    for step in steps {
        if !evidence.has_applied(&decisions, request, &step.root, &step.approved)
            || !check::unverified(
                config,
                &evidence,
                &decisions,
                request,
                &step.root,
                &step.approved,
            )
        {
            continue;
        }
        let reason = match check::latest(&evidence, &decisions, request, &step.root, &step.approved)
            .and_then(|c| c.verify.as_ref())
        {
            Some(failed) => format!("its last verify failed ({})", check::verify_reason(failed)),
            None => format!(
                "its verify ({}) has not run since the apply",
                VerifyPolicy::of(config, &step.root)
                    .map(|p| p.command)
                    .unwrap_or_default()
            ),
        };
        return Ok(Some(Outcome::VerifyFailed {
            root: step.root.clone(),
            reason,
        }));
    }
    Ok(None)
}
