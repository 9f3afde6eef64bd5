//! Command-line definitions and dispatch.

use crate::config::{vars, Env};
use crate::failure::Failure;
use crate::script::files::FileRoots;
use crate::script::modules::Resolver;
use crate::script::results::Format as Output;
use crate::script::{docs, engine, runner};
use crate::session::{RunOptions, Session};
use crate::sim::{FaultKind, SimOptions};
use clap::{ArgAction, Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const EXIT_CODES: &str = "Exit codes: 0 success, 1 script or API error, 2 usage or compile error, \
                          3 internal error (a bug: please report it), 130 interrupted (Ctrl-C).";

/// The version, the commit it was built from and the build date (see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("QOPS_GIT_COMMIT"),
    ", built ",
    env!("QOPS_BUILD_DATE"),
    ")"
);

/// Automate Qlik Cloud and Qlik Sense multi-cloud from short Rhai scripts.
#[derive(Parser, Debug)]
#[command(name = "qops", version = VERSION, after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    log: Log,
    #[command(subcommand)]
    command: Command,
}

/// Logging: the only flags every subcommand takes.
#[derive(Args, Debug, Clone, Default)]
struct Log {
    /// More logging: -v requests, -vv debug, -vvv trace (RUST_LOG also works)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
    /// Less logging: errors only
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

/// Where requests go.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Target {
    /// Start a simulator inside this process and run against it (sets QLIK_TENANT & co.)
    #[arg(long, conflicts_with = "sim_url")]
    sim: bool,
    /// Send requests for simulator hosts (*.qlik.localhost) to a running `qops sim` [env: QOPS_SIM]
    #[arg(long, value_name = "URL")]
    sim_url: Option<String>,
    /// Use this named connection (`qops connection`) for what is not set otherwise: flags >
    /// environment > .env > the connection [env: QOPS_CONNECTION] [default: the one in use]
    #[arg(long, value_name = "NAME")]
    connection: Option<String>,
}

/// Which variables a command reads.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct EnvFile {
    /// Read variables from this file instead of ./.env (real environment variables win)
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
}

/// The embedded simulator's entitlement (`--sim`, `qops test`).
#[derive(Args, Debug, Clone, Default)]
struct EmbeddedSim {
    /// The tenant quota of an embedded simulator's entitlement (--sim, `qops test`)
    /// [env: QOPS_SIM_TENANT_QUOTA] [default: 25]
    #[arg(long, value_name = "N", value_parser = quota)]
    sim_tenant_quota: Option<usize>,
}

/// What a script may read and hold.
#[derive(Args, Debug, Clone)]
struct Sandbox {
    /// Let scripts read and write files under DIR too (besides the working directory)
    #[arg(long = "allow-path", value_name = "DIR")]
    allow_paths: Vec<PathBuf>,
    /// Stop a script after N Rhai operations (0 = unlimited)
    #[arg(long, value_name = "N")]
    max_operations: Option<u64>,
    /// Most items in one array, nested arrays' items included
    #[arg(long, value_name = "N", value_parser = at_least_one,
          default_value_t = engine::Limits::default().max_array_size)]
    max_array_size: usize,
    /// Most entries in one map, nested maps' entries included
    #[arg(long, value_name = "N", value_parser = at_least_one,
          default_value_t = engine::Limits::default().max_map_size)]
    max_map_size: usize,
    /// Most bytes in one string, and in the strings and map keys of a value sent as JSON
    #[arg(long, value_name = "BYTES", value_parser = at_least_one,
          default_value_t = engine::Limits::default().max_string_size)]
    max_string_size: usize,
    /// Most memory a script may hold, in MiB [default: three quarters of the machine's]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(16..))]
    max_memory: Option<u64>,
    /// Deepest nesting of arrays and maps that printing, comparing and JSON accept (at most 1000)
    #[arg(long, value_name = "N", value_parser = depth,
          default_value_t = engine::Limits::default().max_depth)]
    max_depth: usize,
}

impl Default for Sandbox {
    fn default() -> Self {
        let limits = engine::Limits::default();
        Sandbox {
            allow_paths: Vec::new(),
            max_operations: None,
            max_array_size: limits.max_array_size,
            max_map_size: limits.max_map_size,
            max_string_size: limits.max_string_size,
            max_memory: None,
            max_depth: limits.max_depth,
        }
    }
}

