//! The plan digest: SHA-256 over everything a reviewer sees of a plan and
//! everything that decides what its apply runs, so that two documents with
//! the same digest are indistinguishable to a reviewer. Digests read
//! `sha256:v2:<64 hex>`; the `v2` names the scheme, so an approval bound to
//! a digest of another scheme is recognised as such (see [`digest_scheme`]).
//! Scheme 1 wrote `sha256:<64 hex>` and covered less (no type, name, mode,
//! provider, index, module address, action reason, sensitivity or
//! configuration).
//!
//! What is hashed, as canonical JSON (object keys sorted, no whitespace,
//! strings in serde_json's escaping, numbers as written; see `canonical`):
//!
//! - each resource change, on its own: `action_reason, actions, address,
//!   after, after_sensitive, after_unknown, before, before_sensitive,
//!   deposed, generated_config, importing, index, mode, module_address,
//!   name, previous_address, provider_name, replace_paths, type` (absent
//!   and `null` are the same);
//! - the output changes, `{NAME: {actions, after, after_sensitive,
//!   after_unknown, before, before_sensitive}}`, with the sensitivity that
//!   `planned_values` and `configuration` declare merged in;
//! - the configuration that runs: `{module_calls: {ADDRESS: {source,
//!   version_constraint}}, provisioners: {RESOURCE ADDRESS: [each
//!   provisioner block whole: type, expressions and any other field]}}`,
//!   for the root module and every nested module call, plus `unread: [{place,
//!   raw}]` (only when any) for configuration entries that did not read, so
//!   that what plandeck cannot read is still bound;
//!
//! The digest is SHA-256 over the scheme tag, the outputs' JSON, the
//! configuration's JSON and the resource hashes sorted by (address, deposed
//! key, hash), so the order of `resource_changes` does not count.
//! Per-resource hashes let a large plan be hashed on several threads while
//! it is read (`pipeline`). `timestamp`, `terraform_version`,
//! `format_version`, `prior_state`, `planned_values` (but its output
//! sensitivity), the rest of `configuration` (providers, variables,
//! resource expressions), `resource_drift`, `relevant_attributes`, checks,
//! deferred changes and the errored/complete/applyable flags do not count.
//! Every value is scanned for its nesting depth on the way, drift and
//! deferred changes too, so a hostile document is refused at load time
//! instead of overflowing a stack.

use super::canonical::{write_canonical, write_string};
use super::{Change, Configuration, Mode, Plan, RawJson, ResourceChange};
use sha2::{Digest, Sha256};

/// Values nested deeper than this are refused (serde_json's own tree limit
/// is 128; rendering parses values into trees).
pub const MAX_VALUE_DEPTH: usize = 100;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("value nested deeper than {MAX_VALUE_DEPTH} levels in {0}")]
    TooDeep(String),
    #[error("malformed JSON value in {0}")]
    Malformed(String),
}

/// A resource change's own hash (see the module doc).
pub(crate) type ResourceHash = [u8; 32];

/// The digest scheme this build writes.
pub const DIGEST_SCHEME: u32 = 2;
const DIGEST_PREFIX: &str = "sha256:v2:";
const DIGEST_VERSION: &[u8] = b"plandeck-plan-digest-v2\n";

/// The scheme a digest string was written under: 1 for `sha256:<64 hex>`
/// (plandeck before scheme 2), N for `sha256:vN:<64 hex>`; `None` for a
/// string that is no plandeck digest.
pub fn digest_scheme(digest: &str) -> Option<u32> {
    let rest = digest.strip_prefix("sha256:")?;
    let is_hex = |s: &str| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if is_hex(rest) {
        return Some(1);
    }
    let (version, hex) = rest.strip_prefix('v')?.split_once(':')?;
    let version: u32 = version.parse().ok().filter(|v| *v >= 2)?;
    is_hex(hex).then_some(version)
}

/// Why a digest of another scheme can never equal one of this build's, in
/// words, or `None` when `digest` is of this scheme (or no plandeck digest).
pub fn scheme_change(digest: &str) -> Option<String> {
    digest_scheme(digest)
        .filter(|scheme| *scheme != DIGEST_SCHEME)
        .map(|scheme| {
            format!("digest scheme v{scheme}; plans are now digested with v{DIGEST_SCHEME}")
        })
}

/// A digest shortened for display: its scheme prefix and 12 hex digits
/// (`sha256:v2:0a1b2c3d4e5f`); other strings to 19 characters.
pub fn short_digest(digest: &str) -> &str {
    digest_label(digest, 12)
}

