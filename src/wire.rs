//! Wire details that the reference marks `[?]` (not confirmed against real Qlik Cloud).
//!
//! Every assumption lives here, once, with its reasoning, so that the client and the simulator
//! agree and a correction is a one-line change. Confirmed facts live next to the code using them.

/// Register hosts of `uk`, `de`, `sg`, `ap`, `jp` are assumed to follow `register.<code>.<domain>`
/// like the documented `us` and `eu`.
pub fn register_host(code: &str, domain: &str) -> String {
    format!("register.{code}.{domain}")
}

/// `token_type` is `"bearer"` in the tutorial and `"Bearer"` in the organization example: the
/// client compares it case-insensitively; the simulator answers as the tenant tutorial shows.
pub const TOKEN_TYPE: &str = "bearer";

/// A 503 that carries `Retry-After` is read as the service saying it did not act on the request
/// (overload or maintenance, RFC 9110 §15.6.4): the client waits and sends it again whatever
/// the method, as it does after a 429. A 5xx without `Retry-After` may have been acted on, so
/// only idempotent requests are repeated. Qlik does not document its 503s; the simulator's
/// injected 503 faults carry `Retry-After` and are never applied.
pub const UNAVAILABLE_WITH_RETRY_AFTER_NOT_APPLIED: bool = true;

/// The `Retry-After` (seconds) of the simulator's injected 503 faults.
pub const FAULT_RETRY_AFTER_SECS: u64 = 1;

/// The simulator's `error` faults answer 500 or 502, never with `Retry-After`, and are never
/// applied (a client cannot know that: a 5xx without `Retry-After` may have been acted on).
/// Qlik does not document its 5xx answers. A 500 comes from the service, in the common errors
/// body (`HTTP-500`, like the documented 429); a 502 comes from the edge proxy in front of the
/// services, which answers as load balancers and nginx do: an HTML page, not JSON
/// ([`FAULT_BAD_GATEWAY_HTML`], `text/html`).
pub const FAULT_ERROR_STATUSES: [u16; 2] = [500, 502];
pub const FAULT_BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/// A `slow` fault holds an answer back this many milliseconds of simulator time (real time
/// divided by `--time-scale`, as token lifetimes and rate windows are), on top of `--latency`:
/// long enough to show in a run's wall time and to overlap other requests, well under any sane
/// client timeout (qops waits 300 s).
pub const SLOW_FAULT_MS: std::ops::RangeInclusive<u64> = 2_000..=4_000;

/// `POST /oauth/token` can meet faults of every kind, as the APIs can: real token endpoints
/// fail too (a 5xx, a reset), and a lost token answer costs nothing but a second grant (the
/// bot user of a client is made once, whatever the number of grants). The static documents
/// (`/.well-known/oauth-authorization-server`, `product-info.json`) and the simulator's own
/// `/_sim/*` are never struck; nor are requests the router refuses (unknown host or path, 405),
/// nor HEAD requests.
pub const TOKEN_ENDPOINT_FAULTED: bool = true;

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
/// `POST /groups/actions/filter` is a Special endpoint with the same 200/min (reference §9.3).
pub const GROUPS_FILTER_PER_MINUTE: u64 = 200;

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

/// A disabled (deactivated) tenant refuses tokens and API calls. Not documented; we answer 403
/// with an `HTTP-403` errors body whose detail says the tenant is disabled.
pub const TENANT_DISABLED_STATUS: u16 = 403;
pub const TENANT_DISABLED_CODE: &str = "HTTP-403";
pub const TENANT_DISABLED_TITLE: &str = "Forbidden";

