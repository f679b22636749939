//! The gate, rule by rule, as a table of cases on the pure `evaluate` and
//! `approval_refusal` functions.

use plandeck::config::{self, Config};
use plandeck::plan::parse_plan;
use plandeck::review::{
    ApprovalState, CodeOwners, Decision, DecisionKind, EnvironmentPolicy, GateInput, GateReport,
    PlanFacts, approval_refusal, evaluate,
};
use plandeck::source::{Identity, Request, RootRef};
use std::sync::Arc;

const HEAD: &str = "1111111111111111111111111111111111111111";
const OLD_HEAD: &str = "0000000000000000000000000000000000000000";
const DIGEST: &str = "sha256:aaaa";
const OLD_DIGEST: &str = "sha256:bbbb";
/// Wednesday 2026-01-14 10:00 UTC.
const WEDNESDAY_10_UTC: i64 = 1_768_384_800;

fn who(name: &str) -> Identity {
    Identity::git(name, &format!("{}@example.com", name.to_lowercase()))
}

fn request() -> Request {
    Request {
        id: "request/7".into(),
        number: Some(7),
        title: "resize".into(),
        authors: vec![who("Alice")],
        committers: vec![who("Alice"), who("Carol")],
        head: HEAD.into(),
        base: "main".into(),
        created_at: 0,
        updated_at: 0,
        changed_files: vec![
            "apps/web/prod/main.tf".into(),
            "apps/web/stage/main.tf".into(),
        ],
        roots: vec![
            RootRef {
                path: "apps/web/prod".into(),
                environment: Some("prod".into()),
                via: Vec::new(),
            },
            RootRef {
                path: "apps/web/stage".into(),
                environment: Some("stage".into()),
                via: Vec::new(),
            },
        ],
        url: None,
    }
}

fn decision(kind: DecisionKind, person: &str, head: &str, digest: &str) -> Decision {
    Decision {
        kind,
        request: "request/7".into(),
        root: "apps/web/prod".into(),
        head: head.into(),
        digest: digest.into(),
        who: who(person),
        at: 0,
        comment: None,
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    }
}

fn approve(person: &str) -> Decision {
    decision(DecisionKind::Approve, person, HEAD, DIGEST)
}

fn config(text: &str) -> Config {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).expect("write");
    config::load(Some(&path)).expect("valid").config
}

fn plan() -> PlanFacts {
    PlanFacts {
        digest: DIGEST.into(),
        head: HEAD.into(),
        destructive: vec!["aws_db_instance.main".into()],
        moving_sources: Vec::new(),
    }
}

struct Case {
    config: &'static str,
    decisions: Vec<Decision>,
    plan: Option<PlanFacts>,
    owners: Option<&'static str>,
    /// Changed files besides those in the two roots.
    extra_files: Vec<&'static str>,
    now: i64,
    /// Decisions as given; otherwise each gets the proof of its audit
    /// entry, as `record_with_source` stores it.
    unproven: bool,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            config: "",
            decisions: Vec::new(),
            plan: Some(plan()),
            owners: None,
            extra_files: Vec::new(),
            now: WEDNESDAY_10_UTC,
            unproven: false,
        }
    }
}

fn run(case: Case) -> GateReport {
    let config = config(case.config);
    let policy = EnvironmentPolicy::from_config(&config, "prod");
    let owners = case.owners.map(CodeOwners::parse);
    let mut request = request();
    request
        .changed_files
        .extend(case.extra_files.iter().map(|f| f.to_string()));
    let roots = vec![
        ("apps/web/prod".to_string(), "prod".to_string()),
        ("apps/web/stage".to_string(), "stage".to_string()),
    ];
    let decisions: Vec<Decision> = if case.unproven {
        case.decisions
    } else {
        let prove = |(i, d): (usize, Decision)| d.proven("test-log", i as u64 + 1, "");
        case.decisions.into_iter().enumerate().map(prove).collect()
    };
    evaluate(&GateInput {
        request: &request,
        root: "apps/web/prod",
        policy: &policy,
        plan: case.plan.as_ref(),
        decisions: &decisions,
        code_owners: owners.as_ref(),
        roots: &roots,
        now: case.now,
    })
}

