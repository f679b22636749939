//! The plan-to-plan delta: real plan pairs from the corpus, crafted pairs for
//! each kind of difference (attribute, added, removed, escalation, sensitive,
//! the world changed), the built binary, snapshots and a timing on a large
//! generated plan.

use plandeck::cost::CostThresholds;
use plandeck::delta::{Aspect, PlanDelta, compare, delta_lines};
use plandeck::plan::{ChangeKind, Plan, RawJson, load_plan, parse_plan};
use plandeck::render::{Line, RenderContext, RenderOptions, Role};
use plandeck::risk::RiskPolicy;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

const PLANS: &str = "tests/fixtures/corpus/plans";

fn corpus(name: &str) -> Plan {
    load_plan(Path::new(&format!("{PLANS}/{name}"))).unwrap_or_else(|e| panic!("{e}"))
}

fn plan(doc: &Value) -> Plan {
    parse_plan(Arc::from(doc.to_string())).unwrap_or_else(|e| panic!("{e}"))
}

/// A plan document with these resource changes (and outputs).
fn doc(resources: &[Value], outputs: Value) -> Value {
    json!({"format_version": "1.2", "resource_changes": resources, "output_changes": outputs})
}

fn resource(address: &str, actions: &[&str], before: Value, after: Value) -> Value {
    let (kind, name) = address
        .split_once('.')
        .unwrap_or(("null_resource", address));
    json!({
        "address": address, "mode": "managed", "type": kind, "name": name,
        "change": {"actions": actions, "before": before, "after": after}
    })
}

fn lines(delta: &PlanDelta) -> Vec<Line> {
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let options = RenderOptions::default();
    let ctx = RenderContext {
        risk: &risk,
        cost: None,
        cost_thresholds: &thresholds,
        options: &options,
    };
    delta_lines(delta, &ctx)
}

fn text(delta: &PlanDelta) -> String {
    let all: Vec<String> = lines(delta).iter().map(Line::plain).collect();
    all.join("\n")
}

/// `{Role}text{/}` runs, so roles are reviewed in snapshots too.
fn styled(delta: &PlanDelta) -> String {
    let style = |line: &Line| -> String {
        line.spans
            .iter()
            .map(|s| match s.role {
                Role::Plain => s.text.to_string(),
                role => format!("{{{role:?}}}{}{{/}}", s.text),
            })
            .collect()
    };
    let all: Vec<String> = lines(delta).iter().map(style).collect();
    all.join("\n")
}

fn addresses(list: &[plandeck::delta::ResourceDelta]) -> Vec<&str> {
    list.iter().map(|rd| rd.address.as_str()).collect()
}

fn assert_nothing_changed(delta: &PlanDelta, name: &str) {
    let listed = delta.added.len() + delta.removed.len() + delta.changed.len();
    assert!(delta.is_empty(), "{name}: {listed} listed\n{}", text(delta));
    assert!(delta.same_digest, "{name}: digests differ");
}

#[test]
fn basic_list_create_then_update() {
    let delta = compare(
        &corpus("tofu-equiv-basic-list-plan.json"),
        &corpus("tofu-equiv-basic-list-update-plan.json"),
    );
    assert_eq!(addresses(&delta.changed), ["tfcoremock_list.list"]);
    assert!(delta.added.is_empty() && delta.removed.is_empty());
    assert_eq!(delta.unchanged, 0);
    assert!(!delta.same_digest);
    let rd = &delta.changed[0];
    assert_eq!(rd.aspects, [Aspect::Actions, Aspect::After, Aspect::Before]);
    assert_eq!(rd.attributes, ["list"], "only the list's elements changed");
    assert!(!rd.escalated, "create → update destroys nothing");
    let text = text(&delta);
    assert!(
        text.contains("~ changed: tfcoremock_list.list create → update"),
        "{text}"
    );
    assert!(
        text.contains("+ \"9B9F3ADF-8AD4-4E8C-AFE4-7BC2413E9AC0\""),
        "{text}"
    );
    insta::assert_snapshot!("basic_list", text);
}

#[test]
fn nested_objects_name_the_changed_attribute() {
    let delta = compare(
        &corpus("tofu-equiv-nested-objects-plan.json"),
        &corpus("tofu-equiv-nested-objects-update-plan.json"),
    );
    assert_eq!(
        addresses(&delta.changed),
        ["tfcoremock_nested_object.nested_object"]
    );
    assert_eq!(delta.changed[0].attributes, ["parent_object"]);
    assert_eq!(delta.changed[0].before_attributes, ["id", "parent_object"]);
}

