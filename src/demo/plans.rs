//! The demo's configuration files and the plans their changes produce, in
//! the `show -json` format (format version 1.2).

use serde_json::{Value, json};

/// The `main.tf` of a root at a point in the demo's history.
pub fn main_tf(app: &str, env: &str, variant: u8) -> String {
    let size = if env == "prod" {
        "m6i.large"
    } else {
        "t3.small"
    };
    let mut tf = format!(
        r#"terraform {{
  backend "s3" {{
    bucket = "acme-tfstate"
    key    = "{app}/{env}/terraform.tfstate"
    region = "eu-west-1"
  }}
}}

locals {{
  tags = {{ App = "{app}", Environment = "{env}" }}
}}

resource "aws_instance" "{app}" {{
  ami           = "ami-0a1b2c3d4e5f67890"
  instance_type = "{size}"
  tags          = local.tags
}}
"#
    );
    match (variant, app) {
        (1, _) => tf.push_str("\n# Tags are applied through local.tags.\n"),
        (2, _) => tf.push_str(ALARMS_TF),
        (3, "api") => tf.push_str(&DATABASE_TF.replace("ENV", env)),
        (4, _) => {
            tf = tf.replace("m6i.large", "m6i.xlarge") + "\n# The legacy export bucket is gone.\n"
        }
        (5, _) => tf.push_str(CDN_TF),
        (6, _) => {
            tf.push_str("\nresource \"aws_sqs_queue\" \"work\" {\n  name = \"api-dev-work\"\n}\n")
        }
        (7, _) => tf = tf.replace("t3.small", "t3.medium"),
        _ => {}
    }
    tf
}

const ALARMS_TF: &str = r#"
resource "aws_cloudwatch_metric_alarm" "cpu" {
  for_each            = toset(["web", "worker"])
  alarm_name          = "${each.key}-cpu-high"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  evaluation_periods  = 3
}
"#;

const DATABASE_TF: &str = r#"
resource "aws_db_instance" "main" {
  identifier        = "api-ENV"
  engine            = "postgres"
  engine_version    = "16.1" # was 14.9
  instance_class    = "db.r6g.large"
  storage_encrypted = true # forces a new database
  password          = var.db_password
}
"#;

const CDN_TF: &str = r#"
moved {
  from = aws_cloudfront_distribution.cdn
  to   = module.cdn.aws_cloudfront_distribution.this
}

import {
  to = aws_route53_record.www
  id = "Z1_www_CNAME"
}
"#;

struct Change {
    address: String,
    resource_type: &'static str,
    name: &'static str,
    actions: &'static [&'static str],
    before: Value,
    after: Value,
    extra: Value,
    change_extra: Value,
}

fn change(
    address: &str,
    resource_type: &'static str,
    name: &'static str,
    actions: &'static [&'static str],
) -> Change {
    Change {
        address: address.to_string(),
        resource_type,
        name,
        actions,
        before: Value::Null,
        after: Value::Null,
        extra: json!({}),
        change_extra: json!({}),
    }
}

impl Change {
    fn values(mut self, before: Value, after: Value) -> Self {
        self.before = before;
        self.after = after;
        self
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.extra[key] = value;
        self
    }

    fn with_change(mut self, key: &str, value: Value) -> Self {
        self.change_extra[key] = value;
        self
    }

    fn json(self) -> Value {
        let sensitivity = |v: &Value| if v.is_null() { json!(false) } else { json!({}) };
        let mut change = json!({
            "actions": self.actions,
            "before": self.before,
            "after": self.after,
            "after_unknown": {},
            "before_sensitive": sensitivity(&self.before),
            "after_sensitive": sensitivity(&self.after),
        });
        merge(&mut change, self.change_extra);
        let mut rc = json!({
            "address": self.address,
            "mode": if self.address.starts_with("data.") { "data" } else { "managed" },
            "type": self.resource_type,
            "name": self.name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": change,
        });
        merge(&mut rc, self.extra);
        rc
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}

fn plan(changes: Vec<Change>, outputs: Value) -> Value {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": { "root_module": {} },
        "resource_changes": changes.into_iter().map(Change::json).collect::<Vec<_>>(),
        "output_changes": outputs,
        "applyable": true,
        "complete": true,
        "errored": false,
    })
}