/// Users error codes are not documented beyond the `USERS-<n>` format; these are ours.
pub const USERS_BAD_REQUEST_CODE: &str = "USERS-1";
pub const USERS_FORBIDDEN_CODE: &str = "USERS-3";
pub const USERS_NOT_FOUND_CODE: &str = "USERS-7";
pub const USERS_CONFLICT_CODE: &str = "USERS-9";
pub const USERS_TOO_LARGE_CODE: &str = "USERS-13";
/// POST /users answers 413 above "500 kB"; read as 500 × 1024 bytes.
pub const USERS_MAX_BODY_BYTES: usize = 500 * 1024;
/// `GET /users` deprecated parameters (spec: "`filter` cannot be combined with" them). qlik-sdk
/// 0.17 sends `status=active&sortBy=name&sortOrder=asc` on every call, filter or not, so with
/// `filter` those default values are ignored (not applied) and any other deprecated parameter
/// is 400 [?]; without `filter` each is applied as the old spec describes (status, email,
/// subject, role name, tenantId equality; sortBy/sortOrder when `sort` is absent; the
/// id cursors startingAfter/endingBefore).
pub const USERS_DEPRECATED_PARAMS: &[&str] = &[
    "email",
    "subject",
    "status",
    "role",
    "tenantId",
    "sortBy",
    "sortOrder",
    "startingAfter",
    "endingBefore",
];
pub const USERS_DEPRECATED_DEFAULTS: &[(&str, &str)] = &[
    ("status", "active"),
    ("sortBy", "name"),
    ("sortOrder", "asc"),
];

/// Roles error codes (400, 404) are not documented; these are ours.
pub const ROLES_BAD_REQUEST_CODE: &str = "ROLES-1";
pub const ROLES_NOT_FOUND_CODE: &str = "ROLES-4";

/// Tenants errors other than the documented `TENANTS-8/10/21/22/23` (malformed body, bad
/// `purgeAfterDays`, missing TenantAdmin, bad `qlik-confirm-hostname`) use `HTTP-<status>`
/// codes with the reason phrase as title, in the tenants body shape (string `status`).
pub const TENANTS_CONFIRM_FAILED_CODE: &str = "HTTP-412";

/// Tenant PATCH `/hostnames/1` takes an alias as a bare subdomain or `<sub>.<region>.<domain>`;
/// the subdomain must be 3..=63 of `[a-z0-9-]` (the documented TENANTS-10 meta title).
pub const TENANT_ALIAS_SUBDOMAIN_LEN: std::ops::RangeInclusive<usize> = 3..=63;

/// POST /tenants with the legacy `name` and/or `hostnames` (reference §3.2, absent from the
/// current spec, [?] whether still accepted): we accept both. The name follows the alias rule
/// above (3..=63 of `[a-z0-9-]`, lowercased, no hyphen at either end, `register`/`qseow`
/// reserved) and becomes the tenant's `name` and hostname `<name>.<region>.<domain>`; a single
/// `hostnames` entry (bare or full) must line up with it, or alone names the tenant; more
/// entries are a 400. Without either, the name is generated as before. This lets a client that
/// lost the answer to a creation find the tenant it created by its hostname.
///
/// A chosen name whose hostname is taken in the region (as a primary hostname or an alias) is
/// refused with 409 Conflict, code `HTTP-409` (the tenants convention above for undocumented
/// errors), pointer `/name`, without the other tenant's id. 409 because the request is valid
/// and only the world's state stands in its way, as for every unique key in the simulator.
/// It is checked after the license key and BEFORE the quota: a client that lost the answer to
/// its own creation and sends it again learns "taken" (and looks the tenant up), not "quota
/// reached", even when its tenant took the last slot.
pub const TENANT_NAME_TAKEN_STATUS: u16 = 409;
pub const TENANT_NAME_TAKEN_CODE: &str = "HTTP-409";

/// Invitations (POST /users with status invited, PATCH renew /inviteExpiry) last 7 days.
pub const INVITE_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// Licenses error codes for a bad settings body and a non-admin PUT are not documented
/// (documented ones: LICENSES-011, LICENSES-016); these are ours.
pub const LICENSES_BAD_REQUEST_CODE: &str = "LICENSES-001";
pub const LICENSES_FORBIDDEN_CODE: &str = "LICENSES-003";

