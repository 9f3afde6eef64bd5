//! The HTTP front: one fallback handler that reads the whole request, resolves the Host header
//! to a tenant or a register host, matches the route, and then applies faults, authentication,
//! rate limits and the TenantAdmin check before calling the API handler.

use super::errors::{Api, ApiError, HResult};
use super::faults::{self, Face, Fault, Faults};
use super::jwt_session;
use super::limits::Tier;
use super::oauth::{self, Caller, Target};
use super::request::{host_name, parse_query, Req};
use super::state::State;
use super::{admin, apikeys, idps, licenses, oauth_clients, roles, tenants, users, DOMAIN};
use super::{app_transfer, temp_contents};
use super::{apps, groups, invite, items, license_assignments, qseow, spaces};
use crate::regions::{self, Region};
use crate::wire;
use axum::body::Body;
use axum::extract::State as AxState;
use axum::http::Request;
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// Largest body read at all; bigger requests get 413.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

pub struct App {
    pub state: Mutex<State>,
    pub faults: Faults,
    /// With `--public`: what `/_sim/*` requires (see [`admin::authorize`]).
    pub admin_token: Option<String>,
}

pub fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}

async fn handle(AxState(app): AxState<Arc<App>>, req: Request<Body>) -> Response {
    let delay = app.faults.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string());
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b.to_vec(),
        Err(_) => {
            return ApiError::http(Api::Generic, 413)
                .detail("The request body is too large")
                .into_response("")
        }
    };
    let req = Req {
        method: parts.method,
        host_name: host_name(&host),
        host,
        path: parts.uri.path().to_string(),
        query: parse_query(parts.uri.query().unwrap_or("")),
        headers: parts.headers,
        body,
    };
    let (resp, fault) = {
        let mut st = app.state.lock().unwrap_or_else(|e| e.into_inner());
        if req.is_admin() {
            if let Err(e) = admin::authorize(&req, app.admin_token.as_deref()) {
                return e.into_response(&st.trace_id());
            }
        }
        let served = dispatch(&req, &mut st, &app.faults);
        let resp = match served.answer {
            Ok(resp) => resp,
            Err(e) => {
                let trace = st.trace_id();
                e.into_response(&trace)
            }
        };
        (resp, served.fault)
    };
    faults::deliver(resp, fault).await
}

