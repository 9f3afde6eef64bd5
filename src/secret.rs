//! A string that never shows itself in `Debug` or `Display` output, and the rules for what
//! looks secret in text we did not make (REPL input, quoted source lines).

use regex::Regex;
use std::fmt;
use std::sync::LazyLock;

/// A client secret, token or API key. Read it with [`Secret::expose`], only where it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: for request bodies and headers only, never for messages or logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Whether a variable, key or property name looks like it holds a secret (`clientSecret`,
/// `access_token`, `password`, `api_key`, `Authorization`, `private_key`, an IdP's
/// `base64Encoded` configuration).
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace(['_', '-'], "");
    [
        "secret",
        "token",
        "password",
        "apikey",
        "authorization",
        "private",
        "base64encoded",
    ]
    .iter()
    .any(|s| name.contains(s))
}

/// A JWT (a base64url JSON header `eyJ...`, a payload and a signature joined by dots), or the
/// credential after `Bearer`; the part to hide is group `c`.
static CREDENTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<c>\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)|(?i:\bbearer\s+)(?P<c2>[A-Za-z0-9._~+/-]{8,}=*)",
    )
    .unwrap_or_else(|e| panic!("the credential pattern: {e}"))
});

/// Whether `text` holds something that looks like a credential: a JWT or a `Bearer` value.
pub fn holds_credential(text: &str) -> bool {
    CREDENTIAL.is_match(text)
}

/// `text` with each credential's characters replaced by `*` (the length kept, so columns in a
/// quoted source line still line up).
pub fn mask_credentials(text: &str) -> String {
    let mut out = text.to_string();
    for caps in CREDENTIAL.captures_iter(text) {
        if let Some(m) = caps.name("c").or_else(|| caps.name("c2")) {
            out.replace_range(m.range(), &stars(m.as_str()));
        }
    }
    out
}

/// As many `*` as `text` has characters.
pub fn stars(text: &str) -> String {
    "*".repeat(text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(<redacted>) <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn secret_names_and_credentials() {
        for name in [
            "clientSecret",
            "client_secret",
            "access_token",
            "Authorization",
            "api-key",
            "apiKey",
            "PRIVATE_KEY",
            "password",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["clientName", "email", "host", "keys"] {
            assert!(!is_secret_name(name), "{name}");
        }
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert!(holds_credential(&format!("x {jwt} y")));
        assert!(holds_credential("Authorization: Bearer abcdefgh1234"));
        assert!(!holds_credential("a bearer of news"));
        assert_eq!(
            mask_credentials(&format!("\"{jwt}\", \"bearer abcdefgh1234\"")),
            format!("\"{}\", \"bearer ************\"", stars(jwt))
        );
    }
}
