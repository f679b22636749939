//! The plan digest: stable under key order, whitespace, timestamps and
//! versions; different whenever what would be applied changes.

use plandeck::plan::parse_plan;
use serde_json::{Value, json};
use std::sync::Arc;

fn digest_of(doc: &str) -> String {
    parse_plan(Arc::from(doc))
        .unwrap_or_else(|e| panic!("{e}"))
        .digest
}

fn corpus(name: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("tests/fixtures/corpus/plans/{name}")).expect("fixture");
    serde_json::from_str(&text).expect("json")
}

/// Serialises with every object's keys in reverse order and odd spacing.
fn reordered(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .rev()
                .map(|(k, v)| format!("{} :  {}", Value::String(k.clone()), reordered(v)))
                .collect();
            format!("{{\n  {} }}", members.join(" ,\n"))
        }
        Value::Array(items) => format!(
            "[ {} ]",
            items.iter().map(reordered).collect::<Vec<_>>().join(" , ")
        ),
        other => other.to_string(),
    }
}

/// A plan with every hashed field present.
fn sample() -> Value {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "timestamp": "2026-11-01T10:00:00Z",
        "resource_changes": [
            {
                "address": "aws_instance.b", "type": "aws_instance", "name": "b",
                "previous_address": "aws_instance.old_b",
                "change": { "actions": ["delete", "create"],
                            "before": { "ami": "ami-1", "tags": { "a": "1", "b": "2" } },
                            "after": { "ami": "ami-2", "tags": { "a": "1", "b": "2" } },
                            "after_unknown": { "id": true }, "before_sensitive": {}, "after_sensitive": {},
                            "replace_paths": [["ami"]] }
            },
            {
                "address": "aws_instance.a", "type": "aws_instance", "name": "a",
                "change": { "actions": ["no-op"], "before": { "id": "i-1" }, "after": { "id": "i-1" },
                            "after_unknown": {}, "importing": { "id": "i-1" } }
            }
        ],
        "output_changes": {
            "url": { "actions": ["update"], "before": "a", "after": "b", "after_unknown": false }
        },
        "prior_state": { "values": { "x": 1 } },
        "planned_values": { "root_module": {} },
        "configuration": { "root_module": {} },
        "resource_drift": []
    })
}

#[test]
fn digest_ignores_key_order_whitespace_and_resource_order() {
    let doc = sample();
    let base = digest_of(&doc.to_string());
    assert_eq!(digest_of(&reordered(&doc)), base);
    assert_eq!(
        digest_of(&serde_json::to_string_pretty(&doc).expect("pretty")),
        base
    );
    let mut swapped = doc.clone();
    swapped["resource_changes"]
        .as_array_mut()
        .expect("array")
        .reverse();
    assert_eq!(
        digest_of(&swapped.to_string()),
        base,
        "resource order does not count"
    );
    for name in [
        "tfplan2md-azuredevops-plan2.json",
        "tofu-equiv-fully-populated-complex-update-plan.json",
    ] {
        let real = corpus(name);
        assert_eq!(
            digest_of(&reordered(&real)),
            digest_of(&real.to_string()),
            "{name}"
        );
    }
}

#[test]
fn digest_ignores_timestamps_versions_prior_state_and_drift() {
    let base = digest_of(&sample().to_string());
    let edits: Vec<(&str, Value)> = vec![
        ("timestamp", json!("2030-01-01T00:00:00Z")),
        ("terraform_version", json!("1.10.0")),
        ("prior_state", json!({ "values": { "x": 2 } })),
        (
            "planned_values",
            json!({ "root_module": { "resources": [] } }),
        ),
        ("configuration", json!({ "provider_config": {} })),
        (
            "resource_drift",
            json!([{ "address": "x.y", "change": { "actions": ["update"] } }]),
        ),
    ];
    for (field, value) in edits {
        let mut doc = sample();
        doc[field] = value;
        assert_eq!(digest_of(&doc.to_string()), base, "{field} must not count");
    }
    let mut escaped = sample();
    escaped["resource_changes"][0]["change"]["after"]["ami"] = json!("ami-2");
    let text = escaped.to_string().replace("\"ami-2\"", "\"\\u0061mi-2\"");
    assert_eq!(digest_of(&text), base, "string escapes are canonicalised");
}

#[test]
fn digest_changes_with_anything_that_would_be_applied() {
    let base = digest_of(&sample().to_string());
    let edits: Vec<(&str, Value)> = vec![
        ("/resource_changes/0/change/after/ami", json!("ami-3")),
        ("/resource_changes/0/change/after/tags/b", json!("3")),
        ("/resource_changes/0/change/before/ami", json!("ami-0")),
        (
            "/resource_changes/0/change/actions",
            json!(["create", "delete"]),
        ),
        ("/resource_changes/0/change/after_unknown/id", json!(false)),
        (
            "/resource_changes/0/change/replace_paths",
            json!([["tags"]]),
        ),
        ("/resource_changes/0/address", json!("aws_instance.c")),
        (
            "/resource_changes/0/previous_address",
            json!("aws_instance.other"),
        ),
        ("/resource_changes/1/change/importing/id", json!("i-2")),
        ("/output_changes/url/after", json!("c")),
        ("/output_changes/url/actions", json!(["create"])),
    ];
    for (pointer, value) in edits {
        let mut doc = sample();
        *doc.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = value;
        assert_ne!(digest_of(&doc.to_string()), base, "{pointer} must count");
    }
    let mut fewer = sample();
    fewer["resource_changes"]
        .as_array_mut()
        .expect("array")
        .pop();
    assert_ne!(
        digest_of(&fewer.to_string()),
        base,
        "a removed change counts"
    );
    let mut number = sample();
    number["resource_changes"][0]["change"]["after"]["size"] = json!(10);
    let ten = digest_of(&number.to_string());
    number["resource_changes"][0]["change"]["after"]["size"] = json!(11);
    assert_ne!(digest_of(&number.to_string()), ten);
}

#[test]
fn digest_has_the_documented_form() {
    let digest = digest_of(&sample().to_string());
    assert!(digest.starts_with("sha256:"));
    assert_eq!(digest.len(), "sha256:".len() + 64);
    assert!(
        digest[7..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn a_big_file_read_in_two_halves_equals_the_text_parsed_in_memory() {
    let text = plandeck::genplan::plan_string(9_000, 3);
    assert!(
        text.len() > 16 * 1024 * 1024,
        "large enough for the parallel read: {}",
        text.len()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.json");
    std::fs::write(&path, &text).expect("write");
    let from_file = plandeck::plan::load_plan(&path).expect("loads");
    assert_eq!(from_file.digest, digest_of(&text));
    assert_eq!(from_file.resource_changes.len(), 9_000);
}
