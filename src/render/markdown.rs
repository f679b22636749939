//! A plan summary as styled header lines and as Markdown for a
//! pull-request comment. These are `Summary` methods kept here, beside the
//! renderers they use, so `summary` (the numbers) never depends on
//! `render` (the text).

use super::{Line, RenderContext};
use crate::cost::format_delta;
use crate::plan::Plan;
use crate::risk::Risk;
use crate::sanitize;
use crate::summary::{Summary, actions_text};

impl Summary {
    /// The plan header as styled lines (the same as `show` starts with).
    pub fn text_lines(&self) -> Vec<Line> {
        super::plan_header_lines(self)
    }

    /// Markdown for a pull-request comment: a headline table, destructive
    /// changes up front, the full rendering in a collapsible block.
    pub fn to_markdown(&self, plan: &Plan, ctx: &RenderContext<'_>) -> String {
        let mut md = String::new();
        let icon = match self.risk.highest {
            Some(Risk::Critical) => "🛑",
            // U+26A0 alone: with the emoji selector (U+FE0F) the output
            // guard would escape it as an invisible character.
            Some(Risk::High) => "\u{26a0}",
            _ => "✅",
        };
        let highest = self.risk.highest.map_or("none", Risk::word);
        md.push_str(&format!("### {icon} Plan: risk {highest}\n\n"));
        for flag in &self.flags {
            md.push_str(&format!("> **{}**\n\n", sanitize::markdown_inline(flag)));
        }
        for warning in &self.warnings {
            md.push_str(&format!(
                "> warning: {}\n\n",
                sanitize::markdown_inline(warning)
            ));
        }
        if !self.moving_module_sources.is_empty() {
            md.push_str(&format!(
                "**🛑 Module sources that can move ({}): the code fetched at apply may not be \
                 the code reviewed**\n\n",
                self.moving_module_sources.len()
            ));
            for m in &self.moving_module_sources {
                let version = m
                    .version_constraint
                    .as_deref()
                    .map(|v| format!(" version {}", code_span(v)))
                    .unwrap_or_default();
                md.push_str(&format!(
                    "- {} source {}{version} — {}\n",
                    code_span(&m.module),
                    code_span(m.source.as_deref().unwrap_or("(none)")),
                    sanitize::markdown_inline(m.why)
                ));
            }
            md.push('\n');
        }
        let c = &self.counts;
        md.push_str("| create | update | delete | replace | read | forget | move | import |\n");
        md.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n\n",
            c.create, c.update, c.delete, c.replace, c.read, c.forget, c.moved, c.import
        ));
        if let Some(cost) = &self.cost {
            let delta = cost
                .monthly_delta
                .map_or("unknown".to_string(), |d| format_delta(d, &cost.currency));
            let badge = super::cost_badge(cost.level, &cost.thresholds, &cost.currency)
                .map(|b| format!(" **{b}**"))
                .unwrap_or_default();
            md.push_str(&format!(
                "**Cost:** {}{badge}\n\n",
                sanitize::markdown_inline(&delta)
            ));
        }
        if !self.unknown_actions.is_empty() {
            md.push_str(&format!(
                "**Unknown actions ({}), not judged by plandeck:**\n\n",
                self.unknown_actions.len()
            ));
            for u in &self.unknown_actions {
                md.push_str(&format!(
                    "- {} {}\n",
                    code_span(&u.address),
                    code_span(&actions_text(&u.actions))
                ));
            }
            md.push('\n');
        }
        if !self.destructive.is_empty() {
            md.push_str(&format!(
                "**Destructive changes ({}):**\n\n",
                self.destructive.len()
            ));
            for d in &self.destructive {
                md.push_str(&format!(
                    "- **{}** `{}` {} — {}\n",
                    d.risk.word().to_uppercase(),
                    d.symbol,
                    code_span(&d.address),
                    sanitize::markdown_inline(&d.reason)
                ));
            }
            md.push('\n');
        }
        let body: Vec<String> = super::plan_lines(plan, self, ctx)
            .iter()
            .map(Line::plain)
            .collect();
        let body = body.join("\n");
        let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
        md.push_str("<details><summary>Full plan</summary>\n\n");
        md.push_str(&format!("{fence}diff\n{body}\n{fence}\n\n</details>\n\n"));
        md.push_str(&format!(
            "<sub>digest <code>{}</code></sub>\n",
            sanitize::markdown_inline(&self.digest)
        ));
        md
    }
}

/// An inline code span that no backtick in the text can close early.
fn code_span(text: &str) -> String {
    let escaped = sanitize::escape(text).text.into_owned();
    let ticks = "`".repeat(longest_backtick_run(&escaped) + 1);
    format!("{ticks} {escaped} {ticks}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}
