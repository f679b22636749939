//! Approving and blocking from the plan view, and the audit view. Typed
//! confirmations: `a` and `x` only open a modal; only confirming it (`y`,
//! or the typed root name for a critical plan) returns the effect that
//! records the decision. `Enter` and `Esc` cancel by default.

use super::super::msg::{Effect, ReqId};
use super::super::plan_view::PlanView;
use super::super::state::{AuditScreen, EmergencyEntry, Loadable, Modal, Screen, State};
use crate::review::{
    Decision, DecisionKind, Emergency, GateInput, approval_refusal, emergency_approval_refusal,
    emergency_refusal,
};
use crate::risk::Risk;
use crate::source::gate::root_environments;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Why no decision can be made here: the backend's reason.
fn no_reviewer(view: &PlanView) -> String {
    match &view.loaded.reviewer {
        Err(why) => format!("no reviewer identity: {why}"),
        Ok(_) => "no reviewer identity".into(),
    }
}

fn decision_template(view: &PlanView, kind: DecisionKind, now: i64) -> Option<Decision> {
    let who = view.loaded.reviewer.clone().ok()?;
    Some(Decision {
        kind,
        request: view.request.id.clone(),
        root: view.root.clone(),
        head: view.request.head.clone(),
        digest: view.loaded.plan.digest.clone(),
        who,
        at: now,
        comment: None,
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    })
}

/// `a`: refuse with the reason, or open the confirmation with the gate report.
pub(super) fn approve(state: &mut State) {
    let now = state.now;
    let Screen::Plan(view) = &mut state.screen else {
        return;
    };
    let Loadable::Loaded(view) = view.as_mut() else {
        return;
    };
    let Some(mut decision) = decision_template(view, DecisionKind::Approve, now) else {
        state.status = Some(no_reviewer(view));
        return;
    };
    let mut viewed: Vec<String> = view.loaded.viewed.iter().cloned().collect();
    let roots = root_environments(&view.request);
    let review = &view.loaded.review;
    // Moving module sources are listed at the top of the plan view and make
    // the plan critical: typing the root name in the confirmation below
    // acknowledges them.
    if let Some(facts) = &review.facts {
        viewed.extend(facts.moving_sources.iter().cloned());
    }
    let input = GateInput {
        request: &view.request,
        root: &view.root,
        policy: &review.policy,
        plan: review.facts.as_ref(),
        decisions: &view.loaded.decisions,
        code_owners: None,
        roots: &roots,
        now,
    };
    // Someone who approved this plan normally may still replace that with
    // an emergency approval: the modal then opens on it.
    let mut emergency = None;
    if let Some(reason) = approval_refusal(&input, &decision.who, &viewed) {
        if emergency_approval_refusal(&input, &decision.who, &viewed, "-").is_some() {
            state.status = Some(format!("refused: {reason}"));
            return;
        }
        state.status = Some(format!(
            "{reason}: only an emergency approval can replace it"
        ));
        emergency = Some(EmergencyEntry::default());
    }
    let destructive = review
        .facts
        .as_ref()
        .map(|f| f.destructive.clone())
        .unwrap_or_default();
    decision.viewed_destructive = destructive
        .into_iter()
        .filter(|a| view.loaded.viewed.contains(a))
        .collect();
    let critical = view.loaded.risks.contains(&Risk::Critical)
        || view.loaded.summary.risk.highest == Some(Risk::Critical);
    state.modal = Some(Modal::Approve {
        decision: Box::new(decision),
        report: Box::new(review.report.clone()),
        typed_confirmation: critical.then(|| view.root.clone()),
        typed: String::new(),
        emergency_refused: emergency_refusal(&review.policy, "reason given in the modal"),
        emergency,
    });
}

/// `x`: a prompt for the reason of a block.
pub(super) fn block(state: &mut State) {
    let now = state.now;
    let Screen::Plan(view) = &mut state.screen else {
        return;
    };
    let Loadable::Loaded(view) = view.as_mut() else {
        return;
    };
    let Some(decision) = decision_template(view, DecisionKind::Block, now) else {
        state.status = Some(no_reviewer(view));
        return;
    };
    state.modal = Some(Modal::Block {
        decision: Box::new(decision),
        report: Box::new(view.loaded.review.report.clone()),
        reason: String::new(),
    });
}

