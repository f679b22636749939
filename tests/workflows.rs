//! The example GitHub Actions workflows in `assets/github/`: actionlint
//! (tests/support/actionlint.rs) accepts both and rejects broken copies of
//! them; a text scan checks what plandeck relies on (the apply workflow's four
//! required inputs, its concurrency group per root, `plandeck ci apply` with
//! the four flags, `plandeck ci plan` and one artifact per root) and that no
//! `${{ }}` naming `inputs` or `github.event` is written into a `run:` script,
//! where Actions would paste it into the shell (script injection).

mod support;

use support::actionlint;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

const PLAN: &str = "plandeck-plan.yml";
const APPLY: &str = "plandeck-apply.yml";

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/github")
        .join(name)
}

fn read(name: &str) -> String {
    let path = asset(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// actionlint

#[test]
fn actionlint_accepts_both_workflows() {
    let (plan, apply) = (asset(PLAN), asset(APPLY));
    let lint = actionlint::actionlint().check(&[&plan, &apply]);
    assert_eq!(
        lint.code,
        Some(0),
        "actionlint {} on {PLAN} and {APPLY}:\n{}",
        actionlint::VERSION,
        lint.report()
    );
    assert!(
        lint.stdout.contains("actionlint: 2 file(s), 0 problem(s)"),
        "{}",
        lint.report()
    );
}

/// The negative control: each copy has one defect, and actionlint must name
/// it (exit 1, its message), so a linter that does not run cannot pass.
#[test]
fn actionlint_rejects_broken_copies() {
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            APPLY,
            "    runs-on: ubuntu-latest\n",
            "    runs-on: ubuntu-latest\n    run-on-failure: true\n",
            "unexpected key \"run-on-failure\"",
        ),
        (
            PLAN,
            "${{ fromJSON(needs.plan.outputs.roots) }}",
            "${{ fromJSON(needs.plan.outputs.roots }}",
            "[expression]",
        ),
        (
            PLAN,
            "    needs: plan\n",
            "    needs: plans\n",
            "needs job \"plans\" which does not exist",
        ),
        (
            PLAN,
            "--out plans\n",
            "--out plans/${{ github.event.pull_request.head.ref }}\n",
            "potentially untrusted",
        ),
    ];
    // One run for all of them: loading the linter takes seconds.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut copies = Vec::new();
    for (index, (name, anchor, replacement, expected)) in cases.into_iter().enumerate() {
        let text = read(name);
        assert!(
            text.contains(anchor),
            "{name} no longer has {anchor:?}: update the negative control"
        );
        let case = dir.path().join(index.to_string());
        std::fs::create_dir(&case).expect("case dir");
        let broken = case.join(name);
        std::fs::write(&broken, text.replacen(anchor, replacement, 1)).expect("broken copy");
        copies.push((broken, replacement, expected));
    }
    let files: Vec<&Path> = copies.iter().map(|(path, ..)| path.as_path()).collect();
    let lint = actionlint::actionlint().check(&files);
    assert_eq!(
        lint.code,
        Some(1),
        "actionlint should reject every broken copy:\n{}",
        lint.report()
    );
    for (broken, replacement, expected) in &copies {
        let prefix = format!("{}:", broken.display());
        assert!(
            lint.stdout
                .lines()
                .any(|line| line.starts_with(&prefix) && line.contains(expected)),
            "actionlint should say {expected:?} of {} with {replacement:?}:\n{}",
            broken.display(),
            lint.report()
        );
    }
}

// ---------------------------------------------------------------------------
// Script injection

/// What, inside `${{ }}`, names data a person other than the repository's
/// maintainers chooses: dispatch inputs and the event payload.
const UNTRUSTED: [&str; 4] = ["inputs.", "inputs[", "github.event.", "github.event["];

/// Every `run:` script: (1-based line number, text) of the rest of the `run:`
/// line and of each line nested deeper than the `run` key (a `|` or `>`
/// block, or a plain scalar that goes on).
fn run_scripts(text: &str) -> Vec<Vec<(usize, &str)>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut scripts = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let Some(key) = split_key(line) else {
            continue;
        };
        if key.key != "run" {
            continue;
        }
        let mut script = vec![(at + 1, key.raw_value)];
        script.extend(nested(&lines, at, key.col).map(|i| (i + 1, lines[i])));
        scripts.push(script);
    }
    scripts
}

