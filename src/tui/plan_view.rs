//! The plan view's model: which rows exist (resource headers, unfolded
//! bodies, drift, outputs and checks), the cursor, folding, filters, search,
//! noise rules and review progress. Pure: rendering a resource body happens
//! here on demand (a few microseconds), never any I/O.

use super::msg::{LoadedPlan, ProgressKey};
use crate::cost::CostThresholds;
use crate::plan::{ChangeKind, ResourceChange};
use crate::render::{self, Line, RenderContext, RenderOptions, ResourceView};
use crate::risk::{Risk, RiskPolicy};
use crate::source::Request;
use std::collections::{BTreeSet, HashMap};

/// Plans with more shown resources than this open folded.
const UNFOLD_UP_TO: usize = 200;
/// Unfolding everything is refused above this many resources.
const UNFOLD_ALL_LIMIT: usize = 2_000;

/// What the configuration folds away as noise.
#[derive(Clone, Debug, Default)]
pub struct NoiseRules {
    pub attributes: BTreeSet<String>,
    /// Resource types hidden from the list (patterns compiled by config).
    pub resource_types: Vec<globset::GlobMatcher>,
    /// Drift entries by address pattern.
    pub known_drift: Vec<globset::GlobMatcher>,
}

/// Rendering settings shared by every view.
#[derive(Debug)]
pub struct Settings {
    /// The whole configuration (environment policies for the gate).
    pub config: crate::config::Config,
    pub risk: RiskPolicy,
    pub thresholds: CostThresholds,
    pub noise: NoiseRules,
}

impl Settings {
    /// The rendering settings a configuration asks for.
    pub fn from_config(loaded: &crate::config::Loaded) -> Result<Self, globset::Error> {
        let display = &loaded.config.display;
        let compile = |globs: &[String]| -> Result<Vec<globset::GlobMatcher>, globset::Error> {
            globs
                .iter()
                .map(|g| Ok(globset::Glob::new(g)?.compile_matcher()))
                .collect()
        };
        Ok(Self {
            config: loaded.config.clone(),
            risk: loaded.risk.clone(),
            thresholds: loaded.config.cost,
            noise: NoiseRules {
                attributes: display.noise_attributes.iter().cloned().collect(),
                resource_types: compile(&display.noise_resource_types)?,
                known_drift: compile(&display.known_drift)?,
            },
        })
    }
}

/// One row of the scrollable plan pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A line of the drift, outputs or checks sections (index into `texts`).
    Text(usize),
    /// A resource change's header (index into `plan.resource_changes`).
    Resource(usize),
    /// Line `n` of an unfolded resource's body.
    Body(usize, usize),
}

/// Which actions the list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ActionFilter {
    #[default]
    All,
    Create,
    Update,
    Delete,
    Replace,
    Read,
    MoveOrImport,
}

impl ActionFilter {
    pub fn next(self) -> Self {
        match self {
            Self::All => Self::Create,
            Self::Create => Self::Update,
            Self::Update => Self::Delete,
            Self::Delete => Self::Replace,
            Self::Replace => Self::Read,
            Self::Read => Self::MoveOrImport,
            Self::MoveOrImport => Self::All,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Replace => "replace",
            Self::Read => "read",
            Self::MoveOrImport => "moved/imported",
        }
    }

    fn admits(self, rc: &ResourceChange) -> bool {
        let kind = &rc.change.kind;
        match self {
            Self::All => true,
            Self::Create => *kind == ChangeKind::Create,
            Self::Update => *kind == ChangeKind::Update,
            Self::Delete => *kind == ChangeKind::Delete,
            Self::Replace => kind.is_replace(),
            Self::Read => *kind == ChangeKind::Read,
            Self::MoveOrImport => rc.is_move() || rc.is_import(),
        }
    }
}

/// The search typed with `/`.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub query: String,
    /// Still being typed.
    pub editing: bool,
    /// Resources whose address or body matches, in plan order.
    pub matches: Vec<usize>,
}

/// The plan view of one request's root.
#[derive(Debug)]
pub struct PlanView {
    pub request: Request,
    pub root: String,
    pub loaded: LoadedPlan,
    pub progress_key: Option<ProgressKey>,
    pub rows: Vec<Row>,
    pub cursor: usize,
    pub texts: Vec<Line>,
    pub folded: Vec<bool>,
    bodies: HashMap<usize, Vec<Line>>,
    pub action_filter: ActionFilter,
    /// Only changes at this risk or above.
    pub min_risk: Option<Risk>,
    pub search: Search,
    pub show_noise: bool,
    /// Resources and drift entries hidden by noise rules right now.
    pub hidden_by_noise: usize,
    /// The last message for the status line (e.g. why something was refused).
    pub notice: Option<String>,
    /// Showing only what changed since the reviewer's stale approval.
    pub show_delta: bool,
    /// The outline pane beside the diff.
    pub outline: super::outline::Outline,
}

