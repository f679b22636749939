//! A hostile repository: branch names, root directories, environment
//! names, commit subjects, author names, file names, plan values, cost
//! currency and config values all carry ESC, CSI, OSC 52, BEL, CR, U+202E
//! and U+200B. Every command in every output mode, and the TUI's screens,
//! must let no raw byte of them reach the terminal.

#![allow(clippy::disallowed_types)] // tests the git backend itself

mod support;

use std::process::Command;
use support::TestRepo;

/// CSI red, OSC 52 (clipboard) ended by BEL, CR, a bidi override and a
/// zero-width space.
const HOSTILE: &str = "\u{1b}[31m\u{1b}]52;c;ZXZpbA==\u{7}\r\u{202e}\u{200b}";
/// What a branch name can hold (git refuses control characters in refs).
const HOSTILE_REF: &str = "\u{202e}\u{200b}";

/// The raw characters that must never be printed.
fn raw_hostile(out: &str, colour: bool) -> Option<char> {
    let text = if colour {
        // plandeck's own colours are allowed; nothing else that starts with ESC.
        strip_allowed_sgr(out)
    } else {
        out.to_string()
    };
    text.chars().find(|c| {
        matches!(
            c,
            '\u{1b}' | '\u{7}' | '\r' | '\u{202e}' | '\u{200b}' | '\u{9b}'
        )
    })
}

fn strip_allowed_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('\u{1b}') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let body = after.strip_prefix('[').and_then(|b| {
            let end = b.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (b[end..].starts_with('m') && plandeck::sanitize::allowed_sgr(&b[..end]))
                .then_some(end + 2)
        });
        match body {
            Some(len) => rest = &after[len..],
            None => {
                out.push('\u{1b}');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

struct Hostile {
    repo: TestRepo,
    home: tempfile::TempDir,
    root: String,
    branch: String,
    plan: String,
    cost: String,
}

fn plan_json(value: &str) -> String {
    serde_json::json!({
        "format_version": "1.0",
        "terraform_version": "1.0.3",
        "resource_changes": [{
            "address": format!("null_resource.x[\"{value}\"]"),
            "mode": "managed", "type": "null_resource", "name": "x",
            "index": value,
            "provider_name": "registry.terraform.io/hashicorp/null",
            "change": {
                "actions": ["delete"],
                "before": {"id": value, "triggers": {"v": value}},
                "after": null, "after_unknown": {},
                "before_sensitive": {}, "after_sensitive": false
            }
        }],
        "output_changes": {"o": {
            "actions": ["create"], "before": null, "after": value,
            "after_unknown": false, "before_sensitive": false, "after_sensitive": false
        }}
    })
    .to_string()
}

fn setup() -> Hostile {
    let repo = TestRepo::new();
    let root = format!("apps/ev{HOSTILE}il/prod");
    // The environment's name and a glob of its roots, from the repository's config.
    let config = format!(
        "[environments.\"pr{}od\"]\nroots = [\"apps/*/prod\"]\nrequired_approvals = 1\n",
        HOSTILE.escape_unicode()
    )
    .replace("\\u{", "\\u")
    .replace('}', "");
    let config = fix_toml_escapes(&config);
    repo.write(".plandeck.toml", &config);
    repo.write(&format!("{root}/main.tf"), "# base\n");
    repo.commit("base", &[]);
    let branch = format!("request/7{HOSTILE_REF}");
    repo.branch(&branch, "main");
    repo.write(&format!("{root}/main.tf"), &format!("# {HOSTILE}\n"));
    repo.write(&format!("{root}/f{HOSTILE}.tf"), "# file\n");
    repo.commit_as(
        &format!("Change {HOSTILE}"),
        &[],
        ("Eve Evil\u{202e}", "eve@example.com"),
        ("Eve Evil\u{202e}", "eve@example.com"),
    );
    repo.checkout("main");
    let plan = repo.scratch("in").join("plan.json");
    std::fs::write(&plan, plan_json(HOSTILE)).expect("plan");
    let mut cost: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("assets/sample/infracost.json").expect("cost"),
    )
    .expect("json");
    // A hostile currency is refused (its error escaped: the bad_cost case);
    // the cost file that is read carries hostile names instead.
    let mut bad = cost.clone();
    bad["currency"] = HOSTILE.into();
    std::fs::write(repo.scratch("in").join("bad-cost.json"), bad.to_string()).expect("cost");
    cost["projects"][0]["name"] = HOSTILE.into();
    for section in ["breakdown", "diff"] {
        cost["projects"][0][section]["resources"][0]["name"] =
            format!("aws_db_instance.main{HOSTILE}").into();
    }
    let cost_path = repo.scratch("in").join("cost.json");
    std::fs::write(&cost_path, cost.to_string()).expect("cost");
    Hostile {
        repo,
        home: tempfile::tempdir().expect("home"),
        root,
        branch,
        plan: plan.display().to_string(),
        cost: cost_path.display().to_string(),
    }
}

/// TOML basic strings take `\uXXXX`: the 4-digit form for every escape.
fn fix_toml_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'u') {
            chars.next();
            let hex: String =
                std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_hexdigit())).collect();
            out.push_str(&format!("\\u{:0>4}", hex));
        } else {
            out.push(c);
        }
    }
    out
}

fn run(h: &Hostile, person: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(&h.repo.path)
        .args(args)
        .env("GIT_COMMITTER_NAME", person)
        .env(
            "GIT_COMMITTER_EMAIL",
            format!("{}@example.com", person.to_lowercase()),
        )
        .env("HOME", h.home.path())
        .env("XDG_DATA_HOME", h.home.path().join("data"))
        .env("XDG_CONFIG_HOME", h.home.path().join("config"))
        .output()
        .expect("runs");
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), all)
}

