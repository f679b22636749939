//! Cost estimates: Infracost and OpenInfraQuote JSON from the corpus, bad
//! input, thresholds and money formatting.
//!
//! Expected figures are literals read from the fixture files by hand.

use plandeck::cost::*;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus/cost")
        .join(name)
}

fn load(name: &str) -> CostReport {
    match load_cost_file(&fixture(name)) {
        Ok(report) => report,
        Err(e) => panic!("{name}: {e}"),
    }
}

#[track_caller]
fn assert_amount(actual: Option<f64>, expected: f64) {
    match actual {
        Some(x) => assert!((x - expected).abs() < 1e-6, "{x} != {expected}"),
        None => panic!("no amount, expected {expected}"),
    }
}

fn resource<'a>(report: &'a CostReport, address: &str) -> &'a ResourceCost {
    let mut found = report.resources_at(address);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no resource {address}"));
    assert!(found.next().is_none(), "{address} is ambiguous");
    first
}

#[track_caller]
fn parse_err(text: &str) -> String {
    match parse_cost(text) {
        Ok(report) => panic!("parsed {text:?} as {report:?}"),
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
            assert!(!message.contains('\n'), "not one line: {message:?}");
            message
        }
    }
}

fn infracost_with_total(total: &str) -> String {
    format!(
        r#"{{"version":"0.2","currency":"USD","projects":[{{"name":"p",
        "breakdown":{{"resources":[],"totalMonthlyCost":{total}}}}}]}}"#
    )
}

#[test]
fn every_infracost_fixture_parses() {
    let mut count = 0;
    let dir = fixture("");
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.starts_with("infracost-") || name == "infracost-output.schema.json" {
            continue;
        }
        let report = load_cost_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let projects = raw["projects"].as_array().map_or(0, Vec::len);
        assert_eq!(report.source, CostSource::Infracost, "{name}");
        assert_eq!(report.currency, "USD", "{name}");
        assert_eq!(report.projects.len(), projects, "{name}");
        count += 1;
    }
    assert_eq!(count, 25);
}

#[test]
fn schema_and_usage_files_are_rejected_clearly() {
    let schema = load_cost_file(&fixture("infracost-output.schema.json"))
        .expect_err("schema is not an estimate")
        .to_string();
    assert!(
        schema.contains("infracost-output.schema.json: "),
        "{schema}"
    );
    assert!(
        schema.ends_with(
            "not an Infracost or OpenInfraQuote cost JSON: this is a JSON Schema, not a cost estimate"
        ),
        "{schema}"
    );
    let usage = load_cost_file(&fixture("oiq-default-usage-file.json"))
        .expect_err("usage file is not a price output")
        .to_string();
    assert!(usage.contains("oiq-default-usage-file.json: "), "{usage}");
    assert!(
        usage.ends_with("this is an OpenInfraQuote usage file, not `oiq price` output"),
        "{usage}"
    );
    assert!(!schema.contains('\n') && !usage.contains('\n'));
}

#[test]
fn missing_file_names_the_file() {
    let err = load_cost_file(&fixture("no-such-file.json")).expect_err("missing");
    let message = err.to_string();
    assert!(
        message.ends_with("no-such-file.json: no such file"),
        "{message}"
    );
    assert!(message.contains("no-such-file.json"), "{message}");
}

#[test]
fn diff_with_a_removed_and_a_changed_resource() {
    let report = load("infracost-diff-compare-to-format-json-golden.json");
    assert_amount(report.monthly_after, 1303.28);
    assert_amount(report.monthly_before, 2045.92);
    assert_amount(report.monthly_delta, -742.64);
    assert_eq!(report.monthly_delta_range, None);
    let changed = resource(&report, "aws_instance.web_app");
    assert_amount(changed.monthly_before, 742.64);
    assert_amount(changed.monthly_after, 1303.28);
    assert_amount(changed.monthly_delta, 560.64);
    assert_eq!(changed.resource_type.as_deref(), Some("aws_instance"));
    assert_eq!(changed.project_index, Some(0));
    let removed = resource(&report, "aws_instance.web_app2");
    assert_amount(removed.monthly_before, 1303.28);
    assert_eq!(removed.monthly_after, None);
    assert_amount(removed.monthly_delta, -1303.28);
    assert_amount(report.resource_delta("aws_instance.web_app2"), -1303.28);
    assert_eq!(report.resource_delta("aws_instance.nope"), None);
}

