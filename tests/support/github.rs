//! An emulated GitHub REST API on 127.0.0.1 for the GitHub source's tests:
//! wiremock's server (its own thread) with one stateful responder that
//! routes like GitHub. Bodies are the OpenAPI examples of
//! tests/fixtures/github with the fields a test is about set; listings are
//! paginated with `Link` headers (`per_page`, capped by `max_per_page` so a
//! few items make several pages); every 200 carries an ETag and an
//! `If-None-Match` that matches answers 304; a fault can be queued for a
//! path (a rate limit, a 5xx, bad JSON). Every request is logged.

#![allow(dead_code)] // each test crate uses part of it

use serde_json::{Value, json};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// The token the emulator accepts.
pub const TOKEN: &str = "ghp_EmulatedT0kenThatMustNeverLeak";

/// An account: (id, login).
pub type Account = (u64, &'static str);

pub const OCTOCAT: Account = (1, "octocat");
pub const ANN: Account = (583231, "ann");
pub const BOB: Account = (9001, "bob");

/// A pull request as a test describes it.
#[derive(Clone, Debug)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub draft: bool,
    pub state: String,
    pub labels: Vec<String>,
    pub author: Account,
    pub updated_at: String,
    /// (filename, status, previous filename, patch)
    pub files: Vec<(String, String, Option<String>, Option<String>)>,
    pub commits: Vec<CommitSpec>,
    /// The compare API's diff of base...head (`application/vnd.github.diff`).
    pub compare_diff: String,
}

/// One commit: the accounts GitHub linked (None: an email of no account)
/// and the git names it declares.
#[derive(Clone, Debug)]
pub struct CommitSpec {
    pub author: Option<Account>,
    pub committer: Option<Account>,
    pub name: String,
    pub email: String,
}

impl Pull {
    /// An open pull request into main by ann, changing `files` (modified).
    pub fn new(number: u64, files: &[&str]) -> Self {
        Self {
            number,
            title: format!("Change {number}"),
            head_ref: format!("feature/{number}"),
            head_sha: format!("{number:040x}"),
            base_ref: "main".into(),
            draft: false,
            state: "open".into(),
            labels: Vec::new(),
            author: ANN,
            updated_at: format!("2026-11-{:02}T10:00:00Z", 1 + number % 28),
            files: files
                .iter()
                .map(|f| {
                    let patch = format!("@@ -1 +1 @@\n-old {f}\n+new {f}");
                    (f.to_string(), "modified".into(), None, Some(patch))
                })
                .collect(),
            commits: vec![CommitSpec {
                author: Some(ANN),
                committer: Some(ANN),
                name: "Ann".into(),
                email: "ann@example.com".into(),
            }],
            compare_diff: String::new(),
        }
    }
}

/// (path, type) of each entry of a tree.
pub type TreeEntries = Vec<(String, String)>;

/// A fault answered instead of the real answer.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 403 with x-ratelimit-remaining 0 and x-ratelimit-reset.
    RateLimit { reset: i64 },
    /// 429 with Retry-After.
    RetryAfter { seconds: u64 },
    /// This status with GitHub's error body.
    Status(u16, &'static str),
    /// 200 with a body that is not the JSON asked for.
    BadJson,
    /// The real answer, this late.
    Slow(std::time::Duration),
}

/// A workflow run of a commit and its artifacts.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub id: u64,
    pub head_sha: String,
    /// queued, in_progress, completed
    pub status: String,
    /// success, failure… when completed
    pub conclusion: Option<String>,
    pub created_at: String,
    pub artifacts: Vec<ArtifactSpec>,
}

/// An artifact: its zip is served by the blob host.
#[derive(Clone, Debug)]
pub struct ArtifactSpec {
    pub id: u64,
    pub name: String,
    pub expired: bool,
    pub zip: Vec<u8>,
}

/// A review on a pull request.
#[derive(Clone, Debug)]
pub struct ReviewSpec {
    pub id: u64,
    pub pull: u64,
    pub user: (u64, String),
    pub body: String,
    /// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    pub state: String,
    pub commit_id: Option<String>,
    pub submitted_at: Option<String>,
}

/// A comment on a pull request (its issue).
#[derive(Clone, Debug)]
pub struct CommentSpec {
    pub id: u64,
    pub pull: u64,
    pub user: (u64, String),
    pub body: String,
}