/// POST /licenses/assignments/actions/add for a subject that already holds an assignment: the
/// spec lists only 201/403/404 item statuses. We answer a 409 item with this code (title
/// "Assignment already exists") rather than silently replacing the type (that is `update`).
pub const LICENSES_ALREADY_ASSIGNED_CODE: &str = "LICENSES-009";

/// GET /licenses/consumption: the simulator invents this many analyzer-time records (one per
/// active human user of the tenant, oldest first); real records come from real sessions.
pub const CONSUMPTION_RECORDS: usize = 4;

/// `filter` on GET /licenses/assignments is undocumented; we accept the SCIM subset with
/// `subject eq|co` and `type eq`.
pub const LICENSES_ASSIGNMENTS_FILTER: &str = "SCIM: subject eq|co, type eq";

/// Groups error codes are undocumented; errors use the roles-style body
/// `{errors:[{code,title,detail}], traceId}` with these codes.
pub const GROUPS_BAD_REQUEST_CODE: &str = "GROUPS-1";
pub const GROUPS_FORBIDDEN_CODE: &str = "GROUPS-3";
pub const GROUPS_NOT_FOUND_CODE: &str = "GROUPS-4";
pub const GROUPS_CONFLICT_CODE: &str = "GROUPS-9";

/// GET /groups/settings `systemGroups`: a map keyed by group id; the one system group is
/// "Everyone" (the id and name are assumptions following Qlik's fixed-id convention).
pub const GROUPS_EVERYONE_ID: &str = "000000000000000000000001";
pub const GROUPS_EVERYONE_NAME: &str = "com.qlik.Everyone";

/// Spaces error codes are undocumented; errors use the roles-style body
/// `{errors:[{code,title,detail}], traceId}` with these codes. 412 on DELETE of a non-empty
/// space is documented; "non-empty" is read as "holds at least one app" (assignments do not
/// count).
pub const SPACES_BAD_REQUEST_CODE: &str = "SPACES-1";
pub const SPACES_FORBIDDEN_CODE: &str = "SPACES-3";
pub const SPACES_NOT_FOUND_CODE: &str = "SPACES-4";
pub const SPACES_CONFLICT_CODE: &str = "SPACES-9";
pub const SPACES_NOT_EMPTY_CODE: &str = "SPACES-12";
/// A space assignment naming an unknown user or group answers 404 (the spec lists 404 and not
/// 400 for assignments); PATCH of an assignment answers 200 with the Assignment.
pub const SPACES_UNKNOWN_ASSIGNEE_STATUS: u16 = 404;
/// `GET /spaces?action=publish` ("supports only publish"): the managed spaces the caller may
/// publish apps to: owned, or held with a role that publishes (qlik.dev "Space roles": a
/// managed space's `publisher` "Can publish"; `facilitator` manages members) [?].
pub const SPACES_PUBLISH_ROLES: &[&str] = &["publisher", "facilitator"];

