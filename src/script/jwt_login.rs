//! JWT authorization on a tenant handle: `t.jwt_login(claims, #{private_key, kid, issuer})`
//! signs a login token with the `jwtAuth` IdP's private key (a PEM file read under the file
//! rules, like every `private_key` in an auth map) and returns a handle acting as that user
//! through the session; `public_pem(path)` gives the public key the IdP's `staticKeys` need.

use super::convert::{lift, to_json};
use super::handles::{signing_key, ApiCalls, TenantHandle};
use super::native::{fail, native, Fallible};
use crate::cloud;
use crate::session::Session;
use rhai::{Dynamic, Engine, Map};
use std::sync::Arc;

const OPTIONS: [&str; 3] = ["private_key", "kid", "issuer"];

fn login(s: &Session, t: &TenantHandle, claims: Map, options: Map) -> Fallible<TenantHandle> {
    if let Some(k) = options.keys().find(|k| !OPTIONS.contains(&k.as_str())) {
        return fail(format!(
            "unknown jwt_login option {k:?}: use {}",
            OPTIONS.join(", ")
        ));
    }
    let text = |k: &str| {
        options
            .get(k)
            .filter(|v| !v.is_unit())
            .map(|v| v.to_string())
            .filter(|v| !v.trim().is_empty())
    };
    let (Some(path), Some(kid), Some(issuer)) = (text("private_key"), text("kid"), text("issuer"))
    else {
        return fail(
            "jwt_login needs #{private_key: \"<PEM file>\", kid, issuer} of the jwtAuth identity provider",
        );
    };
    let key = signing_key(&s.file_roots, &path, Some(kid))?;
    let claims = to_json(&Dynamic::from_map(claims))?;
    let Some(claims) = claims.as_object() else {
        return fail("jwt_login claims must be a map");
    };
    let claims = lift(cloud::jwt_session::claims(claims, &issuer))?;
    let client = t.api.client.clone();
    let host = t.api.host().to_string();
    let creds =
        t.call(async move { cloud::jwt_session::login(&client, &host, &key, &claims).await })?;
    Ok(t.with_credentials(creds))
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let s = session.clone();
    native!(engine, "jwt_login", ["t: &mut Tenant", "claims: Map", "options: Map", "Tenant"],
        "Logs in through the tenant's `jwtAuth` identity provider (`POST /login/jwt-session`) and returns
        a handle acting as that user through the session (reads, and writes with the CSRF token).
        `claims` need `sub`, `name`, `email` (plus `groups` to assign groups); `iss`, `aud`, `subType`,
        `jti`, `iat`, `nbf`, `exp` (5 minutes) and `email_verified: true` are filled in unless given.
        Under `--dry-run` the login is planned, not made, and this throws (a first login creates the user).
        `options`: `#{private_key: \"<PEM file>\", kid, issuer}` of the identity provider.",
        move |t: &mut TenantHandle, claims: Map, options: Map| -> Fallible<TenantHandle> {
            login(&s, t, claims, options)
        });
    let s = session.clone();
    native!(
        engine,
        "public_pem",
        ["pem_path: &str", "String"],
        "The `PUBLIC KEY` PEM of a private key file (RSA or EC P-384), for a `jwtAuth` identity
        provider's `staticKeys: [#{kid, pem}]`.",
        move |path: &str| -> Fallible<String> {
            Ok(signing_key(&s.file_roots, path, None)?.public_pem())
        }
    );
}
