//! The configuration in the delta: module calls whose source or version
//! constraint changed, appeared or went, and provisioners that changed,
//! appeared or went, each named by its resource, its type and its position,
//! with the arguments that differ. This is what a drift report names when
//! the planned values are the same but what will run is not (a module on a
//! branch that moved, a provisioner's command edited).
//!
//! The JSON form names modules, sources, versions, resources, provisioner
//! types and argument names; the arguments' expressions are kept for the
//! lines only. Every plan string goes through `Line::push_untrusted` or
//! `push_quoted`.

use super::lines::{flags_last, text_line};
use super::values;
use crate::plan::{Configuration, ModuleCall, ProvisionedResource, Provisioner};
use crate::render::{Line, Role};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A module call that differs between the plans.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleDelta {
    pub module: String,
    /// `None` when the earlier plan did not call it.
    pub old: Option<ModuleSource>,
    /// `None` when this plan does not call it.
    pub new: Option<ModuleSource>,
}

/// Where a module's code comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModuleSource {
    pub source: Option<String>,
    pub version_constraint: Option<String>,
}

/// A provisioner that differs between the plans.
#[derive(Clone, Debug, Serialize)]
pub struct ProvisionerDelta {
    /// The resource's configuration address.
    pub resource: String,
    /// Its position among the resource's provisioners, from 1.
    pub position: usize,
    /// Its type in the earlier plan; `None` when it was not there.
    pub old_type: Option<String>,
    /// Its type in this plan; `None` when it is gone.
    pub new_type: Option<String>,
    /// Arguments whose expression differs (names only), for a changed one.
    pub arguments: Vec<String>,
    #[serde(skip)]
    pub old: Option<Provisioner>,
    #[serde(skip)]
    pub new: Option<Provisioner>,
}

/// Module calls and provisioners that differ, sorted by address.
pub(super) fn compare(old: &Configuration, new: &Configuration) -> ConfigDelta {
    ConfigDelta {
        modules: modules(&old.module_calls, &new.module_calls),
        provisioners: provisioners(&old.provisioned, &new.provisioned),
    }
}

pub(super) struct ConfigDelta {
    pub modules: Vec<ModuleDelta>,
    pub provisioners: Vec<ProvisionerDelta>,
}

fn modules(old: &[ModuleCall], new: &[ModuleCall]) -> Vec<ModuleDelta> {
    let source = |call: &ModuleCall| ModuleSource {
        source: call.source.clone(),
        version_constraint: call.version_constraint.clone(),
    };
    let old: BTreeMap<&str, ModuleSource> = old
        .iter()
        .map(|c| (c.address.as_str(), source(c)))
        .collect();
    let new: BTreeMap<&str, ModuleSource> = new
        .iter()
        .map(|c| (c.address.as_str(), source(c)))
        .collect();
    let addresses: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    addresses
        .into_iter()
        .filter_map(|address| {
            let (before, after) = (old.get(address), new.get(address));
            (before != after).then(|| ModuleDelta {
                module: address.to_string(),
                old: before.cloned(),
                new: after.cloned(),
            })
        })
        .collect()
}

fn provisioners(old: &[ProvisionedResource], new: &[ProvisionedResource]) -> Vec<ProvisionerDelta> {
    let by_address = |list: &[ProvisionedResource]| -> BTreeMap<String, Vec<Provisioner>> {
        let mut map: BTreeMap<String, Vec<Provisioner>> = BTreeMap::new();
        for resource in list {
            map.entry(resource.address.clone())
                .or_default()
                .extend(resource.provisioners.iter().cloned());
        }
        map
    };
    let (old, new) = (by_address(old), by_address(new));
    let addresses: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let none = Vec::new();
    let mut found = Vec::new();
    for address in addresses {
        let before = old.get(address).unwrap_or(&none);
        let after = new.get(address).unwrap_or(&none);
        for i in 0..before.len().max(after.len()) {
            let (a, b) = (before.get(i), after.get(i));
            if let (Some(a), Some(b)) = (a, b) {
                if values::same(Some(&a.raw), Some(&b.raw)) {
                    continue;
                }
            }
            found.push(ProvisionerDelta {
                resource: address.clone(),
                position: i + 1,
                old_type: a.map(|p| p.kind.clone()),
                new_type: b.map(|p| p.kind.clone()),
                arguments: match (a, b) {
                    (Some(a), Some(b)) => changed_arguments(a, b),
                    _ => Vec::new(),
                },
                old: a.cloned(),
                new: b.cloned(),
            });
        }
    }
    found
}

