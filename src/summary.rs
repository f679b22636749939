//! A plan in numbers: counts by action, risk, destructive changes, cost and
//! digest, as text, Markdown (for a pull-request comment) or JSON.
//!
//! JSON output contains no attribute values at all, so a sensitive value
//! cannot leak through it; its strings are made terminal-safe. Module
//! sources that can move (`moving_module_sources`) make the plan critical.

use crate::cost::{CostLevel, CostReport, CostThresholds};
use crate::plan::{ActionCounts, CheckStatus, Plan};
use crate::risk::{MovingSource, Risk, RiskPolicy, moving_sources};
use crate::sanitize;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub format_version: Option<String>,
    pub terraform_version: Option<String>,
    pub warnings: Vec<String>,
    /// Errored, incomplete or not applyable, in words.
    pub flags: Vec<String>,
    /// Module calls whose code can change between plan and apply: each a
    /// critical finding of the configuration.
    pub moving_module_sources: Vec<MovingSource>,
    pub counts: ActionCounts,
    pub risk: RiskCounts,
    pub destructive: Vec<DestructiveChange>,
    /// Changes whose action list plandeck does not know (not in `counts`).
    pub unknown_actions: Vec<UnknownAction>,
    pub outputs: usize,
    pub drift: usize,
    pub deferred: usize,
    pub checks_failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostSummary>,
    pub digest: String,
}

/// How many changes there are at each risk level, and the critical
/// findings of the configuration (moving module sources), which count in
/// `highest` but not in the per-change counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RiskCounts {
    pub highest: Option<Risk>,
    pub configuration: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

/// A delete or replacement, for the top of every report.
#[derive(Clone, Debug, Serialize)]
pub struct DestructiveChange {
    pub address: String,
    pub actions: Vec<String>,
    pub risk: Risk,
    pub reason: String,
    #[serde(skip)]
    pub symbol: &'static str,
}

/// A change with an action list this build cannot judge, e.g.
/// `["create", "update"]` or `[]`.
#[derive(Clone, Debug, Serialize)]
pub struct UnknownAction {
    pub address: String,
    pub actions: Vec<String>,
}

/// The cost of the plan. Amounts are rounded to cents (JSON numbers such as
/// `63.85`, never `63.849999999999994`); `null` when not known.
#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    pub currency: String,
    #[serde(serialize_with = "cents")]
    pub monthly_before: Option<f64>,
    #[serde(serialize_with = "cents")]
    pub monthly_after: Option<f64>,
    #[serde(serialize_with = "cents")]
    pub monthly_delta: Option<f64>,
    /// How `monthly_delta` compares with `thresholds`.
    pub level: CostLevel,
    pub thresholds: CostThresholds,
    /// Every priced or unpriced resource of the cost file, in file order.
    pub resources: Vec<ResourceCostSummary>,
}

/// One resource of the cost file.
#[derive(Clone, Debug, Serialize)]
pub struct ResourceCostSummary {
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(serialize_with = "cents")]
    pub monthly_before: Option<f64>,
    #[serde(serialize_with = "cents")]
    pub monthly_after: Option<f64>,
    #[serde(serialize_with = "cents")]
    pub monthly_delta: Option<f64>,
    pub level: CostLevel,
}

/// Rounds an amount to cents for JSON; `-0.0` becomes `0.0`.
pub fn round_cents(amount: f64) -> f64 {
    let rounded = (amount * 100.0).round() / 100.0;
    if rounded == 0.0 { 0.0 } else { rounded }
}

fn cents<S: serde::Serializer>(amount: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(a) if a.is_finite() => s.serialize_f64(round_cents(*a)),
        _ => s.serialize_none(),
    }
}

impl CostSummary {
    fn of(report: &CostReport, thresholds: &CostThresholds) -> Self {
        let level = |delta: Option<f64>| delta.map_or(CostLevel::Neutral, |d| thresholds.level(d));
        Self {
            currency: report.currency.clone(),
            monthly_before: report.monthly_before,
            monthly_after: report.monthly_after,
            monthly_delta: report.monthly_delta,
            level: level(report.monthly_delta),
            thresholds: *thresholds,
            resources: report
                .resources
                .iter()
                .map(|r| ResourceCostSummary {
                    address: r.address.clone(),
                    project: r.project.clone(),
                    monthly_before: r.monthly_before,
                    monthly_after: r.monthly_after,
                    monthly_delta: r.monthly_delta,
                    level: level(r.monthly_delta),
                })
                .collect(),
        }
    }
}

impl Summary {
    pub fn of(
        plan: &Plan,
        risk: &RiskPolicy,
        cost: Option<&CostReport>,
        thresholds: &CostThresholds,
    ) -> Self {
        let mut risk_counts = RiskCounts::default();
        let mut destructive = Vec::new();
        for rc in &plan.resource_changes {
            let assessment = risk.assess(rc);
            match assessment.risk {
                Risk::Critical => risk_counts.critical += 1,
                Risk::High => risk_counts.high += 1,
                Risk::Medium => risk_counts.medium += 1,
                Risk::Low => risk_counts.low += 1,
                Risk::None => {}
            }
            if assessment.risk > Risk::None {
                risk_counts.highest = risk_counts.highest.max(Some(assessment.risk));
            }
            if rc.change.kind.is_destructive() {
                destructive.push(DestructiveChange {
                    address: rc.address.clone(),
                    actions: rc.change.actions.clone(),
                    risk: assessment.risk,
                    reason: assessment.reason,
                    symbol: rc.change.kind.symbol(),
                });
            }
        }
        let unknown_actions = plan
            .resource_changes
            .iter()
            .filter(|rc| matches!(rc.change.kind, crate::plan::ChangeKind::Unknown(_)))
            .map(|rc| UnknownAction {
                address: rc.address.clone(),
                actions: rc.change.actions.clone(),
            })
            .collect();
        destructive.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.address.cmp(&b.address)));
        let moving_module_sources = moving_sources(&plan.configuration);
        if !moving_module_sources.is_empty() {
            risk_counts.configuration = moving_module_sources.len();
            risk_counts.highest = Some(Risk::Critical);
        }
        Self {
            format_version: plan.format_version.clone(),
            terraform_version: plan.terraform_version.clone(),
            warnings: plan.warnings.clone(),
            flags: plan.status_flags().into_iter().map(String::from).collect(),
            moving_module_sources,
            counts: ActionCounts::of(&plan.resource_changes),
            risk: risk_counts,
            destructive,
            unknown_actions,
            outputs: plan
                .output_changes
                .iter()
                .filter(|o| o.change.kind != crate::plan::ChangeKind::NoOp)
                .count(),
            drift: plan.resource_drift.len(),
            deferred: plan.deferred_changes.len(),
            checks_failed: plan
                .checks
                .iter()
                .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Error))
                .count(),
            cost: cost.map(|c| CostSummary::of(c, thresholds)),
            digest: plan.digest.clone(),
        }
    }

    /// Pretty JSON with every string terminal-safe.
    pub fn to_json(&self) -> String {
        let json =
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        sanitize::json_safe(json)
    }
}

/// An action list as JSON text: `["create","update"]`, `[]`.
pub fn actions_text(actions: &[String]) -> String {
    serde_json::to_string(actions).unwrap_or_default()
}
