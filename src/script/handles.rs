//! `tenant(host)` and `region(code)`: typed handles whose methods call the API.

use super::convert::{lift, to_dynamic};
use super::files::FileRoots;
use super::native::{fail, native, Fallible};
use crate::cloud::jwt::SigningKey;
use crate::cloud::{self, ClientAuth, Credentials, Impersonation};
use crate::regions;
use crate::secret::Secret;
use crate::session::Session;
use rhai::{Dynamic, Engine, Map};
use std::future::Future;
use std::sync::Arc;

/// A tenant host and the credentials used there. Cloning is cheap; all clones share one client
/// and token cache.
#[derive(Clone)]
pub struct TenantHandle {
    pub api: cloud::Tenant,
    pub(super) session: Arc<Session>,
}

/// A region's registration service (`register.<region>`), for tenant lifecycle calls.
#[derive(Clone)]
pub struct RegionHandle {
    pub api: cloud::Registration,
    pub(super) session: Arc<Session>,
}

/// What every handle does with an API call: run it on the session's runtime (Ctrl-C can
/// interrupt it) and hand the result to the script, errors as catchable maps.
pub trait ApiCalls {
    fn session(&self) -> &Session;

    /// The call runs as part of this thread's unit of work (see [`crate::callsite`]).
    fn call<T>(&self, fut: impl Future<Output = cloud::Result<T>>) -> Fallible<T> {
        lift(self.session().block_on(crate::callsite::scoped(fut)))
    }

    /// A call answering one JSON value, as a Rhai value.
    fn value(
        &self,
        fut: impl Future<Output = cloud::Result<serde_json::Value>>,
    ) -> Fallible<Dynamic> {
        Ok(to_dynamic(self.call(fut)?))
    }

    /// A call answering a list, as a Rhai array.
    fn values(
        &self,
        fut: impl Future<Output = cloud::Result<Vec<serde_json::Value>>>,
    ) -> Fallible<rhai::Array> {
        Ok(self.call(fut)?.into_iter().map(to_dynamic).collect())
    }
}

impl ApiCalls for TenantHandle {
    fn session(&self) -> &Session {
        &self.session
    }
}

impl ApiCalls for RegionHandle {
    fn session(&self) -> &Session {
        &self.session
    }
}

impl TenantHandle {
    /// The same tenant and client, authenticated by `creds` instead.
    pub fn with_credentials(&self, creds: Credentials) -> TenantHandle {
        let mut handle = self.clone();
        handle.api.svc.creds = creds;
        handle
    }
}

impl RegionHandle {
    /// A handle on a tenant of this region with the same (region-level) credentials.
    pub fn tenant(&self, host: &str) -> Fallible<TenantHandle> {
        let api = lift(cloud::Tenant::new(
            &self.api.client,
            host,
            self.api.svc.creds.clone(),
        ))?;
        Ok(TenantHandle {
            api,
            session: self.session.clone(),
        })
    }
}

/// Credentials from an auth map:
/// `#{client_id, client_secret}`, `#{client_id, private_key: "key.pem", kid?}` (Private Key JWT),
/// or `#{api_key}`; `scope` and `impersonate: #{subject}` / `#{userId}` go with a client.
fn credentials(roots: &FileRoots, auth: &Map) -> Fallible<Credentials> {
    const KEYS: [&str; 7] = [
        "client_id",
        "client_secret",
        "private_key",
        "kid",
        "scope",
        "impersonate",
        "api_key",
    ];
    if let Some(k) = auth.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return fail(format!(
            "unknown auth key {k:?}: use one of {}",
            KEYS.join(", ")
        ));
    }
    let text = |k: &str| auth.get(k).filter(|v| !v.is_unit()).map(|v| v.to_string());
    let client_auth = match (text("client_secret"), text("private_key")) {
        (Some(secret), None) => Some(ClientAuth::Secret(Secret::new(secret))),
        (None, Some(path)) => Some(ClientAuth::PrivateKey(Arc::new(signing_key(
            roots,
            &path,
            text("kid"),
        )?))),
        (Some(_), Some(_)) => return fail("give client_secret or private_key, not both"),
        (None, None) => None,
    };
    let impersonate = match auth.get("impersonate").filter(|v| !v.is_unit()) {
        Some(user) => Some(impersonation(user)?),
        None => None,
    };
    match (text("client_id"), client_auth, text("api_key")) {
        (Some(id), Some(auth), None) => Ok(Credentials::Client {
            id,
            auth,
            scope: text("scope"),
            impersonate,
        }),
        (None, None, Some(key)) if impersonate.is_none() => {
            Ok(Credentials::ApiKey(Secret::new(key)))
        }
        _ => fail("auth needs client_id with client_secret or private_key, or api_key alone"),
    }
}

