//! End-to-end speed and memory of the `plandeck` binary on a generated plan,
//! against `jq` counting the same plan's actions.
//!
//! Run with `cargo bench --bench cli` (`PLANDECK_BENCH_N` sets the number of
//! resource changes, default 50,000 ≈ 100 MB). It prints a table and the
//! spec's targets as PASS/MISS; a miss is reported, never a failure. It exits
//! non-zero only when a command cannot run or fails.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const DEFAULT_N: usize = 50_000;
const SEED: u64 = 1;
const RUNS: usize = 3;
const GNU_TIME: &str = "/usr/bin/time";
const JQ_FILTER: &str =
    r#"[.resource_changes[].change.actions|join(",")]|group_by(.)|map({(.[0]):length})|add"#;
const MIB: f64 = 1024.0 * 1024.0;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench cli: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    require_jq()?;
    let n = plan_size()?;
    let plan = tempfile::NamedTempFile::new().map_err(|e| format!("temp file: {e}"))?;
    let started = Instant::now();
    plandeck::genplan::write_plan(n, SEED, plan.as_file())
        .map_err(|e| format!("writing the plan: {e}"))?;
    let file_bytes = plan
        .as_file()
        .metadata()
        .map_err(|e| format!("temp file: {e}"))?
        .len();
    println!(
        "plan: {n} resource changes, {:.1} MiB ({file_bytes} bytes), generated in {:.2} s",
        file_bytes as f64 / MIB,
        started.elapsed().as_secs_f64()
    );

    let gnu_time = Path::new(GNU_TIME).exists();
    if !gnu_time {
        println!("peak memory needs GNU time at {GNU_TIME} (Debian package `time`); timings only");
    }
    let results = benches(plan.path())
        .iter()
        .map(|bench| measure(bench, gnu_time))
        .collect::<Result<Vec<_>, _>>()?;
    print_table(&results, file_bytes);
    print_targets(&results, file_bytes);
    Ok(())
}

fn require_jq() -> Result<(), String> {
    let found = Command::new("jq")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        Ok(())
    } else {
        Err("jq is the baseline and is not installed: install the Debian package jq".into())
    }
}

fn plan_size() -> Result<usize, String> {
    match std::env::var("PLANDECK_BENCH_N") {
        Err(_) => Ok(DEFAULT_N),
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("PLANDECK_BENCH_N must be a count, got {text:?}")),
    }
}

/// What a bench runs: the baseline first, as the table's reference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jq,
    Summary,
    Show,
}

struct Bench {
    label: &'static str,
    kind: Kind,
    program: OsString,
    args: Vec<OsString>,
}

fn benches(plan: &Path) -> Vec<Bench> {
    let plandeck = || OsString::from(env!("CARGO_BIN_EXE_plandeck"));
    let args = |words: &[&str]| {
        let mut args: Vec<OsString> = words.iter().map(OsString::from).collect();
        args.insert(1, plan.into());
        args
    };
    vec![
        Bench {
            label: "jq (baseline)",
            kind: Kind::Jq,
            program: "jq".into(),
            args: vec![JQ_FILTER.into(), plan.into()],
        },
        Bench {
            label: "summary --format json",
            kind: Kind::Summary,
            program: plandeck(),
            args: args(&["summary", "--format", "json"]),
        },
        Bench {
            label: "summary --format text",
            kind: Kind::Summary,
            program: plandeck(),
            args: args(&["summary", "--format", "text"]),
        },
        Bench {
            label: "show --color never",
            kind: Kind::Show,
            program: plandeck(),
            args: args(&["show", "--color", "never"]),
        },
    ]
}

struct Measured {
    label: &'static str,
    kind: Kind,
    median: Duration,
    peak_kib: Option<u64>,
}

fn measure(bench: &Bench, gnu_time: bool) -> Result<Measured, String> {
    // The memory run goes first, so it also warms caches for the timed runs.
    let peak_kib = if gnu_time { peak_rss_kib(bench)? } else { None };
    let mut times = (0..RUNS)
        .map(|_| time_once(bench))
        .collect::<Result<Vec<_>, _>>()?;
    times.sort();
    Ok(Measured {
        label: bench.label,
        kind: bench.kind,
        median: times[times.len() / 2],
        peak_kib,
    })
}

