//! Deterministic synthetic `terraform show -json` plans, for benchmarks and
//! load tests.
//!
//! It makes the same mix and sizes as `../shared/tools/genplan.py`: weighted
//! actions, nested modules, count and `for_each` keys, data-source reads,
//! sensitive and unknown values, multi-line strings, JSON-encoded policies,
//! moves, imports, drift. The same `(n, seed)` always gives the same bytes.
//!
//! The document is streamed one resource change at a time, so a 50,000-change
//! plan (about 100 MB) never sits in memory whole.
//!
//! Not for correctness fixtures or anything a user sees: the values are
//! meaningless, and its random numbers are for variety, never for secrets.

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::{Value, json};

const TERRAFORM_VERSION: &str = "1.9.5";
const AWS: &str = "registry.terraform.io/hashicorp/aws";
const GOOGLE: &str = "registry.terraform.io/hashicorp/google";
const AZURERM: &str = "registry.terraform.io/hashicorp/azurerm";
const KUBERNETES: &str = "registry.terraform.io/hashicorp/kubernetes";

/// Resource types with their provider, picked uniformly.
const TYPES: [(&str, &str); 10] = [
    ("aws_instance", AWS),
    ("aws_s3_bucket", AWS),
    ("aws_iam_policy", AWS),
    ("aws_security_group", AWS),
    ("aws_db_instance", AWS),
    ("aws_lambda_function", AWS),
    ("google_storage_bucket", GOOGLE),
    ("azurerm_linux_virtual_machine", AZURERM),
    ("kubernetes_deployment", KUBERNETES),
    ("aws_route53_record", AWS),
];

/// Only the first few changes may drift, every `DRIFT_STEP`th one, as in genplan.py.
const DRIFT_WINDOW: usize = 50;
const DRIFT_STEP: usize = 10;

/// Writes a plan with `n` resource changes, the same bytes for the same `(n, seed)`.
///
/// The output is buffered here; `out` need not be.
///
/// # Errors
/// Any error from writing to `out`.
pub fn write_plan<W: Write>(n: usize, seed: u64, out: W) -> io::Result<()> {
    let mut doc = DocWriter::new(BufWriter::new(out))?;
    doc.field("format_version", &json!("1.2"))?;
    doc.field("terraform_version", &json!(TERRAFORM_VERSION))?;
    doc.field("planned_values", &json!({"root_module": {}}))?;
    let drifted = doc.resource_changes(n, seed)?;
    doc.field("output_changes", &output_changes())?;
    let drift: Vec<ResourceChangeJson> = drifted.iter().map(|r| r.to_json(seed)).collect();
    doc.field("resource_drift", &drift)?;
    doc.field("prior_state", &prior_state())?;
    doc.field("configuration", &json!({"root_module": {}}))?;
    doc.field("timestamp", &json!("2026-11-01T12:00:00Z"))?;
    doc.field("applyable", &json!(true))?;
    doc.field("complete", &json!(true))?;
    doc.field("errored", &json!(false))?;
    doc.finish()
}

/// The whole plan as a string, for tests and small documents.
///
/// # Panics
/// Never in practice: writing to a `Vec` cannot fail and JSON text is UTF-8.
#[must_use]
pub fn plan_string(n: usize, seed: u64) -> String {
    let mut buf = Vec::new();
    write_plan(n, seed, &mut buf).expect("writing to a Vec cannot fail");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Writes the top-level object field by field, so `resource_changes` can stream.
struct DocWriter<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> DocWriter<W> {
    fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Self { out, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b", ")?;
        }
        self.first = false;
        write_json(&mut self.out, &key)?;
        self.out.write_all(b": ")
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        write_json(&mut self.out, value)
    }

    /// Streams the changes; returns those that also appear as drift.
    fn resource_changes(&mut self, n: usize, seed: u64) -> io::Result<Vec<Resource>> {
        self.key("resource_changes")?;
        self.out.write_all(b"[")?;
        let mut drifted = Vec::new();
        for i in 0..n {
            if i > 0 {
                self.out.write_all(b", ")?;
            }
            let resource = Resource::generate(seed, i);
            write_json(&mut self.out, &resource.to_json(seed))?;
            if i < DRIFT_WINDOW && i % DRIFT_STEP == 0 && resource.action.can_drift() {
                drifted.push(resource.drifted());
            }
        }
        self.out.write_all(b"]")?;
        Ok(drifted)
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}

