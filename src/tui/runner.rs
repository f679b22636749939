//! Carries out effects on tokio tasks and reports back through a channel.
//! Blocking work (git, plan files, highlighting) runs on the blocking pool;
//! plans and applies run in-process through the executor (`work`), their
//! output streaming in line by line.

use super::loads::{ListStores, load_plan, load_requests, with_apply_state};
use super::msg::{BackendEvent, Effect};
use super::plan_view::Settings;
use super::progress;
use super::summary_cache::SummaryCache;
use super::work::{LineSink, RunningJobs, apply_root, plan_request};
use crate::backend::BackendError;
use crate::backend::prelude::*;
use crate::codeview::CodeHighlighter;
use crate::review::Decision;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::Sender;

pub struct Runner {
    pub source: Arc<dyn Backend>,
    pub settings: Arc<Settings>,
    pub highlighter: Arc<CodeHighlighter>,
    pub data_dir: Option<PathBuf>,
    pub drift: Option<Arc<dyn crate::drift::DriftOps>>,
    /// The local executor's apply locks.
    pub locks: Option<PathBuf>,
    /// Summaries of stored plans, kept between list loads.
    pub summaries: Arc<SummaryCache>,
    /// The plans and applies running for this session.
    pub jobs: Arc<RunningJobs>,
    pub tx: Sender<BackendEvent>,
}

