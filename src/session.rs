//! What one invocation shares between its engine, its native functions and its threads: the
//! environment, the routing of hosts, a lazily started tokio runtime and HTTP client, and the
//! embedded simulator when `--sim` asked for one. Nothing here is built until first used, so
//! `qops eval 1` starts in milliseconds.

use crate::cloud::{
    self, endpoint::Routing, endpoint::SimRoute, Client, ClientAuth, ClientOptions, Credentials,
};
use crate::config::{vars, Env};
use crate::script::files::FileRoots;
use crate::secret::Secret;
use crate::sim::{self, RunningSim, SimOptions};
use crate::state_dirs::StateDirs;
use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

pub struct Session {
    pub env: Env,
    /// Where `read_json` & co. may touch files.
    pub file_roots: FileRoots,
    /// The journal and dry-run settings of the run's client.
    pub client_options: ClientOptions,
    routing: Routing,
    runtime: OnceLock<Runtime>,
    client: OnceLock<Client>,
    sim: Mutex<Option<RunningSim>>,
    cancel: Cancel,
    /// Run-wide settings from the global flags.
    pub run: RunOptions,
    /// Where state and secret files go ([`crate::state_dirs`]).
    pub state: StateDirs,
    /// The directory of the script being run (`script_dir()`); `None`: the working directory.
    pub script_dir: Option<std::path::PathBuf>,
}

/// Run-wide settings that mean the same for `run`, `eval`, `test` and the REPL.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How many items a `parallel` call works on at once unless the call says (`--concurrency`).
    pub concurrency: usize,
    /// No progress display and no summary lines (`-q`).
    pub quiet: bool,
    /// The stack of every thread that runs script code (`parallel`'s workers too): large enough
    /// for the deepest value the limits admit ([`crate::script::engine::Limits::script_stack_bytes`]).
    pub script_stack: usize,
}

/// The concurrency of `parallel` when neither `--concurrency` nor the call names one.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// More workers than this is a typo, not a plan: refused with a message.
pub const MAX_CONCURRENCY: usize = 256;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: DEFAULT_CONCURRENCY,
            quiet: false,
            script_stack: crate::script::engine::Limits::default().script_stack_bytes(),
        }
    }
}

/// A concurrency from a flag or a script, checked against the bounds.
pub fn check_concurrency(n: i64) -> Result<usize, String> {
    match usize::try_from(n) {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!(
            "concurrency must be from 1 to {MAX_CONCURRENCY}, got {n}"
        )),
    }
}

/// Ctrl-C. The flag stops Rhai between operations (`on_progress`), the notification ends a call
/// waiting on the network. While a `parallel` call runs, the first Ctrl-C only asks it to drain
/// (dispatch nothing more, let the items in progress finish); the next one cancels.
#[derive(Default)]
struct Cancel {
    flag: AtomicBool,
    notify: Notify,
    drain: AtomicBool,
    /// Ctrl-C presses since the session was last re-armed.
    interrupts: AtomicUsize,
    /// `parallel` calls running now.
    parallel: AtomicUsize,
}

/// Marks a `parallel` call as running while it lives (see [`Session::parallel_running`]).
pub struct ParallelRunning<'a>(&'a Session);

impl Drop for ParallelRunning<'_> {
    fn drop(&mut self) {
        self.0.cancel.parallel.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a future waited on by [`Session::block_on`] answers when the wait is cancelled.
pub trait Interrupted {
    fn interrupted() -> Self;
}

impl<T> Interrupted for cloud::Result<T> {
    fn interrupted() -> Self {
        Err(cloud::Error::Usage("interrupted (Ctrl-C)".to_string()))
    }
}

impl<T> Interrupted for std::io::Result<T> {
    fn interrupted() -> Self {
        Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted (Ctrl-C)",
        ))
    }
}

