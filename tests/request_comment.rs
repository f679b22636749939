//! The pull-request comment for a whole request (`render::request_comment`):
//! its marker first, within its character budget for every budget tried,
//! every root's heading and destructive changes before any full plan, the
//! plans sharing the rest, a cut line per cut root, roots left out counted,
//! and every untrusted string escaped; a small two-root comment is
//! snapshotted whole and cut.

mod support;

use plandeck::cost::CostThresholds;
use plandeck::plan::{Plan, load_plan, parse_plan};
use plandeck::render::{
    COMMENT_MARKER, COMMENT_MAX_CHARS, COMMENT_MIN_CHARS, RenderContext, RenderOptions,
    RequestComment, RootPlan, RootReport, WholePlan, request_comment,
};
use plandeck::risk::RiskPolicy;
use plandeck::summary::Summary;
use std::path::Path;
use std::sync::Arc;
use support::markdown::{chars, cut_count, outside_code, shape};

const PLANS: &str = "tests/fixtures/corpus/plans";

/// A plan and what it is rendered with, for a root of a comment.
struct Planned {
    plan: Plan,
    summary: Summary,
    risk: RiskPolicy,
    thresholds: CostThresholds,
    options: RenderOptions,
}

impl Planned {
    fn new(plan: Plan) -> Self {
        let risk = RiskPolicy::default();
        let thresholds = CostThresholds::default();
        let summary = Summary::of(&plan, &risk, None, &thresholds);
        Self {
            plan,
            summary,
            risk,
            thresholds,
            options: RenderOptions::default(),
        }
    }

    fn corpus(file: &str) -> Self {
        Self::new(load_plan(Path::new(&format!("{PLANS}/{file}"))).expect("loads"))
    }

    fn generated(n: usize, seed: u64) -> Self {
        Self::new(parse_plan(Arc::from(plandeck::genplan::plan_string(n, seed))).expect("parses"))
    }

    fn ctx(&self) -> RenderContext<'_> {
        RenderContext {
            risk: &self.risk,
            cost: None,
            cost_thresholds: &self.thresholds,
            options: &self.options,
        }
    }

    fn root<'a>(&'a self, root: &'a str, environment: Option<&'a str>) -> RootReport<'a> {
        RootReport {
            root,
            environment,
            plan: RootPlan::Planned {
                summary: &self.summary,
                plan: &self.plan,
                ctx: self.ctx(),
                whole_plan: WholePlan::Text(format!("the artifact plandeck-plan-{root}")),
            },
        }
    }

    /// The summary's Markdown on its own, without its headline: what the
    /// comment holds for the root when nothing of it is cut.
    fn body(&self) -> String {
        let md = self.summary.to_markdown(&self.plan, &self.ctx());
        md.split_once("\n\n").expect("headline").1.to_string()
    }
}

fn comment<'a>(roots: &'a [RootReport<'a>], max_chars: usize) -> String {
    request_comment(&RequestComment {
        number: Some(42),
        title: "Add the cache",
        head_sha: "0123456789abcdef0123456789abcdef01234567",
        roots,
        max_chars,
    })
}

