//! The Rhai side: one engine builder ([`engine::build`]) used by `run`, `eval`, `check`, the REPL
//! and the tests; handles and one binding file per API mirroring `cloud/`; conversions and reports.

pub mod convert;
pub mod engine;
pub mod report;
pub mod runner;

mod handles;
mod licenses;
mod native;
mod roles;
mod tenants;
mod users;
mod util;
