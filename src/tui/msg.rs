//! What flows through the TUI: user intents (`Action`), inputs to `update`
//! (`Msg`), side effects `update` asks for (`Effect`) and their results
//! (`BackendEvent`). Plain data: no behaviour lives here.

pub use super::jobs::JobId;
use crate::backend::BackendError;
use crate::cost::CostReport;
use crate::plan::Plan;
use crate::risk::Risk;
use crate::source::{Identity, Request, StoredPlan};
use crate::summary::Summary;
use crossterm::event::{KeyEvent, MouseEvent};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Identifies one fetch, so results of superseded fetches are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReqId(pub u64);

/// An input to `update`.
#[derive(Debug)]
pub enum Msg {
    /// A key press (releases and repeats are filtered out before).
    Key(KeyEvent),
    /// A mouse event (only scrolling is used).
    Mouse(MouseEvent),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Time passed while work runs (spinners, clock).
    Tick { now: i64 },
    /// A background task finished something.
    Backend(BackendEvent),
}

/// A user intent, bound to keys by the keymap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Move the cursor down one row.
    SelectNext,
    /// Move the cursor up one row.
    SelectPrev,
    /// Go to the first row.
    Top,
    /// Go to the last row.
    Bottom,
    /// Scroll down half a page.
    PageDown,
    /// Scroll up half a page.
    PageUp,
    /// Open the selected request, root or resource.
    Open,
    /// Go back one screen (or close an overlay).
    Back,
    /// Quit plandeck.
    Quit,
    /// Show or hide the key help.
    Help,
    /// Start typing a search (plan and code views) or a filter (request list).
    Search,
    /// Jump to the next search match.
    SearchNext,
    /// Jump to the previous search match.
    SearchPrev,
    /// Reload the request list.
    Refresh,
    /// Cycle the sort order of the request list.
    CycleSort,
    /// Fold or unfold the resource under the cursor.
    ToggleFold,
    /// Fold or unfold every resource.
    ToggleFoldAll,
    /// Mark the resource under the cursor as viewed (or not).
    ToggleViewed,
    /// Jump to the next delete or replacement.
    NextDestructive,
    /// Jump to the previous delete or replacement.
    PrevDestructive,
    /// Cycle the action filter (all, create, update, delete, replace, …).
    CycleActionFilter,
    /// Cycle the minimum risk shown (all, medium, high, critical).
    CycleRiskFilter,
    /// Show what noise rules hide, or hide it again.
    ToggleNoise,
    /// Show the request's code diff.
    OpenCode,
    /// Next file (code view) or next section.
    NextFile,
    /// Previous file (code view) or previous section.
    PrevFile,
    /// Run the plan of the selected request again (`plandeck plan`).
    RunPlan,
    /// Approve the plan on screen (opens a confirmation with the gate report).
    Approve,
    /// Block the root on screen with a reason (opens a prompt).
    Block,
    /// Confirm the open confirmation (`y`).
    Confirm,
    /// Open the audit log view.
    OpenAudit,
    /// Switch between what changed since your approval and the whole plan.
    ToggleDelta,
    /// Apply the root on screen (opens a confirmation listing every gate check).
    ApplyPlan,
    /// Open the Drift view.
    OpenDrift,
    /// Drift view: block every open request touching the selected root.
    BlockDriftedRoot,
    /// Drift view: acknowledge the selected root's drift with a note.
    AcknowledgeDrift,
    /// Requests list: show or hide the preview pane of the selected request.
    TogglePreview,
    /// Requests list: post the selected request's summary comment and
    /// each root's status on its forge.
    PostComment,
    /// Open the request's page (its pull request) in the browser.
    OpenInBrowser,
    /// Copy the request's page URL to the clipboard (OSC 52).
    CopyUrl,
    /// Plan view: move the focus to the next pane (outline ⇄ diff).
    FocusNextPane,
    /// Plan view: move the focus to the previous pane.
    FocusPrevPane,
}

/// A side effect requested by `update`, carried out by the runner.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// List requests with their stored plans' summaries; gates are judged
    /// at `now` (the state's clock, never the loader's).
    LoadRequests { req: ReqId, now: i64 },
    /// Load one stored plan for the plan view, its gate judged at `now`.
    LoadPlan {
        req: ReqId,
        now: i64,
        request: Box<Request>,
        root: String,
    },
    /// Load the request's code diff.
    LoadCode { req: ReqId, request: Box<Request> },
    /// Save the set of viewed resources for (reviewer, request, root, digest).
    SaveProgress {
        key: ProgressKey,
        viewed: BTreeSet<String>,
    },
    /// Remember the head each request had when the operator last opened it.
    SaveSeen { request: String, head: String },
    /// Plan the request's roots with the configured binary.
    RunPlan { job: JobId, request: Box<Request> },
    /// Stop a running plan or apply (its Terraform gets SIGINT).
    CancelJob { job: JobId },
    /// Store a confirmed decision (with the source and in the audit log).
    RecordDecision {
        job: JobId,
        decision: Box<crate::review::Decision>,
    },
    /// Post a request's summary comment and statuses on its forge.
    PostComment { job: JobId, request: Box<Request> },
    /// Open a web page (a checked http(s) URL) with `$BROWSER` or xdg-open.
    OpenUrl { url: String },
    /// Put text on the terminal's clipboard: an OSC 52 sequence of
    /// plandeck's own, written by the UI thread, which owns the terminal.
    CopyToClipboard { text: String },
    /// Read the audit log.
    LoadAudit { req: ReqId },
    /// Read the drift reports.
    LoadDrift { req: ReqId },
    /// Block every request touching a drifted root, or acknowledge its drift.
    DriftAction {
        job: JobId,
        root: String,
        text: String,
        block: bool,
    },
    /// Run `plandeck apply REQUEST --root ROOT`, streaming its output.
    RunApply {
        job: JobId,
        request: String,
        root: String,
    },
    /// Stop the program.
    Quit,
}

