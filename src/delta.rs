//! The plan-to-plan delta: two plans of the same root (the approved one and a
//! fresh one; yesterday's and today's) compared by resource address, deposed
//! key and attribute, so a re-review after a push covers only what changed
//! since the last approval.
//!
//! A resource present in both plans counts as *changed* when any field the
//! plan digest covers differs: actions and `action_reason`, `after`,
//! `before`, `after_unknown`, the sensitivity masks, `replace_paths`,
//! `importing`, `previous_address`, `generated_config`, and what names the
//! resource (type, name, mode, provider, index, module address). The
//! configuration that runs (module sources, provisioners) is compared too
//! (`config`). Two plans with the same digest have an empty delta, and two
//! with different digests of one scheme a non-empty one. Values stay
//! unparsed: their texts are compared first and parsed only when the texts
//! differ (key order and whitespace do not make equal values differ).
//!
//! This module never prints, and no serialised field ever holds an attribute
//! value: the JSON form names addresses, actions, aspects and attribute names
//! only. The changes themselves are kept (not serialised) for `delta_lines`.

mod config;
mod lines;
mod outputs;
mod pairing;
mod values;

pub use config::{ModuleDelta, ModuleSource, ProvisionerDelta};
pub use lines::delta_lines;

use crate::plan::{Change, ChangeKind, OutputChange, Plan, ResourceChange};
use pairing::Pairing;
use serde::Serialize;
use std::collections::HashMap;

/// What changed between an earlier plan and a later one of the same root.
///
/// Its JSON holds plan strings (addresses, attribute names): pass it through
/// `sanitize::json_safe` before it reaches a terminal.
#[derive(Clone, Debug, Serialize)]
pub struct PlanDelta {
    pub old_digest: String,
    pub new_digest: String,
    pub same_digest: bool,
    /// Changed only by the new plan, sorted by address.
    pub added: Vec<ResourceDelta>,
    /// Changed only by the old plan.
    pub removed: Vec<ResourceDelta>,
    /// In both plans, with a different change.
    pub changed: Vec<ResourceDelta>,
    /// In both plans with the same change (not listed).
    pub unchanged: usize,
    pub outputs_added: Vec<OutputDelta>,
    pub outputs_removed: Vec<OutputDelta>,
    pub outputs_changed: Vec<OutputDelta>,
    /// Module calls whose source or version differs (added, removed, changed).
    pub modules: Vec<ModuleDelta>,
    /// Provisioners that differ (added, removed, changed).
    pub provisioners: Vec<ProvisionerDelta>,
}

impl PlanDelta {
    /// Nothing to re-review: every resource and output change, module source
    /// and provisioner is the same.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.outputs_added.is_empty()
            && self.outputs_removed.is_empty()
            && self.outputs_changed.is_empty()
            && self.modules.is_empty()
            && self.provisioners.is_empty()
    }

    /// Changes that now destroy something the earlier plan did not.
    pub fn escalations(&self) -> impl Iterator<Item = &ResourceDelta> {
        self.changed
            .iter()
            .chain(&self.added)
            .filter(|rd| rd.escalated)
    }
}

/// One way a change can differ between the two plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The action list (`update` → `delete, create`).
    Actions,
    /// The planned values: what will be applied.
    After,
    /// The prior state the plan assumed: the world changed in between.
    Before,
    /// Which values are known only after apply.
    Unknown,
    /// The attributes that force replacement.
    ReplacePaths,
    Importing,
    /// The `previous_address` (a `moved` block appeared, went or changed).
    Moved,
    /// Which values are sensitive (hidden in every rendering).
    Sensitive,
    /// What the resource is: its type, name, mode, provider, index or module.
    Identity,
    /// The configuration Terraform generates for an import.
    GeneratedConfig,
}

/// One resource (address and deposed key) that differs between the plans.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceDelta {
    pub address: String,
    pub deposed: Option<String>,
    /// `None` when the old plan did not change this resource.
    pub old_actions: Option<Vec<String>>,
    /// `None` when the new plan does not change it.
    pub new_actions: Option<Vec<String>>,
    /// The new change destroys or replaces and the old one did not.
    pub escalated: bool,
    /// What differs; empty for added and removed resources.
    pub aspects: Vec<Aspect>,
    /// Top-level attributes whose planned value differs (names, never values).
    pub attributes: Vec<String>,
    /// Top-level attributes whose prior-state value differs.
    pub before_attributes: Vec<String>,
    /// The old plan's change, kept for rendering only.
    #[serde(skip)]
    pub old: Option<ResourceChange>,
    /// The new plan's change, kept for rendering only.
    #[serde(skip)]
    pub new: Option<ResourceChange>,
}

