//! Reads the `[keys.VIEW]` tables of a keymap file (the shipped defaults or
//! the user's config) into bindings with the line each was written on, so
//! every refusal can name its file and line. A binding is
//! `"KEY" = "action"` or `"KEY" = { action = "…", desc = "…", hint = true }`;
//! the action `none` removes a default binding. Nothing is judged here
//! beyond the shape: merging and conflicts are `keymap::build`'s.

use super::names::{self, View};
use super::notation::{self, KeyId};
use crate::config::ConfigError;
use crate::tui::msg::Action;
use std::collections::BTreeMap;
use toml::Spanned;

/// One binding as written.
#[derive(Clone, Debug)]
pub struct Spec {
    pub view: View,
    pub key: KeyId,
    /// `None`: the key is unbound (`"x" = "none"`).
    pub action: Option<Action>,
    pub desc: Option<String>,
    pub hint: Option<bool>,
    pub line: usize,
}

#[derive(serde::Deserialize)]
struct Document {
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, toml::Value>>,
}

/// Where a keymap file came from, for error messages.
pub struct Origin<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Origin<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn error(&self, offset: usize, message: String) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line: Some(self.line(offset)),
            message,
        }
    }
}

/// The bindings of a file's `[keys]` tables, in file order.
pub fn read(origin: &Origin<'_>) -> Result<Vec<Spec>, ConfigError> {
    let document: Document = toml::from_str(origin.text).map_err(|e| ConfigError {
        file: origin.file.to_string(),
        line: e.span().map(|s| origin.line(s.start)),
        message: e.message().trim().replace('\n', " "),
    })?;
    let mut specs = Vec::new();
    for (view_name, table) in document.keys {
        let view = names::view_from_name(view_name.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = names::VIEWS.iter().map(|(n, _)| *n).collect();
            origin.error(
                view_name.span().start,
                format!(
                    "key `keys.{}`: unknown view (views: {})",
                    view_name.get_ref(),
                    known.join(", ")
                ),
            )
        })?;
        for (key_text, value) in &table {
            specs.push(spec(
                origin,
                view,
                view_name.get_ref(),
                key_text.get_ref(),
                value,
                key_text.span().start,
            )?);
        }
    }
    specs.sort_by_key(|s| s.line);
    Ok(specs)
}

fn spec(
    origin: &Origin<'_>,
    view: View,
    view_name: &str,
    key_text: &str,
    value: &toml::Value,
    offset: usize,
) -> Result<Spec, ConfigError> {
    let at = |message: String| {
        origin.error(
            offset,
            format!("key `keys.{view_name}.{key_text}`: {message}"),
        )
    };
    let key = notation::parse(key_text).map_err(at)?;
    let (action_name, desc, hint) = match value {
        toml::Value::String(action) => (action.as_str(), None, None),
        toml::Value::Table(t) => {
            if let Some(unknown) = t
                .keys()
                .find(|k| !["action", "desc", "hint"].contains(&k.as_str()))
            {
                return Err(at(format!(
                    "unknown field `{unknown}` (fields: action, desc, hint)"
                )));
            }
            let action = match t.get("action") {
                Some(toml::Value::String(a)) => a.as_str(),
                _ => return Err(at("needs `action = \"name\"`".into())),
            };
            let desc = match t.get("desc") {
                None => None,
                Some(toml::Value::String(d)) => Some(d.clone()),
                Some(_) => return Err(at("`desc` must be a string".into())),
            };
            let hint = match t.get("hint") {
                None => None,
                Some(toml::Value::Boolean(h)) => Some(*h),
                Some(_) => return Err(at("`hint` must be true or false".into())),
            };
            (action, desc, hint)
        }
        _ => {
            return Err(at(
                "must be an action name or { action = \"…\", desc = \"…\" }".into(),
            ));
        }
    };
    if let Some(desc) = &desc {
        if crate::sanitize::escape(desc).flagged || desc.chars().any(char::is_control) {
            return Err(at("`desc` holds control or invisible characters".into()));
        }
    }
    let action = if action_name == "none" {
        None
    } else {
        match names::from_name(action_name) {
            Some(action) => Some(action),
            None => {
                return Err(at(format!(
                    "unknown action `{action_name}` (`plandeck keys` lists the actions of each view)"
                )));
            }
        }
    };
    Ok(Spec {
        view,
        key,
        action,
        desc,
        hint,
        line: origin.line(offset),
    })
}
