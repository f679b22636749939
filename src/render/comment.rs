//! One pull-request comment for a whole request: every root's summary,
//! within a character budget, starting with a hidden marker by which a
//! forge source finds the comment again to update it in place.
//!
//! Pure: no forge, no I/O. What goes first when the budget is short:
//! every root's heading, digest and cut line, then every root's flags,
//! warnings, moving module sources, counts, cost, unknown actions and
//! destructive changes (kind by kind across the roots), then the full
//! plans, which share what is left. Every untrusted string (title, root,
//! environment, state, anything from a plan) is escaped.

use super::RenderContext;
use super::markdown::{
    Cut, SummaryDoc, WholePlan, allocate, chars, code_span, count, extend_plans,
};
use crate::plan::Plan;
use crate::sanitize;
use crate::summary::Summary;

/// The comment's first line, invisible on GitHub: the comment plandeck
/// wrote is the one that starts with it.
pub const COMMENT_MARKER: &str = "<!-- plandeck:summary -->";
/// GitHub's limit on a comment's body, in characters.
pub const COMMENT_MAX_CHARS: usize = 65_536;
/// The smallest budget [`request_comment`] works with; a smaller one is
/// taken as this. It always holds the marker, the (clipped) title and head
/// and the line saying how many roots were left out.
pub const COMMENT_MIN_CHARS: usize = 1_000;

/// Clipped lengths of untrusted names, escaped, so one long string cannot
/// crowd out every root.
const TITLE_CHARS: usize = 200;
const ROOT_CHARS: usize = 120;
const ENVIRONMENT_CHARS: usize = 60;
const STATE_CHARS: usize = 300;
const SHA_CHARS: usize = 64;

/// A request and its roots, for [`request_comment`].
#[derive(Clone, Debug)]
pub struct RequestComment<'a> {
    /// The pull request's number, when the forge has numbers.
    pub number: Option<u64>,
    pub title: &'a str,
    pub head_sha: &'a str,
    pub roots: &'a [RootReport<'a>],
    /// The most characters the comment may hold (see [`COMMENT_MAX_CHARS`]
    /// and [`COMMENT_MIN_CHARS`]).
    pub max_chars: usize,
}

/// One root of the request.
#[derive(Clone, Debug)]
pub struct RootReport<'a> {
    pub root: &'a str,
    pub environment: Option<&'a str>,
    pub plan: RootPlan<'a>,
}

/// A root's plan, or why there is none.
#[derive(Clone, Debug)]
pub enum RootPlan<'a> {
    Planned {
        summary: &'a Summary,
        plan: &'a Plan,
        ctx: RenderContext<'a>,
        /// Named in the root's cut line when its summary was cut.
        whole_plan: WholePlan,
    },
    /// No plan to show, in words: "no plan (CI running)", "no plan",
    /// "plan unreadable: …" (escaped and clipped).
    Missing(&'a str),
}

/// One root's block: its heading and, with a plan, its summary.
struct Entry {
    heading: String,
    planned: Option<(SummaryDoc, String)>,
}

impl Entry {
    fn of(report: &RootReport<'_>) -> Self {
        let root = code_span(&clip(&sanitize::escape(report.root).text, ROOT_CHARS));
        let environment = report
            .environment
            .map(|e| {
                format!(
                    " · {}",
                    code_span(&clip(&sanitize::escape(e).text, ENVIRONMENT_CHARS))
                )
            })
            .unwrap_or_default();
        match &report.plan {
            RootPlan::Planned {
                summary,
                plan,
                ctx,
                whole_plan,
            } => {
                let doc = SummaryDoc::of(summary, plan, ctx);
                let heading = format!(
                    "\n### {} {root}{environment}: risk {}\n\n",
                    doc.icon, doc.highest
                );
                Self {
                    heading,
                    planned: Some((doc, whole_plan.markdown())),
                }
            }
            RootPlan::Missing(state) => Self {
                heading: format!(
                    "\n### ❔ {root}{environment}: {}\n",
                    prose(state, STATE_CHARS)
                ),
                planned: None,
            },
        }
    }

    fn chars(&self, cut: Option<&Cut>, max: usize, with_cut_line: bool) -> usize {
        let body = match (&self.planned, cut) {
            (Some((doc, pointer)), Some(cut)) => {
                doc.body_chars(cut, with_cut_line.then_some((max, pointer.as_str())))
            }
            _ => 0,
        };
        chars(&self.heading) + body
    }

    fn push(&self, md: &mut String, cut: Option<&Cut>, max: usize, with_cut_line: bool) {
        md.push_str(&self.heading);
        if let (Some((doc, pointer)), Some(cut)) = (&self.planned, cut) {
            doc.push_body(md, cut, with_cut_line.then_some((max, pointer.as_str())));
        }
    }
}

