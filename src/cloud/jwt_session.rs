//! JWT authorization (qlik.dev "Create signed tokens for JWT authorization"): a JWT signed by
//! the private key of a `jwtAuth` identity provider is traded at `POST /login/jwt-session` for
//! session cookies, and the session's CSRF token is read from `GET /api/v1/csrf-token` as
//! @qlik/api does for cookie auth. The result is a credential the one transport sends.

use super::auth::{Credentials, SessionCookies};
use super::error::{Error, Result};
use super::http::{Client, Request};
use super::jwt::SigningKey;
use crate::secret::Secret;
use crate::wire;
use reqwest::header::SET_COOKIE;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds a token made here is valid: short, well inside Qlik's one-hour `exp - nbf` window.
const LIFETIME_SECS: u64 = 300;

/// The claims of a login token: the script's `claims` over Qlik's required defaults
/// (`iss` = the IdP issuer, `aud`, `subType: "user"`, a fresh `jti`, `iat` = `nbf` = now,
/// `exp` = now + 5 minutes, `email_verified: true`); `sub`, `name` and `email` must be given.
pub fn claims(given: &Map<String, Value>, issuer: &str) -> Result<Value> {
    for name in ["sub", "name", "email"] {
        if given
            .get(name)
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(Error::Usage(format!(
                "jwt_login claims need {name} (a non-empty string); sub, name and email identify the user"
            )));
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut out = json!({
        "iss": issuer,
        "aud": wire::JWT_SESSION_AUDIENCE,
        "subType": "user",
        "email_verified": true,
        "jti": super::jwt::uuid_v4(),
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME_SECS,
    });
    for (k, v) in given {
        out[k.as_str()] = v.clone();
    }
    Ok(out)
}

/// Signs `claims` with `key` (header `{alg, kid, typ}`), logs in on `host`, and returns the
/// session's credentials.
pub async fn login(
    client: &Client,
    host: &str,
    key: &SigningKey,
    claims: &Value,
) -> Result<Credentials> {
    let header = json!({"alg": key.alg(), "kid": key.kid, "typ": "JWT"});
    let token = key.sign(&header, claims).map_err(Error::Usage)?;
    let svc = client.service(host, Credentials::Jwt(Secret::new(token)))?;
    let url = svc.url("/login/jwt-session", &[])?;
    let mut req = Request::new(Method::POST, url.clone());
    // The token is single-use (`jti`): never sent twice.
    req.idempotent = false;
    // A first login creates the user (and groups, a license): under --dry-run it is planned,
    // not made, and there is no session to act through.
    if let Some(plan) = client.plan() {
        plan.record(&svc, &req);
        return Err(Error::Usage(format!(
            "--dry-run: the JWT login on {host} is planned, not made (a first login creates the user), so there is no session to act through"
        )));
    }
    // Not a journaled mutation: a journal would replay the recorded answer, and a session is
    // never replayed (its cookies are not kept anywhere).
    req.mutating = false;
    let answer = client.send(&svc, req).await?;
    let cookies: Vec<String> = answer
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(|pair| pair.trim().to_string())
        .filter(|pair| pair.contains('='))
        .collect();
    let named = |name: &str| cookies.iter().any(|c| c.split('=').next() == Some(name));
    if !named(wire::SESSION_COOKIE) {
        return Err(Error::decode(
            "POST",
            url.as_str(),
            format!("login answer without a {} cookie", wire::SESSION_COOKIE),
        ));
    }
    let mut session = SessionCookies {
        cookies: Secret::new(cookies.join("; ")),
        csrf: Secret::new(""),
    };
    let svc = client.service(host, Credentials::Session(session.clone()))?;
    let url = svc.url("/api/v1/csrf-token", &[])?;
    let answer = client
        .send(&svc, Request::new(Method::GET, url.clone()))
        .await?;
    let csrf = answer
        .headers
        .get(wire::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Error::decode(
                "GET",
                url.as_str(),
                format!("answer without a {} header", wire::CSRF_HEADER),
            )
        })?;
    session.csrf = Secret::new(csrf);
    Ok(Credentials::Session(session))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn claims_fill_qliks_required_ones_and_keep_what_is_given() {
        let c = claims(
            &given(json!({"sub": "s", "name": "N", "email": "e@x", "groups": ["g"], "exp": 5})),
            "https://idp",
        )
        .unwrap();
        assert_eq!(c["iss"], "https://idp");
        assert_eq!(c["aud"], wire::JWT_SESSION_AUDIENCE);
        assert_eq!(c["subType"], "user");
        assert_eq!(c["email_verified"], true);
        assert_eq!(c["groups"], json!(["g"]));
        assert_eq!(c["exp"], 5);
        assert_eq!(c["iat"], c["nbf"]);
        for name in wire::JWT_SESSION_REQUIRED_CLAIMS {
            assert!(c.get(*name).is_some(), "{name}");
        }
        let other = claims(
            &given(json!({"sub": "s", "name": "N", "email": "e@x"})),
            "i",
        )
        .unwrap();
        assert_ne!(other["jti"], c["jti"], "a fresh jti each time");
        let missing = claims(&given(json!({"sub": "s", "name": " "})), "i").unwrap_err();
        assert!(missing.to_string().contains("name"), "{missing}");
    }
}
