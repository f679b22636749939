//! Cost estimates: the monthly cost impact of a plan, read from Infracost or
//! OpenInfraQuote JSON.
//!
//! Role: turn the JSON written by `infracost breakdown --format json`,
//! `infracost diff --format json` (format version 0.x) or
//! `oiq price --format json` into one [`CostReport`] with the monthly cost
//! before and after the change and the delta, per report, per project (root)
//! and per resource address; classify a delta against configured
//! [`CostThresholds`]; format amounts for display.
//!
//! What it must not do: no I/O besides [`load_cost_file`], no printing, no
//! panics on any input. Strings taken from the file (addresses, project names,
//! error messages, currency) are untrusted and are kept exactly as they are in
//! the model; escaping them for the terminal is the sanitiser's job, at
//! display time.
//!
//! Conventions shared by both formats:
//! - amounts are `f64` in the report's currency, per month;
//! - `None` means "not known": not priced (Infracost `null`, usage-based), or
//!   absent on that side (a created resource has no `monthly_before`);
//! - OpenInfraQuote estimates are ranges: every amount holds the midpoint of
//!   `min..max`, and when `min != max` the exact bounds of the delta are kept
//!   in `monthly_delta_range` (use [`CostRange::max`] for a worst-case check).

mod infracost;
mod json;
mod money;
mod oiq;

pub(crate) use money::group_thousands;
pub use money::{format_amount, format_delta, format_delta_range, format_money};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Deltas smaller than half a cent either way count as no change.
const NEGLIGIBLE: f64 = 0.005;

/// The tool that produced a cost estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CostSource {
    /// `infracost breakdown|diff --format json`.
    Infracost,
    /// `oiq price --format json`.
    OpenInfraQuote,
}

/// An estimate given as a range, as OpenInfraQuote does; `min <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostRange {
    /// Lower bound, per month.
    pub min: f64,
    /// Upper bound, per month.
    pub max: f64,
}

impl CostRange {
    /// The range with its bounds ordered (OpenInfraQuote negates both bounds
    /// of a removed resource, so its `min` is above its `max`).
    pub fn new(a: f64, b: f64) -> Self {
        CostRange {
            min: a.min(b),
            max: a.max(b),
        }
    }

    /// The middle of the range, used as the single figure.
    pub fn midpoint(&self) -> f64 {
        self.min / 2.0 + self.max / 2.0
    }

    /// True when the bounds differ by at least a cent.
    pub fn is_spread(&self) -> bool {
        (self.max - self.min).abs() >= 2.0 * NEGLIGIBLE
    }
}

/// The whole cost estimate of one cost file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// Which tool produced the file.
    pub source: CostSource,
    /// Currency code of every amount (`USD` when the file does not say).
    pub currency: String,
    /// Total monthly cost before the change, when known.
    pub monthly_before: Option<f64>,
    /// Total monthly cost after the change, when known.
    pub monthly_after: Option<f64>,
    /// Change of the total monthly cost, when known.
    pub monthly_delta: Option<f64>,
    /// Bounds of `monthly_delta` when the estimate is a range whose bounds
    /// differ (OpenInfraQuote only); `None` when the delta is exact.
    pub monthly_delta_range: Option<CostRange>,
    /// One entry per Infracost project, in file order (names may repeat);
    /// empty for OpenInfraQuote, which has no projects.
    pub projects: Vec<ProjectCost>,
    /// One entry per resource address and project, in file order.
    pub resources: Vec<ResourceCost>,
    /// Errors reported by the estimator (one per project error, prefixed by
    /// the project name); the figures of those projects are incomplete.
    pub errors: Vec<String>,
}

/// The cost of one Infracost project (a root module, workspace or
/// Terragrunt unit).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectCost {
    /// Project name as given by Infracost (not unique: see `path`).
    pub name: String,
    /// `metadata.path`, the directory or plan file the project was read from.
    pub path: Option<String>,
    /// Monthly cost before the change (`pastBreakdown`), when known.
    pub monthly_before: Option<f64>,
    /// Monthly cost after the change (`breakdown`), when known.
    pub monthly_after: Option<f64>,
    /// Monthly delta: `diff` when present, else after − before, else the
    /// whole `breakdown` when there is no past breakdown.
    pub monthly_delta: Option<f64>,
    /// The project's error (`error`, or the messages of `metadata.errors`
    /// joined by `"; "`); its figures are then incomplete.
    pub error: Option<String>,
}