/// `A`: the apply confirmation with every gate check.
pub(super) fn apply(state: &mut State) {
    let Screen::Plan(view) = &state.screen else {
        return;
    };
    let Loadable::Loaded(view) = view.as_ref() else {
        return;
    };
    // The executor's own rule (approvals waived under auto_apply), plus a
    // live lock: the confirmation never offers what the executor refuses.
    let review = &view.loaded.review;
    let mut blockers: Vec<String> = review
        .apply_blockers()
        .iter()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    let apply = view.loaded.apply.as_ref();
    blockers.extend(apply.and_then(crate::tui::ApplyState::blocks_apply));
    let notes = apply
        .and_then(|a| match a {
            crate::tui::ApplyState::Interrupted { pid, .. } => Some(format!(
                "the last apply (pid {pid}) was interrupted: it is recorded as failed when this one starts"
            )),
            crate::tui::ApplyState::Applied { check, .. } => Some(match check {
                crate::tui::AfterApply::VerifyFailed => {
                    "applied at this head, but its verify failed: the executor checks it again (no apply)"
                        .to_string()
                }
                crate::tui::AfterApply::NotConverged => {
                    "applied at this head, not converged (the next plan had changes): the executor skips it"
                        .to_string()
                }
                crate::tui::AfterApply::Clean => {
                    "already applied at this head: the executor skips it".to_string()
                }
            }),
            _ => None,
        })
        .into_iter()
        .collect();
    state.modal = Some(Modal::Apply {
        request: view.request.id.clone(),
        root: view.root.clone(),
        report: Box::new(review.report.clone()),
        blockers,
        notes,
    });
}

/// Keys while a modal is open.
pub(super) fn modal_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = state.modal.as_mut() else {
        return Vec::new();
    };
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
        || key.code == KeyCode::Esc
    {
        state.modal = None;
        state.status = Some("cancelled".into());
        return Vec::new();
    }
    let typing = |text: &mut String| match key.code {
        KeyCode::Char(c) => text.push(c),
        KeyCode::Backspace => {
            text.pop();
        }
        _ => {}
    };
    if let Modal::Drift { root, block, text } = modal {
        match key.code {
            KeyCode::Enter if text.trim().is_empty() => {
                let what = if *block {
                    "a block needs a reason"
                } else {
                    "an acknowledgement needs a note"
                };
                state.status = Some(what.into());
            }
            KeyCode::Enter => {
                let (root, text, block) = (root.clone(), text.trim().to_string(), *block);
                state.modal = None;
                let job = state.jobs.start("recording drift decision");
                return vec![Effect::DriftAction {
                    job,
                    root,
                    text,
                    block,
                }];
            }
            _ => typing(text),
        }
        return Vec::new();
    }
    if let Modal::Apply {
        request,
        root,
        blockers,
        ..
    } = modal
    {
        if key.code != KeyCode::Char('y') {
            state.modal = None;
            state.status = Some("not applied".into());
            return Vec::new();
        }
        if !blockers.is_empty() {
            state.status = Some("the gate fails: the apply cannot start".into());
            return Vec::new();
        }
        let (request, root) = (request.clone(), root.clone());
        state.modal = None;
        let job = state.jobs.start(format!("applying {request} {root}"));
        let log = super::super::state::LogScreen {
            job: Some(job),
            title: format!("apply {request} {root}"),
            ..Default::default()
        };
        let previous = std::mem::replace(&mut state.screen, Screen::Log(Box::new(log)));
        state.back.push(previous);
        return vec![Effect::RunApply { job, request, root }];
    }
    if let Modal::Approve {
        typed,
        emergency_refused,
        emergency,
        ..
    } = modal
    {
        if emergency.is_some() {
            return emergency_key(state, key);
        }
        if key.code == KeyCode::Tab {
            match emergency_refused {
                Some(why) => state.status = Some(format!("no emergency approval: {why}")),
                None => {
                    *emergency = Some(EmergencyEntry::default());
                    typed.clear();
                }
            }
            return Vec::new();
        }
    }
    let confirmed = match modal {
        Modal::Approve {
            typed_confirmation: Some(root),
            typed,
            ..
        } => match key.code {
            KeyCode::Enter if typed == root => true,
            KeyCode::Enter => {
                state.status = Some("the typed name does not match the root: not approved".into());
                state.modal = None;
                return Vec::new();
            }
            _ => {
                typing(typed);
                false
            }
        },
        Modal::Approve {
            typed_confirmation: None,
            ..
        } => match key.code {
            KeyCode::Char('y') => true,
            // n, Enter and anything else: the default is No.
            _ => {
                state.modal = None;
                state.status = Some("not approved".into());
                return Vec::new();
            }
        },
        Modal::Apply { .. } | Modal::Drift { .. } => false,
        Modal::Block { reason, .. } => match key.code {
            KeyCode::Enter if !reason.trim().is_empty() => true,
            KeyCode::Enter => {
                state.status = Some("a block needs a reason".into());
                false
            }
            _ => {
                typing(reason);
                false
            }
        },
    };
    if !confirmed {
        return Vec::new();
    }
    let decision = match state.modal.take() {
        Some(Modal::Approve { decision, .. }) => decision,
        Some(Modal::Apply { .. } | Modal::Drift { .. }) => return Vec::new(),
        Some(Modal::Block {
            mut decision,
            reason,
            ..
        }) => {
            decision.comment = Some(reason.trim().to_string());
            decision
        }
        None => return Vec::new(),
    };
    let job = state.jobs.start("recording decision");
    vec![Effect::RecordDecision { job, decision }]
}

