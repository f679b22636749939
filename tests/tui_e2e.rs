//! End to end: the built binary in tmux on the demo repository. Each step
//! waits until the screen shows what it should (polling the pane, bounded
//! in time), then asserts on the captured screen. Needs tmux (`.ci/run`
//! installs it); without it the test fails, it does not skip.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, dir: &Path, command: &str) -> Self {
        Self::start_with(name, dir, command, Path::new("/dev/null"))
    }

    /// As `start`, with a tmux configuration file.
    fn start_with(name: &str, dir: &Path, command: &str, conf: &Path) -> Self {
        let socket = format!("plandeck-e2e-{}-{name}", std::process::id());
        let tmux = Self { socket };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f"])
            .arg(conf)
            .args(["new-session", "-d", "-s", "e2e", "-x", "140", "-y", "40"])
            .arg("-c")
            .arg(dir)
            .arg(command)
            .env("TERM", "xterm-256color")
            .status()
            .unwrap_or_else(|e| panic!("tmux is needed for this test (apt-get install tmux): {e}"));
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    /// The pane's text; with `escapes`, including SGR attributes.
    fn capture(&self, escapes: bool) -> String {
        let mut args = vec!["-L", &self.socket, "capture-pane", "-p", "-t", "e2e"];
        if escapes {
            args.push("-e");
        }
        let out = Command::new("tmux")
            .args(&args)
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "e2e"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    fn literal(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "e2e", "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Waits until the screen satisfies `ready`; returns that screen.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture(false);
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// From the request list: open request/103's plan (apps/web/prod).
    fn open_request_103(&self) {
        self.wait_for("the request list", |s| s.contains("Requests 8/8"));
        self.keys(&["j", "j", "Enter"]);
        self.wait_for("the plan of request/103", |s| {
            s.contains("request/103 · apps/web/prod")
        });
    }

    /// In the plan view: jump to the destructive change and mark it viewed.
    fn view_destructive(&self) {
        self.keys(&["d"]);
        self.wait_for("the jump to the destructive change", |_| {
            self.selected_line()
                .contains("aws_s3_bucket.legacy_exports")
        });
        self.keys(&["Space"]);
        self.wait_for("the viewed mark", |s| s.contains("destructive viewed 1/1"));
    }

    /// Whether the program in the pane has any mouse reporting mode on.
    fn mouse_on(&self) -> bool {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "display-message", "-p", "-t", "e2e"])
            .arg("#{mouse_any_flag}")
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// The line drawn in reverse video (the cursor), without escapes.
    fn selected_line(&self) -> String {
        let screen = self.capture(true);
        let line = screen.lines().find(|l| has_reverse(l)).unwrap_or_default();
        strip_escapes(line)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// Whether an SGR sequence in the line turns on reverse video (param 7).
fn has_reverse(line: &str) -> bool {
    line.split('\u{1b}').skip(1).any(|seq| {
        seq.strip_prefix('[')
            .and_then(|rest| rest.split_once('m'))
            .is_some_and(|(params, _)| params.split(';').any(|p| p == "7"))
    })
}

fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn demo(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("repo");
    let out = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(["demo", "--no-tui", "--dir"])
        .arg(&repo)
        .output()
        .expect("plandeck demo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        repo.display().to_string()
    );
    repo
}

/// The shell command run in the pane: plandeck, then its exit code and the
/// terminal modes after it, so restoration can be checked.
fn session_command(dir: &Path) -> String {
    format!(
        "XDG_DATA_HOME={data} XDG_CONFIG_HOME={data} {bin}; echo EXIT:$?; stty -a | tr '\\n' ' '; echo; sleep 30",
        data = dir.join("xdg").display(),
        bin = env!("CARGO_BIN_EXE_plandeck"),
    )
}

fn assert_restored(tmux: &Tmux) {
    let screen = tmux.wait_for("plandeck to exit", |s| s.contains("EXIT:"));
    assert!(screen.contains("EXIT:0"), "{screen}");
    assert_modes_restored(tmux);
}

/// Raw mode, the alternate screen, attributes and mouse reporting are off.
fn assert_modes_restored(tmux: &Tmux) {
    assert!(!tmux.mouse_on(), "mouse reporting left on");
    let modes = tmux.wait_for("stty output", |s| s.contains("icanon"));
    assert!(
        !modes.contains("-icanon") && !modes.contains("-echo "),
        "terminal left in raw mode:\n{modes}"
    );
    assert!(
        !modes.contains("Requests"),
        "the alternate screen was left:\n{modes}"
    );
    let escapes = tmux.capture(true);
    assert!(
        !escapes.lines().any(has_reverse),
        "no attribute left on:\n{escapes}"
    );
}

#[test]
fn demo_review_flow_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let tmux = Tmux::start("flow", &repo, &session_command(dir.path()));
    let list = tmux.wait_for("the request list", |s| {
        s.contains("Requests 8/8") && s.contains("#101")
    });
    assert!(list.contains("CRIT") && list.contains("no plan"), "{list}");
    assert!(
        tmux.selected_line().contains("#104"),
        "newest request selected first"
    );
    tmux.keys(&["j"]);
    tmux.wait_for("the cursor to move", |_| {
        tmux.selected_line().contains("#105")
    });
    tmux.keys(&["j", "Enter"]);
    let plan = tmux.wait_for("the plan of request/103", |s| {
        s.contains("request/103 · apps/web/prod")
    });
    assert!(
        plan.contains("aws_s3_bucket.legacy_exports will be destroyed"),
        "{plan}"
    );
    assert!(plan.contains("destructive viewed 0/1"), "{plan}");
    tmux.keys(&["/"]);
    tmux.literal("iam");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the search result", |s| s.contains("/iam (1 matches)"));
    // The capture can land between the status line and the cursor row of a
    // frame: wait for the row too, rather than reading it once.
    tmux.wait_for("the cursor on the match", |_| {
        tmux.selected_line().contains("aws_iam_policy.assets")
    });
    tmux.view_destructive();
    tmux.keys(&["?"]);
    let help = tmux.wait_for("the help overlay", |s| s.contains("Keys (plan)"));
    assert!(
        help.contains("next destructive") && help.contains("viewed"),
        "{help}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("the help to close", |s| !s.contains("Keys (plan)"));
    tmux.keys(&["c"]);
    tmux.wait_for("the code view", |s| {
        s.contains("apps/web/prod/main.tf") && s.contains("m6i.xlarge")
    });
    // One Escape at a time: two in one burst read as Alt+Escape.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the plan again", |s| {
        s.contains("request/103 · apps/web/prod")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| s.contains("Requests 8/8"));
    tmux.keys(&["q"]);
    assert_restored(&tmux);
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let tmux = Tmux::start("ctrlc", &repo, &session_command(dir.path()));
    tmux.open_request_103();
    tmux.keys(&["C-c"]);
    assert_restored(&tmux);
}

#[test]
fn approve_a_critical_plan_with_the_typed_root_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let tmux = Tmux::start("approve", &repo, &session_command(dir.path()));
    tmux.open_request_103();
    tmux.keys(&["a"]);
    tmux.wait_for("the refusal", |s| {
        s.contains("refused: 1 of 1 destructive changes not marked viewed")
    });
    tmux.view_destructive();
    tmux.keys(&["a"]);
    let modal = tmux.wait_for("the confirmation", |s| {
        s.contains("Type the root's name to approve")
    });
    assert!(modal.contains("0/2 approvals in prod"), "{modal}");
    tmux.literal("apps/web/prod");
    tmux.keys(&["Enter"]);
    let done = tmux.wait_for("the recorded approval", |s| {
        s.contains("riley@example.com approved")
    });
    assert!(done.contains("1/2 approvals in prod"), "{done}");
    tmux.keys(&["q"]);
    assert_restored(&tmux);
    let head = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["rev-parse", "request/103"])
        .output()
        .expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let note = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["notes", "--ref", "refs/notes/plandeck", "show", &head])
        .output()
        .expect("git");
    let note = String::from_utf8_lossy(&note.stdout).into_owned();
    assert!(
        note.contains("\"kind\":\"approve\"") && note.contains("riley@example.com"),
        "{note}"
    );
}