/// Separators as Python's `json.dumps` writes them, so sizes match genplan.py.
struct PythonSeparators;

impl serde_json::ser::Formatter for PythonSeparators {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

fn write_json<W: Write, T: Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, PythonSeparators);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// A JSON document as a string value, the way providers report policies.
fn json_string(value: &Value) -> String {
    let mut buf = Vec::new();
    // Only fails on I/O, and a Vec has none; fall back to compact JSON anyway.
    if write_json(&mut buf, value).is_err() {
        return value.to_string();
    }
    String::from_utf8(buf).unwrap_or_else(|_| value.to_string())
}

fn output_changes() -> Value {
    json!({
        "endpoint": {"actions": ["update"], "before": "a.example.com", "after": null,
                     "after_unknown": true, "before_sensitive": false, "after_sensitive": false},
        "db_password": {"actions": ["create"], "before": null, "after": "x",
                        "after_unknown": false, "before_sensitive": false, "after_sensitive": true},
    })
}

fn prior_state() -> Value {
    json!({"format_version": "1.0", "terraform_version": TERRAFORM_VERSION,
           "values": {"root_module": {}}})
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Create,
    Update,
    Delete,
    DeleteCreate,
    CreateDelete,
    Read,
    NoOp,
}

/// Relative weights, out of 100, as in genplan.py.
const ACTION_WEIGHTS: [(Action, u64); 7] = [
    (Action::Create, 30),
    (Action::Update, 25),
    (Action::Delete, 8),
    (Action::DeleteCreate, 6),
    (Action::CreateDelete, 3),
    (Action::Read, 6),
    (Action::NoOp, 22),
];

impl Action {
    fn pick(rng: &mut Rng) -> Self {
        let total: u64 = ACTION_WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut roll = rng.below(total);
        for (action, weight) in ACTION_WEIGHTS {
            if roll < weight {
                return action;
            }
            roll -= weight;
        }
        Action::NoOp
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Delete => &["delete"],
            Action::DeleteCreate => &["delete", "create"],
            Action::CreateDelete => &["create", "delete"],
            Action::Read => &["read"],
            Action::NoOp => &["no-op"],
        }
    }

    fn is_replace(self) -> bool {
        matches!(self, Action::DeleteCreate | Action::CreateDelete)
    }

    fn creates(self) -> bool {
        matches!(
            self,
            Action::Create | Action::DeleteCreate | Action::CreateDelete
        )
    }

    fn before_variant(self) -> Option<u64> {
        match self {
            Action::Create | Action::Read => None,
            _ => Some(0),
        }
    }

    /// Reads and no-ops show the object as it is; the rest change it.
    fn after_variant(self) -> Option<u64> {
        match self {
            Action::Delete => None,
            Action::Read | Action::NoOp => Some(0),
            _ => Some(1),
        }
    }

    /// Drift needs an object both before and after, on a managed resource.
    fn can_drift(self) -> bool {
        self != Action::Read && self.before_variant().is_some() && self.after_variant().is_some()
    }
}

/// A `count` index or a `for_each` key.
#[derive(Clone, Debug)]
enum Key {
    Count(u64),
    Each(String),
}

impl Key {
    fn suffix(&self) -> String {
        match self {
            Key::Count(i) => format!("[{i}]"),
            Key::Each(k) => format!("[\"{k}\"]"),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Key::Count(i) => json!(i),
            Key::Each(k) => json!(k),
        }
    }
}

/// The random choices for one resource change; values follow from these.
#[derive(Clone, Debug)]
struct Resource {
    index: usize,
    type_index: usize,
    action: Action,
    /// Empty for the root module.
    module: String,
    key: Option<Key>,
    moved: bool,
    importing: bool,
}

