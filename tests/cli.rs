//! The built binary on bad, hostile and sensitive input: exit codes, one-line
//! errors, no panics, no escape sequences but our own, no secrets.

mod support;

use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};
use support::cli::{assert_documented_counts, plandeck, write};

const PLANS: &str = "tests/fixtures/corpus/plans";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every way of reading a plan, as argument lists (PLAN is substituted).
const MODES: &[&[&str]] = &[
    &["show", "PLAN", "--color", "never"],
    &["show", "PLAN", "--color", "always"],
    &["show", "PLAN", "--color", "always", "--all"],
    &["summary", "PLAN", "--format", "text", "--color", "always"],
    &["summary", "PLAN", "--format", "markdown"],
    &["summary", "PLAN", "--format", "json"],
    &["check", "PLAN"],
];

fn run_mode(mode: &[&str], plan: &Path, home: &Path) -> Output {
    let plan = plan.to_str().expect("utf-8 path");
    let args: Vec<&str> = mode
        .iter()
        .map(|a| if *a == "PLAN" { plan } else { a })
        .collect();
    plandeck(&args, home)
}

fn deep_nesting(levels: usize) -> String {
    let value = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    format!(
        r#"{{"format_version":"1.2","resource_changes":[{{"address":"null_resource.a","type":"null_resource","name":"a","change":{{"actions":["create"],"before":null,"after":{{"deep":{value}}}}}}}]}}"#
    )
}

