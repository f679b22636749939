//! Who acts: a person as git or a forge knows them. Pure data; it knows
//! no source and no storage.
//!
//! An identity is (provider, stable id) with a display name and aliases.
//! On git the stable id is the email (self-declared: see
//! `review::may_be_same_person` for the rules that stop a second address);
//! on a forge it is the account id, which neither a rename nor a new email
//! changes. Everything keyed by a person (viewed marks, seen marks) uses
//! [`Identity::stable_id`].

use serde::Serialize;

/// Who vouches for an identity.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// A git author or committer identity: self-declared.
    #[default]
    Git,
    /// A GitHub account (github.com or an Enterprise server).
    GitHub,
    /// A GitLab account.
    GitLab,
}

impl Provider {
    pub fn is_git(&self) -> bool {
        *self == Provider::Git
    }

    pub fn word(self) -> &'static str {
        match self {
            Provider::Git => "git",
            Provider::GitHub => "github",
            Provider::GitLab => "gitlab",
        }
    }
}

/// A person as git or a forge knows them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Identity {
    /// The display name (git's user.name; a forge's name or login).
    pub name: String,
    /// Git's email; a forge account's public email, or empty.
    pub email: String,
    /// Absent (git) in everything written before forges existed.
    #[serde(default, skip_serializing_if = "Provider::is_git")]
    pub provider: Provider,
    /// The forge's stable account id (GitHub's numeric user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Other names of the same account (its login, former logins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The forge teams (`org/slug`) the forge says this account is in, of
    /// those the policy names: set only by a forge backend in memory,
    /// never read from a note or the audit log.
    #[serde(skip)]
    pub forge_teams: Vec<String>,
}

impl Identity {
    /// A git identity (name and email, as `git var GIT_COMMITTER_IDENT` says).
    pub fn git(name: &str, email: &str) -> Self {
        Self {
            name: name.to_string(),
            email: email.to_string(),
            provider: Provider::Git,
            account: None,
            aliases: Vec::new(),
            forge_teams: Vec::new(),
        }
    }

    /// A forge account: its stable id, login and display name.
    pub fn forge(provider: Provider, account: &str, login: &str, name: &str) -> Self {
        Self {
            name: if name.is_empty() { login } else { name }.to_string(),
            email: String::new(),
            provider,
            account: Some(account.to_string()),
            aliases: vec![login.to_string()],
            forge_teams: Vec::new(),
        }
    }

    /// What keys everything kept per person: `github:12345` for a forge
    /// account, the lowercased email for git (as plandeck always keyed it).
    pub fn stable_id(&self) -> String {
        match (&self.provider, &self.account) {
            (Provider::Git, _) | (_, None) => self.email.to_ascii_lowercase(),
            (provider, Some(account)) => format!("{}:{account}", provider.word()),
        }
    }

    /// Whether a forge vouches for this identity (an account id is known).
    pub fn is_account(&self) -> bool {
        !self.provider.is_git() && self.account.is_some()
    }

    /// Who this is in one short word: `@login` for a forge account, the
    /// email for a git identity (forge accounts have none).
    pub fn handle(&self) -> String {
        match self.aliases.first().filter(|_| self.is_account()) {
            Some(login) => format!("@{login}"),
            None => self.email.clone(),
        }
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.provider, self.aliases.first()) {
            (Provider::Git, _) | (_, None) => write!(f, "{} <{}>", self.name, self.email),
            (provider, Some(login)) => write!(f, "{} (@{login} on {})", self.name, provider.word()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_git_identity_is_written_as_before() {
        let who = Identity::git("Ann", "ann@example.com");
        assert_eq!(
            serde_json::to_string(&who).expect("json"),
            r#"{"name":"Ann","email":"ann@example.com"}"#
        );
        let read: Identity =
            serde_json::from_str(r#"{"name":"Ann","email":"ann@example.com"}"#).expect("reads");
        assert_eq!(read, who);
        assert_eq!(who.stable_id(), "ann@example.com");
    }

    #[test]
    fn a_forge_identity_is_keyed_by_its_account() {
        let who = Identity::forge(Provider::GitHub, "583231", "octocat", "The Octocat");
        assert_eq!(who.stable_id(), "github:583231");
        assert!(who.is_account());
        assert_eq!(who.to_string(), "The Octocat (@octocat on github)");
        assert_eq!(who.handle(), "@octocat");
        assert_eq!(
            Identity::git("Ann", "ann@example.com").handle(),
            "ann@example.com"
        );
        let json = serde_json::to_string(&who).expect("json");
        let read: Identity = serde_json::from_str(&json).expect("reads");
        assert_eq!(read, who);
        let renamed = Identity::forge(Provider::GitHub, "583231", "octocat2", "");
        assert_eq!(renamed.stable_id(), who.stable_id());
    }
}
