//! `qops connection add|list|show|test|remove|use|import`.

use super::rules::{check_description, check_name};
use super::secret_source::SecretSource;
use super::store::Store;
use super::{import, region_api, tenant_api, vault, Auth, Connection, Target};
use crate::failure::Failure;
use crate::output::outln;
use crate::secret::Secret;
use crate::session::Session;
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

/// What `qops connection --help` adds below the commands.
const ABOUT_CONNECTIONS: &str = "\
A run uses --connection NAME, else QOPS_CONNECTION, else the connection in use \
(`qops connection use NAME`).
Precedence of every variable: flags > environment > .env > the connection. A connection \
supplies QLIK_TENANT, QLIK_REGION and QLIK_CLIENT_ID + QLIK_CLIENT_SECRET or QLIK_API_KEY; \
its credentials count as one: when any credential variable is set otherwise, it supplies none.
Secrets come from an environment variable (read when a handle is made), the OS keyring or \
a command (read when the first token is fetched, once a run), never at start-up.
Stored in $XDG_CONFIG_HOME/qops/connections.toml (else ~/.config/qops/), owner-only.";

/// Named connections: a tenant (or a region) and where its credentials come from.
#[derive(Args, Debug)]
#[command(after_help = ABOUT_CONNECTIONS)]
pub struct ConnectionArgs {
    #[command(subcommand)]
    command: ConnectionCommand,
}