#[test]
fn fully_populated_complex_lists_every_changed_attribute() {
    let delta = compare(
        &corpus("tofu-equiv-fully-populated-complex-plan.json"),
        &corpus("tofu-equiv-fully-populated-complex-update-plan.json"),
    );
    assert_eq!(
        addresses(&delta.changed),
        ["tfcoremock_complex_resource.complex"]
    );
    let expected = [
        "float",
        "integer",
        "list",
        "list_block",
        "map",
        "number",
        "object",
        "set_block",
    ];
    assert_eq!(delta.changed[0].attributes, expected);
}

/// Every key of every object written in reverse order, with extra spaces.
fn reordered(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .rev()
                .map(|(k, v)| format!("{} : {}", Value::from(k.as_str()), reordered(v)))
                .collect();
            format!("{{ {} }}", members.join(" , "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(reordered).collect();
            format!("[ {} ]", items.join(" , "))
        }
        other => other.to_string(),
    }
}

#[test]
fn every_corpus_plan_against_itself_and_a_reordered_copy_is_unchanged() {
    let mut compared = 0;
    for entry in std::fs::read_dir(PLANS).expect("corpus") {
        let path = entry.expect("entry").path();
        let Ok(original) = load_plan(&path) else {
            continue;
        };
        let name = path.display().to_string();
        let delta = compare(&original, &original);
        assert_nothing_changed(&delta, &name);
        assert_eq!(delta.unchanged, original.resource_changes.len(), "{name}");
        let value: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        let copy = parse_plan(Arc::from(reordered(&value))).expect("reordered copy parses");
        assert_nothing_changed(&compare(&original, &copy), &format!("{name} (reordered)"));
        compared += 1;
    }
    assert!(compared > 100, "only {compared} corpus plans loaded");
}

fn instance(size: &str) -> Value {
    json!({"ami": "ami-123", "instance_type": size, "tags": {"team": "web"}})
}

