//! `summary --format markdown [--max-chars N]`: the output without a limit
//! is pinned (every corpus plan's Markdown by its SHA-256, two in full,
//! recorded before the limit existed), and with a limit it never exceeds N
//! characters, keeps every destructive change when N allows, closes what it
//! opens and says what it cut — on every corpus plan and a big generated
//! one, for a range of limits from the smallest that works.

mod support;

use plandeck::cost::{CostReport, CostThresholds, load_cost_file};
use plandeck::plan::{Plan, load_plan, parse_plan};
use plandeck::render::{LimitTooSmall, MarkdownLimit, RenderContext, RenderOptions, WholePlan};
use plandeck::risk::RiskPolicy;
use plandeck::sanitize;
use plandeck::summary::Summary;
use sha2::{Digest, Sha256};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::markdown::{chars, cut_count, outside_code, shape};

use support::corpus::{PLANS, name, plan_files};
const COSTS: &str = "tests/fixtures/corpus/cost";

/// The Markdown `summary` writes for a plan, with an optional cost file.
fn markdown(plan: &Plan, cost: Option<&Path>) -> String {
    let cost = cost.map(|c| load_cost_file(c).expect("cost loads"));
    Case::new(plan, cost).unlimited()
}

/// A plan with what `summary` renders it with.
struct Case<'a> {
    plan: &'a Plan,
    cost: Option<CostReport>,
    risk: RiskPolicy,
    thresholds: CostThresholds,
    options: RenderOptions,
    /// The Markdown without a limit, and the smallest limit (computed once:
    /// a big plan takes seconds to render in a debug build).
    whole: OnceCell<String>,
    least: OnceCell<usize>,
}

impl<'a> Case<'a> {
    fn new(plan: &'a Plan, cost: Option<CostReport>) -> Self {
        Self {
            plan,
            cost,
            risk: RiskPolicy::default(),
            thresholds: CostThresholds::default(),
            options: RenderOptions::default(),
            whole: OnceCell::new(),
            least: OnceCell::new(),
        }
    }

    fn summary(&self) -> Summary {
        Summary::of(self.plan, &self.risk, self.cost.as_ref(), &self.thresholds)
    }

    fn ctx(&self) -> RenderContext<'_> {
        RenderContext {
            risk: &self.risk,
            cost: self.cost.as_ref(),
            cost_thresholds: &self.thresholds,
            options: &self.options,
        }
    }

    fn unlimited(&self) -> String {
        self.whole
            .get_or_init(|| self.summary().to_markdown(self.plan, &self.ctx()))
            .clone()
    }

    fn least(&self) -> usize {
        *self.least.get_or_init(|| match self.within(0) {
            Err(e) => e.needed,
            Ok(md) => panic!("a limit of 0 gave\n{md}"),
        })
    }

    fn within(&self, max_chars: usize) -> Result<String, LimitTooSmall> {
        let limit = MarkdownLimit {
            max_chars,
            whole_plan: WholePlan::Command("plandeck show plan.json".into()),
        };
        self.summary()
            .to_markdown_within(self.plan, &self.ctx(), &limit)
    }
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

/// Limits from the smallest that works (and one below it) up past the
/// whole Markdown, densest just above the smallest.
fn limits(least: usize, whole: usize) -> Vec<usize> {
    let mut limits: Vec<usize> = (0..8).map(|d| least + d).collect();
    limits.push(least.saturating_sub(1));
    let mut step = 13;
    let mut at = least;
    while at < whole {
        limits.push(at);
        at += step;
        step = step * 3 / 2;
    }
    limits.extend([whole.saturating_sub(1), whole, whole + 1]);
    limits.sort_unstable();
    limits.dedup();
    limits
}

