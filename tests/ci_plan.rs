//! `plandeck ci plan` (#12 point 3) as the pull request workflow runs it:
//! in a real clone, with real Terraform and the null provider, against the
//! emulated GitHub. It plans each affected root (never an unaffected one)
//! into its artifact folder, posts the summary comment once and then
//! updates it, sets one status per root and writes the step's `roots`
//! output; a failing root gives exit 1 with the others still written; bad
//! input is exit 2 in one line; a hostile artifact name never escapes --out.

mod support;

#[path = "support/github.rs"]
mod emulator;

use emulator::{GitHub, Pull, TOKEN};
use std::path::{Path, PathBuf};
use std::process::Output;
use support::apply::{root_tf, text};
use support::{TestRepo, terraform};

const REPO: &str = "octo-org/infra";
const WEB: &str = "apps/web/prod";
const API: &str = "apps/api/prod";
const DB: &str = "apps/db/prod";
const CONFIG: &str = "[source]\nroots = [\"apps/*/*\"]\n";

struct Setup {
    repo: TestRepo,
    github: GitHub,
    head: String,
    /// Outside the checkout: the operator's config, event and output files.
    home: PathBuf,
}

/// Three roots on main; pull request #7 changes web and api (api broken
/// when `broken`), db untouched.
fn setup(broken: bool, files: &[&str]) -> Setup {
    let repo = TestRepo::new();
    let state = repo.scratch("state");
    for (root, name) in [(WEB, "web"), (API, "api"), (DB, "db")] {
        repo.write(&format!("{root}/main.tf"), &root_tf(&state, name, "1", ""));
    }
    repo.write(".gitignore", ".terraform/\n.terraform.lock.hcl\n");
    repo.commit("base", &[]);
    repo.branch("feature/7", "main");
    repo.write(&format!("{WEB}/main.tf"), &root_tf(&state, "web", "2", ""));
    let api_extra = if broken {
        "output \"x\" {\n  value = var.nowhere\n}\n"
    } else {
        ""
    };
    repo.write(
        &format!("{API}/main.tf"),
        &root_tf(&state, "api", "2", api_extra),
    );
    repo.write("README.md", "notes\n");
    let head = repo.commit("version 2", &[]);
    let github = GitHub::start(REPO);
    let mut pull = Pull::new(7, files);
    pull.head_sha = head.clone();
    pull.head_ref = "feature/7".into();
    github.add(pull);
    github.with(|s| {
        s.branches.push(("main".into(), repo.rev("main")));
        s.branches.push(("feature/7".into(), head.clone()));
    });
    let home = repo.scratch("home");
    std::fs::write(home.join("ci.toml"), CONFIG).expect("config");
    std::fs::write(home.join("event.json"), r#"{"pull_request":{"number":7}}"#).expect("event");
    Setup {
        repo,
        github,
        head,
        home,
    }
}

fn both() -> Setup {
    setup(
        false,
        &[&format!("{WEB}/main.tf"), &format!("{API}/main.tf")],
    )
}

impl Setup {
    fn out(&self) -> PathBuf {
        self.home.join("plans")
    }

    /// `plandeck --config HOME/ci.toml ci plan --out HOME/plans ARGS`.
    fn ci_plan(&self, args: &[&str]) -> Output {
        let config = self.home.join("ci.toml");
        self.run(&["--config", &config.to_string_lossy()], args)
    }

    fn run(&self, before: &[&str], args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_plandeck"))
            .current_dir(&self.repo.path)
            .args(before)
            .args(["ci", "plan", "--out", &self.out().to_string_lossy()])
            .args(args)
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_API_URL", self.github.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_EVENT_PATH", self.home.join("event.json"))
            .env("GITHUB_OUTPUT", self.home.join("output"))
            .env_remove("GH_TOKEN")
            .env("XDG_DATA_HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.home)
            .env("HOME", &self.home)
            .envs(terraform().env.iter().map(|(k, v)| (k, v)))
            .env("PATH", path_with_terraform())
            .output()
            .expect("plandeck runs")
    }

    fn folder(&self, root: &str) -> PathBuf {
        self.out()
            .join(format!("plandeck-plan-{}", root.replace('/', "__")))
    }

    /// The `roots` output lines written so far, parsed.
    fn outputs(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.home.join("output")).unwrap_or_default();
        text.lines()
            .map(|line| {
                let json = line.strip_prefix("roots=").expect("roots=");
                assert!(!json.contains(' '), "compact: {json}");
                serde_json::from_str(json).expect("json")
            })
            .collect()
    }

    fn posted(&self, method: &str, fragment: &str) -> usize {
        self.github.with(|s| {
            s.log
                .iter()
                .filter(|l| l.method == method && l.path_and_query.contains(fragment))
                .count()
        })
    }
}