#[test]
fn bad_input_exits_2_with_one_line_naming_file_and_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = std::fs::read(format!("{PLANS}/tfplan2md-azuredevops-plan1.json")).expect("fixture");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", Vec::new(), "empty file"),
        ("blank.json", b"  \n ".to_vec(), "empty file"),
        ("truncated.json", real[..real.len() / 2].to_vec(), "truncated JSON"),
        ("array.json", b"[1, 2]".to_vec(), "is an array"),
        ("string.json", b"\"plan\"".to_vec(), "is a string"),
        (
            "wrong-type.json",
            br#"{"format_version":"1.2","resource_changes":"oops"}"#.to_vec(),
            "in resource_changes: wrong type",
        ),
        (
            "wrong-actions.json",
            br#"{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":"create"}}]}"#
                .to_vec(),
            "wrong type",
        ),
        (
            "wrong-version-type.json",
            br#"{"format_version":1.2,"resource_changes":[]}"#.to_vec(),
            "invalid format_version",
        ),
        (
            "future.json",
            br#"{"format_version":"2.0","resource_changes":[]}"#.to_vec(),
            "unsupported plan format version \"2.0\"",
        ),
        ("utf8.json", b"{\"format_version\":\"1.2\",\"x\":\"\xff\xfe\"}".to_vec(), "invalid UTF-8 at byte 29"),
        ("deep.json", deep_nesting(100_000).into_bytes(), "nested deeper than 100 levels in null_resource.a"),
        ("state.json", br#"{"format_version":"1.0","values":{}}"#.to_vec(), "state document"),
        ("garbage.json", b"Terraform used the selected providers".to_vec(), "invalid JSON"),
    ];
    for (name, bytes, cause) in cases {
        let path = write(dir.path(), name, &bytes);
        for mode in MODES {
            let out = run_mode(mode, &path, dir.path());
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {mode:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{name} {mode:?}: nothing on stdout");
            assert_eq!(
                stderr.lines().count(),
                1,
                "{name} {mode:?}: one line: {stderr}"
            );
            let expected_start = format!("plandeck: {}: ", path.display());
            assert!(stderr.starts_with(&expected_start), "{name}: {stderr}");
            assert!(
                stderr.contains(cause),
                "{name} {mode:?}: {stderr:?} lacks {cause:?}"
            );
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        }
    }
    let missing = dir.path().join("missing.json");
    let out = run_mode(MODES[0], &missing, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("plandeck: {}: no such file\n", missing.display())
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = plandeck(&["show"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = plandeck(&["summary", "x.json", "--format", "yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stdin_is_read_for_dash() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = std::fs::read(format!("{PLANS}/tofu-show-json-basic-delete.json")).expect("fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(["summary", "-", "--format", "json"])
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&plan)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(summary["counts"]["delete"], 1);
}

/// A plan whose addresses, keys and values carry every kind of hostile text.
fn hostile_plan() -> serde_json::Value {
    let evil = "x\u{1b}[2J\u{1b}]52;c;SGVsbG8=\u{7}\r\u{9b}31m\u{202e}gnp.exe\u{200b}\u{2066}";
    json!({
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": format!("aws_db_instance.main[\"{evil}\"]"),
                "type": "aws_db_instance", "name": "main", "index": evil,
                "change": {
                    "actions": ["delete"],
                    "before": { "name": evil, "tags": { evil: evil }, "list": [evil],
                                "script": format!("line1\n{evil}\nline3\n"),
                                "policy": format!("{{\"Statement\":[{{\"Sid\":\"{}\"}}]}}", "\\u001b[31m") },
                    "after": null, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false
                }
            },
            {
                "address": format!("null_resource.n{evil}"),
                "type": "null_resource", "name": evil,
                "previous_address": format!("null_resource.old{evil}"),
                "action_reason": evil,
                "change": {
                    "actions": ["update"],
                    "before": { "k": "a" }, "after": { "k": evil }, "after_unknown": {},
                    "before_sensitive": {}, "after_sensitive": {}
                }
            },
            // Found by fuzzing: an unknown action list and the resource type in a
            // risk reason (data-bearing by a shipped wildcard) were shown raw.
            {
                "address": "null_resource.unknown", "type": "null_resource", "name": "unknown",
                "change": {
                    "actions": ["create", evil],
                    "before": null, "after": {}, "after_unknown": {},
                    "before_sensitive": false, "after_sensitive": {}
                }
            },
            {
                "address": "aws_fsx_lustre_file_system.fs",
                "type": format!("aws_fsx_{evil}_file_system"), "name": "fs",
                "change": {
                    "actions": ["delete"],
                    "before": { "id": "fs-1" }, "after": null, "after_unknown": {},
                    "before_sensitive": {}, "after_sensitive": false
                }
            }
        ],
        "output_changes": {
            evil: { "actions": ["create"], "before": null, "after": evil, "after_unknown": false,
                    "before_sensitive": false, "after_sensitive": false }
        },
        "checks": [ { "address": { "to_display": evil, "kind": "check" }, "status": "fail",
                      "instances": [ { "address": { "to_display": evil }, "status": "fail",
                                       "problems": [ { "message": evil } ] } ] } ]
    })
}

/// Removes our own SGR sequences (`ESC [ digits/semicolons m`).
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let sgr_len = after.strip_prefix('[').and_then(|a| {
            a.find('m')
                .filter(|&m| a[..m].chars().all(|c| c.is_ascii_digit() || c == ';'))
        });
        match sgr_len {
            Some(m) => rest = &after[m + 2..],
            None => {
                out.push('\u{1b}');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn assert_terminal_safe(output: &str, context: &str) {
    let cleaned = strip_sgr(output);
    for c in cleaned.chars() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}');
        assert!(!bad, "{context}: raw {:?} in output:\n{cleaned}", c);
    }
}

#[test]
fn hostile_strings_come_out_escaped_in_every_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "hostile.json", hostile_plan().to_string());
    for mode in MODES {
        let out = run_mode(mode, &path, dir.path());
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        assert_terminal_safe(&stdout, &format!("{mode:?}"));
        assert_terminal_safe(&text(&out.stderr), &format!("{mode:?} stderr"));
        if mode.contains(&"json") {
            assert!(
                stdout.contains("\\u202e") && stdout.contains("\\u001b"),
                "{stdout}"
            );
            let parsed: serde_json::Value = serde_json::from_str(&stdout).expect("still JSON");
            let address = parsed["destructive"][0]["address"]
                .as_str()
                .expect("address");
            assert!(
                address.contains('\u{202e}'),
                "JSON keeps the exact data, escaped"
            );
        } else {
            assert!(
                stdout.contains("\\x1b"),
                "{mode:?}: the escape is shown escaped:\n{stdout}"
            );
            assert!(
                stdout.contains("\\u{202e}") && stdout.contains("\\u{200b}"),
                "{mode:?}:\n{stdout}"
            );
        }
        if mode[0] == "show" {
            assert!(
                stdout.contains("⚠ hidden characters"),
                "{mode:?}: flagged:\n{stdout}"
            );
        }
    }
}

#[test]
fn color_always_writes_only_sgr_sequences_and_never_writes_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = format!("{PLANS}/tofu-equiv-fully-populated-complex-update-plan.json");
    let coloured = text(&plandeck(&["show", &path, "--color", "always"], dir.path()).stdout);
    assert!(
        coloured.contains("\u{1b}[33m~\u{1b}[0m "),
        "update symbols are yellow"
    );
    assert!(!strip_sgr(&coloured).contains('\u{1b}'));
    let plain = text(&plandeck(&["show", &path, "--color", "never"], dir.path()).stdout);
    assert!(!plain.contains('\u{1b}'));
    assert_eq!(
        strip_sgr(&coloured),
        plain,
        "colour changes nothing but colour"
    );
    // auto with stdout not a terminal: no colour.
    let auto = text(&plandeck(&["show", &path], dir.path()).stdout);
    assert_eq!(auto, plain);
}

