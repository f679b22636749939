//! A backend in memory for tests (`test-util` feature, and this crate's own
//! unit tests): requests, plans and decisions set up by the test, errors
//! scripted per capability method, and a record of every call, so front-end
//! tests run without git, Terraform or a terminal and can assert what was
//! asked of the backend (and what was not: no write in read-only mode).

use super::{
    Backend, BackendError, Decisions, LocalState, MergePurpose, Merges, NewPlan, PlanArtifacts,
    Reports, Requests, Reviewers, Workspaces,
};
use crate::cost::CostReport;
use crate::domain::{Decision, Identity, MergedRequest, PlanOrigin, Request, StoredPlan};
use crate::plan::{Plan, parse_plan_text};
use crate::review::CodeOwners;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The backend in memory.
#[derive(Debug, Default)]
pub struct FakeBackend {
    state: Mutex<FakeState>,
}

#[derive(Debug, Default)]
struct FakeState {
    requests: Vec<Request>,
    /// (request, root) → stored plan and its JSON.
    plans: BTreeMap<(String, String), (StoredPlan, Arc<String>)>,
    /// Every plan ever stored, by digest.
    by_digest: HashMap<String, Arc<String>>,
    decisions: Vec<Decision>,
    reviewer: Option<Identity>,
    diffs: HashMap<String, String>,
    state_dir: Option<PathBuf>,
    failures: HashMap<&'static str, VecDeque<BackendError>>,
    calls: Vec<String>,
    merges: usize,
}

impl FakeBackend {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock poisons it; the data
        // is still what the test set up.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an open request (listed in the order added).
    pub fn with_request(self, request: Request) -> Self {
        self.state().requests.push(request);
        self
    }

    /// Stores `plan_json` for a request's root at the request's head.
    pub fn with_plan(self, request: &str, root: &str, plan_json: &str) -> Self {
        let head = self
            .state()
            .requests
            .iter()
            .find(|r| r.id == request)
            .map(|r| r.head.clone())
            .unwrap_or_default();
        self.put(request, root, &head, plan_json)
            .unwrap_or_else(|e| panic!("a test plan must read: {e}"));
        self
    }

    pub fn with_reviewer(self, who: Identity) -> Self {
        self.state().reviewer = Some(who);
        self
    }

    pub fn with_diff(self, request: &str, diff: &str) -> Self {
        self.state().diffs.insert(request.into(), diff.into());
        self
    }

    /// Where drift reports and locks go (none: `state_dir` is an error).
    pub fn with_state_dir(self, dir: &Path) -> Self {
        self.state().state_dir = Some(dir.to_path_buf());
        self
    }

    /// The next call of `method` (a capability method's name) fails so.
    pub fn fail_next(&self, method: &'static str, error: BackendError) {
        self.state()
            .failures
            .entry(method)
            .or_default()
            .push_back(error);
    }

    /// Every call so far, as `method` or `method ARGUMENT`, in order.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// The decisions recorded so far.
    pub fn recorded(&self) -> Vec<Decision> {
        self.state().decisions.clone()
    }

    /// Records the call and answers a scripted failure, if one is due.
    fn call(&self, method: &'static str, argument: &str) -> Result<(), BackendError> {
        let mut state = self.state();
        state.calls.push(if argument.is_empty() {
            method.to_string()
        } else {
            format!("{method} {argument}")
        });
        match state.failures.get_mut(method).and_then(VecDeque::pop_front) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn put(
        &self,
        request: &str,
        root: &str,
        head: &str,
        plan_json: &str,
    ) -> Result<StoredPlan, BackendError> {
        let text = Arc::new(plan_json.to_string());
        let plan = parse_plan_text(Arc::clone(&text)).map_err(|e| {
            BackendError::Plan(crate::plan::LoadError {
                source_name: format!("{request} {root}"),
                error: e,
            })
        })?;
        let stored = StoredPlan {
            request: request.into(),
            root: root.into(),
            head: head.into(),
            stored_at: 0,
            origin: PlanOrigin::Imported,
            digest: plan.digest.clone(),
            plan_json: PathBuf::from(format!("fake://{request}/{root}/plan.json")),
            plan_file: None,
            cost_json: None,
        };
        let mut state = self.state();
        state.by_digest.insert(plan.digest, Arc::clone(&text));
        state
            .plans
            .insert((request.into(), root.into()), (stored.clone(), text));
        Ok(stored)
    }
}

impl Requests for FakeBackend {
    fn describe(&self) -> String {
        "fake backend".into()
    }

    fn list_requests(&self) -> Result<Vec<Request>, BackendError> {
        self.call("list_requests", "")?;
        Ok(self.state().requests.clone())
    }

    fn resolve_request(&self, name_or_number: &str) -> Result<Request, BackendError> {
        self.call("resolve_request", name_or_number)?;
        self.state()
            .requests
            .iter()
            .find(|r| r.id == name_or_number)
            .cloned()
            .ok_or_else(|| BackendError::NotFound(format!("no open request `{name_or_number}`")))
    }

    fn code_diff(&self, request: &Request) -> Result<String, BackendError> {
        self.call("code_diff", &request.id)?;
        Ok(self
            .state()
            .diffs
            .get(&request.id)
            .cloned()
            .unwrap_or_default())
    }

