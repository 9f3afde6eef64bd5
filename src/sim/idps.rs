//! Identity providers (reference §6, and the Multi-cloud IdP of qseow-multicloud §2.4): list,
//! create (TenantAdmin; 403 when the caller's tenant is not in `tenantIds`), get, JSON Patch
//! per protocol, delete (never the tenant's active interactive IdP), `/status`,
//! `/.well-known/metadata.json` and `/me/meta`.

use super::clock::{iso, SimMs};
use super::errors::{
    self, coded, json_response, no_content, ok, with_header, Api, ApiError, HResult,
};
use super::identity::Idp;
use super::jwt;
use super::paging;
use super::request::Req;
use super::state::{State, Tenant};
use crate::wire;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// The shape of this API's errors.
const API: Api = Api::Users;

fn bad(detail: impl Into<String>) -> ApiError {
    coded(
        API,
        400,
        wire::IDENTITIES_BAD_REQUEST_CODE,
        "Bad Request",
        detail,
    )
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    errors::forbidden(API, wire::IDENTITIES_FORBIDDEN_CODE, detail)
}

fn not_found(id: &str) -> ApiError {
    coded(
        API,
        404,
        wire::IDENTITIES_NOT_FOUND_CODE,
        "Not Found",
        format!("Identity provider {id} not found"),
    )
}

pub fn methods(rest: &[&str]) -> Option<&'static [&'static str]> {
    match rest {
        [] => Some(&["GET", "POST"]),
        ["status"] | [".well-known", "metadata.json"] | ["me", "meta"] => Some(&["GET"]),
        [_] => Some(&["GET", "PATCH", "DELETE"]),
        _ => None,
    }
}

const PROTOCOLS: &[&str] = &["OIDC", "SAML", "jwtAuth", wire::MULTICLOUD_PROTOCOL];
const PROVIDERS: &[&str] = &[
    "auth0",
    "okta",
    "qlik",
    "generic",
    "salesforce",
    "keycloak",
    "adfs",
    "external",
    "azureAD",
];
/// OIDC/SAML PATCH `replace` paths (reference §6).
const OIDC_PATHS: &[&str] = &[
    "/active",
    "/description",
    "/meta",
    "/options",
    "/options/realm",
    "/options/discoveryUrl",
    "/options/claimsMapping",
    "/pendingOptions",
    "/pendingOptions/realm",
    "/pendingOptions/discoveryUrl",
    "/pendingOptions/clientId",
    "/pendingOptions/clientSecret",
    "/pendingOptions/emailVerifiedAlwaysTrue",
    "/pendingOptions/claimsMapping",
    "/pendingOptions/idTokenSignatureAlg",
    "/pendingOptions/decryptingKey",
    "/postLogoutRedirectUri",
    "/clockToleranceSec",
];
/// Multi-cloud PATCH paths: not documented; we allow what jwtAuth allows plus `/active`, and
/// `/base64Encoded` (checked like on create, its options derived again).
const MULTICLOUD_PATHS: &[&str] = &["/description", "/active", "/base64Encoded"];

/// A Multi-cloud IdP given a token (`base64Encoded`) trusts only what the hybrid deployment
/// service of the site issued: anything else is a 400 (the tenant and the simulated QSEoW site
/// share the simulator's state, so the check is the site's own list of deployment tokens).
fn check_multicloud_token(st: &State, fields: &Map<String, Value>) -> Result<(), ApiError> {
    if fields.get("protocol").and_then(Value::as_str) != Some(wire::MULTICLOUD_PROTOCOL) {
        return Ok(());
    }
    match fields.get("base64Encoded").and_then(Value::as_str) {
        Some(token) => super::qseow::check_issued(st, token).map_err(bad),
        None => Ok(()),
    }
}