#[test]
fn self_approval_is_refused_on_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    // Carol wrote request/103: as her, approving is refused.
    let command = format!(
        "GIT_COMMITTER_NAME='Carol Web' GIT_COMMITTER_EMAIL=carol@example.com {}",
        session_command(dir.path())
    );
    let tmux = Tmux::start("selfapprove", &repo, &command);
    tmux.open_request_103();
    tmux.view_destructive();
    tmux.keys(&["a"]);
    tmux.wait_for("the refusal", |s| {
        s.contains("authored or committed this request")
    });
    tmux.keys(&["q"]);
    assert_restored(&tmux);
}

#[test]
fn a_panic_in_the_ui_restores_the_terminal_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let command = format!(
        "RUST_BACKTRACE=0 PLANDECK_TEST_PANIC=ui {}",
        session_command(dir.path())
    );
    let tmux = Tmux::start("panicui", &repo, &command);
    let screen = tmux.wait_for("plandeck to exit", |s| s.contains("EXIT:"));
    assert!(screen.contains("EXIT:101"), "{screen}");
    assert!(
        screen.contains("PLANDECK_TEST_PANIC=ui: a panic in the UI thread"),
        "the panic message is printed on the restored terminal:\n{screen}"
    );
    assert_modes_restored(&tmux);
}

