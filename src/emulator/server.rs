//! The emulator's two hosts on 127.0.0.1: the API and the blob host that
//! artifact downloads are redirected to. Each listens on a port of its own
//! (another origin, so a client must drop its token on the way), on a
//! small tokio runtime of the emulator's own, which keeps it answering
//! while the thread that started it blocks.

use super::routes::{self, Call};
use super::state::{Logged, Pull, State};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The running emulator; dropping it stops both hosts.
pub struct Emulator {
    pub state: Arc<Mutex<State>>,
    origin: String,
    runtime: Option<tokio::runtime::Runtime>,
}

#[derive(Clone, Copy)]
enum Host {
    Api,
    Blobs,
}

impl Emulator {
    /// Starts it for `owner/name` with no pull requests.
    pub fn start(repo: &str) -> std::io::Result<Self> {
        Self::start_with(State::new(repo))
    }

    /// Starts it knowing `state` (its `blob_origin` is set here).
    pub fn start_with(mut state: State) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("plandeck-emulator")
            .enable_all()
            .build()?;
        let api = bind()?;
        let blobs = bind()?;
        let origin = format!("http://{}", api.local_addr()?);
        state.blob_origin = format!("http://{}", blobs.local_addr()?);
        state.web_origin = origin.clone();
        let state = Arc::new(Mutex::new(state));
        lock(&state).me = Some(Arc::downgrade(&state));
        {
            let _entered = runtime.enter();
            let api = tokio::net::TcpListener::from_std(api)?;
            let blobs = tokio::net::TcpListener::from_std(blobs)?;
            runtime.spawn(serve(api, Host::Api, origin.clone(), state.clone()));
            runtime.spawn(serve(blobs, Host::Blobs, origin.clone(), state.clone()));
        }
        Ok(Self {
            state,
            origin,
            runtime: Some(runtime),
        })
    }

    /// The API's origin, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.origin.clone()
    }

    pub fn with<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        change(&mut lock(&self.state))
    }

    pub fn add(&self, pull: Pull) {
        self.with(|s| s.pulls.push(pull));
    }

    /// Answers `fault` to the next `times` requests whose path and query
    /// contain `fragment`.
    pub fn fail(&self, fragment: &str, fault: super::Fault, times: usize) {
        self.with(|s| s.faults.push((fragment.to_string(), fault, times)));
    }

    pub fn log(&self) -> Vec<Logged> {
        self.with(|s| s.log.clone())
    }

    pub fn clear_log(&self) {
        self.with(|s| s.log.clear());
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Not a blocking shutdown: the emulator may be dropped on a runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn bind() -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A test that panicked while holding it leaves the state as it was.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn serve(
    listener: tokio::net::TcpListener,
    host: Host,
    origin: String,
    state: Arc<Mutex<State>>,
) {
    let origin: Arc<str> = origin.into();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (origin, state) = (origin.clone(), state.clone());
        tokio::spawn(async move {
            let service =
                service_fn(move |request| answer(host, origin.clone(), state.clone(), request));
            // A client hanging up mid-answer is its business.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    host: Host,
    origin: Arc<str>,
    state: Arc<Mutex<State>>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let call = Call {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(String::from),
        headers: parts.headers,
        body,
    };
    let reply = {
        let mut state = lock(&state);
        match host {
            Host::Api => routes::api(&mut state, &origin, &call),
            Host::Blobs => routes::blob(&mut state, &call),
        }
    };
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = hyper::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    Ok(response
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| {
            let mut broken = hyper::Response::new(Full::new(Bytes::from_static(b"bad reply")));
            *broken.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            broken
        }))
}