fn check(report: &GateReport, name: &str) -> (bool, String) {
    let c = report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check: {report:#?}"));
    (c.passed, c.detail.clone())
}

#[test]
fn prod_needs_two_distinct_approvals_by_default() {
    let one = run(Case {
        decisions: vec![approve("Bob")],
        ..Case::default()
    });
    assert_eq!((one.counted, one.required, one.passed), (1, 2, false));
    let two = run(Case {
        decisions: vec![approve("Bob"), approve("Dave")],
        ..Case::default()
    });
    assert!(two.passed, "{two:#?}");
    let twice = run(Case {
        decisions: vec![approve("Bob"), approve("Bob")],
        ..Case::default()
    });
    assert_eq!(twice.counted, 1, "one identity counts once");
    let case_insensitive = {
        let mut shouting = approve("Bob");
        shouting.who.email = "BOB@EXAMPLE.COM".into();
        run(Case {
            decisions: vec![approve("Bob"), shouting],
            ..Case::default()
        })
    };
    assert_eq!(case_insensitive.counted, 1);
}

#[test]
fn authors_and_committers_never_count() {
    let report = run(Case {
        decisions: vec![approve("Alice"), approve("Carol"), approve("Bob")],
        ..Case::default()
    });
    assert_eq!(report.counted, 1);
    let states: Vec<&ApprovalState> = report.approvals.iter().map(|a| &a.state).collect();
    assert!(matches!(states[0], ApprovalState::NotCounted(r) if r.contains("authored")));
    assert!(
        matches!(states[1], ApprovalState::NotCounted(r) if r.contains("authored")),
        "a committer too"
    );
}

#[test]
fn a_second_address_does_not_make_a_second_person() {
    let under = |name: &str, email: &str| {
        let mut d = approve("Bob");
        d.who = Identity::git(name, email);
        d
    };
    // The author (Alice) approving from another address is still the author.
    let author = run(Case {
        decisions: vec![under("alice ", "alice@personal.example"), approve("Bob")],
        ..Case::default()
    });
    assert_eq!(author.counted, 1, "{author:#?}");
    assert!(matches!(
        &author.approvals[0].state,
        ApprovalState::NotCounted(r) if r.contains("authored")
    ));
    // One reviewer under two addresses counts once.
    let twice = run(Case {
        decisions: vec![approve("Bob"), under("Bob", "bob@elsewhere.example")],
        ..Case::default()
    });
    assert_eq!((twice.counted, twice.passed), (1, false), "{twice:#?}");
    // Two people with their own names and addresses count twice.
    let two = run(Case {
        decisions: vec![approve("Bob"), under("Dave", "dave@elsewhere.example")],
        ..Case::default()
    });
    assert_eq!((two.counted, two.passed), (2, true), "{two:#?}");
}

#[test]
fn a_new_commit_or_a_changed_plan_makes_approvals_stale() {
    let old_head = decision(DecisionKind::Approve, "Bob", OLD_HEAD, DIGEST);
    let report = run(Case {
        decisions: vec![old_head, approve("Dave")],
        ..Case::default()
    });
    assert_eq!(report.counted, 1);
    assert!(
        matches!(&report.approvals[0].state, ApprovalState::Stale(r) if r.contains("approved head 00000000"))
    );
    let changed = decision(DecisionKind::Approve, "Bob", HEAD, OLD_DIGEST);
    let report = run(Case {
        decisions: vec![changed],
        ..Case::default()
    });
    assert!(
        matches!(&report.approvals[0].state, ApprovalState::Stale(r) if r.contains("the plan changed"))
    );
    assert!(check(&report, "approvals").1.contains("1 stale"));
}

/// Facts of a plan document made from `HEAD`, its digest computed.
fn facts_of(doc: &serde_json::Value) -> PlanFacts {
    let plan = parse_plan(Arc::from(doc.to_string().as_str())).expect("plan");
    PlanFacts {
        digest: plan.digest,
        head: HEAD.into(),
        destructive: Vec::new(),
        moving_sources: Vec::new(),
    }
}

/// Every object's keys in reverse order.
fn reversed(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter().rev() {
                out.insert(k.clone(), reversed(v));
            }
            serde_json::Value::Object(out)
        }
        serde_json::Value::Array(items) => items.iter().map(reversed).collect(),
        other => other.clone(),
    }
}

