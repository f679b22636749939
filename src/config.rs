//! Configuration: TOML at the platform config dir (or `--config FILE`),
//! strictly typed, unknown keys refused. An error names the file, the line
//! and the key, and plandeck refuses to start rather than guess.

mod environments;
mod github;
mod glob;
pub mod order;
mod policy;

pub use environments::{ENV_SEPARATOR, RootEnvironment, RootTarget};
pub use github::{GitHubConfig, MergeMethod, SourceKind};
pub use glob::{path_glob, path_glob_set, path_matcher};
pub use policy::{
    DEFAULT_VERIFY_TIMEOUT_SECS, EnvironmentConfig, GroupRequirement, Teams, VerifyFailure, Window,
    WindowConfig, default_required_approvals,
};

use crate::cost::CostThresholds;
use crate::risk::{Risk, RiskConfig, RiskPolicy};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub risk: RiskConfig,
    pub cost: CostThresholds,
    pub check: CheckConfig,
    pub display: DisplayConfig,
    pub source: SourceConfig,
    /// The GitHub source (`[source] kind = "github"`).
    pub github: GitHubConfig,
    pub tofu: TofuConfig,
    /// Environments by name (`dev`, `stage`, `prod`, …): roots and policy.
    pub environments: BTreeMap<String, EnvironmentConfig>,
    /// Teams for approver lists and CODEOWNERS: name → member emails.
    pub teams: Teams,
    pub apply: ApplyConfig,
    /// `[keys.VIEW]`: key bindings of the terminal UI, checked by
    /// `tui::Keymap` (which knows the actions) against `Loaded::keys_file`.
    pub keys: toml::Table,
}

/// `[apply]`: how an approved request reaches the base branch.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApplyConfig {
    pub mode: ApplyMode,
    /// apply-then-merge: delete the request's branch once merged.
    pub delete_branch: bool,
    /// Where applies run: here, or on GitHub Actions runners.
    pub executor: ApplyExecutor,
}

impl Default for ApplyConfig {
    fn default() -> Self {
        Self {
            mode: ApplyMode::default(),
            delete_branch: true,
            executor: ApplyExecutor::default(),
        }
    }
}

/// `[apply] executor`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyExecutor {
    /// Terraform on this machine, in a worktree of this clone.
    #[default]
    Local,
    /// The apply workflow on GitHub Actions (`[github] apply_workflow`),
    /// which runs `plandeck ci apply` where the credentials are.
    GithubActions,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyMode {
    /// Apply from the request's branch; merge only after every root applied.
    #[default]
    ApplyThenMerge,
    /// Approval gates the merge; apply then runs from the base.
    MergeThenApply,
}

/// `[source]`: where requests come from: which backend (`kind`), the
/// git source's branches, and the roots (for every backend).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// `git` (branches of this repository) or `github` (`[github]`).
    pub kind: SourceKind,
    /// Branches that are requests (`*` matches any characters).
    pub request_pattern: String,
    /// The branch requests merge into.
    pub base: String,
    /// Globs of root directories (`*` within a segment, `**` across); when
    /// empty, every directory holding `*.tf` that is not a local module.
    pub roots: Vec<String>,
    /// The remote whose branches are requests too where no local branch of
    /// that name exists (a fresh clone); empty for local branches only.
    pub remote: String,
    /// `[[source.requests]]`: branch patterns and the base each merges
    /// into, first match wins; empty: `request_pattern` into `base`.
    pub requests: Vec<RequestRoute>,
}

/// `{ pattern = "dev/*", base = "develop" }`: branches matching `pattern`
/// (`*` any characters) are requests into `base`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRoute {
    pub pattern: String,
    pub base: String,
}

impl SourceConfig {
    /// Where requests come from and go: `[[source.requests]]`, else the
    /// single `request_pattern` into `base`.
    pub fn routes(&self) -> Vec<RequestRoute> {
        if self.requests.is_empty() {
            vec![RequestRoute {
                pattern: self.request_pattern.clone(),
                base: self.base.clone(),
            }]
        } else {
            self.requests.clone()
        }
    }
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            kind: SourceKind::Git,
            request_pattern: "request/*".into(),
            base: "main".into(),
            roots: Vec::new(),
            remote: "origin".into(),
            requests: Vec::new(),
        }
    }
}