/// Every property of `case`'s Markdown within `limit`; `name` for messages.
fn check_limit(name: &str, case: &Case<'_>, limit: usize) -> Option<String> {
    let summary = case.summary();
    let whole = case.unlimited();
    let least = case.least();
    let md = match case.within(limit) {
        Ok(md) => md,
        Err(e) => {
            assert!(
                limit < least && limit < chars(&whole),
                "{name} {limit}: {e}"
            );
            assert_eq!(e.needed, least, "{name}");
            assert_eq!(e.limit, limit);
            return None;
        }
    };
    let context = format!("{name} within {limit}:\n{md}");
    assert!(chars(&md) <= limit, "{} chars, {context}", chars(&md));
    let s = shape(&md);
    assert_eq!(s.digests, 1, "{context}");
    assert!(
        md.ends_with(&format!("<code>{}</code></sub>\n", summary.digest)),
        "{context}"
    );
    assert!(md.starts_with("### "), "{context}");
    if chars(&whole) <= limit {
        assert_eq!(md, whole, "{name}: fits, so exactly as without a limit");
        assert!(s.cut_lines.is_empty(), "{context}");
        return Some(md);
    }
    // Something was cut: one line says so, and what.
    assert_eq!(s.cut_lines.len(), 1, "{context}");
    let cut = &s.cut_lines[0];
    assert!(
        cut.contains(&format!("to stay within {} characters", grouped(limit))),
        "{context}"
    );
    assert!(
        cut.contains("`` plandeck show plan.json ``")
            || cut.contains("` plandeck show plan.json `"),
        "{context}"
    );
    let total_lines = whole_plan_lines(&whole);
    match (
        cut_count(cut, "lines of the full plan"),
        s.blocks.as_slice(),
    ) {
        (Some((left_out, n)), blocks) => {
            assert_eq!(n, total_lines, "{context}");
            let shown: usize = blocks.iter().sum();
            assert_eq!(shown + left_out, n, "{context}");
            assert!(
                blocks.len() <= 1 && (blocks.is_empty() == (shown == 0)),
                "{context}"
            );
        }
        (None, [shown]) => assert_eq!(*shown, total_lines, "{context}"),
        (None, blocks) => panic!("{blocks:?} blocks and no plan cut: {context}"),
    }
    // Destructive changes: every one when the limit allows, else the first
    // ones in order, with the number left out said.
    let destructive = &summary.destructive;
    let before_plan = whole
        .find("<details><summary>Full plan")
        .map_or(whole.as_str(), |at| &whole[..at]);
    let digest_line = whole.lines().last().expect("digest").len() + 1;
    let headline = whole.find("\n\n").expect("headline") + 2;
    let allows_all = chars(before_plan) + (least - chars(&whole[..headline]));
    debug_assert!(digest_line < least);
    if limit >= allows_all {
        assert_eq!(s.destructive.len(), destructive.len(), "{context}");
        assert!(s.notes.is_empty(), "{context}");
    }
    for (line, d) in s.destructive.iter().zip(destructive) {
        assert!(
            line.contains(&format!(" {} ", sanitize::escape(&d.address).text)),
            "{} not in {line}, {context}",
            d.address
        );
    }
    let left_out = destructive.len() - s.destructive.len();
    if left_out > 0 && destructive.len() > 1 {
        assert_eq!(
            cut_count(cut, "destructive changes"),
            Some((left_out, destructive.len())),
            "{context}"
        );
        let heading = md.contains("**Destructive changes (");
        let note = format!("- … {} more left out", grouped(left_out));
        assert_eq!(
            heading,
            s.notes.iter().any(|n| n.starts_with(&note)),
            "{context}"
        );
    } else if left_out == 1 {
        assert!(cut.contains("the destructive change"), "{context}");
    }
    Some(md)
}

fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// How many lines the unlimited Markdown's full plan holds.
fn whole_plan_lines(whole: &str) -> usize {
    let blocks = shape(whole).blocks;
    assert_eq!(blocks.len(), 1, "{whole}");
    blocks[0]
}

#[test]
fn every_corpus_plan_stays_within_every_limit() {
    let mut cut = 0;
    for path in plan_files() {
        let plan = load_plan(&path).unwrap_or_else(|e| panic!("{e}"));
        let case = Case::new(&plan, None);
        let least = case.least();
        let whole = chars(&case.unlimited());
        for limit in limits(least, whole) {
            check_limit(&name(&path), &case, limit);
            cut += usize::from(limit < whole);
        }
    }
    assert!(cut > 1_000, "the limits cut something: {cut}");
}