#[test]
fn a_panic_in_a_background_task_is_shown_and_the_ui_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let command = format!("PLANDECK_TEST_PANIC=task {}", session_command(dir.path()));
    let tmux = Tmux::start("panictask", &repo, &command);
    let screen = tmux.wait_for("the failed load", |s| {
        s.contains("a background task failed: PLANDECK_TEST_PANIC=task")
    });
    assert!(!screen.contains("EXIT:"), "still running:\n{screen}");
    assert!(!screen.contains("loading requests"), "{screen}");
    assert!(
        tmux.mouse_on(),
        "the terminal was left alone (mouse still on)"
    );
    tmux.keys(&["q"]);
    assert_restored(&tmux);
}

/// A stand-in for tofu whose `plan` runs until interrupted, noting in
/// `marker` that it started and that SIGINT reached it. It stands in for a
/// long real plan: what is tested is how plandeck stops its children. Like
/// Terraform it acts on a SIGINT to its own pid at once (its wait is
/// interrupted; a foreground `sleep` would make sh defer the trap).
fn slow_tofu(dir: &Path, marker: &Path) -> std::path::PathBuf {
    let script = dir.join("slow-tofu");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in -chdir=*) shift;; esac\ncase \"$1\" in\n  \
             plan) trap 'echo interrupted >> {m}; kill $!; exit 130' INT; echo started >> {m}; \
             sleep 60 >/dev/null 2>&1 & wait $!;;\n  \
             *) exit 0;;\nesac\n",
            m = marker.display()
        ),
    )
    .expect("write script");
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    assert!(status.success());
    script
}

