//! The one error shape of every backend (git today, forges next), so a
//! front end can tell what went wrong without parsing messages: whether to
//! ask for credentials, wait for a rate limit, retry a network fault, or
//! show a refusal. Rendered in one line by `Display`; `kind` names the class.

use crate::cost::CostError;
use crate::plan::LoadError;

/// A failure of a backend, in one line.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The credentials were refused or are missing.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The backend refuses more calls until `reset_at` (Unix seconds).
    #[error("rate limited{}: {message}", reset_text(*.reset_at))]
    RateLimited {
        reset_at: Option<i64>,
        message: String,
    },
    /// The backend could not be reached, or the connection broke.
    #[error("network: {0}")]
    Network(String),
    #[error("{0}")]
    NotFound(String),
    /// Someone else changed it first (a ref moved, a head was modified).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A program the backend runs failed.
    #[error("{command} failed: {stderr_tail}")]
    Process {
        command: String,
        code: Option<i32>,
        /// The end of its standard error, whitespace folded to one line.
        stderr_tail: String,
    },
    /// What the backend answered could not be read.
    #[error("{0}")]
    Parse(String),
    #[error(transparent)]
    Plan(#[from] LoadError),
    #[error(transparent)]
    Cost(#[from] CostError),
    /// The request, a name or a value is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// plandeck itself failed (a background task panicked).
    #[error("{0}")]
    Internal(String),
}

/// The class of a [`BackendError`], for a front end to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Auth,
    RateLimited,
    Network,
    NotFound,
    Conflict,
    Process,
    Parse,
    Invalid,
    Io,
    Internal,
}

impl BackendError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Auth(_) => ErrorKind::Auth,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Network(_) => ErrorKind::Network,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Process { .. } => ErrorKind::Process,
            Self::Parse(_) | Self::Plan(_) | Self::Cost(_) => ErrorKind::Parse,
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::Io(_) => ErrorKind::Io,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The same error again (errors are not `Clone`: a plan's load error
    /// holds its cause), for each of several parts that one failure stopped.
    pub fn duplicate(&self) -> Self {
        match self {
            Self::Auth(t) => Self::Auth(t.clone()),
            Self::RateLimited { reset_at, message } => Self::RateLimited {
                reset_at: *reset_at,
                message: message.clone(),
            },
            Self::Network(t) => Self::Network(t.clone()),
            Self::NotFound(t) => Self::NotFound(t.clone()),
            Self::Conflict(t) => Self::Conflict(t.clone()),
            Self::Process {
                command,
                code,
                stderr_tail,
            } => Self::Process {
                command: command.clone(),
                code: *code,
                stderr_tail: stderr_tail.clone(),
            },
            Self::Parse(_) | Self::Plan(_) | Self::Cost(_) => Self::Parse(self.to_string()),
            Self::Invalid(t) => Self::Invalid(t.clone()),
            Self::Io(t) => Self::Io(t.clone()),
            Self::Internal(t) => Self::Internal(t.clone()),
        }
    }

    /// Worth trying again later without changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind(), ErrorKind::RateLimited | ErrorKind::Network)
    }
}

fn reset_text(reset_at: Option<i64>) -> String {
    match reset_at {
        Some(at) => {
            let wait = at.saturating_sub(crate::clock::unix_now()).max(0);
            let until = jiff::Timestamp::from_second(at)
                .map(|t| {
                    t.to_zoned(jiff::tz::TimeZone::system())
                        .strftime("%H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            format!(" until {until} ({wait}s more)")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_told_apart() {
        let cases = [
            (BackendError::Auth("bad token".into()), ErrorKind::Auth),
            (
                BackendError::RateLimited {
                    reset_at: None,
                    message: "API rate limit exceeded".into(),
                },
                ErrorKind::RateLimited,
            ),
            (BackendError::Network("reset".into()), ErrorKind::Network),
            (
                BackendError::Conflict("head modified".into()),
                ErrorKind::Conflict,
            ),
            (
                BackendError::Process {
                    command: "git merge".into(),
                    code: Some(1),
                    stderr_tail: "CONFLICT".into(),
                },
                ErrorKind::Process,
            ),
            (BackendError::Parse("not JSON".into()), ErrorKind::Parse),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
            assert_eq!(error.to_string().lines().count(), 1);
        }
        assert!(BackendError::Network("x".into()).is_transient());
        assert!(!BackendError::Conflict("x".into()).is_transient());
    }

    #[test]
    fn a_rate_limit_says_how_long_it_lasts() {
        let error = BackendError::RateLimited {
            reset_at: Some(crate::clock::unix_now() + 120),
            message: "API rate limit exceeded".into(),
        };
        let text = error.to_string();
        // `rate limited until HH:MM (1NNs more): …`, in the local time zone.
        let until = text.strip_prefix("rate limited until ").expect("until");
        let (clock, rest) = until.split_once(' ').expect("a time");
        assert!(
            clock.len() == 5
                && clock.as_bytes()[2] == b':'
                && clock.replace(':', "").parse::<u32>().is_ok(),
            "{text}"
        );
        assert!(rest.starts_with("(1"), "{text}");
        assert!(rest.ends_with("s more): API rate limit exceeded"), "{text}");
    }
}