/// The last handle on a session can be let go inside the session's own runtime (the Ctrl-C
/// listener holds one for a moment while it records a press); tokio refuses to drop a runtime
/// there, so that one case shuts it down without waiting.
impl Drop for Session {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            }
        }
    }
}

impl Session {
    pub fn new(env: Env) -> Session {
        Session {
            env,
            file_roots: FileRoots::new(&[]),
            client_options: ClientOptions::default(),
            routing: Routing::default(),
            runtime: OnceLock::new(),
            client: OnceLock::new(),
            sim: Mutex::new(None),
            cancel: Cancel::default(),
            run: RunOptions::default(),
            state: StateDirs::default(),
            script_dir: None,
        }
    }

    /// The script at `file` is what runs: `script_dir()` answers its directory, and files there
    /// may be read (not written) by path. Call before the engine is built.
    pub fn use_script_dir(&mut self, file: &std::path::Path) {
        let dir = crate::state_dirs::script_dir_of(file);
        self.file_roots.allow_reading(&dir);
        self.script_dir = Some(dir);
    }

    /// State and secret files go to `state` from now on, and scripts may use its directory.
    fn use_state_dirs(&mut self, state: StateDirs) {
        for dir in state.roots() {
            self.file_roots.allow_state_dir(&dir);
        }
        self.state = state;
    }

    /// Sends simulator hosts to a `qops sim` already running at `url` (`--sim-url`, `QOPS_SIM`).
    pub fn use_sim_url(&mut self, url: &str) -> Result<(), String> {
        let addr = sim_addr(url)?;
        self.routing.sim = Some(SimRoute {
            domain: sim::DOMAIN.to_string(),
            addr,
        });
        self.use_state_dirs(StateDirs::sim_at(url, &self.env));
        Ok(())
    }

    /// Starts a simulator inside this process (`--sim`) and takes its variables as the environment.
    pub fn start_embedded_sim(&mut self, opts: SimOptions) -> Result<(), String> {
        let running = self
            .block_on(sim::start(opts))
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        self.routing.sim = Some(SimRoute {
            domain: sim::DOMAIN.to_string(),
            addr: running.addr,
        });
        self.env.overlay(running.env.clone());
        tracing::info!("embedded simulator at {}", running.url);
        *self.sim.lock().unwrap_or_else(|p| p.into_inner()) = Some(running);
        self.use_state_dirs(StateDirs::embedded_sim()?);
        Ok(())
    }

