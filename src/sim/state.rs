//! The simulator's world: entitlements, region OAuth clients, tenants with their users, roles
//! and license, issued tokens, rate-limit windows and counters. One `Mutex<State>` guards it;
//! handlers hold the lock briefly and never across an await.
//!
//! Extending: groups, identity providers, spaces, OAuth clients and API keys belong on
//! [`Tenant`] next to `users`; the QSEoW site is the `qseow` field of [`State`].

use super::clock::{Clock, SimMs};
use super::faults::FaultKind;
use super::ids::Ids;
use super::limits::RateLimiter;
use crate::regions::Region;
use std::collections::{BTreeMap, HashMap};

/// A signed entitlement (a subscription allowing `quota` tenants).
pub struct Entitlement {
    pub license_number: String,
    pub license_key: String,
    pub quota: usize,
    pub product: String,
}

/// A region-level OAuth client created in My Qlik.
pub struct RegionClient {
    pub region: &'static Region,
    pub client_id: String,
    pub client_secret: String,
}

/// Where a token is valid: one register host, or one tenant (any of its hostnames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Realm {
    Register(&'static str),
    Tenant(String),
}

pub struct Token {
    pub realm: Realm,
    pub client_id: String,
    /// The bot user on a tenant; `None` on a register host.
    pub user_id: Option<String>,
    pub expires_ms: SimMs,
}

pub struct Role {
    pub id: String,
    pub name: String,
    /// `default` | `custom`
    pub kind: &'static str,
    /// `admin` | `user`
    pub level: &'static str,
    pub description: String,
    pub scopes: Vec<String>,
    pub created_ms: SimMs,
}

#[derive(Clone)]
pub struct User {
    pub id: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub status: String,
    pub role_ids: Vec<String>,
    pub group_ids: Vec<String>,
    pub scopes: Vec<String>,
    /// Set for OAuth client bot users.
    pub client_id: Option<String>,
    pub picture: Option<String>,
    pub preferred_locale: Option<String>,
    pub preferred_zoneinfo: Option<String>,
    /// Unix seconds, for invited users.
    pub invite_expiry: Option<i64>,
    /// The allotment this user consumes (`professional`, `analyzer`), if any.
    pub license: Option<&'static str>,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
}

impl User {
    /// A user record with only what every new user has (id, subject, name, status, created and
    /// updated `now`): no email, roles, groups, scopes, picture, locale, invite or license.
    /// Each way in (create, invite, JWT login, OAuth bot, seed) sets the rest itself.
    pub fn new(id: String, subject: String, name: String, status: &str, now: SimMs) -> User {
        User {
            id,
            subject,
            name,
            email: None,
            status: status.to_string(),
            role_ids: Vec::new(),
            group_ids: Vec::new(),
            scopes: Vec::new(),
            client_id: None,
            picture: None,
            preferred_locale: None,
            preferred_zoneinfo: None,
            invite_expiry: None,
            license: None,
            created_ms: now,
            updated_ms: now,
        }
    }
}

/// A tenant's license (its share of the entitlement).
pub struct TenantLicense {
    pub license_number: String,
    pub license_key: String,
    pub product: String,
    pub professional_units: u64,
    pub analyzer_units: u64,
    pub analyzer_time_units: u64,
    pub valid_from_ms: SimMs,
    pub valid_to_ms: SimMs,
    pub updated_ms: SimMs,
    /// `PUT /api/v1/licenses/settings`
    pub auto_assign_professional: bool,
    pub auto_assign_analyzer: bool,
}

pub struct Tenant {
    pub id: String,
    pub name: String,
    /// `[0]` is the primary hostname, later entries aliases; all lowercase.
    pub hostnames: Vec<String>,
    pub region: &'static Region,
    pub datacenter: String,
    pub created_by_user: String,
    /// `active` | `disabled`
    pub status: String,
    pub created_ms: SimMs,
    pub updated_ms: SimMs,
    pub status_updated_ms: SimMs,
    pub estimated_purge_ms: Option<SimMs>,
    pub auto_assign_create_shared_spaces: bool,
    pub auto_assign_data_services_contributor: bool,
    pub auto_assign_private_analytics_content_creator: bool,
    pub enable_analytic_creation: bool,
    pub enable_app_opening_feedback: bool,
    pub license: TenantLicense,
    pub roles: Vec<Role>,
    pub users: Vec<User>,
    /// License assignments of subjects that have no user yet.
    pub license_extra: Vec<super::license_assignments::Assignment>,
    pub groups: super::groups::Groups,
    pub spaces: super::spaces::Spaces,
    pub apps: Vec<super::apps::App>,
    /// What an export of an app carries, by app id (imported and seeded apps).
    pub app_payloads: super::app_transfer::Payloads,
    /// Temporary files (app exports, uploads).
    pub temp_contents: super::temp_contents::TempContents,
    /// Identity providers, tenant OAuth clients, API keys.
    pub identity: super::identity::TenantIdentity,
}

impl Tenant {
    pub fn host(&self) -> &str {
        self.hostnames.first().map(String::as_str).unwrap_or("")
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// A role by name: exact, else case-insensitive.
    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name).or_else(|| {
            self.roles
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name))
        })
    }

    /// Allotment units in use: users (not deleted) holding that license type, plus
    /// assignments of subjects without a user.
    pub fn units_used(&self, allotment: &str) -> u64 {
        let users = self
            .users
            .iter()
            .filter(|u| u.license == Some(allotment) && u.status != "deleted")
            .count();
        let extra = self
            .license_extra
            .iter()
            .filter(|a| a.kind == allotment)
            .count();
        (users + extra) as u64
    }

    pub fn is_tenant_admin(&self, user_id: &str) -> bool {
        self.user(user_id).is_some_and(|u| {
            u.role_ids
                .iter()
                .any(|r| self.role(r).is_some_and(|r| r.name == "TenantAdmin"))
        })
    }
}

