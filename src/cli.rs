//! Command-line definitions and dispatch (placeholder until the client lands).

use std::process::ExitCode;

pub fn main() -> ExitCode {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let sim = crate::sim::start(crate::sim::SimOptions::default()).await.unwrap();
        println!("{}", sim.ready_line());
        let _ = tokio::signal::ctrl_c().await;
        sim.shutdown().await;
    });
    ExitCode::SUCCESS
}
