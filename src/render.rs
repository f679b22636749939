//! Pure rendering of plans into styled lines.
//!
//! Renderers build [`Line`]s of [`Span`]s tagged with a semantic [`Role`];
//! the CLI turns them into ANSI text (`ansi`), the TUI into ratatui styles.
//! Every untrusted string goes through `crate::sanitize` here, at the point
//! where it becomes a span, so no caller can forget it. Nothing in this
//! module reads files, the clock or the environment.

pub mod ansi;
mod comment;
mod markdown;
mod resource;
mod sections;
mod value;

pub use comment::{
    COMMENT_MARKER, COMMENT_MAX_CHARS, COMMENT_MIN_CHARS, RequestComment, RootPlan, RootReport,
    request_comment,
};
pub use markdown::{LimitTooSmall, MarkdownLimit, WholePlan};
pub use resource::{ResourceView, cost_badge, cost_role, resource_header_text, resource_lines};
pub use sections::{
    checks_lines, deferred_lines, drift_lines, is_shown, outputs_lines, plan_chunks,
    plan_header_lines, plan_lines,
};

use crate::cost::{CostReport, CostThresholds};
use crate::risk::RiskPolicy;
use crate::sanitize;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// What a span means; the front end decides how that looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Plain,
    Muted,
    Heading,
    Create,
    Update,
    Delete,
    Replace,
    Read,
    /// A value not known until apply.
    Unknown,
    /// The `(sensitive value)` placeholder.
    Sensitive,
    /// Critical risk: data loss is possible.
    Critical,
    High,
    Warning,
    /// A string held control, bidi or invisible characters (shown escaped).
    Flag,
    CostUp,
    CostDown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub role: Role,
    /// Borrowed for our own fixed words and symbols, owned for the rest.
    pub text: Cow<'static, str>,
}

/// One rendered line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    pub spans: Vec<Span>,
}

impl Line {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends trusted text (our own words and symbols).
    pub fn push(&mut self, role: Role, text: impl Into<Cow<'static, str>>) -> &mut Self {
        let text = text.into();
        if !text.is_empty() {
            self.spans.push(Span { role, text });
        }
        self
    }

    /// Appends an untrusted string shown bare (addresses, names).
    pub fn push_untrusted(&mut self, role: Role, text: &str) -> &mut Self {
        let escaped = sanitize::escape(text);
        self.push(role, escaped.text.into_owned());
        if escaped.flagged {
            self.flag();
        }
        self
    }

    /// Appends an untrusted string shown inside double quotes.
    pub fn push_quoted(&mut self, role: Role, text: &str) -> &mut Self {
        let escaped = sanitize::escape_quoted(text);
        self.push(role, "\"")
            .push(role, escaped.text.into_owned())
            .push(role, "\"");
        if escaped.flagged {
            self.flag();
        }
        self
    }

    fn flag(&mut self) {
        if !self.spans.iter().any(|s| s.role == Role::Flag) {
            self.spans.push(Span {
                role: Role::Flag,
                text: " ⚠ hidden characters".into(),
            });
        }
    }

    /// Moves flags to the end of the line, where they cannot split a value.
    fn finish(mut self) -> Self {
        if let Some(i) = self.spans.iter().position(|s| s.role == Role::Flag) {
            let flag = self.spans.remove(i);
            self.spans.push(flag);
        }
        self
    }

    /// The text without styles.
    pub fn plain(&self) -> String {
        self.spans.iter().map(|s| s.text.as_ref()).collect()
    }

    pub fn is_flagged(&self) -> bool {
        self.spans.iter().any(|s| s.role == Role::Flag)
    }
}

/// `n` spaces, without allocating for ordinary indentation.
pub(crate) fn spaces(n: usize) -> Cow<'static, str> {
    const SPACES: &str = "                                                                ";
    match SPACES.get(..n) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(" ".repeat(n)),
    }
}

/// Choices that change what is shown, not what the plan says.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Show unchanged attributes and elements instead of folding them.
    pub show_unchanged: bool,
    /// Attribute names folded away by noise rules (e.g. `tags_all`); the
    /// count of what was hidden is always shown.
    pub noise_attributes: BTreeSet<String>,
}

/// What rendering needs besides the plan.
#[derive(Clone, Copy, Debug)]
pub struct RenderContext<'a> {
    pub risk: &'a RiskPolicy,
    pub cost: Option<&'a CostReport>,
    pub cost_thresholds: &'a CostThresholds,
    pub options: &'a RenderOptions,
}
