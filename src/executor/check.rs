//! The after-apply check of a root: plan it once more (a plan that is not
//! a no-op means "applied, not converged"), then run its environment's
//! verify command (a health check) with a timeout, and record both as an
//! `apply-checked` decision whose audit entry binds the result. It never
//! applies anything; whether a failed verify stops the run is the
//! caller's, by [`VerifyPolicy`].

use super::record::now;
use super::verify_command::run_verify;
use super::{ExecError, Outcome, Places};
use crate::backend::prelude::*;
use crate::config::{Config, VerifyFailure};
use crate::review::{ApplyCheck, Decision, DecisionKind, VerifyResult};
use crate::source::{Identity, Request};
use crate::tofu::{self, Workspace};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// How many remaining changes the record names (all are counted).
const MAX_REMAINING: usize = 50;

/// The verify command configured for a root's environment.
pub struct VerifyPolicy {
    pub environment: String,
    pub command: String,
    pub timeout: Duration,
    pub on_failure: VerifyFailure,
}

impl VerifyPolicy {
    /// The policy of `root`, if its environment has a verify command.
    pub fn of(config: &Config, root: &str) -> Option<Self> {
        // The root's own environment: by base or DIR@ENV, not by name alone.
        let environment = config.target(root).ok()?.environment?;
        let env = config.environments.get(&environment)?;
        Some(Self {
            command: env.verify.clone()?,
            timeout: env.verify_timeout(),
            on_failure: env.verify_failure,
            environment,
        })
    }

    pub fn blocks(&self) -> bool {
        self.on_failure == VerifyFailure::Block
    }
}

/// What one check is about: the request, the root with its approved
/// digest, and the commit that was applied.
pub struct Subject<'a> {
    pub request: &'a Request,
    pub root: &'a str,
    pub approved: &'a str,
    pub commit: &'a str,
}

