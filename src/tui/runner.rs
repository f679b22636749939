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

/// What effects are carried out with. One executor for the runner (on
/// tokio's blocking pool) and the test harness (inline): both carry every
/// effect out the same way.
#[derive(Clone)]
pub struct Effects {
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
}

impl Effects {
    /// Carries out one effect (blocking) and returns the event it ends
    /// with, if any. The lines of a plan or apply stream through `tx` as
    /// they come.
    pub fn execute(&self, effect: Effect, tx: &Sender<BackendEvent>) -> Option<BackendEvent> {
        let settings = &self.settings;
        let data_dir = self.data_dir.as_deref();
        Some(match effect {
            Effect::Quit => return None,
            // The UI thread writes it: it owns the terminal.
            Effect::CopyToClipboard { .. } => return None,
            Effect::OpenUrl { url } => BackendEvent::UrlOpened {
                result: open_in_browser(&url),
            },
            Effect::CancelJob { job } => {
                self.jobs.cancel(job);
                return None;
            }
            Effect::LoadRequests { req, now } => {
                assert!(
                    !super::test_panic("task"),
                    "PLANDECK_TEST_PANIC=task: a panic in a background task"
                );
                BackendEvent::RequestsLoaded {
                    req,
                    result: load_requests(
                        self.source.as_ref(),
                        ListStores {
                            drift: self.drift.as_deref(),
                            locks: self.locks.as_deref(),
                            summaries: &self.summaries,
                        },
                        settings,
                        self.data_dir.clone(),
                        now,
                    )
                    .map(Box::new),
                }
            }
            Effect::LoadPlan {
                req,
                now,
                request,
                root,
            } => BackendEvent::PlanLoaded {
                req,
                result: load_plan(
                    self.source.as_ref(),
                    settings,
                    self.data_dir.clone(),
                    &request,
                    &root,
                    now,
                )
                .map(|plan| with_apply_state(plan, self.locks.as_deref(), &request, &root)),
            },
            Effect::LoadCode { req, request } => BackendEvent::CodeLoaded {
                req,
                result: self
                    .source
                    .code_diff(&request)
                    .map(|diff| self.highlighter.diff_view(&diff)),
            },
            Effect::SaveProgress { key, viewed } => {
                save(data_dir, |d| progress::save_viewed(d, &key, &viewed))
            }
            Effect::SaveSeen { request, head } => {
                let source = self.source.describe();
                save(data_dir, |d| {
                    progress::save_seen(d, &source, &request, &head)
                })
            }
            Effect::RecordDecision { job, decision } => BackendEvent::DecisionRecorded {
                job,
                result: record_decision(self.source.as_ref(), data_dir, &decision),
            },
            Effect::PostComment { job, request } => BackendEvent::CommentPosted {
                job,
                request: request.id.clone(),
                result: crate::report::publish(
                    self.source.as_ref(),
                    &settings.config,
                    &settings.risk,
                    &request,
                    crate::render::COMMENT_MAX_CHARS,
                    true,
                ),
            },
            Effect::LoadAudit { req } => BackendEvent::AuditLoaded {
                req,
                result: load_audit(data_dir),
            },
            Effect::LoadDrift { req } => BackendEvent::DriftLoaded {
                req,
                result: load_drift(self.drift.as_deref(), settings),
            },
            Effect::DriftAction {
                job,
                root,
                text,
                block,
            } => BackendEvent::DriftActed {
                job,
                result: drift_action(self.drift.as_deref(), data_dir, &root, &text, block),
            },
            Effect::RunApply { job, request, root } => {
                let running = self.jobs.start(job);
                let mut out = LineSink::new(tx.clone(), move |text| BackendEvent::ApplyLine {
                    job,
                    text,
                });
                let result = apply_root(
                    self.source.as_ref(),
                    &settings.config,
                    data_dir,
                    &request,
                    &root,
                    &running.scope,
                    &mut out,
                );
                BackendEvent::ApplyFinished { job, result }
            }
            Effect::RunPlan { job, request } => {
                let running = self.jobs.start(job);
                let progress = LineSink::new(tx.clone(), move |text| BackendEvent::JobProgress {
                    job,
                    text,
                });
                let result = plan_request(
                    self.source.as_ref(),
                    &settings.config,
                    &request,
                    &running.scope,
                    &progress,
                );
                BackendEvent::PlanFinished { job, result }
            }
        })
    }
}

