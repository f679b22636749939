//! `plandeck plan`, `import-plan` and `requests` through the built binary,
//! on real git repositories and with the real Terraform 1.0.3 and null
//! provider: the plan lands in the store, the worktree is gone, the list
//! shows it, a new commit outdates it, and bad input is one line, exit 2.

mod support;

use plandeck::plan::{ActionCounts, load_plan};
use plandeck::source::PlanOrigin;
use plandeck::source::store::PlanStore;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{TestRepo, terraform};

const PLANS: &str = "tests/fixtures/corpus/plans";
const COSTS: &str = "tests/fixtures/corpus/cost";

const PROVIDER: &str = "terraform {\n  required_providers {\n    null = { source = \"hashicorp/null\", version = \"2.1.2\" }\n  }\n}\n";

/// dev1 on main: a resource to keep, one to replace (trigger), one to replace
/// create-before-destroy, one to delete, three by count, and an output.
fn dev1_main(version: &str, with_gone: bool, extra: bool) -> String {
    let mut tf = format!(
        "{PROVIDER}\
         resource \"null_resource\" \"keep\" {{\n  triggers = {{ v = \"1\" }}\n}}\n\
         resource \"null_resource\" \"replace\" {{\n  triggers = {{ v = \"{version}\" }}\n}}\n\
         resource \"null_resource\" \"swap\" {{\n  triggers = {{ v = \"{version}\" }}\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n\
         resource \"null_resource\" \"many\" {{\n  count    = 3\n  triggers = {{ i = count.index }}\n}}\n\
         output \"version\" {{\n  value = \"{version}\"\n}}\n"
    );
    if with_gone {
        tf.push_str("resource \"null_resource\" \"gone\" {}\n");
    }
    if extra {
        tf.push_str("resource \"null_resource\" \"new\" {}\n");
    }
    tf
}

struct Fixture {
    repo: TestRepo,
    config: PathBuf,
    /// TMPDIR of the plandeck runs: must be empty after each.
    tmp: PathBuf,
}

impl Fixture {
    /// A config file naming the Terraform 1.0.3 binary explicitly (the
    /// machine's PATH has another one).
    fn new(repo: TestRepo) -> Self {
        let tf = terraform();
        let config = repo.scratch("config").join("plandeck.toml");
        let toml = format!("[tofu]\nbinary = {:?}\n", tf.binary.display().to_string());
        std::fs::write(&config, toml).expect("config");
        let tmp = repo.scratch("tmp");
        Self { repo, config, tmp }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plandeck"));
        command
            .arg("--repo")
            .arg(&self.repo.path)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("TMPDIR", &self.tmp)
            .envs(terraform().env.iter().map(|(k, v)| (k, v)));
        command.output().expect("plandeck runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// Exit 2 and exactly one line `plandeck: …` on stderr; returns it.
    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("plandeck: "), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        stderr
    }

    fn requests_json(&self) -> Vec<Value> {
        let out = self.ok(&["requests", "--format", "json"]);
        serde_json::from_str(&out).expect("requests JSON")
    }

    fn store(&self) -> PlanStore {
        PlanStore::open(&self.repo.git_dir())
    }

    /// Only the main worktree is left, and no temporary directory.
    fn assert_clean(&self) {
        let worktrees = self.repo.git(&["worktree", "list", "--porcelain"]);
        assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
        let left: Vec<_> = std::fs::read_dir(&self.tmp).expect("tmp").collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn root_of<'a>(requests: &'a [Value], id: &str, root: &str) -> &'a Value {
    let request = requests
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {requests:?}"));
    request["roots"]
        .as_array()
        .expect("roots")
        .iter()
        .find(|r| r["path"] == root)
        .unwrap_or_else(|| panic!("{root} in {request}"))
}

/// main with two roots applied (state committed beside the config, local
/// backend), and `request/1` changing both.
fn applied_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".gitignore", ".terraform/\n");
    repo.write("apps/web/dev1/main.tf", &dev1_main("1", true, false));
    repo.write(
        "apps/web/prod1/main.tf",
        &format!("{PROVIDER}resource \"null_resource\" \"a\" {{}}\n"),
    );
    let tf = terraform();
    for root in ["apps/web/dev1", "apps/web/prod1"] {
        tf.apply(&repo.path.join(root));
    }
    repo.commit("Initial infrastructure, applied", &[]);
    repo.branch("request/1", "main");
    repo.commit(
        "Rotate web and add prod capacity",
        &[
            ("apps/web/dev1/main.tf", &dev1_main("2", false, true)),
            (
                "apps/web/prod1/main.tf",
                &format!("{PROVIDER}resource \"null_resource\" \"a\" {{}}\nresource \"null_resource\" \"b\" {{}}\n"),
            ),
        ],
    );
    repo.checkout("main");
    repo
}

