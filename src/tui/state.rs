//! Everything the TUI knows, as plain data. `update` changes it; drawing
//! only reads it. The mode is derived (`State::layer`), never stored twice.

use super::msg::{ReqId, RequestEntry, RequestsSnapshot};
use super::plan_view::{PlanView, Settings};
use crate::codeview::CodeDiff;
use crate::source::PlanStatus;
use std::sync::Arc;

/// Something loading in the background, loaded, or failed.
#[derive(Debug, Default)]
pub enum Loadable<T> {
    #[default]
    Idle,
    Loading,
    Loaded(T),
    Failed(String),
}

/// How the request list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Most recently updated first.
    #[default]
    Updated,
    /// Highest risk first.
    Risk,
    /// By request name.
    Name,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            Self::Updated => Self::Risk,
            Self::Risk => Self::Name,
            Self::Name => Self::Updated,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Updated => "updated",
            Self::Risk => "risk",
            Self::Name => "name",
        }
    }
}

/// The request list pane.
#[derive(Debug, Default)]
pub struct ListState {
    pub snapshot: Loadable<RequestsSnapshot>,
    pub selected: usize,
    pub filter: String,
    pub filter_editing: bool,
    pub sort: SortKey,
    /// The preview pane was turned off (`P`); it is on by default.
    pub hide_preview: bool,
}

impl ListState {
    /// Entries after filter and sort, as indices into the snapshot.
    pub fn visible(&self) -> Vec<usize> {
        let Loadable::Loaded(snapshot) = &self.snapshot else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<usize> = (0..snapshot.entries.len())
            .filter(|i| needle.is_empty() || matches_filter(&snapshot.entries[*i], &needle))
            .collect();
        let entries = &snapshot.entries;
        match self.sort {
            SortKey::Updated => {
                rows.sort_by_key(|i| std::cmp::Reverse(entries[*i].request.updated_at))
            }
            SortKey::Risk => rows.sort_by_key(|i| std::cmp::Reverse(highest_risk(&entries[*i]))),
            SortKey::Name => {
                rows.sort_by(|a, b| entries[*a].request.id.cmp(&entries[*b].request.id))
            }
        }
        rows
    }

    pub fn selected_entry(&self) -> Option<&RequestEntry> {
        let Loadable::Loaded(snapshot) = &self.snapshot else {
            return None;
        };
        self.visible()
            .get(self.selected)
            .map(|i| &snapshot.entries[*i])
    }
}

fn matches_filter(entry: &RequestEntry, needle: &str) -> bool {
    let r = &entry.request;
    r.id.to_lowercase().contains(needle)
        || r.title.to_lowercase().contains(needle)
        || r.authors
            .iter()
            .any(|a| a.name.to_lowercase().contains(needle))
        || r.roots.iter().any(|root| {
            root.path.to_lowercase().contains(needle)
                || root
                    .environment
                    .as_deref()
                    .is_some_and(|e| e.contains(needle))
        })
}

pub fn highest_risk(entry: &RequestEntry) -> Option<crate::risk::Risk> {
    entry.roots.iter().filter_map(|r| r.highest_risk()).max()
}

/// Whether a request changed since the operator last opened it.
pub fn is_new(snapshot: &RequestsSnapshot, entry: &RequestEntry) -> bool {
    snapshot.seen.get(&entry.request.id) != Some(&entry.request.head)
}

pub fn root_status(entry: &RequestEntry, root: usize) -> PlanStatus {
    let info = entry.roots.get(root);
    PlanStatus::with_pending(
        &entry.request,
        info.and_then(|r| r.stored.as_ref()),
        info.is_some_and(|r| r.pending),
    )
}

/// The screen under any overlay.
#[derive(Debug, Default)]
pub enum Screen {
    #[default]
    List,
    /// Roots of a request touching several (index of the request id).
    Matrix {
        request: String,
        selected: usize,
    },
    Plan(Box<Loadable<PlanView>>),
    Code(Box<CodeScreen>),
    Audit(Box<AuditScreen>),
    Log(Box<LogScreen>),
    Drift(Box<DriftScreen>),
}

/// The Drift view: roots with their last drift check.
#[derive(Debug)]
pub struct DriftScreen {
    pub entries: Loadable<Vec<super::msg::DriftEntry>>,
    pub selected: usize,
}

/// The code view of a request.
#[derive(Debug)]
pub struct CodeScreen {
    pub request: String,
    pub diff: Loadable<CodeDiff>,
    pub cursor: usize,
    pub search: String,
    pub search_editing: bool,
}

/// A confirmation or prompt over the screen. The modal never performs
/// anything itself: confirming returns an effect from `update`.
#[derive(Debug)]
pub enum Modal {
    Approve {
        decision: Box<crate::review::Decision>,
        report: Box<crate::review::GateReport>,
        /// The root name to type for a plan with critical changes.
        typed_confirmation: Option<String>,
        typed: String,
        /// Why `<Tab>` cannot switch to an emergency approval here (the
        /// environment does not allow it, or has no window); `None`: it can.
        emergency_refused: Option<String>,
        /// Set once `<Tab>` switched to an emergency approval.
        emergency: Option<EmergencyEntry>,
    },
    Block {
        decision: Box<crate::review::Decision>,
        report: Box<crate::review::GateReport>,
        reason: String,
    },
    /// A reason to block every request touching a drifted root, or a note
    /// acknowledging its drift.
    Drift {
        root: String,
        block: bool,
        text: String,
    },
    /// Apply a root: every gate check; `y` starts it only when all pass.
    Apply {
        request: String,
        root: String,
        report: Box<crate::review::GateReport>,
        /// What stops the apply, by the executor's rule; empty: it may start.
        blockers: Vec<String>,
        /// What the operator should know (an interrupted or finished apply).
        notes: Vec<String>,
    },
}

