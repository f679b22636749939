//! The pure gate on hand-made inputs: a request by Alice (Carol committed
//! too) touching a prod and a stage root, decisions proven as
//! `record_with_source` would prove them, a config from TOML text.

use plandeck::config::{self, Config};
use plandeck::review::{
    Decision, DecisionKind, EnvironmentPolicy, GateInput, GateReport, PlanFacts, evaluate,
};
use plandeck::source::{Identity, Request, RootRef};

pub const HEAD: &str = "1111111111111111111111111111111111111111";
pub const DIGEST: &str = "sha256:aaaa";
pub const ROOT: &str = "apps/web/prod";
/// Wednesday 2026-01-14 10:00 UTC.
pub const WEDNESDAY_10_UTC: i64 = 1_768_384_800;

/// `name` with the email `name@example.com` (lowercase).
pub fn who(name: &str) -> Identity {
    Identity::git(name, &format!("{}@example.com", name.to_lowercase()))
}

pub fn request() -> Request {
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
        changed_files: vec!["apps/web/prod/main.tf".into()],
        roots: vec![RootRef {
            path: ROOT.into(),
            environment: Some("prod".into()),
            via: Vec::new(),
        }],
        url: None,
    }
}

/// An approval of the current plan by `who`, not yet proven.
pub fn approval(who: Identity) -> Decision {
    Decision {
        kind: DecisionKind::Approve,
        request: "request/7".into(),
        root: ROOT.into(),
        head: HEAD.into(),
        digest: DIGEST.into(),
        who,
        at: 0,
        comment: None,
        viewed_destructive: Vec::new(),
        emergency: None,
        audit: None,
        attested: None,
        check: None,
    }
}

pub fn config(text: &str) -> Config {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).expect("write");
    config::load(Some(&path)).expect("valid").config
}

pub fn plan() -> PlanFacts {
    PlanFacts {
        digest: DIGEST.into(),
        head: HEAD.into(),
        destructive: Vec::new(),
        moving_sources: Vec::new(),
    }
}

/// Each decision with the proof of its audit entry (seq = position).
pub fn proven(decisions: Vec<Decision>) -> Vec<Decision> {
    decisions
        .into_iter()
        .enumerate()
        .map(|(i, d)| d.proven("test-log", i as u64 + 1, ""))
        .collect()
}

/// The gate of the prod root under `config` at `now`.
pub fn gate(config: &Config, decisions: &[Decision], now: i64) -> GateReport {
    let policy = EnvironmentPolicy::from_config(config, "prod");
    let request = request();
    let plan = plan();
    evaluate(&GateInput {
        request: &request,
        root: ROOT,
        policy: &policy,
        plan: Some(&plan),
        decisions,
        code_owners: None,
        roots: &[],
        now,
    })
}

/// (passed, detail) of the check `name`; panics with the report without one.
pub fn check(report: &GateReport, name: &str) -> (bool, String) {
    let c = report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check: {report:#?}"));
    (c.passed, c.detail.clone())
}
