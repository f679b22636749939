//! The delta as styled lines in Terraform's vocabulary: a headline with the
//! counts and both digests, changes that became destructive first, the
//! configuration that runs (`config`), then each added, removed and changed
//! resource, then outputs (`outputs`).
//!
//! Attribute diffs (earlier plan → this plan) go through
//! `render::resource_lines` and `render::outputs_lines` on synthetic changes,
//! so values are shown, escaped and hidden exactly as `show` does: nothing
//! here prints a value itself. Every plan string goes through
//! `Line::push_untrusted`. Nothing here reads files or decides policy.

use super::{Aspect, PlanDelta, ResourceDelta, values};
use crate::plan::{Change, ChangeKind, ResourceChange};
use crate::render::{Line, RenderContext, ResourceView, Role, resource_lines};

/// The whole delta, in reading order.
#[must_use]
pub fn delta_lines(delta: &PlanDelta, ctx: &RenderContext<'_>) -> Vec<Line> {
    let mut lines = headline(delta, ctx);
    lines.extend(super::config::config_lines(
        &delta.modules,
        &delta.provisioners,
    ));
    for rd in &delta.added {
        lines.push(Line::new());
        lines.extend(added(rd, ctx));
    }
    if !delta.removed.is_empty() {
        lines.push(Line::new());
        lines.extend(delta.removed.iter().map(removed));
    }
    for rd in &delta.changed {
        lines.push(Line::new());
        lines.extend(changed(rd, ctx));
    }
    lines.extend(super::outputs::output_lines(delta, ctx));
    lines
}

/// Moves the hidden-characters flag to the end, where it cannot split a value.
pub(super) fn flags_last(mut line: Line) -> Line {
    if let Some(i) = line.spans.iter().position(|s| s.role == Role::Flag) {
        let flag = line.spans.remove(i);
        line.spans.push(flag);
    }
    line
}

pub(super) fn text_line(role: Role, text: impl Into<std::borrow::Cow<'static, str>>) -> Line {
    let mut line = Line::new();
    line.push(role, text);
    line
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn headline(delta: &PlanDelta, ctx: &RenderContext<'_>) -> Vec<Line> {
    let mut counts = Line::new();
    counts
        .push(Role::Heading, "Since the earlier plan: ")
        .push(
            Role::Create,
            format!("{} added", plural(delta.added.len(), "resource")),
        )
        .push(Role::Plain, ", ")
        .push(Role::Delete, format!("{} removed", delta.removed.len()))
        .push(Role::Plain, ", ")
        .push(Role::Update, format!("{} changed", delta.changed.len()))
        .push(Role::Plain, ", ")
        .push(Role::Muted, format!("{} unchanged", delta.unchanged));
    let mut lines = vec![counts];
    let outputs = [
        delta.outputs_added.len(),
        delta.outputs_removed.len(),
        delta.outputs_changed.len(),
    ];
    if outputs.iter().any(|n| *n > 0) {
        let [a, r, c] = outputs;
        lines.push(text_line(
            Role::Plain,
            format!("Outputs: {a} added, {r} removed, {c} changed"),
        ));
    }
    if !delta.modules.is_empty() || !delta.provisioners.is_empty() {
        lines.push(text_line(
            Role::Warning,
            format!(
                "Configuration: {} module call(s), {} provisioner(s) differ",
                delta.modules.len(),
                delta.provisioners.len()
            ),
        ));
    }
    for rd in delta.escalations() {
        let mut line = Line::new();
        line.push(Role::Critical, "!! now destructive: ")
            .push_untrusted(Role::Critical, &rd.address);
        line.push(Role::Plain, " ");
        transition(&mut line, rd);
        badge(&mut line, rd, ctx);
        lines.push(flags_last(line));
    }
    lines.extend(digest_lines(delta));
    if delta.is_empty() {
        lines.push(text_line(
            Role::Heading,
            "Nothing changed since the earlier plan.",
        ));
    }
    lines
}

fn digest_lines(delta: &PlanDelta) -> Vec<Line> {
    let digest = |label: &'static str, digest: &str| {
        let mut line = Line::new();
        line.push(Role::Muted, label)
            .push_untrusted(Role::Muted, digest);
        line
    };
    if delta.same_digest {
        vec![digest(
            "Same digest as the earlier plan: ",
            &delta.new_digest,
        )]
    } else {
        vec![
            digest("Earlier plan digest: ", &delta.old_digest),
            digest("This plan digest:    ", &delta.new_digest),
        ]
    }
}

