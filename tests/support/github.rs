//! The tests' handle on the project's emulated GitHub (src/emulator): the
//! running emulator and a data dir for a source of it to keep downloads in.

#![allow(dead_code)] // each test crate uses part of it

pub use plandeck::emulator::*;

pub struct GitHub {
    /// The data dir a source of this emulator keeps downloads in.
    pub data: tempfile::TempDir,
    emulator: Emulator,
}

impl GitHub {
    /// Starts it for `owner/name` with no pull requests.
    pub fn start(repo: &str) -> Self {
        Self {
            data: tempfile::tempdir().expect("data dir"),
            emulator: Emulator::start(repo).expect("emulator"),
        }
    }
}

impl std::ops::Deref for GitHub {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}
