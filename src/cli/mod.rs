//! Command-line dispatch: parse ([`args`]), then run the subcommand.

mod args;

use args::*;
pub(crate) use args::{EnvFile, Target};

use crate::config::{vars, Env};
use crate::failure::Failure;
use crate::script::files::FileRoots;
use crate::script::modules::Resolver;
use crate::script::results::Format as Output;
use crate::script::{docs, engine, runner};
use crate::session::{RunOptions, Session};
use crate::sim::SimOptions;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
        crate::connections::apply(&mut env, global.connection.connection.as_deref())
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
                "internal error: src/cli/mod.rs:{}:{} — please report",
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
