//! The async Qlik Cloud client: [`http`] is the core (auth, tokens, retries, pagination, errors);
//! one file per API adds its calls to [`Tenant`] or [`Registration`].

mod apikeys;
pub mod apps;
pub mod auth;
mod budget;
pub mod endpoint;
pub mod error;
mod groups;
pub mod http;
mod idps;
mod items;
pub mod jwt;
pub mod jwt_session;
mod licenses;
mod oauth_clients;
pub mod plan;
mod raw;
mod reconcile;
mod register;
mod roles;
mod spaces;
mod tenants;
mod users;

pub use auth::{ClientAuth, Credentials, Impersonation, LazySecret};
pub use error::{Error, Result};
pub use http::{Client, ClientOptions, Request, Service};

use crate::regions::Region;

/// The API of one tenant host, with the credentials used there.
#[derive(Clone)]
pub struct Tenant {
    pub client: Client,
    pub svc: Service,
}

/// The registration service of one region (`register.<region>.<domain>`).
#[derive(Clone)]
pub struct Registration {
    pub client: Client,
    pub svc: Service,
    pub region: &'static Region,
}

impl Tenant {
    pub fn new(client: &Client, host: &str, creds: Credentials) -> Result<Tenant> {
        Ok(Tenant {
            client: client.clone(),
            svc: client.service(host, creds)?,
        })
    }

    pub fn host(&self) -> &str {
        self.svc.host()
    }
}

impl Registration {
    pub fn new(
        client: &Client,
        region: &'static Region,
        creds: Credentials,
    ) -> Result<Registration> {
        let host = region.register_host(client.routing().base_domain());
        Ok(Registration {
            client: client.clone(),
            svc: client.service(&host, creds)?,
            region,
        })
    }
}

pub use endpoint::seg;

/// The page size asked of list endpoints: the documented maximum, to keep round trips few.
pub const PAGE_SIZE: usize = 100;
