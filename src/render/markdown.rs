//! A plan summary as styled header lines and as Markdown for a
//! pull-request comment, whole or within a character limit. These are
//! `Summary` methods kept here, beside the renderers they use, so `summary`
//! (the numbers) never depends on `render` (the text).
//!
//! The Markdown is first built as a [`SummaryDoc`]: the pieces a limit may
//! shorten, in the order they are printed, which is also their order of
//! importance. `fit` decides how much of each piece a limit leaves room
//! for; nothing here measures or cuts.

mod fit;
mod parts;

pub(crate) use fit::{Cut, allocate, extend_plans};
use parts::{cost_line, counts_table, destructive, moving_sources, paragraphs, unknown_actions};

use super::{Line, RenderContext};
use crate::cost::group_thousands;
use crate::plan::Plan;
use crate::risk::Risk;
use crate::sanitize;
use crate::summary::Summary;

/// How long the Markdown may be, and where the line saying what was cut
/// sends the reader for the whole plan.
#[derive(Clone, Debug)]
pub struct MarkdownLimit {
    /// The most characters (Unicode scalar values, not bytes) the Markdown
    /// may hold; GitHub's comment limit is 65,536 characters.
    pub max_chars: usize,
    pub whole_plan: WholePlan,
}

/// Where the whole plan can be read, for the line saying what was cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WholePlan {
    /// A command, shown as inline code (`plandeck show plan.json`).
    Command(String),
    /// Words, shown as escaped prose ("the plan artifact of the CI run").
    Text(String),
}

impl WholePlan {
    pub(crate) fn markdown(&self) -> String {
        match self {
            Self::Command(command) => code_span(command),
            Self::Text(text) => sanitize::markdown_inline(text),
        }
    }
}

/// A limit that cannot hold the headline, the digest and the line saying
/// what was cut.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a limit of {limit} characters is too small for this summary: its headline, digest and the \
     line saying what was cut need {needed}"
)]
pub struct LimitTooSmall {
    pub limit: usize,
    /// The smallest limit accepted for this summary and pointer: every
    /// limit from there on works.
    pub needed: usize,
}

impl Summary {
    /// The plan header as styled lines (the same as `show` starts with).
    pub fn text_lines(&self) -> Vec<Line> {
        super::plan_header_lines(self)
    }

    /// Markdown for a pull-request comment: a headline table, destructive
    /// changes up front, the full rendering in a collapsible block.
    pub fn to_markdown(&self, plan: &Plan, ctx: &RenderContext<'_>) -> String {
        let doc = SummaryDoc::of(self, plan, ctx);
        let mut md = doc.plan_headline();
        doc.push_body(&mut md, &Cut::all_shown(&doc), None);
        md
    }

    /// [`Self::to_markdown`] within `limit.max_chars` characters. What does
    /// not fit is cut from the end of the order of importance — the
    /// headline, flags, warnings, moving module sources, counts, cost,
    /// unknown actions, destructive changes, the full plan (at a line
    /// boundary, its code fence and `<details>` still closed) — and one line
    /// before the digest says what was cut and where the whole plan is.
    /// Output that fits is exactly [`Self::to_markdown`]'s.
    pub fn to_markdown_within(
        &self,
        plan: &Plan,
        ctx: &RenderContext<'_>,
        limit: &MarkdownLimit,
    ) -> Result<String, LimitTooSmall> {
        let doc = SummaryDoc::of(self, plan, ctx);
        let mut md = doc.plan_headline();
        let max = limit.max_chars;
        let all = Cut::all_shown(&doc);
        if chars(&md) + doc.body_chars(&all, None) <= max {
            doc.push_body(&mut md, &all, None);
            return Ok(md);
        }
        let pointer = limit.whole_plan.markdown();
        let cut_line = Some((max, pointer.as_str()));
        // The headline, the digest and the cut line at its longest (with
        // the widest limit, so that every limit above `needed` works too).
        let needed = chars(&md)
            + doc.body_chars(&Cut::none_shown(&doc), Some((usize::MAX, pointer.as_str())));
        let Some(room) = max.checked_sub(needed) else {
            return Err(LimitTooSmall { limit: max, needed });
        };
        let mut cuts = allocate(&[&doc], room);
        // What the cut line did not need of its reservation goes to the plan.
        let used = chars(&md) + doc.body_chars(&cuts[0], cut_line);
        extend_plans(&[&doc], &mut cuts, max.saturating_sub(used));
        doc.push_body(&mut md, &cuts[0], cut_line);
        debug_assert!(chars(&md) <= max, "{} > {max}", chars(&md));
        Ok(md)
    }
}

/// Characters (Unicode scalar values): what GitHub's limits count.
pub(crate) fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `12345` → `12,345`.
pub(crate) fn count(n: usize) -> String {
    group_thousands(&n.to_string())
}