impl Runner {
    pub fn run(&self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::Quit => {}
            Effect::LoadRequests { req, now } => {
                let (source, settings, data_dir) = (
                    Arc::clone(&self.source),
                    Arc::clone(&self.settings),
                    self.data_dir.clone(),
                );
                let (drift, locks, summaries) = (
                    self.drift.clone(),
                    self.locks.clone(),
                    Arc::clone(&self.summaries),
                );
                let panic = super::test_panic("task");
                self.blocking(
                    move || {
                        assert!(
                            !panic,
                            "PLANDECK_TEST_PANIC=task: a panic in a background task"
                        );
                        BackendEvent::RequestsLoaded {
                            req,
                            result: load_requests(
                                source.as_ref(),
                                ListStores {
                                    drift: drift.as_deref(),
                                    locks: locks.as_deref(),
                                    summaries: &summaries,
                                },
                                &settings,
                                data_dir,
                                now,
                            ),
                        }
                    },
                    move |error| BackendEvent::RequestsLoaded {
                        req,
                        result: Err(BackendError::Internal(error)),
                    },
                );
            }
            Effect::LoadPlan {
                req,
                now,
                request,
                root,
            } => {
                let (source, settings, data_dir, locks) = (
                    Arc::clone(&self.source),
                    Arc::clone(&self.settings),
                    self.data_dir.clone(),
                    self.locks.clone(),
                );
                self.blocking(
                    move || BackendEvent::PlanLoaded {
                        req,
                        result: load_plan(
                            source.as_ref(),
                            &settings,
                            data_dir,
                            &request,
                            &root,
                            now,
                        )
                        .map(|plan| with_apply_state(plan, locks.as_deref(), &request, &root)),
                    },
                    move |error| BackendEvent::PlanLoaded {
                        req,
                        result: Err(BackendError::Internal(error)),
                    },
                );
            }
            Effect::LoadCode { req, request } => {
                let (source, highlighter) =
                    (Arc::clone(&self.source), Arc::clone(&self.highlighter));
                self.blocking(
                    move || BackendEvent::CodeLoaded {
                        req,
                        result: source
                            .code_diff(&request)
                            .map(|diff| highlighter.diff_view(&diff)),
                    },
                    move |error| BackendEvent::CodeLoaded {
                        req,
                        result: Err(BackendError::Internal(error)),
                    },
                );
            }
            Effect::SaveProgress { key, viewed } => {
                let dir = self.data_dir.clone();
                self.blocking(
                    move || save(dir, |d| progress::save_viewed(d, &key, &viewed)),
                    save_failed,
                );
            }
            Effect::SaveSeen { request, head } => {
                let (dir, source) = (self.data_dir.clone(), self.source.describe());
                self.blocking(
                    move || save(dir, |d| progress::save_seen(d, &source, &request, &head)),
                    save_failed,
                );
            }
            Effect::RecordDecision { job, decision } => {
                let (source, dir) = (Arc::clone(&self.source), self.data_dir.clone());
                self.blocking(
                    move || BackendEvent::DecisionRecorded {
                        job,
                        result: record_decision(source.as_ref(), dir.as_deref(), &decision),
                    },
                    move |error| BackendEvent::DecisionRecorded {
                        job,
                        result: Err(error),
                    },
                );
            }
            Effect::LoadAudit { req } => {
                let dir = self.data_dir.clone();
                self.blocking(
                    move || BackendEvent::AuditLoaded {
                        req,
                        result: load_audit(dir.as_deref()),
                    },
                    move |error| BackendEvent::AuditLoaded {
                        req,
                        result: Err(error),
                    },
                );
            }
            Effect::LoadDrift { req } => {
                let (drift, settings) = (self.drift.clone(), Arc::clone(&self.settings));
                self.blocking(
                    move || BackendEvent::DriftLoaded {
                        req,
                        result: load_drift(drift.as_deref(), &settings),
                    },
                    move |error| BackendEvent::DriftLoaded {
                        req,
                        result: Err(error),
                    },
                );
            }
            Effect::DriftAction {
                job,
                root,
                text,
                block,
            } => {
                let (drift, dir) = (self.drift.clone(), self.data_dir.clone());
                self.blocking(
                    move || BackendEvent::DriftActed {
                        job,
                        result: drift_action(drift.as_deref(), dir.as_deref(), &root, &text, block),
                    },
                    move |error| BackendEvent::DriftActed {
                        job,
                        result: Err(error),
                    },
                );
            }
            Effect::RunApply { job, request, root } => {
                let (source, settings, data_dir, jobs) = (
                    Arc::clone(&self.source),
                    Arc::clone(&self.settings),
                    self.data_dir.clone(),
                    Arc::clone(&self.jobs),
                );
                self.blocking(
                    move || {
                        let running = jobs.start(job);
                        let mut out =
                            LineSink::new(tx, move |text| BackendEvent::ApplyLine { job, text });
                        let result = apply_root(
                            &*source,
                            &settings.config,
                            data_dir.as_deref(),
                            &request,
                            &root,
                            &running.scope,
                            &mut out,
                        );
                        BackendEvent::ApplyFinished { job, result }
                    },
                    move |error| BackendEvent::ApplyFinished {
                        job,
                        result: Err(error),
                    },
                );
            }
            Effect::RunPlan { job, request } => {
                let (source, settings, jobs) = (
                    Arc::clone(&self.source),
                    Arc::clone(&self.settings),
                    Arc::clone(&self.jobs),
                );
                self.blocking(
                    move || {
                        let running = jobs.start(job);
                        let progress =
                            LineSink::new(tx, move |text| BackendEvent::JobProgress { job, text });
                        let result = plan_request(
                            &*source,
                            &settings.config,
                            &request,
                            &running.scope,
                            &progress,
                        );
                        BackendEvent::PlanFinished { job, result }
                    },
                    move |error| BackendEvent::PlanFinished {
                        job,
                        result: Err(error),
                    },
                );
            }
            Effect::CancelJob { job } => {
                self.jobs.cancel(job);
            }
        }
    }

    /// Runs `work` on the blocking pool and sends what it returns. Should it
    /// panic, `failed` turns the message into the event the screen waits for,
    /// so a loading pane shows the failure instead of loading forever.
    fn blocking(
        &self,
        work: impl FnOnce() -> BackendEvent + Send + 'static,
        failed: impl FnOnce(String) -> BackendEvent + Send + 'static,
    ) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let event = tokio::task::spawn_blocking(work)
                .await
                .unwrap_or_else(|e| failed(task_failure(e)));
            let _ = tx.send(event).await;
        });
    }
}