/// The lines (1-based) of `run:` scripts with an untrusted `${{ }}`, and the
/// expression.
fn injections(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for script in run_scripts(text) {
        for (number, line) in script {
            let mut rest = line;
            while let Some(start) = rest.find("${{") {
                let expression = &rest[start + 3..];
                let end = expression.find("}}").unwrap_or(expression.len());
                let inner = &expression[..end];
                if UNTRUSTED.iter().any(|u| inner.contains(u)) {
                    found.push((number, inner.trim().to_string()));
                }
                rest = &expression[end..];
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_untrusted_expression_in_run_scripts() {
    for name in [PLAN, APPLY] {
        let text = read(name);
        assert!(
            run_scripts(&text).len() >= 2,
            "{name}: the scanner found no run: scripts"
        );
        let found = injections(&text);
        assert!(
            found.is_empty(),
            "{name}: pass these to the script through env: and quote them: {found:?}"
        );
    }
}

/// The scanner itself on a small bad sample: it flags expressions in block,
/// folded and inline scripts (shell comments too: Actions expands those as
/// well), and not the keys beside or after a script.
#[test]
fn injection_scanner_flags_a_bad_sample() {
    const SAMPLE: &str = r##"on: workflow_dispatch
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - name: through env, then straight in
        env:
          ROOT: ${{ inputs.root }}
        run: |
          echo "$ROOT"
          tofu -chdir=${{ inputs.root }} apply

          # ${{ github.event.pull_request.title }}
        working-directory: ${{ inputs.root }}
      - run: echo ${{ github.event.pull_request.title }}
      - run: >-
          echo ${{ github.sha }}
          ${{ format('{0}', inputs['digest']) }}
      - uses: actions/checkout@v4
        with:
          ref: ${{ inputs.head }}
"##;
    assert_eq!(run_scripts(SAMPLE).len(), 3);
    let lines: Vec<usize> = injections(SAMPLE).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [11, 13, 15, 18], "{:?}", injections(SAMPLE));
    // The real workflows, spoiled the same way, fail the real check.
    let spoiled = read(APPLY).replacen("\"$ROOT\"", "\"${{ inputs.root }}\"", 1);
    assert!(!injections(&spoiled).is_empty());
    let spoiled = read(PLAN).replacen("--out plans", "--out ${{ github.event.number }}", 1);
    assert!(!injections(&spoiled).is_empty());
}

// ---------------------------------------------------------------------------
// A little YAML by indentation (no YAML crate here): enough for these files.

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line with YAML content: not blank, not only a comment.
fn is_content(line: &str) -> bool {
    let text = line.trim_start();
    !text.is_empty() && !text.starts_with('#')
}

struct Key<'a> {
    /// The key's column, past any `- ` sequence markers.
    col: usize,
    key: &'a str,
    /// The value as written, comment included.
    raw_value: &'a str,
}

impl<'a> Key<'a> {
    /// The value without a trailing ` # comment`.
    fn value(&self) -> &'a str {
        let value = self.raw_value.trim();
        value.find(" #").map_or(value, |i| value[..i].trim_end())
    }
}

/// `KEY: VALUE` (or `- KEY: VALUE`) on a content line.
fn split_key(line: &str) -> Option<Key<'_>> {
    if !is_content(line) {
        return None;
    }
    let mut col = indent(line);
    let mut rest = &line[col..];
    while let Some(after) = rest.strip_prefix("- ") {
        let trimmed = after.trim_start_matches(' ');
        col += rest.len() - trimmed.len();
        rest = trimmed;
    }
    let (key, raw_value) = match rest.split_once(": ") {
        Some((key, value)) => (key, value),
        None => (rest.strip_suffix(':')?, ""),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Key {
        col,
        key,
        raw_value,
    })
}