#[test]
fn one_attribute_changed_is_one_changed_resource_naming_it() {
    let keep = resource(
        "aws_s3_bucket.logs",
        &["create"],
        json!(null),
        json!({"bucket": "logs"}),
    );
    let old = plan(&doc(
        &[
            resource(
                "aws_instance.web",
                &["update"],
                instance("t3.micro"),
                instance("t3.small"),
            ),
            keep.clone(),
        ],
        json!({}),
    ));
    let new = plan(&doc(
        &[
            resource(
                "aws_instance.web",
                &["update"],
                instance("t3.micro"),
                instance("t3.large"),
            ),
            keep,
        ],
        json!({}),
    ));
    let delta = compare(&old, &new);
    assert_eq!(addresses(&delta.changed), ["aws_instance.web"]);
    assert_eq!(delta.changed[0].aspects, [Aspect::After]);
    assert_eq!(delta.changed[0].attributes, ["instance_type"]);
    assert_eq!(delta.unchanged, 1);
    let text = text(&delta);
    assert!(
        text.contains("~ changed: aws_instance.web (still update)"),
        "{text}"
    );
    assert!(
        text.contains(r#"instance_type = "t3.small" -> "t3.large""#),
        "{text}"
    );
    assert!(
        !text.contains("ami-123"),
        "unchanged attributes stay folded\n{text}"
    );
}

#[test]
fn added_and_removed_resources_and_one_sided_no_ops() {
    let web = resource(
        "aws_instance.web",
        &["create"],
        json!(null),
        instance("t3.small"),
    );
    let noop = resource(
        "aws_vpc.main",
        &["no-op"],
        json!({"cidr": "10/8"}),
        json!({"cidr": "10/8"}),
    );
    let mut moved = resource(
        "aws_vpc.new",
        &["no-op"],
        json!({"id": 1}),
        json!({"id": 1}),
    );
    moved["previous_address"] = json!("aws_vpc.old");
    let gone = resource(
        "aws_iam_role.ci",
        &["update"],
        json!({"n": 1}),
        json!({"n": 2}),
    );
    let old = plan(&doc(&[web.clone(), gone, noop], json!({})));
    let new = plan(&doc(&[web, moved], json!({})));
    let delta = compare(&old, &new);
    assert_eq!(
        addresses(&delta.added),
        ["aws_vpc.new"],
        "a moved no-op is news"
    );
    assert_eq!(
        addresses(&delta.removed),
        ["aws_iam_role.ci"],
        "a plain no-op is not"
    );
    assert!(delta.changed.is_empty());
    assert_eq!(delta.unchanged, 1);
    let text = text(&delta);
    assert!(
        text.starts_with(
            "Since the earlier plan: 1 resource added, 1 removed, 0 changed, 1 unchanged"
        ),
        "{text}"
    );
    assert!(
        text.contains("+ added to the plan: aws_vpc.new (no-op)"),
        "{text}"
    );
    assert!(text.contains("# (moved from aws_vpc.old)"), "{text}");
    assert!(
        text.contains("- no longer in the plan: aws_iam_role.ci (was: update)"),
        "{text}"
    );
}

fn escalation_pair() -> (Plan, Plan) {
    let db = |actions: &[&str], size: &str| {
        let mut rc = resource(
            "aws_db_instance.main",
            actions,
            json!({"engine": "postgres", "instance_class": "db.t3.micro"}),
            json!({"engine": "postgres", "instance_class": size}),
        );
        if actions.len() == 2 {
            rc["change"]["replace_paths"] = json!([["instance_class"]]);
            rc["action_reason"] = json!("replace_because_cannot_update");
        }
        rc
    };
    let old = plan(&doc(&[db(&["update"], "db.t3.small")], json!({})));
    let new = plan(&doc(&[db(&["delete", "create"], "db.t3.large")], json!({})));
    (old, new)
}

#[test]
fn update_to_replace_is_flagged_critical() {
    let (old, new) = escalation_pair();
    let delta = compare(&old, &new);
    let rd = &delta.changed[0];
    assert!(rd.escalated);
    assert_eq!(delta.escalations().count(), 1);
    assert_eq!(
        rd.aspects,
        [Aspect::Actions, Aspect::After, Aspect::ReplacePaths]
    );
    let rendered = lines(&delta);
    let title = rendered
        .iter()
        .find(|l| l.plain().starts_with("~ changed: aws_db_instance.main"))
        .expect("changed line");
    assert!(
        title.plain().contains("update → replace"),
        "{}",
        title.plain()
    );
    let critical: String = title
        .spans
        .iter()
        .filter(|s| s.role == Role::Critical)
        .map(|s| s.text.as_ref())
        .collect();
    assert!(critical.contains("replace"), "{critical:?}");
    assert!(
        critical.contains("NOW DESTRUCTIVE: replaces a data-bearing resource"),
        "{critical:?}"
    );
    assert!(rendered[..3].iter().any(|l| {
        l.plain()
            .starts_with("!! now destructive: aws_db_instance.main")
    }));
    let text = text(&delta);
    assert!(
        text.contains(r#"instance_class = "db.t3.small" -> "db.t3.large" # forces replacement"#),
        "{text}"
    );
    insta::assert_snapshot!("escalation", styled(&delta));
}

fn sensitive_pair() -> (Value, Value) {
    let rc = |password: &str, marked: bool| {
        let mut rc = resource(
            "aws_db_instance.main",
            &["update"],
            json!({"password": "old-in-state-7731", "port": 5432}),
            json!({"password": password, "port": 5432}),
        );
        if marked {
            rc["change"]["after_sensitive"] = json!({"password": true});
            rc["change"]["before_sensitive"] = json!({"password": true});
        }
        rc
    };
    let outputs = |secret: &str| json!({"dsn": {"actions": ["update"], "before": "x", "after": secret, "before_sensitive": true, "after_sensitive": true}});
    // Each plan marks only its own side: the merged marks must hide both.
    (
        doc(&[rc("hunter2-before-9001", false)], outputs("dsn-secret-1")),
        doc(&[rc("s3cret-after-4242", true)], outputs("dsn-secret-2")),
    )
}

const SECRETS: [&str; 5] = [
    "hunter2-before-9001",
    "s3cret-after-4242",
    "old-in-state-7731",
    "dsn-secret-1",
    "dsn-secret-2",
];

#[test]
fn a_sensitive_attribute_changed_shows_no_value_anywhere() {
    let (old, new) = sensitive_pair();
    for (a, b) in [(&old, &new), (&new, &old)] {
        let delta = compare(&plan(a), &plan(b));
        assert_eq!(delta.changed[0].attributes, ["password"]);
        assert_eq!(addresses(&delta.changed), ["aws_db_instance.main"]);
        let text = text(&delta);
        let json = serde_json::to_string(&delta).expect("json");
        assert!(text.contains("password = (sensitive value)"), "{text}");
        assert!(text.contains("  ~ changed: dsn (still update)"), "{text}");
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} in text\n{text}");
            assert!(!json.contains(secret), "{secret} in JSON\n{json}");
        }
    }
}

