//! The REPL driven through a pseudo-terminal: each test runs `qops repl` in its own tmux server
//! (`-L` socket), types with `send-keys -l`, and reads the screen with `capture-pane`.
//! tmux is required (`.ci/run` installs it); a missing tmux fails these tests loudly.

use crate::util::{Sim, BIN};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One `qops repl` in a private tmux server, killed on drop.
struct Term {
    socket: String,
    /// Holds the history (`XDG_DATA_HOME`) and is the working directory.
    dir: PathBuf,
}

impl Term {
    /// `qops repl ARGS` with only `vars` in its environment (plus PATH, HOME, TERM).
    fn start(args: &[&str], vars: &[(&str, &str)]) -> Term {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "tmux is required for the REPL tests: apt-get install tmux (.ci/run does)"
        );
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let socket = format!("qops-repl-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(&socket);
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = format!(
            "cd {} && exec env -i PATH=/usr/bin:/bin HOME={} TERM=xterm-256color XDG_DATA_HOME={}",
            quote(&dir),
            quote(&dir),
            quote(&dir.join("data"))
        );
        for (k, v) in vars {
            cmd.push_str(&format!(" {k}={}", quote(Path::new(v))));
        }
        cmd.push_str(&format!(" {} repl", quote(Path::new(BIN))));
        for a in args {
            cmd.push_str(&format!(" {}", quote(Path::new(a))));
        }
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-s", "repl", "-x", "120", "-y", "40", &cmd])
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        let term = Term { socket, dir };
        term.wait_for("qops>");
        term
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally (a trailing `;` would be a tmux separator: it goes as hex).
    fn type_text(&self, text: &str) {
        let (body, semi) = match text.strip_suffix(';') {
            Some(b) => (b, true),
            None => (text, false),
        };
        if !body.is_empty() {
            self.tmux(&["send-keys", "-t", "repl", "-l", body]);
        }
        if semi {
            self.tmux(&["send-keys", "-t", "repl", "-H", "3b"]);
        }
    }

    /// Types a line and presses Enter.
    fn line(&self, text: &str) {
        self.type_text(text);
        self.key("Enter");
    }

    /// A named key: `Enter`, `Tab`, `C-c`.
    fn key(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "repl", key]);
    }

    /// The screen and its scrollback.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-t", "repl", "-p", "-S", "-500"])
    }

    /// Waits until the screen contains `needle`; the screen then.
    #[track_caller]
    fn wait_for(&self, needle: &str) -> String {
        self.wait_for_within(needle, Duration::from_secs(20))
    }

    #[track_caller]
    fn wait_for_within(&self, needle: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if start.elapsed() > limit {
                panic!("{needle:?} not on screen after {limit:?}:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the last line on screen is an empty prompt (the REPL is idle).
    #[track_caller]
    fn wait_for_prompt(&self) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.trim_end().ends_with("qops>") {
                return;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("no idle prompt:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types a line and waits for the prompt that follows its output.
    #[track_caller]
    fn run(&self, text: &str) -> String {
        let prompts = self.screen().matches("qops>").count();
        self.line(text);
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.matches("qops>").count() > prompts {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("no prompt after {text:?}:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn history(&self) -> String {
        std::fs::read_to_string(self.dir.join("data/qops/history")).unwrap_or_default()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// The output printed after the last `qops> text` line.
fn after(screen: &str, text: &str) -> String {
    let marker = format!("qops> {text}");
    let i = screen
        .rfind(&marker)
        .unwrap_or_else(|| panic!("{marker:?} not on screen:\n{screen}"));
    screen[i + marker.len()..].to_string()
}

#[test]
fn completion_after_a_dot_and_of_map_keys_and_namespaces() {
    let term = Term::start(&["--sim"], &[]);
    term.run(r#"let t = tenant(env("QLIK_TENANT"))"#);
    term.type_text("t.inf");
    term.key("Tab");
    term.wait_for("qops> t.info(");
    term.type_text(").name");
    term.key("Enter");
    term.wait_for("\nacme\n");

    term.run(r#"let cfg = #{region: "eu", seats: 3}"#);
    term.type_text("cfg.reg");
    term.key("Tab");
    term.wait_for("qops> cfg.region");
    term.key("Enter");
    term.wait_for("\neu\n");

    // A method list on Tab Tab, a namespace, and the hint with the signature being typed.
    term.type_text("t.use");
    term.key("Tab");
    term.key("Tab");
    let screen = term.wait_for("users");
    assert!(screen.contains("user"), "{screen}");
    term.key("C-u");
    term.type_text("poli");
    term.key("Tab");
    term.wait_for("qops> policy::");
    term.key("C-u");
    term.type_text("t.users(");
    term.wait_for("t.users(filter: &str, limit: i64) -> Array");
    term.key("C-u");
}

#[test]
fn a_multi_line_function_definition_and_imports_persist() {
    let term = Term::start(&["--sim"], &[]);
    term.line("fn area(w, h) {");
    term.line("    let a = w * h;");
    term.line("    a");
    term.run("}");
    let screen = term.run("area(6, 7)");
    assert!(
        after(&screen, "area(6, 7)").starts_with("\n42\n"),
        "{screen}"
    );

    term.run(r#"import "qlik/tenant" as tn"#);
    term.run(r#"let t = tenant(env("QLIK_TENANT"))"#);
    let screen = term.run(r#"tn::ensure_group(t, "Ops").action"#);
    assert!(
        after(&screen, r#"tn::ensure_group(t, "Ops").action"#).starts_with("\ncreated\n"),
        "{screen}"
    );
    let screen = term.run(r#"tn::ensure_group(t, "Ops").action"#);
    assert!(
        after(&screen, r#"tn::ensure_group(t, "Ops").action"#).starts_with("\nunchanged\n"),
        "{screen}"
    );
}

#[test]
fn lists_of_maps_print_as_tables_and_json_on_request() {
    let term = Term::start(&["--sim"], &[]);
    term.run(r#"let t = tenant(env("QLIK_TENANT"))"#);
    let screen = term.run("t.users()");
    let out = after(&screen, "t.users()");
    let header = out.lines().nth(1).unwrap_or_default();
    assert!(
        header.starts_with("name") && header.contains("email") && header.contains("status"),
        "{out}"
    );
    assert!(out.contains("alice@acme.example"), "{out}");
    assert!(out.contains(" rows"), "{out}");
    term.run(":json");
    let screen = term.run("t.users()");
    assert!(
        after(&screen, "t.users()").contains(r#""email": "alice@acme.example""#),
        "{screen}"
    );
    // Errors: the line, a caret, and the API's status and code.
    let screen = term.run(r#"t.user("nope")"#);
    let out = after(&screen, r#"t.user("nope")"#);
    assert!(out.contains("404") && out.contains("USERS-"), "{out}");
    assert!(out.contains(" 1 | t.user(\"nope\")\n   |   ^"), "{out}");
}

#[test]
fn help_lists_namespaces_and_documents_a_function() {
    let term = Term::start(&["--sim"], &[]);
    let screen = term.run(":help");
    for part in [":vars", "global functions:", "Tenant methods:", "policy::"] {
        assert!(screen.contains(part), "{part}:\n{screen}");
    }
    let screen = term.run(":help users");
    let out = after(&screen, ":help users");
    assert!(
        out.contains("users(t: &mut Tenant, filter: &str) -> Array"),
        "{out}"
    );
    assert!(
        out.contains("Every user of the tenant, all pages."),
        "{out}"
    );
    term.run("fn twice(x) { x * 2 }");
    let screen = term.run(":help twice");
    assert!(
        after(&screen, ":help twice").contains("twice(x)"),
        "{screen}"
    );
}

#[test]
fn ctrl_c_interrupts_a_long_loop_and_the_session_goes_on() {
    let term = Term::start(&[], &[]);
    term.run("let n = 0;");
    term.line("loop { n += 1 }");
    std::thread::sleep(Duration::from_millis(500));
    term.key("C-c");
    term.wait_for("interrupted");
    // The prompt after the interruption comes a moment later: count prompts only after it.
    term.wait_for_prompt();
    let screen = term.run("n > 0");
    assert!(after(&screen, "n > 0").starts_with("\ntrue\n"), "{screen}");
}

#[test]
fn ctrl_c_interrupts_a_call_waiting_on_the_network() {
    let sim = Sim::start(&["--latency", "15000"]);
    let vars: Vec<(&str, &str)> = sim
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let term = Term::start(&["--sim-url", &sim.url], &vars);
    term.run(r#"let t = tenant(env("QLIK_TENANT"))"#);
    term.line("t.me()");
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    term.key("C-c");
    term.wait_for_within("interrupted", Duration::from_secs(8));
    term.wait_for_prompt();
    assert!(started.elapsed() < Duration::from_secs(8));
    let screen = term.run("1 + 1");
    assert!(after(&screen, "1 + 1").starts_with("\n2\n"), "{screen}");
}

#[test]
fn a_secret_known_to_the_session_is_kept_out_of_history() {
    let secret = "s3cr3t-not-for-history-1234";
    let term = Term::start(&[], &[("QLIK_CLIENT_SECRET", secret)]);
    term.run("let harmless = 1");
    term.run(&format!("let leaked = \"{secret}\""));
    term.run("let key = #{api_key: \"abc\"}");
    term.run("let c = #{clientSecret: \"unknown-client-value\"}");
    term.run("let h = #{h: \"Bearer unknown-bearer-value\"}");
    let screen = term.run(":history");
    let listed = after(&screen, ":history");
    assert!(listed.contains("let harmless = 1"), "{listed}");
    assert!(!listed.contains(secret), "{listed}");
    term.line(":quit");
    std::thread::sleep(Duration::from_millis(300));
    let history = term.history();
    assert!(history.contains("let harmless = 1"), "{history}");
    assert!(!history.contains(secret), "{history}");
    assert!(!history.contains("api_key"), "{history}");
    assert!(!history.contains("unknown-client-value"), "{history}");
    assert!(!history.contains("unknown-bearer-value"), "{history}");
}

#[test]
fn table_cells_show_nested_values_and_help_finds_library_functions() {
    let term = Term::start(&["--sim"], &[]);
    let screen = term.run(r#"tenant(env("QLIK_TENANT")).users()"#);
    let out = after(&screen, r#"tenant(env("QLIK_TENANT")).users()"#);
    let header = out.lines().nth(1).unwrap_or_default();
    assert!(header.contains("roles"), "{out}");
    let bob = out
        .lines()
        .find(|l| l.starts_with("Bob Builder"))
        .unwrap_or_default();
    assert!(bob.contains("AnalyticsAdmin, SharedSpaceCreator"), "{out}");

    let screen = term.run(r#"qseow(env("QLIK_QSEOW"), #{}).apps()"#);
    let out = after(&screen, r#"qseow(env("QLIK_QSEOW"), #{}).apps()"#);
    let header = out.lines().nth(1).unwrap_or_default();
    assert!(
        header.contains("stream") && header.contains("owner"),
        "{out}"
    );
    let sales = out
        .lines()
        .find(|l| l.starts_with("Sales Dashboard"))
        .unwrap_or_default();
    assert!(
        sales.contains(" Sales ") && sales.contains("Alice Admin"),
        "{out}"
    );

    let screen = term.run(":help ensure_user");
    let out = after(&screen, ":help ensure_user");
    assert!(out.contains("import \"qlik/tenant\" as tenant;"), "{out}");
    assert!(out.contains("ensure_user(t, user)"), "{out}");
}
