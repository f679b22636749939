//! `summary --format markdown`: the output without a limit is pinned (every
//! corpus plan's Markdown by its SHA-256, two in full), so a change to how
//! Markdown is assembled cannot change a byte of it unnoticed.

use plandeck::cost::{CostThresholds, load_cost_file};
use plandeck::plan::{Plan, load_plan, parse_plan};
use plandeck::render::{RenderContext, RenderOptions};
use plandeck::risk::RiskPolicy;
use plandeck::summary::Summary;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const PLANS: &str = "tests/fixtures/corpus/plans";
const COSTS: &str = "tests/fixtures/corpus/cost";

fn plan_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(PLANS)
        .expect("plans dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// The Markdown `summary` writes for a plan, with an optional cost file.
fn markdown(plan: &Plan, cost: Option<&Path>) -> String {
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let options = RenderOptions::default();
    let cost = cost.map(|c| load_cost_file(c).expect("cost loads"));
    let ctx = RenderContext {
        risk: &risk,
        cost: cost.as_ref(),
        cost_thresholds: &thresholds,
        options: &options,
    };
    Summary::of(plan, &risk, cost.as_ref(), &thresholds).to_markdown(plan, &ctx)
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn markdown_without_a_limit_is_pinned_for_every_corpus_plan() {
    let mut listing = String::new();
    for path in plan_files() {
        let plan = load_plan(&path).unwrap_or_else(|e| panic!("{e}"));
        listing.push_str(&format!(
            "{} {}\n",
            sha256(&markdown(&plan, None)),
            name(&path)
        ));
    }
    let generated = parse_plan(Arc::from(plandeck::genplan::plan_string(300, 11))).expect("parses");
    listing.push_str(&format!(
        "{} genplan 300 seed 11\n",
        sha256(&markdown(&generated, None))
    ));
    assert!(listing.lines().count() > 150, "the corpus is there");
    insta::assert_snapshot!("unlimited_markdown_sha256", listing);
}

#[test]
fn markdown_without_a_limit_is_pinned_in_full() {
    let destructive = load_plan(Path::new(&format!(
        "{PLANS}/tfjson-action-reason-plan.json"
    )))
    .expect("loads");
    insta::assert_snapshot!(
        "unlimited_markdown_destructive",
        markdown(&destructive, None)
    );
    let priced =
        load_plan(Path::new(&format!("{PLANS}/infracost-example-plan.json"))).expect("loads");
    let cost = PathBuf::from(format!("{COSTS}/infracost-diff-example-plan.json"));
    let md = markdown(&priced, Some(&cost));
    assert!(md.contains("**Cost:**"), "{md}");
    insta::assert_snapshot!("unlimited_markdown_cost", md);
}