/// One piece of the Markdown that a limit may shorten: a heading, items
/// and a trailer, each item kept or cut whole.
#[derive(Clone, Debug)]
pub(crate) struct Part {
    /// Printed before the first item when the part is shown at all.
    pub heading: String,
    pub items: Vec<String>,
    /// Printed after the items (the blank line that ends a list).
    pub trailer: &'static str,
    /// A list says in place how many of its items were left out.
    pub is_list: bool,
    /// What the cut line calls one item and several.
    pub singular: &'static str,
    pub plural: &'static str,
}

/// The full plan's lines in a fenced block inside `<details>`.
#[derive(Clone, Debug)]
pub(crate) struct PlanBlock {
    pub lines: Vec<String>,
    /// Longer than any backtick run of the lines, so none can close it.
    pub fence: String,
}

/// A summary's Markdown in pieces, in the order printed and of importance.
#[derive(Clone, Debug)]
pub(crate) struct SummaryDoc {
    pub icon: &'static str,
    pub highest: &'static str,
    /// Flags, warnings, moving module sources, counts, cost, unknown
    /// actions, destructive changes: each present only when not empty, at
    /// the index of its kind ([`PART_KINDS`]) so several summaries' parts of
    /// one kind can be weighed together.
    pub parts: Vec<Option<Part>>,
    pub plan: PlanBlock,
    /// The last line: `<sub>digest <code>…</code></sub>`.
    pub digest: String,
}

/// How many kinds of part a summary has (see [`SummaryDoc::parts`]).
pub(crate) const PART_KINDS: usize = 7;

impl SummaryDoc {
    pub(crate) fn of(summary: &Summary, plan: &Plan, ctx: &RenderContext<'_>) -> Self {
        let icon = match summary.risk.highest {
            Some(Risk::Critical) => "🛑",
            // U+26A0 alone: with the emoji selector (U+FE0F) the output
            // guard would escape it as an invisible character.
            Some(Risk::High) => "\u{26a0}",
            _ => "✅",
        };
        let mut body: Vec<String> = super::plan_lines(plan, summary, ctx)
            .iter()
            .map(Line::plain)
            .collect();
        if body.is_empty() {
            // Printed the same as no line at all, and a block of zero lines
            // would read as both "all shown" and "none shown".
            body.push(String::new());
        }
        let longest = body
            .iter()
            .map(|l| longest_backtick_run(l))
            .max()
            .unwrap_or(0);
        let parts = vec![
            paragraphs(
                summary
                    .flags
                    .iter()
                    .map(|f| format!("> **{}**\n\n", sanitize::markdown_inline(f))),
                ("status flag", "status flags"),
            ),
            paragraphs(
                summary
                    .warnings
                    .iter()
                    .map(|w| format!("> warning: {}\n\n", sanitize::markdown_inline(w))),
                ("warning", "warnings"),
            ),
            moving_sources(summary),
            paragraphs(
                std::iter::once(counts_table(summary)),
                ("table of counts", "tables of counts"),
            ),
            paragraphs(cost_line(summary), ("cost line", "cost lines")),
            unknown_actions(summary),
            destructive(summary),
        ];
        debug_assert_eq!(parts.len(), PART_KINDS);
        Self {
            icon,
            highest: summary.risk.highest.map_or("none", Risk::word),
            parts,
            plan: PlanBlock {
                lines: body,
                fence: "`".repeat(longest.max(2) + 1),
            },
            digest: format!(
                "<sub>digest <code>{}</code></sub>\n",
                sanitize::markdown_inline(&summary.digest)
            ),
        }
    }

    /// The headline of a summary on its own.
    fn plan_headline(&self) -> String {
        format!("### {} Plan: risk {}\n\n", self.icon, self.highest)
    }

    /// Everything after the headline, as `cut` leaves it; `cut_line` is the
    /// limit and the whole-plan pointer, for the line saying what was cut.
    pub(crate) fn push_body(&self, md: &mut String, cut: &Cut, cut_line: Option<(usize, &str)>) {
        for (part, shown) in self.parts.iter().zip(&cut.shown) {
            if let (Some(part), Some(shown)) = (part, shown) {
                part.push(md, *shown);
            }
        }
        self.plan.push(md, cut.plan_lines);
        if let Some((limit, pointer)) = cut_line {
            md.push_str(&self.cut_line(cut, limit, pointer));
        }
        md.push_str(&self.digest);
    }

