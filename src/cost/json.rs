//! Checked access to the fields of a parsed cost JSON, with errors naming the
//! field's path (`projects[0].breakdown.totalMonthlyCost`).

use super::CostError;
use serde_json::{Map, Value};

pub(super) type Object = Map<String, Value>;

/// Longest rendering of an offending value kept in an error message.
const MAX_VALUE_CHARS: usize = 60;

/// "a string", "an array", … for error messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `parent.key`, or `key` at the top.
pub(super) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn wrong_type(path: String, expected: &'static str, found: &Value) -> CostError {
    CostError::WrongType {
        path,
        expected,
        found: kind(found),
    }
}

/// An optional object field (absent or null: None).
pub(super) fn opt_object<'a>(
    obj: &'a Object,
    key: &str,
    parent: &str,
) -> Result<Option<&'a Object>, CostError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(wrong_type(join(parent, key), "an object", other)),
    }
}

/// An optional array field (absent or null: empty).
pub(super) fn array<'a>(
    obj: &'a Object,
    key: &str,
    parent: &str,
) -> Result<&'a [Value], CostError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(wrong_type(join(parent, key), "an array", other)),
    }
}

/// An array element that must be an object.
pub(super) fn element<'a>(value: &'a Value, path: &str) -> Result<&'a Object, CostError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(path.to_string(), "an object", value))
}

/// An optional string field (absent or null: None).
pub(super) fn opt_string(
    obj: &Object,
    key: &str,
    parent: &str,
) -> Result<Option<String>, CostError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(join(parent, key), "a string", other)),
    }
}

/// A required string field.
pub(super) fn string(obj: &Object, key: &str, parent: &str) -> Result<String, CostError> {
    opt_string(obj, key, parent)?.ok_or_else(|| CostError::MissingField(join(parent, key)))
}

/// The optional `currency` field: three ASCII letters (ISO 4217: `USD`,
/// `EUR`). Anything else is refused: it is shown beside every amount.
pub(super) fn opt_currency(obj: &Object, parent: &str) -> Result<Option<String>, CostError> {
    let currency = opt_string(obj, "currency", parent)?;
    match currency {
        Some(c) if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Err(CostError::InvalidCurrency {
                path: join(parent, "currency"),
                value: describe(&Value::String(c)),
            })
        }
        currency => Ok(currency),
    }
}

/// A cost: a decimal string (Infracost) or a number (OpenInfraQuote); absent
/// or null means not priced. NaN, infinities and out-of-range values are
/// rejected.
pub(super) fn cost(obj: &Object, key: &str, parent: &str) -> Result<Option<f64>, CostError> {
    let Some(value) = obj.get(key) else {
        return Ok(None);
    };
    let parsed = match value {
        Value::Null => return Ok(None),
        Value::String(s) => parse_decimal(s),
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        _ => None,
    };
    match parsed {
        Some(amount) => Ok(Some(amount)),
        None => Err(CostError::InvalidValue {
            path: join(parent, key),
            value: describe(value),
        }),
    }
}

/// A plain decimal (`-742.64`, `1e3`); not `NaN`, `inf` or empty.
fn parse_decimal(text: &str) -> Option<f64> {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'));
    if !plain || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The value as it appears in an error: strings quoted and escaped (so the
/// message stays on one line), anything long shortened.
fn describe(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE_CHARS {
        let short: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{short}…")
    } else {
        text
    }
}

/// Sum of the known amounts; None when none is known or the sum overflows.
pub(super) fn sum(amounts: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    amounts
        .into_iter()
        .flatten()
        .fold(None, |acc: Option<f64>, x| Some(acc.unwrap_or(0.0) + x))
        .filter(|x| x.is_finite())
}

/// `after − before`, an unknown side counting as zero; None when both are
/// unknown or the result overflows.
pub(super) fn difference(after: Option<f64>, before: Option<f64>) -> Option<f64> {
    if after.is_none() && before.is_none() {
        return None;
    }
    Some(after.unwrap_or(0.0) - before.unwrap_or(0.0)).filter(|x| x.is_finite())
}
