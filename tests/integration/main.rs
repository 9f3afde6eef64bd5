//! One integration test binary: the real `qops` against a real `qops sim` over loopback.

mod util;

mod cli;
mod configure;
mod errors;
mod fake;
mod faults;
mod hostile;
mod libraries;
mod limits;
mod multicloud;
mod onboarding;
mod paging;
mod repl;
mod simulator;
mod tokens;
mod transport;
mod tutorial;