#[test]
fn the_world_changed_same_after_different_before() {
    let after = json!({"size": 10, "tags": {"env": "prod"}});
    let old = plan(&doc(
        &[resource(
            "aws_ebs_volume.data",
            &["update"],
            json!({"size": 8, "tags": {"env": "prod"}}),
            after.clone(),
        )],
        json!({}),
    ));
    let new = plan(&doc(
        &[resource(
            "aws_ebs_volume.data",
            &["update"],
            json!({"size": 9, "tags": {"env": "prod"}}),
            after,
        )],
        json!({}),
    ));
    let delta = compare(&old, &new);
    let rd = &delta.changed[0];
    assert_eq!(rd.aspects, [Aspect::Before]);
    assert!(rd.attributes.is_empty(), "the planned values are the same");
    assert_eq!(rd.before_attributes, ["size"]);
    let text = text(&delta);
    assert!(text.contains("# what differs: prior state"), "{text}");
    assert!(
        text.contains("the infrastructure changed in between"),
        "{text}"
    );
    assert!(text.contains("~ size = 8 -> 9"), "{text}");
}

#[test]
fn deposed_objects_and_outputs_are_compared_on_their_own() {
    let mut deposed = resource(
        "aws_instance.web",
        &["delete"],
        instance("t3.small"),
        json!(null),
    );
    deposed["deposed"] = json!("00000001");
    let current = resource(
        "aws_instance.web",
        &["create"],
        json!(null),
        instance("t3.large"),
    );
    let out = |after: &str| json!({"url": {"actions": ["create"], "before": null, "after": after}});
    let old = plan(&doc(std::slice::from_ref(&current), out("https://a")));
    let new = plan(&doc(&[current, deposed], out("https://b")));
    let delta = compare(&old, &new);
    assert_eq!(addresses(&delta.added), ["aws_instance.web"]);
    assert_eq!(delta.added[0].deposed.as_deref(), Some("00000001"));
    assert!(
        delta.added[0].escalated,
        "a new delete is a new destruction"
    );
    assert_eq!(delta.unchanged, 1);
    assert_eq!(delta.outputs_changed[0].aspects, [Aspect::After]);
    let text = text(&delta);
    assert!(
        text.contains(r#"~ url = "https://a" -> "https://b""#),
        "{text}"
    );
}

#[test]
fn hostile_addresses_and_actions_are_escaped_and_flagged() {
    let address = "aws_instance.web\u{1b}[2J\u{202e}";
    let old = plan(&doc(
        &[resource(
            address,
            &["update"],
            json!({"a": 1}),
            json!({"a": 2}),
        )],
        json!({}),
    ));
    let new = plan(&doc(
        &[resource(
            address,
            &["update", "\u{1b}]0;x"],
            json!({"a": 1}),
            json!({"a": 3}),
        )],
        json!({}),
    ));
    let rendered = lines(&compare(&old, &new));
    let text: String = rendered.iter().map(Line::plain).collect();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("aws_instance.web\\x1b[2J\\u{202e}"), "{text}");
    assert!(rendered.iter().any(Line::is_flagged));
}

fn plandeck(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.path())
        .env("HOME", home.path())
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        std::io::Write::write_all(&mut pipe, bytes).expect("stdin");
    }
    child.wait_with_output().expect("output")
}

/// Every escape sequence is an SGR colour: ESC [ digits and ; then m.
fn only_sgr(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some(i) = rest.iter().position(|&b| b == 0x1b) {
        let tail = &rest[i + 1..];
        let end = tail.iter().position(|&b| b == b'm');
        let ok = tail.first() == Some(&b'[')
            && end.is_some_and(|e| tail[1..e].iter().all(|b| b.is_ascii_digit() || *b == b';'));
        if !ok {
            return false;
        }
        rest = &tail[1..];
    }
    true
}