#[derive(Subcommand, Debug)]
enum ConnectionCommand {
    /// Save a connection: a URL and one source for its secret
    Add(AddArgs),
    /// List the connections (`*` marks the one in use)
    List,
    /// Show a connection and where its secret comes from (never the secret)
    Show { name: String },
    /// Get a token and ask `users/me` (a region-level client: the register host) who answers
    Test {
        name: String,
        #[command(flatten)]
        target: crate::cli::Target,
        #[command(flatten)]
        env: crate::cli::EnvFile,
    },
    /// Remove a connection, and its secret from the OS keyring
    Remove { name: String },
    /// Use this connection when neither --connection nor QOPS_CONNECTION names one
    Use {
        #[arg(required_unless_present = "none")]
        name: Option<String>,
        /// Use no connection by default any more
        #[arg(long, conflicts_with = "name")]
        none: bool,
    },
    /// Import qlik-cli's contexts (~/.qlik/contexts.yml, or from QLIK_CLI_USER_HOME_DIR);
    /// their secrets go to the OS keyring
    Import {
        /// Read this contexts.yml instead
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
}

/// A connection's URL and credentials. Give an API key source, or --client-id with one
/// client secret source. `--client-secret-keyring` and `--api-key-keyring` read the secret
/// from the terminal without echo, or from standard input when it is not a terminal.
#[derive(Args, Debug)]
struct AddArgs {
    /// 1 to 255 characters: ASCII letters, digits, spaces and _ . + -
    name: String,
    /// https://TENANT.REGION.qlikcloud.com; with --region-level a region code (eu) or its
    /// register host (https://register.eu.qlikcloud.com)
    #[arg(long)]
    url: String,
    /// At most 4,000 characters
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    /// A region-level OAuth client (My Qlik), for creating and deactivating tenants
    #[arg(long)]
    region_level: bool,
    /// The API key is in this environment variable (read at use time)
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// Store the API key in the OS keyring
    #[arg(long)]
    api_key_keyring: bool,
    /// Run this command at use time; its output, trimmed, is the API key
    #[arg(long, value_name = "CMD")]
    api_key_command: Option<String>,
    /// The OAuth client's id
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// The client secret is in this environment variable (read at use time)
    #[arg(long, value_name = "VAR")]
    client_secret_env: Option<String>,
    /// Store the client secret in the OS keyring
    #[arg(long)]
    client_secret_keyring: bool,
    /// Run this command at use time (e.g. a password manager's CLI); its output, trimmed,
    /// is the client secret
    #[arg(long, value_name = "CMD")]
    client_secret_command: Option<String>,
    /// The client secret itself, kept in clear in the file (prefer the other sources)
    #[arg(long, value_name = "VALUE")]
    client_secret: Option<String>,
    /// Replace a connection of the same name
    #[arg(long)]
    replace: bool,
}

impl ConnectionArgs {
    /// Where `connection test` sends its requests and which variables it reads; the other
    /// subcommands send none.
    pub(crate) fn test_flags(&self) -> Option<(&crate::cli::Target, &crate::cli::EnvFile)> {
        match &self.command {
            ConnectionCommand::Test { target, env, .. } => Some((target, env)),
            _ => None,
        }
    }
}

pub fn run(args: ConnectionArgs, session: &Arc<Session>) -> Result<(), Failure> {
    match args.command {
        ConnectionCommand::Add(add) => self::add(add),
        ConnectionCommand::List => list(),
        ConnectionCommand::Show { name } => show(&name),
        ConnectionCommand::Test { name, .. } => test(&name, session),
        ConnectionCommand::Remove { name } => remove(&name),
        ConnectionCommand::Use { name, none } => use_one(name.as_deref().filter(|_| !none)),
        ConnectionCommand::Import { file } => import_contexts(file),
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

/// Which secret source `add` was given: exactly one, matching the kind of credentials.
enum Given {
    ApiKey(SecretSource),
    Client(String, SecretSource),
    /// A source to fill from the terminal or standard input, then the OS keyring.
    Keyring {
        client_id: Option<String>,
    },
}

fn given(a: &AddArgs) -> Result<Given, Failure> {
    let keyed = [
        a.api_key_env
            .as_ref()
            .map(|v| ("--api-key-env", SecretSource::Env(v.clone()))),
        a.api_key_command
            .as_ref()
            .map(|c| ("--api-key-command", SecretSource::Command(c.clone()))),
        a.client_secret_env
            .as_ref()
            .map(|v| ("--client-secret-env", SecretSource::Env(v.clone()))),
        a.client_secret_command
            .as_ref()
            .map(|c| ("--client-secret-command", SecretSource::Command(c.clone()))),
        a.client_secret
            .as_ref()
            .map(|v| ("--client-secret", SecretSource::Value(v.clone()))),
    ];
    let mut flags: Vec<&str> = keyed.iter().flatten().map(|(f, _)| *f).collect();
    if a.api_key_keyring {
        flags.push("--api-key-keyring");
    }
    if a.client_secret_keyring {
        flags.push("--client-secret-keyring");
    }
    let [flag] = flags[..] else {
        return Err(usage(if flags.is_empty() {
            "give the credentials: --api-key-env VAR, --api-key-keyring or --api-key-command CMD; or --client-id ID with --client-secret-env VAR, --client-secret-keyring, --client-secret-command CMD or --client-secret VALUE".to_string()
        } else {
            format!("give one secret source, not {}", flags.join(" and "))
        }));
    };
    let for_client = flag.starts_with("--client-secret");
    match (&a.client_id, for_client) {
        (None, true) => return Err(usage(format!("{flag} needs --client-id ID"))),
        (Some(_), false) => {
            return Err(usage(format!(
                "--client-id goes with a client secret source, not {flag}"
            )))
        }
        (Some(id), true) if id.trim().is_empty() => {
            return Err(usage("--client-id is empty"));
        }
        _ => {}
    }
    if a.region_level && !for_client {
        return Err(usage(
            "a region-level connection authenticates with a region-level OAuth client (--client-id and a client secret source), not an API key",
        ));
    }
    if flag.ends_with("-keyring") {
        return Ok(Given::Keyring {
            client_id: a.client_id.clone(),
        });
    }
    let source = keyed
        .into_iter()
        .flatten()
        .map(|(_, s)| s)
        .next()
        .ok_or_else(|| usage("no secret source"))?;
    if let SecretSource::Env(var) | SecretSource::Command(var) = &source {
        if var.trim().is_empty() {
            return Err(usage(format!("{flag} is empty")));
        }
    }
    Ok(match &a.client_id {
        Some(id) => Given::Client(id.trim().to_string(), source),
        None => Given::ApiKey(source),
    })
}

fn add(a: AddArgs) -> Result<(), Failure> {
    let name = check_name(&a.name).map_err(usage)?.to_string();
    let description = check_description(a.description.as_deref().unwrap_or_default())
        .map_err(usage)?
        .to_string();
    let target = super::parse_target(&a.url, a.region_level).map_err(usage)?;
    let url = normalized(&a.url, &target);
    let given = given(&a)?;
    let mut store = Store::load().map_err(usage)?;
    match store.taken(&name) {
        Some(existing) if existing != name || !a.replace => {
            return Err(usage(format!(
                "a connection named {existing:?} exists already{}",
                if existing == name {
                    " (--replace replaces it)"
                } else {
                    ": names differ by more than case"
                }
            )))
        }
        _ => {}
    }
    let previous = store.connections.get(&name).cloned();
    let (client_id, source) = match given {
        Given::ApiKey(source) => (None, source),
        Given::Client(id, source) => (Some(id), source),
        Given::Keyring { client_id } => {
            let what = if client_id.is_some() {
                "client secret"
            } else {
                "API key"
            };
            let secret = read_secret(&format!("{what} for {name}: "))?;
            vault::store(&name, &secret).map_err(Failure::Runtime)?;
            (client_id, SecretSource::Keyring(name.clone()))
        }
    };
    let clear = matches!(source, SecretSource::Value(_));
    let connection = Connection {
        url,
        description,
        region_level: a.region_level,
        client_secret: client_id.as_ref().map(|_| source.clone()),
        api_key: client_id.is_none().then(|| source.clone()),
        client_id,
    };
    store.connections.insert(name.clone(), connection);
    let path = store.save().map_err(Failure::Runtime)?;
    // A replaced connection's keyring secret is forgotten unless the new one uses it.
    if let Some(SecretSource::Keyring(account)) = previous.as_ref().and_then(|p| p.secret_source())
    {
        if !matches!(&source, SecretSource::Keyring(a) if a == account) {
            let _ = vault::delete(account);
        }
    }
    if clear {
        eprintln!(
            "warning: the client secret of {name:?} is stored in clear in {} (owner-only); --client-secret-env, --client-secret-keyring or --client-secret-command keep it out of the file",
            path.display()
        );
    }
    outln!("added connection {name:?} ({})", source.describe());
    Ok(())
}

/// The URL as saved: a tenant or register host with its scheme (https unless http was given).
fn normalized(url: &str, target: &Target) -> String {
    let url = url.trim().trim_end_matches('/');
    match target {
        Target::Region { host: None, region } => region.code.to_string(),
        _ if url.contains("://") => url.to_string(),
        _ => format!("https://{url}"),
    }
}

/// A secret typed at the terminal without echo, or read from standard input when it is not a
/// terminal (`pass show x | qops connection add ...`).
fn read_secret(prompt: &str) -> Result<Secret, Failure> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Failure::Runtime(format!("cannot read the secret: {e}")))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| {
                Failure::Runtime(format!("cannot read the secret from standard input: {e}"))
            })?;
        text
    };
    let secret = text.trim();
    if secret.is_empty() {
        return Err(usage("the secret is empty"));
    }
    Ok(Secret::new(secret))
}

