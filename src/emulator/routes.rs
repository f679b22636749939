//! How the emulator answers a request, as GitHub would: routing, listings
//! paginated with `Link` headers (`per_page`, capped by `max_per_page` so a
//! few items make several pages), an ETag on every 200 and a 304 for an
//! `If-None-Match` that matches, queued faults, and what a POST, PATCH or
//! DELETE changes. Pure over [`State`]: the server only carries bytes.

use super::shapes::{
    artifact_json, comment_json, commit_json, example, file_json, label_json, private_user_json,
    pull_json, review_json, run_json,
};
use super::state::{
    CommentSpec, Fault, Logged, MergedSpec, Pull, ReviewSpec, RunSpec, State, StatusSpec, TOKEN,
};
use serde_json::{Value, json};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// A request as it arrived.
pub struct Call {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: Option<String>,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Call {
    pub(super) fn query(&self, name: &str) -> Option<String> {
        self.pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    fn pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the emulator answers, and how late.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Option<Duration>,
}

impl Reply {
    pub(super) fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
        }
    }

    pub(super) fn json(status: u16, body: &Value) -> Self {
        Self::new(status).raw(body.to_string(), "application/json; charset=utf-8")
    }

    fn raw(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    pub(super) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    fn later(mut self, delay: Duration) -> Self {
        self.delay = Some(self.delay.unwrap_or_default() + delay);
        self
    }
}

/// The API host: answers `call`, logs it, and adds the state's latency.
pub fn api(state: &mut State, origin: &str, call: &Call) -> Reply {
    // GitHub Enterprise Server serves the same API under /api/v3.
    let path = call
        .path
        .strip_prefix("/api/v3")
        .unwrap_or(&call.path)
        .to_string();
    let authorized = call
        .header("authorization")
        .is_some_and(|a| a == format!("Bearer {TOKEN}") || a == format!("token {TOKEN}"));
    let if_none_match = call.header("if-none-match").map(String::from);
    let mut reply = answer(
        state,
        origin,
        &path,
        call,
        authorized,
        if_none_match.as_deref(),
    );
    if let Some(latency) = state.latency {
        reply = reply.later(latency);
    }
    if authorized
        && !reply
            .headers
            .iter()
            .any(|(k, _)| k == "x-ratelimit-remaining")
    {
        if reply.status != 304 {
            state.rate_used += 1;
        }
        let reset = unix_now() + 3600 - unix_now() % 3600;
        reply = reply
            .header("x-ratelimit-limit", &RATE_LIMIT.to_string())
            .header(
                "x-ratelimit-remaining",
                &RATE_LIMIT.saturating_sub(state.rate_used).to_string(),
            )
            .header("x-ratelimit-used", &state.rate_used.to_string())
            .header("x-ratelimit-reset", &reset.to_string());
    }
    state.log.push(Logged {
        method: call.method.clone(),
        body: String::from_utf8_lossy(&call.body).into_owned(),
        // Logged as asked, prefix and all.
        path_and_query: match &call.query {
            Some(q) => format!("{}?{q}", call.path),
            None => call.path.clone(),
        },
        if_none_match,
        authorized,
        status: reply.status,
        at: std::time::Instant::now(),
    });
    reply
}

/// Calls an hour, as GitHub allows a user's token.
const RATE_LIMIT: u64 = 5000;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The blob host of artifact downloads: serves the zips, logs whether a
/// token came along (it must not).
pub fn blob(state: &mut State, call: &Call) -> Reply {
    let token = call.header("authorization").is_some();
    state.blob_log.push((call.path.clone(), token));
    if token {
        return Reply::new(400).raw("no Authorization on a signed URL", "text/plain");
    }
    if let Some(job) = call.path.strip_prefix("/logs/") {
        return match super::actions::log_text(state, job) {
            Some(text) => Reply::new(200).raw(text, "text/plain"),
            None => Reply::new(404),
        };
    }
    let id = call.path.strip_prefix("/blob/").unwrap_or_default();
    let zip = state
        .runs
        .iter()
        .flat_map(|r| &r.artifacts)
        .find(|a| a.id.to_string() == id)
        .map(|a| a.zip.clone());
    let reply = match zip {
        Some(zip) => Reply::new(200).raw(zip, "application/zip"),
        None => Reply::new(404),
    };
    match state.latency {
        Some(latency) => reply.later(latency),
        None => reply,
    }
}

pub(super) fn error(status: u16, message: &str) -> Reply {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string(),
    });
    Reply::json(status, &body)
}