/// The cost of one resource address in one project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceCost {
    /// Resource address, e.g. `module.db.aws_db_instance.this[0]`.
    pub address: String,
    /// Resource type (`aws_instance`), when the file gives it.
    pub resource_type: Option<String>,
    /// Name of the project the resource belongs to (None for OpenInfraQuote).
    pub project: Option<String>,
    /// Index into [`CostReport::projects`]; unambiguous where names repeat.
    pub project_index: Option<usize>,
    /// Monthly cost before the change; None when absent before or not priced.
    pub monthly_before: Option<f64>,
    /// Monthly cost after the change; None when absent after or not priced.
    pub monthly_after: Option<f64>,
    /// Monthly delta; `Some(0.0)` for an unchanged priced resource, None when
    /// not priced.
    pub monthly_delta: Option<f64>,
    /// Bounds of `monthly_delta` when they differ (OpenInfraQuote only).
    pub monthly_delta_range: Option<CostRange>,
}

impl ResourceCost {
    /// Worst-case delta: the upper bound of the range, else the delta.
    pub fn monthly_delta_upper(&self) -> Option<f64> {
        upper(self.monthly_delta, self.monthly_delta_range)
    }
}

fn upper(delta: Option<f64>, range: Option<CostRange>) -> Option<f64> {
    range.map(|r| r.max).or(delta)
}

impl CostReport {
    /// Worst-case total delta: the upper bound of the range, else the delta.
    pub fn monthly_delta_upper(&self) -> Option<f64> {
        upper(self.monthly_delta, self.monthly_delta_range)
    }

    /// Every entry for `address` (one per project holding that address).
    pub fn resources_at<'a>(
        &'a self,
        address: &str,
    ) -> impl Iterator<Item = &'a ResourceCost> + use<'a> {
        let address = address.to_owned();
        self.resources.iter().filter(move |r| r.address == address)
    }

    /// Monthly delta of the resource at `address`.
    ///
    /// Returns None when the address is unknown, not priced, or ambiguous:
    /// when it occurs in more than one project (two roots can both hold
    /// `aws_instance.web`), no figure is returned rather than a sum that would
    /// belong to neither; look the entries up with [`CostReport::resources_at`]
    /// and choose by `project_index` instead.
    pub fn resource_delta(&self, address: &str) -> Option<f64> {
        let mut matches = self.resources_at(address);
        let first = matches.next()?;
        match matches.next() {
            Some(_) => None,
            None => first.monthly_delta,
        }
    }
}

/// Why a cost file could not be read. Every message is one line; the file
/// name is part of it only for [`load_cost_file`] (callers of [`parse_cost`]
/// add it themselves).
#[derive(Debug, thiserror::Error)]
pub enum CostError {
    /// The file could not be read: `FILE: no such file`, as for plan files.
    #[error("{}: {}", path.display(), crate::plan::io_message(source))]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but its content is not a valid estimate.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with its content.
        error: Box<CostError>,
    },
    /// The file is not UTF-8 text.
    #[error("invalid UTF-8 at byte {0}")]
    InvalidUtf8(usize),
    /// The text is not JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(#[from] serde_json::Error),
    /// The JSON is neither Infracost nor OpenInfraQuote price output.
    #[error("not an Infracost or OpenInfraQuote cost JSON: {0}")]
    NotCostJson(String),
    /// An Infracost format version this module does not understand.
    #[error("unsupported Infracost JSON version {0} (expected 0.x)")]
    UnsupportedVersion(String),
    /// A required field is missing.
    #[error("missing field {0}")]
    MissingField(String),
    /// A field has the wrong JSON type.
    #[error("expected {expected} at {path}, found {found}")]
    WrongType {
        /// Where, e.g. `projects[0].breakdown.resources`.
        path: String,
        /// What was expected, e.g. `an array`.
        expected: &'static str,
        /// What was found, e.g. `a string`.
        found: &'static str,
    },
    /// A cost is not a finite decimal number.
    #[error("invalid cost value {value} at {path}")]
    InvalidValue {
        /// Where, e.g. `projects[0].breakdown.totalMonthlyCost`.
        path: String,
        /// The value, quoted and escaped, shortened when long.
        value: String,
    },
    /// A currency that is not a three-letter code.
    #[error("invalid currency {value} at {path}: expected a three-letter code such as USD")]
    InvalidCurrency {
        /// Where: `currency`.
        path: String,
        /// The value, quoted and escaped, shortened when long.
        value: String,
    },
    /// Cost thresholds that cannot be applied.
    #[error("invalid cost thresholds: {0}")]
    InvalidThresholds(String),
}