/// `#{subject: ".."}` or `#{userId: ".."}` (the `user_lookup` of an impersonation token).
fn impersonation(user: &Dynamic) -> Fallible<Impersonation> {
    let Some(map) = user.read_lock::<Map>() else {
        return fail("impersonate takes #{subject: ...} or #{userId: ...}");
    };
    match (map.get("subject"), map.get("userId"), map.len()) {
        (Some(v), None, 1) => Ok(Impersonation {
            field: "subject",
            value: v.to_string(),
        }),
        (None, Some(v), 1) => Ok(Impersonation {
            field: "userId",
            value: v.to_string(),
        }),
        _ => fail("impersonate takes exactly one of #{subject: ...} or #{userId: ...}"),
    }
}

/// A private key file (PEM or DER), read like every file a script names (confined to the file
/// roots).
pub(super) fn signing_key(
    roots: &FileRoots,
    path: &str,
    kid: Option<String>,
) -> Fallible<SigningKey> {
    let file = roots.read(path).or_else(fail)?;
    SigningKey::from_bytes(&file, kid).or_else(|e| fail(format!("{path}: {e}")))
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_type_with_name::<TenantHandle>("tenant");
    engine.register_type_with_name::<RegionHandle>("region");
    register_auth_helpers(engine, &session.file_roots);

    let s = session.clone();
    native!(engine, "tenant", ["host: &str", "Tenant"],
        "A handle on a tenant, e.g. `tenant(env(\"QLIK_TENANT\"))` or `tenant(\"acme.eu.qlikcloud.com\")`.
        Uses QLIK_CLIENT_ID/QLIK_CLIENT_SECRET (or QLIK_API_KEY) from the environment.
        Tokens are fetched on first use, cached per tenant and refreshed before they expire.",
        move |host: &str| -> Fallible<TenantHandle> {
            let client = lift(s.client())?;
            let creds = lift(s.default_credentials())?;
            Ok(TenantHandle { api: lift(cloud::Tenant::new(client, host, creds))?, session: s.clone() })
        });
    let s = session.clone();
    native!(engine, "tenant", ["host: &str", "auth: Map", "Tenant"],
        "A handle on a tenant with explicit credentials: `#{client_id, client_secret, scope}` or `#{api_key}`.",
        move |host: &str, auth: Map| -> Fallible<TenantHandle> {
            let client = lift(s.client())?;
            let creds = credentials(&s.file_roots, &auth)?;
            Ok(TenantHandle { api: lift(cloud::Tenant::new(client, host, creds))?, session: s.clone() })
        });

    let s = session.clone();
    native!(
        engine,
        "region",
        ["code: &str", "Region"],
        &format!(
            "The registration service of a region ({}), for creating, deactivating and
        reactivating tenants. Uses the region's own region-level OAuth client from the
        environment (`QLIK_CLIENT_ID_EU` / `QLIK_CLIENT_SECRET_EU` for `eu`), else QLIK_CLIENT_ID /
        QLIK_CLIENT_SECRET.",
            regions::codes()
        ),
        move |code: &str| -> Fallible<RegionHandle> {
            let creds = lift(s.region_credentials(code))?;
            region(&s, code, creds)
        }
    );
    let s = session.clone();
    native!(engine, "region", ["code: &str", "auth: Map", "Region"],
        "The registration service of a region with explicit credentials `#{client_id, client_secret}`.",
        move |code: &str, auth: Map| -> Fallible<RegionHandle> { region(&s, code, credentials(&s.file_roots, &auth)?) });

    native!(engine, "tenant", ["region: &mut Region", "host: &str", "Tenant"],
        "A handle on a tenant of this region using the region's credentials (the same OAuth client).",
        |r: &mut RegionHandle, host: &str| r.tenant(host));

    native!(
        engine,
        "get$host",
        ["t: &mut Tenant", "String"],
        "The tenant's host name.",
        |t: &mut TenantHandle| t.api.host().to_string()
    );
    native!(
        engine,
        "to_string",
        ["t: &mut Tenant", "String"],
        "`tenant acme.eu.qlikcloud.com`.",
        |t: &mut TenantHandle| format!("tenant {}", t.api.host())
    );
    native!(
        engine,
        "to_debug",
        ["t: &mut Tenant", "String"],
        "`tenant acme.eu.qlikcloud.com (credentials)`, without secrets.",
        |t: &mut TenantHandle| format!("tenant {} ({})", t.api.host(), t.api.svc.creds.label())
    );
    native!(
        engine,
        "get$code",
        ["r: &mut Region", "String"],
        "The region code (`us`, `eu`, ...).",
        |r: &mut RegionHandle| r.api.region.code.to_string()
    );
    native!(
        engine,
        "get$datacenter",
        ["r: &mut Region", "String"],
        "The region's datacenter (`us-east-1`, ...).",
        |r: &mut RegionHandle| r.api.region.datacenter.to_string()
    );
    native!(
        engine,
        "get$host",
        ["r: &mut Region", "String"],
        "The registration host.",
        |r: &mut RegionHandle| r.api.svc.host().to_string()
    );
    native!(
        engine,
        "to_string",
        ["r: &mut Region", "String"],
        "`region eu`.",
        |r: &mut RegionHandle| format!("region {}", r.api.region.code)
    );
    native!(
        engine,
        "to_debug",
        ["r: &mut Region", "String"],
        "`region eu (register.eu.qlikcloud.com)`.",
        |r: &mut RegionHandle| format!("region {} ({})", r.api.region.code, r.api.svc.host())
    );

    native!(
        engine,
        "regions",
        ["Array"],
        "Every region: `#{code, datacenter, name}`.",
        || {
            regions::REGIONS
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    m.insert("code".into(), r.code.into());
                    m.insert("datacenter".into(), r.datacenter.into());
                    m.insert("name".into(), r.name.into());
                    Dynamic::from_map(m)
                })
                .collect::<rhai::Array>()
        }
    );
}

