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
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plan.json");
    std::fs::write(&path, doc.to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(["show", "--color", "never"])
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
