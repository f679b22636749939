//! Rendering a diff tree in Terraform's vocabulary: `+ key = value`,
//! `~ key = old -> new`, `- key = old -> null`, nested blocks, folded
//! unchanged parts with a count, heredoc line diffs and `jsonencode(…)`.

use super::{Line, RenderOptions, Role, spaces};
use crate::diff::{Body, Delta, Leaf, LineOp, Node};
use serde_json::Value;

/// Unchanged lines kept around a change in a multi-line string.
const CONTEXT_LINES: usize = 2;
const INDENT: usize = 4;

pub(super) struct ValueRenderer<'a> {
    pub options: &'a RenderOptions,
    pub lines: Vec<Line>,
}

impl ValueRenderer<'_> {
    /// Renders the members of a resource's top-level object, or a scalar.
    pub fn body(&mut self, node: &Node, indent: usize) {
        match &node.body {
            Body::Unchanged(value) => self.body(&crate::diff::expand_unchanged(value), indent),
            Body::Object(members) => self.members(members, node.delta, indent, true),
            _ => self.attribute(indent, None, node, 0),
        }
    }

    /// Renders output changes as `name = value` lines.
    pub fn outputs(&mut self, members: &[(String, Node)]) {
        for (name, node) in members {
            let width = key_width(name);
            self.attribute(0, Some((name, width)), node, width);
        }
    }

    fn members(&mut self, members: &[(String, Node)], parent: Delta, indent: usize, top: bool) {
        let show_all =
            self.options.show_unchanged || matches!(parent, Delta::Added | Delta::Removed);
        let mut hidden = 0;
        let mut noise = Vec::new();
        let shown: Vec<&(String, Node)> = members
            .iter()
            .filter(|(key, node)| {
                if top && self.options.noise_attributes.contains(key) {
                    noise.push(key.as_str());
                    false
                } else if show_all || node.is_changed() {
                    true
                } else {
                    hidden += 1;
                    false
                }
            })
            .collect();
        let width = shown
            .iter()
            .filter(|(_, n)| is_inline(n))
            .map(|(k, _)| key_width(k))
            .max()
            .unwrap_or(0);
        for (key, node) in shown {
            self.attribute(indent, Some((key, width)), node, width);
        }
        if hidden > 0 {
            self.note(
                indent,
                &format!("# ({} hidden)", plural(hidden, "unchanged attribute")),
            );
        }
        if !noise.is_empty() {
            let names = noise.join(", ");
            self.note(
                indent,
                &format!("# ({} hidden by noise rules: {names})", noise.len()),
            );
        }
    }

    fn note(&mut self, indent: usize, text: &str) {
        let mut line = Line::new();
        line.push(Role::Plain, spaces(indent + 2))
            .push(Role::Muted, text.to_string());
        self.lines.push(line);
    }

    /// Starts a line: indentation, the change symbol and the key.
    fn start(&self, indent: usize, key: Option<(&str, usize)>, delta: Delta) -> Line {
        let mut line = Line::new();
        line.push(Role::Plain, spaces(indent));
        line.push(delta_role(delta), delta_symbol(delta))
            .push(Role::Plain, " ");
        if let Some((key, width)) = key {
            let pad = width.saturating_sub(key_width(key));
            if is_identifier(key) {
                line.push_untrusted(Role::Plain, key);
            } else {
                line.push_quoted(Role::Plain, key);
            }
            line.push(Role::Plain, spaces(pad)).push(Role::Plain, " = ");
        }
        line
    }

    fn attribute(
        &mut self,
        indent: usize,
        key_arg: Option<(&String, usize)>,
        node: &Node,
        width: usize,
    ) {
        if let Body::Unchanged(value) = &node.body {
            let mut expanded = crate::diff::expand_unchanged(value);
            expanded.forces_replacement = node.forces_replacement;
            return self.attribute(indent, key_arg, &expanded, width);
        }
        let key = key_arg.map(|(k, _)| (k.as_str(), width));
        let mut line = self.start(indent, key, node.delta);
        match &node.body {
            Body::Unchanged(_) => {}
            Body::Scalar { before, after } => {
                scalar(&mut line, node.delta, before, after);
                self.finish(line, node);
            }
            Body::Object(members) if members.is_empty() => {
                empty(&mut line, node.delta, "{}");
                self.finish(line, node);
            }
            Body::List(items) if items.is_empty() => {
                empty(&mut line, node.delta, "[]");
                self.finish(line, node);
            }
            Body::Object(members) => {
                line.push(Role::Plain, "{");
                self.finish(line, node);
                self.members(members, node.delta, indent + INDENT, false);
                self.close(indent, "}");
            }
            Body::List(items) => {
                line.push(Role::Plain, "[");
                self.finish(line, node);
                self.elements(items, node.delta, indent + INDENT);
                self.close(indent, "]");
            }
            Body::Lines(ops) => {
                line.push(Role::Plain, "<<-EOT");
                self.finish(line, node);
                self.text_lines(ops, indent + INDENT);
                self.close(indent + INDENT, "EOT");
            }
            Body::Json(inner) => {
                line.push(Role::Plain, "jsonencode(");
                self.finish(line, node);
                self.attribute(indent + INDENT, None, inner, 0);
                self.close(indent, ")");
            }
        }
    }

    fn finish(&mut self, mut line: Line, node: &Node) {
        if node.forces_replacement {
            line.push(Role::Critical, " # forces replacement");
        }
        self.lines.push(line.finish());
    }

    fn close(&mut self, indent: usize, bracket: &'static str) {
        let mut line = Line::new();
        line.push(Role::Plain, spaces(indent + 2))
            .push(Role::Plain, bracket);
        self.lines.push(line);
    }

    fn elements(&mut self, items: &[Node], parent: Delta, indent: usize) {
        let show_all =
            self.options.show_unchanged || matches!(parent, Delta::Added | Delta::Removed);
        let mut hidden = 0;
        for item in items {
            if show_all || item.is_changed() {
                self.flush_hidden(&mut hidden, indent);
                self.attribute(indent, None, item, 0);
            } else {
                hidden += 1;
            }
        }
        self.flush_hidden(&mut hidden, indent);
    }

    fn flush_hidden(&mut self, hidden: &mut usize, indent: usize) {
        if *hidden > 0 {
            self.note(
                indent,
                &format!("# ({} hidden)", plural(*hidden, "unchanged element")),
            );
            *hidden = 0;
        }
    }

    fn text_lines(&mut self, ops: &[LineOp], indent: usize) {
        let near_change = |i: usize| {
            let lo = i.saturating_sub(CONTEXT_LINES);
            let hi = (i + CONTEXT_LINES).min(ops.len().saturating_sub(1));
            ops[lo..=hi].iter().any(|op| op.delta != Delta::Unchanged)
        };
        let all_same_delta = ops.iter().all(|op| op.delta == ops[0].delta);
        let mut hidden = 0;
        for (i, op) in ops.iter().enumerate() {
            let keep = self.options.show_unchanged || all_same_delta || near_change(i);
            if !keep {
                hidden += 1;
                continue;
            }
            if hidden > 0 {
                self.note(
                    indent,
                    &format!("# ({} hidden)", plural(hidden, "unchanged line")),
                );
                hidden = 0;
            }
            let mut line = Line::new();
            line.push(Role::Plain, spaces(indent));
            line.push(delta_role(op.delta), delta_symbol(op.delta))
                .push(Role::Plain, " ");
            line.push_untrusted(delta_role(op.delta), &op.text);
            self.lines.push(line.finish());
        }
        if hidden > 0 {
            self.note(
                indent,
                &format!("# ({} hidden)", plural(hidden, "unchanged line")),
            );
        }
    }
}

