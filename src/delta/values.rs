//! Comparing raw JSON values between two plans, merging sensitivity masks,
//! and the synthetic changes (earlier plan → this plan) that the attribute
//! diff and the renderer work on. Nothing here keeps or prints a value.

use crate::diff::{Body, diff_change};
use crate::plan::{Change, ChangeKind, RawJson};
use serde_json::Value;

/// Whether two optional values are the same JSON (a missing value is `null`).
///
/// Texts are compared first; only when they differ are both parsed, so that
/// key order and whitespace do not count. A value that cannot be parsed is
/// only equal to the same text.
pub(super) fn same(a: Option<&RawJson>, b: Option<&RawJson>) -> bool {
    fn text(raw: Option<&RawJson>) -> &str {
        raw.map_or("null", RawJson::as_str)
    }
    let (a, b) = (text(a), text(b));
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether two sensitivity masks mark the same paths: masks that mark
/// nothing are equal whatever their shape (`false`, `{}`, `[false]`).
pub(super) fn same_marks(a: Option<&RawJson>, b: Option<&RawJson>) -> bool {
    let text = |raw: Option<&RawJson>| raw.map_or("false", RawJson::as_str).to_string();
    let (ta, tb) = (text(a), text(b));
    if ta == tb {
        return true;
    }
    match (
        serde_json::from_str::<Value>(&ta),
        serde_json::from_str::<Value>(&tb),
    ) {
        (Ok(a), Ok(b)) => marked(a) == marked(b),
        _ => false,
    }
}

/// A mask with every part that marks nothing folded to `false`.
fn marked(mask: Value) -> Value {
    if !marks_any(&mask) {
        return Value::Bool(false);
    }
    match mask {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| marks_any(v))
                .map(|(k, v)| (k, marked(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(marked).collect()),
        other => other,
    }
}

/// The planned values of the old plan against those of the new one: unknown
/// markers and forced-replacement paths from the new plan, and a path that
/// is sensitive anywhere in either plan sensitive on both sides.
pub(super) fn after_change(old: &Change, new: &Change) -> Change {
    Change {
        before: old.after.clone(),
        after: new.after.clone(),
        after_unknown: new.after_unknown.clone(),
        replace_paths: new.replace_paths.clone(),
        ..masked_update(old, new)
    }
}

/// The prior state the old plan assumed against the one the new plan found.
pub(super) fn before_change(old: &Change, new: &Change) -> Change {
    Change {
        before: old.before.clone(),
        after: new.before.clone(),
        ..masked_update(old, new)
    }
}

/// An update with no values yet and the merged sensitivity of both plans.
fn masked_update(old: &Change, new: &Change) -> Change {
    let masks = [
        &old.before_sensitive,
        &old.after_sensitive,
        &new.before_sensitive,
        &new.after_sensitive,
    ];
    let merged = masks
        .into_iter()
        .flatten()
        .map(|raw| raw.parse().unwrap_or(Value::Bool(true)))
        .fold(Value::Bool(false), union);
    let mask = RawJson::from_value(&merged);
    Change {
        actions: vec!["update".to_string()],
        kind: ChangeKind::Update,
        before: None,
        after: None,
        after_unknown: None,
        before_sensitive: Some(mask.clone()),
        after_sensitive: Some(mask),
        replace_paths: None,
        importing: None,
        generated_config: None,
    }
}

/// The union of two sensitivity masks: marked in either, marked in both.
/// Masks whose shapes disagree where both mark something mark the whole value.
fn union(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (a, b) if !marks_any(&b) => a,
        (a, b) if !marks_any(&a) => b,
        (Value::Object(mut a), Value::Object(b)) => {
            for (key, mark) in b {
                let merged = match a.remove(&key) {
                    Some(earlier) => union(earlier, mark),
                    None => mark,
                };
                a.insert(key, merged);
            }
            Value::Object(a)
        }
        (Value::Array(a), Value::Array(b)) => {
            let len = a.len().max(b.len());
            let mut a = a.into_iter();
            let mut b = b.into_iter();
            let items = (0..len)
                .map(|_| {
                    let x = a.next().unwrap_or(Value::Bool(false));
                    let y = b.next().unwrap_or(Value::Bool(false));
                    union(x, y)
                })
                .collect();
            Value::Array(items)
        }
        _ => Value::Bool(true),
    }
}

fn marks_any(mask: &Value) -> bool {
    match mask {
        Value::Bool(b) => *b,
        Value::Array(items) => items.iter().any(marks_any),
        Value::Object(map) => map.values().any(marks_any),
        _ => false,
    }
}

/// The top-level attributes a change changes: names only, never values.
pub(super) fn changed_attributes(change: &Change) -> Vec<String> {
    match diff_change(change) {
        Ok(Some(node)) => match node.body {
            Body::Object(members) => members
                .into_iter()
                .filter(|(_, node)| node.is_changed())
                .map(|(name, _)| name)
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(value: &Value) -> RawJson {
        RawJson::from_value(value)
    }

    #[test]
    fn key_order_and_whitespace_do_not_count() {
        let a = RawJson::from_value(&json!({"a": 1, "b": [1, 2]}));
        let text = std::sync::Arc::new(r#"{ "b": [1,2], "a": 1 }"#.to_string());
        let b = RawJson::new(text.clone(), 0, text.len());
        assert!(same(Some(&a), Some(&b)));
        assert!(!same(Some(&a), Some(&raw(&json!({"a": 2, "b": [1, 2]})))));
        assert!(same(None, Some(&raw(&json!(null)))));
    }

    #[test]
    fn masks_merge_by_path() {
        let merged = union(
            json!({"a": true, "l": [false, {"x": true}]}),
            json!({"b": true, "l": [true]}),
        );
        assert_eq!(
            merged,
            json!({"a": true, "b": true, "l": [true, {"x": true}]})
        );
        assert_eq!(union(json!({"a": true}), json!([true])), json!(true));
        assert_eq!(union(json!({"a": true}), json!([])), json!({"a": true}));
        assert_eq!(union(json!(false), json!({})), json!(false));
    }

    #[test]
    fn unreadable_mask_hides_everything() {
        let text = std::sync::Arc::new("{broken".to_string());
        let bad = RawJson::new(text.clone(), 0, text.len());
        let old = Change {
            after_sensitive: Some(bad),
            ..blank()
        };
        let change = after_change(&old, &blank());
        let mask = change.after_sensitive.map(|m| m.parse().ok());
        assert_eq!(mask, Some(Some(json!(true))));
    }

    fn blank() -> Change {
        Change {
            actions: Vec::new(),
            kind: ChangeKind::NoOp,
            before: None,
            after: None,
            after_unknown: None,
            before_sensitive: None,
            after_sensitive: None,
            replace_paths: None,
            importing: None,
            generated_config: None,
        }
    }
}
