//! Signed license keys and `GET /api/v1/licenses/overview` (reference §2).
//!
//! A license key is JWT-shaped: `base64url(header).base64url(payload).base64url(HMAC-SHA256)`,
//! signed with the simulator's secret; the payload names the license number and tenant quota.

use super::clock::{iso, iso_date};
use super::errors::{self, ok, Api, HResult};
use super::request::Req;
use super::state::Tenant;
use crate::wire;
use base64::Engine as _;
use ring::hmac;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseClaims {
    pub license_number: String,
    pub tenant_quota: usize,
}

/// Signs a JWT-shaped `payload` with `key` (HS256).
pub fn sign_jwt(key: &hmac::Key, payload: &Value) -> String {
    let header = B64.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let body = B64.encode(payload.to_string());
    let signing_input = format!("{header}.{body}");
    let tag = hmac::sign(key, signing_input.as_bytes());
    format!("{signing_input}.{}", B64.encode(tag.as_ref()))
}

/// Verifies a JWT-shaped string signed by [`sign_jwt`]; returns its payload.
pub fn verify_jwt(key: &hmac::Key, token: &str) -> Option<Value> {
    let mut parts = token.trim().split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let sig = B64.decode(s).ok()?;
    hmac::verify(key, format!("{h}.{p}").as_bytes(), &sig).ok()?;
    serde_json::from_slice(&B64.decode(p).ok()?).ok()
}

pub fn sign_license_key(
    key: &hmac::Key,
    claims: &LicenseClaims,
    product: &str,
    iat_secs: i64,
) -> String {
    sign_jwt(
        key,
        &json!({
            "licenseNumber": claims.license_number,
            "product": product,
            "tenantQuota": claims.tenant_quota,
            "iat": iat_secs,
            "iss": "qops-sim-licensing",
        }),
    )
}

pub fn verify_license_key(key: &hmac::Key, license_key: &str) -> Option<LicenseClaims> {
    let payload = verify_jwt(key, license_key)?;
    Some(LicenseClaims {
        license_number: payload.get("licenseNumber")?.as_str()?.to_string(),
        tenant_quota: payload.get("tenantQuota")?.as_u64()? as usize,
    })
}

/// The LicenseOverview of a tenant.
pub fn overview_json(t: &Tenant) -> Value {
    let l = &t.license;
    let valid = format!("{}/{}", iso_date(l.valid_from_ms), iso_date(l.valid_to_ms));
    json!({
        "licenseNumber": l.license_number,
        "licenseKey": l.license_key,
        "valid": valid,
        "status": "Ok",
        "origin": "Internal",
        "trial": false,
        "product": l.product,
        "secondaryNumber": "0",
        "updated": iso(l.updated_ms),
        "changeTime": iso(l.updated_ms),
        "latestValidTime": iso(l.valid_to_ms),
        "licenseType": "Signed",
        "version": 2,
        "parameters": [
            {"name": "professional", "valid": valid, "access": {"allotment": "professional"}},
            {"name": "analyzer", "valid": valid, "access": {"allotment": "analyzer"}},
            {"name": "analyzer_time", "valid": valid, "access": {"allotment": "analyzer_time"}},
            {"name": "multitenant", "valid": valid, "values": {"enabled": true}},
        ],
        "allotments": [
            {"name": "professional", "usageClass": "assigned", "units": l.professional_units,
             "unitsUsed": t.units_used("professional"), "overage": 0},
            {"name": "analyzer", "usageClass": "assigned", "units": l.analyzer_units,
             "unitsUsed": t.units_used("analyzer"), "overage": 0},
            {"name": "analyzer_time", "usageClass": "time", "units": l.analyzer_time_units,
             "unitsUsed": 0, "overage": -1},
        ],
    })
}

pub fn overview(_req: &Req, t: &Tenant) -> HResult {
    ok(&overview_json(t))
}

/// GET /api/v1/licenses/status
pub fn status(t: &Tenant) -> HResult {
    let l = &t.license;
    ok(&json!({
        "type": "Signed",
        "trial": false,
        "valid": format!("{}/{}", iso_date(l.valid_from_ms), iso_date(l.valid_to_ms)),
        "origin": "Internal",
        "status": "Ok",
        "product": l.product,
        "deactivated": false,
        "extensionStatus": "Unavailable",
    }))
}

fn settings_json(t: &Tenant) -> Value {
    json!({
        "autoAssignProfessional": t.license.auto_assign_professional,
        "autoAssignAnalyzer": t.license.auto_assign_analyzer,
    })
}

/// GET /api/v1/licenses/settings
pub fn settings(t: &Tenant) -> HResult {
    ok(&settings_json(t))
}

/// PUT /api/v1/licenses/settings (TenantAdmin): both fields optional booleans; 200 with the
/// resulting settings.
pub fn put_settings(req: &Req, t: &mut Tenant) -> HResult {
    let bad = |detail: String| {
        errors::bad_request(Api::Licenses, wire::LICENSES_BAD_REQUEST_CODE, detail)
    };
    let body = req.json().map_err(bad)?;
    let obj = body
        .as_object()
        .ok_or_else(|| bad("The body must be a JSON object".into()))?;
    let mut next = (
        t.license.auto_assign_professional,
        t.license.auto_assign_analyzer,
    );
    for (key, value) in obj {
        let v = value
            .as_bool()
            .ok_or_else(|| bad(format!("{key} must be a boolean")))?;
        match key.as_str() {
            "autoAssignProfessional" => next.0 = v,
            "autoAssignAnalyzer" => next.1 = v,
            _ => return Err(bad(format!("Unknown setting \"{key}\""))),
        }
    }
    (
        t.license.auto_assign_professional,
        t.license.auto_assign_analyzer,
    ) = next;
    ok(&settings_json(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_keys_verify_only_with_the_right_secret() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"secret");
        let claims = LicenseClaims {
            license_number: "9999000000001204".into(),
            tenant_quota: 25,
        };
        let k = sign_license_key(&key, &claims, "Qlik Cloud", 1_700_000_000);
        assert_eq!(k.split('.').count(), 3);
        assert_eq!(verify_license_key(&key, &k), Some(claims));
        let other = hmac::Key::new(hmac::HMAC_SHA256, b"other");
        assert_eq!(verify_license_key(&other, &k), None);
        // tampered payload
        let mut parts: Vec<&str> = k.split('.').collect();
        let forged = B64.encode(r#"{"licenseNumber":"1","tenantQuota":999}"#);
        parts[1] = &forged;
        assert_eq!(verify_license_key(&key, &parts.join(".")), None);
        assert_eq!(verify_license_key(&key, "not-a-key"), None);
        assert_eq!(verify_license_key(&key, "a.b.c.d"), None);
        assert_eq!(verify_license_key(&key, ""), None);
    }
}
