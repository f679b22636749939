//! `plandeck requests` (any source), `plan` and `import-plan` (git).
//!
//! `plan` runs tofu/terraform in a [`Workspace`] (a temporary detached
//! worktree of the request's head), never in the operator's checkout, and
//! removes it whatever happens. Every string from git or a plan is escaped by
//! the sanitiser before it is printed (JSON through `sanitize::json_safe`).
//! This module never approves or applies.

use super::{Failure, ListFormat, write_stdout};
use crate::backend::prelude::*;
use crate::config::{Loaded, SourceKind};
use crate::executor::planner::{PlanStep, RootPlanned};
use crate::plan::ActionCounts;
use crate::risk::Risk;
use crate::sanitize;
use crate::source::git::GitSource;
use crate::source::{BackendError, Identity, PlanOrigin, PlanStatus, Request, RootRef, StoredPlan};
use crate::summary::Summary;
use crate::tofu;
use serde::Serialize;
use std::path::Path;

/// One root of a request as the list shows it.
#[derive(Serialize)]
struct RootRow {
    path: String,
    environment: Option<String>,
    /// The changed local modules it is affected through; empty when its
    /// own files changed.
    via: Vec<String>,
    status: String,
    digest: Option<String>,
    /// The head commit the stored plan was made from.
    plan_head: Option<String>,
    origin: Option<PlanOrigin>,
    counts: Option<ActionCounts>,
    risk: Option<Risk>,
    cost_delta: Option<f64>,
    /// The currency of `cost_delta`.
    currency: Option<String>,
    /// Why the stored plan could not be read.
    error: Option<String>,
}

#[derive(Serialize)]
struct RequestRow<'a> {
    id: &'a str,
    number: Option<u64>,
    title: &'a str,
    authors: &'a [Identity],
    committers: &'a [Identity],
    head: &'a str,
    base: &'a str,
    created_at: i64,
    updated_at: i64,
    roots: Vec<RootRow>,
}

pub(super) fn list(loaded: &Loaded, repo: &Path, format: ListFormat) -> Result<i32, Failure> {
    let source = crate::source::open(repo, &loaded.config)?;
    let requests = source.list_requests()?;
    let rows: Vec<RequestRow<'_>> = requests
        .iter()
        .map(|request| request_row(&*source, loaded, request))
        .collect::<Result<_, _>>()?;
    match format {
        ListFormat::Json => {
            let json = serde_json::to_string_pretty(&rows)
                .map_err(|e| Failure(format!("cannot encode requests: {e}")))?;
            let json = sanitize::json_safe(json);
            write_stdout(|out| writeln!(out, "{json}"))?;
        }
        ListFormat::Text if rows.is_empty() && loaded.config.source.kind != SourceKind::Git => {
            let describe = source.describe();
            write_stdout(|out| {
                writeln!(
                    out,
                    "no open requests ({})",
                    sanitize::escape(&describe).text
                )
            })?;
        }
        ListFormat::Text if rows.is_empty() => {
            let pattern = &loaded.config.source.request_pattern;
            let base = &loaded.config.source.base;
            write_stdout(|out| {
                writeln!(
                    out,
                    "no open requests (branches matching `{}` with commits not in `{}`)",
                    sanitize::escape(pattern).text,
                    sanitize::escape(base).text
                )
            })?;
        }
        ListFormat::Text => {
            let lines = text_rows(&rows, now());
            write_stdout(|out| lines.iter().try_for_each(|l| writeln!(out, "{l}")))?;
        }
    }
    Ok(0)
}

fn request_row<'a>(
    source: &dyn Backend,
    loaded: &Loaded,
    request: &'a Request,
) -> Result<RequestRow<'a>, Failure> {
    let roots = request
        .roots
        .iter()
        .map(|root| root_row(source, loaded, request, root))
        .collect::<Result<_, _>>()?;
    Ok(RequestRow {
        id: &request.id,
        number: request.number,
        title: &request.title,
        authors: &request.authors,
        committers: &request.committers,
        head: &request.head,
        base: &request.base,
        created_at: request.created_at,
        updated_at: request.updated_at,
        roots,
    })
}

