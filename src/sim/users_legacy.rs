//! The deprecated query parameters of `GET /api/v1/users` (the first @qlik/api release and
//! qlik-sdk 0.17): `email`, `subject`, `status`, `role`, `tenantId`, `sortBy`/`sortOrder`,
//! `startingAfter`/`endingBefore`. qlik-sdk sends `status=active&sortBy=name&sortOrder=asc` on
//! every call, so they are honoured as that spec says; how they meet `filter` is in `wire.rs`.

use super::errors::ApiError;
use super::request::Req;
use super::state::{Tenant, User};
use crate::wire;

/// The deprecated parameters of one request, validated.
#[derive(Default)]
pub struct Legacy {
    pub status: Option<String>,
    email: Option<String>,
    subject: Option<String>,
    role: Option<String>,
    tenant_id: Option<String>,
    /// `sortBy`/`sortOrder` as `(descending, field)`, when `sort` is absent.
    pub sort: Option<(bool, String)>,
    pub starting_after: Option<String>,
    pub ending_before: Option<String>,
}

const STATUSES: &[&str] = &["active", "invited", "disabled", "deleted"];

impl Legacy {
    /// Reads them; with `filter` only the defaults qlik-sdk always sends are allowed (and then
    /// ignored), anything else is a 400 as the spec says ("cannot be combined").
    pub fn read(
        req: &Req,
        with_filter: bool,
        sort_fields: &[&str],
        bad: impl Fn(String) -> ApiError,
    ) -> Result<Legacy, ApiError> {
        let given = |name: &str| req.q(name).map(str::to_string);
        if with_filter {
            for name in wire::USERS_DEPRECATED_PARAMS {
                let Some(value) = req.q(name) else { continue };
                let default = wire::USERS_DEPRECATED_DEFAULTS
                    .iter()
                    .any(|(n, v)| n == name && v.eq_ignore_ascii_case(value));
                if !default {
                    return Err(bad(format!(
                        "filter cannot be combined with the deprecated parameter {name}"
                    )));
                }
            }
            return Ok(Legacy::default());
        }
        if let Some(s) = req.q("status") {
            if !STATUSES.contains(&s) {
                return Err(bad(format!(
                    "status must be one of {}, got \"{s}\"",
                    STATUSES.join(", ")
                )));
            }
        }
        let sort = match (req.q("sort"), req.q("sortBy"), req.q("sortOrder")) {
            (Some(_), _, _) | (None, None, None) => None,
            (None, by, order) => {
                let by = by.unwrap_or("name");
                let field = sort_fields
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(by))
                    .ok_or_else(|| bad(format!("Invalid sortBy \"{by}\"")))?;
                let desc = match order.unwrap_or("asc") {
                    o if o.eq_ignore_ascii_case("asc") => false,
                    o if o.eq_ignore_ascii_case("desc") => true,
                    o => return Err(bad(format!("sortOrder must be asc or desc, got \"{o}\""))),
                };
                Some((desc, field.to_string()))
            }
        };
        let legacy = Legacy {
            status: given("status"),
            email: given("email"),
            subject: given("subject"),
            role: given("role"),
            tenant_id: given("tenantId"),
            sort,
            starting_after: given("startingAfter"),
            ending_before: given("endingBefore"),
        };
        let cursors = req.q("next").is_some() || req.q("prev").is_some();
        if (legacy.starting_after.is_some() || legacy.ending_before.is_some()) && cursors {
            return Err(bad(
                "startingAfter/endingBefore cannot be combined with next/prev".into(),
            ));
        }
        if legacy.starting_after.is_some() && legacy.ending_before.is_some() {
            return Err(bad(
                "startingAfter and endingBefore cannot be combined".into()
            ));
        }
        Ok(legacy)
    }

    /// Whether user `u` passes the deprecated equality parameters (`status` also admits
    /// deleted users when it asks for them).
    pub fn admits(&self, t: &Tenant, u: &User) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        let status_ok = match &self.status {
            Some(s) => u.status == *s,
            None => u.status != "deleted",
        };
        status_ok
            && same(&self.email, u.email.as_deref())
            && same(&self.subject, Some(&u.subject))
            && same(&self.tenant_id, Some(&t.id))
            && self.role.as_deref().is_none_or(|r| {
                u.role_ids
                    .iter()
                    .filter_map(|id| t.role(id))
                    .any(|role| role.name.eq_ignore_ascii_case(r))
            })
    }

    /// The part of the sorted `items` that `startingAfter` (ids after that user) or
    /// `endingBefore` (ids before it) leaves, and where the page starts in it.
    pub fn window<'a>(
        &self,
        items: Vec<&'a User>,
        limit: usize,
        bad: impl Fn(String) -> ApiError,
    ) -> Result<(Vec<&'a User>, Option<usize>), ApiError> {
        let position = |id: &str| {
            items
                .iter()
                .position(|u| u.id == id)
                .ok_or_else(|| bad(format!("No user with id \"{id}\" to page from")))
        };
        if let Some(id) = &self.starting_after {
            let at = position(id)?;
            return Ok((items[at + 1..].to_vec(), None));
        }
        if let Some(id) = &self.ending_before {
            let at = position(id)?;
            let kept = items[..at].to_vec();
            return Ok((kept, Some(at.saturating_sub(limit))));
        }
        Ok((items, None))
    }
}