#[test]
fn added_resources_in_modules() {
    let report = load("infracost-breakdown-terraform-v0.14-plan.json");
    assert_amount(report.monthly_after, 81.122);
    assert_amount(report.monthly_before, 40.561);
    assert_amount(report.monthly_delta, 40.561);
    assert_eq!(report.resources.len(), 14);
    let db = "module.db.module.db_2.module.db_instance.aws_db_instance.this[0]";
    assert_amount(report.resource_delta(db), 12.985);
    assert_eq!(resource(&report, db).monthly_before, None);
    assert_amount(
        report.resource_delta("aws_instance.instance_named[\"test.2\"]"),
        4.596,
    );
    // Present before and after, not in the diff: unchanged.
    assert_amount(report.resource_delta("aws_instance.instance_1"), 0.0);
}

#[test]
fn totals_of_other_files() {
    let cases: [(&str, f64, f64, f64); 5] = [
        ("infracost-breakdown-out-file.json", 0.0, 1485.28, 1485.28),
        (
            "infracost-breakdown-terraform-v0.14-nochange.json",
            40.561,
            40.561,
            0.0,
        ),
        ("infracost-no-diff.json", 1272.9834, 1272.9834, 0.0),
        (
            "infracost-breakdown-with-tags-golden.json",
            1696.295,
            1696.295,
            0.0,
        ),
        ("infracost-diff-input-current.json", 0.0, 1303.28, 1303.28),
    ];
    for (name, before, after, delta) in cases {
        let report = load(name);
        assert_amount(report.monthly_before, before);
        assert_amount(report.monthly_after, after);
        assert_amount(report.monthly_delta, delta);
    }
}

#[test]
fn totals_computed_from_projects_when_the_top_level_lacks_them() {
    // No `currency`, `pastTotalMonthlyCost` or `diffTotalMonthlyCost`.
    let report = load("infracost-breakdown-azure-firewall-plan.json");
    assert_eq!(report.currency, "USD");
    assert_amount(report.monthly_after, 4018.65);
    assert_amount(report.monthly_before, 0.0);
    assert_amount(report.monthly_delta, 4018.65);
    assert_amount(report.resource_delta("azurerm_public_ip.example"), 3.65);
    assert_amount(report.resource_delta("azurerm_firewall.premium"), 638.75);
}

#[test]
fn multi_project_file_gives_one_project_each() {
    let report = load("infracost-multi-project-5-with-diff.json");
    assert_amount(report.monthly_before, 5269.212);
    assert_amount(report.monthly_after, 3027.528);
    assert_amount(report.monthly_delta, -2241.684);
    let names: Vec<&str> = report.projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "my first project",
            "my first project again",
            "my terragrunt dev project",
            "my terragrunt prod project",
            "my workspace project"
        ]
    );
    let dev = &report.projects[2];
    assert_eq!(dev.path.as_deref(), Some("../../examples/terragrunt/dev"));
    assert_amount(dev.monthly_before, 51.092);
    assert_amount(dev.monthly_after, 51.968);
    assert_amount(dev.monthly_delta, 0.876);
    assert_eq!(dev.error, None);
    assert_amount(report.projects[3].monthly_delta, -560.64);
    // The same address in five projects: no single delta.
    assert_eq!(report.resource_delta("aws_instance.web_app"), None);
    let entries: Vec<&ResourceCost> = report.resources_at("aws_instance.web_app").collect();
    assert_eq!(entries.len(), 5);
    let in_dev = entries
        .iter()
        .find(|r| r.project_index == Some(2))
        .expect("dev entry");
    assert_eq!(in_dev.project.as_deref(), Some("my terragrunt dev project"));
    assert_amount(in_dev.monthly_delta, 0.876);
    // Usage-based, null cost: not priced.
    let lambda = report
        .resources_at("aws_lambda_function.hello_world")
        .next()
        .expect("lambda");
    assert_eq!(lambda.monthly_delta, None);
    assert_eq!(lambda.monthly_after, None);
}

