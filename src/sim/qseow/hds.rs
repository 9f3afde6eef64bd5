//! The hybrid deployment service (reference §2): deployments (QSEoW → Qlik Cloud tenant
//! connections) at `/api/hds/v1/Deployments`, the Qlik-Cloud-format trust token
//! (`elastictokenconfig?qcsFormat=True`) and *Test connection*.
//!
//! A local-bearer-token deployment gets its own ECDSA P-256 key pair at creation; the token
//! carries its public key, and the tenant verifies JWTs signed with the private key through a
//! `qsefw-local-bearer-token` identity provider. A client-credentials deployment fetches a
//! token from `authenticationUrl` (a tenant of this simulator, in-process).

use super::{json_at, Deployment, HOST};
use crate::sim::apps::uuid;
use crate::sim::clock::iso;
use crate::sim::errors::{json_response, no_content, HResult};
use crate::sim::jwt;
use crate::sim::oauth::{self, Target};
use crate::sim::request::{host_name, Req};
use crate::sim::state::State;
use crate::wire;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// An error answer in the ASP.NET Core ProblemDetails shape (see `wire`).
pub fn problem(status: u16, title: &str, detail: &str) -> Response {
    json_response(
        status,
        &json!({"type": wire::QSEOW_HDS_PROBLEM_TYPE, "title": title, "status": status, "detail": detail}),
    )
}

fn bad(detail: impl AsRef<str>) -> HResult {
    Ok(problem(400, "Bad Request", detail.as_ref()))
}

fn not_found(id: &str) -> HResult {
    Ok(problem(
        404,
        "Not Found",
        &format!("Deployment {id} not found"),
    ))
}

pub fn deployment_json(d: &Deployment) -> Value {
    let mut v = json!({
        "id": d.id,
        "name": d.name,
        "serviceUrl": d.service_url,
        "audience": d.audience,
        "localBearerToken": d.local_bearer_token,
        "createdDate": iso(d.created_ms),
        "modifiedDate": iso(d.modified_ms),
    });
    if !d.local_bearer_token {
        v["clientId"] = json!(d.client_id);
        v["authenticationUrl"] = json!(d.authentication_url);
    }
    v
}

/// The issuer a deployment's tokens carry.
pub fn issuer(d: &Deployment) -> String {
    wire::qseow_hds_issuer(HOST, &d.id)
}

/// The Qlik-Cloud-format token: base64 of `{issuer, kid, pem, audience}`.
pub fn qcs_token(d: &Deployment) -> String {
    let v = json!({"issuer": issuer(d), "kid": d.id, "pem": d.public_pem, "audience": d.audience});
    base64::engine::general_purpose::STANDARD.encode(v.to_string())
}

