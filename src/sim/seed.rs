//! The initial world, deterministic from `seed`: one entitlement with a signed key, one
//! region-level OAuth client per region, and the source tenant `acme.us` with its users.

use super::clock::{Clock, SimMs};
use super::ids::Ids;
use super::licenses::{sign_license_key, LicenseClaims};
use super::limits::RateLimiter;
use super::state::{Entitlement, RegionClient, State, Stats, User};
use super::tenants::new_tenant;
use super::SimOptions;
use crate::regions::{self, REGIONS};
use ring::hmac;

/// The source tenant's name and region.
pub const SOURCE_TENANT: &str = "acme";
pub const SOURCE_REGION: &str = "us";
/// Tenants the seeded entitlement allows by default (the source tenant included);
/// [`SimOptions::tenant_quota`] sets another.
pub const TENANT_QUOTA: usize = 25;
pub const PRODUCT: &str = "Qlik Cloud Enterprise";
/// `iat` of the seeded license key (2023-11-14T22:13:20Z).
const LICENSE_ISSUED_AT: i64 = 1_700_000_000;

struct SeedUser {
    name: &'static str,
    email: &'static str,
    status: &'static str,
    roles: &'static [&'static str],
    license: Option<&'static str>,
}

/// The source tenant's human users.
const USERS: &[SeedUser] = &[
    SeedUser {
        name: "Alice Admin",
        email: "alice@acme.example",
        status: "active",
        roles: &["TenantAdmin"],
        license: Some("professional"),
    },
    SeedUser {
        name: "Bob Builder",
        email: "bob@acme.example",
        status: "active",
        roles: &["AnalyticsAdmin", "SharedSpaceCreator"],
        license: Some("professional"),
    },
    SeedUser {
        name: "Carol Consumer",
        email: "carol@acme.example",
        status: "active",
        roles: &[],
        license: Some("analyzer"),
    },
    SeedUser {
        name: "Dave Departed",
        email: "dave@acme.example",
        status: "disabled",
        roles: &["Developer"],
        license: None,
    },
    SeedUser {
        name: "Erin Invited",
        email: "erin@acme.example",
        status: "invited",
        roles: &[],
        license: None,
    },
    SeedUser {
        name: "Frank Data",
        email: "frank@acme.example",
        status: "active",
        roles: &["DataAdmin"],
        license: Some("professional"),
    },
];

pub fn seed(opts: &SimOptions) -> State {
    let clock = Clock::new(opts.time_scale);
    let now = clock.now_ms();
    let mut ids = Ids::new(opts.seed);
    let license_signing_key = hmac::Key::new(hmac::HMAC_SHA256, &ids.bytes(32));
    let token_signing_key = hmac::Key::new(hmac::HMAC_SHA256, &ids.bytes(32));

    let claims = LicenseClaims {
        license_number: format!("9999{}", ids.digits(12)),
        tenant_quota: opts.tenant_quota,
    };
    // A fixed issue time keeps the key identical for a given seed.
    let license_key = sign_license_key(&license_signing_key, &claims, PRODUCT, LICENSE_ISSUED_AT);
    let entitlement = Entitlement {
        license_number: claims.license_number.clone(),
        license_key: license_key.clone(),
        quota: opts.tenant_quota,
        product: PRODUCT.to_string(),
    };

    let region_clients = REGIONS
        .iter()
        .map(|region| RegionClient {
            region,
            client_id: ids.hex32(),
            client_secret: ids.secret(),
        })
        .collect();

    let us = regions::by_code(SOURCE_REGION).unwrap_or(&REGIONS[0]);
    let created: SimMs = now - 400 * 86_400_000;
    let mut acme = new_tenant(
        ids.tenant_id(),
        SOURCE_TENANT,
        us,
        us.datacenter,
        &claims.license_number,
        &license_key,
        PRODUCT,
        created,
    );
    acme.license.updated_ms = now - 30 * 86_400_000;
    acme.license.valid_to_ms = now + 335 * 86_400_000;
    for (i, su) in USERS.iter().enumerate() {
        let at = created + (i as SimMs + 1) * 3_600_000;
        let role_ids = su
            .roles
            .iter()
            .filter_map(|r| acme.role_by_name(r))
            .map(|r| r.id.clone())
            .collect();
        let id = ids.object_id();
        let subject = format!("auth0|{}", ids.hex(24));
        let user = User {
            email: Some(su.email.to_string()),
            role_ids,
            invite_expiry: (su.status == "invited")
                .then_some(now / 1000 + crate::wire::INVITE_LIFETIME_SECS),
            license: su.license,
            ..User::new(id, subject, su.name.to_string(), su.status, at)
        };
        acme.users.push(user);
    }
    let source_tenant_id = acme.id.clone();
    let qseow = super::qseow::seed(&mut ids, now);
    let template_owner = acme.users.first().map(|u| u.id.clone()).unwrap_or_default();
    super::app_transfer::seed_template(&mut acme, &template_owner, now - 86_400_000, &mut ids);

    let mut st = State {
        clock,
        license_signing_key,
        token_signing_key,
        entitlements: vec![entitlement],
        region_clients,
        tenants: Default::default(),
        source_tenant_id,
        tokens: Default::default(),
        limiter: RateLimiter::default(),
        stats: Stats::default(),
        qseow,
        ids,
    };
    st.tenants.push(acme);
    st
}
