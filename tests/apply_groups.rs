//! Approval groups end to end: real git, the built binary run as several
//! people, the real Terraform 1.0.3 and null provider. A staff+client
//! policy refuses the apply (naming the missing group) until the client
//! approved; one person in both groups satisfies both but not the total.

mod support;

use support::apply::{Fixture, fixture, text};

const ROOT: &str = "apps/web/prod";

const CONFIG: &str = r#"
[teams]
staff = ["bob@example.com", "carol@example.com", "erin@example.com"]
client = ["frank@example.com", "erin@example.com"]

[environments.prod]
required_approvals = 2
required_groups = [{ team = "staff", count = 1 }, { team = "client", count = 1 }]
"#;

fn prod_fixture() -> Fixture {
    fixture(CONFIG, &[(ROOT, "")], &[ROOT])
}

fn approve(fx: &Fixture, person: &str) -> std::process::Output {
    fx.run(
        person,
        &[
            "approve",
            "request/1",
            "--root",
            ROOT,
            "--ack",
            "null_resource.app",
        ],
    )
}

fn status_json(fx: &Fixture) -> serde_json::Value {
    let out = fx.ok("Bob", &["status", "request/1", "--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&out).expect("json")[0].clone()
}

#[test]
fn staff_only_approvals_do_not_apply_and_a_member_of_both_groups_completes_them() {
    let fx = prod_fixture();
    for person in ["Bob", "Carol"] {
        let out = approve(&fx, person);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    fx.refused(
        &["apply", "request/1"],
        "missing 1 approval from team client",
    );
    assert_eq!(fx.version("apps-web-prod"), "1");
    // Erin is staff and client: past the total, her approval still helps.
    let said = text(&approve(&fx, "Erin").stdout);
    assert!(
        said.contains("3/2 approvals") && !said.contains("missing"),
        "{said}"
    );
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        status.contains("groups       staff 1/1, client 1/1"),
        "{status}"
    );
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("apps/web/prod: applied"), "{out}");
    assert_eq!(fx.version("apps-web-prod"), "2");
}

#[test]
fn the_missing_group_is_named_by_approve_status_and_apply() {
    let fx = prod_fixture();
    assert_eq!(approve(&fx, "Bob").status.code(), Some(0));
    let said = fx.ok(
        "Carol",
        &[
            "approve",
            "request/1",
            "--root",
            ROOT,
            "--ack",
            "null_resource.app",
        ],
    );
    assert!(
        said.contains("2/2 approvals; groups still missing 1 from team client"),
        "{said}"
    );
    let status = fx.ok("Bob", &["status", "request/1"]);
    assert!(
        status.contains(
            "FAIL groups       staff 1/1, client 0/1: missing 1 approval from team client"
        ),
        "{status}"
    );
    let json = status_json(&fx);
    assert_eq!(json["passed"], false);
    assert_eq!(json["groups"][1]["team"], "client");
    assert_eq!(json["groups"][1]["missing"], 1);
    assert_eq!(
        json["groups"][0]["approvers"].as_array().map(Vec::len),
        Some(2)
    );
    fx.refused(
        &["apply", "request/1"],
        "groups: staff 1/1, client 0/1: missing 1 approval from team client",
    );
    assert_eq!(fx.version("apps-web-prod"), "1", "nothing applied");
    // Hank is in neither team: his approval could not move the gate.
    let out = approve(&fx, "Hank");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing is 1 from team client")
            && text(&out.stderr).contains("would not move the gate"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(approve(&fx, "Frank").status.code(), Some(0));
    let out = fx.ok("Bob", &["apply", "request/1"]);
    assert!(out.contains("applied and merged"), "{out}");
    assert_eq!(fx.version("apps-web-prod"), "2");
}

#[test]
fn one_person_in_both_groups_does_not_count_twice_toward_the_total() {
    let fx = prod_fixture();
    let said = text(&approve(&fx, "Erin").stdout);
    assert!(
        said.contains("1/2 approvals") && !said.contains("groups still missing"),
        "{said}"
    );
    let json = status_json(&fx);
    assert_eq!(json["counted"], 1);
    assert_eq!(json["groups"][0]["missing"], 0);
    assert_eq!(json["groups"][1]["missing"], 0);
    fx.refused(&["apply", "request/1"], "approvals: 1/2 approvals in prod");
    assert_eq!(fx.version("apps-web-prod"), "1");
    // Erin's second approval of the same plan is refused, not counted.
    let again = approve(&fx, "Erin");
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already approved"));
    assert_eq!(approve(&fx, "Bob").status.code(), Some(0));
    fx.ok("Bob", &["apply", "request/1"]);
    assert_eq!(fx.version("apps-web-prod"), "2");
}
