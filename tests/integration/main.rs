//! One integration test binary: the real `qops` against a real `qops sim` over loopback.

mod util;

mod apps;
mod check;
mod cli;
mod configure;
mod connections;
mod distribution;
mod errors;
mod fake;
mod faults;
mod hostile;
mod journal;
mod jwt_session;
mod libraries;
mod limits;
mod multicloud;
mod official_clients;
mod onboarding;
mod output;
mod paging;
mod parallel;
mod readme;
mod repl;
mod safety;
mod safety_files;
mod safety_sandbox;
mod simulator;
mod teamlibs;
mod tokens;
mod transport;
mod tutorial;
