//! The plan store: plans kept per request and root under the repository's
//! git dir, at `<git-dir>/plandeck/plans/<request>/<root>/`, holding
//! `plan.json`, the optional binary `plan.tfplan`, the optional `cost.json`
//! and `meta.json` (`head`, `stored_at`, `origin`, `digest`).
//!
//! Request and root names are untrusted (branch names, paths): each becomes
//! one directory name by a reversible percent-encoding, so no name can climb
//! out of the store or collide with another. A plan is validated before it is
//! stored and written into a temporary directory that is renamed into place,
//! so a crash never leaves half a plan. This module never runs tofu or git
//! and never renders.

use super::{BackendError, PlanOrigin, StoredPlan};
use crate::cost::{self, CostReport};
use crate::plan::{self, LoadError, Plan};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const PLAN_JSON: &str = "plan.json";
const PLAN_FILE: &str = "plan.tfplan";
const COST_JSON: &str = "cost.json";
const META_JSON: &str = "meta.json";
/// Most file systems refuse longer directory names.
const MAX_NAME_BYTES: usize = 255;

/// `meta.json`: what the store knows about a plan besides its files.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    head: String,
    stored_at: i64,
    origin: PlanOrigin,
    digest: String,
}

/// Plans of every request and root of one repository.
#[derive(Clone, Debug)]
pub struct PlanStore {
    dir: PathBuf,
}

impl PlanStore {
    /// The store of the repository whose (common) git dir is `git_dir`.
    /// Nothing is created until a plan is stored.
    pub fn open(git_dir: &Path) -> Self {
        Self {
            dir: git_dir.join("plandeck").join("plans"),
        }
    }

    /// Validates and stores a plan, replacing any earlier one of that
    /// request and root. `plan_file` is copied into the store.
    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &self,
        request: &str,
        root: &str,
        head: &str,
        origin: PlanOrigin,
        plan_json: &[u8],
        plan_file: Option<&Path>,
        cost_json: Option<&[u8]>,
    ) -> Result<StoredPlan, BackendError> {
        let parsed = parse_plan_bytes(plan_json)?;
        if let Some(cost) = cost_json {
            let text = std::str::from_utf8(cost).map_err(|e| {
                cost::CostError::NotCostJson(format!("invalid UTF-8 at byte {}", e.valid_up_to()))
            })?;
            cost::parse_cost(text)?;
        }
        let meta = Meta {
            head: head.to_string(),
            stored_at: now(),
            origin,
            digest: parsed.digest,
        };
        let parent = self.dir.join(encode(request)?);
        let target = parent.join(encode(root)?);
        std::fs::create_dir_all(&parent).map_err(|e| io_error(&parent, &e))?;
        self.keep_history(request, root)?;
        let staging = unique_dir(&parent, "tmp")?;
        let written = write_files(&staging, &meta, plan_json, plan_file, cost_json)
            .and_then(|()| swap_into_place(&staging, &target, &parent));
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        written?;
        self.get(request, root)?.ok_or_else(|| {
            BackendError::Io(format!("{}: plan vanished after storing", target.display()))
        })
    }

    /// Keeps the plan about to be replaced under its digest, so a re-review
    /// can compare the plan someone approved with the current one.
    fn keep_history(&self, request: &str, root: &str) -> Result<(), BackendError> {
        let Some(current) = self.get(request, root)? else {
            return Ok(());
        };
        let dir = self.history_dir(request, root)?;
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, &e))?;
        let kept = dir.join(history_name(&current.digest));
        if !kept.exists() {
            std::fs::copy(&current.plan_json, &kept).map_err(|e| io_error(&kept, &e))?;
        }
        Ok(())
    }

    fn history_dir(&self, request: &str, root: &str) -> Result<PathBuf, BackendError> {
        // A dot name: never taken for a root by `list`.
        Ok(self
            .dir
            .join(encode(request)?)
            .join(format!(".history-{}", encode(root)?)))
    }

    /// An earlier plan of a request's root by its digest, if it was kept.
    pub fn historical(
        &self,
        request: &str,
        root: &str,
        digest: &str,
    ) -> Result<Option<PathBuf>, BackendError> {
        // The digest comes from decisions anyone can write: only a digest
        // of a known scheme (hex digits) may name a file, never `../x`.
        if crate::plan::digest_scheme(digest).is_none() {
            return Ok(None);
        }
        let path = self.history_dir(request, root)?.join(history_name(digest));
        if path.exists() {
            return Ok(Some(path));
        }
        Ok(self
            .get(request, root)?
            .filter(|p| p.digest == digest)
            .map(|p| p.plan_json))
    }

    /// The stored plan of a request's root, if there is one.
    pub fn get(&self, request: &str, root: &str) -> Result<Option<StoredPlan>, BackendError> {
        let dir = self.dir.join(encode(request)?).join(encode(root)?);
        let meta_path = dir.join(META_JSON);
        let text = match std::fs::read_to_string(&meta_path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&meta_path, &e)),
        };
        let meta: Meta = serde_json::from_str(&text).map_err(|e| {
            BackendError::Invalid(format!("{}: invalid metadata: {e}", meta_path.display()))
        })?;
        let optional = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        Ok(Some(StoredPlan {
            request: request.to_string(),
            root: root.to_string(),
            head: meta.head,
            stored_at: meta.stored_at,
            origin: meta.origin,
            digest: meta.digest,
            plan_json: dir.join(PLAN_JSON),
            plan_file: optional(PLAN_FILE),
            cost_json: optional(COST_JSON),
        }))
    }

    /// Every stored plan of a request, sorted by root.
    pub fn list(&self, request: &str) -> Result<Vec<StoredPlan>, BackendError> {
        let dir = self.dir.join(encode(request)?);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&dir, &e)),
        };
        let mut plans = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, &e))?;
            // Staging and replaced directories start with a dot; names never do.
            let Some(root) = entry.file_name().to_str().and_then(decode) else {
                continue;
            };
            if let Some(plan) = self.get(request, &root)? {
                plans.push(plan);
            }
        }
        plans.sort_by(|a, b| a.root.cmp(&b.root));
        Ok(plans)
    }

    /// Loads a stored plan and its cost estimate, refusing a plan whose
    /// content no longer matches the digest recorded when it was stored. A
    /// plan recorded under an older digest scheme cannot be checked against
    /// its record: it loads with its digest of this scheme, and approvals of
    /// the old digest show as stale for that reason.
    pub fn load(&self, stored: &StoredPlan) -> Result<(Plan, Option<CostReport>), BackendError> {
        let plan = plan::load_plan(&stored.plan_json)?;
        if plan.digest != stored.digest && plan::scheme_change(&stored.digest).is_none() {
            return Err(BackendError::Invalid(format!(
                "{}: the plan does not match its recorded digest {} (changed on disk, or stored \
                 by another plandeck version); plan or import it again",
                stored.plan_json.display(),
                stored.digest
            )));
        }
        let cost = stored
            .cost_json
            .as_deref()
            .map(cost::load_cost_file)
            .transpose()?;
        Ok((plan, cost))
    }
}

