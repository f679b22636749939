//! The github-actions executor on a wide request: one pull request
//! touching 20 roots (10 dev, 6 stage after dev, 4 prod after stage) in
//! apply-then-merge, behind the emulated GitHub where each apply run takes
//! 2 s (plus its time queued). Every independent root is dispatched and
//! followed side by side, so the whole apply should take about the
//! longest promotion chain (dev → stage → prod: three runs one after the
//! other), within 1.5×. The baseline is measured in this run: the same
//! request with one root per environment. Prints both times, the ratio,
//! the calls, and the most requests in flight against the documented
//! bound. Plans come from the project's generator (plandeck::genplan).
//!
//! Run with `cargo bench --bench actions` (`PLANDECK_BENCH_RUN_MS` changes
//! a run's length). A miss is reported, never a failure.

#[path = "../tests/support/github.rs"]
mod emulator;

use emulator::{ArtifactSpec, BOB, GitHub, OCTOCAT, Pull, ReviewSpec, RunSpec, TOKEN};
use plandeck::domain::{Decision, DecisionKind, Identity};
use plandeck::executor::{Outcome, apply_request, places};
use plandeck::source::github::{GitHubSource, MAX_IN_FLIGHT, Token};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const REPO: &str = "octo-org/infra";
const TARGET_RATIO: f64 = 1.5;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench actions: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Measured {
    took: Duration,
    calls: u64,
    most_in_flight: u64,
}

fn run() -> Result<(), String> {
    let run_ms: u64 = match std::env::var("PLANDECK_BENCH_RUN_MS") {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("PLANDECK_BENCH_RUN_MS={text:?}"))?,
        Err(_) => 2000,
    };
    let chain = measure(&[("dev", 1), ("stage", 1), ("prod", 1)], run_ms)?;
    let wide = measure(&[("dev", 10), ("stage", 6), ("prod", 4)], run_ms)?;
    let ratio = wide.took.as_secs_f64() / chain.took.as_secs_f64();
    let verdict = if ratio <= TARGET_RATIO {
        "ok"
    } else {
        "MISSED"
    };
    println!("apply runs of {run_ms} ms on the emulated GitHub, apply-then-merge");
    println!(
        "longest promotion chain (3 roots: dev, stage, prod): {:>6.2} s, {} calls",
        chain.took.as_secs_f64(),
        chain.calls
    );
    println!(
        "20 roots (10 dev, 6 stage, 4 prod):                 {:>6.2} s, {} calls",
        wide.took.as_secs_f64(),
        wide.calls
    );
    println!("ratio: {ratio:.2}x the chain (target {TARGET_RATIO}x)  {verdict}");
    println!(
        "most requests in flight: {} (documented: {MAX_IN_FLIGHT})  {}",
        wide.most_in_flight,
        if wide.most_in_flight <= MAX_IN_FLIGHT as u64 {
            "ok"
        } else {
            "MISSED"
        }
    );
    Ok(())
}

fn plan_zip(seed: u64) -> Result<(Vec<u8>, String), String> {
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    plandeck::genplan::write_plan(20, seed, file.as_file())
        .map_err(|e| format!("generating a plan: {e}"))?;
    let digest = plandeck::plan::load_plan(file.path())
        .map_err(|e| e.to_string())?
        .digest;
    let plan = std::fs::read(file.path()).map_err(|e| e.to_string())?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    out.start_file("plan.json", zip::write::SimpleFileOptions::default())
        .map_err(|e| e.to_string())?;
    out.write_all(&plan).map_err(|e| e.to_string())?;
    Ok((
        out.finish().map_err(|e| e.to_string())?.into_inner(),
        digest,
    ))
}

