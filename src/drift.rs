//! Drift checks: has the real infrastructure (or the state) moved away from
//! what the base branch last applied? A check of a root runs the configured
//! binary's `plan -refresh-only -detailed-exitcode` in a temporary worktree
//! of the base branch's head ([`tofu::Workspace`]) and keeps a report per
//! root in the [`store`] under `<git-dir>/plandeck/drift/`.
//!
//! Exit status 0 of the binary means no drift, 2 drift, anything else an
//! error; exit 2 with nothing drifted in the plan (Terraform 1.0 does that
//! when it would only rewrite the state) counts as clean. Blocking the requests that touch a drifted root and acknowledging
//! a drift live in [`actions`]. Above the backend seam: it reaches the
//! repository only through `&dyn Backend` (the base, its files, a
//! workspace, the state dir). This module never applies, never edits the
//! operator's checkout and never renders: addresses, notes and error text
//! are untrusted and kept raw (escape them to show them).

pub mod actions;
mod ops;
mod run;
pub mod store;

use crate::backend::prelude::*;
use crate::config::Config;
use crate::plan::{Plan, parse_plan};
use crate::source::BackendError;
use crate::tofu::{self, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

pub use actions::{BlockOutcome, acknowledge, block_requests};
pub use ops::DriftOps;

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftStatus {
    Clean,
    Drift,
    Error,
}

impl DriftStatus {
    pub fn word(self) -> &'static str {
        match self {
            Self::Clean => "clean",
            Self::Drift => "drift",
            Self::Error => "error",
        }
    }
}

/// A resource (or output, as `output.NAME`) that changed outside of the
/// binary, with the actions of the refresh-only plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedChange {
    pub address: String,
    pub actions: Vec<String>,
}

/// An operator's acknowledgement of a drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftAck {
    pub who: crate::source::Identity,
    /// Unix seconds.
    pub at: i64,
    pub note: String,
    /// The refresh-only plan's digest acknowledged (empty when none).
    pub digest: String,
}

/// `report.json`: the last drift check of a root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    pub root: String,
    /// Unix seconds.
    pub checked_at: i64,
    pub base_commit: String,
    pub status: DriftStatus,
    /// The binary's exit code of `plan`; `None` when it never ran or was killed.
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub drifted: Vec<DriftedChange>,
    /// Digest of the refresh-only plan, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default)]
    pub acks: Vec<DriftAck>,
    /// `plan.json` beside the report, when one was stored.
    #[serde(skip)]
    pub plan_json: Option<PathBuf>,
}

impl DriftReport {
    /// The latest acknowledgement of this very check, if any.
    pub fn current_ack(&self) -> Option<&DriftAck> {
        let digest = self.digest.as_deref().unwrap_or("");
        self.acks.iter().rev().find(|a| a.digest == digest)
    }
}

/// Why a drift check or its storage failed (not the binary: that is a report).
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error(transparent)]
    Source(#[from] BackendError),
    #[error("{0}")]
    Io(String),
    #[error("{root}: no such root on the base branch (roots: {known})")]
    UnknownRoot { root: String, known: String },
    #[error("no drift report for {0}; run `plandeck drift check --root` first")]
    NoReport(String),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error("{0}")]
    Record(String),
}

impl From<DriftError> for BackendError {
    /// The backend's own failure as it was; plandeck's local ones as io
    /// (the store, the audit log) or invalid (an unknown root, no report).
    fn from(e: DriftError) -> Self {
        match e {
            DriftError::Source(e) => e,
            DriftError::Io(_) | DriftError::Audit(_) | DriftError::Record(_) => {
                BackendError::Io(e.to_string())
            }
            DriftError::UnknownRoot { .. } | DriftError::NoReport(_) => {
                BackendError::Invalid(e.to_string())
            }
        }
    }
}

/// Checks one root at the base branch's head and stores its report.
/// A failing binary is a report with [`DriftStatus::Error`], not an `Err`.
pub fn check_root(
    source: &dyn Backend,
    config: &Config,
    root: &str,
) -> Result<DriftReport, DriftError> {
    let target = config.target(root).map_err(DriftError::Io)?;
    let base = source.base_commit(&config.drift_base(root))?;
    let binary = tofu::choose_binary(&config.tofu);
    let workspace = Workspace::create(source, &base)?;
    let root_dir = workspace.worktree().join(&target.dir);
    crate::tofu::confine::check_tree(workspace.worktree(), &target.dir).map_err(DriftError::Io)?;
    let outcome = if root_dir.is_dir() {
        run::refresh_only(&binary, &root_dir, &target)
    } else {
        Err(run::Failed {
            code: None,
            message: "the root does not exist on the base branch".into(),
        })
    };
    // The worktree is gone before anything is stored.
    workspace.remove()?;
    let mut report = DriftReport {
        root: root.to_string(),
        checked_at: crate::audit::unix_now(),
        base_commit: base,
        status: DriftStatus::Error,
        exit_code: None,
        error: None,
        drifted: Vec::new(),
        digest: None,
        acks: store::previous_acks(source, root),
        plan_json: None,
    };
    let plan_json = match outcome {
        Ok(done) => fill(&mut report, done),
        Err(failed) => {
            report.exit_code = failed.code;
            report.error = Some(failed.message);
            None
        }
    };
    store::save(source, &report, plan_json.as_deref())
}