/// `QLIK-IDP-POPTS`: a UUID-formatted hash of the pending (else current) options.
fn popts(i: &Idp) -> String {
    let src = i
        .fields
        .get("pendingOptions")
        .or_else(|| i.fields.get("options"))
        .cloned()
        .unwrap_or(Value::Null)
        .to_string();
    let d = ring::digest::digest(&ring::digest::SHA256, src.as_bytes());
    let h: String = d.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub fn idp_json(i: &Idp) -> Value {
    let mut v = Value::Object(i.fields.clone());
    v["id"] = json!(i.id);
    v["created"] = json!(iso(i.created_ms));
    v["lastUpdated"] = json!(iso(i.updated_ms));
    // a client secret is never shown back
    if let Some(p) = v.get_mut("pendingOptions").and_then(Value::as_object_mut) {
        p.remove("clientSecret");
    }
    if let Some(p) = v.get_mut("options").and_then(Value::as_object_mut) {
        p.remove("clientSecret");
    }
    v
}

pub fn handle(req: &Req, st: &mut State, tenant_id: &str, caller: &str, rest: &[&str]) -> HResult {
    let now = st.now();
    let method = req.method.as_str();
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    let admin = t.is_tenant_admin(caller);
    match (method, rest) {
        ("GET", []) => list(req, t),
        ("GET", ["status"]) => {
            let active = t
                .identity
                .idps
                .iter()
                .filter(|i| i.flag("active") && i.flag("interactive"))
                .count();
            let meta: Vec<Value> = t
                .identity
                .idps
                .iter()
                .map(|i| json!({"active": i.flag("active"), "interactive": i.flag("interactive"), "provider": i.provider()}))
                .collect();
            ok(&json!({"active_interactive_idps_count": active, "idps_metadata": meta}))
        }
        ("GET", [".well-known", "metadata.json"]) => {
            let base = format!("https://{}", t.host());
            ok(&json!({
                "issuer": base,
                "entityID": format!("{base}/login/saml"),
                "assertionConsumerService": format!("{base}/login/callback"),
                "redirect_uri": format!("{base}/login/callback"),
                "post_logout_redirect_uri": format!("{base}/logout"),
                "jwks_uri": format!("{base}/api/v1/identity-providers/.well-known/jwks.json"),
            }))
        }
        ("GET", ["me", "meta"]) => ok(&json!({
            "userPortalLink": format!("https://{}/hub", t.host()),
        })),
        ("POST", []) => {
            if !admin {
                return Err(forbidden("The caller needs the TenantAdmin role"));
            }
            create(req, st, tenant_id, now)
        }
        (_, [id]) => {
            let idx = t
                .identity
                .idps
                .iter()
                .position(|i| i.id == *id)
                .ok_or_else(|| not_found(id))?;
            let idp = &t.identity.idps[idx];
            match method {
                "GET" => Ok(with_header(
                    ok(&idp_json(idp))?,
                    wire::IDP_POPTS_HEADER,
                    &popts(idp),
                )),
                _ if !admin => Err(forbidden("The caller needs the TenantAdmin role")),
                "DELETE" => {
                    if idp.flag("interactive") && idp.flag("active") {
                        return Err(bad(
                            "The tenant's active interactive identity provider cannot be deleted",
                        ));
                    }
                    if let Some(t) = st.tenant_mut(tenant_id) {
                        t.identity.idps.remove(idx);
                    }
                    no_content()
                }
                _ => patch(req, st, tenant_id, idx, now),
            }
        }
        _ => Err(not_found(&rest.join("/"))),
    }
}

fn list(req: &Req, t: &Tenant) -> HResult {
    let active = match req.q("active") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(s) => return Err(bad(format!("active must be true or false, got \"{s}\""))),
    };
    let page = paging::parse(req, 20, 100).map_err(bad)?;
    let items: Vec<&Idp> = t
        .identity
        .idps
        .iter()
        .filter(|i| active.is_none_or(|a| i.flag("active") == a))
        .collect();
    let data: Vec<Value> = paging::slice(&items, page)
        .iter()
        .map(|i| idp_json(i))
        .collect();
    ok(&json!({"data": data, "links": paging::links(req, page, items.len())}))
}

