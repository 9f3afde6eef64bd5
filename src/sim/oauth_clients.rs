//! OAuth clients on a tenant (reference §7): create (201, the secret shown once), list (SCIM
//! filter, cursors, `totalResults`), get, JSON Patch, delete with `qlik-confirm-delete`, client
//! secrets (max 5), publish, connection config; and [`grant`], the `/oauth/token` side of a
//! tenant-level client (client secret or Private Key JWT; client credentials or impersonation).
//! All endpoints are TenantAdmin only.

use super::clock::{iso, SimMs};
use super::errors::{self, coded, json_response, no_content, ok, Api, ApiError, HResult};
use super::identity::{ClientSecret, TenantClient};
use super::jwt;
use super::oauth::Target;
use super::paging;
use super::request::Req;
use super::scim::{self, Schema};
use super::state::{State, Tenant};
use super::users::ensure_bot;
use crate::wire;
use serde_json::{json, Map, Value};

/// The shape of this API's errors.
const API: Api = Api::Generic;

fn bad(detail: impl Into<String>) -> ApiError {
    coded(
        API,
        400,
        wire::OAUTH_CLIENTS_BAD_REQUEST_CODE,
        "Bad Request",
        detail,
    )
}

fn not_found(id: &str) -> ApiError {
    coded(
        API,
        404,
        wire::OAUTH_CLIENTS_NOT_FOUND_CODE,
        "Not Found",
        format!("OAuth client {id} not found"),
    )
}

pub fn methods(rest: &[&str]) -> Option<&'static [&'static str]> {
    match rest {
        [] => Some(&["GET", "POST"]),
        [_] => Some(&["GET", "PATCH", "DELETE"]),
        [_, "client-secrets"] => Some(&["POST"]),
        [_, "client-secrets", _] => Some(&["DELETE"]),
        [_, "actions", "publish"] => Some(&["POST"]),
        [_, "connection-configs", "me"] => Some(&["GET", "PATCH", "DELETE"]),
        _ => None,
    }
}

const APP_TYPES: &[&str] = &["web", "native", "spa", "anonymous-embed"];
const GRANTS: &[&str] = &["client_credentials", wire::GRANT_IMPERSONATION];
const AUTH_METHODS: &[&str] = &["client_secret", "private_key_jwt"];
const STRING_FIELDS: &[&str] = &[
    "clientName",
    "description",
    "clientUri",
    "logoUri",
    "jwksUri",
];
const LIST_FIELDS: &[&str] = &[
    "allowedOrigins",
    "redirectUris",
    "allowedScopes",
    "allowedGrantTypes",
    "allowedAuthMethods",
    "publicKeys",
];
/// Fields a PATCH may touch (documented paths).
const PATCH_FIELDS: &[&str] = &[
    "allowedOrigins",
    "clientName",
    "clientUri",
    "description",
    "logoUri",
    "redirectUris",
    "allowedScopes",
    "allowedGrantTypes",
    "publicKeys",
    "allowedAuthMethods",
    "jwksUri",
];