#[test]
fn an_identical_re_plan_keeps_approvals_and_a_changed_one_on_the_same_head_stales_them() {
    let text =
        std::fs::read_to_string("tests/fixtures/corpus/plans/tofu-show-json-basic-delete.json")
            .expect("fixture");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    doc["timestamp"] = "2026-01-14T09:00:00Z".into();
    let approved = facts_of(&doc);
    let at = |facts: &PlanFacts, person: &str| {
        decision(DecisionKind::Approve, person, HEAD, &facts.digest)
    };
    let decisions = vec![at(&approved, "Bob"), at(&approved, "Dave")];
    // Planned again an hour later: new timestamp, keys in another order.
    let mut again = reversed(&doc);
    again["timestamp"] = "2026-01-14T10:00:00Z".into();
    assert_ne!(again.to_string(), doc.to_string(), "a different document");
    let replanned = facts_of(&again);
    let report = run(Case {
        decisions: decisions.clone(),
        plan: Some(replanned),
        ..Case::default()
    });
    assert_eq!(report.counted, 2, "{report:#?}");
    assert!(report.passed, "{report:#?}");
    // Planned again on the same head, but it would now do something else.
    let mut changed = doc.clone();
    changed["resource_changes"][1]["change"]["actions"] = serde_json::json!(["delete", "create"]);
    let changed = facts_of(&changed);
    assert_ne!(changed.digest, approved.digest);
    let report = run(Case {
        decisions,
        plan: Some(changed),
        ..Case::default()
    });
    assert_eq!(report.counted, 0);
    assert!(!report.passed);
    for approval in &report.approvals {
        assert!(
            matches!(&approval.state, ApprovalState::Stale(r) if r.contains("the plan changed")),
            "{approval:?}"
        );
    }
}

#[test]
fn a_block_stops_the_request_until_its_author_lifts_it_or_the_plan_changes() {
    let block = || {
        let mut b = decision(DecisionKind::Block, "Erin", HEAD, DIGEST);
        b.comment = Some("wait for the migration".into());
        b
    };
    let approvals = || vec![approve("Bob"), approve("Dave")];
    let blocked = run(Case {
        decisions: [approvals(), vec![block()]].concat(),
        ..Case::default()
    });
    assert!(!blocked.passed);
    assert!(
        check(&blocked, "blocks")
            .1
            .contains("wait for the migration")
    );
    let lifted_by_other = run(Case {
        decisions: [
            approvals(),
            vec![
                block(),
                decision(DecisionKind::Unblock, "Bob", HEAD, DIGEST),
            ],
        ]
        .concat(),
        ..Case::default()
    });
    assert!(!lifted_by_other.passed, "only the blocker lifts a block");
    let lifted = run(Case {
        decisions: [
            approvals(),
            vec![
                block(),
                decision(DecisionKind::Unblock, "Erin", HEAD, DIGEST),
            ],
        ]
        .concat(),
        ..Case::default()
    });
    assert!(lifted.passed);
    let superseded = run(Case {
        decisions: [
            approvals(),
            vec![decision(DecisionKind::Block, "Erin", OLD_HEAD, OLD_DIGEST)],
        ]
        .concat(),
        ..Case::default()
    });
    assert!(
        check(&superseded, "blocks").0,
        "a block on an older plan is superseded"
    );
}