/// `[tofu]`: the binary that plans and applies.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TofuConfig {
    /// `tofu`, `terraform` or a path; default: `tofu` when on PATH, else `terraform`.
    pub binary: Option<String>,
}

/// `[check]`: when `plandeck check` fails a plan.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// A change at this risk or above fails the check.
    pub fail_on: Risk,
    /// More deletes and replacements than this fail the check.
    pub max_destructive: Option<usize>,
    /// An errored, incomplete or not applyable plan fails the check.
    pub fail_on_errored: bool,
    /// A monthly cost increase above this fails the check (needs `--cost`).
    pub max_monthly_cost_increase: Option<f64>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            fail_on: Risk::Critical,
            max_destructive: None,
            fail_on_errored: true,
            max_monthly_cost_increase: None,
        }
    }
}

/// `[display]`: what is folded by default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisplayConfig {
    /// Attributes folded away as noise (always with a visible count).
    pub noise_attributes: Vec<String>,
    /// Resource types hidden from the plan view (globs, `*` any characters).
    pub noise_resource_types: Vec<String>,
    /// Drift entries already known, by address (globs).
    pub known_drift: Vec<String>,
    /// The terminal UI's colours.
    pub theme: ThemeChoice,
}

/// `display.theme`: colours for a dark or a light terminal background, or
/// `auto`: the terminal's background where it says (OSC 11), else dark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeChoice {
    #[default]
    Auto,
    Dark,
    Light,
}

/// A configuration problem, one line: `FILE:LINE: key `k`: message`.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A loaded configuration with its compiled rules.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub risk: RiskPolicy,
    /// Where it came from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    /// The user's own file (name and text), whose `[keys]` the keymap
    /// reads with line numbers; `None` without a file.
    pub keys_file: Option<(String, String)>,
}

/// The default config file location for this platform.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "plandeck").map(|d| d.config_dir().join("config.toml"))
}

/// The built-in defaults, compiled as if loaded from no file.
pub fn defaults() -> Result<Loaded, ConfigError> {
    compile(Config::default(), None)
}

/// Loads `explicit` if given (it must exist), else the platform file if it
/// exists, else the defaults.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => default_path().filter(|p| p.exists()),
    };
    let Some(path) = path else {
        return compile(Config::default(), None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    load_str(&text, path)
}

/// Parses and validates config text as `load` does with a file's text,
/// without reading anything: errors name `path`. Pure (tests, fuzzing).
pub fn load_str(text: &str, path: PathBuf) -> Result<Loaded, ConfigError> {
    let config = parse(text, &path)?;
    let name = path.display().to_string();
    let mut loaded = compile_checked(config, Some(path), text)?;
    loaded.keys_file = Some((name, text.to_string()));
    Ok(loaded)
}

/// Parses config text; errors name `path`, the line and the key.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let key = line.and_then(|l| key_at_line(text, l));
        let message = e.message().trim().replace('\n', " ");
        ConfigError {
            file: path.display().to_string(),
            line,
            message: match key {
                Some(key) => format!("key `{key}`: {message}"),
                None => message,
            },
        }
    })
}

/// The dotted key defined on a line: the nearest `[table]` above plus the
/// name before `=`, or the table itself when the line is a header.
fn key_at_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?.trim();
    let header = |l: &str| {
        l.strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .map(|t| t.trim_matches(['[', ']', ' ']).to_string())
    };
    if let Some(table) = header(here) {
        return Some(table);
    }
    let name = here
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())?;
    let table = lines[..line - 1]
        .iter()
        .rev()
        .find_map(|l| header(l.trim()));
    Some(match table {
        Some(t) => format!("{t}.{name}"),
        None => name,
    })
}

fn compile(config: Config, path: Option<PathBuf>) -> Result<Loaded, ConfigError> {
    compile_checked(config, path, "")
}

