//! The drift store: `<git-dir>/plandeck/drift/<encoded root>/report.json`
//! and `plan.json` (the refresh-only plan's `show -json`). Root names are
//! untrusted and percent-encoded into one directory name (as the plan
//! store does). Each file is written to a temporary name and renamed into
//! place, `plan.json` before `report.json`, so a reader never sees half a
//! report. This module never runs the binary and never renders.

use super::{DriftAck, DriftError, DriftReport};
use crate::backend::Backend;
use crate::source::store::{decode, encode};
use std::path::{Path, PathBuf};

const REPORT_JSON: &str = "report.json";
const PLAN_JSON: &str = "plan.json";

/// `drift` in the backend's state dir (`<git-dir>/plandeck/drift`).
fn drift_dir(source: &dyn Backend) -> Result<PathBuf, DriftError> {
    Ok(source.state_dir()?.join("drift"))
}

fn root_dir(source: &dyn Backend, root: &str) -> Result<PathBuf, DriftError> {
    Ok(drift_dir(source)?.join(encode(root)?))
}

/// Stores a report (and its plan JSON, when there is one) and reads it back.
pub fn save(
    source: &dyn Backend,
    report: &DriftReport,
    plan_json: Option<&[u8]>,
) -> Result<DriftReport, DriftError> {
    let dir = root_dir(source, &report.root)?;
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))?;
    match plan_json {
        Some(json) => write_atomically(&dir.join(PLAN_JSON), json)?,
        // A stale plan must not pass for this check's.
        None => match std::fs::remove_file(dir.join(PLAN_JSON)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io(&dir.join(PLAN_JSON), &e));
            }
            _ => {}
        },
    }
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| DriftError::Io(format!("cannot encode the drift report: {e}")))?;
    write_atomically(&dir.join(REPORT_JSON), &json)?;
    get(source, &report.root)?.ok_or_else(|| DriftError::NoReport(report.root.clone()))
}

/// The stored report of a root, if there is one.
pub fn get(source: &dyn Backend, root: &str) -> Result<Option<DriftReport>, DriftError> {
    read(&root_dir(source, root)?)
}

fn read(dir: &Path) -> Result<Option<DriftReport>, DriftError> {
    let path = dir.join(REPORT_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path, &e)),
    };
    let mut report: DriftReport = serde_json::from_str(&text)
        .map_err(|e| DriftError::Io(format!("{}: invalid drift report: {e}", path.display())))?;
    report.plan_json = Some(dir.join(PLAN_JSON)).filter(|p| p.is_file());
    Ok(Some(report))
}

/// A report that could not be read, standing for its root: status error,
/// the cause as its error, nothing drifted.
fn unreadable(root: String, error: String) -> DriftReport {
    DriftReport {
        root,
        checked_at: 0,
        base_commit: String::new(),
        status: super::DriftStatus::Error,
        exit_code: None,
        error: Some(format!("unreadable drift report: {error}")),
        drifted: Vec::new(),
        digest: None,
        acks: Vec::new(),
        plan_json: None,
    }
}

/// Acknowledgements survive a new check: they are bound to a digest.
pub fn previous_acks(source: &dyn Backend, root: &str) -> Vec<DriftAck> {
    get(source, root)
        .ok()
        .flatten()
        .map(|r| r.acks)
        .unwrap_or_default()
}

/// Every stored report, sorted by root.
pub fn list(source: &dyn Backend) -> Result<Vec<DriftReport>, DriftError> {
    let dir = drift_dir(source)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir, &e)),
    };
    let mut reports = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io(&dir, &e))?;
        // Names `encode` never makes (temporary files) are skipped.
        let Some(root) = entry.file_name().to_str().and_then(decode) else {
            continue;
        };
        // One unreadable report is listed as an error of its own root;
        // the other roots' reports are read as usual.
        match read(&entry.path()) {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {}
            Err(e) => reports.push(unreadable(root, e.to_string())),
        }
    }
    reports.sort_by(|a, b| a.root.cmp(&b.root));
    Ok(reports)
}

/// Writes a dot-named temporary file beside `path`, then renames it over.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DriftError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = path.with_file_name(format!(".{name}.{}-{nanos}", std::process::id()));
    let written = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io(path, &e));
    }
    Ok(())
}

fn io(path: &Path, e: &std::io::Error) -> DriftError {
    DriftError::Io(format!("{}: {e}", path.display()))
}
