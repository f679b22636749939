//! `plandeck approve`, `block`, `unblock` and `status`: decisions and the
//! gate report from the command line. Refusals exit 1 with one line.

use super::{Failure, ListFormat};
use crate::backend::prelude::*;
use crate::config::Loaded;
use crate::render::{Line, Role};
use crate::review::{
    Decision, DecisionKind, Emergency, GateInput, approval_refusal, emergency_approval_refusal,
};
use crate::sanitize;
use crate::source::Request;
use crate::source::gate::{plan_facts, review_request, review_root, root_environments};
use crate::source::git::GitSource;
use std::path::Path;

/// Exit code of a refused decision.
const REFUSED: i32 = 1;

use crate::clock::unix_now as now;

/// The configured source and a request, checking that it touches `root`.
pub(super) fn open(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: Option<&str>,
) -> Result<(std::sync::Arc<dyn Backend>, Request), Failure> {
    let source = crate::source::open(repo, &loaded.config)?;
    let request = source.resolve_request(request)?;
    if let Some(root) = root {
        if !request.roots.iter().any(|r| r.path == root) {
            return Err(Failure(request.unknown_root(root)));
        }
    }
    Ok((source, request))
}

fn refuse(message: &str) -> Result<i32, Failure> {
    crate::sanitize::warn_line(format_args!(
        "plandeck: refused: {}",
        sanitize::escape(message).text
    ));
    Ok(REFUSED)
}

/// `--emergency --reason TEXT` as the emergency of an approval; either
/// without the other, or a blank reason, is a usage error.
pub(super) fn emergency_arg(
    emergency: bool,
    reason: Option<String>,
) -> Result<Option<Emergency>, Failure> {
    match (emergency, reason) {
        (false, None) => Ok(None),
        (false, Some(_)) => Err(Failure(
            "--reason goes with --emergency (a normal approval takes --comment)".into(),
        )),
        (true, None) => Err(Failure(
            "--emergency needs --reason TEXT: why the deployment window must be waived".into(),
        )),
        (true, Some(reason)) if reason.trim().is_empty() => Err(Failure(
            "--reason is empty: say why the deployment window must be waived".into(),
        )),
        (true, Some(reason)) => Ok(Some(Emergency {
            reason: reason.trim().to_string(),
        })),
    }
}

pub(super) fn approve(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: &str,
    comment: Option<String>,
    acks: &[String],
    emergency: Option<Emergency>,
) -> Result<i32, Failure> {
    let (source, request) = open(loaded, repo, request, Some(root))?;
    let who = source.reviewer()?;
    let facts = plan_facts(&*source, &request, root)?;
    let decisions = source.decisions(&request)?;
    let review = review_root(
        &loaded.config,
        &request,
        root,
        facts.clone(),
        &decisions,
        None,
        now(),
    );
    let mut viewed: Vec<String> = acks.to_vec();
    if let (Some(facts), Some(dir)) = (&facts, crate::tui::progress::data_dir()) {
        let key = crate::tui::ProgressKey {
            reviewer: who.stable_id(),
            request: request.id.clone(),
            root: root.to_string(),
            digest: facts.digest.clone(),
        };
        viewed.extend(crate::tui::progress::load_viewed(&dir, &key));
    }
    let roots = root_environments(&request);
    let input = GateInput {
        request: &request,
        root,
        policy: &review.policy,
        plan: facts.as_ref(),
        decisions: &decisions,
        code_owners: None,
        roots: &roots,
        now: now(),
    };
    let refusal = match &emergency {
        None => approval_refusal(&input, &who, &viewed),
        Some(e) => emergency_approval_refusal(&input, &who, &viewed, &e.reason),
    };
    if let Some(reason) = refusal {
        return refuse(&reason);
    }
    let Some(facts) = facts else {
        return refuse("no plan");
    };
    let decision = Decision {
        kind: DecisionKind::Approve,
        request: request.id.clone(),
        root: root.to_string(),
        head: request.head.clone(),
        digest: facts.digest.clone(),
        who,
        at: now(),
        comment,
        viewed_destructive: facts
            .destructive
            .iter()
            .filter(|a| viewed.contains(a))
            .cloned()
            .collect(),
        emergency,
        audit: None,
        attested: None,
        check: None,
    };
    if !record(&*source, &decision)? {
        return Ok(REFUSED);
    }
    let after = review_root(
        &loaded.config,
        &request,
        root,
        Some(facts),
        &source.decisions(&request)?,
        None,
        now(),
    );
    let missing: Vec<String> = after
        .report
        .groups
        .iter()
        .filter(|g| g.missing > 0)
        .map(|g| format!("{} from team {}", g.missing, g.team))
        .collect();
    let groups = if missing.is_empty() {
        String::new()
    } else {
        format!("; groups still missing {}", missing.join(" and "))
    };
    let kind = if decision.emergency.is_some() {
        "EMERGENCY-approved"
    } else {
        "approved"
    };
    let said = say!(
        "{kind} {} {} (plan {}): {}/{} approvals{}",
        sanitize::escape(&request.id).text,
        sanitize::escape(root).text,
        sanitize::escape(&decision.digest).text,
        after.report.counted,
        after.report.required,
        sanitize::escape(&groups).text
    );
    recorded_anyway(said, "approval");
    Ok(0)
}