/// Apps error codes are undocumented; same roles-style body.
pub const APPS_BAD_REQUEST_CODE: &str = "APPS-1";
pub const APPS_FORBIDDEN_CODE: &str = "APPS-3";
pub const APPS_NOT_FOUND_CODE: &str = "APPS-4";
/// Moving apps between tenants (Apps and temp-contents specs). Confirmed there [C]: export
/// answers 201 with a `Location` on the temporary content service; import answers 200 or 404;
/// download answers 200, 404 or 410 (expired); upload TTL defaults to 3600 s, max 259200 s;
/// export, import, publish and republish are Tier 2 (100/min), GETs Tier 1. Assumed [?]: the
/// `Location` is a path on the tenant (`/api/v1/temp-contents/{id}`), resolved against the
/// request URL; an export lives [`APP_EXPORT_TTL_SECS`]; the codes and statuses below.
pub const APP_EXPORT_TTL_SECS: i64 = 3600;
pub const TEMP_CONTENTS_DEFAULT_TTL_SECS: i64 = 3600;
pub const TEMP_CONTENTS_MAX_TTL_SECS: i64 = 259_200;
pub const TEMP_CONTENTS_BAD_REQUEST_CODE: &str = "TEMP-CONTENTS-1";
pub const TEMP_CONTENTS_NOT_FOUND_CODE: &str = "TEMP-CONTENTS-4";
pub const TEMP_CONTENTS_GONE_CODE: &str = "TEMP-CONTENTS-10";
/// The simulator's largest importable app file [?]: Qlik's limits are per license (GBs) and
/// not in the spec; a small limit keeps the over-size answer testable. The answer is 413
/// `Payload Too Large` in the apps error body [?] (the spec lists only 200 and 404).
pub const APP_IMPORT_MAX_BYTES: usize = 2 << 20;
pub const APPS_TOO_LARGE_CODE: &str = "APPS-13";
/// Importing into a managed or data space, or publishing to a shared one, answers 400 [?]
/// (apps reach managed spaces only by publishing; the spec names no status).
pub const APPS_WRONG_SPACE_TYPE_STATUS: u16 = 400;
/// Publishing an app to a managed space it is already published to, or republishing over a
/// copy of another app with `checkOriginAppId`, answers 409 [?].
pub const APPS_CONFLICT_CODE: &str = "APPS-9";

/// Users created by POST /users/actions/invite get this subject prefix before the lowercased
/// email: Qlik assigns the real subject when the invitee first logs in through the IdP; the
/// value before that is not documented.
pub const INVITED_SUBJECT_PREFIX: &str = "invite|";
/// API keys (reference §1.2). The tenant maximum `max_api_key_expiry` is not documented; we
/// assume one year (`P365D`), which is also the default `expiry` of a new key. Durations are
/// ISO-8601 (`P7D`, `PT12H`, `P1Y` = 365 days, `P1M` = 30 days, `P1W` = 7 days).
pub const API_KEY_MAX_EXPIRY: &str = "P365D";
pub const API_KEY_MAX_EXPIRY_SECS: i64 = 365 * 86_400;
/// `max_keys_per_user` of the api-keys config: not documented; assumed 5.
pub const API_KEY_MAX_PER_USER: usize = 5;
/// Api-keys error codes are not documented beyond the common `<API>-<n>` form; these are ours,
/// in the users/IdP body shape (numeric `status`, `traceId`).
pub const API_KEYS_BAD_REQUEST_CODE: &str = "API-KEYS-1";
pub const API_KEYS_FORBIDDEN_CODE: &str = "API-KEYS-3";
pub const API_KEYS_NOT_FOUND_CODE: &str = "API-KEYS-4";
pub const API_KEYS_CONFLICT_CODE: &str = "API-KEYS-9";
/// An API key is a JWT-shaped bearer token; ours carry this `iss` and `aud` (the real values
/// are not documented).
pub const API_KEY_ISSUER: &str = "qlik.api.internal/api-keys";
pub const API_KEY_AUDIENCE: &str = "qlik.api";

/// OAuth clients (reference §7). Error codes are not documented (body `{errors:[{code,title,
/// detail?}]}`, no `status`, no `traceId`); these are ours.
pub const OAUTH_CLIENTS_BAD_REQUEST_CODE: &str = "OAUTH-CLIENTS-1";
pub const OAUTH_CLIENTS_FORBIDDEN_CODE: &str = "OAUTH-CLIENTS-3";
pub const OAUTH_CLIENTS_NOT_FOUND_CODE: &str = "OAUTH-CLIENTS-4";
pub const OAUTH_CLIENTS_CONFLICT_CODE: &str = "OAUTH-CLIENTS-9";
/// DELETE without (or with a different) `qlik-confirm-delete: <clientId>` header: 412 is the
/// tenants API's answer to a missing confirmation header; we assume the same status here, with
/// this code.
pub const OAUTH_CLIENTS_CONFIRM_STATUS: u16 = 412;
pub const OAUTH_CLIENTS_CONFIRM_CODE: &str = "OAUTH-CLIENTS-12";
/// At most five client secrets per client (documented); the sixth is a 409.
pub const OAUTH_CLIENT_MAX_SECRETS: usize = 5;
/// The `hint` of a client secret: not documented beyond its existence; we show the secret's
/// last four characters.
pub const OAUTH_CLIENT_SECRET_HINT_LEN: usize = 4;

