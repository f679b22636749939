//! What one commit's tree says about roots and modules: the directories
//! holding configuration files, the local module calls between them, and
//! the symlinks that point elsewhere inside the repository.
//!
//! Read with one `git ls-tree -r` per commit and one `git cat-file --batch`
//! for the blobs of all commits asked for at once (never the working tree,
//! never one process per file). Reads only; paths stay raw.

use super::{BackendError, ancestors, is_config_file};
use crate::source::modules::{join, local_target, module_sources};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

/// A symlink's mode in a git tree.
const SYMLINK_MODE: &str = "120000";

/// Hops followed through symlinks before a path is given up on.
const MAX_LINK_HOPS: usize = 40;

/// The facts of one commit's tree.
#[derive(Clone, Debug, Default)]
pub(crate) struct TreeFacts {
    /// Directories holding configuration files (`.` for the top).
    pub tf_dirs: BTreeSet<String>,
    /// Who reads what outside their own directory: path → the directories
    /// whose local module calls name it, or that hold a symlink to it (a
    /// symlink belongs to the deepest configuration directory above it).
    /// A path is also listed with the symlinks on its way resolved.
    pub readers: BTreeMap<String, BTreeSet<String>>,
    /// Directories some other directory calls as a local module.
    pub called: BTreeSet<String>,
    /// Symlinks whose target is inside the repository: link → target.
    pub links: BTreeMap<String, String>,
}

impl TreeFacts {
    /// `path` with every symlink among its leading segments replaced by
    /// its target, as far as the links go; `None` when a link leaves the
    /// repository or they loop.
    pub fn resolve(&self, path: &str) -> Option<String> {
        let mut path = path.to_string();
        for _ in 0..MAX_LINK_HOPS {
            let link = std::iter::once(path.as_str())
                .chain(ancestors(&path))
                .find(|p| self.links.contains_key(*p))
                .map(str::to_string);
            let Some(link) = link else {
                return Some(path);
            };
            let target = self.links.get(&link)?;
            let rest = path[link.len()..].trim_start_matches('/');
            path = join(target, rest)?;
        }
        None
    }
}

/// One entry of `ls-tree -r`.
struct Entry {
    mode: String,
    oid: String,
    path: String,
}

/// How a blob is read: its syntax, or as a symlink's target.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Hcl,
    Json,
    Link,
}

impl Kind {
    fn of(entry: &Entry) -> Option<Self> {
        if entry.mode == SYMLINK_MODE {
            Some(Self::Link)
        } else if !is_config_file(&entry.path) {
            None
        } else if entry.path.ends_with(".json") {
            Some(Self::Json)
        } else {
            Some(Self::Hcl)
        }
    }
}

/// What a blob says: the module sources of a configuration file, or a
/// symlink's target.
enum Blob {
    Sources(Vec<String>),
    Link(String),
}

/// Trees and blobs already read, shared by the requests of one listing:
/// most blobs of a request's head are its merge base's too.
#[derive(Default)]
pub(crate) struct Cache {
    facts: HashMap<String, TreeFacts>,
    blobs: HashMap<(String, Kind), Blob>,
}

impl Cache {
    /// Reads the trees of `commits` not read yet: one `ls-tree` each, one
    /// `cat-file --batch` for the blobs not read yet.
    pub fn load(&mut self, repo: &Path, commits: &[&str]) -> Result<(), BackendError> {
        let mut listings = Vec::new();
        for commit in commits {
            if self.facts.contains_key(*commit) || listings.iter().any(|(c, _)| c == commit) {
                continue;
            }
            let out = super::git(repo, &["ls-tree", "-r", "-z", "--end-of-options", commit])?;
            listings.push((*commit, parse_listing(&out)?));
        }
        let wanted: BTreeSet<(&str, Kind)> = listings
            .iter()
            .flat_map(|(_, entries)| entries)
            .filter_map(|e| Some((e.oid.as_str(), Kind::of(e)?)))
            .filter(|(oid, kind)| !self.blobs.contains_key(&((*oid).to_string(), *kind)))
            .collect();
        let oids: BTreeSet<&str> = wanted.iter().map(|(oid, _)| *oid).collect();
        let contents = cat_blobs(repo, &oids)?;
        for (oid, kind) in wanted {
            let text = contents.get(oid).map_or(&[][..], Vec::as_slice);
            let text = String::from_utf8_lossy(text);
            let blob = match kind {
                Kind::Link => Blob::Link(text.into_owned()),
                Kind::Hcl => Blob::Sources(module_sources("x.tf", &text)),
                Kind::Json => Blob::Sources(module_sources("x.tf.json", &text)),
            };
            self.blobs.insert((oid.to_string(), kind), blob);
        }
        for (commit, entries) in listings {
            let facts = facts(&entries, &self.blobs);
            self.facts.insert(commit.to_string(), facts);
        }
        Ok(())
    }