pub(super) fn block(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: &str,
    reason: String,
) -> Result<i32, Failure> {
    if reason.trim().is_empty() {
        return Err(Failure("--reason must say why".into()));
    }
    decide(
        loaded,
        repo,
        request,
        root,
        DecisionKind::Block,
        Some(reason),
    )
}

pub(super) fn unblock(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: &str,
    comment: Option<String>,
) -> Result<i32, Failure> {
    let (source, request_found) = open(loaded, repo, request, Some(root))?;
    let who = source.reviewer()?;
    let decisions = source.decisions(&request_found)?;
    let facts = plan_facts(&*source, &request_found, root)?;
    // Only blocks in force count: one already lifted, or superseded by a
    // new plan, leaves nothing to lift.
    let review = review_root(
        &loaded.config,
        &request_found,
        root,
        facts,
        &decisions,
        None,
        now(),
    );
    let blocks = &review.report.blocks;
    if !blocks
        .iter()
        .any(|b| crate::review::same_person(&b.who, &who))
    {
        return refuse(&match blocks.first() {
            Some(other) => format!(
                "{who} has no block on {root} to lift: only the person who blocked can ({})",
                other.who
            ),
            None => format!("{who} has no block in force on {root}: nothing to lift"),
        });
    }
    decide(loaded, repo, request, root, DecisionKind::Unblock, comment)
}

fn decide(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: &str,
    kind: DecisionKind,
    comment: Option<String>,
) -> Result<i32, Failure> {
    let (source, request) = open(loaded, repo, request, Some(root))?;
    let who = source.reviewer()?;
    let digest = plan_facts(&*source, &request, root)?
        .map(|f| f.digest)
        .unwrap_or_default();
    let decision = Decision {
        kind,
        request: request.id.clone(),
        root: root.to_string(),
        head: request.head.clone(),
        digest,
        who,
        at: now(),
        comment,
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    };
    if !record(&*source, &decision)? {
        return Ok(REFUSED);
    }
    let said = say!(
        "{} {} {}",
        kind.word(),
        sanitize::escape(&request.id).text,
        sanitize::escape(root).text
    );
    recorded_anyway(said, kind.word());
    Ok(0)
}

/// A decision is recorded before it is reported: when stdout is closed,
/// stderr says it stands.
fn recorded_anyway(said: bool, what: &str) {
    if !said {
        crate::sanitize::warn_line(format_args!(
            "plandeck: {what} recorded (standard output is closed)"
        ));
    }
}

/// Stores a decision with the source and in the audit log, durably, before
/// it is reported done. `Ok(false)`: refused (printed) because the audit
/// log cannot take the entry; nothing was stored.
fn record(source: &dyn Backend, decision: &Decision) -> Result<bool, Failure> {
    use crate::audit_trail::{RecordError, default_log, record_with_source};
    let log = default_log()?;
    match record_with_source(&log, source, decision) {
        Ok(_) => Ok(true),
        Err(e @ RecordError::Audit(_)) => {
            refuse(&e.to_string())?;
            Ok(false)
        }
        Err(e) => Err(Failure(e.to_string())),
    }
}

