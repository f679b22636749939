//! The plan model through the built binary, on small documents written here:
//! format versions, status flags, deferred changes, relevant attributes,
//! deposed objects, action reasons, unknown action lists, byte order marks
//! and lone surrogate escapes.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::cli::{assert_documented_counts, write};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn plandeck(args: &[&str], home: &Path) -> Run {
    let output = support::cli::plandeck(args, home);
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn change(address: &str, actions: &[&str]) -> Value {
    let (kind, name) = address.split_once('.').expect("type.name");
    json!({
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {
            "actions": actions,
            "before": if actions.contains(&"create") && !actions.contains(&"delete") { Value::Null } else { json!({"id": "old"}) },
            "after": if actions == ["delete"] { Value::Null } else { json!({"id": "new"}) },
        }
    })
}

/// Runs `show --color never` on a document; asserts exit 0.
fn show(doc: &Value) -> Run {
    let home = tempfile::tempdir().expect("tempdir");
    let plan = write(home.path(), "plan.json", doc.to_string());
    let run = plandeck(
        &["show", plan.to_str().expect("utf-8"), "--color", "never"],
        home.path(),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    run
}

fn summary_json(doc: &Value) -> Value {
    let home = tempfile::tempdir().expect("tempdir");
    let plan = write(home.path(), "plan.json", doc.to_string());
    let run = plandeck(
        &["summary", plan.to_str().expect("utf-8"), "--format", "json"],
        home.path(),
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("json")
}

#[test]
fn a_newer_minor_version_is_read_with_a_warning_on_stderr() {
    let home = tempfile::tempdir().expect("tempdir");
    let doc = json!({"format_version": "1.9", "resource_changes": [change("null_resource.a", &["create"])]});
    let plan = write(home.path(), "newer.json", doc.to_string());
    let name = plan.to_str().expect("utf-8");
    for args in [
        vec!["show", name, "--color", "never"],
        vec!["summary", name],
        vec!["check", name],
    ] {
        let run = plandeck(&args, home.path());
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!(
                "plandeck: warning: {name}: plan format version 1.9 is newer than this plandeck \
                 knows (up to 1.2); fields added since are not shown\n"
            ),
            "{args:?}"
        );
    }
    let show = plandeck(&["show", name, "--color", "never"], home.path());
    assert!(show.stdout.contains("+ resource \"null_resource\" \"a\""));
    assert!(show.stdout.contains("Format 1.9,"));
}

#[test]
fn a_document_without_format_version_is_read_with_a_warning_on_stderr() {
    let home = tempfile::tempdir().expect("tempdir");
    let doc = json!({"resource_changes": [change("null_resource.a", &["update"])]});
    let plan = write(home.path(), "bare.json", doc.to_string());
    let name = plan.to_str().expect("utf-8");
    let run = plandeck(&["summary", name, "--format", "json"], home.path());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "plandeck: warning: {name}: no format_version in the document; read as format 1.2\n"
        )
    );
    let json: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["format_version"], Value::Null);
    assert_eq!(json["counts"]["update"], 1);
    // A supported version gives no warning at all.
    let plain = write(
        home.path(),
        "plain.json",
        json!({"format_version": "1.2", "resource_changes": []}).to_string(),
    );
    let run = plandeck(&["summary", plain.to_str().expect("utf-8")], home.path());
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn errored_incomplete_and_unapplyable_plans_are_flagged() {
    let doc = json!({
        "format_version": "1.2",
        "errored": true,
        "complete": false,
        "applyable": false,
        "resource_changes": [change("null_resource.a", &["create"])]
    });
    let run = show(&doc);
    let flags: Vec<&str> = run.stdout.lines().take(3).collect();
    assert_eq!(
        flags,
        [
            "!! ERRORED: planning failed; this plan is not a complete picture",
            "!! INCOMPLETE: more changes will follow after this plan is applied",
            "!! NOT APPLYABLE: this plan cannot be applied",
        ]
    );
    let json = summary_json(&doc);
    assert_eq!(json["flags"].as_array().map(Vec::len), Some(3));
    // The default policy fails an errored plan.
    let home = tempfile::tempdir().expect("tempdir");
    let plan = write(home.path(), "p.json", doc.to_string());
    let check = plandeck(&["check", plan.to_str().expect("utf-8")], home.path());
    assert_eq!(check.code, Some(1));
    assert!(
        check.stdout.contains("  ERRORED: planning failed"),
        "{}",
        check.stdout
    );
    // complete: true and applyable: true raise nothing.
    let fine = json!({"format_version": "1.2", "complete": true, "applyable": true, "errored": false, "resource_changes": []});
    assert!(!show(&fine).stdout.contains("!!"));
}

