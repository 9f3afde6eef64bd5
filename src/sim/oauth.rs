//! OAuth (reference §1): `POST /oauth/token` (client credentials, from a JSON body, a form body
//! or HTTP Basic; tenant-level clients, impersonation and Private Key JWT in `oauth_clients`),
//! token and API-key validation for every API, and the discovery documents.

use super::clock::iso;
use super::errors::{ok, Api, ApiError, HResult};
use super::licenses::sign_jwt;
use super::request::{parse_query, Req};
use super::state::{Realm, State, Token};
use super::users::ensure_bot;
use crate::regions::Region;
use crate::wire;
use base64::Engine as _;
use serde_json::{json, Value};

/// Where a token request or an API call lands.
#[derive(Debug, Clone)]
pub enum Target {
    Register(&'static Region),
    Tenant(String),
}

/// The authenticated caller of an API: on a tenant always a user, acting with that user's own
/// roles (a client's bot, an impersonated user, or an API key's user).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The OAuth client that obtained the token; empty for an API key.
    pub client_id: String,
    /// The acting user on a tenant; `None` on a register host.
    pub user_id: Option<String>,
}

impl Caller {
    /// The identity rate limits are kept for.
    pub fn key(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.client_id)
    }
}

fn token_error(status: u16, detail: impl Into<String>) -> ApiError {
    let (code, title) = if status == 401 {
        (wire::TOKEN_INVALID_CLIENT_CODE, "Unauthorized")
    } else {
        (wire::TOKEN_BAD_REQUEST_CODE, "Bad Request")
    };
    ApiError::new(Api::Generic, status, code, title).detail(detail)
}

pub fn unauthorized(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        Api::Generic,
        401,
        wire::UNAUTHORIZED_CODE,
        wire::UNAUTHORIZED_TITLE,
    )
    .detail(detail)
}

pub fn tenant_disabled() -> ApiError {
    ApiError::new(
        Api::Generic,
        wire::TENANT_DISABLED_STATUS,
        wire::TENANT_DISABLED_CODE,
        wire::TENANT_DISABLED_TITLE,
    )
    .detail("The tenant is disabled")
}

/// The request's token parameters, from the body (JSON or form) and HTTP Basic.
fn token_params(req: &Req) -> Result<Value, ApiError> {
    let ctype = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let empty = req.body.iter().all(|b| b.is_ascii_whitespace());
    let mut params = if empty {
        json!({})
    } else if ctype.contains("application/x-www-form-urlencoded")
        && req.body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
    {
        let text = String::from_utf8_lossy(&req.body);
        let map: serde_json::Map<String, Value> = parse_query(text.trim())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        Value::Object(map)
    } else {
        serde_json::from_slice::<Value>(&req.body)
            .map_err(|e| token_error(400, format!("The request body is not valid JSON: {e}")))?
    };
    if !params.is_object() {
        return Err(token_error(400, "The request body must be a JSON object"));
    }
    if let Some(auth) = req.header("authorization") {
        if let Some((scheme, rest)) = auth.trim().split_once(' ') {
            if scheme.eq_ignore_ascii_case("basic") {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(rest.trim())
                    .map_err(|_| token_error(401, "Malformed Basic authorization header"))?;
                let text = String::from_utf8(raw)
                    .map_err(|_| token_error(401, "Malformed Basic authorization header"))?;
                let (id, secret) = text
                    .split_once(':')
                    .ok_or_else(|| token_error(401, "Malformed Basic authorization header"))?;
                if params.get("client_id").is_none() {
                    params["client_id"] = json!(super::request::decode(id));
                }
                if params.get("client_secret").is_none() {
                    params["client_secret"] = json!(super::request::decode(secret));
                }
            }
        }
    }
    Ok(params)
}

fn field<'a>(params: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    match params.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(token_error(400, format!("{name} is required")))
        }
        Some(_) => Err(token_error(400, format!("{name} must be a string"))),
    }
}