pub fn handle(req: &Req, st: &mut State, rest: &[&str]) -> HResult {
    let method = req.method.as_str();
    match (method, rest) {
        ("GET", []) => {
            let list: Vec<Value> = st.qseow.deployments.iter().map(deployment_json).collect();
            json_at(200, &Value::Array(list))
        }
        ("POST", []) => create(req, st),
        ("GET", [id]) => match st.qseow.deployments.iter().find(|d| d.id == *id) {
            Some(d) => json_at(200, &deployment_json(d)),
            None => not_found(id),
        },
        ("PUT", [id]) => update(req, st, id),
        ("DELETE", [id]) => {
            let before = st.qseow.deployments.len();
            st.qseow.deployments.retain(|d| d.id != *id);
            if st.qseow.deployments.len() == before {
                return not_found(id);
            }
            no_content()
        }
        ("GET", [id, cfg]) if cfg.eq_ignore_ascii_case("elastictokenconfig") => {
            let Some(d) = st.qseow.deployments.iter().find(|d| d.id == *id) else {
                return not_found(id);
            };
            let qcs = req
                .query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("qcsFormat"))
                .map(|(_, v)| v.eq_ignore_ascii_case("true"))
                .unwrap_or(false);
            if !qcs {
                return bad(wire::QSEOW_HDS_ELASTIC_FORMAT_REFUSAL);
            }
            if !d.local_bearer_token {
                return bad(
                    "This deployment uses client credentials; it has no local bearer token",
                );
            }
            Ok((
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                qcs_token(d),
            )
                .into_response())
        }
        ("POST", [id, "actions", "test"]) => {
            if !st.qseow.deployments.iter().any(|d| d.id == *id) {
                return not_found(id);
            }
            let (success, message) = match connect(st, id) {
                Ok(tenant) => {
                    let host = st.tenant(&tenant).map(|t| t.host()).unwrap_or("");
                    (true, format!("Connection to tenant {host} succeeded"))
                }
                Err(m) => (false, m),
            };
            json_at(200, &json!({"success": success, "message": message}))
        }
        (_, [] | [_] | [_, "actions", "test"]) => {
            Ok(problem(405, "Method Not Allowed", "Method not allowed"))
        }
        (_, [_, cfg]) if cfg.eq_ignore_ascii_case("elastictokenconfig") => {
            Ok(problem(405, "Method Not Allowed", "Method not allowed"))
        }
        _ => Ok(problem(404, "Not Found", "Not Found")),
    }
}

struct Fields {
    name: Option<String>,
    service_url: Option<String>,
    audience: Option<String>,
    local: Option<bool>,
    client_id: Option<String>,
    client_secret: Option<String>,
    authentication_url: Option<String>,
}

fn fields(req: &Req) -> Result<Fields, String> {
    let o: Map<String, Value> = match req.json()? {
        Value::Object(o) => o,
        _ => return Err("The body must be a JSON object".into()),
    };
    let s = |k: &str| -> Result<Option<String>, String> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!("{k} must be a string")),
        }
    };
    let local = match o.get("localBearerToken") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err("localBearerToken must be a boolean".into()),
    };
    Ok(Fields {
        name: s("name")?,
        service_url: s("serviceUrl")?,
        audience: s("audience")?,
        local,
        client_id: s("clientId")?,
        client_secret: s("clientSecret")?,
        authentication_url: s("authenticationUrl")?,
    })
}

fn check_url(k: &str, u: &str) -> Result<(), String> {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or(format!("{k} must be an http(s) URL"))?;
    if rest.split('/').next().unwrap_or("").is_empty() {
        return Err(format!("{k} must name a host"));
    }
    Ok(())
}

/// Validates a complete deployment; `Err` is the 400 detail.
fn validate(d: &Deployment) -> Result<(), String> {
    for (k, v) in [
        ("name", &d.name),
        ("serviceUrl", &d.service_url),
        ("audience", &d.audience),
    ] {
        if v.is_empty() {
            return Err(format!("{k} is required"));
        }
    }
    check_url("serviceUrl", &d.service_url)?;
    if !d.local_bearer_token {
        for (k, v) in [
            ("clientId", &d.client_id),
            ("clientSecret", &d.client_secret),
            ("authenticationUrl", &d.authentication_url),
        ] {
            if v.is_empty() {
                return Err(format!("{k} is required when localBearerToken is false"));
            }
        }
        check_url("authenticationUrl", &d.authentication_url)?;
    }
    Ok(())
}

fn duplicate(st: &State, name: &str, except: &str) -> bool {
    st.qseow
        .deployments
        .iter()
        .any(|d| d.id != except && d.name.eq_ignore_ascii_case(name))
}

fn ensure_keys(d: &mut Deployment) -> Result<(), String> {
    if d.local_bearer_token && d.pkcs8.is_empty() {
        let (pkcs8, pem) = jwt::generate_es256()?;
        d.pkcs8 = pkcs8;
        d.public_pem = pem;
    }
    Ok(())
}