fn string<'a>(o: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    o.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Validates `staticKeys`: `exactly_one` for jwtAuth, at least one otherwise.
fn static_keys(opts: &Map<String, Value>, exactly_one: bool) -> Result<Value, String> {
    let keys = opts
        .get("staticKeys")
        .and_then(Value::as_array)
        .ok_or("options.staticKeys is required: [{kid, pem}]")?;
    if exactly_one && keys.len() != 1 {
        return Err(format!(
            "options.staticKeys must hold exactly one key, got {}",
            keys.len()
        ));
    }
    if keys.is_empty() {
        return Err("options.staticKeys must hold a key".into());
    }
    let mut out = Vec::new();
    for k in keys {
        let kid = k
            .get("kid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let kid = kid.ok_or("options.staticKeys[].kid is required")?;
        let pem = k.get("pem").and_then(Value::as_str);
        let pem = pem.ok_or("options.staticKeys[].pem is required")?;
        jwt::check_public_key_pem(pem).map_err(|e| format!("options.staticKeys[{kid}]: {e}"))?;
        out.push(json!({"kid": kid, "pem": pem}));
    }
    Ok(Value::Array(out))
}

/// Best effort: a `base64Encoded` multi-cloud token that decodes to a JSON object naming an
/// issuer and a key yields `options`; anything else is only stored verbatim.
fn decode_multicloud(token: &str) -> Option<Map<String, Value>> {
    let t = token.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t)
        .or_else(|_| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.trim_end_matches('='))
        })
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let o = v.as_object()?;
    let mut out = Map::new();
    if let Some(i) = o
        .get("issuer")
        .or_else(|| o.get("iss"))
        .and_then(Value::as_str)
    {
        out.insert("issuer".into(), json!(i));
    }
    let kid = o
        .get("kid")
        .or_else(|| o.get("keyId"))
        .and_then(Value::as_str);
    let pem = o
        .get("pem")
        .or_else(|| o.get("publicKey"))
        .and_then(Value::as_str);
    if let (Some(kid), Some(pem)) = (kid, pem) {
        if jwt::check_public_key_pem(pem).is_ok() {
            out.insert("staticKeys".into(), json!([{"kid": kid, "pem": pem}]));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Validates an IdP create body; returns the stored fields (without id and timestamps).
pub fn validate_create(body: &Value, tenant_id: &str) -> Result<Map<String, Value>, ApiError> {
    let o = body
        .as_object()
        .ok_or_else(|| bad("The body must be a JSON object"))?;
    let tenant_ids = match o.get("tenantIds") {
        None | Some(Value::Null) => vec![tenant_id.to_string()],
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            let ids: Vec<String> = a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if !ids.iter().any(|i| i == tenant_id) {
                return Err(forbidden(format!(
                    "The caller's tenant {tenant_id} is not among tenantIds"
                )));
            }
            ids
        }
        Some(_) => return Err(bad("tenantIds must be an array of tenant ids")),
    };
    let protocol = string(o, "protocol").ok_or_else(|| bad("protocol is required"))?;
    if !PROTOCOLS.contains(&protocol) {
        return Err(bad(format!(
            "protocol \"{protocol}\" is not one of {}",
            PROTOCOLS.join(", ")
        )));
    }
    let provider = string(o, "provider").ok_or_else(|| bad("provider is required"))?;
    if !PROVIDERS.contains(&provider) {
        return Err(bad(format!(
            "provider \"{provider}\" is not one of {}",
            PROVIDERS.join(", ")
        )));
    }
    let interactive = match o.get("interactive") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad("interactive must be a boolean")),
    };
    let active = match o.get("active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad("active must be a boolean")),
    };
    let mut f = Map::new();
    f.insert("tenantIds".into(), json!(tenant_ids));
    f.insert("protocol".into(), json!(protocol));
    f.insert("provider".into(), json!(provider));
    match o.get("description") {
        None | Some(Value::Null) => {
            f.insert("description".into(), json!(""));
        }
        Some(Value::String(s)) => {
            f.insert("description".into(), json!(s));
        }
        Some(_) => return Err(bad("description must be a string")),
    }
    f.insert(
        "meta".into(),
        o.get("meta")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({})),
    );
    let tol = match o.get("clockToleranceSec") {
        None | Some(Value::Null) => 5,
        Some(v) => v
            .as_i64()
            .filter(|n| (0..=7200).contains(n))
            .ok_or_else(|| bad("clockToleranceSec must be an integer 0..7200"))?,
    };
    f.insert("clockToleranceSec".into(), json!(tol));
    let cnu = match o.get("createNewUsersOnLogin") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("createNewUsersOnLogin must be a boolean")),
    };
    f.insert("createNewUsersOnLogin".into(), json!(cnu));
    match o.get("postLogoutRedirectUri") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.len() <= 2083 => {
            f.insert("postLogoutRedirectUri".into(), json!(s));
        }
        Some(_) => {
            return Err(bad(
                "postLogoutRedirectUri must be a string of at most 2083 characters",
            ))
        }
    }
    let options = o.get("options").and_then(Value::as_object);
    match protocol {
        "jwtAuth" => {
            if provider != "external" {
                return Err(bad("jwtAuth identity providers need provider \"external\""));
            }
            if interactive == Some(true) {
                return Err(bad("jwtAuth identity providers are not interactive"));
            }
            let opts = options.ok_or_else(|| bad("options {issuer, staticKeys} is required"))?;
            let issuer = string(opts, "issuer").ok_or_else(|| bad("options.issuer is required"))?;
            let keys = static_keys(opts, true).map_err(bad)?;
            f.insert("interactive".into(), json!(false));
            f.insert("active".into(), json!(active.unwrap_or(true)));
            f.insert(
                "options".into(),
                json!({"issuer": issuer, "staticKeys": keys}),
            );
        }
        p if p == wire::MULTICLOUD_PROTOCOL => {
            if provider != wire::MULTICLOUD_PROVIDER {
                return Err(bad(format!(
                    "{p} identity providers need provider \"{}\"",
                    wire::MULTICLOUD_PROVIDER
                )));
            }
            if interactive == Some(true) {
                return Err(bad(format!("{p} identity providers are not interactive")));
            }
            let encoded = match o.get("base64Encoded") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(_) => return Err(bad("base64Encoded must be a non-empty string")),
            };
            let mut stored = Map::new();
            match (options, &encoded) {
                (Some(opts), _) => {
                    if let Some(i) = string(opts, "issuer") {
                        stored.insert("issuer".into(), json!(i));
                    } else {
                        return Err(bad("options.issuer is required"));
                    }
                    stored.insert("staticKeys".into(), static_keys(opts, false).map_err(bad)?);
                }
                (None, Some(token)) => {
                    stored = decode_multicloud(token).unwrap_or_default();
                    stored.entry("staticKeys").or_insert(json!([]));
                }
                (None, None) => {
                    return Err(bad(
                        "A multi-cloud identity provider needs base64Encoded (the deployment's token) or options {issuer, staticKeys}",
                    ))
                }
            }
            f.insert("interactive".into(), json!(false));
            f.insert("active".into(), json!(active.unwrap_or(true)));
            f.insert("options".into(), Value::Object(stored));
            if let Some(e) = encoded {
                f.insert("base64Encoded".into(), json!(e));
            }
        }
        "OIDC" => {
            let interactive = interactive.ok_or_else(|| bad("interactive is required for OIDC"))?;
            let skip = o.get("skipVerify").and_then(Value::as_bool) == Some(true);
            f.insert("interactive".into(), json!(interactive));
            if !interactive || skip {
                let opts = options.ok_or_else(|| bad("options is required"))?;
                if string(opts, "discoveryUrl").is_none() {
                    let oc = opts
                        .get("openid_configuration")
                        .and_then(Value::as_object)
                        .ok_or_else(|| bad("options needs discoveryUrl or openid_configuration"))?;
                    for k in [
                        "issuer",
                        "authorization_endpoint",
                        "token_endpoint",
                        "jwks_uri",
                    ] {
                        if string(oc, k).is_none() {
                            return Err(bad(format!(
                                "options.openid_configuration.{k} is required"
                            )));
                        }
                    }
                }
                if !interactive {
                    let cm = opts
                        .get("claimsMapping")
                        .and_then(Value::as_object)
                        .ok_or_else(|| bad("options.claimsMapping is required"))?;
                    if !cm
                        .values()
                        .all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
                    {
                        return Err(bad(
                            "options.claimsMapping values must be arrays of strings",
                        ));
                    }
                }
                f.insert("options".into(), Value::Object(opts.clone()));
                f.insert("active".into(), json!(active.unwrap_or(!interactive)));
                f.insert("pendingState".into(), json!("verified"));
            } else {
                let p = o
                    .get("pendingOptions")
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        bad("interactive OIDC needs pendingOptions (or skipVerify with options)")
                    })?;
                if string(p, "clientId").is_none() || string(p, "discoveryUrl").is_none() {
                    return Err(bad(
                        "pendingOptions.clientId and pendingOptions.discoveryUrl are required",
                    ));
                }
                f.insert("pendingOptions".into(), Value::Object(p.clone()));
                f.insert("pendingState".into(), json!("pending"));
                f.insert("pendingResult".into(), json!({}));
                f.insert("active".into(), json!(false));
            }
            if let Some(s) = o.get("skipVerify").and_then(Value::as_bool) {
                f.insert("skipVerify".into(), json!(s));
            }
        }
        _ => {
            // SAML
            if !["okta", "generic", "adfs", "azureAD"].contains(&provider) {
                return Err(bad("SAML providers are okta, generic, adfs or azureAD"));
            }
            if interactive == Some(false) {
                return Err(bad("SAML identity providers are interactive"));
            }
            f.insert("interactive".into(), json!(true));
            let p = o
                .get("pendingOptions")
                .or_else(|| o.get("options"))
                .and_then(Value::as_object)
                .ok_or_else(|| bad("SAML needs pendingOptions"))?;
            f.insert("pendingOptions".into(), Value::Object(p.clone()));
            f.insert("pendingState".into(), json!("pending"));
            f.insert("pendingResult".into(), json!({}));
            f.insert("active".into(), json!(false));
        }
    }
    Ok(f)
}