/// Checks an applied root in `workspace` (a checkout of `subject.commit`),
/// records the result and says it. `next` is the next plan when the
/// caller already has it. `Some(outcome)` when a failed verify stops the
/// run.
#[allow(clippy::too_many_arguments)]
pub fn after_apply(
    source: &dyn Backend,
    config: &Config,
    subject: &Subject<'_>,
    workspace: &mut Workspace<'_>,
    next: Option<crate::plan::Plan>,
    log: &Path,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Option<Outcome>, ExecError> {
    let root = subject.root;
    let shown = crate::sanitize::escape(root).text.into_owned();
    let (check, policy) = check_applied(config, subject, workspace, next, log, out);
    record_check(source, places, who, subject, &check)?;
    let stops = check.verify_failed() && policy.as_ref().is_some_and(VerifyPolicy::blocks);
    if check.verify_failed() && !stops {
        let _ = writeln!(
            out,
            "{shown}: going on anyway: verify_failure = \"continue\" in its environment"
        );
    }
    Ok(stops.then(|| Outcome::VerifyFailed {
        root: root.to_string(),
        reason: check.verify.as_ref().map(verify_reason).unwrap_or_default(),
    }))
}

/// The check itself, recorded by nobody (the caller records or reports
/// it): the next plan's remaining changes and the verify command's result,
/// with the root's verify policy.
pub fn check_applied(
    config: &Config,
    subject: &Subject<'_>,
    workspace: &mut Workspace<'_>,
    next: Option<crate::plan::Plan>,
    log: &Path,
    out: &mut dyn Write,
) -> (ApplyCheck, Option<VerifyPolicy>) {
    let root = subject.root;
    let shown = crate::sanitize::escape(root).text.into_owned();
    let planned = match next {
        Some(plan) => Ok(plan),
        None => {
            let _ = writeln!(out, "{shown}: planning once more to check the apply");
            let binary = tofu::choose_binary(&config.tofu);
            config
                .target(root)
                .and_then(|target| workspace.plan(&binary, &target).map_err(|e| e.to_string()))
                .and_then(|fresh| {
                    crate::plan::parse_plan_text(std::sync::Arc::new(
                        String::from_utf8_lossy(&fresh.plan_json).into_owned(),
                    ))
                    .map_err(|e| e.to_string())
                })
        }
    };
    let mut check = match planned {
        Ok(plan) => {
            let all = remaining_changes(&plan);
            ApplyCheck {
                converged: all.is_empty(),
                remaining_total: all.len(),
                remaining: all.into_iter().take(MAX_REMAINING).collect(),
                plan_error: None,
                verify: None,
                blocks: false,
            }
        }
        Err(e) => ApplyCheck {
            converged: false,
            remaining: Vec::new(),
            remaining_total: 0,
            plan_error: Some(e),
            verify: None,
            blocks: false,
        },
    };
    let _ = writeln!(out, "{shown}: {}", convergence_words(&check));
    let policy = VerifyPolicy::of(config, root);
    if let Some(policy) = &policy {
        let _ = writeln!(
            out,
            "{shown}: verify: {}",
            crate::sanitize::escape(&policy.command).text
        );
        let dir = workspace.worktree().join(
            config
                .target(root)
                .map_or_else(|_| root.to_string(), |t| t.dir),
        );
        let vars = [
            ("PLANDECK_REQUEST", subject.request.id.as_str()),
            ("PLANDECK_ROOT", root),
            ("PLANDECK_HEAD", subject.request.head.as_str()),
            ("PLANDECK_COMMIT", subject.commit),
            ("PLANDECK_DIGEST", subject.approved),
            ("PLANDECK_ENVIRONMENT", policy.environment.as_str()),
        ];
        let result = run_verify(&policy.command, &dir, &vars, policy.timeout, log, out);
        let _ = writeln!(out, "{shown}: {}", verify_words(&result));
        check.verify = Some(result);
        check.blocks = policy.blocks();
    }
    (check, policy)
}

/// Checks an already applied root again (plan and verify, no apply) at
/// `subject.commit`, under the root's lock (`held`, or taken here).
pub fn again(
    source: &dyn Backend,
    config: &Config,
    subject: &Subject<'_>,
    held: Option<&super::root::Held>,
    places: &Places,
    who: &Identity,
    out: &mut dyn Write,
) -> Result<Option<Outcome>, ExecError> {
    let taken;
    let held = match held {
        Some(held) => held,
        None => match super::root::lock(places, subject.request, subject.root, subject.approved)? {
            Ok(held) => {
                taken = held;
                &taken
            }
            Err(refused) => return Ok(Some(refused)),
        },
    };
    let _ = writeln!(
        out,
        "{}: applied, but its last verify did not pass; checking it again (no apply)",
        crate::sanitize::escape(subject.root).text
    );
    let mut workspace = Workspace::create(source, subject.commit)?;
    let stop = after_apply(
        source,
        config,
        subject,
        &mut workspace,
        None,
        &held.log,
        places,
        who,
        out,
    )?;
    let _ = workspace.remove();
    Ok(stop)
}

/// The changes a plan still has, `ADDRESS (ACTION)`: every resource change
/// but no-ops and reads (a no-op that imports or moves is one), and every
/// output change but no-ops.
pub fn remaining_changes(plan: &crate::plan::Plan) -> Vec<String> {
    use crate::plan::ChangeKind::{NoOp, Read};
    let resources = plan.resource_changes.iter().filter_map(|rc| {
        let pending = match rc.change.kind {
            NoOp => rc.change.importing.is_some() || rc.is_move(),
            Read => false,
            _ => true,
        };
        let word = match rc.change.kind {
            NoOp if rc.change.importing.is_some() => "import",
            NoOp => "move",
            ref kind => kind.word(),
        };
        pending.then(|| format!("{} ({word})", rc.address))
    });
    let outputs = plan
        .output_changes
        .iter()
        .filter(|o| !matches!(o.change.kind, NoOp))
        .map(|o| format!("output.{} ({})", o.name, o.change.kind.word()));
    resources.chain(outputs).collect()
}

fn convergence_words(check: &ApplyCheck) -> String {
    if let Some(e) = &check.plan_error {
        return format!(
            "applied, not converged: the next plan failed: {}",
            crate::sanitize::escape(e).text
        );
    }
    if check.converged {
        return "converged: the next plan is a no-op".into();
    }
    let n = check.remaining_total;
    let more = n.saturating_sub(check.remaining.len());
    let listed = crate::sanitize::escape(&check.remaining.join(", "))
        .text
        .into_owned();
    format!(
        "applied, NOT CONVERGED: {n} change{} remain{} in the next plan: {listed}{}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "s" } else { "" },
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

fn verify_words(result: &VerifyResult) -> String {
    if result.passed {
        "verify passed (exit 0)".into()
    } else {
        format!(
            "applied, verify failed: {}",
            crate::sanitize::escape(&verify_reason(result)).text
        )
    }
}

/// Why a verify failed, in one line (raw).
pub fn verify_reason(result: &VerifyResult) -> String {
    let how = if result.timed_out {
        "timed out and was killed".to_string()
    } else {
        match result.exit_code {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal or not started".to_string(),
        }
    };
    let last = result
        .output_tail
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    if last.is_empty() {
        how
    } else {
        format!("{how}: {last}")
    }
}

/// One line for the decision's comment (`status` shows it).
fn comment_of(check: &ApplyCheck) -> String {
    let converged = if check.converged {
        "converged".to_string()
    } else if check.plan_error.is_some() {
        "not converged (the next plan failed)".to_string()
    } else {
        format!("not converged: {} changes remain", check.remaining_total)
    };
    match &check.verify {
        None => converged,
        Some(v) if v.passed => format!("{converged}; verify passed"),
        Some(v) => format!("{converged}; verify failed: {}", verify_reason(v)),
    }
}

fn record_check(
    source: &dyn Backend,
    places: &Places,
    who: &Identity,
    subject: &Subject<'_>,
    check: &ApplyCheck,
) -> Result<(), ExecError> {
    let decision = Decision {
        kind: DecisionKind::ApplyChecked,
        request: subject.request.id.clone(),
        root: subject.root.to_string(),
        head: subject.request.head.clone(),
        digest: subject.approved.to_string(),
        who: who.clone(),
        at: now(),
        comment: Some(comment_of(check)),
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: Some(check.clone()),
    };
    crate::audit_trail::record_with_source(&places.audit, source, &decision)
        .map_err(|e| ExecError::Io(e.to_string()))?;
    Ok(())
}

/// The latest check of `root` at this head and digest on this executor's
/// own evidence, if any.
pub fn latest<'a>(
    evidence: &super::Evidence,
    decisions: &'a [Decision],
    request: &Request,
    root: &str,
    digest: &str,
) -> Option<&'a ApplyCheck> {
    decisions
        .iter()
        .filter(|d| {
            d.kind == DecisionKind::ApplyChecked
                && d.root == root
                && d.head == request.head
                && d.digest == digest
                && evidence.is_own(d)
        })
        .max_by_key(|d| d.audit.as_ref().map_or(0, |p| p.seq))
        .and_then(|d| d.check.as_ref())
}

/// Whether a root's verify still has to pass before the run goes on: its
/// environment has a blocking verify command and the latest own check did
/// not pass one.
pub fn unverified(
    config: &Config,
    evidence: &super::Evidence,
    decisions: &[Decision],
    request: &Request,
    root: &str,
    digest: &str,
) -> bool {
    VerifyPolicy::of(config, root).is_some_and(|p| p.blocks())
        && !latest(evidence, decisions, request, root, digest)
            .and_then(|c| c.verify.as_ref())
            .is_some_and(|v| v.passed)
}