/// POST /oauth/token on a register host or a tenant host.
pub fn token(req: &Req, st: &mut State, target: &Target) -> HResult {
    let params = token_params(req)?;
    let grant = field(&params, "grant_type")?;
    let client_id = match (params.get("client_id"), params.get("client_assertion")) {
        // RFC 7523: with an assertion, client_id may be omitted (the assertion's sub names it).
        (None | Some(Value::Null), Some(Value::String(a))) => super::jwt::unverified_subject(a)
            .ok_or_else(|| token_error(401, "client_assertion does not name the client"))?,
        _ => field(&params, "client_id")?.to_string(),
    };
    let scope = match params.get("scope") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => "user_default".to_string(),
    };
    if st.client(&client_id).is_none() {
        let granted = super::oauth_clients::grant(req, st, target, &params, grant, &client_id)?
            .ok_or_else(|| token_error(401, "Invalid client credentials"))?;
        let t = st
            .tenant(&granted.tenant_id)
            .ok_or_else(|| unauthorized("Unknown tenant"))?;
        let (realm, host) = (Realm::Tenant(t.id.clone()), t.host().to_string());
        let tenant_id = Some(granted.tenant_id);
        return mint(
            st,
            realm,
            host,
            client_id,
            Some(granted.user_id),
            tenant_id,
            scope,
        );
    }
    let secret = field(&params, "client_secret")?;
    if grant != "client_credentials" {
        return Err(token_error(
            400,
            format!("Unsupported grant_type \"{grant}\"; this client supports client_credentials"),
        ));
    }
    let client = st.client(&client_id).filter(|c| c.client_secret == secret);
    let client = client.ok_or_else(|| token_error(401, "Invalid client credentials"))?;
    let client_region = client.region;
    let now = st.now();
    let (realm, host, user_id, tenant_id) = match target {
        Target::Register(region) => {
            if region.code != client_region.code {
                return Err(token_error(
                    401,
                    format!(
                        "The client belongs to region {}, not {}",
                        client_region.code, region.code
                    ),
                ));
            }
            (
                Realm::Register(region.code),
                region.register_host(super::DOMAIN),
                None,
                None,
            )
        }
        Target::Tenant(id) => {
            let t = st
                .tenants
                .with_id_mut(id)
                .ok_or_else(|| unauthorized("Unknown tenant"))?;
            if t.region.code != client_region.code {
                return Err(token_error(
                    401,
                    format!(
                        "The client belongs to region {}, not {}",
                        client_region.code, t.region.code
                    ),
                ));
            }
            if t.status != "active" {
                return Err(tenant_disabled());
            }
            let bot = ensure_bot(t, &client_id, &client_region.bot_name(), now, &mut st.ids);
            (
                Realm::Tenant(t.id.clone()),
                t.host().to_string(),
                Some(bot.clone()),
                Some(t.id.clone()),
            )
        }
    };
    mint(st, realm, host, client_id, user_id, tenant_id, scope)
}

/// Issues, records and answers an access token.
fn mint(
    st: &mut State,
    realm: Realm,
    host: String,
    client_id: String,
    user_id: Option<String>,
    tenant_id: Option<String>,
    scope: String,
) -> HResult {
    let now = st.now();
    let expires = now + (wire::TOKEN_LIFETIME_SECS as i64) * 1000;
    let jti = st.ids.hex32();
    let payload = json!({
        "iss": format!("http://{host}"),
        "sub": user_id.clone().unwrap_or_else(|| client_id.clone()),
        "subType": if user_id.is_some() { "user" } else { "client" },
        "tenantId": tenant_id,
        "host": host,
        "clientId": client_id,
        "scope": scope,
        "iat": now / 1000,
        "exp": expires / 1000,
        "jti": jti,
    });
    let access_token = sign_jwt(&st.token_signing_key, &payload);
    if st.tokens.len() >= 10_000 {
        st.tokens.retain(|_, t| t.expires_ms > now);
    }
    st.tokens.insert(
        access_token.clone(),
        Token {
            realm,
            client_id: client_id.clone(),
            user_id,
            expires_ms: expires,
        },
    );
    *st.stats
        .token_grants
        .entry(format!("{host} {client_id}"))
        .or_insert(0) += 1;
    ok(&json!({
        "access_token": access_token,
        "token_type": wire::TOKEN_TYPE,
        "expires_in": wire::TOKEN_LIFETIME_SECS,
        "expires_at": iso(expires),
        "scope": scope,
    }))
}

