//! Emergency approvals end to end: real git, the built binary as several
//! people, the real Terraform 1.0.3 and null provider. A closed window
//! refuses the apply of normal approvals; an emergency approval by a
//! second person applies; the author's is refused; the reason is required
//! and escaped; a note edited into an emergency approval counts for nothing.

mod support;

use support::apply::{Fixture, fixture, text};

const ROOT: &str = "apps/web/prod";
const REASON: &str = "INC-42 checkout down";

/// A window on no day that is today: two days from now, one minute long.
fn closed_window() -> String {
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let days_since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 86_400;
    // 1970-01-01 was a Thursday (index 3).
    let other = day[((days_since_epoch + 3 + 2) % 7) as usize];
    format!("window = {{ days = [\"{other}\"], hours = \"03:00-03:01\", time_zone = \"UTC\" }}\n")
}

fn prod_fixture(allow_emergency: bool) -> Fixture {
    let config = format!(
        "[environments.prod]\nrequired_approvals = 2\nallow_emergency = {allow_emergency}\n{}",
        closed_window()
    );
    fixture(&config, &[(ROOT, "")], &[ROOT])
}

fn approve(fx: &Fixture, person: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "approve",
        "request/1",
        "--root",
        ROOT,
        "--ack",
        "null_resource.app",
    ];
    args.extend_from_slice(extra);
    fx.run(person, &args)
}

fn emergency(fx: &Fixture, person: &str, reason: &str) -> std::process::Output {
    approve(fx, person, &["--emergency", "--reason", reason])
}

#[test]
fn a_closed_window_refuses_normal_approvals_and_a_second_persons_emergency_approval_applies() {
    let fx = prod_fixture(true);
    for person in ["Bob", "Dave"] {
        assert_eq!(approve(&fx, person, &[]).status.code(), Some(0));
    }
    fx.refused(&["apply", "request/1"], "window: closed: applies only");
    assert_eq!(fx.version("apps-web-prod"), "1");

    // The author's emergency approval is refused like any approval of hers.
    let out = emergency(&fx, "Alice", "my own hotfix");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("authored or committed this request"),
        "{}",
        text(&out.stderr)
    );

    // Dave approved normally; his emergency approval replaces that one.
    let out = emergency(&fx, "Dave", REASON);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("EMERGENCY-approved request/1 apps/web/prod"),
        "{}",
        text(&out.stdout)
    );
    let again = emergency(&fx, "Dave", REASON);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already made an emergency approval"));

    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        status.contains("ok   window       EMERGENCY: closed: applies only")
            && status.contains(&format!(
                "waived by the emergency approval of Dave <dave@example.com>: {REASON}"
            )),
        "{status}"
    );
    assert!(
        status.contains(&format!(
            "approval by Dave <dave@example.com> (counted) EMERGENCY: {REASON}"
        )),
        "{status}"
    );
    assert!(
        status.contains("ready to apply (2/2 approvals)"),
        "{status}"
    );
    let red = fx.ok("Bob", &["status", "request/1", "--color", "always"]);
    assert!(
        red.contains("\x1b[1;31m EMERGENCY: \x1b[0m")
            && red.contains("\x1b[1;31m  ok   window       \x1b[0m"),
        "{red:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fx.ok("Bob", &["status", "request/1", "--format", "json"]))
            .expect("json");
    assert_eq!(json[0]["emergency"]["reason"], REASON);
    assert_eq!(json[0]["emergency"]["by"]["email"], "dave@example.com");

    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("apps/web/prod: applied"), "{out}");
    assert_eq!(fx.version("apps-web-prod"), "2", "the real apply ran");

    // Audited as an emergency: the entry, the listing (red), verify.
    let approvals = fx.entries("approve");
    let audited: Vec<&serde_json::Value> = approvals
        .iter()
        .filter(|r| r["details"]["emergency"]["reason"] == REASON)
        .collect();
    assert_eq!(audited.len(), 1, "{approvals:#?}");
    assert_eq!(audited[0]["who"]["email"], "dave@example.com");
    let listing = fx.ok("Bob", &["audit"]);
    let line = listing
        .lines()
        .find(|l| l.contains("approve EMERGENCY"))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(line.contains(&format!("EMERGENCY: {REASON}")), "{line}");
    let coloured = fx.ok("Bob", &["audit", "--color", "always"]);
    assert!(
        coloured
            .lines()
            .any(|l| l.starts_with("\x1b[1;31m") && l.contains("approve EMERGENCY")),
        "{coloured:?}"
    );
    assert!(
        !coloured.lines().any(|l| l.starts_with("\x1b[1;31m")
            && l.contains("approve ")
            && !l.contains("EMERGENCY")),
        "only the emergency approval is red"
    );
    let verify = fx.run("Bob", &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

#[test]
fn an_emergency_approval_is_refused_where_the_environment_does_not_allow_it() {
    let fx = prod_fixture(false);
    let out = emergency(&fx, "Bob", REASON);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("emergency approvals are not allowed in prod")
            && stderr.contains("allow_emergency = true"),
        "{stderr}"
    );
    assert!(fx.entries("approve").is_empty(), "nothing audited");
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        !status.contains("approval by"),
        "nothing recorded: {status}"
    );
}