#[test]
fn repeated_project_names_stay_separate() {
    let report = load("infracost-multi-project-6-with-metadata.json");
    assert_eq!(report.projects.len(), 6);
    assert_eq!(report.projects[0].name, report.projects[1].name);
    assert_eq!(
        report.projects[1].path.as_deref(),
        Some("../../examples/terragrunt/prod")
    );
    assert_amount(report.monthly_delta, -2240.808);
    let indexes: Vec<Option<usize>> = report
        .resources_at("aws_instance.web_app")
        .map(|r| r.project_index)
        .collect();
    assert_eq!(indexes, (0..6).map(Some).collect::<Vec<_>>());
}

#[test]
fn project_errors_are_carried() {
    let report = load("infracost-out-with-project-error.json");
    assert_eq!(report.projects.len(), 2);
    let dev = &report.projects[0];
    assert_eq!(
        dev.error.as_deref(),
        Some(
            "Error loading Terraform modules: failed to inspect module path \
             testdata/breakdown_multi_project_with_error/dev diag: Invalid block definition: \
             Either a quoted string block label or an opening brace (\"{\") is expected here. \
             (and 1 other messages)"
        )
    );
    assert_eq!(report.projects[1].error, None);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].starts_with(
        "infracost/infracost/cmd/infracost/testdata/breakdown_multi_project_with_error/dev: Error loading"
    ));
    assert_amount(report.monthly_delta, 1303.28);
    assert_amount(report.resource_delta("aws_instance.web_app"), 1303.28);

    let quota = load("infracost-quota-exceeded.json");
    assert_eq!(
        quota.projects[0].error.as_deref(),
        Some("Infracost free monthly run limit exceeded.")
    );
    let errors = load("infracost-errors.json");
    assert_eq!(
        errors.errors,
        [
            "infracost/infracost/examples/terraform: No valid terraform files found given path, try a different directory"
        ]
    );
    let multi = load("infracost-breakdown-multi-project-with-error-golden.json");
    let with_error: Vec<bool> = multi.projects.iter().map(|p| p.error.is_some()).collect();
    assert_eq!(with_error, [true, true, false, false]);
    // Warnings are not errors.
    assert!(
        load("infracost-breakdown-with-warnings-golden.json")
            .errors
            .is_empty()
    );
}

#[test]
fn no_past_breakdown_and_unpriced_resources() {
    let report = load("infracost-no-previous-breakdown.json");
    let project = &report.projects[0];
    assert_eq!(project.monthly_before, None);
    assert_amount(project.monthly_after, 0.0);
    assert_amount(project.monthly_delta, 0.0);
    let ecr = resource(&report, "module.ecr.aws_ecr_repository.this[0]");
    assert_eq!(ecr.resource_type.as_deref(), Some("aws_ecr_repository"));
    assert_eq!(ecr.monthly_delta, None);
}

#[test]
fn empty_project_list() {
    let report = load("infracost-no-project.json");
    assert!(report.projects.is_empty() && report.resources.is_empty());
    assert_amount(report.monthly_delta, 0.0);
}