/// How changes are made.
#[derive(Args, Debug, Clone, Default)]
struct Changes {
    /// Record every change in FILE and do each exactly once across reruns [env: QOPS_JOURNAL]
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Read from the services but change nothing: print the plan of every change instead
    #[arg(long)]
    dry_run: bool,
}

/// Installed libraries against qops.lock.
#[derive(Args, Debug, Clone, Default)]
struct Libraries {
    /// Run even when installed libraries differ from qops.lock (with a warning)
    #[arg(long)]
    allow_modified: bool,
}

/// How much runs at once.
#[derive(Args, Debug, Clone, Default)]
struct Parallelism {
    /// How many items `parallel` works on at once, unless a call says otherwise [default: 16]
    #[arg(long, value_name = "N", value_parser = concurrency)]
    concurrency: Option<usize>,
}

/// How results and plans print.
#[derive(Args, Debug, Clone, Default)]
struct Format {
    /// Print the result of `eval`, or of a `run` whose script ends in a value, as json (one
    /// line), table or csv; script `print`s then go to stderr. Dry-run plans print as JSON with
    /// `json`, as text otherwise [default: eval shows maps and arrays as indented JSON, run
    /// prints no result]
    #[arg(long, value_enum)]
    output: Option<Output>,
}

/// Every command's settings, whichever of them its subcommand takes (the rest at their defaults).
#[derive(Debug, Clone, Default)]
struct Global {
    log: Log,
    target: Target,
    env: EnvFile,
    embedded: EmbeddedSim,
    sandbox: Sandbox,
    changes: Changes,
    parallelism: Parallelism,
    format: Format,
    libraries: Libraries,
}

/// The flags of every command that runs scripts (run, eval, repl, test).
#[derive(Args, Debug, Clone, Default)]
struct RunnerFlags {
    #[command(flatten)]
    embedded: EmbeddedSim,
    #[command(flatten)]
    parallelism: Parallelism,
    #[command(flatten)]
    sandbox: Sandbox,
    #[command(flatten)]
    libraries: Libraries,
}

