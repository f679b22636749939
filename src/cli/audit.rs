//! `plandeck audit` and `plandeck audit verify`. Being written.

use super::{AuditAction, Failure, ListFormat};

pub(super) fn run(_action: Option<AuditAction>, _format: ListFormat) -> Result<i32, Failure> {
    Err(Failure("not built yet".into()))
}
