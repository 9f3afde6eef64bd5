//! JWT authorization sessions, the other half of a `jwtAuth` identity provider:
//! `POST /login/jwt-session` trades a JWT signed by the IdP's static key for session cookies,
//! `GET /api/v1/csrf-token` hands out the CSRF token writes must echo, and [`authenticate`]
//! lets a request carrying the session act as its user. What is assumed is in `wire.rs`.

use super::clock::SimMs;
use super::errors::{no_content, with_header, Api, ApiError, HResult};
use super::groups::Group;
use super::identity::Idp;
use super::ids::Ids;
use super::jwt;
use super::oauth::{self, Caller, Target};
use super::request::Req;
use super::state::{State, Tenant, User};
use crate::wire;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;

/// A signed-in browser session of one user on one tenant.
pub struct Session {
    pub user_id: String,
    pub csrf: String,
    pub expires_ms: SimMs,
}

/// A claim-validation refusal: 400 `INTERNAL-TOKEN-1` (see `wire.rs`).
fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        Api::Tenants,
        400,
        wire::JWT_SESSION_INVALID_CODE,
        wire::JWT_SESSION_INVALID_TITLE,
    )
    .detail(format!("{}{detail}", wire::JWT_SESSION_INVALID_PREFIX))
}

/// An issuer, key or signature refusal: 401 (see `wire.rs`).
fn unauthorized(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        Api::Tenants,
        401,
        wire::JWT_SESSION_UNAUTHORIZED_CODE,
        "Invalid login",
    )
    .detail(detail)
}

fn not_member() -> ApiError {
    ApiError::new(
        Api::Tenants,
        403,
        wire::JWT_SESSION_NOT_MEMBER_CODE,
        "Forbidden",
    )
    .detail("User is not a member of tenant")
}

fn text<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

/// The `options.issuer` and `staticKeys[0]` of a jwtAuth IdP.
fn trust(i: &Idp) -> Option<(&str, &str, &str)> {
    let o = i.fields.get("options")?;
    let key = o.get("staticKeys")?.as_array()?.first()?;
    Some((text(o, "issuer")?, text(key, "kid")?, text(key, "pem")?))
}

/// The verified claims of a login token, and the IdP that vouched for it.
struct Verified {
    claims: Value,
    idp_id: String,
    exp: i64,
    /// Where its `jti` is remembered once the login succeeds.
    jti_key: String,
}

fn verify(req: &Req, t: &Tenant, now_secs: i64) -> Result<Verified, ApiError> {
    let auth = req
        .header("authorization")
        .ok_or_else(|| unauthorized("Missing Authorization header with the JWT"))?;
    let token = auth
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, tok)| tok.trim())
        .ok_or_else(|| unauthorized("Expected Authorization: Bearer <JWT>"))?;
    let (header, claims) =
        jwt::decode_unverified(token).ok_or_else(|| unauthorized("The token is not a JWT"))?;
    let alg = text(&header, "alg").unwrap_or("");
    if !wire::JWT_SESSION_ALGS.contains(&alg) {
        return Err(unauthorized(format!(
            "The token's alg {alg:?} is not accepted; sign with one of {}",
            wire::JWT_SESSION_ALGS.join(", ")
        )));
    }
    let iss = text(&claims, "iss").ok_or_else(|| invalid("Missing required claim: iss"))?;
    let jwt_idps = || {
        t.identity
            .idps
            .iter()
            .filter(|i| i.protocol() == "jwtAuth")
            .filter(move |i| trust(i).is_some_and(|(issuer, _, _)| issuer == iss))
    };
    let idp = jwt_idps().find(|i| i.flag("active")).ok_or_else(|| {
        if jwt_idps().next().is_some() {
            unauthorized(format!(
                "The identity provider of issuer {iss:?} is not active"
            ))
        } else {
            unauthorized(format!("No JWT identity provider has issuer {iss:?}"))
        }
    })?;
    let Some((_, want_kid, pem)) = trust(idp) else {
        return Err(unauthorized("The identity provider has no static key"));
    };
    let kid = text(&header, "kid").ok_or_else(|| unauthorized("The token header has no kid"))?;
    if kid != want_kid {
        return Err(unauthorized(format!(
            "kid {kid:?} does not match the identity provider's key id"
        )));
    }
    jwt::verify_with_pem(token, pem)
        .map_err(|e| unauthorized(format!("Invalid signature: {e}")))?;
    for name in wire::JWT_SESSION_REQUIRED_CLAIMS {
        if claims.get(*name).is_none_or(Value::is_null) {
            return Err(invalid(format!("Missing required claim: {name}")));
        }
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == wire::JWT_SESSION_AUDIENCE,
        Some(Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str() == Some(wire::JWT_SESSION_AUDIENCE)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid(format!(
            "aud must be \"{}\"",
            wire::JWT_SESSION_AUDIENCE
        )));
    }
    if text(&claims, "subType") != Some("user") {
        return Err(invalid("subType must be \"user\""));
    }
    for name in ["sub", "name", "email"] {
        if text(&claims, name).is_none_or(|s| s.trim().is_empty()) {
            return Err(invalid(format!("{name} must be a non-empty string")));
        }
    }
    let number = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_f64)
            .map(|n| n as i64)
            .ok_or_else(|| invalid(format!("{name} must be a NumericDate")))
    };
    let (exp, nbf) = (number("exp")?, number("nbf")?);
    number("iat")?;
    let tolerance = idp
        .fields
        .get("clockToleranceSec")
        .and_then(Value::as_i64)
        .unwrap_or(5);
    if exp <= now_secs - tolerance {
        return Err(invalid("jwt expired"));
    }
    if nbf > now_secs + tolerance {
        return Err(invalid("jwt not active (nbf is in the future)"));
    }
    if exp - nbf > wire::JWT_SESSION_MAX_WINDOW_SECS {
        return Err(invalid(format!(
            "The time window between exp and nbf exceeds {} seconds",
            wire::JWT_SESSION_MAX_WINDOW_SECS
        )));
    }
    let jti = match claims.get("jti") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(invalid("jti must be a non-empty string or a number")),
    };
    let jti_key = jti_key(iss, &jti);
    if t.identity.used_jtis.contains_key(&jti_key) {
        return Err(invalid("jti has already been used"));
    }
    Ok(Verified {
        idp_id: idp.id.clone(),
        exp,
        jti_key,
        claims,
    })
}

