//! Reads from GitHub's REST API through octocrab, on a runtime of its own
//! so the blocking backend traits can call it from any thread (the TUI's
//! blocking pool, the CLI, a test): every call is spawned there and waited
//! for on a channel.
//!
//! Each answer is read here, not by octocrab's typed calls, because the
//! status and headers decide what it means: a 304 answers from the ETag
//! cache (in memory only), `Link: rel="next"` is the next page (never on
//! another host: the token would follow), and an error becomes the
//! [`BackendError`] a front end can act on. octocrab's retry layer is left
//! out: nothing is retried blindly. Every message that came back from the
//! server is redacted of the token before it goes anywhere.

use super::token::Token;
use crate::backend::BackendError;
use http::{HeaderMap, HeaderValue, header};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Requests in flight at most, across every caller of one source: under
/// GitHub's secondary limit of 100 concurrent requests.
pub const MAX_IN_FLIGHT: usize = 64;

/// How long one request, or reading its body, may take by default.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Pages followed at most for one listing (GitHub caps what matters
/// lower: 3,000 files are 30 pages of 100).
pub(super) const MAX_PAGES: usize = 100;

/// The JSON media type GitHub documents for its REST API.
pub(super) const JSON: &str = "application/vnd.github+json";

/// One page of an answer: its body and the path of the next page.
#[derive(Clone, Debug)]
pub(super) struct Page {
    pub body: Arc<str>,
    pub next: Option<String>,
    /// The path of `rel="last"`, when the server names it.
    pub last: Option<String>,
}

/// A method that changes something on GitHub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mutation {
    Post,
    Put,
    Patch,
    Delete,
}

impl Mutation {
    fn word(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// What the API was asked, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub calls: u64,
    /// Answers served from the ETag cache.
    pub not_modified: u64,
    /// The most requests that were in flight at once.
    pub max_in_flight: u64,
}

/// A client of one API root.
#[derive(Clone)]
pub(super) struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    driver: Driver,
    client: octocrab::Octocrab,
    /// `scheme://host[:port]` of the API root: the only origin followed.
    origin: String,
    api_url: String,
    token: Token,
    timeout: Duration,
    /// Path → the last 200 answer with an ETag.
    cache: Mutex<HashMap<String, Page2>>,
    calls: AtomicU64,
    not_modified: AtomicU64,
    slots: tokio::sync::Semaphore,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    /// The rate limit as the last answer that stated it said.
    rate: Mutex<Option<crate::backend::ApiRate>>,
}

/// A request's place among those in flight, given back when dropped.
struct Slot<'a> {
    inner: &'a Inner,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A cached page with the ETag it came with.
#[derive(Clone)]
struct Page2 {
    etag: String,
    page: Page,
}