fn create(req: &Req, st: &mut State) -> HResult {
    let f = match fields(req) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let now = st.now();
    let mut d = Deployment {
        id: uuid(&mut st.ids),
        name: f.name.unwrap_or_default(),
        service_url: f.service_url.unwrap_or_default(),
        audience: f.audience.unwrap_or_default(),
        local_bearer_token: f.local.unwrap_or(wire::QSEOW_HDS_LOCAL_BEARER_DEFAULT),
        client_id: f.client_id.unwrap_or_default(),
        client_secret: f.client_secret.unwrap_or_default(),
        authentication_url: f.authentication_url.unwrap_or_default(),
        pkcs8: Vec::new(),
        public_pem: String::new(),
        created_ms: now,
        modified_ms: now,
    };
    if let Err(e) = validate(&d) {
        return bad(e);
    }
    if duplicate(st, &d.name, "") {
        return Ok(problem(
            409,
            "Conflict",
            &format!("A deployment named \"{}\" already exists", d.name),
        ));
    }
    if let Err(e) = ensure_keys(&mut d) {
        return Ok(problem(500, "Internal Server Error", &e));
    }
    let out = deployment_json(&d);
    st.qseow.deployments.push(d);
    json_at(201, &out)
}

fn update(req: &Req, st: &mut State, id: &str) -> HResult {
    let f = match fields(req) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let Some(idx) = st.qseow.deployments.iter().position(|d| d.id == id) else {
        return not_found(id);
    };
    if let Some(n) = &f.name {
        if duplicate(st, n, id) {
            return Ok(problem(
                409,
                "Conflict",
                &format!("A deployment named \"{n}\" already exists"),
            ));
        }
    }
    let now = st.now();
    let old = &st.qseow.deployments[idx];
    let mut d = Deployment {
        id: old.id.clone(),
        name: f.name.unwrap_or_else(|| old.name.clone()),
        service_url: f.service_url.unwrap_or_else(|| old.service_url.clone()),
        audience: f.audience.unwrap_or_else(|| old.audience.clone()),
        local_bearer_token: f.local.unwrap_or(old.local_bearer_token),
        client_id: f.client_id.unwrap_or_else(|| old.client_id.clone()),
        client_secret: f.client_secret.unwrap_or_else(|| old.client_secret.clone()),
        authentication_url: f
            .authentication_url
            .unwrap_or_else(|| old.authentication_url.clone()),
        pkcs8: old.pkcs8.clone(),
        public_pem: old.public_pem.clone(),
        created_ms: old.created_ms,
        modified_ms: now.max(old.modified_ms + 1),
    };
    if let Err(e) = validate(&d) {
        return bad(e);
    }
    if let Err(e) = ensure_keys(&mut d) {
        return Ok(problem(500, "Internal Server Error", &e));
    }
    let out = deployment_json(&d);
    st.qseow.deployments[idx] = d;
    json_at(200, &out)
}

/// The host of an absolute URL, lowercased, without port.
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    host_name(authority)
}

/// The tenant at `host`; the bare address (`localhost`, an IP) is the source tenant, as in the
/// server's routing.
fn tenant_at<'a>(st: &'a State, host: &str) -> Option<&'a crate::sim::state::Tenant> {
    if host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() {
        return st.tenant(&st.source_tenant_id);
    }
    st.tenant_by_host(host)
}

