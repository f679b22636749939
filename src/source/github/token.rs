//! The GitHub token: from GITHUB_TOKEN, then GH_TOKEN, else the output of
//! `[github] token_command`. It lives only in memory: no `Display`, a
//! `Debug` that hides it, and [`Token::redact`] for any text that came
//! back from elsewhere (a server's message could echo it).

use crate::backend::BackendError;
use crate::config::GitHubConfig;
use std::process::{Command, Stdio};

/// A token; never printed.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(hidden)")
    }
}

impl Token {
    /// A token given directly (tests, a caller that has one); checked like
    /// one read from the environment.
    pub fn new(token: String, from: &str) -> Result<Self, BackendError> {
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(BackendError::Auth(format!("{from} is empty")));
        }
        // It travels in an HTTP header: visible ASCII only. The message
        // names where it came from, never what it holds.
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(BackendError::Auth(format!(
                "{from} holds characters a token cannot have (spaces, control or non-ASCII)"
            )));
        }
        Ok(Self(token))
    }

    pub(super) fn secret(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "[token]")
    }
}

/// The token as configured: `env` looks up a variable (the process
/// environment, or a test's).
pub fn resolve(
    config: &GitHubConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Token, BackendError> {
    for name in ["GITHUB_TOKEN", "GH_TOKEN"] {
        if let Some(value) = env(name).filter(|v| !v.trim().is_empty()) {
            return Token::new(value, name);
        }
    }
    match &config.token_command {
        Some(command) => run_token_command(command),
        None => Err(BackendError::Auth(
            "no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or [github] token_command \
             (e.g. \"gh auth token\")"
                .into(),
        )),
    }
}

/// Runs `command` (split at spaces, no shell) and takes its first line.
fn run_token_command(command: &str) -> Result<Token, BackendError> {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or_default();
    let what = format!("[github] token_command `{command}`");
    let output = Command::new(program)
        .args(words)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| BackendError::Auth(format!("{what} could not run: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default().trim().to_string();
    if !output.status.success() {
        // Its stderr says why; anything it printed on stdout stays out.
        let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !first.is_empty() {
            stderr = stderr.replace(&first, "[token]");
        }
        return Err(BackendError::Auth(format!(
            "{what} failed ({}): {}",
            output
                .status
                .code()
                .map_or("killed".to_string(), |c| format!("exit {c}")),
            crate::backend::stderr_tail(&stderr)
        )));
    }
    Token::new(first, &format!("the output of {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "ghp_s3cretT0ken";

    fn config(command: Option<&str>) -> GitHubConfig {
        GitHubConfig {
            token_command: command.map(String::from),
            ..GitHubConfig::default()
        }
    }

    #[test]
    fn github_token_wins_then_gh_token_then_the_command() {
        let both = |name: &str| match name {
            "GITHUB_TOKEN" => Some("first".to_string()),
            "GH_TOKEN" => Some("second".to_string()),
            _ => None,
        };
        let cmd = config(Some("echo third"));
        assert_eq!(resolve(&cmd, both).expect("token").secret(), "first");
        let gh = |name: &str| (name == "GH_TOKEN").then(|| "second".to_string());
        assert_eq!(resolve(&cmd, gh).expect("token").secret(), "second");
        let empty = |name: &str| (name == "GITHUB_TOKEN").then(String::new);
        assert_eq!(resolve(&cmd, empty).expect("token").secret(), "third");
        let err = resolve(&config(None), |_| None).expect_err("none");
        assert!(err.to_string().contains("GITHUB_TOKEN"), "{err}");
    }

    #[test]
    fn the_token_never_shows_in_debug_or_errors() {
        let token = Token::new(SECRET.into(), "GITHUB_TOKEN").expect("token");
        assert!(!format!("{token:?}").contains(SECRET));
        assert_eq!(
            token.redact(&format!("Bad credentials for {SECRET}")),
            "Bad credentials for [token]"
        );
        // A value that cannot be a header is refused without echoing it.
        let err = Token::new(format!("{SECRET} \u{1b}[31m"), "GH_TOKEN").expect_err("bad");
        assert!(!err.to_string().contains(SECRET), "{err}");
        assert!(err.to_string().contains("GH_TOKEN"), "{err}");
        // A failing command that printed the token: neither its stdout nor
        // the echo of it on stderr reaches the message.
        let script = format!("echo {SECRET}; echo denied {SECRET} >&2; exit 3");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tok.sh");
        std::fs::write(&path, script).expect("script");
        let command = format!("sh {}", path.display());
        let err = resolve(&config(Some(&command)), |_| None).expect_err("fails");
        let text = err.to_string();
        assert!(!text.contains(SECRET), "{text}");
        assert!(
            text.contains("exit 3") && text.contains("denied [token]"),
            "{text}"
        );
    }

    #[test]
    fn the_command_runs_without_a_shell() {
        let token = resolve(&config(Some("echo a;false|b")), |_| None).expect("token");
        // `echo` printed its argument verbatim: no shell split it.
        assert_eq!(token.secret(), "a;false|b");
    }
}