/// An emergency approval being entered: first its reason, then the root's
/// name typed to confirm (into the modal's `typed`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EmergencyEntry {
    pub reason: String,
    /// The reason is given; the root's name is being typed.
    pub confirming: bool,
}

/// Which child's output a log pane shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogKind {
    #[default]
    Apply,
    Plan,
}

/// Output of a running or finished apply or plan.
#[derive(Debug, Default)]
pub struct LogScreen {
    pub kind: LogKind,
    /// The job whose output this is: lines and the result of other jobs
    /// never land here.
    pub job: Option<super::jobs::JobId>,
    pub title: String,
    /// The newest lines; older ones are dropped past the cap.
    pub lines: std::collections::VecDeque<String>,
    pub dropped: usize,
    pub finished: Option<Result<String, String>>,
    pub cursor: usize,
}

impl LogScreen {
    /// Lines kept in memory (the full output is in the apply's log file).
    pub const CAP: usize = 5_000;

    pub fn push(&mut self, line: String) {
        if self.lines.len() == Self::CAP {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
        self.cursor = self.lines.len().saturating_sub(1);
    }
}

/// The audit log view.
#[derive(Debug)]
pub struct AuditScreen {
    pub records: Loadable<Vec<crate::audit::AuditRecord>>,
    pub cursor: usize,
    pub verified: Option<String>,
}

/// Which keymap layer is active, derived from the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// A confirmation or prompt: keys go to it.
    Modal,
    Help,
    /// Typing a filter or search.
    Input,
    List,
    Matrix,
    Plan,
    /// The plan view with the focus on its outline pane.
    Outline,
    Code,
    Audit,
    Drift,
}

impl Layer {
    /// Every layer, so tests (and the keymap) cannot forget one.
    pub const ALL: [Layer; 10] = [
        Layer::Modal,
        Layer::Help,
        Layer::Input,
        Layer::List,
        Layer::Matrix,
        Layer::Plan,
        Layer::Outline,
        Layer::Code,
        Layer::Audit,
        Layer::Drift,
    ];

    /// Whether the layer is a screen that takes the global keys (`?`, `q`,
    /// `<C-c>`) from the keymap. The match is exhaustive so a new layer
    /// must decide. A modal and text input take every key themselves
    /// (there `q` and `?` are text, `<C-c>` cancels or quits in `update`).
    pub fn is_screen(self) -> bool {
        match self {
            Layer::List
            | Layer::Matrix
            | Layer::Plan
            | Layer::Outline
            | Layer::Code
            | Layer::Audit
            | Layer::Drift => true,
            Layer::Modal | Layer::Help | Layer::Input => false,
        }
    }
}

/// The whole TUI state.
#[derive(Debug)]
pub struct State {
    pub settings: Arc<Settings>,
    pub list: ListState,
    pub screen: Screen,
    /// Screens to return to with `Esc`.
    pub back: Vec<Screen>,
    pub help: bool,
    pub modal: Option<Modal>,
    /// A one-line message (errors, refusals), shown until the next key.
    pub status: Option<String>,
    /// Work running in the background, each job with its own spinner.
    pub jobs: super::jobs::Jobs,
    /// The job loading the request list, while one runs.
    pub(crate) list_job: Option<super::jobs::JobId>,
    /// The job loading the plan view's plan, while one runs.
    pub(crate) plan_job: Option<super::jobs::JobId>,
    pub now: i64,
    pub spinner: usize,
    pub read_only: bool,
    pub should_quit: bool,
    pub(crate) last_req: ReqId,
    pub(crate) list_req: ReqId,
    pub(crate) plan_req: ReqId,
    pub(crate) code_req: ReqId,
}

impl State {
    pub fn new(settings: Arc<Settings>, now: i64) -> Self {
        Self {
            settings,
            list: ListState::default(),
            screen: Screen::List,
            back: Vec::new(),
            help: false,
            modal: None,
            status: None,
            jobs: Default::default(),
            list_job: None,
            plan_job: None,
            now,
            spinner: 0,
            read_only: false,
            should_quit: false,
            last_req: ReqId(0),
            list_req: ReqId(0),
            plan_req: ReqId(0),
            code_req: ReqId(0),
        }
    }

    pub fn layer(&self) -> Layer {
        if self.modal.is_some() {
            return Layer::Modal;
        }
        if self.help {
            return Layer::Help;
        }
        self.screen_layer()
    }

    /// The layer of the screen under any overlay.
    pub fn screen_layer(&self) -> Layer {
        match &self.screen {
            Screen::List if self.list.filter_editing => Layer::Input,
            Screen::List => Layer::List,
            Screen::Matrix { .. } => Layer::Matrix,
            Screen::Plan(view) => match view.as_ref() {
                Loadable::Loaded(v) if v.search.editing || v.outline.filter_editing => Layer::Input,
                Loadable::Loaded(v) if v.outline.focused => Layer::Outline,
                _ => Layer::Plan,
            },
            Screen::Code(code) if code.search_editing => Layer::Input,
            Screen::Code(_) => Layer::Code,
            Screen::Audit(_) | Screen::Log(_) => Layer::Audit,
            Screen::Drift(_) => Layer::Drift,
        }
    }

    pub(crate) fn next_req(&mut self) -> ReqId {
        self.last_req = ReqId(self.last_req.0 + 1);
        self.last_req
    }

    pub fn reviewer(&self) -> Option<String> {
        match &self.list.snapshot {
            Loadable::Loaded(s) => s.reviewer.as_ref().map(|r| r.stable_id()),
            _ => None,
        }
    }
}