/// Validates what serde cannot (patterns, globs, windows, references) and
/// compiles the risk rules. `text` is the file's text, to find the line of
/// a bad value.
fn compile_checked(
    config: Config,
    path: Option<PathBuf>,
    text: &str,
) -> Result<Loaded, ConfigError> {
    let file = path
        .as_ref()
        .map_or("(defaults)".to_string(), |p| p.display().to_string());
    let fail = |needle: &str, message: String| ConfigError {
        file: file.clone(),
        line: line_of(text, needle),
        message,
    };
    check_values(&config).map_err(|(needle, message)| fail(&needle, message))?;
    check_groups(&config).map_err(|(table, key, message)| ConfigError {
        file: file.clone(),
        line: line_in_table(text, &table, &key).or_else(|| line_of(text, &key)),
        message,
    })?;
    let risk = RiskPolicy::from_config(&config.risk)
        .map_err(|message| fail("[risk]", format!("key `risk`: {message}")))?;
    let numbers = [
        ("warn_monthly_delta", Some(config.cost.warn_monthly_delta)),
        (
            "critical_monthly_delta",
            Some(config.cost.critical_monthly_delta),
        ),
        (
            "max_monthly_cost_increase",
            config.check.max_monthly_cost_increase,
        ),
    ];
    // NaN compares false with everything: it would switch a threshold off.
    if let Some((key, _)) = numbers
        .iter()
        .find(|(_, v)| v.is_some_and(|v| !v.is_finite()))
    {
        let table = if *key == "max_monthly_cost_increase" {
            "check"
        } else {
            "cost"
        };
        return Err(fail(
            key,
            format!("key `{table}.{key}`: must be a finite number (not nan or inf)"),
        ));
    }
    let after = config
        .environments
        .iter()
        .map(|(name, env)| (name.clone(), env.after.clone()))
        .collect();
    order::promotion_order(&[], &after)
        .map_err(|e| fail("after", format!("key `environments.*.after`: {e}")))?;
    if config.cost.warn_monthly_delta < 0.0
        || config.cost.critical_monthly_delta < config.cost.warn_monthly_delta
    {
        return Err(fail(
            "[cost]",
            "key `cost`: thresholds must satisfy 0 <= warn_monthly_delta <= critical_monthly_delta"
                .into(),
        ));
    }
    Ok(Loaded {
        config,
        risk,
        path,
        keys_file: None,
    })
}

