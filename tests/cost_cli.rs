//! Cost end to end: `show --cost`, `summary --cost` and bad cost files, run
//! through the built binary. Expected figures are worked out by hand from
//! the fixtures (see each test), never by calling plandeck's own code.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::cli::{plandeck, write};

const PLAN: &str = "assets/sample/plan.json";
/// Infracost diff form: `pastBreakdown`, `breakdown` and `diff` per project.
const INFRACOST_DIFF: &str = "assets/sample/infracost.json";
const OIQ: &str = "tests/fixtures/corpus/cost/oiq-price-format-json-docs-example.json";

/// Infracost breakdown form for the sample plan: only `breakdown`, no past
/// costs, so every resource's delta is its whole monthly cost.
const INFRACOST_BREAKDOWN: &str = r#"{
  "version": "0.2",
  "currency": "USD",
  "projects": [{
    "name": "shop/prod",
    "breakdown": {
      "resources": [
        {"name": "aws_db_instance.main", "monthlyCost": "312.004"},
        {"name": "aws_instance.web", "monthlyCost": "70.08"},
        {"name": "aws_lb.web", "monthlyCost": null}
      ],
      "totalMonthlyCost": "382.084"
    }
  }],
  "totalMonthlyCost": "382.084"
}"#;

fn ok_stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

/// `--config config command PLAN --cost INFRACOST_DIFF`, then `tail`.
fn with_cost<'a>(config: &'a str, command: &'a str, tail: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--config", config, command, PLAN, "--cost", INFRACOST_DIFF];
    args.extend_from_slice(tail);
    args
}

/// Thresholds low enough for the sample: warn from $30, critical from $50.
fn low_thresholds(dir: &Path) -> PathBuf {
    write(
        dir,
        "config.toml",
        "[cost]\nwarn_monthly_delta = 30.0\ncritical_monthly_delta = 50.0\n",
    )
}

fn summary_json(args: &[&str], home: &Path) -> Value {
    let output = plandeck(args, home);
    let text = ok_stdout(&output);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn resource<'a>(cost: &'a Value, address: &str) -> &'a Value {
    cost["resources"]
        .as_array()
        .expect("resources array")
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in {cost}"))
}

#[test]
fn summary_json_cost_of_an_infracost_diff() {
    let home = tempfile::tempdir().expect("tempdir");
    let json = summary_json(
        &[
            "summary",
            PLAN,
            "--cost",
            INFRACOST_DIFF,
            "--format",
            "json",
        ],
        home.path(),
    );
    let cost = &json["cost"];
    // Totals as the file states them: 340.77 -> 400.58, 400.58 - 340.77 = 59.81.
    assert_eq!(cost["currency"], "USD");
    assert_eq!(cost["monthly_before"], 340.77);
    assert_eq!(cost["monthly_after"], 400.58);
    assert_eq!(cost["monthly_delta"], 59.81);
    // Default thresholds warn at $100: an increase of $59.81 is only that.
    assert_eq!(cost["level"], "increase");
    assert_eq!(cost["thresholds"]["warn_monthly_delta"], 100.0);
    // Per resource: 312.00 - 292.00, 70.08 - 30.37, 18.40 - 18.40, 0.10 new.
    let db = resource(cost, "aws_db_instance.main");
    assert_eq!(db["monthly_before"], 292.0);
    assert_eq!(db["monthly_after"], 312.0);
    assert_eq!(db["monthly_delta"], 20.0);
    assert_eq!(resource(cost, "aws_instance.web")["monthly_delta"], 39.71);
    assert_eq!(resource(cost, "aws_lb.web")["monthly_delta"], 0.0);
    assert_eq!(resource(cost, "aws_lb.web")["level"], "neutral");
    let alarm = resource(cost, "aws_cloudwatch_metric_alarm.cpu[\"web\"]");
    assert_eq!(alarm["monthly_delta"], 0.1);
    assert_eq!(alarm["monthly_before"], Value::Null);
    assert_eq!(cost["resources"].as_array().map(Vec::len), Some(4));
}

