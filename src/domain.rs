//! The types every layer shares: requests and the roots they touch, who
//! acts (identity), decisions and their audit proof, and references to
//! stored plans. Sources, review, executors and the TUI depend on this
//! module; it depends on none of them (only on serde), so no import cycle
//! can run through it. It holds data and pure helpers only: no I/O, no
//! clock, no rendering.

mod apply_run;
mod decision;
mod identity;
mod merge_message;
mod plan_ref;
mod request;

pub use apply_run::{ApplyRunTitle, apply_run_title, parse_apply_run_title};
pub use decision::{
    ApplyCheck, Attestation, AuditProof, Decision, DecisionKind, Emergency, ProofState,
    VerifyResult,
};
pub use identity::{Identity, Provider};
pub use merge_message::{APPLIED, MERGED_FOR_APPLY, MergePurpose, REQUEST_TRAILER, merge_message};
pub use plan_ref::{PlanOrigin, PlanStatus, StoredPlan};
pub use request::{MergedRequest, Request, RootRef, is_web_url};