#[test]
fn plan_stores_the_plan_lists_it_and_a_new_commit_outdates_it() {
    let started = std::time::Instant::now();
    let fx = Fixture::new(applied_repo());
    let head = fx.repo.rev("request/1");
    let stdout = fx.ok(&["plan", "request/1"]);
    fx.assert_clean();

    let store = fx.store();
    let stored = store
        .get("request/1", "apps/web/dev1")
        .expect("get")
        .expect("stored");
    assert_eq!(stored.origin, PlanOrigin::Planned);
    assert_eq!(stored.head, head);
    assert!(stored.plan_file.as_deref().is_some_and(Path::is_file));
    let plan = load_plan(&stored.plan_json).expect("the stored JSON loads");
    assert_eq!(plan.digest, stored.digest);
    let counts = ActionCounts::of(&plan.resource_changes);
    assert_eq!(
        (counts.create, counts.delete, counts.replace),
        (1, 1, 2),
        "{counts:?}"
    );
    assert_eq!(counts.no_op, 4);
    let kinds: Vec<(&str, &str)> = plan
        .resource_changes
        .iter()
        .map(|rc| (rc.address.as_str(), rc.change.kind.symbol()))
        .collect();
    assert!(kinds.contains(&("null_resource.swap", "+/-")), "{kinds:?}");
    assert!(
        kinds.contains(&("null_resource.replace", "-/+")),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("null_resource.gone", "-")), "{kinds:?}");
    assert!(plan.output_changes.iter().any(|o| o.name == "version"));

    let prod = store
        .get("request/1", "apps/web/prod1")
        .expect("get")
        .expect("stored");
    assert_eq!(
        stdout,
        format!(
            "apps/web/dev1  {}  +1 ~0 -1 ±2\napps/web/prod1  {}  +1 ~0 -0 ±0\n",
            stored.digest, prod.digest
        )
    );

    let requests = fx.requests_json();
    let dev1 = root_of(&requests, "request/1", "apps/web/dev1");
    assert_eq!(dev1["status"], "planned");
    assert_eq!(dev1["environment"], "dev");
    assert_eq!(dev1["digest"], stored.digest.as_str());
    assert_eq!(dev1["counts"]["replace"], 2);
    assert_eq!(dev1["risk"], "high");
    assert_eq!(
        root_of(&requests, "request/1", "apps/web/prod1")["environment"],
        "prod"
    );
    let listing = fx.ok(&["requests"]);
    assert!(
        listing.contains("apps/web/dev1 [dev] planned +1 ~0 -1 ±2 high"),
        "{listing}"
    );

    fx.repo.checkout("request/1");
    fx.repo
        .commit("Follow-up", &[("apps/web/dev1/notes.tf", "# notes\n")]);
    fx.repo.checkout("main");
    let requests = fx.requests_json();
    assert_eq!(
        root_of(&requests, "request/1", "apps/web/dev1")["status"],
        "outdated-plan"
    );

    // Re-planning one root only replaces that root's plan.
    let stdout = fx.ok(&["plan", "1", "--root", "apps/web/dev1"]);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    fx.assert_clean();
    let requests = fx.requests_json();
    assert_eq!(
        root_of(&requests, "request/1", "apps/web/dev1")["status"],
        "planned"
    );
    assert_eq!(
        root_of(&requests, "request/1", "apps/web/prod1")["status"],
        "outdated-plan"
    );
    eprintln!("terraform plan test took {:?}", started.elapsed());
}

#[test]
fn a_failing_plan_is_one_line_and_still_removes_the_worktree() {
    let repo = TestRepo::new();
    repo.commit("Root", &[("apps/web/dev1/main.tf", PROVIDER)]);
    repo.branch("request/2", "main");
    repo.commit(
        "Broken",
        &[("apps/web/dev1/main.tf", "resource \"null_resource\" {\n")],
    );
    // The operator's hooks do not run in plandeck's worktree.
    let marker = repo.scratch("hooks").join("ran");
    let hook = repo.git_dir().join("hooks/post-checkout");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).expect("hook");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let fx = Fixture::new(repo);
    let line = fx.fails(&["plan", "request/2"]);
    assert!(!marker.exists(), "the post-checkout hook ran");
    assert!(
        line.contains("apps/web/dev1: ") && line.contains(" init failed (exit code 1)"),
        "{line}"
    );
    fx.assert_clean();
    assert!(fx.store().list("request/2").expect("list").is_empty());
}

/// A repo with `request/3` touching two roots, no terraform needed.
fn import_fixture() -> Fixture {
    let repo = TestRepo::new();
    repo.commit(
        "Roots",
        &[
            ("apps/web/stage1/main.tf", "\n"),
            ("apps/web/prod1/main.tf", "\n"),
        ],
    );
    repo.branch("request/3", "main");
    repo.commit(
        "CI planned this",
        &[
            ("apps/web/stage1/main.tf", "# x\n"),
            ("apps/web/prod1/main.tf", "# x\n"),
        ],
    );
    repo.checkout("main");
    Fixture::new(repo)
}