#[test]
fn delta_without_diff_is_computed() {
    let text = r#"{"version":"0.2","currency":"EUR","projects":[
      {"name":"new","metadata":{"path":"roots/new"},
       "breakdown":{"totalMonthlyCost":"30","resources":[
         {"name":"a.x","monthlyCost":"10"},{"name":"a.y","monthlyCost":"20"}]}},
      {"name":"changed",
       "pastBreakdown":{"totalMonthlyCost":"15","resources":[
         {"name":"b.kept","monthlyCost":"5"},{"name":"b.gone","monthlyCost":"10"}]},
       "breakdown":{"totalMonthlyCost":"12.5","resources":[
         {"name":"b.kept","monthlyCost":"7.5"},{"name":"b.new","monthlyCost":"5"},
         {"name":"b.usage","monthlyCost":null}]}}]}"#;
    let report = parse_cost(text).expect("parses");
    assert_eq!(report.currency, "EUR");
    assert_amount(report.projects[0].monthly_delta, 30.0);
    assert_eq!(report.projects[0].monthly_before, None);
    assert_eq!(report.projects[0].path.as_deref(), Some("roots/new"));
    assert_amount(report.projects[1].monthly_delta, -2.5);
    assert_amount(report.monthly_delta, 27.5);
    assert_amount(report.monthly_after, 42.5);
    assert_amount(report.resource_delta("a.y"), 20.0);
    assert_amount(report.resource_delta("b.kept"), 2.5);
    assert_amount(report.resource_delta("b.gone"), -10.0);
    assert_amount(report.resource_delta("b.new"), 5.0);
    assert_eq!(report.resource_delta("b.usage"), None);
    let order: Vec<&str> = report
        .resources
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    assert_eq!(
        order,
        ["a.x", "a.y", "b.kept", "b.new", "b.usage", "b.gone"]
    );
}

#[test]
fn openinfraquote_docs_example() {
    let report = load("oiq-price-format-json-docs-example.json");
    assert_eq!(report.source, CostSource::OpenInfraQuote);
    assert_eq!(report.currency, "USD");
    assert!(report.projects.is_empty());
    assert_amount(report.monthly_before, 63.849999999999994);
    assert_amount(report.monthly_after, 63.849999999999994);
    assert_amount(report.monthly_delta, 0.0);
    assert_eq!(report.monthly_delta_range, None);
    assert_eq!(report.resources.len(), 3);
    let added = resource(&report, "aws_s3_bucket.example4");
    assert_eq!(added.monthly_before, None);
    assert_amount(added.monthly_after, 63.849999999999994);
    assert_amount(added.monthly_delta, 63.849999999999994);
    assert_eq!(added.resource_type.as_deref(), Some("aws_s3_bucket"));
    assert_eq!(added.project, None);
    let removed = resource(&report, "aws_s3_bucket.example2");
    assert_amount(removed.monthly_before, 63.849999999999994);
    assert_eq!(removed.monthly_after, None);
    assert_amount(removed.monthly_delta, -63.849999999999994);
    assert_amount(report.resource_delta("aws_s3_bucket.example"), 0.0);
}

#[test]
fn openinfraquote_ranges_are_kept() {
    let text = r#"{"price":{"min":100,"max":140},"prev_price":{"min":90,"max":110},
      "price_diff":{"min":10,"max":30},"resources":[
      {"address":"aws_db_instance.db","type":"aws_db_instance","name":"db","change":"add",
       "price":{"min":10,"max":30}},
      {"address":"aws_instance.web","change":"remove","price":{"min":-5,"max":-15}},
      {"address":"aws_instance.web","change":"add","price":{"min":8,"max":8}},
      {"address":"aws_sqs_queue.q","change":"update","price":{"min":1,"max":2}}]}"#;
    let report = parse_cost(text).expect("parses");
    assert_amount(report.monthly_after, 120.0);
    assert_amount(report.monthly_before, 100.0);
    assert_amount(report.monthly_delta, 20.0);
    assert_eq!(
        report.monthly_delta_range,
        Some(CostRange {
            min: 10.0,
            max: 30.0
        })
    );
    assert_amount(report.monthly_delta_upper(), 30.0);
    let db = resource(&report, "aws_db_instance.db");
    assert_amount(db.monthly_delta, 20.0);
    assert_eq!(
        db.monthly_delta_range,
        Some(CostRange {
            min: 10.0,
            max: 30.0
        })
    );
    // A replacement (remove + add at one address) is merged.
    let web = resource(&report, "aws_instance.web");
    assert_amount(web.monthly_before, 10.0);
    assert_amount(web.monthly_after, 8.0);
    assert_amount(web.monthly_delta, -2.0);
    assert_eq!(
        web.monthly_delta_range,
        Some(CostRange {
            min: -7.0,
            max: 3.0
        })
    );
    assert_amount(web.monthly_delta_upper(), 3.0);
    // Unknown change kind: no figures rather than wrong ones.
    assert_eq!(report.resource_delta("aws_sqs_queue.q"), None);
}