impl Resource {
    /// Each change has its own stream, so it depends on `(seed, i)` alone.
    fn generate(seed: u64, index: usize) -> Self {
        let mut rng = Rng::derive(&[seed, 0, index as u64]);
        let type_index = rng.index(TYPES.len());
        let action = Action::pick(&mut rng);
        let depth = rng.pick(&[0, 0, 1, 2]);
        let module = (0..depth)
            .map(|_| format!("module.m{}", rng.below(41)))
            .collect::<Vec<_>>()
            .join(".");
        let key = match rng.below(4) {
            0 => Some(Key::Count(rng.below(10))),
            1 => Some(Key::Each(format!("k{}", rng.below(100)))),
            _ => None,
        };
        let noop = action == Action::NoOp;
        let moved = noop && rng.chance(0.10);
        let importing = noop && rng.chance(0.05);
        Self {
            index,
            type_index,
            action,
            module,
            key,
            moved,
            importing,
        }
    }

    /// The same resource as seen by a refresh: changed outside, nothing planned.
    fn drifted(&self) -> Self {
        Self {
            action: Action::Update,
            moved: false,
            importing: false,
            ..self.clone()
        }
    }

    fn rtype(&self) -> &'static str {
        TYPES[self.type_index].0
    }

    fn name(&self) -> String {
        format!("r{}", self.index)
    }

    fn address(&self, name: &str) -> String {
        let mut addr = String::new();
        if !self.module.is_empty() {
            addr.push_str(&self.module);
            addr.push('.');
        }
        if self.action == Action::Read {
            addr.push_str("data.");
        }
        addr.push_str(self.rtype());
        addr.push('.');
        addr.push_str(name);
        if let Some(key) = &self.key {
            addr.push_str(&key.suffix());
        }
        addr
    }

    fn to_json(&self, seed: u64) -> ResourceChangeJson {
        let name = self.name();
        let replace = self.action.is_replace();
        ResourceChangeJson {
            address: self.address(&name),
            previous_address: self.moved.then(|| self.address(&format!("{name}_old"))),
            module_address: (!self.module.is_empty()).then(|| self.module.clone()),
            mode: if self.action == Action::Read {
                "data"
            } else {
                "managed"
            },
            rtype: self.rtype(),
            index: self.key.as_ref().map(Key::to_value),
            provider_name: TYPES[self.type_index].1,
            change: self.change(seed),
            action_reason: replace.then_some("replace_because_cannot_update"),
            name,
        }
    }

    fn change(&self, seed: u64) -> ChangeJson {
        let base = Base::generate(seed, self.type_index, self.index);
        let object = |variant| base.attributes(self.rtype(), self.index, variant);
        let before = self.action.before_variant().map(object);
        let mut after = self.action.after_variant().map(object);
        let mut after_unknown = json!({});
        if self.action.creates() {
            // The provider assigns these on apply.
            if let Some(Value::Object(attrs)) = &mut after {
                attrs.remove("id");
                attrs.remove("arn");
            }
            after_unknown = json!({"id": true, "arn": true});
        }
        let sensitive = |present: bool| {
            if present {
                json!({"password": true})
            } else {
                json!(false)
            }
        };
        ChangeJson {
            actions: self.action.names(),
            before_sensitive: sensitive(before.is_some()),
            after_sensitive: sensitive(after.is_some()),
            before,
            after,
            after_unknown,
            replace_paths: self.action.is_replace().then(|| json!([["instance_type"]])),
            importing: self
                .importing
                .then(|| json!({"id": format!("import-{}", self.index)})),
        }
    }
}

/// One `resource_changes` entry, fields in the order Terraform writes them.
#[derive(Serialize)]
struct ResourceChangeJson {
    address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    module_address: Option<String>,
    mode: &'static str,
    #[serde(rename = "type")]
    rtype: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<Value>,
    provider_name: &'static str,
    change: ChangeJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct ChangeJson {
    actions: &'static [&'static str],
    before: Option<Value>,
    after: Option<Value>,
    after_unknown: Value,
    before_sensitive: Value,
    after_sensitive: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    replace_paths: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    importing: Option<Value>,
}

