//! Credentials and the access-token cache.
//!
//! Tokens are scoped to one host (a tenant or a register host): the cache key is the origin plus
//! the credential, so a token obtained on tenant A is never sent to tenant B. One fetch at a time
//! per key; everyone else waits for it. Tokens live in memory only.

use super::jwt::SigningKey;
use crate::secret::Secret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How a handle authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An OAuth2 machine-to-machine client (tenant-level or region-level).
    Client {
        id: String,
        auth: ClientAuth,
        scope: Option<String>,
        impersonate: Option<Impersonation>,
    },
    /// A user's API key, sent as is.
    ApiKey(Secret),
    /// A user's API key read when the first request is sent.
    LazyApiKey(LazySecret),
    /// A bearer JWT sent as is (a QSEoW virtual proxy with JWT authentication).
    Jwt(Secret),
    /// Nothing in `Authorization`: the identity travels otherwise (a QSEoW client certificate,
    /// a header-authentication virtual proxy).
    Anonymous,
    /// A JWT authorization session (`POST /login/jwt-session`): its cookies go in `Cookie`,
    /// and its CSRF token in `qlik-csrf-token` on writes.
    Session(SessionCookies),
}

/// What a JWT authorization session sends back: both are secrets, never shown.
#[derive(Debug, Clone)]
pub struct SessionCookies {
    /// The `Cookie` header value (`name=value; ...`).
    pub cookies: Secret,
    /// The CSRF token, empty until read from `GET /api/v1/csrf-token`.
    pub csrf: Secret,
}

/// How an OAuth client proves itself at `/oauth/token`.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// `client_secret` in the JSON body.
    Secret(Secret),
    /// `client_secret` in the JSON body, read when the first token is fetched.
    Lazy(LazySecret),
    /// A signed `client_assertion` (Private Key JWT).
    PrivateKey(Arc<SigningKey>),
}

/// A secret read on first use, once for all clones (a named connection's OS keyring entry or
/// command): a run that never needs it never reads it.
#[derive(Clone)]
pub struct LazySecret {
    /// Whose it is, for the token cache (never the secret): `connection "prod"`.
    pub label: String,
    read: Arc<dyn Fn() -> Result<Secret, String> + Send + Sync>,
    value: Arc<OnceLock<Result<Secret, String>>>,
}

impl LazySecret {
    pub fn new(
        label: impl Into<String>,
        read: impl Fn() -> Result<Secret, String> + Send + Sync + 'static,
    ) -> LazySecret {
        LazySecret {
            label: label.into(),
            read: Arc::new(read),
            value: Arc::new(OnceLock::new()),
        }
    }

    /// The secret, read now if nothing read it before (a failure is kept too: not retried).
    pub fn get(&self) -> Result<Secret, String> {
        self.value.get_or_init(|| (self.read)()).clone()
    }

    /// The secret if something already read it.
    pub fn read_already(&self) -> Option<Secret> {
        self.value.get().and_then(|r| r.as_ref().ok()).cloned()
    }
}

impl std::fmt::Debug for LazySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LazySecret({})", self.label)
    }
}

/// The user an impersonation token acts as (`user_lookup`).
#[derive(Debug, Clone)]
pub struct Impersonation {
    /// `subject` or `userId`.
    pub field: &'static str,
    pub value: String,
}

impl Credentials {
    /// A client authenticated with a secret.
    pub fn client(id: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials::Client {
            id: id.into(),
            auth: ClientAuth::Secret(Secret::new(secret)),
            scope: None,
            impersonate: None,
        }
    }

    /// What identifies the credential in logs (never the secret).
    pub fn label(&self) -> String {
        match self {
            Credentials::Client {
                id,
                impersonate: Some(user),
                ..
            } => format!("client {id} as {} {}", user.field, user.value),
            Credentials::Client { id, .. } => format!("client {id}"),
            Credentials::ApiKey(_) | Credentials::LazyApiKey(_) => "api key".to_string(),
            Credentials::Jwt(_) => "jwt".to_string(),
            Credentials::Anonymous => "no bearer".to_string(),
            Credentials::Session(_) => "jwt session".to_string(),
        }
    }