/// The comment for a request: the marker, the request, then each root.
/// Never longer than `max_chars` (or [`COMMENT_MIN_CHARS`] when that is
/// larger); when everything fits it holds each root's whole summary.
pub fn request_comment(input: &RequestComment<'_>) -> String {
    let max = input.max_chars.max(COMMENT_MIN_CHARS);
    let mut md = header(input);
    let entries: Vec<Entry> = input.roots.iter().map(Entry::of).collect();
    let whole: Vec<Option<Cut>> = entries
        .iter()
        .map(|e| e.planned.as_ref().map(|(doc, _)| Cut::all_shown(doc)))
        .collect();
    let whole_chars: usize = entries
        .iter()
        .zip(&whole)
        .map(|(e, cut)| e.chars(cut.as_ref(), max, false))
        .sum();
    if chars(&md) + whole_chars <= max {
        for (entry, cut) in entries.iter().zip(&whole) {
            entry.push(&mut md, cut.as_ref(), max, false);
        }
        return md;
    }
    // Each root's heading, digest and cut line at its longest, in order,
    // while they fit; the roots after that are only counted.
    let least: Vec<Option<Cut>> = entries
        .iter()
        .map(|e| e.planned.as_ref().map(|(doc, _)| Cut::none_shown(doc)))
        .collect();
    let needs: Vec<usize> = entries
        .iter()
        .zip(&least)
        .map(|(e, cut)| e.chars(cut.as_ref(), max, true))
        .collect();
    let mut room = max.saturating_sub(chars(&md));
    let total = entries.len();
    let mut kept = total;
    if needs.iter().sum::<usize>() > room {
        room = room.saturating_sub(chars(&roots_left_out(total, total, max)));
        kept = 0;
        for need in &needs {
            if *need > room {
                break;
            }
            room -= need;
            kept += 1;
        }
    } else {
        room -= needs.iter().sum::<usize>();
    }
    let entries = &entries[..kept];
    let planned: Vec<&SummaryDoc> = entries
        .iter()
        .filter_map(|e| e.planned.as_ref().map(|(doc, _)| doc))
        .collect();
    let mut cuts = allocate(&planned, room);
    // The cut lines were reserved at their longest; what they did not need
    // goes to the plans.
    let used = chars(&md) + placed_chars(entries, &cuts, max) + left_out_chars(kept, total, max);
    extend_plans(&planned, &mut cuts, max.saturating_sub(used));
    let mut cuts = cuts.iter();
    for entry in entries {
        let cut = entry.planned.as_ref().and_then(|_| cuts.next());
        entry.push(&mut md, cut, max, true);
    }
    if kept < total {
        md.push_str(&roots_left_out(total - kept, total, max));
    }
    debug_assert!(chars(&md) <= max, "{} > {max}", chars(&md));
    md
}

/// The characters of the kept entries with their cuts (planned entries
/// take the cuts in order).
fn placed_chars(entries: &[Entry], cuts: &[Cut], max: usize) -> usize {
    let mut cuts = cuts.iter();
    entries
        .iter()
        .map(|e| {
            let cut = e.planned.as_ref().and_then(|_| cuts.next());
            e.chars(cut, max, true)
        })
        .sum()
}

fn left_out_chars(kept: usize, total: usize, max: usize) -> usize {
    if kept < total {
        chars(&roots_left_out(total - kept, total, max))
    } else {
        0
    }
}

/// The marker, the request's number and title, its head and root count.
fn header(input: &RequestComment<'_>) -> String {
    let number = input.number.map(|n| format!("#{n} ")).unwrap_or_default();
    let roots = match input.roots.len() {
        1 => "1 root".to_string(),
        n => format!("{} roots", count(n)),
    };
    format!(
        "{COMMENT_MARKER}\n## plandeck: {number}{}\n\nHead {} · {roots}\n",
        prose(input.title, TITLE_CHARS),
        code_span(&clip(&sanitize::escape(input.head_sha).text, SHA_CHARS))
    )
}

fn roots_left_out(left_out: usize, total: usize, max: usize) -> String {
    format!(
        "\n<sub>… {} of {} roots left out to stay within {} characters</sub>\n",
        count(left_out),
        count(total),
        count(max)
    )
}

/// Untrusted prose escaped ([`sanitize::markdown_text`]) and clipped to
/// `cap` characters with `…`, never inside an escape.
fn prose(text: &str, cap: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let mut chars_of = text.chars().peekable();
    let mut buf = [0u8; 4];
    while let Some(c) = chars_of.next() {
        let piece = sanitize::markdown_text(c.encode_utf8(&mut buf));
        let n = chars(&piece);
        // Room for the ellipsis unless this is the last character.
        let reserve = usize::from(chars_of.peek().is_some());
        if used + n + reserve > cap {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        used += n;
    }
    out
}

/// Escaped text clipped to `cap` characters with `…` (inside a code span,
/// a cut escape is only text).
fn clip(escaped: &str, cap: usize) -> String {
    if chars(escaped) <= cap {
        return escaped.to_string();
    }
    let mut out: String = escaped.chars().take(cap.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_is_clipped_whole_escapes_only() {
        assert_eq!(prose("abc", 3), "abc");
        assert_eq!(prose("abcd", 3), "ab…");
        // `<` is four characters escaped: it is not cut in half.
        assert_eq!(prose("ab<cd", 5), "ab…");
        assert_eq!(prose("a\nb", 10), "a&#92;nb");
    }

    #[test]
    fn clip_keeps_short_text() {
        assert_eq!(clip("envs/prod", 20), "envs/prod");
        assert_eq!(clip("envs/production", 5), "envs…");
    }
}