/// Keys of an emergency approval: its reason (`<Enter>` when not blank),
/// then the root's name typed to confirm; a wrong name cancels. Only that
/// returns the effect, with the emergency set on the decision.
fn emergency_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Approve {
        decision,
        typed,
        emergency: Some(entry),
        ..
    }) = state.modal.as_mut()
    else {
        return Vec::new();
    };
    match (entry.confirming, key.code) {
        (false, KeyCode::Enter) if entry.reason.trim().is_empty() => {
            state.status = Some("an emergency approval needs a reason".into());
        }
        (false, KeyCode::Enter) => entry.confirming = true,
        (false, KeyCode::Backspace) => {
            entry.reason.pop();
        }
        (false, KeyCode::Char(c)) => entry.reason.push(c),
        (true, KeyCode::Enter) if *typed == decision.root => {
            let reason = entry.reason.trim().to_string();
            let Some(Modal::Approve { mut decision, .. }) = state.modal.take() else {
                return Vec::new();
            };
            decision.emergency = Some(Emergency { reason });
            let job = state.jobs.start("recording emergency approval");
            return vec![Effect::RecordDecision { job, decision }];
        }
        (true, KeyCode::Enter) => {
            state.modal = None;
            state.status =
                Some("the typed name does not match the root: no emergency approval".into());
        }
        (true, KeyCode::Backspace) => {
            typed.pop();
        }
        (true, KeyCode::Char(c)) => typed.push(c),
        _ => {}
    }
    Vec::new()
}

/// Opens the audit log view.
pub(super) fn open_audit(state: &mut State, req: ReqId) -> Vec<Effect> {
    let previous = std::mem::replace(
        &mut state.screen,
        Screen::Audit(Box::new(AuditScreen {
            records: Loadable::Loading,
            cursor: 0,
            verified: None,
        })),
    );
    state.back.push(previous);
    vec![Effect::LoadAudit { req }]
}

/// Opens the Drift view.
pub(super) fn open_drift(state: &mut State, req: ReqId) -> Vec<Effect> {
    let drift = super::super::state::DriftScreen {
        entries: Loadable::Loading,
        selected: 0,
    };
    let previous = std::mem::replace(&mut state.screen, Screen::Drift(Box::new(drift)));
    state.back.push(previous);
    vec![Effect::LoadDrift { req }]
}

/// `b` / `a` in the Drift view: the prompt for a reason or a note.
pub(super) fn drift_prompt(state: &mut State, block: bool) {
    let Screen::Drift(drift) = &state.screen else {
        return;
    };
    let Loadable::Loaded(entries) = &drift.entries else {
        return;
    };
    let Some(entry) = entries.get(drift.selected) else {
        return;
    };
    if entry.report.status != crate::drift::DriftStatus::Drift {
        state.status = Some(format!(
            "{} has no drift to act on",
            crate::sanitize::escape(&entry.report.root).text
        ));
        return;
    }
    state.modal = Some(Modal::Drift {
        root: entry.report.root.clone(),
        block,
        text: String::new(),
    });
}
