//! Pure path facts every source shares: the directories above a path, and
//! the roots a set of changed files lies in by the `[source] roots` globs.
//! Reads nothing.

use super::{BackendError, RootRef};
use crate::config::Config;
use globset::GlobSet;
use std::collections::BTreeSet;

/// The directories above a path, deepest first, ending with `.` (the top).
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.rfind('/') {
            Some(i) => {
                rest = Some(&current[..i]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(".")
            }
        }
    })
}

/// The roots whose own files changed: for each file, the deepest directory
/// above it matching `roots`, with its environment; sorted by path. (The
/// roots reading a changed local module need the trees: the git source
/// adds them in `git::affected`.)
pub fn roots_of_changed(
    files: &[String],
    roots: &GlobSet,
    config: &Config,
    base: &str,
) -> Result<Vec<RootRef>, BackendError> {
    let paths: BTreeSet<&str> = files
        .iter()
        .filter_map(|file| ancestors(file).find(|dir| roots.is_match(dir)))
        .collect();
    let mut refs = Vec::new();
    for path in paths {
        refs.extend(root_refs(config, path, base, Vec::new())?);
    }
    refs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(refs)
}

/// The roots of directory `dir` in a request into `base`: one per
/// environment (`DIR@ENV` for a shared directory; see
/// `Config::root_environments`), each affected `via` the given modules.
pub fn root_refs(
    config: &Config,
    dir: &str,
    base: &str,
    via: Vec<String>,
) -> Result<Vec<RootRef>, BackendError> {
    Ok(config
        .root_environments(dir, base)
        .map_err(BackendError::Invalid)?
        .into_iter()
        .map(|root| RootRef {
            path: root.key,
            environment: root.environment,
            via: via.clone(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_go_up_to_the_top() {
        let all: Vec<&str> = ancestors("apps/web/prod/main.tf").collect();
        assert_eq!(all, ["apps/web/prod", "apps/web", "apps", "."]);
        assert_eq!(ancestors("main.tf").collect::<Vec<_>>(), ["."]);
    }

    #[test]
    fn changed_files_name_their_deepest_matching_root_once() {
        let text =
            "[source]\nroots = [\"apps/*/*\"]\n[environments.live]\nroots = [\"apps/web/eu\"]\n";
        let config = crate::config::parse(text, std::path::Path::new("c.toml")).expect("config");
        let globs = crate::config::path_glob_set(&config.source.roots)
            .expect("globs")
            .expect("some");
        let files: Vec<String> = [
            "apps/web/prod/main.tf",
            "apps/web/prod/vars.tf",
            "apps/web/eu/x/y.tf",
            "modules/net/main.tf",
            "README.md",
        ]
        .map(String::from)
        .to_vec();
        let roots = roots_of_changed(&files, &globs, &config, "main").expect("roots");
        let got: Vec<(&str, Option<&str>)> = roots
            .iter()
            .map(|r| (r.path.as_str(), r.environment.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("apps/web/eu", Some("live")),
                ("apps/web/prod", Some("prod"))
            ]
        );
    }
}