#[test]
fn no_plan_or_an_outdated_plan_fails_the_gate() {
    let none = run(Case {
        plan: None,
        ..Case::default()
    });
    assert!(!check(&none, "plan").0);
    let outdated = run(Case {
        plan: Some(PlanFacts {
            head: OLD_HEAD.into(),
            ..plan()
        }),
        decisions: vec![approve("Bob"), approve("Dave")],
        ..Case::default()
    });
    assert!(!outdated.passed && check(&outdated, "plan").1.contains("plan again"));
}

#[test]
fn allow_lists_and_teams() {
    let cfg = "[teams]\nsre = [\"bob@example.com\"]\n[environments.prod]\napprovers = [\"team:sre\", \"dave@example.com\"]\n";
    let report = run(Case {
        config: cfg,
        decisions: vec![approve("Bob"), approve("Eve")],
        ..Case::default()
    });
    assert_eq!(report.counted, 1);
    assert!(
        matches!(&report.approvals[1].state, ApprovalState::NotCounted(r) if r.contains("not an approver"))
    );
    let report = run(Case {
        config: cfg,
        decisions: vec![approve("Bob"), approve("Dave")],
        ..Case::default()
    });
    assert!(report.passed);
}

#[test]
fn code_owners_of_the_changed_files_must_approve() {
    let cfg =
        "[teams]\nweb = [\"dave@example.com\"]\n[environments.prod]\nrequire_code_owners = true\n";
    let owners = Some("* @org/everyone\napps/web/prod/ @org/web\n");
    let without = run(Case {
        config: cfg,
        owners,
        decisions: vec![approve("Bob"), approve("Erin")],
        ..Case::default()
    });
    let (passed, detail) = check(&without, "code owners");
    assert!(
        !passed && detail.contains("apps/web/prod/main.tf (@org/web)"),
        "{detail}"
    );
    let with = run(Case {
        config: cfg,
        owners,
        decisions: vec![approve("Bob"), approve("Dave")],
        ..Case::default()
    });
    assert!(with.passed, "{with:#?}");
    let no_file = run(Case {
        config: cfg,
        owners: None,
        decisions: vec![approve("Bob"), approve("Dave")],
        ..Case::default()
    });
    assert!(
        !check(&no_file, "code owners").0,
        "required but no CODEOWNERS: fail closed"
    );
}

#[test]
fn the_owners_of_a_module_a_root_reads_must_approve_it_even_when_the_module_is_a_root() {
    let config = config(
        "[teams]\nweb = [\"dave@example.com\"]\nmodules = [\"erin@example.com\"]\n\
         [environments.prod]\nrequire_code_owners = true\n",
    );
    let policy = EnvironmentPolicy::from_config(&config, "prod");
    let owners = CodeOwners::parse("apps/web/prod/ @org/web\nmodules/ @org/modules\n");
    let mut request = request();
    request.changed_files = vec!["modules/db/main.tf".into()];
    // `[source] roots` globs that match the module directory too.
    request.roots = vec![
        RootRef {
            path: "apps/web/prod".into(),
            environment: Some("prod".into()),
            via: vec!["modules/db".into()],
        },
        RootRef {
            path: "modules/db".into(),
            environment: None,
            via: Vec::new(),
        },
    ];
    let gate = |decisions: &[Decision]| {
        let report = evaluate(&GateInput {
            request: &request,
            root: "apps/web/prod",
            policy: &policy,
            plan: Some(&plan()),
            decisions: &decisions
                .iter()
                .map(|d| d.clone().proven("test-log", 1, ""))
                .collect::<Vec<_>>(),
            code_owners: Some(&owners),
            roots: &[],
            now: WEDNESDAY_10_UTC,
        });
        check(&report, "code owners")
    };
    let (passed, detail) = gate(&[approve("Bob"), approve("Dave")]);
    assert!(
        !passed && detail.contains("modules/db/main.tf (@org/modules)"),
        "{detail}"
    );
    assert!(gate(&[approve("Bob"), approve("Erin")]).0);
}

