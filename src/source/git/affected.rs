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

use super::tree::{self, TreeFacts};
use super::{GitSource, ancestors};
use crate::source::{RootRef, SourceError};
use std::collections::{BTreeMap, BTreeSet, HashMap};

impl GitSource {
    /// The roots `files` (changed between `base` and `head`) affect, sorted
    /// by path; `trees` caches the facts of commits across requests.
    pub(super) fn affected_roots(
        &self,
        files: &[String],
        head: &str,
        base: &str,
        trees: &mut HashMap<String, TreeFacts>,
    ) -> Result<Vec<RootRef>, SourceError> {
        let mut missing: Vec<&str> = vec![head, base];
        missing.dedup();
        missing.retain(|c| !trees.contains_key(*c));
        for (commit, facts) in missing.iter().zip(tree::read(self.repo(), &missing)?) {
            trees.insert((*commit).to_string(), facts);
        }
        let (Some(at_head), Some(at_base)) = (trees.get(head), trees.get(base)) else {
            return Err(SourceError::Invalid(format!(
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
        let changed = Changed(files);
        let callers: BTreeSet<&String> = at_head.reads.keys().chain(at_base.reads.keys()).collect();
        for caller in callers {
            if affected.contains_key(caller.as_str()) || !is_root(caller) {
                continue;
            }
            let via = changed_reads(caller, &[at_head, at_base], &changed);
            if !via.is_empty() {
                affected.insert(caller.clone(), via);
            }
        }
        affected
            .into_iter()
            .map(|(path, via)| {
                let environment = self
                    .config
                    .environment_of(&path)
                    .map_err(SourceError::Invalid)?;
                Ok(RootRef {
                    environment,
                    path,
                    via,
                })
            })
            .collect()
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

/// The changed paths a root reaches through what it reads (module calls,
/// symlinks) in any of `trees`, sorted; the root itself excluded.
fn changed_reads(root: &str, trees: &[&TreeFacts], changed: &Changed<'_>) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::from([root.to_string()]);
    let mut stack = vec![root.to_string()];
    let mut via = BTreeSet::new();
    while let Some(node) = stack.pop() {
        if node != root && changed.touches(&node) {
            via.insert(node.clone());
        }
        for facts in trees {
            let targets = facts.reads.get(&node).into_iter().flatten();
            for target in targets {
                let resolved = facts.resolve(target);
                for next in std::iter::once(target.clone()).chain(resolved) {
                    if seen.insert(next.clone()) {
                        stack.push(next);
                    }
                }
            }
        }
    }
    via.into_iter().collect()
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
