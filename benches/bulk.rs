//! `cargo bench --bench bulk`: W3, bulk provisioning against its bound. N tenants (default 500,
//! `QOPS_BENCH_N`), each with a jwtAuth IdP, 5 users with roles and 5 professional licenses,
//! by `scripts/bulk_onboard.rhai` (CSV in, `parallel`, the journal) against
//! `qops sim --latency 50 --tenant-quota 1000`, at concurrency 16 and 64 (`QOPS_BENCH_C`).
//!
//! The bound is the larger of what the documented rate limits allow and
//! `ceil(N / concurrency) × round trips on one tenant's critical path × latency`. The critical
//! path of one customer is 9 round trips: create the tenant, the first token on it, the IdP,
//! five users, one license action for the five seats. Prints a Markdown table for the README.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_qops");
const LATENCY_MS: u64 = 50;
const CRITICAL_PATH: u64 = 9;
/// Tier 2 (creates) allows 500 requests per five-minute window per user and host: the register
/// host sees one create per tenant.
const TIER2_WINDOW: u64 = 500;
const WINDOW_SECS: u64 = 300;

fn main() {
    let n: u64 = env_or("QOPS_BENCH_N", 500);
    let levels: Vec<u64> = std::env::var("QOPS_BENCH_C")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![16, 64]);
    println!(
        "| tenants | concurrency | wall time | requests | 429s | peak RSS (qops) | bound | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for c in levels {
        run(n, c);
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run(n: u64, concurrency: u64) {
    let latency = LATENCY_MS.to_string();
    let (mut sim, ready) =
        common::start_sim(BIN, &["--latency", &latency, "--tenant-quota", "1000"]);
    let url = ready["url"].as_str().unwrap().to_string();

    let dir = std::env::temp_dir().join(format!(
        "qops-bench-bulk-{}-{concurrency}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("name\n");
    for i in 0..n {
        csv.push_str(&format!("bench-{i:04}\n"));
    }
    std::fs::write(dir.join("customers.csv"), csv).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let key = format!("{root}/scripts/keys/example-jwt-signer.pub.pem");

    let mut cmd = Command::new(BIN);
    for (k, v) in ready["env"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    let started = Instant::now();
    // Reaped by `wait4` below, which also reports the child's own peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .current_dir(&dir)
        .args(["run", &format!("{root}/scripts/bulk_onboard.rhai"), "-q"])
        .args([
            "--arg",
            "customers=customers.csv",
            "--arg",
            &format!("jwt_key={key}"),
        ])
        .args(["--allow-path", &format!("{root}/scripts/keys")])
        .args([
            "--concurrency",
            &concurrency.to_string(),
            "--journal",
            "bulk.jsonl",
        ])
        .args(["--sim-url", &url])
        .stdout(Stdio::null())
        .spawn()
        .expect("qops run");
    let (ok, rss_kib) = wait_with_rusage(child.id() as i32);
    let wall = started.elapsed();
    assert!(ok, "the bulk run failed");

    let stats = get_json(&url, "/_sim/stats");
    let requests = stats["requests"].as_u64().unwrap_or(0);
    let limited = stats["rate_limited"].as_u64().unwrap_or(0);
    let _ = sim.kill();
    let _ = sim.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let by_latency = n.div_ceil(concurrency) * CRITICAL_PATH * LATENCY_MS;
    let by_rate = (n.saturating_sub(1) / TIER2_WINDOW) * WINDOW_SECS * 1000;
    let bound = Duration::from_millis(by_latency.max(by_rate));
    println!(
        "| {n} | {concurrency} | {:.2} s | {requests} | {limited} | {:.1} MiB | {:.2} s | {:.2}× |",
        wall.as_secs_f64(),
        rss_kib as f64 / 1024.0,
        bound.as_secs_f64(),
        wall.as_secs_f64() / bound.as_secs_f64()
    );
}

/// Waits for the child and returns whether it succeeded and its own peak RSS (KiB).
fn wait_with_rusage(pid: i32) -> (bool, i64) {
    let mut status = 0;
    let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let ok = got == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ok, usage.ru_maxrss)
}

fn get_json(url: &str, path: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}