#[test]
fn summary_json_cost_of_an_infracost_breakdown_is_rounded_to_cents() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = write(home.path(), "breakdown.json", INFRACOST_BREAKDOWN);
    let file = file.to_str().expect("utf-8 path");
    let output = plandeck(
        &["summary", PLAN, "--cost", file, "--format", "json"],
        home.path(),
    );
    let text = ok_stdout(&output);
    let json: Value = serde_json::from_str(&text).expect("json");
    let cost = &json["cost"];
    // No past breakdown: the delta is the whole new cost, 382.084 -> 382.08.
    assert_eq!(cost["monthly_delta"], 382.08);
    assert_eq!(cost["monthly_after"], 382.08);
    assert_eq!(
        resource(cost, "aws_db_instance.main")["monthly_delta"],
        312.0
    );
    assert_eq!(resource(cost, "aws_instance.web")["monthly_delta"], 70.08);
    // Not priced: null, not zero.
    assert_eq!(resource(cost, "aws_lb.web")["monthly_delta"], Value::Null);
    assert!(
        !text.contains("382.084") && !text.contains("312.004"),
        "{text}"
    );
}

#[test]
fn summary_json_cost_of_openinfraquote_is_rounded_to_cents() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = plandeck(
        &["summary", PLAN, "--cost", OIQ, "--format", "json"],
        home.path(),
    );
    let text = ok_stdout(&output);
    // The file says 63.849999999999994 everywhere; JSON shows cents.
    assert!(!text.contains("63.849999"), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    let cost = &json["cost"];
    assert_eq!(cost["monthly_before"], 63.85);
    assert_eq!(cost["monthly_after"], 63.85);
    assert_eq!(cost["monthly_delta"], 0.0);
    assert_eq!(cost["level"], "neutral");
    // "add" costs its price, "remove" saves it, "noop" changes nothing.
    let added = resource(cost, "aws_s3_bucket.example4");
    assert_eq!(added["monthly_delta"], 63.85);
    assert_eq!(added["level"], "increase");
    let removed = resource(cost, "aws_s3_bucket.example2");
    assert_eq!(removed["monthly_delta"], -63.85);
    assert_eq!(removed["level"], "decrease");
    assert_eq!(
        resource(cost, "aws_s3_bucket.example")["monthly_delta"],
        0.0
    );
}

#[test]
fn show_gives_each_resource_its_delta() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = plandeck(
        &["show", PLAN, "--cost", INFRACOST_DIFF, "--color", "never"],
        home.path(),
    );
    let text = ok_stdout(&output);
    let header = |address: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("  # {address} ")))
            .unwrap_or_else(|| panic!("no header for {address}:\n{text}"))
            .to_string()
    };
    assert!(header("aws_db_instance.main").ends_with("(+$20.00/mo)"));
    assert!(header("aws_instance.web").ends_with("(+$39.71/mo)"));
    assert!(header("aws_cloudwatch_metric_alarm.cpu[\"web\"]").ends_with("(+$0.10/mo)"));
    // Unchanged cost: no sign.
    assert!(header("aws_lb.web").ends_with("($0.00/mo)"));
    // Not in the cost file: no figure at all.
    assert!(!header("aws_s3_bucket.legacy_exports").contains("/mo"));
    assert!(text.contains("Cost: +$59.81/mo\n"), "{text}");
    // Default thresholds ($100/$1000): nothing is marked.
    assert!(!text.contains("[COST"), "{text}");
}

