//! qops: Qlik platform operations from short Rhai scripts.
//!
//! The binary (`src/main.rs`) is a thin shell over [`cli::main`]. Everything else is private to
//! the crate except the pure rule language ([`policy`]) and the entry points the fuzz targets
//! drive ([`fuzzing`]).

mod callsite;
pub mod cli;
mod cloud;
mod config;
mod connections;
mod der;
mod failure;
mod files;
pub mod fuzzing;
mod journal;
mod memory;
mod output;
pub mod policy;
mod project;
mod qseow;
mod rate_tiers;
mod regions;
mod repl;
mod script;
mod secret;
mod session;
mod sim;
mod state_dirs;
mod wire;

/// Every allocation is counted, so `--max-memory` can stop a script before the allocator fails.
#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;
