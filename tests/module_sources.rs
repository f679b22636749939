//! Module sources that can move, through the built binary: listed at the top
//! of `show` and `summary` (text, Markdown, JSON `moving_module_sources`),
//! making the plan critical, and failing `plandeck check`; pinned and local
//! sources are not listed. Hostile source strings are escaped everywhere.

mod support;

use serde_json::{Value, json};
use support::cli::{plandeck, write};

const REAL: &str = "tests/fixtures/terraform/provisioners-plan.json";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const HOSTILE: &str = "git::https://e.com/x.git?ref=`</details>\u{1b}[31m";

fn real() -> Value {
    serde_json::from_str(&std::fs::read_to_string(REAL).expect("fixture")).expect("json")
}

/// The real plan with a branch-tracking git module, a hostile nested source,
/// a registry module with a range and one pinned at a commit.
fn moving() -> Value {
    let mut doc = real();
    let calls = &mut doc["configuration"]["root_module"]["module_calls"];
    calls["app"]["source"] = json!("git::https://example.com/app.git?ref=main");
    calls["app"]["module"]["module_calls"]["hook"]["source"] = json!(HOSTILE);
    calls["consul"] =
        json!({"source": "hashicorp/consul/aws", "version_constraint": "~> 1.0", "module": {}});
    calls["pinned"] =
        json!({"source": format!("git::https://example.com/p.git?ref={SHA}"), "module": {}});
    calls["exact"] =
        json!({"source": "hashicorp/vpc/aws", "version_constraint": "= 3.1.4", "module": {}});
    doc
}

fn run(args: &[&str], doc: &Value) -> (Option<i32>, String, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let path = write(home.path(), "plan.json", doc.to_string());
    let mut full: Vec<&str> = args.to_vec();
    let path = path.to_str().expect("path").to_string();
    full.insert(1, &path);
    let out = plandeck(&full, home.path());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn summary_json_lists_each_moving_source_and_the_plan_is_critical() {
    let (code, out, err) = run(&["summary", "--format", "json"], &moving());
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains('\u{1b}'), "escaped: {out}");
    let summary: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(summary["risk"]["highest"], "critical");
    assert_eq!(summary["risk"]["configuration"], 3);
    let listed = summary["moving_module_sources"].as_array().expect("list");
    let modules: Vec<&str> = listed.iter().filter_map(|m| m["module"].as_str()).collect();
    assert_eq!(
        modules,
        ["module.app", "module.app.module.hook", "module.consul"]
    );
    assert_eq!(
        listed[0]["source"],
        "git::https://example.com/app.git?ref=main"
    );
    assert_eq!(listed[0]["version_constraint"], Value::Null);
    assert_eq!(
        listed[0]["why"],
        "a git ref that is not a full commit SHA: branches and tags can move"
    );
    assert_eq!(listed[1]["source"], HOSTILE, "exact after JSON decoding");
    assert_eq!(listed[2]["version_constraint"], "~> 1.0");
    assert!(
        listed[2]["why"]
            .as_str()
            .is_some_and(|w| w.contains("not one exact version")),
        "{listed:?}"
    );
    // The real plan, whose sources are local, lists none and is not critical.
    let (_, out, _) = run(&["summary", "--format", "json"], &real());
    let summary: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(summary["moving_module_sources"], json!([]));
    assert_eq!(summary["risk"]["highest"], "high");
}