#[test]
fn deltas_past_the_configured_thresholds_are_marked_in_text_and_markdown() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = low_thresholds(home.path());
    let config = config.to_str().expect("utf-8 path");
    let show = plandeck(
        &with_cost(config, "show", &["--color", "never"]),
        home.path(),
    );
    let text = ok_stdout(&show);
    // Total 59.81 >= 50: critical. aws_instance.web 39.71 >= 30: warning.
    // aws_db_instance.main 20.00 < 30: unmarked.
    assert!(
        text.contains("Cost: +$59.81/mo [COST CRITICAL: at least +$50.00/mo]\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  # aws_instance.web will be updated in-place (+$39.71/mo) [COST WARN: at least +$30.00/mo]\n"
        ),
        "{text}"
    );
    let db = text
        .lines()
        .find(|l| l.starts_with("  # aws_db_instance.main "))
        .expect("db header");
    assert!(db.ends_with("(+$20.00/mo)"), "{db}");

    let md = plandeck(
        &with_cost(config, "summary", &["--format", "markdown"]),
        home.path(),
    );
    let md = ok_stdout(&md);
    assert!(
        md.contains("**Cost:** +$59.81/mo **[COST CRITICAL: at least +$50.00/mo]**"),
        "{md}"
    );
    assert!(
        md.contains("(+$39.71/mo) [COST WARN: at least +$30.00/mo]"),
        "{md}"
    );

    let json = summary_json(
        &with_cost(config, "summary", &["--format", "json"]),
        home.path(),
    );
    assert_eq!(json["cost"]["level"], "critical");
    assert_eq!(resource(&json["cost"], "aws_instance.web")["level"], "warn");
    assert_eq!(
        resource(&json["cost"], "aws_db_instance.main")["level"],
        "increase"
    );
}

#[test]
fn deltas_past_the_thresholds_are_highlighted_in_colour() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = low_thresholds(home.path());
    let config = config.to_str().expect("utf-8 path");
    let args = |color| with_cost(config, "show", &["--color", color]);
    let text = ok_stdout(&plandeck(&args("always"), home.path()));
    // Critical: bold white on red; warning: bold yellow; a plain increase
    // below the thresholds is bold yellow too but carries no badge.
    assert!(
        text.contains("\x1b[1;97;41m+$59.81/mo\x1b[0m \x1b[1;97;41m[COST CRITICAL: at least +$50.00/mo]\x1b[0m"),
        "{text:?}"
    );
    assert!(
        text.contains(
            "\x1b[1;33m(+$39.71/mo)\x1b[0m \x1b[1;33m[COST WARN: at least +$30.00/mo]\x1b[0m"
        ),
        "{text:?}"
    );
    let plain = ok_stdout(&plandeck(&args("never"), home.path()));
    assert!(!plain.contains('\x1b'), "{plain:?}");
}

#[test]
fn bad_cost_files_give_one_line_naming_the_file() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path();
    let full = std::fs::read_to_string(INFRACOST_DIFF).expect("fixture");
    let missing = dir.join("missing.json");
    let cases: Vec<(PathBuf, &str)> = vec![
        (missing, "no such file"),
        (
            write(dir, "truncated.json", &full[..full.len() / 2]),
            "invalid JSON: EOF while parsing",
        ),
        (
            write(dir, "empty.json", ""),
            "invalid JSON: EOF while parsing",
        ),
        (
            write(dir, "array.json", "[1, 2]"),
            "not an Infracost or OpenInfraQuote cost JSON: top-level value is an array",
        ),
        (
            write(dir, "other.json", r#"{"hello": "world"}"#),
            "not an Infracost or OpenInfraQuote cost JSON: no `projects` or `price` field",
        ),
        (
            write(
                dir,
                "projects.json",
                r#"{"version": "0.2", "projects": {}}"#,
            ),
            "expected an array at projects",
        ),
        (dir.to_path_buf(), "is a directory"),
    ];
    let binary = write(dir, "latin1.json", "");
    std::fs::write(&binary, b"{\"projects\": [], \"currency\": \"\xe9\"}").expect("write");
    let mut cases = cases;
    cases.push((binary, "invalid UTF-8 at byte 30"));
    for (file, cause) in &cases {
        let name = file.to_str().expect("utf-8 path");
        for verb in [
            vec!["show", PLAN, "--cost", name],
            vec!["summary", PLAN, "--cost", name, "--format", "json"],
            vec!["check", PLAN, "--cost", name],
        ] {
            let output = plandeck(&verb, dir);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{verb:?}: {stderr}");
            assert!(output.stdout.is_empty(), "{verb:?}");
            assert_eq!(stderr.lines().count(), 1, "{verb:?}: {stderr}");
            let expected = format!("plandeck: {name}: {cause}");
            assert!(
                stderr.starts_with(&expected),
                "{verb:?}: {stderr:?} does not start with {expected:?}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}
