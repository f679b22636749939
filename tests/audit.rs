//! The audit log on real files: the chain, tampering of every kind, appends
//! refused on a damaged tail, concurrent appenders (threads and processes),
//! and the `plandeck audit` verbs of the built binary on hostile strings.
//!
//! Durability itself (that `sync_all` reached the disk) cannot be tested
//! without cutting power; the tests only run the path that syncs.

use plandeck::audit::{
    AuditAction, AuditEntry, AuditError, AuditLog, AuditRecord, ProblemKind, VerifyReport,
    format_utc, verify_bytes,
};
use plandeck::source::Identity;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

fn who(name: &str) -> Identity {
    Identity::git(name, &format!("{}@example.com", name.to_lowercase()))
}

fn entry(action: AuditAction, request: &str, comment: &str) -> AuditEntry {
    AuditEntry {
        who: who("Ana"),
        at: 1_776_677_400,
        action,
        request: request.into(),
        root: Some("apps/web/prod1".into()),
        head: Some("0123456789abcdef0123456789abcdef01234567".into()),
        digest: Some(format!("sha256:{}", "ab".repeat(32))),
        comment: Some(comment.into()),
        details: None,
    }
}

/// A log of `n` approvals with comments `c1`..`cN`.
fn log_of(n: usize) -> (tempfile::TempDir, AuditLog) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = AuditLog::open(dir.path().join("audit.log"));
    for i in 1..=n {
        let e = entry(AuditAction::Approve, "request/42", &format!("c{i}"));
        log.append(e).expect("append");
    }
    (dir, log)
}

fn lines(log: &AuditLog) -> Vec<String> {
    let text = std::fs::read_to_string(log.path()).expect("read log");
    text.lines().map(str::to_string).collect()
}

fn write_lines(log: &AuditLog, lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(log.path(), text).expect("write log");
}

/// The report's problem, or a panic naming the report.
fn problem(report: VerifyReport) -> (usize, Option<u64>, ProblemKind) {
    match report {
        VerifyReport::Broken { problem, .. } => (problem.line, problem.seq, problem.kind),
        other => panic!("expected a broken log, got {other:?}"),
    }
}

#[test]
fn appends_and_reads_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A fresh nested directory: the append creates it and syncs it.
    let log = AuditLog::open(dir.path().join("a/b/audit.log"));
    assert!(log.records().expect("missing log").is_empty());
    let mut first = entry(AuditAction::Block, "request/7", "too risky");
    first.details = Some(serde_json::json!({"z": 1, "a": [true, null, 0.5]}));
    let written = [
        log.append(first).expect("append 1"),
        log.append(entry(AuditAction::ApplyStarted, "request/7", "go"))
            .expect("append 2"),
        log.append(entry(AuditAction::DriftAck, "request/8", "known"))
            .expect("append 3"),
    ];
    let read = AuditLog::open(log.path().to_path_buf())
        .records()
        .expect("records");
    assert_eq!(read, written);
    assert_eq!(read.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(read[0].prev, "");
    assert_eq!(read[1].prev, read[0].hash);
    assert_eq!(read[2].prev, read[1].hash);
    assert_eq!(read[0].at_utc, "2026-04-20T09:30:00Z");
    assert!(read.iter().all(AuditRecord::is_intact));
    let for_7 = log.records_for("request/7").expect("records_for");
    assert_eq!(for_7, written[..2]);
    assert!(
        !log.lock_path().exists(),
        "the lock is released after appending"
    );
}

/// The documented hash: cut `,"hash":"…"` off the stored line, SHA-256 the rest.
#[test]
fn hash_is_sha256_of_the_line_without_its_hash() {
    let (_dir, log) = log_of(3);
    let records = log.records().expect("records");
    for (line, record) in lines(&log).iter().zip(&records) {
        assert!(line.starts_with(&format!("{{\"seq\":{},\"prev\":", record.seq)));
        let suffix = format!(",\"hash\":\"{}\"}}", record.hash);
        let body = format!("{}}}", line.strip_suffix(&suffix).expect("hash is last"));
        let hex: String = Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(record.hash, format!("sha256:{hex}"));
        // The JSON form of a record is its stored line.
        assert_eq!(&serde_json::to_string(record).expect("json"), line);
    }
    assert!(lines(&log)[0].contains(
        "\"at\":1776677400,\"at_utc\":\"2026-04-20T09:30:00Z\",\
         \"who\":{\"name\":\"Ana\",\"email\":\"ana@example.com\"},\"action\":\"approve\""
    ));
}

