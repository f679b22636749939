//! Per-root progress on the terminal for long commands (`plan`, `apply`,
//! `drift check`): a bar on standard error naming the root at work, ticking
//! while Terraform runs, so twenty roots never look hung. Off when stderr
//! is not a terminal or with `--quiet`; standard output is the same either
//! way (its lines are written with the bar lifted, then it is redrawn).

use crate::sanitize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::Duration;

const TICK_INTERVAL: Duration = Duration::from_millis(120);

pub(super) struct RootProgress {
    bar: Option<ProgressBar>,
    verb: &'static str,
}

impl RootProgress {
    /// A bar over `roots` roots, `verb` saying what is done to each
    /// (`planning`), when stderr is a terminal and not `quiet`.
    pub(super) fn new(verb: &'static str, roots: usize, quiet: bool) -> Self {
        let on = !quiet && roots > 0 && std::io::stderr().is_terminal();
        let bar = on.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(roots as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(TICK_INTERVAL);
            bar
        });
        Self { bar, verb }
    }

    /// `root` is being worked on.
    pub(super) fn start(&self, root: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {}", self.verb, sanitize::escape(root).text));
        }
    }

    /// The current root is done.
    pub(super) fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Runs `f` (which writes to stdout) with the bar lifted.
    pub(super) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Drop for RootProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Output of the executor, line by line, lifting the bar for each line and
/// following the roots it names (`ROOT: planning again`, `ROOT: applied`,
/// `ROOT: already applied…`). The executor has no progress hook of its
/// own yet: its lines are what says where it is.
pub(super) struct FollowLines<'a> {
    pub inner: &'a mut dyn Write,
    pub progress: &'a RootProgress,
    pub roots: Vec<String>,
    pending: Vec<u8>,
}

impl<'a> FollowLines<'a> {
    pub(super) fn new(
        inner: &'a mut dyn Write,
        progress: &'a RootProgress,
        roots: Vec<String>,
    ) -> Self {
        Self {
            inner,
            progress,
            roots,
            pending: Vec::new(),
        }
    }

    fn follow(&self, line: &str) {
        let Some(root) = self.roots.iter().find(|r| {
            line.strip_prefix(r.as_str())
                .is_some_and(|rest| rest.starts_with(": "))
        }) else {
            return;
        };
        let rest = &line[root.len() + 2..];
        if rest.starts_with("planning again") {
            self.progress.start(root);
        } else if (rest.starts_with("applied") && !rest.starts_with("applied,"))
            || rest.starts_with("already applied")
        {
            // `applied, …` lines are the after-apply check's, of a root
            // counted already.
            self.progress.done();
        }
    }
}

impl Write for FollowLines<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.follow(&String::from_utf8_lossy(&line[..line.len() - 1]));
            let inner = &mut self.inner;
            self.progress.suspend(|| inner.write_all(&line))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            let inner = &mut self.inner;
            self.progress.suspend(|| inner.write_all(&rest))?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executors_lines_pass_unchanged_and_move_the_bar() {
        let bar = ProgressBar::with_draw_target(Some(3), ProgressDrawTarget::hidden());
        let progress = RootProgress {
            bar: Some(bar.clone()),
            verb: "applying",
        };
        let mut out = Vec::new();
        let roots = vec!["apps/a".to_string(), "apps/ab".to_string()];
        let text = "apps/a: planning again at 0123abcd\n  | terraform says hi\n\
                    apps/a: applied (log x)\napps/a: applied, NOT CONVERGED: 1 change remains\n\
                    apps/a: applied, verify failed: exit 3\n\
                    apps/ab: already applied at 01234567; skipped\n\
                    apps/abc: applied\nno newline";
        {
            let mut follow = FollowLines::new(&mut out, &progress, roots);
            // In pieces, as a child's output arrives.
            for chunk in text.as_bytes().chunks(7) {
                follow.write_all(chunk).expect("write");
            }
            follow.flush().expect("flush");
        }
        assert_eq!(String::from_utf8(out).expect("utf-8"), text);
        // apps/a applied (its check's lines count nothing) and apps/ab
        // skipped; apps/abc is not a root here.
        assert_eq!(bar.position(), 2);
    }
}
