//! Loading what the screens show, on the blocking pool: the request list
//! (every root's plan summary, gate, drift check and apply state) and one
//! root's plan with its review. Pure reads: nothing here writes.

use super::ApplyState;
use super::msg::{LoadedPlan, ProgressKey, RequestEntry, RequestsSnapshot, RootPlanInfo};
use super::plan_view::Settings;
use super::progress;
use super::summary_cache::{PlanDigest, SummaryCache};
use crate::backend::BackendError;
use crate::backend::prelude::*;
use crate::review::{CodeOwners, Decision, PlanFacts};
use crate::source::Request;
use crate::source::gate::{facts_of, review_root};
use crate::summary::Summary;
use std::path::PathBuf;
use std::sync::Arc;

/// What a list load reads beside the source.
#[derive(Clone, Copy)]
pub(super) struct ListStores<'a> {
    pub drift: Option<&'a dyn crate::drift::DriftOps>,
    /// The local executor's apply locks.
    pub locks: Option<&'a std::path::Path>,
    pub summaries: &'a SummaryCache,
}

/// What every root of one list load shares.
struct ListContext<'a> {
    source: &'a dyn Backend,
    settings: &'a Settings,
    owners: Option<&'a CodeOwners>,
    summaries: &'a SummaryCache,
    now: i64,
}