    pub fn runtime(&self) -> &Runtime {
        self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("qops-io")
                .build()
                .unwrap_or_else(|e| panic!("cannot start the async runtime: {e}"))
        })
    }

    /// Runs a future to completion from synchronous code (the Rhai engine's thread, or any
    /// thread that is not a runtime worker). A [`cancel`](Self::cancel) drops the future and
    /// answers its "interrupted" error instead.
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future,
        F::Output: Interrupted,
    {
        self.runtime().block_on(async {
            let cancelled = self.cancel.notify.notified();
            tokio::pin!(cancelled);
            cancelled.as_mut().enable();
            if self.is_cancelled() {
                return F::Output::interrupted();
            }
            tokio::select! {
                out = fut => out,
                _ = cancelled => F::Output::interrupted(),
            }
        })
    }

    /// Stops the running evaluation: the engine at its next operation, a network wait at once.
    pub fn cancel(&self) {
        self.cancel.flag.store(true, Ordering::SeqCst);
        self.cancel.notify.notify_waiters();
    }

    /// Whether [`cancel`](Self::cancel) was called since the last [`reset_cancel`](Self::reset_cancel).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.flag.load(Ordering::Relaxed)
    }

    /// Arms the session for a new evaluation.
    pub fn reset_cancel(&self) {
        self.cancel.flag.store(false, Ordering::SeqCst);
        self.cancel.drain.store(false, Ordering::SeqCst);
        self.cancel.interrupts.store(0, Ordering::SeqCst);
    }

    /// One Ctrl-C: the first while a `parallel` call runs asks it to drain, any other cancels.
    /// Answers how many there were since the session was armed.
    pub fn interrupt(&self) -> usize {
        let n = self.cancel.interrupts.fetch_add(1, Ordering::SeqCst) + 1;
        if n == 1 && self.cancel.parallel.load(Ordering::SeqCst) > 0 {
            self.cancel.drain.store(true, Ordering::SeqCst);
        } else {
            self.cancel();
        }
        n
    }

    /// Whether a Ctrl-C arrived since the session was armed.
    pub fn was_interrupted(&self) -> bool {
        self.cancel.interrupts.load(Ordering::SeqCst) > 0
    }

    /// Whether `parallel` should start no more items: a Ctrl-C asked it to drain, or to stop.
    pub fn is_draining(&self) -> bool {
        self.cancel.drain.load(Ordering::SeqCst) || self.is_cancelled()
    }

    /// Marks a `parallel` call as running until the guard drops, so that a first Ctrl-C drains
    /// it instead of cancelling.
    pub fn parallel_running(&self) -> ParallelRunning<'_> {
        self.cancel.parallel.fetch_add(1, Ordering::SeqCst);
        ParallelRunning(self)
    }

    /// Ctrl-C (SIGINT) becomes [`interrupt`](Self::interrupt) for as long as the session lives.
    /// With `exit_on_third`, a third Ctrl-C ends the process at once with exit code 130, for a
    /// run stuck where nothing checks the cancel flag.
    pub fn interrupt_on_ctrl_c(self: &Arc<Self>, exit_on_third: bool) {
        let weak = Arc::downgrade(self);
        let runtime = self.runtime();
        // Listening starts here, not when the task first runs: a Ctrl-C right after this call
        // must not meet the default handler, which would kill the process.
        let mut presses = {
            let _in_runtime = runtime.enter();
            CtrlC::listen()
        };
        runtime.spawn(async move {
            while presses.next().await {
                let Some(s) = weak.upgrade() else { break };
                if s.interrupt() >= 3 && exit_on_third {
                    eprintln!("interrupted");
                    std::process::exit(130);
                }
            }
        });
    }

    /// The client, if anything has used it.
    pub fn built_client(&self) -> Option<&Client> {
        self.client.get()
    }

    pub fn client(&self) -> cloud::Result<&Client> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let client = Client::new(self.routing.clone(), self.client_options.clone())?;
        Ok(self.client.get_or_init(|| client))
    }

    /// Credentials from the environment: an OAuth client (`QLIK_CLIENT_ID` + `QLIK_CLIENT_SECRET`),
    /// else an API key (`QLIK_API_KEY`). A named connection's keyring or command secret is read
    /// when the first token is fetched, not here.
    pub fn default_credentials(&self) -> cloud::Result<Credentials> {
        let get = |name| {
            self.env
                .get_checked(name)
                .map(|v| v.filter(|v| !v.is_empty()))
                .map_err(cloud::Error::Usage)
        };
        // A connection's lazy secret means nothing above it sets any credential variable.
        if let Some(lazy) = self.env.lazy_secret(vars::CLIENT_SECRET) {
            if let Some(id) = get(vars::CLIENT_ID)? {
                return Ok(Credentials::Client {
                    id,
                    auth: ClientAuth::Lazy(lazy),
                    scope: None,
                    impersonate: None,
                });
            }
        }
        if let Some(lazy) = self.env.lazy_secret(vars::API_KEY) {
            return Ok(Credentials::LazyApiKey(lazy));
        }
        match (get(vars::CLIENT_ID)?, get(vars::CLIENT_SECRET)?, get(vars::API_KEY)?) {
            (Some(id), Some(secret), _) => Ok(Credentials::client(id, secret)),
            (Some(_), None, None) => Err(cloud::Error::Usage(format!("{} is set but {} is not", vars::CLIENT_ID, vars::CLIENT_SECRET))),
            (_, _, Some(key)) => Ok(Credentials::ApiKey(Secret::new(key))),
            _ => Err(cloud::Error::Usage(format!(
                "no credentials: set {} and {} (or {}), use --sim, or pass #{{client_id, client_secret}}",
                vars::CLIENT_ID,
                vars::CLIENT_SECRET,
                vars::API_KEY
            ))),
        }
    }

    /// The credentials `region(code)` uses: region `code`'s own client when
    /// `QLIK_CLIENT_ID_<CODE>` and `QLIK_CLIENT_SECRET_<CODE>` are set, else
    /// [`default_credentials`](Self::default_credentials).
    pub fn region_credentials(&self, code: &str) -> cloud::Result<Credentials> {
        let (id_var, secret_var) = vars::region_client(code);
        let get = |name: &str| self.env.get(name).filter(|v| !v.is_empty());
        match (get(&id_var), get(&secret_var)) {
            (Some(id), Some(secret)) => Ok(Credentials::client(id, secret)),
            (Some(_), None) => Err(cloud::Error::Usage(format!(
                "{id_var} is set but {secret_var} is not"
            ))),
            _ => self.default_credentials(),
        }
    }

    /// Whether an embedded simulator runs (the REPL's banner says so).
    pub fn sim_url(&self) -> Option<String> {
        self.sim
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.url.clone())
    }
}

