//! Entry points for the cargo-fuzz targets in `fuzz/`: each takes arbitrary input and must
//! never panic. Not an API; hidden from docs.
//!
//! One function per target (`fuzz/fuzz_targets/<name>.rs` calls `qops::fuzzing::<name>`); the
//! modules they drive stay private to the crate.
#![doc(hidden)]

use serde_json::{json, Value};

/// The simulator's SCIM filter parser (users' schema), and evaluation of what parses.
pub fn scim_filter(data: &[u8]) {
    use crate::sim::scim;
    let text = String::from_utf8_lossy(data);
    if let Ok(filter) = scim::parse(&text, &crate::sim::users::FILTER) {
        filter.matches(&|attr: &str| match attr {
            "assignedRoles.name" => vec!["TenantAdmin".into(), "Developer".into()],
            "status" => vec!["active".into()],
            _ => vec!["Alice Admin".into()],
        });
    }
}

/// The simulator's QRS filter parser, and evaluation of what parses against an app.
pub fn qrs_filter(data: &[u8]) {
    use crate::sim::qseow::filter;
    let text = String::from_utf8_lossy(data);
    if let Ok(f) = filter::parse(&text) {
        let app = json!({
            "id": "0b1c2d3e-0000-4000-8000-000000000001",
            "name": "Sales Dashboard",
            "published": true,
            "fileSize": 1024,
            "stream": {"id": "5a000000-0000-4000-8000-000000000001", "name": "Sales"},
            "owner": null,
            "customProperties": [
                {"definition": {"name": "SendTo"}, "value": "Region1"},
                {"definition": {"name": "SendTo"}, "value": "Region2"}
            ]
        });
        filter::eval(&f, &app);
    }
}

/// The key readers: the client's private key files (PEM or DER) and the simulator's checks of
/// what clients send it (public-key PEMs, JWKs, signed JWTs). The input is split at its first
/// NUL byte into a token and a key, so the verifiers meet both at once.
pub fn pem_jwk(data: &[u8]) {
    use crate::cloud::jwt::SigningKey;
    use crate::sim::jwt;
    if let Ok(key) = SigningKey::from_bytes(data, None) {
        let _ = key.public_jwk();
    }
    let text = String::from_utf8_lossy(data);
    let _ = jwt::check_public_key_pem(&text);
    let _ = jwt::decode_unverified(&text);
    let _ = jwt::unverified_subject(&text);
    let (token, key) = match text.split_once('\0') {
        Some((token, key)) => (token, key),
        None => (text.as_ref(), text.as_ref()),
    };
    let _ = jwt::verify_with_pem(token, key);
    let jwk: Value = serde_json::from_str(key).unwrap_or(Value::Null);
    let _ = jwt::validate_jwk(&jwk);
    let audiences = ["https://acme.us.qlik.localhost/oauth/token".to_string()];
    let expect = jwt::Expect {
        client_id: "c1",
        audiences: &audiences,
        now_secs: 1_000,
    };
    let _ = jwt::verify_assertion(token, &[jwk], &expect);
}

/// The URL joiner, its property checked: whatever the path, id or host input, a URL it builds
/// keeps the base's scheme, host, port and (empty) userinfo, and a segment it builds is one
/// segment. The input is split at its first NUL byte into a path and a query value; the path is
/// also tried as an id and as a host.
pub fn url_join(data: &[u8]) {
    use crate::cloud::endpoint::{join, seg, Routing};
    let text = String::from_utf8_lossy(data);
    let (path, value) = text.split_once('\0').unwrap_or((&text, ""));
    for base in ["https://acme.eu.qlikcloud.com/", "https://qlik.corp/jwt/"] {
        let Ok(base) = reqwest::Url::parse(base) else {
            continue;
        };
        if let Ok(url) = join(&base, path, &[("filter", value.to_string())]) {
            assert_eq!(url.origin(), base.origin(), "{path:?} moved the origin");
            assert!(url.username().is_empty() && url.password().is_none());
            assert!(
                url.path().starts_with(base.path()),
                "{path:?} left the prefix"
            );
        }
        if let Ok(segment) = seg(path) {
            let url = join(&base, &format!("/api/v1/users/{segment}"), &[])
                .unwrap_or_else(|e| panic!("{path:?}: an id's segment was refused: {e}"));
            assert_eq!(
                url.path_segments().map(Iterator::count),
                base.path_segments().map(|s| s.count() + 3)
            );
        }
    }
    if let Ok(url) = Routing::default().base_url(path) {
        assert!(
            url.username().is_empty() && url.password().is_none(),
            "{path:?}"
        );
        assert!(matches!(url.scheme(), "https" | "http"));
    }
}

#[cfg(test)]
mod tests {
    /// Each entry point takes a few typical and hostile inputs without panicking.
    #[test]
    fn entry_points_take_any_input() {
        let inputs: &[&[u8]] = &[
            b"",
            b"\xff\xfe",
            br#"name eq "Alice Admin" and (status eq "active" or assignedRoles.name co "dev")"#,
            b"name eq 'Sales' and stream.name sw 'sa' or customProperties.value eq 'Region1'",
            include_bytes!("../tests/fixtures/ec384-test-key.pem"),
            b"-----BEGIN -----END -----",
            b"/\\127.0.0.1:9/x\0a b",
            b"%2e%2e",
            b"e30.e30.e30\0{\"kid\":\"a\",\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
        ];
        for input in inputs {
            super::scim_filter(input);
            super::qrs_filter(input);
            super::pem_jwk(input);
            super::url_join(input);
        }
    }
}