fn time_once(bench: &Bench) -> Result<Duration, String> {
    let mut command = Command::new(&bench.program);
    command.args(&bench.args);
    let started = Instant::now();
    run_quiet(bench.label, &mut command)?;
    Ok(started.elapsed())
}

/// Peak resident set in KiB, as GNU time's `%M` prints it on the last line of stderr.
fn peak_rss_kib(bench: &Bench) -> Result<Option<u64>, String> {
    let mut command = Command::new(GNU_TIME);
    command
        .args(["-f", "%M"])
        .arg(&bench.program)
        .args(&bench.args);
    let stderr = run_quiet(bench.label, &mut command)?;
    let peak = stderr
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .and_then(|line| line.trim().parse().ok());
    if peak.is_none() {
        println!(
            "{}: could not read peak memory from {GNU_TIME}",
            bench.label
        );
    }
    Ok(peak)
}

/// Runs with stdout discarded; returns stderr, or an error naming the command.
fn run_quiet(label: &str, command: &mut Command) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{label}: cannot run: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.success() {
        Ok(stderr)
    } else {
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!("{label}: {} ({})", output.status, tail.join(" | ")))
    }
}

fn jq_time(results: &[Measured]) -> Duration {
    results
        .iter()
        .find(|m| m.kind == Kind::Jq)
        .map_or(Duration::ZERO, |m| m.median)
}

/// `jq_time / cmd_time`: above 1 means faster than jq.
fn speedup(jq: Duration, m: &Measured) -> f64 {
    jq.as_secs_f64() / m.median.as_secs_f64().max(f64::EPSILON)
}

fn rss_ratio(m: &Measured, file_bytes: u64) -> Option<f64> {
    m.peak_kib
        .map(|kib| kib as f64 * 1024.0 / (file_bytes.max(1) as f64))
}

fn print_table(results: &[Measured], file_bytes: u64) {
    let jq = jq_time(results);
    println!();
    println!(
        "{:<24} {:>10} {:>8} {:>10} {:>10}",
        "command", "median s", "vs jq", "peak MiB", "RSS/file"
    );
    for m in results {
        let (peak, ratio) = match (m.peak_kib, rss_ratio(m, file_bytes)) {
            (Some(kib), Some(r)) => (format!("{:.1}", kib as f64 / 1024.0), format!("{r:.2}x")),
            _ => ("n/a".into(), "n/a".into()),
        };
        println!(
            "{:<24} {:>10.3} {:>7.2}x {:>10} {:>10}",
            m.label,
            m.median.as_secs_f64(),
            speedup(jq, m),
            peak,
            ratio
        );
    }
}

fn print_targets(results: &[Measured], file_bytes: u64) {
    let jq = jq_time(results);
    let worst_speedup = |kind| {
        results
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| speedup(jq, m))
            .fold(f64::INFINITY, f64::min)
    };
    let summary = worst_speedup(Kind::Summary);
    let show = worst_speedup(Kind::Show);
    println!();
    println!("targets (from the spec; printed, not asserted):");
    let aim = if summary >= 10.0 {
        "aim met"
    } else {
        "aim not met"
    };
    target(
        "summary >= 5x faster than jq (aim 10x)",
        summary >= 5.0,
        &format!("slowest summary {summary:.1}x, {aim}"),
    );
    target(
        "show no slower than jq",
        show >= 1.0,
        &format!("{show:.2}x"),
    );
    memory_target(results, file_bytes);
}

fn memory_target(results: &[Measured], file_bytes: u64) {
    const NAME: &str = "peak memory <= 3x file size";
    let ratios: Option<Vec<f64>> = results
        .iter()
        .filter(|m| m.kind != Kind::Jq)
        .map(|m| rss_ratio(m, file_bytes))
        .collect();
    match ratios {
        Some(ratios) => {
            let worst = ratios.into_iter().fold(0.0, f64::max);
            target(NAME, worst <= 3.0, &format!("worst plandeck {worst:.2}x"));
        }
        None => println!("  {NAME:<40} n/a   (needs the Debian package `time`)"),
    }
}

fn target(name: &str, met: bool, detail: &str) {
    let verdict = if met { "PASS" } else { "MISS" };
    println!("  {name:<40} {verdict}  ({detail})");
}
