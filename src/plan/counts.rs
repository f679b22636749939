//! Counting a plan's resource changes by action, the way the summary JSON and
//! the request list report them.

use super::{ChangeKind, ResourceChange};
use serde::Serialize;

/// Resource changes by action. A replacement counts once, as `replace`;
/// `move` and `import` count changes that also move or import, so they
/// overlap with the action counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ActionCounts {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub replace: usize,
    pub read: usize,
    pub no_op: usize,
    pub forget: usize,
    #[serde(rename = "move")]
    pub moved: usize,
    pub import: usize,
    /// Action lists this build does not know (not part of the JSON counts).
    #[serde(skip)]
    pub unknown: usize,
}

impl ActionCounts {
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a ResourceChange>) -> Self {
        let mut counts = Self::default();
        for rc in changes {
            counts.add(rc);
        }
        counts
    }

    pub fn add(&mut self, rc: &ResourceChange) {
        match rc.change.kind {
            ChangeKind::Create => self.create += 1,
            ChangeKind::Update => self.update += 1,
            ChangeKind::Delete => self.delete += 1,
            ChangeKind::DeleteThenCreate | ChangeKind::CreateThenDelete => self.replace += 1,
            ChangeKind::Read => self.read += 1,
            ChangeKind::NoOp => self.no_op += 1,
            ChangeKind::Forget => self.forget += 1,
            ChangeKind::Unknown(_) => self.unknown += 1,
        }
        self.moved += usize::from(rc.is_move());
        self.import += usize::from(rc.is_import());
    }

    /// Changes that do something (everything but no-op and read).
    pub fn actionable(&self) -> usize {
        self.create + self.update + self.delete + self.replace + self.forget + self.unknown
    }
}