/// The action as an operator says it; unknown action lists as written.
fn action_text(actions: &[String]) -> String {
    match ChangeKind::from_actions(actions) {
        ChangeKind::Unknown(words) => words.join(", "),
        ChangeKind::CreateThenDelete => "replace (create before destroy)".to_string(),
        kind => kind.word().to_string(),
    }
}

fn action_role(actions: &[String]) -> Role {
    match ChangeKind::from_actions(actions) {
        ChangeKind::Create => Role::Create,
        ChangeKind::Update => Role::Update,
        ChangeKind::Delete => Role::Delete,
        ChangeKind::DeleteThenCreate | ChangeKind::CreateThenDelete => Role::Replace,
        ChangeKind::Read => Role::Read,
        ChangeKind::NoOp | ChangeKind::Forget => Role::Muted,
        ChangeKind::Unknown(_) => Role::High,
    }
}

/// `update → replace`, critical when the change became destructive.
fn transition(line: &mut Line, rd: &ResourceDelta) {
    actions_transition(
        line,
        rd.old_actions.as_deref(),
        rd.new_actions.as_deref(),
        rd.escalated,
    );
}

pub(super) fn actions_transition(
    line: &mut Line,
    old: Option<&[String]>,
    new: Option<&[String]>,
    escalated: bool,
) {
    let role = |actions: &[String]| {
        if escalated {
            Role::Critical
        } else {
            action_role(actions)
        }
    };
    match (old, new) {
        (Some(old), Some(new)) if old == new => {
            line.push(Role::Muted, "(still ")
                .push_untrusted(action_role(new), &action_text(new))
                .push(Role::Muted, ")");
        }
        (Some(old), Some(new)) => {
            line.push_untrusted(action_role(old), &action_text(old))
                .push(role(new), " → ")
                .push_untrusted(role(new), &action_text(new));
        }
        (None, Some(new)) => {
            line.push(Role::Muted, "(")
                .push_untrusted(role(new), &action_text(new))
                .push(Role::Muted, ")");
        }
        (Some(old), None) => {
            line.push(Role::Muted, "(was: ")
                .push_untrusted(Role::Muted, &action_text(old))
                .push(Role::Muted, ")");
        }
        (None, None) => {}
    }
}

/// `[NOW DESTRUCTIVE: replaces a data-bearing resource (aws_db_instance)]`.
fn badge(line: &mut Line, rd: &ResourceDelta, ctx: &RenderContext<'_>) {
    let Some(new) = rd.new.as_ref().filter(|_| rd.escalated) else {
        return;
    };
    let reason = ctx.risk.assess(new).reason;
    line.push(Role::Plain, " ")
        .push(Role::Critical, "[NOW DESTRUCTIVE: ")
        .push_untrusted(Role::Critical, &reason)
        .push(Role::Critical, "]");
}

fn label(role: Role, words: &'static str, rd: &ResourceDelta) -> Line {
    let mut line = Line::new();
    line.push(role, words)
        .push_untrusted(Role::Heading, &rd.address);
    if let Some(key) = &rd.deposed {
        line.push(Role::Muted, " (deposed object ")
            .push_untrusted(Role::Muted, key)
            .push(Role::Muted, ")");
    }
    line.push(Role::Plain, " ");
    line
}

fn added(rd: &ResourceDelta, ctx: &RenderContext<'_>) -> Vec<Line> {
    let mut title = label(Role::Create, "+ added to the plan: ", rd);
    transition(&mut title, rd);
    badge(&mut title, rd, ctx);
    let mut lines = vec![flags_last(title)];
    if let Some(new) = &rd.new {
        lines.extend(resource_lines(new, ResourceView::Planned, ctx));
    }
    lines
}

fn removed(rd: &ResourceDelta) -> Line {
    let mut line = label(Role::Heading, "- no longer in the plan: ", rd);
    transition(&mut line, rd);
    flags_last(line)
}

