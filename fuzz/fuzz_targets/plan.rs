//! A plan document (optionally followed by `0xff` and a cost file) through
//! everything `show`, `summary` and `check` do with it: parse, digest,
//! render (default and `--all`, plain and coloured), summary as text,
//! Markdown (whole and within a character limit taken from the input) and
//! JSON. Nothing may panic, what reaches the terminal or a PR comment holds
//! no raw control, bidi or invisible character, and limited Markdown never
//! exceeds its limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::config::CheckConfig;
use plandeck::cost::{CostThresholds, parse_cost};
use plandeck::plan::{parse_plan_text, plan_digest};
use plandeck::render::{MarkdownLimit, RenderContext, RenderOptions, WholePlan, ansi};
use plandeck::risk::RiskPolicy;
use plandeck::summary::Summary;
use plandeck_fuzz::{assert_terminal_safe, assert_terminal_safe_bytes, split_ff};
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let (plan_bytes, cost_bytes) = split_ff(data);
    // `load_plan` refuses what is not UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(plan_bytes) else {
        return;
    };
    let Ok(plan) = parse_plan_text(Arc::new(text.to_string())) else {
        return;
    };
    assert_eq!(plan_digest(&plan).as_deref(), Ok(plan.digest.as_str()));
    let cost = cost_bytes
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| parse_cost(t).ok());
    let risk = RiskPolicy::default();
    let thresholds = CostThresholds::default();
    let summary = Summary::of(&plan, &risk, cost.as_ref(), &thresholds);
    for show_unchanged in [false, true] {
        let options = RenderOptions {
            show_unchanged,
            noise_attributes: ["tags_all".to_string()].into(),
        };
        let ctx = RenderContext {
            risk: &risk,
            cost: cost.as_ref(),
            cost_thresholds: &thresholds,
            options: &options,
        };
        let mut plain = Vec::new();
        ansi::write_plan(&mut plain, &plan, &summary, &ctx, false).expect("writes to a Vec");
        assert_terminal_safe_bytes("show", &plain, &['\n']);
        let mut coloured = Vec::new();
        ansi::write_plan(&mut coloured, &plan, &summary, &ctx, true).expect("writes to a Vec");
        if !show_unchanged {
            let whole = summary.to_markdown(&plan, &ctx);
            // The headline's own warning icon is an emoji with U+FE0F.
            let markdown = whole.replacen("\u{26a0}\u{fe0f}", "", 1);
            assert_terminal_safe("summary --format markdown", &markdown, &['\n']);
            let limit = MarkdownLimit {
                max_chars: data.len() * 7 % (whole.chars().count() + 64),
                whole_plan: WholePlan::Command("plandeck show plan.json".into()),
            };
            match summary.to_markdown_within(&plan, &ctx, &limit) {
                Ok(md) if md.chars().count() > limit.max_chars => {
                    panic!(
                        "{} characters over a limit of {}",
                        md.chars().count(),
                        limit.max_chars
                    )
                }
                Ok(md) => {
                    assert!(
                        md == whole || md.contains("cut to stay within"),
                        "cut unsaid"
                    );
                    let md = md.replacen("\u{26a0}\u{fe0f}", "", 1);
                    assert_terminal_safe("summary --max-chars", &md, &['\n']);
                }
                Err(e) => assert!(e.needed > limit.max_chars, "{e}"),
            }
        }
    }
    let mut text_summary = Vec::new();
    ansi::write_lines(&mut text_summary, &summary.text_lines(), false).expect("writes to a Vec");
    assert_terminal_safe_bytes("summary", &text_summary, &['\n']);
    let json = summary.to_json();
    assert_terminal_safe("summary --format json", &json, &['\n']);
    serde_json::from_str::<serde_json::Value>(&json).expect("summary JSON parses");
    // `check` prints its violations as they are.
    for v in plandeck::check::violations(&plan, &risk, cost.as_ref(), &CheckConfig::default()) {
        assert_terminal_safe("check", &v.0, &[]);
    }
});
