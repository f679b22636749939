//! The plan model: a `tofu show -json` / `terraform show -json` document, read
//! into types that the renderer, the summary, the digest and the review policy
//! all share.
//!
//! Attribute values (`before`, `after`, `after_unknown`, …) stay as unparsed
//! JSON text ([`RawJson`]) until they are shown or hashed: a 100 MB plan is
//! summarised without building a value tree. This module never prints and
//! never decides policy.

mod address;
mod canonical;
mod configuration;
mod counts;
mod digest;
mod parse;
mod pipeline;
mod wire;

use std::sync::Arc;

pub use address::resource_type_of;
pub use configuration::{Configuration, ModuleCall, ProvisionedResource, Provisioner, UnreadEntry};
pub use counts::ActionCounts;
pub use digest::{
    DIGEST_SCHEME, DigestError, MAX_VALUE_DEPTH, digest_label, digest_scheme, plan_digest,
    scheme_change, short_digest,
};
pub(crate) use parse::io_message;
pub use parse::{
    LoadError, MAX_PLAN_BYTES, PlanError, SUPPORTED_FORMAT_VERSIONS, load_plan, parse_plan,
    parse_plan_text,
};

/// A JSON value kept as a span of the document text it was read from.
///
/// Cloning is cheap (the document is shared); parsing happens on demand.
#[derive(Clone)]
pub struct RawJson {
    source: Arc<String>,
    start: usize,
    end: usize,
}

impl RawJson {
    pub(crate) fn new(source: Arc<String>, start: usize, end: usize) -> Self {
        Self { source, start, end }
    }

    /// A standalone value, for documents built in code (tests, plan deltas).
    pub fn from_value(value: &serde_json::Value) -> Self {
        let text = Arc::new(value.to_string());
        let end = text.len();
        Self::new(text, 0, end)
    }

    /// The JSON text of this value.
    pub fn as_str(&self) -> &str {
        &self.source[self.start..self.end]
    }

    /// Parses the value into a tree (bounded nesting, see `serde_json`).
    pub fn parse(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(self.as_str())
    }

    pub fn is_null(&self) -> bool {
        self.as_str() == "null"
    }
}

impl std::fmt::Debug for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the content: it may hold sensitive values.
        write!(f, "RawJson({} bytes)", self.end - self.start)
    }
}

/// Whether a resource change is for a managed resource or a data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Managed,
    Data,
}

/// What a change does, from its `actions` list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
    /// `["delete", "create"]`: the old object is destroyed first.
    DeleteThenCreate,
    /// `["create", "delete"]` (`create_before_destroy`).
    CreateThenDelete,
    Read,
    NoOp,
    /// Removed from state without being destroyed (`removed` blocks).
    Forget,
    /// An action list this version of plandeck does not know (`[]` too:
    /// Terraform never writes it); treated as risky.
    Unknown(Vec<String>),
}

impl ChangeKind {
    pub fn from_actions(actions: &[String]) -> Self {
        let words: Vec<&str> = actions.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["create"] => Self::Create,
            ["update"] => Self::Update,
            ["delete"] => Self::Delete,
            ["delete", "create"] => Self::DeleteThenCreate,
            ["create", "delete"] => Self::CreateThenDelete,
            ["read"] => Self::Read,
            ["no-op"] => Self::NoOp,
            ["forget"] => Self::Forget,
            _ => Self::Unknown(actions.to_vec()),
        }
    }

    pub fn is_replace(&self) -> bool {
        matches!(self, Self::DeleteThenCreate | Self::CreateThenDelete)
    }

    /// Destroys an existing object: a delete or either replacement order.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Self::Delete | Self::DeleteThenCreate | Self::CreateThenDelete
        ) || matches!(self, Self::Unknown(words) if words.iter().any(|w| w == "delete"))
    }

    /// Terraform's symbol for the action.
    pub fn symbol(&self) -> &'static str {
        match self {
            Self::Create => "+",
            Self::Update => "~",
            Self::Delete => "-",
            Self::DeleteThenCreate => "-/+",
            Self::CreateThenDelete => "+/-",
            Self::Read => "<=",
            Self::NoOp => " ",
            Self::Forget => ".",
            Self::Unknown(_) => "?",
        }
    }

    /// The action as a word, as the summary JSON and the headers use it.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::DeleteThenCreate | Self::CreateThenDelete => "replace",
            Self::Read => "read",
            Self::NoOp => "no-op",
            Self::Forget => "forget",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// The `change` object of a resource or output change.
#[derive(Clone, Debug)]
pub struct Change {
    pub actions: Vec<String>,
    pub kind: ChangeKind,
    pub before: Option<RawJson>,
    pub after: Option<RawJson>,
    pub after_unknown: Option<RawJson>,
    pub before_sensitive: Option<RawJson>,
    pub after_sensitive: Option<RawJson>,
    pub replace_paths: Option<RawJson>,
    pub importing: Option<RawJson>,
    pub generated_config: Option<String>,
}

