//! The plan view's outline: every resource change the diff shows, grouped
//! by module (in the order modules first appear), with per-group counts, a
//! cursor and a filter on addresses. Pure data built from the diff's rows;
//! built again only when the set of shown resources or the filter changes
//! (not on folding), so keys on a 50,000-change plan stay within a frame.

use super::plan_view::Row;
use crate::plan::{ChangeKind, Plan};

/// One row of the outline pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutlineRow {
    /// A module's header (index into `groups`).
    Group(usize),
    /// A resource change (index into `plan.resource_changes`).
    Resource(usize),
}

/// A module's resources in the outline.
#[derive(Clone, Debug)]
pub struct Group {
    /// `module.network`, or empty for the root module.
    pub module: String,
    /// Create, update, delete, replace and other changes shown.
    pub counts: [usize; 5],
}

/// What the outline was built from, to skip rebuilding when it is the same.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Built {
    shown: Vec<usize>,
    filter: String,
}

#[derive(Debug, Default)]
pub struct Outline {
    /// The outline has the keys (else the diff has).
    pub focused: bool,
    pub filter: String,
    pub filter_editing: bool,
    pub rows: Vec<OutlineRow>,
    pub groups: Vec<Group>,
    pub cursor: usize,
    /// Row of each resource plus one (0: not in the outline).
    position: Vec<u32>,
    built: Option<Built>,
}

impl Outline {
    /// Builds the outline from the diff's rows, unless it already shows
    /// exactly these resources under this filter.
    pub fn update(&mut self, diff_rows: &[Row], plan: &Plan) {
        let shown: Vec<usize> = diff_rows
            .iter()
            .filter_map(|r| match r {
                Row::Resource(i) => Some(*i),
                _ => None,
            })
            .collect();
        let built = Built {
            shown,
            filter: self.filter.clone(),
        };
        if self.built.as_ref() == Some(&built) {
            return;
        }
        let selected = self.selected_resource();
        self.build(&built, plan);
        self.built = Some(built);
        self.cursor = selected
            .and_then(|i| self.row_of(i))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
    }

    /// Filters again after the filter text changed.
    pub fn refilter(&mut self, diff_rows: &[Row], plan: &Plan) {
        self.update(diff_rows, plan);
    }

    fn build(&mut self, built: &Built, plan: &Plan) {
        let needle = self.filter.to_lowercase();
        let mut group_of: std::collections::HashMap<&str, usize> = Default::default();
        let mut members: Vec<Vec<usize>> = Vec::new();
        self.groups.clear();
        for &i in &built.shown {
            let rc = &plan.resource_changes[i];
            if !needle.is_empty() && !rc.address.to_lowercase().contains(&needle) {
                continue;
            }
            let module = rc.module_address.as_deref().unwrap_or("");
            let g = *group_of.entry(module).or_insert_with(|| {
                self.groups.push(Group {
                    module: module.to_string(),
                    counts: [0; 5],
                });
                members.push(Vec::new());
                members.len() - 1
            });
            self.groups[g].counts[count_slot(&rc.change.kind)] += 1;
            members[g].push(i);
        }
        self.rows.clear();
        self.position.clear();
        self.position.resize(plan.resource_changes.len(), 0);
        for (g, list) in members.into_iter().enumerate() {
            self.rows.push(OutlineRow::Group(g));
            for i in list {
                self.rows.push(OutlineRow::Resource(i));
                self.position[i] = u32::try_from(self.rows.len()).unwrap_or(u32::MAX);
            }
        }
    }

    /// The outline row of resource `i`, when it is in the outline.
    pub fn row_of(&self, i: usize) -> Option<usize> {
        match self.position.get(i) {
            Some(0) | None => None,
            Some(p) => Some(*p as usize - 1),
        }
    }

    /// The resource under the cursor; on a module header, its first one.
    pub fn selected_resource(&self) -> Option<usize> {
        self.rows[self.cursor.min(self.rows.len())..]
            .iter()
            .find_map(|r| match r {
                OutlineRow::Resource(i) => Some(*i),
                OutlineRow::Group(_) => None,
            })
    }

    /// Puts the cursor on resource `i` (the outline follows the diff).
    pub fn follow(&mut self, i: usize) {
        if let Some(row) = self.row_of(i) {
            self.cursor = row;
        }
    }

    /// Moves to the next (or previous) resource satisfying `wanted`.
    pub fn jump(&mut self, forward: bool, wanted: impl Fn(usize) -> bool) -> bool {
        let n = self.rows.len();
        for step in 1..=n {
            let pos = if forward {
                (self.cursor + step) % n
            } else {
                (self.cursor + n - step) % n
            };
            if let OutlineRow::Resource(i) = self.rows[pos] {
                if wanted(i) {
                    self.cursor = pos;
                    return true;
                }
            }
        }
        false
    }

    /// Resources listed (headers aside).
    pub fn resources(&self) -> usize {
        self.rows.len() - self.groups.len()
    }
}

fn count_slot(kind: &ChangeKind) -> usize {
    match kind {
        ChangeKind::Create => 0,
        ChangeKind::Update => 1,
        ChangeKind::Delete => 2,
        k if k.is_replace() => 3,
        _ => 4,
    }
}
