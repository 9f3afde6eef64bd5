//! One integration test binary: the real `qops` against a real `qops sim` over loopback.

mod util;

mod cli;
mod errors;
mod limits;
mod paging;
mod tokens;
mod tutorial;
