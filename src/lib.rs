//! plandeck: review and approve OpenTofu/Terraform plans in the terminal.
//!
//! The library holds everything the binary does, so integration tests and
//! benchmarks can drive it: the plan model (`plan`), the attribute diff
//! (`diff`), risk and cost (`risk`, `cost`), pure rendering (`render`), the
//! terminal-safety sanitiser (`sanitize`), configuration (`config`) and the
//! command line (`cli`).

// Standard output and error go through `cli::say_line`, `warn_line` and
// `write_stdout`: the terminal guard escapes what a message forgot, and a
// closed pipe does not panic as `println!` would.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod audit_trail;
pub mod backend;
pub mod check;
pub mod cli;
pub mod clock;
pub mod codeview;
pub mod config;
pub mod cost;
pub mod delta;
pub mod demo;
pub mod diff;
pub mod domain;
pub mod drift;
pub mod emulator;
pub mod executor;
pub mod failpoint;
pub mod genplan;
pub mod plan;
pub mod render;
pub mod report;
pub mod review;
pub mod risk;
pub mod sanitize;
pub mod source;
pub mod summary;
pub mod tofu;
pub mod tui;