fn answer(
    state: &mut State,
    origin: &str,
    path: &str,
    call: &Call,
    authorized: bool,
    if_none_match: Option<&str>,
) -> Reply {
    if let Some(page) = web_page(state, path) {
        return page;
    }
    if !authorized {
        let message = state.unauthorized_message.clone();
        return error(401, &message);
    }
    let full = match &call.query {
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
            return answer_unfaulted(state, origin, path, call, if_none_match).later(delay);
        }
        return fault(&slot.1);
    }
    answer_unfaulted(state, origin, path, call, if_none_match)
}

/// A pull request's page on the web (`html_url`), as a browser asks for
/// it: no token.
fn web_page(state: &State, path: &str) -> Option<Reply> {
    let rest = path.strip_prefix(&format!("/{}/pull/", state.repo))?;
    let pull = state.pulls.iter().find(|p| p.number.to_string() == rest)?;
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let html = format!(
        "<!doctype html><title>#{n} {title}</title><h1>#{n} {title}</h1>\n\
         <p>{repo}, {head} into {base}: a pull request of plandeck's emulated GitHub.</p>\n",
        n = pull.number,
        title = escape(&pull.title),
        repo = escape(&state.repo),
        head = escape(&pull.head_ref),
        base = escape(&pull.base_ref),
    );
    Some(Reply::new(200).raw(html, "text/html; charset=utf-8"))
}

fn answer_unfaulted(
    state: &mut State,
    origin: &str,
    path: &str,
    call: &Call,
    if_none_match: Option<&str>,
) -> Reply {
    let repo_prefix = format!("/repos/{}", state.repo);
    let Some(rest) = path.strip_prefix(&repo_prefix) else {
        return match path.trim_start_matches('/').split('/').collect::<Vec<_>>()[..] {
            ["user"] => ok(private_user_json(&state.user), None, if_none_match),
            ["orgs", org, "teams", slug, "memberships", login] => {
                let team = format!("{org}/{slug}");
                if state.teams.iter().any(|(t, l)| *t == team && l == login) {
                    ok(example("team-membership.json"), None, if_none_match)
                } else {
                    error(404, "Not Found")
                }
            }
            _ => error(404, "Not Found"),
        };
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    if call.method != "GET" {
        return mutate(state, &segments, call);
    }
    if let Some(reply) = super::actions::get(state, origin, &segments, call, if_none_match) {
        return reply;
    }
    let find = |n: &str| {
        let n: u64 = n.parse().ok()?;
        state.pulls.iter().find(|p| p.number == n).cloned()
    };
    if segments.as_slice() == ["pulls"] {
        let wanted_state = call.query("state").unwrap_or_else(|| "open".into());
        let base = call.query("base");
        let listed: Vec<Pull> = state
            .pulls
            .iter()
            .filter(|p| wanted_state == "all" || p.state == wanted_state)
            .filter(|p| base.as_ref().is_none_or(|b| *b == p.base_ref))
            .cloned()
            .collect();
        let items = listed.iter().map(|p| pull_entry(state, p)).collect();
        return listing_of_texts(state, origin, call, items, None, if_none_match);
    }
    let (items, single): (Vec<Value>, Option<Value>) = match segments.as_slice() {
        ["pulls", n] => match find(n) {
            Some(p) => (
                Vec::new(),
                Some(pull_json(&p, &state.repo, &state.web_origin)),
            ),
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
            let mut branch = example("branch.json");
            branch["name"] = json!(name);
            branch["commit"]["sha"] = json!(sha);
            (Vec::new(), Some(branch))
        }
        ["git", "trees", sha] => {
            let Some((_, entries, truncated)) = state.trees.iter().find(|(c, _, _)| c == sha)
            else {
                return error(404, "Not Found");
            };
            let mut tree = example("git-tree.json");
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
            let at = call.query("ref").unwrap_or_default();
            let found = state
                .contents
                .iter()
                .find(|(r, p, _)| *r == at && *p == wanted);
            return match found {
                Some((_, _, text)) => Reply::new(200).raw(text.clone(), "text/plain"),
                None => error(404, "Not Found"),
            };
        }
        ["compare", spec] if call.header("accept") == Some("application/vnd.github+json") => {
            if !state.pulls.iter().any(|p| spec.ends_with(&p.head_sha)) {
                return error(404, "Not Found");
            }
            let mut comparison = example("commit-comparison.json");
            comparison["merge_base_commit"]["sha"] = json!(state.merge_base);
            (Vec::new(), Some(comparison))
        }
        ["compare", spec] => {
            let head = spec.rsplit_once("...").map(|(_, h)| h).unwrap_or_default();
            let pull = state.pulls.iter().find(|p| p.head_sha == head);
            return match pull {
                Some(p) if call.header("accept") == Some("application/vnd.github.diff") => {
                    Reply::new(200).raw(p.compare_diff.clone(), "text/plain; charset=utf-8")
                }
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
                    .map(|r| review_json(r, &state.outsiders))
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
            let head = call.query("head_sha");
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
                call,
                items,
                Some("workflow_runs"),
                if_none_match,
            );
        }
        ["actions", "runs", id, "artifacts"] => {
            let name = call.query("name");
            let Some(run) = state.runs.iter().find(|r| r.id.to_string() == *id) else {
                return error(404, "Not Found");
            };
            let items: Vec<Value> = run
                .artifacts
                .iter()
                .filter(|a| name.as_ref().is_none_or(|n| *n == a.name))
                .map(|a| artifact_json(a, run))
                .collect();
            return listing(state, origin, call, items, Some("artifacts"), if_none_match);
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
                    Reply::new(302).header("location", &location)
                }
                None => error(404, "Not Found"),
            };
        }
        _ => return error(404, "Not Found"),
    };
    if let Some(one) = single {
        return ok(one, None, if_none_match);
    }
    listing(state, origin, call, items, None, if_none_match)
}