/// What `/_sim/stats` shows: requests outside `/_sim/*`, and what became of them.
#[derive(Default)]
pub struct Stats {
    /// `"<host> <clientId>"` -> tokens granted.
    pub token_grants: BTreeMap<String, u64>,
    pub requests: u64,
    /// 429s.
    pub rate_limited: u64,
    /// `"<METHOD> <status>"` -> answers that reached the client (a cut connection delivers no
    /// status, so `requests` is this total plus the `reset-*` faults).
    pub by_method_status: BTreeMap<String, u64>,
    /// Faults injected, by kind (indexed by `FaultKind as usize`).
    pub faults: [u64; FaultKind::ALL.len()],
}

impl Stats {
    /// Counts the answer `status` to a `method` request that met `fault`.
    pub fn record(&mut self, method: &str, status: u16, fault: Option<FaultKind>) {
        if let Some(kind) = fault {
            self.faults[kind as usize] += 1;
        }
        if !fault.is_some_and(FaultKind::loses_answer) {
            *self
                .by_method_status
                .entry(format!("{method} {status}"))
                .or_default() += 1;
        }
    }
}

/// The tenants in creation order, indexed by id and by every hostname, so that finding the
/// tenant of a request costs the same with 1,000 tenants as with one. Reads and in-place changes
/// go through the slice (`Deref`); a tenant is added with [`Tenants::push`] and its alias set
/// with [`Tenants::set_alias`], which keep the indexes true (ids, hostnames and license numbers
/// are never changed otherwise). The first tenant holding an id or hostname wins, as a scan
/// would find it.
#[derive(Default)]
pub struct Tenants {
    list: Vec<Tenant>,
    by_id: HashMap<String, usize>,
    /// Lowercased hostname -> position.
    by_host: HashMap<String, usize>,
    /// License number -> tenants holding it (the entitlement's quota in use).
    licensed: HashMap<String, usize>,
}

impl Tenants {
    pub fn push(&mut self, t: Tenant) {
        let i = self.list.len();
        self.by_id.entry(t.id.clone()).or_insert(i);
        for h in &t.hostnames {
            self.by_host.entry(h.to_ascii_lowercase()).or_insert(i);
        }
        *self
            .licensed
            .entry(t.license.license_number.clone())
            .or_default() += 1;
        self.list.push(t);
    }

    /// How many tenants hold a license of entitlement `license_number`.
    pub fn count_licensed(&self, license_number: &str) -> usize {
        self.licensed.get(license_number).copied().unwrap_or(0)
    }

    pub fn with_id(&self, id: &str) -> Option<&Tenant> {
        self.by_id.get(id).map(|&i| &self.list[i])
    }

    pub fn with_id_mut(&mut self, id: &str) -> Option<&mut Tenant> {
        self.by_id.get(id).map(|&i| &mut self.list[i])
    }

    /// The tenant owning hostname `host` (case-insensitive).
    pub fn with_host(&self, host: &str) -> Option<&Tenant> {
        self.by_host
            .get(&host.to_ascii_lowercase())
            .map(|&i| &self.list[i])
    }

    /// Sets (or replaces) the alias `hostnames[1]` of tenant `id`, if there is such a tenant.
    pub fn set_alias(&mut self, id: &str, host: String) {
        let Some(&i) = self.by_id.get(id) else {
            return;
        };
        let hostnames = &mut self.list[i].hostnames;
        if hostnames.len() > 1 {
            let old = std::mem::replace(&mut hostnames[1], host.clone());
            let key = old.to_ascii_lowercase();
            let still_held = hostnames.iter().any(|h| h.eq_ignore_ascii_case(&old));
            if !still_held && self.by_host.get(&key) == Some(&i) {
                self.by_host.remove(&key);
            }
        } else {
            hostnames.push(host.clone());
        }
        self.by_host.entry(host.to_ascii_lowercase()).or_insert(i);
    }

    /// The tenants themselves, indexes dropped.
    #[cfg(test)]
    pub fn into_vec(self) -> Vec<Tenant> {
        self.list
    }
}

impl std::ops::Deref for Tenants {
    type Target = [Tenant];

    fn deref(&self) -> &[Tenant] {
        &self.list
    }
}

impl std::ops::DerefMut for Tenants {
    fn deref_mut(&mut self) -> &mut [Tenant] {
        &mut self.list
    }
}

pub struct State {
    pub clock: Clock,
    pub ids: Ids,
    pub license_signing_key: ring::hmac::Key,
    pub token_signing_key: ring::hmac::Key,
    pub entitlements: Vec<Entitlement>,
    pub region_clients: Vec<RegionClient>,
    pub tenants: Tenants,
    pub source_tenant_id: String,
    pub tokens: HashMap<String, Token>,
    pub limiter: RateLimiter,
    pub stats: Stats,
    /// The QSEoW site at `qseow.qlik.localhost`.
    pub qseow: super::qseow::Site,
}

impl State {
    pub fn now(&self) -> SimMs {
        self.clock.now_ms()
    }

    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.with_id(id)
    }

    pub fn tenant_mut(&mut self, id: &str) -> Option<&mut Tenant> {
        self.tenants.with_id_mut(id)
    }

    /// The tenant owning hostname `host` (case-insensitive).
    pub fn tenant_by_host(&self, host: &str) -> Option<&Tenant> {
        self.tenants.with_host(host)
    }

    pub fn client(&self, client_id: &str) -> Option<&RegionClient> {
        self.region_clients
            .iter()
            .find(|c| c.client_id == client_id)
    }

    pub fn trace_id(&mut self) -> String {
        self.ids.hex32()
    }
}
