//! Pairing the resource changes of two plans by address and deposed key.

use super::{Key, key};
use crate::plan::ResourceChange;
use std::collections::HashMap;

/// Finds each new change's partner in the old plan by address and deposed
/// key. A key that occurs twice (not valid, but possible in a hand-made
/// document) pairs the first with the first, the second with the second.
pub(super) struct Pairing<'a> {
    first: HashMap<Key<'a>, usize>,
    /// The next old change with the same key.
    next: Vec<Option<usize>>,
    pub(super) matched: Vec<bool>,
}

impl<'a> Pairing<'a> {
    pub(super) fn new(old: &'a [ResourceChange]) -> Self {
        let mut first: HashMap<Key<'a>, usize> = HashMap::with_capacity(old.len());
        let mut last: HashMap<Key<'a>, usize> = HashMap::new();
        let mut next = vec![None; old.len()];
        for (i, rc) in old.iter().enumerate() {
            if let Some(&earlier) = first.get(&key(rc)) {
                let tail = last.insert(key(rc), i).unwrap_or(earlier);
                next[tail] = Some(i);
            } else {
                first.insert(key(rc), i);
            }
        }
        Self {
            first,
            next,
            matched: vec![false; old.len()],
        }
    }

    /// The first old change with this key not paired yet.
    pub(super) fn take(&mut self, rc: &ResourceChange) -> Option<usize> {
        let mut at = self.first.get(&key(rc)).copied();
        while let Some(i) = at {
            if !self.matched[i] {
                self.matched[i] = true;
                return Some(i);
            }
            at = self.next[i];
        }
        None
    }
}
