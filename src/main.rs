//! qops: Qlik platform operations from short Rhai scripts.

mod cli;
mod regions;
mod sim;
mod wire;

fn main() -> std::process::ExitCode {
    cli::main()
}