/// The event that ends an effect whose work panicked, so a loading pane
/// shows the failure instead of loading forever (`None`: nothing waits).
fn failure_event(effect: &Effect) -> impl FnOnce(String) -> Option<BackendEvent> + Send + use<> {
    let effect_ids = match effect {
        Effect::LoadRequests { req, .. } => Ids::List(*req),
        Effect::LoadPlan { req, .. } => Ids::Plan(*req),
        Effect::LoadCode { req, .. } => Ids::Code(*req),
        Effect::LoadAudit { req } => Ids::Audit(*req),
        Effect::LoadDrift { req } => Ids::Drift(*req),
        Effect::SaveProgress { .. } | Effect::SaveSeen { .. } => Ids::Save,
        Effect::RecordDecision { job, .. } => Ids::Decision(*job),
        Effect::PostComment { job, request } => Ids::Comment(*job, request.id.clone()),
        Effect::DriftAction { job, .. } => Ids::DriftAction(*job),
        Effect::RunApply { job, .. } => Ids::Apply(*job),
        Effect::RunPlan { job, .. } => Ids::RunPlan(*job),
        Effect::Quit
        | Effect::CancelJob { .. }
        | Effect::OpenUrl { .. }
        | Effect::CopyToClipboard { .. } => Ids::None,
    };
    move |error: String| {
        Some(match effect_ids {
            Ids::List(req) => BackendEvent::RequestsLoaded {
                req,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Plan(req) => BackendEvent::PlanLoaded {
                req,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Code(req) => BackendEvent::CodeLoaded {
                req,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Audit(req) => BackendEvent::AuditLoaded {
                req,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Drift(req) => BackendEvent::DriftLoaded {
                req,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Save => BackendEvent::SaveFailed { error },
            Ids::Comment(job, request) => BackendEvent::CommentPosted {
                job,
                request,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Decision(job) => BackendEvent::DecisionRecorded {
                job,
                result: Err(BackendError::Internal(error)),
            },
            Ids::DriftAction(job) => BackendEvent::DriftActed {
                job,
                result: Err(BackendError::Internal(error)),
            },
            Ids::Apply(job) => BackendEvent::ApplyFinished {
                job,
                result: Err(error),
            },
            Ids::RunPlan(job) => BackendEvent::PlanFinished {
                job,
                result: Err(error),
            },
            Ids::None => return None,
        })
    }
}

/// What an effect's result is keyed by.
#[derive(Clone)]
enum Ids {
    Comment(super::jobs::JobId, String),
    List(super::msg::ReqId),
    Plan(super::msg::ReqId),
    Code(super::msg::ReqId),
    Audit(super::msg::ReqId),
    Drift(super::msg::ReqId),
    Save,
    Decision(super::jobs::JobId),
    DriftAction(super::jobs::JobId),
    Apply(super::jobs::JobId),
    RunPlan(super::jobs::JobId),
    None,
}

/// Carries effects out on tokio's blocking pool and sends their events.
pub struct Runner {
    pub effects: Effects,
    pub tx: Sender<BackendEvent>,
}

impl Runner {
    pub fn run(&self, effect: Effect) {
        match effect {
            Effect::Quit | Effect::CopyToClipboard { .. } => {}
            // At once, not behind other blocking work.
            Effect::CancelJob { job } => {
                self.effects.jobs.cancel(job);
            }
            effect => {
                let failed = failure_event(&effect);
                let (effects, tx) = (self.effects.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let stream = tx.clone();
                    let event =
                        tokio::task::spawn_blocking(move || effects.execute(effect, &stream))
                            .await
                            .unwrap_or_else(|e| failed(task_failure(e)));
                    if let Some(event) = event {
                        let _ = tx.send(event).await;
                    }
                });
            }
        }
    }
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
    dir: Option<&std::path::Path>,
    write: impl FnOnce(&std::path::Path) -> std::io::Result<()>,
) -> BackendEvent {
    let result = match dir {
        Some(dir) => write(dir).map_err(|e| e.to_string()),
        None => Err("no data directory on this platform".to_string()),
    };
    match result {
        Ok(()) => BackendEvent::Saved,
        Err(error) => BackendEvent::SaveFailed { error },
    }
}

/// The audit log in the data directory.
fn audit_log(data_dir: Option<&std::path::Path>) -> Result<crate::audit::AuditLog, BackendError> {
    let dir =
        data_dir.ok_or_else(|| BackendError::Io("no data directory on this platform".into()))?;
    Ok(crate::audit::AuditLog::open(dir.join("audit.log")))
}

/// Stores a decision with the source and in the audit log; a log that
/// cannot take the entry refuses the decision before it is stored.
pub(super) fn record_decision(
    source: &dyn Backend,
    data_dir: Option<&std::path::Path>,
    decision: &Decision,
) -> Result<String, BackendError> {
    crate::audit_trail::record_with_source(&audit_log(data_dir)?, source, decision)?;
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
) -> Result<Vec<super::msg::DriftEntry>, BackendError> {
    let drift = drift.ok_or_else(no_drift_reports)?;
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
) -> Result<String, BackendError> {
    let drift = drift.ok_or_else(no_drift_reports)?;
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
) -> Result<Vec<crate::audit::AuditRecord>, BackendError> {
    audit_log(data_dir)?
        .records()
        .map_err(|e| BackendError::Io(e.to_string()))
}

fn no_drift_reports() -> BackendError {
    BackendError::NotFound("this source keeps no drift reports".into())
}

/// Starts the browser on `url` (checked http(s)): `$BROWSER` (its first
/// entry; `%s` stands for the URL, else it is the last argument), else
/// `xdg-open`. No shell, nothing on the terminal, not waited for.
pub(super) fn open_in_browser(url: &str) -> Result<(), String> {
    open_with(std::env::var("BROWSER").ok().as_deref(), url)
}

/// [`open_in_browser`] with `browser` as `$BROWSER`.
fn open_with(browser: Option<&str>, url: &str) -> Result<(), String> {
    if !crate::domain::is_web_url(url) {
        return Err("not an http(s) page".into());
    }
    let program = browser
        .and_then(|b| b.split(':').map(str::trim).find(|b| !b.is_empty()))
        .unwrap_or("xdg-open");
    let mut words: Vec<String> = program.split_whitespace().map(String::from).collect();
    if words.iter().any(|w| w.contains("%s")) {
        for word in &mut words {
            *word = word.replace("%s", url);
        }
    } else {
        words.push(url.to_string());
    }
    let (command, args) = words.split_first().ok_or("no browser")?;
    let mut child = std::process::Command::new(command)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {command}: {e} (set $BROWSER)"))?;
    // Reaped when it ends, however long the browser stays open.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard: the
/// text in base64, so nothing in it reaches the terminal as itself.
pub fn clipboard_sequence(text: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod browser_tests {
    use super::{clipboard_sequence, open_with};

    #[test]
    fn the_clipboard_gets_the_text_in_base64_only() {
        let sequence = clipboard_sequence("https://h/o/r/pull/1\x1b[2J");
        assert_eq!(sequence, "\x1b]52;c;aHR0cHM6Ly9oL28vci9wdWxsLzEbWzJK\x07");
    }

    #[test]
    fn the_browser_gets_the_url_as_one_argument() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("browser");
        let out = dir.path().join("args");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}.tmp && mv {0}.tmp {0}\n",
                out.display()
            ),
        )
        .expect("script");
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .expect("chmod");
        let url = "https://h/o/r/pull/1?a=1&b=$(id)";
        let browser = format!("{} --new-tab %s:other-browser", script.display());
        open_with(Some(&browser), url).expect("started");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !out.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let args = std::fs::read_to_string(&out).expect("the browser ran");
        assert_eq!(args, format!("--new-tab\n{url}\n"));
        assert!(open_with(Some("/nonexistent/browser"), url).is_err());
        assert!(open_with(None, "javascript:alert(1)").is_err());
    }
}
