//! Per-root progress of `plan` and `drift check` on a real pseudo-terminal
//! (`script`, as the --color auto tests do), off with `--quiet`, and
//! standard output unchanged without a terminal (nothing on stderr). The
//! binary stands in for Terraform and only takes a moment per root: what
//! is tested is plandeck's progress, not Terraform (tests/drift.rs and
//! tests/plan_command.rs run the real one).

use std::path::PathBuf;
use std::process::Command;

struct Setup {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    config: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(["demo", "--no-tui", "--dir"])
        .arg(&repo)
        .output()
        .expect("demo");
    assert!(out.status.success());
    let tofu = dir.path().join("tofu");
    std::fs::write(
        &tofu,
        "#!/bin/sh\nfor a; do case \"$a\" in\n  -out=*) : > \"${a#-out=}\";;\n  \
         show) echo '{\"format_version\":\"1.2\",\"resource_changes\":[]}'; exit 0;;\nesac; done\n\
         sleep 0.4\nexit 0\n",
    )
    .expect("tofu");
    assert!(
        Command::new("chmod")
            .arg("+x")
            .arg(&tofu)
            .status()
            .expect("chmod")
            .success()
    );
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[tofu]\nbinary = \"{}\"\n", tofu.display()),
    )
    .expect("config");
    Setup {
        _dir: dir,
        repo,
        config,
    }
}

fn args(setup: &Setup, command: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--config".to_string(),
        setup.config.display().to_string(),
        "--repo".to_string(),
        setup.repo.display().to_string(),
    ];
    args.extend(command.iter().map(|s| s.to_string()));
    args
}

/// Runs plandeck on a pseudo-terminal; everything it wrote (stdout and
/// stderr both go to the terminal).
fn on_a_terminal(args: &[String]) -> String {
    let line = std::iter::once(env!("CARGO_BIN_EXE_plandeck").to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .unwrap_or_else(|e| panic!("this test needs `script` (util-linux): {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn piped(args: &[String]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(args)
        .output()
        .expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ROOTS: [&str; 6] = [
    "apps/api/dev",
    "apps/api/prod",
    "apps/api/stage",
    "apps/web/dev",
    "apps/web/prod",
    "apps/web/stage",
];

#[test]
fn drift_check_shows_each_root_on_a_terminal_and_nothing_elsewhere() {
    let setup = setup();
    let tty = on_a_terminal(&args(&setup, &["drift", "check"]));
    for (n, root) in ROOTS.iter().enumerate() {
        assert!(
            tty.contains(&format!("[{n}/6] checking {root}")),
            "progress names {root}:\n{tty:?}"
        );
    }
    assert!(tty.contains("\u{1b}[2K"), "the bar is redrawn in place");
    assert!(tty.contains("apps/web/stage  clean"), "{tty:?}");
    let quiet = on_a_terminal(&args(&setup, &["drift", "check", "--quiet"]));
    assert!(!quiet.contains("checking"), "--quiet: {quiet:?}");
    let (stdout, stderr) = piped(&args(&setup, &["drift", "check"]));
    let expected: String = ROOTS.iter().map(|r| format!("{r:<14}  clean\n")).collect();
    assert_eq!(stdout, expected, "stdout unchanged without a terminal");
    assert_eq!(stderr, "", "no progress without a terminal");
    // The terminal's output, progress aside, is the same lines.
    for line in expected.lines() {
        assert!(quiet.contains(line), "{line} in {quiet:?}");
    }
}

#[test]
fn plan_shows_each_root_on_a_terminal_and_nothing_elsewhere() {
    let setup = setup();
    let tty = on_a_terminal(&args(&setup, &["plan", "request/102"]));
    assert!(
        tty.contains("[0/2] planning apps/api/prod")
            && tty.contains("[1/2] planning apps/api/stage"),
        "{tty:?}"
    );
    let (stdout, stderr) = piped(&args(&setup, &["plan", "request/102"]));
    assert_eq!(stderr, "", "no progress without a terminal");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("apps/api/prod  sha256:"), "{stdout}");
    assert!(lines[1].starts_with("apps/api/stage  sha256:"), "{stdout}");
    let quiet = on_a_terminal(&args(&setup, &["plan", "request/102", "-q"]));
    assert!(!quiet.contains("planning"), "{quiet:?}");
}
