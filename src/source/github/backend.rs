//! The GitHub source as a [`crate::backend::Backend`]. Requests and the
//! reviewer are read from the API; what is not built yet answers
//! `BackendError::Invalid` saying so (plans from Actions artifacts,
//! decisions as reviews, checkouts, merges), so a front end shows why
//! instead of an empty answer.

use super::api::JSON;
use super::wire::{self, BranchInfo, Comparison, Tree, User};
use super::{GitHubSource, encode};
use crate::backend::{
    Backend, BackendError, Decisions, LocalState, MergePurpose, Merges, NewPlan, PlanArtifacts,
    Requests, Reviewers, Workspaces,
};
use crate::backend::{RequestBundle, RootBundle};
use crate::cost::CostReport;
use crate::domain::{Decision, Identity, MergedRequest, Provider, Request, StoredPlan};
use crate::plan::Plan;
use crate::review::CodeOwners;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// GitHub's raw media type: a file's bytes, not its JSON description.
const RAW: &str = "application/vnd.github.raw+json";

fn not_yet(what: &str) -> BackendError {
    BackendError::Invalid(format!("{what} is not supported on GitHub yet"))
}

impl GitHubSource {
    /// The first base branch: the one `base_commit` and CODEOWNERS read.
    fn first_base(&self) -> &str {
        self.shared
            .config
            .github
            .bases
            .first()
            .map_or("main", String::as_str)
    }

    pub(super) fn number(request: &Request) -> Result<u64, BackendError> {
        request
            .number
            .ok_or_else(|| BackendError::Invalid(format!("{:?} is not a pull request", request.id)))
    }

    /// GETs `path` and parses the body.
    fn get_json<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: String,
        what: &'static str,
    ) -> Result<T, BackendError> {
        self.block(|shared| async move {
            let page = shared.api.get(&path, JSON).await?;
            wire::parse(&page.body, what)
        })
    }
}