/// A digest's scheme prefix and its first `hex_digits` digits; a string
/// that is no plandeck digest is cut as if it were of scheme 1.
pub fn digest_label(digest: &str, hex_digits: usize) -> &str {
    let prefix = if digest_scheme(digest).is_some() {
        digest.len() - 64
    } else {
        "sha256:".len()
    };
    let end = prefix + hex_digits;
    digest
        .char_indices()
        .nth(end)
        .map_or(digest, |(i, _)| &digest[..i])
}

/// Computes `sha256:v2:<hex>` for a plan, checking value depth on the way.
pub fn plan_digest(plan: &Plan) -> Result<String, DigestError> {
    let hashes = plan
        .resource_changes
        .iter()
        .map(resource_hash)
        .collect::<Result<Vec<_>, _>>()?;
    combine(plan, &hashes)
}

/// The hash of one resource change, checking the depth of its values.
pub(crate) fn resource_hash(rc: &ResourceChange) -> Result<ResourceHash, DigestError> {
    let mut buf = Vec::with_capacity(4096);
    write_resource_change(rc, &mut buf)?;
    Ok(Sha256::digest(&buf).into())
}

/// The plan digest from the resource hashes (`hashes[i]` belongs to
/// `plan.resource_changes[i]`).
pub(crate) fn combine(plan: &Plan, hashes: &[ResourceHash]) -> Result<String, DigestError> {
    let mut hasher = Sha256::new();
    hasher.update(DIGEST_VERSION);
    let mut buf = Vec::with_capacity(4096);
    buf.push(b'{');
    for (i, output) in plan.output_changes.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_string(&output.name, &mut buf);
        buf.push(b':');
        let context = || format!("output {}", output.name);
        let change = &output.change;
        buf.extend_from_slice(b"{\"actions\":");
        write_actions(change, &mut buf);
        write_field(&mut buf, "after", change.after.as_ref(), &context)?;
        let sensitive = change.after_sensitive.as_ref();
        write_field(&mut buf, "after_sensitive", sensitive, &context)?;
        let unknown = change.after_unknown.as_ref();
        write_field(&mut buf, "after_unknown", unknown, &context)?;
        write_field(&mut buf, "before", change.before.as_ref(), &context)?;
        let sensitive = change.before_sensitive.as_ref();
        write_field(&mut buf, "before_sensitive", sensitive, &context)?;
        buf.push(b'}');
    }
    buf.push(b'}');
    hasher.update(&buf);
    buf.clear();
    write_configuration(&plan.configuration, &mut buf)?;
    hasher.update(&buf);
    let mut order: Vec<usize> = (0..plan.resource_changes.len()).collect();
    let key = |i: &usize| {
        let rc = &plan.resource_changes[*i];
        (&rc.address, &rc.deposed, &hashes[*i])
    };
    order.sort_by(|a, b| key(a).cmp(&key(b)));
    for i in order {
        hasher.update(hashes[i]);
    }
    for rc in plan
        .resource_drift
        .iter()
        .chain(plan.deferred_changes.iter().map(|d| &d.resource_change))
    {
        check_resource_depth(rc)?;
    }
    Ok(format!("{DIGEST_PREFIX}{}", hex(&hasher.finalize())))
}

/// `{"module_calls":{…},"provisioners":{…}}`, both sorted by address, and
/// `"unread":[{place, raw}]` of the entries that did not read, if any.
fn write_configuration(config: &Configuration, buf: &mut Vec<u8>) -> Result<(), DigestError> {
    buf.extend_from_slice(b"{\"module_calls\":{");
    for (i, call) in config.module_calls.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_string(&call.address, buf);
        buf.extend_from_slice(b":{\"source\":");
        write_optional_string(call.source.as_deref(), buf);
        buf.extend_from_slice(b",\"version_constraint\":");
        write_optional_string(call.version_constraint.as_deref(), buf);
        buf.push(b'}');
    }
    buf.extend_from_slice(b"},\"provisioners\":{");
    for (i, resource) in config.provisioned.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let context = || format!("the provisioners of {}", resource.address);
        write_string(&resource.address, buf);
        buf.extend_from_slice(b":[");
        for (j, provisioner) in resource.provisioners.iter().enumerate() {
            if j > 0 {
                buf.push(b',');
            }
            write_canonical(provisioner.raw.as_str(), buf, &context)?;
        }
        buf.push(b']');
    }
    buf.push(b'}');
    // Only when there is any, so that every readable plan keeps its digest.
    if !config.unread.is_empty() {
        buf.extend_from_slice(b",\"unread\":[");
        for (i, entry) in config.unread.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"place\":");
            write_string(&entry.place, buf);
            buf.extend_from_slice(b",\"raw\":");
            write_canonical(entry.raw.as_str(), buf, &|| entry.place.clone())?;
            buf.push(b'}');
        }
        buf.push(b']');
    }
    buf.push(b'}');
    Ok(())
}

