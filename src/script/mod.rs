//! The Rhai side: one engine builder ([`engine::build`]) used by `run`, `eval`, `check`, the REPL
//! and the tests; handles and one binding file per API mirroring `cloud/`; conversions and reports.

pub mod catalog;
pub mod check;
pub mod convert;
pub mod docs;
pub mod engine;
pub mod explain;
pub mod files;
pub mod modules;
pub mod progress;
pub mod redact;
pub mod report;
pub mod runner;
pub mod testing;

mod apikeys;
mod groups;
mod handles;
mod idps;
mod licenses;
mod native;
mod oauth_clients;
mod parallel;
mod policy;
mod qseow;
mod raw;
mod roles;
mod spaces;
mod tenants;
mod users;
mod util;
mod values;