/// The runtime the calls run on; shut down without waiting when dropped,
/// so dropping the backend inside another runtime cannot panic.
struct Driver(Option<tokio::runtime::Runtime>);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Api {
    pub fn new(api_url: &str, token: Token, timeout: Duration) -> Result<Self, BackendError> {
        let api_url = api_url.trim_end_matches('/').to_string();
        let origin = origin_of(&api_url).ok_or_else(|| {
            BackendError::Invalid(format!("github.api_url {api_url:?} has no host"))
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("plandeck-github")
            .enable_all()
            .build()
            .map_err(|e| BackendError::Internal(format!("cannot start the GitHub runtime: {e}")))?;
        let client = {
            let _context = runtime.enter();
            octocrab::Octocrab::builder()
                .base_uri(api_url.as_str())
                .map_err(|e| BackendError::Invalid(format!("github.api_url {api_url:?}: {e}")))?
                .personal_token(token.secret().to_string())
                .set_connect_timeout(Some(timeout.min(Duration::from_secs(10))))
                .set_read_timeout(Some(timeout))
                .build()
                .map_err(|e| BackendError::Internal(token.redact(&chain(&e))))?
        };
        Ok(Self {
            inner: Arc::new(Inner {
                driver: Driver(Some(runtime)),
                client,
                origin,
                api_url,
                token,
                timeout,
                cache: Mutex::new(HashMap::new()),
                calls: AtomicU64::new(0),
                not_modified: AtomicU64::new(0),
                slots: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
                in_flight: AtomicU64::new(0),
                max_in_flight: AtomicU64::new(0),
                rate: Mutex::new(None),
            }),
        })
    }

    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }

    pub fn rate(&self) -> Option<crate::backend::ApiRate> {
        self.inner.rate.lock().ok().and_then(|r| *r)
    }

    /// Keeps the rate limit an answer states.
    fn note_rate(&self, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let (Some(remaining), Some(limit)) =
            (number("x-ratelimit-remaining"), number("x-ratelimit-limit"))
        {
            let rate = crate::backend::ApiRate {
                remaining,
                limit,
                reset_at: number("x-ratelimit-reset").and_then(|r| i64::try_from(r).ok()),
            };
            if let Ok(mut known) = self.inner.rate.lock() {
                *known = Some(rate);
            }
        }
    }

    pub fn counts(&self) -> Counts {
        Counts {
            calls: self.inner.calls.load(Ordering::Relaxed),
            not_modified: self.inner.not_modified.load(Ordering::Relaxed),
            max_in_flight: self.inner.max_in_flight.load(Ordering::Relaxed),
        }
    }

    /// Waits for a place among the requests in flight.
    async fn slot(&self) -> Result<Slot<'_>, BackendError> {
        let inner = &*self.inner;
        let permit = inner
            .slots
            .acquire()
            .await
            .map_err(|_| BackendError::Internal("the GitHub client is closing".into()))?;
        let now = inner.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        inner.max_in_flight.fetch_max(now, Ordering::Relaxed);
        inner.calls.fetch_add(1, Ordering::Relaxed);
        Ok(Slot {
            inner,
            _permit: permit,
        })
    }

