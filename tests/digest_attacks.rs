//! Hand-edited plans that try to look harmless: a data-bearing resource
//! presented as a `null_resource`, and values hidden by marking them all
//! sensitive. Each must get its own digest (an approval of the honest plan
//! does not carry over), and the disguise must not lower the risk.

use plandeck::plan::{Plan, parse_plan};
use plandeck::risk::{Risk, RiskPolicy};
use plandeck::summary::Summary;
use serde_json::{Value, json};
use std::sync::Arc;

const PLAN: &str = "tests/fixtures/corpus/plans/snykcli-tf-plan-destroy.json";
const BUCKET: &str = "aws_s3_bucket.terra_ci";

fn real() -> Value {
    let text = std::fs::read_to_string(PLAN).expect("fixture");
    serde_json::from_str(&text).expect("json")
}

fn parse(doc: &Value) -> Plan {
    parse_plan(Arc::from(doc.to_string())).unwrap_or_else(|e| panic!("{e}"))
}

fn bucket(doc: &mut Value) -> &mut Value {
    doc["resource_changes"]
        .as_array_mut()
        .expect("array")
        .iter_mut()
        .find(|rc| rc["address"] == BUCKET)
        .expect("the bucket")
}

fn risk_of(plan: &Plan, address: &str) -> (Risk, String) {
    let rc = plan
        .resource_changes
        .iter()
        .find(|rc| rc.address == address)
        .expect("change");
    let assessment = RiskPolicy::default().assess(rc);
    (assessment.risk, assessment.reason)
}

#[test]
fn a_bucket_presented_as_a_null_resource_gets_another_digest_and_stays_critical() {
    let honest = parse(&real());
    assert_eq!(risk_of(&honest, BUCKET).0, Risk::Critical);
    let mut doc = real();
    bucket(&mut doc)["type"] = json!("null_resource");
    let disguised = parse(&doc);
    assert_ne!(disguised.digest, honest.digest);
    let (risk, reason) = risk_of(&disguised, BUCKET);
    assert_eq!(risk, Risk::Critical, "{reason}");
    assert_eq!(
        reason,
        "deletes a data-bearing resource (aws_s3_bucket, by its address; its type field says \
         null_resource)"
    );
    let summary = Summary::of(
        &disguised,
        &RiskPolicy::default(),
        None,
        &Default::default(),
    );
    assert_eq!(summary.risk.highest, Some(Risk::Critical));
    assert!(
        disguised.warnings.iter().any(|w| w
            == "aws_s3_bucket.terra_ci: its type field says \"null_resource\" but its address \
                names aws_s3_bucket; risk is judged by both"),
        "{:?}",
        disguised.warnings
    );
    assert!(honest.warnings.is_empty(), "{:?}", honest.warnings);
    // Renaming the address instead makes another resource, judged by its type.
    let mut doc = real();
    bucket(&mut doc)["address"] = json!("null_resource.terra_ci");
    let renamed = parse(&doc);
    assert_ne!(renamed.digest, honest.digest);
    assert_eq!(
        risk_of(&renamed, "null_resource.terra_ci").0,
        Risk::Critical
    );
}

#[test]
fn values_all_marked_sensitive_get_another_digest() {
    let honest = parse(&real());
    let mut doc = real();
    for rc in doc["resource_changes"].as_array_mut().expect("array") {
        rc["change"]["before_sensitive"] = json!(true);
        rc["change"]["after_sensitive"] = json!(true);
    }
    let hidden = parse(&doc);
    assert_ne!(hidden.digest, honest.digest);
    // Marking one attribute is a change too.
    let mut doc = real();
    bucket(&mut doc)["change"]["before_sensitive"] = json!({"bucket": true});
    assert_ne!(parse(&doc).digest, honest.digest);
}

#[test]
fn many_disguises_are_counted_not_listed() {
    let mut doc = real();
    let changes = doc["resource_changes"].as_array_mut().expect("array");
    let template = changes[0].clone();
    for i in 0..8 {
        let mut rc = template.clone();
        rc["address"] = json!(format!("aws_db_instance.db{i}"));
        rc["type"] = json!("null_resource");
        changes.push(rc);
    }
    let plan = parse(&doc);
    let mentioned: Vec<&String> = plan
        .warnings
        .iter()
        .filter(|w| w.contains("type field"))
        .collect();
    assert_eq!(mentioned.len(), 6, "{mentioned:?}");
    assert!(mentioned[5].starts_with("… and 3 more"), "{mentioned:?}");
}
