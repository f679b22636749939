//! The attribute-level diff of a change's `before` and `after`, as a tree.
//!
//! Objects and maps key by key, lists and sets element by element (aligned
//! by longest common subsequence, so an insertion does not mark every later
//! element as changed), multi-line strings as a line diff, and strings that
//! hold JSON parsed and diffed structurally. `(known after apply)` comes from
//! `after_unknown`; a sensitive side is represented by [`Leaf::Sensitive`]
//! and its value is never stored in the tree, so no renderer can print it.
//! Unchanged parts stay in the tree; folding them is the renderer's choice.

mod build;
mod lines;

use serde_json::Value;

pub use build::{DiffInput, diff_change, diff_values, expand_unchanged};

/// One side of a scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Leaf {
    Absent,
    Value(Value),
    Unknown,
    Sensitive,
}

/// How a node differs between before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delta {
    Unchanged,
    Added,
    Removed,
    Changed,
}

/// One node of the diff tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub delta: Delta,
    /// This path is in the change's `replace_paths`.
    pub forces_replacement: bool,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Scalar {
        before: Leaf,
        after: Leaf,
    },
    /// An object or map: members by key, in key order.
    Object(Vec<(String, Node)>),
    /// A list or set: elements in order, removed ones where they were.
    List(Vec<Node>),
    /// A multi-line string, diffed line by line.
    Lines(Vec<LineOp>),
    /// A string holding JSON, diffed as a structure.
    Json(Box<Node>),
    /// A value identical on both sides with nothing sensitive or unknown in
    /// it; kept whole because it is usually folded, and expanded with
    /// [`expand_unchanged`] only when shown.
    Unchanged(Value),
}

/// One line of a multi-line string diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineOp {
    pub delta: Delta,
    pub text: String,
}

impl Node {
    pub fn is_changed(&self) -> bool {
        self.delta != Delta::Unchanged
    }

    /// True when anything in this subtree is sensitive (for flags in lists).
    pub fn has_sensitive(&self) -> bool {
        match &self.body {
            Body::Scalar { before, after } => {
                matches!(before, Leaf::Sensitive) || matches!(after, Leaf::Sensitive)
            }
            Body::Object(members) => members.iter().any(|(_, n)| n.has_sensitive()),
            Body::List(items) => items.iter().any(Node::has_sensitive),
            Body::Lines(_) | Body::Json(_) | Body::Unchanged(_) => false,
        }
    }
}
