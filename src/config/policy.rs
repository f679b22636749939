//! Per-environment review policy as configured: how many approvals, by whom,
//! code owners, deployment windows and promotion order. Parsing and checking
//! only; the gate itself is `crate::policy`.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `[environments.NAME]`: one environment and its policy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvironmentConfig {
    /// Globs of the root directories in this environment (`*` within a
    /// segment, `**` across).
    pub roots: Vec<String>,
    /// Approvals needed before apply (default: dev 0, stage 1, prod 2, others 1).
    pub required_approvals: Option<usize>,
    /// Who may approve: emails, or `team:NAME` for a `[teams]` entry. Empty: anyone
    /// but the request's authors and committers.
    pub approvers: Vec<String>,
    /// Owners of the changed files (the repo's CODEOWNERS) must be among the approvers.
    pub require_code_owners: bool,
    /// When applies may happen.
    pub window: Option<WindowConfig>,
    /// Environments of the same request that must have applied first.
    pub after: Vec<String>,
    /// Apply without approvals (dev roots; issue-5 executors honour it).
    pub auto_apply: bool,
    /// Approvals needed from each of several `[teams]` (N from each), on top
    /// of `required_approvals`: one approval counts for every group its
    /// author is in, the total still needs distinct people.
    pub required_groups: Vec<GroupRequirement>,
    /// Whether an emergency approval (`approve --emergency --reason`) may
    /// waive the deployment window. Off by default.
    pub allow_emergency: bool,
    /// The base branch whose requests are in this environment (`develop`):
    /// with `roots`, both must match.
    pub base: Option<String>,
    /// `-var-file`s, relative to the root: with `backend_config` and
    /// `workspace`, how this environment keeps its own state in a directory
    /// it shares with others (roots named `DIR@ENV`).
    pub var_files: Vec<String>,
    /// `init -backend-config` files, relative to the root.
    pub backend_config: Vec<String>,
    /// The Terraform workspace of this environment (created when missing).
    pub workspace: Option<String>,
    /// A health check run (`sh -c`) after each apply of a root here, in the
    /// root's directory, with `PLANDECK_*` variables; exit 0 passes.
    pub verify: Option<String>,
    /// Seconds the verify command may run before it is killed (and fails).
    pub verify_timeout: Option<u64>,
    /// What a failed verify does to the run.
    pub verify_failure: VerifyFailure,
}

/// How long a verify command may run by default.
pub const DEFAULT_VERIFY_TIMEOUT_SECS: u64 = 600;

/// `verify_failure`: what a failed verify command does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyFailure {
    /// The run stops at that root: apply-then-merge does not merge, later
    /// roots are not applied, until a re-run's check passes.
    #[default]
    Block,
    /// Recorded and shown; the run goes on (and merges).
    Continue,
}

impl EnvironmentConfig {
    /// The verify command's timeout.
    pub fn verify_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.verify_timeout.unwrap_or(DEFAULT_VERIFY_TIMEOUT_SECS))
    }
}

/// `{ team = "staff", count = 1 }`: `count` approvals from members of `team`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRequirement {
    /// A `[teams]` entry.
    pub team: String,
    /// At least 1, at most the team's size.
    pub count: usize,
}

/// A deployment window: days and hours in a named time zone.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    /// `mon` … `sun`.
    pub days: Vec<String>,
    /// `HH:MM-HH:MM`; an end before the start crosses midnight.
    pub hours: String,
    /// An IANA time zone name such as `Europe/Berlin`.
    pub time_zone: String,
}

/// Approvals needed by default for an environment name.
pub fn default_required_approvals(environment: &str) -> usize {
    match environment {
        "dev" | "development" => 0,
        "prod" | "production" => 2,
        _ => 1,
    }
}

/// A checked window, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Window {
    pub days: Vec<jiff::civil::Weekday>,
    pub start_minute: u32,
    pub end_minute: u32,
    pub time_zone: jiff::tz::TimeZone,
    pub description: String,
}

impl Window {
    /// Whether `now` (unix seconds) is inside the window. A window that
    /// crosses midnight belongs to the day it starts on.
    pub fn contains(&self, now: i64) -> bool {
        let Ok(timestamp) = jiff::Timestamp::from_second(now) else {
            return false;
        };
        let local = timestamp.to_zoned(self.time_zone.clone());
        let minute =
            u32::from(local.hour().unsigned_abs()) * 60 + u32::from(local.minute().unsigned_abs());
        let today = local.weekday();
        if self.start_minute <= self.end_minute {
            return self.days.contains(&today)
                && (self.start_minute..self.end_minute).contains(&minute);
        }
        let yesterday = today.previous();
        (self.days.contains(&today) && minute >= self.start_minute)
            || (self.days.contains(&yesterday) && minute < self.end_minute)
    }
}