/// Token grants beyond client credentials (reference §1.1).
pub const GRANT_IMPERSONATION: &str = "urn:qlik:oauth:user-impersonation";
/// RFC 7523 parameter value; Qlik's docs do not show the parameter names verbatim.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// A grant the client may not use (RFC 6749 `unauthorized_client`) and an unknown or inactive
/// impersonated user are 400s (RFC 6749 §5.2: `invalid_grant`/`unauthorized_client` are 400);
/// failed client authentication (secret or assertion) is 401 (`invalid_client`).
pub const TOKEN_UNAUTHORIZED_CLIENT_STATUS: u16 = 400;
pub const TOKEN_UNKNOWN_USER_STATUS: u16 = 400;

/// Identity providers (reference §6). Codes other than the documented `IDENTITIES-10402`
/// example are ours; the body carries a numeric `status` and a `traceId`.
pub const IDENTITIES_BAD_REQUEST_CODE: &str = "IDENTITIES-1";
pub const IDENTITIES_FORBIDDEN_CODE: &str = "IDENTITIES-3";
pub const IDENTITIES_NOT_FOUND_CODE: &str = "IDENTITIES-4";
/// A PATCH whose `QLIK-IDP-POPTS-MATCH` header names other pending options: 412 (documented),
/// with this code (ours).
pub const IDENTITIES_PRECONDITION_CODE: &str = "IDENTITIES-12";
/// The Multi-cloud IdP (`protocol: "qsefw-local-bearer-token"`, `provider: "qlik"`,
/// `interactive: false`) has no public create schema. We accept BOTH forms seen or inferred:
/// (a) `base64Encoded: "<the QSEoW deployment's token, Qlik Cloud format>"` (a third-party
/// script) and (b) `options: {issuer, staticKeys: [{kid, pem}]}` (the jwtAuth analogue). Both
/// are normalised to one stored shape: `options: {issuer?, staticKeys: [...]}` (empty keys for
/// (a) until the token is decoded) and `base64Encoded` kept verbatim when given, so a later
/// decoder of the QSEoW trust token can read it back. A `base64Encoded` value (on create, or
/// a JSON Patch `replace /base64Encoded`) must be a token the simulated site's hybrid
/// deployment service issued, else 400 in the identities error shape [I]: a real tenant can
/// only check the token's form (base64 of a JSON definition with a public key), the simulator
/// holds the site too and checks that it issued it.
pub const MULTICLOUD_PROTOCOL: &str = "qsefw-local-bearer-token";
pub const MULTICLOUD_PROVIDER: &str = "qlik";
/// `QLIK-IDP-POPTS` is documented as a "uuid hash of the pending config"; ours is the
/// SHA-256 of the IdP's `pendingOptions`/`options` JSON, formatted as a UUID.
pub const IDP_POPTS_HEADER: &str = "QLIK-IDP-POPTS";

