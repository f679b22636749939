//! Infracost JSON (`infracost breakdown|diff --format json`, version 0.x).
//!
//! Totals come from the top-level `totalMonthlyCost`, `pastTotalMonthlyCost`
//! and `diffTotalMonthlyCost` when they are numbers, else from the projects.
//! A project's delta is its `diff` total; without a `diff` it is
//! `breakdown − pastBreakdown`, or the whole `breakdown` when there is no
//! `pastBreakdown`. A resource's delta is its `diff` entry; a priced resource
//! missing from a present `diff` did not change (0); without a `diff` the delta
//! is computed from the two breakdowns, a resource absent on one side costing
//! nothing there. Hourly costs, cost components and subresources are not
//! read: a resource's `monthlyCost` already includes its subresources.

use super::json::{self, Object};
use super::{CostError, CostReport, CostSource, ProjectCost, ResourceCost};
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn parse(top: &Object) -> Result<CostReport, CostError> {
    if let Some(version) = json::opt_string(top, "version", "")?
        && !version.starts_with("0.")
    {
        return Err(CostError::UnsupportedVersion(format!("{version:?}")));
    }
    if !top.contains_key("projects") {
        return Err(CostError::MissingField("projects".to_string()));
    }
    let currency = json::opt_currency(top, "")?.unwrap_or_else(|| "USD".to_string());
    let mut projects = Vec::new();
    let mut resources = Vec::new();
    for (index, value) in json::array(top, "projects", "")?.iter().enumerate() {
        let path = format!("projects[{index}]");
        let (project, project_resources) =
            parse_project(json::element(value, &path)?, &path, index)?;
        resources.extend(project_resources);
        projects.push(project);
    }
    let errors = projects
        .iter()
        .filter_map(|p| {
            let error = p.error.as_deref()?;
            Some(if p.name.is_empty() {
                error.to_string()
            } else {
                format!("{}: {error}", p.name)
            })
        })
        .collect();
    let monthly_after = json::cost(top, "totalMonthlyCost", "")?
        .or_else(|| json::sum(projects.iter().map(|p| p.monthly_after)));
    let monthly_before = json::cost(top, "pastTotalMonthlyCost", "")?
        .or_else(|| json::sum(projects.iter().map(|p| p.monthly_before)));
    let monthly_delta = json::cost(top, "diffTotalMonthlyCost", "")?
        .or_else(|| json::sum(projects.iter().map(|p| p.monthly_delta)));
    Ok(CostReport {
        source: CostSource::Infracost,
        currency,
        monthly_before,
        monthly_after,
        monthly_delta,
        monthly_delta_range: None,
        projects,
        resources,
        errors,
    })
}

/// The three breakdowns of a project, each with its path for errors.
struct Breakdowns<'a> {
    past: Option<(&'a Object, String)>,
    current: Option<(&'a Object, String)>,
    diff: Option<(&'a Object, String)>,
}

impl<'a> Breakdowns<'a> {
    fn of(project: &'a Object, path: &str) -> Result<Self, CostError> {
        let get = |key: &str| -> Result<Option<(&'a Object, String)>, CostError> {
            Ok(json::opt_object(project, key, path)?.map(|b| (b, json::join(path, key))))
        };
        Ok(Breakdowns {
            past: get("pastBreakdown")?,
            current: get("breakdown")?,
            diff: get("diff")?,
        })
    }
}

fn total(breakdown: &Option<(&Object, String)>) -> Result<Option<f64>, CostError> {
    match breakdown {
        Some((b, path)) => json::cost(b, "totalMonthlyCost", path),
        None => Ok(None),
    }
}

fn parse_project(
    project: &Object,
    path: &str,
    index: usize,
) -> Result<(ProjectCost, Vec<ResourceCost>), CostError> {
    let name = json::opt_string(project, "name", path)?.unwrap_or_default();
    let metadata = json::opt_object(project, "metadata", path)?;
    let metadata_path = json::join(path, "metadata");
    let root = match metadata {
        Some(m) => json::opt_string(m, "path", &metadata_path)?,
        None => None,
    };
    let breakdowns = Breakdowns::of(project, path)?;
    let monthly_before = total(&breakdowns.past)?;
    let monthly_after = total(&breakdowns.current)?;
    let monthly_delta = match total(&breakdowns.diff)? {
        Some(delta) => Some(delta),
        None if breakdowns.past.is_some() => json::difference(monthly_after, monthly_before),
        None => monthly_after,
    };
    let mut messages: Vec<String> = project.get("error").and_then(message).into_iter().collect();
    if let Some(m) = metadata {
        messages.extend(
            json::array(m, "errors", &metadata_path)?
                .iter()
                .filter_map(message),
        );
    }
    let resources = parse_resources(&breakdowns, &name, index)?;
    let cost = ProjectCost {
        name,
        path: root,
        monthly_before,
        monthly_after,
        monthly_delta,
        error: (!messages.is_empty()).then(|| messages.join("; ")),
    };
    Ok((cost, resources))
}

/// The text of an error entry: a string, an object's `message`, else the
/// compact JSON; null is no error.
fn message(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => match map.get("message") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => Some(value.to_string()),
        },
        other => Some(other.to_string()),
    }
}