/// The first bad value: (text to find its line by, message naming the key).
fn check_values(config: &Config) -> Result<(), (String, String)> {
    let invalid = |key: &str, g: &String, e: globset::Error| {
        (
            format!("\"{g}\""),
            format!("key `{key}`: invalid glob {g:?}: {e}"),
        )
    };
    // Directory globs: `*` within a segment, `**` across (config::glob).
    let path = |key: String, g: &String| path_glob(g).map(drop).map_err(|e| invalid(&key, g, e));
    // Type and address globs: `*` any characters.
    let any = |key: &str, g: &String| {
        globset::Glob::new(g)
            .map(drop)
            .map_err(|e| invalid(key, g, e))
    };
    for g in &config.source.roots {
        path("source.roots".into(), g)?;
    }
    github::check(config.source.kind, &config.github)?;
    if config.apply.executor == ApplyExecutor::GithubActions
        && config.source.kind != SourceKind::GitHub
    {
        return Err((
            "github-actions".into(),
            "key `apply.executor`: \"github-actions\" applies pull requests: it needs \
             `[source] kind = \"github\"`"
                .into(),
        ));
    }
    for g in &config.display.noise_resource_types {
        any("display.noise_resource_types", g)?;
    }
    for g in &config.display.known_drift {
        any("display.known_drift", g)?;
    }
    let known_env = |name: &str| {
        config.environments.contains_key(name) || ["dev", "stage", "prod"].contains(&name)
    };
    for route in &config.source.requests {
        globset::GlobBuilder::new(&route.pattern)
            .literal_separator(false)
            .build()
            .map_err(|e| invalid("source.requests.pattern", &route.pattern, e))?;
        if route.base.trim().is_empty() {
            return Err((
                format!("\"{}\"", route.pattern),
                "key `source.requests.base`: empty base branch".into(),
            ));
        }
    }
    for (name, env) in &config.environments {
        if name.contains(ENV_SEPARATOR) {
            return Err((
                format!("[environments.{name}]"),
                format!(
                    "key `environments.{name}`: an environment name cannot hold `{ENV_SEPARATOR}` (roots are named DIR{ENV_SEPARATOR}ENV)"
                ),
            ));
        }
        for g in &env.roots {
            path(format!("environments.{name}.roots"), g)?;
        }
        let settings = env
            .var_files
            .iter()
            .map(|v| ("var_files", v, true))
            .chain(
                env.backend_config
                    .iter()
                    .map(|v| ("backend_config", v, true)),
            )
            .chain(env.workspace.iter().map(|v| ("workspace", v, false)))
            .chain(env.base.iter().map(|v| ("base", v, false)));
        for (key, value, is_path) in settings {
            let checked = if key == "base" {
                if value.trim().is_empty() {
                    Err(format!("key `environments.{name}.base`: empty base branch"))
                } else {
                    Ok(())
                }
            } else {
                environments::check_state_setting(
                    &format!("environments.{name}.{key}"),
                    value,
                    is_path,
                )
            };
            checked.map_err(|message| (format!("\"{value}\""), message))?;
        }
        if let Some(window) = &env.window {
            window.compile().map_err(|e| {
                let bad_day = window.days.iter().find(|d| policy::weekday(d).is_err());
                let needle = if let Some(day) = bad_day {
                    day.clone()
                } else if e.contains("time_zone") {
                    window.time_zone.clone()
                } else {
                    window.hours.clone()
                };
                (
                    format!("\"{needle}\""),
                    format!("key `environments.{name}.window`: {e}"),
                )
            })?;
        }
        if let Some(after) = env.after.iter().find(|a| !known_env(a)) {
            return Err((
                format!("\"{after}\""),
                format!("key `environments.{name}.after`: unknown environment {after:?}"),
            ));
        }
        if env.verify.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err((
                "verify".into(),
                format!("key `environments.{name}.verify`: an empty command"),
            ));
        }
        if env.verify_timeout == Some(0) {
            return Err((
                "verify_timeout".into(),
                format!("key `environments.{name}.verify_timeout`: must be at least 1 second"),
            ));
        }
        for approver in &env.approvers {
            // `team:org/slug` is a GitHub team, asked of GitHub.
            if let Some(team) = approver
                .strip_prefix("team:")
                .filter(|t| !t.contains('/') && !config.teams.contains_key(*t))
            {
                return Err((
                    format!("\"{approver}\""),
                    format!("key `environments.{name}.approvers`: no team {team:?} in [teams]"),
                ));
            }
        }
    }
    Ok(())
}

/// `required_groups` and `allow_emergency` of every environment: each
/// group a `[teams]` entry, listed once, with a count from 1 to the number
/// of its members who may approve there. The error is (table, key,
/// message), to find its line by.
fn check_groups(config: &Config) -> Result<(), (String, String, String)> {
    for (name, env) in &config.environments {
        let table = format!("environments.{name}");
        let fail = |message: String| {
            Err((
                table.clone(),
                "required_groups".to_string(),
                format!("key `{table}.required_groups`: {message}"),
            ))
        };
        let allowed = |email: &String| {
            env.approvers.is_empty()
                || env.approvers.iter().any(|a| match a.strip_prefix("team:") {
                    Some(team) => config
                        .teams
                        .get(team)
                        .is_some_and(|m| m.iter().any(|m| m.eq_ignore_ascii_case(email))),
                    None => a.eq_ignore_ascii_case(email),
                })
        };
        for (i, group) in env.required_groups.iter().enumerate() {
            let Some(members) = config.teams.get(&group.team) else {
                return fail(format!("no team {:?} in [teams]", group.team));
            };
            if env.required_groups[..i]
                .iter()
                .any(|g| g.team == group.team)
            {
                return fail(format!(
                    "team {:?} is listed twice: give it one count",
                    group.team
                ));
            }
            if group.count == 0 {
                return fail(format!(
                    "team {:?} has count 0: a group needs at least 1 approval (or leave it out)",
                    group.team
                ));
            }
            let mut distinct: Vec<String> = members.iter().map(|m| m.to_lowercase()).collect();
            distinct.sort();
            distinct.dedup();
            if group.count > distinct.len() {
                return fail(format!(
                    "team {:?} needs {} approvals but has {} member(s): no set of approvals could pass",
                    group.team,
                    group.count,
                    distinct.len()
                ));
            }
            let may_approve = distinct.iter().filter(|m| allowed(m)).count();
            if group.count > may_approve {
                return fail(format!(
                    "team {:?} needs {} approvals but only {may_approve} of its members are in \
                     environments.{name}.approvers",
                    group.team, group.count
                ));
            }
        }
    }
    Ok(())
}

