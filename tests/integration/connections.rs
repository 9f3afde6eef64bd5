//! Named connections end to end: `qops connection add|list|show|test|remove|use|import`
//! against a running `qops sim`, `connection(name)` in scripts, `--connection` and
//! `QOPS_CONNECTION` under the environment. Every command runs with its own config, home,
//! qlik-cli and (debug-only, file-backed) keyring directories: never the real ones.

use crate::util::{qops_cmd, temp_dir, Run, Sim, LIMIT};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A user's home for one test.
struct Home {
    root: PathBuf,
    config: PathBuf,
    qlik: PathBuf,
    keyring: PathBuf,
}

impl Home {
    fn new() -> Home {
        let root = temp_dir("home");
        let home = Home {
            config: root.join("config"),
            qlik: root.join("qlik"),
            keyring: root.join("keyring"),
            root,
        };
        for dir in [&home.config, &home.qlik, &home.keyring] {
            std::fs::create_dir(dir).unwrap();
        }
        home
    }

    fn command(&self, args: &[&str], vars: &[(&str, &str)]) -> Command {
        let mut cmd = qops_cmd();
        cmd.env("HOME", &self.root)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("QLIK_CLI_USER_HOME_DIR", &self.qlik)
            .env("QOPS_TEST_KEYRING_DIR", &self.keyring)
            .envs(vars.iter().copied())
            .args(args);
        cmd
    }

    fn qops(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        Run::within(&mut self.command(args, vars), LIMIT)
    }

    /// `qops ARGS` with `input` on standard input (not a terminal).
    fn qops_fed(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args, &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn qops");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().expect("wait for qops"))
    }

    fn file(&self) -> PathBuf {
        self.config.join("qops").join("connections.toml")
    }

    fn file_text(&self) -> String {
        std::fs::read_to_string(self.file()).unwrap_or_default()
    }
}

fn client(sim: &Sim) -> (String, String) {
    (
        sim.env["QLIK_CLIENT_ID"].clone(),
        sim.env["QLIK_CLIENT_SECRET"].clone(),
    )
}