/// Ctrl-C presses, from the moment [`CtrlC::listen`] returns.
enum CtrlC {
    #[cfg(unix)]
    Signal(tokio::signal::unix::Signal),
    /// Where SIGINT cannot be registered synchronously: the first press may be missed.
    Late,
}

impl CtrlC {
    /// Must run inside the runtime.
    fn listen() -> CtrlC {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            if let Ok(s) = signal(SignalKind::interrupt()) {
                return CtrlC::Signal(s);
            }
        }
        CtrlC::Late
    }

    /// Waits for the next press; false when no more can come.
    async fn next(&mut self) -> bool {
        match self {
            #[cfg(unix)]
            CtrlC::Signal(s) => s.recv().await.is_some(),
            CtrlC::Late => tokio::signal::ctrl_c().await.is_ok(),
        }
    }
}

fn sim_addr(url: &str) -> Result<SocketAddr, String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("invalid simulator URL {url:?}: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!(
            "the simulator URL must be http://HOST:PORT, got {url:?}"
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("simulator URL without a host: {url:?}"))?;
    let port = parsed
        .port()
        .ok_or_else(|| format!("simulator URL without a port: {url:?}"))?;
    (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve simulator host {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("simulator host {host} has no address"))
}

#[cfg(test)]
mod cancel_tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn cancel_ends_a_pending_wait_with_an_interrupted_error() {
        let session = Arc::new(Session::new(Env::default()));
        let s = session.clone();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            s.cancel();
        });
        let started = Instant::now();
        let out: cloud::Result<()> = session.block_on(std::future::pending());
        canceller.join().unwrap();
        assert!(matches!(out, Err(cloud::Error::Usage(m)) if m.contains("interrupted")));
        assert!(started.elapsed() < Duration::from_secs(5));
        // Still cancelled until re-armed; then waits complete normally.
        assert!(session.is_cancelled());
        assert!(session
            .block_on(async { Ok::<_, cloud::Error>(1) })
            .is_err());
        session.reset_cancel();
        assert_eq!(
            session
                .block_on(async { Ok::<_, cloud::Error>(1) })
                .unwrap(),
            1
        );
    }

    #[test]
    fn the_last_handle_may_be_let_go_inside_the_sessions_runtime() {
        let session = Arc::new(Session::new(Env::default()));
        let held = session.clone();
        let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        session.runtime().spawn(async move {
            let _ = dropped_rx.await;
            drop(held); // the last handle: the runtime goes down from inside itself
            let _ = done_tx.send(());
        });
        drop(session);
        dropped_tx.send(()).unwrap();
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the task survived letting go of the session");
    }
}
