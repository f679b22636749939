//! The parts of a plan's `configuration` section that decide what runs
//! besides the planned values: every module call (nested ones too) with its
//! source and version constraint, and every resource's provisioners. Read
//! here, hashed by `digest`, judged by `risk::sources`, compared by `delta`.
//! Nothing here prints or judges.

use super::{RawJson, wire};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};

/// What the configuration says will run.
#[derive(Clone, Debug, Default)]
pub struct Configuration {
    /// Every module call, nested ones too, sorted by address.
    pub module_calls: Vec<ModuleCall>,
    /// Resources that have provisioners, sorted by address.
    pub provisioned: Vec<ProvisionedResource>,
    /// Entries plandeck could not read, kept whole and hashed by the digest:
    /// what cannot be read is still bound by an approval.
    pub unread: Vec<UnreadEntry>,
}

/// A part of the configuration that did not read (a field of an unexpected
/// type, a provisioner without its type…), skipped with a warning.
#[derive(Clone, Debug)]
pub struct UnreadEntry {
    /// Where it is, in plandeck's words (`module.app: resource 2`).
    pub place: String,
    pub raw: RawJson,
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

/// What the reader of the whole document lends: raw spans turned into
/// values, errors described at their place, warnings collected.
pub(super) trait Spans {
    fn raw(&self, raw: &RawValue) -> RawJson;
    fn describe(&self, raw: &RawValue, error: &serde_json::Error) -> String;
    fn warn(&self, warning: String);
}

/// Reads the configuration section (absent: nothing to run, nothing
/// declared). Tolerant: an entry that does not read is a warning naming it,
/// kept in `unread`; a module call whose block does not read is listed
/// without a source (so it is judged a source that can move).
pub(super) fn read(section: Option<&RawValue>, spans: &dyn Spans) -> Read {
    let mut read = Read {
        configuration: Configuration::default(),
        sensitive_outputs: BTreeSet::new(),
    };
    let Some(section) = section else { return read };
    let Some(top) = parse::<Option<wire::Configuration>>(
        section,
        "configuration",
        spans,
        &mut read.configuration,
    )
    .flatten() else {
        return read;
    };
    let root = top.root_module.and_then(|raw| {
        parse::<Option<wire::ConfigModule>>(
            raw,
            "configuration: root module",
            spans,
            &mut read.configuration,
        )
        .flatten()
    });
    let root_outputs = match (&top.outputs, &root) {
        (Some(outputs), _) => Some(outputs),
        (None, Some(root)) => root.outputs.as_ref(),
        (None, None) => None,
    };
    if let Some(outputs) = root_outputs {
        sensitive_declarations(outputs, "configuration", spans, &mut read.sensitive_outputs);
    }
    if let Some(root) = &root {
        walk(root, "", spans, &mut read.configuration);
    }
    let configuration = &mut read.configuration;
    configuration
        .module_calls
        .sort_by(|a, b| a.address.cmp(&b.address));
    configuration
        .provisioned
        .sort_by(|a, b| a.address.cmp(&b.address));
    read
}

/// Adds the outputs declared sensitive to `sensitive`. A declaration that
/// does not read is taken as sensitive (a value is masked rather than shown
/// when plandeck cannot tell), with a warning.
pub(super) fn sensitive_declarations(
    declarations: &BTreeMap<String, &RawValue>,
    section: &str,
    spans: &dyn Spans,
    sensitive: &mut BTreeSet<String>,
) {
    for (name, raw) in declarations {
        match serde_json::from_str::<wire::OutputDeclaration>(raw.get()) {
            Ok(declaration) if declaration.sensitive != Some(true) => {}
            Ok(_) => {
                sensitive.insert(name.clone());
            }
            Err(e) => {
                spans.warn(format!(
                    "{section}: output {name:?}: {}: taken as sensitive",
                    spans.describe(raw, &e)
                ));
                sensitive.insert(name.clone());
            }
        }
    }
}

/// Reads one entry; one that does not read is warned about, kept in
/// `unread` and gives `None`.
fn parse<'a, T: serde::Deserialize<'a>>(
    raw: &'a RawValue,
    place: &str,
    spans: &dyn Spans,
    out: &mut Configuration,
) -> Option<T> {
    match serde_json::from_str::<T>(raw.get()) {
        Ok(value) => Some(value),
        Err(e) => {
            spans.warn(format!("{place}: {}: skipped", spans.describe(raw, &e)));
            out.unread.push(UnreadEntry {
                place: place.to_owned(),
                raw: spans.raw(raw),
            });
            None
        }
    }
}

/// Collects one module's provisioners and calls, then each called module's.
/// `prefix` is the module's address followed by a dot (empty for the root).
/// Recursion is bounded by serde_json's nesting limit on the document.
fn walk(module: &wire::ConfigModule<'_>, prefix: &str, spans: &dyn Spans, out: &mut Configuration) {
    let module_name = prefix.strip_suffix('.').unwrap_or("root module");
    for (i, raw) in module.resources.iter().flatten().enumerate() {
        let place = format!("configuration: {module_name}: resource {}", i + 1);
        let Some(resource) = parse::<wire::ConfigResource>(raw, &place, spans, out) else {
            continue;
        };
        let Some(raws) = resource.provisioners.as_ref().filter(|p| !p.is_empty()) else {
            continue;
        };
        let address = format!("{prefix}{}", resource_address(&resource));
        let mut provisioners = Vec::with_capacity(raws.len());
        for (j, raw) in raws.iter().enumerate() {
            let place = format!("configuration: {address}: provisioner {}", j + 1);
            if let Some(wire) = parse::<wire::Provisioner>(raw, &place, spans, out) {
                provisioners.push(Provisioner {
                    kind: wire.kind,
                    expressions: wire.expressions.map(|e| spans.raw(e)),
                    raw: spans.raw(raw),
                });
            }
        }
        out.provisioned.push(ProvisionedResource {
            address,
            provisioners,
        });
    }
    for (name, raw) in module.module_calls.iter().flatten() {
        let address = format!("{prefix}module.{name}");
        let place = format!("configuration: {address}");
        let Some(call) = parse::<wire::ModuleCall>(raw, &place, spans, out) else {
            out.module_calls.push(ModuleCall {
                address,
                source: None,
                version_constraint: None,
            });
            continue;
        };
        out.module_calls.push(ModuleCall {
            address: address.clone(),
            source: call.source,
            version_constraint: call.version_constraint,
        });
        let child = call.module.and_then(|raw| {
            parse::<Option<wire::ConfigModule>>(raw, &format!("{place}: module"), spans, out)
                .flatten()
        });
        if let Some(child) = child {
            walk(&child, &format!("{address}."), spans, out);
        }
    }
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