/// Runs plandeck with stdout on a pseudo-terminal (util-linux `script`), so
/// `--color auto` sees a terminal. Returns what the terminal received, with
/// the terminal's `\r\n` turned back into `\n`.
fn on_terminal(args: &[&str], home: &Path, no_color: Option<&str>) -> String {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let command: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_plandeck"))
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut script = Command::new("script");
    script
        .args(["-qec", &command.join(" "), "/dev/null"])
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null());
    match no_color {
        Some(value) => script.env("NO_COLOR", value),
        None => script.env_remove("NO_COLOR"),
    };
    let output = script.output().unwrap_or_else(|e| {
        panic!("this test needs `script` (util-linux) to run plandeck on a pseudo-terminal: {e}")
    });
    assert!(
        output.status.success(),
        "script/plandeck failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout).replace("\r\n", "\n")
}

#[test]
fn color_auto_colours_a_terminal_unless_no_color_is_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = format!("{PLANS}/tofu-equiv-fully-populated-complex-update-plan.json");
    let always = text(&plandeck(&["show", &path, "--color", "always"], dir.path()).stdout);
    let never = text(&plandeck(&["show", &path, "--color", "never"], dir.path()).stdout);
    assert!(always.contains('\u{1b}') && !never.contains('\u{1b}'));
    // A terminal, no NO_COLOR: coloured exactly as --color always.
    let auto = on_terminal(&["show", &path], dir.path(), None);
    assert!(auto.contains("\u{1b}[33m~\u{1b}[0m "), "{auto:?}");
    assert_eq!(auto, always);
    // An empty NO_COLOR does not count (no-color.org).
    assert_eq!(on_terminal(&["show", &path], dir.path(), Some("")), always);
    // NO_COLOR=1 on a terminal: plain, exactly as --color never.
    let no_color = on_terminal(&["show", &path], dir.path(), Some("1"));
    assert!(!no_color.contains('\u{1b}'), "{no_color:?}");
    assert_eq!(no_color, never);
    let summary = on_terminal(
        &["summary", &path, "--format", "text"],
        dir.path(),
        Some("1"),
    );
    assert!(
        summary.starts_with("Plan: ") && !summary.contains('\u{1b}'),
        "{summary:?}"
    );
    let summary = on_terminal(&["summary", &path, "--format", "text"], dir.path(), None);
    assert!(summary.starts_with("\u{1b}[1mPlan: "), "{summary:?}");
    // An explicit --color always wins over NO_COLOR.
    let forced = on_terminal(&["show", &path, "--color", "always"], dir.path(), Some("1"));
    assert_eq!(forced, always);
}

/// Secrets flagged sensitive in every place a plan can flag them.
fn sensitive_plan() -> serde_json::Value {
    json!({
        "format_version": "1.2",
        "planned_values": { "outputs": { "legacy_flagged": { "sensitive": true } } },
        "resource_changes": [
            {
                "address": "aws_db_instance.db", "type": "aws_db_instance", "name": "db",
                "change": {
                    "actions": ["delete", "create"],
                    "before": { "password": "SECRET-before-pw", "nested": { "token": "SECRET-nested" },
                                "list": ["public", "SECRET-list-item"], "whole": { "a": "SECRET-whole" },
                                "script": "#!/bin/sh\nexport KEY=SECRET-multiline\n",
                                "policy": "{\"key\":\"SECRET-json\"}" },
                    "after": { "password": "SECRET-after-pw", "nested": { "token": "SECRET-nested2" },
                               "list": ["public", "SECRET-list-item2"], "whole": { "a": "SECRET-whole2" },
                               "script": "#!/bin/sh\nexport KEY=SECRET-multiline2\n",
                               "policy": "{\"key\":\"SECRET-json2\"}" },
                    "after_unknown": {},
                    "before_sensitive": { "password": true, "nested": { "token": true }, "list": [false, true],
                                          "whole": true, "script": true, "policy": true },
                    "after_sensitive": { "password": true, "nested": { "token": true }, "list": [false, true],
                                         "whole": true, "script": true, "policy": true },
                    "replace_paths": [["password"]]
                },
                "action_reason": "replace_because_cannot_update"
            },
            {
                "address": "null_resource.all", "type": "null_resource", "name": "all",
                "change": { "actions": ["create"], "before": null,
                            "after": { "triggers": { "k": "SECRET-whole-resource" } },
                            "after_unknown": {}, "before_sensitive": false, "after_sensitive": true }
            }
        ],
        "resource_drift": [
            {
                "address": "aws_db_instance.db", "type": "aws_db_instance", "name": "db",
                "change": { "actions": ["update"],
                            "before": { "password": "SECRET-drift-before" },
                            "after": { "password": "SECRET-drift-after" }, "after_unknown": {},
                            "before_sensitive": { "password": true }, "after_sensitive": { "password": true } }
            }
        ],
        "output_changes": {
            "flagged": { "actions": ["update"], "before": "SECRET-out-before", "after": "SECRET-out-after",
                         "after_unknown": false, "before_sensitive": true, "after_sensitive": true },
            "legacy_flagged": { "actions": ["create"], "before": null, "after": "SECRET-legacy",
                                "after_unknown": false }
        }
    })
}

