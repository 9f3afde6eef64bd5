//! What the benches share: a `qops sim` started as a user would, read from its ready line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// `qops sim ARGS` (the binary `bin`), and its ready line's JSON; kill the child when done.
pub fn start_sim(bin: &str, args: &[&str]) -> (Child, serde_json::Value) {
    let mut sim = Command::new(bin)
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("qops sim");
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (sim, serde_json::from_str(&line).unwrap())
}
