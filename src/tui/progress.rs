//! What the reviewer did, kept across restarts in the platform data dir:
//! resources marked viewed per (reviewer, request, root, plan digest), and
//! the head each request had when it was last opened. Writes are atomic
//! (temporary file, then rename).

use super::msg::ProgressKey;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The data directory (`~/.local/share/plandeck` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "plandeck").map(|d| d.data_dir().to_path_buf())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ProgressFile {
    reviewer: String,
    request: String,
    root: String,
    digest: String,
    viewed: BTreeSet<String>,
}

fn hashed_name(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + ".json"
}

fn progress_path(dir: &Path, key: &ProgressKey) -> PathBuf {
    dir.join("progress").join(hashed_name(&[
        &key.reviewer,
        &key.request,
        &key.root,
        &key.digest,
    ]))
}

/// The addresses marked viewed (empty when nothing was saved).
pub fn load_viewed(dir: &Path, key: &ProgressKey) -> BTreeSet<String> {
    std::fs::read(progress_path(dir, key))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ProgressFile>(&bytes).ok())
        .filter(|f| f.digest == key.digest && f.request == key.request && f.root == key.root)
        .map(|f| f.viewed)
        .unwrap_or_default()
}

pub fn save_viewed(
    dir: &Path,
    key: &ProgressKey,
    viewed: &BTreeSet<String>,
) -> std::io::Result<()> {
    let file = ProgressFile {
        reviewer: key.reviewer.clone(),
        request: key.request.clone(),
        root: key.root.clone(),
        digest: key.digest.clone(),
        viewed: viewed.clone(),
    };
    write_atomic(&progress_path(dir, key), &serde_json::to_vec_pretty(&file)?)
}

fn seen_path(dir: &Path, source: &str) -> PathBuf {
    dir.join("seen").join(hashed_name(&[source]))
}

/// Request id → head commit when the operator last opened it, per source.
pub fn load_seen(dir: &Path, source: &str) -> BTreeMap<String, String> {
    std::fs::read(seen_path(dir, source))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

pub fn save_seen(dir: &Path, source: &str, request: &str, head: &str) -> std::io::Result<()> {
    let mut seen = load_seen(dir, source);
    seen.insert(request.to_string(), head.to_string());
    write_atomic(&seen_path(dir, source), &serde_json::to_vec_pretty(&seen)?)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}