#[test]
fn actions_are_kebab_case() {
    let words: Vec<String> = [
        AuditAction::Approve,
        AuditAction::Block,
        AuditAction::Unblock,
        AuditAction::ApplyStarted,
        AuditAction::ApplySucceeded,
        AuditAction::ApplyFailed,
        AuditAction::Merge,
        AuditAction::DriftBlock,
        AuditAction::DriftAck,
    ]
    .iter()
    .map(|a| {
        let json = serde_json::to_string(a).expect("json");
        assert_eq!(json, format!("\"{}\"", a.word()));
        a.to_string()
    })
    .collect();
    assert_eq!(
        words.join(" "),
        "approve block unblock apply-started apply-succeeded apply-failed merge \
         drift-block drift-ack"
    );
}

#[test]
fn verify_accepts_an_untouched_log_and_a_missing_one() {
    let (_dir, log) = log_of(4);
    let report = log.verify();
    let last = log.records().expect("records").pop().expect("4 records");
    assert_eq!(
        report,
        VerifyReport::Ok {
            entries: 4,
            last_hash: Some(last.hash)
        }
    );
    assert_eq!(report.to_string(), "audit log OK: 4 entries");
    let missing = AuditLog::open(log.path().with_file_name("none.log"));
    assert_eq!(missing.verify().to_string(), "audit log OK: 0 entries");
}

#[test]
fn verify_names_an_edited_comment_or_digest() {
    for (from, to) in [
        ("\"comment\":\"c2\"", "\"comment\":\"c2, and more\""),
        ("\"digest\":\"sha256:ab", "\"digest\":\"sha256:cd"),
        ("\"action\":\"approve\"", "\"action\":\"block\""),
    ] {
        let (_dir, log) = log_of(4);
        let mut all = lines(&log);
        assert!(all[1].contains(from));
        all[1] = all[1].replacen(from, to, 1);
        write_lines(&log, &all);
        let report = log.verify();
        assert_eq!(
            problem(report.clone()),
            (2, Some(2), ProblemKind::Edited),
            "{to}"
        );
        assert_eq!(
            report.to_string(),
            "audit log broken at line 2 (seq 2): the entry was edited: \
             its hash does not match its content"
        );
    }
}

#[test]
fn verify_names_an_entry_edited_and_rehashed_by_the_next_link() {
    let (_dir, log) = log_of(4);
    let mut all = lines(&log);
    let mut record: AuditRecord = serde_json::from_str(&all[1]).expect("record");
    record.entry.comment = Some("rewritten".into());
    record.hash = record.content_hash();
    all[1] = serde_json::to_string(&record).expect("json");
    write_lines(&log, &all);
    let report = log.verify();
    assert_eq!(
        problem(report.clone()),
        (3, Some(3), ProblemKind::BrokenLink)
    );
    assert!(
        report
            .to_string()
            .contains("the hash of the entry at line 2: that entry was replaced")
    );
}

#[test]
fn verify_names_a_removed_entry() {
    let (_dir, log) = log_of(4);
    let mut all = lines(&log);
    all.remove(1);
    write_lines(&log, &all);
    let report = log.verify();
    let missing = ProblemKind::Missing {
        expected: 2,
        found: 3,
    };
    assert_eq!(problem(report.clone()), (2, Some(3), missing));
    assert!(
        report
            .to_string()
            .contains("entry seq 2 is missing (removed)")
    );

    all.remove(0);
    write_lines(&log, &all);
    let first = ProblemKind::Missing {
        expected: 1,
        found: 3,
    };
    assert_eq!(problem(log.verify()), (1, Some(3), first));
}

