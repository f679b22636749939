//! `plandeck demo --github`: the demo's requests as pull requests of
//! `acme/infra` on the project's emulated GitHub, with their plans as
//! Actions artifacts and decisions already made as reviews, so a new user
//! sees the forge flow (artifacts, reviews as plan-bound approvals, the
//! blocked label, a run still going) with one command.

use super::plans;
use crate::domain::{Decision, DecisionKind, Identity, Provider};
use crate::emulator::{Account, ArtifactSpec, CommitSpec, Pull, ReviewSpec, RunSpec, State};
use crate::source::BackendError;
use crate::source::github::reviews::{BLOCKED_LABEL, review_body};
use serde_json::Value;

/// The demo's repository on the emulator.
pub const REPO: &str = "acme/infra";
/// The roots of its `[source] roots`.
pub const ROOTS: &[&str] = &["apps/*/*"];

/// The token's account: who reviews in the demo.
const RILEY: (u64, &str, &str) = (4001, "riley", "Riley Reviewer");
const ALICE: Account = (4002, "alice");
const BOB: Account = (4003, "bob");
const CAROL: Account = (4004, "carol");
const DAVE: Account = (4005, "dave");
const SAM: Account = (4006, "sam");

/// One root a pull request changes: (app, env, variant of its main.tf,
/// the plan and cost its CI run produced).
type Change = (&'static str, &'static str, u8, Value, Option<Value>);

/// What the emulator knows for the demo, times counted back from `now`.
pub fn state(now: i64) -> Result<State, BackendError> {
    let mut state = State::new(REPO);
    state.user = (RILEY.0, RILEY.1.into(), RILEY.2.into());
    state.branches.push(("main".into(), commit_id("main")));
    let mut forge = Forge {
        state,
        now,
        next_id: 9000,
    };
    let alarms = vec![("web", "dev", 2, plans::alarms(), Some(plans::alarms_cost()))];
    forge.pull(
        101,
        "web/dev: add CPU alarms",
        ALICE,
        5,
        alarms,
        Ci::Succeeded,
    )?;
    let database = vec![
        ("api", "stage", 3, plans::database("stage"), None),
        (
            "api",
            "prod",
            3,
            plans::database("prod"),
            Some(plans::database_cost()),
        ),
    ];
    let digests = forge.pull(
        102,
        "api: upgrade the database to Postgres 16 with encryption",
        BOB,
        4,
        database,
        Ci::Succeeded,
    )?;
    // Sam approved both roots: stage passes, prod waits for a second person.
    for (root, digest) in &digests {
        let comment = "Checked the snapshot before the replacement.";
        forge.review(102, SAM, DecisionKind::Approve, root, digest, Some(comment));
    }
    let bucket = vec![(
        "web",
        "prod",
        4,
        plans::retire_bucket(),
        Some(plans::retire_bucket_cost()),
    )];
    let digests = forge.pull(
        103,
        "web/prod: retire the legacy export bucket, larger instances",
        CAROL,
        3,
        bucket,
        Ci::Succeeded,
    )?;
    for (root, digest) in &digests {
        let why = "The export bucket still has objects: empty it first (INC-1988).";
        forge.review(103, DAVE, DecisionKind::Block, root, digest, Some(why));
    }
    forge.state.pulls[2].labels.push(BLOCKED_LABEL.into());
    let cdn = vec![("web", "stage", 5, plans::refactor(), None)];
    forge.pull(
        104,
        "web/stage: move the CDN into a module, import the DNS record",
        ALICE,
        2,
        cdn,
        Ci::Succeeded,
    )?;
    let queue = vec![("api", "dev", 6, Value::Null, None)];
    forge.pull(
        105,
        "api/dev: add a work queue",
        DAVE,
        1,
        queue,
        Ci::Running,
    )?;
    Ok(forge.state)
}

/// What the pull request's workflow run is doing.
#[derive(Clone, Copy, PartialEq)]
enum Ci {
    Succeeded,
    Running,
}

struct Forge {
    state: State,
    now: i64,
    next_id: u64,
}