/// A pull request's listing entry as JSON text, built again only when
/// what it shows changed.
fn pull_entry(state: &mut State, pull: &Pull) -> String {
    let shown = format!(
        "{:?}",
        (
            &pull.title,
            &pull.state,
            pull.draft,
            pull.author,
            &pull.head_ref,
            &pull.head_sha,
            &pull.base_ref,
            &pull.updated_at,
            &pull.labels,
        )
    );
    match state.pull_entries.get(&pull.number) {
        Some((known, text)) if *known == shown => text.clone(),
        _ => {
            let text = pull_json(pull, &state.repo, &state.web_origin).to_string();
            state
                .pull_entries
                .insert(pull.number, (shown, text.clone()));
            text
        }
    }
}

/// A page of `items` (as an array, or wrapped in `{total_count, KEY}`).
pub(super) fn listing(
    state: &State,
    origin: &str,
    call: &Call,
    items: Vec<Value>,
    wrap: Option<&str>,
    if_none_match: Option<&str>,
) -> Reply {
    let texts = items.iter().map(Value::to_string).collect();
    listing_of_texts(state, origin, call, texts, wrap, if_none_match)
}

/// [`listing`] of items already written as JSON.
fn listing_of_texts(
    state: &State,
    origin: &str,
    call: &Call,
    items: Vec<String>,
    wrap: Option<&str>,
    if_none_match: Option<&str>,
) -> Reply {
    let total = items.len();
    let per_page = call
        .query("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30usize)
        .clamp(1, state.max_per_page.max(1));
    let page = call
        .query("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let chunk: Vec<String> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let link = (page < last).then(|| {
        let link_origin = state.link_origin.as_deref().unwrap_or(origin);
        let at = |n: usize| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in call.pairs().iter().filter(|(k, _)| k != "page") {
                query.append_pair(k, v);
            }
            query.append_pair("page", &n.to_string());
            format!("<{link_origin}{}?{}>", call.path, query.finish())
        };
        format!("{}; rel=\"next\", {}; rel=\"last\"", at(page + 1), at(last))
    });
    let array = format!("[{}]", chunk.join(","));
    let body = match wrap {
        Some(key) => format!("{{\"total_count\":{total},{}:{array}}}", Value::from(key)),
        None => array,
    };
    ok_text(body, link, if_none_match)
}

