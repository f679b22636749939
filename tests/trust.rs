//! The gate's trust rules attacked on real git repositories (the demo's,
//! whose plans are in the store): decisions made at the same moment by
//! people with their own HOMEs all survive (compare-and-swap of the notes
//! ref); a `kill -9` at each write of a decision never leaves a counted
//! decision without its audit entry; a note written by hand is not counted
//! and `audit verify` names it; an append onto a cut log is refused until
//! an operator accepts the cut.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::git_in as git;

const NOW: i64 = 1_790_000_000;
const REQUEST: &str = "request/102";
const PROD: &str = "apps/api/prod";
const ACK: &str = "aws_db_instance.main";

struct Env {
    dir: tempfile::TempDir,
    repo: PathBuf,
}

fn setup() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = plandeck::demo::build_at(&dir.path().join("repo"), NOW).expect("demo");
    Env { dir, repo }
}

impl Env {
    /// plandeck as `person`, with a HOME (and data dir) of `home`'s own.
    fn command(&self, person: &str, home: &str, args: &[&str]) -> Command {
        let home = self.dir.path().join(format!("home-{home}"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_plandeck"));
        command
            .arg("--repo")
            .arg(&self.repo)
            .args(args)
            .env("GIT_COMMITTER_NAME", person)
            .env(
                "GIT_COMMITTER_EMAIL",
                format!("{}@example.com", person.to_lowercase()),
            )
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .stdin(Stdio::null());
        command
    }

    fn run(&self, person: &str, args: &[&str]) -> Output {
        self.command(person, person, args).output().expect("runs")
    }

    fn approve_args(comment: &str) -> Vec<String> {
        [
            "approve",
            REQUEST,
            "--root",
            PROD,
            "--ack",
            ACK,
            "--comment",
            comment,
        ]
        .map(String::from)
        .to_vec()
    }

    fn prod_report(&self) -> Value {
        let out = self.run("Erin", &["status", REQUEST, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let reports: Value = serde_json::from_slice(&out.stdout).expect("json");
        reports
            .as_array()
            .expect("array")
            .iter()
            .find(|r| r["root"] == PROD)
            .expect("prod report")
            .clone()
    }

    /// Every decision line in the notes, as JSON.
    fn note_lines(&self) -> Vec<Value> {
        let listing = git(
            &self.repo,
            &["notes", "--ref", "refs/notes/plandeck", "list"],
        );
        let mut all = Vec::new();
        for note in listing.lines().filter_map(|l| l.split_whitespace().next()) {
            let text = git(&self.repo, &["cat-file", "blob", note]);
            all.extend(
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Value>(l).ok()),
            );
        }
        all
    }

    /// Decisions of `kind` by `person` with `comment`, counted once each
    /// (every decision is stored on its head commit and on the request key).
    fn count(&self, kind: &str, person: &str, comment: &str) -> usize {
        let mut lines: Vec<String> = self
            .note_lines()
            .into_iter()
            .filter(|d| d["kind"] == kind && d["who"]["name"] == person)
            .filter(|d| d["comment"] == comment)
            .map(|d| d.to_string())
            .collect();
        lines.sort();
        lines.dedup();
        lines.len()
    }

    fn verify(&self, person: &str) -> (Option<i32>, String) {
        let out = self.run(person, &["audit", "verify"]);
        (out.status.code(), text(&out.stdout) + &text(&out.stderr))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn wait_ok(child: Child, what: &str) {
    let out = child.wait_with_output().expect("waits");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn concurrent_approvals_and_blocks_from_different_homes_are_all_kept() {
    let env = setup();
    for round in 0..8 {
        let approval = format!("approve round {round}");
        let reason = format!("block round {round}");
        let approve = Env::approve_args(&approval);
        let approve: Vec<&str> = approve.iter().map(String::as_str).collect();
        // Started together, from two HOMEs (two data dirs, two audit logs).
        // A new approver each round: one may approve a plan once.
        let erin = format!("Erin{round}");
        let a = env
            .command(&erin, &format!("erin-{round}"), &approve)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let b = env
            .command(
                "Frank",
                &format!("frank-{round}"),
                &["block", REQUEST, "--root", PROD, "--reason", &reason],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        wait_ok(a, "approve");
        wait_ok(b, "block");
        assert_eq!(env.count("approve", &erin, &approval), 1, "round {round}");
        assert_eq!(env.count("block", "Frank", &reason), 1, "round {round}");
        let report = env.prod_report();
        assert_eq!(report["passed"], false, "round {round}: blocked");
        let blocks = report["blocks"].as_array().expect("blocks");
        assert!(
            blocks.iter().any(|b| b["comment"] == reason.as_str()),
            "round {round}: {blocks:?}"
        );
        let counted = report["approvals"]
            .as_array()
            .expect("approvals")
            .iter()
            .filter(|a| a["state"]["state"] == "counted")
            .filter(|a| a["decision"]["comment"] == approval.as_str())
            .count();
        assert_eq!(counted, 1, "round {round}: {erin}'s approval counts");
        assert_eq!(
            report["counted"],
            round + 1,
            "round {round}: every approver"
        );
    }
    // Everything the notes hold went through an audit log: none inconsistent.
    let (code, out) = env.verify("Erin");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0 inconsistent"), "{out}");
    // No scratch ref is left for `git push refs/notes/*` to carry.
    let scratch = git(&env.repo, &["for-each-ref", "refs/notes/plandeck-scratch/"]);
    assert!(scratch.trim().is_empty(), "{scratch}");
}

#[test]
fn two_approvals_at_the_same_moment_both_count() {
    let env = setup();
    for round in 0..8 {
        let erin = format!("erin round {round}");
        let grace = format!("grace round {round}");
        let (erin_name, grace_name) = (format!("Erin{round}"), format!("Grace{round}"));
        let spawn = |person: &str, comment: &str| {
            let args = Env::approve_args(comment);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.command(person, &format!("{person}-{round}"), &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (spawn(&erin_name, &erin), spawn(&grace_name, &grace));
        wait_ok(a, "Erin approves");
        wait_ok(b, "Grace approves");
        let report = env.prod_report();
        // Both of this round's approvals are there and counted.
        let counted: Vec<String> = report["approvals"]
            .as_array()
            .expect("approvals")
            .iter()
            .filter(|a| a["state"]["state"] == "counted")
            .map(|a| a["decision"]["comment"].as_str().unwrap_or("").to_string())
            .collect();
        assert!(
            counted.contains(&erin) && counted.contains(&grace),
            "round {round}: {counted:?}"
        );
        assert_eq!(report["passed"], true, "round {round}: {report:#}");
        assert_eq!(env.count("approve", &erin_name, &erin), 1);
        assert_eq!(env.count("approve", &grace_name, &grace), 1);
    }
}

/// Starts Erin's approval, stopped (debug builds' failpoint) at `point`,
/// and kills it with SIGKILL once it is there.
fn kill_at(env: &Env, point: &str) {
    let marker = env.dir.path().join(format!("paused-{point}"));
    let args = Env::approve_args(&format!("killed at {point}"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = env
        .command("Erin", "Erin", &args)
        .env("PLANDECK_PAUSE_AT", point)
        .env("PLANDECK_PAUSE_FILE", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while !marker.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ended before {point}: {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never reached {point}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
}

#[test]
fn a_kill_at_each_write_of_a_decision_never_leaves_a_counted_decision_without_its_entry() {
    // Before the note is in the ref: the decision never took effect.
    for point in ["audit-written", "audit-head-written", "note-key-written"] {
        let env = setup();
        kill_at(&env, point);
        let report = env.prod_report();
        assert_eq!(report["counted"], 0, "{point}: {report:#}");
        assert!(
            report["approvals"].as_array().expect("list").is_empty(),
            "{point}: not in the notes"
        );
        let (code, out) = env.verify("Erin");
        assert_eq!(code, Some(0), "{point}: {out}");
        assert!(
            out.contains("notice: entry seq 1: approve by Erin")
                && out.contains("did not take effect"),
            "{point}: verify names the entry whose decision was lost: {out}"
        );
        // The next decision goes through (stale audit lock, scratch ref).
        let args = Env::approve_args("after the crash");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run("Erin", &args);
        assert_eq!(out.status.code(), Some(0), "{point}: {}", text(&out.stderr));
        assert_eq!(env.prod_report()["counted"], 1, "{point}");
        let scratch = git(&env.repo, &["for-each-ref", "refs/notes/plandeck-scratch/"]);
        assert!(scratch.trim().is_empty(), "{point}: {scratch}");
    }
    // Once the notes ref moved, the decision counts: its entry came first.
    let env = setup();
    kill_at(&env, "note-written");
    let report = env.prod_report();
    assert_eq!(report["counted"], 1, "{report:#}");
    let (code, out) = env.verify("Erin");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("1 in this log") && !out.contains("notice"),
        "{out}"
    );
}

#[test]
fn a_hand_written_or_edited_note_is_not_counted_and_verify_names_it() {
    let env = setup();
    let args = Env::approve_args("real");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.run("Erin", &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let head = git(&env.repo, &["rev-parse", REQUEST]).trim().to_string();
    let real = env
        .note_lines()
        .into_iter()
        .find(|d| d["comment"] == "real")
        .expect("stored");
    // Frank's approval written by hand (as a crash between note and entry
    // would have left it before), and Erin's copied with another digest.
    let mut forged = real.clone();
    forged["who"] = serde_json::json!({"name": "Frank", "email": "frank@example.com"});
    forged["comment"] = "forged".into();
    let mut bare = forged.clone();
    bare.as_object_mut().expect("object").remove("audit");
    bare["who"]["name"] = "Grace".into();
    bare["who"]["email"] = "grace@example.com".into();
    for line in [forged.to_string(), bare.to_string()] {
        git(
            &env.repo,
            &[
                "notes",
                "--ref",
                "refs/notes/plandeck",
                "append",
                "-m",
                &line,
                &head,
            ],
        );
    }
    let report = env.prod_report();
    assert_eq!(report["counted"], 1, "only Erin's: {report:#}");
    let states: Vec<String> = report["approvals"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| format!("{} {}", a["decision"]["who"]["name"], a["state"]["reason"]))
        .collect();
    assert!(
        states
            .iter()
            .any(|s| s.contains("Frank") && s.contains("does not match")),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .any(|s| s.contains("Grace") && s.contains("no audit entry")),
        "{states:?}"
    );
    let (code, out) = env.verify("Erin");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("2 inconsistent"), "{out}");
    assert!(
        out.contains("approve by Grace") && out.contains("no audit entry"),
        "{out}"
    );
    assert!(
        out.contains("approve by Frank") && out.contains("edited after it was audited"),
        "{out}"
    );
}

fn audit_log(env: &Env, home: &str) -> PathBuf {
    env.dir
        .path()
        .join(format!("home-{home}/data/plandeck/audit.log"))
}

fn cut_last_line(log: &Path) {
    let text = std::fs::read_to_string(log).expect("log");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    std::fs::write(log, lines.join("\n") + "\n").expect("cut");
}

#[test]
fn an_append_onto_a_cut_log_is_refused_until_an_operator_accepts_the_cut() {
    let env = setup();
    let args = Env::approve_args("one");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(env.run("Erin", &args).status.code(), Some(0));
    let block = ["block", REQUEST, "--root", PROD, "--reason", "two"];
    assert_eq!(env.run("Erin", &block).status.code(), Some(0));
    let log = audit_log(&env, "Erin");
    cut_last_line(&log);
    let (code, out) = env.verify("Erin");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("entries 2.. removed"), "{out}");
    // The decision whose entry was cut is named too.
    assert!(out.contains("names entry seq 2 of this log"), "{out}");
    // No decision appends over the gap (which would make verify say OK).
    let args = ["unblock", REQUEST, "--root", PROD, "--comment", "three"];
    let out = env.run("Erin", &args);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("accept-cut"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.count("unblock", "Erin", "three"), 0, "nothing stored");
    let (code, out) = env.verify("Erin");
    assert_eq!(code, Some(1), "still cut: {out}");
    // An operator accepts the loss: recorded, and appends go on.
    let out = env.run(
        "Erin",
        &["audit", "accept-cut", "--reason", "restored from backup"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("entries 2..2"),
        "{}",
        text(&out.stdout)
    );
    let out = env.run("Erin", &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listing = text(&env.run("Erin", &["audit"]).stdout);
    assert!(
        listing.contains("accept-cut") && listing.contains("restored from backup"),
        "{listing}"
    );
    assert_eq!(env.count("unblock", "Erin", "three"), 1);
    // The lost entry's decision stays named: it is in the notes, not in the log.
    let (_, out) = env.verify("Erin");
    assert!(out.contains("names entry seq 2 of this log"), "{out}");
}

#[test]
fn clones_that_sync_at_the_same_moment_keep_each_others_decisions() {
    let env = setup();
    let origin = env.dir.path().join("origin.git");
    let top = env.dir.path();
    let path = |p: &Path| p.to_str().expect("path").to_string();
    git(
        top,
        &["clone", "-q", "--bare", &path(&env.repo), &path(&origin)],
    );
    git(&env.repo, &["remote", "add", "origin", &path(&origin)]);
    // A second clone, with the same stored plan (as CI would import it).
    let other = top.join("other");
    git(top, &["clone", "-q", &path(&origin), &path(&other)]);
    let plan = env
        .repo
        .join(".git/plandeck/plans/request%2F102/apps%2Fapi%2Fprod/plan.json");
    let other_env = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        repo: other.clone(),
    };
    let out = other_env.run(
        "Frank",
        &["import-plan", REQUEST, "--root", PROD, &path(&plan)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for round in 0..4 {
        let approval = format!("approve {round}");
        let reason = format!("block {round}");
        let approver = format!("Erin{round}");
        let args = Env::approve_args(&approval);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run(&approver, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let block = ["block", REQUEST, "--root", PROD, "--reason", &reason];
        let out = other_env.run("Frank", &block);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // Both push at once: one push loses the race and is redone.
        let a = env
            .command(&approver, &approver, &["sync"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let b = other_env
            .command("Frank", "Frank", &["sync"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        wait_ok(a, "sync here");
        wait_ok(b, "sync there");
        // One more round trip each: both now hold the union.
        assert_eq!(env.run(&approver, &["sync"]).status.code(), Some(0));
        assert_eq!(other_env.run("Frank", &["sync"]).status.code(), Some(0));
        for clone in [&env, &other_env] {
            assert_eq!(
                clone.count("approve", &approver, &approval),
                1,
                "round {round}"
            );
            assert_eq!(clone.count("block", "Frank", &reason), 1, "round {round}");
        }
        let report = other_env.prod_report();
        let counted = report["approvals"]
            .as_array()
            .expect("approvals")
            .iter()
            .any(|a| {
                a["decision"]["comment"] == approval.as_str() && a["state"]["state"] == "counted"
            });
        assert!(counted, "round {round}: {report:#}");
        assert_eq!(report["passed"], false, "blocked");
    }
}
