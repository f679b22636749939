//! Building the diff tree from a change's JSON values.

use super::{Body, Delta, Leaf, Node, lines::diff_lines};
use crate::plan::{Change, RawJson};
use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};
use std::collections::BTreeSet;

static FALSE: Value = Value::Bool(false);

/// The values of one change, parsed.
#[derive(Clone, Copy, Debug)]
pub struct DiffInput<'a> {
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    pub after_unknown: &'a Value,
    pub before_sensitive: &'a Value,
    pub after_sensitive: &'a Value,
    /// Paths (lists of keys and indices) that force replacement.
    pub replace_paths: &'a [Vec<Value>],
}

/// Parses a change's values and diffs them. `None` when there is nothing on
/// either side (a change of null to null).
pub fn diff_change(change: &Change) -> Result<Option<Node>, serde_json::Error> {
    let parse = |raw: &Option<RawJson>| raw.as_ref().map(RawJson::parse).transpose();
    let before = parse(&change.before)?;
    let after = parse(&change.after)?;
    let unknown = parse(&change.after_unknown)?.unwrap_or(Value::Bool(false));
    let before_sensitive = parse(&change.before_sensitive)?.unwrap_or(Value::Bool(false));
    let after_sensitive = parse(&change.after_sensitive)?.unwrap_or(Value::Bool(false));
    let replace_paths: Vec<Vec<Value>> = match parse(&change.replace_paths)? {
        Some(Value::Array(paths)) => paths
            .into_iter()
            .filter_map(|p| match p {
                Value::Array(segments) => Some(segments),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(diff_values(DiffInput {
        before: before.as_ref(),
        after: after.as_ref(),
        after_unknown: &unknown,
        before_sensitive: &before_sensitive,
        after_sensitive: &after_sensitive,
        replace_paths: &replace_paths,
    }))
}

/// Diffs two values with their unknown and sensitive markers.
pub fn diff_values(input: DiffInput<'_>) -> Option<Node> {
    let mut builder = Builder {
        replace_paths: input.replace_paths,
        path: Vec::new(),
    };
    builder.node(Sides {
        before: input.before,
        after: input.after,
        unknown: input.after_unknown,
        before_sensitive: input.before_sensitive,
        after_sensitive: input.after_sensitive,
    })
}

#[derive(Clone, Copy)]
struct Sides<'a> {
    before: Option<&'a Value>,
    after: Option<&'a Value>,
    unknown: &'a Value,
    before_sensitive: &'a Value,
    after_sensitive: &'a Value,
}

impl<'a> Sides<'a> {
    fn member(&self, key: &str) -> Sides<'a> {
        let get = |v: Option<&'a Value>| v.and_then(|v| v.get(key));
        Sides {
            before: get(self.before),
            after: get(self.after),
            unknown: self.unknown.get(key).unwrap_or(&FALSE),
            before_sensitive: self.before_sensitive.get(key).unwrap_or(&FALSE),
            after_sensitive: self.after_sensitive.get(key).unwrap_or(&FALSE),
        }
    }

    fn element(&self, before_index: Option<usize>, after_index: Option<usize>) -> Sides<'a> {
        let at = |v: &'a Value, i: Option<usize>| i.and_then(|i| v.get(i));
        Sides {
            before: self.before.and_then(|v| at(v, before_index)),
            after: self.after.and_then(|v| at(v, after_index)),
            unknown: after_index
                .and_then(|i| self.unknown.get(i))
                .unwrap_or(&FALSE),
            before_sensitive: before_index
                .and_then(|i| self.before_sensitive.get(i))
                .unwrap_or(&FALSE),
            after_sensitive: after_index
                .and_then(|i| self.after_sensitive.get(i))
                .unwrap_or(&FALSE),
        }
    }
}

struct Builder<'p> {
    replace_paths: &'p [Vec<Value>],
    path: Vec<Value>,
}