#[test]
fn no_raw_hostile_byte_reaches_any_output() {
    let h = setup();
    let (code, out) = run(
        &h,
        "Bob",
        &[
            "import-plan",
            &h.branch,
            "--root",
            &h.root,
            &h.plan,
            "--cost",
            &h.cost,
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let address = format!("null_resource.x[\"{HOSTILE}\"]");
    let bad_cost = h
        .repo
        .scratch("in")
        .join("bad-cost.json")
        .display()
        .to_string();
    let unknown = format!("request/{HOSTILE}");
    let cases: Vec<(Vec<&str>, bool)> = vec![
        (vec!["requests"], false),
        (vec!["requests", "--format", "json"], false),
        (vec!["status", &h.branch], false),
        (vec!["status", &h.branch, "--format", "json"], false),
        (vec!["check-config"], false),
        (
            vec!["show", &h.plan, "--cost", &h.cost, "--color", "never"],
            false,
        ),
        (
            vec!["show", &h.plan, "--cost", &h.cost, "--color", "always"],
            true,
        ),
        (
            vec!["summary", &h.plan, "--cost", &h.cost, "--format", "text"],
            false,
        ),
        (
            vec![
                "summary", &h.plan, "--cost", &h.cost, "--format", "text", "--color", "always",
            ],
            true,
        ),
        (
            vec![
                "summary", &h.plan, "--cost", &h.cost, "--format", "markdown",
            ],
            false,
        ),
        (
            vec!["summary", &h.plan, "--cost", &h.cost, "--format", "json"],
            false,
        ),
        (vec!["check", &h.plan, "--cost", &h.cost], false),
        (vec!["show", &h.plan, "--cost", &bad_cost], false),
        (vec!["summary", &h.plan, "--cost", &bad_cost], false),
        (vec!["diff-plans", &h.plan, &h.plan], false),
        (
            vec![
                "approve",
                &h.branch,
                "--root",
                &h.root,
                "--ack",
                &address,
                "--comment",
                HOSTILE,
            ],
            false,
        ),
        (
            vec!["block", &h.branch, "--root", &h.root, "--reason", HOSTILE],
            false,
        ),
        (vec!["unblock", &h.branch, "--root", &h.root], false),
        (vec!["audit"], false),
        (vec!["audit", "--format", "json"], false),
        (vec!["audit", "verify"], false),
        (vec!["drift", "list"], false),
        (vec!["apply", &h.branch], false),
        (vec!["plan", &h.branch], false),
        (vec!["status", &unknown], false),
    ];
    for (args, colour) in &cases {
        let (_, out) = run(&h, "Carol", args);
        if let Some(c) = raw_hostile(&out, *colour) {
            panic!("{args:?} printed a raw {c:?}:\n{}", out.escape_debug());
        }
    }
    // A hostile currency is refused, and said escaped.
    let (code, refused) = run(&h, "Carol", &["show", &h.plan, "--cost", &bad_cost]);
    assert_ne!(code, Some(0), "{refused}");
    assert!(
        refused.contains("invalid currency") && refused.contains("\\u{1b}"),
        "{refused}"
    );
    // The approval went through: the hostile parts are shown, escaped.
    let (_, status) = run(&h, "Carol", &["status", &h.branch]);
    assert!(status.contains("\\x1b[31m"), "{status}");
    assert!(status.contains("\\u{202e}"), "{status}");
    // Markdown for a PR comment: no mention or autolink from a value.
    let md_plan = h.repo.scratch("in").join("md.json");
    std::fs::write(&md_plan, plan_json("@octocat https://evil.example #12")).expect("plan");
    let (_, md) = run(
        &h,
        "Carol",
        &[
            "summary",
            &md_plan.display().to_string(),
            "--format",
            "markdown",
        ],
    );
    assert!(md.contains("@octocat"), "{md}");
    assert!(
        !outside_code(&md).contains("@octocat"),
        "a mention outside code:\n{md}"
    );
    assert!(
        !outside_code(&md).contains("https://evil"),
        "an autolink outside code:\n{md}"
    );
    assert!(
        !md.contains("\\u{fe0f}"),
        "plandeck's own heading is not escaped:\n{md}"
    );
    tui_screens(&h);
}

/// Markdown with fenced blocks and inline code spans removed.
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in md.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut in_code = false;
        for part in line.split('`') {
            if !in_code {
                out.push_str(part);
            }
            in_code = !in_code;
        }
        out.push('\n');
    }
    out
}

fn tui_screens(h: &Hostile) {
    let loaded = plandeck::config::load_with_repo(
        None,
        std::process::Command::new("git")
            .arg("-C")
            .arg(&h.repo.path)
            .args(["show", "main:.plandeck.toml"])
            .output()
            .ok()
            .map(|o| {
                (
                    ".plandeck.toml".to_string(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                )
            }),
    )
    .expect("config");
    let source =
        plandeck::source::git::GitSource::open(&h.repo.path, &loaded.config).expect("source");
    let mut harness = support::tui::harness(source, &loaded, (160, 48), h.home.path().join("tui"));
    let first = harness.screen();
    assert!(
        first.contains("request/7"),
        "the hostile request is listed:\n{first}"
    );
    let mut screens = vec![first];
    for keys in ["<Enter>", "c", "<Esc>", "L", "<Esc>", "w", "<Esc>", "?"] {
        harness.press(keys);
        screens.push(harness.screen());
    }
    for screen in screens {
        if let Some(c) = raw_hostile(&screen, false) {
            panic!("the TUI drew a raw {c:?}:\n{screen}");
        }
    }
}