#[test]
fn deferred_changes_are_shown_with_their_reason() {
    let doc = json!({
        "format_version": "1.2",
        "resource_changes": [],
        "deferred_changes": [
            {"reason": "provider_config_unknown", "resource_change": change("aws_instance.later", &["create"])}
        ]
    });
    let run = show(&doc);
    let out = &run.stdout;
    assert!(out.contains("1 deferred changes"), "{out}");
    assert!(
        out.contains("Deferred changes (planned again after this apply):"),
        "{out}"
    );
    let reason = out
        .find(
            "  # deferred because provider_config_unknown\n  # aws_instance.later will be created",
        )
        .is_some();
    assert!(reason, "{out}");
    assert_eq!(summary_json(&doc)["deferred"], 1);
}

#[test]
fn drift_not_in_relevant_attributes_is_marked() {
    let drift = |address: &str| {
        let mut rc = change(address, &["update"]);
        rc["change"]["before"] = json!({"id": "a", "size": 1});
        rc["change"]["after"] = json!({"id": "a", "size": 2});
        rc
    };
    let doc = json!({
        "format_version": "1.2",
        "resource_changes": [],
        "resource_drift": [drift("aws_ebs_volume.used"), drift("aws_ebs_volume.unused")],
        "relevant_attributes": [{"resource": "aws_ebs_volume.used", "attribute": ["size"]}]
    });
    let out = show(&doc).stdout;
    let section = |address: &str| {
        let start = out
            .find(&format!("  # {address} has changed"))
            .unwrap_or_else(|| panic!("no drift entry {address}: {out}"));
        let rest = &out[start..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    let unused = section("aws_ebs_volume.unused");
    assert!(
        unused.contains("# (not referenced by the configuration)"),
        "{unused}"
    );
    let used = section("aws_ebs_volume.used");
    assert!(!used.contains("not referenced"), "{used}");
    assert!(used.contains("~ size = 1 -> 2"), "{used}");
    assert_eq!(summary_json(&doc)["drift"], 2);
}

#[test]
fn deposed_objects_render_with_their_key() {
    let mut rc = change("aws_instance.web", &["delete"]);
    rc["deposed"] = json!("00b1c2d3");
    let doc = json!({"format_version": "1.2", "resource_changes": [rc]});
    let out = show(&doc).stdout;
    assert!(
        out.contains("  # aws_instance.web (deposed object 00b1c2d3) will be destroyed"),
        "{out}"
    );
    // The key comes from the file: escape sequences are shown, not obeyed.
    let mut hostile = change("aws_instance.web", &["delete"]);
    hostile["deposed"] = json!("k\u{1b}[2J");
    let out = show(&json!({"format_version": "1.2", "resource_changes": [hostile]})).stdout;
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(
        out.contains("(deposed object k\\x1b[2J) will be destroyed"),
        "{out}"
    );
}

#[test]
fn action_reasons_render_in_words() {
    let cases = [
        (
            "replace_by_request",
            &["delete", "create"][..],
            "replacement was requested (-replace)",
        ),
        (
            "replace_by_triggers",
            &["delete", "create"],
            "replace_triggered_by references changed",
        ),
        (
            "replace_because_tainted",
            &["delete", "create"],
            "the object is tainted, so must be replaced",
        ),
        (
            "delete_because_each_key",
            &["delete"],
            "its for_each key is no longer in the map",
        ),
        (
            "delete_because_count_index",
            &["delete"],
            "its count index is out of range",
        ),
        (
            "delete_because_wrong_repetition",
            &["delete"],
            "the resource changed between count and for_each",
        ),
        (
            "delete_because_no_module",
            &["delete"],
            "its module is no longer in the configuration",
        ),
        (
            "delete_because_no_move_target",
            &["delete"],
            "it was moved to an address that does not exist",
        ),
        (
            "read_because_check_nested",
            &["read"],
            "it is read inside a check block",
        ),
        (
            "read_because_dependency_pending",
            &["read"],
            "it depends on changes that are still pending",
        ),
        (
            "something_new_in_2030",
            &["update"],
            "reason: something_new_in_2030",
        ),
    ];
    let changes: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (reason, actions, _))| {
            let mut rc = change(&format!("null_resource.r{i}"), actions);
            rc["action_reason"] = json!(reason);
            rc
        })
        .collect();
    let out = show(&json!({"format_version": "1.2", "resource_changes": changes})).stdout;
    for (i, (reason, _, words)) in cases.iter().enumerate() {
        let header = format!("  # null_resource.r{i} ");
        let at = out
            .find(&header)
            .unwrap_or_else(|| panic!("{reason}: no header: {out}"));
        let next = out[at..].lines().nth(1).expect("line after the header");
        assert_eq!(next, format!("  # (because {words})"), "{reason}");
    }
}