/// A resource's monthly cost on one side of the change.
#[derive(Clone, Copy, Default)]
enum Side {
    /// Not in that breakdown.
    #[default]
    Absent,
    /// Listed with a null cost (usage-based or no price found).
    Unpriced,
    /// Listed with a cost.
    Priced(f64),
}

impl Side {
    fn of(cost: Option<f64>) -> Self {
        cost.map_or(Side::Unpriced, Side::Priced)
    }

    /// Two entries for the same address in one breakdown add up.
    fn merge(self, other: Side) -> Side {
        match (self, other) {
            (Side::Priced(a), Side::Priced(b)) => Side::Priced(a + b),
            (Side::Priced(a), _) | (_, Side::Priced(a)) => Side::Priced(a),
            (Side::Unpriced, _) | (_, Side::Unpriced) => Side::Unpriced,
            (Side::Absent, Side::Absent) => Side::Absent,
        }
    }

    fn amount(self) -> Option<f64> {
        match self {
            Side::Priced(x) if x.is_finite() => Some(x),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Entry {
    address: String,
    resource_type: Option<String>,
    before: Side,
    after: Side,
    /// None: not in `diff`; Some(None): in `diff` with a null cost.
    diff: Option<Option<f64>>,
}

#[derive(Clone, Copy)]
enum Which {
    Past,
    Current,
    Diff,
}

fn parse_resources(
    breakdowns: &Breakdowns,
    project_name: &str,
    index: usize,
) -> Result<Vec<ResourceCost>, CostError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_address: HashMap<String, usize> = HashMap::new();
    // Current first, so the order follows the breakdown a reviewer reads.
    for (which, breakdown) in [
        (Which::Current, &breakdowns.current),
        (Which::Past, &breakdowns.past),
        (Which::Diff, &breakdowns.diff),
    ] {
        let Some((breakdown, breakdown_path)) = breakdown else {
            continue;
        };
        for (i, value) in json::array(breakdown, "resources", breakdown_path)?
            .iter()
            .enumerate()
        {
            let resource_path = format!("{breakdown_path}.resources[{i}]");
            let resource = json::element(value, &resource_path)?;
            let address = json::string(resource, "name", &resource_path)?;
            let resource_type = json::opt_string(resource, "resourceType", &resource_path)?;
            let monthly = json::cost(resource, "monthlyCost", &resource_path)?;
            let slot = *by_address.entry(address.clone()).or_insert_with(|| {
                entries.push(Entry {
                    address,
                    ..Entry::default()
                });
                entries.len() - 1
            });
            let Some(entry) = entries.get_mut(slot) else {
                continue;
            };
            if entry.resource_type.is_none() {
                entry.resource_type = resource_type;
            }
            match which {
                Which::Past => entry.before = entry.before.merge(Side::of(monthly)),
                Which::Current => entry.after = entry.after.merge(Side::of(monthly)),
                Which::Diff => {
                    entry.diff = Some(match entry.diff {
                        Some(previous) => json::sum([previous, monthly]),
                        None => monthly,
                    })
                }
            }
        }
    }
    let has_diff = breakdowns.diff.is_some();
    Ok(entries
        .into_iter()
        .map(|entry| {
            let monthly_delta = if has_diff {
                match entry.diff {
                    Some(delta) => delta,
                    None => match (entry.before, entry.after) {
                        (Side::Priced(_), _) | (_, Side::Priced(_)) => Some(0.0),
                        _ => None,
                    },
                }
            } else {
                match (entry.after, entry.before) {
                    (Side::Priced(a), Side::Priced(b)) => Some(a - b),
                    (Side::Priced(a), Side::Absent) => Some(a),
                    (Side::Absent, Side::Priced(b)) => Some(-b),
                    _ => None,
                }
            };
            ResourceCost {
                address: entry.address,
                resource_type: entry.resource_type,
                project: Some(project_name.to_string()),
                project_index: Some(index),
                monthly_before: entry.before.amount(),
                monthly_after: entry.after.amount(),
                monthly_delta: monthly_delta.filter(|x| x.is_finite()),
                monthly_delta_range: None,
            }
        })
        .collect())
}