impl Forge {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn time(&self, days_ago: i64, seconds: i64) -> String {
        let at = self.now - days_ago * 86_400 + seconds;
        jiff::Timestamp::from_second(at).map_or_else(
            |_| "2026-01-01T00:00:00Z".into(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    }

    /// Adds a pull request changing `changes`, its workflow run and (when
    /// it succeeded) an artifact per root; answers each root's digest.
    fn pull(
        &mut self,
        number: u64,
        title: &str,
        author: Account,
        days_ago: i64,
        changes: Vec<Change>,
        ci: Ci,
    ) -> Result<Vec<(String, String)>, BackendError> {
        let head_sha = commit_id(&format!("{REPO}#{number}"));
        let mut pull = Pull::new(number, &[]);
        pull.title = title.into();
        pull.head_ref = format!("request/{number}");
        pull.head_sha = head_sha.clone();
        pull.author = author;
        pull.updated_at = self.time(days_ago, 0);
        pull.commits = vec![CommitSpec {
            author: Some(author),
            committer: Some(author),
            name: author.1.into(),
            email: format!("{}@example.com", author.1),
        }];
        let mut run = RunSpec {
            id: self.id(),
            head_sha: head_sha.clone(),
            status: "in_progress".into(),
            conclusion: None,
            created_at: self.time(days_ago, 60),
            artifacts: Vec::new(),
        };
        let mut digests = Vec::new();
        for (app, env, variant, plan, cost) in changes {
            let root = format!("apps/{app}/{env}");
            let path = format!("{root}/main.tf");
            let (before, after) = (
                plans::main_tf(app, env, 0),
                plans::main_tf(app, env, variant),
            );
            let patch = similar::TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(3)
                .to_string();
            pull.files
                .push((path, "modified".into(), None, Some(patch)));
            if ci == Ci::Running {
                continue;
            }
            let plan_text = plan.to_string();
            let parsed = crate::plan::parse_plan(plan_text.as_str().into())
                .map_err(|e| BackendError::Invalid(format!("the demo's plan of {root}: {e}")))?;
            let digest = crate::plan::plan_digest(&parsed)
                .map_err(|e| BackendError::Invalid(format!("the demo's plan of {root}: {e}")))?;
            let mut files = vec![("plan.json", plan_text.into_bytes())];
            if let Some(cost) = cost {
                files.push(("infracost.json", cost.to_string().into_bytes()));
            }
            run.artifacts.push(ArtifactSpec {
                id: self.id(),
                name: crate::config::GitHubConfig::default().artifact_name(&root),
                expired: false,
                zip: zip_of(&files)?,
            });
            digests.push((root, digest));
        }
        if ci == Ci::Succeeded {
            run.status = "completed".into();
            run.conclusion = Some("success".into());
        }
        self.state.runs.push(run);
        self.state.pulls.push(pull);
        Ok(digests)
    }

    /// A review by `who` stating a plandeck decision on the pull's head.
    fn review(
        &mut self,
        number: u64,
        who: Account,
        kind: DecisionKind,
        root: &str,
        digest: &str,
        comment: Option<&str>,
    ) {
        let Some(head) = self
            .state
            .pulls
            .iter()
            .find(|p| p.number == number)
            .map(|p| p.head_sha.clone())
        else {
            return;
        };
        let decision = Decision {
            kind,
            request: format!("#{number}"),
            root: root.into(),
            head: head.clone(),
            digest: digest.into(),
            who: Identity::forge(Provider::GitHub, &who.0.to_string(), who.1, who.1),
            at: self.now,
            comment: comment.map(String::from),
            viewed_destructive: Vec::new(),
            emergency: None,
            audit: None,
            attested: None,
            check: None,
        };
        let id = self.id();
        let submitted_at = self.time(0, -3_600 + (id % 600) as i64);
        self.state.reviews.push(ReviewSpec {
            id,
            pull: number,
            user: (who.0, who.1.into()),
            body: review_body(&decision),
            state: match kind {
                DecisionKind::Block => "CHANGES_REQUESTED",
                DecisionKind::Unblock => "COMMENTED",
                _ => "APPROVED",
            }
            .into(),
            commit_id: Some(head),
            submitted_at: Some(submitted_at),
        });
    }
}

/// A commit id that looks like one, the same for the same `seed`.
fn commit_id(seed: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(seed.as_bytes());
    hash[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// A zip of `files`, as `actions/upload-artifact` makes one.
fn zip_of(files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, BackendError> {
    use std::io::Write;
    let broken = |e: &dyn std::fmt::Display| BackendError::Io(format!("the demo's artifact: {e}"));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        out.start_file(*name, options).map_err(|e| broken(&e))?;
        out.write_all(bytes).map_err(|e| broken(&e))?;
    }
    Ok(out.finish().map_err(|e| broken(&e))?.into_inner())
}