/// Per-resource choices shared by its before and after objects, so the two
/// differ only where the variant does.
struct Base {
    environment: &'static str,
    changed_instance_type: &'static str,
    user_data_lines: u64,
    policy_actions: [&'static str; 2],
    wildcard_statement: bool,
    ports: [u64; 2],
}

impl Base {
    fn generate(seed: u64, type_index: usize, index: usize) -> Self {
        let mut rng = Rng::derive(&[seed, 1, type_index as u64, index as u64]);
        Self {
            environment: rng.pick(&["dev", "stage", "prod"]),
            changed_instance_type: rng.pick(&["t3.micro", "t3.large", "m5.xlarge", "r6g.2xlarge"]),
            user_data_lines: 3 + rng.below(23),
            policy_actions: rng.pick_two(&["GetObject", "PutObject", "ListBucket", "DeleteObject"]),
            wildcard_statement: rng.chance(0.3),
            ports: rng.pick_two(&[22, 80, 443, 5432, 8080]),
        }
    }

    fn attributes(&self, rtype: &str, index: usize, variant: u64) -> Value {
        let short_type = rtype.split_once('_').map_or(rtype, |(_, rest)| rest);
        let instance_type = if variant == 0 {
            "t3.micro"
        } else {
            self.changed_instance_type
        };
        let ingress: Vec<Value> = self
            .ports
            .iter()
            .map(|p| json!({"from_port": p, "to_port": p, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]}))
            .collect();
        json!({
            "id": format!("{rtype}-{index:07}"),
            "name": format!("{short_type}-{index}-{variant}"),
            "arn": format!("arn:aws:service:eu-west-1:123456789012:{rtype}/{index}"),
            "tags": {
                "Environment": self.environment,
                "Owner": format!("team-{}", index % 17),
                "Version": variant.to_string(),
            },
            "instance_type": instance_type,
            "user_data": self.user_data(variant),
            "policy": self.policy(index as u64 + variant),
            "ingress": ingress,
            "root_block_device": [{"volume_size": 20 + 10 * variant, "encrypted": true, "kms_key_id": null}],
            "password": format!("s3cret-{index}-{variant}"),
        })
    }

    /// A script where every seventh line carries the variant, so diffs are sparse.
    fn user_data(&self, variant: u64) -> String {
        (0..self.user_data_lines)
            .map(|i| {
                let v = if i % 7 == 0 { variant } else { 0 };
                format!("#!/bin/bash line {i} variant {v}\n")
            })
            .collect()
    }

    fn policy(&self, bucket: u64) -> String {
        let mut statements = vec![json!({
            "Effect": "Allow",
            "Action": self.policy_actions.map(|a| format!("s3:{a}")),
            "Resource": format!("arn:aws:s3:::bucket-{bucket}/*"),
        })];
        if self.wildcard_statement {
            statements.push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        }
        json_string(&json!({"Version": "2012-10-17", "Statement": statements}))
    }
}

/// `SplitMix64`: tiny and fast, with no dependency. Variety only, not secrecy.
struct Rng(u64);

impl Rng {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A stream keyed by several numbers, independent of any other key.
    fn derive(parts: &[u64]) -> Self {
        let state = parts.iter().fold(Self::GAMMA, |acc, &p| {
            mix(acc ^ mix(p.wrapping_add(Self::GAMMA)))
        });
        Self(state)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::GAMMA);
        mix(self.0)
    }

    /// Uniform in `0..bound` (multiply-shift; the bias is far below what matters here).
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    fn chance(&mut self, probability: f64) -> bool {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < probability
    }

    /// Uniform in `0..len`; lengths here are tiny, so the casts are exact.
    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// Two different items, in random order.
    fn pick_two<T: Copy>(&mut self, items: &[T]) -> [T; 2] {
        let first = self.index(items.len());
        let offset = 1 + self.index(items.len() - 1);
        [items[first], items[(first + offset) % items.len()]]
    }
}

