//! Test support: a `qops sim` child process, the `qops` binary, and a tiny HTTP/1.1 client for
//! asserting wire behaviour directly (no client code of ours involved).

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_qops");

/// A running `qops sim`, killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
    pub addr: SocketAddr,
    pub env: BTreeMap<String, String>,
    /// The whole ready line.
    pub ready: Value,
}

impl Sim {
    pub fn start(extra: &[&str]) -> Sim {
        let mut child = Command::new(BIN)
            .arg("sim")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn qops sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("ready line");
        let ready: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
        assert_eq!(ready["domain"], "qlik.localhost");
        let url = ready["url"].as_str().unwrap().to_string();
        let addr = url.trim_start_matches("http://").parse().unwrap();
        let env = ready["env"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        Sim {
            child,
            url,
            addr,
            env,
            ready,
        }
    }

    /// The command `qops ARGS` with this simulator's environment, and `--sim-url` for the
    /// subcommands that send requests, to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = qops_cmd();
        cmd.envs(&self.env).args(args);
        if matches!(args.first(), Some(&("run" | "eval" | "repl"))) {
            cmd.arg("--sim-url").arg(&self.url);
        }
        cmd
    }

    /// `qops ARGS` with this simulator's environment and `--sim-url`.
    pub fn qops(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run qops"))
    }

    /// Runs a script written to a temp file.
    pub fn script(&self, text: &str, extra: &[&str]) -> Run {
        let file = temp_file("script.rhai", text);
        let mut args = vec!["run", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.qops(&args)
    }

    /// `qops run <repo script> ARGS --sim-url ...` in the working directory `dir`.
    pub fn run_repo_script(&self, dir: &Path, script: &str, args: &[&str]) -> Run {
        let script = repo_path(script);
        let mut cmd = qops_cmd();
        cmd.current_dir(dir)
            .envs(&self.env)
            .arg("run")
            .arg(&script)
            .args(args)
            .args(["--sim-url", &self.url]);
        Run::from(cmd.output().expect("run qops"))
    }

    /// Where runs against this simulator keep their state files (`state_dir()`); secret files
    /// are in its `secrets/`.
    pub fn state_dir(&self) -> PathBuf {
        let run = self.qops(&["eval", "state_dir()"]);
        run.ok();
        PathBuf::from(run.stdout.trim().trim_matches('"'))
    }

    pub fn tenant_host(&self) -> &str {
        &self.env["QLIK_TENANT"]
    }

    /// A raw request to this simulator with the given Host header.
    pub fn http(
        &self,
        method: &str,
        host: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        http(self.addr, method, host, path, headers, body)
    }

    /// A JSON request to the source tenant as its own OAuth client (a TenantAdmin).
    pub fn send_json(&self, method: &str, path: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {}", self.token(self.tenant_host()));
        self.http(
            method,
            self.tenant_host(),
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(&body.to_string()),
        )
    }

    /// An access token obtained with the simulator's own client on `host`.
    pub fn token(&self, host: &str) -> String {
        let body = serde_json::json!({
            "client_id": self.env["QLIK_CLIENT_ID"], "client_secret": self.env["QLIK_CLIENT_SECRET"],
            "grant_type": "client_credentials"
        })
        .to_string();
        let reply = self.http(
            "POST",
            host,
            "/oauth/token",
            &[("content-type", "application/json")],
            Some(&body),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["access_token"].as_str().unwrap().to_string()
    }

    pub fn admin(&self, what: &str) -> Value {
        self.http(
            "GET",
            &self.addr.to_string(),
            &format!("/_sim/{what}"),
            &[],
            None,
        )
        .json()
    }

    /// How many tokens `client` obtained on `host`.
    pub fn token_grants(&self, host: &str) -> u64 {
        let key = format!("{host} {}", self.env["QLIK_CLIENT_ID"]);
        self.admin("stats")["token_grants"][&key]
            .as_u64()
            .unwrap_or(0)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The state files runs kept for this simulator (`<temp>/qops-<uid>/sim-<instance>`).
        if let (Some(instance), Ok(entries)) = (
            self.env.get("QOPS_SIM_INSTANCE"),
            std::fs::read_dir(std::env::temp_dir()),
        ) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("qops-") {
                    let _ = std::fs::remove_dir_all(entry.path().join(format!("sim-{instance}")));
                }
            }
        }
    }
}

/// How long a `qops` command may take before the test fails rather than hang.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The names in `dir`, sorted (a directory that cannot be read fails the test).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `qops ARGS` with a clean environment, in the temporary directory.
pub fn qops(args: &[&str]) -> Run {
    Run::from(qops_cmd().args(args).output().unwrap())
}

/// `qops ARGS` run in `cwd` with a clean environment plus `vars`.
pub fn qops_in(cwd: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = qops_cmd();
    cmd.current_dir(cwd).args(args).envs(vars.iter().copied());
    Run::within(&mut cmd, LIMIT)
}

/// The binary with a clean environment: no Qlik variables, no user .env, no history leaks.
pub fn qops_cmd() -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("QLIK_") || k.starts_with("QOPS_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(std::env::temp_dir());
    // Never the user's named connections: a directory with none.
    cmd.env(
        "XDG_CONFIG_HOME",
        std::env::temp_dir().join(format!("qops-test-config-{}", std::process::id())),
    );
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails_with(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Runs `cmd`, killing it and failing the test if it has not ended within `limit` (a
    /// command that blocks, on a FIFO say, must not hang the suite).
    #[track_caller]
    pub fn within(cmd: &mut Command, limit: Duration) -> Run {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn qops");
        // Drained meanwhile, so a chatty child never blocks on a full pipe.
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for qops") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr.join().unwrap_or_default();
                panic!("still running after {limit:?}: {cmd:?}\nstderr:\n{stderr}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }

    /// The stdout line that starts with `prefix`, without the prefix.
    #[track_caller]
    pub fn line(&self, prefix: &str) -> String {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| {
                panic!(
                    "no line starting with {prefix:?} in:\n{}\n{}",
                    self.stdout, self.stderr
                )
            })
            .trim()
            .to_string()
    }
}

/// Reads `pipe` to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A fresh directory under the system temp dir, its real path.
fn fresh_dir() -> PathBuf {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("qops-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// A fresh file under the system temp dir.
pub fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = fresh_dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A fresh empty directory `name`, alone in a fresh directory of its own.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = fresh_dir().join(name);
    std::fs::create_dir(&dir).unwrap();
    dir
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 exchange over a fresh connection.
pub fn http(
    addr: SocketAddr,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect to sim");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A fresh working directory and the arguments of `scripts/onboard_customer.rhai` for a
/// customer (the example JWT signer's key, allowed where it lies).
pub fn onboarding_args(name: &str, admin: &str) -> (PathBuf, Vec<String>) {
    let work = temp_file("README", "onboarding work dir\n")
        .parent()
        .unwrap()
        .to_path_buf();
    let key = repo_path("scripts/keys/example-jwt-signer.pub.pem");
    let args = [
        "--arg".to_string(),
        format!("name={name}"),
        "--arg".to_string(),
        format!("admin={admin}"),
        "--arg".to_string(),
        format!("jwt_key={}", key.display()),
        "--allow-path".to_string(),
        key.parent().unwrap().display().to_string(),
    ];
    (work, args.to_vec())
}

/// Asserts that a run of an idempotent script changed nothing (its summary's last line).
#[track_caller]
pub fn assert_unchanged(run: &Run) {
    run.ok();
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("created 0, updated 0, unchanged "),
        "{}",
        run.stdout
    );
}
