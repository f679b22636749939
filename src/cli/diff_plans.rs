//! `plandeck diff-plans OLD NEW`. Being written.

use super::{Failure, ListFormat};
use crate::config::Loaded;
use std::path::Path;

pub(super) fn run(
    _loaded: &Loaded,
    _old: &Path,
    _new: &Path,
    _color: bool,
    _format: ListFormat,
) -> Result<i32, Failure> {
    Err(Failure("not built yet".into()))
}
