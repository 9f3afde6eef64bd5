//! One integration test binary: the real `qops` against a real `qops sim` over loopback.

mod util;

mod cli;
mod configure;
mod errors;
mod libraries;
mod limits;
mod multicloud;
mod onboarding;
mod paging;
mod repl;
mod safety;
mod tokens;
mod tutorial;