#[test]
fn quitting_during_a_plan_interrupts_it_and_leaves_no_worktree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let marker = dir.path().join("marker");
    let tofu = slow_tofu(dir.path(), &marker);
    let config_dir = dir.path().join("xdg").join("plandeck");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("config.toml"),
        format!("[tofu]\nbinary = \"{}\"\n", tofu.display()),
    )
    .expect("config");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let command = format!("TMPDIR={} {}", tmp.display(), session_command(dir.path()));
    let tmux = Tmux::start("quitplan", &repo, &command);
    tmux.wait_for("the request list", |s| s.contains("Requests 8/8"));
    tmux.keys(&["j"]);
    tmux.wait_for("request #105", |_| tmux.selected_line().contains("#105"));
    tmux.keys(&["p"]);
    let start = Instant::now();
    while !std::fs::read_to_string(&marker).is_ok_and(|m| m.contains("started")) {
        assert!(
            start.elapsed() < WAIT,
            "the plan never started:\n{}",
            tmux.capture(false)
        );
        std::thread::sleep(Duration::from_millis(40));
    }
    tmux.wait_for("the planning job", |s| s.contains("planning request/105"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("plandeck to exit", |s| s.contains("EXIT:"));
    assert!(screen.contains("EXIT:0"), "{screen}");
    assert!(
        screen.contains("interrupting 1 running plan/apply process") && screen.contains("stopped"),
        "{screen}"
    );
    assert_modes_restored(&tmux);
    let noted = std::fs::read_to_string(&marker).expect("marker");
    assert!(
        noted.contains("interrupted"),
        "SIGINT reached the plan: {noted}"
    );
    let worktrees = support::git_in(&repo, &["worktree", "list", "--porcelain"]);
    assert_eq!(
        worktrees.matches("worktree ").count(),
        1,
        "only the repository itself:\n{worktrees}"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .expect("tmp")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "temporary worktrees left: {left:?}");
}

#[test]
fn read_only_refuses_every_action_that_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let command = session_command(dir.path()).replacen(
        env!("CARGO_BIN_EXE_plandeck"),
        &format!("{} --read-only", env!("CARGO_BIN_EXE_plandeck")),
        1,
    );
    // The demo's own decisions (the shop's requests) are there already.
    let notes = || support::git_in(&repo, &["rev-parse", "refs/notes/plandeck"]);
    let before = notes();
    let tmux = Tmux::start("readonly", &repo, &command);
    let list = tmux.wait_for("the request list", |s| s.contains("Requests 8/8"));
    assert!(list.contains("READ-ONLY"), "{list}");
    tmux.keys(&["p"]);
    tmux.wait_for("planning refused", |s| {
        s.contains("read-only: planning is disabled")
    });
    tmux.keys(&["j", "j", "Enter"]);
    tmux.wait_for("the plan of request/103", |s| {
        s.contains("request/103 · apps/web/prod")
    });
    for (key, refusal) in [
        ("a", "read-only: approving is disabled"),
        ("x", "read-only: blocking is disabled"),
        ("A", "read-only: applying is disabled"),
    ] {
        tmux.keys(&[key]);
        tmux.wait_for(refusal, |s| s.contains(refusal));
    }
    tmux.keys(&["q"]);
    assert_restored(&tmux);
    assert_eq!(notes(), before, "nothing recorded");
}

