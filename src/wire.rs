//! Wire details that the reference marks `[?]` (not confirmed against real Qlik Cloud).
//!
//! Every assumption lives here, once, with its reasoning, so that the client and the simulator
//! agree and a correction is a one-line change. Confirmed facts live next to the code using them.

/// Register hosts of `uk`, `de`, `sg`, `ap`, `jp` are assumed to follow `register.<code>.<domain>`
/// like the documented `us` and `eu`.
pub const REGISTER_HOST_PATTERN: &str = "register.<code>.<domain>";

/// `token_type` is `"bearer"` in the tutorial and `"Bearer"` in the organization example: the
/// client compares it case-insensitively; the simulator answers as the tenant tutorial shows.
pub const TOKEN_TYPE: &str = "bearer";

/// Access-token lifetime in seconds (6 h, documented for the console and stated for tenants).
pub const TOKEN_LIFETIME_SECS: u64 = 21_600;

/// Default `purgeAfterDays` on deactivate, and its bounds (documented for OEMs).
pub const PURGE_AFTER_DAYS_DEFAULT: i64 = 30;
pub const PURGE_AFTER_DAYS_MIN: i64 = 10;
pub const PURGE_AFTER_DAYS_MAX: i64 = 90;

/// Rate limits are documented per minute "evaluated over a 5-minute window (bursts allowed)".
/// We read that as a rolling 5-minute window holding five minutes' worth of requests.
pub const RATE_WINDOW_SECS: u64 = 300;
pub const TIER1_PER_MINUTE: u64 = 1_000;
pub const TIER2_PER_MINUTE: u64 = 100;
pub const USERS_FILTER_PER_MINUTE: u64 = 200;

/// The 401 body for a missing, expired or foreign token: not documented; shaped like the
/// common `errors` body with an HTTP-style code, as the documented 429 body is.
pub const UNAUTHORIZED_CODE: &str = "HTTP-401";
pub const UNAUTHORIZED_TITLE: &str = "Unauthorized";

/// `/oauth/token` error codes are not documented; these follow the 429 body's `HTTP-<status>`.
pub const TOKEN_BAD_REQUEST_CODE: &str = "HTTP-400";
pub const TOKEN_INVALID_CLIENT_CODE: &str = "HTTP-401";

/// POST `/api/v1/users` accepts `status: "active"` (qlik.dev tutorial) besides the spec's `invited`.
pub const USER_CREATE_STATUSES: &[&str] = &["invited", "active"];

/// A `datacenter` outside the register host's region is refused with 400 (not documented).
pub const DATACENTER_MISMATCH_CODE: &str = "TENANTS-11";
