//! The executor fixture shared by `apply.rs` and `apply_modes.rs`: a real
//! repository whose roots keep local state in a scratch directory, a
//! plandeck config pointing at the test Terraform, and plandeck runs as a
//! named person. Each test file lays out its own roots and request.

use super::{TestRepo, terraform};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `terraform` block of a test root: the null provider 2.1.2 and a
/// local backend keeping its state at `state/name.tfstate`.
pub fn terraform_block(state: &Path, name: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    null = {{
      source  = "hashicorp/null"
      version = "2.1.2"
    }}
  }}
  backend "local" {{
    path = "{state}/{name}.tfstate"
  }}
}}
"#,
        state = state.display()
    )
}

pub const ALICE: (&str, &str) = ("Alice Author", "alice@example.com");

pub struct Fixture {
    pub repo: TestRepo,
    /// Where the roots' local backends keep their state files.
    pub state: PathBuf,
    pub config: PathBuf,
    /// `XDG_DATA_HOME` of every run (apply logs under `plandeck/logs`).
    pub data: PathBuf,
}

impl Fixture {
    /// Writes `config` after a `[tofu]` table naming the test Terraform.
    pub fn with_config(repo: TestRepo, state: PathBuf, config: &str) -> Self {
        let config_path = repo.scratch("config").join("plandeck.toml");
        let toml = format!(
            "[tofu]\nbinary = {:?}\n{config}",
            terraform().binary.display().to_string()
        );
        std::fs::write(&config_path, toml).expect("config");
        let data = repo.scratch("data");
        Self {
            repo,
            state,
            config: config_path,
            data,
        }
    }

    /// plandeck on the repository as committer `person` (<person>@example.com).
    pub fn command(&self, person: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plandeck"));
        command
            .arg("--repo")
            .arg(&self.repo.path)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("GIT_COMMITTER_NAME", person)
            .env(
                "GIT_COMMITTER_EMAIL",
                format!("{}@example.com", person.to_lowercase()),
            )
            .env("XDG_DATA_HOME", &self.data)
            .envs(terraform().env.iter().map(|(k, v)| (k, v)));
        command
    }

    pub fn run(&self, person: &str, args: &[&str]) -> Output {
        self.command(person, args).output().expect("plandeck runs")
    }

    /// Runs and expects exit 0; returns stdout.
    pub fn ok(&self, person: &str, args: &[&str]) -> String {
        let out = self.run(person, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Runs as Bob and expects exit 1 with `why` on stderr; returns stdout.
    pub fn refused(&self, args: &[&str], why: &str) -> String {
        let out = self.run("Bob", args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(why),
            "{args:?}: {} lacks {why}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// `person` approves `root` of request/1, acknowledging `null_resource.app`.
    pub fn approve(&self, person: &str, root: &str) {
        self.ok(
            person,
            &[
                "approve",
                "request/1",
                "--root",
                root,
                "--ack",
                "null_resource.app",
            ],
        );
    }

    pub fn state_json(&self, name: &str) -> serde_json::Value {
        let bytes = std::fs::read(self.state.join(format!("{name}.tfstate"))).expect("state");
        serde_json::from_slice(&bytes).expect("json")
    }

    /// The `version` output recorded in state `name`.
    pub fn version(&self, name: &str) -> String {
        self.state_json(name)["outputs"]["version"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn audit(&self) -> Vec<serde_json::Value> {
        let out = self.ok("Bob", &["audit", "--format", "json"]);
        let records: serde_json::Value = serde_json::from_str(&out).expect("json");
        records.as_array().expect("array").clone()
    }

    pub fn entries(&self, action: &str) -> Vec<serde_json::Value> {
        self.audit()
            .into_iter()
            .filter(|r| r["action"] == action)
            .collect()
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A root with a variable, a local, a null_resource and outputs; `extra`
/// is appended (data sources, more outputs).
pub fn root_tf(state: &Path, name: &str, version: &str, extra: &str) -> String {
    format!(
        r#"{header}
variable "release" {{
  type    = string
  default = "{version}"
}}

locals {{
  label = "{name}-${{var.release}}"
}}

resource "null_resource" "app" {{
  triggers = {{
    label = local.label
  }}
}}

output "version" {{
  value = var.release
}}
{extra}"#,
        header = terraform_block(state, name)
    )
}

/// `roots` (path, extra) applied at version 1 on main; request/1 moves
/// those listed in `changed` to version 2. State files are named after
/// the root's path, `/` as `-`.
pub fn fixture(config: &str, roots: &[(&str, &str)], changed: &[&str]) -> Fixture {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    let tf = terraform();
    let name = |root: &str| root.replace('/', "-");
    for (root, extra) in roots {
        repo.write(
            &format!("{root}/main.tf"),
            &root_tf(&state, &name(root), "1", extra),
        );
    }
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("base", &[]);
    for (root, _) in roots {
        tf.apply(&repo.path.join(root));
    }
    repo.branch("request/1", "main");
    for (root, extra) in roots.iter().filter(|(r, _)| changed.contains(r)) {
        repo.write(
            &format!("{root}/main.tf"),
            &root_tf(&state, &name(root), "2", extra),
        );
    }
    if changed.is_empty() {
        repo.write("README.md", "docs only\n");
    }
    repo.commit_as("version 2", &[], ALICE, ALICE);
    repo.checkout("main");
    let fixture = Fixture::with_config(repo, state, config);
    if !changed.is_empty() {
        fixture.ok("Bob", &["plan", "request/1"]);
    }
    fixture
}