/// What the Host header names.
enum HostKind {
    Tenant(String),
    Register(&'static Region),
}

fn resolve_host(st: &State, name: &str) -> Option<HostKind> {
    if name == "localhost" || name.parse::<std::net::IpAddr>().is_ok() {
        return Some(HostKind::Tenant(st.source_tenant_id.clone()));
    }
    if let Some(prefix) = name.strip_suffix(&format!(".{DOMAIN}")) {
        if let Some(("register", code)) = prefix.split_once('.') {
            if let Some(r) = regions::by_code(code) {
                return Some(HostKind::Register(r));
            }
        }
    }
    st.tenant_by_host(name)
        .map(|t| HostKind::Tenant(t.id.clone()))
}

/// Why a host is unknown, for the 404 detail.
fn unknown_host(name: &str) -> String {
    match name.strip_suffix(&format!(".{DOMAIN}")) {
        Some(prefix) if prefix.contains('.') && regions::of_host(name).is_none() => {
            format!(
                "No such region in host {name}; regions are {}",
                regions::codes()
            )
        }
        _ => format!("No tenant or service at host {name}"),
    }
}

#[derive(Debug)]
enum Route {
    Token,
    WellKnown,
    ProductInfo,
    TenantsCreate,
    TenantDeactivate(String),
    TenantReactivate(String),
    TenantsMe,
    Tenant(String),
    LicensesOverview,
    LicensesStatus,
    LicensesSettings,
    Users,
    UsersMe,
    UsersCount,
    UsersFilter,
    User(String),
    Roles,
    Role(String),
    LicensesAssignments,
    LicensesAction(String),
    LicensesConsumption,
    UsersInvite,
    Groups,
    GroupsSettings,
    Group(String),
    Spaces,
    Space(String),
    SpaceAssignments(String),
    SpaceAssignment(String, String),
    Apps,
    App(String),
    AppTransfer(Vec<String>),
    TempContents(Vec<String>),
    Items,
    ApiKeys(Vec<String>),
    OAuthClients(Vec<String>),
    Idps(Vec<String>),
    JwtSession,
    CsrfToken,
    GroupsFilter,
}

/// The route of a path on a host kind, with the methods it allows.
fn route(kind: &HostKind, segs: &[&str]) -> Option<(Route, &'static [&'static str])> {
    const GET: &[&str] = &["GET"];
    const POST: &[&str] = &["POST"];
    let common = match segs {
        ["oauth", "token"] => Some((Route::Token, POST)),
        [".well-known", "oauth-authorization-server"] => Some((Route::WellKnown, GET)),
        ["resources", "autogenerated", "product-info.json"] => Some((Route::ProductInfo, GET)),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    if let (HostKind::Tenant(_), ["login", "jwt-session"]) = (kind, segs) {
        return Some((Route::JwtSession, POST));
    }
    let rest = match segs {
        ["api", "v1", rest @ ..] => rest,
        _ => return None,
    };
    match kind {
        HostKind::Register(_) => match rest {
            ["tenants"] => Some((Route::TenantsCreate, POST)),
            ["tenants", id, "actions", "deactivate"] => {
                Some((Route::TenantDeactivate(id.to_string()), POST))
            }
            ["tenants", id, "actions", "reactivate"] => {
                Some((Route::TenantReactivate(id.to_string()), POST))
            }
            _ => None,
        },
        HostKind::Tenant(_) => match rest {
            ["tenants", "me"] => Some((Route::TenantsMe, GET)),
            ["tenants", id] => Some((Route::Tenant(id.to_string()), &["GET", "PATCH"])),
            ["licenses", "overview"] => Some((Route::LicensesOverview, GET)),
            ["licenses", "status"] => Some((Route::LicensesStatus, GET)),
            ["licenses", "settings"] => Some((Route::LicensesSettings, &["GET", "PUT"])),
            ["users"] => Some((Route::Users, &["GET", "POST"])),
            ["users", "me"] => Some((Route::UsersMe, GET)),
            ["users", "actions", "count"] => Some((Route::UsersCount, GET)),
            ["users", "actions", "filter"] => Some((Route::UsersFilter, POST)),
            ["users", id] => Some((Route::User(id.to_string()), &["GET", "PATCH", "DELETE"])),
            ["roles"] => Some((Route::Roles, GET)),
            ["roles", id] => Some((Route::Role(id.to_string()), GET)),
            ["licenses", "assignments"] => Some((Route::LicensesAssignments, GET)),
            ["licenses", "assignments", "actions", a @ ("add" | "update" | "delete")] => {
                Some((Route::LicensesAction(a.to_string()), POST))
            }
            ["licenses", "consumption"] => Some((Route::LicensesConsumption, GET)),
            ["users", "actions", "invite"] => Some((Route::UsersInvite, POST)),
            ["groups"] => Some((Route::Groups, &["GET", "POST"])),
            ["groups", "actions", "filter"] => Some((Route::GroupsFilter, POST)),
            ["groups", "settings"] => Some((Route::GroupsSettings, &["GET", "PATCH"])),
            ["groups", id] => Some((Route::Group(id.to_string()), &["GET", "DELETE"])),
            ["spaces"] => Some((Route::Spaces, &["GET", "POST"])),
            ["spaces", id] => Some((Route::Space(id.to_string()), &["GET", "PATCH", "DELETE"])),
            ["spaces", id, "assignments"] => {
                Some((Route::SpaceAssignments(id.to_string()), &["GET", "POST"]))
            }
            ["spaces", id, "assignments", a] => Some((
                Route::SpaceAssignment(id.to_string(), a.to_string()),
                &["GET", "PATCH", "DELETE"],
            )),
            ["apps", rest @ ..] if app_transfer::methods(rest).is_some() => {
                app_transfer::methods(rest).map(|m| (Route::AppTransfer(owned(rest)), m))
            }
            ["apps"] => Some((Route::Apps, POST)),
            ["apps", id] => Some((Route::App(id.to_string()), &["GET", "PUT", "DELETE"])),
            ["temp-contents", rest @ ..] => {
                temp_contents::methods(rest).map(|m| (Route::TempContents(owned(rest)), m))
            }
            ["items"] => Some((Route::Items, GET)),
            ["api-keys", rest @ ..] => {
                apikeys::methods(rest).map(|m| (Route::ApiKeys(owned(rest)), m))
            }
            ["oauth-clients", rest @ ..] => {
                oauth_clients::methods(rest).map(|m| (Route::OAuthClients(owned(rest)), m))
            }
            ["csrf-token"] => Some((Route::CsrfToken, GET)),
            ["identity-providers", rest @ ..] => {
                idps::methods(rest).map(|m| (Route::Idps(owned(rest)), m))
            }
            _ => None,
        },
    }
}

fn refs(segs: &[String]) -> Vec<&str> {
    segs.iter().map(String::as_str).collect()
}

fn owned(segs: &[&str]) -> Vec<String> {
    segs.iter().map(|s| s.to_string()).collect()
}

fn not_found() -> ApiError {
    ApiError::new(Api::Generic, 404, "HTTP-404", "Not Found")
}

/// A dispatched request: the handler's answer, or what a fault put in its place, and the fault
/// that decides how much of it reaches the client ([`faults::deliver`]).
pub(super) struct Served {
    pub answer: HResult,
    pub fault: Option<Fault>,
}

/// Serves one request against the state and counts it in `/_sim/stats` (`/_sim/*` aside).
pub(super) fn dispatch(req: &Req, st: &mut State, faults: &Faults) -> Served {
    let segs = req.segments();
    if req.is_admin() {
        return Served {
            answer: sim_admin(req, st, &segs[1..]),
            fault: None,
        };
    }
    st.stats.requests += 1;
    let served = api(req, st, faults, &segs);
    let status = match &served.answer {
        Ok(resp) => resp.status().as_u16(),
        Err(e) => e.status(),
    };
    st.stats
        .record(req.method.as_str(), status, served.fault.map(Fault::kind));
    served
}

/// `/_sim/*`: never counted, limited or faulted.
fn sim_admin(req: &Req, st: &mut State, rest: &[&str]) -> HResult {
    match (req.method.as_str(), rest) {
        ("GET", ["state"]) => admin::state(st),
        ("GET", ["stats"]) => admin::stats(st),
        (_, ["qseow", rest @ ..]) => qseow::admin(req, st, rest),
        (_, ["state"] | ["stats"]) => Err(ApiError::http(Api::Generic, 405).header("allow", "GET")),
        _ => Err(not_found()),
    }
}

/// A request to the QSEoW site or to Qlik Cloud: routed, then perhaps struck by a fault, then
/// handled.
fn api(req: &Req, st: &mut State, faults: &Faults, segs: &[&str]) -> Served {
    if req.host_name == qseow::HOST {
        return struck(strike(req, faults), Face::Qseow, || qseow::handle(req, st));
    }
    let (kind, route) = match routed(req, st, segs) {
        Ok(routed) => routed,
        Err(e) => {
            return Served {
                answer: Err(e),
                fault: None,
            }
        }
    };
    let fault = match route {
        Route::WellKnown | Route::ProductInfo => None,
        Route::Token if !wire::TOKEN_ENDPOINT_FAULTED => None,
        _ => strike(req, faults),
    };
    struck(fault, Face::Cloud, || cloud_api(req, st, kind, route))
}

/// The fault this request meets. HEAD requests meet none: hyper never sends (so never fails)
/// the body of their answer, so their connection could not be cut.
fn strike(req: &Req, faults: &Faults) -> Option<Fault> {
    if req.method == axum::http::Method::HEAD {
        return None;
    }
    faults.strike()
}

/// Runs `handler` unless `fault` answers in its place (`unavailable`, `error`) or leaves
/// nothing to answer (`reset-before`).
fn struck(fault: Option<Fault>, face: Face, handler: impl FnOnce() -> HResult) -> Served {
    let answer = match fault {
        Some(f) if !f.kind().applies() => faults::stand_in(f, face),
        _ => handler(),
    };
    Served { answer, fault }
}

/// The host kind and route of a Qlik Cloud request whose method the route allows.
fn routed(req: &Req, st: &State, segs: &[&str]) -> Result<(HostKind, Route), ApiError> {
    let kind = resolve_host(st, &req.host_name)
        .ok_or_else(|| not_found().detail(unknown_host(&req.host_name)))?;
    let (route, methods) = route(&kind, segs).ok_or_else(not_found)?;
    let method = req.method.as_str();
    if !methods.contains(&method) {
        let api = if matches!(
            route,
            Route::LicensesOverview
                | Route::LicensesStatus
                | Route::LicensesSettings
                | Route::LicensesAssignments
                | Route::LicensesAction(_)
                | Route::LicensesConsumption
        ) {
            Api::Licenses
        } else {
            Api::Generic
        };
        return Err(ApiError::http(api, 405)
            .detail(format!("{method} is not allowed on {}", req.path))
            .header("allow", methods.join(", ")));
    }
    Ok((kind, route))
}

/// A routed Qlik Cloud request: the token endpoint and static documents, else authentication,
/// rate limits and the API.
fn cloud_api(req: &Req, st: &mut State, kind: HostKind, route: Route) -> HResult {
    let target = match &kind {
        HostKind::Tenant(id) => Target::Tenant(id.clone()),
        HostKind::Register(r) => Target::Register(r),
    };
    match route {
        Route::Token => return oauth::token(req, st, &target),
        Route::WellKnown => return oauth::metadata(req),
        Route::ProductInfo => return oauth::product_info(),
        Route::JwtSession => {
            return match &kind {
                HostKind::Tenant(id) => jwt_session::login(req, st, id),
                HostKind::Register(_) => Err(not_found()),
            }
        }
        _ => {}
    }
    let caller = oauth::authenticate(req, st, &target)?;
    let limit_host = match &kind {
        HostKind::Tenant(id) => st
            .tenant(id)
            .map(|t| t.host().to_string())
            .unwrap_or_default(),
        HostKind::Register(r) => r.register_host(DOMAIN),
    };
    let now = st.now();
    let method = req.method.as_str();
    if let Err(wait_ms) =
        st.limiter
            .check(&limit_host, caller.key(), Tier::of(method, &req.path), now)
    {
        st.stats.rate_limited += 1;
        let secs = st.clock.real_secs_for(wait_ms);
        return Err(
            ApiError::new(Api::Generic, 429, "HTTP-429", "API rate limit reached.")
                .detail(format!(
                    "You need to wait {secs} seconds until limit is lifted."
                ))
                .header("retry-after", secs.to_string()),
        );
    }
    match kind {
        HostKind::Register(region) => register_api(req, st, region, route),
        HostKind::Tenant(id) => tenant_api(req, st, &id, &caller, route),
    }
}

fn register_api(req: &Req, st: &mut State, region: &'static Region, route: Route) -> HResult {
    match route {
        Route::TenantsCreate => tenants::create(req, st, region),
        Route::TenantDeactivate(id) => tenants::deactivate(req, st, region, &id),
        Route::TenantReactivate(id) => tenants::reactivate(req, st, region, &id),
        _ => Err(not_found()),
    }
}

fn tenant_api(
    req: &Req,
    st: &mut State,
    tenant_id: &str,
    caller: &Caller,
    route: Route,
) -> HResult {
    let user_id = caller.user_id.clone().unwrap_or_default();
    let now = st.now();
    let t = st.tenant(tenant_id).ok_or_else(not_found)?;
    let admin = t.is_tenant_admin(&user_id);
    let method = req.method.as_str();
    match route {
        Route::TenantsMe => tenants::me(req, t),
        Route::Tenant(id) if method == "GET" => tenants::get(req, t, &id),
        Route::Tenant(id) => {
            if !admin {
                return Err(ApiError::http(Api::Tenants, 403)
                    .detail("The caller needs the TenantAdmin role"));
            }
            tenants::patch(req, st, tenant_id, &id)
        }
        Route::LicensesOverview => licenses::overview(req, t),
        Route::LicensesStatus => licenses::status(t),
        Route::LicensesSettings if method == "GET" => licenses::settings(t),
        Route::LicensesSettings => {
            if !admin {
                return Err(ApiError::new(
                    Api::Licenses,
                    403,
                    wire::LICENSES_FORBIDDEN_CODE,
                    "Forbidden",
                )
                .detail("The caller needs the TenantAdmin role"));
            }
            let t = st.tenant_mut(tenant_id).ok_or_else(not_found)?;
            licenses::put_settings(req, t)
        }
        Route::Users if method == "GET" => users::list(req, t),
        Route::UsersMe => users::me(req, &user_id),
        Route::UsersCount => users::count(t),
        Route::UsersFilter => users::filter_post(req, t),
        Route::User(id) if method == "GET" => users::get(req, t, &id),
        Route::Roles => roles::list(req, t),
        Route::ApiKeys(rest) => apikeys::handle(req, st, tenant_id, &user_id, &refs(&rest)),
        Route::OAuthClients(rest) => {
            oauth_clients::handle(req, st, tenant_id, &user_id, &refs(&rest))
        }
        Route::Idps(rest) => idps::handle(req, st, tenant_id, &user_id, &refs(&rest)),
        Route::Role(id) => roles::get(req, t, &id),
        Route::CsrfToken => jwt_session::csrf_token(req, st, tenant_id),
        Route::GroupsFilter => groups::filter_post(req, t),
        Route::Items => items::list(req, t),
        Route::Users | Route::User(_) => {
            if !admin {
                return Err(users::forbidden());
            }
            let State { tenants, ids, .. } = st;
            let t = tenants.with_id_mut(tenant_id).ok_or_else(not_found)?;
            match route {
                Route::Users => {
                    let resp = users::create(req, t, now, ids)?;
                    if resp.status().as_u16() == 201 {
                        license_assignments::on_user_created(t, t.users.len() - 1);
                    }
                    Ok(resp)
                }
                Route::User(id) if method == "PATCH" => users::patch(req, t, &id, now),
                Route::User(id) => {
                    let resp = users::delete(t, &id)?;
                    spaces::forget_user(t, &id);
                    Ok(resp)
                }
                _ => Err(not_found()),
            }
        }
        r @ (Route::LicensesAssignments
        | Route::LicensesAction(_)
        | Route::LicensesConsumption
        | Route::UsersInvite
        | Route::Groups
        | Route::GroupsSettings
        | Route::Group(_)
        | Route::Spaces
        | Route::Space(_)
        | Route::SpaceAssignments(_)
        | Route::SpaceAssignment(..)
        | Route::Apps
        | Route::App(_)
        | Route::AppTransfer(_)
        | Route::TempContents(_)) => content_api(req, st, tenant_id, &user_id, admin, r),
        _ => Err(not_found()),
    }
}

/// Licenses assignments, invites, groups, spaces and apps.
fn content_api(
    req: &Req,
    st: &mut State,
    tenant_id: &str,
    user_id: &str,
    admin: bool,
    route: Route,
) -> HResult {
    let now = st.now();
    let method = req.method.as_str();
    let State { tenants, ids, .. } = st;
    let t = tenants.with_id_mut(tenant_id).ok_or_else(not_found)?;
    let read = method == "GET";
    match route {
        Route::LicensesAssignments => license_assignments::list(req, t),
        Route::LicensesConsumption => license_assignments::consumption(req, t),
        Route::LicensesAction(_) if !admin => Err(license_assignments::forbidden()),
        Route::LicensesAction(action) => license_assignments::action(req, t, &action, now),
        Route::UsersInvite if !admin => invite::forbidden(),
        Route::UsersInvite => {
            let (resp, created) = invite::invite(req, t, now, ids);
            for idx in created {
                license_assignments::on_user_created(t, idx);
            }
            Ok(resp)
        }
        Route::Groups if read => groups::list(req, t),
        Route::GroupsSettings if read => groups::settings(req, t),
        Route::Group(id) if read => groups::get(req, t, &id),
        Route::Groups | Route::GroupsSettings | Route::Group(_) if !admin => {
            Err(groups::forbidden())
        }
        Route::Groups => groups::create(req, t, now, ids),
        Route::GroupsSettings => groups::patch_settings(req, t),
        Route::Group(id) => groups::delete(t, &id),
        Route::Spaces if read => spaces::list(req, t, user_id),
        Route::Space(id) if read => spaces::get(req, t, &id, user_id),
        Route::SpaceAssignments(id) if read => spaces::list_assignments(req, t, &id),
        Route::SpaceAssignment(s, a) if read => spaces::get_assignment(req, t, &s, &a),
        Route::Spaces
        | Route::Space(_)
        | Route::SpaceAssignments(_)
        | Route::SpaceAssignment(..)
            if !admin =>
        {
            Err(spaces::forbidden())
        }
        Route::Spaces => spaces::create(req, t, user_id, now, ids),
        Route::Space(id) if method == "PATCH" => spaces::patch(req, t, &id, user_id, now),
        Route::Space(id) => spaces::delete(t, &id),
        Route::SpaceAssignments(id) => spaces::create_assignment(req, t, &id, user_id, now, ids),
        Route::SpaceAssignment(s, a) if method == "PATCH" => {
            spaces::patch_assignment(req, t, &s, &a, now)
        }
        Route::SpaceAssignment(s, a) => spaces::delete_assignment(t, &s, &a),
        Route::App(id) if read => apps::get(t, &id),
        Route::App(id) if method == "PUT" => app_transfer::update(req, t, &id, now),
        Route::AppTransfer(rest) => app_transfer::handle(req, t, &refs(&rest), user_id, now, ids),
        Route::TempContents(rest) => temp_contents::handle(req, t, &refs(&rest), user_id, now, ids),
        Route::Apps => apps::create(req, t, user_id, now, ids),
        Route::App(id) => apps::delete(t, &id, user_id, admin),
        _ => Err(not_found()),
    }
}

#[cfg(test)]
#[path = "content_tests.rs"]
mod content_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::test_support::{read_json, Sim};
    use serde_json::json;

    const ACME: &str = "acme.us.qlik.localhost:8080";
    const REG: &str = "register.us.qlik.localhost:8080";

    #[tokio::test]
    async fn the_tutorial_runs() {
        let mut sim = Sim::json_only();
        let (client_id, _) = sim.client("us");
        // 2. token on the source tenant, then the signed key
        let t = sim.token(ACME, "us").await;
        assert_eq!(t.status, 200);
        assert_eq!(t.body["token_type"], "bearer");
        assert_eq!(t.body["expires_in"], 21600);
        assert!(t.body["expires_at"].as_str().unwrap().ends_with('Z'));
        let source = t.body["access_token"].as_str().unwrap().to_string();
        let ov = sim.get(ACME, "/api/v1/licenses/overview", &source).await;
        assert_eq!(ov.status, 200);
        assert_eq!(ov.body["status"], "Ok");
        assert_eq!(
            ov.body["allotments"][0]["unitsUsed"], 4,
            "three seeded professionals and the bot"
        );
        let key = ov.body["licenseKey"].as_str().unwrap().to_string();
        // 3. register token, 4. create
        let reg = sim.token(REG, "us").await.body["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let auth = format!("Bearer {reg}");
        let created = sim
            .call(
                "POST",
                REG,
                "/api/v1/tenants",
                &[("authorization", &auth)],
                &json!({"licenseKey": key}).to_string(),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let b = &created.body;
        let name = b["name"].as_str().unwrap();
        assert_eq!(name.len(), 15);
        assert_eq!(b["id"].as_str().unwrap().len(), 32);
        let host = format!("{name}.us.qlik.localhost");
        assert_eq!(b["hostnames"], json!([host]));
        assert_eq!(b["datacenter"], "us-east-1");
        assert_eq!(b["status"], "active");
        assert_eq!(b["createdByUser"], "");
        assert_eq!(b["enableAnalyticCreation"], false);
        let id = b["id"].as_str().unwrap().to_string();
        assert_eq!(
            b["links"]["self"]["href"],
            format!("http://{REG}/api/v1/tenants/{id}")
        );
        // 5. token on the new tenant, 6. users/me
        let new_host = format!("{host}:8080");
        let target = sim.token(&new_host, "us").await.body["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let me = sim.get(&new_host, "/api/v1/users/me", &target).await;
        assert_eq!(me.status, 301);
        let loc = me.header("location").to_string();
        assert!(
            loc.starts_with(&format!("http://{new_host}/api/v1/users/")),
            "{loc}"
        );
        let bot = sim
            .get(&new_host, &loc[loc.find("/api").unwrap()..], &target)
            .await;
        assert_eq!(bot.status, 200);
        assert_eq!(bot.body["name"], "US OAuth Client");
        assert_eq!(bot.body["clientId"], client_id.as_str());
        assert_eq!(bot.body["tenantId"], id.as_str());
        assert_eq!(bot.body["roles"], json!(["TenantAdmin"]));
        assert!(bot.body["subject"]
            .as_str()
            .unwrap()
            .starts_with("qlikbot\\"));
        // tokens are host-bound
        assert_eq!(
            sim.get(&new_host, "/api/v1/users/me", &source).await.status,
            401
        );
        assert_eq!(sim.get(ACME, "/api/v1/users/me", &reg).await.status, 401);
        // tenants/me
        let tm = sim.get(&new_host, "/api/v1/tenants/me", &target).await;
        assert_eq!(tm.status, 302);
        assert_eq!(
            tm.header("location"),
            format!("http://{new_host}/api/v1/tenants/{id}")
        );
        let stats = read_json(admin::stats(&sim.st).unwrap()).await;
        assert_eq!(stats["token_grants"][format!("{host} {client_id}")], 1);
        assert_eq!(
            stats["token_grants"][format!("acme.us.qlik.localhost {client_id}")],
            1
        );
    }

    #[tokio::test]
    async fn routing_and_errors() {
        let mut sim = Sim::json_only();
        let bare = sim.token("127.0.0.1:9", "us").await;
        assert_eq!(bare.status, 200);
        let tok = bare.body["access_token"].as_str().unwrap().to_string();
        // the bare address is the source tenant: same realm as acme
        assert_eq!(
            sim.get(ACME, "/api/v1/users/actions/count", &tok)
                .await
                .body["total"],
            7
        );
        let me = sim.get("127.0.0.1:9", "/api/v1/users/me", &tok).await;
        assert!(me
            .header("location")
            .starts_with("http://127.0.0.1:9/api/v1/users/"));
        assert_eq!(
            sim.get("nope.us.qlik.localhost", "/api/v1/users", &tok)
                .await
                .status,
            404
        );
        let nf = sim.get(ACME, "/api/v1/nothing", &tok).await;
        assert_eq!(
            nf.body,
            json!({"errors":[{"code":"HTTP-404","title":"Not Found"}]})
        );
        let na = sim.call("DELETE", ACME, "/api/v1/roles", &[], "").await;
        assert_eq!(na.status, 405);
        assert_eq!(na.header("allow"), "GET");
        let auth = format!("Bearer {tok}");
        let bad = sim
            .call(
                "POST",
                ACME,
                "/api/v1/users",
                &[("authorization", &auth)],
                "{nope",
            )
            .await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.body["errors"][0]["status"], 400);
        assert!(bad.body["traceId"].is_string());
        let no_tok = sim.call("GET", ACME, "/api/v1/users", &[], "").await;
        assert_eq!(no_tok.status, 401);
        // wrong region client on a register host
        let eu = sim.token("register.us.qlik.localhost", "eu").await;
        assert_eq!(eu.status, 401);
        // Basic auth + form body
        let (id, secret) = sim.client("us");
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{id}:{secret}"),
        );
        let form = sim
            .call(
                "POST",
                ACME,
                "/oauth/token",
                &[
                    ("authorization", &format!("Basic {basic}")),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                "grant_type=client_credentials&scope=user_default",
            )
            .await;
        assert_eq!(form.status, 200);
        // paging over users walks every user once
        let mut seen = Vec::new();
        let mut next = Some("/api/v1/users?limit=2".to_string());
        while let Some(target) = next {
            let page = sim.get(ACME, &target, &tok).await;
            assert_eq!(page.status, 200);
            for u in page.body["data"].as_array().unwrap() {
                seen.push(u["name"].as_str().unwrap().to_string());
            }
            next = page.body["links"]["next"]["href"]
                .as_str()
                .map(|h| h.split_once("8080").unwrap().1.to_string());
        }
        let mut sorted = seen.clone();
        sorted.sort_by_key(|s| s.to_lowercase());
        assert_eq!(seen, sorted);
        assert_eq!(seen.len(), 7);
    }

    #[tokio::test]
    async fn writes_over_budget_get_429_and_change_nothing() {
        let mut sim = Sim::json_only();
        let tok = sim.token(ACME, "us").await.body["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let auth = format!("Bearer {tok}");
        let me = sim.get(ACME, "/api/v1/users/me", &tok).await;
        let path = me
            .header("location")
            .split_once("8080")
            .unwrap()
            .1
            .to_string();
        let budget = Tier::Tier2.budget();
        for i in 0..budget {
            let body =
                json!([{"op": "replace", "path": "/name", "value": format!("n{i}")}]).to_string();
            let r = sim
                .call("PATCH", ACME, &path, &[("authorization", &auth)], &body)
                .await;
            assert_eq!(r.status, 204);
        }
        let body = json!([{"op": "replace", "path": "/name", "value": "over"}]).to_string();
        let r = sim
            .call("PATCH", ACME, &path, &[("authorization", &auth)], &body)
            .await;
        assert_eq!(r.status, 429);
        let secs: u64 = r.header("retry-after").parse().unwrap();
        assert!((1..=300).contains(&secs));
        assert_eq!(r.body["errors"][0]["code"], "HTTP-429");
        assert_eq!(r.body["errors"][0]["title"], "API rate limit reached.");
        assert_eq!(
            r.body["errors"][0]["detail"],
            format!("You need to wait {secs} seconds until limit is lifted.")
        );
        // reads are another tier, and the refused write changed nothing
        let u = sim.get(ACME, &path, &tok).await;
        assert_eq!(u.body["name"], format!("n{}", budget - 1));
        assert_eq!(sim.st.stats.rate_limited, 1);
    }
}
