//! Risk levels of resource changes.
//!
//! Deleting or replacing a resource of a data-bearing type (the list shipped
//! in `assets/data_bearing_types.txt`, extended by config) or one matching a
//! protected address pattern is *critical*; other deletes and replaces are
//! *high*; in-place updates and forgets *medium*; creates *low*. The type is
//! read from the address as well as from the `type` field (a hand-edited plan
//! can make them disagree), and either being data-bearing is enough. A module
//! source that can move (`sources`) is a critical finding of the plan's
//! configuration. This module only judges; it does not print or enforce.

mod sources;

pub use sources::{MovingSource, moving_sources, why_it_moves};

use crate::plan::{ChangeKind, ResourceChange};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

const DEFAULT_DATA_BEARING_TYPES: &str = include_str!("../assets/data_bearing_types.txt");

/// How dangerous one change is. Ordered: `Critical` is the highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn word(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// The `[risk]` table of the configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// More data-bearing resource types (patterns, `*` wildcard).
    pub data_bearing_types: Vec<String>,
    /// When true, `data_bearing_types` replaces the shipped list instead of extending it.
    pub replace_default_types: bool,
    /// Address patterns whose deletion or replacement is always critical.
    pub protected_addresses: Vec<String>,
}

/// A change's risk and the reason for it, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub risk: Risk,
    pub reason: String,
}

/// Compiled risk rules.
#[derive(Clone, Debug)]
pub struct RiskPolicy {
    data_bearing: Patterns,
    protected: Patterns,
}

#[derive(Clone, Debug)]
struct Patterns {
    sources: Vec<String>,
    set: GlobSet,
}

impl Patterns {
    fn new(sources: Vec<String>) -> Result<Self, String> {
        let mut builder = GlobSetBuilder::new();
        for pattern in &sources {
            builder.add(compile_wildcard(pattern)?);
        }
        let set = builder.build().map_err(|e| e.to_string())?;
        Ok(Self { sources, set })
    }

    fn first_match(&self, text: &str) -> Option<&str> {
        self.set
            .matches(text)
            .first()
            .map(|&i| self.sources[i].as_str())
    }
}

/// Compiles a pattern in which only `*` is special, so addresses with
/// brackets and quotes (`module.db["prod"]`) can be written as they are.
fn compile_wildcard(pattern: &str) -> Result<globset::Glob, String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern".to_string());
    }
    let mut escaped = String::with_capacity(pattern.len() + 8);
    for c in pattern.chars() {
        if matches!(c, '?' | '[' | ']' | '{' | '}' | '\\' | '!') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    GlobBuilder::new(&escaped)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid pattern {pattern:?}: {e}"))
}

impl Default for RiskPolicy {
    fn default() -> Self {
        Self::from_config(&RiskConfig::default()).unwrap_or_else(|_| Self::empty())
    }
}

impl RiskPolicy {
    fn empty() -> Self {
        let none = || Patterns {
            sources: Vec::new(),
            set: GlobSet::empty(),
        };
        Self {
            data_bearing: none(),
            protected: none(),
        }
    }

    /// Builds the rules from config; the error names the bad pattern.
    pub fn from_config(config: &RiskConfig) -> Result<Self, String> {
        let mut types: Vec<String> = if config.replace_default_types {
            Vec::new()
        } else {
            default_data_bearing_types()
        };
        types.extend(config.data_bearing_types.iter().cloned());
        Ok(Self {
            data_bearing: Patterns::new(types)?,
            protected: Patterns::new(config.protected_addresses.clone())?,
        })
    }

    pub fn is_data_bearing(&self, resource_type: &str) -> bool {
        self.data_bearing.first_match(resource_type).is_some()
    }

    /// The risk of one resource change.
    pub fn assess(&self, rc: &ResourceChange) -> Assessment {
        let kind = &rc.change.kind;
        let protected = self.protected.first_match(&rc.address);
        let assessment = |risk, reason: String| Assessment { risk, reason };
        if kind.is_destructive() {
            let verb = if kind.is_replace() {
                "replaces"
            } else {
                "deletes"
            };
            if let Some(pattern) = protected {
                return assessment(
                    Risk::Critical,
                    format!("{verb} a protected address ({pattern})"),
                );
            }
            // The `type` field is a claim; the address is what every
            // rendering shows. Either being data-bearing is enough.
            let address_type = rc.address_type().filter(|t| *t != rc.resource_type);
            if self.is_data_bearing(&rc.resource_type) {
                return assessment(
                    Risk::Critical,
                    format!("{verb} a data-bearing resource ({})", rc.resource_type),
                );
            }
            if let Some(real) = address_type.filter(|t| self.is_data_bearing(t)) {
                return assessment(
                    Risk::Critical,
                    format!(
                        "{verb} a data-bearing resource ({real}, by its address; its type \
                         field says {})",
                        rc.resource_type
                    ),
                );
            }
            return assessment(Risk::High, format!("{verb} a resource"));
        }
        match kind {
            ChangeKind::Unknown(_) => {
                assessment(Risk::High, "an action plandeck does not know".into())
            }
            ChangeKind::Forget if protected.is_some() => {
                assessment(Risk::High, "stops managing a protected address".into())
            }
            ChangeKind::Forget => assessment(Risk::Medium, "stops managing a resource".into()),
            ChangeKind::Update => assessment(Risk::Medium, "updates in place".into()),
            ChangeKind::Create => assessment(Risk::Low, "creates".into()),
            _ if rc.is_move() || rc.is_import() => {
                assessment(Risk::Low, "moves or imports without other change".into())
            }
            _ => assessment(Risk::None, "no change".into()),
        }
    }
}

/// The shipped list of data-bearing types.
pub fn default_data_bearing_types() -> Vec<String> {
    DEFAULT_DATA_BEARING_TYPES
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_list_covers_four_platforms_with_at_least_forty_types() {
        let types = default_data_bearing_types();
        assert!(types.len() >= 40, "{} types", types.len());
        for prefix in ["aws_", "google_", "azurerm_", "kubernetes_"] {
            assert!(
                types.iter().any(|t| t.starts_with(prefix)),
                "no {prefix} types"
            );
        }
    }

    #[test]
    fn wildcards_match_but_brackets_are_literal() {
        let policy = RiskPolicy::from_config(&RiskConfig {
            protected_addresses: vec!["module.db[\"prod\"].*".into()],
            ..RiskConfig::default()
        })
        .expect("valid");
        assert_eq!(
            policy
                .protected
                .first_match("module.db[\"prod\"].aws_instance.x"),
            Some("module.db[\"prod\"].*")
        );
        assert_eq!(
            policy
                .protected
                .first_match("module.db[\"dev\"].aws_instance.x"),
            None
        );
        assert!(policy.is_data_bearing("aws_fsx_lustre_file_system"));
        assert!(!policy.is_data_bearing("aws_instance"));
    }

    #[test]
    fn replacing_the_defaults_drops_them() {
        let policy = RiskPolicy::from_config(&RiskConfig {
            data_bearing_types: vec!["my_db".into()],
            replace_default_types: true,
            ..RiskConfig::default()
        })
        .expect("valid");
        assert!(policy.is_data_bearing("my_db"));
        assert!(!policy.is_data_bearing("aws_db_instance"));
    }
}