impl PlanView {
    pub fn new(request: Request, root: String, loaded: LoadedPlan, reviewer: Option<&str>) -> Self {
        let shown = loaded
            .plan
            .resource_changes
            .iter()
            .filter(|rc| render::is_shown(rc))
            .count();
        let fold = shown > UNFOLD_UP_TO;
        let progress_key = reviewer.map(|reviewer| ProgressKey {
            reviewer: reviewer.to_string(),
            request: request.id.clone(),
            root: root.clone(),
            digest: loaded.plan.digest.clone(),
        });
        let folded = vec![fold; loaded.plan.resource_changes.len()];
        let mut view = Self {
            request,
            root,
            loaded,
            progress_key,
            rows: Vec::new(),
            cursor: 0,
            texts: Vec::new(),
            folded,
            bodies: HashMap::new(),
            action_filter: ActionFilter::All,
            min_risk: None,
            search: Search::default(),
            show_noise: false,
            hidden_by_noise: 0,
            notice: None,
            show_delta: false,
            outline: Default::default(),
        };
        view.show_delta = view.loaded.since_approval.is_some();
        view.cursor = 0;
        view
    }

    /// Rebuilds rows after a change of filters, folding or noise.
    pub fn rebuild(&mut self, settings: &Settings) {
        let anchor = self.rows.get(self.cursor).copied();
        self.texts.clear();
        self.rows.clear();
        self.hidden_by_noise = 0;
        if let (true, Some((_, lines))) = (self.show_delta, self.loaded.since_approval.clone()) {
            for line in lines {
                self.push_text(line);
            }
            self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
            let plan = std::sync::Arc::clone(&self.loaded.plan);
            self.outline.update(&self.rows, &plan);
            return;
        }
        let options = self.render_options(settings);
        let cost = self.loaded.cost.clone();
        let ctx = context(settings, cost.as_deref(), &options);
        let plan = std::sync::Arc::clone(&self.loaded.plan);
        // Drift first, as Terraform shows it.
        let drift: Vec<&ResourceChange> = plan
            .resource_drift
            .iter()
            .filter(|rc| {
                let known = settings
                    .noise
                    .known_drift
                    .iter()
                    .any(|g| g.is_match(&rc.address));
                if known && !self.show_noise {
                    self.hidden_by_noise += 1;
                }
                !known || self.show_noise
            })
            .collect();
        if !drift.is_empty() {
            let mut heading = Line::new();
            heading.push(
                render::Role::Warning,
                "Objects have changed outside of Terraform/OpenTofu:",
            );
            self.push_text(heading);
            for rc in drift {
                for line in render::resource_lines(rc, ResourceView::Drift, &ctx) {
                    self.push_text(line);
                }
            }
        }
        for (i, rc) in plan.resource_changes.iter().enumerate() {
            if !render::is_shown(rc) || !self.admits(i, rc) {
                continue;
            }
            let noise = settings
                .noise
                .resource_types
                .iter()
                .any(|g| g.is_match(&rc.resource_type));
            if noise && !self.show_noise {
                self.hidden_by_noise += 1;
                continue;
            }
            self.rows.push(Row::Resource(i));
            if !self.folded[i] {
                let body = self.body(i, &ctx).len();
                self.rows.extend((0..body).map(|n| Row::Body(i, n)));
            }
        }
        let tail = [
            render::outputs_lines(&plan, &ctx),
            render::deferred_lines(&plan, &ctx),
            render::checks_lines(&plan),
        ];
        for line in tail.into_iter().flatten() {
            self.push_text(line);
        }
        self.cursor = anchor
            .and_then(|a| {
                self.rows.iter().position(|r| {
                    *r == a || matches!((a, r), (Row::Body(i, _), Row::Resource(j)) if i == *j)
                })
            })
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
        self.outline.update(&self.rows, &plan);
        self.sync_outline();
    }

    /// The outline follows the diff: its cursor goes to the resource the
    /// diff's cursor is on.
    pub fn sync_outline(&mut self) {
        if let Some(i) = self.current_resource() {
            self.outline.follow(i);
        }
    }

    /// Scrolls the diff to resource `i`'s header (selecting it in the outline).
    pub fn show_in_diff(&mut self, i: usize) {
        if let Some(pos) = self.rows.iter().position(|r| *r == Row::Resource(i)) {
            self.cursor = pos;
        }
    }

    /// Shows or hides what noise rules fold; bodies are rendered again.
    pub fn set_show_noise(&mut self, show: bool, settings: &Settings) {
        self.show_noise = show;
        self.bodies.clear();
        self.rebuild(settings);
    }

    fn push_text(&mut self, line: Line) {
        self.rows.push(Row::Text(self.texts.len()));
        self.texts.push(line);
    }

    fn admits(&self, i: usize, rc: &ResourceChange) -> bool {
        self.action_filter.admits(rc) && self.min_risk.is_none_or(|min| self.loaded.risks[i] >= min)
    }

    fn render_options(&self, settings: &Settings) -> RenderOptions {
        RenderOptions {
            show_unchanged: false,
            noise_attributes: if self.show_noise {
                BTreeSet::new()
            } else {
                settings.noise.attributes.clone()
            },
        }
    }

