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

/// One request the emulator answered.
#[derive(Clone, Debug)]
pub struct Logged {
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
}

/// The running emulator.
pub struct GitHub {
    server: MockServer,
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
        let server = runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(Responder {
                    state: state.clone(),
                    origin: server.uri(),
                })
                .mount(&server)
                .await;
            server
        });
        Self {
            server,
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
        let (status, template) = response;
        state.log.push(Logged {
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
            _ => error(404, "Not Found"),
        };
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
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
        _ => return error(404, "Not Found"),
    };
    if let Some(one) = single {
        return ok(one, None, if_none_match);
    }
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
    ok(Value::Array(chunk), link, if_none_match)
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

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn user_json(account: Account) -> Value {
    let mut user = fixture("private-user.json")
        .as_object()
        .cloned()
        .expect("object");
    // A simple-user has no profile fields.
    for key in ["name", "company", "blog", "location", "email", "bio"] {
        user.remove(key);
    }
    user.insert("id".into(), json!(account.0));
    user.insert("login".into(), json!(account.1));
    Value::Object(user)
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
    match &file.3 {
        Some(patch) => value["patch"] = json!(patch),
        None => {
            if let Some(object) = value.as_object_mut() {
                object.remove("patch");
            }
        }
    }
    value
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
