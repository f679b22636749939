//! The project's own emulated GitHub REST API on 127.0.0.1: the demo's
//! forge (`plandeck demo --github`) and the one the GitHub source's tests
//! and benchmark run against. It keeps pull requests, workflow runs and
//! their artifacts, reviews, labels, comments and statuses, answers in the
//! shapes of GitHub's OpenAPI description (its examples, in
//! assets/github/openapi), pages listings with `Link` headers, answers
//! ETags with 304s, redirects artifact downloads to a second host, and
//! plays queued faults (rate limits, 5xx, bad JSON, slowness). It accepts
//! one token, [`TOKEN`], and logs every request.

mod actions;
mod routes;
mod server;
mod shapes;
mod state;

pub use actions::{Actions, Runner, WorkflowRun};
pub use server::Emulator;
pub use state::{
    ANN, Account, ArtifactSpec, BOB, CommentSpec, CommitSpec, Fault, Logged, MergedSpec, OCTOCAT,
    Pull, ReviewSpec, RunSpec, State, StatusSpec, TOKEN, TreeEntries,
};