#[test]
fn verify_names_swapped_and_duplicated_entries() {
    let (_dir, log) = log_of(4);
    let original = lines(&log);
    let mut swapped = original.clone();
    swapped.swap(1, 2);
    write_lines(&log, &swapped);
    let report = log.verify();
    let reordered = ProblemKind::Reordered {
        expected: 2,
        found: 3,
        expected_at: Some(3),
    };
    assert_eq!(problem(report.clone()), (2, Some(3), reordered));
    assert!(report.to_string().contains("reordered"), "{report}");

    let mut copied = original.clone();
    copied.insert(2, original[1].clone());
    write_lines(&log, &copied);
    let duplicated = ProblemKind::Duplicated {
        seq: 2,
        first_line: 2,
    };
    assert_eq!(problem(log.verify()), (3, Some(2), duplicated));
}

#[test]
fn verify_reports_a_cut_short_last_line_as_a_crash() {
    let (_dir, log) = log_of(4);
    let bytes = std::fs::read(log.path()).expect("read");
    let cut = bytes.len() - 40;
    std::fs::write(log.path(), &bytes[..cut]).expect("truncate");
    let report = log.verify();
    assert_eq!(problem(report.clone()), (4, None, ProblemKind::Truncated));
    assert!(matches!(report, VerifyReport::Broken { intact: 3, .. }));
    assert!(report.to_string().contains("interrupted"), "{report}");

    // Whole but without its newline: the next append would glue onto it.
    std::fs::write(log.path(), &bytes[..bytes.len() - 1]).expect("truncate");
    assert_eq!(problem(log.verify()), (4, Some(4), ProblemKind::Truncated));
}

#[test]
fn verify_names_garbage_at_the_end_and_in_the_middle() {
    let (_dir, log) = log_of(4);
    let original = lines(&log);
    for garbage in ["garbage", "{}", "", "{\"seq\":5}"] {
        let mut all = original.clone();
        all.push(garbage.to_string());
        write_lines(&log, &all);
        let (line, seq, kind) = problem(log.verify());
        assert_eq!((line, seq), (5, None), "{garbage:?}");
        assert!(
            matches!(kind, ProblemKind::Invalid(_)),
            "{garbage:?}: {kind:?}"
        );
    }
    write_lines(&log, &original);
    let mut unterminated = std::fs::read(log.path()).expect("read");
    unterminated.extend_from_slice(b"garbage");
    std::fs::write(log.path(), unterminated).expect("write");
    let (line, _, kind) = problem(log.verify());
    assert_eq!(line, 5);
    assert!(matches!(kind, ProblemKind::Invalid(_)), "{kind:?}");

    let mut middle = original.clone();
    middle[1] = "not json at all \u{1b}[31m".into();
    write_lines(&log, &middle);
    let (line, _, kind) = problem(log.verify());
    assert_eq!(line, 2);
    assert!(matches!(kind, ProblemKind::Invalid(_)));
    // Invalid UTF-8 is one more kind of garbage.
    std::fs::write(log.path(), b"\xff\xfe\n").expect("write");
    assert_eq!(problem(log.verify()).0, 1);
}

/// An added field would change a line's meaning without changing its hash.
#[test]
fn verify_refuses_an_added_field() {
    let (_dir, log) = log_of(2);
    let mut all = lines(&log);
    all[1] = all[1].replacen("{\"seq\":2,", "{\"seq\":2,\"approved_by\":\"cto\",", 1);
    write_lines(&log, &all);
    let (line, _, kind) = problem(log.verify());
    assert_eq!(line, 2);
    assert!(
        matches!(&kind, ProblemKind::Invalid(cause) if cause.contains("approved_by")),
        "{kind:?}"
    );
}