#[test]
fn files_changed_outside_every_root_need_their_owners_for_each_root() {
    let cfg = "[teams]\nweb = [\"dave@example.com\"]\nmodules = [\"erin@example.com\"]\n\
               [environments.prod]\nrequire_code_owners = true\n";
    let owners = Some("apps/web/prod/ @org/web\nmodules/ @org/modules\n.github/ @org/modules\n");
    // (case, extra changed files, decisions, passes, detail contains)
    type OwnerCase = (
        &'static str,
        Vec<&'static str>,
        Vec<Decision>,
        bool,
        &'static str,
    );
    let cases: [OwnerCase; 5] = [
        // A shared module changed: its owner must approve prod too.
        (
            "module without its owner",
            vec!["modules/db/main.tf"],
            vec![approve("Bob"), approve("Dave")],
            false,
            "modules/db/main.tf (@org/modules)",
        ),
        (
            "module with its owner",
            vec!["modules/db/main.tf"],
            vec![approve("Dave"), approve("Erin")],
            true,
            "every changed file",
        ),
        // Another root's files are that root's business.
        (
            "another root's file",
            vec!["apps/web/stage/extra.tf"],
            vec![approve("Bob"), approve("Dave")],
            true,
            "every changed file",
        ),
        // The CODEOWNERS file itself, owned outside every root.
        (
            "CODEOWNERS-owned file at the top",
            vec![".github/CODEOWNERS"],
            vec![approve("Bob"), approve("Dave")],
            false,
            ".github/CODEOWNERS (@org/modules)",
        ),
        (
            "unowned file outside the roots",
            vec!["README.md"],
            vec![approve("Bob"), approve("Dave")],
            true,
            "every changed file",
        ),
    ];
    for (name, extra_files, decisions, passes, detail_has) in cases {
        let report = run(Case {
            config: cfg,
            owners,
            decisions,
            extra_files,
            ..Case::default()
        });
        let (passed, detail) = check(&report, "code owners");
        assert_eq!(passed, passes, "{name}: {detail}");
        assert!(detail.contains(detail_has), "{name}: {detail}");
    }
}

#[test]
fn deployment_windows_in_a_time_zone_and_across_midnight() {
    let approvals = || vec![approve("Bob"), approve("Dave")];
    let berlin = "[environments.prod]\nwindow = { days = [\"mon\",\"tue\",\"wed\",\"thu\"], hours = \"09:00-16:00\", time_zone = \"Europe/Berlin\" }\n";
    // 10:00 UTC is 11:00 in Berlin on a Wednesday: open.
    assert!(
        run(Case {
            config: berlin,
            decisions: approvals(),
            ..Case::default()
        })
        .passed
    );
    // 15:30 UTC is 16:30 in Berlin: closed.
    let late = run(Case {
        config: berlin,
        decisions: approvals(),
        now: WEDNESDAY_10_UTC + 5 * 3600 + 1800,
        ..Case::default()
    });
    assert!(!late.passed && check(&late, "window").1.starts_with("closed"));
    let night = "[environments.prod]\nwindow = { days = [\"wed\"], hours = \"22:00-02:00\", time_zone = \"America/New_York\" }\n";
    // Thursday 06:00 UTC is Thursday 01:00 in New York: still Wednesday's window.
    let after_midnight = run(Case {
        config: night,
        decisions: approvals(),
        now: WEDNESDAY_10_UTC + 20 * 3600,
        ..Case::default()
    });
    assert!(
        after_midnight.passed,
        "{:?}",
        check(&after_midnight, "window")
    );
    // Wednesday 10:00 UTC is 05:00 in New York: closed.
    assert!(
        !run(Case {
            config: night,
            decisions: approvals(),
            ..Case::default()
        })
        .passed
    );
}