pub(super) fn sync(loaded: &Loaded, repo: &Path, remote: &str) -> Result<i32, Failure> {
    let source = GitSource::open(repo, &loaded.config)?;
    let synced = crate::source::notes::sync(&source, remote)?;
    let remote = sanitize::escape(remote).text.into_owned();
    let what = if synced.fetched {
        "merged with and pushed to"
    } else {
        "pushed to"
    };
    super::write_stdout(|out| writeln!(out, "decisions {what} {remote}"))?;
    Ok(0)
}

pub(super) fn status(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    format: ListFormat,
    color: bool,
) -> Result<i32, Failure> {
    let (source, request) = open(loaded, repo, request, None)?;
    let reviews = review_request(&*source, &loaded.config, &request, now())?;
    let reports: Vec<&crate::review::GateReport> = reviews.iter().map(|r| &r.report).collect();
    match format {
        ListFormat::Json => {
            let json =
                serde_json::to_string_pretty(&reports).map_err(|e| Failure(e.to_string()))?;
            say!("{}", sanitize::json_safe(json));
        }
        ListFormat::Text => {
            let mut lines: Vec<Line> = reports.into_iter().flat_map(report_lines).collect();
            if let Some(forge) = source.forge_reviews(&request)? {
                lines.push(forge_line(&forge));
            }
            super::write_styled(color, |out| {
                crate::render::ansi::write_lines(out, &lines, color)
            })?;
        }
    }
    Ok(0)
}

/// The forge's own review state, said to be beside the gate, not in it.
fn forge_line(forge: &crate::backend::ForgeReviews) -> Line {
    let mut line = Line::new();
    line.push(Role::Muted, crate::backend::FORGE_REVIEWS_LABEL)
        .push_untrusted(Role::Muted, &forge.describe());
    line
}

/// The gate report as text: the verdict, each check, each approval. An
/// emergency approval, and the window it waives, are red and say EMERGENCY
/// in words (for a terminal without colour).
fn report_lines(report: &crate::review::GateReport) -> Vec<Line> {
    use crate::review::ApprovalState;
    let verdict = if report.passed {
        "ready to apply"
    } else {
        "not ready"
    };
    let mut head = Line::new();
    head.push_untrusted(Role::Plain, &report.request)
        .push(Role::Plain, " ")
        .push_untrusted(Role::Plain, &report.root)
        .push(Role::Plain, " [")
        .push_untrusted(Role::Plain, &report.environment)
        .push(Role::Plain, "]");
    if !report.via.is_empty() {
        head.push(
            Role::Plain,
            format!(" {}", super::requests::via_text(&report.via)),
        );
    }
    head.push(
        Role::Plain,
        format!(
            ": {verdict} ({}/{} approvals)",
            report.counted, report.required
        ),
    );
    let mut lines = vec![head];
    for check in &report.checks {
        let waived = check.name == "window" && report.emergency.is_some();
        let (mark, role) = match (check.passed, waived) {
            (_, true) => ("ok  ", Role::High),
            (true, false) => ("ok  ", Role::Plain),
            (false, false) => ("FAIL", Role::Plain),
        };
        let mut line = Line::new();
        line.push(role, format!("  {mark} {:<12} ", check.name))
            .push_untrusted(role, &check.detail);
        lines.push(line);
    }
    for approval in &report.approvals {
        let state = match &approval.state {
            ApprovalState::Counted => "counted".to_string(),
            ApprovalState::Stale(r) => format!("stale: {r}"),
            ApprovalState::NotCounted(r) => format!("not counted: {r}"),
        };
        let mut line = Line::new();
        line.push(Role::Plain, "  approval by ")
            .push_untrusted(Role::Plain, &approval.decision.who.to_string())
            .push(Role::Plain, " (")
            .push_untrusted(Role::Plain, &state)
            .push(Role::Plain, ")");
        if let Some(emergency) = &approval.decision.emergency {
            line.push(Role::High, " EMERGENCY: ")
                .push_untrusted(Role::High, &emergency.reason);
        }
        lines.push(line);
    }
    lines
}
