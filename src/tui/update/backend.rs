//! Results of background work (`BackendEvent`s) folded into the state. A
//! result for a request that is no longer the current one (an older `req`)
//! is dropped; loading panes become loaded or failed, never stuck.

use super::{end_load_job, go_back, load_requests, log_screen, reload_plan};
use crate::backend::{BackendError, ErrorKind};
use crate::tui::msg::{BackendEvent, Effect};
use crate::tui::plan_view::PlanView;
use crate::tui::state::{Loadable, Screen, State};

/// A backend's failure as the pane that asked shows it: its words, and
/// what the operator can do about its kind.
pub(super) fn failure_text(error: &BackendError) -> String {
    match error.kind() {
        ErrorKind::RateLimited | ErrorKind::Network => format!("{error} · r retries"),
        ErrorKind::Auth => format!("{error} · plandeck cannot tell who you are"),
        _ => error.to_string(),
    }
}

pub(super) fn backend(state: &mut State, event: BackendEvent) -> Vec<Effect> {
    match event {
        BackendEvent::RequestsLoaded { req, result } => {
            if req != state.list_req {
                return Vec::new();
            }
            end_load_job(state, |s| &mut s.list_job);
            match result {
                Ok(snapshot) => {
                    let len = snapshot.entries.len();
                    state.list.snapshot = Loadable::Loaded(*snapshot);
                    state.list.selected = state.list.selected.min(len.saturating_sub(1));
                }
                Err(e) => state.list.snapshot = Loadable::Failed(failure_text(&e)),
            }
        }
        BackendEvent::PlanLoaded { req, result } => {
            if req != state.plan_req {
                return Vec::new();
            }
            end_load_job(state, |s| &mut s.plan_job);
            let reviewer = state.reviewer();
            let settings = std::sync::Arc::clone(&state.settings);
            if let Screen::Plan(view) = &mut state.screen {
                **view = match result {
                    Ok(loaded) => {
                        let (request, root) =
                            (loaded.stored.request.clone(), loaded.stored.root.clone());
                        let request = state
                            .list
                            .selected_entry()
                            .map(|e| e.request.clone())
                            .filter(|r| r.id == request);
                        match request {
                            Some(request) => {
                                let mut plan_view =
                                    PlanView::new(request, root, *loaded, reviewer.as_deref());
                                plan_view.rebuild(&settings);
                                Loadable::Loaded(plan_view)
                            }
                            None => Loadable::Failed("the request is no longer selected".into()),
                        }
                    }
                    Err(e) => Loadable::Failed(failure_text(&e)),
                };
            }
        }
        BackendEvent::CodeLoaded { req, result } => {
            if req != state.code_req {
                return Vec::new();
            }
            if let Screen::Code(code) = &mut state.screen {
                code.diff = match result {
                    Ok(diff) => Loadable::Loaded(diff),
                    Err(e) => Loadable::Failed(failure_text(&e)),
                };
            }
        }
        BackendEvent::JobProgress { job, text } => {
            if !state.jobs.is_running(job) {
                return Vec::new();
            }
            if let Some(log) = log_screen(state, job) {
                log.push(text.clone());
            }
            state.status = Some(text);
        }
        BackendEvent::PlanFinished { job, result } => {
            if !state.jobs.finish(job) {
                return Vec::new();
            }
            let message = match &result {
                Ok(done) => done.clone(),
                Err(e) => {
                    // The child's own line already says what failed.
                    let e = e.strip_prefix("plandeck: ").unwrap_or(e);
                    if e.contains("planning failed") {
                        e.to_string()
                    } else {
                        format!("planning failed: {e}")
                    }
                }
            };
            let succeeded = result.is_ok();
            if let Some(log) = log_screen(state, job) {
                log.finished = Some(result.map_err(|_| message.clone()));
            }
            // A plan that succeeded closes its pane (if it is on top); a
            // failure stays on screen with Terraform's whole output.
            let on_top = matches!(&state.screen, Screen::Log(log) if log.job == Some(job));
            if succeeded && on_top {
                go_back(state);
            }
            state.status = Some(message);
            // The open plan view shows the new plan, not the outdated one.
            let mut effects = load_requests(state);
            effects.extend(reload_plan(state));
            return effects;
        }
        BackendEvent::Saved => {}
        BackendEvent::DriftLoaded { req, result } => {
            if req != state.code_req {
                return Vec::new();
            }
            if let Screen::Drift(drift) = &mut state.screen {
                drift.entries = match result {
                    Ok(entries) => Loadable::Loaded(entries),
                    Err(e) => Loadable::Failed(failure_text(&e)),
                };
            }
        }
        BackendEvent::DriftActed { job, result } => {
            if !state.jobs.finish(job) {
                return Vec::new();
            }
            state.status = Some(match result {
                Ok(done) => done,
                Err(e) => format!("not recorded: {}", failure_text(&e)),
            });
            let mut effects = load_requests(state);
            if matches!(state.screen, Screen::Drift(_)) {
                let req = state.next_req();
                state.code_req = req;
                effects.push(Effect::LoadDrift { req });
            }
            return effects;
        }
        BackendEvent::ApplyLine { job, text } => {
            if let Some(log) = log_screen(state, job) {
                log.push(text);
            }
        }
        BackendEvent::ApplyFinished { job, result } => {
            if !state.jobs.finish(job) {
                return Vec::new();
            }
            state.status = Some(match &result {
                Ok(done) => done.clone(),
                Err(e) => format!("apply did not complete: {e}"),
            });
            if let Some(log) = log_screen(state, job) {
                log.finished = Some(result);
            }
            return load_requests(state);
        }
        BackendEvent::UrlOpened { result } => {
            if let Err(why) = result {
                let why = crate::sanitize::escape(&why).text.into_owned();
                state.status = Some(format!("cannot open the browser: {why}"));
            }
        }
        BackendEvent::CommentPosted {
            job,
            request,
            result,
        } => {
            if !state.jobs.finish(job) {
                return Vec::new();
            }
            let id = crate::sanitize::escape(&request).text.into_owned();
            state.status = Some(match result {
                Ok(done) => format!(
                    "comment {} on {id} ({} characters), statuses set",
                    if done.created { "created" } else { "updated" },
                    done.chars
                ),
                Err(e) => format!("comment not posted: {}", failure_text(&e)),
            });
        }
        BackendEvent::DecisionRecorded { job, result } => {
            if !state.jobs.finish(job) {
                return Vec::new();
            }
            state.status = Some(match result {
                Ok(done) => done,
                Err(e) => format!("not recorded: {}", failure_text(&e)),
            });
            let mut effects = load_requests(state);
            effects.extend(reload_plan(state));
            return effects;
        }
        BackendEvent::AuditLoaded { req, result } => {
            if req != state.code_req {
                return Vec::new();
            }
            if let Screen::Audit(audit) = &mut state.screen {
                audit.records = match result {
                    Ok(records) => Loadable::Loaded(records),
                    Err(e) => Loadable::Failed(failure_text(&e)),
                };
            }
        }
        BackendEvent::SaveFailed { error } => {
            state.status = Some(format!("could not save: {error}"))
        }
    }
    Vec::new()
}
