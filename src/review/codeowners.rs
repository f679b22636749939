//! CODEOWNERS: who owns which paths. GitHub's documented rules:
//! gitignore-style patterns (`*` and `?` within one path segment, `**`
//! across), the last matching line wins, owners are `@user`, `@org/team` or
//! emails. As GitHub documents, `[ ]` ranges, `!` negation and `\` escapes
//! do not work (they are literal here), and `docs/*` owns the files directly
//! in `docs/`, not those nested deeper. Teams and users resolve through the
//! configured `[teams]`.

use crate::config::Teams;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Clone, Debug, Default)]
pub struct CodeOwners {
    rules: Vec<(GlobSet, Vec<String>)>,
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

/// A gitignore-style pattern as globs: a leading `/` or a `/` inside
/// anchors it at the root, otherwise it matches at any depth; a trailing
/// `/` (or a plain name) covers everything below, a trailing `/*` only the
/// entries directly inside.
fn matcher(pattern: &str) -> Option<GlobSet> {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body: String = pattern
        .trim_start_matches('/')
        .chars()
        .flat_map(|c| match c {
            '[' | ']' | '{' | '}' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let mut glob = if anchored || body.starts_with("**") {
        body
    } else {
        format!("**/{body}")
    };
    if glob.ends_with('/') {
        glob.push_str("**");
    }
    let mut set = GlobSetBuilder::new();
    set.add(path_glob(&glob)?);
    // `apps/web` also owns `apps/web/…`; `docs/*` does not own `docs/a/…`.
    if !glob.ends_with("**") && !glob.ends_with("/*") {
        set.add(path_glob(&format!("{glob}/**"))?);
    }
    set.build().ok()
}

fn path_glob(glob: &str) -> Option<globset::Glob> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()
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

/// [`is_owner`] for an identity: a forge account is also its `@login`
/// (a CODEOWNERS entry or an approver list names GitHub users so).
pub fn is_owner_identity(owner: &str, who: &crate::domain::Identity, teams: &Teams) -> bool {
    is_owner(owner, &who.email, teams) || is_login(owner, who)
}

/// Whether `entry` is `@login` of the forge account `who`.
pub fn is_login(entry: &str, who: &crate::domain::Identity) -> bool {
    who.is_account()
        && entry.strip_prefix('@').is_some_and(|login| {
            !login.is_empty()
                && !login.contains('/')
                && who.aliases.iter().any(|a| a.eq_ignore_ascii_case(login))
        })
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
    fn a_star_stays_in_its_segment_as_github_documents() {
        let owners = CodeOwners::parse(
            "* @org/everyone\napps/ @org/apps\napps/*/prod/ @org/sre\ndocs/* @org/docs\n\\
             /build/logs/ @org/ci\n**/logs @org/logs\n/apps/[ab] @org/literal\n",
        );
        // `*` does not cross `/`: `apps/*/prod/` owns only apps/NAME/prod/….
        assert_eq!(owners.owners_of("apps/web/prod/main.tf"), ["@org/sre"]);
        assert_eq!(
            owners.owners_of("x/apps/web/eu/prod/main.tf"),
            ["@org/apps"]
        );
        // `docs/*`: files directly in docs/, not nested ones.
        assert_eq!(owners.owners_of("docs/getting-started.md"), ["@org/docs"]);
        assert_eq!(
            owners.owners_of("docs/build-app/troubleshooting.md"),
            ["@org/everyone"]
        );
        assert_eq!(owners.owners_of("build/logs/a/b.log"), ["@org/logs"]);
        assert_eq!(owners.owners_of("deeply/nested/logs/x"), ["@org/logs"]);
        assert_eq!(owners.owners_of("src/main.rs"), ["@org/everyone"]);
        // Brackets are literal (GitHub: ranges do not work).
        assert_eq!(owners.owners_of("apps/a/main.tf"), ["@org/apps"]);
        assert_eq!(owners.owners_of("apps/[ab]/main.tf"), ["@org/literal"]);
    }

    #[test]
    fn owners_resolve_through_teams() {
        let teams: Teams = [("sre".to_string(), vec!["bob@example.com".to_string()])].into();
        assert!(is_owner("@org/sre", "bob@example.com", &teams));
        assert!(is_owner("@sre", "BOB@example.com", &teams));
        assert!(!is_owner("@org/sre", "eve@example.com", &teams));
        assert!(is_owner("alice@example.com", "alice@example.com", &teams));
        let bob = crate::domain::Identity::forge(crate::domain::Provider::GitHub, "9", "Bob", "");
        assert!(is_owner_identity("@bob", &bob, &teams));
        assert!(!is_owner_identity("@bo", &bob, &teams));
        assert!(!is_owner_identity("@", &bob, &teams));
        // A git identity is never a login, whatever its name.
        let git_bob = crate::domain::Identity::git("bob", "bob@x");
        assert!(!is_owner_identity("@bob", &git_bob, &teams));
    }
}
