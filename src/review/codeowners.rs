//! CODEOWNERS: who owns which paths. GitHub's rules: gitignore-style
//! patterns, the last matching line wins, owners are `@user`, `@org/team`
//! or emails. Teams and users resolve through the configured `[teams]`.

use crate::config::Teams;
use globset::{Glob, GlobMatcher};

#[derive(Clone, Debug, Default)]
pub struct CodeOwners {
    rules: Vec<(GlobMatcher, Vec<String>)>,
}

impl CodeOwners {
    /// Parses a CODEOWNERS file; lines with an invalid pattern are skipped
    /// (GitHub ignores them too).
    pub fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let pattern = words.next()?;
                let owners: Vec<String> = words.map(str::to_string).collect();
                Some((matcher(pattern)?, owners))
            })
            .collect();
        Self { rules }
    }

    /// The owners of a path (relative to the repository, `/`-separated).
    pub fn owners_of(&self, path: &str) -> &[String] {
        self.rules
            .iter()
            .rev()
            .find(|(glob, _)| glob.is_match(path))
            .map_or(&[], |(_, owners)| owners.as_slice())
    }
}

/// A gitignore-style pattern as a glob: a leading `/` anchors it at the
/// root, otherwise it matches at any depth; a trailing `/` (or a plain
/// directory name) covers everything below.
fn matcher(pattern: &str) -> Option<GlobMatcher> {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body = pattern.trim_start_matches('/');
    let mut glob = if anchored || body.starts_with("**") {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    if glob.ends_with('/') {
        glob.push_str("**");
    }
    let exact = Glob::new(&glob).ok()?;
    // `apps/web` also owns `apps/web/…`.
    let below = if glob.ends_with("**") {
        glob.clone()
    } else {
        format!("{glob}/**")
    };
    let either = Glob::new(&format!("{{{},{}}}", exact.glob(), below)).ok()?;
    Some(either.compile_matcher())
}

/// Whether `email` is one of `owner`: the email itself, or a member of the
/// team or user entry named by `@org/team` / `@name`.
pub fn is_owner(owner: &str, email: &str, teams: &Teams) -> bool {
    if owner.eq_ignore_ascii_case(email) {
        return true;
    }
    let Some(name) = owner.strip_prefix('@') else {
        return false;
    };
    let name = name.rsplit('/').next().unwrap_or(name);
    teams
        .get(name)
        .is_some_and(|members| members.iter().any(|m| m.eq_ignore_ascii_case(email)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_matching_rule_wins_and_patterns_follow_github() {
        let owners = CodeOwners::parse(
            "# comment\n* @org/everyone\n/apps/web/ @org/web\napps/*/prod/ @org/sre alice@example.com\n*.md docs@example.com\n",
        );
        assert_eq!(owners.owners_of("README.md"), ["docs@example.com"]);
        assert_eq!(owners.owners_of("apps/web/dev/main.tf"), ["@org/web"]);
        assert_eq!(
            owners.owners_of("apps/web/prod/main.tf"),
            ["@org/sre", "alice@example.com"]
        );
        assert_eq!(owners.owners_of("apps/api/dev/main.tf"), ["@org/everyone"]);
        assert_eq!(owners.owners_of("nested/docs/x.md"), ["docs@example.com"]);
    }

    #[test]
    fn owners_resolve_through_teams() {
        let teams: Teams = [("sre".to_string(), vec!["bob@example.com".to_string()])].into();
        assert!(is_owner("@org/sre", "bob@example.com", &teams));
        assert!(is_owner("@sre", "BOB@example.com", &teams));
        assert!(!is_owner("@org/sre", "eve@example.com", &teams));
        assert!(is_owner("alice@example.com", "alice@example.com", &teams));
    }
}