fn changed(rd: &ResourceDelta, ctx: &RenderContext<'_>) -> Vec<Line> {
    let mut title = label(Role::Update, "~ changed: ", rd);
    transition(&mut title, rd);
    badge(&mut title, rd, ctx);
    let mut lines = vec![flags_last(title)];
    let words: Vec<&str> = rd.aspects.iter().filter_map(|a| aspect_word(*a)).collect();
    if !words.is_empty() {
        lines.push(text_line(
            Role::Muted,
            format!("    # what differs: {}", words.join(", ")),
        ));
    }
    let (Some(old), Some(new)) = (&rd.old, &rd.new) else {
        return lines;
    };
    if rd.aspects.contains(&Aspect::Moved) {
        lines.push(moved_line(old, new));
    }
    if let Some(reason) = new
        .action_reason_text()
        .filter(|_| rd.aspects.contains(&Aspect::Actions))
    {
        let mut line = Line::new();
        line.push(Role::Muted, "    # (now because ")
            .push_untrusted(Role::Muted, &reason)
            .push(Role::Muted, ")");
        lines.push(flags_last(line));
    }
    if rd.aspects.contains(&Aspect::After) || rd.aspects.contains(&Aspect::Unknown) {
        lines.push(text_line(
            Role::Muted,
            "    # planned values, earlier plan → this plan:",
        ));
        lines.extend(diff_block(
            new,
            values::after_change(&old.change, &new.change),
            ctx,
        ));
    }
    if rd.aspects.contains(&Aspect::Before) {
        lines.extend(prior_state_lines(old, new, ctx));
    }
    lines
}

/// How the prior state differs: a note when the object appeared or went
/// (the whole object would be noise), else a diff.
fn prior_state_lines(
    old: &ResourceChange,
    new: &ResourceChange,
    ctx: &RenderContext<'_>,
) -> Vec<Line> {
    let exists = |rc: &ResourceChange| rc.change.before.as_ref().is_some_and(|b| !b.is_null());
    let note = match (exists(old), exists(new)) {
        (false, true) => {
            "    # prior state: the object did not exist for the earlier plan; it does now"
        }
        (true, false) => {
            "    # prior state: the object existed for the earlier plan; it does not now"
        }
        _ => "    # prior state, earlier plan → this plan (the infrastructure changed in between):",
    };
    let mut lines = vec![text_line(Role::Warning, note)];
    if exists(old) && exists(new) {
        lines.extend(diff_block(
            new,
            values::before_change(&old.change, &new.change),
            ctx,
        ));
    }
    lines
}

fn aspect_word(aspect: Aspect) -> Option<&'static str> {
    Some(match aspect {
        Aspect::Actions => return None,
        Aspect::After => "planned values",
        Aspect::Before => "prior state",
        Aspect::Unknown => "values known only after apply",
        Aspect::ReplacePaths => "attributes that force replacement",
        Aspect::Importing => "import",
        Aspect::Moved => "previous address",
        Aspect::Sensitive => "which values are sensitive",
        Aspect::Identity => "type, name, mode, provider, index or module",
        Aspect::GeneratedConfig => "generated configuration",
    })
}

fn moved_line(old: &ResourceChange, new: &ResourceChange) -> Line {
    let mut line = Line::new();
    line.push(Role::Muted, "    # previous address: ");
    for (i, rc) in [old, new].into_iter().enumerate() {
        if i > 0 {
            line.push(Role::Muted, " → ");
        }
        match rc.previous_address.as_deref() {
            Some(previous) => line.push_untrusted(Role::Plain, previous),
            None => line.push(Role::Muted, "none"),
        };
    }
    flags_last(line)
}

/// The `resource "type" "name" { … }` block of a synthetic change, without
/// the header comment that `resource_lines` puts above it (it would describe
/// the synthetic change, not the plan).
fn diff_block(template: &ResourceChange, change: Change, ctx: &RenderContext<'_>) -> Vec<Line> {
    let synthetic = ResourceChange {
        previous_address: None,
        action_reason: None,
        change,
        ..template.clone()
    };
    resource_lines(&synthetic, ResourceView::Planned, ctx)
        .into_iter()
        .skip_while(|line| line.plain().starts_with("  #"))
        .collect()
}