/// An empty object or list, on one line like a scalar.
fn empty(line: &mut Line, delta: Delta, text: &'static str) {
    line.push(Role::Plain, text);
    if delta == Delta::Removed {
        line.push(Role::Muted, " -> null");
    }
}

pub(super) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn scalar(line: &mut Line, delta: Delta, before: &Leaf, after: &Leaf) {
    match delta {
        Delta::Added | Delta::Unchanged => leaf(line, after, Role::Plain),
        Delta::Removed => {
            leaf(line, before, Role::Plain);
            line.push(Role::Muted, " -> null");
        }
        Delta::Changed => {
            leaf(line, before, Role::Plain);
            line.push(Role::Update, " -> ");
            leaf(line, after, Role::Plain);
        }
    }
}

fn leaf(line: &mut Line, leaf: &Leaf, role: Role) {
    match leaf {
        Leaf::Absent => line.push(Role::Muted, "null"),
        Leaf::Unknown => line.push(Role::Unknown, "(known after apply)"),
        Leaf::Sensitive => line.push(Role::Sensitive, "(sensitive value)"),
        Leaf::Value(Value::String(s)) => line.push_quoted(role, s),
        Leaf::Value(Value::Object(map)) if map.is_empty() => line.push(role, "{}"),
        Leaf::Value(Value::Array(items)) if items.is_empty() => line.push(role, "[]"),
        // Mixed-type changes keep composite values on one line.
        Leaf::Value(other) => line.push_untrusted(role, &other.to_string()),
    };
}

fn is_inline(node: &Node) -> bool {
    matches!(node.body, Body::Scalar { .. })
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Display width of a key as `start` writes it (bare or quoted).
fn key_width(key: &str) -> usize {
    if is_identifier(key) {
        key.len()
    } else {
        crate::sanitize::escape_quoted(key).text.chars().count() + 2
    }
}

pub(super) fn delta_symbol(delta: Delta) -> &'static str {
    match delta {
        Delta::Unchanged => " ",
        Delta::Added => "+",
        Delta::Removed => "-",
        Delta::Changed => "~",
    }
}

pub(super) fn delta_role(delta: Delta) -> Role {
    match delta {
        Delta::Unchanged => Role::Plain,
        Delta::Added => Role::Create,
        Delta::Removed => Role::Delete,
        Delta::Changed => Role::Update,
    }
}
