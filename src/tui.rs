//! The terminal UI: an event loop that never awaits I/O. Terminal events,
//! background results and ticks become `Msg`s; `update` turns them into
//! state changes and `Effect`s; the runner carries effects out on tokio
//! tasks; `ui::draw` redraws only when something changed. Above the backend
//! seam: the TUI sees `Arc<dyn Backend>` (the CLI opens the git backend),
//! and plans and applies in-process through the executor (`work`).

mod apply_state;
pub mod harness;
mod jobs;
pub mod keymap;
mod loads;
mod msg;
pub mod outline;
mod plan_view;
pub mod progress;
mod runner;
mod state;
pub mod summary_cache;
pub mod theme;
mod ui;
mod update;
mod work;

pub use apply_state::{AfterApply, ApplyState};
pub use jobs::{JobId, Jobs};
pub use keymap::Keymap;
pub use keymap::names as keymap_names;
pub use msg::{
    Action, BackendEvent, Effect, LoadedPlan, Msg, RequestEntry, RequestsSnapshot, RootPlanInfo,
};
pub use msg::{DriftEntry, ProgressKey, ReqId};
pub use outline::OutlineRow;
pub use plan_view::{NoiseRules, PlanView, Settings};
pub use state::{Layer, Loadable, Screen, State};
pub use theme::{Palette, Theme};
pub use ui::{UiState, draw};
pub use update::{load_requests, update};

/// The request list as the terminal UI loads it (every root's summary and
/// gate), without drift reports or apply locks: what the benchmarks time.
pub fn load_request_list(
    source: &dyn crate::backend::Backend,
    settings: &Settings,
    summaries: &summary_cache::SummaryCache,
    now: i64,
) -> Result<RequestsSnapshot, crate::backend::BackendError> {
    let stores = loads::ListStores {
        drift: None,
        locks: None,
        summaries,
    };
    loads::load_requests(source, stores, settings, None, now)
}

use crate::backend::prelude::*;
use crate::codeview::CodeHighlighter;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use work::RunningJobs;

/// Ticks drive the spinner and the clock.
const TICK_INTERVAL: Duration = Duration::from_millis(120);
/// Backend results buffered before senders wait.
const CHANNEL_CAPACITY: usize = 256;

/// What the TUI needs from the command line and configuration.
pub struct TuiOptions {
    pub settings: Arc<Settings>,
    pub read_only: bool,
    /// Drift reports and actions, when the source keeps them.
    pub drift: Option<Arc<dyn crate::drift::DriftOps>>,
    /// The local executor's apply locks (`<git-dir>/plandeck/locks`).
    pub locks: Option<std::path::PathBuf>,
    /// The defaults with the user's `[keys]` on top.
    pub keymap: Keymap,
    /// `display.theme` (`auto` asks the terminal once, at start).
    pub theme: crate::config::ThemeChoice,
}

/// Runs the TUI until the user quits. The terminal is restored on return,
/// on a panic of the UI thread (see `restore_on_ui_panic`) and on Ctrl-C
/// (a key in raw mode).
pub fn run(source: Arc<dyn Backend>, options: TuiOptions) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut terminal = ratatui::init();
        restore_on_ui_panic();
        // In raw mode now, before the event stream reads the terminal.
        let theme = Theme::choose(options.theme, !Theme::no_color_env(), || {
            theme::background::query(
                std::io::stdin(),
                &mut std::io::stdout(),
                theme::background::TIMEOUT,
            )
        });
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
        let jobs = Arc::new(RunningJobs::default());
        let result = event_loop(&mut terminal, source, options, theme, Arc::clone(&jobs)).await;
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        ratatui::restore();
        stop_jobs(&jobs).await;
        result
    })
}

/// Plans and applies still running when the user quits are interrupted and
/// waited for, on the restored terminal, so none is left holding a state lock.
async fn stop_jobs(jobs: &RunningJobs) {
    let running = jobs.running();
    if running == 0 {
        return;
    }
    crate::sanitize::warn_line(format_args!(
        "plandeck: interrupting {running} running plan/apply process(es) and waiting up to {}s…",
        work::STOP_TIMEOUT.as_secs()
    ));
    match jobs.stop(work::STOP_TIMEOUT).await {
        0 => crate::sanitize::warn_line(format_args!("plandeck: stopped")),
        left => crate::sanitize::warn_line(format_args!(
            "plandeck: {left} process(es) did not stop in time: killed"
        )),
    }
}