fn infracost(project: &str, resources: &[(&str, f64, f64)]) -> Value {
    let money = |v: f64| format!("{v:.2}");
    let past: f64 = resources.iter().map(|r| r.1).sum();
    let now: f64 = resources.iter().map(|r| r.2).sum();
    json!({
        "version": "0.2",
        "currency": "USD",
        "projects": [{
            "name": project,
            "metadata": { "path": project },
            "pastBreakdown": { "resources": resources.iter().map(|r| json!({"name": r.0, "monthlyCost": money(r.1)})).collect::<Vec<_>>(), "totalMonthlyCost": money(past) },
            "breakdown": { "resources": resources.iter().map(|r| json!({"name": r.0, "monthlyCost": money(r.2)})).collect::<Vec<_>>(), "totalMonthlyCost": money(now) },
            "diff": { "resources": resources.iter().map(|r| json!({"name": r.0, "monthlyCost": money(r.2 - r.1)})).collect::<Vec<_>>(), "totalMonthlyCost": money(now - past) },
        }],
        "totalMonthlyCost": money(now),
        "pastTotalMonthlyCost": money(past),
        "diffTotalMonthlyCost": money(now - past),
    })
}

/// feature/108 (into develop): the stage instance resized in place.
pub fn resize_stage() -> Value {
    let tags = json!({ "App": "web", "Environment": "stage" });
    let before =
        json!({ "ami": "ami-0a1b2c3d4e5f67890", "instance_type": "t3.small", "tags": tags });
    let mut after = before.clone();
    after["instance_type"] = json!("t3.medium");
    plan(
        vec![change("aws_instance.web", "aws_instance", "web", &["update"]).values(before, after)],
        json!({}),
    )
}

/// request/101: two alarms created.
pub fn alarms() -> Value {
    let alarm = |key: &'static str| {
        change(&format!("aws_cloudwatch_metric_alarm.cpu[\"{key}\"]"), "aws_cloudwatch_metric_alarm", "cpu", &["create"])
            .values(Value::Null, json!({ "alarm_name": format!("{key}-cpu-high"), "comparison_operator": "GreaterThanThreshold", "threshold": 80, "evaluation_periods": 3 }))
            .with("index", json!(key))
            .with_change("after_unknown", json!({ "arn": true, "id": true }))
    };
    plan(vec![alarm("web"), alarm("worker")], json!({}))
}

pub fn alarms_cost() -> Value {
    infracost(
        "apps/web/dev",
        &[
            ("aws_cloudwatch_metric_alarm.cpu[\"web\"]", 0.0, 0.10),
            ("aws_cloudwatch_metric_alarm.cpu[\"worker\"]", 0.0, 0.10),
        ],
    )
}