fn register_auth_helpers(engine: &mut Engine, roots: &FileRoots) {
    native!(engine, "as_user", ["t: &mut Tenant", "user: Map", "Tenant"],
        "The same tenant and OAuth client acting as a user (`#{subject: ..}` or `#{userId: ..}`), through
        the impersonation grant; the client needs `urn:qlik:oauth:user-impersonation` allowed.",
        |t: &mut TenantHandle, user: Map| -> Fallible<TenantHandle> {
            let Credentials::Client { id, auth, scope, .. } = t.api.svc.creds.clone() else {
                return fail("as_user needs a handle authenticated by an OAuth client, not an API key");
            };
            let impersonate = Some(impersonation(&Dynamic::from_map(user))?);
            let mut handle = t.clone();
            handle.api.svc.creds = Credentials::Client { id, auth, scope, impersonate };
            Ok(handle)
        });
    let r = roots.clone();
    native!(engine, "public_jwk", ["pem_path: &str", "Map"],
        "The public JWK of a private key file (RSA or EC P-384), for an OAuth client's `publicKeys`.",
        move |path: &str| -> Fallible<Dynamic> { Ok(to_dynamic(signing_key(&r, path, None)?.public_jwk())) });
    let r = roots.clone();
    native!(
        engine,
        "public_jwk",
        ["pem_path: &str", "kid: &str", "Map"],
        "The public JWK of a private key file with the given key id.",
        move |path: &str, kid: &str| -> Fallible<Dynamic> {
            Ok(to_dynamic(
                signing_key(&r, path, Some(kid.to_string()))?.public_jwk(),
            ))
        }
    );
}

fn region(s: &Arc<Session>, code: &str, creds: Credentials) -> Fallible<RegionHandle> {
    let Some(region) = regions::by_code(code) else {
        return fail(format!(
            "unknown region {code:?}; regions are {}",
            regions::codes()
        ));
    };
    let client = lift(s.client())?;
    Ok(RegionHandle {
        api: lift(cloud::Registration::new(client, region, creds))?,
        session: s.clone(),
    })
}
