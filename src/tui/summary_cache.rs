//! Summaries of stored plans kept between list loads. The list is loaded
//! again after every decision and plan; without this each load would parse
//! every stored plan (half a second for a 100 MB one). An entry is keyed by
//! the files' identity (path, size, modification time) and the plan's
//! digest, so a re-imported or re-made plan is read afresh.

use crate::source::StoredPlan;
use crate::summary::Summary;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// What the list needs of a stored plan.
#[derive(Clone, Debug)]
pub struct PlanDigest {
    pub summary: Summary,
    /// The digest computed from the plan itself.
    pub digest: String,
    /// Addresses of its deletes and replacements (the gate's facts).
    pub destructive: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FileStamp {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    digest: String,
    plan: FileStamp,
    cost: Option<FileStamp>,
}

#[derive(Debug, Default)]
pub struct SummaryCache {
    entries: Mutex<HashMap<Key, PlanDigest>>,
}

impl SummaryCache {
    /// The cached summary of `stored`, or the one `compute` makes (then
    /// kept). A file that cannot be stat'ed is computed and not kept.
    pub fn get_or_compute<E>(
        &self,
        stored: &StoredPlan,
        compute: impl FnOnce() -> Result<PlanDigest, E>,
    ) -> Result<PlanDigest, E> {
        let key = FileStamp::of(&stored.plan_json).map(|plan| Key {
            digest: stored.digest.clone(),
            plan,
            cost: stored.cost_json.as_deref().and_then(FileStamp::of),
        });
        let hit = key
            .as_ref()
            .and_then(|key| self.entries.lock().ok()?.get(key).cloned());
        if let Some(hit) = hit {
            return Ok(hit);
        }
        let computed = compute()?;
        if let (Some(key), Ok(mut entries)) = (key, self.entries.lock()) {
            // Only the current version of each plan file is worth keeping.
            entries.retain(|k, _| k.plan.path != key.plan.path);
            entries.insert(key, computed.clone());
        }
        Ok(computed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PlanOrigin;
    use std::cell::Cell;

    fn summary_of(text: &str) -> PlanDigest {
        let plan = crate::plan::parse_plan_text(std::sync::Arc::new(text.to_string()))
            .expect("plan parses");
        PlanDigest {
            summary: Summary::of(
                &plan,
                &crate::risk::RiskPolicy::default(),
                None,
                &crate::cost::CostThresholds::default(),
            ),
            digest: plan.digest.clone(),
            destructive: Vec::new(),
        }
    }

    const ONE_CREATE: &str = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.a","type":"null_resource","name":"a","change":{"actions":["create"],"before":null,"after":{}}}]}"#;
    const TWO_CREATES: &str = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.a","type":"null_resource","name":"a","change":{"actions":["create"],"before":null,"after":{}}},{"address":"null_resource.b","type":"null_resource","name":"b","change":{"actions":["create"],"before":null,"after":{}}}]}"#;

    #[test]
    fn a_plan_is_read_once_until_its_file_or_digest_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        std::fs::write(&path, ONE_CREATE).expect("write");
        let mut stored = StoredPlan {
            request: "request/1".into(),
            root: "apps/web/dev".into(),
            head: "abc".into(),
            stored_at: 0,
            origin: PlanOrigin::Imported,
            digest: "sha256:one".into(),
            plan_json: path.clone(),
            plan_file: None,
            cost_json: None,
        };
        let cache = SummaryCache::default();
        let reads = Cell::new(0);
        let read = |stored: &StoredPlan| {
            cache
                .get_or_compute(stored, || {
                    reads.set(reads.get() + 1);
                    let text = std::fs::read_to_string(&stored.plan_json).expect("read");
                    Ok::<_, ()>(summary_of(&text))
                })
                .expect("summary")
        };
        assert_eq!(read(&stored).summary.counts.create, 1);
        assert_eq!(read(&stored).summary.counts.create, 1);
        assert_eq!(reads.get(), 1, "the second load is served from the cache");
        // A re-imported plan: other content, other size.
        std::fs::write(&path, TWO_CREATES).expect("write");
        assert_eq!(read(&stored).summary.counts.create, 2);
        assert_eq!(reads.get(), 2);
        // The same file under another digest (the store's record changed).
        stored.digest = "sha256:two".into();
        read(&stored);
        assert_eq!(reads.get(), 3);
        // A file that cannot be stat'ed is read every time.
        stored.plan_json = dir.path().join("missing.json");
        let missing = cache.get_or_compute(&stored, || Err::<PlanDigest, _>("gone"));
        assert_eq!(missing.err(), Some("gone"));
    }
}