/// One output that differs between the plans.
#[derive(Clone, Debug, Serialize)]
pub struct OutputDelta {
    pub name: String,
    pub old_actions: Option<Vec<String>>,
    pub new_actions: Option<Vec<String>>,
    /// What differs (`actions`, `after`, `before`, `unknown`); empty when added or removed.
    pub aspects: Vec<Aspect>,
    #[serde(skip)]
    pub old: Option<Change>,
    #[serde(skip)]
    pub new: Option<Change>,
}

/// Compares an earlier plan with a later one of the same root.
#[must_use]
pub fn compare(old: &Plan, new: &Plan) -> PlanDelta {
    let resources = compare_resources(&old.resource_changes, &new.resource_changes);
    let outputs = compare_outputs(&old.output_changes, &new.output_changes);
    let configuration = config::compare(&old.configuration, &new.configuration);
    PlanDelta {
        modules: configuration.modules,
        provisioners: configuration.provisioners,
        old_digest: old.digest.clone(),
        new_digest: new.digest.clone(),
        same_digest: !old.digest.is_empty() && old.digest == new.digest,
        added: resources.added,
        removed: resources.removed,
        changed: resources.changed,
        unchanged: resources.unchanged,
        outputs_added: outputs.added,
        outputs_removed: outputs.removed,
        outputs_changed: outputs.changed,
    }
}

struct Sorted<T> {
    added: Vec<T>,
    removed: Vec<T>,
    changed: Vec<T>,
    unchanged: usize,
}

impl<T> Default for Sorted<T> {
    fn default() -> Self {
        Self {
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            unchanged: 0,
        }
    }
}

type Key<'a> = (&'a str, Option<&'a str>);

fn key(rc: &ResourceChange) -> Key<'_> {
    (rc.address.as_str(), rc.deposed.as_deref())
}

fn compare_resources(old: &[ResourceChange], new: &[ResourceChange]) -> Sorted<ResourceDelta> {
    let mut pairs = Pairing::new(old);
    let mut out = Sorted::default();
    for rc in new {
        match pairs.take(rc) {
            Some(i) => match changed_resource(&old[i], rc) {
                Some(delta) => out.changed.push(delta),
                None => out.unchanged += 1,
            },
            None if is_interesting(rc) => out.added.push(ResourceDelta::one_side(None, Some(rc))),
            None => {}
        }
    }
    let matched = pairs.matched;
    for (rc, _) in old.iter().zip(&matched).filter(|(_, m)| !**m) {
        if is_interesting(rc) {
            out.removed.push(ResourceDelta::one_side(Some(rc), None));
        }
    }
    for list in [&mut out.added, &mut out.removed, &mut out.changed] {
        list.sort_by(|a, b| (&a.address, &a.deposed).cmp(&(&b.address, &b.deposed)));
    }
    out
}

/// A no-op found in only one plan says nothing, unless it moves or imports.
fn is_interesting(rc: &ResourceChange) -> bool {
    rc.change.kind != ChangeKind::NoOp || rc.is_move() || rc.is_import()
}

/// Destroys or replaces; an absent change destroys nothing.
fn destroys(rc: Option<&ResourceChange>) -> bool {
    rc.is_some_and(|rc| rc.change.kind.is_destructive())
}

impl ResourceDelta {
    fn one_side(old: Option<&ResourceChange>, new: Option<&ResourceChange>) -> Self {
        let rc = new.or(old);
        Self {
            address: rc.map(|rc| rc.address.clone()).unwrap_or_default(),
            deposed: rc.and_then(|rc| rc.deposed.clone()),
            old_actions: old.map(|rc| rc.change.actions.clone()),
            new_actions: new.map(|rc| rc.change.actions.clone()),
            escalated: destroys(new) && !destroys(old),
            aspects: Vec::new(),
            attributes: Vec::new(),
            before_attributes: Vec::new(),
            old: old.cloned(),
            new: new.cloned(),
        }
    }
}