    /// The facts of a commit [`Cache::load`] read.
    pub fn get(&self, commit: &str) -> Option<&TreeFacts> {
        self.facts.get(commit)
    }
}

/// `MODE TYPE OID\tPATH` records, NUL-separated.
fn parse_listing(out: &str) -> Result<Vec<Entry>, BackendError> {
    let mut entries = Vec::new();
    for record in out.split('\0').filter(|r| !r.is_empty()) {
        let parsed = record.split_once('\t').and_then(|(meta, path)| {
            let mut words = meta.split(' ');
            let (mode, _kind, oid) = (words.next()?, words.next()?, words.next()?);
            Some(Entry {
                mode: mode.to_string(),
                oid: oid.to_string(),
                path: path.to_string(),
            })
        });
        entries.push(parsed.ok_or_else(|| {
            BackendError::Invalid(format!(
                "git ls-tree printed an unexpected line: {record:?}"
            ))
        })?);
    }
    Ok(entries)
}

fn facts(entries: &[Entry], blobs: &HashMap<(String, Kind), Blob>) -> TreeFacts {
    let mut facts = TreeFacts::default();
    let mut reads: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for entry in entries.iter().filter(|e| is_config_file(&e.path)) {
        if let Some(dir) = ancestors(&entry.path).next() {
            facts.tf_dirs.insert(dir.to_string());
        }
    }
    for entry in entries {
        let (Some(dir), Some(kind)) = (ancestors(&entry.path).next(), Kind::of(entry)) else {
            continue;
        };
        match blobs.get(&(entry.oid.clone(), kind)) {
            Some(Blob::Link(text)) => {
                let Some(target) = join(dir, text) else {
                    continue;
                };
                // A symlink belongs to the deepest configuration directory above it.
                if let Some(owner) = ancestors(&entry.path).find(|d| facts.tf_dirs.contains(*d)) {
                    reads.entry(owner).or_default().insert(target.clone());
                }
                facts.links.insert(entry.path.clone(), target);
            }
            Some(Blob::Sources(sources)) => {
                for target in sources.iter().filter_map(|s| local_target(dir, s)) {
                    if target != dir {
                        facts.called.insert(target.clone());
                    }
                    reads.entry(dir).or_default().insert(target);
                }
            }
            None => {}
        }
    }
    for (reader, targets) in reads {
        let resolved: Vec<String> = targets.iter().filter_map(|t| facts.resolve(t)).collect();
        for target in targets.into_iter().chain(resolved) {
            let readers = facts.readers.entry(target).or_default();
            readers.insert(reader.to_string());
        }
    }
    facts
}

/// The contents of `oids`, by one `git cat-file --batch`.
fn cat_blobs(repo: &Path, oids: &BTreeSet<&str>) -> Result<HashMap<String, Vec<u8>>, BackendError> {
    if oids.is_empty() {
        return Ok(HashMap::new());
    }
    let failed = |e: std::io::Error| BackendError::Io(format!("git cat-file: {e}"));
    let mut child = super::run::command(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BackendError::Io(format!("cannot run git: {e}")))?;
    let input: String = oids.iter().map(|oid| format!("{oid}\n")).collect();
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| BackendError::Io("git cat-file: no stdin".into()))?;
    // Written beside the reads (stdout and stderr together), so a large
    // batch cannot fill the pipes.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(failed)?;
    let written = writer
        .join()
        .map_err(|_| BackendError::Io("git cat-file: the writer stopped".into()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(BackendError::Process {
            command: "git cat-file".into(),
            code: output.status.code(),
            stderr_tail: crate::backend::stderr_tail(&stderr),
        });
    }
    written.map_err(failed)?;
    parse_batch(&output.stdout)
}

/// `OID TYPE SIZE\nCONTENT\n` records (`OID missing\n` for an absent one).
fn parse_batch(mut out: &[u8]) -> Result<HashMap<String, Vec<u8>>, BackendError> {
    let bad = |what: &str| BackendError::Invalid(format!("git cat-file --batch: {what}"));
    let mut blobs = HashMap::new();
    while !out.is_empty() {
        let end = memchr::memchr(b'\n', out).ok_or_else(|| bad("a header without a newline"))?;
        let header = String::from_utf8_lossy(&out[..end]).into_owned();
        out = &out[end + 1..];
        let words: Vec<&str> = header.split(' ').collect();
        let [oid, _kind, size] = words[..] else {
            // A blob listed by ls-tree but absent: a module call could
            // hide in it, so the roots cannot be known.
            return Err(bad(&format!("object {header}")));
        };
        let size: usize = size.parse().map_err(|_| bad(&format!("header {header}")))?;
        let content = out.get(..size).ok_or_else(|| bad("a truncated object"))?;
        blobs.insert(oid.to_string(), content.to_vec());
        out = out.get(size + 1..).unwrap_or_default();
    }
    Ok(blobs)
}