/// Connects deployment `id` to its tenant the way distribution does: the tenant must accept
/// a token from the deployment. `Ok` is the tenant id; `Err` says why not.
pub fn connect(st: &mut State, id: &str) -> Result<String, String> {
    let d = st
        .qseow
        .deployments
        .iter()
        .find(|d| d.id == id)
        .ok_or(format!("Deployment {id} not found"))?;
    let url = d.service_url.clone();
    let host = url_host(&url);
    let tenant =
        tenant_at(st, &host).ok_or(format!("cannot reach {url}: no tenant at host {host}"))?;
    if tenant.status != "active" {
        return Err(format!("tenant {host} is disabled"));
    }
    let tenant_id = tenant.id.clone();
    if d.local_bearer_token {
        let now_secs = st.now() / 1000;
        let claims = json!({
            "iss": issuer(d),
            "sub": d.id,
            "aud": wire::QSEOW_HDS_TOKEN_AUDIENCE,
            "iat": now_secs,
            "exp": now_secs + wire::QSEOW_HDS_JWT_LIFETIME_SECS,
        });
        let token = jwt::sign_es256(&d.pkcs8, &d.id, &claims)?;
        let t = st.tenant(&tenant_id).ok_or("tenant vanished")?;
        verify_local_token(t, &token, now_secs).map(|_| tenant_id)
    } else {
        let (cid, secret, auth_url) = (
            d.client_id.clone(),
            d.client_secret.clone(),
            d.authentication_url.clone(),
        );
        client_credentials(st, &tenant_id, &host, &cid, &secret, &auth_url).map(|_| tenant_id)
    }
}