fn save_failed(error: String) -> BackendEvent {
    BackendEvent::SaveFailed { error }
}

/// A background task's panic, in one line for the status bar.
fn task_failure(error: tokio::task::JoinError) -> String {
    let cause = match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string()),
        Err(error) => error.to_string(),
    };
    let cause = crate::sanitize::escape(&cause).text.replace('\n', " ");
    format!("a background task failed: {cause}")
}

/// Writes in the data dir; failures are reported in the UI.
fn save(
    dir: Option<PathBuf>,
    write: impl FnOnce(&std::path::Path) -> std::io::Result<()>,
) -> BackendEvent {
    let result = match dir {
        Some(dir) => write(&dir).map_err(|e| e.to_string()),
        None => Err("no data directory on this platform".to_string()),
    };
    match result {
        Ok(()) => BackendEvent::Saved,
        Err(error) => BackendEvent::SaveFailed { error },
    }
}

/// The audit log in the data directory.
fn audit_log(data_dir: Option<&std::path::Path>) -> Result<crate::audit::AuditLog, String> {
    let dir = data_dir.ok_or("no data directory on this platform")?;
    Ok(crate::audit::AuditLog::open(dir.join("audit.log")))
}

/// Stores a decision with the source and in the audit log; a log that
/// cannot take the entry refuses the decision before it is stored.
pub(super) fn record_decision(
    source: &dyn Backend,
    data_dir: Option<&std::path::Path>,
    decision: &Decision,
) -> Result<String, String> {
    crate::audit_trail::record_with_source(&audit_log(data_dir)?, source, decision)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{} recorded for {} {}",
        decision.kind.word(),
        decision.request,
        decision.root
    ))
}

/// The drift reports with their drifted resources rendered as diffs.
pub(super) fn load_drift(
    drift: Option<&dyn crate::drift::DriftOps>,
    settings: &Settings,
) -> Result<Vec<super::msg::DriftEntry>, String> {
    let drift = drift.ok_or("this source keeps no drift reports")?;
    let options = crate::render::RenderOptions::default();
    let ctx = crate::render::RenderContext {
        risk: &settings.risk,
        cost: None,
        cost_thresholds: &settings.thresholds,
        options: &options,
    };
    Ok(drift
        .drift_reports()?
        .into_iter()
        .map(|(report, plan)| {
            let lines = plan.map_or_else(Vec::new, |plan| {
                let mut lines: Vec<crate::render::Line> = plan
                    .resource_drift
                    .iter()
                    .flat_map(|rc| {
                        crate::render::resource_lines(rc, crate::render::ResourceView::Drift, &ctx)
                    })
                    .collect();
                lines.extend(crate::render::outputs_lines(&plan, &ctx));
                lines
            });
            super::msg::DriftEntry { report, lines }
        })
        .collect())
}

pub(super) fn drift_action(
    drift: Option<&dyn crate::drift::DriftOps>,
    data_dir: Option<&std::path::Path>,
    root: &str,
    text: &str,
    block: bool,
) -> Result<String, String> {
    let drift = drift.ok_or("this source keeps no drift reports")?;
    let log = audit_log(data_dir)?;
    if block {
        let n = drift.block_for_drift(&log, root, text)?;
        Ok(format!("blocked {n} request(s) touching {root}"))
    } else {
        drift.acknowledge_drift(&log, root, text)?;
        Ok(format!("drift of {root} acknowledged"))
    }
}

pub(super) fn load_audit(
    data_dir: Option<&std::path::Path>,
) -> Result<Vec<crate::audit::AuditRecord>, String> {
    audit_log(data_dir)?.records().map_err(|e| e.to_string())
}