/// The flags of the commands that run scripts against a service (run, eval, repl).
#[derive(Args, Debug, Clone, Default)]
struct ScriptFlags {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    env: EnvFile,
    #[command(flatten)]
    changes: Changes,
    #[command(flatten)]
    runner: RunnerFlags,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a script
    Run {
        /// The script file (`-` reads it from standard input)
        file: PathBuf,
        /// A value for the script's `args` map (repeatable)
        #[arg(long = "arg", value_name = "KEY=VALUE", value_parser = key_value)]
        args: Vec<(String, String)>,
        /// Run without the checks `qops check` makes (unknown functions, methods, variables)
        #[arg(long)]
        no_check: bool,
        #[command(flatten)]
        flags: ScriptFlags,
        #[command(flatten)]
        format: Format,
    },
    /// Evaluate one expression and print the result (maps and arrays as JSON)
    Eval {
        /// The expression, e.g. 'tenant(env("QLIK_TENANT")).me().name'
        expr: String,
        #[command(flatten)]
        flags: ScriptFlags,
        #[command(flatten)]
        format: Format,
    },
    /// Compile and check scripts and the modules they import without running them (directories
    /// recursively): unknown functions, methods and module functions, wrong numbers of
    /// arguments, undefined variables; report every error with file:line:col
    Check {
        /// Files or directories [default: .]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        env: EnvFile,
        #[command(flatten)]
        libraries: Libraries,
    },
    /// Run every `test_*` function of the .rhai files under the paths, each against a fresh
    /// embedded simulator
    Test {
        /// Files or directories [default: .]
        paths: Vec<PathBuf>,
        /// Only tests whose name contains this text
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        #[command(flatten)]
        runner: RunnerFlags,
        /// Also write the results as JUnit XML to FILE (for GitHub, GitLab, Jenkins)
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Run up to N test files at once (each test still on its own simulator)
        #[arg(long, value_name = "N", value_parser = at_least_one, default_value_t = 1)]
        jobs: usize,
    },
    /// Print the reference of native functions, or of one function or library (e.g. qlik/tenant)
    Docs {
        /// A function (`users`, `policy::check`) or a library (`qlik/tenant`)
        name: Option<String>,
        /// Write Markdown files into DIR instead
        #[arg(long, value_name = "DIR")]
        markdown: Option<PathBuf>,
        #[command(flatten)]
        env: EnvFile,
    },
    /// Write .d.rhai definition files for the Rhai language server into DIR
    Definitions {
        /// Output directory (e.g. .rhai/definitions)
        dir: PathBuf,
        #[command(flatten)]
        env: EnvFile,
    },
    /// An interactive prompt: completion, multi-line input, history, a persistent scope
    Repl {
        #[command(flatten)]
        flags: ScriptFlags,
    },
    /// Run the simulator (Qlik Cloud tenants and a QSEoW site); prints one JSON ready line, serves until interrupted
    Sim(SimArgs),
    /// Print a shell completion script (e.g. `qops completions bash > ~/.local/share/bash-completion/completions/qops`)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `qops man | man -l -`
    Man,
    /// Named connections: add, list, show, test, remove, use, import (qlik-cli contexts)
    Connection(crate::connections::ConnectionArgs),
    /// Add a library to qops.toml, install it into ./qops_modules and record it in qops.lock
    /// (git sources need the git command-line tool)
    Add {
        /// The library's name: `import "NAME"` and qops_modules/NAME
        name: String,
        /// A git repository (https://, ssh://, file:// or a path)
        #[arg(
            long,
            value_name = "URL",
            conflicts_with = "path",
            required_unless_present = "path"
        )]
        git: Option<String>,
        /// A branch, tag or commit of the repository [default: its default branch]
        #[arg(long, value_name = "REV", requires = "git")]
        rev: Option<String>,
        /// A library directory instead (relative to the project root)
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
    /// Install the libraries of qops.toml exactly as qops.lock records them
    Install,
    /// Move libraries to the newest revision qops.toml allows and rewrite qops.lock
    Update {
        /// Only this library [default: all]
        name: Option<String>,
    },
    /// Create something new: `qops new lib NAME`
    New {
        #[command(subcommand)]
        what: New,
    },
}

#[derive(Subcommand, Debug)]
enum New {
    /// A library: manifest, a documented module, its test, a README and a CI workflow
    Lib {
        /// The library's name (also its directory)
        name: String,
    },
}

impl Command {
    /// The settings this command's flags give, every other one at its default.
    fn global(&self, log: &Log) -> Global {
        let mut g = Global {
            log: log.clone(),
            ..Global::default()
        };
        match self {
            Command::Run { flags, format, .. } | Command::Eval { flags, format, .. } => {
                g.apply(flags);
                g.format = format.clone();
            }
            Command::Repl { flags } => g.apply(flags),
            Command::Test { runner, .. } => g.apply_runner(runner),
            Command::Check { env, libraries, .. } => {
                g.env = env.clone();
                g.libraries = libraries.clone();
            }
            Command::Docs { env, .. } | Command::Definitions { env, .. } => g.env = env.clone(),
            Command::Connection(args) => {
                if let Some((target, env)) = args.test_flags() {
                    g.target = target.clone();
                    g.env = env.clone();
                }
            }
            Command::Sim(_)
            | Command::Completions { .. }
            | Command::Man
            | Command::Add { .. }
            | Command::Install
            | Command::Update { .. }
            | Command::New { .. } => {}
        }
        g
    }
}

impl Global {
    fn apply(&mut self, flags: &ScriptFlags) {
        self.target = flags.target.clone();
        self.env = flags.env.clone();
        self.changes = flags.changes.clone();
        self.apply_runner(&flags.runner);
    }

    fn apply_runner(&mut self, flags: &RunnerFlags) {
        self.embedded = flags.embedded.clone();
        self.parallelism = flags.parallelism.clone();
        self.sandbox = flags.sandbox.clone();
        self.libraries = flags.libraries.clone();
    }
}