/// Wraps ratatui's panic hook (which leaves raw mode and the alternate
/// screen): a panic of the UI thread also turns mouse capture off before the
/// message is printed; a panic of a background thread leaves the terminal
/// alone and prints nothing over the screen, since the runner reports the
/// failed task in the UI and the UI keeps running.
fn restore_on_ui_panic() {
    let ui_thread = std::thread::current().id();
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
            restore_and_report(info);
        }
    }));
}

/// For the end-to-end tests of the panic paths: `PLANDECK_TEST_PANIC=ui`
/// panics in the event loop after the first frame, `=task` in the first
/// background load. Unset in normal use.
pub(crate) fn test_panic(place: &str) -> bool {
    std::env::var("PLANDECK_TEST_PANIC").is_ok_and(|v| v == place)
}

use crate::clock::unix_now;

/// One turn of the event loop, as far as redrawing is concerned.
#[derive(Clone, Copy, Debug)]
struct Turn {
    /// The message that woke the loop was a tick.
    tick: bool,
    /// Background results were drained after it.
    drained: bool,
    /// Jobs were running before the turn / are running after it.
    jobs_before: bool,
    jobs_after: bool,
}

impl Turn {
    /// A bare tick redraws only to animate running jobs; anything else
    /// (a key, a result, also one drained after a tick) changed the state.
    /// A tick whose drained result ended the last job must still redraw,
    /// or the screen keeps showing "loading" until the next key.
    fn needs_redraw(self) -> bool {
        !self.tick || self.drained || self.jobs_before || self.jobs_after
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    source: Arc<dyn Backend>,
    options: TuiOptions,
    theme: Theme,
    jobs: Arc<RunningJobs>,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHANNEL_CAPACITY);
    let runner = runner::Runner {
        effects: runner::Effects {
            source,
            settings: Arc::clone(&options.settings),
            highlighter: Arc::new(CodeHighlighter::new()),
            data_dir: progress::data_dir(),
            drift: options.drift,
            locks: options.locks,
            summaries: Arc::default(),
            jobs,
        },
        tx,
    };
    let keymap = options.keymap;
    let mut state = State::new(options.settings, unix_now());
    state.read_only = options.read_only;
    let mut ui = UiState::default();
    for effect in load_requests(&mut state) {
        runner.run(effect);
    }
    let panic_in_ui = test_panic("ui");
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(TICK_INTERVAL);
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| draw(frame, &state, &mut ui, &theme, &keymap))?;
            dirty = false;
            assert!(
                !panic_in_ui,
                "PLANDECK_TEST_PANIC=ui: a panic in the UI thread"
            );
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Some(Ok(Event::Mouse(mouse))) => Msg::Mouse(mouse),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => break,
            },
            Some(event) = rx.recv() => Msg::Backend(event),
            _ = ticker.tick() => Msg::Tick { now: unix_now() },
        };
        let mut turn = Turn {
            tick: matches!(msg, Msg::Tick { .. }),
            drained: false,
            jobs_before: !state.jobs.is_empty(),
            jobs_after: false,
        };
        let mut effects = update(&mut state, msg, &keymap);
        // Coalesce bursts of background results into one redraw.
        while let Ok(event) = rx.try_recv() {
            turn.drained = true;
            effects.extend(update(&mut state, Msg::Backend(event), &keymap));
        }
        turn.jobs_after = !state.jobs.is_empty();
        dirty |= turn.needs_redraw();
        for effect in effects {
            if let Effect::CopyToClipboard { text } = &effect {
                copy_to_clipboard(text);
                continue;
            }
            runner.run(effect);
        }
        if state.should_quit {
            break;
        }
    }
    Ok(())
}

/// Writes the OSC 52 sequence for `text` (best effort: a terminal that
/// ignores it copies nothing).
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = out.write_all(runner::clipboard_sequence(text).as_bytes());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::Turn;

    fn turn(tick: bool, drained: bool, jobs_before: bool, jobs_after: bool) -> Turn {
        Turn {
            tick,
            drained,
            jobs_before,
            jobs_after,
        }
    }

    #[test]
    fn an_idle_tick_does_not_redraw() {
        assert!(!turn(true, false, false, false).needs_redraw());
    }

    #[test]
    fn a_tick_that_drains_the_last_jobs_result_redraws() {
        // The case that left "loading plan…" on screen: the plan arrived
        // while a tick was handled and ended the only running job.
        assert!(turn(true, true, true, false).needs_redraw());
        assert!(turn(true, true, false, false).needs_redraw());
    }

    #[test]
    fn keys_results_and_running_jobs_redraw() {
        assert!(turn(false, false, false, false).needs_redraw());
        assert!(turn(true, false, true, true).needs_redraw());
    }
}
