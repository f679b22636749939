//! A headless driver for tests and benchmarks: the real `update`, the
//! runner's loading code and `draw`, on ratatui's `TestBackend`, without a
//! terminal or tokio. Effects run synchronously, so "idle" is simply "no
//! effect left": tests never sleep.

use super::keymap::Keymap;
use super::msg::{BackendEvent, Effect, Msg};
use super::plan_view::Settings;
use super::runner;
use super::state::State;
use super::theme::Theme;
use super::ui::{UiState, draw};
use super::update::{load_requests, update};
use crate::backend::prelude::*;
use crate::codeview::CodeHighlighter;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::{Receiver, Sender};

pub struct Harness {
    pub state: State,
    pub ui: UiState,
    pub keymap: Keymap,
    pub terminal: Terminal<TestBackend>,
    pub theme: Theme,
    /// The runner's own effect executor, called inline.
    effects: runner::Effects,
    /// Lines that plans and applies stream, drained after each effect.
    stream: (Sender<BackendEvent>, Receiver<BackendEvent>),
    /// Whether plans and applies (`RunPlan`, `RunApply`) are carried out;
    /// by default they are left in `unhandled` for the test to answer.
    pub run_jobs: bool,
    /// Effects `update` asked for that the harness does not carry out.
    pub unhandled: Vec<Effect>,
}

/// Streamed lines a harness keeps before they are fed to `update`.
const STREAM_CAPACITY: usize = 1 << 16;

impl Harness {
    /// A harness at time `now`, with the request list loaded.
    pub fn new(
        source: Arc<dyn Backend>,
        settings: Settings,
        now: i64,
        size: (u16, u16),
        data_dir: Option<PathBuf>,
    ) -> Self {
        let settings = Arc::new(settings);
        let mut harness = Self {
            state: State::new(Arc::clone(&settings), now),
            ui: UiState::default(),
            keymap: Keymap::default(),
            terminal: match Terminal::new(TestBackend::new(size.0, size.1)) {
                Ok(terminal) => terminal,
                Err(never) => match never {},
            },
            theme: Theme::new(true),
            effects: runner::Effects {
                source,
                settings,
                highlighter: Arc::new(CodeHighlighter::new()),
                data_dir,
                drift: None,
                locks: None,
                summaries: Arc::default(),
                jobs: Arc::default(),
            },
            stream: tokio::sync::mpsc::channel(STREAM_CAPACITY),
            run_jobs: false,
            unhandled: Vec::new(),
        };
        let effects = load_requests(&mut harness.state);
        harness.run(effects);
        harness
    }

    /// Gives the harness drift reports and actions (the Drift view, the
    /// matrix's drift column), and loads the list again with them.
    pub fn with_drift(mut self, drift: Arc<dyn crate::drift::DriftOps>) -> Self {
        self.effects.drift = Some(drift);
        let effects = load_requests(&mut self.state);
        self.run(effects);
        self
    }

    /// Gives the harness the executor's lock directory, and loads the list
    /// again with it.
    pub fn with_locks(mut self, locks: PathBuf) -> Self {
        self.effects.locks = Some(locks);
        let effects = load_requests(&mut self.state);
        self.run(effects);
        self
    }

    /// Presses keys written as in the key hints: `j`, `G`, `<Enter>`,
    /// `<Esc>`, `<Space>`, `<C-d>`; several separated by spaces.
    pub fn press(&mut self, keys: &str) {
        for key in keys.split(' ').filter(|k| !k.is_empty()) {
            self.key(parse_key(key));
        }
    }

