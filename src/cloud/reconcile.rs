//! Reconciliation: when a create may have happened but its answer is lost (the process died
//! after the request left, or the connection broke, or a 5xx came back), look the object up by
//! its natural key and adopt it instead of creating a second one.
//!
//! | create | natural key | looked up with |
//! |---|---|---|
//! | POST register `/api/v1/tenants` | the hostname qops chose (`name`) | GET `/api/v1/tenants/me` on that host |
//! | POST `/api/v1/users` | `subject` (else `email`) | GET `/api/v1/users?filter=subject eq ".."` |
//! | POST `/api/v1/groups` | `name` | GET `/api/v1/groups?filter=name eq ".."` |
//! | POST `/api/v1/roles` | `name` | GET `/api/v1/roles?filter=name eq ".."` |
//! | POST `/api/v1/spaces` | `name` | GET `/api/v1/spaces?name=..` (exact match) |
//! | POST `/api/v1/spaces/{id}/assignments` | `assigneeId` | GET `/api/v1/spaces/{id}/assignments` |
//! | POST `/api/v1/identity-providers` | `options.issuer` (else protocol + description) | GET `/api/v1/identity-providers` |
//! | POST `/api/v1/oauth-clients` | `clientName` | GET `/api/v1/oauth-clients?filter=clientName eq ".."`, then a new secret (the lost answer held the only copy) |
//! | POST `/api/v1/licenses/assignments/actions/add` | each `subject` | GET `/api/v1/licenses/assignments?filter=subject eq ".."` |
//!
//! Lookups are reads (every page of a list); the one write (a replacement OAuth client secret)
//! goes straight to the wire ([`Client::transmit`]) and is recorded under the adopting call's
//! own journal key.

use super::error::{Error, Result};
use super::http::{Client, Request, Response, Service};
use super::users::scim_string;
use super::PAGE_SIZE;
use reqwest::Method;
use serde_json::{json, Value};

/// How to find the object a create made.
#[derive(Debug, Clone)]
pub enum Natural {
    /// A tenant by the hostname chosen for it.
    Tenant { host: String },
    /// The first item of a list whose `field` (a JSON pointer) equals `value`.
    Listed {
        path: String,
        query: Vec<(&'static str, String)>,
        field: &'static str,
        value: String,
        then: Then,
    },
    /// Every subject of a license `add` holds an assignment.
    Assignments { subjects: Vec<(String, Value)> },
}

/// What to do with an adopted object before answering with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Adopt,
    /// An OAuth client: its secret was only in the lost answer; issue a new one.
    NewSecret,
}

/// The tenant name qops gives a tenant it creates when the script named none: 16 characters
/// of `[a-z0-9]` from `seed` (the journal key when there is a journal, so a rerun asks for the
/// same name; random otherwise, so two runs never collide).
pub fn tenant_name(seed: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
    let mut name = String::from("q");
    for b in digest.as_ref().iter().take(15) {
        name.push(char::from(
            b"abcdefghijklmnopqrstuvwxyz0123456789"[(*b % 36) as usize],
        ));
    }
    name
}

/// The natural key of a create, if it has one. A tenant creation without a `name` gets one
/// (from `seed`), so that it can be found again.
pub fn natural(svc: &Service, req: &mut Request, seed: &str) -> Option<Natural> {
    if req.method != Method::POST {
        return None;
    }
    let path = req.url.path().to_string();
    let body = req.body.as_mut()?;
    let text = |body: &Value, pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let listed = |path: &str, filter_field: &str, field, value: String, then| Natural::Listed {
        path: path.to_string(),
        query: vec![(
            "filter",
            format!("{filter_field} eq {}", scim_string(&value)),
        )],
        field,
        value,
        then,
    };
    match path.as_str() {
        "/api/v1/tenants" if svc.host().starts_with("register.") => {
            let name = match text(body, "/name") {
                Some(name) => name,
                None => {
                    let name = tenant_name(seed);
                    body["name"] = json!(name);
                    name
                }
            };
            let domain = svc.host().trim_start_matches("register.");
            Some(Natural::Tenant {
                host: format!("{name}.{domain}"),
            })
        }
        "/api/v1/users" => match (text(body, "/subject"), text(body, "/email")) {
            (Some(s), _) => Some(listed(&path, "subject", "/subject", s, Then::Adopt)),
            (None, Some(e)) => Some(listed(&path, "email", "/email", e, Then::Adopt)),
            _ => None,
        },
        "/api/v1/groups" | "/api/v1/roles" => {
            text(body, "/name").map(|n| listed(&path, "name", "/name", n, Then::Adopt))
        }
        "/api/v1/oauth-clients" => text(body, "/clientName")
            .map(|n| listed(&path, "clientName", "/clientName", n, Then::NewSecret)),
        "/api/v1/spaces" => text(body, "/name").map(|n| Natural::Listed {
            path: path.clone(),
            query: vec![("name", n.clone())],
            field: "/name",
            value: n,
            then: Then::Adopt,
        }),
        "/api/v1/identity-providers" => {
            let (field, value) = match text(body, "/options/issuer") {
                Some(issuer) => ("/options/issuer", issuer),
                None => ("/description", text(body, "/description")?),
            };
            Some(Natural::Listed {
                path: path.clone(),
                query: Vec::new(),
                field,
                value,
                then: Then::Adopt,
            })
        }
        "/api/v1/licenses/assignments/actions/add" => {
            let items = body.get("add")?.as_array()?;
            let subjects: Option<Vec<(String, Value)>> = items
                .iter()
                .map(|i| {
                    Some((
                        text(i, "/subject")?,
                        i.get("type").cloned().unwrap_or(Value::Null),
                    ))
                })
                .collect();
            Some(Natural::Assignments {
                subjects: subjects?,
            })
        }
        p if p.starts_with("/api/v1/spaces/") && p.ends_with("/assignments") => {
            text(body, "/assigneeId").map(|a| Natural::Listed {
                path: path.clone(),
                query: Vec::new(),
                field: "/assigneeId",
                value: a,
                then: Then::Adopt,
            })
        }
        _ => None,
    }
}