/// Validates a client's fields (the create request, or the result of a patch) and returns the
/// ones kept.
fn validate(o: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let app_type = match o.get("appType") {
        Some(Value::String(s)) if APP_TYPES.contains(&s.as_str()) => s.clone(),
        Some(Value::String(s)) => {
            return Err(format!(
                "appType \"{s}\" is not one of {}",
                APP_TYPES.join(", ")
            ))
        }
        _ => return Err("appType is required".into()),
    };
    out.insert("appType".into(), json!(app_type));
    match o.get("clientName") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => return Err("clientName is required (a non-empty string)".into()),
    }
    for f in STRING_FIELDS {
        match o.get(*f) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                out.insert((*f).into(), json!(s));
            }
            Some(_) => return Err(format!("{f} must be a string")),
        }
    }
    for f in LIST_FIELDS {
        match o.get(*f) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                if *f != "publicKeys" && !items.iter().all(Value::is_string) {
                    return Err(format!("{f} must be an array of strings"));
                }
                out.insert((*f).into(), Value::Array(items.clone()));
            }
            Some(_) => return Err(format!("{f} must be an array")),
        }
    }
    let strings = |f: &str| -> Vec<String> {
        out.get(f)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let grants = strings("allowedGrantTypes");
    if !grants.is_empty() && app_type != "web" {
        return Err("allowedGrantTypes is only allowed for appType web".into());
    }
    if let Some(g) = grants.iter().find(|g| !GRANTS.contains(&g.as_str())) {
        return Err(format!(
            "allowedGrantTypes value \"{g}\" is not one of {}",
            GRANTS.join(", ")
        ));
    }
    let methods = strings("allowedAuthMethods");
    if let Some(m) = methods.iter().find(|m| !AUTH_METHODS.contains(&m.as_str())) {
        return Err(format!(
            "allowedAuthMethods value \"{m}\" is not one of {}",
            AUTH_METHODS.join(", ")
        ));
    }
    let keys = out
        .get("publicKeys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut kids = Vec::new();
    for k in &keys {
        jwt::validate_jwk(k).map_err(|e| format!("publicKeys: {e}"))?;
        let kid = k.get("kid").and_then(Value::as_str).unwrap_or("");
        if kids.contains(&kid) {
            return Err(format!("publicKeys: kid \"{kid}\" appears twice"));
        }
        kids.push(kid);
    }
    if methods.iter().any(|m| m == "private_key_jwt")
        && keys.is_empty()
        && !out.contains_key("jwksUri")
    {
        return Err("private_key_jwt needs publicKeys (or a jwksUri)".into());
    }
    match o.get("connectionConfig") {
        None | Some(Value::Null) => {}
        Some(c) if c.get("consentMethod").and_then(Value::as_str) == Some("trusted") => {
            out.insert(
                "connectionConfig".into(),
                json!({"consentMethod": "trusted"}),
            );
        }
        Some(_) => {
            return Err("connectionConfig.consentMethod must be \"trusted\" at create".into())
        }
    }
    Ok(out)
}

fn needs_secret(fields: &Map<String, Value>) -> bool {
    let m: Vec<&str> = fields
        .get("allowedAuthMethods")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    m.is_empty() || m.contains(&"client_secret")
}

fn new_secret(st: &mut State, now: SimMs, by: &str) -> ClientSecret {
    let secret = st.ids.secret();
    let hint = secret[secret.len() - wire::OAUTH_CLIENT_SECRET_HINT_LEN..].to_string();
    ClientSecret {
        hint,
        secret,
        created_ms: now,
        created_by: by.to_string(),
    }
}

pub fn client_json(t: &Tenant, c: &TenantClient) -> Value {
    let mut v = Value::Object(c.fields.clone());
    v["clientId"] = json!(c.client_id);
    v["tenantId"] = json!(t.id);
    v["createdAt"] = json!(iso(c.created_ms));
    v["updatedAt"] = json!(iso(c.updated_ms));
    v["createdByType"] = json!("user");
    v["ownerId"] = json!(c.created_by);
    v["clientSecrets"] = c
        .secrets
        .iter()
        .map(|s| json!({"hint": s.hint, "createdAt": iso(s.created_ms), "createdBy": s.created_by}))
        .collect();
    if let Some(s) = c.secrets.first() {
        v["clientSecretHint"] = json!(s.hint);
    }
    if c.fields.get("connectionConfig").is_none() {
        v["connectionConfig"] = json!({"consentMethod": "trusted"});
    }
    v
}

pub fn handle(req: &Req, st: &mut State, tenant_id: &str, caller: &str, rest: &[&str]) -> HResult {
    let now = st.now();
    let method = req.method.as_str();
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    if !t.is_tenant_admin(caller) {
        return Err(errors::tenant_admin_only(
            API,
            wire::OAUTH_CLIENTS_FORBIDDEN_CODE,
        ));
    }
    if let ("POST", []) = (method, rest) {
        return create(req, st, tenant_id, caller, now);
    }
    if let ("GET", []) = (method, rest) {
        return list(req, t);
    }
    let id = rest.first().copied().unwrap_or("");
    let idx = t
        .identity
        .clients
        .iter()
        .position(|c| c.client_id == id)
        .ok_or_else(|| not_found(id))?;
    match (method, rest.get(1..).unwrap_or(&[])) {
        ("GET", []) => ok(&client_json(t, &t.identity.clients[idx])),
        ("DELETE", []) => {
            let confirm = req.header("qlik-confirm-delete").map(str::trim);
            if confirm != Some(id) {
                return Err(coded(
                    API,
                    wire::OAUTH_CLIENTS_CONFIRM_STATUS,
                    wire::OAUTH_CLIENTS_CONFIRM_CODE,
                    "Precondition Failed",
                    format!("The header qlik-confirm-delete must name the client id {id}"),
                ));
            }
            if let Some(t) = st.tenant_mut(tenant_id) {
                t.identity.clients.remove(idx);
            }
            st.tokens.retain(|_, tok| tok.client_id != id);
            no_content()
        }
        ("PATCH", []) => patch(req, st, tenant_id, idx, caller, now),
        ("POST", ["client-secrets"]) => {
            if t.identity.clients[idx].secrets.len() >= wire::OAUTH_CLIENT_MAX_SECRETS {
                return Err(coded(
                    API,
                    409,
                    wire::OAUTH_CLIENTS_CONFLICT_CODE,
                    "Conflict",
                    format!(
                        "A client has at most {} secrets",
                        wire::OAUTH_CLIENT_MAX_SECRETS
                    ),
                ));
            }
            let s = new_secret(st, now, caller);
            let body = json!({"clientId": id, "clientSecret": s.secret, "hint": s.hint,
                              "createdAt": iso(now), "createdBy": caller});
            if let Some(c) = st
                .tenant_mut(tenant_id)
                .and_then(|t| t.identity.clients.get_mut(idx))
            {
                c.secrets.push(s);
                c.updated_ms = now;
            }
            Ok(json_response(201, &body))
        }
        ("DELETE", ["client-secrets", hint]) => {
            let c = st
                .tenant_mut(tenant_id)
                .and_then(|t| t.identity.clients.get_mut(idx))
                .ok_or_else(|| not_found(id))?;
            let before = c.secrets.len();
            c.secrets.retain(|s| s.hint != *hint);
            if c.secrets.len() == before {
                return Err(coded(
                    API,
                    404,
                    wire::OAUTH_CLIENTS_NOT_FOUND_CODE,
                    "Not Found",
                    format!("Client {id} has no secret with hint {hint}"),
                ));
            }
            c.updated_ms = now;
            no_content()
        }
        ("POST", ["actions", "publish"]) => {
            let c = st
                .tenant_mut(tenant_id)
                .and_then(|t| t.identity.clients.get_mut(idx))
                .ok_or_else(|| not_found(id))?;
            c.fields.insert("publishedAt".into(), json!(iso(now)));
            Ok(json_response(201, &json!({"publishedAt": iso(now)})))
        }
        ("GET", ["connection-configs", "me"]) => {
            let c = &t.identity.clients[idx];
            let m = c
                .fields
                .get("connectionConfig")
                .and_then(|c| c.get("consentMethod"))
                .cloned()
                .unwrap_or(json!("trusted"));
            ok(&json!({"consentMethod": m, "status": "active"}))
        }
        ("PATCH", ["connection-configs", "me"]) => {
            let body = req.json().map_err(bad)?;
            let value = match body.as_array().map(Vec::as_slice) {
                Some([op])
                    if op.get("op").and_then(Value::as_str) == Some("replace")
                        && op.get("path").and_then(Value::as_str) == Some("/consentMethod") =>
                {
                    match op.get("value").and_then(Value::as_str) {
                        Some(v @ ("trusted" | "required")) => v.to_string(),
                        _ => return Err(bad("consentMethod must be \"required\" or \"trusted\"")),
                    }
                }
                _ => {
                    return Err(bad(
                        "Expected [{\"op\":\"replace\",\"path\":\"/consentMethod\",\"value\":...}]",
                    ))
                }
            };
            if let Some(c) = st
                .tenant_mut(tenant_id)
                .and_then(|t| t.identity.clients.get_mut(idx))
            {
                c.fields
                    .insert("connectionConfig".into(), json!({"consentMethod": value}));
                c.updated_ms = now;
            }
            no_content()
        }
        ("DELETE", ["connection-configs", "me"]) => {
            if let Some(c) = st
                .tenant_mut(tenant_id)
                .and_then(|t| t.identity.clients.get_mut(idx))
            {
                c.fields.remove("connectionConfig");
            }
            no_content()
        }
        _ => Err(not_found(&rest.join("/"))),
    }
}

fn create(req: &Req, st: &mut State, tenant_id: &str, caller: &str, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let o = body
        .as_object()
        .ok_or_else(|| bad("The body must be a JSON object"))?;
    let mut fields = validate(o).map_err(bad)?;
    if let Some(n) = o.get("clientName") {
        fields.insert("clientName".into(), n.clone());
    }
    let client_id = st.ids.hex32();
    let secret = needs_secret(&fields).then(|| new_secret(st, now, caller));
    let client = TenantClient {
        client_id,
        fields,
        secrets: secret.into_iter().collect(),
        created_ms: now,
        updated_ms: now,
        created_by: caller.to_string(),
    };
    let t = st
        .tenant_mut(tenant_id)
        .ok_or_else(|| not_found(tenant_id))?;
    let mut v = client_json(t, &client);
    if let Some(s) = client.secrets.first() {
        v["clientSecret"] = json!(s.secret);
    }
    t.identity.clients.push(client);
    Ok(json_response(201, &v))
}

fn patch(
    req: &Req,
    st: &mut State,
    tenant_id: &str,
    idx: usize,
    caller: &str,
    now: SimMs,
) -> HResult {
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("The body must be a non-empty JSON Patch array"))?;
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    let c = t.identity.clients.get(idx).ok_or_else(|| not_found(""))?;
    let mut fields = c.fields.clone();
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        let mut segs = path.strip_prefix('/').unwrap_or("").splitn(2, '/');
        let field = segs.next().unwrap_or("");
        let index = segs.next();
        if !PATCH_FIELDS.contains(&field) {
            return Err(bad(format!("Path \"{path}\" cannot be patched")));
        }
        let value = op.get("value").cloned();
        match (name, index) {
            ("replace" | "add", None) => {
                let v = value.ok_or_else(|| bad(format!("{name} {path} needs a value")))?;
                fields.insert(field.into(), v);
            }
            ("add", Some("-")) if LIST_FIELDS.contains(&field) => {
                let v = value.ok_or_else(|| bad(format!("add {path} needs a value")))?;
                let list = fields.entry(field).or_insert_with(|| json!([]));
                match list.as_array_mut() {
                    Some(a) => a.push(v),
                    None => return Err(bad(format!("{field} is not a list"))),
                }
            }
            ("remove", None) => {
                fields.remove(field);
            }
            ("remove", Some(i)) if LIST_FIELDS.contains(&field) => {
                let list = fields.get_mut(field).and_then(Value::as_array_mut);
                match (list, i.parse::<usize>()) {
                    (Some(a), Ok(n)) if n < a.len() => {
                        a.remove(n);
                    }
                    _ => return Err(bad(format!("Nothing to remove at {path}"))),
                }
            }
            ("add" | "remove" | "replace", _) => {
                return Err(bad(format!("Invalid path \"{path}\" for {name}")))
            }
            _ => {
                return Err(bad(format!(
                    "Unsupported op \"{name}\"; use add, remove or replace"
                )))
            }
        }
    }
    let mut checked = validate(&fields).map_err(bad)?;
    for f in ["clientName", "publishedAt"] {
        if let Some(v) = fields.get(f) {
            checked.insert(f.into(), v.clone());
        }
    }
    let generate = needs_secret(&checked) && c.secrets.is_empty();
    let secret = generate.then(|| new_secret(st, now, caller));
    let c = st
        .tenant_mut(tenant_id)
        .and_then(|t| t.identity.clients.get_mut(idx))
        .ok_or_else(|| not_found(""))?;
    c.fields = checked;
    c.updated_ms = now;
    match secret {
        Some(s) => {
            let body = json!({"clientSecret": s.secret});
            c.secrets.push(s);
            Ok(json_response(202, &body))
        }
        None => no_content(),
    }
}