    /// Runs `work` on the API's runtime and waits for it: callable from
    /// any thread, inside another runtime too.
    pub fn block<T, F>(&self, work: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, BackendError>> + Send + 'static,
    {
        self.spawn(work)?
            .recv()
            .map_err(|_| BackendError::Internal("a GitHub call stopped (it panicked)".into()))?
    }

    /// Starts `work` on the API's runtime; its result arrives on the
    /// receiver (which hangs up if it panicked).
    pub fn spawn<T, F>(
        &self,
        work: F,
    ) -> Result<std::sync::mpsc::Receiver<Result<T, BackendError>>, BackendError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, BackendError>> + Send + 'static,
    {
        let Some(runtime) = &self.inner.driver.0 else {
            return Err(BackendError::Internal("the GitHub runtime is gone".into()));
        };
        let (done, result) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = done.send(work.await);
        });
        Ok(result)
    }

    /// GETs `path` (`/repos/…`, or a next page's path) with `accept`,
    /// revalidating a cached answer by its ETag.
    pub async fn get(&self, path: &str, accept: &str) -> Result<Page, BackendError> {
        let inner = &self.inner;
        let key = format!("{accept} {path}");
        let cached = inner
            .cache
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).cloned());
        let mut headers = HeaderMap::new();
        let accept = HeaderValue::from_str(accept)
            .map_err(|_| BackendError::Internal(format!("bad Accept {accept:?}")))?;
        headers.insert(header::ACCEPT, accept);
        if let Some(etag) = cached
            .as_ref()
            .and_then(|c| HeaderValue::from_str(&c.etag).ok())
        {
            headers.insert(header::IF_NONE_MATCH, etag);
        }
        let _slot = self.slot().await?;
        let where_ = format!("GET {}{path}", inner.api_url);
        let call = inner.client._get_with_headers(path, Some(headers));
        let response = tokio::time::timeout(inner.timeout, call)
            .await
            .map_err(|_| timed_out(&where_, inner.timeout))?
            .map_err(|e| {
                BackendError::Network(inner.token.redact(&format!("{where_}: {}", chain(&e))))
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.note_rate(&headers);
        let body = tokio::time::timeout(inner.timeout, inner.client.body_to_string(response))
            .await
            .map_err(|_| timed_out(&where_, inner.timeout))?
            .map_err(|e| {
                BackendError::Network(inner.token.redact(&format!("{where_}: {}", chain(&e))))
            })?;
        if status == 304 {
            inner.not_modified.fetch_add(1, Ordering::Relaxed);
            return cached.map(|c| c.page).ok_or_else(|| {
                BackendError::Parse(format!("{where_}: 304 Not Modified for nothing asked"))
            });
        }
        if !(200..300).contains(&status) {
            return Err(error_of(status, &headers, &body, &where_, &inner.token));
        }
        let page = Page {
            body: body.into(),
            next: self.link_path(&headers, "next", &where_)?,
            last: self.link_path(&headers, "last", &where_)?,
        };
        if let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
            if let Ok(mut cache) = inner.cache.lock() {
                let entry = Page2 {
                    etag: etag.to_string(),
                    page: page.clone(),
                };
                cache.insert(key, entry);
            }
        }
        Ok(page)
    }

    /// Sends a mutation once: never retried (a review, a label, a status
    /// or a comment sent twice is two). A timeout says the outcome is
    /// unknown rather than that nothing happened.
    pub async fn send(
        &self,
        method: Mutation,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Page, BackendError> {
        let inner = &self.inner;
        let _slot = self.slot().await?;
        let where_ = format!("{} {}{path}", method.word(), inner.api_url);
        let client = &inner.client;
        let call = async {
            match method {
                Mutation::Post => client._post(path, body.as_ref()).await,
                Mutation::Put => client._put(path, body.as_ref()).await,
                Mutation::Patch => client._patch(path, body.as_ref()).await,
                Mutation::Delete => client._delete(path, body.as_ref()).await,
            }
        };
        let unknown = || {
            BackendError::Network(format!(
                "{where_}: no answer within {:?}; it may have been done: look before trying again",
                inner.timeout
            ))
        };
        let response = tokio::time::timeout(inner.timeout, call)
            .await
            .map_err(|_| unknown())?
            .map_err(|e| {
                BackendError::Network(inner.token.redact(&format!("{where_}: {}", chain(&e))))
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.note_rate(&headers);
        let text = tokio::time::timeout(inner.timeout, client.body_to_string(response))
            .await
            .map_err(|_| unknown())?
            .map_err(|e| {
                BackendError::Network(inner.token.redact(&format!("{where_}: {}", chain(&e))))
            })?;
        if !(200..300).contains(&status) {
            return Err(error_of(status, &headers, &text, &where_, &inner.token));
        }
        Ok(Page {
            body: text.into(),
            next: None,
            last: None,
        })
    }

    /// GETs `path` as bytes, at most `limit` of them, following a redirect
    /// to another host (an artifact's short-lived URL: octocrab's redirect
    /// policy leaves the token behind across origins). Never cached: what
    /// it downloads is kept by digest instead.
    pub async fn get_bytes(&self, path: &str, limit: u64) -> Result<Vec<u8>, BackendError> {
        use http_body_util::BodyExt;
        let inner = &self.inner;
        let _slot = self.slot().await?;
        let where_ = format!("GET {}{path}", inner.api_url);
        let network = |e: &dyn std::error::Error| {
            BackendError::Network(inner.token.redact(&format!("{where_}: {}", chain(e))))
        };
        let call = inner.client._get_with_headers(path, None);
        let response = tokio::time::timeout(inner.timeout, call)
            .await
            .map_err(|_| timed_out(&where_, inner.timeout))?
            .map_err(|e| network(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.note_rate(&headers);
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        let deadline = tokio::time::Instant::now() + inner.timeout.max(Duration::from_secs(300));
        while let Some(frame) = tokio::time::timeout_at(deadline, body.frame())
            .await
            .map_err(|_| timed_out(&where_, inner.timeout))?
        {
            let frame = frame.map_err(|e| network(&e))?;
            if let Ok(data) = frame.into_data() {
                if (bytes.len() + data.len()) as u64 > limit {
                    return Err(BackendError::Invalid(format!(
                        "{where_}: larger than {} MiB",
                        limit >> 20
                    )));
                }
                bytes.extend_from_slice(&data);
            }
        }
        if status == 410 {
            return Err(BackendError::NotFound(format!(
                "{where_}: 410 the artifact expired"
            )));
        }
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes);
            return Err(error_of(status, &headers, &text, &where_, &inner.token));
        }
        Ok(bytes)
    }

    /// The path of `Link: <…>; rel="REL"`, refused when it leaves the API's origin.
    fn link_path(
        &self,
        headers: &HeaderMap,
        rel: &str,
        where_: &str,
    ) -> Result<Option<String>, BackendError> {
        let Some(link) = headers.get(header::LINK).and_then(|v| v.to_str().ok()) else {
            return Ok(None);
        };
        let Some(url) = link_of(link, rel) else {
            return Ok(None);
        };
        match url.strip_prefix(&self.inner.origin) {
            Some(path) if path.starts_with('/') => Ok(Some(path.to_string())),
            _ => Err(BackendError::Parse(format!(
                "{where_}: the next page {url:?} is not on {} (not followed: the token would go along)",
                self.inner.origin
            ))),
        }
    }
}

/// `scheme://authority` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

/// The URL of `rel="next"` in a Link header.
#[cfg(test)]
fn next_link(link: &str) -> Option<&str> {
    link_of(link, "next")
}

/// The URL of `rel="REL"` in a Link header.
fn link_of<'a>(link: &'a str, rel: &str) -> Option<&'a str> {
    let quoted = format!("rel=\"{rel}\"");
    let bare = format!("rel={rel}");
    link.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        let is_rel = params
            .split(';')
            .any(|p| p.trim() == quoted || p.trim() == bare);
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_rel.then_some(url)
    })
}