/// A commit status as posted.
#[derive(Clone, Debug)]
pub struct StatusSpec {
    pub sha: String,
    pub state: String,
    pub context: String,
    pub description: String,
}

/// One request the emulator answered.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub body: String,
    pub path_and_query: String,
    pub if_none_match: Option<String>,
    pub authorized: bool,
    pub status: u16,
}

#[derive(Default)]
pub struct State {
    pub repo: String,
    pub pulls: Vec<Pull>,
    pub user: (u64, String, String),
    pub max_per_page: usize,
    /// (path fragment, fault, times left)
    pub faults: Vec<(String, Fault, usize)>,
    /// Next links point here instead of at the emulator (a hostile server).
    pub link_origin: Option<String>,
    /// A 401's message, to test that an echoed token is redacted.
    pub unauthorized_message: String,
    pub log: Vec<Logged>,
    /// Branch name → its head commit.
    pub branches: Vec<(String, String)>,
    /// What a comparison answers as the merge base.
    pub merge_base: String,
    /// Commit → (path, type) of its recursive tree, and whether truncated.
    pub trees: Vec<(String, TreeEntries, bool)>,
    /// (ref, path) → file content, for the contents API.
    pub contents: Vec<(String, String, String)>,
    pub runs: Vec<RunSpec>,
    pub reviews: Vec<ReviewSpec>,
    pub comments: Vec<CommentSpec>,
    pub statuses: Vec<StatusSpec>,
    /// Where artifact downloads redirect to (another host).
    pub blob_origin: String,
    /// Downloads the blob host served: (path, whether a token came along).
    pub blob_log: Vec<(String, bool)>,
    pub next_id: u64,
    /// (org/slug, login) of each active team member.
    pub teams: Vec<(String, String)>,
    /// Added to every answer (a far-away server).
    pub latency: Option<std::time::Duration>,
}