const SORTS: &[&str] = &[
    "clientId",
    "clientName",
    "appType",
    "tenantId",
    "createdAt",
    "updatedAt",
];

const FILTER: Schema = Schema {
    eq: &[
        "clientId",
        "clientName",
        "appType",
        "tenantId",
        "createdByType",
    ],
    co: &["clientName", "clientId"],
};

fn list(req: &Req, t: &Tenant) -> HResult {
    let filter = match req.q("filter") {
        Some(f) => Some(scim::parse(f, &FILTER).map_err(|e| bad(format!("Invalid filter: {e}")))?),
        None => None,
    };
    let page = paging::parse(req, 20, 100).map_err(bad)?;
    let sort = req.q("sort").unwrap_or("+createdAt");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort.strip_prefix('+').unwrap_or(sort)),
    };
    if !SORTS.contains(&field) {
        return Err(bad(format!("Invalid sort \"{sort}\"")));
    }
    let key = |c: &TenantClient| -> Result<String, ApiError> {
        Ok(match field {
            "clientId" => c.client_id.clone(),
            "clientName" => c.name().to_lowercase(),
            "appType" => c
                .fields
                .get("appType")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            "tenantId" => t.id.clone(),
            "createdAt" => format!("{:020}", c.created_ms),
            "updatedAt" => format!("{:020}", c.updated_ms),
            _ => return Err(bad(format!("Invalid sort \"{sort}\""))),
        })
    };
    let mut items: Vec<(String, &TenantClient)> = Vec::new();
    for c in &t.identity.clients {
        let keep = filter.as_ref().is_none_or(|f| {
            f.matches(&|attr| match attr {
                "clientId" => vec![c.client_id.clone()],
                "clientName" => vec![c.name().to_string()],
                "appType" => c
                    .fields
                    .get("appType")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .into_iter()
                    .collect(),
                "tenantId" => vec![t.id.clone()],
                "createdByType" => vec!["user".into()],
                _ => vec![],
            })
        });
        if keep {
            items.push((key(c)?, c));
        }
    }
    items.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.client_id.cmp(&b.1.client_id))
    });
    if desc {
        items.reverse();
    }
    ok(&paging::page_body(req, page, &items, |(_, c)| {
        client_json(t, c)
    }))
}

