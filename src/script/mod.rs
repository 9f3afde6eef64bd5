//! The Rhai side: one engine builder ([`engine::build`]) used by `run`, `eval`, `check`, the REPL
//! and the tests; handles and one binding file per API mirroring `cloud/`; conversions and reports.

pub mod builtins;
pub mod catalog;
pub mod check;
pub mod convert;
pub mod docs;
pub mod engine;
pub mod explain;
pub mod files;
mod fn_metadata;
pub mod junit;
pub mod library_definitions;
pub mod modules;
pub mod progress;
pub mod redact;
pub mod report;
pub mod results;
pub mod runner;
pub mod testing;

mod apikeys;
mod apps;
mod connection;
mod groups;
mod handles;
mod idps;
mod jwt_login;
mod licenses;
mod locations;
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