fn root_row(
    source: &dyn Backend,
    loaded: &Loaded,
    request: &Request,
    root: &RootRef,
) -> Result<RootRow, Failure> {
    // A damaged store entry (meta.json) is this root's error, not the list's.
    let (stored, store_error) = match source.stored_plan(request, &root.path) {
        Ok(stored) => (stored, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let pending = source.plan_pending(request, &root.path);
    let status = PlanStatus::with_pending(request, stored.as_ref(), pending);
    let mut row = RootRow {
        path: root.path.clone(),
        environment: root.environment.clone(),
        via: root.via.clone(),
        status: status.slug().to_string(),
        digest: stored.as_ref().map(|s| s.digest.clone()),
        plan_head: stored.as_ref().map(|s| s.head.clone()),
        origin: stored.as_ref().map(|s| s.origin),
        counts: None,
        risk: None,
        cost_delta: None,
        currency: None,
        error: store_error,
    };
    if let Some(stored) = stored {
        match source.load_plan(&stored) {
            Ok((plan, cost)) => {
                let summary = Summary::of(&plan, &loaded.risk, cost.as_ref(), &loaded.config.cost);
                row.counts = Some(summary.counts);
                row.risk = summary.risk.highest;
                row.cost_delta = summary
                    .cost
                    .as_ref()
                    .and_then(|c| c.monthly_delta)
                    .map(crate::summary::round_cents);
                row.currency = summary.cost.map(|c| c.currency);
            }
            // One unreadable plan must not hide the other requests.
            Err(e) => row.error = Some(e.to_string()),
        }
    }
    Ok(row)
}

/// Aligned text rows: id, title, authors, age, then each root with its
/// environment, plan status, counts, highest risk and cost delta.
fn text_rows(rows: &[RequestRow<'_>], now: i64) -> Vec<String> {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            let authors: Vec<String> = row.authors.iter().map(|a| a.name.clone()).collect();
            [
                escaped(row.id, 40),
                escaped(row.title, 50),
                escaped(&authors.join(", "), 30),
                age(now - row.updated_at),
            ]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    rows.iter()
        .zip(&cells)
        .map(|(row, [id, title, authors, age])| {
            let roots: Vec<String> = row.roots.iter().map(root_text).collect();
            let roots = if roots.is_empty() {
                "(no roots)".to_string()
            } else {
                roots.join("; ")
            };
            format!("{id:<w0$}  {title:<w1$}  {authors:<w2$}  {age:>w3$}  {roots}")
        })
        .collect()
}

fn root_text(root: &RootRow) -> String {
    let mut text = escaped(&root.path, usize::MAX);
    if let Some(env) = &root.environment {
        text.push_str(&format!(" [{}]", escaped(env, 20)));
    }
    if !root.via.is_empty() {
        text.push_str(&format!(" {}", via_text(&root.via)));
    }
    text.push(' ');
    text.push_str(&root.status.replace('-', " "));
    if let Some(c) = &root.counts {
        text.push_str(&format!(" {}", counts_text(c)));
    }
    if let Some(risk) = root.risk {
        text.push_str(&format!(" {}", risk.word()));
    }
    if let Some(delta) = root.cost_delta {
        let currency = escaped(root.currency.as_deref().unwrap_or("USD"), 8);
        text.push_str(&format!(" {}", crate::cost::format_delta(delta, &currency)));
    }
    if let Some(error) = &root.error {
        text.push_str(&format!(" (unreadable: {})", escaped(error, 120)));
    }
    text
}

/// `via modules/a, modules/b`, escaped.
pub(super) fn via_text(via: &[String]) -> String {
    let modules: Vec<String> = via.iter().map(|m| escaped(m, usize::MAX)).collect();
    format!("via {}", modules.join(", "))
}

/// `+create ~update -delete ±replace`.
fn counts_text(c: &ActionCounts) -> String {
    format!("+{} ~{} -{} ±{}", c.create, c.update, c.delete, c.replace)
}

/// Escaped for the terminal, cut to `max` characters, `!` after a flagged one.
fn escaped(s: &str, max: usize) -> String {
    let escaped = sanitize::escape(s);
    let mut text: String = escaped.text.chars().take(max).collect();
    if escaped.text.chars().count() > max {
        text.pop();
        text.push('…');
    }
    if escaped.flagged {
        text.push('!');
    }
    text
}

fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

use crate::clock::unix_now as now;

/// The roots to work on: all of the request's, or the one asked for.
fn selected_roots<'a>(
    request: &'a Request,
    root: Option<&str>,
) -> Result<Vec<&'a RootRef>, Failure> {
    let Some(wanted) = root else {
        if request.roots.is_empty() {
            return Err(Failure(format!("request {} touches no root", request.id)));
        }
        return Ok(request.roots.iter().collect());
    };
    let wanted = wanted.trim_end_matches('/');
    let wanted = wanted.strip_prefix("./").unwrap_or(wanted);
    match request.roots.iter().find(|r| r.path == wanted) {
        Some(found) => Ok(vec![found]),
        None => Err(Failure(request.unknown_root(wanted))),
    }
}

pub(super) fn plan(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: Option<&str>,
    quiet: bool,
) -> Result<i32, Failure> {
    let source = GitSource::open(repo, &loaded.config)?;
    let request = source.resolve_request(request)?;
    let roots: Vec<String> = selected_roots(&request, root)?
        .into_iter()
        .map(|r| r.path.clone())
        .collect();
    let progress = super::progress::RootProgress::new("planning", roots.len(), quiet);
    tofu::prune_stale_and_say(&source);
    let mut failures = Vec::new();
    let mut output = Ok(());
    crate::executor::planner::plan_roots(
        &source,
        &loaded.config,
        &request,
        &roots,
        &mut |root, step| {
            let done = match step {
                PlanStep::Started => return progress.start(root),
                PlanStep::Done(done) => done,
            };
            // Each line as soon as its root is planned: planning is slow.
            let line = match done {
                RootPlanned::Stored(stored) => stored_line(&source as &dyn Backend, &stored),
                RootPlanned::Failed(e) => Err(Failure(e)),
            };
            match line {
                Ok(line) if output.is_ok() => {
                    output = progress.suspend(|| write_stdout(|out| writeln!(out, "{line}")));
                }
                Ok(_) => {}
                Err(Failure(e)) => failures.push(format!("{root}: {e}")),
            }
            progress.done();
        },
    )?;
    drop(progress);
    output?;
    match failures.len() {
        0 => Ok(0),
        _ => Err(Failure(format!("planning failed: {}", failures.join("; ")))),
    }
}

/// `ROOT  DIGEST  +N ~N -N ±N`, checked by loading the stored plan back.
fn stored_line(source: &dyn Backend, stored: &StoredPlan) -> Result<String, Failure> {
    let (plan, _) = source.load_plan(stored)?;
    Ok(format!(
        "{}  {}  {}",
        escaped(&stored.root, usize::MAX),
        escaped(&stored.digest, usize::MAX),
        counts_text(&ActionCounts::of(&plan.resource_changes))
    ))
}

pub(super) fn import(
    loaded: &Loaded,
    repo: &Path,
    request: &str,
    root: &str,
    plan: &Path,
    plan_file: Option<&Path>,
    cost: Option<&Path>,
) -> Result<i32, Failure> {
    let source = GitSource::open(repo, &loaded.config)?;
    let request = source.resolve_request(request)?;
    let [root] = selected_roots(&request, Some(root))?[..] else {
        return Err(Failure("one root expected".into()));
    };
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())));
    let plan_json = read(plan)?;
    let cost_json = cost.map(read).transpose()?;
    let stored = source
        .store()
        .put(
            &request.id,
            &root.path,
            &request.head,
            PlanOrigin::Imported,
            &plan_json,
            plan_file,
            cost_json.as_deref(),
        )
        .map_err(|e| name_file(e, plan, cost))?;
    let line = stored_line(&source, &stored)?;
    write_stdout(|out| writeln!(out, "{line}"))?;
    Ok(0)
}

/// The store names its input `plan JSON` / `cost JSON`; say which file.
fn name_file(error: BackendError, plan: &Path, cost: Option<&Path>) -> Failure {
    match (error, cost) {
        (BackendError::Plan(mut e), _) => {
            e.source_name = plan.display().to_string();
            Failure(e.to_string())
        }
        (BackendError::Cost(e), Some(cost)) => Failure(format!("{}: {e}", cost.display())),
        (other, _) => Failure(other.to_string()),
    }
}