/// Runs `plan` through every output mode: no mode may print a secret, and
/// `show` prints the mask and what `shown` says must still be visible.
fn assert_no_secret_in_any_mode(name: &str, plan: &serde_json::Value, shown: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), name, plan.to_string());
    for mode in MODES {
        let out = run_mode(mode, &path, dir.path());
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("SECRET"), "{mode:?} leaked a secret:\n{all}");
        if mode[0] == "show" {
            assert!(all.contains("(sensitive value)"), "{mode:?}:\n{all}");
            if mode.contains(&"--all") {
                assert!(
                    all.contains(shown),
                    "non-sensitive parts still show:\n{all}"
                );
            }
        }
    }
}

#[test]
fn sensitive_values_appear_in_no_output_mode() {
    assert_no_secret_in_any_mode("sensitive.json", &sensitive_plan(), "\"public\"");
}

/// Partly sensitive values in shapes that are shown whole: an object that
/// becomes unknown, a value that changes type, sides marked differently.
fn partly_sensitive_plan() -> serde_json::Value {
    let change = |address: &str, before, after, unknown, bs, sa| {
        json!({ "address": address, "type": "null_resource", "name": "x",
                "change": { "actions": ["update"], "before": before, "after": after,
                            "after_unknown": unknown, "before_sensitive": bs, "after_sensitive": sa } })
    };
    json!({
        "format_version": "1.2",
        "resource_changes": [
            change("null_resource.unknown", json!({ "m": { "k": "SECRET-U" } }), json!({}),
                   json!({ "m": true }), json!({ "m": { "k": true } }), json!({})),
            change("null_resource.to_object", json!({ "m": "plain" }), json!({ "m": { "k": "SECRET-B" } }),
                   json!({}), json!({}), json!({ "m": { "k": true } })),
            change("null_resource.to_string", json!({ "m": { "k": "SECRET-C" } }), json!({ "m": "plain" }),
                   json!({}), json!({ "m": { "k": true } }), json!({})),
            change("null_resource.list_to_string", json!({ "l": ["SECRET-D", "x"] }), json!({ "l": "str" }),
                   json!({}), json!({ "l": [true, false] }), json!({})),
            change("null_resource.marks_differ", json!({ "l": ["SECRET-L"] }), json!({ "l": ["SECRET-L2"] }),
                   json!({}), json!({ "l": true }), json!({ "l": [true] })),
        ]
    })
}

#[test]
fn partly_sensitive_values_shown_whole_are_masked_in_every_mode() {
    assert_no_secret_in_any_mode("partly.json", &partly_sensitive_plan(), "plain");
}

#[test]
fn check_exits_1_on_critical_and_0_within_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let critical = write(dir.path(), "critical.json", sensitive_plan().to_string());
    let out = plandeck(&["check", critical.to_str().expect("path")], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("critical risk: -/+ aws_db_instance.db"),
        "{}",
        text(&out.stdout)
    );
    let create_only = format!("{PLANS}/tfplancomment-0-create.json");
    let out = plandeck(&["check", &create_only], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = plandeck(&["check", &create_only, "--fail-on", "low"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    // Config: a protected address makes a plain delete critical.
    let delete = format!("{PLANS}/tofu-show-json-basic-delete.json");
    let out = plandeck(&["check", &delete], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "a plain delete is high, not critical"
    );
    let config = write(
        dir.path(),
        "c.toml",
        "[risk]\nprotected_addresses = [\"test_instance.*\"]\n",
    );
    let out = plandeck(
        &["--config", config.to_str().expect("path"), "check", &delete],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("protected address (test_instance.*)"));
}

#[test]
fn bad_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "c.toml",
        "[risk]\nprotected_addresses = [\"a\"]\nunknown_key = true\n",
    );
    let plan = format!("{PLANS}/tofu-show-json-basic-delete.json");
    let out = plandeck(
        &["--config", config.to_str().expect("path"), "show", &plan],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "plandeck: {}:3: key `risk.unknown_key`",
            config.display()
        )),
        "{stderr}"
    );
}

#[test]
fn summary_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = format!("{PLANS}/tfjson-action-reason-plan.json");
    let out = plandeck(&["summary", &plan, "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_documented_counts(&json);
    assert!(json["format_version"].is_string());
    assert!(
        json["digest"]
            .as_str()
            .expect("digest")
            .starts_with("sha256:")
    );
    for d in json["destructive"].as_array().expect("destructive") {
        assert!(d["address"].is_string() && d["actions"].is_array() && d["risk"].is_string());
    }
    assert!(json.get("cost").is_none(), "no cost without --cost");
}