/// The expressions of a provisioner as an object (unreadable: empty).
fn expressions(p: &Provisioner) -> serde_json::Map<String, Value> {
    match p.expressions.as_ref().and_then(|e| e.parse().ok()) {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

fn changed_arguments(old: &Provisioner, new: &Provisioner) -> Vec<String> {
    let (old, new) = (expressions(old), expressions(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter(|name| old.get(*name) != new.get(*name))
        .cloned()
        .collect()
}

/// The configuration part of the delta, after its heading.
pub(super) fn config_lines(
    modules: &[ModuleDelta],
    provisioners: &[ProvisionerDelta],
) -> Vec<Line> {
    if modules.is_empty() && provisioners.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        Line::new(),
        text_line(
            Role::Heading,
            "Configuration that runs, changed since the earlier plan:",
        ),
    ];
    for m in modules {
        lines.push(module_line(m));
    }
    for p in provisioners {
        lines.extend(provisioner_lines(p));
    }
    lines
}

fn source_text(line: &mut Line, source: &ModuleSource) {
    match &source.source {
        Some(s) => line.push_quoted(Role::Plain, s),
        None => line.push(Role::Muted, "no source"),
    };
    if let Some(version) = &source.version_constraint {
        line.push(Role::Plain, " version ")
            .push_quoted(Role::Plain, version);
    }
}

fn module_line(m: &ModuleDelta) -> Line {
    let mut line = Line::new();
    let (role, words) = match (&m.old, &m.new) {
        (None, _) => (Role::Create, "  + module call added: "),
        (_, None) => (Role::Delete, "  - module call removed: "),
        _ => (Role::Update, "  ~ module source changed: "),
    };
    line.push(role, words)
        .push_untrusted(Role::Heading, &m.module);
    line.push(Role::Plain, " ");
    match (&m.old, &m.new) {
        (Some(old), Some(new)) => {
            source_text(&mut line, old);
            line.push(Role::Update, " → ");
            source_text(&mut line, new);
        }
        (Some(only), None) | (None, Some(only)) => source_text(&mut line, only),
        (None, None) => {}
    }
    flags_last(line)
}

fn provisioner_lines(p: &ProvisionerDelta) -> Vec<Line> {
    let mut title = Line::new();
    let (role, words) = match (&p.old_type, &p.new_type) {
        (None, _) => (Role::Create, "  + provisioner added: "),
        (_, None) => (Role::Delete, "  - provisioner removed: "),
        _ => (Role::Update, "  ~ provisioner changed: "),
    };
    let kind = p.new_type.as_ref().or(p.old_type.as_ref());
    title.push(role, words);
    if let Some(kind) = kind {
        title.push_untrusted(Role::Heading, kind);
    }
    title.push(Role::Plain, format!(" #{} of ", p.position));
    title.push_untrusted(Role::Heading, &p.resource);
    if let (Some(old), Some(new)) = (&p.old_type, &p.new_type) {
        if old != new {
            title
                .push(Role::Plain, " (type ")
                .push_untrusted(Role::Plain, old)
                .push(Role::Update, " → ")
                .push_untrusted(Role::Plain, new)
                .push(Role::Plain, ")");
        }
    }
    let mut lines = vec![flags_last(title)];
    let (Some(old), Some(new)) = (&p.old, &p.new) else {
        return lines;
    };
    let (before, after) = (expressions(old), expressions(new));
    for name in &p.arguments {
        let mut line = Line::new();
        line.push(Role::Muted, "      ")
            .push_untrusted(Role::Plain, name);
        line.push(Role::Plain, ": ");
        expression_text(&mut line, before.get(name));
        line.push(Role::Update, " → ");
        expression_text(&mut line, after.get(name));
        lines.push(flags_last(line));
    }
    if p.arguments.is_empty() && p.old_type == p.new_type {
        lines.push(text_line(
            Role::Muted,
            "      # other fields of the block differ",
        ));
    }
    lines
}

/// Longer expression texts are cut, so one line stays one line.
const MAX_EXPRESSION_CHARS: usize = 200;

/// A constant as JSON, references as `(refers to a, b)`: the plan JSON
/// carries no expression text besides these.
fn expression_text(line: &mut Line, expression: Option<&Value>) {
    let Some(expression) = expression else {
        line.push(Role::Muted, "(absent)");
        return;
    };
    let text = match (
        expression.get("constant_value"),
        expression.get("references"),
    ) {
        (Some(constant), _) => constant.to_string(),
        (None, Some(Value::Array(refs))) => {
            let names: Vec<String> = refs
                .iter()
                .map(|r| r.as_str().map_or_else(|| r.to_string(), str::to_string))
                .collect();
            format!("(refers to {})", names.join(", "))
        }
        _ => expression.to_string(),
    };
    let cut: String = text.chars().take(MAX_EXPRESSION_CHARS).collect();
    let ellipsis = if cut.len() < text.len() { "…" } else { "" };
    line.push_untrusted(Role::Plain, &cut);
    line.push(Role::Muted, ellipsis);
}