#[derive(Args, Debug)]
struct SimArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Milliseconds added to every answer
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency: u64,
    /// Up to this many random extra milliseconds per answer
    #[arg(long, default_value_t = 0, value_name = "MS")]
    jitter: u64,
    /// Run the simulator's clock X times faster (token lifetimes, rate-limit windows)
    #[arg(long, default_value_t = 1.0, value_name = "X", value_parser = positive)]
    time_scale: f64,
    /// Strike this fraction of API requests with a fault (of --fault-kinds)
    #[arg(long, default_value_t = 0.0, value_name = "RATE", value_parser = fraction)]
    faults: f64,
    /// The faults drawn from, comma-separated: unavailable (503 + Retry-After, not applied),
    /// error (500/502, not applied), reset-before (connection closed, not applied), reset-after
    /// (applied, then the connection is closed mid-answer), slow (applied, answered seconds
    /// late) [default: all five]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = FaultKind::parse,
          default_values_t = FaultKind::ALL, hide_default_value = true)]
    fault_kinds: Vec<FaultKind>,
    /// Seed for ids, names and faults
    #[arg(long, default_value_t = 1, value_name = "N")]
    seed: u64,
    /// Serve other machines: required to listen on a non-loopback address; /_sim/* then needs
    /// `Authorization: Bearer <admin_token>` (printed on the ready line)
    #[arg(long)]
    public: bool,
    /// Tenants the seeded entitlement allows, the source tenant included
    #[arg(long, default_value_t = crate::sim::DEFAULT_TENANT_QUOTA, value_name = "N", value_parser = quota)]
    tenant_quota: usize,
}

fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a whole number of at least 1, got {s:?}")),
    }
}

/// Walks over values recurse once per level, so the depth limit itself is bounded.
fn depth(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to 1000, got {s:?}")),
    }
}

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a positive number, got {s:?}")),
    }
}

fn concurrency(s: &str) -> Result<usize, String> {
    let n = s
        .parse::<i64>()
        .map_err(|_| format!("expected a whole number, got {s:?}"))?;
    crate::session::check_concurrency(n)
}

/// A tenant quota: at least 1, since the seeded source tenant counts against it.
fn quota(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number of tenants, at least 1 (the source tenant), got {s:?}"
        )),
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("expected a number from 0 to 1, got {s:?}")),
    }
}

pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        // One line, no payload: a panic message may quote values, secrets included.
        eprintln!("{}", internal_error(info.location()));
        std::process::exit(3);
    }));
    // A test of the hook above needs a panic: debug builds (the tests' binary) make one on
    // request; release builds have no such door.
    #[cfg(debug_assertions)]
    if std::env::var_os("QOPS_DEBUG_PANIC").is_some() {
        panic!("requested by QOPS_DEBUG_PANIC");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let global = cli.command.global(&cli.log);
    init_logging(&global.log);
    crate::memory::set_ceiling(match global.sandbox.max_memory {
        Some(mib) => usize::try_from(mib)
            .unwrap_or(usize::MAX)
            .saturating_mul(1 << 20),
        None => crate::memory::default_ceiling(),
    });
    let outcome = if let Command::Sim(args) = cli.command {
        serve_sim(args)
    } else if let Command::Completions { shell } = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut command, "qops", &mut out);
        crate::output::write(format_args!("{}", String::from_utf8_lossy(&out)));
        Ok(())
    } else if let Command::Man = cli.command {
        manual()
            .map_err(|e| Failure::Runtime(format!("cannot render the manual: {e}")))
            .map(|page| crate::output::write(format_args!("{page}")))
    } else {
        let limits = limits(&global.sandbox);
        on_script_stack(limits.script_stack_bytes(), move || {
            dispatch(cli.command, global, limits)
        })
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

/// The manual page: the command, then each subcommand's synopsis and options (flags belong to
/// the subcommands they affect, so the top-level options alone would hide most of them).
fn manual() -> std::io::Result<String> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("qops {}", sub.get_name());
        let sub = sub.clone().bin_name(name.clone());
        let man = clap_mangen::Man::new(sub);
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_options_section(&mut section)?;
        let section = String::from_utf8_lossy(&section)
            .replace(".SH SYNOPSIS", &format!(".SH \"{}\"", name.to_uppercase()))
            .replace(".SH OPTIONS\n", "");
        out.extend_from_slice(section.as_bytes());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The panic hook's line: where, never what.
fn internal_error(location: Option<&std::panic::Location>) -> String {
    let at = location.map_or_else(|| "an unknown place".to_string(), ToString::to_string);
    format!("internal error: {at} — please report")
}

fn limits(g: &Sandbox) -> engine::Limits {
    let mut limits = engine::Limits {
        max_array_size: g.max_array_size,
        max_map_size: g.max_map_size,
        max_string_size: g.max_string_size,
        max_depth: g.max_depth,
        ..engine::Limits::default()
    };
    if let Some(n) = g.max_operations {
        limits.max_operations = n;
    }
    limits
}

/// Runs `work` on a thread with a stack of `bytes` (see [`engine::Limits::script_stack_bytes`]);
/// the stack is reserved, not used up front.
fn on_script_stack(
    bytes: usize,
    work: impl FnOnce() -> Result<(), Failure> + Send + 'static,
) -> Result<(), Failure> {
    let thread = std::thread::Builder::new()
        .name("script".into())
        .stack_size(bytes)
        .spawn(work)
        .map_err(|e| {
            Failure::Usage(format!(
                "cannot reserve {} MiB of stack for these limits ({e}); lower --max-array-size or --max-map-size",
                bytes >> 20
            ))
        })?;
    // A panic ends the process in the hook before the thread could return one.
    thread
        .join()
        .unwrap_or_else(|_| Err(Failure::Runtime(internal_error(None))))
}

fn init_logging(g: &Log) {
    use tracing_subscriber::EnvFilter;
    // Our own crate only: other crates' traces could show wire details.
    let level = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "warn,qops=info",
        (_, 2) => "warn,qops=debug",
        _ => "warn,qops=trace",
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() && g.verbose == 0 && !g.quiet => EnvFilter::new(v),
        _ => EnvFilter::new(level),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter)
        // Colours only for a person at a terminal, and never with NO_COLOR set.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_target(false)
        .without_time()
        .try_init();
}