    /// What tokens are cached under: the client id, a digest of how it authenticates, the
    /// scope and the impersonated user, so a handle built any other way never borrows this
    /// one's token.
    pub fn cache_key(&self) -> String {
        match self {
            Credentials::Client {
                id,
                auth,
                scope,
                impersonate,
            } => {
                let proof = match auth {
                    ClientAuth::Secret(secret) => {
                        let digest =
                            ring::digest::digest(&ring::digest::SHA256, secret.expose().as_bytes());
                        digest.as_ref()[..8]
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    }
                    ClientAuth::PrivateKey(key) => format!("key:{}", key.kid),
                    ClientAuth::Lazy(secret) => format!("lazy:{}", secret.label),
                };
                let user = impersonate
                    .as_ref()
                    .map(|u| format!("{}={}", u.field, u.value))
                    .unwrap_or_default();
                format!("{id} {proof} {} {user}", scope.as_deref().unwrap_or(""))
            }
            Credentials::ApiKey(_)
            | Credentials::LazyApiKey(_)
            | Credentials::Jwt(_)
            | Credentials::Anonymous
            | Credentials::Session(_) => String::new(),
        }
    }
}

/// A token we hold, with the instant we stop using it.
#[derive(Clone)]
pub struct Token {
    pub value: Secret,
    pub refresh_at: Instant,
}

/// Tokens are refreshed this long before they run out (or at 90 % of a short lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The longest lifetime we believe a token answer claims: beyond it (`expires_in` = 2^64, say)
/// the token is treated as living this long, and a 401 still refreshes it.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

impl Token {
    pub fn new(value: Secret, expires_in: Duration) -> Token {
        let expires_in = expires_in.min(MAX_TOKEN_LIFETIME);
        let margin = REFRESH_MARGIN.min(expires_in / 10);
        let now = Instant::now();
        Token {
            value,
            refresh_at: now.checked_add(expires_in - margin).unwrap_or(now),
        }
    }

    pub fn fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Token>>>;

/// Per-(origin, client) token slots.
#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<(String, String), Slot>>,
}

impl TokenCache {
    /// The slot for a key; hold its lock while fetching so concurrent callers wait for one fetch.
    pub fn slot(&self, origin: &str, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry((origin.to_string(), key.to_string()))
            .or_default()
            .clone()
    }

    /// Forgets `rejected` if it is still the cached token (a 401 said it is no longer valid).
    pub async fn invalidate(&self, origin: &str, key: &str, rejected: &Secret) {
        let slot = self.slot(origin, key);
        let mut held = slot.lock().await;
        if held.as_ref().is_some_and(|t| &t.value == rejected) {
            *held = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lifetimes_refresh_at_ninety_percent() {
        let t = Token::new(Secret::new("t"), Duration::from_secs(100));
        let left = t.refresh_at - Instant::now();
        assert!(left <= Duration::from_secs(90) && left > Duration::from_secs(85));
        assert!(t.fresh());
        let long = Token::new(Secret::new("t"), Duration::from_secs(21_600));
        assert!(long.refresh_at - Instant::now() > Duration::from_secs(21_000));
        let absurd = Token::new(Secret::new("t"), Duration::from_secs(u64::MAX));
        assert!(absurd.refresh_at - Instant::now() <= MAX_TOKEN_LIFETIME);
    }

    #[test]
    fn credentials_do_not_leak_in_debug() {
        let c = Credentials::client("abc", "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.label(), "client abc");
        let other = Credentials::client("abc", "other");
        assert_ne!(c.cache_key(), other.cache_key());
        assert!(!c.cache_key().contains("s3cr3t"));
        let Credentials::Client {
            id, auth, scope, ..
        } = c.clone()
        else {
            unreachable!()
        };
        let alice = Impersonation {
            field: "subject",
            value: "alice".into(),
        };
        let as_alice = Credentials::Client {
            id,
            auth,
            scope,
            impersonate: Some(alice),
        };
        assert_ne!(c.cache_key(), as_alice.cache_key());
        assert_eq!(as_alice.label(), "client abc as subject alice");
    }
}