/// `p` and `A` run in the TUI's own process through the executor (no
/// `plandeck plan|apply` child): the plan is made and stored with real
/// Terraform, the approved plan applied, the state changed, the output
/// streamed into the log pane and the result audited.
#[test]
fn the_tui_plans_and_applies_in_process_with_real_terraform() {
    let fx = support::apply::fixture("", &[("apps/web/dev", "")], &["apps/web/dev"]);
    fx.approve("Bob", "apps/web/dev");
    let tf_env: String = support::terraform()
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v} "))
        .collect();
    let command = format!(
        "{tf_env}GIT_COMMITTER_NAME=Bob GIT_COMMITTER_EMAIL=bob@example.com XDG_DATA_HOME={data} \
         {bin} --config {config}; echo EXIT:$?; sleep 30",
        data = fx.data.display(),
        bin = env!("CARGO_BIN_EXE_plandeck"),
        config = fx.config.display(),
    );
    let tmux = Tmux::start("inprocess", &fx.repo.path, &command);
    tmux.wait_for("the request list", |s| s.contains("Requests 1/1"));
    tmux.keys(&["p"]);
    tmux.wait_for("the in-process plan", |s| s.contains("planned request/1"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the plan view", |s| s.contains("request/1 · apps/web/dev"));
    tmux.keys(&["A"]);
    tmux.wait_for("the apply confirmation", |s| s.contains("Apply?"));
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the apply's end", |s| {
        s.contains("request/1 applied") || s.contains("apply failed") || s.contains("refused")
    });
    assert!(screen.contains("request/1 applied"), "{screen}");
    assert!(
        screen.contains("apps/web/dev: applied"),
        "the executor's lines streamed into the pane:\n{screen}"
    );
    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("plandeck to exit", |s| s.contains("EXIT:"));
    assert!(screen.contains("EXIT:0"), "{screen}");
    assert_eq!(
        fx.version("apps-web-dev"),
        "2",
        "the approved change is in the state"
    );
    assert_eq!(fx.entries("apply-succeeded").len(), 1, "{:?}", fx.audit());
    let worktrees = support::git_in(&fx.repo.path, &["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
}

#[test]
fn the_auto_theme_follows_the_terminals_background() {
    // tmux answers OSC 11 with the pane's background: white, then black.
    for (background, light) in [("#ffffff", true), ("#000000", false)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = demo(dir.path());
        let conf = dir.path().join("tmux.conf");
        std::fs::write(&conf, format!("set -g window-style 'bg={background}'\n")).expect("conf");
        let tmux = Tmux::start_with("theme", &repo, &session_command(dir.path()), &conf);
        tmux.wait_for("the request list", |s| s.contains("Requests 8/8"));
        let screen = tmux.capture(true);
        // The light palette's update colour is 256-colour 130 (dark orange);
        // the dark palette's is the terminal's yellow.
        assert_eq!(
            screen.contains("38;5;130"),
            light,
            "{background}:\n{screen}"
        );
        assert_eq!(
            screen.contains("38;5;3m"),
            !light,
            "{background}:\n{screen}"
        );
        tmux.keys(&["q"]);
        let done = tmux.wait_for("plandeck to exit", |s| s.contains("EXIT:"));
        assert!(done.contains("EXIT:0"), "{done}");
    }
}

#[test]
fn preview_then_outline_jump_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = demo(dir.path());
    let tmux = Tmux::start("outline", &repo, &session_command(dir.path()));
    tmux.wait_for("the request list with its preview", |s| {
        s.contains("Requests 8/8") && s.contains(" Preview ")
    });
    // Newest first: 104, 105, 103. The preview follows the selection to
    // request/103 and names its destructive change.
    tmux.keys(&["j", "j"]);
    let preview = tmux.wait_for("request/103's preview", |s| {
        s.contains("#103 web/prod: retire the legacy export bucket")
    });
    assert!(
        preview.contains("Destructive changes (1)")
            && preview.contains("aws_s3_bucket.legacy_exports"),
        "{preview}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("the plan with its outline", |s| {
        s.contains("request/103 · apps/web/prod") && s.contains(" Outline 3 ")
    });
    tmux.keys(&["Tab"]);
    tmux.wait_for("the outline's keys", |s| s.contains("<Tab> diff"));
    // Filter the outline, then jump: the diff's cursor is on the resource.
    tmux.keys(&["/"]);
    tmux.literal("iam");
    tmux.wait_for("the filtered outline", |s| s.contains(" Outline 1 /iam"));
    tmux.keys(&["Enter"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the jump to the diff", |s| {
        s.contains("<Tab> outline")
            && tmux
                .capture(true)
                .lines()
                .filter(|l| has_reverse(l))
                .any(|l| strip_escapes(l).contains("aws_iam_policy.assets will be"))
    });
    tmux.keys(&["q"]);
    assert_restored(&tmux);
}