    /// Types text into a filter or search, character by character.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    pub fn key(&mut self, key: KeyEvent) {
        let effects = self.key_deferred(key);
        self.run(effects);
    }

    /// Handles a key but returns its effects instead of carrying them out,
    /// so a test or benchmark can look at the screen while work is pending.
    pub fn key_deferred(&mut self, key: KeyEvent) -> Vec<Effect> {
        update(&mut self.state, Msg::Key(key), &self.keymap)
    }

    /// Carries out effects returned by [`Harness::key_deferred`].
    pub fn complete(&mut self, effects: Vec<Effect>) {
        self.run(effects);
    }

    /// Draws a frame and returns the screen as text, one line per row.
    pub fn screen(&mut self) -> String {
        self.draw();
        let buffer = self.terminal.backend().buffer();
        let width = buffer.area.width as usize;
        buffer
            .content
            .chunks(width)
            .map(|row| {
                row.iter()
                    .map(ratatui::buffer::Cell::symbol)
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Draws a frame and returns the screen with its styles: each run of
    /// cells in one style that is not the default written
    /// `{fg=Red,bg=White,BOLD|REVERSED}text{/}`, so snapshots show colours.
    pub fn styled_screen(&mut self) -> String {
        self.draw();
        styled_view(self.terminal.backend().buffer())
    }

    pub fn draw(&mut self) {
        let (state, ui, theme, keymap) = (&self.state, &mut self.ui, &self.theme, &self.keymap);
        let _ = self
            .terminal
            .draw(|frame| draw(frame, state, ui, theme, keymap));
    }

    /// The screen row the cursor is on (drawn in reverse video).
    pub fn selected_row(&mut self) -> Option<String> {
        self.draw();
        let buffer = self.terminal.backend().buffer();
        let width = buffer.area.width as usize;
        buffer.content.chunks(width).find_map(|row| {
            let reversed = row
                .iter()
                .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
                .count();
            (reversed > width / 2).then(|| {
                row.iter()
                    .map(ratatui::buffer::Cell::symbol)
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
        })
    }

    /// Carries out effects until none is left.
    fn run(&mut self, mut effects: Vec<Effect>) {
        while let Some(effect) = effects.pop() {
            if !self.run_jobs && matches!(effect, Effect::RunPlan { .. } | Effect::RunApply { .. })
            {
                self.unhandled.push(effect);
                continue;
            }
            let event = self.effects.execute(effect, &self.stream.0);
            while let Ok(line) = self.stream.1.try_recv() {
                effects.extend(update(&mut self.state, Msg::Backend(line), &self.keymap));
            }
            if let Some(event) = event {
                effects.extend(update(&mut self.state, Msg::Backend(event), &self.keymap));
            }
        }
    }
}

/// A key written as in the key hints (`j`, `<Enter>`, `<C-d>`,
/// `<BackTab>`): the keymap's own notation. Panics on a key it cannot
/// read, which is a mistake in the test.
pub fn parse_key(key: &str) -> KeyEvent {
    match super::keymap::notation::parse(key) {
        Ok(id) => id.event(),
        Err(e) => panic!("harness key: {e}"),
    }
}

/// A buffer as text with its styles (see [`Harness::styled_screen`]).
pub fn styled_view(buffer: &ratatui::buffer::Buffer) -> String {
    use ratatui::style::{Color, Modifier};
    let width = usize::from(buffer.area.width);
    let tag = |cell: &ratatui::buffer::Cell| -> Option<String> {
        let mut parts = Vec::new();
        if cell.fg != Color::Reset {
            parts.push(format!("fg={:?}", cell.fg));
        }
        if cell.bg != Color::Reset {
            parts.push(format!("bg={:?}", cell.bg));
        }
        if cell.modifier != Modifier::empty() {
            parts.push(
                format!("{:?}", cell.modifier)
                    .replace("Modifier(", "")
                    .replace(')', ""),
            );
        }
        (!parts.is_empty()).then(|| parts.join(","))
    };
    let mut out = Vec::new();
    for row in buffer.content.chunks(width) {
        let mut line = String::new();
        let mut open: Option<String> = None;
        // Trailing unstyled blanks are not written.
        let used = row
            .iter()
            .rposition(|c| c.symbol() != " " || tag(c).is_some())
            .map_or(0, |p| p + 1);
        for cell in &row[..used] {
            let style = tag(cell);
            if style != open {
                if open.is_some() {
                    line.push_str("{/}");
                }
                if let Some(s) = &style {
                    line.push_str(&format!("{{{s}}}"));
                }
                open = style;
            }
            line.push_str(cell.symbol());
        }
        if open.is_some() {
            line.push_str("{/}");
        }
        out.push(line);
    }
    out.join("\n")
}