#[test]
fn append_refuses_to_extend_a_damaged_tail() {
    let (_dir, log) = log_of(3);
    let original = std::fs::read(log.path()).expect("read");
    let mut edited_last = lines(&log);
    edited_last[2] = edited_last[2].replacen("\"comment\":\"c3\"", "\"comment\":\"c4\"", 1);
    let edited_last: String = edited_last.iter().map(|l| format!("{l}\n")).collect();
    let damaged: [(&str, Vec<u8>); 4] = [
        ("cut short", original[..original.len() - 30].to_vec()),
        ("garbage", [&original[..], b"garbage\n"].concat()),
        ("empty line", [&original[..], b"\n"].concat()),
        ("edited", edited_last.into_bytes()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(log.path(), &bytes).expect("write");
        let err = log
            .append(entry(AuditAction::Merge, "request/42", "x"))
            .expect_err(what);
        assert!(matches!(err, AuditError::Damaged { .. }), "{what}: {err}");
        assert!(err.to_string().contains("refusing to append"), "{err}");
        assert_eq!(std::fs::read(log.path()).expect("read"), bytes, "{what}");
        assert!(!log.lock_path().exists(), "{what}: lock released");
    }
}

/// Appends check only the last entry (reading the whole log each time would
/// not scale); an earlier edit is not masked by later appends.
#[test]
fn an_earlier_edit_stays_visible_after_appends() {
    let (_dir, log) = log_of(3);
    let mut all = lines(&log);
    all[0] = all[0].replacen("\"comment\":\"c1\"", "\"comment\":\"c9\"", 1);
    write_lines(&log, &all);
    log.append(entry(AuditAction::Merge, "request/42", "after"))
        .expect("append");
    assert_eq!(problem(log.verify()), (1, Some(1), ProblemKind::Edited));
}

#[test]
fn append_refuses_entries_it_could_not_read_back() {
    let (_dir, log) = log_of(1);
    let before = std::fs::read(log.path()).expect("read");
    let mut deep = serde_json::Value::Null;
    for _ in 0..200 {
        deep = serde_json::Value::Array(vec![deep]);
    }
    let mut nested = entry(AuditAction::Approve, "r", "deep");
    nested.details = Some(deep);
    let huge = entry(AuditAction::Approve, "r", &"x".repeat(2 << 20));
    for e in [nested, huge] {
        let err = log.append(e).expect_err("refused");
        assert!(matches!(err, AuditError::Unrecordable(_)), "{err}");
    }
    assert_eq!(std::fs::read(log.path()).expect("read"), before);
}

/// Entries longer than the tail reader's chunk still chain.
#[test]
fn long_entries_chain() {
    let (_dir, log) = log_of(1);
    for i in 0..3 {
        let comment = format!("{i}{}", "é".repeat(30_000));
        log.append(entry(AuditAction::Block, "request/42", &comment))
            .expect("append");
    }
    assert_eq!(log.verify().to_string(), "audit log OK: 4 entries");
}

fn assert_all_present(log: &AuditLog, tags: &[String], per_tag: usize) {
    let report = log.verify();
    assert_eq!(
        report.to_string(),
        format!("audit log OK: {} entries", tags.len() * per_tag)
    );
    let mut comments: Vec<String> = log
        .records()
        .expect("records")
        .into_iter()
        .filter_map(|r| r.entry.comment)
        .collect();
    comments.sort();
    let mut expected: Vec<String> = tags
        .iter()
        .flat_map(|t| (0..per_tag).map(move |i| format!("{t}-{i:03}")))
        .collect();
    expected.sort();
    assert_eq!(comments, expected);
}

fn append_tagged(path: PathBuf, tag: &str, count: usize) {
    let log = AuditLog::open(path).with_lock_wait(Duration::from_secs(120));
    for i in 0..count {
        let e = entry(AuditAction::Approve, "request/1", &format!("{tag}-{i:03}"));
        log.append(e).expect("concurrent append");
    }
}

#[test]
fn concurrent_threads_lose_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.log");
    let tags: Vec<String> = (0..4).map(|t| format!("thread{t}")).collect();
    std::thread::scope(|s| {
        for tag in &tags {
            let path = path.clone();
            s.spawn(move || append_tagged(path, tag, 25));
        }
    });
    assert_all_present(&AuditLog::open(path), &tags, 25);
}

/// Run as a child process by `concurrent_processes_lose_nothing`.
#[test]
#[ignore = "a child of concurrent_processes_lose_nothing"]
fn child_appender() {
    let (Some(path), Some(tag)) = (
        std::env::var_os("PLANDECK_AUDIT_CHILD_LOG"),
        std::env::var_os("PLANDECK_AUDIT_CHILD_TAG"),
    ) else {
        return;
    };
    append_tagged(PathBuf::from(path), &tag.to_string_lossy(), 20);
}

