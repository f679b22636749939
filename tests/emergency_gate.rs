//! Emergency approvals on the pure gate: a counted emergency approval waives
//! a closed deployment window where the environment allows it, and nothing
//! else; an author's, a stale, a superseded or a hand-written one waives
//! nothing; the refusals of an emergency approval.

mod support;

use plandeck::review::{Decision, Emergency, EnvironmentPolicy, emergency_refusal};
use support::gate::{WEDNESDAY_10_UTC, approval, check, config, gate, proven, who};

/// Saturdays only: closed on Wednesday 10:00 UTC.
const CLOSED: &str = r#"
[environments.prod]
required_approvals = 2
allow_emergency = true
window = { days = ["sat"], hours = "09:00-17:00", time_zone = "UTC" }
"#;

fn emergency(name: &str, reason: &str) -> Decision {
    let mut d = approval(who(name));
    d.emergency = Some(Emergency {
        reason: reason.into(),
    });
    d
}

#[test]
fn a_counted_emergency_approval_waives_the_closed_window_and_nothing_else() {
    let config = config(CLOSED);
    let normal = gate(
        &config,
        &proven(vec![approval(who("Bob")), approval(who("Dave"))]),
        WEDNESDAY_10_UTC,
    );
    let (open, detail) = check(&normal, "window");
    assert!(
        !open && detail.starts_with("closed: applies only sat"),
        "{detail}"
    );
    assert!(!normal.passed && normal.emergency.is_none());

    let waived = gate(
        &config,
        &proven(vec![
            approval(who("Bob")),
            emergency("Dave", "INC-7 payments down"),
        ]),
        WEDNESDAY_10_UTC,
    );
    let (passed, detail) = check(&waived, "window");
    assert!(passed, "{detail}");
    assert!(
        detail.starts_with("EMERGENCY: closed: applies only sat")
            && detail.contains(
                "waived by the emergency approval of Dave <dave@example.com>: INC-7 payments down"
            ),
        "{detail}"
    );
    let waiver = waived.emergency.as_ref().expect("waiver");
    assert_eq!(waiver.by, who("Dave"));
    assert!(waived.passed, "{waived:#?}");
    let json = serde_json::to_value(&waived).expect("json");
    assert_eq!(json["emergency"]["reason"], "INC-7 payments down");
    assert_eq!(
        json["approvals"][1]["decision"]["emergency"]["reason"],
        "INC-7 payments down"
    );

    // Alone it is one approval of two: the second person is still needed.
    let alone = gate(
        &config,
        &proven(vec![emergency("Dave", "outage")]),
        WEDNESDAY_10_UTC,
    );
    assert!(check(&alone, "window").0);
    assert!(!check(&alone, "approvals").0 && !alone.passed);
}

#[test]
fn without_allow_emergency_the_window_stays_closed() {
    let config = config(&CLOSED.replace("allow_emergency = true", "allow_emergency = false"));
    let report = gate(
        &config,
        &proven(vec![approval(who("Bob")), emergency("Dave", "outage")]),
        WEDNESDAY_10_UTC,
    );
    let (passed, detail) = check(&report, "window");
    assert!(!passed);
    assert!(
        detail.contains("allow_emergency is off for prod"),
        "{detail}"
    );
    assert!(report.emergency.is_none() && !report.passed);
}

#[test]
fn only_a_counted_emergency_approval_waives() {
    let config = config(CLOSED);
    // The author's (Alice) and a committer's (Carol): never counted.
    for name in ["Alice", "Carol"] {
        let report = gate(
            &config,
            &proven(vec![
                approval(who("Bob")),
                approval(who("Dave")),
                emergency(name, "mine"),
            ]),
            WEDNESDAY_10_UTC,
        );
        assert!(!check(&report, "window").0, "{name}: {report:#?}");
        assert!(report.emergency.is_none());
    }
    // Written by hand (no audit proof).
    let mut decisions = proven(vec![approval(who("Bob"))]);
    decisions.push(emergency("Dave", "forged"));
    let report = gate(&config, &decisions, WEDNESDAY_10_UTC);
    assert!(!check(&report, "window").0);
    // A normal approval edited into an emergency one after it was audited.
    let mut edited = proven(vec![approval(who("Bob")), approval(who("Dave"))]);
    edited[1].emergency = Some(Emergency {
        reason: "edited".into(),
    });
    let report = gate(&config, &edited, WEDNESDAY_10_UTC);
    assert!(
        !check(&report, "window").0 && report.counted == 1,
        "{report:#?}"
    );
    // Stale: approved another plan.
    let mut stale = emergency("Dave", "old plan");
    stale.digest = "sha256:bbbb".into();
    let report = gate(
        &config,
        &proven(vec![approval(who("Bob")), stale]),
        WEDNESDAY_10_UTC,
    );
    assert!(!check(&report, "window").0);
    // Superseded by the same person's later normal approval.
    let report = gate(
        &config,
        &proven(vec![
            emergency("Dave", "outage"),
            approval(who("Bob")),
            approval(who("Dave")),
        ]),
        WEDNESDAY_10_UTC,
    );
    assert!(!check(&report, "window").0, "{report:#?}");
}

#[test]
fn an_open_window_needs_no_waiver() {
    let config = config(CLOSED);
    // Saturday 2026-01-17 10:00 UTC.
    let saturday = WEDNESDAY_10_UTC + 3 * 86_400;
    let report = gate(
        &config,
        &proven(vec![approval(who("Bob")), emergency("Dave", "outage")]),
        saturday,
    );
    assert!(check(&report, "window").1.starts_with("open:"));
    assert!(report.emergency.is_none() && report.passed);
}

#[test]
fn emergency_approvals_are_refused_where_not_allowed_or_with_nothing_to_waive() {
    let refusal = |text: &str, reason: &str| {
        emergency_refusal(
            &EnvironmentPolicy::from_config(&config(text), "prod"),
            reason,
        )
    };
    let off = refusal("[environments.prod]\nwindow = { days = [\"sat\"], hours = \"09:00-17:00\", time_zone = \"UTC\" }\n", "x")
        .expect("refused");
    assert!(
        off.contains("not allowed in prod") && off.contains("allow_emergency = true"),
        "{off}"
    );
    let no_window = refusal("[environments.prod]\nallow_emergency = true\n", "x").expect("refused");
    assert!(no_window.contains("no deployment window"), "{no_window}");
    assert!(
        refusal(CLOSED, "  ")
            .expect("refused")
            .contains("needs a reason")
    );
    assert_eq!(refusal(CLOSED, "INC-7"), None);
}