fn list() -> Result<(), Failure> {
    let store = Store::load().map_err(usage)?;
    if store.connections.is_empty() {
        eprintln!(
            "no connections yet: `qops connection add NAME --url ...` or `qops connection import`"
        );
        return Ok(());
    }
    let rows: Vec<[String; 4]> = store
        .connections
        .iter()
        .map(|(name, c)| {
            let mark = if store.current.as_deref() == Some(name) {
                "*"
            } else {
                " "
            };
            [
                format!("{mark} {name}"),
                c.url.clone(),
                credentials_label(c),
                c.secret_source()
                    .map(SecretSource::describe)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["  NAME", "URL", "CREDENTIALS", "SECRET"].map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        outln!("{}", line.join("  ").trim_end());
    }
    Ok(())
}

fn credentials_label(c: &Connection) -> String {
    match c.auth() {
        Ok(Auth::ApiKey(_)) => "API key".to_string(),
        Ok(Auth::Client { id, .. }) if c.region_level => format!("region-level OAuth client {id}"),
        Ok(Auth::Client { id, .. }) => format!("OAuth client {id}"),
        Err(e) => e,
    }
}

fn show(name: &str) -> Result<(), Failure> {
    let store = Store::load().map_err(usage)?;
    let c = store.get(name).map_err(usage)?;
    outln!("name:        {name}");
    outln!("url:         {}", c.url);
    match c.target().map_err(usage)? {
        Target::Tenant { region, .. } => outln!(
            "kind:        tenant{}",
            region
                .map(|r| format!(" (region {})", r.code))
                .unwrap_or_default()
        ),
        Target::Region { region, .. } => {
            outln!(
                "kind:        region-level (region {}, {})",
                region.code,
                region.name
            )
        }
    }
    outln!("credentials: {}", credentials_label(c));
    if let Some(source) = c.secret_source() {
        outln!("secret:      {}", source.describe());
    }
    if !c.description.is_empty() {
        outln!("description: {}", c.description);
    }
    outln!(
        "in use:      {}",
        if store.current.as_deref() == Some(name) {
            "yes"
        } else {
            "no"
        }
    );
    Ok(())
}

fn test(name: &str, session: &Arc<Session>) -> Result<(), Failure> {
    let store = Store::load().map_err(usage)?;
    let c = store.get(name).map_err(usage)?;
    let client = session.client().map_err(cloud_failure)?;
    let target = c.target().map_err(usage)?;
    let creds = c
        .credentials(name, &|v| session.env.above_connection(v))
        .map_err(|e| Failure::Runtime(format!("connection {name:?}: {e}")))?;
    match target {
        Target::Tenant { host, .. } => {
            let api = tenant_api(client, &host, creds).map_err(cloud_failure)?;
            let me = session.block_on(api.me()).map_err(cloud_failure)?;
            let field = |k: &str| {
                me.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_string()
            };
            outln!(
                "ok: {name:?} reaches tenant {} as {} (user id {})",
                api.host(),
                field("name"),
                field("id")
            );
        }
        Target::Region { region, host } => {
            let api = region_api(client, region, host.as_deref(), creds).map_err(cloud_failure)?;
            session
                .block_on(async { client.bearer(&api.svc).await.map(|_| ()) })
                .map_err(cloud_failure)?;
            outln!(
                "ok: {name:?} reaches {} (region {}): a token was granted to {}",
                api.svc.host(),
                region.code,
                credentials_label(c)
            );
        }
    }
    Ok(())
}

/// A refusal to contact a host (the simulator sandbox) is a usage error; an answer or no
/// answer from the service a runtime one.
fn cloud_failure(e: crate::cloud::Error) -> Failure {
    match e {
        crate::cloud::Error::Usage(m) => Failure::Usage(m),
        other => Failure::Runtime(other.to_string()),
    }
}

fn remove(name: &str) -> Result<(), Failure> {
    let mut store = Store::load().map_err(usage)?;
    store.get(name).map_err(usage)?;
    let removed = store.connections.remove(name);
    if store.current.as_deref() == Some(name) {
        store.current = None;
    }
    store.save().map_err(Failure::Runtime)?;
    if let Some(SecretSource::Keyring(account)) = removed.as_ref().and_then(|c| c.secret_source()) {
        if let Err(e) = vault::delete(account) {
            eprintln!("warning: {e}");
        }
    }
    outln!("removed connection {name:?}");
    Ok(())
}

fn use_one(name: Option<&str>) -> Result<(), Failure> {
    let mut store = Store::load().map_err(usage)?;
    if let Some(name) = name {
        store.get(name).map_err(usage)?;
    }
    store.current = name.map(str::to_string);
    store.save().map_err(Failure::Runtime)?;
    match name {
        Some(name) => {
            outln!("using connection {name:?} when --connection and QOPS_CONNECTION name none")
        }
        None => outln!("no connection in use"),
    }
    Ok(())
}

fn import_contexts(file: Option<PathBuf>) -> Result<(), Failure> {
    let path = match file {
        Some(path) => path,
        None => import::default_path().map_err(usage)?,
    };
    let mut store = Store::load().map_err(usage)?;
    let outcome = import::import(&path, &mut store).map_err(usage)?;
    if !outcome.imported.is_empty() {
        store.save().map_err(Failure::Runtime)?;
    }
    outln!("{}:", outcome.path.display());
    for (name, what) in &outcome.imported {
        outln!("imported {name:?}: {what}");
    }
    for (name, why) in &outcome.skipped {
        outln!("skipped {name:?}: {why}");
    }
    outln!(
        "{} imported, {} skipped",
        outcome.imported.len(),
        outcome.skipped.len()
    );
    if let Some(current) = outcome.current {
        outln!("qlik-cli's current context is {current:?}: `qops connection use {current:?}` makes it qops's too");
    }
    Ok(())
}