#[track_caller]
fn no_secret(run: &Run, secret: &str) {
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "the secret shows:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn each_secret_source_is_listed_shown_without_its_secret_and_tested_against_the_simulator() {
    let sim = Sim::start(&[]);
    let home = Home::new();
    let (id, secret) = client(&sim);
    let secret_file = home.root.join("secret.txt");
    std::fs::write(&secret_file, format!("  {secret}\n")).unwrap();
    let url = format!("https://{}", sim.tenant_host());
    let cat = format!("cat {}", secret_file.display());

    let adds: [(&str, Vec<&str>); 3] = [
        ("from env", vec!["--client-secret-env", "SIM_SECRET"]),
        ("from command", vec!["--client-secret-command", &cat]),
        ("from-keyring", vec!["--client-secret-keyring"]),
    ];
    for (name, source) in &adds {
        let mut args = vec!["connection", "add", name, "--url", &url, "--client-id", &id];
        args.extend(source.iter().copied());
        let run = home.qops_fed(&args, &format!("{secret}\n"));
        run.ok();
        no_secret(&run, &secret);
    }
    let region = home.qops_fed(
        &[
            "connection",
            "add",
            "us region",
            "--region-level",
            "--url",
            "us",
            "--client-id",
            &id,
            "--client-secret-keyring",
        ],
        &secret,
    );
    region.ok();

    let list = home.qops(&["connection", "list"], &[]);
    list.ok();
    for name in ["from env", "from command", "from-keyring", "us region"] {
        assert!(list.stdout.contains(name), "{}", list.stdout);
    }
    no_secret(&list, &secret);

    let show = home.qops(&["connection", "show", "from env"], &[]);
    show.ok();
    assert!(
        show.stdout.contains("environment variable SIM_SECRET"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains(&id), "{}", show.stdout);
    let show = home.qops(&["connection", "show", "from-keyring"], &[]);
    assert!(show.ok().stdout.contains("OS keyring"), "{}", show.stdout);
    no_secret(&show, &secret);
    let show = home.qops(&["connection", "show", "from command"], &[]);
    assert!(show.ok().stdout.contains(&cat), "{}", show.stdout);

    // The secret is referenced, never written to the file; the file is the owner's only.
    assert!(!home.file_text().contains(&secret));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    for name in ["from env", "from command", "from-keyring"] {
        let test = home.qops(
            &["connection", "test", name, "--sim-url", &sim.url],
            &[("SIM_SECRET", &secret)],
        );
        test.ok();
        assert!(test.stdout.contains(sim.tenant_host()), "{}", test.stdout);
        assert!(test.stdout.contains("user id"), "{}", test.stdout);
        no_secret(&test, &secret);
    }
    let test = home.qops(
        &["connection", "test", "us region", "--sim-url", &sim.url],
        &[],
    );
    assert!(
        test.ok().stdout.contains("register.us.qlik.localhost"),
        "{}",
        test.stdout
    );

    // Without the variable the env source says which variable is missing.
    let unset = home.qops(
        &["connection", "test", "from env", "--sim-url", &sim.url],
        &[],
    );
    assert!(
        unset.fails_with(1).stderr.contains("SIM_SECRET"),
        "{}",
        unset.stderr
    );

    // A wrong secret is the tenant's refusal, not a success.
    std::fs::write(&secret_file, "wrong-secret\n").unwrap();
    home.qops(
        &["connection", "test", "from command", "--sim-url", &sim.url],
        &[],
    )
    .fails_with(1);

    // Removing forgets the connection and its keyring secret.
    let keyring_files = || std::fs::read_dir(&home.keyring).unwrap().count();
    let before = keyring_files();
    home.qops(&["connection", "remove", "from-keyring"], &[])
        .ok();
    assert_eq!(keyring_files(), before - 1);
    let gone = home.qops(&["connection", "show", "from-keyring"], &[]);
    assert!(
        gone.fails_with(2).stderr.contains("no connection named"),
        "{}",
        gone.stderr
    );
}

#[test]
fn runs_take_a_connection_by_name_flag_variable_or_default_and_the_environment_wins() {
    let sim = Sim::start(&[]);
    let home = Home::new();
    let (id, secret) = client(&sim);
    let url = format!("https://{}", sim.tenant_host());
    let secret_var = [("SIM_SECRET", secret.as_str())];
    let add = |name: &str, url: &str, source: &[&str]| {
        let mut args = vec!["connection", "add", name, "--url", url, "--client-id", &id];
        args.extend_from_slice(source);
        home.qops(&args, &[]).ok();
    };
    add("sim acme", &url, &["--client-secret-env", "SIM_SECRET"]);
    add(
        "beta",
        "https://beta.us.qlik.localhost",
        &["--client-secret-env", "SIM_SECRET"],
    );
    add("locked", &url, &["--client-secret-command", "exit 7"]);
    add(
        "real",
        "https://acme.eu.qlikcloud.com",
        &["--client-secret-env", "SIM_SECRET"],
    );
    let sim_url = sim.url.as_str();

    // In a script, by name.
    let me = home.qops(
        &[
            "eval",
            r#"connection("sim acme").me().name"#,
            "--sim-url",
            sim_url,
        ],
        &secret_var,
    );
    assert!(!me.ok().stdout.trim().is_empty());
    no_secret(&me, &secret);
    let region = home.qops(
        &[
            "eval",
            r#"connection("sim acme").host"#,
            "--sim-url",
            sim_url,
        ],
        &secret_var,
    );
    assert_eq!(region.ok().stdout.trim(), sim.tenant_host());

    // For a run: --connection, else QOPS_CONNECTION, else the connection in use.
    let tenant_of = |args: &[&str], vars: &[(&str, &str)]| {
        let mut all = vec!["eval", r#"env("QLIK_TENANT", "unset")"#];
        all.extend_from_slice(args);
        home.qops(&all, vars).ok().stdout.trim().to_string()
    };
    assert_eq!(tenant_of(&[], &[]), "unset");
    assert_eq!(
        tenant_of(&["--connection", "beta"], &[]),
        "beta.us.qlik.localhost"
    );
    assert_eq!(
        tenant_of(&[], &[("QOPS_CONNECTION", "beta")]),
        "beta.us.qlik.localhost"
    );
    assert_eq!(
        tenant_of(
            &["--connection", "sim acme"],
            &[("QOPS_CONNECTION", "beta")]
        ),
        sim.tenant_host(),
        "the flag beats the variable"
    );
    home.qops(&["connection", "use", "beta"], &[]).ok();
    assert!(home.file_text().contains("current = \"beta\""));
    home.qops(&["connection", "use", "--none"], &[]).ok();
    assert_eq!(tenant_of(&[], &[]), "unset");
    home.qops(&["connection", "use", "beta"], &[]).ok();
    assert_eq!(tenant_of(&[], &[]), "beta.us.qlik.localhost");
    assert_eq!(
        tenant_of(&[], &[("QOPS_CONNECTION", "sim acme")]),
        sim.tenant_host()
    );
    // The environment beats `.env`, which beats the connection.
    assert_eq!(
        tenant_of(&[], &[("QLIK_TENANT", "gamma.us.qlik.localhost")]),
        "gamma.us.qlik.localhost"
    );
    let dotenv = home.root.join("vars.env");
    std::fs::write(&dotenv, "QLIK_TENANT=delta.us.qlik.localhost\n").unwrap();
    let dotenv = dotenv.to_str().unwrap();
    assert_eq!(
        tenant_of(&["--env-file", dotenv], &[]),
        "delta.us.qlik.localhost"
    );
    assert_eq!(
        tenant_of(
            &["--env-file", dotenv],
            &[("QLIK_TENANT", "gamma.us.qlik.localhost")]
        ),
        "gamma.us.qlik.localhost"
    );
    // Credentials are one unit: a key in the environment hides the connection's client.
    let client_id = home.qops(
        &["eval", r#"env("QLIK_CLIENT_ID", "none")"#],
        &[("QLIK_API_KEY", "k-from-env")],
    );
    assert_eq!(client_id.ok().stdout.trim(), "none");

    // The connection in use authenticates `tenant(env("QLIK_TENANT"))`.
    home.qops(&["connection", "use", "sim acme"], &[]).ok();
    let me = home.qops(
        &[
            "eval",
            r#"tenant(env("QLIK_TENANT")).me().id"#,
            "--sim-url",
            sim_url,
        ],
        &secret_var,
    );
    assert!(!me.ok().stdout.trim().is_empty());

    // Secrets are read only when the first token is fetched: a failing command does not stop
    // a run that fetches none, nor making handles; it stops the first call, naming the
    // connection, without the command's output.
    home.qops(&["connection", "use", "locked"], &[]).ok();
    assert_eq!(home.qops(&["eval", "40 + 2"], &[]).ok().stdout.trim(), "42");
    for make in [r#"tenant(env("QLIK_TENANT"))"#, r#"connection("locked")"#] {
        let script = format!("let t = {make}; print(\"handle made\"); t.me()");
        let locked = home.qops(&["eval", &script, "--sim-url", sim_url], &[]);
        locked.fails_with(1);
        assert!(
            locked.stdout.contains("handle made"),
            "{make}: {}",
            locked.stdout
        );
        assert!(
            locked.stderr.contains("\"locked\"") && locked.stderr.contains("status 7"),
            "{}",
            locked.stderr
        );
    }

    // A command runs once a run, however many handles use the connection.
    let counter = home.root.join("runs.txt");
    let secret_file = home.root.join("secret.txt");
    std::fs::write(&secret_file, &secret).unwrap();
    let counted = format!(
        "echo run >> {}; cat {}",
        counter.display(),
        secret_file.display()
    );
    add("counted", &url, &["--client-secret-command", &counted]);
    home.qops(&["eval", "1", "--connection", "counted"], &[])
        .ok();
    assert!(!counter.exists(), "no token, no command");
    let script = crate::util::temp_file(
        "twice.rhai",
        r#"let a = connection("counted"); let b = connection("counted");
           let t = tenant(env("QLIK_TENANT"));
           print(a.me().id == b.me().id && t.me().id == a.me().id);"#,
    );
    let twice = home.qops(
        &[
            "run",
            script.to_str().unwrap(),
            "--connection",
            "counted",
            "--sim-url",
            sim_url,
        ],
        &[],
    );
    assert_eq!(twice.ok().stdout.trim(), "true");
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");

    // A named connection never unknown: the flag names one that does not exist.
    let missing = home.qops(&["eval", "1", "--connection", "nope"], &[]);
    assert!(missing
        .fails_with(2)
        .stderr
        .contains("no connection named \"nope\""));

    // Under a simulator a connection to a real host is refused, in scripts and by `test`.
    let real = home.qops(
        &["eval", r#"connection("real").me()"#, "--sim-url", sim_url],
        &secret_var,
    );
    assert!(
        real.fails_with(1).stderr.contains("not a simulator host"),
        "{}",
        real.stderr
    );
    home.qops(
        &["connection", "test", "real", "--sim-url", sim_url],
        &secret_var,
    )
    .fails_with(2);
}

#[test]
fn region_level_connections_give_region_handles() {
    let sim = Sim::start(&[]);
    let home = Home::new();
    let (id, secret) = client(&sim);
    home.qops(
        &[
            "connection",
            "add",
            "us register",
            "--region-level",
            "--url",
            "https://register.us.qlik.localhost",
            "--client-id",
            &id,
            "--client-secret-env",
            "SIM_SECRET",
        ],
        &[],
    )
    .ok();
    let code = home.qops(
        &[
            "eval",
            r#"connection("us register").code"#,
            "--sim-url",
            &sim.url,
        ],
        &[("SIM_SECRET", &secret)],
    );
    assert_eq!(code.ok().stdout.trim(), "us");
    let refused = home.qops(
        &[
            "connection",
            "add",
            "keyed region",
            "--region-level",
            "--url",
            "us",
            "--api-key-env",
            "K",
        ],
        &[],
    );
    assert!(
        refused.fails_with(2).stderr.contains("region-level"),
        "{}",
        refused.stderr
    );
}

#[test]
fn qlik_cli_contexts_are_imported_without_showing_their_secrets() {
    let sim = Sim::start(&[]);
    let home = Home::new();
    let (id, secret) = client(&sim);
    let api_key = "sekrit-api-key-0123456789";
    let contexts = format!(
        r#"current-context: sim-oauth
contexts:
  sim-oauth:
    server: https://{tenant}
    oauth-client-id: {id}
    oauth-client-secret: {secret}
    server-type: cloud
    comment: the simulator's client
  keyed:
    server: https://{tenant}
    headers:
      Authorization: Bearer {api_key}
  on-prem:
    server: https://qlik.corp.example
    server-type: windows
    headers:
      Authorization: Bearer sekrit-windows-0123
  "a/b":
    server: https://{tenant}
    headers:
      Authorization: Bearer sekrit-bad-name-0123
"#,
        tenant = sim.tenant_host()
    );
    std::fs::write(home.qlik.join("contexts.yml"), contexts).unwrap();
    let secrets = [
        secret.as_str(),
        api_key,
        "sekrit-windows-0123",
        "sekrit-bad-name-0123",
    ];

    let import = home.qops(&["connection", "import"], &[]);
    import.ok();
    for s in secrets {
        no_secret(&import, s);
    }
    let out = &import.stdout;
    assert!(out.contains("imported \"sim-oauth\""), "{out}");
    assert!(out.contains("imported \"keyed\""), "{out}");
    assert!(
        out.contains("skipped \"on-prem\": server-type windows"),
        "{out}"
    );
    assert!(
        out.contains("skipped \"a/b\": invalid connection name"),
        "{out}"
    );
    assert!(out.contains("2 imported, 2 skipped"), "{out}");
    let file = home.file_text();
    for s in secrets {
        assert!(!file.contains(s), "{file}");
    }

    let show = home.qops(&["connection", "show", "keyed"], &[]);
    assert!(show.ok().stdout.contains("API key"), "{}", show.stdout);
    let show = home.qops(&["connection", "show", "sim-oauth"], &[]);
    assert!(
        show.ok().stdout.contains("the simulator's client"),
        "{}",
        show.stdout
    );
    for s in secrets {
        no_secret(&show, s);
    }
    let test = home.qops(
        &["connection", "test", "sim-oauth", "--sim-url", &sim.url],
        &[],
    );
    assert!(
        test.ok().stdout.contains(sim.tenant_host()),
        "{}",
        test.stdout
    );
    no_secret(&test, &secret);

    // Importing again skips what exists.
    let again = home.qops(&["connection", "import"], &[]);
    assert!(
        again.ok().stdout.contains("0 imported, 4 skipped"),
        "{}",
        again.stdout
    );
}

#[test]
fn names_and_descriptions_outside_the_rules_are_refused() {
    let home = Home::new();
    let add = |name: &str, description: &str| {
        home.qops(
            &[
                "connection",
                "add",
                name,
                "--url",
                "https://acme.eu.qlikcloud.com",
                "--api-key-env",
                "K",
                "--description",
                description,
            ],
            &[],
        )
    };
    let rule = "1 to 255 characters: ASCII letters, digits, spaces and _ . + -";
    let long = "n".repeat(256);
    // "Letters" are ASCII letters (see src/connections/rules.rs): `ä` is refused.
    for name in ["", long.as_str(), "a/b", "ä", " padded"] {
        let run = add(name, "");
        assert!(
            run.fails_with(2).stderr.contains(rule),
            "{name:?}: {}",
            run.stderr
        );
    }
    let too_long = add("fine", &"d".repeat(4_001));
    assert!(
        too_long.fails_with(2).stderr.contains("4001 characters"),
        "{}",
        too_long.stderr
    );
    assert!(!home.file().exists(), "nothing refused is saved");

    add(&"n".repeat(255), &"d".repeat(4_000)).ok();
    add("Acme EU_1.2+3-4", "").ok();
    let twin = add("acme eu_1.2+3-4", "");
    assert!(
        twin.fails_with(2).stderr.contains("exists already"),
        "{}",
        twin.stderr
    );
    let list = home.qops(&["connection", "list"], &[]);
    assert!(list.ok().stdout.contains("Acme EU_1.2+3-4"));

    // A secret source is required, and only one.
    let none = home.qops(
        &[
            "connection",
            "add",
            "x",
            "--url",
            "https://acme.eu.qlikcloud.com",
        ],
        &[],
    );
    assert!(
        none.fails_with(2).stderr.contains("give the credentials"),
        "{}",
        none.stderr
    );
    let two = home.qops(
        &[
            "connection",
            "add",
            "x",
            "--url",
            "https://acme.eu.qlikcloud.com",
            "--api-key-env",
            "K",
            "--api-key-command",
            "cat k",
        ],
        &[],
    );
    assert!(
        two.fails_with(2).stderr.contains("one secret source"),
        "{}",
        two.stderr
    );
}

#[test]
fn a_clear_secret_is_stored_only_when_given_and_with_a_warning() {
    let home = Home::new();
    let run = home.qops(
        &[
            "connection",
            "add",
            "clear",
            "--url",
            "https://acme.eu.qlikcloud.com",
            "--client-id",
            "id1",
            "--client-secret",
            "clear-secret-0123",
        ],
        &[],
    );
    assert!(
        run.ok().stderr.contains("stored in clear"),
        "{}",
        run.stderr
    );
    no_secret(&run, "clear-secret-0123");
    let show = home.qops(&["connection", "show", "clear"], &[]);
    assert!(
        show.ok().stdout.contains("stored in clear"),
        "{}",
        show.stdout
    );
    no_secret(&show, "clear-secret-0123");
}
