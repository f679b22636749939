//! The JSON shapes of a plan document as serde reads them, borrowing from the
//! document text. Only what the model needs is named; everything else is
//! skipped unparsed. Every field is optional: test harnesses and tools strip
//! fields such as `terraform_version` and `timestamp`.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The top level, first pass: each section kept raw so the version can be
/// checked before the sections are read.
#[derive(Deserialize)]
pub(super) struct TopLevel<'a> {
    #[serde(borrow)]
    pub format_version: Option<&'a RawValue>,
    pub terraform_version: Option<&'a RawValue>,
    pub resource_changes: Option<&'a RawValue>,
    pub output_changes: Option<&'a RawValue>,
    pub resource_drift: Option<&'a RawValue>,
    pub relevant_attributes: Option<&'a RawValue>,
    pub checks: Option<&'a RawValue>,
    pub condition_results: Option<&'a RawValue>,
    pub deferred_changes: Option<&'a RawValue>,
    pub action_invocations: Option<&'a RawValue>,
    pub planned_values: Option<&'a RawValue>,
    pub configuration: Option<&'a RawValue>,
    pub prior_state: Option<&'a RawValue>,
    pub values: Option<&'a RawValue>,
    pub errored: Option<&'a RawValue>,
    pub complete: Option<&'a RawValue>,
    pub applyable: Option<&'a RawValue>,
}

/// The top level with every section typed: one pass over the document.
/// `prior_state` and `values` are only checked for presence.
#[derive(Deserialize, Default)]
pub(super) struct Sections<'a> {
    #[serde(borrow)]
    pub format_version: Option<&'a RawValue>,
    pub terraform_version: Option<String>,
    /// Kept raw per element: elements are read on several threads.
    #[serde(borrow)]
    pub resource_changes: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    pub output_changes: Option<OutputChanges<'a>>,
    #[serde(borrow)]
    pub resource_drift: Option<Vec<ResourceChange<'a>>>,
    #[serde(borrow)]
    pub relevant_attributes: Option<Vec<RelevantAttribute<'a>>>,
    pub checks: Option<Vec<Check>>,
    pub condition_results: Option<Vec<ConditionResult>>,
    #[serde(borrow)]
    pub deferred_changes: Option<Vec<DeferredChange<'a>>>,
    pub action_invocations: Option<Vec<ActionInvocation>>,
    /// Kept raw: read tolerantly (a bad entry is a warning, not a refusal).
    #[serde(borrow)]
    pub planned_values: Option<&'a RawValue>,
    #[serde(borrow)]
    pub configuration: Option<&'a RawValue>,
    #[serde(borrow)]
    pub prior_state: Option<&'a RawValue>,
    #[serde(borrow)]
    pub values: Option<&'a RawValue>,
    pub errored: Option<bool>,
    pub complete: Option<bool>,
    pub applyable: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct ResourceChange<'a> {
    /// Required in `resource_changes`; some Terraform 1.0 releases left it
    /// out of `resource_drift` entries, where it is derived instead.
    #[serde(default)]
    pub address: String,
    pub previous_address: Option<String>,
    pub module_address: Option<String>,
    pub mode: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub name: Option<String>,
    #[serde(borrow)]
    pub index: Option<&'a RawValue>,
    pub provider_name: Option<String>,
    pub deposed: Option<String>,
    pub action_reason: Option<String>,
    #[serde(borrow)]
    pub change: Change<'a>,
}

#[derive(Deserialize)]
pub(super) struct Change<'a> {
    pub actions: Vec<String>,
    #[serde(borrow)]
    pub before: Option<&'a RawValue>,
    #[serde(borrow)]
    pub after: Option<&'a RawValue>,
    #[serde(borrow)]
    pub after_unknown: Option<&'a RawValue>,
    #[serde(borrow)]
    pub before_sensitive: Option<&'a RawValue>,
    #[serde(borrow)]
    pub after_sensitive: Option<&'a RawValue>,
    #[serde(borrow)]
    pub replace_paths: Option<&'a RawValue>,
    #[serde(borrow)]
    pub importing: Option<&'a RawValue>,
    pub generated_config: Option<String>,
}

pub(super) type OutputChanges<'a> = BTreeMap<String, Change<'a>>;

#[derive(Deserialize)]
pub(super) struct RelevantAttribute<'a> {
    pub resource: String,
    #[serde(borrow)]
    pub attribute: &'a RawValue,
}

/// `checks` (format 1.1+).
#[derive(Deserialize)]
pub(super) struct Check {
    pub address: CheckAddress,
    pub status: String,
    #[serde(default)]
    pub instances: Vec<CheckInstance>,
}

#[derive(Deserialize)]
pub(super) struct CheckAddress {
    pub to_display: String,
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CheckInstance {
    pub address: CheckAddress,
    pub status: String,
    #[serde(default)]
    pub problems: Vec<CheckProblem>,
}

#[derive(Deserialize)]
pub(super) struct CheckProblem {
    pub message: String,
}

/// `condition_results` (Terraform 1.2 to 1.4, before `checks`).
#[derive(Deserialize)]
pub(super) struct ConditionResult {
    pub address: String,
    pub condition_type: Option<String>,
    pub result: Option<bool>,
    #[serde(default)]
    pub unknown: bool,
    pub error_message: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct DeferredChange<'a> {
    pub reason: String,
    #[serde(borrow)]
    pub resource_change: ResourceChange<'a>,
}

#[derive(Deserialize)]
pub(super) struct ActionInvocation {
    pub address: String,
}

/// Just enough of `planned_values` to learn which outputs are sensitive
/// (older formats flag them only there).
#[derive(Deserialize, Default)]
pub(super) struct OutputsHolder<'a> {
    #[serde(default, borrow)]
    pub outputs: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default, borrow)]
    pub root_module: Option<Box<OutputsHolder<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct OutputDeclaration {
    #[serde(default)]
    pub sensitive: Option<bool>,
}

/// `configuration`: what the plan says will run besides the planned values
/// (module calls, provisioners), and the root module's output declarations.
/// Some tools write `outputs` beside `root_module` instead of inside it.
/// Entries are kept raw and read one by one, so that one entry plandeck
/// cannot read costs a warning, not the plan.
#[derive(Deserialize, Default)]
pub(super) struct Configuration<'a> {
    #[serde(default, borrow)]
    pub outputs: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default, borrow)]
    pub root_module: Option<&'a RawValue>,
}

/// One module of the configuration: its resources and the modules it calls.
#[derive(Deserialize, Default)]
pub(super) struct ConfigModule<'a> {
    #[serde(default, borrow)]
    pub outputs: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default, borrow)]
    pub resources: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    pub module_calls: Option<BTreeMap<String, &'a RawValue>>,
}

/// A resource block; only its provisioners are read (kept raw, each is
/// hashed whole).
#[derive(Deserialize)]
pub(super) struct ConfigResource<'a> {
    pub address: Option<String>,
    pub mode: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub name: Option<String>,
    #[serde(default, borrow)]
    pub provisioners: Option<Vec<&'a RawValue>>,
}

/// A `module` block: where its code comes from and what it contains.
#[derive(Deserialize)]
pub(super) struct ModuleCall<'a> {
    pub source: Option<String>,
    pub version_constraint: Option<String>,
    #[serde(default, borrow)]
    pub module: Option<&'a RawValue>,
}

/// A `provisioner` block: its type and its arguments as expressions.
#[derive(Deserialize)]
pub(super) struct Provisioner<'a> {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, borrow)]
    pub expressions: Option<&'a RawValue>,
}