/// The 1-based line of `key = …` inside `[table]`, if the file has that
/// table's header and the key under it.
fn line_in_table(text: &str, table: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let header = format!("[{table}]");
    let start = lines.iter().position(|l| l.trim() == header)?;
    lines[start + 1..]
        .iter()
        .take_while(|l| {
            let l = l.trim();
            !(l.starts_with('[') && l.ends_with(']') && !l.contains('='))
        })
        .position(|l| {
            l.trim()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| start + 1 + i + 1)
}

/// The 1-based line on which `needle` first appears.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() + 1)
}

/// Loads the configuration, then the repository's `.plandeck.toml` as read
/// from its base branch (`repo_layer`: name and text), whose tables
/// override the user's key by key. Reading it from the base keeps a request
/// from weakening its own review policy.
pub fn load_with_repo(
    explicit: Option<&Path>,
    repo_layer: Option<(String, String)>,
) -> Result<Loaded, ConfigError> {
    let user = load(explicit)?;
    let user_text = user
        .path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    layered(user, &user_text, repo_layer)
}

/// [`load_with_repo`] with the user's configuration given as text (named
/// `name`): `plandeck ci` builds it from its environment.
pub fn load_text_with_repo(
    user_text: &str,
    name: PathBuf,
    repo_layer: Option<(String, String)>,
) -> Result<Loaded, ConfigError> {
    let user = load_str(user_text, name)?;
    layered(user, user_text, repo_layer)
}

/// `user` (whose text is `user_text`) with the repository's layer on top.
fn layered(
    user: Loaded,
    user_text: &str,
    repo_layer: Option<(String, String)>,
) -> Result<Loaded, ConfigError> {
    let Some((name, text)) = repo_layer else {
        return Ok(user);
    };
    let repo_path = PathBuf::from(&name);
    let repo_config = parse(&text, &repo_path)?;
    let repo_sets_keys = !repo_config.keys.is_empty();
    refuse_source_choice(&text, &repo_path)?;
    compile_checked(repo_config, Some(repo_path.clone()), &text)?;
    // Keys and colours are the operator's own: a repository cannot set them.
    let personal = [
        (repo_sets_keys, "[keys", "keys"),
        (
            toml::from_str::<toml::Table>(&text)
                .ok()
                .and_then(|t| t.get("display")?.get("theme").cloned())
                .is_some(),
            "theme",
            "display.theme",
        ),
    ];
    if let Some((_, needle, key)) = personal.into_iter().find(|(set, _, _)| *set) {
        return Err(ConfigError {
            file: name.clone(),
            line: line_of(&text, needle),
            message: format!("key `{key}`: set it in your own config file, not the repository's"),
        });
    }
    let mut merged: toml::Table = toml::from_str(user_text).unwrap_or_default();
    let repo_table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError {
        file: name.clone(),
        line: None,
        message: e.message().replace('\n', " "),
    })?;
    merge_tables(&mut merged, repo_table);
    let config: Config = merged
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError {
            file: format!(
                "{} + {name}",
                user.path
                    .as_ref()
                    .map_or("(defaults)".into(), |p| p.display().to_string())
            ),
            line: None,
            message: e.message().replace('\n', " "),
        })?;
    let mut loaded = compile_checked(config, Some(repo_path), &text)?;
    loaded.keys_file = user.keys_file;
    Ok(loaded)
}