fn changed_resource(old: &ResourceChange, new: &ResourceChange) -> Option<ResourceDelta> {
    let aspects = resource_aspects(old, new);
    if aspects.is_empty() {
        return None;
    }
    let mut delta = ResourceDelta::one_side(Some(old), Some(new));
    if aspects.contains(&Aspect::After) || aspects.contains(&Aspect::Unknown) {
        delta.attributes =
            values::changed_attributes(&values::after_change(&old.change, &new.change));
    }
    if aspects.contains(&Aspect::Before) {
        delta.before_attributes =
            values::changed_attributes(&values::before_change(&old.change, &new.change));
    }
    delta.aspects = aspects;
    Some(delta)
}

/// The aspects that differ, cheapest comparisons first.
fn resource_aspects(old: &ResourceChange, new: &ResourceChange) -> Vec<Aspect> {
    let mut aspects = change_aspects(&old.change, &new.change);
    if !values::same(
        old.change.replace_paths.as_ref(),
        new.change.replace_paths.as_ref(),
    ) {
        aspects.push(Aspect::ReplacePaths);
    }
    if !values::same(old.change.importing.as_ref(), new.change.importing.as_ref()) {
        aspects.push(Aspect::Importing);
    }
    if old.previous_address != new.previous_address {
        aspects.push(Aspect::Moved);
    }
    if old.action_reason != new.action_reason && !aspects.contains(&Aspect::Actions) {
        aspects.insert(0, Aspect::Actions);
    }
    let identity = (
        &old.resource_type,
        &old.name,
        old.mode,
        &old.provider_name,
        &old.module_address,
    ) != (
        &new.resource_type,
        &new.name,
        new.mode,
        &new.provider_name,
        &new.module_address,
    ) || !values::same(old.index.as_ref(), new.index.as_ref());
    if identity {
        aspects.push(Aspect::Identity);
    }
    if old.change.generated_config != new.change.generated_config {
        aspects.push(Aspect::GeneratedConfig);
    }
    aspects
}

/// The aspects resource and output changes share.
fn change_aspects(old: &Change, new: &Change) -> Vec<Aspect> {
    let mut aspects = Vec::new();
    if old.actions != new.actions {
        aspects.push(Aspect::Actions);
    }
    if !values::same(old.after.as_ref(), new.after.as_ref()) {
        aspects.push(Aspect::After);
    }
    if !values::same(old.before.as_ref(), new.before.as_ref()) {
        aspects.push(Aspect::Before);
    }
    if !values::same(old.after_unknown.as_ref(), new.after_unknown.as_ref()) {
        aspects.push(Aspect::Unknown);
    }
    let before = [&old.before_sensitive, &new.before_sensitive];
    let after = [&old.after_sensitive, &new.after_sensitive];
    if [before, after]
        .iter()
        .any(|[a, b]| !values::same_marks(a.as_ref(), b.as_ref()))
    {
        aspects.push(Aspect::Sensitive);
    }
    aspects
}

fn compare_outputs(old: &[OutputChange], new: &[OutputChange]) -> Sorted<OutputDelta> {
    let index: HashMap<&str, &OutputChange> = old.iter().map(|o| (o.name.as_str(), o)).collect();
    let in_new: HashMap<&str, &OutputChange> = new.iter().map(|o| (o.name.as_str(), o)).collect();
    let mut out = Sorted::default();
    for output in new {
        match index.get(output.name.as_str()) {
            Some(earlier) => {
                let aspects = change_aspects(&earlier.change, &output.change);
                if aspects.is_empty() {
                    out.unchanged += 1;
                } else {
                    let mut delta = OutputDelta::one_side(Some(earlier), Some(output));
                    delta.aspects = aspects;
                    out.changed.push(delta);
                }
            }
            None if output.change.kind != ChangeKind::NoOp => {
                out.added.push(OutputDelta::one_side(None, Some(output)));
            }
            None => {}
        }
    }
    for output in old {
        if !in_new.contains_key(output.name.as_str()) && output.change.kind != ChangeKind::NoOp {
            out.removed.push(OutputDelta::one_side(Some(output), None));
        }
    }
    for list in [&mut out.added, &mut out.removed, &mut out.changed] {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out
}

impl OutputDelta {
    fn one_side(old: Option<&OutputChange>, new: Option<&OutputChange>) -> Self {
        Self {
            name: new.or(old).map(|o| o.name.clone()).unwrap_or_default(),
            old_actions: old.map(|o| o.change.actions.clone()),
            new_actions: new.map(|o| o.change.actions.clone()),
            aspects: Vec::new(),
            old: old.map(|o| o.change.clone()),
            new: new.map(|o| o.change.clone()),
        }
    }
}
