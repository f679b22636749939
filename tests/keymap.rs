//! A user keymap file (`[keys.VIEW]` in the config) through the real
//! config loader, the TUI harness on the demo repository and the built
//! binary: overrides and additions change what keys do, the status bar
//! and the help overlay; `plandeck keys` prints the effective map; a bad
//! binding is refused with its file and line, by every command.

mod support;

use plandeck::config;
use plandeck::tui::Keymap;
use std::process::Command;

const USER_KEYS: &str = "\
[display]
noise_attributes = [\"tags_all\"]

[keys.list]
# Enter no longer opens: `o` does.
\"o\" = { action = \"open\", desc = \"open the request\", hint = true }
\"<Enter>\" = \"none\"

[keys.plan]
\"J\" = { action = \"next-destructive\", desc = \"jump to danger\", hint = true }
\"d\" = \"none\"
";

fn user_config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("user.toml");
    std::fs::write(&path, USER_KEYS).expect("config");
    path
}

#[test]
fn a_user_keymap_changes_behaviour_the_status_bar_and_the_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = user_config(dir.path());
    let loaded = config::load(Some(&path)).expect("valid config");
    let keymap = Keymap::for_config(&loaded).expect("valid keys");
    let demo = support::tui::Demo::open(dir.path(), Some(USER_KEYS));
    let mut h = demo.harness((140, 40));
    h.keymap = keymap;
    let list = h.screen();
    assert!(list.contains("o open the request"), "status bar:\n{list}");
    assert!(
        !list.contains("<Enter> open"),
        "the removed binding is not hinted:\n{list}"
    );
    h.press("j j <Enter>");
    assert!(
        h.screen().contains("Requests 7/7"),
        "Enter was unbound: still the list"
    );
    h.press("o");
    let plan = h.screen();
    assert!(
        plan.contains("request/103 · apps/web/prod"),
        "o opened it:\n{plan}"
    );
    assert!(plan.contains("J jump to danger"), "status bar:\n{plan}");
    h.press("d");
    assert!(
        !h.selected_row()
            .unwrap_or_default()
            .contains("legacy_exports"),
        "d no longer jumps"
    );
    h.press("J");
    assert!(
        h.selected_row()
            .expect("a selection")
            .contains("aws_s3_bucket.legacy_exports"),
        "J jumps to the destructive change"
    );
    h.press("?");
    let help = h.screen();
    assert!(
        help.contains("jump to danger") && !help.contains("next destructive"),
        "the help is the live keymap:\n{help}"
    );
}

fn plandeck(args: &[&str], config: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("plandeck runs")
}

#[test]
fn plandeck_keys_prints_the_effective_map_with_where_each_user_binding_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = user_config(dir.path());
    let out = plandeck(&["keys"], &path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let section = |name: &str| -> String {
        let start = text
            .find(&format!("[{name}]\n"))
            .unwrap_or_else(|| panic!("[{name}] in\n{text}"));
        let rest = &text[start..];
        let end = rest[1..].find("\n[").map_or(rest.len(), |e| e + 1);
        rest[..end].to_string()
    };
    let plan = section("plan");
    let jump = plan
        .lines()
        .find(|l| l.contains("next-destructive"))
        .expect("next-destructive in [plan]");
    assert!(jump.trim_start().starts_with("J "), "{jump}");
    assert!(
        jump.contains("jump to danger") && jump.contains(&format!("(from {}:10)", path.display())),
        "{jump}"
    );
    assert!(
        plan.contains("<C-c>"),
        "the reserved quit key is listed:\n{plan}"
    );
    let list = section("list");
    let open = list.lines().find(|l| l.contains(" open ")).expect("open");
    assert!(open.trim_start().starts_with("o "), "{open}");
    assert!(!list.contains("<Enter>"), "{list}");
    // Every view is there, outline included.
    for view in [
        "list", "matrix", "plan", "outline", "code", "audit", "drift", "help",
    ] {
        section(view);
    }
}

#[test]
fn a_bad_binding_is_refused_by_every_command_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[keys.plan]\n\"A\" = \"approve\"\n\"<S-a>\" = \"block\"\n",
    )
    .expect("config");
    for args in [&["keys"][..], &["summary", "assets/sample/plan.json"]] {
        let out = plandeck(args, &path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!(
                "plandeck: {}:3: key `keys.plan.A`: conflicts with line 2: the same key bound twice",
                path.display()
            ),
            "{args:?}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_repository_cannot_set_the_operators_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), support::tui::NOW).expect("demo");
    std::fs::write(
        repo.join(".plandeck.toml"),
        "[keys.plan]\n\"j\" = \"approve\"\n",
    )
    .expect("write");
    support::git_in(&repo, &["add", ".plandeck.toml"]);
    support::git_in(&repo, &["commit", "-q", "-m", "keys"]);
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").expect("config");
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--config")
        .arg(&empty)
        .arg("--repo")
        .arg(&repo)
        .arg("keys")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(".plandeck.toml")
            && stderr.contains(":1: key `keys`: set it in your own config file"),
        "{stderr}"
    );
}