impl Client {
    /// The object a create made, as the create would have answered, or `None` when it does
    /// not exist (the create never happened).
    pub(crate) async fn find(
        &self,
        svc: &Service,
        natural: &Natural,
        original: &Request,
    ) -> Result<Option<Response>> {
        let found = match natural {
            Natural::Tenant { host } => {
                let tenant = self.service(host, svc.creds.clone())?;
                let url = tenant.url("/api/v1/tenants/me", &[])?;
                match self.transmit(&tenant, Request::new(Method::GET, url)).await {
                    Ok(resp) => Some(resp.json()?),
                    Err(Error::Api(e)) if matches!(e.status, 401 | 403 | 404) => None,
                    Err(Error::Transport { message, .. }) if message.contains("dns error") => None,
                    Err(e) => return Err(e),
                }
            }
            Natural::Listed {
                path,
                query,
                field,
                value,
                then,
            } => {
                // Every page: the object may be anywhere in an unfiltered list.
                let mut query = query.clone();
                query.push(("limit", PAGE_SIZE.to_string()));
                let url = svc.url(path, &query)?;
                // Boxed: a list is sent, and a send may come back here.
                let items = Box::pin(self.list(svc, Request::new(Method::GET, url), None)).await?;
                let hit = items
                    .into_iter()
                    .find(|i| i.pointer(field).and_then(Value::as_str) == Some(value.as_str()));
                match (hit, then) {
                    (Some(client), Then::NewSecret) => {
                        Some(self.with_new_secret(svc, client).await?)
                    }
                    (hit, _) => hit,
                }
            }
            Natural::Assignments { subjects } => {
                let mut results = Vec::new();
                for (subject, kind) in subjects {
                    let filter = format!("subject eq {}", scim_string(subject));
                    let url = svc.url("/api/v1/licenses/assignments", &[("filter", filter)])?;
                    let list = self
                        .transmit(svc, Request::new(Method::GET, url))
                        .await?
                        .json()?;
                    let held = list
                        .get("data")
                        .and_then(Value::as_array)
                        .and_then(|d| d.first().cloned());
                    let Some(held) = held else {
                        return Ok(None);
                    };
                    let kind = held.get("type").cloned().unwrap_or(kind.clone());
                    results.push(json!({"status": 201, "subject": subject, "type": kind}));
                }
                return Ok(Some(Response::synthetic(
                    207,
                    &json!({"data": results}),
                    original,
                )));
            }
        };
        Ok(found.map(|v| Response::synthetic(201, &v, original)))
    }

    /// An adopted OAuth client with a fresh secret in `clientSecret` (the create's answer
    /// held the only copy of the first one, and it was lost).
    async fn with_new_secret(&self, svc: &Service, mut client: Value) -> Result<Value> {
        let id = client
            .get("clientId")
            .or_else(|| client.get("id"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let url = svc.url(
            &format!("/api/v1/oauth-clients/{}/client-secrets", super::seg(&id)?),
            &[],
        )?;
        let secret = self
            .transmit(svc, Request::new(Method::POST, url))
            .await?
            .json()?;
        if let Some(value) = secret.get("clientSecret").or_else(|| secret.get("secret")) {
            client["clientSecret"] = value.clone();
        }
        Ok(client)
    }
}

/// Whether an error leaves a request's effect unknown: the answer was lost, or a 5xx that did
/// not say the request was refused.
pub fn outcome_unknown(err: &Error) -> bool {
    match err {
        Error::Transport { .. } => true,
        Error::Api(e) => matches!(e.status, 500 | 502 | 503 | 504),
        _ => false,
    }
}
