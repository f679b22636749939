//! TUI benchmark on a request whose plan has 50,000 resource changes (the
//! project's own generator, the mix of genplan.py): time to the first frame
//! while the plan loads, load time, and the time to handle a key and draw,
//! over a few hundred presses (median and worst against the 16 ms frame
//! budget), plus peak memory against the plan's size. Printed, not asserted.
//!
//! `cargo bench --bench tui` (`PLANDECK_BENCH_N` changes the size).

#![allow(clippy::disallowed_types)] // tests the git backend itself

use plandeck::config::Config;
use plandeck::source::PlanOrigin;
use plandeck::source::git::GitSource;
use plandeck::tui::harness::{Harness, parse_key};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FRAME_BUDGET: Duration = Duration::from_millis(16);

fn git(dir: &std::path::Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let n: usize = std::env::var("PLANDECK_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("apps/big/prod")).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.name", "Bench"]);
    git(&repo, &["config", "user.email", "bench@example.com"]);
    std::fs::write(repo.join("apps/big/prod/main.tf"), "# big\n").expect("write");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    git(&repo, &["checkout", "-q", "-b", "request/1"]);
    std::fs::write(repo.join("apps/big/prod/main.tf"), "# bigger\n").expect("write");
    git(&repo, &["commit", "-q", "-am", "a big change"]);
    let mut plan = Vec::new();
    plandeck::genplan::write_plan(n, 1, &mut plan).expect("generates");
    let size = plan.len();
    let source = GitSource::open(&repo, &Config::default()).expect("opens");
    let head = String::from_utf8(
        Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["rev-parse", "HEAD"])
            .output()
            .expect("git")
            .stdout,
    )
    .expect("utf-8");
    source
        .store()
        .put(
            "request/1",
            "apps/big/prod",
            head.trim(),
            PlanOrigin::Imported,
            &plan,
            None,
            None,
        )
        .expect("stores");
    drop(plan);
    // The generated plan was held in memory to store it: that is the
    // bench's setup, not the TUI. Reset the peak (Linux: `5` to
    // clear_refs) so the figure below is the TUI session's own.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    println!(
        "plan: {n} resource changes, {:.1} MiB",
        size as f64 / 1_048_576.0
    );

    let settings =
        plandeck::tui::Settings::from_config(&plandeck::config::load(None).expect("config"))
            .expect("settings");
    let started = Instant::now();
    let mut h = Harness::new(Arc::new(source), settings, 1_790_000_000, (160, 48), None);
    println!(
        "request list with the plan's summary loaded: {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let again = Instant::now();
    h.press("r");
    println!(
        "request list loaded again (r; the summary is cached): {:.0} ms",
        again.elapsed().as_secs_f64() * 1e3
    );

    let effects = h.key_deferred(parse_key("<Enter>"));
    let frame = Instant::now();
    let screen = h.screen();
    let first_frame = frame.elapsed();
    assert!(
        screen.contains("loading plan"),
        "the first frame shows the plan loading"
    );
    let load = Instant::now();
    h.complete(effects);
    let loaded = load.elapsed();
    let screen = h.screen();
    assert!(
        screen.contains("Review: viewed"),
        "the plan view is open:\n{screen}"
    );
    println!(
        "first frame while loading: {:.2} ms (drawn before loading finished: yes)",
        first_frame.as_secs_f64() * 1e3
    );
    println!(
        "plan load (parse, digest, risk of every change): {:.0} ms",
        loaded.as_secs_f64() * 1e3
    );

    let diff_keys = [
        "j",
        "j",
        "<C-d>",
        "k",
        "d",
        "<PageDown>",
        "G",
        "g",
        "D",
        "j",
        "z",
        "<C-u>",
        "<Space>",
        "f",
        "F",
        ".",
    ];
    let diff = measure(&mut h, &diff_keys, 360);
    report("diff keys", &diff, None);
    // The outline: focus, moves that scroll the diff, destructive jumps, a
    // viewed mark, and a filter typed letter by letter (each letter filters
    // all 50,000 addresses), then cleared; back to the diff.
    let outline_keys = [
        "<Tab>",
        "j",
        "j",
        "<C-d>",
        "G",
        "g",
        "k",
        "d",
        "D",
        "<Space>",
        "/",
        "a",
        "w",
        "s",
        "_",
        "s",
        "3",
        "<Enter>",
        "j",
        "<Esc>",
        "<PageDown>",
        "<Tab>",
    ];
    let outline = measure(&mut h, &outline_keys, 352);
    report("outline keys", &outline, Some(&diff));
    match peak_rss_kib() {
        Some(kib) => {
            let ratio = (kib * 1024) as f64 / size as f64;
            println!(
                "peak memory{}: {:.1} MiB = {ratio:.2}x the plan JSON (target <= 3x: {})",
                if reset {
                    " of the TUI session (setup excluded)"
                } else {
                    " (including the setup's copy of the plan)"
                },
                kib as f64 / 1024.0,
                if ratio <= 3.0 { "PASS" } else { "MISS" }
            );
        }
        None => println!("peak memory: not available (no /proc/self/status)"),
    }
}

/// Key-press-plus-draw times over `presses` presses cycling through `keys`.
struct Measured {
    times: Vec<Duration>,
    slowest: Vec<(&'static str, Duration)>,
}

fn measure(h: &mut Harness, keys: &[&'static str], presses: usize) -> Measured {
    let mut times: Vec<Duration> = Vec::new();
    let mut worst_by_key = vec![Duration::ZERO; keys.len()];
    for i in 0..presses {
        let key = parse_key(keys[i % keys.len()]);
        let t = Instant::now();
        h.key(key);
        h.draw();
        let took = t.elapsed();
        worst_by_key[i % keys.len()] = worst_by_key[i % keys.len()].max(took);
        times.push(took);
    }
    times.sort();
    let mut slowest: Vec<(&str, Duration)> = keys.iter().copied().zip(worst_by_key).collect();
    slowest.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
    slowest.truncate(3);
    Measured { times, slowest }
}

fn median(m: &Measured) -> Duration {
    m.times[m.times.len() / 2]
}

/// Prints median and worst against the frame budget and, for `baseline`
/// (measured in this same run), the ratio of the medians.
fn report(what: &str, m: &Measured, baseline: Option<&Measured>) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let worst = m.times[m.times.len() - 1];
    let slowest: Vec<String> = m
        .slowest
        .iter()
        .map(|(k, d)| format!("{k} {:.2} ms", ms(*d)))
        .collect();
    println!("{what}: slowest (worst press): {}", slowest.join(", "));
    let ratio = baseline.map_or(String::new(), |b| {
        format!(
            "; median = {:.2}x the diff keys' median",
            ms(median(m)) / ms(median(b)).max(1e-9)
        )
    });
    println!(
        "{what}: key + draw over {} presses: median {:.2} ms, worst {:.2} ms (budget {} ms: {}){ratio}",
        m.times.len(),
        ms(median(m)),
        ms(worst),
        FRAME_BUDGET.as_millis(),
        if worst <= FRAME_BUDGET {
            "PASS"
        } else {
            "MISS"
        }
    );
}