#[test]
fn concurrent_processes_lose_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.log");
    let exe = std::env::current_exe().expect("test binary");
    let tags: Vec<String> = (0..3).map(|p| format!("process{p}")).collect();
    let children: Vec<_> = tags
        .iter()
        .map(|tag| {
            Command::new(&exe)
                .args(["child_appender", "--exact", "--ignored", "--quiet"])
                .env("PLANDECK_AUDIT_CHILD_LOG", &path)
                .env("PLANDECK_AUDIT_CHILD_TAG", tag)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    // This process appends too, through its own instance.
    append_tagged(path.clone(), "parent", 20);
    for mut child in children {
        assert!(child.wait().expect("child").success());
    }
    let mut all_tags = tags;
    all_tags.push("parent".into());
    assert_all_present(&AuditLog::open(path), &all_tags, 20);
}

#[test]
fn a_held_lock_makes_append_wait_then_fail_and_a_stale_one_is_taken_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log =
        AuditLog::open(dir.path().join("audit.log")).with_lock_wait(Duration::from_millis(200));
    let lock = std::fs::File::create(log.lock_path()).expect("lock");
    let err = log
        .append(entry(AuditAction::Approve, "r", "x"))
        .expect_err("locked");
    assert!(matches!(err, AuditError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("audit.log.lock"), "{err}");
    assert!(!log.path().exists(), "nothing written");
    assert!(log.lock_path().exists(), "another's lock is left alone");

    let old = SystemTime::now() - Duration::from_secs(60);
    lock.set_modified(old).expect("age the lock");
    log.append(entry(AuditAction::Approve, "r", "x"))
        .expect("a stale lock is taken over");
    assert!(!log.lock_path().exists());
    assert_eq!(log.verify().to_string(), "audit log OK: 1 entry");
}

#[test]
fn utc_times_are_formatted_by_hand_without_panics() {
    assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_utc(-1), "1969-12-31T23:59:59Z");
    assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(format_utc(4_107_542_399), "2100-02-28T23:59:59Z");
    assert_eq!(format_utc(253_402_300_799), "9999-12-31T23:59:59Z");
    assert_eq!(format_utc(253_402_300_800), "+10000-01-01T00:00:00Z");
    assert_eq!(format_utc(-62_167_219_200), "0000-01-01T00:00:00Z");
    assert!(format_utc(-62_167_219_201).starts_with("-0001-12-31"));
    for extreme in [i64::MIN, i64::MAX] {
        assert!(format_utc(extreme).ends_with('Z'));
    }
}

/// The built binary with its data (and config) dirs in `home`.
fn plandeck(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plandeck"))
        .args(args)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home)
        .output()
        .expect("run plandeck")
}

