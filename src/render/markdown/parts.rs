//! The parts of a summary's Markdown, each as a heading and items, built
//! from the summary; every untrusted string escaped here.

use super::{Part, code_span};
use crate::cost::format_delta;
use crate::sanitize;
use crate::summary::{Summary, actions_text};

/// Paragraph items (flags, warnings, the table, cost): no heading, no note.
pub(super) fn paragraphs(
    items: impl IntoIterator<Item = String>,
    (singular, plural): (&'static str, &'static str),
) -> Option<Part> {
    let items: Vec<String> = items.into_iter().collect();
    (!items.is_empty()).then_some(Part {
        heading: String::new(),
        items,
        trailer: "",
        is_list: false,
        singular,
        plural,
    })
}

fn list(
    heading: String,
    items: Vec<String>,
    (singular, plural): (&'static str, &'static str),
) -> Option<Part> {
    (!items.is_empty()).then_some(Part {
        heading,
        items,
        trailer: "\n",
        is_list: true,
        singular,
        plural,
    })
}

pub(super) fn moving_sources(summary: &Summary) -> Option<Part> {
    let sources = &summary.moving_module_sources;
    let items = sources
        .iter()
        .map(|m| {
            let version = m
                .version_constraint
                .as_deref()
                .map(|v| format!(" version {}", code_span(v)))
                .unwrap_or_default();
            format!(
                "- {} source {}{version} — {}\n",
                code_span(&m.module),
                code_span(m.source.as_deref().unwrap_or("(none)")),
                sanitize::markdown_inline(m.why)
            )
        })
        .collect();
    list(
        format!(
            "**🛑 Module sources that can move ({}): the code fetched at apply may not be \
             the code reviewed**\n\n",
            sources.len()
        ),
        items,
        (
            "module source that can move",
            "module sources that can move",
        ),
    )
}

pub(super) fn counts_table(summary: &Summary) -> String {
    let c = &summary.counts;
    format!(
        "| create | update | delete | replace | read | forget | move | import |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n\
         | {} | {} | {} | {} | {} | {} | {} | {} |\n\n",
        c.create, c.update, c.delete, c.replace, c.read, c.forget, c.moved, c.import
    )
}

pub(super) fn cost_line(summary: &Summary) -> Option<String> {
    let cost = summary.cost.as_ref()?;
    let delta = cost
        .monthly_delta
        .map_or("unknown".to_string(), |d| format_delta(d, &cost.currency));
    let badge = crate::render::cost_badge(cost.level, &cost.thresholds, &cost.currency)
        .map(|b| format!(" **{b}**"))
        .unwrap_or_default();
    Some(format!(
        "**Cost:** {}{badge}\n\n",
        sanitize::markdown_inline(&delta)
    ))
}

pub(super) fn unknown_actions(summary: &Summary) -> Option<Part> {
    let unknown = &summary.unknown_actions;
    list(
        format!(
            "**Unknown actions ({}), not judged by plandeck:**\n\n",
            unknown.len()
        ),
        unknown
            .iter()
            .map(|u| {
                format!(
                    "- {} {}\n",
                    code_span(&u.address),
                    code_span(&actions_text(&u.actions))
                )
            })
            .collect(),
        ("unknown action", "unknown actions"),
    )
}

pub(super) fn destructive(summary: &Summary) -> Option<Part> {
    let destructive = &summary.destructive;
    list(
        format!("**Destructive changes ({}):**\n\n", destructive.len()),
        destructive
            .iter()
            .map(|d| {
                format!(
                    "- **{}** `{}` {} — {}\n",
                    d.risk.word().to_uppercase(),
                    d.symbol,
                    code_span(&d.address),
                    sanitize::markdown_inline(&d.reason)
                )
            })
            .collect(),
        ("destructive change", "destructive changes"),
    )
}