    fn code_owners(&self) -> Result<Option<CodeOwners>, BackendError> {
        self.call("code_owners", "")?;
        Ok(None)
    }

    fn base_commit(&self, base: &str) -> Result<String, BackendError> {
        self.call("base_commit", base)?;
        Ok("base".into())
    }

    fn fork_point(&self, request: &Request) -> Result<String, BackendError> {
        self.call("fork_point", &request.id)?;
        Ok(request.base.clone())
    }

    fn files_at(&self, commit: &str) -> Result<Vec<String>, BackendError> {
        self.call("files_at", commit)?;
        Ok(Vec::new())
    }
}

impl PlanArtifacts for FakeBackend {
    fn store_plan(
        &self,
        request: &Request,
        root: &str,
        plan: NewPlan<'_>,
    ) -> Result<StoredPlan, BackendError> {
        self.call("store_plan", &format!("{} {root}", request.id))?;
        let text = String::from_utf8_lossy(plan.plan_json).into_owned();
        self.put(&request.id, root, plan.head, &text)
    }

    fn stored_plan(
        &self,
        request: &Request,
        root: &str,
    ) -> Result<Option<StoredPlan>, BackendError> {
        self.call("stored_plan", &format!("{} {root}", request.id))?;
        let key = (request.id.clone(), root.to_string());
        Ok(self
            .state()
            .plans
            .get(&key)
            .map(|(stored, _)| stored.clone()))
    }

    fn load_plan(&self, stored: &StoredPlan) -> Result<(Plan, Option<CostReport>), BackendError> {
        self.call("load_plan", &format!("{} {}", stored.request, stored.root))?;
        let key = (stored.request.clone(), stored.root.clone());
        let text = self
            .state()
            .plans
            .get(&key)
            .map(|(_, text)| Arc::clone(text))
            .ok_or_else(|| BackendError::NotFound(format!("no plan for {}", stored.root)))?;
        let plan = parse_plan_text(text)
            .map_err(|e| BackendError::Parse(format!("{}: {e}", stored.root)))?;
        Ok((plan, None))
    }

    fn plan_by_digest(
        &self,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<Option<Plan>, BackendError> {
        self.call("plan_by_digest", &format!("{} {root} {digest}", request.id))?;
        let text = self.state().by_digest.get(digest).cloned();
        text.map(|t| parse_plan_text(t).map_err(|e| BackendError::Parse(e.to_string())))
            .transpose()
    }
}

impl Decisions for FakeBackend {
    fn decisions(&self, request: &Request) -> Result<Vec<Decision>, BackendError> {
        self.call("decisions", &request.id)?;
        Ok(self
            .state()
            .decisions
            .iter()
            .filter(|d| d.request == request.id)
            .cloned()
            .collect())
    }

    fn all_decisions(&self) -> Result<Vec<Decision>, BackendError> {
        self.call("all_decisions", "")?;
        Ok(self.state().decisions.clone())
    }

    fn record_decision(&self, decision: &Decision) -> Result<(), BackendError> {
        self.call(
            "record_decision",
            &format!(
                "{} {} {}",
                decision.kind.word(),
                decision.request,
                decision.root
            ),
        )?;
        self.state().decisions.push(decision.clone());
        Ok(())
    }
}

impl Reviewers for FakeBackend {
    fn reviewer(&self) -> Result<Identity, BackendError> {
        self.call("reviewer", "")?;
        self.state()
            .reviewer
            .clone()
            .ok_or_else(|| BackendError::Auth("the fake backend has no reviewer".into()))
    }
}

impl Workspaces for FakeBackend {
    fn check_out(&self, commit: &str, dir: &Path) -> Result<(), BackendError> {
        self.call("check_out", commit)?;
        std::fs::create_dir_all(dir).map_err(|e| BackendError::Io(e.to_string()))
    }

    fn remove_checkout(&self, dir: &Path) {
        let _ = self.call("remove_checkout", "");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn prune_checkouts(&self) {
        let _ = self.call("prune_checkouts", "");
    }
}

impl Merges for FakeBackend {
    fn merge(
        &self,
        request: &Request,
        _roots: &[(String, String)],
        purpose: MergePurpose,
    ) -> Result<String, BackendError> {
        self.call("merge", &format!("{} {purpose:?}", request.id))?;
        let mut state = self.state();
        state.merges += 1;
        Ok(format!("{:040x}", state.merges))
    }

    fn merged_for_apply(&self, id: &str) -> Result<Option<MergedRequest>, BackendError> {
        self.call("merged_for_apply", id)?;
        Ok(None)
    }
}

impl LocalState for FakeBackend {
    fn state_dir(&self) -> Result<PathBuf, BackendError> {
        self.call("state_dir", "")?;
        self.state()
            .state_dir
            .clone()
            .ok_or_else(|| BackendError::NotFound("the fake backend keeps no local state".into()))
    }
}

impl Reports for FakeBackend {}
impl super::ApplyRuns for FakeBackend {}

impl Backend for FakeBackend {}

/// The calls that change something where the backend keeps it.
pub const WRITES: &[&str] = &["store_plan", "record_decision", "merge", "check_out"];

impl FakeBackend {
    /// Replaces the open requests (a request merged or opened meanwhile).
    pub fn set_requests(&self, requests: Vec<Request>) {
        self.state().requests = requests;
    }
}