#[test]
fn text_and_show_list_them_at_the_top_escaped() {
    for args in [
        &["summary", "--format", "text", "--color", "never"][..],
        &["show", "--color", "never"][..],
    ] {
        let (code, out, err) = run(args, &moving());
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!out.contains('\u{1b}'), "{args:?}: escaped\n{out}");
        let lines: Vec<&str> = out.lines().collect();
        let flag = lines
            .iter()
            .position(|l| l.starts_with("!! MODULE SOURCES CAN MOVE (3)"))
            .unwrap_or_else(|| panic!("{args:?}: no block\n{out}"));
        let counts = lines
            .iter()
            .position(|l| l.starts_with("Plan: "))
            .expect("counts line");
        assert!(flag < counts, "{args:?}: the block comes first\n{out}");
        assert!(
            lines[flag + 1]
                .contains("module.app  source \"git::https://example.com/app.git?ref=main\""),
            "{}",
            lines[flag + 1]
        );
        let hook = lines[flag + 2];
        assert!(
            hook.contains("module.app.module.hook")
                && hook.contains("\\x1b[31m")
                && hook.ends_with("⚠ hidden characters"),
            "{hook}"
        );
        assert!(
            lines[flag + 3].contains("version \"~> 1.0\""),
            "{}",
            lines[flag + 3]
        );
        assert!(
            out.contains("Risk: 3 CRITICAL in the configuration"),
            "{args:?}\n{out}"
        );
        assert!(!out.contains("module.pinned") && !out.contains("module.exact"));
    }
}

#[test]
fn markdown_lists_them_in_code_spans() {
    let (code, out, err) = run(&["summary", "--format", "markdown"], &moving());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("### 🛑 Plan: risk critical"), "{out}");
    assert!(
        out.contains("**🛑 Module sources that can move (3):"),
        "{out}"
    );
    assert!(
        out.contains("- ` module.consul ` source ` hashicorp/consul/aws ` version ` ~> 1.0 ` — a registry module whose version constraint is not one exact version"),
        "{out}"
    );
    // The backtick in the source lengthens the fence; the tag stays inside it.
    assert!(
        out.contains("source `` git::https://e.com/x.git?ref=`</details>\\x1b[31m ``"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn check_fails_on_a_moving_source_and_passes_when_pinned() {
    let (code, out, err) = run(&["check"], &moving());
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains(
            "critical risk: the source of module.app can move: \
             \"git::https://example.com/app.git?ref=main\" (a git ref that is not a full commit SHA"
        ),
        "{out}"
    );
    assert!(
        out.contains("the source of module.consul can move"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));
    let mut pinned = real();
    pinned["configuration"]["root_module"]["module_calls"]["app"]["source"] =
        json!(format!("git::https://example.com/app.git?ref={SHA}"));
    let (code, out, err) = run(&["check"], &pinned);
    assert_eq!(
        code,
        Some(0),
        "replacing null resources is high, not critical: {out}{err}"
    );
}

/// request/101 of the demo (a dev plan that only creates) with a module on
/// a git branch added to its stored plan, opened in the TUI: the plan view
/// lists the source first, and approving asks for the typed root name
/// instead of `y`, which acknowledges the source.
#[test]
fn the_tui_lists_a_moving_source_and_approving_needs_the_typed_root_name() {
    use support::tui::Demo;
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Demo::open(dir.path(), None);
    let stored = demo
        .repo
        .join(".git/plandeck/plans/request%2F101/apps%2Fweb%2Fdev/plan.json");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&stored).expect("stored plan"))
            .expect("json");
    doc["configuration"]["root_module"]["module_calls"]["cache"] =
        json!({"source": "github.com/org/cache?ref=main", "module": {}});
    let edited = write(dir.path(), "edited.json", doc.to_string());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(&demo.repo)
        .args(["import-plan", "request/101", "--root", "apps/web/dev"])
        .arg(&edited)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut h = demo.harness((120, 48));
    h.press("G <Enter>");
    let screen = h.screen();
    assert!(
        screen.contains("!! MODULE SOURCES CAN MOVE (1)"),
        "{screen}"
    );
    assert!(screen.contains("module.cache"), "{screen}");
    h.press("a");
    let modal = h.screen();
    assert!(modal.contains("Type the root's name to approve"), "{modal}");
    h.type_text("apps/web/dev");
    h.press("<Enter>");
    assert!(
        h.screen()
            .contains("approve recorded for request/101 apps/web/dev"),
        "{}",
        h.screen()
    );
}
