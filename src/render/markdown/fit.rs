//! How much of one or several summaries a character budget leaves room
//! for: parts by kind across every summary first (all flags, then all
//! warnings, …, then all destructive changes), then the full plans, which
//! share what is left. It only measures; `markdown` prints.

use super::{PART_KINDS, Part, PlanBlock, SummaryDoc, chars};

/// What a budget keeps of one summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Per part kind: `None` left out whole, `Some(k)` its first `k` items
    /// (a list with `k` = 0 keeps its heading and says all were left out).
    pub shown: Vec<Option<usize>>,
    /// The full plan's first lines kept; 0 leaves the block out.
    pub plan_lines: usize,
}

impl Cut {
    /// Everything kept: the output without a limit.
    pub(crate) fn all_shown(doc: &SummaryDoc) -> Self {
        Self {
            shown: doc
                .parts
                .iter()
                .map(|p| p.as_ref().map(|p| p.items.len()))
                .collect(),
            plan_lines: doc.plan.lines.len(),
        }
    }

    /// Everything left out: its cut line is the longest one can be.
    pub(crate) fn none_shown(doc: &SummaryDoc) -> Self {
        Self {
            shown: vec![None; doc.parts.len()],
            plan_lines: 0,
        }
    }
}

/// Shares `room` characters: every summary's parts, kind by kind, then
/// the full plans (a fair share each, what a small plan does not need
/// going to the larger ones, then any rest in order).
pub(crate) fn allocate(docs: &[&SummaryDoc], room: usize) -> Vec<Cut> {
    let mut cuts: Vec<Cut> = docs.iter().map(|d| Cut::none_shown(d)).collect();
    let mut left = room;
    for kind in 0..PART_KINDS {
        for (doc, cut) in docs.iter().zip(cuts.iter_mut()) {
            if let Some(part) = doc.parts.get(kind).and_then(Option::as_ref) {
                let shown = part.most_items_within(left);
                left -= shown.map_or(0, |k| part.chars(k));
                cut.shown[kind] = shown;
            }
        }
    }
    let mut by_size: Vec<(usize, usize)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.plan.chars(d.plan.lines.len()), i))
        .collect();
    by_size.sort_unstable();
    let mut pending = by_size.len();
    for (whole, i) in by_size {
        let share = left / pending;
        let plan = &docs[i].plan;
        let shown = if whole <= share {
            plan.lines.len()
        } else {
            plan.most_lines_within(share)
        };
        left -= plan.chars(shown);
        cuts[i].plan_lines = shown;
        pending -= 1;
    }
    extend_plans(docs, &mut cuts, left);
    cuts
}

/// Gives up to `extra` more characters to the plans that were cut, in
/// order; returns what it used.
pub(crate) fn extend_plans(docs: &[&SummaryDoc], cuts: &mut [Cut], mut extra: usize) -> usize {
    let mut used = 0;
    for (doc, cut) in docs.iter().zip(cuts.iter_mut()) {
        let plan = &doc.plan;
        if cut.plan_lines >= plan.lines.len() {
            continue;
        }
        let now = plan.chars(cut.plan_lines);
        let shown = plan.most_lines_within(now + extra).max(cut.plan_lines);
        let more = plan.chars(shown) - now;
        extra -= more;
        used += more;
        cut.plan_lines = shown;
    }
    used
}

impl Part {
    /// The most items that fit in `budget` characters with the heading,
    /// trailer and (for a list) the note; `None` when not even that fits.
    pub(crate) fn most_items_within(&self, budget: usize) -> Option<usize> {
        let n = self.items.len();
        if self.chars(n) <= budget {
            return Some(n);
        }
        let fixed = chars(&self.heading) + chars(self.trailer);
        let mut best = None;
        let mut items = 0;
        for k in 0..n {
            if k > 0 {
                items += chars(&self.items[k - 1]);
            }
            if fixed + items > budget {
                break;
            }
            let note = if self.is_list {
                self.note(k).map_or(0, |n| chars(&n))
            } else {
                0
            };
            if fixed + items + note <= budget && (k > 0 || self.is_list) {
                best = Some(k);
            }
        }
        best
    }
}

impl PlanBlock {
    /// The most lines whose block fits in `budget` characters (0: none).
    pub(crate) fn most_lines_within(&self, budget: usize) -> usize {
        let n = self.lines.len();
        if self.chars(n) <= budget {
            return n;
        }
        // A partial block: the opening names how many lines it keeps.
        let fixed = chars(&self.partial_open(0)) - 1 - count_chars(n) + chars(&self.fence) + 14;
        let mut text = 0;
        let mut best = 0;
        for (i, line) in self.lines.iter().enumerate().take(n.saturating_sub(1)) {
            text += chars(line) + 1;
            let k = i + 1;
            let total = fixed + count_chars(k) + count_chars(n) + text;
            if total > budget {
                break;
            }
            best = k;
        }
        debug_assert!(best == 0 || self.chars(best) <= budget);
        best
    }
}

/// The characters of [`count`]`(n)`, without building it.
fn count_chars(n: usize) -> usize {
    let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    digits + (digits - 1) / 3
}

#[cfg(test)]
mod tests {
    use super::super::count;
    use super::*;

    #[test]
    fn count_chars_matches_count() {
        for n in [
            0,
            1,
            9,
            10,
            999,
            1_000,
            12_345,
            999_999,
            1_000_000,
            usize::MAX,
        ] {
            assert_eq!(count_chars(n), chars(&count(n)), "{n}");
        }
    }
}