/// JWT authorization sessions (`POST /login/jwt-session`, qlik.dev "Login" API and "Create
/// signed tokens for JWT authorization"). Confirmed: `aud`, the claim list, the one-hour
/// `exp - nbf` window, single-use `jti`, signatures "other than HS", and the error body of a
/// missing claim: 400 `{errors:[{title:"Invalid token request", detail:"JWT_LOGIN_VALIDATIONS
/// Missing required claim: nbf", code:"INTERNAL-TOKEN-1", status:"400"}], traceId}` (a Qlik
/// support thread). Assumed [?]: every claim-validation refusal (audience, times, window,
/// reused `jti`, `subType`) has that same 400 shape; an unknown issuer or kid, a bad signature,
/// an HS/none algorithm, or an inactive IdP is 401 (the Login API's documented "Invalid login")
/// with code `LOGIN-1`; `email_verified` is required like the other listed claims; `groups`
/// is optional.
pub const JWT_SESSION_AUDIENCE: &str = "qlik.api/login/jwt-session";
pub const JWT_SESSION_MAX_WINDOW_SECS: i64 = 3600;
pub const JWT_SESSION_REQUIRED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "subType",
    "name",
    "email",
    "email_verified",
    "jti",
    "iat",
    "nbf",
    "exp",
];
/// Verifiable with ring: RSA PKCS#1 v1.5 and ECDSA P-256/P-384 (ES512 is not offered).
pub const JWT_SESSION_ALGS: &[&str] = &["RS256", "RS384", "RS512", "ES256", "ES384"];
pub const JWT_SESSION_INVALID_CODE: &str = "INTERNAL-TOKEN-1";
pub const JWT_SESSION_INVALID_TITLE: &str = "Invalid token request";
pub const JWT_SESSION_INVALID_PREFIX: &str = "JWT_LOGIN_VALIDATIONS ";
pub const JWT_SESSION_UNAUTHORIZED_CODE: &str = "LOGIN-1";
/// A login whose subject has no user while the IdP has `createNewUsersOnLogin: false`, or whose
/// user is disabled: 403 `AUTH-5` "User is not a member of tenant" (a Qlik support article
/// shows this body for an interactive login; assumed the same here [?]).
pub const JWT_SESSION_NOT_MEMBER_CODE: &str = "AUTH-5";
/// Cookie names [?]: Qlik Cloud's edge sets a signed session cookie pair and a CSRF cookie
/// pair as seen in browsers (`_session`, `_session.sig`, `_csrfToken`, `_csrfToken.sig`); the
/// token itself is read, as @qlik/api does for cookie auth, from the `qlik-csrf-token` header of
/// `GET /api/v1/csrf-token` (documented: 204 with the header; 400 for auth without a session).
/// Writes through a session must send it back in `qlik-csrf-token`; without it (or wrong) they
/// are refused 403 `CSRF-1` [?].
pub const SESSION_COOKIE: &str = "_session";
pub const SESSION_SIG_COOKIE: &str = "_session.sig";
pub const CSRF_COOKIE: &str = "_csrfToken";
pub const CSRF_SIG_COOKIE: &str = "_csrfToken.sig";
pub const CSRF_HEADER: &str = "qlik-csrf-token";
pub const CSRF_REFUSED_CODE: &str = "CSRF-1";
pub const CSRF_NOT_SUPPORTED_CODE: &str = "CSRF-2";
/// A session's lifetime on the sim clock [?] (Qlik does not document it; an hour of idle
/// time is what browsers observe).
pub const JWT_SESSION_LIFETIME_SECS: i64 = 3600;
/// Groups named in the `groups` claim: with the tenant's `autoCreateGroups` on, missing ones
/// are created (`providerType: "idp"`); existing groups of that name are assigned either way,
/// and the user's earlier IdP groups are replaced by the claim's list (custom groups stay) [?].
pub const JWT_SESSION_GROUPS_REPLACE: bool = true;

/// QSEoW hybrid deployment service (HDS). Create and `elastictokenconfig` are seen in public
/// scripts; list, get, update (PUT), delete follow REST symmetry; test connection's path is not
/// documented anywhere and is ours.
pub const HDS_DEPLOYMENTS: &str = "api/hds/v1/Deployments";
pub const HDS_TOKEN_CONFIG: &str = "elastictokenconfig";
pub const HDS_TEST_CONNECTION: &str = "actions/test";