fn parse_plan_bytes(bytes: &[u8]) -> Result<Plan, BackendError> {
    let load_error = |error| LoadError {
        source_name: "plan JSON".to_string(),
        error,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| load_error(plan::PlanError::InvalidUtf8(e.valid_up_to())))?;
    Ok(plan::parse_plan(Arc::from(text)).map_err(load_error)?)
}

fn write_files(
    dir: &Path,
    meta: &Meta,
    plan_json: &[u8],
    plan_file: Option<&Path>,
    cost_json: Option<&[u8]>,
) -> Result<(), BackendError> {
    write(&dir.join(PLAN_JSON), plan_json)?;
    if let Some(source) = plan_file {
        let target = dir.join(PLAN_FILE);
        std::fs::copy(source, &target).map_err(|e| io_error(source, &e))?;
    }
    if let Some(cost) = cost_json {
        write(&dir.join(COST_JSON), cost)?;
    }
    let meta = serde_json::to_vec_pretty(meta)
        .map_err(|e| BackendError::Io(format!("cannot encode plan metadata: {e}")))?;
    // Written last: a directory without it is never read as a plan.
    write(&dir.join(META_JSON), &meta)
}

/// Renames the finished staging directory to `target`. A directory cannot
/// be renamed over a non-empty one, so an earlier plan is first moved aside
/// (to a dot name that readers skip) and removed afterwards.
fn swap_into_place(staging: &Path, target: &Path, parent: &Path) -> Result<(), BackendError> {
    let old = if target.exists() {
        let old = unique_name(parent, "old");
        std::fs::rename(target, &old).map_err(|e| io_error(target, &e))?;
        Some(old)
    } else {
        None
    };
    std::fs::rename(staging, target).map_err(|e| io_error(target, &e))?;
    if let Some(old) = old {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

/// `sha256:abc…` as a file name.
fn history_name(digest: &str) -> String {
    format!("{}.json", digest.replace(':', "-"))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    std::fs::write(path, bytes).map_err(|e| io_error(path, &e))
}

fn unique_dir(parent: &Path, kind: &str) -> Result<PathBuf, BackendError> {
    let dir = unique_name(parent, kind);
    std::fs::create_dir(&dir).map_err(|e| io_error(&dir, &e))?;
    Ok(dir)
}

/// A fresh dot name in `parent`: process id, a counter and the clock.
fn unique_name(parent: &Path, kind: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    parent.join(format!(".{kind}-{}-{n}-{nanos}", std::process::id()))
}

use crate::clock::unix_now as now;

fn io_error(path: &Path, e: &std::io::Error) -> BackendError {
    BackendError::Io(format!("{}: {e}", path.display()))
}

/// Encodes a name as one safe directory name: bytes outside
/// `[A-Za-z0-9._-]`, and a leading dot, become `%XX`.
pub fn encode(name: &str) -> Result<String, BackendError> {
    if name.is_empty() {
        return Err(BackendError::Invalid(
            "an empty name cannot be stored".into(),
        ));
    }
    let mut out = String::with_capacity(name.len());
    for (i, byte) in name.bytes().enumerate() {
        let plain = byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-');
        if plain && !(i == 0 && byte == b'.') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if out.len() > MAX_NAME_BYTES {
        return Err(BackendError::Invalid(format!(
            "name too long to store ({} bytes encoded, the limit is {MAX_NAME_BYTES})",
            out.len()
        )));
    }
    Ok(out)
}

/// The name an [`encode`]d directory name stands for; `None` for names
/// `encode` never makes (staging directories, stray files).
pub fn decode(encoded: &str) -> Option<String> {
    if encoded.is_empty() || encoded.starts_with('.') {
        return None;
    }
    percent_decode(encoded)
}

/// `%XX` escapes decoded; None when one is malformed or the result is not UTF-8.
pub fn percent_decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.a","mode":"managed","type":"null_resource","name":"a","change":{"actions":["create"],"before":null,"after":{}}}]}"#;

    #[test]
    fn a_digest_from_a_decision_cannot_name_a_file_outside_the_history() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = PlanStore::open(dir.path());
        std::fs::create_dir_all(dir.path().join("plandeck")).expect("dir");
        std::fs::write(dir.path().join("plandeck/x.json"), "{}").expect("bait");
        for digest in ["../../x", "sha256:../../../x", "sha256:v2:../x"] {
            assert_eq!(
                store
                    .historical("request/1", "apps/web", digest)
                    .expect("ok"),
                None,
                "{digest}"
            );
        }
    }

    #[test]
    fn names_round_trip_and_stay_one_safe_component() {
        for name in [
            "request/42",
            "..",
            ".",
            "a%2Fb",
            "x\u{202e}y",
            "apps/web/prod1",
            "-x",
        ] {
            let encoded = encode(name).expect("encodes");
            assert!(
                !encoded.contains('/') && !encoded.starts_with('.'),
                "{encoded}"
            );
            assert_eq!(decode(&encoded).as_deref(), Some(name));
        }
        assert!(encode("").is_err());
        assert!(encode(&"é".repeat(100)).is_err());
    }

    #[test]
    fn put_get_list_and_replace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = PlanStore::open(dir.path());
        assert!(store.get("request/1", "a").expect("get").is_none());
        let first = store
            .put(
                "request/1",
                "a",
                "h1",
                PlanOrigin::Imported,
                PLAN.as_bytes(),
                None,
                None,
            )
            .expect("put");
        assert!(first.digest.starts_with("sha256:"));
        let second = store
            .put(
                "request/1",
                "a",
                "h2",
                PlanOrigin::Planned,
                PLAN.as_bytes(),
                None,
                None,
            )
            .expect("replace");
        assert_eq!(second.head, "h2");
        let listed = store.list("request/1").expect("list");
        assert_eq!(listed, vec![second.clone()]);
        let (plan, cost) = store.load(&second).expect("load");
        assert_eq!(plan.digest, second.digest);
        assert!(cost.is_none());
    }

    #[test]
    fn a_plan_changed_on_disk_is_refused_unless_recorded_under_an_older_scheme() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = PlanStore::open(dir.path());
        let stored = store
            .put(
                "r",
                "a",
                "h",
                PlanOrigin::Imported,
                PLAN.as_bytes(),
                None,
                None,
            )
            .expect("put");
        let edited = PLAN.replace("\"create\"", "\"delete\"");
        assert_ne!(edited, PLAN);
        std::fs::write(&stored.plan_json, &edited).expect("edit");
        let refused = store.load(&stored).expect_err("changed on disk");
        assert!(
            refused
                .to_string()
                .contains("does not match its recorded digest"),
            "{refused}"
        );
        // A record written before digest scheme 2 cannot be checked: the plan
        // loads with its digest of this scheme.
        std::fs::write(&stored.plan_json, PLAN).expect("restore");
        let old = StoredPlan {
            digest: format!("sha256:{}", "0".repeat(64)),
            ..stored.clone()
        };
        let (plan, _) = store.load(&old).expect("older scheme loads");
        assert_eq!(plan.digest, stored.digest);
        let foreign = StoredPlan {
            digest: "sha256:v2:not-a-digest".into(),
            ..stored
        };
        assert!(store.load(&foreign).is_err());
    }

    #[test]
    fn invalid_input_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = PlanStore::open(dir.path());
        let bad = store.put(
            "r",
            "a",
            "h",
            PlanOrigin::Imported,
            b"{\"format_version\":",
            None,
            None,
        );
        assert!(matches!(bad, Err(BackendError::Plan(_))), "{bad:?}");
        let bad_cost = store.put(
            "r",
            "a",
            "h",
            PlanOrigin::Imported,
            PLAN.as_bytes(),
            None,
            Some(b"[]"),
        );
        assert!(
            matches!(bad_cost, Err(BackendError::Cost(_))),
            "{bad_cost:?}"
        );
        assert!(store.list("r").expect("list").is_empty());
        assert!(!dir.path().join("plandeck/plans/r").exists());
    }
}