/// Parses the text of an Infracost or OpenInfraQuote price JSON, detecting
/// the format: an object with `projects` (or `version`) is Infracost, one
/// with `price` or `price_diff` is OpenInfraQuote. A leading UTF-8 byte
/// order mark (as Windows shells write) is ignored.
pub fn parse_cost(text: &str) -> Result<CostReport, CostError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: serde_json::Value = serde_json::from_str(text)?;
    let Some(top) = value.as_object() else {
        return Err(CostError::NotCostJson(not_object_reason(&value)));
    };
    if top.contains_key("projects") || top.contains_key("version") {
        infracost::parse(top)
    } else if top.contains_key("price") || top.contains_key("price_diff") {
        oiq::parse(top)
    } else if top.contains_key("$schema") || top.contains_key("definitions") {
        Err(CostError::NotCostJson(
            "this is a JSON Schema, not a cost estimate".to_string(),
        ))
    } else {
        Err(CostError::NotCostJson(
            "no `projects` or `price` field".to_string(),
        ))
    }
}

fn not_object_reason(value: &serde_json::Value) -> String {
    let is_usage_entry =
        |v: &serde_json::Value| v.get("match_query").is_some() && v.get("usage").is_some();
    match value {
        serde_json::Value::Array(items) if items.first().is_some_and(is_usage_entry) => {
            "this is an OpenInfraQuote usage file, not `oiq price` output".to_string()
        }
        other => format!(
            "top-level value is {}, expected an object",
            json::kind(other)
        ),
    }
}

/// Reads and parses a cost file; errors name the file.
pub fn load_cost_file(path: &Path) -> Result<CostReport, CostError> {
    let bytes = std::fs::read(path).map_err(|source| CostError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| CostError::InFile {
        path: path.to_path_buf(),
        error: Box::new(CostError::InvalidUtf8(e.utf8_error().valid_up_to())),
    })?;
    parse_cost(&text).map_err(|error| CostError::InFile {
        path: path.to_path_buf(),
        error: Box::new(error),
    })
}

/// How a monthly delta compares with the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CostLevel {
    /// The cost goes down.
    Decrease,
    /// No change (less than half a cent either way), or unknown.
    Neutral,
    /// The cost goes up, below the warning threshold.
    Increase,
    /// The increase reaches `warn_monthly_delta`.
    Warn,
    /// The increase reaches `critical_monthly_delta`.
    Critical,
}

/// Monthly increases that deserve attention: the `[cost]` table of the
/// configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostThresholds {
    /// An increase of at least this much per month is a warning.
    pub warn_monthly_delta: f64,
    /// An increase of at least this much per month is critical.
    pub critical_monthly_delta: f64,
}

impl Default for CostThresholds {
    fn default() -> Self {
        CostThresholds {
            warn_monthly_delta: 100.0,
            critical_monthly_delta: 1000.0,
        }
    }
}

impl CostThresholds {
    /// Classifies a monthly delta. Critical is checked before Warn, so
    /// inverted thresholds still never hide a critical increase; a NaN delta
    /// is Neutral.
    pub fn level(&self, delta: f64) -> CostLevel {
        if delta.is_nan() || delta.abs() < NEGLIGIBLE {
            CostLevel::Neutral
        } else if delta < 0.0 {
            CostLevel::Decrease
        } else if delta >= self.critical_monthly_delta {
            CostLevel::Critical
        } else if delta >= self.warn_monthly_delta {
            CostLevel::Warn
        } else {
            CostLevel::Increase
        }
    }

    /// Checks that both thresholds are finite, not negative, and that the
    /// warning one does not exceed the critical one.
    pub fn validate(&self) -> Result<(), CostError> {
        let (warn, critical) = (self.warn_monthly_delta, self.critical_monthly_delta);
        for (name, value) in [
            ("warn_monthly_delta", warn),
            ("critical_monthly_delta", critical),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(CostError::InvalidThresholds(format!(
                    "{name} must be a finite amount >= 0, got {value}"
                )));
            }
        }
        if warn > critical {
            return Err(CostError::InvalidThresholds(format!(
                "warn_monthly_delta ({warn}) exceeds critical_monthly_delta ({critical})"
            )));
        }
        Ok(())
    }
}
