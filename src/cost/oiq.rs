//! OpenInfraQuote price JSON (`oiq price --format json`).
//!
//! Every price is a `{min, max}` range in USD per month. Amounts in the
//! report are midpoints; the delta's bounds are kept when they differ.
//! Totals: after = `price`, before = `prev_price` (else `price − price_diff`),
//! delta = `price_diff` (else after − before).
//! Resources, by `change`: `add` costs `price` after and nothing before;
//! `remove` carries the negated price, so it cost `−price` before and its
//! delta is `price`; `noop` costs `price` on both sides, delta 0. Entries
//! sharing an address (a replacement listed as remove + add) are merged by
//! adding their figures. Other `change` values have no documented meaning and
//! are kept without figures, so they show as unpriced rather than wrong.

use super::json::{self, Object};
use super::{CostError, CostRange, CostReport, CostSource, ResourceCost};
use std::collections::HashMap;

pub(super) fn parse(top: &Object) -> Result<CostReport, CostError> {
    let price = range(top, "price", "")?;
    let prev_price = range(top, "prev_price", "")?;
    let price_diff = range(top, "price_diff", "")?;
    let monthly_after = price.map(|r| r.midpoint());
    let monthly_before = match (prev_price, price, price_diff) {
        (Some(prev), _, _) => Some(prev.midpoint()),
        (None, Some(now), Some(diff)) => {
            json::difference(Some(now.midpoint()), Some(diff.midpoint()))
        }
        _ => None,
    };
    let monthly_delta = match price_diff {
        Some(diff) => Some(diff.midpoint()),
        None if monthly_before.is_some() => json::difference(monthly_after, monthly_before),
        None => None,
    };
    Ok(CostReport {
        source: CostSource::OpenInfraQuote,
        currency: "USD".to_string(),
        monthly_before,
        monthly_after,
        monthly_delta,
        monthly_delta_range: price_diff.filter(CostRange::is_spread),
        projects: Vec::new(),
        resources: resources(top)?,
        errors: Vec::new(),
    })
}

/// An optional `{min, max}` field; both bounds are required when present.
fn range(obj: &Object, key: &str, parent: &str) -> Result<Option<CostRange>, CostError> {
    let Some(r) = json::opt_object(obj, key, parent)? else {
        return Ok(None);
    };
    let path = json::join(parent, key);
    let bound = |name: &str| {
        json::cost(r, name, &path)?.ok_or_else(|| CostError::MissingField(json::join(&path, name)))
    };
    Ok(Some(CostRange::new(bound("min")?, bound("max")?)))
}

struct Entry {
    address: String,
    resource_type: Option<String>,
    before: Option<f64>,
    after: Option<f64>,
    delta: Option<CostRange>,
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    json::sum([a, b])
}

fn add_ranges(a: Option<CostRange>, b: Option<CostRange>) -> Option<CostRange> {
    match (a, b) {
        (Some(a), Some(b)) => Some(CostRange::new(a.min + b.min, a.max + b.max)),
        (a, b) => a.or(b),
    }
}

fn resources(top: &Object) -> Result<Vec<ResourceCost>, CostError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_address: HashMap<String, usize> = HashMap::new();
    for (i, value) in json::array(top, "resources", "")?.iter().enumerate() {
        let path = format!("resources[{i}]");
        let resource = json::element(value, &path)?;
        let address = json::string(resource, "address", &path)?;
        let resource_type = json::opt_string(resource, "type", &path)?;
        let change = json::opt_string(resource, "change", &path)?;
        let price = range(resource, "price", &path)?;
        let mid = price.map(|r| r.midpoint());
        let exact = |x: f64| Some(CostRange::new(x, x));
        let (before, after, delta) = match change.as_deref() {
            Some("add") => (None, mid, price),
            Some("remove") => (mid.map(|x| -x), None, price),
            Some("noop") => (mid, mid, mid.and_then(|_| exact(0.0))),
            _ => (None, None, None),
        };
        match by_address
            .get(&address)
            .and_then(|&slot| entries.get_mut(slot))
        {
            Some(entry) => {
                entry.resource_type = entry.resource_type.take().or(resource_type);
                entry.before = add(entry.before, before);
                entry.after = add(entry.after, after);
                entry.delta = add_ranges(entry.delta, delta);
            }
            None => {
                by_address.insert(address.clone(), entries.len());
                entries.push(Entry {
                    address,
                    resource_type,
                    before,
                    after,
                    delta,
                });
            }
        }
    }
    Ok(entries
        .into_iter()
        .map(|entry| {
            let delta = entry
                .delta
                .filter(|r| r.min.is_finite() && r.max.is_finite());
            ResourceCost {
                address: entry.address,
                resource_type: entry.resource_type,
                project: None,
                project_index: None,
                monthly_before: entry.before,
                monthly_after: entry.after,
                monthly_delta: delta.map(|r| r.midpoint()),
                monthly_delta_range: delta.filter(CostRange::is_spread),
            }
        })
        .collect())
}