#[test]
fn a_plan_with_cost_keeps_its_cost_before_destructive_changes() {
    let plan =
        load_plan(Path::new(&format!("{PLANS}/infracost-example-plan.json"))).expect("loads");
    let cost = load_cost_file(Path::new(&format!(
        "{COSTS}/infracost-diff-example-plan.json"
    )))
    .expect("cost");
    let case = Case::new(&plan, Some(cost));
    let least = case.least();
    for limit in limits(least, chars(&case.unlimited())) {
        check_limit("infracost-example-plan.json with cost", &case, limit);
        let Ok(md) = case.within(limit) else { continue };
        if md.contains("**Destructive changes") {
            assert!(md.contains("**Cost:**"), "the cost comes first:\n{md}");
        }
    }
}

/// A big generated plan: thousands of lines, hundreds of destructive
/// changes, cut for GitHub's limit and for limits that cut the destructive
/// list too.
#[test]
fn a_big_generated_plan_stays_within_the_limit() {
    let plan = parse_plan(Arc::from(plandeck::genplan::plan_string(2_000, 3))).expect("parses");
    let case = Case::new(&plan, None);
    let summary = case.summary();
    assert!(
        summary.destructive.len() > 100,
        "{}",
        summary.destructive.len()
    );
    let whole = case.unlimited();
    assert!(chars(&whole) > 500_000, "{}", chars(&whole));
    let least = case.least();
    for limit in [least, least + 1, least + 40, 20_000] {
        check_limit("genplan 2000", &case, limit);
    }
    let md = check_limit("genplan 2000", &case, 65_536).expect("fits");
    let s = shape(&md);
    assert_eq!(
        s.destructive.len(),
        summary.destructive.len(),
        "all destructive changes"
    );
    assert!(
        s.blocks[0] > 100,
        "the rest of the room is plan: {:?}",
        s.blocks
    );
    assert!(
        chars(&md) > 65_536 - 200,
        "the room is used: {}",
        chars(&md)
    );
    let small = check_limit("genplan 2000", &case, 5_000).expect("fits");
    let s = shape(&small);
    assert!(!s.destructive.is_empty() && s.destructive.len() < summary.destructive.len());
    assert!(
        s.blocks.is_empty(),
        "no plan before every destructive change"
    );
}

