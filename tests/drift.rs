//! `plandeck drift` through the built binary, on a real git repository and
//! the real Terraform 1.0.3 with the null provider: two roots applied from
//! main with their state outside the repository (local backend), one of them
//! drifted by editing its state file out of band. Checks the exit statuses,
//! the stored reports, blocking the requests that touch the drifted root
//! (and only those) and acknowledging the drift, both audited.

#![allow(clippy::disallowed_types)] // tests the git backend itself

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{TestRepo, terraform};

const NET: &str = "apps/net";
const WEB: &str = "apps/web";

/// A root with its state at `state` (outside the repository).
fn root_tf(state: &Path, label: &str, extra: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    null = {{ source = \"hashicorp/null\", version = \"2.1.2\" }}\n  }}\n  backend \"local\" {{\n    path = {:?}\n  }}\n}}\n\
         resource \"null_resource\" \"a\" {{\n  triggers = {{ v = \"1\" }}\n}}\n\
         output \"label\" {{\n  value = \"{label}\"\n}}\n\
         output \"id\" {{\n  value = null_resource.a.id\n}}\n{extra}",
        state.display().to_string()
    )
}

struct Fixture {
    repo: TestRepo,
    config: PathBuf,
    state: PathBuf,
    data: PathBuf,
    tmp: PathBuf,
}

impl Fixture {
    /// main: both roots applied; request/1 changes net, request/2 web.
    fn new() -> Self {
        let repo = TestRepo::new();
        let state = repo.scratch("state");
        let tf = terraform();
        repo.write(".gitignore", ".terraform/\n");
        repo.write(
            &format!("{NET}/main.tf"),
            &root_tf(&state.join("net.tfstate"), "net", ""),
        );
        repo.write(
            &format!("{WEB}/main.tf"),
            &root_tf(&state.join("web.tfstate"), "web", ""),
        );
        for root in [NET, WEB] {
            tf.apply(&repo.path.join(root));
        }
        repo.commit("Network and web, applied", &[]);
        let extra = "resource \"null_resource\" \"b\" {}\n";
        for (branch, root, label) in [("request/1", NET, "net"), ("request/2", WEB, "web")] {
            repo.branch(branch, "main");
            let tf_text = root_tf(&state.join(format!("{label}.tfstate")), label, extra);
            repo.commit(
                &format!("More {label}"),
                &[(&format!("{root}/main.tf"), &tf_text)],
            );
            repo.checkout("main");
        }
        let config = repo.scratch("config").join("plandeck.toml");
        let toml = format!("[tofu]\nbinary = {:?}\n", tf.binary.display().to_string());
        std::fs::write(&config, toml).expect("config");
        let data = repo.scratch("data");
        let tmp = repo.scratch("tmp");
        Self {
            repo,
            config,
            state,
            data,
            tmp,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .arg("--repo")
            .arg(&self.repo.path)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("TMPDIR", &self.tmp)
            .env("XDG_DATA_HOME", &self.data)
            .envs(terraform().env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("plandeck runs")
    }

    fn code(&self, args: &[&str], expected: i32) -> String {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Edits the net root's state out of band: an output's value (which a
    /// refresh-only plan reports) and a trigger, serial bumped, valid JSON.
    fn drift_net(&self) {
        let path = self.state.join("net.tfstate");
        let mut state: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
        let serial = state["serial"].as_u64().expect("serial");
        state["serial"] = (serial + 1).into();
        state["outputs"]["label"]["value"] = "changed by hand".into();
        state["resources"][0]["instances"][0]["attributes"]["triggers"]["v"] = "hand".into();
        std::fs::write(&path, serde_json::to_string_pretty(&state).expect("encode"))
            .expect("write state");
    }

    fn list_json(&self) -> Vec<Value> {
        serde_json::from_str(&self.code(&["drift", "list", "--format", "json"], 0)).expect("JSON")
    }

    fn blocks_check(&self, request: &str) -> Vec<(String, bool)> {
        let out = self.code(&["status", request, "--format", "json"], 0);
        let reports: Vec<Value> = serde_json::from_str(&out).expect("status JSON");
        reports
            .iter()
            .map(|r| {
                let check = r["checks"]
                    .as_array()
                    .expect("checks")
                    .iter()
                    .find(|c| c["name"] == "blocks")
                    .expect("blocks check");
                (
                    r["root"].as_str().expect("root").to_string(),
                    check["passed"].as_bool().expect("passed"),
                )
            })
            .collect()
    }

    fn audit_lines(&self) -> Vec<Value> {
        let log = self.data.join("plandeck").join("audit.log");
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line"))
            .collect()
    }
}

#[test]
fn a_drifted_and_a_clean_root_are_checked_blocked_and_acknowledged() {
    let fx = Fixture::new();
    fx.code(&["plan", "request/1"], 0);
    // Before any change out of band every root is clean.
    let out = fx.code(&["drift", "check"], 0);
    assert!(out.lines().all(|l| l.ends_with("clean")), "{out}");

    fx.drift_net();
    let out = fx.code(&["drift", "check"], 3);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(NET) && lines[0].contains("DRIFT ("),
        "{out}"
    );
    assert!(
        lines[1].starts_with(WEB) && lines[1].ends_with("clean"),
        "{out}"
    );
    assert!(
        fx.code(&["drift", "check", "--root", WEB], 0)
            .contains("clean")
    );
    assert!(
        fx.code(&["drift", "check", "--root", NET], 3)
            .contains("DRIFT")
    );
    let worktrees = fx.repo.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");

    // Reports are stored, with the plan JSON beside them.
    let stored = fx.repo.git_dir().join("plandeck/drift/apps%2Fnet");
    assert!(stored.join("report.json").is_file() && stored.join("plan.json").is_file());
    let list = fx.list_json();
    let net = list.iter().find(|r| r["root"] == NET).expect("net report");
    let web = list.iter().find(|r| r["root"] == WEB).expect("web report");
    assert_eq!(
        (net["status"].as_str(), net["exit_code"].as_i64()),
        (Some("drift"), Some(2))
    );
    // Terraform 1.0.3 may exit 2 on a clean refresh-only plan; the plan decides.
    assert_eq!(web["status"], "clean", "{web}");
    assert!(matches!(web["exit_code"].as_i64(), Some(0 | 2)), "{web}");
    let drifted: Vec<&str> = net["drifted"]
        .as_array()
        .expect("drifted")
        .iter()
        .filter_map(|d| d["address"].as_str())
        .collect();
    assert!(drifted.contains(&"output.label"), "{net}");
    assert_eq!(web["drifted"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        net["base_commit"].as_str(),
        Some(fx.repo.rev("main").as_str())
    );
    assert!(
        net["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );

    // The library reads the same reports and their refresh-only plans.
    let source =
        plandeck::source::git::GitSource::open(&fx.repo.path, &Default::default()).expect("source");
    let reports = plandeck::drift::reports(&source).expect("reports");
    assert_eq!(reports.len(), 2);
    let plan = plandeck::drift::load_plan(&reports[0]).expect("plan");
    assert!(plan.output_changes.iter().any(|o| o.name == "label"));
    assert_eq!(Some(plan.digest), reports[0].digest);

    // Blocking touches exactly the requests of the drifted root.
    assert_eq!(fx.blocks_check("request/1"), vec![(NET.to_string(), true)]);
    let out = fx.code(
        &[
            "drift",
            "block-requests",
            NET,
            "--reason",
            "label edited by hand",
        ],
        0,
    );
    assert!(
        out.contains("blocked request/1") && !out.contains("request/2"),
        "{out}"
    );
    assert_eq!(fx.blocks_check("request/1"), vec![(NET.to_string(), false)]);
    assert_eq!(fx.blocks_check("request/2"), vec![(WEB.to_string(), true)]);
    let status = fx.code(&["status", "request/1"], 0);
    assert!(status.contains("drift: label edited by hand"), "{status}");

    fx.code(
        &[
            "drift",
            "ack",
            NET,
            "--note",
            "known: hand fix, will import",
        ],
        0,
    );
    let list = fx.list_json();
    let net = list.iter().find(|r| r["root"] == NET).expect("net report");
    assert_eq!(net["acknowledged"], true, "{net}");
    assert_eq!(net["acks"][0]["note"], "known: hand fix, will import");
    let text = fx.code(&["drift", "list"], 0);
    assert!(text.contains("acknowledged by Test Owner"), "{text}");

    let audit = fx.audit_lines();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["request"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![("drift-block", "request/1"), ("drift-ack", "")],
        "{audit:?}"
    );
    let planned = fx.repo.git_dir();
    let stored = plandeck::source::store::PlanStore::open(&planned)
        .get("request/1", NET)
        .expect("get")
        .expect("planned");
    assert_eq!(audit[0]["digest"].as_str(), Some(stored.digest.as_str()));
    assert_eq!(audit[0]["root"], NET);
    fx.code(&["audit", "verify"], 0);
}

#[test]
fn a_failing_binary_is_exit_2_and_a_stored_error() {
    let fx = Fixture::new();
    // A root whose state file is not JSON: the binary fails, the check says so.
    std::fs::write(fx.state.join("web.tfstate"), "not a state").expect("break state");
    let out = fx.code(&["drift", "check"], 2);
    assert!(
        out.lines()
            .any(|l| l.starts_with(WEB) && l.contains("error: ")),
        "{out}"
    );
    let list = fx.list_json();
    let web = list.iter().find(|r| r["root"] == WEB).expect("web report");
    assert_eq!(web["status"], "error");
    assert!(web["error"].as_str().is_some_and(|e| !e.is_empty()));
    let unknown = fx.run(&["drift", "check", "--root", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no such root"));
}