impl GitHubSource {
    /// The text of `path` on the first base branch (the policy's branch),
    /// `None` when it has none there.
    pub fn base_file(&self, path: &str) -> Result<Option<String>, BackendError> {
        let path = format!(
            "/repos/{}/contents/{}?ref={}",
            self.shared.repo,
            path.split('/').map(encode).collect::<Vec<_>>().join("/"),
            encode(self.first_base())
        );
        match self.block(|shared| async move { shared.api.get(&path, RAW).await }) {
            Ok(page) => Ok(Some(page.body.to_string())),
            Err(BackendError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Requests for GitHubSource {
    fn describe(&self) -> String {
        let github = &self.shared.config.github;
        format!(
            "github {} (pull requests into {})",
            self.shared.repo,
            github.bases.join(", ")
        )
    }

    fn list_requests(&self) -> Result<Vec<Request>, BackendError> {
        self.block(|shared| shared.list())
    }

    fn resolve_request(&self, name_or_number: &str) -> Result<Request, BackendError> {
        let name = name_or_number.to_string();
        self.block(move |shared| shared.one(name))
    }

    fn code_diff(&self, request: &Request) -> Result<String, BackendError> {
        let number = Self::number(request)?;
        let (base, head) = (request.base.clone(), request.head.clone());
        self.block(move |shared| shared.diff(number, base, head))
    }

    /// CODEOWNERS of the first base branch, where git looks for it: the
    /// three places asked at once, the first that has one wins.
    fn code_owners(&self) -> Result<Option<CodeOwners>, BackendError> {
        let base = encode(self.first_base());
        let paths: Vec<String> = ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"]
            .iter()
            .map(|path| format!("/repos/{}/contents/{path}?ref={base}", self.shared.repo))
            .collect();
        let reads = self.block(|shared| async move {
            let reads = paths.iter().map(|path| shared.api.get(path, RAW));
            Ok(futures_util::future::join_all(reads).await)
        })?;
        for read in reads {
            match read {
                Ok(page) => return Ok(Some(CodeOwners::parse(&page.body))),
                Err(BackendError::NotFound(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Ok(None)
    }

    fn base_commit(&self, base: &str) -> Result<String, BackendError> {
        let path = format!("/repos/{}/branches/{}", self.shared.repo, encode(base));
        let branch: BranchInfo = self.get_json(path, "the base branch")?;
        Ok(branch.commit.sha)
    }

    fn fork_point(&self, request: &Request) -> Result<String, BackendError> {
        let path = format!(
            "/repos/{}/compare/{}...{}",
            self.shared.repo,
            encode(&request.base),
            encode(&request.head)
        );
        let comparison: Comparison = self.get_json(path, "the comparison with the base")?;
        Ok(comparison.merge_base_commit.sha)
    }

    fn files_at(&self, commit: &str) -> Result<Vec<String>, BackendError> {
        let path = format!(
            "/repos/{}/git/trees/{}?recursive=1",
            self.shared.repo,
            encode(commit)
        );
        let tree: Tree = self.get_json(path, "the tree of a commit")?;
        if tree.truncated {
            return Err(BackendError::Invalid(format!(
                "the tree of {commit} is too large for GitHub to list whole"
            )));
        }
        Ok(tree
            .tree
            .into_iter()
            .filter(|e| e.kind != "tree")
            .map(|e| e.path)
            .collect())
    }
}

impl Reviewers for GitHubSource {
    /// The token's account: `GET /user`.
    /// The token's account, asked once: a token belongs to one account
    /// for its whole life.
    fn reviewer(&self) -> Result<Identity, BackendError> {
        if let Some(known) = self.shared.reviewer.get() {
            return Ok(known.clone());
        }
        let user: User = self.get_json("/user".into(), "GET /user")?;
        if !user.is_account() {
            return Err(BackendError::Auth(
                "GitHub did not say whose token this is (GET /user has no id or login)".into(),
            ));
        }
        let name = user.name.as_deref().unwrap_or_default();
        let who = Identity::forge(Provider::GitHub, &user.id.to_string(), &user.login, name);
        Ok(self.shared.reviewer.get_or_init(|| who).clone())
    }
}

impl PlanArtifacts for GitHubSource {
    /// Plans come from CI: plandeck does not upload artifacts.
    fn store_plan(
        &self,
        _request: &Request,
        _root: &str,
        _plan: NewPlan<'_>,
    ) -> Result<StoredPlan, BackendError> {
        Err(BackendError::Invalid(
            "the GitHub source takes plans from Actions artifacts: run the plan workflow \
             (plandeck does not upload plans)"
                .into(),
        ))
    }

    /// The plan artifact of the newest successful run of the head,
    /// downloaded when new here.
    fn stored_plan(
        &self,
        request: &Request,
        root: &str,
    ) -> Result<Option<StoredPlan>, BackendError> {
        let (request, root) = (request.clone(), root.to_string());
        self.block(move |shared| shared.plan_of(request, root))
    }

    fn plan_pending(&self, request: &Request, root: &str) -> bool {
        self.shared.running(&request.head, root)
    }

    fn load_plan(&self, stored: &StoredPlan) -> Result<(Plan, Option<CostReport>), BackendError> {
        self.shared.store.load(stored)
    }

    fn plan_by_digest(
        &self,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<Option<Plan>, BackendError> {
        match self.shared.store.historical(&request.id, root, digest)? {
            Some(path) => Ok(Some(crate::plan::load_plan(&path)?)),
            None => Ok(None),
        }
    }
}

impl Decisions for GitHubSource {
    /// The pull request's reviews that are decisions.
    fn decisions(&self, request: &Request) -> Result<Vec<Decision>, BackendError> {
        let request = request.clone();
        self.block(move |shared| async move { shared.decisions(&request).await })
    }

    /// The decisions of every open request (closed ones are GitHub's history).
    fn all_decisions(&self) -> Result<Vec<Decision>, BackendError> {
        let mut all = Vec::new();
        for request in self.list_requests()? {
            all.extend(self.decisions(&request)?);
        }
        Ok(all)
    }

    /// A review bound to the decision's head.
    fn record_decision(&self, decision: &Decision) -> Result<(), BackendError> {
        let decision = decision.clone();
        self.block(move |shared| async move { shared.record(decision).await })
    }
}

impl Workspaces for GitHubSource {
    fn check_out(&self, _commit: &str, _dir: &Path) -> Result<(), BackendError> {
        Err(not_yet("checking out a commit to plan or apply in"))
    }

    /// Nothing was checked out.
    fn remove_checkout(&self, _dir: &Path) {}

    fn prune_checkouts(&self) {}
}

impl Merges for GitHubSource {
    /// `PUT /pulls/{n}/merge` at exactly the approved head (`sha`): a push
    /// since makes GitHub refuse, and the refusal is never retried.
    fn merge(
        &self,
        request: &Request,
        roots: &[(String, String)],
        purpose: MergePurpose,
    ) -> Result<String, BackendError> {
        let number = Self::number(request)?;
        let (request, roots) = (request.clone(), roots.to_vec());
        self.block(move |shared| async move {
            shared.merge_pull(number, &request, &roots, purpose).await
        })
    }

    /// The head branch, when it is this repository's and still at the
    /// merged head (a fork's branch, or a base, is left alone).
    fn delete_branch(&self, request: &Request) -> Result<bool, BackendError> {
        let number = Self::number(request)?;
        let request = request.clone();
        self.block(move |shared| async move { shared.delete_head_branch(number, &request).await })
    }

    /// The pull request once merged (by plandeck's merge-then-apply or by
    /// hand: what is applied from it is still the approved plan, checked
    /// by digest at the merge commit).
    fn merged_for_apply(&self, id: &str) -> Result<Option<MergedRequest>, BackendError> {
        let digits = id
            .strip_prefix("pull/")
            .or_else(|| id.strip_prefix('#'))
            .unwrap_or(id);
        let number: u64 = digits.parse().map_err(|_| {
            BackendError::Invalid(format!(
                "{id:?} is not a pull request (give its number: 42, #42 or pull/42)"
            ))
        })?;
        self.block(move |shared| shared.merged_one(number))
    }
}

impl crate::backend::ApplyRuns for GitHubSource {
    fn dispatch_apply(
        &self,
        request: &Request,
        root: &str,
        digest: &str,
    ) -> Result<crate::backend::DispatchedRun, BackendError> {
        let number = Self::number(request)?;
        let (request, root, digest) = (request.clone(), root.to_string(), digest.to_string());
        self.block(move |shared| async move {
            shared
                .dispatch_apply(number, &request, &root, &digest)
                .await
        })
    }

    fn apply_run(&self, id: u64) -> Result<crate::backend::RunProgress, BackendError> {
        self.block(move |shared| async move { shared.apply_run(id).await })
    }

    fn apply_run_log(&self, job: u64) -> Result<String, BackendError> {
        self.block(move |shared| async move { shared.apply_run_log(job).await })
    }

    fn cancel_apply_run(&self, id: u64) -> Result<(), BackendError> {
        self.block(move |shared| async move { shared.cancel_apply_run(id).await })
    }
}

impl LocalState for GitHubSource {
    /// `<data dir>/github/<owner>/<name>`: this machine's drift reports
    /// and apply locks for the repository.
    fn state_dir(&self) -> Result<PathBuf, BackendError> {
        Ok(self.shared.data_dir.clone())
    }
}

impl Backend for GitHubSource {
    fn request_bundle(&self, request: &Request) -> Result<RequestBundle, BackendError> {
        self.request_bundles(std::slice::from_ref(request))
            .pop()
            .unwrap_or_else(|| Err(BackendError::Internal("no bundle for the request".into())))
    }

    /// Every request's reviews and plans at once (bounded by the API's
    /// requests in flight); each request's runs are read once for all its roots.
    fn request_bundles(&self, requests: &[Request]) -> Vec<Result<RequestBundle, BackendError>> {
        use futures_util::StreamExt;
        let requests = requests.to_vec();
        let all = self.block(move |shared| async move {
            // Unordered, then put back in order: one slow request does not
            // hold up the next ones.
            let mut bundles = futures_util::stream::iter(requests.into_iter().enumerate())
                .map(|(at, request)| {
                    let shared = shared.clone();
                    async move { (at, shared.bundle(request).await) }
                })
                .buffer_unordered(BUNDLES_AT_ONCE)
                .collect::<Vec<_>>()
                .await;
            bundles.sort_by_key(|(at, _)| *at);
            Ok(bundles.into_iter().map(|(_, bundle)| bundle).collect())
        });
        all.unwrap_or_else(|e| vec![Err(e)])
    }

    fn list_with_bundles(
        &self,
        each: &mut dyn FnMut(crate::backend::ListedBundle),
    ) -> Result<(), BackendError> {
        let (arrived, arrivals) = std::sync::mpsc::channel();
        let shared = self.shared.clone();
        let done = self
            .shared
            .api
            .spawn(async move { shared.list_with_bundles(arrived).await })?;
        // Ends when the listing is over (it drops the sender).
        for listed in arrivals {
            each(listed);
        }
        done.recv()
            .map_err(|_| BackendError::Internal("a GitHub call stopped (it panicked)".into()))?
    }
}

/// Requests whose bundles are fetched side by side.
const BUNDLES_AT_ONCE: usize = 64;

impl super::Shared {
    pub(super) async fn bundle(
        self: Arc<Self>,
        request: Request,
    ) -> Result<RequestBundle, BackendError> {
        self.bundle_with(request, None).await
    }

    /// [`Self::bundle`], from the `runs` of the request's head when they
    /// were read already.
    pub(super) async fn bundle_with(
        self: Arc<Self>,
        request: Request,
        runs: Option<Result<Vec<super::wire::WorkflowRun>, BackendError>>,
    ) -> Result<RequestBundle, BackendError> {
        let roots: Vec<String> = request.roots.iter().map(|r| r.path.clone()).collect();
        let (decisions, plans) = futures_util::future::join(
            self.decisions_and_forge_reviews(&request),
            self.clone().plans_of(request.clone(), roots.clone(), runs),
        )
        .await;
        let (decisions, forge_reviews) = match decisions {
            Ok((decisions, forge)) => (Ok(decisions), Some(forge)),
            Err(e) => (Err(e), None),
        };
        let plans = match plans {
            Ok(plans) => plans,
            // The runs could not be read: every root says why.
            Err(e) => roots.iter().map(|_| Err(e.duplicate())).collect(),
        };
        let roots = roots
            .into_iter()
            .zip(plans)
            .map(|(path, stored)| RootBundle {
                pending: self.running(&request.head, &path),
                path,
                stored,
            })
            .collect();
        Ok(RequestBundle {
            request,
            decisions,
            roots,
            forge_reviews,
        })
    }
}
