//! The command line: every subcommand, its flags grouped by what they affect, and the checks
//! of their values. Only `-v`/`-q` are global; a flag a subcommand does not take is refused.

use crate::script::engine;
use crate::script::results::Format as Output;
use crate::sim::FaultKind;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

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
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) log: Log,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Logging: the only flags every subcommand takes.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Log {
    /// More logging: -v requests, -vv debug, -vvv trace (RUST_LOG also works)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Less logging: errors only
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
}

/// Where requests go.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Target {
    /// Start a simulator inside this process and run against it (sets QLIK_TENANT & co.)
    #[arg(long, conflicts_with = "sim_url")]
    pub(crate) sim: bool,
    /// Send requests for simulator hosts (*.qlik.localhost) to a running `qops sim` [env: QOPS_SIM]
    #[arg(long, value_name = "URL")]
    pub(crate) sim_url: Option<String>,
}

/// Which named connection supplies what is not set otherwise.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ConnectionChoice {
    /// Use this named connection (`qops connection`) for what is not set otherwise: flags >
    /// environment > .env > the connection [env: QOPS_CONNECTION] [default: the one in use]
    #[arg(long, value_name = "NAME")]
    pub(crate) connection: Option<String>,
}

/// Which variables a command reads.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct EnvFile {
    /// Read variables from this file instead of ./.env (real environment variables win)
    #[arg(long, value_name = "PATH")]
    pub(crate) env_file: Option<PathBuf>,
}

/// The embedded simulator's entitlement (`--sim`, `qops test`).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct EmbeddedSim {
    /// The tenant quota of an embedded simulator's entitlement (--sim, `qops test`)
    /// [env: QOPS_SIM_TENANT_QUOTA] [default: 25]
    #[arg(long, value_name = "N", value_parser = quota)]
    pub(crate) sim_tenant_quota: Option<usize>,
}

/// What a script may read and hold.
#[derive(Args, Debug, Clone)]
pub(crate) struct Sandbox {
    /// Let scripts read and write files under DIR too (besides the working directory)
    #[arg(long = "allow-path", value_name = "DIR")]
    pub(crate) allow_paths: Vec<PathBuf>,
    /// Stop a script after N Rhai operations (0 = unlimited)
    #[arg(long, value_name = "N")]
    pub(crate) max_operations: Option<u64>,
    /// Most items in one array, nested arrays' items included
    #[arg(long, value_name = "N", value_parser = at_least_one,
          default_value_t = engine::Limits::default().max_array_size)]
    pub(crate) max_array_size: usize,
    /// Most entries in one map, nested maps' entries included
    #[arg(long, value_name = "N", value_parser = at_least_one,
          default_value_t = engine::Limits::default().max_map_size)]
    pub(crate) max_map_size: usize,
    /// Most bytes in one string, and in the strings and map keys of a value sent as JSON
    #[arg(long, value_name = "BYTES", value_parser = at_least_one,
          default_value_t = engine::Limits::default().max_string_size)]
    pub(crate) max_string_size: usize,
    /// Most memory a script may hold, in MiB [default: three quarters of the machine's]
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(16..))]
    pub(crate) max_memory: Option<u64>,
    /// Deepest nesting of arrays and maps that printing, comparing and JSON accept (at most 1000)
    #[arg(long, value_name = "N", value_parser = depth,
          default_value_t = engine::Limits::default().max_depth)]
    pub(crate) max_depth: usize,
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
pub(crate) struct Changes {
    /// Record every change in FILE and do each exactly once across reruns [env: QOPS_JOURNAL]
    #[arg(long, value_name = "FILE")]
    pub(crate) journal: Option<PathBuf>,
    /// Read from the services but change nothing: print the plan of every change instead
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// Installed libraries against qops.lock.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Libraries {
    /// Run even when installed libraries differ from qops.lock (with a warning)
    #[arg(long)]
    pub(crate) allow_modified: bool,
}

/// How much runs at once.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Parallelism {
    /// How many items `parallel` works on at once, unless a call says otherwise [default: 16]
    #[arg(long, value_name = "N", value_parser = concurrency)]
    pub(crate) concurrency: Option<usize>,
}

/// How results and plans print.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct Format {
    /// Print the result of `eval`, or of a `run` whose script ends in a value, as json (one
    /// line), table or csv; script `print`s then go to stderr. Dry-run plans print as JSON with
    /// `json`, as text otherwise [default: eval shows maps and arrays as indented JSON, run
    /// prints no result]
    #[arg(long, value_enum)]
    pub(crate) output: Option<Output>,
}

/// Every command's settings, whichever of them its subcommand takes (the rest at their defaults).
#[derive(Debug, Clone, Default)]
pub(crate) struct Global {
    pub(crate) log: Log,
    pub(crate) target: Target,
    pub(crate) connection: ConnectionChoice,
    pub(crate) env: EnvFile,
    pub(crate) embedded: EmbeddedSim,
    pub(crate) sandbox: Sandbox,
    pub(crate) changes: Changes,
    pub(crate) parallelism: Parallelism,
    pub(crate) format: Format,
    pub(crate) libraries: Libraries,
}

