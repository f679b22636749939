//! The demo's shop: a client's production run by an agency. Its policy (the
//! repository's `.plandeck.toml`, which also routes the web team's GitFlow
//! branches into `develop`) needs one approval from staff and one
//! from the client (approval groups), inside a Sunday-night window that an
//! emergency approval may waive. Two requests show it: one waiting for the
//! client, one ready through an emergency approval. Their decisions are
//! recorded as plandeck records any decision (audit entry first, then the
//! note with its proof), in an audit log of the demo's own under the
//! repository's git dir, so they count without touching the user's log.

use super::{BOB, Repo};
use crate::audit::AuditLog;
use crate::backend::prelude::*;
use crate::review::{Decision, DecisionKind, Emergency, Identity};
use crate::source::BackendError;
use crate::source::git::GitSource;

pub(super) const ROOT: &str = "clients/shop/prod";
pub(super) const ERIN: (&str, &str) = ("Erin Client", "erin@client.example");

/// The repository's policy, committed on `main`. Only `clients/shop/prod` is
/// in `shop-prod`; every other root keeps the policy its name gives it.
pub(super) const REPO_CONFIG: &str = r#"# The shop is the client's production: one approval from our staff and
# one from the client, applies on Sunday nights only; an emergency
# approval (with a reason) may waive the window, never the second person.
[teams]
staff = ["riley@example.com", "alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]
client = ["erin@client.example", "frank@client.example"]

[environments.shop-prod]
roots = ["clients/shop/prod"]
required_approvals = 2
required_groups = [{ team = "staff", count = 1 }, { team = "client", count = 1 }]
window = { days = ["sun"], hours = "02:00-05:00", time_zone = "UTC" }
allow_emergency = true

# The web team works GitFlow: feature branches go into develop, which is
# stage; develop goes into main. Every other request goes into main.
[[source.requests]]
pattern = "request/*"
base = "main"

[[source.requests]]
pattern = "feature/*"
base = "develop"

[[source.requests]]
pattern = "develop"
base = "main"

[environments.stage]
roots = ["apps/*/stage"]
base = "develop"
"#;

pub(super) const EMERGENCY_REASON: &str =
    "INC-2041: card payments failing since 02:10 UTC, webhook secret rotated by the provider";

/// The shop's `main.tf` in a request.
pub(super) fn main_tf(part: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket = \"acme-tfstate\"\n    key    = \"shop/prod/terraform.tfstate\"\n    region = \"eu-west-1\"\n  }}\n}}\n\n{part}"
    )
}

pub(super) const CHECKOUT_TF: &str = r#"resource "aws_instance" "shop" {
  ami           = "ami-0a1b2c3d4e5f67890"
  instance_type = "m6i.large"
}

resource "aws_api_gateway_method_settings" "checkout" {
  method_path = "checkout/POST"
  settings {
    throttling_rate_limit  = 200
    throttling_burst_limit = 400
  }
}
"#;

pub(super) const WEBHOOK_TF: &str = r#"resource "aws_lambda_function" "webhook" {
  function_name = "shop-payment-webhook"
  runtime       = "python3.12"
  environment {
    variables = { SECRET_VERSION = "2026-03" }
  }
}

resource "aws_cloudwatch_metric_alarm" "webhook_errors" {
  alarm_name          = "shop-webhook-errors"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
}
"#;

/// Records the shop requests' decisions: Bob (staff) approved request/106,
/// the client has not; on request/107 Bob made an emergency approval and
/// Erin (the client) approved.
pub(super) fn record_decisions(repo: &Repo, source: &GitSource) -> Result<(), BackendError> {
    let git_dir = repo.git(&["rev-parse", "--absolute-git-dir"], None)?;
    let log = AuditLog::open(
        std::path::Path::new(git_dir.trim())
            .join("plandeck-demo")
            .join("audit.log"),
    );
    let person = |(name, email): (&str, &str)| Identity::git(name, email);
    let decisions = [
        ("request/106", person(BOB), None, 86_400 + 40_000),
        (
            "request/107",
            person(BOB),
            Some(EMERGENCY_REASON),
            86_400 + 44_000,
        ),
        ("request/107", person(ERIN), None, 86_400 + 45_000),
    ];
    for (request, who, emergency, offset) in decisions {
        let request = source.resolve_request(request)?;
        let Some(stored) = source.stored_plan(&request, ROOT)? else {
            continue;
        };
        let (plan, _) = source.load_plan(&stored)?;
        let decision = Decision {
            kind: DecisionKind::Approve,
            request: request.id.clone(),
            root: ROOT.into(),
            head: request.head.clone(),
            digest: plan.digest,
            who,
            at: repo.clock + offset,
            comment: None,
            viewed_destructive: Vec::new(),
            emergency: emergency.map(|reason| Emergency {
                reason: reason.into(),
            }),
            audit: None,
            attested: None,
            check: None,
        };
        crate::audit_trail::record_with_source(&log, source, &decision)
            .map_err(|e| BackendError::Io(e.to_string()))?;
    }
    Ok(())
}