/// The `SplitMix64` finaliser: a bijection that scrambles every bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("generated plan is valid JSON")
    }

    fn changes(plan: &Value) -> &Vec<Value> {
        plan["resource_changes"]
            .as_array()
            .expect("resource_changes is an array")
    }

    fn actions(change: &Value) -> String {
        let list = change["change"]["actions"]
            .as_array()
            .expect("actions is an array");
        list.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn same_seed_gives_same_bytes() {
        assert_eq!(plan_string(200, 7), plan_string(200, 7));
    }

    #[test]
    fn other_seed_gives_other_plan() {
        assert_ne!(plan_string(200, 7), plan_string(200, 8));
    }

    #[test]
    fn parses_as_plan_with_n_changes() {
        for n in [0, 1, 37] {
            let plan = parse(&plan_string(n, 1));
            assert!(plan.is_object());
            assert_eq!(changes(&plan).len(), n);
            assert_eq!(plan["format_version"], "1.2");
            assert_eq!(plan["errored"], false);
        }
    }

    #[test]
    fn action_mix_follows_weights() {
        let n = 10_000;
        let plan = parse(&plan_string(n, 3));
        let expected = [
            ("create", 30.0),
            ("update", 25.0),
            ("delete", 8.0),
            ("delete,create", 6.0),
            ("create,delete", 3.0),
            ("read", 6.0),
            ("no-op", 22.0),
        ];
        for (actions_text, percent) in expected {
            let count = changes(&plan)
                .iter()
                .filter(|c| actions(c) == actions_text)
                .count();
            let got = 100.0 * count as f64 / n as f64;
            assert!(
                (got - percent).abs() < 2.0,
                "{actions_text}: {got:.1}% vs {percent}%"
            );
        }
    }

    #[test]
    fn every_replace_has_paths_and_reason() {
        let plan = parse(&plan_string(2_000, 1));
        let replaces: Vec<&Value> = changes(&plan)
            .iter()
            .filter(|c| actions(c).contains(','))
            .collect();
        assert!(!replaces.is_empty());
        for rc in replaces {
            assert_eq!(rc["change"]["replace_paths"], json!([["instance_type"]]));
            assert_eq!(rc["action_reason"], "replace_because_cannot_update");
        }
    }

    #[test]
    fn shapes_match_actions() {
        let plan = parse(&plan_string(2_000, 1));
        for rc in changes(&plan) {
            let acts = actions(rc);
            let change = &rc["change"];
            assert_eq!(rc["mode"] == "data", acts == "read", "{}", rc["address"]);
            assert_eq!(
                change["before"].is_null(),
                acts == "create" || acts == "read"
            );
            assert_eq!(change["after"].is_null(), acts == "delete");
            if acts.contains("create") {
                assert_eq!(change["after_unknown"], json!({"id": true, "arn": true}));
                assert!(change["after"].get("id").is_none());
            }
            let policy = change["before"]
                .get("policy")
                .or(change["after"].get("policy"));
            let policy = policy
                .and_then(Value::as_str)
                .expect("every object has a policy");
            assert!(parse(policy)["Statement"].is_array());
        }
    }

    #[test]
    fn has_moves_imports_modules_keys_and_drift() {
        let plan = parse(&plan_string(2_000, 1));
        let count =
            |pred: &dyn Fn(&Value) -> bool| changes(&plan).iter().filter(|c| pred(c)).count();
        assert!(count(&|c| c.get("previous_address").is_some()) > 10);
        assert!(count(&|c| c["change"].get("importing").is_some()) > 5);
        assert!(count(&|c| c.get("module_address").is_some()) > 500);
        assert!(count(&|c| c["index"].is_u64()) > 200);
        assert!(count(&|c| c["index"].is_string()) > 200);
        let drift = plan["resource_drift"]
            .as_array()
            .expect("resource_drift is an array");
        assert!(!drift.is_empty() && drift.len() <= 5);
        assert!(drift.iter().all(|d| actions(d) == "update"));
    }

    #[test]
    fn addresses_are_unique() {
        let plan = parse(&plan_string(2_000, 1));
        let mut seen = std::collections::HashSet::new();
        assert!(
            changes(&plan)
                .iter()
                .all(|c| seen.insert(c["address"].to_string()))
        );
    }

    #[test]
    fn size_is_close_to_genplan_py() {
        // `python3 genplan.py 1000` writes about 2.2 MB.
        let len = plan_string(1_000, 1).len();
        assert!((1_600_000..=2_800_000).contains(&len), "{len} bytes");
    }
}