/// Fills a report from a finished refresh-only plan; the JSON to keep.
fn fill(report: &mut DriftReport, done: run::Done) -> Option<Vec<u8>> {
    report.exit_code = Some(done.code);
    let text = String::from_utf8_lossy(&done.plan_json).into_owned();
    match parse_plan(Arc::from(text)) {
        Ok(plan) => {
            report.drifted = drifted(&plan);
            // Terraform 1.0 exits 2 from a refresh-only plan whenever it would
            // rewrite the state, even with nothing drifted: the plan decides.
            report.status = if done.code == 2 && !report.drifted.is_empty() {
                DriftStatus::Drift
            } else {
                DriftStatus::Clean
            };
            report.digest = Some(plan.digest);
            Some(done.plan_json)
        }
        Err(e) => {
            report.error = Some(format!("show -json printed no readable plan: {e}"));
            None
        }
    }
}

/// Drifted resources, then changed outputs (`output.NAME`).
pub fn drifted(plan: &Plan) -> Vec<DriftedChange> {
    let resources = plan.resource_drift.iter().map(|rc| DriftedChange {
        address: rc.address.clone(),
        actions: rc.change.actions.clone(),
    });
    let outputs = plan
        .output_changes
        .iter()
        .filter(|o| o.change.actions.iter().any(|a| a != "no-op"))
        .map(|o| DriftedChange {
            address: format!("output.{}", o.name),
            actions: o.change.actions.clone(),
        });
    resources.chain(outputs).collect()
}

/// Every stored drift report, sorted by root.
pub fn reports(source: &dyn Backend) -> Result<Vec<DriftReport>, DriftError> {
    store::list(source)
}

/// The stored refresh-only plan of a report (its `resource_drift` renders
/// the drifted resources).
pub fn load_plan(report: &DriftReport) -> Result<Plan, DriftError> {
    let path = report
        .plan_json
        .as_deref()
        .ok_or_else(|| DriftError::NoReport(report.root.clone()))?;
    Ok(crate::plan::load_plan(path).map_err(BackendError::from)?)
}

/// The roots to check for drift: on each base branch, the directories
/// holding configuration files (kept when they match `[source] roots` if
/// globs are configured), named as requests name them (`DIR@ENV` for a
/// shared directory), each checked at the base of its environment (its
/// `base`, else the primary base).
pub fn base_roots(source: &dyn Backend, config: &Config) -> Result<Vec<String>, DriftError> {
    let globs = root_globs(&config.source.roots)?;
    let mut keys = BTreeSet::new();
    for base in config.bases() {
        let commit = match source.base_commit(&base) {
            Ok(commit) => commit,
            // A base this clone lacks has no roots to check here.
            Err(_) if base != config.primary_base() => continue,
            Err(e) => return Err(e.into()),
        };
        let listing = source.files_at(&commit)?;
        let dirs: BTreeSet<String> = listing
            .iter()
            .filter(|f| {
                [".tf", ".tf.json", ".tofu", ".tofu.json"]
                    .iter()
                    .any(|e| f.ends_with(e))
            })
            .map(|f| f.rsplit_once('/').map_or(".", |(dir, _)| dir).to_string())
            .filter(|dir| globs.as_ref().is_none_or(|g| g.is_match(dir)))
            .collect();
        for dir in dirs {
            let roots = config
                .root_environments(&dir, &base)
                .map_err(DriftError::Io)?;
            keys.extend(
                roots
                    .into_iter()
                    .map(|r| r.key)
                    .filter(|key| config.drift_base(key) == base),
            );
        }
    }
    Ok(keys.into_iter().collect())
}

fn root_globs(globs: &[String]) -> Result<Option<globset::GlobSet>, DriftError> {
    crate::config::path_glob_set(globs)
        .map_err(|e| DriftError::Io(format!("config: source.roots: {e}")))
}

/// Resolves `--root`: one known root, or every root of the base branch.
pub fn roots_to_check(
    source: &dyn Backend,
    config: &Config,
    only: Option<&str>,
) -> Result<Vec<String>, DriftError> {
    let roots = base_roots(source, config)?;
    let Some(only) = only else {
        return Ok(roots);
    };
    let only = only.trim_end_matches('/');
    if roots.iter().any(|r| r == only) {
        return Ok(vec![only.to_string()]);
    }
    if let Err(why) = config.target(only) {
        return Err(DriftError::Io(why));
    }
    Err(DriftError::UnknownRoot {
        root: only.to_string(),
        known: roots.join(", "),
    })
}