fn ok(out: &Output) -> String {
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    stdout
}

/// `terraform` on PATH for `choose_binary` (no `tofu` here).
fn path_with_terraform() -> std::ffi::OsString {
    let dir = terraform().binary.parent().expect("dir").to_path_buf();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

fn digest_of(json: &str) -> String {
    plandeck::plan::parse_plan_text(std::sync::Arc::new(json.to_string()))
        .expect("plan")
        .digest
}

/// `terraform show -json` of a plan file, in `root` of `commit` initialised.
fn show(repo: &TestRepo, commit: &str, root: &str, plan_file: &Path) -> String {
    let dir = repo.scratch("show").join("tree");
    let tree = dir.to_string_lossy().into_owned();
    repo.git(&["worktree", "add", "--detach", "-q", &tree, commit]);
    let tf = terraform();
    tf.run(&dir.join(root), &["init", "-input=false", "-no-color"]);
    let json = tf.run(
        &dir.join(root),
        &["show", "-json", &plan_file.to_string_lossy()],
    );
    repo.git(&["worktree", "remove", "--force", "--force", &tree]);
    json
}

#[test]
fn plans_each_affected_root_into_its_artifact_folder_and_publishes() {
    let s = both();
    let stdout = ok(&s.ci_plan(&[]));
    for root in [WEB, API] {
        let folder = s.folder(root);
        let plan_json = std::fs::read_to_string(folder.join("plan.json")).expect("plan.json");
        let digest = digest_of(&plan_json);
        assert!(
            stdout.contains(&format!("{root}: planned {digest}")),
            "{stdout}"
        );
        // The binary plan is the one plan.json shows.
        let shown = show(&s.repo, &s.head, root, &folder.join("tfplan"));
        assert_eq!(digest_of(&shown), digest, "{root}");
        assert!(!folder.join("cost.json").exists());
    }
    // db is not affected: not planned.
    assert!(!s.folder(DB).exists());
    assert!(!stdout.contains(DB), "{stdout}");
    let roots = s.outputs();
    assert_eq!(
        roots,
        [serde_json::json!([
            {"root": API, "artifact": "plandeck-plan-apps__api__prod"},
            {"root": WEB, "artifact": "plandeck-plan-apps__web__prod"},
        ])]
    );
    // One status per root, on the head: not approved yet.
    let statuses = s.github.with(|st| st.statuses.clone());
    let mut contexts: Vec<&str> = statuses.iter().map(|st| st.context.as_str()).collect();
    contexts.sort_unstable();
    assert_eq!(
        contexts,
        ["plandeck/apps/api/prod", "plandeck/apps/web/prod"]
    );
    for status in &statuses {
        assert_eq!(status.sha, s.head);
        assert_eq!(status.state, "failure", "{status:?}");
        assert!(status.description.contains("approvals"), "{status:?}");
    }
    // The comment shows the fresh plans.
    let comments = s.github.with(|st| st.comments.clone());
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains(WEB) && comments[0].body.contains(API));
    assert!(
        !comments[0].body.contains("no plan"),
        "{}",
        comments[0].body
    );
    // Planned in a private worktree, removed after.
    let worktrees = s.repo.git(&["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
}

#[test]
fn the_comment_is_posted_once_then_updated_in_place() {
    let s = setup(false, &[&format!("{WEB}/main.tf")]);
    assert!(ok(&s.ci_plan(&[])).contains("comment created on pull/7"));
    assert!(ok(&s.ci_plan(&["--request", "7"])).contains("comment updated on pull/7"));
    assert_eq!(s.github.with(|st| st.comments.len()), 1);
    assert_eq!(s.posted("POST", "/issues/7/comments"), 1);
    assert_eq!(s.posted("PATCH", "/issues/comments/"), 1);
    assert_eq!(s.outputs().len(), 2);
}

#[test]
fn a_failing_root_exits_1_and_the_others_are_still_written_and_published() {
    let s = setup(
        true,
        &[&format!("{WEB}/main.tf"), &format!("{API}/main.tf")],
    );
    let out = s.ci_plan(&[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{stderr}", text(&out.stdout));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("the plan failed for 1 of 2 roots: apps/api/prod"),
        "{stderr}"
    );
    assert!(s.folder(WEB).join("plan.json").is_file());
    assert!(!s.folder(API).exists());
    assert_eq!(
        s.outputs(),
        [serde_json::json!([{"root": WEB, "artifact": "plandeck-plan-apps__web__prod"}])]
    );
    let statuses = s.github.with(|st| st.statuses.clone());
    let api = statuses
        .iter()
        .find(|st| st.context == "plandeck/apps/api/prod")
        .expect("api");
    assert_eq!(api.state, "failure");
    assert!(api.description.contains("plan failed"), "{api:?}");
    assert_eq!(s.github.with(|st| st.comments.len()), 1);
}

#[test]
fn no_root_affected_writes_an_empty_roots_output_and_publishes_nothing() {
    let s = setup(false, &["README.md"]);
    let stdout = ok(&s.ci_plan(&[]));
    assert!(stdout.contains("no root affected"), "{stdout}");
    assert_eq!(s.outputs(), [serde_json::json!([])]);
    assert!(!s.out().exists());
    assert_eq!(s.github.with(|st| st.comments.len() + st.statuses.len()), 0);
}

#[test]
fn the_cost_estimate_of_a_root_goes_into_its_folder_and_a_bad_one_is_refused() {
    let s = setup(false, &[&format!("{WEB}/main.tf")]);
    let costs = s.home.join("costs");
    std::fs::create_dir(&costs).expect("costs");
    let cost = r#"{"version":"0.2","currency":"USD","projects":[{"name":"web","breakdown":{"resources":[{"name":"null_resource.app","monthlyCost":"12.5"}],"totalMonthlyCost":"12.5"}}],"totalMonthlyCost":"12.5"}"#;
    let file = costs.join("plandeck-plan-apps__web__prod.json");
    std::fs::write(&file, cost).expect("cost");
    ok(&s.ci_plan(&["--cost-dir", &costs.to_string_lossy()]));
    assert_eq!(
        std::fs::read_to_string(s.folder(WEB).join("cost.json")).expect("cost.json"),
        cost
    );
    // A cost file that does not read: bad input, nothing planned or posted.
    std::fs::remove_dir_all(s.out()).expect("clean");
    std::fs::write(&file, r#"{"projects": 3}"#).expect("cost");
    let out = s.ci_plan(&["--cost-dir", &costs.to_string_lossy()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("plandeck-plan-apps__web__prod.json"),
        "{stderr}"
    );
    assert!(!s.out().exists());
}

#[test]
fn bad_events_request_numbers_and_paths_inside_the_checkout_are_exit_2_in_one_line() {
    let s = setup(false, &[&format!("{WEB}/main.tf")]);
    let event = s.home.join("event.json");
    let inside = s.repo.path.join("loose.toml");
    std::fs::write(&inside, CONFIG).expect("inside");
    let cases: [(&str, &[&str], &str); 10] = [
        ("not json", &[], "not JSON"),
        ("{}", &[], "no .pull_request.number"),
        (
            r#"{"pull_request":{"number":"7"}}"#,
            &[],
            "not a pull request number",
        ),
        (
            r#"{"pull_request":{"number":-7}}"#,
            &[],
            "not a pull request number",
        ),
        (
            r#"{"pull_request":{"number":"\u001b[31m"}}"#,
            &[],
            "not a pull request",
        ),
        ("", &[], "not JSON"),
        ("{}", &["--request", "x\u{1b}[31m"], "--request"),
        ("{}", &["--request", "0"], "--request"),
        (
            "{}",
            &["--request", "7", "--cost-dir", "."],
            "inside the checkout",
        ),
        (
            "{}",
            &["--request", "7", "--config", "loose.toml"],
            "inside the checkout",
        ),
    ];
    for (text_of_event, args, why) in cases {
        std::fs::write(&event, text_of_event).expect("event");
        let out = s.ci_plan(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    }
    std::fs::remove_file(&event).expect("rm");
    let out = s.ci_plan(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the event"));
    assert!(!s.out().exists());
    assert_eq!(s.github.with(|st| st.comments.len() + st.statuses.len()), 0);
}

#[test]
fn a_hostile_artifact_name_never_writes_outside_out() {
    let s = both();
    // The operator's artifact name climbs out of --out for every root.
    let config = "[source]\nroots = [\"apps/*/*\"]\n[github]\nplan_artifact = \"../{root}\"\n";
    std::fs::write(s.home.join("ci.toml"), config).expect("config");
    let out = s.ci_plan(&[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("is not one plain file name"), "{stdout}");
    assert_eq!(s.outputs(), [serde_json::json!([])]);
    let written: Vec<_> = std::fs::read_dir(&s.home)
        .expect("home")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("apps"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
    // A root named `..` by the pull request's files, artifact `{root}`.
    let s = setup(false, &["../main.tf", "x\u{1b}]0;t\u{7}/a.tf"]);
    let config = "[source]\nroots = [\"*\"]\n[github]\nplan_artifact = \"{root}\"\n";
    std::fs::write(s.home.join("ci.toml"), config).expect("config");
    let out = s.ci_plan(&[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("..: plan failed: artifact name \"..\""),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "{stdout:?}{stderr:?}"
    );
    assert!(!s.home.join("plan.json").exists() && !s.repo.path.join("plan.json").exists());
}