#[test]
fn the_reason_is_required_and_a_hostile_one_comes_out_escaped() {
    let fx = prod_fixture(true);
    for (args, why) in [
        (vec!["--emergency"], "--emergency needs --reason TEXT"),
        (vec!["--reason", "x"], "--reason goes with --emergency"),
        (vec!["--emergency", "--reason", "  \t"], "--reason is empty"),
    ] {
        let out = approve(&fx, "Bob", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
    }
    assert!(fx.entries("approve").is_empty());

    let hostile = "outage\x1b[2J\u{202e}gnissim\x07";
    let out = emergency(&fx, "Bob", hostile);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for args in [
        vec!["status", "request/1"],
        vec!["status", "request/1", "--format", "json"],
        vec!["audit"],
        vec!["audit", "--format", "json"],
    ] {
        let out = fx.ok("Bob", &args);
        assert!(
            !out.contains('\x1b') && !out.contains('\u{202e}') && !out.contains('\x07'),
            "{args:?}: {out:?}"
        );
        assert!(
            out.contains("outage\\x1b[2J") || out.contains("outage\\u001b[2J"),
            "{args:?}: {out}"
        );
    }
    let coloured = fx.ok("Bob", &["status", "request/1", "--color", "always"]);
    assert!(
        !coloured.contains("\x1b[2J") && !coloured.contains('\u{202e}'),
        "{coloured:?}"
    );
    assert!(coloured.contains("outage\\x1b[2J"), "{coloured:?}");
}

/// Rewrites every plandeck note: `edit` gets each decision and may change it.
fn edit_notes(fx: &Fixture, edit: impl Fn(&mut serde_json::Value)) {
    let notes = "refs/notes/plandeck";
    let listing = fx.repo.git(&["notes", "--ref", notes, "list"]);
    let scratch = fx.repo.scratch("edited-note");
    for (note, object) in listing.lines().filter_map(|l| l.split_once(' ')) {
        let text = fx.repo.git(&["cat-file", "blob", note]);
        let edited: Vec<String> = text
            .lines()
            .map(|line| {
                let mut decision: serde_json::Value = serde_json::from_str(line).expect("json");
                edit(&mut decision);
                decision.to_string()
            })
            .collect();
        let file = scratch.join("note");
        std::fs::write(&file, edited.join("\n") + "\n").expect("write");
        fx.repo.git(&[
            "notes",
            "--ref",
            notes,
            "add",
            "-f",
            "-F",
            file.to_str().expect("path"),
            object,
        ]);
    }
}

#[test]
fn a_hand_edited_note_cannot_turn_a_normal_approval_into_an_emergency_one() {
    let fx = prod_fixture(true);
    for person in ["Bob", "Dave"] {
        assert_eq!(approve(&fx, person, &[]).status.code(), Some(0));
    }
    edit_notes(&fx, |d| {
        if d["who"]["email"] == "dave@example.com" {
            d["emergency"] = serde_json::json!({ "reason": "forged by hand" });
        }
    });
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        status.contains(
            "approval by Dave <dave@example.com> (not counted: its audit proof does not match it"
        ) && status.contains("EMERGENCY: forged by hand"),
        "the forged flag is shown, and not counted:\n{status}"
    );
    assert!(
        status.contains("FAIL window       closed: applies only"),
        "{status}"
    );
    assert!(status.contains("not ready (1/2 approvals)"), "{status}");
    fx.refused(&["apply", "request/1"], "window: closed");
    assert_eq!(fx.version("apps-web-prod"), "1", "nothing applied");
    let verify = fx.run("Bob", &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        text(&verify.stdout).contains("does not match the audit entry its proof names"),
        "{}",
        text(&verify.stdout)
    );

    // The other way round: an emergency approval edited into a normal one
    // (to hide the break-glass) stops counting too.
    let fx = prod_fixture(true);
    assert_eq!(approve(&fx, "Bob", &[]).status.code(), Some(0));
    assert_eq!(emergency(&fx, "Dave", REASON).status.code(), Some(0));
    edit_notes(&fx, |d| {
        if let Some(map) = d.as_object_mut() {
            map.remove("emergency");
        }
    });
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(status.contains("not ready (1/2 approvals)"), "{status}");
    fx.refused(&["apply", "request/1"], "window: closed");
}