/// The running emulator.
pub struct GitHub {
    /// The data dir a source of this emulator keeps downloads in.
    pub data: tempfile::TempDir,
    server: MockServer,
    _blobs: MockServer,
    pub state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl GitHub {
    /// Starts it for `owner/name` with no pull requests.
    pub fn start(repo: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let state = Arc::new(Mutex::new(State {
            repo: repo.to_string(),
            user: (ANN.0, ANN.1.to_string(), "Ann Example".into()),
            max_per_page: 100,
            unauthorized_message: "Bad credentials".into(),
            ..State::default()
        }));
        let (server, blobs) = runtime.block_on(async {
            let blobs = MockServer::start().await;
            Mock::given(any())
                .respond_with(Blobs {
                    state: state.clone(),
                })
                .mount(&blobs)
                .await;
            state.lock().expect("state").blob_origin = blobs.uri();
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(Responder {
                    state: state.clone(),
                    origin: server.uri(),
                })
                .mount(&server)
                .await;
            (server, blobs)
        });
        Self {
            data: tempfile::tempdir().expect("data dir"),
            server,
            _blobs: blobs,
            state,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn with<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        change(&mut self.state.lock().expect("state"))
    }

    pub fn add(&self, pull: Pull) {
        self.with(|s| s.pulls.push(pull));
    }

    /// Answers `fault` to the next `times` requests whose path and query
    /// contain `fragment`.
    pub fn fail(&self, fragment: &str, fault: Fault, times: usize) {
        self.with(|s| s.faults.push((fragment.to_string(), fault, times)));
    }

    pub fn log(&self) -> Vec<Logged> {
        self.with(|s| s.log.clone())
    }

    pub fn clear_log(&self) {
        self.with(|s| s.log.clear());
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
    origin: String,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().expect("state");
        // GitHub Enterprise Server serves the same API under /api/v3.
        let full_path = request.url.path();
        let path = full_path
            .strip_prefix("/api/v3")
            .unwrap_or(full_path)
            .to_string();
        // Logged as asked, prefix and all.
        let path_and_query = match request.url.query() {
            Some(q) => format!("{full_path}?{q}"),
            None => full_path.to_string(),
        };
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let authorized = header("authorization")
            .is_some_and(|a| a == format!("Bearer {TOKEN}") || a == format!("token {TOKEN}"));
        let if_none_match = header("if-none-match");
        let response = answer(
            &mut state,
            &self.origin,
            &path,
            request,
            authorized,
            if_none_match.as_deref(),
        );
        let (status, mut template) = response;
        if let Some(latency) = state.latency {
            template = template.set_delay(latency);
        }
        state.log.push(Logged {
            method: request.method.to_string(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
            path_and_query,
            if_none_match,
            authorized,
            status,
        });
        template
    }
}

fn error(status: u16, message: &str) -> (u16, ResponseTemplate) {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string(),
    });
    (status, ResponseTemplate::new(status).set_body_json(body))
}

fn answer(
    state: &mut State,
    origin: &str,
    path: &str,
    request: &Request,
    authorized: bool,
    if_none_match: Option<&str>,
) -> (u16, ResponseTemplate) {
    if !authorized {
        let message = state.unauthorized_message.clone();
        return error(401, &message);
    }
    let full = match request.url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    if let Some(slot) = state
        .faults
        .iter_mut()
        .find(|(fragment, _, left)| *left > 0 && full.contains(fragment.as_str()))
    {
        slot.2 -= 1;
        if let Fault::Slow(delay) = slot.1 {
            let (status, template) = answer_unfaulted(state, origin, path, request, if_none_match);
            return (status, template.set_delay(delay));
        }
        return fault(&slot.1);
    }
    answer_unfaulted(state, origin, path, request, if_none_match)
}

fn answer_unfaulted(
    state: &mut State,
    origin: &str,
    path: &str,
    request: &Request,
    if_none_match: Option<&str>,
) -> (u16, ResponseTemplate) {
    let query = |name: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let repo_prefix = format!("/repos/{}", state.repo);
    let Some(rest) = path.strip_prefix(&repo_prefix) else {
        return match path {
            "/user" => {
                let mut user = fixture("private-user.json");
                user["id"] = json!(state.user.0);
                user["login"] = json!(state.user.1);
                user["name"] = json!(state.user.2);
                ok(user, None, if_none_match)
            }
            _ => match path.trim_start_matches('/').split('/').collect::<Vec<_>>()[..] {
                ["orgs", org, "teams", slug, "memberships", login] => {
                    let team = format!("{org}/{slug}");
                    if state.teams.iter().any(|(t, l)| *t == team && l == login) {
                        ok(fixture("team-membership.json"), None, if_none_match)
                    } else {
                        error(404, "Not Found")
                    }
                }
                _ => error(404, "Not Found"),
            },
        };
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    if request.method.as_str() != "GET" {
        return mutate(state, &segments, request);
    }
    let find = |n: &str| {
        let n: u64 = n.parse().ok()?;
        state.pulls.iter().find(|p| p.number == n).cloned()
    };
    let (items, single): (Vec<Value>, Option<Value>) = match segments.as_slice() {
        ["pulls"] => {
            let wanted_state = query("state").unwrap_or_else(|| "open".into());
            let base = query("base");
            let items = state
                .pulls
                .iter()
                .filter(|p| wanted_state == "all" || p.state == wanted_state)
                .filter(|p| base.as_ref().is_none_or(|b| *b == p.base_ref))
                .map(pull_json)
                .collect();
            (items, None)
        }
        ["pulls", n] => match find(n) {
            Some(p) => (Vec::new(), Some(pull_json(&p))),
            None => return error(404, "Not Found"),
        },
        ["pulls", n, "files"] => match find(n) {
            Some(p) => (p.files.iter().map(file_json).collect(), None),
            None => return error(404, "Not Found"),
        },
        ["branches", name] => {
            let Some((_, sha)) = state.branches.iter().find(|(b, _)| b == name) else {
                return error(404, "Branch not found");
            };
            let mut branch = fixture("branch.json");
            branch["name"] = json!(name);
            branch["commit"]["sha"] = json!(sha);
            (Vec::new(), Some(branch))
        }
        ["git", "trees", sha] => {
            let Some((_, entries, truncated)) = state.trees.iter().find(|(c, _, _)| c == sha)
            else {
                return error(404, "Not Found");
            };
            let mut tree = fixture("git-tree.json");
            let template = tree["tree"][0].clone();
            tree["sha"] = json!(sha);
            tree["truncated"] = json!(truncated);
            tree["tree"] = entries
                .iter()
                .map(|(path, kind)| {
                    let mut entry = template.clone();
                    entry["path"] = json!(path);
                    entry["type"] = json!(kind);
                    entry
                })
                .collect();
            (Vec::new(), Some(tree))
        }
        ["contents", rest @ ..] => {
            let wanted = rest.join("/");
            let at = query("ref").unwrap_or_default();
            let found = state
                .contents
                .iter()
                .find(|(r, p, _)| *r == at && *p == wanted);
            return match found {
                Some((_, _, text)) => (
                    200,
                    ResponseTemplate::new(200).set_body_raw(text.clone(), "text/plain"),
                ),
                None => error(404, "Not Found"),
            };
        }
        ["compare", spec]
            if request
                .headers
                .get("accept")
                .is_some_and(|a| a == "application/vnd.github+json") =>
        {
            if !state.pulls.iter().any(|p| spec.ends_with(&p.head_sha)) {
                return error(404, "Not Found");
            }
            let mut comparison = fixture("commit-comparison.json");
            comparison["merge_base_commit"]["sha"] = json!(state.merge_base);
            (Vec::new(), Some(comparison))
        }
        ["compare", spec] => {
            let accept = request
                .headers
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let head = spec.rsplit_once("...").map(|(_, h)| h).unwrap_or_default();
            let pull = state.pulls.iter().find(|p| p.head_sha == head);
            return match pull {
                Some(p) if accept == "application/vnd.github.diff" => (
                    200,
                    ResponseTemplate::new(200)
                        .set_body_raw(p.compare_diff.clone(), "text/plain; charset=utf-8"),
                ),
                Some(_) => error(415, "this emulator answers comparisons as diffs only"),
                None => error(404, "Not Found"),
            };
        }
        ["pulls", n, "commits"] => match find(n) {
            Some(p) => (p.commits.iter().map(commit_json).collect(), None),
            None => return error(404, "Not Found"),
        },
        ["pulls", n, "reviews"] => match find(n) {
            Some(p) => (
                state
                    .reviews
                    .iter()
                    .filter(|r| r.pull == p.number)
                    .map(review_json)
                    .collect(),
                None,
            ),
            None => return error(404, "Not Found"),
        },
        ["issues", n, "comments"] => match find(n) {
            Some(p) => (
                state
                    .comments
                    .iter()
                    .filter(|c| c.pull == p.number)
                    .map(comment_json)
                    .collect(),
                None,
            ),
            None => return error(404, "Not Found"),
        },
        ["actions", "runs"] => {
            let head = query("head_sha");
            let mut runs: Vec<&RunSpec> = state
                .runs
                .iter()
                .filter(|r| head.as_ref().is_none_or(|h| *h == r.head_sha))
                .collect();
            runs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
            let items: Vec<Value> = runs.into_iter().map(run_json).collect();
            return listing(
                state,
                origin,
                request,
                items,
                Some("workflow_runs"),
                if_none_match,
            );
        }
        ["actions", "runs", id, "artifacts"] => {
            let name = query("name");
            let Some(run) = state.runs.iter().find(|r| r.id.to_string() == *id) else {
                return error(404, "Not Found");
            };
            let items: Vec<Value> = run
                .artifacts
                .iter()
                .filter(|a| name.as_ref().is_none_or(|n| *n == a.name))
                .map(|a| artifact_json(a, run))
                .collect();
            return listing(
                state,
                origin,
                request,
                items,
                Some("artifacts"),
                if_none_match,
            );
        }
        ["actions", "artifacts", id, "zip"] => {
            let found = state
                .runs
                .iter()
                .flat_map(|r| &r.artifacts)
                .find(|a| a.id.to_string() == *id);
            return match found {
                Some(a) if a.expired => error(410, "Artifact has expired"),
                Some(a) => {
                    let location = format!("{}/blob/{}?sig=short-lived", state.blob_origin, a.id);
                    (
                        302,
                        ResponseTemplate::new(302).insert_header("location", location.as_str()),
                    )
                }
                None => error(404, "Not Found"),
            };
        }
        _ => return error(404, "Not Found"),
    };
    if let Some(one) = single {
        return ok(one, None, if_none_match);
    }
    listing(state, origin, request, items, None, if_none_match)
}

/// A page of `items` (as an array, or wrapped in `{total_count, KEY}`).
fn listing(
    state: &State,
    origin: &str,
    request: &Request,
    items: Vec<Value>,
    wrap: Option<&str>,
    if_none_match: Option<&str>,
) -> (u16, ResponseTemplate) {
    let query = |name: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let total = items.len();
    let per_page = query("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30usize)
        .clamp(1, state.max_per_page);
    let page = query("page").and_then(|p| p.parse().ok()).unwrap_or(1usize);
    let last = items.len().div_ceil(per_page).max(1);
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let link = (page < last).then(|| {
        let link_origin = state
            .link_origin
            .clone()
            .unwrap_or_else(|| origin.to_string());
        let at = |n: usize| {
            let mut url = request.url.clone();
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", &n.to_string());
            let path_and_query = format!("{}?{}", url.path(), url.query().unwrap_or_default());
            format!("<{link_origin}{path_and_query}>")
        };
        format!("{}; rel=\"next\", {}; rel=\"last\"", at(page + 1), at(last))
    });
    let body = match wrap {
        Some(key) => json!({ "total_count": total, key: chunk }),
        None => Value::Array(chunk),
    };
    ok(body, link, if_none_match)
}

fn fault(fault: &Fault) -> (u16, ResponseTemplate) {
    match fault {
        Fault::RateLimit { reset } => {
            let (status, template) = error(403, "API rate limit exceeded for user ID 583231.");
            let template = template
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str());
            (status, template)
        }
        Fault::RetryAfter { seconds } => {
            let (status, template) = error(429, "You have exceeded a secondary rate limit.");
            (
                status,
                template.insert_header("retry-after", seconds.to_string().as_str()),
            )
        }
        Fault::Status(status, message) => error(*status, message),
        Fault::BadJson => (
            200,
            ResponseTemplate::new(200).set_body_raw("<html>not json</html>", "text/html"),
        ),
        Fault::Slow(_) => unreachable!("answered late, not instead"),
    }
}

/// A 200 with an ETag of the body, or a 304 when the client has it.
fn ok(body: Value, link: Option<String>, if_none_match: Option<&str>) -> (u16, ResponseTemplate) {
    let text = body.to_string();
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    link.hash(&mut hasher);
    let etag = format!("W/\"{:016x}\"", hasher.finish());
    if if_none_match == Some(etag.as_str()) {
        return (
            304,
            ResponseTemplate::new(304).insert_header("etag", etag.as_str()),
        );
    }
    let mut template = ResponseTemplate::new(200)
        .set_body_raw(text, "application/json; charset=utf-8")
        .insert_header("etag", etag.as_str())
        .insert_header("x-ratelimit-remaining", "4999");
    if let Some(link) = link {
        template = template.insert_header("link", link.as_str());
    }
    (200, template)
}

/// An OpenAPI example, read and parsed once per process.
fn fixture(name: &str) -> Value {
    static READ: Mutex<Vec<(String, Value)>> = Mutex::new(Vec::new());
    let mut read = READ.lock().expect("fixtures");
    if let Some((_, value)) = read.iter().find(|(n, _)| n == name) {
        return value.clone();
    }
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    let value: Value = serde_json::from_str(&text).expect("fixture JSON");
    read.push((name.to_string(), value.clone()));
    value
}

fn user_json(account: Account) -> Value {
    account_json(&(account.0, account.1.to_string()))
}

fn pull_json(pull: &Pull) -> Value {
    let mut value = fixture("pull-request-simple.json");
    value["number"] = json!(pull.number);
    value["title"] = json!(pull.title);
    value["state"] = json!(pull.state);
    value["draft"] = json!(pull.draft);
    value["user"] = user_json(pull.author);
    value["head"]["ref"] = json!(pull.head_ref);
    value["head"]["sha"] = json!(pull.head_sha);
    value["base"]["ref"] = json!(pull.base_ref);
    value["updated_at"] = json!(pull.updated_at);
    let label = value["labels"][0].clone();
    value["labels"] = pull
        .labels
        .iter()
        .map(|name| {
            let mut l = label.clone();
            l["name"] = json!(name);
            l
        })
        .collect();
    value
}

fn file_json(file: &(String, String, Option<String>, Option<String>)) -> Value {
    let mut value = fixture("diff-entry.json");
    value["filename"] = json!(file.0);
    value["status"] = json!(file.1);
    if let Some(old) = &file.2 {
        value["previous_filename"] = json!(old);
    }
    set_or_remove(&mut value, "patch", file.3.as_deref());
    value
}

/// Sets `key` to `text`, or leaves it out as GitHub does for a missing value.
fn set_or_remove(value: &mut Value, key: &str, text: Option<&str>) {
    match text {
        Some(text) => value[key] = json!(text),
        None => {
            if let Some(object) = value.as_object_mut() {
                object.remove(key);
            }
        }
    }
}

fn commit_json(commit: &CommitSpec) -> Value {
    let mut value = fixture("commit.json");
    value["author"] = commit.author.map_or(Value::Null, user_json);
    // GitHub answers `{}` for some commits whose email is no account's.
    value["committer"] = commit.committer.map_or(json!({}), user_json);
    for who in ["author", "committer"] {
        value["commit"][who]["name"] = json!(commit.name);
        value["commit"][who]["email"] = json!(commit.email);
    }
    value
}

/// The blob host of artifact downloads: serves the zips, logs whether a
/// token came along (it must not).
struct Blobs {
    state: Arc<Mutex<State>>,
}

impl Respond for Blobs {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().expect("state");
        let path = request.url.path().to_string();
        let token = request.headers.get("authorization").is_some();
        state.blob_log.push((path.clone(), token));
        if token {
            return ResponseTemplate::new(400).set_body_string("no Authorization on a signed URL");
        }
        let id = path.strip_prefix("/blob/").unwrap_or_default();
        let zip = state
            .runs
            .iter()
            .flat_map(|r| &r.artifacts)
            .find(|a| a.id.to_string() == id)
            .map(|a| a.zip.clone());
        let template = match zip {
            Some(zip) => ResponseTemplate::new(200).set_body_raw(zip, "application/zip"),
            None => ResponseTemplate::new(404),
        };
        match state.latency {
            Some(latency) => template.set_delay(latency),
            None => template,
        }
    }
}

/// What a POST, PATCH or DELETE does, as GitHub would.
fn mutate(state: &mut State, segments: &[&str], request: &Request) -> (u16, ResponseTemplate) {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let method = request.method.as_str();
    let pull_of = |state: &State, n: &str| {
        let n: u64 = n.parse().ok()?;
        state.pulls.iter().position(|p| p.number == n)
    };
    let me = (state.user.0, state.user.1.clone());
    state.next_id += 1;
    let id = 1000 + state.next_id;
    match (method, segments) {
        ("POST", ["pulls", n, "reviews"]) => {
            let Some(at) = pull_of(state, n) else {
                return error(404, "Not Found");
            };
            let number = state.pulls[at].number;
            let review_state = match body["event"].as_str() {
                Some("APPROVE") => "APPROVED",
                Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
                Some("COMMENT") => "COMMENTED",
                _ => "PENDING",
            };
            if review_state != "PENDING" && state.pulls[at].author.0 == me.0 {
                // GitHub's own rule: no approving or blocking your own PR.
                if review_state != "COMMENTED" {
                    return error(422, "Can not approve your own pull request");
                }
            }
            let review = ReviewSpec {
                id,
                pull: number,
                user: me,
                body: body["body"].as_str().unwrap_or_default().to_string(),
                state: review_state.into(),
                commit_id: Some(
                    body["commit_id"]
                        .as_str()
                        .map(String::from)
                        .unwrap_or_else(|| state.pulls[at].head_sha.clone()),
                ),
                submitted_at: (review_state != "PENDING").then(|| now_text(id)),
            };
            let answer = review_json(&review);
            state.reviews.push(review);
            (200, ResponseTemplate::new(200).set_body_json(answer))
        }
        ("POST", ["issues", n, "labels"]) => {
            let Some(at) = pull_of(state, n) else {
                return error(404, "Not Found");
            };
            for label in body["labels"].as_array().into_iter().flatten() {
                let label = label.as_str().unwrap_or_default().to_string();
                if !state.pulls[at].labels.contains(&label) {
                    state.pulls[at].labels.push(label);
                }
            }
            let labels: Vec<Value> = state.pulls[at]
                .labels
                .iter()
                .map(|name| {
                    let mut l = fixture("label.json");
                    l["name"] = json!(name);
                    l
                })
                .collect();
            (200, ResponseTemplate::new(200).set_body_json(labels))
        }
        ("DELETE", ["issues", n, "labels", name]) => {
            let Some(at) = pull_of(state, n) else {
                return error(404, "Not Found");
            };
            let name = percent_decode(name);
            let before = state.pulls[at].labels.len();
            state.pulls[at].labels.retain(|l| *l != name);
            if state.pulls[at].labels.len() == before {
                return error(404, "Label does not exist");
            }
            (200, ResponseTemplate::new(200).set_body_json(json!([])))
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(at) = pull_of(state, n) else {
                return error(404, "Not Found");
            };
            let comment = CommentSpec {
                id,
                pull: state.pulls[at].number,
                user: me,
                body: body["body"].as_str().unwrap_or_default().to_string(),
            };
            if comment.body.chars().count() > 65_536 {
                return error(422, "Body is too long (maximum is 65536 characters)");
            }
            let answer = comment_json(&comment);
            state.comments.push(comment);
            (201, ResponseTemplate::new(201).set_body_json(answer))
        }
        ("PATCH", ["issues", "comments", id]) => {
            let text = body["body"].as_str().unwrap_or_default().to_string();
            if text.chars().count() > 65_536 {
                return error(422, "Body is too long (maximum is 65536 characters)");
            }
            let Some(comment) = state.comments.iter_mut().find(|c| c.id.to_string() == *id) else {
                return error(404, "Not Found");
            };
            if comment.user.0 != me.0 {
                return error(403, "You cannot edit another user's comment");
            }
            comment.body = text;
            let answer = comment_json(comment);
            (200, ResponseTemplate::new(200).set_body_json(answer))
        }
        ("POST", ["statuses", sha]) => {
            let status = StatusSpec {
                sha: sha.to_string(),
                state: body["state"].as_str().unwrap_or_default().into(),
                context: body["context"].as_str().unwrap_or("default").into(),
                description: body["description"].as_str().unwrap_or_default().into(),
            };
            let mut answer = fixture("status.json");
            answer["state"] = json!(status.state);
            answer["context"] = json!(status.context);
            answer["description"] = json!(status.description);
            state.statuses.push(status);
            (201, ResponseTemplate::new(201).set_body_json(answer))
        }
        _ => error(404, "Not Found"),
    }
}

fn now_text(offset: u64) -> String {
    format!(
        "2026-11-30T10:{:02}:{:02}Z",
        (offset / 60) % 60,
        offset % 60
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                let hex = std::str::from_utf8(hex).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn account_json(user: &(u64, String)) -> Value {
    let mut value = fixture("private-user.json")
        .as_object()
        .cloned()
        .expect("object");
    // A simple-user has no profile fields.
    for key in ["name", "company", "blog", "location", "email", "bio"] {
        value.remove(key);
    }
    value.insert("id".into(), json!(user.0));
    value.insert("login".into(), json!(user.1));
    Value::Object(value)
}

fn review_json(review: &ReviewSpec) -> Value {
    let mut value = fixture("pull-request-review.json");
    value["id"] = json!(review.id);
    value["user"] = account_json(&review.user);
    value["body"] = json!(review.body);
    value["state"] = json!(review.state);
    value["commit_id"] = json!(review.commit_id);
    set_or_remove(&mut value, "submitted_at", review.submitted_at.as_deref());
    value
}

fn comment_json(comment: &CommentSpec) -> Value {
    let mut value = fixture("issue-comment.json");
    value["id"] = json!(comment.id);
    value["user"] = account_json(&comment.user);
    value["body"] = json!(comment.body);
    value
}

fn run_json(run: &RunSpec) -> Value {
    let mut value = fixture("workflow-run.json");
    value["id"] = json!(run.id);
    value["head_sha"] = json!(run.head_sha);
    value["status"] = json!(run.status);
    value["conclusion"] = json!(run.conclusion);
    value["created_at"] = json!(run.created_at);
    value
}

fn artifact_json(artifact: &ArtifactSpec, run: &RunSpec) -> Value {
    let mut value = fixture("artifact.json");
    value["id"] = json!(artifact.id);
    value["name"] = json!(artifact.name);
    value["expired"] = json!(artifact.expired);
    value["size_in_bytes"] = json!(artifact.zip.len());
    value["workflow_run"]["id"] = json!(run.id);
    value["workflow_run"]["head_sha"] = json!(run.head_sha);
    value
}