pub(super) fn load_requests(
    source: &dyn Backend,
    stores: ListStores<'_>,
    settings: &Settings,
    data_dir: Option<PathBuf>,
    now: i64,
) -> Result<RequestsSnapshot, BackendError> {
    // CODEOWNERS, and the request list with every bundle, side by side;
    // each stored plan's summary is computed as its bundle arrives.
    let mut listed = Vec::new();
    let (plans, summaries_to_make) = std::sync::mpsc::channel::<crate::domain::StoredPlan>();
    let summaries_to_make = std::sync::Mutex::new(summaries_to_make);
    let next = || {
        summaries_to_make
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv()
            .ok()
    };
    let (result, owners) = std::thread::scope(|scope| {
        // Owned here: a panic below drops it, and the workers then stop.
        let plans = plans;
        let owners = scope.spawn(|| source.code_owners());
        let workers: Vec<_> = (0..threads())
            .map(|_| {
                scope.spawn(|| {
                    while let Some(stored) = next() {
                        // An error is met again, and shown, by `root_info`.
                        let _ = plan_digest(source, settings, stores.summaries, &stored);
                    }
                })
            })
            .collect();
        let result = source.list_with_bundles(&mut |item| {
            if let Ok(bundle) = &item.bundle {
                for root in &bundle.roots {
                    if let Ok(Some(stored)) = &root.stored {
                        let _ = plans.send(stored.clone());
                    }
                }
            }
            listed.push(item);
        });
        drop(plans);
        for worker in workers {
            worker
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        let owners = owners
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (result, owners)
    });
    result?;
    let owners = owners?;
    listed.sort_by_key(|item| item.position);
    // A missing or unreadable drift store only leaves the column empty.
    let drift_reports = stores
        .drift
        .and_then(|d| d.drift_summaries().ok())
        .unwrap_or_default();
    let ctx = ListContext {
        source,
        settings,
        owners: owners.as_ref(),
        summaries: stores.summaries,
        now,
    };
    let bundles = listed
        .into_iter()
        .map(|item| item.bundle.map(|bundle| (item.request, bundle)))
        .collect::<Result<Vec<_>, _>>()?;
    // Each root's summary is read and computed on its own: a few threads
    // share them.
    let entries = map_on_threads(bundles, |(request, bundle)| {
        let request = &request;
        // Unreadable decisions count as none: the gate then refuses.
        let decisions = bundle.decisions.unwrap_or_default();
        let roots = bundle
            .roots
            .into_iter()
            .map(|root| RootPlanInfo {
                drift: drift_reports.iter().find(|d| d.root == root.path).cloned(),
                apply: ApplyState::of(stores.locks, &decisions, request, &root.path),
                pending: root.pending,
                ..root_info(&ctx, request, &root.path, root.stored, &decisions)
            })
            .collect();
        RequestEntry {
            request: bundle.request,
            roots,
            forge_reviews: bundle.forge_reviews,
        }
    });
    let describe = source.describe();
    Ok(RequestsSnapshot {
        entries,
        reviewer: source.reviewer().ok(),
        seen: data_dir
            .map(|d| progress::load_seen(&d, &describe))
            .unwrap_or_default(),
        source: describe,
        api_rate: source.api_rate(),
    })
}

/// How many threads CPU-bound work of a list load uses: up to eight.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// A stored plan's summary, digest and destructive changes, from the cache
/// or read and computed (then kept).
fn plan_digest(
    source: &dyn Backend,
    settings: &Settings,
    summaries: &SummaryCache,
    stored: &crate::domain::StoredPlan,
) -> Result<PlanDigest, BackendError> {
    summaries.get_or_compute(stored, || {
        let (plan, cost) = source.load_plan(stored)?;
        Ok::<_, BackendError>(PlanDigest {
            summary: Summary::of(&plan, &settings.risk, cost.as_ref(), &settings.thresholds),
            destructive: facts_of(&plan, &stored.head).destructive,
            digest: plan.digest.clone(),
        })
    })
}

/// `work` over `items` on up to eight threads, the results in order. A
/// panic in one is raised again here, as if `work` had run on this thread.
fn map_on_threads<T: Send, R: Send>(items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = threads();
    if threads < 2 || items.len() < 2 {
        return items.into_iter().map(work).collect();
    }
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    let next = || {
        queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next()
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some((at, item)) = next() {
                        done.push((at, work(item)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, r)| r).collect()
}

fn root_info(
    ctx: &ListContext<'_>,
    request: &Request,
    root: &str,
    stored: Result<Option<crate::domain::StoredPlan>, crate::backend::BackendError>,
    decisions: &[Decision],
) -> RootPlanInfo {
    let ListContext {
        source,
        settings,
        owners,
        summaries,
        now,
    } = *ctx;
    let gate = |facts: Option<PlanFacts>| {
        Some(
            review_root(
                &settings.config,
                request,
                root,
                facts,
                decisions,
                owners,
                now,
            )
            .report,
        )
    };
    let stored = match stored {
        Ok(stored) => stored,
        Err(e) => {
            return RootPlanInfo {
                stored: None,
                summary: None,
                gate: gate(None),
                error: Some(e.to_string()),
                drift: None,
                apply: None,
                pending: false,
            };
        }
    };
    let Some(stored) = stored else {
        return RootPlanInfo {
            stored: None,
            summary: None,
            gate: gate(None),
            error: None,
            drift: None,
            apply: None,
            pending: false,
        };
    };
    let read = plan_digest(source, settings, summaries, &stored);
    match read {
        Ok(read) => RootPlanInfo {
            gate: gate(Some(PlanFacts {
                digest: read.digest,
                head: stored.head.clone(),
                destructive: read.destructive,
                moving_sources: read
                    .summary
                    .moving_module_sources
                    .iter()
                    .map(|m| m.module.clone())
                    .collect(),
            })),
            summary: Some(read.summary),
            stored: Some(stored),
            error: None,
            drift: None,
            apply: None,
            pending: false,
        },
        Err(e) => RootPlanInfo {
            stored: Some(stored),
            summary: None,
            gate: gate(None),
            error: Some(e.to_string()),
            drift: None,
            apply: None,
            pending: false,
        },
    }
}

pub(super) fn load_plan(
    source: &dyn Backend,
    settings: &Settings,
    data_dir: Option<PathBuf>,
    request: &Request,
    root: &str,
    now: i64,
) -> Result<LoadedPlan, BackendError> {
    let stored = source
        .stored_plan(request, root)?
        .ok_or_else(|| BackendError::NotFound(format!("no stored plan for {root}")))?;
    let (plan, cost) = source.load_plan(&stored)?;
    let summary = Summary::of(&plan, &settings.risk, cost.as_ref(), &settings.thresholds);
    let risks = plan
        .resource_changes
        .iter()
        .map(|rc| settings.risk.assess(rc).risk)
        .collect();
    let reviewer = source.reviewer().map_err(|e| e.to_string());
    let viewed = match (data_dir, &reviewer) {
        (Some(dir), Ok(reviewer)) => progress::load_viewed(
            &dir,
            &ProgressKey {
                reviewer: reviewer.stable_id(),
                request: request.id.clone(),
                root: root.to_string(),
                digest: plan.digest.clone(),
            },
        ),
        _ => Default::default(),
    };
    let decisions = source.decisions(request)?;
    let owners = source.code_owners()?;
    let facts = facts_of(&plan, &stored.head);
    let review = review_root(
        &settings.config,
        request,
        root,
        Some(facts),
        &decisions,
        owners.as_ref(),
        now,
    );
    let since_approval = reviewer
        .as_ref()
        .ok()
        .and_then(|who| stale_approval(&decisions, root, who, &plan.digest))
        .and_then(|digest| {
            let old = source
                .plan_by_digest(request, root, &digest)
                .ok()
                .flatten()?;
            let options = crate::render::RenderOptions::default();
            let ctx = crate::render::RenderContext {
                risk: &settings.risk,
                cost: cost.as_ref(),
                cost_thresholds: &settings.thresholds,
                options: &options,
            };
            Some((
                digest,
                crate::delta::delta_lines(&crate::delta::compare(&old, &plan), &ctx),
            ))
        });
    Ok(LoadedPlan {
        plan: Arc::new(plan),
        cost: cost.map(Arc::new),
        summary,
        risks,
        stored,
        viewed,
        review,
        decisions,
        reviewer,
        since_approval,
        apply: None,
    })
}

/// A loaded plan with its root's apply state (lock, last result).
pub(super) fn with_apply_state(
    mut plan: LoadedPlan,
    locks: Option<&std::path::Path>,
    request: &Request,
    root: &str,
) -> Box<LoadedPlan> {
    plan.apply = ApplyState::of(locks, &plan.decisions, request, root);
    Box::new(plan)
}

/// The digest of the reviewer's latest approval of this root, when it is
/// not the current plan's and they have not approved the current one.
fn stale_approval(
    decisions: &[Decision],
    root: &str,
    who: &crate::source::Identity,
    digest: &str,
) -> Option<String> {
    let mine = |d: &&Decision| {
        d.kind == crate::review::DecisionKind::Approve
            && d.root == root
            && crate::review::same_person(&d.who, who)
    };
    if decisions.iter().filter(mine).any(|d| d.digest == digest) {
        return None;
    }
    decisions.iter().rev().find(mine).map(|d| d.digest.clone())
}

#[cfg(test)]
mod thread_tests {
    use super::map_on_threads;

    #[test]
    fn work_on_threads_keeps_the_order_of_the_items() {
        let items: Vec<u64> = (0..500).collect();
        let squares = map_on_threads(items, |n| {
            // Uneven work, so threads finish out of order.
            if n % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            n * n
        });
        assert_eq!(squares, (0..500u64).map(|n| n * n).collect::<Vec<_>>());
    }
}
