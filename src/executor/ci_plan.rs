//! `plandeck ci plan`: the pull request workflow's step. It plans every
//! root the pull request affects (as the GitHub source finds them) at the
//! head GitHub reports, in a private worktree of the job's clone; writes
//! one artifact folder per root (`folder`) for the workflow to upload;
//! and posts the summary comment and statuses from those fresh plans
//! (`report::publish_fresh`), since GitHub has no artifact of them yet.
//! A root that fails to plan does not stop the others. Nothing here is
//! printed unescaped: roots and paths come from the pull request.

mod folder;

use super::ExecError;
use crate::backend::Workspaces;
use crate::backend::prelude::*;
use crate::config::Config;
use crate::cost::{self, CostReport};
use crate::domain::Request;
use crate::report::{PlanRead, publish_fresh};
use crate::risk::RiskPolicy;
use crate::sanitize::escape;
use crate::tofu::{self, Workspace};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use folder::checked_name;

/// A cost file larger than this is refused (the limit of a plan
/// artifact's cost file; not imported: the executor names no backend).
const MAX_COST_BYTES: u64 = 512 << 20;

/// What `ci plan` was asked.
#[derive(Clone, Debug)]
pub struct PlanJob<'a> {
    /// The pull request number.
    pub request: &'a str,
    pub out_dir: &'a Path,
    /// Holds `<artifact name>.json`, a root's cost tool JSON, for any root.
    pub cost_dir: Option<&'a Path>,
}

/// A root planned and written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedRoot {
    pub root: String,
    pub artifact: String,
    pub digest: String,
}

/// How `ci plan` ended.
#[derive(Debug)]
pub struct CiPlanned {
    pub request: Request,
    pub planned: Vec<PlannedRoot>,
    /// Each root whose plan failed, and why (raw).
    pub failed: Vec<(String, String)>,
    /// Whether the summary comment was created (not updated); `None`
    /// when no root is affected and nothing was published.
    pub comment_created: Option<bool>,
}

impl CiPlanned {
    /// 0 every root planned, 1 a plan failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.failed.is_empty())
    }

    /// The step's `roots` output: a compact JSON array of the roots
    /// written, `{"root":…,"artifact":…}` each (the upload matrix).
    pub fn roots_json(&self) -> String {
        let roots: Vec<serde_json::Value> = self
            .planned
            .iter()
            .map(|p| serde_json::json!({ "root": p.root, "artifact": p.artifact }))
            .collect();
        crate::sanitize::json_safe(serde_json::Value::Array(roots).to_string())
    }
}

/// A root to plan: its artifact name (or why it has none) and cost.
struct Prepared {
    artifact: Result<String, String>,
    cost: Option<(Vec<u8>, CostReport)>,
}

/// Plans the affected roots of pull request `job.request`, writes their
/// artifact folders and publishes the comment and statuses. Bad input (a
/// cost file that does not read, an unusable `--out`) is an error before
/// anything is planned or written.
pub fn ci_plan(
    source: &dyn Backend,
    checkouts: &dyn Workspaces,
    config: &Config,
    risk: &RiskPolicy,
    job: &PlanJob<'_>,
    out: &mut dyn Write,
) -> Result<CiPlanned, ExecError> {
    let request = source.resolve_request(job.request)?;
    let mut done = CiPlanned {
        planned: Vec::new(),
        failed: Vec::new(),
        comment_created: None,
        request,
    };
    let request = &done.request;
    if request.roots.is_empty() {
        let _ = writeln!(out, "{}: no root affected", escape(&request.id).text);
        return Ok(done);
    }
    let prepared = request
        .roots
        .iter()
        .map(|root| prepare(config, &root.path, job.cost_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let out_dir = folder::OutDir::open(job.out_dir).map_err(ExecError::Io)?;
    let binary = tofu::choose_binary(&config.tofu);
    let mut workspace = Workspace::create(checkouts, &request.head)?;
    let mut reads = Vec::new();
    for (root, prepared) in request.roots.iter().zip(prepared) {
        let planned = plan_root(
            config,
            &binary,
            &mut workspace,
            &out_dir,
            &root.path,
            prepared,
        );
        let shown = escape(&root.path).text.into_owned();
        reads.push(match planned {
            Ok((written, plan, cost)) => {
                let _ = writeln!(
                    out,
                    "{shown}: planned {} into {}",
                    plan.digest,
                    escape(&written.display().to_string()).text
                );
                done.planned.push(PlannedRoot {
                    root: root.path.clone(),
                    artifact: folder_name(&written),
                    digest: plan.digest.clone(),
                });
                PlanRead::Planned(Box::new(plan), cost)
            }
            Err(why) => {
                let _ = writeln!(out, "{shown}: plan failed: {}", escape(&why).text);
                done.failed.push((root.path.clone(), why.clone()));
                PlanRead::Failed(format!("plan failed: {why}"))
            }
        });
    }
    let _ = workspace.remove();
    let max = crate::render::COMMENT_MAX_CHARS;
    let published = publish_fresh(source, config, risk, &done.request, reads, max)?;
    done.comment_created = Some(published.created);
    Ok(done)
}

/// The root's artifact name, and its cost file read and validated.
fn prepare(config: &Config, root: &str, cost_dir: Option<&Path>) -> Result<Prepared, ExecError> {
    let artifact = checked_name(&config.github.artifact_name(root)).map(str::to_string);
    let cost = match (&artifact, cost_dir) {
        (Ok(name), Some(dir)) => read_cost(&dir.join(format!("{name}.json")))?,
        _ => None,
    };
    Ok(Prepared { artifact, cost })
}

/// A cost file, when there is one: its bytes and what they say.
fn read_cost(path: &Path) -> Result<Option<(Vec<u8>, CostReport)>, ExecError> {
    let shown = || escape(&path.display().to_string()).text.into_owned();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ExecError::Io(format!("{}: {e}", shown()))),
    };
    if !meta.is_file() || meta.len() > MAX_COST_BYTES {
        return Err(ExecError::Io(format!(
            "{}: not a file of at most {} MiB",
            shown(),
            MAX_COST_BYTES >> 20
        )));
    }
    let report = cost::load_cost_file(path).map_err(|e| ExecError::Io(e.to_string()))?;
    let bytes = std::fs::read(path).map_err(|e| ExecError::Io(format!("{}: {e}", shown())))?;
    Ok(Some((bytes, report)))
}

type Written = (PathBuf, crate::plan::Plan, Option<CostReport>);

/// Plans one root and writes its folder; why not, in one line.
fn plan_root(
    config: &Config,
    binary: &Path,
    workspace: &mut Workspace<'_>,
    out_dir: &folder::OutDir,
    root: &str,
    prepared: Prepared,
) -> Result<Written, String> {
    let artifact = prepared.artifact?;
    let target = config.target(root)?;
    let fresh = workspace.plan(binary, &target).map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(&fresh.plan_json)
        .map_err(|e| format!("show -json is not UTF-8 ({e})"))?;
    let plan = crate::plan::parse_plan_text(std::sync::Arc::new(text.to_string()))
        .map_err(|e| format!("the plan does not read: {e}"))?;
    let tfplan = std::fs::read(&fresh.plan_file).map_err(|e| format!("the plan file: {e}"))?;
    let (cost_bytes, cost) = prepared.cost.unzip();
    let mut files: Vec<(&str, &[u8])> = vec![("plan.json", &fresh.plan_json), ("tfplan", &tfplan)];
    if let Some(bytes) = &cost_bytes {
        files.push(("cost.json", bytes));
    }
    let written = out_dir.write(&artifact, &files)?;
    Ok((written, plan, cost))
}

fn folder_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