impl WindowConfig {
    /// Checks days, hours and time zone; the error names the bad value.
    pub fn compile(&self) -> Result<Window, String> {
        let days = self
            .days
            .iter()
            .map(|d| weekday(d))
            .collect::<Result<Vec<_>, _>>()?;
        if days.is_empty() {
            return Err("window.days is empty: no day would allow an apply".into());
        }
        let (start, end) = self
            .hours
            .split_once('-')
            .ok_or_else(|| format!("window.hours {:?} is not HH:MM-HH:MM", self.hours))?;
        let start_minute = minute_of_day(start.trim())
            .ok_or_else(|| format!("window.hours: bad time {start:?}"))?;
        let end_minute =
            minute_of_day(end.trim()).ok_or_else(|| format!("window.hours: bad time {end:?}"))?;
        if start_minute == end_minute {
            return Err(format!("window.hours {:?} is empty", self.hours));
        }
        let time_zone = jiff::tz::TimeZone::get(&self.time_zone)
            .map_err(|_| format!("window.time_zone: unknown time zone {:?}", self.time_zone))?;
        Ok(Window {
            days,
            start_minute,
            end_minute,
            time_zone,
            description: format!("{} {} {}", self.days.join(","), self.hours, self.time_zone),
        })
    }
}

/// A day by its full English name or its standard three-letter
/// abbreviation, any case: a prefix like `month` is not Monday.
pub(super) fn weekday(name: &str) -> Result<jiff::civil::Weekday, String> {
    use jiff::civil::Weekday::*;
    const DAYS: [(&str, jiff::civil::Weekday); 7] = [
        ("monday", Monday),
        ("tuesday", Tuesday),
        ("wednesday", Wednesday),
        ("thursday", Thursday),
        ("friday", Friday),
        ("saturday", Saturday),
        ("sunday", Sunday),
    ];
    let lower = name.to_ascii_lowercase();
    DAYS.iter()
        .find(|(full, _)| lower == *full || lower == full[..3])
        .map(|(_, day)| *day)
        .ok_or_else(|| {
            format!("window.days: unknown day {name:?} (use monday..sunday or mon..sun)")
        })
}

fn minute_of_day(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    // 24:00 ends a day.
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

/// `[teams]`: team name → member emails.
pub type Teams = BTreeMap<String, Vec<String>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[&str], hours: &str, tz: &str) -> Window {
        WindowConfig {
            days: days.iter().map(|d| d.to_string()).collect(),
            hours: hours.into(),
            time_zone: tz.into(),
        }
        .compile()
        .expect("valid window")
    }

    fn at(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>()
            .expect("timestamp")
            .as_second()
    }

    #[test]
    fn days_are_full_names_or_three_letter_abbreviations() {
        use jiff::civil::Weekday::*;
        let full = window(&["Monday", "TUE", "wednesday", "Sun"], "09:00-17:00", "UTC");
        assert_eq!(full.days, [Monday, Tuesday, Wednesday, Sunday]);
        for bad in ["month", "mo", "tues", "thursdays", "fri "] {
            let err = WindowConfig {
                days: vec![bad.into()],
                hours: "09:00-17:00".into(),
                time_zone: "UTC".into(),
            }
            .compile()
            .expect_err(bad);
            assert!(err.contains(&format!("unknown day {bad:?}")), "{err}");
        }
    }

    #[test]
    fn windows_follow_the_named_time_zone() {
        let berlin = window(
            &["mon", "tue", "wed", "thu", "fri"],
            "09:00-17:00",
            "Europe/Berlin",
        );
        // 07:30 UTC in winter is 08:30 in Berlin: closed; 08:30 UTC is 09:30: open.
        assert!(!berlin.contains(at("2026-01-14T07:30:00Z")));
        assert!(berlin.contains(at("2026-01-14T08:30:00Z")));
        // In summer Berlin is UTC+2: 07:30 UTC is 09:30 there.
        assert!(berlin.contains(at("2026-07-15T07:30:00Z")));
        // Saturday is closed.
        assert!(!berlin.contains(at("2026-01-17T10:00:00Z")));
        let new_york = window(&["fri"], "16:00-18:00", "America/New_York");
        // 22:30 UTC Friday is 17:30 in New York.
        assert!(new_york.contains(at("2026-01-16T22:30:00Z")));
    }

    #[test]
    fn windows_across_midnight_belong_to_the_starting_day() {
        let night = window(&["sat"], "22:00-02:00", "UTC");
        assert!(night.contains(at("2026-01-17T23:00:00Z")), "Saturday 23:00");
        assert!(
            night.contains(at("2026-01-18T01:30:00Z")),
            "Sunday 01:30 still Saturday's window"
        );
        assert!(!night.contains(at("2026-01-18T02:30:00Z")));
        assert!(
            !night.contains(at("2026-01-18T23:00:00Z")),
            "Sunday night is not in the window"
        );
        assert!(
            !night.contains(at("2026-01-17T01:00:00Z")),
            "Saturday 01:00 belongs to Friday"
        );
    }

    #[test]
    fn bad_windows_are_refused_with_the_value_named() {
        let bad = |days: &[&str], hours: &str, tz: &str| {
            WindowConfig {
                days: days.iter().map(|d| d.to_string()).collect(),
                hours: hours.into(),
                time_zone: tz.into(),
            }
            .compile()
            .expect_err("invalid")
        };
        assert!(bad(&["mon"], "09:00-17:00", "Mars/Olympus").contains("Mars/Olympus"));
        assert!(bad(&["funday"], "09:00-17:00", "UTC").contains("funday"));
        assert!(bad(&["mon"], "9-5", "UTC").contains("bad time"));
        assert!(bad(&["mon"], "25:00-26:00", "UTC").contains("bad time"));
    }
}