/// Whose review progress of which plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProgressKey {
    pub reviewer: String,
    pub request: String,
    pub root: String,
    pub digest: String,
}

/// Summary of one root's stored plan, for the list and the matrix.
#[derive(Clone, Debug)]
pub struct RootPlanInfo {
    pub stored: Option<StoredPlan>,
    /// No plan yet, and a CI run of the head is still going.
    pub pending: bool,
    pub summary: Option<Summary>,
    /// The gate of this root (approvals, blocks, checks).
    pub gate: Option<crate::review::GateReport>,
    /// Why the stored plan could not be read, when it could not.
    pub error: Option<String>,
    /// The root's last drift check on the base branch, when there is one.
    pub drift: Option<crate::drift::DriftReport>,
    /// Being applied, interrupted, or the last apply result for this head.
    pub apply: Option<super::ApplyState>,
}

impl RootPlanInfo {
    pub fn highest_risk(&self) -> Option<Risk> {
        self.summary.as_ref().and_then(|s| s.risk.highest)
    }
}

/// A request with what the list shows about each of its roots.
#[derive(Clone, Debug)]
pub struct RequestEntry {
    pub request: Request,
    /// Parallel to `request.roots`.
    pub roots: Vec<RootPlanInfo>,
    /// The forge's own review state, where there is a forge.
    pub forge_reviews: Option<crate::backend::ForgeReviews>,
}

/// A loaded plan with what the plan view needs precomputed off the UI thread.
#[derive(Debug)]
pub struct LoadedPlan {
    pub plan: Arc<Plan>,
    pub cost: Option<Arc<CostReport>>,
    pub summary: Summary,
    /// Risk of each resource change, parallel to `plan.resource_changes`.
    pub risks: Vec<Risk>,
    pub stored: StoredPlan,
    /// Addresses the reviewer already marked viewed.
    pub viewed: BTreeSet<String>,
    /// The root's gate and the decisions it was computed from.
    pub review: crate::source::gate::RootReview,
    pub decisions: Vec<crate::review::Decision>,
    /// Who is reviewing, or why the backend cannot tell (in its words:
    /// git says which settings to make, a forge which token is missing).
    pub reviewer: Result<Identity, String>,
    /// When the reviewer's approval went stale because the plan changed:
    /// the digest they approved and what changed since, rendered.
    pub since_approval: Option<(String, Vec<crate::render::Line>)>,
    /// Being applied, interrupted, or the last apply result for this head.
    pub apply: Option<super::ApplyState>,
}

/// Results of background work.
#[derive(Debug)]
pub enum BackendEvent {
    /// The browser was started for a page, or could not be.
    UrlOpened { result: Result<(), String> },
    RequestsLoaded {
        req: ReqId,
        /// Boxed: the list is by far the largest event.
        result: Result<Box<RequestsSnapshot>, BackendError>,
    },
    PlanLoaded {
        req: ReqId,
        result: Result<Box<LoadedPlan>, BackendError>,
    },
    CodeLoaded {
        req: ReqId,
        result: Result<crate::codeview::CodeDiff, BackendError>,
    },
    /// A line of progress from long work (planning), for its job's pane.
    JobProgress { job: JobId, text: String },
    /// Planning finished (successfully or not); the list is reloaded after.
    PlanFinished {
        job: JobId,
        result: Result<String, String>,
    },
    DriftLoaded {
        req: ReqId,
        result: Result<Vec<DriftEntry>, BackendError>,
    },
    /// A drift block or acknowledgement was recorded (or why not).
    DriftActed {
        job: JobId,
        result: Result<String, BackendError>,
    },
    /// A line of an apply's output.
    ApplyLine { job: JobId, text: String },
    /// The apply ended: its last words, or why it failed.
    ApplyFinished {
        job: JobId,
        result: Result<String, String>,
    },
    /// The comment and statuses were posted (or why not).
    CommentPosted {
        job: JobId,
        request: String,
        result: Result<crate::report::Published, BackendError>,
    },
    /// A decision was stored (or why not).
    DecisionRecorded {
        job: JobId,
        result: Result<String, BackendError>,
    },
    AuditLoaded {
        req: ReqId,
        result: Result<Vec<crate::audit::AuditRecord>, BackendError>,
    },
    /// A write (progress, seen marks) succeeded.
    Saved,
    /// A write (progress, seen marks) failed.
    SaveFailed { error: String },
}

/// The request list as loaded, with who is reviewing and what they saw.
#[derive(Clone, Debug)]
pub struct RequestsSnapshot {
    pub entries: Vec<RequestEntry>,
    pub reviewer: Option<Identity>,
    /// Request id → head commit when the operator last opened it.
    pub seen: std::collections::BTreeMap<String, String>,
    pub source: String,
    /// The forge API's rate limit left after the load, when there is one.
    pub api_rate: Option<crate::backend::ApiRate>,
}

/// One root's drift report, its drifted resources rendered.
#[derive(Clone, Debug)]
pub struct DriftEntry {
    pub report: crate::drift::DriftReport,
    pub lines: Vec<crate::render::Line>,
}
