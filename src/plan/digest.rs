//! The plan digest: SHA-256 over the plan's semantic content, so that two
//! documents that would apply the same change have the same digest.
//!
//! Each resource change is written as canonical JSON (object keys sorted,
//! no whitespace, strings minimally escaped, numbers as written) with the
//! fields `actions, address, after, after_unknown, before, deposed,
//! importing, previous_address, replace_paths`, and hashed on its own; the
//! digest is SHA-256 over a version tag, the canonical JSON of the output
//! changes (`{NAME:{actions, after, after_unknown, before}}`) and the
//! resource hashes in address order. Per-resource hashes let a large plan
//! be hashed on several threads while it is read. Timestamps, versions,
//! `prior_state`, `planned_values`, `configuration`, `resource_drift` and
//! sensitivity flags do not count. The same scan bounds the nesting depth of
//! every value, so a hostile document is refused at load time instead of
//! overflowing a stack.

use super::canonical::{write_canonical, write_string};
use super::{Change, Plan, RawJson, ResourceChange};
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

const DIGEST_VERSION: &[u8] = b"plandeck-plan-digest-v1\n";

/// Computes `sha256:<hex>` for a plan, checking value depth on the way.
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
        buf.extend_from_slice(b"{\"actions\":");
        write_actions(&output.change, &mut buf);
        write_field(&mut buf, "after", output.change.after.as_ref(), &context)?;
        write_field(
            &mut buf,
            "after_unknown",
            output.change.after_unknown.as_ref(),
            &context,
        )?;
        write_field(&mut buf, "before", output.change.before.as_ref(), &context)?;
        buf.push(b'}');
        check_sensitivity_depth(&output.change, &context)?;
    }
    buf.push(b'}');
    hasher.update(&buf);
    let mut order: Vec<usize> = (0..plan.resource_changes.len()).collect();
    let key = |i: &usize| {
        let rc = &plan.resource_changes[*i];
        (&rc.address, &rc.deposed)
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
    Ok(format!("sha256:{}", hex(&hasher.finalize())))
}

fn write_resource_change(rc: &ResourceChange, buf: &mut Vec<u8>) -> Result<(), DigestError> {
    let context = || rc.address.clone();
    let change = &rc.change;
    buf.extend_from_slice(b"{\"actions\":");
    write_actions(change, buf);
    buf.extend_from_slice(b",\"address\":");
    write_string(&rc.address, buf);
    write_field(buf, "after", change.after.as_ref(), &context)?;
    write_field(
        buf,
        "after_unknown",
        change.after_unknown.as_ref(),
        &context,
    )?;
    write_field(buf, "before", change.before.as_ref(), &context)?;
    buf.extend_from_slice(b",\"deposed\":");
    write_optional_string(rc.deposed.as_deref(), buf);
    write_field(buf, "importing", change.importing.as_ref(), &context)?;
    buf.extend_from_slice(b",\"previous_address\":");
    write_optional_string(rc.previous_address.as_deref(), buf);
    write_field(
        buf,
        "replace_paths",
        change.replace_paths.as_ref(),
        &context,
    )?;
    buf.push(b'}');
    check_sensitivity_depth(change, &context)
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
