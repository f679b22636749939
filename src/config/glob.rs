//! Path globs, one syntax for every configured directory pattern
//! (`[source] roots`, `environments.NAME.roots`): `*`, `?` and `[..]` match
//! within one path segment, `**` as a whole segment crosses segments
//! (`apps/**/prod*` matches `apps/prod1` and `apps/web/eu/prod1`), `{a,b}`
//! alternates. A trailing `/` is ignored. Other patterns keep their own
//! documented syntax: the request branch pattern, resource types and
//! addresses (`*` any characters), and CODEOWNERS (GitHub's rules).

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// One path glob.
pub fn path_glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern.trim_end_matches('/'))
        .literal_separator(true)
        .build()
}

/// One path glob, compiled.
pub fn path_matcher(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    path_glob(pattern).map(|g| g.compile_matcher())
}

/// A set of path globs; `None` when there are none. The error names the
/// pattern.
pub fn path_glob_set(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        set.add(path_glob(pattern).map_err(|e| format!("invalid glob `{pattern}`: {e}"))?);
    }
    set.build().map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        path_matcher(pattern).expect("valid").is_match(path)
    }

    #[test]
    fn a_star_stays_in_its_segment_and_a_double_star_crosses() {
        assert!(matches("apps/*/dev*", "apps/web/dev"));
        assert!(matches("apps/*/dev*", "apps/web/dev-eu"));
        assert!(!matches("apps/*/dev*", "apps/web/dev/eu-prod"));
        assert!(!matches("apps/*/dev*", "apps/web/eu/dev"));
        assert!(!matches("apps/*", "apps/web/dev"));
        assert!(matches("apps/**/prod*", "apps/prod1"));
        assert!(matches("apps/**/prod*", "apps/web/eu/prod1"));
        assert!(!matches("apps/**/prod*", "apps/web/prod1/eu"));
        assert!(matches("shared/**", "shared/dns"));
        assert!(matches("**/prod", "apps/web/prod"));
        assert!(matches("apps/?eb/dev", "apps/web/dev"));
        assert!(!matches("apps/we?dev", "apps/we/dev"));
        assert!(matches("apps/{web,api}/prod/", "apps/api/prod"));
    }

    #[test]
    fn a_bad_glob_is_named() {
        let err = path_glob_set(&["apps/{web".into()]).expect_err("invalid");
        assert!(err.starts_with("invalid glob `apps/{web`"), "{err}");
        assert!(path_glob_set(&[]).expect("empty").is_none());
    }
}
