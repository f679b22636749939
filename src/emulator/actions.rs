//! The emulator's GitHub Actions workflows: `workflow_dispatch` of a known
//! workflow (answering with the run's details when asked for them, or 204
//! as older servers do), runs that go queued → in_progress → completed on
//! the clock (or when a test's [`Runner`] returns), their job and steps,
//! the job's log (redirected to the blob host, as GitHub does) and
//! cancelling. The run's title follows the shipped apply workflow's
//! `run-name` ([`crate::domain::apply_run_title`]).

use super::routes::{Call, Reply, error, listing, ok};
use super::shapes::{account_json, example};
use super::state::State;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs a dispatched run for real (a test's `plandeck ci apply`): its
/// conclusion and the job's log. Called on a thread of its own.
pub type Runner = Arc<dyn Fn(&WorkflowRun) -> (String, String) + Send + Sync>;

/// What the emulator's Actions know and do.
#[derive(Clone)]
pub struct Actions {
    /// (id, file name) of each workflow of the repository.
    pub workflows: Vec<(u64, String)>,
    /// A dispatch asked for `return_run_details` is answered 200 with them;
    /// false: 204 without (as servers before the parameter).
    pub details: bool,
    /// How long a run waits for a runner, then how long it runs.
    pub queued_for: Duration,
    pub runs_for: Duration,
    /// (root input, conclusion) of scripted runs; others succeed.
    pub conclusions: Vec<(String, String)>,
    /// Runs a dispatched run instead of the script, when set.
    pub runner: Option<Runner>,
    pub runs: Vec<WorkflowRun>,
}

impl Default for Actions {
    fn default() -> Self {
        Self {
            workflows: vec![(161_335, "plandeck-apply.yml".into())],
            details: true,
            queued_for: Duration::from_millis(300),
            runs_for: Duration::from_secs(2),
            conclusions: Vec::new(),
            runner: None,
            runs: Vec::new(),
        }
    }
}

/// A run of a dispatched workflow.
#[derive(Clone, Debug)]
pub struct WorkflowRun {
    pub id: u64,
    pub job_id: u64,
    pub workflow: String,
    /// The branch it was dispatched on, and that branch's head then.
    pub branch: String,
    pub head_sha: String,
    pub inputs: Vec<(String, String)>,
    pub actor: (u64, String),
    pub title: String,
    pub created_at: String,
    pub dispatched: Instant,
    /// Set by a runner when it returns: (conclusion, log).
    pub finished: Option<(String, String, Instant)>,
    pub cancelled: Option<Instant>,
    /// A runner is running it (its end is the runner's, not the clock's).
    pub real: bool,
    /// How it ends when the clock ends it, as scripted at its dispatch.
    pub scripted: String,
}

impl WorkflowRun {
    pub fn input(&self, name: &str) -> &str {
        self.inputs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The steps of the shipped apply workflow's job, as GitHub lists them.
const STEPS: [&str; 7] = [
    "Set up job",
    "Check out the approved head",
    "Check the checkout is exactly that commit",
    "Install plandeck",
    "Set up OpenTofu",
    "Apply the approved plan",
    "Complete job",
];
/// The step whose failure fails the run.
const APPLY_STEP: usize = 5;

/// Where a run is now: (status, conclusion, steps done, the step running).
struct Phase {
    status: &'static str,
    conclusion: Option<String>,
    /// Steps completed so far; the next one is running while in progress.
    done: usize,
}

fn phase(actions: &Actions, run: &WorkflowRun, now: Instant) -> Phase {
    let elapsed = now.saturating_duration_since(run.dispatched);
    if let Some(at) = run.cancelled {
        if run.finished.as_ref().is_none_or(|(_, _, f)| *f > at) {
            let ran = at.saturating_duration_since(run.dispatched);
            return Phase {
                status: "completed",
                conclusion: Some("cancelled".into()),
                done: steps_done(actions, ran),
            };
        }
    }
    if elapsed < actions.queued_for {
        return Phase {
            status: "queued",
            conclusion: None,
            done: 0,
        };
    }
    let ended = match &run.finished {
        Some((conclusion, _, _)) => Some(conclusion.clone()),
        None if run.real => None,
        None if elapsed >= actions.queued_for + actions.runs_for => Some(run.scripted.clone()),
        None => None,
    };
    match ended {
        Some(conclusion) => Phase {
            status: "completed",
            conclusion: Some(conclusion),
            done: STEPS.len(),
        },
        None => Phase {
            status: "in_progress",
            conclusion: None,
            done: steps_done(actions, elapsed).min(STEPS.len() - 1),
        },
    }
}

fn steps_done(actions: &Actions, elapsed: Duration) -> usize {
    let running = elapsed.saturating_sub(actions.queued_for);
    let each = actions.runs_for.as_millis().max(1) / STEPS.len() as u128;
    (running.as_millis() / each.max(1)).min(STEPS.len() as u128) as usize
}

/// Answers a GET under `/repos/R/actions` that is about workflows, runs
/// of them, jobs or logs; `None`: not one of those.
pub(super) fn get(
    state: &State,
    origin: &str,
    segments: &[&str],
    call: &Call,
    if_none_match: Option<&str>,
) -> Option<Reply> {
    let actions = &state.actions;
    let now = Instant::now();
    let run_of = |id: &str| actions.runs.iter().find(|r| r.id.to_string() == id);
    Some(match segments {
        ["actions", "workflows", workflow, "runs"] => {
            let Some(file) = workflow_file(actions, workflow) else {
                return Some(error(404, "Not Found"));
            };
            let wanted = |name: &str| call.query(name);
            let mut runs: Vec<&WorkflowRun> = actions
                .runs
                .iter()
                .filter(|r| r.workflow == file)
                .filter(|_| wanted("event").is_none_or(|e| e == "workflow_dispatch"))
                .filter(|r| wanted("actor").is_none_or(|a| a == r.actor.1))
                .filter(|r| wanted("branch").is_none_or(|b| b == r.branch))
                .filter(|r| {
                    wanted("created").is_none_or(|c| {
                        c.strip_prefix(">=")
                            .is_some_and(|since| r.created_at.as_str() >= since)
                    })
                })
                .filter(|r| {
                    wanted("status").is_none_or(|s| {
                        let p = phase(actions, r, now);
                        p.status == s || p.conclusion.as_deref() == Some(s.as_str())
                    })
                })
                .collect();
            runs.sort_by_key(|r| std::cmp::Reverse(r.id));
            let items = runs.iter().map(|r| run_json(state, r, now)).collect();
            listing(
                state,
                origin,
                call,
                items,
                Some("workflow_runs"),
                if_none_match,
            )
        }
        ["actions", "runs", id] => match run_of(id) {
            Some(run) => ok(run_json(state, run, now), None, if_none_match),
            None => return None,
        },
        ["actions", "runs", id, "jobs"] => match run_of(id) {
            Some(run) => {
                let job = job_json(state, run, now);
                ok(
                    json!({"total_count": 1, "jobs": [job]}),
                    None,
                    if_none_match,
                )
            }
            None => error(404, "Not Found"),
        },
        ["actions", "jobs", id, "logs"] => {
            match actions.runs.iter().find(|r| r.job_id.to_string() == *id) {
                Some(_) => Reply::new(302).header(
                    "location",
                    &format!("{}/logs/{id}?sig=short-lived", state.blob_origin),
                ),
                None => error(404, "Not Found"),
            }
        }
        _ => return None,
    })
}

/// A job's log as the blob host serves it; `None`: no such job.
pub(super) fn log_text(state: &State, job: &str) -> Option<String> {
    let run = state
        .actions
        .runs
        .iter()
        .find(|r| r.job_id.to_string() == job)?;
    let phase = phase(&state.actions, run, Instant::now());
    let mut text = String::new();
    for (n, name) in STEPS.iter().enumerate().take(phase.done.max(1)) {
        text.push_str(&format!("2026-12-02T10:00:0{n}.0000000Z ##[group]{name}\n"));
        if n == APPLY_STEP {
            let body = match &run.finished {
                Some((_, log, _)) => log.clone(),
                None => format!(
                    "plandeck ci apply --request {} --root {} --head {} --digest {}\n",
                    run.input("request"),
                    run.input("root"),
                    run.input("head"),
                    run.input("digest")
                ),
            };
            text.push_str(&body);
            if !body.ends_with('\n') {
                text.push('\n');
            }
        }
        text.push_str("2026-12-02T10:00:09.0000000Z ##[endgroup]\n");
    }
    if let Some(conclusion) = phase.conclusion {
        text.push_str(&format!("Job concluded: {conclusion}\n"));
    }
    Some(text)
}

/// A POST under `/repos/R/actions`; `None`: not an Actions one.
pub(super) fn post(state: &mut State, segments: &[&str], body: &Value, id: u64) -> Option<Reply> {
    Some(match segments {
        ["actions", "workflows", workflow, "dispatches"] => dispatch(state, workflow, body, id),
        ["actions", "runs", run, "cancel"] => {
            let now = Instant::now();
            let actions = &mut state.actions;
            let Some(at) = actions.runs.iter().position(|r| r.id.to_string() == *run) else {
                return Some(error(404, "Not Found"));
            };
            if phase(actions, &actions.runs[at], now).status == "completed" {
                return Some(error(
                    409,
                    "Cannot cancel a workflow run that is completed.",
                ));
            }
            actions.runs[at].cancelled = Some(now);
            Reply::json(202, &json!({}))
        }
        _ => return None,
    })
}

fn dispatch(state: &mut State, workflow: &str, body: &Value, id: u64) -> Reply {
    let Some(file) = workflow_file(&state.actions, workflow) else {
        return error(404, "Not Found");
    };
    let Some(branch) = body["ref"].as_str() else {
        return error(422, "Invalid request.\n\n\"ref\" wasn't supplied.");
    };
    let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    let Some((_, head_sha)) = state.branches.iter().find(|(b, _)| b == branch).cloned() else {
        return error(422, &format!("No ref found for: {branch}"));
    };
    let given = body["inputs"].as_object().cloned().unwrap_or_default();
    const INPUTS: [&str; 4] = ["request", "root", "head", "digest"];
    let unexpected: Vec<&String> = given
        .keys()
        .filter(|k| !INPUTS.contains(&k.as_str()))
        .collect();
    if !unexpected.is_empty() {
        return error(422, &format!("Unexpected inputs provided: {unexpected:?}"));
    }
    let mut inputs = Vec::new();
    for name in INPUTS {
        match given.get(name).and_then(Value::as_str) {
            Some(value) => inputs.push((name.to_string(), value.to_string())),
            None => return error(422, &format!("Required input '{name}' not provided")),
        }
    }
    let value = |name: &str| given.get(name).and_then(Value::as_str).unwrap_or_default();
    let run = WorkflowRun {
        id: 30_000_000 + id,
        job_id: 40_000_000 + id,
        workflow: file,
        branch: branch.to_string(),
        head_sha,
        title: crate::domain::apply_run_title(
            value("root"),
            value("request"),
            value("head"),
            value("digest"),
        ),
        inputs,
        actor: (state.user.0, state.user.1.clone()),
        created_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        dispatched: Instant::now(),
        finished: None,
        cancelled: None,
        real: state.actions.runner.is_some(),
        scripted: state
            .actions
            .conclusions
            .iter()
            .find(|(root, _)| root == value("root"))
            .map_or("success".to_string(), |(_, c)| c.clone()),
    };
    if let Some(runner) = state.actions.runner.clone() {
        let shared = state.me.clone();
        let started = run.clone();
        std::thread::spawn(move || {
            let (conclusion, log) = runner(&started);
            if let Some(shared) = shared.and_then(|w| w.upgrade()) {
                let mut state = shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(run) = state.actions.runs.iter_mut().find(|r| r.id == started.id) {
                    run.finished = Some((conclusion, log, Instant::now()));
                }
            }
        });
    }
    let details = json!({
        "workflow_run_id": run.id,
        "run_url": format!("{}/repos/{}/actions/runs/{}", state.web_origin, state.repo, run.id),
        "html_url": format!("{}/{}/actions/runs/{}", state.web_origin, state.repo, run.id),
    });
    state.actions.runs.push(run);
    if state.actions.details && body["return_run_details"].as_bool() == Some(true) {
        let mut answer = example("workflow-dispatch-response.json");
        if let (Some(answer), Some(details)) = (answer.as_object_mut(), details.as_object()) {
            answer.extend(details.clone());
        }
        Reply::json(200, &answer)
    } else {
        Reply::new(204)
    }
}

/// A workflow named by id or file name.
fn workflow_file(actions: &Actions, name: &str) -> Option<String> {
    actions
        .workflows
        .iter()
        .find(|(id, file)| id.to_string() == name || file == name)
        .map(|(_, file)| file.clone())
}

fn run_json(state: &State, run: &WorkflowRun, now: Instant) -> Value {
    let phase = phase(&state.actions, run, now);
    let mut value = example("workflow-run.json");
    value["id"] = json!(run.id);
    value["name"] = json!("plandeck apply");
    value["display_title"] = json!(run.title);
    value["event"] = json!("workflow_dispatch");
    value["path"] = json!(format!(".github/workflows/{}@{}", run.workflow, run.branch));
    value["head_branch"] = json!(run.branch);
    value["head_sha"] = json!(run.head_sha);
    value["status"] = json!(phase.status);
    value["conclusion"] = json!(phase.conclusion);
    value["created_at"] = json!(run.created_at);
    value["run_started_at"] = json!(run.created_at);
    value["actor"] = account_json(&run.actor);
    value["triggering_actor"] = account_json(&run.actor);
    value["html_url"] = json!(format!(
        "{}/{}/actions/runs/{}",
        state.web_origin, state.repo, run.id
    ));
    value["pull_requests"] = json!([]);
    value
}

fn job_json(state: &State, run: &WorkflowRun, now: Instant) -> Value {
    let phase = phase(&state.actions, run, now);
    let mut value = example("job.json");
    value["id"] = json!(run.job_id);
    value["run_id"] = json!(run.id);
    value["name"] = json!(format!("apply {}", run.input("root")));
    value["workflow_name"] = json!("plandeck apply");
    value["head_branch"] = json!(run.branch);
    value["head_sha"] = json!(run.head_sha);
    value["status"] = json!(phase.status);
    value["conclusion"] = json!(phase.conclusion);
    let failed = phase.conclusion.as_deref().filter(|c| *c != "success");
    let template = value["steps"][0].clone();
    let steps: Vec<Value> = if phase.status == "queued" {
        Vec::new()
    } else {
        STEPS
            .iter()
            .enumerate()
            .map(|(n, name)| {
                let (status, conclusion) = step_state(n, &phase, failed);
                let mut step = template.clone();
                step["name"] = json!(name);
                step["number"] = json!(n + 1);
                step["status"] = json!(status);
                step["conclusion"] = json!(conclusion);
                step
            })
            .collect()
    };
    value["steps"] = json!(steps);
    value
}

/// A step's (status, conclusion): a failed run fails at the apply step
/// (later steps skipped, the job's own last step still runs); a cancelled
/// one at the step that was running.
fn step_state(
    n: usize,
    phase: &Phase,
    failed: Option<&str>,
) -> (&'static str, Option<&'static str>) {
    let last = STEPS.len() - 1;
    match failed {
        Some("cancelled") if n < phase.done => ("completed", Some("success")),
        Some("cancelled") if n == phase.done => ("completed", Some("cancelled")),
        Some("cancelled") => ("completed", Some("skipped")),
        Some(_) if n < APPLY_STEP || n == last => ("completed", Some("success")),
        Some(_) if n == APPLY_STEP => ("completed", Some("failure")),
        Some(_) => ("completed", Some("skipped")),
        None if n < phase.done => ("completed", Some("success")),
        None if n == phase.done && phase.status == "in_progress" => ("in_progress", None),
        None => ("queued", None),
    }
}
