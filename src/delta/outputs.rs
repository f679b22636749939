//! Output changes in the delta: added, no longer in the plan, changed, with
//! the value diff (earlier plan → this plan) rendered by
//! `render::outputs_lines` on a one-output synthetic plan, so sensitive
//! outputs stay `(sensitive value)`. Nothing here prints a value itself.

use super::lines::{actions_transition, flags_last, text_line};
use super::{Aspect, OutputDelta, PlanDelta, values};
use crate::plan::{Change, OutputChange, Plan};
use crate::render::{Line, RenderContext, Role, Span, outputs_lines};

pub(super) fn output_lines(delta: &PlanDelta, ctx: &RenderContext<'_>) -> Vec<Line> {
    let mut lines = Vec::new();
    for od in &delta.outputs_added {
        lines.push(output_label(Role::Create, "  + added to the plan: ", od));
        if let Some(new) = &od.new {
            lines.extend(output_value_lines(&od.name, new.clone(), ctx));
        }
    }
    for od in &delta.outputs_removed {
        lines.push(output_label(
            Role::Heading,
            "  - no longer in the plan: ",
            od,
        ));
    }
    for od in &delta.outputs_changed {
        lines.push(output_label(Role::Update, "  ~ changed: ", od));
        let shows_values =
            od.aspects.contains(&Aspect::After) || od.aspects.contains(&Aspect::Unknown);
        if let (Some(old), Some(new), true) = (&od.old, &od.new, shows_values) {
            lines.extend(output_value_lines(
                &od.name,
                values::after_change(old, new),
                ctx,
            ));
        }
    }
    if !lines.is_empty() {
        let heading = text_line(Role::Heading, "Changes to Outputs since the earlier plan:");
        lines.splice(0..0, [Line::new(), heading]);
    }
    lines
}

fn output_label(role: Role, words: &'static str, od: &OutputDelta) -> Line {
    let mut line = Line::new();
    line.push(role, words)
        .push_untrusted(Role::Heading, &od.name);
    line.push(Role::Plain, " ");
    actions_transition(
        &mut line,
        od.old_actions.as_deref(),
        od.new_actions.as_deref(),
        false,
    );
    flags_last(line)
}

/// `name = value` lines of one output change, as `show` renders outputs.
fn output_value_lines(name: &str, change: Change, ctx: &RenderContext<'_>) -> Vec<Line> {
    let plan = Plan {
        output_changes: vec![OutputChange {
            name: name.to_string(),
            change,
        }],
        ..Plan::default()
    };
    outputs_lines(&plan, ctx)
        .into_iter()
        .skip_while(|line| line.spans.is_empty() || line.plain() == "Changes to Outputs:")
        .map(|mut line| {
            line.spans.insert(
                0,
                Span {
                    role: Role::Plain,
                    text: "      ".into(),
                },
            );
            line
        })
        .collect()
}