fn write_resource_change(rc: &ResourceChange, buf: &mut Vec<u8>) -> Result<(), DigestError> {
    let context = || rc.address.clone();
    let change = &rc.change;
    buf.extend_from_slice(b"{\"action_reason\":");
    write_optional_string(rc.action_reason.as_deref(), buf);
    buf.extend_from_slice(b",\"actions\":");
    write_actions(change, buf);
    buf.extend_from_slice(b",\"address\":");
    write_string(&rc.address, buf);
    write_field(buf, "after", change.after.as_ref(), &context)?;
    let sensitive = change.after_sensitive.as_ref();
    write_field(buf, "after_sensitive", sensitive, &context)?;
    let unknown = change.after_unknown.as_ref();
    write_field(buf, "after_unknown", unknown, &context)?;
    write_field(buf, "before", change.before.as_ref(), &context)?;
    let sensitive = change.before_sensitive.as_ref();
    write_field(buf, "before_sensitive", sensitive, &context)?;
    buf.extend_from_slice(b",\"deposed\":");
    write_optional_string(rc.deposed.as_deref(), buf);
    buf.extend_from_slice(b",\"generated_config\":");
    write_optional_string(change.generated_config.as_deref(), buf);
    write_field(buf, "importing", change.importing.as_ref(), &context)?;
    write_field(buf, "index", rc.index.as_ref(), &context)?;
    buf.extend_from_slice(b",\"mode\":");
    write_string(
        match rc.mode {
            Mode::Managed => "managed",
            Mode::Data => "data",
        },
        buf,
    );
    buf.extend_from_slice(b",\"module_address\":");
    write_optional_string(rc.module_address.as_deref(), buf);
    buf.extend_from_slice(b",\"name\":");
    write_string(&rc.name, buf);
    buf.extend_from_slice(b",\"previous_address\":");
    write_optional_string(rc.previous_address.as_deref(), buf);
    buf.extend_from_slice(b",\"provider_name\":");
    write_optional_string(rc.provider_name.as_deref(), buf);
    let paths = change.replace_paths.as_ref();
    write_field(buf, "replace_paths", paths, &context)?;
    buf.extend_from_slice(b",\"type\":");
    write_string(&rc.resource_type, buf);
    buf.push(b'}');
    Ok(())
}

fn check_resource_depth(rc: &ResourceChange) -> Result<(), DigestError> {
    let context = || rc.address.clone();
    let mut sink = Vec::new();
    for raw in [
        &rc.change.before,
        &rc.change.after,
        &rc.change.after_unknown,
    ]
    .into_iter()
    .flatten()
    {
        write_canonical(raw.as_str(), &mut sink, &context)?;
        sink.clear();
    }
    check_sensitivity_depth(&rc.change, &context)
}

fn check_sensitivity_depth(
    change: &Change,
    context: &dyn Fn() -> String,
) -> Result<(), DigestError> {
    let mut sink = Vec::new();
    for raw in [&change.before_sensitive, &change.after_sensitive]
        .into_iter()
        .flatten()
    {
        write_canonical(raw.as_str(), &mut sink, context)?;
        sink.clear();
    }
    Ok(())
}

fn write_actions(change: &Change, buf: &mut Vec<u8>) {
    buf.push(b'[');
    for (i, action) in change.actions.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_string(action, buf);
    }
    buf.push(b']');
}

fn write_field(
    buf: &mut Vec<u8>,
    name: &str,
    raw: Option<&RawJson>,
    context: &dyn Fn() -> String,
) -> Result<(), DigestError> {
    buf.push(b',');
    write_string(name, buf);
    buf.push(b':');
    match raw {
        Some(raw) => write_canonical(raw.as_str(), buf, context),
        None => {
            buf.extend_from_slice(b"null");
            Ok(())
        }
    }
}

fn write_optional_string(value: Option<&str>, buf: &mut Vec<u8>) {
    match value {
        Some(s) => write_string(s, buf),
        None => buf.extend_from_slice(b"null"),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
