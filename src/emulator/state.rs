//! What the emulated GitHub knows: its pull requests, runs and artifacts,
//! reviews, comments and statuses, and every request it answered.

use std::time::Duration;

/// The token the emulator accepts.
pub const TOKEN: &str = "ghp_EmulatedT0kenThatMustNeverLeak";

/// An account: (id, login).
pub type Account = (u64, &'static str);

pub const OCTOCAT: Account = (1, "octocat");
pub const ANN: Account = (583231, "ann");
pub const BOB: Account = (9001, "bob");

/// A pull request as a test or the demo describes it.
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
    /// The head branch is a fork's (`forker/NAME`), not this repository's.
    pub from_fork: bool,
    /// Once merged: the merge commit, the method and the message asked for.
    pub merged: Option<MergedSpec>,
}

/// How a pull request was merged through the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedSpec {
    pub sha: String,
    pub method: String,
    pub title: String,
    pub message: String,
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
            from_fork: false,
            merged: None,
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
    Slow(Duration),
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
    /// When it arrived.
    pub at: std::time::Instant,
}

#[derive(Default)]
pub struct State {
    pub repo: String,
    pub pulls: Vec<Pull>,
    /// The token's account: (id, login, name).
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
    /// Where pull requests' web pages are (`html_url`): the API's origin,
    /// which serves a page for each.
    pub web_origin: String,
    /// Downloads the blob host served: (path, whether a token came along).
    pub blob_log: Vec<(String, bool)>,
    pub next_id: u64,
    /// (org/slug, login) of each active team member.
    pub teams: Vec<(String, String)>,
    /// Logins without access to the repository: their reviews say
    /// `author_association: NONE` (everybody else's COLLABORATOR).
    pub outsiders: Vec<String>,
    /// Added to every answer (a far-away server).
    pub latency: Option<Duration>,
    /// Calls counted against the hour's rate limit of 5,000 (a 304 is
    /// free, as on GitHub).
    pub rate_used: u64,
    /// Unix seconds of the last review submitted: the next is later.
    pub last_submitted: i64,
    /// Pull request number → (what its listing entry shows, that entry
    /// as JSON text): building GitHub's 25 kB entry anew on every listing
    /// would make the emulator, not the client, what a benchmark times.
    pub(super) pull_entries: std::collections::HashMap<u64, (String, String)>,
    /// Workflows, their dispatched runs, and how those runs go.
    pub actions: super::actions::Actions,
    /// The state itself, for a runner's thread to record its run's end.
    pub(super) me: Option<std::sync::Weak<std::sync::Mutex<State>>>,
}

impl State {
    /// `owner/name` with no pull requests, ann's token, 100 items a page.
    pub fn new(repo: &str) -> Self {
        Self {
            repo: repo.to_string(),
            user: (ANN.0, ANN.1.to_string(), "Ann Example".into()),
            max_per_page: 100,
            unauthorized_message: "Bad credentials".into(),
            ..Self::default()
        }
    }
}