#[test]
fn import_plan_with_a_plan_file_and_cost() {
    let fx = import_fixture();
    let plan = format!("{PLANS}/tfplan2md-azuredevops-plan1.json");
    let cost = format!("{COSTS}/infracost-diff-compare-to-format-json-golden.json");
    let binary = fx.repo.scratch("ci").join("plan.tfplan");
    std::fs::write(&binary, b"binary plan bytes").expect("plan file");
    let args = [
        "import-plan",
        "request/3",
        "--root",
        "apps/web/prod1",
        &plan,
    ];
    let binary_arg = binary.to_str().expect("utf-8");
    let stdout = fx.ok(&[&args[..], &["--cost", &cost, "--plan-file", binary_arg]].concat());
    let expected = load_plan(Path::new(&plan)).expect("corpus plan");
    assert_eq!(
        stdout,
        format!("apps/web/prod1  {}  +1 ~2 -1 ±0\n", expected.digest)
    );

    let stored = fx
        .store()
        .get("request/3", "apps/web/prod1")
        .expect("get")
        .expect("stored");
    assert_eq!(stored.origin, PlanOrigin::Imported);
    assert_eq!(stored.head, fx.repo.rev("request/3"));
    assert_eq!(stored.digest, expected.digest);
    let copied = std::fs::read(stored.plan_file.expect("plan file")).expect("read");
    assert_eq!(copied, b"binary plan bytes");
    assert!(stored.cost_json.is_some());

    let requests = fx.requests_json();
    let prod = root_of(&requests, "request/3", "apps/web/prod1");
    assert_eq!(prod["status"], "planned");
    assert_eq!(prod["origin"], "imported");
    assert_eq!(prod["currency"], "USD");
    // Rounded to cents, as in `summary --format json`.
    assert_eq!(prod["cost_delta"].to_string(), "-742.64", "{prod}");
    assert_eq!(
        root_of(&requests, "request/3", "apps/web/stage1")["status"],
        "no-plan"
    );
    let listing = fx.ok(&["requests"]);
    assert!(
        listing.contains("apps/web/prod1 [prod] planned +1 ~2 -1 ±0 high -$742.64/mo"),
        "{listing}"
    );
    assert!(
        listing.contains("apps/web/stage1 [stage] no plan"),
        "{listing}"
    );
}

#[test]
fn bad_input_exits_2_with_one_line_and_stores_nothing() {
    let fx = import_fixture();
    let plan = format!("{PLANS}/tfplan2md-azuredevops-plan1.json");
    let line = fx.fails(&["plan", "request/404"]);
    assert!(line.contains("no open request `request/404`"), "{line}");
    let line = fx.fails(&["plan", "3", "--root", "apps/web/dev9"]);
    assert!(
        line.contains("does not touch root `apps/web/dev9`"),
        "{line}"
    );
    assert!(line.contains("apps/web/prod1, apps/web/stage1"), "{line}");
    let line = fx.fails(&["import-plan", "3", "--root", "nope", &plan]);
    assert!(line.contains("does not touch root `nope`"), "{line}");

    let bad = fx.repo.scratch("ci").join("bad.json");
    std::fs::write(
        &bad,
        "{\"format_version\": \"1.2\", \"resource_changes\": [",
    )
    .expect("bad");
    let bad = bad.to_str().expect("utf-8");
    let line = fx.fails(&["import-plan", "3", "--root", "apps/web/prod1", bad]);
    assert!(line.contains(bad), "{line}");
    let line = fx.fails(&[
        "import-plan",
        "3",
        "--root",
        "apps/web/prod1",
        &plan,
        "--cost",
        &plan,
    ]);
    assert!(
        line.contains("tfplan2md-azuredevops-plan1.json: not an Infracost"),
        "{line}"
    );
    let missing = fx.fails(&[
        "import-plan",
        "3",
        "--root",
        "apps/web/prod1",
        "/nonexistent.json",
    ]);
    assert!(missing.contains("/nonexistent.json"), "{missing}");
    assert!(fx.store().list("request/3").expect("list").is_empty());

    let elsewhere = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .arg("--repo")
        .arg(elsewhere.path())
        .arg("--config")
        .arg(&fx.config)
        .arg("requests")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not a git repository"));
}

#[test]
fn the_list_escapes_hostile_branch_and_commit_text() {
    let repo = TestRepo::new();
    repo.commit("Root", &[("apps/web/dev1/main.tf", "\n")]);
    repo.branch("request/4-\u{202e}gnp", "main");
    repo.commit_as(
        "\u{1b}]0;owned\u{7}\u{1b}[2J title \u{202e}",
        &[("apps/web/dev1/main.tf", "# x\n")],
        ("Eve \u{9b}31m", "eve@example.com"),
        ("Eve", "eve@example.com"),
    );
    let fx = Fixture::new(repo);
    for format in ["text", "json"] {
        let out = fx.ok(&["requests", "--format", format]);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{9b}'),
            "{out:?}"
        );
        assert!(out.contains("request/4-"), "{out}");
    }
    let json: Vec<Value> =
        serde_json::from_str(&fx.ok(&["requests", "--format", "json"])).expect("json");
    assert_eq!(json[0]["id"], "request/4-\u{202e}gnp");
    assert_eq!(json[0]["number"], Value::Null);
    let listing = fx.ok(&["requests"]);
    assert!(listing.contains("request/4-\\u{202e}gnp!"), "{listing}");
    assert!(listing.contains("\\x1b]0;owned\\x07"), "{listing}");
}