fn cli_log(home: &Path) -> AuditLog {
    AuditLog::open(home.join("data/plandeck/audit.log"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn cli_on_a_missing_log() {
    let home = tempfile::tempdir().expect("temp dir");
    let list = plandeck(home.path(), &["audit"]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert!(stdout(&list).starts_with("no audit entries in "));
    let json = plandeck(home.path(), &["audit", "--format", "json"]);
    assert_eq!(stdout(&json).trim(), "[]");
    let verify = plandeck(home.path(), &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0));
    assert_eq!(stdout(&verify), "audit log OK: 0 entries\n");
}

#[test]
fn cli_lists_hostile_strings_escaped() {
    let home = tempfile::tempdir().expect("temp dir");
    let log = cli_log(home.path());
    let hostile = "ok\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}evil\u{2066}\nline";
    let mut e = entry(AuditAction::Block, "request/\u{202e}42", hostile);
    e.who = who("Mal\u{1b}[31mlory");
    log.append(e).expect("append");
    log.append(entry(AuditAction::Unblock, "request/42", "fine"))
        .expect("append");

    let text = plandeck(home.path(), &["audit"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{7}'));
    assert!(!out.contains('\u{2066}'));
    assert!(out.contains("ok\\x1b[2J\\x1b]0;pwned\\x07\\u{202e}evil\\u{2066}\\nline!"));
    assert!(out.contains("Mal\\x1b[31mlory <mal\\x1b[31mlory@example.com>!"));
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[0].starts_with("   1  2026-04-20T09:30:00Z  "), "{out}");
    assert!(rows[0].contains("  block  "), "{out}");
    assert!(rows[0].contains("  request/\\u{202e}42!  apps/web/prod1  sha256:abababababab  "));
    assert!(rows[1].contains("unblock"));
    assert!(stderr(&text).is_empty(), "{}", stderr(&text));

    let json = plandeck(home.path(), &["audit", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let out = stdout(&json);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{2066}'));
    assert!(out.contains("\\u001b") && out.contains("\\u202e") && out.contains("\\u2066"));
    let parsed: Vec<AuditRecord> = serde_json::from_str(&out).expect("JSON array of records");
    assert_eq!(parsed, log.records().expect("records"));
    assert_eq!(parsed[0].entry.comment.as_deref(), Some(hostile));
}

#[test]
fn cli_verify_names_the_problem() {
    let home = tempfile::tempdir().expect("temp dir");
    let log = cli_log(home.path());
    for i in 1..=4 {
        log.append(entry(AuditAction::Approve, "request/42", &format!("c{i}")))
            .expect("append");
    }
    let ok = plandeck(home.path(), &["audit", "verify"]);
    assert_eq!(
        (ok.status.code(), stdout(&ok).as_str()),
        (Some(0), "audit log OK: 4 entries\n")
    );

    let mut all = lines(&log);
    all[1] = all[1].replacen("\"comment\":\"c2\"", "\"comment\":\"c2!\"", 1);
    write_lines(&log, &all);
    let bad = plandeck(home.path(), &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        stdout(&bad),
        "audit log broken at line 2 (seq 2): the entry was edited: \
         its hash does not match its content\n"
    );
    let json = plandeck(home.path(), &["audit", "--format", "json", "verify"]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(report["ok"], false);
    assert_eq!(
        (report["line"].as_u64(), report["seq"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(report["entries"], 1);

    // Listing still works, with a warning.
    let list = plandeck(home.path(), &["audit"]);
    assert_eq!(list.status.code(), Some(0));
    assert!(stderr(&list).starts_with("plandeck: warning: audit log broken at line 2"));
    assert!(!stdout(&list).contains('\u{1b}'));
}

#[test]
fn cli_on_a_crashed_or_unreadable_log() {
    let home = tempfile::tempdir().expect("temp dir");
    let log = cli_log(home.path());
    for i in 1..=3 {
        log.append(entry(AuditAction::Merge, "request/42", &format!("c{i}")))
            .expect("append");
    }
    let bytes = std::fs::read(log.path()).expect("read");
    std::fs::write(log.path(), &bytes[..bytes.len() - 20]).expect("cut");
    let verify = plandeck(home.path(), &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(stdout(&verify).starts_with("audit log broken at line 3: the last line is cut short"));
    // The hardening issue: one damaged line no longer hides the others; it
    // is named (file and line) on stderr and the readable entries are listed.
    let list = plandeck(home.path(), &["audit"]);
    assert_eq!(list.status.code(), Some(0));
    let err = stderr(&list);
    assert!(
        err.starts_with("plandeck: ") && err.contains("audit.log: line 3: "),
        "{err}"
    );
    assert!(
        err.lines().all(|l| l.starts_with("plandeck: warning: ")),
        "{err}"
    );
    let out = stdout(&list);
    assert!(
        out.contains("c1") && out.contains("c2") && !out.contains("c3"),
        "{out}"
    );

    std::fs::remove_file(log.path()).expect("remove");
    std::fs::create_dir(log.path()).expect("a directory where the log should be");
    let verify = plandeck(home.path(), &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(2));
    assert!(stderr(&verify).starts_with("plandeck: cannot read the audit log "));
}

#[test]
fn verify_names_entries_removed_from_the_end_by_the_head_file() {
    let (_dir, log) = log_of(7);
    assert!(log.head_path().exists(), "{}", log.head_path().display());
    assert!(log.verify().is_ok());
    let mut all = lines(&log);
    all.pop();
    write_lines(&log, &all);
    let report = log.verify();
    let removed = ProblemKind::RemovedAtEnd { last: 6, head: 7 };
    assert_eq!(problem(report.clone()), (7, None, removed));
    assert!(
        report
            .to_string()
            .contains("entries 7.. removed: the log ends at 6, its head file says 7"),
        "{report}"
    );
    // Everything removed: still found.
    write_lines(&log, &[]);
    let empty = ProblemKind::RemovedAtEnd { last: 0, head: 7 };
    assert_eq!(problem(log.verify()), (1, None, empty));
}

#[test]
fn verify_accepts_a_log_one_entry_ahead_of_its_head_but_not_a_rewritten_one() {
    let (_dir, log) = log_of(3);
    let head_of_3 = std::fs::read(log.head_path()).expect("head");
    log.append(entry(AuditAction::Approve, "request/42", "c4"))
        .expect("append");
    // A crash between the entry's sync and the head's rename.
    std::fs::write(log.head_path(), &head_of_3).expect("old head");
    assert!(log.verify().is_ok(), "{}", log.verify());
    // The whole log replaced by another with valid hashes: the head's entry differs.
    let other = tempfile::tempdir().expect("temp dir");
    let forged = AuditLog::open(other.path().join("audit.log"));
    for i in 1..=4 {
        forged
            .append(entry(AuditAction::Approve, "request/42", &format!("f{i}")))
            .expect("append");
    }
    std::fs::copy(forged.path(), log.path()).expect("replace");
    assert_eq!(
        problem(log.verify()),
        (3, Some(3), ProblemKind::HeadMismatch { seq: 3 })
    );
    // Found by fuzzing: the report counted all 4 entries as intact, and
    // `audit verify --format json` said `"entries": 4`.
    assert!(
        matches!(log.verify(), VerifyReport::Broken { intact: 2, .. }),
        "only the entries before line 3 check out: {:?}",
        log.verify()
    );
}

#[test]
fn verify_names_a_line_edited_only_in_whitespace_or_key_order() {
    let (_dir, log) = log_of(3);
    let original = lines(&log);
    let spaced = original[1].replacen("\"comment\":", "\"comment\": ", 1);
    let mut all = original.clone();
    all[1] = spaced;
    write_lines(&log, &all);
    let report = log.verify();
    assert_eq!(
        problem(report.clone()),
        (2, Some(2), ProblemKind::Reformatted)
    );
    assert!(
        report
            .to_string()
            .contains("line 2 (seq 2): the line was edited")
    );
    // An edited last line also refuses further appends.
    let mut all = original;
    all[2] = all[2].replacen("{\"seq\":3", "{\"seq\": 3", 1);
    write_lines(&log, &all);
    assert_eq!(
        problem(log.verify()),
        (3, Some(3), ProblemKind::Reformatted)
    );
    let err = log
        .append(entry(AuditAction::Approve, "request/42", "c4"))
        .expect_err("damaged tail");
    assert!(matches!(err, AuditError::Damaged { .. }), "{err}");
}

#[test]
fn cli_verify_names_a_removed_last_entry() {
    let home = tempfile::tempdir().expect("temp dir");
    let log = cli_log(home.path());
    for i in 1..=7 {
        log.append(entry(AuditAction::Approve, "request/42", &format!("c{i}")))
            .expect("append");
    }
    let mut all = lines(&log);
    all.pop();
    write_lines(&log, &all);
    let bad = plandeck(home.path(), &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        stdout(&bad),
        "audit log broken at line 7: entries 7.. removed: the log ends at 6, \
         its head file says 7\n"
    );
}

#[test]
fn verify_bytes_judges_a_log_and_its_head_as_verify_does() {
    let (_dir, log) = log_of(3);
    let bytes = std::fs::read(log.path()).expect("read log");
    let head = std::fs::read(log.head_path()).expect("read head");
    assert!(verify_bytes(&bytes, Some(&head)).is_ok());
    assert_eq!(verify_bytes(&bytes, Some(&head)), log.verify());
    let two: usize = bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(1)
        .map(|(i, _)| i + 1)
        .expect("three lines");
    let cut = &bytes[..two];
    assert!(verify_bytes(cut, None).is_ok(), "no head: a shorter log");
    let (line, _, kind) = problem(verify_bytes(cut, Some(&head)));
    assert_eq!(
        (line, kind),
        (3, ProblemKind::RemovedAtEnd { last: 2, head: 3 })
    );
    let report = verify_bytes(&bytes, Some(b"not json"));
    assert!(
        matches!(&report, VerifyReport::Unreadable { error, .. } if error.contains("not a head file")),
        "{report:?}"
    );
}