/// request/102: the database is replaced (critical), its password is sensitive.
pub fn database(env: &str) -> Value {
    let before = json!({
        "identifier": format!("api-{env}"), "engine": "postgres", "engine_version": "14.9",
        "instance_class": "db.r6g.large", "allocated_storage": 200, "storage_encrypted": false,
        "password": "correct-horse-battery-staple", "multi_az": env == "prod",
        "id": format!("db-{env}-ABCDEFGH"), "arn": format!("arn:aws:rds:eu-west-1:123456789012:db:api-{env}"),
        "tags": { "App": "api", "Environment": env },
    });
    let mut after = before.clone();
    after["engine_version"] = json!("16.1");
    after["storage_encrypted"] = json!(true);
    after["password"] = json!("tr0ub4dor&3");
    if let Value::Object(map) = &mut after {
        map.remove("id");
        map.remove("arn");
    }
    let db = change(
        "aws_db_instance.main",
        "aws_db_instance",
        "main",
        &["delete", "create"],
    )
    .values(before, after)
    .with("action_reason", json!("replace_because_cannot_update"))
    .with_change("after_unknown", json!({ "id": true, "arn": true }))
    .with_change("before_sensitive", json!({ "password": true }))
    .with_change("after_sensitive", json!({ "password": true }))
    .with_change("replace_paths", json!([["storage_encrypted"]]));
    plan(
        vec![db],
        json!({
            "db_endpoint": { "actions": ["update"], "before": format!("api-{env}.abc.eu-west-1.rds.amazonaws.com:5432"), "after": null, "after_unknown": true, "before_sensitive": false, "after_sensitive": false },
            "db_password": { "actions": ["update"], "before": "correct-horse-battery-staple", "after": "tr0ub4dor&3", "after_unknown": false, "before_sensitive": true, "after_sensitive": true },
        }),
    )
}

pub fn database_cost() -> Value {
    infracost("apps/api/prod", &[("aws_db_instance.main", 292.0, 312.0)])
}