fn fault(fault: &Fault) -> Reply {
    match fault {
        Fault::RateLimit { reset } => error(403, "API rate limit exceeded for user ID 583231.")
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", &reset.to_string()),
        Fault::RetryAfter { seconds } => error(429, "You have exceeded a secondary rate limit.")
            .header("retry-after", &seconds.to_string()),
        Fault::Status(status, message) => error(*status, message),
        Fault::BadJson => Reply::new(200).raw("<html>not json</html>", "text/html"),
        Fault::Slow(delay) => error(504, "slow fault answered without its answer").later(*delay),
    }
}

/// A 200 with an ETag of the body, or a 304 when the client has it.
pub(super) fn ok(body: Value, link: Option<String>, if_none_match: Option<&str>) -> Reply {
    ok_text(body.to_string(), link, if_none_match)
}

fn ok_text(text: String, link: Option<String>, if_none_match: Option<&str>) -> Reply {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    link.hash(&mut hasher);
    let etag = format!("W/\"{:016x}\"", hasher.finish());
    if if_none_match == Some(etag.as_str()) {
        return Reply::new(304).header("etag", &etag);
    }
    let reply = Reply::new(200)
        .raw(text, "application/json; charset=utf-8")
        .header("etag", &etag);
    match link {
        Some(link) => reply.header("link", &link),
        None => reply,
    }
}

/// What a POST, PATCH or DELETE does, as GitHub would.
fn mutate(state: &mut State, segments: &[&str], call: &Call) -> Reply {
    let body: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
    let pull_of = |state: &State, n: &str| {
        let n: u64 = n.parse().ok()?;
        state.pulls.iter().position(|p| p.number == n)
    };
    let me = (state.user.0, state.user.1.clone());
    state.next_id += 1;
    let id = 1000 + state.next_id;
    if call.method == "POST" {
        if let Some(reply) = super::actions::post(state, segments, &body, id) {
            return reply;
        }
    }
    match (call.method.as_str(), segments) {
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
            // GitHub's own rule: no approving or blocking your own PR.
            if matches!(review_state, "APPROVED" | "CHANGES_REQUESTED")
                && state.pulls[at].author.0 == me.0
            {
                return error(422, "Can not approve your own pull request");
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
                submitted_at: (review_state != "PENDING").then(|| submitted_now(state)),
            };
            let answer = review_json(&review, &state.outsiders);
            state.reviews.push(review);
            Reply::json(200, &answer)
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
                .map(|name| label_json(name))
                .collect();
            Reply::json(200, &Value::Array(labels))
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
            Reply::json(200, &json!([]))
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
            Reply::json(201, &answer)
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
            Reply::json(200, &comment_json(comment))
        }
        ("PUT", ["pulls", n, "merge"]) => {
            let Some(at) = pull_of(state, n) else {
                return error(404, "Not Found");
            };
            let pull = &state.pulls[at];
            if pull.state != "open" || pull.merged.is_some() {
                return error(405, "Pull Request is not mergeable");
            }
            if body["sha"].as_str().is_some_and(|sha| sha != pull.head_sha) {
                return error(
                    409,
                    "Head branch was modified. Review and try the merge again.",
                );
            }
            let method = body["merge_method"].as_str().unwrap_or("merge").to_string();
            if !["merge", "squash", "rebase"].contains(&method.as_str()) {
                return error(422, "Validation Failed");
            }
            let sha = format!("{:040x}", 0xfeed_0000_0000_u64 + id);
            let base = pull.base_ref.clone();
            let pull = &mut state.pulls[at];
            pull.state = "closed".into();
            pull.merged = Some(MergedSpec {
                sha: sha.clone(),
                method,
                title: body["commit_title"].as_str().unwrap_or_default().into(),
                message: body["commit_message"].as_str().unwrap_or_default().into(),
            });
            match state.branches.iter_mut().find(|(b, _)| *b == base) {
                Some(branch) => branch.1 = sha.clone(),
                None => state.branches.push((base, sha.clone())),
            }
            let mut answer = example("pull-request-merge-result.json");
            answer["sha"] = json!(sha);
            Reply::json(200, &answer)
        }
        ("DELETE", ["git", "refs", "heads", name @ ..]) => {
            let name = name
                .iter()
                .map(|s| percent_decode(s))
                .collect::<Vec<_>>()
                .join("/");
            let before = state.branches.len();
            state.branches.retain(|(b, _)| *b != name);
            if state.branches.len() == before {
                return error(422, "Reference does not exist");
            }
            Reply::new(204)
        }
        ("POST", ["statuses", sha]) => {
            let status = StatusSpec {
                sha: sha.to_string(),
                state: body["state"].as_str().unwrap_or_default().into(),
                context: body["context"].as_str().unwrap_or("default").into(),
                description: body["description"].as_str().unwrap_or_default().into(),
            };
            let mut answer = example("status.json");
            answer["state"] = json!(status.state);
            answer["context"] = json!(status.context);
            answer["description"] = json!(status.description);
            state.statuses.push(status);
            Reply::json(201, &answer)
        }
        _ => error(404, "Not Found"),
    }
}

