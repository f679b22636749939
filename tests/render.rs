//! `show` renders resource changes in parallel batches; its output must be
//! exactly the sequential rendering, on a plan big enough to use many batches.

use plandeck::cost::CostThresholds;
use plandeck::plan::parse_plan;
use plandeck::render::{Line, RenderContext, RenderOptions, ansi, plan_lines};
use plandeck::risk::RiskPolicy;
use plandeck::summary::Summary;
use std::sync::Arc;

#[test]
fn parallel_show_equals_sequential_rendering() {
    let plan = parse_plan(Arc::from(plandeck::genplan::plan_string(1500, 7))).expect("parses");
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let options = RenderOptions::default();
    let ctx = RenderContext {
        risk: &risk,
        cost: None,
        cost_thresholds: &thresholds,
        options: &options,
    };
    let summary = Summary::of(&plan, &risk, None, &thresholds);
    let mut shown = Vec::new();
    ansi::write_plan(&mut shown, &plan, &summary, &ctx, false).expect("writes");
    let sequential: String = plan_lines(&plan, &summary, &ctx)
        .iter()
        .map(|l: &Line| l.plain() + "\n")
        .collect();
    assert!(sequential.lines().count() > 10_000, "a big plan");
    assert_eq!(String::from_utf8(shown).expect("utf-8"), sequential);
}