/// request/103: a bucket deleted (critical), an instance resized with a new
/// user-data script, an IAM policy widened.
pub fn retire_bucket() -> Value {
    let script = |workers: u8, packages: &str| {
        format!(
            "#!/bin/bash\nset -euo pipefail\napt-get update\napt-get install -y {packages}\necho 'worker_processes {workers};' > /etc/nginx/conf.d/workers.conf\nsystemctl restart nginx\n"
        )
    };
    let policy = |actions: &[&str], admin: bool| {
        let mut statements = vec![
            json!({ "Effect": "Allow", "Action": actions, "Resource": "arn:aws:s3:::web-assets/*" }),
        ];
        if admin {
            statements.push(json!({ "Effect": "Allow", "Action": "*", "Resource": "*" }));
        }
        json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
    };
    let bucket = change("aws_s3_bucket.legacy_exports", "aws_s3_bucket", "legacy_exports", &["delete"])
        .values(json!({ "bucket": "web-legacy-exports", "force_destroy": true, "id": "web-legacy-exports" }), Value::Null)
        .with("action_reason", json!("delete_because_no_resource_config"));
    let instance = change("aws_instance.web", "aws_instance", "web", &["update"]).values(
        json!({ "ami": "ami-0a1b2c3d4e5f67890", "instance_type": "m6i.large", "user_data": script(2, "nginx"), "tags": { "App": "web" }, "tags_all": { "App": "web", "ManagedBy": "terraform" }, "id": "i-0123456789abcdef0" }),
        json!({ "ami": "ami-0a1b2c3d4e5f67890", "instance_type": "m6i.xlarge", "user_data": script(4, "nginx curl"), "tags": { "App": "web" }, "tags_all": { "App": "web", "ManagedBy": "terraform" }, "id": "i-0123456789abcdef0" }),
    );
    let iam = change("aws_iam_policy.assets", "aws_iam_policy", "assets", &["update"]).values(
        json!({ "name": "web-assets", "policy": policy(&["s3:GetObject"], false), "id": "arn:aws:iam::123456789012:policy/web-assets" }),
        json!({ "name": "web-assets", "policy": policy(&["s3:GetObject", "s3:PutObject"], true), "id": "arn:aws:iam::123456789012:policy/web-assets" }),
    );
    let mut plan = plan(vec![bucket, instance, iam], json!({}));
    let ingress = |ports: &[u16]| {
        ports.iter().map(|p| json!({ "from_port": p, "to_port": p, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"] })).collect::<Vec<_>>()
    };
    // Someone opened SSH by hand: drift the operator should see.
    let drift = change(
        "aws_security_group.web",
        "aws_security_group",
        "web",
        &["update"],
    )
    .values(
        json!({ "name": "web", "ingress": ingress(&[443]), "id": "sg-0aa11bb22" }),
        json!({ "name": "web", "ingress": ingress(&[443, 22]), "id": "sg-0aa11bb22" }),
    );
    plan["resource_drift"] = json!([drift.json()]);
    plan
}

pub fn retire_bucket_cost() -> Value {
    infracost(
        "apps/web/prod",
        &[
            ("aws_instance.web", 70.08, 140.16),
            ("aws_s3_bucket.legacy_exports", 23.0, 0.0),
        ],
    )
}

/// request/104: a resource moved into a module, a record imported.
pub fn refactor() -> Value {
    let cdn = json!({ "enabled": true, "price_class": "PriceClass_100", "id": "E2ABCDEF" });
    let record = json!({ "name": "www.example.com", "type": "CNAME", "records": ["web.example.net"], "ttl": 300, "id": "Z1_www_CNAME" });
    let moved = change(
        "module.cdn.aws_cloudfront_distribution.this",
        "aws_cloudfront_distribution",
        "this",
        &["no-op"],
    )
    .values(cdn.clone(), cdn)
    .with("previous_address", json!("aws_cloudfront_distribution.cdn"))
    .with("module_address", json!("module.cdn"));
    let imported = change(
        "aws_route53_record.www",
        "aws_route53_record",
        "www",
        &["no-op"],
    )
    .values(record.clone(), record)
    .with_change("importing", json!({ "id": "Z1_www_CNAME" }));
    let mut ttl_before =
        json!({ "name": "stage.example.com", "type": "A", "ttl": 300, "id": "Z1_stage_A" });
    let ttl_after =
        json!({ "name": "stage.example.com", "type": "A", "ttl": 60, "id": "Z1_stage_A" });
    ttl_before["records"] = json!(["10.0.0.10"]);
    let mut ttl_after = ttl_after;
    ttl_after["records"] = json!(["10.0.0.10"]);
    let ttl = change(
        "aws_route53_record.stage",
        "aws_route53_record",
        "stage",
        &["update"],
    )
    .values(ttl_before, ttl_after);
    plan(vec![moved, imported, ttl], json!({}))
}

/// request/106: the shop's checkout service created.
pub fn shop_checkout() -> Value {
    let instance = change("aws_instance.shop", "aws_instance", "shop", &["create"])
        .values(
            Value::Null,
            json!({ "ami": "ami-0a1b2c3d4e5f67890", "instance_type": "m6i.large", "tags": { "App": "shop", "Environment": "prod" } }),
        )
        .with_change("after_unknown", json!({ "arn": true, "id": true }));
    let limit = change(
        "aws_api_gateway_method_settings.checkout",
        "aws_api_gateway_method_settings",
        "checkout",
        &["create"],
    )
    .values(
        Value::Null,
        json!({ "method_path": "checkout/POST", "settings": [{ "throttling_rate_limit": 200, "throttling_burst_limit": 400 }] }),
    );
    plan(vec![instance, limit], json!({}))
}

/// request/107: the payment webhook's new secret and an error alarm.
pub fn shop_webhook() -> Value {
    let webhook = change(
        "aws_lambda_function.webhook",
        "aws_lambda_function",
        "webhook",
        &["create"],
    )
    .values(
        Value::Null,
        json!({ "function_name": "shop-payment-webhook", "runtime": "python3.12", "environment": [{ "variables": { "SECRET_VERSION": "2026-03" } }] }),
    )
    .with_change("after_unknown", json!({ "arn": true }));
    let alarm = change(
        "aws_cloudwatch_metric_alarm.webhook_errors",
        "aws_cloudwatch_metric_alarm",
        "webhook_errors",
        &["create"],
    )
    .values(
        Value::Null,
        json!({ "alarm_name": "shop-webhook-errors", "comparison_operator": "GreaterThanThreshold", "threshold": 0, "evaluation_periods": 1 }),
    );
    plan(vec![webhook, alarm], json!({}))
}
