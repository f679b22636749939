//! `plandeck completions SHELL` and `plandeck man`: generated from the
//! command line's own definition (clap_complete, clap_mangen), so they
//! always match the commands and flags. The output is plandeck's own text:
//! it still goes through the standard output guard.

use super::{Cli, Failure};
use clap::CommandFactory;
use std::path::Path;

pub(super) fn completions(shell: clap_complete::Shell) -> Result<i32, Failure> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "plandeck", &mut script);
    super::write_raw(&script)?;
    Ok(0)
}

/// The man page on standard output, or with `dir` one page per command
/// (`plandeck.1`, `plandeck-show.1`…) written there.
pub(super) fn man(dir: Option<&Path>) -> Result<i32, Failure> {
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
            clap_mangen::generate_to(command, dir)
                .map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
            say!("man pages written to {}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| Failure(e.to_string()))?;
            super::write_raw(&page)?;
        }
    }
    Ok(0)
}