/// Where a login token's `jti` is remembered (beside client assertions' `"<clientId> <jti>"`).
fn jti_key(iss: &str, jti: &str) -> String {
    format!("jwt-session {iss} {jti}")
}

/// `POST /login/jwt-session` on tenant `tenant_id`.
pub fn login(req: &Req, st: &mut State, tenant_id: &str) -> HResult {
    let now = st.now();
    let now_secs = now / 1000;
    let t = st
        .tenant(tenant_id)
        .ok_or_else(|| unauthorized("Unknown tenant"))?;
    if t.status != "active" {
        return Err(oauth::tenant_disabled());
    }
    let v = verify(req, t, now_secs)?;
    let create_users = t
        .identity
        .idps
        .iter()
        .find(|i| i.id == v.idp_id)
        .is_none_or(|i| i.fields.get("createNewUsersOnLogin") != Some(&Value::Bool(false)));
    let claim = |n: &str| text(&v.claims, n).unwrap_or_default().to_string();
    let (sub, name, email) = (claim("sub"), claim("name"), claim("email"));
    let group_names: Vec<String> = match v.claims.get("groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect(),
        Some(_) => return Err(invalid("groups must be an array of strings")),
    };
    let sig_key = st.token_signing_key.clone();
    let State { tenants, ids, .. } = st;
    let (session_id, csrf) = (unguessable()?, unguessable()?);
    let t = tenants
        .with_id_mut(tenant_id)
        .ok_or_else(|| unauthorized("Unknown tenant"))?;
    let idx = match t
        .users
        .iter()
        .position(|u| u.status != "deleted" && u.subject == sub)
    {
        Some(i) if t.users[i].status == "disabled" => return Err(not_member()),
        Some(i) => {
            let u = &mut t.users[i];
            (u.name, u.email, u.updated_ms) = (name, Some(email), now);
            if u.status != "active" {
                u.status = "active".into();
                u.invite_expiry = None;
            }
            i
        }
        None if create_users => {
            t.users.push(User {
                email: Some(email),
                ..User::new(ids.object_id(), sub, name, "active", now)
            });
            let i = t.users.len() - 1;
            super::license_assignments::on_user_created(t, i);
            i
        }
        None => return Err(not_member()),
    };
    assign_groups(t, idx, &group_names, ids, now);
    t.identity.used_jtis.retain(|_, e| *e > now_secs);
    t.identity.used_jtis.insert(v.jti_key, v.exp);
    t.identity.sessions.retain(|_, s| s.expires_ms > now);
    let user_id = t.users[idx].id.clone();
    t.identity.sessions.insert(
        session_id.clone(),
        Session {
            user_id,
            csrf: csrf.clone(),
            expires_ms: now + wire::JWT_SESSION_LIFETIME_SECS * 1000,
        },
    );
    let mut resp = StatusCode::OK.into_response();
    let max_age = wire::JWT_SESSION_LIFETIME_SECS;
    for (name, value, http_only) in [
        (wire::SESSION_COOKIE, session_id.clone(), true),
        (wire::SESSION_SIG_COOKIE, sign(&sig_key, &session_id), true),
        (wire::CSRF_COOKIE, csrf.clone(), false),
        (wire::CSRF_SIG_COOKIE, sign(&sig_key, &csrf), false),
    ] {
        let flags = if http_only { "; HttpOnly" } else { "" };
        let cookie =
            format!("{name}={value}; Path=/; Max-Age={max_age}; Secure; SameSite=None{flags}");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// A session id or CSRF token: from the system RNG, not the simulator's seeded ids (a seed
/// makes ids repeatable across runs; a session must not be).
fn unguessable() -> Result<String, ApiError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 24];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| ApiError::http(Api::Generic, 500).detail("no randomness for a session"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The `.sig` companion of a cookie value: an HMAC under the simulator's token key.
fn sign(key: &ring::hmac::Key, value: &str) -> String {
    use base64::Engine as _;
    let tag = ring::hmac::sign(key, value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag.as_ref()[..20])
}

/// Gives user `idx` the groups named in the claim: existing ones by name (case-insensitive),
/// missing ones created (`providerType: "idp"`) when the tenant's `autoCreateGroups` is on.
fn assign_groups(t: &mut Tenant, idx: usize, names: &[String], new_ids: &mut Ids, now: SimMs) {
    let mut ids = Vec::new();
    for name in names {
        let found = t
            .groups
            .list
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
            .map(|g| g.id.clone());
        let id = match found {
            Some(id) => id,
            None if t.groups.auto_create_groups => {
                let fresh = new_ids.object_id();
                t.groups.list.push(Group {
                    id: fresh.clone(),
                    name: name.clone(),
                    description: String::new(),
                    status: "active".into(),
                    provider_type: "idp".into(),
                    role_ids: Vec::new(),
                    created_ms: now,
                    updated_ms: now,
                });
                fresh
            }
            None => continue,
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let idp_group =
        |t: &Tenant, id: &str| t.groups.get(id).is_some_and(|g| g.provider_type == "idp");
    let kept: Vec<String> = t.users[idx]
        .group_ids
        .iter()
        .filter(|id| !(wire::JWT_SESSION_GROUPS_REPLACE && idp_group(t, id)))
        .cloned()
        .collect();
    let u = &mut t.users[idx];
    u.group_ids = kept;
    for id in ids {
        if !u.group_ids.contains(&id) {
            u.group_ids.push(id);
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(req: &'a Req, name: &str) -> Option<&'a str> {
    req.headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The live session a request's cookies name on tenant `tenant_id`, if any.
fn session<'a>(req: &Req, st: &'a State, tenant_id: &str) -> Result<&'a Session, ApiError> {
    let id = cookie(req, wire::SESSION_COOKIE).unwrap_or_default();
    let sig = cookie(req, wire::SESSION_SIG_COOKIE).unwrap_or_default();
    let valid_sig = !id.is_empty() && sign(&st.token_signing_key, id) == sig;
    let s = st
        .tenant(tenant_id)
        .and_then(|t| t.identity.sessions.get(id))
        .filter(|_| valid_sig)
        .ok_or_else(|| oauth::unauthorized("The session is not valid on this tenant"))?;
    if st.now() >= s.expires_ms {
        return Err(oauth::unauthorized("The session has expired"));
    }
    Ok(s)
}

/// The caller of a request that carries no `Authorization` but a session cookie: `None` when
/// there is no session cookie at all (the caller then answers 401 as before). Writes must echo
/// the session's CSRF token in `qlik-csrf-token`.
pub fn authenticate(req: &Req, st: &State, target: &Target) -> Option<Result<Caller, ApiError>> {
    cookie(req, wire::SESSION_COOKIE)?;
    let Target::Tenant(tenant_id) = target else {
        return Some(Err(oauth::unauthorized(
            "A session is only valid on its tenant",
        )));
    };
    Some(session(req, st, tenant_id).and_then(|s| {
        let reads = matches!(req.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        if !reads && req.header(wire::CSRF_HEADER) != Some(s.csrf.as_str()) {
            return Err(
                ApiError::new(Api::Tenants, 403, wire::CSRF_REFUSED_CODE, "Forbidden").detail(
                    format!(
                        "A write through a session needs the {} header",
                        wire::CSRF_HEADER
                    ),
                ),
            );
        }
        oauth::active_caller(st, tenant_id, String::new(), s.user_id.clone())
    }))
}

/// `GET /api/v1/csrf-token`: 204 with the session's token in `qlik-csrf-token`; 400 for a
/// caller authenticated otherwise (documented).
pub fn csrf_token(req: &Req, st: &State, tenant_id: &str) -> HResult {
    if req.header("authorization").is_some() || cookie(req, wire::SESSION_COOKIE).is_none() {
        return Err(ApiError::new(
            Api::Tenants,
            400,
            wire::CSRF_NOT_SUPPORTED_CODE,
            "Bad Request",
        )
        .detail("Token is not supported for the auth mechanism being used"));
    }
    let s = session(req, st, tenant_id)?;
    Ok(with_header(no_content()?, "qlik-csrf-token", &s.csrf))
}
