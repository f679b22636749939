//! Every real plan of the corpus parses, renders and summarises, and its
//! counts equal those computed independently by `jq`
//! (tests/fixtures/corpus/expected_counts.sh → expected_counts.tsv).

use plandeck::cost::CostThresholds;
use plandeck::plan::{ActionCounts, load_plan};
use plandeck::render::{RenderContext, RenderOptions, Role, plan_lines};
use plandeck::risk::RiskPolicy;
use plandeck::summary::Summary;
use std::collections::BTreeMap;
use std::path::Path;

mod support;

use support::corpus::{PLANS, name, plan_files};

fn expected_counts() -> BTreeMap<String, Vec<usize>> {
    let text = std::fs::read_to_string("tests/fixtures/corpus/expected_counts.tsv")
        .expect("expected_counts.tsv is committed");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    assert_eq!(
        header,
        [
            "file",
            "create",
            "update",
            "delete",
            "replace",
            "read",
            "no_op",
            "forget",
            "move",
            "import",
            "output_changes",
            "drift"
        ]
    );
    lines
        .map(|line| {
            let mut cells = line.split('\t');
            let file = cells.next().expect("file").to_string();
            let numbers = cells.map(|c| c.parse().expect("a count")).collect();
            (file, numbers)
        })
        .collect()
}

#[test]
fn every_corpus_plan_has_an_independent_expected_count() {
    let expected = expected_counts();
    let files: Vec<String> = plan_files().iter().map(|p| name(p)).collect();
    assert_eq!(files.len(), 166, "the corpus has 166 plans");
    assert_eq!(expected.keys().cloned().collect::<Vec<_>>(), files);
}

#[test]
fn every_corpus_plan_counts_as_jq_counts() {
    let expected = expected_counts();
    for path in plan_files() {
        let plan = load_plan(&path).unwrap_or_else(|e| panic!("{e}"));
        let c = ActionCounts::of(&plan.resource_changes);
        let changed_outputs = plan.output_changes.len();
        let actual = vec![
            c.create,
            c.update,
            c.delete,
            c.replace,
            c.read,
            c.no_op,
            c.forget,
            c.moved,
            c.import,
            changed_outputs,
            plan.resource_drift.len(),
        ];
        assert_eq!(c.unknown, 0, "{}", name(&path));
        assert_eq!(actual, expected[&name(&path)], "counts of {}", name(&path));
    }
}

#[test]
fn every_corpus_plan_renders_and_summarises() {
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let options = RenderOptions::default();
    let ctx = RenderContext {
        risk: &risk,
        cost: None,
        cost_thresholds: &thresholds,
        options: &options,
    };
    for path in plan_files() {
        let plan = load_plan(&path).unwrap_or_else(|e| panic!("{e}"));
        let summary = Summary::of(&plan, &risk, None, &thresholds);
        assert!(plan.digest.starts_with("sha256:v2:") && plan.digest.len() == 74);
        let lines = plan_lines(&plan, &summary, &ctx);
        let text: Vec<String> = lines.iter().map(|l| l.plain()).collect();
        let text = text.join("\n");
        assert!(
            text.contains(&plan.digest),
            "{}: header names the digest",
            name(&path)
        );
        assert!(
            !text.contains("could not be read"),
            "{}: every value renders\n{text}",
            name(&path)
        );
        // Each change that does something has its own header line.
        let shown = plan.resource_changes.iter().filter(|rc| {
            rc.change.kind != plandeck::plan::ChangeKind::NoOp || rc.is_move() || rc.is_import()
        });
        for rc in shown {
            let header = format!("# {} ", plandeck::sanitize::escape(&rc.address).text);
            assert!(
                text.contains(&header),
                "{}: no header for {}",
                name(&path),
                rc.address
            );
        }
        // Every destructive change is badged.
        let badges = lines
            .iter()
            .filter(|l| {
                l.spans
                    .iter()
                    .any(|s| matches!(s.role, Role::Critical | Role::High))
            })
            .count();
        assert!(badges >= summary.destructive.len(), "{}", name(&path));
        let json: serde_json::Value = serde_json::from_str(&summary.to_json()).expect("valid JSON");
        assert_eq!(json["digest"], plan.digest.as_str());
        assert_eq!(json["counts"]["create"], c_create(&plan));
        let md = summary.to_markdown(&plan, &ctx);
        assert!(md.contains("<details>") && md.contains("</details>"));
    }
}

fn c_create(plan: &plandeck::plan::Plan) -> usize {
    plan.resource_changes
        .iter()
        .filter(|rc| rc.change.actions == ["create"])
        .count()
}

#[test]
fn format_versions_from_0_1_to_1_2_are_all_represented_and_read() {
    let mut seen = std::collections::BTreeSet::new();
    for path in plan_files() {
        let plan = load_plan(&path).unwrap_or_else(|e| panic!("{e}"));
        if let Some(v) = plan.format_version {
            seen.insert(v);
        }
        assert!(
            plan.warnings.is_empty(),
            "{}: {:?}",
            name(&path),
            plan.warnings
        );
    }
    let seen: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(seen, ["0.1", "0.2", "1.0", "1.1", "1.2"]);
}

#[test]
fn errored_and_checks_plans_are_flagged_at_the_top() {
    let plan = load_plan(Path::new(&format!(
        "{PLANS}/tofu-show-json-plan-error.json"
    )))
    .expect("loads");
    assert!(plan.errored);
    let flags = plan.status_flags();
    assert!(flags.iter().any(|f| f.starts_with("ERRORED")), "{flags:?}");
    let checks =
        load_plan(Path::new(&format!("{PLANS}/tfjson-has-checks-plan.json"))).expect("loads");
    assert!(!checks.checks.is_empty());
    let conditions = load_plan(Path::new(&format!(
        "{PLANS}/tf-v1.5.7-show-json-conditions-condition-results.json"
    )))
    .expect("loads");
    assert_eq!(
        conditions.checks.len(),
        3,
        "condition_results are read as checks"
    );
}