/// Deployment JSON fields for the client-credentials mode (the UI shows Client ID, Client secret
/// and Token endpoint; a pre-release harness used these names).
pub const DEPLOYMENT_CLIENT_ID: &str = "clientId";
pub const DEPLOYMENT_CLIENT_SECRET: &str = "clientSecret";
pub const DEPLOYMENT_TOKEN_ENDPOINT: &str = "authenticationUrl";

/// The `category` of a distribution-policy SystemRule is not documented; policies are
/// recognised by `resourceFilter` `App_*` plus the Distribute bit, never by category.
pub const DISTRIBUTION_POLICY_CATEGORY: &str = "Security";
// ---------------------------------------------------------------------------------------------
// QSEoW site (shared/reference/qseow-multicloud.md). Everything marked [?]/[U]/[I] there.
// ---------------------------------------------------------------------------------------------

/// Missing, mismatched or malformed Xrfkey (reference §1: "request is rejected" [I]; status and
/// text [U]). We answer 403 with this plain-text body, the text QRS is known to log/answer for
/// XSRF failures.
pub const QSEOW_XRF_FAILED_STATUS: u16 = 403;
pub const QSEOW_XRF_FAILED_TEXT: &str = "XSRF prevention check failed. Possible XSRF discovered.";

/// Without `X-Qlik-User` a certificate client acts as the repository's service account
/// (the docs' example admin identity, reference §1).
pub const QSEOW_DEFAULT_USER_DIRECTORY: &str = "INTERNAL";
pub const QSEOW_DEFAULT_USER_ID: &str = "sa_repository";

/// An `X-Qlik-User` header without both `UserDirectory=` and `UserId=`: not documented; we
/// answer 400 in plain text. A well-formed header naming a user the site does not know is
/// accepted as a non-admin (the real QRS would create the user on first sight and deny it
/// everything but what security rules allow; we allow reads).
pub const QSEOW_BAD_USER_HEADER_STATUS: u16 = 400;
pub const QSEOW_BAD_USER_HEADER_TEXT: &str =
    "X-Qlik-User must be UserDirectory=<directory>; UserId=<user id>";

/// A write by a user who is not a site admin: 403 (repository log `Result=403;ResultText=Error:
/// Security`, reference §1 [C]); the plain-text body is ours.
pub const QSEOW_FORBIDDEN_TEXT: &str = "Access denied: the user is not allowed to do this";

/// PUT with a `modifiedDate` other than the stored one (reference §1: conflict [C], HTTP code
/// [U]). We answer 409 Conflict with this plain-text body. A PUT without `modifiedDate` is
/// accepted (no concurrency check), like the QRS tip implies it only compares when sent.
pub const QSEOW_CONFLICT_STATUS: u16 = 409;
pub const QSEOW_CONFLICT_TEXT: &str =
    "Conflict: the entity was modified by someone else since it was read (modifiedDate differs)";

/// `/qrs/about` values [I]: shaped like a May 2024 site on PostgreSQL; the exact strings are
/// invented.
pub const QSEOW_ABOUT_BUILD_VERSION: &str = "14.187.4.0";
pub const QSEOW_ABOUT_BUILD_DATE: &str = "5/20/2024 12:00:00 AM";
pub const QSEOW_ABOUT_DATABASE_PROVIDER: &str = "Devart.Data.PostgreSql";

/// `publishTime` of an app never published: QRS shows the .NET minimum date [I].
pub const QSEOW_NEVER_PUBLISHED: &str = "1753-01-01T00:00:00.000Z";