#[test]
fn promotion_order_waits_for_stage() {
    let cfg = "[environments.prod]\nafter = [\"stage\"]\n";
    let approvals = || vec![approve("Bob"), approve("Dave")];
    let waiting = run(Case {
        config: cfg,
        decisions: approvals(),
        ..Case::default()
    });
    let (passed, detail) = check(&waiting, "promotion");
    assert!(
        !passed && detail.contains("apps/web/stage (stage)"),
        "{detail}"
    );
    let mut stage_applied = decision(DecisionKind::ApplySucceeded, "Bob", HEAD, "sha256:stage");
    stage_applied.root = "apps/web/stage".into();
    let ready = run(Case {
        config: cfg,
        decisions: [approvals(), vec![stage_applied.clone()]].concat(),
        ..Case::default()
    });
    assert!(ready.passed, "{ready:#?}");
    let mut old = stage_applied;
    old.head = OLD_HEAD.into();
    let stale = run(Case {
        config: cfg,
        decisions: [approvals(), vec![old]].concat(),
        ..Case::default()
    });
    assert!(
        !check(&stale, "promotion").0,
        "an apply of an older head does not count"
    );
}

#[test]
fn a_failed_blocking_verify_of_stage_holds_prod_back_until_a_check_passes() {
    use plandeck::review::{ApplyCheck, VerifyResult};
    let cfg = "[environments.prod]\nafter = [\"stage\"]\n";
    let approvals = || vec![approve("Bob"), approve("Dave")];
    let mut stage_applied = decision(DecisionKind::ApplySucceeded, "Bob", HEAD, "sha256:stage");
    stage_applied.root = "apps/web/stage".into();
    let checked = |passed: bool, blocks: bool, at: i64| {
        let mut d = decision(DecisionKind::ApplyChecked, "Bob", HEAD, "sha256:stage");
        d.root = "apps/web/stage".into();
        d.at += at;
        d.check = Some(ApplyCheck {
            converged: true,
            remaining: Vec::new(),
            remaining_total: 0,
            plan_error: None,
            verify: Some(VerifyResult {
                command: "./health".into(),
                exit_code: Some(if passed { 0 } else { 3 }),
                passed,
                timed_out: false,
                output_tail: String::new(),
            }),
            blocks,
        });
        d
    };
    let failed = run(Case {
        config: cfg,
        decisions: [
            approvals(),
            vec![stage_applied.clone(), checked(false, true, 1)],
        ]
        .concat(),
        ..Case::default()
    });
    let (passed, detail) = check(&failed, "promotion");
    assert!(!passed && detail.contains("its verify failed"), "{detail}");
    // `verify_failure = "continue"`: recorded, not holding back.
    let continued = run(Case {
        config: cfg,
        decisions: [
            approvals(),
            vec![stage_applied.clone(), checked(false, false, 1)],
        ]
        .concat(),
        ..Case::default()
    });
    assert!(check(&continued, "promotion").0);
    // A later passing check lifts it.
    let passed_later = run(Case {
        config: cfg,
        decisions: [
            approvals(),
            vec![
                stage_applied,
                checked(false, true, 1),
                checked(true, true, 2),
            ],
        ]
        .concat(),
        ..Case::default()
    });
    assert!(check(&passed_later, "promotion").0, "{passed_later:#?}");
}