/// The comment's root sections: (heading line, the lines after it).
fn sections(md: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in md.lines() {
        if line.starts_with("### ") {
            out.push((line.to_string(), String::new()));
        } else if line.contains("roots left out to stay within") {
            // The comment's last line, not a root's.
            assert!(
                line.starts_with("<sub>… ") && line.ends_with("</sub>"),
                "{line}"
            );
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn a_small_two_root_comment_whole_and_cut() {
    let prod = Planned::corpus("tfjson-action-reason-plan.json");
    let roots = [
        prod.root("envs/prod", Some("production")),
        RootReport {
            root: "envs/stage",
            environment: Some("staging"),
            plan: RootPlan::Missing("no plan (CI running)"),
        },
    ];
    let whole = comment(&roots, COMMENT_MAX_CHARS);
    assert!(whole.starts_with(&format!("{COMMENT_MARKER}\n")), "{whole}");
    assert!(!whole.contains("cut to stay within"), "{whole}");
    assert!(
        whole.contains(&prod.body()),
        "the root's whole summary:\n{whole}"
    );
    insta::assert_snapshot!("two_roots_whole", whole);
    let cut = comment(&roots, COMMENT_MIN_CHARS);
    assert!(chars(&cut) <= COMMENT_MIN_CHARS, "{}", chars(&cut));
    shape(&cut);
    insta::assert_snapshot!("two_roots_cut", cut);
}

/// Every property of a comment on `roots` within `limit`.
fn check(roots: &[RootReport<'_>], bodies: &[Option<String>], limit: usize) -> String {
    let md = comment(roots, limit);
    let context = format!("within {limit}:\n{md}");
    assert!(
        chars(&md) <= limit.max(COMMENT_MIN_CHARS),
        "{} chars {context}",
        chars(&md)
    );
    assert!(md.starts_with(&format!(
        "{COMMENT_MARKER}\n## plandeck: #42 Add the cache\n"
    )));
    assert_eq!(md.matches(COMMENT_MARKER).count(), 1, "{context}");
    shape(&md);
    let sections = sections(&md);
    // Roots in order, the ones left out counted.
    for ((heading, _), root) in sections.iter().zip(roots) {
        assert!(heading.contains(&format!("` {} `", root.root)), "{heading}");
    }
    let left_out = roots.len() - sections.len();
    let note = "roots left out to stay within";
    if left_out > 0 {
        assert!(
            md.contains(&format!("<sub>… {left_out} of {} {note}", roots.len())),
            "{context}"
        );
    } else {
        assert!(!md.contains(note), "{context}");
    }
    // Each root: whole, or cut with its own cut line.
    let mut any_plan = false;
    let mut every_destructive = true;
    for ((heading, body), expected) in sections.iter().zip(bodies) {
        let Some(expected) = expected else {
            assert!(body.trim().is_empty(), "a root without a plan: {context}");
            continue;
        };
        let rs = shape(body);
        assert_eq!(rs.digests, 1, "{heading}: {context}");
        any_plan |= !rs.blocks.is_empty();
        let whole = shape(expected);
        every_destructive &= rs.destructive.len() == whole.destructive.len();
        if rs.cut_lines.is_empty() {
            assert_eq!(body.trim(), expected.trim(), "{heading} whole: {context}");
        } else {
            assert_eq!(rs.cut_lines.len(), 1, "{context}");
            assert_ne!(body.trim(), expected.trim(), "{context}");
            let cut = &rs.cut_lines[0];
            assert!(
                cut.contains("the whole plan: the artifact plandeck-plan-"),
                "{cut}"
            );
            let lines = whole.blocks[0];
            let shown: usize = rs.blocks.iter().sum();
            if shown < lines {
                assert_eq!(
                    cut_count(cut, "lines of the full plan"),
                    Some((lines - shown, lines)),
                    "{cut}"
                );
            }
        }
    }
    // Destructive changes of every root before any root's full plan.
    if any_plan {
        assert!(
            every_destructive,
            "a plan shown before every destructive change: {context}"
        );
    }
    md
}

#[test]
fn a_comment_on_big_plans_stays_within_every_budget() {
    let api = Planned::generated(400, 21);
    let db = Planned::generated(150, 22);
    let small = Planned::corpus("tfjson-action-reason-plan.json");
    let roots = [
        api.root("apps/api/prod", Some("production")),
        RootReport {
            root: "apps/web/prod",
            environment: None,
            plan: RootPlan::Missing("plan unreadable: truncated JSON"),
        },
        db.root("data/db/prod", Some("production")),
        small.root("envs/tiny", None),
    ];
    let bodies = [Some(api.body()), None, Some(db.body()), Some(small.body())];
    let whole = comment(&roots, usize::MAX);
    // Densest around the smallest budget (each comment renders every plan).
    let mut limits = vec![0, COMMENT_MIN_CHARS - 1];
    limits.extend((0..4).map(|d| COMMENT_MIN_CHARS + d));
    let mut at = COMMENT_MIN_CHARS + 37;
    while at < chars(&whole) {
        limits.push(at);
        at = at * 8 / 5;
    }
    limits.extend([20_435, chars(&whole) - 1, chars(&whole) + 1]);
    for limit in limits {
        check(&roots, &bodies, limit);
    }
    assert_eq!(check(&roots, &bodies, chars(&whole)), whole);
    // GitHub's limit: every destructive change, both big plans shown, the
    // room shared (neither plan takes it all), the small one whole.
    let md = check(&roots, &bodies, COMMENT_MAX_CHARS);
    assert!(chars(&md) > COMMENT_MAX_CHARS - 1_000, "{}", chars(&md));
    let sections = sections(&md);
    let api_lines = shape(&sections[0].1).blocks[0];
    let db_lines = shape(&sections[2].1).blocks[0];
    assert!(
        api_lines > 150 && db_lines > 150,
        "{api_lines} and {db_lines}"
    );
    assert!(
        shape(&sections[3].1).cut_lines.is_empty(),
        "the small root whole"
    );
}

#[test]
fn roots_that_do_not_fit_are_counted() {
    let plan = Planned::corpus("tfjson-action-reason-plan.json");
    let names: Vec<String> = (0..400).map(|i| format!("envs/region-{i:03}")).collect();
    let roots: Vec<RootReport<'_>> = names.iter().map(|n| plan.root(n, Some("prod"))).collect();
    let bodies: Vec<Option<String>> = roots.iter().map(|_| Some(plan.body())).collect();
    let md = check(&roots, &bodies, COMMENT_MAX_CHARS);
    let shown = sections(&md).len();
    assert!(shown > 50 && shown < 400, "{shown}");
    // A budget below the smallest is the smallest.
    let tiny = check(&roots, &bodies, 10);
    assert!(chars(&tiny) <= COMMENT_MIN_CHARS);
}

#[test]
fn hostile_title_roots_and_states_stay_escaped() {
    let title = "x`y``\n## Approved\n<!-- plandeck:summary --></details><img src=x> [ok](https://evil.example) *bold*";
    let plan = Planned::corpus("tfjson-action-reason-plan.json");
    let root = "envs/`prod`\n### fake";
    let roots = [
        plan.root(root, Some("pro\u{1b}[31md`")),
        RootReport {
            root: "a</details>b",
            environment: Some("<script>"),
            plan: RootPlan::Missing(
                "plan unreadable: </details>\n<script>alert(1)</script> [x](y)",
            ),
        },
    ];
    for limit in [COMMENT_MIN_CHARS, 1_500, COMMENT_MAX_CHARS] {
        let md = request_comment(&RequestComment {
            number: None,
            title,
            head_sha: "`</code>\nsha",
            roots: &roots,
            max_chars: limit,
        });
        assert!(chars(&md) <= limit);
        shape(&md);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], COMMENT_MARKER);
        assert!(
            lines[1].starts_with("## plandeck: x"),
            "the title on one line:\n{md}"
        );
        assert!(lines[1].ends_with("&#42;bold&#42;"), "{md}");
        assert_eq!(lines[3], "Head `` `</code>\\nsha `` · 2 roots", "{md}");
        assert_eq!(md.matches(COMMENT_MARKER).count(), 1, "{md}");
        assert_eq!(
            md.lines().filter(|l| l.starts_with("## ")).count(),
            1,
            "{md}"
        );
        assert_eq!(
            md.lines().filter(|l| l.starts_with("### ")).count(),
            2,
            "{md}"
        );
        let prose = outside_code(md.strip_prefix(COMMENT_MARKER).expect("marker"));
        for raw in ["<img", "<script", "<!--", "[ok]", "[x]", "*bold*", "\u{1b}"] {
            assert!(!prose.contains(raw), "{raw:?} outside code:\n{md}");
        }
        assert_eq!(
            prose.matches("</details>").count(),
            prose.matches("<details>").count()
        );
        assert!(
            md.contains("` envs/&#96;prod&#96;\\n### fake `")
                || md.contains("`` envs/`prod`\\n### fake ``"),
            "{md}"
        );
    }
}