impl Builder<'_> {
    fn forces_replacement(&self) -> bool {
        !self.path.is_empty() && self.replace_paths.contains(&self.path)
    }

    fn node(&mut self, sides: Sides<'_>) -> Option<Node> {
        let before = sides.before.filter(|v| !v.is_null());
        let after = sides.after.filter(|v| !v.is_null());
        let unknown = sides.unknown == &Value::Bool(true);
        let nested_unknown = sides.unknown.is_object() || sides.unknown.is_array();
        if before.is_none() && after.is_none() && !unknown && !nested_unknown {
            return None;
        }
        if before.is_some()
            && before == after
            && !contains_true(sides.unknown)
            && !contains_true(sides.before_sensitive)
            && !contains_true(sides.after_sensitive)
        {
            let value = before.cloned().unwrap_or(Value::Null);
            let forces_replacement = self.forces_replacement();
            return Some(Node {
                delta: Delta::Unchanged,
                forces_replacement,
                body: Body::Unchanged(value),
            });
        }
        // A side shown as one scalar is masked when anything in it is
        // sensitive: partial marks cannot be honoured inside a whole value
        // (an object turning unknown, or changing type).
        let before_masked = contains_true(sides.before_sensitive);
        let after_masked = contains_true(sides.after_sensitive);
        let whole_sensitive = sides.before_sensitive == &Value::Bool(true)
            || sides.after_sensitive == &Value::Bool(true);
        let body = if unknown || whole_sensitive {
            self.scalar(before, after, unknown, before_masked, after_masked)
        } else {
            // The shape comes from the values, or from `after_unknown` when
            // neither side is known yet.
            let shape = before.or(after).unwrap_or(sides.unknown);
            let known = Sides {
                before,
                after,
                ..sides
            };
            match (before, after) {
                (Some(Value::Object(_)) | None, Some(Value::Object(_)) | None)
                    if !shape.is_array() =>
                {
                    self.object(known)
                }
                (Some(Value::Array(_)) | None, Some(Value::Array(_)) | None) => self.list(known),
                (Some(Value::String(b)), Some(Value::String(a))) => text(Some(b), Some(a)),
                (Some(Value::String(b)), None) => text(Some(b), None),
                (None, Some(Value::String(a))) => text(None, Some(a)),
                _ => self.scalar(before, after, false, before_masked, after_masked),
            }
        };
        let delta = match (before, after, unknown) {
            (None, _, _) => Delta::Added,
            (Some(_), None, false) => Delta::Removed,
            _ if body_changed(&body, before, after) => Delta::Changed,
            _ => Delta::Unchanged,
        };
        Some(Node {
            delta,
            forces_replacement: self.forces_replacement(),
            body,
        })
    }

    fn scalar(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        unknown: bool,
        before_sensitive: bool,
        after_sensitive: bool,
    ) -> Body {
        let leaf = |value: Option<&Value>, sensitive: bool| match value {
            None => Leaf::Absent,
            Some(_) if sensitive => Leaf::Sensitive,
            Some(v) => Leaf::Value(v.clone()),
        };
        let after_leaf = if unknown {
            Leaf::Unknown
        } else {
            leaf(after, after_sensitive)
        };
        Body::Scalar {
            before: leaf(before, before_sensitive),
            after: after_leaf,
        }
    }

    fn object(&mut self, sides: Sides<'_>) -> Body {
        let mut keys: BTreeSet<&str> = BTreeSet::new();
        for side in [sides.before, sides.after, Some(sides.unknown)]
            .into_iter()
            .flatten()
        {
            if let Value::Object(map) = side {
                keys.extend(map.keys().map(String::as_str));
            }
        }
        let mut members = Vec::with_capacity(keys.len());
        for key in keys {
            self.path.push(Value::String(key.to_string()));
            if let Some(node) = self.node(sides.member(key)) {
                members.push((key.to_string(), node));
            }
            self.path.pop();
        }
        Body::Object(members)
    }

    fn list(&mut self, sides: Sides<'_>) -> Body {
        let items = |v: Option<&Value>| match v {
            Some(Value::Array(items)) => items.len(),
            _ => 0,
        };
        let before_keys = element_keys(sides.before, sides.before_sensitive, &FALSE);
        let after_keys = element_keys(sides.after, sides.after_sensitive, sides.unknown);
        let mut nodes = Vec::with_capacity(items(sides.before).max(items(sides.after)));
        for op in capture_diff_slices(Algorithm::Myers, &before_keys, &after_keys) {
            let (old, new) = match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => ((old_index..old_index + len), (new_index..new_index + len)),
                DiffOp::Delete {
                    old_index,
                    old_len,
                    new_index,
                } => ((old_index..old_index + old_len), (new_index..new_index)),
                DiffOp::Insert {
                    old_index,
                    new_index,
                    new_len,
                } => ((old_index..old_index), (new_index..new_index + new_len)),
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => (
                    (old_index..old_index + old_len),
                    (new_index..new_index + new_len),
                ),
            };
            // Pair removed and added elements position by position so an edited
            // object shows its attribute changes rather than a removal and an addition.
            let pairs = old.len().max(new.len());
            for k in 0..pairs {
                let before_index = (k < old.len()).then(|| old.start + k);
                let after_index = (k < new.len()).then(|| new.start + k);
                let index = after_index.or(before_index).unwrap_or(0);
                self.path.push(Value::from(index));
                if let Some(node) = self.node(sides.element(before_index, after_index)) {
                    nodes.push(node);
                }
                self.path.pop();
            }
        }
        Body::List(nodes)
    }
}

