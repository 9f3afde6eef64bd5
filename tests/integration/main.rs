//! One integration test binary: the real `qops` against a real `qops sim` over loopback.

mod util;

mod check;
mod cli;
mod configure;
mod errors;
mod fake;
mod faults;
mod hostile;
mod journal;
mod libraries;
mod limits;
mod multicloud;
mod onboarding;
mod paging;
mod parallel;
mod repl;
mod safety;
mod safety_files;
mod safety_sandbox;
mod simulator;
mod tokens;
mod transport;
mod tutorial;