/// Checks the Bearer token of an API call against `target`.
pub fn authenticate(req: &Req, st: &State, target: &Target) -> Result<Caller, ApiError> {
    if req.header("authorization").is_none() {
        if let Some(by_session) = super::jwt_session::authenticate(req, st, target) {
            return by_session;
        }
    }
    let auth = req
        .header("authorization")
        .ok_or_else(|| unauthorized("Missing Authorization header"))?;
    let (scheme, tok) = auth
        .trim()
        .split_once(' ')
        .ok_or_else(|| unauthorized("Malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized("Expected a Bearer token"));
    }
    let Some(t) = st.tokens.get(tok.trim()) else {
        // Not an OAuth token: an API key acts as its user, on its own tenant only.
        let Target::Tenant(id) = target else {
            return Err(unauthorized("Invalid token"));
        };
        let user_id = super::apikeys::authenticate(st, id, tok.trim())
            .map_err(unauthorized)?
            .ok_or_else(|| unauthorized("Invalid token"))?;
        return active_caller(st, id, String::new(), user_id);
    };
    let here = match target {
        Target::Register(r) => Realm::Register(r.code),
        Target::Tenant(id) => Realm::Tenant(id.clone()),
    };
    if t.realm != here {
        return Err(unauthorized("The token was not issued for this host"));
    }
    if st.now() >= t.expires_ms {
        return Err(unauthorized("The token has expired"));
    }
    match (target, &t.user_id) {
        (Target::Tenant(id), Some(user)) => {
            active_caller(st, id, t.client_id.clone(), user.clone())
        }
        (Target::Tenant(_), None) => Err(unauthorized("The token has no user")),
        (Target::Register(_), _) => Ok(Caller {
            client_id: t.client_id.clone(),
            user_id: t.user_id.clone(),
        }),
    }
}

/// The caller `user_id` on tenant `tenant_id`, once the tenant and the user are both active.
pub(super) fn active_caller(
    st: &State,
    tenant_id: &str,
    client_id: String,
    user_id: String,
) -> Result<Caller, ApiError> {
    let tenant = st
        .tenant(tenant_id)
        .ok_or_else(|| unauthorized("Unknown tenant"))?;
    if tenant.status != "active" {
        return Err(tenant_disabled());
    }
    if tenant.user(&user_id).is_none_or(|u| u.status != "active") {
        return Err(unauthorized(
            "The token's user no longer exists or is not active",
        ));
    }
    Ok(Caller {
        client_id,
        user_id: Some(user_id),
    })
}

/// GET /.well-known/oauth-authorization-server
pub fn metadata(req: &Req) -> HResult {
    let base = req.base();
    ok(&json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "jwks_uri": format!("{base}/oauth/keys"),
        "grant_types_supported": ["client_credentials", wire::GRANT_IMPERSONATION],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": super::jwt::ALGS,
        "scopes_supported": ["user_default", "admin_classic", "admin.users"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

/// GET /resources/autogenerated/product-info.json
pub fn product_info() -> HResult {
    ok(&json!({
        "composition": {
            "contentHash": "qops-sim",
            "senseId": "qliksenseserver:14.0.0",
            "originalClassName": "Composition",
            "version": "14.0.0",
            "deploymentType": "QlikCloud",
            "releaseLabel": "simulator",
            "deprecatedProductVersion": "4.0.X",
            "productName": "Qlik Cloud",
            "copyrightYearRange": "1993-2026"
        },
        "externalUrls": {
            "personalHelpBaseUrl": "https://help.qlik.com",
            "serverHelpBaseUrl": "https://help.qlik.com",
            "qlikWebPageUrl": "https://www.qlik.com"
        }
    }))
}
