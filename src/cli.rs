//! The command line: argument parsing and the non-interactive commands.
//!
//! Exit codes: 0 success, 1 a `check` found a policy violation, 2 bad input
//! or usage. Every error is one line on stderr, `plandeck: FILE: cause`.

#![allow(clippy::disallowed_types)] // names the git backend (see clippy.toml)

use crate::config::{self, Loaded};
use crate::cost::{CostReport, load_cost_file};
use crate::plan::load_plan;
use crate::render::{MarkdownLimit, RenderContext, RenderOptions, WholePlan, ansi};
use crate::risk::Risk;
use crate::summary::Summary;
use clap::{Parser, Subcommand, ValueEnum};

/// `println!` that never panics on a closed stdout (see [`say_line`]).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::say_line(format_args!($($arg)*))
    };
}

mod apply;
mod audit;
mod ci;
mod comment;
mod diff_plans;
mod drift;
mod keys;
mod progress;
mod requests;
mod review;
mod shell;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "plandeck",
    version,
    about = "Review and approve OpenTofu/Terraform plans"
)]
pub struct Cli {
    /// Configuration file (default: the platform config dir's plandeck/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The config repository (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// The terminal UI only reads: approve, block, apply, plan and drift
    /// actions are refused (for a shared screen, or a look at production).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Without a command, plandeck opens the terminal UI on the repository.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render a plan (`tofu show -json` output) as a coloured diff.
    Show {
        /// Plan JSON file, or `-` for standard input.
        plan: PathBuf,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// Infracost or OpenInfraQuote JSON for this plan.
        #[arg(long, value_name = "FILE")]
        cost: Option<PathBuf>,
        /// Show unchanged attributes instead of folding them.
        #[arg(long)]
        all: bool,
    },
    /// Counts, risk, destructive changes, cost and digest of a plan.
    Summary {
        plan: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[arg(long, value_name = "FILE")]
        cost: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// With `--format markdown`: at most N characters (Unicode characters,
        /// not bytes; a GitHub comment holds 65536). Destructive changes come
        /// before the full plan, which is cut at a line; a line says what was
        /// cut. Too small for the headline, digest and that line: exit 2.
        #[arg(long, value_name = "N")]
        max_chars: Option<usize>,
        /// With `--max-chars`: where the reader finds the whole plan, named in
        /// the line saying what was cut (default: `plandeck show PLAN`).
        #[arg(long, value_name = "TEXT", requires = "max_chars")]
        whole_plan: Option<String>,
    },
    /// Check the configuration (the user's file, then the repository's
    /// `.plandeck.toml` from the base branch) and say what was read.
    CheckConfig,
    /// The terminal UI's effective key map: each view's actions with their
    /// keys and descriptions (your config's `[keys]` over the defaults).
    Keys,
    /// Shell completions on standard output: `plandeck completions bash >
    /// ~/.local/share/bash-completion/completions/plandeck` (README: each shell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The man page (roff) on standard output: `plandeck man | man -l -`; with
    /// `--dir DIR`, one page per command written to DIR.
    Man {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// List open requests: roots, counts, risk, cost and plan state.
    Requests {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Plan a request's roots with tofu/terraform in a temporary worktree of its head.
    Plan {
        /// The request (branch name, or its number).
        request: String,
        /// Only this root (default: every root the request touches); DIR@ENV
        /// where environments share a directory.
        #[arg(long, value_name = "ROOT")]
        root: Option<String>,
        /// No progress on the terminal (stderr).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Store a plan made elsewhere (by CI) for a request's root.
    ImportPlan {
        request: String,
        /// The root: its directory, or DIR@ENV where environments share it.
        #[arg(long, value_name = "ROOT")]
        root: String,
        /// The plan JSON (`show -json PLANFILE`).
        plan: PathBuf,
        /// The binary plan file, when there is one.
        #[arg(long, value_name = "FILE")]
        plan_file: Option<PathBuf>,
        /// Infracost or OpenInfraQuote JSON for the plan.
        #[arg(long, value_name = "FILE")]
        cost: Option<PathBuf>,
    },
    /// Build a throwaway config repo with sample requests and open the UI on it.
    Demo {
        /// Build it here and keep it (default: a temporary directory, removed on exit).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Only build it and print its path.
        #[arg(long, conflicts_with = "github")]
        no_tui: bool,
        /// The forge flow instead: the demo's requests as pull requests on
        /// plandeck's own emulated GitHub (127.0.0.1), plans from Actions
        /// artifacts, decisions as reviews. DIR keeps the downloads.
        #[arg(long)]
        github: bool,
    },
    /// Compare two plans of a root: resources added, removed or changed.
    DiffPlans {
        /// The earlier plan JSON (e.g. the approved one).
        old: PathBuf,
        /// The later plan JSON.
        new: PathBuf,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// The audit log of decisions, applies and merges (`audit verify` checks its chain).
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Colour of the listing (emergency approvals in red); `auto`: on a
        /// terminal unless `NO_COLOR` is set.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Approve a request's root: bound to its head commit and plan digest.
    Approve {
        request: String,
        /// The root: its directory, or DIR@ENV where environments share it.
        #[arg(long, value_name = "ROOT")]
        root: String,
        #[arg(long)]
        comment: Option<String>,
        /// A destructive change you reviewed, or a module call whose source can
        /// move (`module.NAME`) that you accept (repeatable); the plan view's
        /// viewed marks count too.
        #[arg(long = "ack", value_name = "ADDRESS")]
        acks: Vec<String>,
        /// An emergency (break-glass) approval: it waives a closed deployment
        /// window where the environment has `allow_emergency = true`, nothing
        /// else; needs --reason.
        #[arg(long)]
        emergency: bool,
        /// Why the emergency approval (recorded, audited, shown with it).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Block a request's root until you lift it or a new plan supersedes it.
    Block {
        request: String,
        /// The root: its directory, or DIR@ENV where environments share it.
        #[arg(long, value_name = "ROOT")]
        root: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift your block of a request's root.
    Unblock {
        request: String,
        /// The root: its directory, or DIR@ENV where environments share it.
        #[arg(long, value_name = "ROOT")]
        root: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Apply exactly the approved plan of each root (promotion order), or refuse.
    Apply {
        request: String,
        /// Only this root (DIR@ENV where environments share a directory).
        #[arg(long, value_name = "ROOT")]
        root: Option<String>,
        /// No progress on the terminal (stderr).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Share decisions with a remote: fetch its `refs/notes/plandeck`, merge
    /// it with yours (every decision of both kept), push the result.
    Sync {
        #[arg(long, default_value = "origin")]
        remote: String,
    },
    /// Runs Terraform on plandeck's behalf so that it stops when plandeck
    /// dies (see `tofu::guard`); not for people.
    #[command(name = "__guard", hide = true)]
    Guard {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// On GitHub: post the request's summary comment (created once, then edited
    /// in place) and a commit status `plandeck/ROOT` per root (success only when
    /// its gate passes).
    Comment {
        request: String,
        /// The comment's most characters (GitHub allows 65,536).
        #[arg(long, value_name = "N", default_value_t = crate::render::COMMENT_MAX_CHARS)]
        max_chars: usize,
        /// Post the comment only, no commit statuses.
        #[arg(long)]
        no_status: bool,
    },
    /// The gate report of each root of a request: every check, pass or fail, and why.
    Status {
        request: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Colour (emergency approvals and waivers in red); `auto`: on a terminal
        /// unless `NO_COLOR` is set.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// The steps of the GitHub Actions workflows in assets/github (`ci apply --help`).
    Ci {
        #[command(subcommand)]
        action: ci::CiAction,
    },
    /// Drift checks of the base branch's roots (`drift check --help` for exit codes).
    Drift {
        #[command(subcommand)]
        action: drift::DriftAction,
    },
    /// For CI: exit 1 when the plan violates the risk policy, 0 when not.
    Check {
        plan: PathBuf,
        #[arg(long, value_name = "FILE")]
        cost: Option<PathBuf>,
        /// Fail on changes at this risk or above (overrides `[check] fail_on`).
        #[arg(long, value_enum)]
        fail_on: Option<RiskArg>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// Check the hash chain (names the first edited, removed, reordered or
    /// truncated entry) and, in a repository, every decision in its notes
    /// against the log: a decision with no audit entry is named (and not
    /// counted by the gate).
    Verify,
    /// Record that the entries lost at the log's end (its head file names
    /// later ones) are accepted, so appends may go on; the gap stays visible.
    AcceptCut {
        /// Why the loss is accepted (kept in the log).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RiskArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<RiskArg> for Risk {
    fn from(arg: RiskArg) -> Self {
        match arg {
            RiskArg::Low => Risk::Low,
            RiskArg::Medium => Risk::Medium,
            RiskArg::High => Risk::High,
            RiskArg::Critical => Risk::Critical,
        }
    }
}

/// A failure that ends the command: one line, exit code 2.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

/// Runs plandeck with the process arguments and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(Failure(message)) => {
            crate::sanitize::warn_line(format_args!(
                "plandeck: {}",
                crate::sanitize::escape(&message).text
            ));
            2
        }
    }
}

pub fn run(cli: Cli) -> Result<i32, Failure> {
    if let Some(Command::Guard { command }) = &cli.command {
        let (program, args) = command
            .split_first()
            .ok_or_else(|| Failure("__guard needs a command".into()))?;
        return Ok(crate::tofu::guard::run(program, args));
    }
    let repo = cli.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    // Before any configuration: `ci` builds its own from the job.
    if let Some(Command::Ci { action }) = cli.command {
        return ci::run(cli.config.as_deref(), &repo, action);
    }
    let user = config::load(cli.config.as_deref())?;
    let layer = if uses_repo(cli.command.as_ref()) {
        repo_layer(&repo, &user.config.source.base)
    } else {
        None
    };
    let layer_name = layer.as_ref().map(|(name, _)| name.clone());
    let user_path = user.path.clone();
    let loaded = match layer {
        Some(layer) => config::load_with_repo(cli.config.as_deref(), Some(layer))?,
        None => user,
    };
    // Every command refuses a bad `[keys]`, as it refuses any bad key of
    // the file: the configuration is one thing, valid or not.
    let keymap = crate::tui::Keymap::for_config(&loaded)?;
    let Some(command) = cli.command else {
        return open_tui(&loaded, &keymap, &repo, cli.read_only);
    };
    match command {
        Command::Keys => keys::run(&keymap),
        Command::Completions { shell } => shell::completions(shell),
        Command::Man { dir } => shell::man(dir.as_deref()),
        Command::CheckConfig => {
            // Loading above already refused a bad file with its line and key.
            let user = user_path.as_ref().map_or_else(
                || "built-in defaults (no config file)".to_string(),
                |p| p.display().to_string(),
            );
            let repo_file = layer_name
                .unwrap_or_else(|| format!("no .plandeck.toml on {}", loaded.config.source.base));
            say!(
                "config OK: {}; repository: {}",
                crate::sanitize::escape(&user).text,
                crate::sanitize::escape(&repo_file).text
            );
            Ok(0)
        }
        Command::DiffPlans {
            old,
            new,
            color,
            format,
        } => diff_plans::run(&loaded, &old, &new, use_color(color), format),
        Command::Audit {
            action,
            format,
            color,
        } => audit::run(action, format, use_color(color), cli.repo.as_deref()),
        Command::Approve {
            request,
            root,
            comment,
            acks,
            emergency,
            reason,
        } => {
            let emergency = review::emergency_arg(emergency, reason)?;
            review::approve(&loaded, &repo, &request, &root, comment, &acks, emergency)
        }
        Command::Block {
            request,
            root,
            reason,
        } => review::block(&loaded, &repo, &request, &root, reason),
        Command::Unblock {
            request,
            root,
            comment,
        } => review::unblock(&loaded, &repo, &request, &root, comment),
        Command::Apply {
            request,
            root,
            quiet,
        } => {
            crate::tofu::outlive_interrupts();
            apply::run(&loaded, &repo, &request, root.as_deref(), quiet)
        }
        Command::Comment {
            request,
            max_chars,
            no_status,
        } => comment::run(&loaded, &repo, &request, max_chars, !no_status),
        Command::Status {
            request,
            format,
            color,
        } => review::status(&loaded, &repo, &request, format, use_color(color)),
        Command::Sync { remote } => review::sync(&loaded, &repo, &remote),
        Command::Guard { .. } => Err(Failure("__guard runs before the configuration".into())),
        Command::Ci { .. } => Err(Failure("ci runs before the configuration".into())),
        Command::Drift { action } => {
            crate::tofu::outlive_interrupts();
            drift::run(&loaded, &repo, action)
        }
        Command::Demo {
            dir, github: true, ..
        } => demo_github(&loaded, &keymap, dir, cli.read_only),
        Command::Demo { dir, no_tui, .. } => demo(
            &loaded,
            &keymap,
            dir,
            no_tui,
            cli.config.as_deref(),
            cli.read_only,
        ),
        Command::Requests { format } => requests::list(&loaded, &repo, format),
        Command::Plan {
            request,
            root,
            quiet,
        } => {
            crate::tofu::outlive_interrupts();
            requests::plan(&loaded, &repo, &request, root.as_deref(), quiet)
        }
        Command::ImportPlan {
            request,
            root,
            plan,
            plan_file,
            cost,
        } => requests::import(
            &loaded,
            &repo,
            &request,
            &root,
            &plan,
            plan_file.as_deref(),
            cost.as_deref(),
        ),
        Command::Show {
            plan,
            color,
            cost,
            all,
        } => {
            let plan = load_plan_warning(&plan)?;
            let cost = load_cost(cost)?;
            let options = render_options(&loaded, all);
            let ctx = context(&loaded, cost.as_ref(), &options);
            let summary = Summary::of(&plan, &loaded.risk, cost.as_ref(), &loaded.config.cost);
            let color = use_color(color);
            write_styled(color, |out| {
                ansi::write_plan(out, &plan, &summary, &ctx, color)
            })?;
            Ok(0)
        }
        Command::Summary {
            plan: path,
            format,
            cost,
            color,
            max_chars,
            whole_plan,
        } => {
            let limit = markdown_limit(&path, format, max_chars, whole_plan)?;
            let plan = load_plan_warning(&path)?;
            let cost = load_cost(cost)?;
            let summary = Summary::of(&plan, &loaded.risk, cost.as_ref(), &loaded.config.cost);
            let options = RenderOptions::default();
            let ctx = context(&loaded, cost.as_ref(), &options);
            let color = use_color(color) && matches!(format, Format::Text);
            let markdown =
                match (&format, &limit) {
                    (Format::Markdown, None) => summary.to_markdown(&plan, &ctx),
                    (Format::Markdown, Some(limit)) => summary
                        .to_markdown_within(&plan, &ctx, limit)
                        .map_err(|e| Failure(format!("--max-chars: {e}")))?,
                    _ => String::new(),
                };
            write_styled(color, |out| match format {
                Format::Json => writeln!(out, "{}", summary.to_json()),
                Format::Markdown => out.write_all(markdown.as_bytes()),
                Format::Text => ansi::write_lines(out, &summary.text_lines(), color),
            })?;
            Ok(0)
        }
        Command::Check {
            plan,
            cost,
            fail_on,
        } => {
            let plan = load_plan_warning(&plan)?;
            let cost = load_cost(cost)?;
            let mut check = loaded.config.check.clone();
            if let Some(level) = fail_on {
                check.fail_on = level.into();
            }
            let violations = crate::check::violations(&plan, &loaded.risk, cost.as_ref(), &check);
            write_stdout(|out| crate::check::report(out, &violations))?;
            Ok(if violations.is_empty() { 0 } else { 1 })
        }
    }
}

/// `--max-chars` (and `--whole-plan`), which only Markdown has.
fn markdown_limit(
    plan: &std::path::Path,
    format: Format,
    max_chars: Option<usize>,
    whole_plan: Option<String>,
) -> Result<Option<MarkdownLimit>, Failure> {
    let Some(max_chars) = max_chars else {
        return Ok(None);
    };
    if !matches!(format, Format::Markdown) {
        return Err(Failure("--max-chars is for --format markdown".into()));
    }
    let whole_plan = whole_plan.map_or_else(
        || WholePlan::Command(format!("plandeck show {}", plan.display())),
        WholePlan::Text,
    );
    Ok(Some(MarkdownLimit {
        max_chars,
        whole_plan,
    }))
}

/// Commands that work on a repository read its `.plandeck.toml` too.
fn uses_repo(command: Option<&Command>) -> bool {
    !matches!(
        command,
        Some(
            Command::Show { .. }
                | Command::Summary { .. }
                | Command::Check { .. }
                | Command::DiffPlans { .. }
                | Command::Guard { .. }
                | Command::Completions { .. }
                | Command::Man { .. }
        ) | Some(Command::Audit { .. } | Command::Demo { .. })
    )
}

/// The repository's `.plandeck.toml` as committed on the base branch.
fn repo_layer(repo: &std::path::Path, base: &str) -> Option<(String, String)> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["show", &format!("{base}:.plandeck.toml")])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    output
        .status
        .success()
        .then(|| (format!("{}:.plandeck.toml ({base})", repo.display()), text))
}

fn open_tui(
    loaded: &Loaded,
    keymap: &crate::tui::Keymap,
    repo: &std::path::Path,
    read_only: bool,
) -> Result<i32, Failure> {
    need_terminal()?;
    // Drift checks run against this clone's git repository: a forge
    // source has none here.
    let (source, drift): (std::sync::Arc<dyn crate::backend::Backend>, _) =
        match loaded.config.source.kind {
            crate::config::SourceKind::Git => {
                let git =
                    std::sync::Arc::new(crate::source::git::GitSource::open(repo, &loaded.config)?);
                (git.clone(), Some(git as _))
            }
            crate::config::SourceKind::GitHub => (crate::source::open(repo, &loaded.config)?, None),
        };
    run_tui(loaded, keymap, source, drift, read_only)
}

fn need_terminal() -> Result<(), Failure> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(Failure(
            "the terminal UI needs a terminal; `plandeck requests` lists requests as text".into(),
        ));
    }
    Ok(())
}

fn run_tui(
    loaded: &Loaded,
    keymap: &crate::tui::Keymap,
    source: std::sync::Arc<dyn crate::backend::Backend>,
    drift: Option<std::sync::Arc<dyn crate::drift::DriftOps>>,
    read_only: bool,
) -> Result<i32, Failure> {
    let options = crate::tui::TuiOptions {
        settings: std::sync::Arc::new(crate::tui::Settings::from_config(loaded)?),
        read_only,
        drift,
        locks: crate::executor::locks_dir(&*source).ok(),
        keymap: keymap.clone(),
        theme: loaded.config.display.theme,
    };
    crate::tui::run(source, options)?;
    Ok(0)
}

fn demo(
    loaded: &Loaded,
    keymap: &crate::tui::Keymap,
    dir: Option<PathBuf>,
    no_tui: bool,
    config: Option<&std::path::Path>,
    read_only: bool,
) -> Result<i32, Failure> {
    let keep = dir.is_some() || no_tui;
    let dir = dir.unwrap_or_else(|| demo_scratch("plandeck-demo"));
    let repo = crate::demo::build(&dir)?;
    if no_tui {
        say!("{}", repo.display());
        return Ok(0);
    }
    // The demo's own `.plandeck.toml` (the shop's groups and window) did
    // not exist when the configuration was loaded.
    let loaded = match repo_layer(&repo, &loaded.config.source.base) {
        Some(layer) => config::load_with_repo(config, Some(layer))?,
        None => loaded.clone(),
    };
    let result = open_tui(&loaded, keymap, &repo, read_only);
    if !keep {
        let _ = std::fs::remove_dir_all(&repo);
    }
    result
}

/// A fresh path under the temporary directory for a demo's files:
/// `PREFIX-PID-NANOS`.
fn demo_scratch(prefix: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("{prefix}-{}-{stamp}", std::process::id()))
}

/// `demo --github`: the emulated GitHub with the demo's pull requests, and
/// the terminal UI on it as the token's account (riley). The user's own
/// keys and display settings apply; the source is the emulator's alone.
fn demo_github(
    loaded: &Loaded,
    keymap: &crate::tui::Keymap,
    dir: Option<PathBuf>,
    read_only: bool,
) -> Result<i32, Failure> {
    use crate::source::github::{GitHubSource, TIMEOUT, Token};
    need_terminal()?;
    let state = crate::demo::github::state(crate::clock::unix_now())?;
    let emulator = crate::emulator::Emulator::start_with(state)
        .map_err(|e| Failure(format!("cannot start the emulated GitHub: {e}")))?;
    let mut loaded = loaded.clone();
    let config = &mut loaded.config;
    config.source.kind = crate::config::SourceKind::GitHub;
    config.source.roots = crate::demo::github::ROOTS
        .iter()
        .map(|r| r.to_string())
        .collect();
    config.github = crate::config::GitHubConfig {
        repo: crate::demo::github::REPO.into(),
        api_url: emulator.url(),
        ..crate::config::GitHubConfig::default()
    };
    let keep = dir.is_some();
    let data_dir = dir.unwrap_or_else(|| demo_scratch("plandeck-demo-github"));
    let token = Token::new(
        crate::emulator::TOKEN.to_string(),
        "the demo's emulated GitHub",
    )?;
    let source = GitHubSource::connect_in(&loaded.config, token, TIMEOUT, data_dir.clone())?;
    let result = run_tui(
        &loaded,
        keymap,
        std::sync::Arc::new(source),
        None,
        read_only,
    );
    if !keep {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    drop(emulator);
    result
}

/// Render options from the configuration's noise rules.
pub(crate) fn render_options(loaded: &Loaded, show_unchanged: bool) -> RenderOptions {
    RenderOptions {
        show_unchanged,
        noise_attributes: loaded
            .config
            .display
            .noise_attributes
            .iter()
            .cloned()
            .collect(),
    }
}

fn context<'a>(
    loaded: &'a Loaded,
    cost: Option<&'a CostReport>,
    options: &'a RenderOptions,
) -> RenderContext<'a> {
    RenderContext {
        risk: &loaded.risk,
        cost,
        cost_thresholds: &loaded.config.cost,
        options,
    }
}

/// Loads a plan and writes its warnings (newer minor format version, no
/// `format_version`) to stderr, one line each: `plandeck: warning: FILE: …`.
fn load_plan_warning(path: &std::path::Path) -> Result<crate::plan::Plan, Failure> {
    let plan = load_plan(path)?;
    for warning in &plan.warnings {
        let line = format!("{}: {warning}", path.display());
        crate::sanitize::warn_line(format_args!(
            "plandeck: warning: {}",
            crate::sanitize::escape(&line).text
        ));
    }
    Ok(plan)
}

fn load_cost(path: Option<PathBuf>) -> Result<Option<CostReport>, Failure> {
    Ok(path.map(|p| load_cost_file(&p)).transpose()?)
}

/// Colour when asked, or on a terminal unless `NO_COLOR` is set.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// Writes one line to standard output, through the terminal guard (every
/// control, bidi and invisible character escaped: see
/// [`sanitize::LineEscaper`]). A closed stdout (`| head -0`) is not an
/// error: the command goes on and exits as it would have; returns whether
/// the line was written, for a caller that must say so elsewhere.
pub(crate) fn say_line(line: std::fmt::Arguments<'_>) -> bool {
    let mut out = crate::sanitize::LineEscaper::new(io::stdout().lock());
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// Buffered stdout through the terminal guard; a closed pipe (`| head`)
/// is not an error. Every byte of the CLI's standard output passes here
/// or through [`say_line`] (`println!` is denied), so no message can
/// forget to escape what it got from a repository, plan or forge.
/// plandeck's own generated text (completion scripts, man pages), through
/// the same guard.
fn write_raw(bytes: &[u8]) -> Result<(), Failure> {
    write_stdout(|out| out.write_all(bytes))
}

fn write_stdout(body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Failure> {
    write_guarded(false, body)
}

/// [`write_stdout`] for coloured output: plandeck's own SGR colours pass,
/// every other sequence is escaped.
fn write_styled(
    color: bool,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    write_guarded(color, body)
}

fn write_guarded(
    styled: bool,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let stdout = io::BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    let mut out = if styled {
        crate::sanitize::LineEscaper::styled(stdout)
    } else {
        crate::sanitize::LineEscaper::new(stdout)
    };
    match body(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure(format!("cannot write output: {e}")))
        }
        _ => Ok(()),
    }
}