/// The lines after `at` nested under its key at `col`: up to the next content
/// line indented no deeper than `col`.
fn nested(lines: &[&str], at: usize, col: usize) -> Range<usize> {
    let end = lines[at + 1..]
        .iter()
        .position(|line| is_content(line) && indent(line) <= col)
        .map_or(lines.len(), |p| at + 1 + p);
    at + 1..end
}

struct Entry<'a> {
    key: &'a str,
    value: &'a str,
    /// The lines nested under it.
    body: Range<usize>,
}

struct Workflow {
    name: &'static str,
    text: String,
}

impl Workflow {
    fn load(name: &'static str) -> Self {
        Self {
            name,
            text: read(name),
        }
    }

    fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }

    /// The keys of the mapping in `range`: those at the column of its first
    /// key (in a sequence, every item's keys).
    fn entries(&self, range: Range<usize>) -> Vec<Entry<'_>> {
        let lines = self.lines();
        let Some(col) = range
            .clone()
            .find_map(|i| split_key(lines[i]))
            .map(|key| key.col)
        else {
            return Vec::new();
        };
        range
            .filter_map(|i| {
                let key = split_key(lines[i])?;
                (key.col == col).then(|| Entry {
                    key: key.key,
                    value: key.value(),
                    body: nested(&lines, i, col),
                })
            })
            .collect()
    }

    /// The entry at `path` from the top, or `None`.
    fn find(&self, path: &[&str]) -> Option<Entry<'_>> {
        let mut range = 0..self.text.lines().count();
        let mut found = None;
        for step in path {
            let entry = self.entries(range).into_iter().find(|e| e.key == *step)?;
            range = entry.body.clone();
            found = Some(entry);
        }
        found
    }

    fn get(&self, path: &[&str]) -> Entry<'_> {
        self.find(path)
            .unwrap_or_else(|| panic!("{}: no {}", self.name, path.join(".")))
    }

    fn value(&self, path: &[&str]) -> &str {
        self.get(path).value
    }

    /// The mapping at `path` as key → value.
    fn map(&self, path: &[&str]) -> BTreeMap<&str, &str> {
        self.entries(self.get(path).body)
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    /// The steps of `job`, each as its lines.
    fn steps(&self, job: &str) -> Vec<Step<'_>> {
        let lines = self.lines();
        let body = self.get(&["jobs", job, "steps"]).body;
        let starts: Vec<usize> = body
            .clone()
            .filter(|&i| is_content(lines[i]) && lines[i].trim_start().starts_with("- "))
            .collect();
        let Some(item) = starts.first().map(|&i| indent(lines[i])) else {
            return Vec::new();
        };
        let starts: Vec<usize> = starts
            .into_iter()
            .filter(|&i| indent(lines[i]) == item)
            .collect();
        starts
            .iter()
            .enumerate()
            .map(|(n, &start)| Step {
                workflow: self,
                range: start..starts.get(n + 1).copied().unwrap_or(body.end),
            })
            .collect()
    }

    /// The one step of `job` that `matches`.
    fn step(&self, job: &str, what: &str, matches: impl Fn(&Step) -> bool) -> Step<'_> {
        let mut found: Vec<Step> = self.steps(job).into_iter().filter(|s| matches(s)).collect();
        assert_eq!(
            found.len(),
            1,
            "{}: job {job} should have one step that {what}",
            self.name
        );
        found.remove(0)
    }
}

struct Step<'a> {
    workflow: &'a Workflow,
    range: Range<usize>,
}

