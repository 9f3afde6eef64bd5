//! qops: Qlik platform operations from short Rhai scripts.

mod cli;
mod cloud;
mod config;
mod failure;
mod qseow;
mod regions;
mod repl;
mod script;
mod secret;
mod session;
mod sim;
mod wire;

fn main() -> std::process::ExitCode {
    cli::main()
}