/// Now, as GitHub writes times, and always after the last review.
fn submitted_now(state: &mut State) -> String {
    state.last_submitted = unix_now().max(state.last_submitted + 1);
    jiff::Timestamp::from_second(state.last_submitted).map_or_else(
        |_| "1970-01-01T00:00:00Z".into(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(String::new, |(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, path: &str, query: Option<&str>) -> Call {
        let mut headers = http::HeaderMap::new();
        let token = format!("Bearer {TOKEN}");
        headers.insert(
            "authorization",
            http::HeaderValue::from_str(&token).expect("header"),
        );
        Call {
            method: method.into(),
            path: path.into(),
            query: query.map(String::from),
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn a_label_name_is_percent_decoded() {
        assert_eq!(percent_decode("plandeck%3Ablocked"), "plandeck:blocked");
        assert_eq!(percent_decode("a+b%20c"), "a+b c");
    }

    #[test]
    fn listings_link_the_next_and_last_pages_keeping_the_query() {
        let mut state = State::new("o/n");
        state.max_per_page = 2;
        for n in 1..=5 {
            state
                .pulls
                .push(super::super::state::Pull::new(n, &["a.tf"]));
        }
        let reply = api(
            &mut state,
            "http://h",
            &call("GET", "/repos/o/n/pulls", Some("per_page=100&base=main")),
        );
        assert_eq!(reply.status, 200);
        let link = reply
            .headers
            .iter()
            .find(|(k, _)| k == "link")
            .map(|(_, v)| v.clone())
            .expect("link");
        assert_eq!(
            link,
            "<http://h/repos/o/n/pulls?per_page=100&base=main&page=2>; rel=\"next\", \
             <http://h/repos/o/n/pulls?per_page=100&base=main&page=3>; rel=\"last\""
        );
        let etag = reply
            .headers
            .iter()
            .find(|(k, _)| k == "etag")
            .map(|(_, v)| v.clone())
            .expect("etag");
        let mut again = call("GET", "/repos/o/n/pulls", Some("per_page=100&base=main"));
        again.headers.insert(
            "if-none-match",
            http::HeaderValue::from_str(&etag).expect("header"),
        );
        assert_eq!(api(&mut state, "http://h", &again).status, 304);
    }

    #[test]
    fn a_call_without_the_token_is_refused_and_logged() {
        let mut state = State::new("o/n");
        let mut anonymous = call("GET", "/user", None);
        anonymous.headers.clear();
        assert_eq!(api(&mut state, "http://h", &anonymous).status, 401);
        assert!(!state.log[0].authorized);
    }
}