fn one_interactive(t: &Tenant, except: Option<&str>) -> Result<(), ApiError> {
    let busy = t
        .identity
        .idps
        .iter()
        .any(|i| Some(i.id.as_str()) != except && i.flag("active") && i.flag("interactive"));
    if busy {
        Err(bad(
            "Only one active interactive identity provider is allowed per tenant",
        ))
    } else {
        Ok(())
    }
}

fn create(req: &Req, st: &mut State, tenant_id: &str, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let fields = validate_create(&body, tenant_id)?;
    check_multicloud_token(st, &fields)?;
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    let idp = Idp {
        id: String::new(),
        fields,
        created_ms: now,
        updated_ms: now,
    };
    if idp.flag("interactive") && idp.flag("active") {
        one_interactive(t, None)?;
    }
    let idp = Idp {
        id: st.ids.object_id(),
        ..idp
    };
    let resp = with_header(
        json_response(201, &idp_json(&idp)),
        wire::IDP_POPTS_HEADER,
        &popts(&idp),
    );
    if let Some(t) = st.tenant_mut(tenant_id) {
        t.identity.idps.push(idp);
    }
    Ok(resp)
}

fn patch(req: &Req, st: &mut State, tenant_id: &str, idx: usize, now: SimMs) -> HResult {
    let body = req.json().map_err(bad)?;
    let ops = body
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("The body must be a non-empty JSON Patch array"))?;
    let t = st.tenant(tenant_id).ok_or_else(|| not_found(tenant_id))?;
    let idp = t.identity.idps.get(idx).ok_or_else(|| not_found(""))?;
    if let Some(m) = req
        .header("qlik-idp-popts-match")
        .or_else(|| req.header("qlik-idp-opts-match"))
    {
        if m.trim() != popts(idp) {
            return Err(coded(
                API,
                412,
                wire::IDENTITIES_PRECONDITION_CODE,
                "Precondition Failed",
                "QLIK-IDP-POPTS-MATCH does not match the identity provider's pending options",
            ));
        }
    }
    let protocol = idp.protocol().to_string();
    let mut f = idp.fields.clone();
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        let value = op.get("value");
        let allowed: &[&str] = match protocol.as_str() {
            "jwtAuth" => &["/description"],
            p if p == wire::MULTICLOUD_PROTOCOL => MULTICLOUD_PATHS,
            _ => OIDC_PATHS,
        };
        if name == "promote-options" && (protocol == "OIDC" || protocol == "SAML") {
            let p = f
                .remove("pendingOptions")
                .ok_or_else(|| bad("There are no pending options to promote"))?;
            f.insert("options".into(), p);
            f.insert("pendingState".into(), json!("verified"));
            continue;
        }
        if name != "replace" || !allowed.contains(&path) {
            return Err(bad(format!(
                "{protocol} identity providers allow only replace on {}; got {name} {path}",
                allowed.join(", ")
            )));
        }
        let value = value.ok_or_else(|| bad(format!("replace {path} needs a value")))?;
        let ok_type = match path {
            "/active" | "/pendingOptions/emailVerifiedAlwaysTrue" => value.is_boolean(),
            "/clockToleranceSec" => value.as_i64().is_some_and(|n| (0..=7200).contains(&n)),
            "/meta"
            | "/options"
            | "/pendingOptions"
            | "/options/claimsMapping"
            | "/pendingOptions/claimsMapping" => value.is_object(),
            "/postLogoutRedirectUri" => value.as_str().is_some_and(|s| s.len() <= 2083),
            _ => value.is_string(),
        };
        if !ok_type {
            return Err(bad(format!("Invalid value for {path}")));
        }
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segs.as_slice() {
            [one] => {
                f.insert((*one).into(), value.clone());
            }
            [parent, child] => {
                let p = f.entry(*parent).or_insert_with(|| json!({}));
                match p.as_object_mut() {
                    Some(m) => {
                        m.insert((*child).into(), value.clone());
                    }
                    None => return Err(bad(format!("{parent} is not an object"))),
                }
            }
            _ => return Err(bad(format!("Invalid path {path}"))),
        }
    }
    if protocol == wire::MULTICLOUD_PROTOCOL {
        check_multicloud_token(st, &f)?;
        if let Some(decoded) = f
            .get("base64Encoded")
            .and_then(Value::as_str)
            .and_then(decode_multicloud)
        {
            f.insert("options".into(), Value::Object(decoded));
        }
    }
    let activating = f.get("active").and_then(Value::as_bool) == Some(true)
        && f.get("interactive").and_then(Value::as_bool) == Some(true);
    if activating {
        one_interactive(t, Some(&t.identity.idps[idx].id))?;
    }
    if let Some(i) = st
        .tenant_mut(tenant_id)
        .and_then(|t| t.identity.idps.get_mut(idx))
    {
        i.fields = f;
        i.updated_ms = now;
    }
    no_content()
}