/// Every page path from `next` to `last` when they differ only in their
/// `page=` number (GitHub's numbered pages), so they can be asked at once.
pub(super) fn pages_between(next: &str, last: &str, max: usize) -> Option<Vec<String>> {
    let number = |path: &str| -> Option<(String, usize)> {
        let (base, query) = path.split_once('?')?;
        let mut rest = Vec::new();
        let mut page = None;
        for pair in query.split('&') {
            match pair.strip_prefix("page=") {
                Some(n) if page.is_none() => page = Some(n.parse::<usize>().ok()?),
                Some(_) => return None,
                None => rest.push(pair),
            }
        }
        Some((format!("{base}?{}", rest.join("&")), page?))
    };
    let (next_base, from) = number(next)?;
    let (last_base, to) = number(last)?;
    if next_base != last_base || to < from || to - from >= max {
        return None;
    }
    let (base, query) = next.split_once('?')?;
    Some(
        (from..=to)
            .map(|n| {
                let pairs: Vec<String> = query
                    .split('&')
                    .map(|p| match p.strip_prefix("page=") {
                        Some(_) => format!("page={n}"),
                        None => p.to_string(),
                    })
                    .collect();
                format!("{base}?{}", pairs.join("&"))
            })
            .collect(),
    )
}

fn timed_out(where_: &str, timeout: Duration) -> BackendError {
    BackendError::Network(format!("{where_}: no answer within {:?}", timeout))
}