#[test]
fn bad_input_gives_one_line_errors() {
    assert_eq!(
        parse_err(""),
        "invalid JSON: EOF while parsing a value at line 1 column 0"
    );
    assert!(parse_err("{\"projects\": [").starts_with("invalid JSON: "));
    assert_eq!(
        parse_err("[]"),
        "not an Infracost or OpenInfraQuote cost JSON: top-level value is an array, expected an object"
    );
    assert_eq!(
        parse_err("{}"),
        "not an Infracost or OpenInfraQuote cost JSON: no `projects` or `price` field"
    );
    assert!(parse_err("null").contains("top-level value is null"));
    assert_eq!(
        parse_err(&infracost_with_total("\"abc\"")),
        "invalid cost value \"abc\" at projects[0].breakdown.totalMonthlyCost"
    );
    assert_eq!(
        parse_err(&infracost_with_total("true")),
        "invalid cost value true at projects[0].breakdown.totalMonthlyCost"
    );
    for not_a_number in [
        "\"NaN\"",
        "\"inf\"",
        "\"-infinity\"",
        "\"1e999\"",
        "\"\"",
        "\"1\\n2\"",
    ] {
        let message = parse_err(&infracost_with_total(not_a_number));
        assert!(message.starts_with("invalid cost value "), "{message}");
    }
    assert!(parse_err(&infracost_with_total("1e999")).starts_with("invalid JSON: "));
    assert_eq!(
        parse_err(r#"{"projects":"all"}"#),
        "expected an array at projects, found a string"
    );
    assert_eq!(
        parse_err(r#"{"projects":[1]}"#),
        "expected an object at projects[0], found a number"
    );
    assert_eq!(
        parse_err(r#"{"projects":[{"breakdown":{"resources":[{"monthlyCost":"1"}]}}]}"#),
        "missing field projects[0].breakdown.resources[0].name"
    );
    assert_eq!(
        parse_err(r#"{"version":"1.0","projects":[]}"#),
        "unsupported Infracost JSON version \"1.0\" (expected 0.x)"
    );
    assert_eq!(parse_err(r#"{"version":"0.2"}"#), "missing field projects");
    assert_eq!(
        parse_err(r#"{"price":{"min":1}}"#),
        "missing field price.max"
    );
    assert_eq!(
        parse_err(r#"{"price":{"min":1,"max":2},"resources":[{"address":7}]}"#),
        "expected a string at resources[0].address, found a number"
    );
    let long = format!("\"{}\"", "9x".repeat(500));
    assert!(parse_err(&infracost_with_total(&long)).len() < 200);
    // Deep nesting hits the parser's recursion limit, not the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_err(&deep).starts_with("invalid JSON: recursion limit exceeded"));
}

#[test]
fn byte_order_mark_is_ignored() {
    let text = format!("\u{feff}{}", infracost_with_total("\"5\""));
    assert_amount(parse_cost(&text).expect("parses").monthly_after, 5.0);
}

#[test]
fn large_finite_values_are_accepted() {
    let report = parse_cost(&infracost_with_total("\"1e300\"")).expect("parses");
    assert_amount(report.monthly_after.map(|x| x / 1e300), 1.0);
    // Two huge totals overflow when summed: unknown rather than infinite.
    let text = r#"{"projects":[{"breakdown":{"totalMonthlyCost":"1e308"}},
        {"breakdown":{"totalMonthlyCost":"1e308"}}]}"#;
    assert_eq!(parse_cost(text).expect("parses").monthly_after, None);
}

#[test]
fn truncated_files_never_panic() {
    for name in [
        "infracost-diff-compare-to-format-json-golden.json",
        "infracost-out-with-project-error.json",
        "oiq-price-format-json-docs-example.json",
    ] {
        let text = std::fs::read_to_string(fixture(name)).expect("read");
        let mut cut = 0;
        while cut < text.trim_end().len() {
            if text.is_char_boundary(cut) {
                let message = parse_err(&text[..cut]);
                assert!(
                    message.starts_with("invalid JSON: "),
                    "{name} at {cut}: {message}"
                );
            }
            cut += 7;
        }
        assert!(parse_cost(&text).is_ok());
    }
}

#[test]
fn wrong_types_anywhere_never_panic() {
    let text =
        std::fs::read_to_string(fixture("infracost-diff-compare-to-format-json-golden.json"))
            .expect("read");
    let original: serde_json::Value = serde_json::from_str(&text).expect("json");
    let replacements = [
        serde_json::json!(null),
        serde_json::json!(true),
        serde_json::json!(-1.5),
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({}),
    ];
    // Replace every value in the document, one at a time.
    fn paths(value: &serde_json::Value, prefix: String, out: &mut Vec<String>) {
        out.push(prefix.clone());
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    paths(v, format!("{prefix}/{k}"), out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    paths(v, format!("{prefix}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(&original, String::new(), &mut all);
    for pointer in all.iter().skip(1) {
        for replacement in &replacements {
            let mut mutated = original.clone();
            if let Some(slot) = mutated.pointer_mut(pointer) {
                *slot = replacement.clone();
            }
            if let Err(e) = parse_cost(&mutated.to_string()) {
                assert!(!e.to_string().contains('\n'));
            }
        }
    }
}

#[test]
fn thresholds_classify_deltas() {
    let t = CostThresholds::default();
    assert_eq!(t.warn_monthly_delta, 100.0);
    assert_eq!(t.critical_monthly_delta, 1000.0);
    assert_eq!(t.level(-0.01), CostLevel::Decrease);
    assert_eq!(t.level(-5000.0), CostLevel::Decrease);
    assert_eq!(t.level(0.0), CostLevel::Neutral);
    assert_eq!(t.level(0.004), CostLevel::Neutral);
    assert_eq!(t.level(f64::NAN), CostLevel::Neutral);
    assert_eq!(t.level(0.01), CostLevel::Increase);
    assert_eq!(t.level(99.99), CostLevel::Increase);
    assert_eq!(t.level(100.0), CostLevel::Warn);
    assert_eq!(t.level(999.99), CostLevel::Warn);
    assert_eq!(t.level(1000.0), CostLevel::Critical);
    assert_eq!(t.level(f64::INFINITY), CostLevel::Critical);
    assert!(CostLevel::Critical > CostLevel::Warn && CostLevel::Warn > CostLevel::Increase);
    assert!(t.validate().is_ok());
}

#[test]
fn thresholds_from_toml() {
    let partial: CostThresholds = toml::from_str("warn_monthly_delta = 50.0").expect("toml");
    assert_eq!(partial.warn_monthly_delta, 50.0);
    assert_eq!(partial.critical_monthly_delta, 1000.0);
    assert_eq!(partial.level(60.0), CostLevel::Warn);
    let empty: CostThresholds = toml::from_str("").expect("toml");
    assert_eq!(empty, CostThresholds::default());
    assert!(toml::from_str::<CostThresholds>("warn = 5.0").is_err());
    let inverted = CostThresholds {
        warn_monthly_delta: 2000.0,
        critical_monthly_delta: 1000.0,
    };
    assert_eq!(
        inverted.validate().expect_err("inverted").to_string(),
        "invalid cost thresholds: warn_monthly_delta (2000) exceeds critical_monthly_delta (1000)"
    );
    assert_eq!(inverted.level(1500.0), CostLevel::Critical);
    let negative = CostThresholds {
        warn_monthly_delta: -1.0,
        ..CostThresholds::default()
    };
    assert!(negative.validate().is_err());
}

#[test]
fn money_formatting() {
    assert_eq!(format_money(12.34, "USD"), "+$12.34/mo");
    assert_eq!(format_money(-5.0, "USD"), "-$5.00/mo");
    assert_eq!(format_money(0.0, "USD"), "$0.00/mo");
    assert_eq!(format_money(-0.001, "USD"), "$0.00/mo");
    assert_eq!(format_money(12.34, "EUR"), "+12.34 EUR/mo");
    assert_eq!(format_delta(-742.64, "EUR"), "-742.64 EUR/mo");
    assert_eq!(format_delta(1234567.891, "USD"), "+$1,234,567.89/mo");
    assert_eq!(format_delta(999.999, "USD"), "+$1,000.00/mo");
    assert_eq!(format_amount(1303.28, "USD"), "$1,303.28/mo");
    assert_eq!(format_amount(-5.0, "usd"), "-$5.00/mo");
    assert_eq!(format_amount(100.0, ""), "100.00/mo");
    assert_eq!(format_amount(f64::NAN, "USD"), "n/a");
    assert_eq!(format_delta(f64::INFINITY, "USD"), "n/a");
    assert!(format_amount(1e300, "USD").ends_with(".00/mo"));
    assert_eq!(
        format_delta_range(
            CostRange {
                min: 10.0,
                max: 25.5
            },
            "USD"
        ),
        "+$10.00/mo to +$25.50/mo"
    );
    assert_eq!(
        format_delta_range(CostRange::new(3.0, 3.001), "USD"),
        "+$3.00/mo"
    );
}

#[test]
fn report_serialises_for_json_summaries() {
    let report = load("infracost-diff-compare-to-format-json-golden.json");
    let value = serde_json::to_value(&report).expect("serialises");
    assert_eq!(value["source"], "infracost");
    assert_eq!(value["currency"], "USD");
    assert_eq!(value["projects"][0]["error"], serde_json::Value::Null);
    assert_eq!(value["resources"][0]["address"], "aws_instance.web_app");
    let oiq = load("oiq-price-format-json-docs-example.json");
    assert_eq!(
        serde_json::to_value(&oiq).expect("serialises")["source"],
        "openinfraquote"
    );
    assert_eq!(
        serde_json::to_value(CostLevel::Warn).expect("serialises"),
        "warn"
    );
}

/// Found by fuzzing: the currency was shown raw beside every amount, so a
/// cost file could write `ESC [2J` (clear the screen) into `show`.
#[test]
fn a_currency_that_is_not_a_three_letter_code_is_refused() {
    let with = |currency: &str| {
        format!(
            r#"{{"version":"0.2","currency":{},"projects":[{{"name":"p",
            "breakdown":{{"resources":[],"totalMonthlyCost":"1"}}}}]}}"#,
            serde_json::to_string(currency).expect("a string")
        )
    };
    for bad in ["E\u{1b}[2J", "US", "EURO", "U$D", "€UR", ""] {
        let message = parse_err(&with(bad));
        assert!(
            message.starts_with("invalid currency ")
                && message.ends_with(" at currency: expected a three-letter code such as USD"),
            "{bad:?}: {message}"
        );
        assert!(!message.contains('\u{1b}'), "escaped: {message:?}");
    }
    for good in ["USD", "EUR", "chf"] {
        let report = parse_cost(&with(good)).expect("a three-letter code");
        assert_eq!(report.currency, good);
    }
}
