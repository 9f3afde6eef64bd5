//! qops: Qlik platform operations from short Rhai scripts. All of it lives in the library.

fn main() -> std::process::ExitCode {
    qops::cli::main()
}