/// How the tenant checks a local bearer token: an active `qsefw-local-bearer-token` IdP whose
/// issuer and static key id match the token, and whose PEM verifies the signature.
pub fn verify_local_token(
    t: &crate::sim::state::Tenant,
    token: &str,
    now_secs: i64,
) -> Result<(), String> {
    let host = t.host().to_string();
    let (header, payload) = jwt::decode_unverified(token).ok_or("the token is malformed")?;
    let kid = header["kid"].as_str().unwrap_or("");
    let iss = payload["iss"].as_str().unwrap_or("");
    let idps: Vec<&crate::sim::identity::Idp> = t
        .identity
        .idps
        .iter()
        .filter(|i| i.protocol() == wire::MULTICLOUD_PROTOCOL && i.flag("active"))
        .collect();
    if idps.is_empty() {
        return Err(format!(
            "no active Multi-cloud identity provider (protocol {}) on tenant {host}; create one with this deployment's token",
            wire::MULTICLOUD_PROTOCOL
        ));
    }
    let keys_of = |i: &crate::sim::identity::Idp| -> Vec<(String, String)> {
        i.fields
            .get("options")
            .and_then(|o| o.get("staticKeys"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|k| {
                        (
                            k["kid"].as_str().unwrap_or("").to_string(),
                            k["pem"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let issuer_of = |i: &crate::sim::identity::Idp| -> String {
        i.fields
            .get("options")
            .and_then(|o| o.get("issuer"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let Some((idp, pem)) = idps.iter().find_map(|i| {
        keys_of(i)
            .into_iter()
            .find(|(k, _)| k == kid)
            .map(|(_, pem)| (*i, pem))
    }) else {
        let trusted: Vec<String> = idps
            .iter()
            .flat_map(|i| keys_of(i).into_iter().map(|(k, _)| k))
            .filter(|k| !k.is_empty())
            .collect();
        return Err(if trusted.is_empty() {
            format!("the Multi-cloud identity provider on tenant {host} holds no key; recreate it with this deployment's token")
        } else {
            format!(
                "the Multi-cloud identity provider on tenant {host} trusts deployment {} (kid), not this deployment ({kid})",
                trusted.join(", ")
            )
        });
    };
    let want_iss = issuer_of(idp);
    if want_iss != iss {
        return Err(format!(
            "issuer mismatch on tenant {host}: the identity provider {} expects {want_iss}, the token says {iss}",
            idp.id
        ));
    }
    jwt::verify_with_pem(token, &pem).map_err(|e| {
        format!(
            "{e}: the token does not verify with the key of identity provider {} on tenant {host}",
            idp.id
        )
    })?;
    if payload["aud"].as_str() != Some(wire::QSEOW_HDS_TOKEN_AUDIENCE) {
        return Err(format!(
            "the token's audience is not {}",
            wire::QSEOW_HDS_TOKEN_AUDIENCE
        ));
    }
    if payload["exp"].as_i64().is_none_or(|e| e <= now_secs) {
        return Err("the token has expired".into());
    }
    Ok(())
}

/// The bytes of a response built in-process (bodies here are complete buffers, ready at once).
fn body_now(resp: Response) -> Option<Vec<u8>> {
    let mut fut = Box::pin(axum::body::to_bytes(resp.into_body(), 1 << 20));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Ok(b)) => Some(b.to_vec()),
        _ => None,
    }
}

use std::future::Future as _;

/// Client-credentials mode: a token from `auth_url`'s tenant (its `/oauth/token`), then that
/// token presented to the service tenant.
fn client_credentials(
    st: &mut State,
    tenant_id: &str,
    service_host: &str,
    client_id: &str,
    secret: &str,
    auth_url: &str,
) -> Result<(), String> {
    let auth_host = url_host(auth_url);
    let Some(auth_tenant) = tenant_at(st, &auth_host).map(|t| t.id.clone()) else {
        return Err(format!(
            "cannot reach {auth_url}: no tenant at host {auth_host}"
        ));
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = json!({"client_id": client_id, "client_secret": secret,
                      "grant_type": "client_credentials", "audience": wire::QSEOW_HDS_TOKEN_AUDIENCE});
    let req = Req {
        method: Method::POST,
        host: auth_host.clone(),
        host_name: auth_host.clone(),
        path: "/oauth/token".into(),
        query: Vec::new(),
        headers,
        body: body.to_string().into_bytes(),
    };
    let resp = match oauth::token(&req, st, &Target::Tenant(auth_tenant)) {
        Ok(r) => r,
        Err(e) => {
            let b = e.body("");
            let why = b["errors"][0]["detail"]
                .as_str()
                .or(b["errors"][0]["title"].as_str())
                .unwrap_or("refused")
                .to_string();
            return Err(format!(
                "the token endpoint {auth_url} refused the client credentials: {why}"
            ));
        }
    };
    let status = resp.status().as_u16();
    let v: Value = body_now(resp)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let Some(tok) = v["access_token"].as_str().filter(|_| status == 200) else {
        return Err(format!(
            "the token endpoint {auth_url} answered {status} without a token"
        ));
    };
    let mut headers = HeaderMap::new();
    if let Ok(h) = HeaderValue::from_str(&format!("Bearer {tok}")) {
        headers.insert(header::AUTHORIZATION, h);
    }
    let probe = Req {
        method: Method::GET,
        host: service_host.to_string(),
        host_name: service_host.to_string(),
        path: "/api/v1/users/me".into(),
        query: Vec::new(),
        headers,
        body: Vec::new(),
    };
    oauth::authenticate(&probe, st, &Target::Tenant(tenant_id.to_string()))
        .map(|_| ())
        .map_err(|e| {
            let b = e.body("");
            format!(
                "tenant {service_host} refused the token: {}",
                b["errors"][0]["detail"].as_str().unwrap_or("unauthorized")
            )
        })
}

/// Whether `token` is a Qlik-Cloud-format token this site's hybrid deployment service issued
/// (the `elastictokenconfig?qcsFormat=True` of one of its local-bearer-token deployments).
/// `Err` says what is wrong with it, for the tenant's 400.
pub fn check_issued(st: &State, token: &str) -> Result<(), String> {
    let token = token.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(Value::is_object);
    let Some(v) = decoded else {
        return Err(
            "base64Encoded is not a Multi-cloud token: it must be the local bearer token of a deployment (Qlik Cloud format), base64 of its JSON definition"
                .into(),
        );
    };
    let issued = st
        .qseow
        .deployments
        .iter()
        .any(|d| d.local_bearer_token && qcs_token(d) == token);
    if issued {
        return Ok(());
    }
    let kid = v["kid"].as_str().unwrap_or("");
    Err(format!(
        "base64Encoded is not a token issued by a hybrid deployment service: no deployment with key id \"{}\" holds this key",
        crate::output::cut(kid, 64)
    ))
}
