//! The GitHub source behind a far-away server: 200 open pull requests,
//! each touching two roots with a plan artifact, behind the emulated REST
//! API (tests/support/github.rs) adding 50 ms to every answer. Measures
//! the first list with each root's summary (what the TUI's list shows) and
//! a refresh of the unchanged list, and prints the time, the calls, the
//! 304s and the most requests in flight, with each time's ratio to its
//! target (2 s, 0.5 s) and to the floor the latency sets for that many
//! calls at the documented concurrency, both measured in this run. The
//! summaries go through the TUI's own summary cache, as its list does.
//!
//! Run with `cargo bench --bench github` (`PLANDECK_BENCH_PULLS` and
//! `PLANDECK_BENCH_LATENCY_MS` change the size and the latency). A miss is
//! reported, never a failure.

#[path = "../tests/support/github.rs"]
mod emulator;

use emulator::{ArtifactSpec, GitHub, Pull, RunSpec, TOKEN};
use plandeck::source::github::{GitHubSource, MAX_IN_FLIGHT, Token};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const REPO: &str = "octo-org/infra";
const CHANGES_PER_PLAN: usize = 40;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench github: {message}");
            ExitCode::FAILURE
        }
    }
}

fn number(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a number")),
        Err(_) => Ok(default),
    }
}

fn plan_zip(seed: u64) -> Result<Vec<u8>, String> {
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    plandeck::genplan::write_plan(CHANGES_PER_PLAN, seed, file.as_file())
        .map_err(|e| format!("generating a plan: {e}"))?;
    let plan = std::fs::read(file.path()).map_err(|e| e.to_string())?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    out.start_file("plan.json", options)
        .map_err(|e| e.to_string())?;
    out.write_all(&plan).map_err(|e| e.to_string())?;
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

fn run() -> Result<(), String> {
    let pulls = number("PLANDECK_BENCH_PULLS", 200)?;
    let latency = Duration::from_millis(number("PLANDECK_BENCH_LATENCY_MS", 50)?);
    let github = GitHub::start(REPO);
    let zips = [plan_zip(1)?, plan_zip(2)?];
    for n in 1..=pulls {
        let roots = [format!("apps/svc{n}/stage"), format!("apps/svc{n}/prod")];
        let files: Vec<String> = roots.iter().map(|r| format!("{r}/main.tf")).collect();
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        let pull = Pull::new(n, &names);
        let artifacts = roots
            .iter()
            .enumerate()
            .map(|(i, root)| ArtifactSpec {
                id: n * 10 + i as u64,
                name: format!("plandeck-plan-{}", root.replace('/', "__")),
                expired: false,
                zip: zips[i].clone(),
            })
            .collect();
        let run = RunSpec {
            id: n,
            head_sha: pull.head_sha.clone(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            created_at: "2026-11-30T09:00:00Z".into(),
            artifacts,
        };
        github.with(|s| s.runs.push(run));
        github.add(pull);
    }
    github.with(|s| s.latency = Some(latency));
    let text = format!(
        "[source]\nkind = \"github\"\nroots = [\"apps/*/*\"]\n[github]\nrepo = \"{REPO}\"\n\
         api_url = \"{}\"\n",
        github.url()
    );
    let loaded = plandeck::config::load_str(&text, "bench.toml".into())
        .map_err(|e| format!("config: {e}"))?;
    let token = Token::new(TOKEN.into(), "bench").map_err(|e| e.to_string())?;
    let source = GitHubSource::connect_in(
        &loaded.config,
        token,
        Duration::from_secs(60),
        github.data.path().to_path_buf(),
    )
    .map_err(|e| e.to_string())?;

    // The TUI's own list load: requests, bundles, then every root's summary
    // and gate, with its cache of summaries by stored plan.
    let settings = plandeck::tui::Settings::from_config(&loaded).map_err(|e| e.to_string())?;
    let summaries_cache = plandeck::tui::summary_cache::SummaryCache::default();
    let list = |label: &str, target: Duration| -> Result<(), String> {
        let before = source.counts();
        let started = Instant::now();
        let now = plandeck::clock::unix_now();
        let snapshot = plandeck::tui::load_request_list(&source, &settings, &summaries_cache, now)
            .map_err(|e| e.to_string())?;
        let took = started.elapsed();
        let mut summaries = 0;
        for entry in &snapshot.entries {
            for root in &entry.roots {
                if let Some(error) = &root.error {
                    return Err(format!("{}: {error}", entry.request.id));
                }
                root.summary.as_ref().ok_or("a root without its summary")?;
                summaries += 1;
            }
        }
        let after = source.counts();
        let calls = after.calls - before.calls;
        let not_modified = after.not_modified - before.not_modified;
        // The least time that many calls can take at this latency and the
        // documented concurrency (listing pages come one after another).
        let floor = latency.mul_f64((calls as f64 / MAX_IN_FLIGHT as f64).ceil());
        let verdict = if took <= target { "PASS" } else { "MISS" };
        println!(
            "{label:<24} {:>7.0} ms  {:>5} calls  {:>5} 304s  {:>3} roots  {:>4.2}x target ({} ms)  {:>4.1}x floor  {verdict}",
            took.as_secs_f64() * 1e3,
            calls,
            not_modified,
            summaries,
            took.as_secs_f64() / target.as_secs_f64(),
            target.as_millis(),
            took.as_secs_f64() / floor.as_secs_f64().max(1e-9),
        );
        Ok(())
    };
    println!(
        "{pulls} pull requests, 2 roots each, {} ms per answer, at most {MAX_IN_FLIGHT} requests in flight",
        latency.as_millis()
    );
    list("first list + summaries", Duration::from_secs(2))?;
    list("refresh (unchanged)", Duration::from_millis(500))?;
    let most = source.counts().max_in_flight;
    let verdict = if most <= MAX_IN_FLIGHT as u64 {
        "PASS"
    } else {
        "MISS"
    };
    println!("most requests in flight: {most} (documented: {MAX_IN_FLIGHT})  {verdict}");
    Ok(())
}