/// An error and its sources, in one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What an error answer means, with GitHub's own message.
pub(super) fn error_of(
    status: u16,
    headers: &HeaderMap,
    body: &str,
    where_: &str,
    token: &Token,
) -> BackendError {
    let message = token.redact(&server_message(body));
    let text = format!("{where_}: {status} {message}");
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let exhausted = number("x-ratelimit-remaining") == Some(0);
    let retry_after = number("retry-after");
    let limited = matches!(status, 403 | 429)
        && (exhausted
            || retry_after.is_some()
            || status == 429
            || message.to_ascii_lowercase().contains("rate limit"));
    if limited {
        let reset_at = match (retry_after, exhausted) {
            (Some(seconds), _) => Some(crate::clock::unix_now() + seconds.max(0)),
            (None, true) => number("x-ratelimit-reset"),
            (None, false) => None,
        };
        return BackendError::RateLimited {
            reset_at,
            message: text,
        };
    }
    match status {
        401 => BackendError::Auth(format!("{text} (check the token)")),
        403 => BackendError::Auth(format!("{text} (the token may lack a permission)")),
        404 => BackendError::NotFound(text),
        409 => BackendError::Conflict(text),
        422 => BackendError::Invalid(text),
        500..=599 => BackendError::Network(format!("{text} (GitHub failed; try again)")),
        _ => BackendError::Invalid(text),
    }
}

/// GitHub's `message` field, else the start of the body, in one line.
fn server_message(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Message {
        message: String,
    }
    let text = match serde_json::from_str::<Message>(body) {
        Ok(m) => m.message,
        Err(_) => body.chars().take(200).collect(),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let link = "<https://api.github.com/repositories/1/pulls?page=2>; rel=\"next\", \
                    <https://api.github.com/repositories/1/pulls?page=5>; rel=\"last\"";
        assert_eq!(
            next_link(link),
            Some("https://api.github.com/repositories/1/pulls?page=2")
        );
        assert_eq!(next_link("<https://x/p?page=1>; rel=\"prev\""), None);
    }

    #[test]
    fn numbered_pages_are_listed_from_next_to_last() {
        let pages = pages_between(
            "/repos/o/r/pulls?state=open&per_page=100&page=2",
            "/repos/o/r/pulls?state=open&per_page=100&page=4",
            100,
        );
        assert_eq!(
            pages.expect("numbered"),
            [
                "/repos/o/r/pulls?state=open&per_page=100&page=2",
                "/repos/o/r/pulls?state=open&per_page=100&page=3",
                "/repos/o/r/pulls?state=open&per_page=100&page=4",
            ]
        );
        // Cursors, another listing, too many pages: followed one by one.
        for (next, last) in [
            ("/x?after=abc", "/x?after=def"),
            ("/x?page=2", "/y?page=3"),
            ("/x?page=2&a=1", "/x?page=3&a=2"),
            ("/x?page=2&page=3", "/x?page=3"),
        ] {
            assert!(pages_between(next, last, 100).is_none(), "{next} {last}");
        }
        assert!(pages_between("/x?page=2", "/x?page=500", 100).is_none());
    }

    #[test]
    fn statuses_become_the_kinds_a_front_end_acts_on() {
        use crate::backend::ErrorKind;
        let token = Token::new("ghp_abc123".into(), "test").expect("token");
        let mut limited = HeaderMap::new();
        limited.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        limited.insert("x-ratelimit-reset", HeaderValue::from_static("1900000000"));
        let error = error_of(
            403,
            &limited,
            r#"{"message":"API rate limit exceeded"}"#,
            "GET x",
            &token,
        );
        assert!(
            matches!(
                error,
                BackendError::RateLimited {
                    reset_at: Some(1_900_000_000),
                    ..
                }
            ),
            "{error:?}"
        );
        let none = HeaderMap::new();
        let cases = [
            (401, ErrorKind::Auth),
            (403, ErrorKind::Auth),
            (404, ErrorKind::NotFound),
            (409, ErrorKind::Conflict),
            (429, ErrorKind::RateLimited),
            (502, ErrorKind::Network),
        ];
        for (status, kind) in cases {
            let error = error_of(status, &none, "<html>oops</html>", "GET x", &token);
            assert_eq!(error.kind(), kind, "{status}: {error}");
        }
        let echoed = error_of(
            401,
            &none,
            r#"{"message":"Bad credentials: ghp_abc123"}"#,
            "GET x",
            &token,
        );
        assert!(!echoed.to_string().contains("ghp_abc123"), "{echoed}");
    }
}
