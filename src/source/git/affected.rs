//! Which roots a request affects: a root whose own files changed, and a
//! root that reads a changed local module, directly or through other
//! modules, at the request's head or at its merge base (so a module the
//! request deletes, or a call it removes, still counts).
//!
//! A root is a directory matching `[source] roots`, or, without globs, a
//! directory holding configuration files that is not a local module: not
//! called at the merge base, and not a new directory the head calls. A
//! directory that was a root at the base stays one whatever the head calls,
//! so a request cannot turn a root into a "module" to hide it.

use super::tree::{Cache, TreeFacts};
use super::{GitSource, ancestors};
use crate::source::{BackendError, RootRef};
use std::collections::{BTreeMap, BTreeSet};

impl GitSource {
    /// The roots `files` (changed between `base` and `head`) affect in a
    /// request into branch `into`, sorted by path; `trees` keeps what was
    /// read for the next requests.
    pub(super) fn affected_roots(
        &self,
        files: &[String],
        head: &str,
        base: &str,
        into: &str,
        trees: &mut Cache,
    ) -> Result<Vec<RootRef>, BackendError> {
        trees.load(self.repo(), &[head, base])?;
        let (Some(at_head), Some(at_base)) = (trees.get(head), trees.get(base)) else {
            return Err(BackendError::Invalid(format!(
                "no tree read for {head} or {base}"
            )));
        };
        let is_root = |dir: &str| match &self.roots {
            Some(globs) => globs.is_match(dir),
            None => is_auto_root(dir, at_head, at_base),
        };
        let mut affected: BTreeMap<String, Vec<String>> = files
            .iter()
            .filter_map(|file| ancestors(file).find(|dir| is_root(dir)))
            .map(|dir| (dir.to_string(), Vec::new()))
            .collect();
        // Each changed path something reads, and every root reading it,
        // directly or through other directories, at head or base.
        let changed = Changed(files);
        let read: BTreeSet<&String> = at_head
            .readers
            .keys()
            .chain(at_base.readers.keys())
            .collect();
        let mut via: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for module in read.into_iter().filter(|path| changed.touches(path)) {
            for reader in readers_of(module, &[at_head, at_base]) {
                if reader != module && is_root(reader) && !affected.contains_key(reader) {
                    via.entry(reader.to_string())
                        .or_default()
                        .insert(module.clone());
                }
            }
        }
        affected.extend(
            via.into_iter()
                .map(|(root, via)| (root, via.into_iter().collect())),
        );
        let mut refs = Vec::new();
        for (dir, via) in affected {
            refs.extend(crate::source::paths::root_refs(
                &self.config,
                &dir,
                into,
                via,
            )?);
        }
        refs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(refs)
    }
}

/// A root found without globs (see the module comment).
fn is_auto_root(dir: &str, head: &TreeFacts, base: &TreeFacts) -> bool {
    if base.called.contains(dir) {
        return false;
    }
    if base.tf_dirs.contains(dir) {
        return true;
    }
    // New in the request: a module when the head calls it.
    head.tf_dirs.contains(dir) && !head.called.contains(dir)
}

/// The directories that read `path`, directly or through others, in any
/// of `trees`.
fn readers_of<'a>(path: &'a str, trees: &[&'a TreeFacts]) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::from([path]);
    let mut stack = vec![path];
    while let Some(node) = stack.pop() {
        for facts in trees {
            for reader in facts.readers.get(node).into_iter().flatten() {
                if seen.insert(reader) {
                    stack.push(reader);
                }
            }
        }
    }
    seen
}

/// The request's changed files, sorted.
struct Changed<'a>(&'a [String]);

impl Changed<'_> {
    /// Whether a changed file is `path`, lies below it, or is a file (a
    /// symlink, a submodule) standing where one of its parents was.
    fn touches(&self, path: &str) -> bool {
        let files = self.0;
        if path == "." {
            return !files.is_empty();
        }
        let start = files.partition_point(|f| f.as_str() < path);
        let below = files[start..]
            .iter()
            .take_while(|f| f.starts_with(path))
            .any(|f| f.len() == path.len() || f.as_bytes().get(path.len()) == Some(&b'/'));
        below
            || ancestors(path)
                .filter(|a| *a != ".")
                .any(|a| files.binary_search_by(|f| f.as_str().cmp(a)).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::Changed;

    #[test]
    fn a_change_touches_its_path_what_is_below_and_replaced_parents() {
        let files: Vec<String> = ["modules/shared-x/a.tf", "modules/shared/b.tf", "vendor/sub"]
            .map(String::from)
            .to_vec();
        let changed = Changed(&files);
        assert!(changed.touches("modules/shared"));
        assert!(changed.touches("modules/shared/b.tf"));
        assert!(changed.touches("modules"));
        assert!(changed.touches("."));
        assert!(!changed.touches("modules/share"));
        assert!(!changed.touches("modules/other"));
        assert!(changed.touches("vendor/sub/modules/x"));
        assert!(changed.touches("vendor"));
        assert!(!changed.touches("vend"));
        assert!(!Changed(&[]).touches("."));
    }
}