#[test]
fn binary_reports_text_and_json_and_refuses_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = sensitive_pair();
    let old_path = dir.path().join("old.json");
    let new_path = dir.path().join("new.json");
    std::fs::write(&old_path, old.to_string()).expect("write");
    std::fs::write(&new_path, new.to_string()).expect("write");
    let (o, n) = (
        old_path.to_str().expect("utf-8"),
        new_path.to_str().expect("utf-8"),
    );

    let never = plandeck(&["diff-plans", o, n, "--color", "never"], None);
    assert_eq!(never.status.code(), Some(0), "a report exits 0");
    assert!(!never.stdout.contains(&0x1b));
    let always = plandeck(&["diff-plans", o, n, "--color", "always"], None);
    assert!(always.stdout.contains(&0x1b) && only_sgr(&always.stdout));
    let json = plandeck(&["diff-plans", o, n, "--format", "json"], None);
    let value: Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    assert_eq!(value["changed"][0]["address"], "aws_db_instance.main");
    assert_eq!(value["changed"][0]["attributes"], json!(["password"]));
    assert_eq!(value["same_digest"], false);
    for out in [&never.stdout, &always.stdout, &json.stdout] {
        let out = String::from_utf8_lossy(out);
        assert!(out.contains("aws_db_instance.main"), "{out}");
        assert!(SECRETS.iter().all(|s| !out.contains(s)), "{out}");
    }

    let stdin = plandeck(
        &["diff-plans", "-", n, "--format", "json"],
        Some(old.to_string().as_bytes()),
    );
    assert_eq!(stdin.status.code(), Some(0));
    assert_eq!(
        stdin.stdout, json.stdout,
        "`-` reads the old plan from stdin"
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        b"{\"format_version\": \"1.2\", \"resource_changes\": [",
    )
    .expect("write");
    let b = broken.to_str().expect("utf-8");
    let missing = dir.path().join("missing.json");
    let m = missing.to_str().expect("utf-8");
    for (args, names) in [
        (vec!["diff-plans", o, b], "broken.json"),
        (vec!["diff-plans", m, n], "missing.json"),
        (vec!["diff-plans", "-", "-"], "-"),
    ] {
        let out = plandeck(&args, Some(b""));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: no partial report");
    }
}

#[test]
fn a_large_generated_plan_compares_fast_and_correctly() {
    let text = plandeck::genplan::plan_string(20_000, 1);
    let started = std::time::Instant::now();
    let old = parse_plan(Arc::from(text.as_str())).expect("generated plan");
    let copy = parse_plan(Arc::from(text)).expect("generated plan");
    let parsed = started.elapsed();
    let started = std::time::Instant::now();
    let delta = compare(&old, &copy);
    let same = started.elapsed();
    assert_nothing_changed(&delta, "generated");
    assert_eq!(delta.unchanged, 20_000);

    // Edit a copy: one value, one action escalated, one removed, one added.
    let mut edited = copy.clone();
    let updates: Vec<usize> = (0..edited.resource_changes.len())
        .filter(|&i| edited.resource_changes[i].change.kind == ChangeKind::Update)
        .take(3)
        .collect();
    let [value_at, action_at, removed_at] = updates[..] else {
        panic!("too few updates in the generated plan");
    };
    let rcs = &mut edited.resource_changes;
    rcs[value_at].change.after = Some(RawJson::from_value(&json!({"edited": true})));
    rcs[action_at].change.actions = vec!["delete".into(), "create".into()];
    rcs[action_at].change.kind = ChangeKind::DeleteThenCreate;
    let removed = rcs.remove(removed_at).address;
    let mut extra = rcs[value_at].clone();
    extra.address = "aws_instance.added_by_test".into();
    rcs.push(extra);
    let started = std::time::Instant::now();
    let delta = compare(&old, &edited);
    let edited_time = started.elapsed();
    let mut changed = addresses(&delta.changed);
    changed.sort_unstable();
    let mut expected = vec![
        old.resource_changes[value_at].address.as_str(),
        old.resource_changes[action_at].address.as_str(),
    ];
    expected.sort_unstable();
    assert_eq!(changed, expected);
    assert_eq!(addresses(&delta.removed), [removed.as_str()]);
    assert_eq!(addresses(&delta.added), ["aws_instance.added_by_test"]);
    assert_eq!(delta.escalations().count(), 1);
    assert_eq!(delta.unchanged, 20_000 - 3);
    println!(
        "20,000 changes: parse both {parsed:?}, compare with itself {same:?}, with an edited copy {edited_time:?}"
    );
}
