//! `cargo bench`: start-up time and memory of the real binary, and the tutorial script against a
//! simulator. Prints a Markdown table for the README.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_qops");

fn main() {
    println!("| what | runs | median | min | max | peak RSS |");
    println!("|---|---|---|---|---|---|");
    report("`qops eval 1`", 50, || {
        let ok = Command::new(BIN)
            .args(["eval", "1"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok);
    });

    let (mut sim, ready) = common::start_sim(BIN, &["--tenant-quota", "1000"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/create_tenant.rhai");
    // The same run without the static checks `qops run` makes first: their cost is the
    // difference.
    for (what, extra) in [
        (
            "tutorial script against a running `qops sim` (6 steps)",
            None,
        ),
        ("the same with `--no-check`", Some("--no-check")),
    ] {
        report(what, 20, || {
            let mut cmd = Command::new(BIN);
            for (k, v) in ready["env"].as_object().unwrap() {
                cmd.env(k, v.as_str().unwrap());
            }
            let ok = cmd
                .args(["run", script])
                .args(extra)
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok);
        });
    }
    report(
        "tutorial script with `--sim` (embedded simulator)",
        20,
        || {
            let ok = Command::new(BIN)
                .args(["run", script, "--sim"])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok);
        },
    );
    let _ = sim.kill();
    let _ = sim.wait();
}

fn report(what: &str, runs: usize, mut f: impl FnMut()) {
    f(); // warm the page cache
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| {what} | {runs} | {} | {} | {} | {} |",
        ms(times[runs / 2]),
        ms(times[0]),
        ms(times[runs - 1]),
        peak_rss_of_children()
    );
}

/// The largest resident set of any child so far (getrusage), in MiB.
fn peak_rss_of_children() -> String {
    let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return "?".into();
    }
    format!("{:.1} MiB", usage.ru_maxrss as f64 / 1024.0)
}