#[test]
fn unknown_action_lists_are_reported_and_fail_check() {
    let home = tempfile::tempdir().expect("tempdir");
    let doc = json!({
        "format_version": "1.2",
        "resource_changes": [
            change("null_resource.odd", &["create", "update"]),
            change("null_resource.empty", &[]),
            change("null_resource.fine", &["create"]),
        ]
    });
    let plan = write(home.path(), "odd.json", doc.to_string());
    let name = plan.to_str().expect("utf-8");

    let json = summary_json(&doc);
    assert_eq!(
        json["unknown_actions"],
        json!([
            {"address": "null_resource.odd", "actions": ["create", "update"]},
            {"address": "null_resource.empty", "actions": []},
        ])
    );
    // The counts keep exactly their keys; the unknown ones are not in them.
    assert_documented_counts(&json);
    assert_eq!(json["counts"]["create"], 1);
    assert_eq!(json["counts"]["no_op"], 0);
    assert_eq!(json["risk"]["high"], 2);

    let text = plandeck(&["summary", name, "--color", "never"], home.path());
    assert!(
        text.stdout.contains(
            "Unknown actions: 2 change(s) with an action list plandeck cannot judge\n    ? null_resource.odd  (actions [\"create\",\"update\"])\n    ? null_resource.empty  (actions [])\n"
        ),
        "{}",
        text.stdout
    );
    let md = plandeck(&["summary", name, "--format", "markdown"], home.path());
    assert!(
        md.stdout.contains(
            "**Unknown actions (2), not judged by plandeck:**\n\n- ` null_resource.odd ` ` [\"create\",\"update\"] `\n- ` null_resource.empty ` ` [] `\n"
        ),
        "{}",
        md.stdout
    );

    // Default fail_on is critical and these are high: they still fail.
    let check = plandeck(&["check", name], home.path());
    assert_eq!(check.code, Some(1), "{}", check.stdout);
    assert!(check.stdout.contains(
        "  unknown action [\"create\",\"update\"] on null_resource.odd: plandeck cannot judge it\n"
    ));
    assert!(
        check
            .stdout
            .contains("  unknown action [] on null_resource.empty: plandeck cannot judge it\n")
    );
    // And only once each, even when fail_on would catch their risk too.
    let check = plandeck(&["check", name, "--fail-on", "high"], home.path());
    assert_eq!(
        check.stdout.matches("null_resource.odd").count(),
        1,
        "{}",
        check.stdout
    );

    // A plan without them reports none and passes.
    let fine = json!({"format_version": "1.2", "resource_changes": [change("null_resource.fine", &["create"])]});
    assert_eq!(summary_json(&fine)["unknown_actions"], json!([]));
    let plain = write(home.path(), "fine.json", fine.to_string());
    let check = plandeck(&["check", plain.to_str().expect("utf-8")], home.path());
    assert_eq!(check.code, Some(0), "{}", check.stdout);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let home = tempfile::tempdir().expect("tempdir");
    let doc = json!({"format_version": "1.2", "resource_changes": [change("null_resource.a", &["create"])]});
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(doc.to_string().as_bytes());
    let with_bom = write(home.path(), "bom.json", &bytes);
    let without = write(home.path(), "plain.json", doc.to_string());
    let run = |path: &Path| {
        plandeck(
            &["summary", path.to_str().expect("utf-8"), "--format", "json"],
            home.path(),
        )
    };
    let (a, b) = (run(&with_bom), run(&without));
    assert_eq!(a.code, Some(0), "{}", a.stderr);
    assert_eq!(a.stderr, "");
    // Same plan, same digest: the mark is not part of it.
    assert_eq!(a.stdout, b.stdout);
    let json: Value = serde_json::from_str(&a.stdout).expect("json");
    assert_eq!(json["counts"]["create"], 1);
}

#[test]
fn a_lone_surrogate_escape_gives_a_clear_message() {
    let home = tempfile::tempdir().expect("tempdir");
    let in_address = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.\ud800x","type":"null_resource","name":"a","change":{"actions":["create"],"before":null,"after":{}}}]}"#;
    let in_value = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.a","type":"null_resource","name":"a","change":{"actions":["create"],"before":null,"after":{"v":"\udc00"}}}]}"#;
    let column = |text: &str, escape: &str| text.find(escape).expect("escape") + 1;
    for (name, text, escape) in [
        ("address.json", in_address, r"\ud800"),
        ("value.json", in_value, r"\udc00"),
    ] {
        let plan = write(home.path(), name, text);
        let path = plan.to_str().expect("utf-8");
        for args in [
            vec!["show", path],
            vec!["summary", path, "--format", "json"],
            vec!["check", path],
        ] {
            let run = plandeck(&args, home.path());
            assert_eq!(run.code, Some(2), "{args:?}");
            assert_eq!(
                run.stderr,
                format!(
                    "plandeck: {path}: invalid JSON: lone surrogate escape {escape} (half of a \
                     UTF-16 pair, not Unicode) at line 1 column {}\n",
                    column(text, escape)
                ),
                "{args:?}"
            );
            assert!(run.stdout.is_empty());
        }
    }
    // A proper pair and an escaped backslash before `ud800` are fine.
    let fine = r#"{"format_version":"1.2","resource_changes":[{"address":"null_resource.a","type":"null_resource","name":"a","change":{"actions":["create"],"before":null,"after":{"v":"\ud83d\ude00 \\ud800"}}}]}"#;
    let plan = write(home.path(), "fine.json", fine);
    let run = plandeck(
        &["show", plan.to_str().expect("utf-8"), "--color", "never"],
        home.path(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("+ v = \"😀 \\\\ud800\""),
        "{}",
        run.stdout
    );
}
