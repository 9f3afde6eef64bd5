//! `connection(name)`: a handle on a named connection (`qops connection add`), a tenant handle
//! or, for a region-level connection, a region handle.

use super::convert::lift;
use super::handles::{RegionHandle, TenantHandle};
use super::native::{fail, native, Fallible};
use crate::connections::{self, Target};
use crate::session::Session;
use rhai::{Dynamic, Engine};
use std::sync::Arc;

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    native!(engine, "connection", ["name: &str", "Dynamic"],
        "A handle on the named connection `name` (`qops connection add`): a Tenant, or a Region for a
        region-level connection. A secret in the OS keyring or behind a command is read when the
        first token is fetched; one in an environment variable now.
        Under `--sim`/`--sim-url` its URL must name a simulator host.",
        move |name: &str| -> Fallible<Dynamic> { open(&s, name) });
}

fn open(s: &Arc<Session>, name: &str) -> Fallible<Dynamic> {
    let connection = connections::find(name).or_else(fail)?;
    let target = connection.target().or_else(fail)?;
    let client = lift(s.client())?;
    let creds = connection
        .credentials(name, &|v| s.env.above_connection(v))
        .or_else(|e| fail(format!("connection {name:?}: {e}")))?;
    Ok(match target {
        Target::Tenant { host, .. } => Dynamic::from(TenantHandle {
            api: lift(connections::tenant_api(client, &host, creds))?,
            session: s.clone(),
        }),
        Target::Region { region, host } => Dynamic::from(RegionHandle {
            api: lift(connections::region_api(
                client,
                region,
                host.as_deref(),
                creds,
            ))?,
            session: s.clone(),
        }),
    })
}