/// Applies one request with `counts` roots per environment; how long it
/// took from the first call to the merge.
fn measure(counts: &[(&str, usize)], run_ms: u64) -> Result<Measured, String> {
    let roots: Vec<(String, &str)> = counts
        .iter()
        .flat_map(|(env, n)| (0..*n).map(move |i| (format!("apps/svc{i}/{env}"), *env)))
        .collect();
    let config_text = format!(
        "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n\n\
         [github]\nrepo = \"{REPO}\"\napi_url = \"{{URL}}\"\npoll_interval_ms = 250\n\n\
         [apply]\nexecutor = \"github-actions\"\n\n\
         [environments.dev]\nroots = [\"apps/*/dev\"]\nrequired_approvals = 0\nauto_apply = true\n\n\
         [environments.stage]\nroots = [\"apps/*/stage\"]\nrequired_approvals = 1\nafter = [\"dev\"]\n\n\
         [environments.prod]\nroots = [\"apps/*/prod\"]\nrequired_approvals = 2\nafter = [\"stage\"]\n"
    );
    let github = GitHub::start(REPO);
    let config_text = config_text.replace("{URL}", &github.url());
    let config = plandeck::config::load_str(&config_text, "bench.toml".into())
        .map_err(|e| e.to_string())?
        .config;
    let files: Vec<String> = roots.iter().map(|(r, _)| format!("{r}/main.tf")).collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let pull = Pull::new(7, &files);
    let head = pull.head_sha.clone();
    github.add(pull);
    let mut artifacts = Vec::new();
    let mut digests = Vec::new();
    for (n, (root, _)) in roots.iter().enumerate() {
        let (zip, digest) = plan_zip(n as u64)?;
        artifacts.push(ArtifactSpec {
            id: 100 + n as u64,
            name: config.github.artifact_name(root),
            expired: false,
            zip,
        });
        digests.push(digest);
    }
    github.with(|s| {
        s.user = (4242, "carol".into(), "Carol".into());
        s.branches.push(("main".into(), "b".repeat(40)));
        s.branches.push(("feature/7".into(), head.clone()));
        s.merge_base = "b".repeat(40);
        s.runs.push(RunSpec {
            id: 70,
            head_sha: head.clone(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            created_at: "2026-11-20T10:00:00Z".into(),
            artifacts,
        });
        s.actions.runs_for = Duration::from_millis(run_ms);
        for ((root, env), digest) in roots.iter().zip(&digests) {
            let approvers: &[emulator::Account] = match *env {
                "stage" => &[BOB],
                "prod" => &[BOB, OCTOCAT],
                _ => &[],
            };
            for who in approvers {
                let decision = Decision {
                    kind: DecisionKind::Approve,
                    request: "pull/7".into(),
                    root: root.clone(),
                    head: head.clone(),
                    digest: digest.clone(),
                    who: Identity::git(who.1, &format!("{}@example.com", who.1)),
                    at: 0,
                    comment: None,
                    viewed_destructive: Vec::new(),
                    emergency: None,
                    audit: None,
                    attested: None,
                    check: None,
                };
                s.next_id += 1;
                let id = 5000 + s.next_id;
                s.reviews.push(ReviewSpec {
                    id,
                    pull: 7,
                    user: (who.0, who.1.to_string()),
                    body: plandeck::source::github::reviews::review_body(&decision),
                    state: "APPROVED".into(),
                    commit_id: Some(head.clone()),
                    submitted_at: Some(format!(
                        "2026-11-21T10:{:02}:{:02}Z",
                        id / 60 % 60,
                        id % 60
                    )),
                });
            }
        }
    });
    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let token = Token::new(TOKEN.into(), "bench").map_err(|e| e.to_string())?;
    let source = GitHubSource::connect_in(
        &config,
        token,
        Duration::from_secs(30),
        data.path().join("github"),
    )
    .map_err(|e| e.to_string())?;
    let request =
        plandeck::backend::Requests::resolve_request(&source, "7").map_err(|e| e.to_string())?;
    let places = places(&source, data.path()).map_err(|e| e.to_string())?;
    let before = source.counts().calls;
    let started = Instant::now();
    let mut out = Vec::new();
    let outcome = apply_request(&source, &config, &request, None, &places, &mut out)
        .map_err(|e| e.to_string())?;
    let took = started.elapsed();
    if !matches!(outcome, Outcome::Applied { merged: Some(_) }) {
        return Err(format!(
            "{} roots: not applied and merged: {outcome:?}\n{}",
            roots.len(),
            String::from_utf8_lossy(&out)
        ));
    }
    let counts = source.counts();
    Ok(Measured {
        took,
        calls: counts.calls - before,
        most_in_flight: counts.max_in_flight,
    })
}