/// The full tree of a value that is the same on both sides.
pub fn expand_unchanged(value: &Value) -> Node {
    let mut builder = Builder {
        replace_paths: &[],
        path: Vec::new(),
    };
    let sides = Sides {
        before: Some(value),
        after: Some(value),
        unknown: &FALSE,
        before_sensitive: &FALSE,
        after_sensitive: &FALSE,
    };
    let body = match value {
        Value::Object(_) => builder.object(sides),
        Value::Array(_) => builder.list(sides),
        Value::String(s) => text(Some(s), Some(s)),
        other => Body::Scalar {
            before: Leaf::Value(other.clone()),
            after: Leaf::Value(other.clone()),
        },
    };
    Node {
        delta: Delta::Unchanged,
        forces_replacement: false,
        body,
    }
}

/// True when a marker tree (`after_unknown`, `*_sensitive`) marks anything.
fn contains_true(marks: &Value) -> bool {
    match marks {
        Value::Bool(b) => *b,
        Value::Array(items) => items.iter().any(contains_true),
        Value::Object(map) => map.values().any(contains_true),
        _ => false,
    }
}

/// A comparison key per element: its JSON text plus its markers, so that an
/// element whose sensitivity or knownness changed does not compare equal.
/// Elements known only through `after_unknown` count too.
fn element_keys(list: Option<&Value>, sensitive: &Value, unknown: &Value) -> Vec<String> {
    let items = match list {
        Some(Value::Array(items)) => items.as_slice(),
        _ => &[],
    };
    let len = items.len().max(unknown.as_array().map_or(0, Vec::len));
    (0..len)
        .map(|i| {
            let item = items.get(i).unwrap_or(&Value::Null);
            let marks = |v: &Value| v.get(i).map_or(String::new(), Value::to_string);
            format!("{item}\u{0}{}\u{0}{}", marks(sensitive), marks(unknown))
        })
        .collect()
}

fn text(before: Option<&String>, after: Option<&String>) -> Body {
    if let Some(json) = json_string_diff(before, after) {
        return json;
    }
    let multiline = |s: Option<&String>| s.is_some_and(|s| s.contains('\n'));
    if multiline(before) || multiline(after) {
        return Body::Lines(diff_lines(
            before.map(String::as_str),
            after.map(String::as_str),
        ));
    }
    let leaf =
        |s: Option<&String>| s.map_or(Leaf::Absent, |s| Leaf::Value(Value::String(s.clone())));
    Body::Scalar {
        before: leaf(before),
        after: leaf(after),
    }
}

/// Strings that hold JSON objects or arrays on every present side are diffed
/// as structures (IAM policies, `jsonencode`).
fn json_string_diff(before: Option<&String>, after: Option<&String>) -> Option<Body> {
    let parse = |s: Option<&String>| -> Option<Option<Value>> {
        match s {
            None => Some(None),
            Some(s) => {
                let trimmed = s.trim_start();
                if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
                    return None;
                }
                serde_json::from_str::<Value>(s).ok().map(Some)
            }
        }
    };
    let before_value = parse(before)?;
    let after_value = parse(after)?;
    if before_value.is_none() && after_value.is_none() {
        return None;
    }
    let mut inner = Builder {
        replace_paths: &[],
        path: Vec::new(),
    };
    let node = inner.node(Sides {
        before: before_value.as_ref(),
        after: after_value.as_ref(),
        unknown: &FALSE,
        before_sensitive: &FALSE,
        after_sensitive: &FALSE,
    })?;
    Some(Body::Json(Box::new(node)))
}

fn body_changed(body: &Body, before: Option<&Value>, after: Option<&Value>) -> bool {
    match body {
        Body::Object(members) => members.iter().any(|(_, n)| n.is_changed()),
        Body::List(items) => items.iter().any(Node::is_changed),
        Body::Json(inner) => inner.is_changed(),
        Body::Lines(ops) => ops.iter().any(|op| op.delta != Delta::Unchanged),
        Body::Unchanged(_) => false,
        Body::Scalar {
            before: Leaf::Sensitive,
            ..
        }
        | Body::Scalar {
            after: Leaf::Sensitive,
            ..
        } => before != after,
        Body::Scalar {
            before: b,
            after: a,
        } => b != a,
    }
}