/// A repository's own layer may not choose the source or anything of
/// `[github]`: where the token is sent (`api_url`) and which command runs
/// (`token_command`) are the operator's alone.
fn refuse_source_choice(text: &str, path: &Path) -> Result<(), ConfigError> {
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    let chooses_kind = table
        .get("source")
        .and_then(toml::Value::as_table)
        .is_some_and(|s| s.contains_key("kind"));
    let (needle, key) = if table.contains_key("github") {
        ("github", "github")
    } else if chooses_kind {
        ("kind", "source.kind")
    } else {
        return Ok(());
    };
    Err(ConfigError {
        file: path.display().to_string(),
        line: line_of(text, needle),
        message: format!(
            "key `{key}`: a repository's config cannot choose the source or its token (set it in your own config file)"
        ),
    })
}

fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse(
            "[risk]\nprotected_addresses = []\nbogus = 1\n",
            Path::new("c.toml"),
        )
        .expect_err("unknown key");
        let text = err.to_string();
        assert!(text.starts_with("c.toml:3: key `risk.bogus`"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn wrong_type_names_the_key() {
        let err = parse("[check]\nfail_on = 3\n", Path::new("c.toml")).expect_err("wrong type");
        assert!(
            err.to_string().starts_with("c.toml:2: key `check.fail_on`"),
            "{err}"
        );
    }

    #[test]
    fn the_example_documents_every_table_and_parses() {
        let text = include_str!("../config.example.toml");
        let config = parse(text, Path::new("config.example.toml")).expect("example parses");
        assert_eq!(config.check.max_destructive, Some(10));
        assert_eq!(config.display.noise_attributes, ["tags_all"]);
        compile(config, None).expect("example compiles");
    }

    #[test]
    fn a_root_in_two_environments_is_refused_naming_both() {
        let text = "[environments.prod]\nroots = [\"apps/*/prod*\"]\n\
                    [environments.stage]\nroots = [\"apps/web/*\"]\n";
        let config = parse(text, Path::new("c.toml")).expect("parses");
        let err = config
            .environment_of("apps/web/prod")
            .expect_err("ambiguous");
        assert!(
            err.contains("\"apps/web/prod\"") && err.contains("(prod and stage)"),
            "{err}"
        );
        assert_eq!(
            config.environment_of("apps/api/prod1"),
            Ok(Some("prod".into()))
        );
        assert_eq!(
            config.environment_of("apps/web/stage"),
            Ok(Some("stage".into()))
        );
        assert_eq!(
            config.environment_of("apps/db/dev3"),
            Ok(Some("dev".into()))
        );
    }

    #[test]
    fn a_repository_layer_cannot_choose_the_source_or_where_the_token_goes() {
        let user = tempfile::NamedTempFile::new().expect("temp");
        std::fs::write(user.path(), "[github]\nrepo = \"o/r\"\n").expect("write");
        for (layer, key) in [
            ("[github]\napi_url = \"https://evil.example\"\n", "github"),
            ("[github]\ntoken_command = \"curl evil\"\n", "github"),
            ("[source]\nkind = \"github\"\n", "source.kind"),
        ] {
            let err = load_with_repo(
                Some(user.path()),
                Some((".plandeck.toml (main)".into(), layer.into())),
            )
            .expect_err("refused");
            let text = err.to_string();
            assert!(
                text.starts_with(".plandeck.toml (main):")
                    && text.contains(&format!("key `{key}`")),
                "{text}"
            );
        }
        let fine = "[source]\nroots = [\"apps/*\"]\n";
        load_with_repo(Some(user.path()), Some(("r".into(), fine.into())))
            .expect("roots may be set");
    }

    #[test]
    fn defaults_when_empty() {
        let config = parse("", Path::new("c.toml")).expect("empty is valid");
        assert_eq!(config.check.fail_on, Risk::Critical);
    }
}