/// The flags of every command that runs scripts (run, eval, repl, test).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct RunnerFlags {
    #[command(flatten)]
    pub(crate) embedded: EmbeddedSim,
    #[command(flatten)]
    pub(crate) parallelism: Parallelism,
    #[command(flatten)]
    pub(crate) sandbox: Sandbox,
    #[command(flatten)]
    pub(crate) libraries: Libraries,
}

/// The flags of the commands that run scripts against a service (run, eval, repl).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ScriptFlags {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) connection: ConnectionChoice,
    #[command(flatten)]
    pub(crate) env: EnvFile,
    #[command(flatten)]
    pub(crate) changes: Changes,
    #[command(flatten)]
    pub(crate) runner: RunnerFlags,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
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
    /// Compile and check scripts and the modules they import, without running them
    ///
    /// Directories are searched recursively. Finds unknown functions, methods and module
    /// functions, wrong numbers of arguments and undefined variables; reports every finding as
    /// file:line:col with the nearest names and their signatures (exit 2)
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
    /// An interactive prompt: completion, multi-line input, history, a persistent scope
    Repl {
        #[command(flatten)]
        flags: ScriptFlags,
    },
    /// Named connections: add, list, show, test, remove, use, import (qlik-cli contexts)
    Connection(crate::connections::ConnectionArgs),
    /// Add a library to qops.toml, install it into ./qops_modules and lock it in qops.lock
    ///
    /// Git sources need the git command-line tool.
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
    /// Run the simulator (Qlik Cloud tenants and a QSEoW site); prints one JSON ready line, serves until interrupted
    Sim(SimArgs),
    /// Print a shell completion script (e.g. `qops completions bash > ~/.local/share/bash-completion/completions/qops`)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `qops man | man -l -`
    Man,
}

#[derive(Subcommand, Debug)]
pub(crate) enum New {
    /// A library: manifest, a documented module, its test, a README and a CI workflow
    Lib {
        /// The library's name (also its directory)
        name: String,
    },
}

impl Command {
    /// The settings this command's flags give, every other one at its default.
    pub(crate) fn global(&self, log: &Log) -> Global {
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
    pub(crate) fn apply(&mut self, flags: &ScriptFlags) {
        self.target = flags.target.clone();
        self.connection = flags.connection.clone();
        self.env = flags.env.clone();
        self.changes = flags.changes.clone();
        self.apply_runner(&flags.runner);
    }

    pub(crate) fn apply_runner(&mut self, flags: &RunnerFlags) {
        self.embedded = flags.embedded.clone();
        self.parallelism = flags.parallelism.clone();
        self.sandbox = flags.sandbox.clone();
        self.libraries = flags.libraries.clone();
    }
}

#[derive(Args, Debug)]
pub(crate) struct SimArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) listen: SocketAddr,
    /// Milliseconds added to every answer
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub(crate) latency: u64,
    /// Up to this many random extra milliseconds per answer
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub(crate) jitter: u64,
    /// Run the simulator's clock X times faster (token lifetimes, rate-limit windows)
    #[arg(long, default_value_t = 1.0, value_name = "X", value_parser = positive)]
    pub(crate) time_scale: f64,
    /// Strike this fraction of API requests with a fault (of --fault-kinds)
    #[arg(long, default_value_t = 0.0, value_name = "RATE", value_parser = fraction)]
    pub(crate) faults: f64,
    /// The faults drawn from, comma-separated: unavailable (503 + Retry-After, not applied),
    /// error (500/502, not applied), reset-before (connection closed, not applied), reset-after
    /// (applied, then the connection is closed mid-answer), slow (applied, answered seconds
    /// late) [default: all five]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = FaultKind::parse,
          default_values_t = FaultKind::ALL, hide_default_value = true)]
    pub(crate) fault_kinds: Vec<FaultKind>,
    /// Seed for ids, names and faults
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) seed: u64,
    /// Serve other machines: required to listen on a non-loopback address; /_sim/* then needs
    /// `Authorization: Bearer <admin_token>` (printed on the ready line)
    #[arg(long)]
    pub(crate) public: bool,
    /// Tenants the seeded entitlement allows, the source tenant included
    #[arg(long, default_value_t = crate::sim::DEFAULT_TENANT_QUOTA, value_name = "N", value_parser = quota)]
    pub(crate) tenant_quota: usize,
}

pub(crate) fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

pub(crate) fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a whole number of at least 1, got {s:?}")),
    }
}

/// Walks over values recurse once per level, so the depth limit itself is bounded.
pub(crate) fn depth(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to 1000, got {s:?}")),
    }
}

pub(crate) fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a positive number, got {s:?}")),
    }
}

pub(crate) fn concurrency(s: &str) -> Result<usize, String> {
    let n = s
        .parse::<i64>()
        .map_err(|_| format!("expected a whole number, got {s:?}"))?;
    crate::session::check_concurrency(n)
}

/// A tenant quota: at least 1, since the seeded source tenant counts against it.
pub(crate) fn quota(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number of tenants, at least 1 (the source tenant), got {s:?}"
        )),
    }
}

pub(crate) fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("expected a number from 0 to 1, got {s:?}")),
    }
}