/// SystemRule `category`/`type` when the client sends none. The category of distribution
/// policies is [U] (reference §3.1); `Security` is what QMC's own rules carry, `Custom` is what
/// clients send for `type`. Policies are recognised by resourceFilter + Distribute bit only.
pub const QSEOW_SYSTEMRULE_DEFAULT_CATEGORY: &str = "Security";
pub const QSEOW_SYSTEMRULE_DEFAULT_TYPE: &str = "Custom";
/// A distribution policy: resourceFilter starting `App_` (default `App_*`) and actions with
/// the Distribute bit (reference §3.2, §7.5 [I]).
pub const QSEOW_POLICY_RESOURCE_PREFIX: &str = "App_";
pub const QSEOW_DISTRIBUTE_ACTION: i64 = 1024;
/// The app custom property whose values become tags on the cloud copy (reference §3.4 [C]).
pub const QSEOW_TAGS_PROPERTY: &str = "Tags";

/// HDS errors: the service is ASP.NET Core; we answer RFC 7807 ProblemDetails
/// `{type, title, status, detail}` [I] (no HDS error body is documented).
pub const QSEOW_HDS_PROBLEM_TYPE: &str = "https://tools.ietf.org/html/rfc7231#section-6.5";
/// `localBearerToken` omitted on create: true (the default mode in the UI, reference §2.2).
pub const QSEOW_HDS_LOCAL_BEARER_DEFAULT: bool = true;
/// `elastictokenconfig` without `qcsFormat=True`: the QSEoK ("elastic") format is not
/// modelled [I]; 400 with this detail.
pub const QSEOW_HDS_ELASTIC_FORMAT_REFUSAL: &str =
    "Only qcsFormat=True (the Qlik Cloud format) is supported";

/// The Qlik-Cloud-format token's content (reference §6.2 [U]): base64 (standard, padded) of
/// JSON `{issuer, kid, pem, audience}` where `kid` is the deployment id, `pem` the SPKI PEM of
/// the deployment's ECDSA P-256 key and `issuer` this URL.
pub fn qseow_hds_issuer(site_host: &str, deployment_id: &str) -> String {
    format!("https://{site_host}/hds/{deployment_id}")
}
/// The local bearer token [U]: ES256 JWT, header `{alg, typ, kid=<deployment id>}`, claims
/// `iss` (above), `sub` = deployment id, `aud` = this, `iat`, `exp` = iat + lifetime; sent to
/// the tenant as is (no exchange step modelled).
pub const QSEOW_HDS_TOKEN_AUDIENCE: &str = "qlik.api";
pub const QSEOW_HDS_JWT_LIFETIME_SECS: i64 = 300;

/// Items API (`GET /api/v1/items`) for staged apps: `spaceId` is `""` for an app in no space
/// and `ownerId` `""` for an unowned (staged) app [I]; distributed tags are shown as
/// `meta.tags: [{id, name}]` with ids derived from the names [I].
pub const ITEMS_NO_SPACE: &str = "";

/// Multi-cloud distribution, what the reference leaves open (qseow-multicloud §4 [U]/[I]):
/// - The cloud copy of a distributed app keeps the QSEoW app's id [I] (the id is how qops tells
///   a tenant's copy from its other apps; the reference names no other link).
pub const QSEOW_DISTRIBUTED_APP_KEEPS_ID: bool = true;
/// - Re-evaluation (a change, move, reload of a published app) withdraws the copy from every
///   deployment no policy matches any more, and deleting the app withdraws all its copies [I]
///   (re-evaluation on delete, S12; the `Deleting` state of S20). There is no unpublish in QRS.
///   A policy change alone withdraws nothing: the copy stays (drift reports it *unexpected*)
///   until the app's next trigger.
pub const QSEOW_WITHDRAW_ON_REEVALUATION: bool = true;
// - A copy is current when its name is the app's and its `modifiedDate` is not older than the
//   app's `modifiedDate` [I] (every distribution stamps the copy; the app's `modifiedDate`
//   moves on every change and reload). See `qseow::drift`.
// - `POST /qrs/app/{id}/reload` (reference: no body, no return value) answers 204 [I].
// - A re-save (`PUT /qrs/app/{id}` of the app as read, with its `modifiedDate`) counts as a
//   change and so re-evaluates a published app [I]; `mc::reconcile` uses it unless told to
//   reload.
