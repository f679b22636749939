//! `plandeck completions SHELL` and `plandeck man` through the built
//! binary: every script parses in its own shell (bash -n, zsh -n, fish
//! --no-execute, elvish -compileonly), the PowerShell one is checked for its
//! shape (no PowerShell in Debian), and the man page renders with man and
//! groff. `.ci/run` installs zsh, fish, elvish, groff and man-db; a missing
//! shell fails the test, it does not skip.

use std::process::{Command, Stdio};

fn plandeck(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(args)
        .output()
        .expect("plandeck runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs `program args FILE` on `text` written to FILE; panics with its
/// output when it refuses, or when the program is missing.
fn check_with(program: &str, args: &[&str], text: &str, ext: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("plandeck.{ext}"));
    std::fs::write(&file, text).expect("write");
    let out = Command::new(program)
        .args(args)
        .arg(&file)
        .env("HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} refuses the script: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Subcommands every script must offer.
const COMMANDS: [&str; 6] = ["show", "summary", "keys", "completions", "man", "drift"];

#[test]
fn every_shells_completions_parse_and_offer_the_commands() {
    let bash = plandeck(&["completions", "bash"]);
    check_with("bash", &["-n"], &bash, "bash");
    let zsh = plandeck(&["completions", "zsh"]);
    check_with("zsh", &["-n"], &zsh, "zsh");
    let fish = plandeck(&["completions", "fish"]);
    check_with("fish", &["--no-execute"], &fish, "fish");
    // `edit:` exists only in an interactive elvish: compile the script
    // against a map of our own instead, which checks all the rest.
    let elvish = plandeck(&["completions", "elvish"]);
    assert!(elvish.contains("edit:completion:arg-completer[plandeck]"));
    let compilable = format!(
        "var completers = [&]\n{}",
        elvish.replace("edit:completion:arg-completer", "completers")
    );
    check_with("elvish", &["-compileonly"], &compilable, "elv");
    let powershell = plandeck(&["completions", "powershell"]);
    assert!(
        powershell.contains("Register-ArgumentCompleter -Native -CommandName 'plandeck'"),
        "{powershell}"
    );
    assert_eq!(
        powershell.matches('{').count(),
        powershell.matches('}').count(),
        "balanced braces"
    );
    for (shell, script) in [
        ("bash", &bash),
        ("zsh", &zsh),
        ("fish", &fish),
        ("elvish", &elvish),
        ("powershell", &powershell),
    ] {
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: {command} missing");
        }
    }
}

#[test]
fn a_bash_completion_completes_a_subcommand_in_a_real_bash() {
    let script = plandeck(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plandeck.bash");
    std::fs::write(&file, script).expect("write");
    // Complete `plandeck comp` as bash would on Tab.
    let probe = format!(
        "source {}; COMP_WORDS=(plandeck comp); COMP_CWORD=1; COMP_LINE='plandeck comp'; \
         COMP_POINT=13; _plandeck plandeck comp plandeck; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .expect("bash");
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.lines().any(|w| w == "completions"),
        "{words}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_man_page_renders_with_man_and_groff() {
    let page = plandeck(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH plandeck 1"),
        "{page}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plandeck.1");
    std::fs::write(&file, &page).expect("write");
    let man = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap_or_else(|e| panic!("man is needed (.ci/run installs man-db): {e}"));
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.status.success(),
        "{}",
        String::from_utf8_lossy(&man.stderr)
    );
    assert!(
        text.contains("Review and approve OpenTofu/Terraform plans") && text.contains("SYNOPSIS"),
        "{text}"
    );
    let groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("groff is needed (.ci/run installs groff): {e}"));
    assert!(groff.status.success());
    let warnings = String::from_utf8_lossy(&groff.stderr);
    assert!(warnings.trim().is_empty(), "groff warnings: {warnings}");
    assert!(String::from_utf8_lossy(&groff.stdout).contains("keys"));
}

#[test]
fn man_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = dir.path().join("man1");
    let said = plandeck(&["man", "--dir", pages.to_str().expect("utf-8 path")]);
    assert!(said.contains("man pages written to"), "{said}");
    for page in [
        "plandeck.1",
        "plandeck-show.1",
        "plandeck-keys.1",
        "plandeck-drift-check.1",
    ] {
        let path = pages.join(page);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
}