/// The outcome of a token request by a tenant-level client.
pub struct Granted {
    pub tenant_id: String,
    pub user_id: String,
}

fn token_err(status: u16, detail: impl Into<String>) -> ApiError {
    let (code, title) = if status == 401 {
        (wire::TOKEN_INVALID_CLIENT_CODE, "Unauthorized")
    } else {
        (wire::TOKEN_BAD_REQUEST_CODE, "Bad Request")
    };
    ApiError::new(Api::Generic, status, code, title).detail(detail)
}

/// Token endpoint URLs an assertion's `aud` may name on this request: `https://<host>/oauth/token`
/// and `http://<host[:port]>/oauth/token` for the request's Host and the tenant's hostnames.
fn audiences(req: &Req, t: &Tenant) -> Vec<String> {
    let mut hosts = vec![req.host.trim().to_string(), req.host_name.clone()];
    hosts.extend(t.hostnames.iter().cloned());
    let mut out = Vec::new();
    for h in hosts {
        for scheme in ["https", "http"] {
            let a = format!("{scheme}://{h}/oauth/token");
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// `/oauth/token` for a tenant-level client `client_id`: `Ok(None)` when no tenant has such a
/// client. Authenticates with `client_secret` or a Private Key JWT `client_assertion`, then
/// grants `client_credentials` (the client's bot) or user impersonation (`user_lookup`).
pub fn grant(
    req: &Req,
    st: &mut State,
    target: &Target,
    params: &Value,
    grant_type: &str,
    client_id: &str,
) -> Result<Option<Granted>, ApiError> {
    let Some(owner) = st
        .tenants
        .iter()
        .find(|t| t.identity.clients.iter().any(|c| c.client_id == client_id))
        .map(|t| t.id.clone())
    else {
        return Ok(None);
    };
    if !matches!(target, Target::Tenant(id) if *id == owner) {
        return Err(token_err(
            401,
            "This OAuth client belongs to another tenant; it gets tokens on its own tenant only",
        ));
    }
    let now = st.now();
    let t = st
        .tenant(&owner)
        .ok_or_else(|| token_err(401, "Unknown tenant"))?;
    if t.status != "active" {
        return Err(super::oauth::tenant_disabled());
    }
    let c = t
        .identity
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
        .ok_or_else(|| token_err(401, "Unknown client"))?;
    let text = |name: &str| {
        params
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let mut replay = None;
    if let Some(assertion) = text("client_assertion") {
        if text("client_assertion_type") != Some(wire::CLIENT_ASSERTION_TYPE) {
            return Err(token_err(
                400,
                format!(
                    "client_assertion_type must be {}",
                    wire::CLIENT_ASSERTION_TYPE
                ),
            ));
        }
        if !c.allows_auth("private_key_jwt") {
            return Err(token_err(401, "This client does not allow private_key_jwt"));
        }
        let auds = audiences(req, t);
        let expect = jwt::Expect {
            client_id,
            audiences: &auds,
            now_secs: now / 1000,
        };
        let a = jwt::verify_assertion(assertion, &c.public_keys(), &expect)
            .map_err(|e| token_err(401, e))?;
        let key = format!("{client_id} {}", a.jti);
        if t.identity.used_jtis.contains_key(&key) {
            return Err(token_err(401, "client_assertion jti was already used"));
        }
        replay = Some((key, a.exp));
    } else {
        let secret = text("client_secret")
            .ok_or_else(|| token_err(400, "client_secret (or client_assertion) is required"))?;
        if !c.allows_auth("client_secret") {
            return Err(token_err(401, "This client does not allow client_secret"));
        }
        if !c.secrets.iter().any(|s| s.secret == secret) {
            return Err(token_err(401, "Invalid client credentials"));
        }
    }
    if !c.list("allowedGrantTypes").contains(&grant_type) {
        return Err(token_err(
            wire::TOKEN_UNAUTHORIZED_CLIENT_STATUS,
            format!("unauthorized_client: grant_type \"{grant_type}\" is not in this client's allowedGrantTypes"),
        ));
    }
    let name = c.name().to_string();
    let user = if grant_type == wire::GRANT_IMPERSONATION {
        let lookup = params.get("user_lookup");
        let lookup = match lookup {
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
            Some(v) => Some(v.clone()),
            None => None,
        }
        .filter(Value::is_object)
        .ok_or_else(|| token_err(400, "user_lookup {field, value} is required"))?;
        let field = lookup.get("field").and_then(Value::as_str).unwrap_or("");
        let value = lookup.get("value").and_then(Value::as_str).unwrap_or("");
        let u = match field {
            "subject" => t
                .users
                .iter()
                .find(|u| u.subject == value && u.status != "deleted"),
            "userId" => t
                .users
                .iter()
                .find(|u| u.id == value && u.status != "deleted"),
            _ => {
                return Err(token_err(
                    400,
                    "user_lookup.field must be \"subject\" or \"userId\"",
                ))
            }
        };
        let u = u.ok_or_else(|| {
            token_err(
                wire::TOKEN_UNKNOWN_USER_STATUS,
                format!("No user with {field} \"{value}\""),
            )
        })?;
        if u.status != "active" {
            return Err(token_err(
                wire::TOKEN_UNKNOWN_USER_STATUS,
                format!("User {} is {}, not active", u.id, u.status),
            ));
        }
        Some(u.id.clone())
    } else {
        None
    };
    let State { tenants, ids, .. } = st;
    let t = tenants
        .with_id_mut(&owner)
        .ok_or_else(|| token_err(401, "Unknown tenant"))?;
    if let Some((key, exp)) = replay {
        let now_secs = now / 1000;
        t.identity.used_jtis.retain(|_, e| *e > now_secs);
        t.identity.used_jtis.insert(key, exp);
    }
    let user_id = match user {
        Some(u) => u,
        None => ensure_bot(t, client_id, &name, now, ids),
    };
    Ok(Some(Granted {
        tenant_id: owner,
        user_id,
    }))
}
