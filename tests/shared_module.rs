//! A request changing a shared local module and a dev root, with the real
//! Terraform 1.0.3 and null provider: the prod root that calls the module
//! is affected "via modules/shared", needs prod's two approvals, and its
//! author alone cannot apply (or merge) the request.

mod support;

use std::path::Path;
use support::apply::{ALICE, Fixture, terraform_block, text};
use support::{TestRepo, terraform};

const POLICY: &str = "[environments.dev]\nroots = [\"envs/dev*\"]\nrequired_approvals = 0\n\
                      auto_apply = true\n\
                      [environments.prod]\nroots = [\"envs/prod*\"]\nrequired_approvals = 2\n\
                      after = [\"dev\"]\n";

/// The module: one null_resource whose trigger is the revision.
fn module_tf(rev: &str) -> String {
    format!(
        r#"variable "release" {{
  type = string
}}

resource "null_resource" "shared" {{
  triggers = {{
    release = var.release
    rev     = "{rev}"
  }}
}}

output "rev" {{
  value = "{rev}"
}}
"#
    )
}

/// envs/prod: the module, its revision as the `version` output.
fn prod_tf(state: &Path) -> String {
    format!(
        r#"{header}
module "shared" {{
  source  = "../../modules/shared"
  release = "prod"
}}

output "version" {{
  value = module.shared.rev
}}
"#,
        header = terraform_block(state, "prod")
    )
}

/// envs/dev: a resource of its own, no module.
fn dev_tf(state: &Path, version: &str) -> String {
    format!(
        r#"{header}
resource "null_resource" "app" {{
  triggers = {{
    version = "{version}"
  }}
}}

output "version" {{
  value = "{version}"
}}
"#,
        header = terraform_block(state, "dev")
    )
}

/// Both roots applied at revision 1 on main; request/1 (Alice's) moves the
/// module and dev to 2, and is planned.
fn fixture() -> Fixture {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    repo.write("modules/shared/main.tf", &module_tf("1"));
    repo.write("envs/prod/main.tf", &prod_tf(&state));
    repo.write("envs/dev/main.tf", &dev_tf(&state, "1"));
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("base", &[]);
    for root in ["envs/prod", "envs/dev"] {
        terraform().apply(&repo.path.join(root));
    }
    repo.branch("request/1", "main");
    repo.write("modules/shared/main.tf", &module_tf("2"));
    repo.write("envs/dev/main.tf", &dev_tf(&state, "2"));
    repo.commit_as("shared module rev 2, dev 2", &[], ALICE, ALICE);
    repo.checkout("main");
    let fx = Fixture::with_config(repo, state, POLICY);
    let planned = fx.ok("Alice", &["plan", "request/1"]);
    assert!(
        planned.contains("envs/dev  sha256:") && planned.contains("envs/prod  sha256:"),
        "both roots planned:\n{planned}"
    );
    fx
}

#[test]
fn a_shared_module_change_needs_the_callers_approvals() {
    let fx = fixture();

    // The list says why prod is part of the request.
    let list = fx.ok("Bob", &["requests"]);
    assert!(
        list.contains("envs/prod [prod] via modules/shared planned"),
        "{list}"
    );
    assert!(list.contains("envs/dev [dev] planned"), "{list}");
    assert!(
        !list.contains("modules/shared ["),
        "the module is no root: {list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fx.ok("Bob", &["requests", "--format", "json"])).expect("json");
    let roots = json[0]["roots"].as_array().expect("roots");
    let paths: Vec<&str> = roots.iter().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(paths, ["envs/dev", "envs/prod"]);
    assert_eq!(roots[0]["via"], serde_json::json!([]));
    assert_eq!(roots[1]["via"], serde_json::json!(["modules/shared"]));
    assert_eq!(roots[1]["environment"], "prod");

    let status = fx.ok("Alice", &["status", "request/1"]);
    assert!(
        status.contains("request/1 envs/prod [prod] via modules/shared: not ready (0/2 approvals)"),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fx.ok("Alice", &["status", "request/1", "--format", "json"]))
            .expect("json");
    assert_eq!(json[1]["root"], "envs/prod");
    assert_eq!(json[1]["via"], serde_json::json!(["modules/shared"]));

    // The author alone: dev (auto-apply) applies, prod is refused, nothing
    // is merged and prod keeps revision 1.
    let main_before = fx.repo.rev("main");
    let out = fx.run("Alice", &["apply", "request/1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("refused: envs/prod: approvals: 0/2 approvals in prod"),
        "{stderr}"
    );
    assert_eq!(fx.version("dev"), "2");
    assert_eq!(fx.version("prod"), "1");
    assert_eq!(fx.repo.rev("main"), main_before, "not merged");

    // The author's own approval is refused; one other approval is not enough.
    let ack = ["--ack", "module.shared.null_resource.shared"];
    let approve = |person: &str| {
        let mut args = vec!["approve", "request/1", "--root", "envs/prod"];
        args.extend(ack);
        fx.run(person, &args)
    };
    let own = approve("Alice");
    assert_eq!(own.status.code(), Some(1), "{}", text(&own.stdout));
    assert!(text(&own.stderr).contains("a second engineer must approve"));
    assert!(approve("Bob").status.success());
    let status = fx.ok("Alice", &["status", "request/1"]);
    assert!(status.contains("not ready (1/2 approvals)"), "{status}");

    // With prod's two approvals the request applies and merges.
    assert!(approve("Carol").status.success());
    let out = fx.ok("Alice", &["apply", "request/1"]);
    assert!(out.contains("request/1 applied and merged"), "{out}");
    assert_eq!(fx.version("prod"), "2");
    assert_ne!(fx.repo.rev("main"), main_before);
}