impl<'a> Step<'a> {
    fn entries(&self) -> Vec<Entry<'a>> {
        self.workflow.entries(self.range.clone())
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.entries()
            .into_iter()
            .find(|e| e.key == key)
            .map(|e| e.value)
    }

    fn uses(&self, action: &str) -> bool {
        self.get("uses")
            .is_some_and(|uses| uses.starts_with(&format!("{action}@")))
    }

    /// The mapping under `key` (`with`, `env`) as key → value.
    fn map(&self, key: &str) -> BTreeMap<&'a str, &'a str> {
        self.entries()
            .into_iter()
            .find(|e| e.key == key)
            .map(|e| {
                self.workflow
                    .entries(e.body)
                    .into_iter()
                    .map(|e| (e.key, e.value))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `run:` script, one string.
    fn script(&self) -> String {
        let lines = self.workflow.lines();
        let Some(run) = self.entries().into_iter().find(|e| e.key == "run") else {
            return String::new();
        };
        let mut script = String::from(run.value);
        for i in run.body {
            script.push('\n');
            script.push_str(lines[i].trim());
        }
        script
    }
}

fn permissions(pairs: &[(&'static str, &'static str)]) -> BTreeMap<&'static str, &'static str> {
    pairs.iter().copied().collect()
}

/// Both workflows install plandeck from the pinned commit in the repository
/// variables, and OpenTofu without its output wrapper.
fn check_install(workflow: &Workflow, job: &str) {
    let install = workflow.step(job, "runs cargo install", |s| {
        s.script().contains("cargo install")
    });
    assert!(
        install.script().contains(
            "cargo install --locked --git \"$PLANDECK_GIT\" --rev \"$PLANDECK_REV\" plandeck"
        ),
        "{}: {}",
        workflow.name,
        install.script()
    );
    let env = install.map("env");
    assert_eq!(env.get("PLANDECK_GIT"), Some(&"${{ vars.PLANDECK_GIT }}"));
    assert_eq!(env.get("PLANDECK_REV"), Some(&"${{ vars.PLANDECK_REV }}"));
    assert!(
        workflow.text.contains("pin a full commit SHA"),
        "{}: tell the operator to pin a commit",
        workflow.name
    );
    let tofu = workflow.step(job, "sets up OpenTofu", |s| {
        s.uses("opentofu/setup-opentofu")
    });
    assert_eq!(tofu.map("with").get("tofu_wrapper"), Some(&"false"));
}

// ---------------------------------------------------------------------------
// The apply workflow

#[test]
fn apply_workflow_takes_the_four_inputs_and_applies_one_root_at_a_time() {
    let apply = Workflow::load(APPLY);
    const INPUTS: [&str; 4] = ["request", "root", "head", "digest"];
    let inputs = apply.get(&["on", "workflow_dispatch", "inputs"]);
    let names: Vec<&str> = apply.entries(inputs.body).iter().map(|e| e.key).collect();
    assert_eq!(names, INPUTS);
    for name in INPUTS {
        let input = apply.map(&["on", "workflow_dispatch", "inputs", name]);
        assert_eq!(input.get("required"), Some(&"true"), "input {name}");
        assert_eq!(input.get("type"), Some(&"string"), "input {name}");
        assert!(
            input.get("description").is_some_and(|d| !d.is_empty()),
            "input {name} needs a description"
        );
    }

    // The run's title is how plandeck finds a run and reads what a
    // successful one applied: it must render exactly as plandeck parses it.
    let mut title = apply.value(&["run-name"]).to_string();
    for (name, value) in [
        ("root", "infra@prod"),
        ("request", "42"),
        ("head", "0123456789abcdef0123456789abcdef01234567"),
        ("digest", "sha256:ab12"),
    ] {
        title = title.replace(&format!("${{{{ inputs.{name} }}}}"), value);
    }
    assert_eq!(
        title,
        plandeck::domain::apply_run_title(
            "infra@prod",
            "42",
            "0123456789abcdef0123456789abcdef01234567",
            "sha256:ab12"
        )
    );

    let group = apply.value(&["concurrency", "group"]);
    assert!(
        group.starts_with("plandeck-apply-") && group.contains("inputs.root"),
        "{group}"
    );
    assert_eq!(apply.value(&["concurrency", "cancel-in-progress"]), "false");
    assert_eq!(
        apply.map(&["permissions"]),
        permissions(&[
            ("contents", "read"),
            ("pull-requests", "read"),
            ("statuses", "write"),
            ("actions", "read")
        ])
    );
    assert!(apply.find(&["jobs", "apply", "permissions"]).is_none());
    // Environment protection is offered, commented out.
    assert!(apply.find(&["jobs", "apply", "environment"]).is_none());
    assert!(apply.text.contains("# environment: "));

    let checkout = apply.step("apply", "checks out", |s| s.uses("actions/checkout"));
    assert_eq!(checkout.map("with").get("ref"), Some(&"${{ inputs.head }}"));
    check_install(&apply, "apply");

    // `plandeck ci apply` with the four flags, each a quoted variable that
    // the step's env sets from the input of the same name.
    let step = apply.step("apply", "runs plandeck ci apply", |s| {
        s.script().contains("plandeck ci apply")
    });
    let script = step.script();
    let env = step.map("env");
    for name in INPUTS {
        let flag = format!("--{name} \"$");
        let at = script
            .find(&flag)
            .unwrap_or_else(|| panic!("no {flag}VAR\" in {script}"));
        let rest = &script[at + flag.len()..];
        let variable = &rest[..rest.find('"').expect("closing quote")];
        assert_eq!(
            env.get(variable).copied(),
            Some(format!("${{{{ inputs.{name} }}}}").as_str()),
            "env {variable} of the apply step"
        );
    }
    assert_eq!(env.get("GITHUB_TOKEN"), Some(&"${{ github.token }}"));
    assert!(script.contains("GITHUB_STEP_SUMMARY"), "{script}");
}

// ---------------------------------------------------------------------------
// The plan workflow

#[test]
fn plan_workflow_plans_the_pull_request_and_uploads_one_artifact_per_root() {
    let plan = Workflow::load(PLAN);
    assert!(plan.find(&["on", "pull_request"]).is_some());
    assert_eq!(
        plan.map(&["permissions"]),
        permissions(&[
            ("actions", "read"),
            ("contents", "read"),
            ("pull-requests", "write"),
            ("statuses", "write")
        ])
    );
    assert!(
        plan.value(&["concurrency", "group"])
            .contains("github.event.pull_request.number")
    );
    assert_eq!(plan.value(&["concurrency", "cancel-in-progress"]), "true");

    let checkout = plan.step("plan", "checks out", |s| s.uses("actions/checkout"));
    let with = checkout.map("with");
    assert_eq!(
        with.get("ref"),
        Some(&"${{ github.event.pull_request.head.sha }}")
    );
    assert_eq!(with.get("fetch-depth"), Some(&"0"));
    check_install(&plan, "plan");

    let step = plan.step("plan", "runs plandeck ci plan", |s| {
        s.script().contains("plandeck ci plan")
    });
    assert_eq!(step.get("id"), Some("plan"));
    assert!(step.script().contains("--out plans"), "{}", step.script());
    assert_eq!(
        step.map("env").get("GITHUB_TOKEN"),
        Some(&"${{ github.token }}")
    );
    assert_eq!(
        plan.value(&["jobs", "plan", "outputs", "roots"]),
        "${{ steps.plan.outputs.roots }}"
    );
    let transit = plan.step("plan", "uploads the plans", |s| {
        s.uses("actions/upload-artifact")
    });
    let with = transit.map("with");
    assert_eq!(with.get("name"), Some(&"plandeck-plans"));
    assert_eq!(with.get("path"), Some(&"plans/"));
    assert_eq!(with.get("retention-days"), Some(&"1"));

    // One job per root: download the plans, upload the root's folder as the
    // artifact named by plan_artifact (plan.json at its top).
    assert_eq!(plan.value(&["jobs", "artifacts", "needs"]), "plan");
    assert!(
        plan.value(&["jobs", "artifacts", "if"])
            .contains("needs.plan.outputs.roots != '[]'")
    );
    assert_eq!(
        plan.value(&["jobs", "artifacts", "strategy", "matrix", "include"]),
        "${{ fromJSON(needs.plan.outputs.roots) }}"
    );
    let download = plan.step("artifacts", "downloads the plans", |s| {
        s.uses("actions/download-artifact")
    });
    assert_eq!(download.map("with").get("name"), Some(&"plandeck-plans"));
    let upload = plan.step("artifacts", "uploads the root's artifact", |s| {
        s.uses("actions/upload-artifact")
    });
    let with = upload.map("with");
    assert_eq!(with.get("name"), Some(&"${{ matrix.artifact }}"));
    assert_eq!(with.get("path"), Some(&"plans/${{ matrix.artifact }}/"));
}