/// The log on stderr, written around the progress bar when one is drawn.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::script::progress::around_output(|| std::io::stderr().write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Run-wide settings from the global flags.
fn run_options(g: &Global) -> RunOptions {
    let mut run = RunOptions {
        quiet: g.log.quiet,
        ..RunOptions::default()
    };
    if let Some(n) = g.parallelism.concurrency {
        run.concurrency = n;
    }
    run
}

fn dispatch(command: Command, global: Global, limits: engine::Limits) -> Result<(), Failure> {
    let roots = FileRoots::allowing(&global.sandbox.allow_paths).map_err(Failure::Usage)?;
    let run = RunOptions {
        script_stack: limits.script_stack_bytes(),
        ..run_options(&global)
    };
    match command {
        Command::Add {
            name,
            git,
            rev,
            path,
        } => return crate::project::commands::add(&name, git, rev, path),
        Command::Install => return crate::project::commands::install(),
        Command::Update { name } => return crate::project::commands::update(name.as_deref()),
        Command::New {
            what: New::Lib { name },
        } => return crate::project::scaffold::new_lib(&name),
        _ => {}
    }
    if matches!(
        command,
        Command::Run { .. }
            | Command::Eval { .. }
            | Command::Check { .. }
            | Command::Test { .. }
            | Command::Repl { .. }
    ) {
        crate::project::verify::installed_libraries(global.libraries.allow_modified)?;
    }
    if let Command::Test {
        paths,
        filter,
        junit,
        jobs,
        ..
    } = &command
    {
        let embedded = embedded_sim_options(&global, true, |name| std::env::var(name).ok())?;
        let paths = or_here(paths);
        return crate::script::testing::run(
            &roots,
            &limits,
            &run,
            &embedded,
            &paths,
            &crate::script::testing::TestOptions {
                filter: filter.as_deref(),
                junit: junit.as_deref(),
                jobs: *jobs,
            },
        );
    }
    let mut env = Env::load(global.env.env_file.as_deref()).map_err(Failure::Usage)?;
    if matches!(
        command,
        Command::Run { .. } | Command::Eval { .. } | Command::Repl { .. }
    ) {
        crate::connections::apply(&mut env, global.target.connection.as_deref())
            .map_err(Failure::Usage)?;
    }
    let embedded = embedded_sim_options(&global, false, |name| env.get(name))?;
    let mut session = Session::new(env);
    session.file_roots = roots;
    session.run = run;
    if let Command::Run { file, .. } = &command {
        session.use_script_dir(file);
    }
    if global.target.sim {
        session
            .start_embedded_sim(embedded)
            .map_err(Failure::Runtime)?;
    } else if let Some(url) = global
        .target
        .sim_url
        .clone()
        .or_else(|| session.env.get(vars::SIM).filter(|v| !v.is_empty()))
    {
        session.use_sim_url(&url).map_err(Failure::Usage)?;
    }
    let journal = global.changes.journal.clone().or_else(|| {
        session
            .env
            .get(vars::JOURNAL)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    session.client_options.dry_run = global.changes.dry_run;
    match journal {
        Some(_) if global.changes.dry_run => {
            tracing::warn!("--journal is not used under --dry-run: a dry run changes nothing")
        }
        Some(path) => {
            let journal =
                crate::journal::Journal::open(&path).map_err(|e| Failure::Usage(e.to_string()))?;
            session.client_options.journal = Some(Arc::new(journal));
        }
        None => {}
    }
    let session = Arc::new(session);
    let engine = engine::build(&session, &limits);
    let result = run_command(command, &session, engine, &limits, global.format.output);
    print_plan(&session, global.format.output);
    result
}

/// Under `--dry-run`, the plan of every change the run would have made.
fn print_plan(session: &Session, output: Option<Output>) {
    if let Some(plan) = session.built_client().and_then(|c| c.plan()) {
        crate::output::outln!("{}", plan.render(output == Some(Output::Json)));
    }
}

fn run_command(
    command: Command,
    session: &Arc<Session>,
    mut engine: rhai::Engine,
    limits: &engine::Limits,
    output: Option<Output>,
) -> Result<(), Failure> {
    if output.is_some() && matches!(command, Command::Run { .. } | Command::Eval { .. }) {
        crate::script::results::prints_to_stderr(&mut engine);
    }
    match command {
        Command::Run {
            file,
            args,
            no_check,
            ..
        } => {
            let source = runner::Source::read(&file)?;
            let args: rhai::Map = args
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            session.interrupt_on_ctrl_c(true);
            let resolver = Resolver::new(session.env.get(vars::PATH).as_deref());
            let checks = runner::Checks {
                resolver: &resolver,
                enabled: !no_check,
            };
            let value = interrupted_as_130(session, runner::run(&engine, &source, args, &checks))?;
            match output {
                Some(format) => {
                    crate::script::results::print(&engine, &source.name, &value, format)
                }
                None => Ok(()),
            }
        }
        Command::Eval { expr, .. } => {
            session.interrupt_on_ctrl_c(true);
            let source = runner::Source::inline("<eval>", &expr);
            let resolver = Resolver::new(session.env.get(vars::PATH).as_deref());
            let checks = runner::Checks {
                resolver: &resolver,
                enabled: true,
            };
            if let Some(format) = output {
                let value =
                    interrupted_as_130(session, runner::eval_value(&engine, &source, &checks))?;
                return crate::script::results::print(&engine, &source.name, &value, format);
            }
            if let Some(text) =
                interrupted_as_130(session, runner::eval(&engine, &source, &checks))?
            {
                crate::output::outln!("{text}");
            }
            Ok(())
        }
        Command::Check { paths, .. } => {
            let qops_path = session.env.get(vars::PATH);
            let n = runner::check(&engine, &or_here(&paths), qops_path.as_deref())?;
            eprintln!("{n} files ok");
            Ok(())
        }
        Command::Docs { name, markdown, .. } => {
            let resolver = Resolver::new(session.env.get(vars::PATH).as_deref());
            docs::docs(&engine, &resolver, name.as_deref(), markdown.as_deref())
        }
        Command::Definitions { dir, .. } => {
            docs::definitions(&engine, &dir)?;
            let resolver = Resolver::new(session.env.get(vars::PATH).as_deref());
            crate::script::library_definitions::write(&engine, &resolver, &dir)
        }
        Command::Repl { .. } => {
            crate::repl::run(session, engine, || engine::build(session, limits))
        }
        Command::Connection(args) => crate::connections::run(args, session),
        Command::Sim(_)
        | Command::Test { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::Add { .. }
        | Command::Install
        | Command::Update { .. }
        | Command::New { .. } => {
            unreachable!("handled in main and above")
        }
    }
}

/// After a Ctrl-C the run ends as interrupted (exit 130), with the error it stopped on if any.
fn interrupted_as_130<T>(session: &Session, result: Result<T, Failure>) -> Result<T, Failure> {
    match result {
        _ if !session.was_interrupted() => result,
        Err(failure) => Err(Failure::Interrupted(failure.to_string())),
        Ok(_) => Err(Failure::Interrupted("interrupted (Ctrl-C)".to_string())),
    }
}

/// The options of an embedded simulator (`--sim`, `qops test`): `--sim-tenant-quota`, else
/// `QOPS_SIM_TENANT_QUOTA`, else the default quota. The flag without an embedded simulator to
/// apply to is a usage error; the variable is then ignored.
fn embedded_sim_options(
    global: &Global,
    testing: bool,
    var: impl Fn(&str) -> Option<String>,
) -> Result<SimOptions, Failure> {
    let embedded = global.target.sim || testing;
    let mut opts = SimOptions::default();
    if let Some(n) = global.embedded.sim_tenant_quota {
        if !embedded {
            return Err(Failure::Usage(
                "--sim-tenant-quota applies to an embedded simulator: use it with --sim or `qops test` (a running `qops sim` takes --tenant-quota)".into(),
            ));
        }
        opts.tenant_quota = n;
    } else if let Some(v) = var(vars::SIM_TENANT_QUOTA).filter(|v| !v.is_empty()) {
        if embedded {
            opts.tenant_quota = quota(&v)
                .map_err(|e| Failure::Usage(format!("{}: {e}", vars::SIM_TENANT_QUOTA)))?;
        }
    }
    Ok(opts)
}

/// The paths given, or the working directory.
fn or_here(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

fn serve_sim(args: SimArgs) -> Result<(), Failure> {
    if !args.listen.ip().is_loopback() && !args.public {
        return Err(Failure::Usage(format!(
            "refusing to serve the simulator on {}, beyond this machine: its tenants accept \
             its published credentials; pass --public to do it anyway (/_sim/* then needs the \
             admin token of the ready line)",
            args.listen
        )));
    }
    let opts = SimOptions {
        listen: args.listen,
        latency_ms: args.latency,
        jitter_ms: args.jitter,
        time_scale: args.time_scale,
        faults: args.faults,
        fault_kinds: args.fault_kinds,
        seed: args.seed,
        public: args.public,
        tenant_quota: args.tenant_quota,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let sim = crate::sim::start(opts)
            .await
            .map_err(|e| Failure::Usage(format!("cannot listen on {}: {e}", args.listen)))?;
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", sim.ready_line());
            let _ = out.flush();
        }
        shutdown_signal().await;
        sim.shutdown().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_panic_hook_names_the_place_and_nothing_else() {
        let here = std::panic::Location::caller();
        let line = internal_error(Some(here));
        assert_eq!(
            line,
            format!(
                "internal error: src/cli.rs:{}:{} — please report",
                here.line(),
                here.column()
            )
        );
        assert_eq!(
            internal_error(None),
            "internal error: an unknown place — please report"
        );
    }

    #[test]
    fn limits_come_from_the_flags() {
        let cli = Cli::try_parse_from([
            "qops",
            "eval",
            "1",
            "--max-array-size",
            "10",
            "--max-depth",
            "100",
        ])
        .unwrap();
        let limits = limits(&cli.command.global(&cli.log).sandbox);
        assert_eq!((limits.max_array_size, limits.max_depth), (10, 100));
        assert_eq!(limits.max_map_size, engine::Limits::default().max_map_size);
        for bad in [
            ["--max-depth", "0"],
            ["--max-depth", "1001"],
            ["--max-map-size", "0"],
        ] {
            assert!(Cli::try_parse_from(["qops", "eval", "1", bad[0], bad[1]]).is_err());
        }
    }
}
