//! `plandeck requests`, `plan` and `import-plan`. Being written.

use super::{Failure, ListFormat};
use crate::config::Loaded;
use std::path::Path;

pub(super) fn list(_loaded: &Loaded, _repo: &Path, _format: ListFormat) -> Result<i32, Failure> {
    Err(Failure("not built yet".into()))
}

pub(super) fn plan(
    _loaded: &Loaded,
    _repo: &Path,
    _request: &str,
    _root: Option<&str>,
) -> Result<i32, Failure> {
    Err(Failure("not built yet".into()))
}

pub(super) fn import(
    _loaded: &Loaded,
    _repo: &Path,
    _request: &str,
    _root: &str,
    _plan: &Path,
    _plan_file: Option<&Path>,
    _cost: Option<&Path>,
) -> Result<i32, Failure> {
    Err(Failure("not built yet".into()))
}