    /// The body lines of resource `i` (without its header line), cached.
    fn body(&mut self, i: usize, ctx: &RenderContext<'_>) -> &[Line] {
        self.bodies.entry(i).or_insert_with(|| {
            let rc = &self.loaded.plan.resource_changes[i];
            render::resource_lines(rc, ResourceView::Planned, ctx)
                .into_iter()
                .skip(1)
                .collect()
        })
    }

    /// A body line for drawing (rendered when the row was built).
    pub fn body_line(&self, i: usize, n: usize) -> Option<&Line> {
        self.bodies.get(&i).and_then(|lines| lines.get(n))
    }

    /// The resource the cursor is on (its header or body).
    pub fn current_resource(&self) -> Option<usize> {
        match self.rows.get(self.cursor)? {
            Row::Resource(i) | Row::Body(i, _) => Some(*i),
            Row::Text(_) => None,
        }
    }

    pub fn toggle_fold(&mut self, settings: &Settings) {
        if let Some(i) = self.current_resource() {
            self.folded[i] = !self.folded[i];
            self.rebuild(settings);
            if let Some(pos) = self.rows.iter().position(|r| *r == Row::Resource(i)) {
                self.cursor = pos;
            }
        }
    }

    pub fn toggle_fold_all(&mut self, settings: &Settings) {
        let shown: Vec<usize> = self
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Resource(i) => Some(*i),
                _ => None,
            })
            .collect();
        let unfold = shown.iter().any(|i| self.folded[*i]);
        if unfold && shown.len() > UNFOLD_ALL_LIMIT {
            self.notice = Some(format!(
                "{} resources shown: too many to unfold at once; filter first (f, F, /)",
                shown.len()
            ));
            return;
        }
        for i in shown {
            self.folded[i] = !unfold;
        }
        self.rebuild(settings);
    }

    /// Marks or unmarks the resource under the cursor; returns whether it changed.
    pub fn toggle_viewed(&mut self) -> bool {
        let Some(i) = self.current_resource() else {
            return false;
        };
        let address = self.loaded.plan.resource_changes[i].address.clone();
        if !self.loaded.viewed.remove(&address) {
            self.loaded.viewed.insert(address);
        }
        true
    }

    pub fn is_viewed(&self, i: usize) -> bool {
        self.loaded
            .viewed
            .contains(&self.loaded.plan.resource_changes[i].address)
    }

    /// (viewed, total) over shown resources, and over destructive ones.
    pub fn progress(&self) -> ((usize, usize), (usize, usize)) {
        let mut all = (0, 0);
        let mut destructive = (0, 0);
        for (i, rc) in self.loaded.plan.resource_changes.iter().enumerate() {
            if !render::is_shown(rc) {
                continue;
            }
            let viewed = usize::from(self.is_viewed(i));
            all = (all.0 + viewed, all.1 + 1);
            if rc.change.kind.is_destructive() {
                destructive = (destructive.0 + viewed, destructive.1 + 1);
            }
        }
        (all, destructive)
    }

    /// Moves to the next (or previous) resource header satisfying `wanted`.
    pub fn jump(&mut self, forward: bool, wanted: impl Fn(usize) -> bool) -> bool {
        let n = self.rows.len();
        for step in 1..=n {
            let pos = if forward {
                (self.cursor + step) % n
            } else {
                (self.cursor + n - step % n) % n
            };
            if let Row::Resource(i) = self.rows[pos] {
                if wanted(i) {
                    self.cursor = pos;
                    return true;
                }
            }
        }
        false
    }

    pub fn jump_destructive(&mut self, forward: bool) {
        let plan = std::sync::Arc::clone(&self.loaded.plan);
        if !self.jump(forward, |i| {
            plan.resource_changes[i].change.kind.is_destructive()
        }) {
            self.notice = Some("no delete or replacement in view".into());
        }
    }

    /// Applies the typed query: matches addresses and unfolded bodies.
    pub fn run_search(&mut self) {
        let query = self.search.query.to_lowercase();
        self.search.matches = if query.is_empty() {
            Vec::new()
        } else {
            let plan = &self.loaded.plan;
            (0..plan.resource_changes.len())
                .filter(|i| {
                    plan.resource_changes[*i]
                        .address
                        .to_lowercase()
                        .contains(&query)
                        || self.bodies.get(i).is_some_and(|lines| {
                            lines
                                .iter()
                                .any(|l| l.plain().to_lowercase().contains(&query))
                        })
                })
                .collect()
        };
        if self.search.matches.is_empty() && !query.is_empty() {
            self.notice = Some(format!("no match for {:?}", self.search.query));
        } else {
            self.search_step(true);
        }
    }

    pub fn search_step(&mut self, forward: bool) {
        let matches: BTreeSet<usize> = self.search.matches.iter().copied().collect();
        if !matches.is_empty() && !self.jump(forward, |i| matches.contains(&i)) {
            self.notice = Some("matches are hidden by the filters".into());
        }
    }
}

fn context<'a>(
    settings: &'a Settings,
    cost: Option<&'a crate::cost::CostReport>,
    options: &'a RenderOptions,
) -> RenderContext<'a> {
    RenderContext {
        risk: &settings.risk,
        cost,
        cost_thresholds: &settings.thresholds,
        options,
    }
}