/// Addresses holding backticks, HTML, Markdown and newlines stay in code
/// spans, and the caller's pointer is escaped prose, at every limit.
#[test]
fn hostile_addresses_and_pointers_stay_escaped_when_cut() {
    let hostile = [
        "a`b``c```d",
        "</details><script>alert(1)</script>",
        "x\ny\n</details>\n<details>",
        "[approved](https://evil.example) @octocat",
        "<!-- plandeck:summary -->",
    ];
    let changes: Vec<serde_json::Value> = hostile
        .iter()
        .enumerate()
        .map(|(i, h)| {
            serde_json::json!({
                "address": format!("null_resource.x[\"{h}\"]"),
                "mode": "managed", "type": "null_resource", "name": "x", "index": format!("{i}{h}"),
                "change": {"actions": ["delete"], "before": {"id": h}, "after": null,
                           "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false}
            })
        })
        .collect();
    let json =
        serde_json::json!({"format_version": "1.2", "resource_changes": changes}).to_string();
    let plan = parse_plan(Arc::from(json)).expect("parses");
    let case = Case::new(&plan, None);
    let least = case.least();
    let pointer = WholePlan::Text("`</details>` <b>run 7</b>\nartifact".into());
    for limit in limits(least, chars(&case.unlimited())) {
        check_limit("hostile", &case, limit);
        let limited = MarkdownLimit {
            max_chars: limit + 60,
            whole_plan: pointer.clone(),
        };
        let md = case
            .summary()
            .to_markdown_within(&plan, &case.ctx(), &limited)
            .expect("fits");
        shape(&md);
        let prose = outside_code(&md);
        for raw in [
            "<script",
            "<b>",
            "<!--",
            "[approved]",
            "@octocat",
            "</details>`",
        ] {
            assert!(!prose.contains(raw), "{raw} outside code:\n{md}");
        }
        assert_eq!(
            prose.matches("</details>").count(),
            prose.matches("<details><summary>").count()
        );
        if md.contains("cut to stay within") {
            assert!(
                md.contains("&#96;&lt;/details&gt;&#96; &lt;b&gt;run 7&lt;/b&gt;\\nartifact"),
                "{md}"
            );
        }
    }
}

/// `plandeck summary` as a user runs it, in an empty home.
fn summary_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let home = tempfile::tempdir().expect("home");
    let out = support::cli::plandeck(args, home.path());
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn the_binary_keeps_a_big_plan_within_the_limit_and_is_unchanged_without_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big plan.json");
    let file = std::fs::File::create(&path).expect("create");
    plandeck::genplan::write_plan(600, 9, std::io::BufWriter::new(file)).expect("writes");
    let path_arg = path.to_str().expect("utf-8");
    let plan = load_plan(&path).expect("loads");
    let library = Case::new(&plan, None).unlimited();
    assert!(chars(&library) > 100_000, "{}", chars(&library));

    let (code, whole, err) = summary_cli(&["summary", path_arg, "--format", "markdown"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert_eq!(whole, library, "no limit: the Markdown as before");
    let (code, roomy, _) = summary_cli(&[
        "summary",
        path_arg,
        "--format",
        "markdown",
        "--max-chars",
        "1000000000",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(roomy, library, "a limit it fits in changes nothing");

    let (code, md, err) = summary_cli(&[
        "summary",
        path_arg,
        "--format",
        "markdown",
        "--max-chars",
        "65536",
    ]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(
        chars(&md) <= 65_536 && chars(&md) > 60_000,
        "{}",
        chars(&md)
    );
    let s = shape(&md);
    assert_eq!(s.cut_lines.len(), 1, "{md}");
    assert!(
        s.cut_lines[0].contains(&format!("the whole plan: ` plandeck show {path_arg} `")),
        "{}",
        s.cut_lines[0]
    );
    assert_eq!(
        s.destructive.len(),
        Case::new(&plan, None).summary().destructive.len()
    );
}

#[test]
fn too_small_a_limit_is_one_line_and_exit_2() {
    let path = format!("{PLANS}/tfjson-action-reason-plan.json");
    let plan = load_plan(Path::new(&path)).expect("loads");
    let case = Case::new(&plan, None);
    let limit = MarkdownLimit {
        max_chars: 0,
        whole_plan: WholePlan::Command(format!("plandeck show {path}")),
    };
    let least = case
        .summary()
        .to_markdown_within(&plan, &case.ctx(), &limit)
        .expect_err("0 is too small")
        .needed;
    for small in [0, 1, 50, least - 1] {
        let small = small.to_string();
        let (code, out, err) = summary_cli(&[
            "summary",
            &path,
            "--format",
            "markdown",
            "--max-chars",
            &small,
        ]);
        assert_eq!(code, Some(2), "{small}: {err}");
        assert_eq!(out, "", "nothing on stdout");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with(&format!(
                "plandeck: --max-chars: a limit of {small} characters is too small"
            )) && err.contains(&format!("need {least}")),
            "{err}"
        );
    }
    let least_arg = least.to_string();
    let (code, md, err) = summary_cli(&[
        "summary",
        &path,
        "--format",
        "markdown",
        "--max-chars",
        &least_arg,
    ]);
    assert_eq!(
        (code, err.as_str()),
        (Some(0), ""),
        "the smallest limit works"
    );
    assert!(
        chars(&md) <= least && md.contains("cut to stay within"),
        "{md}"
    );
    // Only Markdown has a limit.
    for format in ["text", "json"] {
        let (code, out, err) =
            summary_cli(&["summary", &path, "--format", format, "--max-chars", "9999"]);
        assert_eq!((code, out.as_str()), (Some(2), ""), "{format}");
        assert_eq!(err, "plandeck: --max-chars is for --format markdown\n");
    }
    let (code, _, err) = summary_cli(&[
        "summary",
        &path,
        "--format",
        "markdown",
        "--max-chars",
        "-5",
    ]);
    assert_eq!(code, Some(2), "{err}");
}