    /// The characters [`Self::push_body`] writes.
    pub(crate) fn body_chars(&self, cut: &Cut, cut_line: Option<(usize, &str)>) -> usize {
        let parts: usize = self
            .parts
            .iter()
            .zip(&cut.shown)
            .map(|(part, shown)| match (part, shown) {
                (Some(part), Some(shown)) => part.chars(*shown),
                _ => 0,
            })
            .sum();
        let line = cut_line.map_or(0, |(limit, pointer)| {
            chars(&self.cut_line(cut, limit, pointer))
        });
        parts
            + self.plan.chars(self.plan.lines.len().min(cut.plan_lines))
            + line
            + chars(&self.digest)
    }

    /// The line saying what `cut` left out, or nothing when it left out
    /// nothing. Never longer than for [`Cut::nothing`]: every count in it
    /// is at most its total, and fewer things cut means fewer words.
    pub(crate) fn cut_line(&self, cut: &Cut, limit: usize, pointer: &str) -> String {
        let mut what: Vec<String> = Vec::new();
        for (part, shown) in self.parts.iter().zip(&cut.shown) {
            let Some(part) = part else { continue };
            let n = part.items.len();
            let left_out = n - shown.unwrap_or(0).min(n);
            if left_out > 0 {
                what.push(if n == 1 {
                    format!("the {}", part.singular)
                } else {
                    format!("{} of {} {}", count(left_out), count(n), part.plural)
                });
            }
        }
        let n = self.plan.lines.len();
        let left_out = n - cut.plan_lines.min(n);
        if left_out > 0 {
            what.push(format!(
                "{} of {} lines of the full plan",
                count(left_out),
                count(n)
            ));
        }
        if what.is_empty() {
            return String::new();
        }
        format!(
            "<sub>… {} cut to stay within {} characters; the whole plan: {pointer}</sub>\n\n",
            join_and(&what),
            count(limit)
        )
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Part {
    /// Heading, the first `shown` items, the note saying how many were left
    /// out (lists), trailer.
    fn push(&self, md: &mut String, shown: usize) {
        let shown = shown.min(self.items.len());
        if shown == 0 && !self.is_list {
            return;
        }
        md.push_str(&self.heading);
        for item in &self.items[..shown] {
            md.push_str(item);
        }
        if let Some(note) = self.note(shown) {
            md.push_str(&note);
        }
        md.push_str(self.trailer);
    }

    pub(crate) fn chars(&self, shown: usize) -> usize {
        let shown = shown.min(self.items.len());
        if shown == 0 && !self.is_list {
            return 0;
        }
        chars(&self.heading)
            + self.items[..shown].iter().map(|i| chars(i)).sum::<usize>()
            + self.note(shown).map_or(0, |n| chars(&n))
            + chars(self.trailer)
    }

    fn note(&self, shown: usize) -> Option<String> {
        let left_out = self.items.len() - shown;
        (self.is_list && left_out > 0).then(|| {
            format!(
                "- … {} more left out to stay within the length limit\n",
                count(left_out)
            )
        })
    }
}

impl PlanBlock {
    /// The `<details>` block with the first `shown` lines, or nothing when
    /// none is shown (a plan with no lines at all is shown whole).
    fn push(&self, md: &mut String, shown: usize) {
        let fence = &self.fence;
        if shown >= self.lines.len() {
            md.push_str("<details><summary>Full plan</summary>\n\n");
            md.push_str(&format!(
                "{fence}diff\n{}\n{fence}\n\n</details>\n\n",
                self.lines.join("\n")
            ));
        } else if shown > 0 {
            md.push_str(&self.partial_open(shown));
            for line in &self.lines[..shown] {
                md.push_str(line);
                md.push('\n');
            }
            md.push_str(&format!("{fence}\n\n</details>\n\n"));
        }
    }

    fn partial_open(&self, shown: usize) -> String {
        format!(
            "<details><summary>Full plan (first {} of {} lines)</summary>\n\n{}diff\n",
            count(shown),
            count(self.lines.len()),
            self.fence
        )
    }

    pub(crate) fn chars(&self, shown: usize) -> usize {
        let fence = chars(&self.fence);
        let lines = &self.lines[..shown.min(self.lines.len())];
        let text: usize = lines.iter().map(|l| chars(l) + 1).sum();
        if shown >= self.lines.len() {
            // `join` puts no newline after the last line; the format one.
            let text = text.max(1);
            chars("<details><summary>Full plan</summary>\n\n") + fence + 5 + text + fence + 14
        } else if shown > 0 {
            chars(&self.partial_open(shown)) + text + fence + 14
        } else {
            0
        }
    }
}

/// An inline code span that no backtick in the text can close early.
pub(crate) fn code_span(text: &str) -> String {
    let escaped = sanitize::escape(text).text.into_owned();
    let ticks = "`".repeat(longest_backtick_run(&escaped) + 1);
    format!("{ticks} {escaped} {ticks}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}