#[test]
fn approving_is_refused_for_authors_outdated_plans_and_unviewed_destructive_changes() {
    let config = config("");
    let policy = EnvironmentPolicy::from_config(&config, "prod");
    let request = request();
    let plan = plan();
    let decisions = vec![approve("Bob")];
    let input = GateInput {
        request: &request,
        root: "apps/web/prod",
        policy: &policy,
        plan: Some(&plan),
        decisions: &decisions,
        code_owners: None,
        roots: &[],
        now: WEDNESDAY_10_UTC,
    };
    let viewed = vec!["aws_db_instance.main".to_string()];
    assert!(
        approval_refusal(&input, &who("Alice"), &viewed)
            .expect("refused")
            .contains("authored or committed")
    );
    let alice_elsewhere = Identity::git("Alice", "alice@personal.example");
    assert!(
        approval_refusal(&input, &alice_elsewhere, &viewed)
            .expect("the author under another address is refused")
            .contains("authored or committed")
    );
    assert!(
        approval_refusal(&input, &who("Dave"), &[])
            .expect("refused")
            .contains("1 of 1 destructive changes not marked viewed")
    );
    assert!(
        approval_refusal(&input, &who("Bob"), &viewed)
            .expect("refused")
            .contains("already approved")
    );
    assert_eq!(approval_refusal(&input, &who("Dave"), &viewed), None);
    let outdated = PlanFacts {
        head: OLD_HEAD.into(),
        ..plan.clone()
    };
    let input = GateInput {
        plan: Some(&outdated),
        ..input
    };
    assert!(
        approval_refusal(&input, &who("Dave"), &viewed)
            .expect("refused")
            .contains("older head")
    );
    let input = GateInput {
        plan: None,
        ..input
    };
    assert!(
        approval_refusal(&input, &who("Dave"), &viewed)
            .expect("refused")
            .contains("no plan")
    );
}

#[test]
fn approvals_and_apply_results_without_their_audit_entry_are_not_counted() {
    let cfg = "[environments.prod]\nafter = [\"stage\"]\n";
    let mut stage_applied = decision(DecisionKind::ApplySucceeded, "Bob", HEAD, "sha256:stage");
    stage_applied.root = "apps/web/stage".into();
    // Written by hand: no proof at all.
    let hand_written = run(Case {
        config: cfg,
        decisions: vec![approve("Bob"), approve("Dave"), stage_applied.clone()],
        unproven: true,
        ..Case::default()
    });
    assert_eq!(hand_written.counted, 0, "{hand_written:#?}");
    assert!(hand_written.approvals.iter().all(|a| matches!(
        &a.state,
        ApprovalState::NotCounted(r) if r.contains("no audit entry")
    )));
    let (passed, detail) = check(&hand_written, "promotion");
    assert!(
        !passed,
        "an unaudited apply result is no promotion: {detail}"
    );
    // Audited, then edited: the proof names another decision.
    let mut edited = approve("Bob").proven("test-log", 3, "sha256:prev");
    assert_eq!(edited.proof_state(), plandeck::review::ProofState::Matches);
    edited.comment = Some("edited after the fact".into());
    let mut moved = approve("Dave").proven("test-log", 4, "sha256:prev");
    moved.who = who("Erin");
    let edited = run(Case {
        decisions: vec![edited, moved],
        unproven: true,
        ..Case::default()
    });
    assert_eq!(edited.counted, 0, "{edited:#?}");
    assert!(edited.approvals.iter().all(|a| matches!(
        &a.state,
        ApprovalState::NotCounted(r) if r.contains("does not match")
    )));
    // The same decisions with their proofs count.
    let proven = run(Case {
        config: cfg,
        decisions: vec![approve("Bob"), approve("Dave"), stage_applied],
        ..Case::default()
    });
    assert!(proven.passed, "{proven:#?}");
}

#[test]
fn approving_a_plan_whose_module_source_can_move_needs_it_acknowledged() {
    let config = config("");
    let policy = EnvironmentPolicy::from_config(&config, "prod");
    let request = request();
    let plan = PlanFacts {
        moving_sources: vec!["module.app".into()],
        ..plan()
    };
    let input = GateInput {
        request: &request,
        root: "apps/web/prod",
        policy: &policy,
        plan: Some(&plan),
        decisions: &[],
        code_owners: None,
        roots: &[],
        now: WEDNESDAY_10_UTC,
    };
    let destructive = "aws_db_instance.main".to_string();
    let refusal = approval_refusal(&input, &who("Dave"), std::slice::from_ref(&destructive))
        .expect("refused");
    assert!(
        refusal.contains("1 module source(s) can move and were not acknowledged")
            && refusal.contains("--ack module.app"),
        "{refusal}"
    );
    let both = [destructive, "module.app".to_string()];
    assert_eq!(approval_refusal(&input, &who("Dave"), &both), None);
}