/// One entry of `resource_changes`, `resource_drift` or a deferred change.
#[derive(Clone, Debug)]
pub struct ResourceChange {
    pub address: String,
    pub previous_address: Option<String>,
    pub module_address: Option<String>,
    pub mode: Mode,
    pub resource_type: String,
    pub name: String,
    pub index: Option<RawJson>,
    pub provider_name: Option<String>,
    pub deposed: Option<String>,
    pub action_reason: Option<String>,
    pub change: Change,
}

impl ResourceChange {
    /// Moved from another address in this plan (`moved` blocks, refactors).
    pub fn is_move(&self) -> bool {
        self.previous_address
            .as_deref()
            .is_some_and(|previous| previous != self.address)
    }

    pub fn is_import(&self) -> bool {
        self.change.importing.is_some()
    }

    /// The resource type its address names, which may differ from the
    /// `type` field in a hand-edited document (see [`resource_type_of`]).
    pub fn address_type(&self) -> Option<&str> {
        resource_type_of(&self.address)
    }

    /// The `action_reason` in words, as Terraform's renderer explains it.
    pub fn action_reason_text(&self) -> Option<String> {
        self.action_reason.as_deref().map(action_reason_text)
    }
}

/// Words for an `action_reason` code; unknown codes are shown as they are.
pub fn action_reason_text(reason: &str) -> String {
    let text = match reason {
        "replace_because_tainted" => "the object is tainted, so must be replaced",
        "replace_because_cannot_update" => "attributes that cannot be updated in place changed",
        "replace_by_request" => "replacement was requested (-replace)",
        "replace_by_triggers" => "replace_triggered_by references changed",
        "delete_because_no_resource_config" => {
            "its resource block is no longer in the configuration"
        }
        "delete_because_no_module" => "its module is no longer in the configuration",
        "delete_because_wrong_repetition" => "the resource changed between count and for_each",
        "delete_because_count_index" => "its count index is out of range",
        "delete_because_each_key" => "its for_each key is no longer in the map",
        "delete_because_no_move_target" => "it was moved to an address that does not exist",
        "read_because_config_unknown" => "its configuration depends on values not yet known",
        "read_because_dependency_pending" => "it depends on changes that are still pending",
        "read_because_check_nested" => "it is read inside a check block",
        other => return format!("reason: {other}"),
    };
    text.to_string()
}

/// One entry of `output_changes`.
#[derive(Clone, Debug)]
pub struct OutputChange {
    pub name: String,
    pub change: Change,
}

/// An attribute that the configuration refers to, for drift relevance.
#[derive(Clone, Debug)]
pub struct RelevantAttribute {
    pub resource: String,
    pub attribute: RawJson,
}

/// The result of a check block, precondition or postcondition.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub address: String,
    pub kind: String,
    pub status: CheckStatus,
    pub problems: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Pass,
    Fail,
    Error,
    Unknown,
}

impl CheckStatus {
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
            Self::Unknown => "unknown",
        }
    }
}

/// A change Terraform deferred to a later plan (`deferred_changes`).
#[derive(Clone, Debug)]
pub struct DeferredChange {
    pub reason: String,
    pub resource_change: ResourceChange,
}

/// A whole plan document.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// `None` when the document had no `format_version` (some tools strip it).
    pub format_version: Option<String>,
    pub terraform_version: Option<String>,
    pub resource_changes: Vec<ResourceChange>,
    /// Sorted by name.
    pub output_changes: Vec<OutputChange>,
    /// Changes made outside of Terraform/OpenTofu since the last apply.
    pub resource_drift: Vec<ResourceChange>,
    pub relevant_attributes: Vec<RelevantAttribute>,
    pub checks: Vec<CheckResult>,
    pub deferred_changes: Vec<DeferredChange>,
    /// Terraform 1.14 action invocations, by address.
    pub action_invocations: Vec<String>,
    /// Module calls and provisioners from the `configuration` section.
    pub configuration: Configuration,
    pub errored: bool,
    /// `None` when the document does not say (older formats).
    pub complete: Option<bool>,
    pub applyable: Option<bool>,
    /// Things a reader should know: newer minor version, missing version.
    pub warnings: Vec<String>,
    /// `sha256:v2:<hex>` over what a reviewer sees (see [`plan_digest`]).
    pub digest: String,
}

impl Plan {
    /// Problems that must be shown at the top of every rendering.
    pub fn status_flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.errored {
            flags.push("ERRORED: planning failed; this plan is not a complete picture");
        }
        if self.complete == Some(false) {
            flags.push("INCOMPLETE: more changes will follow after this plan is applied");
        }
        if self.applyable == Some(false) {
            flags.push("NOT APPLYABLE: this plan cannot be applied");
        }
        flags
    }
}
