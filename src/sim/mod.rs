//! `qops sim`: a Qlik Cloud (and later QSEoW) simulator, faithful to the wire.
//!
//! Interface used by the CLI and by `--sim`: [`SimOptions`], [`start`], [`RunningSim`].
//!
//! Layout: `server` (routing by Host, then faults, auth, rate limits, TenantAdmin checks),
//! `state` (the world), `seed` (its start), one file per API (`oauth`, `tenants`, `licenses`,
//! `users`, `roles`, `invite`, `license_assignments`, `groups`, `spaces`, `apps`, `apikeys`,
//! `oauth_clients`, `idps`, with their per-tenant identity storage in `identity` and Private Key
//! JWT verification in `jwt`), and the shared mechanics `clock`, `limits`, `faults`, `paging`,
//! `scim`, `errors`, `ids`, `request`. `admin` serves `/_sim/state` and `/_sim/stats`. `qseow` is the QSEoW site at
//! `qseow.qlik.localhost` (QRS, hybrid deployment service, distribution to the tenants, whose
//! staged apps `items` lists).
//!
//! Seed (deterministic for a given `seed`, timestamps aside): one entitlement (quota
//! `tenant_quota`, 25 by default) whose signed key every tenant's license overview shows; one
//! region-level OAuth client per region; the source tenant `acme.us.qlik.localhost` with the
//! default roles and users Alice Admin (TenantAdmin), Bob Builder (AnalyticsAdmin,
//! SharedSpaceCreator), Carol Consumer (no roles), Dave Departed (disabled, Developer), Erin
//! Invited (invited), Frank Data (DataAdmin); each OAuth client gets its bot user on first token. A caller on a tenant is
//! always a user acting with its own roles: a client's bot, an impersonated user, or the user
//! of an API key; rate limits are kept per caller.

mod admin;
mod apikeys;
mod app_transfer;
mod apps;
mod clock;
mod errors;
mod faults;
#[cfg(test)]
mod faults_tests;
mod fields;
mod groups;
mod identity;
#[cfg(test)]
mod identity_tests;
mod idps;
mod ids;
mod invite;
mod items;
pub(crate) mod jwt;
mod jwt_session;
mod license_assignments;
mod licenses;
mod limits;
mod oauth;
mod oauth_clients;
mod paging;
mod pem;
pub(crate) mod qseow;
mod request;
mod roles;
pub(crate) mod scim;
mod seed;
mod server;
mod spaces;
mod state;
mod temp_contents;
mod tenants;
#[cfg(test)]
mod tenants_tests;
#[cfg(test)]
mod test_support;
pub(crate) mod users;
mod users_legacy;

pub use faults::FaultKind;
#[cfg(test)]
pub(crate) use jwt::verify_with_pem;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Options of `qops sim` (the contract in `shared/design.md`).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub listen: SocketAddr,
    /// Added to every response, in real milliseconds.
    pub latency_ms: u64,
    /// Uniform random extra latency in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// The simulator's clock runs this many times faster than real time.
    pub time_scale: f64,
    /// Fraction of API requests that meet a fault (see `faults`).
    pub faults: f64,
    /// The kinds of fault drawn from, uniformly (default: all).
    pub fault_kinds: Vec<FaultKind>,
    /// Seed for ids, names, secrets and faults.
    pub seed: u64,
    /// `--public`: `/_sim/*` answers only callers presenting the admin token of the ready line.
    pub public: bool,
    /// Tenants the seeded entitlement allows, the source tenant included (its signed license
    /// key carries this quota).
    pub tenant_quota: usize,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency_ms: 0,
            jitter_ms: 0,
            time_scale: 1.0,
            faults: 0.0,
            fault_kinds: FaultKind::ALL.to_vec(),
            seed: 1,
            public: false,
            tenant_quota: DEFAULT_TENANT_QUOTA,
        }
    }
}

/// Tenants the seeded entitlement allows unless [`SimOptions::tenant_quota`] says otherwise.
pub const DEFAULT_TENANT_QUOTA: usize = seed::TENANT_QUOTA;

/// The simulator's domain: hosts are `<tenant>.<region>.qlik.localhost`, `register.<region>...`.
pub const DOMAIN: &str = "qlik.localhost";

/// A simulator serving in the background of the current tokio runtime.
pub struct RunningSim {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    #[allow(dead_code)] // read by the CLI and tests
    pub addr: SocketAddr,
    /// Variables a script needs: QLIK_TENANT, QLIK_CLIENT_ID, QLIK_CLIENT_SECRET, QLIK_REGION, QOPS_SIM,
    /// QLIK_QSEOW.
    pub env: BTreeMap<String, String>,
    /// With `--public`: the token `/_sim/*` requires, printed on the ready line.
    pub admin_token: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSim {
    /// The one JSON line printed when ready: `{"url":..,"domain":..,"env":{..}}`, and
    /// `"admin_token"` with `--public`.
    pub fn ready_line(&self) -> String {
        let mut line = serde_json::json!({"url": self.url, "domain": DOMAIN, "env": self.env});
        if let (Some(token), Some(fields)) = (&self.admin_token, line.as_object_mut()) {
            fields.insert("admin_token".into(), token.as_str().into());
        }
        line.to_string()
    }

    /// Stops serving and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Binds, seeds the state and starts serving on the current runtime.
pub async fn start(opts: SimOptions) -> std::io::Result<RunningSim> {
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let state = seed::seed(&opts);
    let mut env = BTreeMap::new();
    if let Some(t) = state.tenant(&state.source_tenant_id) {
        env.insert("QLIK_TENANT".to_string(), t.host().to_string());
        env.insert("QLIK_REGION".to_string(), t.region.code.to_string());
        if let Some(c) = state
            .region_clients
            .iter()
            .find(|c| c.region.code == t.region.code)
        {
            env.insert("QLIK_CLIENT_ID".to_string(), c.client_id.clone());
            env.insert("QLIK_CLIENT_SECRET".to_string(), c.client_secret.clone());
        }
    }
    // Every region's own region-level client, so `region("eu")` works as written.
    for c in &state.region_clients {
        let (id, secret) = crate::config::vars::region_client(c.region.code);
        env.insert(id, c.client_id.clone());
        env.insert(secret, c.client_secret.clone());
    }
    env.insert("QOPS_SIM".to_string(), url.clone());
    env.insert(
        crate::config::vars::SIM_INSTANCE.to_string(),
        admin::instance_id()?,
    );
    env.insert("QLIK_QSEOW".to_string(), qseow::HOST.to_string());
    let faults = faults::Faults::from_options(&opts);
    let admin_token = if opts.public {
        Some(admin::new_token()?)
    } else {
        None
    };
    let app = server::router(Arc::new(server::App {
        state: Mutex::new(state),
        faults,
        admin_token: admin_token.clone(),
    }));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(RunningSim {
        url,
        addr,
        env,
        admin_token,
        shutdown: Some(tx),
        task: Some(task),
    })
}
