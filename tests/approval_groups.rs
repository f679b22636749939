//! Approval groups on the pure gate: N approvals from each listed team on
//! top of the total, one approval counting for every group its author is
//! in while the total still needs distinct people; the report names the
//! missing group; approving refuses an approval that cannot move the gate.

mod support;

use plandeck::review::{ApprovalState, EnvironmentPolicy, GateInput, approval_refusal};
use plandeck::source::Identity;
use support::gate::{
    HEAD, ROOT, WEDNESDAY_10_UTC as NOW, approval, check, config, gate, plan, proven, request, who,
};

/// Bob, Dave and Erin are staff; Erin and Frank the client's people.
const STAFF_AND_CLIENT: &str = r#"
[teams]
staff = ["bob@example.com", "dave@example.com", "erin@example.com"]
client = ["frank@example.com", "erin@example.com"]

[environments.prod]
required_approvals = 2
required_groups = [{ team = "staff", count = 1 }, { team = "client", count = 1 }]
"#;

fn approvals(names: &[&str]) -> Vec<plandeck::review::Decision> {
    proven(names.iter().map(|n| approval(who(n))).collect())
}

#[test]
fn staff_only_approvals_do_not_pass_a_staff_and_client_policy() {
    let config = config(STAFF_AND_CLIENT);
    let report = gate(&config, &approvals(&["Bob", "Dave"]), NOW);
    assert_eq!((report.counted, report.required), (2, 2));
    assert!(check(&report, "approvals").0, "the total is reached");
    let (passed, detail) = check(&report, "groups");
    assert!(!passed);
    assert_eq!(
        detail,
        "staff 1/1, client 0/1: missing 1 approval from team client"
    );
    assert!(!report.passed, "{report:#?}");
    let client = &report.groups[1];
    assert_eq!((client.team.as_str(), client.missing), ("client", 1));
    assert_eq!(
        report.groups[0].approvers,
        ["bob@example.com", "dave@example.com"]
    );
    // JSON consumers (`status --format json`) see the missing group.
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["groups"][1]["team"], "client");
    assert_eq!(json["groups"][1]["missing"], 1);

    let report = gate(&config, &approvals(&["Bob", "Frank"]), NOW);
    assert!(report.passed, "{report:#?}");
    assert_eq!(check(&report, "groups").1, "staff 1/1, client 1/1");
}

#[test]
fn one_person_in_both_groups_does_not_count_twice_toward_the_total() {
    let config = config(STAFF_AND_CLIENT);
    let report = gate(&config, &approvals(&["Erin"]), NOW);
    assert!(
        check(&report, "groups").0,
        "Erin counts for staff and client"
    );
    let (passed, detail) = check(&report, "approvals");
    assert!(!passed && detail.starts_with("1/2 approvals"), "{detail}");
    assert!(!report.passed);

    // Erin again under another address (same name): still one person.
    let second = Identity::git("Erin", "erin@home.example");
    let mut decisions = vec![approval(who("Erin")), approval(second)];
    decisions = proven(decisions);
    let report = gate(&config, &decisions, NOW);
    assert_eq!(report.counted, 1, "{report:#?}");
    assert!(!report.passed);

    let report = gate(&config, &approvals(&["Erin", "Bob"]), NOW);
    assert!(report.passed, "{report:#?}");
}

#[test]
fn authors_stale_and_unlisted_approvals_count_for_no_group() {
    // Alice (the author) and Carol (a committer) are in both teams.
    let config = config(
        r#"
[teams]
staff = ["alice@example.com", "bob@example.com"]
client = ["carol@example.com", "frank@example.com", "gina@example.com"]

[environments.prod]
required_approvals = 1
approvers = ["team:staff", "frank@example.com", "carol@example.com"]
required_groups = [{ team = "staff", count = 1 }, { team = "client", count = 1 }]
"#,
    );
    let report = gate(&config, &approvals(&["Alice", "Carol", "Bob"]), NOW);
    assert_eq!(
        check(&report, "groups").1,
        "staff 1/1, client 0/1: missing 1 approval from team client"
    );
    // Gina is in the client team but not an approver of prod.
    let report = gate(&config, &approvals(&["Bob", "Gina"]), NOW);
    assert!(
        matches!(&report.approvals[1].state, ApprovalState::NotCounted(r) if r.contains("not an approver"))
    );
    assert!(!check(&report, "groups").0);
    // Frank approved an older plan: stale, so not counted for the client.
    let mut old = approval(who("Frank"));
    old.digest = "sha256:bbbb".into();
    let decisions = proven(vec![approval(who("Bob")), old]);
    let report = gate(&config, &decisions, NOW);
    assert!(!check(&report, "groups").0, "{report:#?}");
    let report = gate(&config, &approvals(&["Bob", "Frank"]), NOW);
    assert!(report.passed, "{report:#?}");
}

#[test]
fn approving_refuses_only_an_approval_that_cannot_move_the_gate() {
    let config = config(STAFF_AND_CLIENT);
    let policy = EnvironmentPolicy::from_config(&config, "prod");
    let request = request();
    let plan = plan();
    let decisions = approvals(&["Bob", "Dave"]);
    let input = GateInput {
        request: &request,
        root: ROOT,
        policy: &policy,
        plan: Some(&plan),
        decisions: &decisions,
        code_owners: None,
        roots: &[],
        now: NOW,
    };
    // Hank is in no team: the total is reached, only the client is missing.
    let refusal = approval_refusal(&input, &who("Hank"), &[]).expect("refused");
    assert!(
        refusal.contains("missing is 1 from team client")
            && refusal.contains("2/2 approvals in prod"),
        "{refusal}"
    );
    assert_eq!(approval_refusal(&input, &who("Frank"), &[]), None);
    assert_eq!(approval_refusal(&input, &who("Erin"), &[]), None);
    // While the total is not reached, anyone's approval can help.
    let one = approvals(&["Bob"]);
    let input = GateInput {
        decisions: &one,
        ..input
    };
    assert_eq!(approval_refusal(&input, &who("Hank"), &[]), None);
    assert_eq!(request.head, HEAD);
}

#[test]
fn auto_apply_waives_groups_as_it_waives_approvals() {
    let text = format!("{STAFF_AND_CLIENT}auto_apply = true\n");
    let config = config(&text);
    let review = plandeck::source::gate::review_root(
        &config,
        &request(),
        ROOT,
        Some(plan()),
        &[],
        None,
        NOW,
    );
    assert!(!check(&review.report, "groups").0);
    assert!(review.apply_blockers().is_empty(), "{:#?}", review.report);
    let strict = plandeck::source::gate::review_root(
        &config_without_auto_apply(),
        &request(),
        ROOT,
        Some(plan()),
        &approvals(&["Bob", "Dave"]),
        None,
        NOW,
    );
    let names: Vec<&str> = strict.apply_blockers().iter().map(|c| c.name).collect();
    assert_eq!(names, ["groups"]);
}

fn config_without_auto_apply() -> plandeck::config::Config {
    config(STAFF_AND_CLIENT)
}
