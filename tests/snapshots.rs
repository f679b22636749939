//! Snapshots (insta) of `show` output for a representative set of real plans:
//! every action, moved, imported, sensitive, unknown, multi-line and
//! JSON-in-string values, outputs, drift and checks. Each case also states
//! what it is there to cover, so a fixture swap cannot silently drop it.

use plandeck::cost::CostThresholds;
use plandeck::plan::load_plan;
use plandeck::render::{Line, RenderContext, RenderOptions, Role, plan_lines};
use plandeck::risk::RiskPolicy;
use plandeck::summary::Summary;
use std::path::Path;

/// (snapshot name, corpus file, text the rendering must contain)
const CASES: &[(&str, &str, &str)] = &[
    (
        "create_unknown",
        "checkov-plan-after-unknown.json",
        "(known after apply)",
    ),
    (
        "update",
        "tofu-equiv-simple-object-null-plan.json",
        "will be updated in-place",
    ),
    (
        "delete",
        "tofu-show-json-basic-delete.json",
        "will be destroyed",
    ),
    (
        "replace_delete_first",
        "tfreveal-resource-replace.json",
        "-/+ resource",
    ),
    (
        "replace_create_first",
        "checkov-plan-with-deleted-resources-create-before-destroy.json",
        "+/- resource",
    ),
    ("read", "tofu-equiv-data-read-plan.json", "<= data"),
    (
        "forget",
        "tfplancomment-3-remove.json",
        "will be removed from state",
    ),
    (
        "moved",
        "tofu-show-json-moved.json",
        "(moved from test_instance.foo)",
    ),
    ("import", "cdssnc-import.json", "will be imported"),
    (
        "sensitive",
        "tfjson-110-sensitive-values-plan.json",
        "(sensitive value)",
    ),
    (
        "multiline",
        "tofu-equiv-basic-multiline-string-update-plan.json",
        "<<-EOT",
    ),
    (
        "json_in_string",
        "tofu-equiv-basic-json-string-update-plan.json",
        "jsonencode(",
    ),
    (
        "outputs",
        "tofu-equiv-variables-and-outputs-plan.json",
        "Changes to Outputs:",
    ),
    (
        "drift",
        "tofu-show-json-drift.json",
        "Objects have changed outside",
    ),
    (
        "checks",
        "tf-v1.5.7-show-json-conditions-condition-results.json",
        "Checks:",
    ),
    (
        "action_reasons",
        "tfjson-action-reason-plan.json",
        "# (because",
    ),
];

fn render(file: &str, style: fn(&Line) -> String) -> String {
    let plan = load_plan(Path::new(&format!("tests/fixtures/corpus/plans/{file}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let options = RenderOptions::default();
    let ctx = RenderContext {
        risk: &risk,
        cost: None,
        cost_thresholds: &thresholds,
        options: &options,
    };
    let summary = Summary::of(&plan, &risk, None, &thresholds);
    plan_lines(&plan, &summary, &ctx)
        .iter()
        .map(style)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn rendered_plans_match_snapshots() {
    for (name, file, must_contain) in CASES {
        let text = render(file, Line::plain);
        assert!(
            text.contains(must_contain),
            "{name}: {file} lacks {must_contain:?}\n{text}"
        );
        insta::assert_snapshot!(*name, text);
    }
}

/// `{Role}text{/}` runs (adjacent spans of one role merged), so colours are
/// reviewed in snapshots too.
fn styled(line: &Line) -> String {
    let mut runs: Vec<(Role, String)> = Vec::new();
    for span in &line.spans {
        match runs.last_mut() {
            Some((role, text)) if *role == span.role => text.push_str(&span.text),
            _ => runs.push((span.role, span.text.to_string())),
        }
    }
    runs.into_iter()
        .map(|(role, text)| match role {
            Role::Plain => text,
            role => format!("{{{role:?}}}{text}{{/}}"),
        })
        .collect()
}

#[test]
fn styles_mark_each_action_and_risk() {
    let text = render("tfjson-action-reason-plan.json", styled);
    assert!(
        text.contains("{Critical}") || text.contains("{High}"),
        "{text}"
    );
    insta::assert_snapshot!("styled_action_reasons", text);
}