/// `demo --github`: the demo's pull requests on the emulated GitHub, a plan
/// from an artifact, an approval that completes prod's two-person rule
/// read back from the emulator as a review, and the PR comment posted.
#[test]
fn the_github_demo_lists_opens_and_approves_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The browser `o` starts: writes the page it was given.
    let opened = dir.path().join("opened");
    let browser = dir.path().join("browser");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > {0}.tmp && mv {0}.tmp {0}\n",
            opened.display()
        ),
    )
    .expect("browser script");
    let chmod = Command::new("chmod").arg("+x").arg(&browser).status();
    assert!(chmod.expect("chmod").success());
    // tmux keeps what an OSC 52 sequence copies as a paste buffer.
    let conf = dir.path().join("tmux.conf");
    std::fs::write(&conf, "set -g set-clipboard on\n").expect("tmux.conf");
    let command = format!(
        "BROWSER={browser} XDG_DATA_HOME={data} XDG_CONFIG_HOME={data} {bin} demo --github; echo EXIT:$?; stty -a | tr '\\n' ' '; echo; sleep 30",
        browser = browser.display(),
        data = dir.path().join("xdg").display(),
        bin = env!("CARGO_BIN_EXE_plandeck"),
    );
    let tmux = Tmux::start_with("github", dir.path(), &command, &conf);
    let list = tmux.wait_for("the pull requests", |s| {
        s.contains("Requests 5/5") && s.contains("#101")
    });
    assert!(
        list.contains("github acme/infra") && list.contains("@riley"),
        "{list}"
    );
    let row = |n: &str| {
        list.lines()
            .find(|l| l.contains(n))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("#105").contains("in CI"), "a run still going:\n{list}");
    assert!(
        row("#103").contains("blocked"),
        "dave's block review:\n{list}"
    );
    assert!(
        row("#102").contains("1/2"),
        "sam's approval counted:\n{list}"
    );
    tmux.keys(&["j", "j", "j", "Enter"]);
    tmux.wait_for("the roots of #102", |s| {
        s.contains("apps/api/prod") && s.contains("apps/api/stage")
    });
    tmux.keys(&["Enter"]);
    let plan = tmux.wait_for("the plan of apps/api/prod", |s| {
        s.contains("pull/102 · apps/api/prod") && s.contains("@sam approved")
    });
    assert!(
        plan.contains("aws_db_instance.main must be replaced"),
        "{plan}"
    );
    tmux.keys(&["Space"]);
    tmux.wait_for("the viewed mark", |s| s.contains("destructive viewed 1/1"));
    tmux.keys(&["a"]);
    tmux.wait_for("the confirmation", |s| {
        s.contains("Type the root's name to approve")
    });
    tmux.literal("apps/api/prod");
    tmux.keys(&["Enter"]);
    let done = tmux.wait_for("the approval read back", |s| {
        s.contains("@riley approved") && s.contains("Gate: ready to apply")
    });
    assert!(!done.contains("1d ago"), "submitted now:\n{done}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the roots again", |s| s.contains("pull/102 —"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list again", |s| s.contains("Requests 5/5"));
    tmux.keys(&["C"]);
    let posted = tmux.wait_for("the comment posted", |s| {
        s.contains("comment created on") || s.contains("comment not posted")
    });
    assert!(posted.contains("statuses set"), "{posted}");
    // y copies #102's page, o opens it: the emulator's own page for it.
    tmux.keys(&["y"]);
    let copied = tmux.wait_for("the copy", |s| s.contains("copied http://127.0.0.1:"));
    let page = copied
        .split("copied ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert!(page.ends_with("/acme/infra/pull/102"), "{copied}");
    let buffer = Command::new("tmux")
        .args(["-L", &tmux.socket, "show-buffer"])
        .output()
        .expect("show-buffer");
    assert_eq!(
        String::from_utf8_lossy(&buffer.stdout),
        page,
        "the clipboard"
    );
    tmux.keys(&["o"]);
    let start = Instant::now();
    while !opened.exists() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(40));
    }
    assert_eq!(
        std::fs::read_to_string(&opened).expect("the browser ran"),
        page
    );
    tmux.wait_for("the rate limit", |s| {
        s.contains("API ") && s.contains("/5000")
    });
    tmux.keys(&["q"]);
    assert_restored(&tmux);
}
