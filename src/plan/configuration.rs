//! The parts of a plan's `configuration` section that decide what runs
//! besides the planned values: every module call (nested ones too) with its
//! source and version constraint, and every resource's provisioners. Read
//! here, hashed by `digest`, judged by `risk::sources`, compared by `delta`.
//! Nothing here prints or judges.

use super::{PlanError, RawJson, wire};
use serde_json::value::RawValue;
use std::collections::BTreeSet;

/// What the configuration says will run.
#[derive(Clone, Debug, Default)]
pub struct Configuration {
    /// Every module call, nested ones too, sorted by address.
    pub module_calls: Vec<ModuleCall>,
    /// Resources that have provisioners, sorted by address.
    pub provisioned: Vec<ProvisionedResource>,
}

/// One `module` block, at its configuration address (`module.a.module.b`:
/// no instance keys, the configuration has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleCall {
    pub address: String,
    pub source: Option<String>,
    pub version_constraint: Option<String>,
}

/// A resource block with provisioners, at its configuration address
/// (`module.a.null_resource.b`).
#[derive(Clone, Debug)]
pub struct ProvisionedResource {
    pub address: String,
    /// In the order they run.
    pub provisioners: Vec<Provisioner>,
}

/// One `provisioner` block as the plan writes it.
#[derive(Clone, Debug)]
pub struct Provisioner {
    /// `local-exec`, `remote-exec`, `file`, …
    pub kind: String,
    /// The block's arguments (`{"command": {"constant_value": …}}`).
    pub expressions: Option<RawJson>,
    /// The whole block, as hashed: fields a later Terraform adds count too.
    pub raw: RawJson,
}

/// What reading the configuration section gave.
pub(super) struct Read {
    pub configuration: Configuration,
    /// Outputs of the root module declared `sensitive = true`.
    pub sensitive_outputs: BTreeSet<String>,
}

/// Turns raw spans into values of the document and errors into positioned ones.
pub(super) trait Spans {
    fn raw(&self, raw: &RawValue) -> RawJson;
    fn error(&self, raw: &RawValue, error: &serde_json::Error) -> PlanError;
}

/// Reads the configuration section (absent: nothing to run, nothing declared).
pub(super) fn read(
    section: Option<wire::Configuration<'_>>,
    spans: &dyn Spans,
) -> Result<Read, PlanError> {
    let mut configuration = Configuration::default();
    let mut sensitive_outputs = BTreeSet::new();
    let Some(section) = section else {
        return Ok(Read {
            configuration,
            sensitive_outputs,
        });
    };
    let root_outputs = match (&section.outputs, &section.root_module) {
        (Some(outputs), _) => Some(outputs),
        (None, Some(root)) => root.outputs.as_ref(),
        (None, None) => None,
    };
    for (name, declaration) in root_outputs.into_iter().flatten() {
        if declaration.sensitive == Some(true) {
            sensitive_outputs.insert(name.clone());
        }
    }
    if let Some(root) = &section.root_module {
        walk(root, "", spans, &mut configuration)?;
    }
    configuration
        .module_calls
        .sort_by(|a, b| a.address.cmp(&b.address));
    configuration
        .provisioned
        .sort_by(|a, b| a.address.cmp(&b.address));
    Ok(Read {
        configuration,
        sensitive_outputs,
    })
}

/// Collects one module's provisioners and calls, then each called module's.
/// `prefix` is the module's address followed by a dot (empty for the root).
/// Recursion is bounded by serde_json's nesting limit on the document.
fn walk(
    module: &wire::ConfigModule<'_>,
    prefix: &str,
    spans: &dyn Spans,
    out: &mut Configuration,
) -> Result<(), PlanError> {
    for resource in module.resources.iter().flatten() {
        let Some(raws) = resource.provisioners.as_ref().filter(|p| !p.is_empty()) else {
            continue;
        };
        let mut provisioners = Vec::with_capacity(raws.len());
        for raw in raws {
            let wire: wire::Provisioner =
                serde_json::from_str(raw.get()).map_err(|e| spans.error(raw, &e))?;
            provisioners.push(Provisioner {
                kind: wire.kind,
                expressions: wire.expressions.map(|e| spans.raw(e)),
                raw: spans.raw(raw),
            });
        }
        out.provisioned.push(ProvisionedResource {
            address: format!("{prefix}{}", resource_address(resource)),
            provisioners,
        });
    }
    for (name, call) in module.module_calls.iter().flatten() {
        let address = format!("{prefix}module.{name}");
        out.module_calls.push(ModuleCall {
            address: address.clone(),
            source: call.source.clone(),
            version_constraint: call.version_constraint.clone(),
        });
        if let Some(child) = &call.module {
            walk(child, &format!("{address}."), spans, out)?;
        }
    }
    Ok(())
}

/// The resource's address in its module; built from mode, type and name
/// when the document leaves it out.
fn resource_address(resource: &wire::ConfigResource<'_>) -> String {
    if let Some(address) = &resource.address {
        return address.clone();
    }
    let kind = resource.resource_type.as_deref().unwrap_or("");
    let name = resource.name.as_deref().unwrap_or("");
    match resource.mode.as_deref() {
        Some("data") => format!("data.{kind}.{name}"),
        _ => format!("{kind}.{name}"),
    }
}
