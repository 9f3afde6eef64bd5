//! Users on a tenant handle.

use super::convert::{to_dynamic, to_json};
use super::handles::{ApiCalls, TenantHandle};
use super::native::{fail, native, Fallible};
use rhai::{Array, Dynamic, Engine, Map, INT};

fn list(t: &TenantHandle, filter: Option<&str>, limit: Option<INT>) -> Fallible<Array> {
    let limit = match limit {
        Some(n) if n < 1 => return fail(format!("limit must be at least 1, got {n}")),
        Some(n) => Some(n as usize),
        None => None,
    };
    Ok(t.call(t.api.users(filter, limit))?
        .into_iter()
        .map(to_dynamic)
        .collect())
}

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "me",
        ["t: &mut Tenant", "Map"],
        "The caller's own user (`GET /api/v1/users/me`); for an OAuth client, its bot user.",
        |t: &mut TenantHandle| -> Fallible<Dynamic> { Ok(to_dynamic(t.call(t.api.me())?)) }
    );
    native!(
        engine,
        "users",
        ["t: &mut Tenant", "Array"],
        "Every user of the tenant, all pages.",
        |t: &mut TenantHandle| list(t, None, None)
    );
    native!(engine, "users", ["t: &mut Tenant", "filter: &str", "Array"],
        "Every user matching a SCIM filter, all pages, e.g. `t.users(`email eq \"alice@acme.example\"`)`.",
        |t: &mut TenantHandle, filter: &str| list(t, Some(filter), None));
    native!(
        engine,
        "users",
        ["t: &mut Tenant", "filter: &str", "limit: INT", "Array"],
        "At most `limit` users matching a SCIM filter (`\"\"` for all users).",
        |t: &mut TenantHandle, filter: &str, limit: INT| list(t, Some(filter), Some(limit))
    );
    native!(
        engine,
        "user",
        ["t: &mut Tenant", "id: &str", "Map"],
        "One user by id.",
        |t: &mut TenantHandle, id: &str| -> Fallible<Dynamic> {
            Ok(to_dynamic(t.call(t.api.user(id))?))
        }
    );
    native!(engine, "create_user", ["t: &mut Tenant", "user: Map", "Map"],
        "Creates a user: `#{subject, name, email, status, assignedRoles: [#{name: \"TenantAdmin\"}]}`.
        Returns the created user.",
        |t: &mut TenantHandle, user: Map| -> Fallible<Dynamic> {
            let body = to_json(&Dynamic::from_map(user))?;
            Ok(to_dynamic(t.call(t.api.create_user(body))?))
        });
    native!(engine, "update_user", ["t: &mut Tenant", "id: &str", "ops: Array", "()"],
        "Applies JSON Patch operations to a user, e.g.
        `[#{op: \"add\", path: \"/assignedRoles/-\", value: #{name: \"TenantAdmin\"}}]`.
        Ops: replace, add, remove-value, renew. Returns the per-op results of a partial success, else ().",
        |t: &mut TenantHandle, id: &str, ops: Array| -> Fallible<Dynamic> {
            let body = to_json(&Dynamic::from_array(ops))?;
            Ok(to_dynamic(t.call(t.api.update_user(id, body))?))
        });
    native!(
        engine,
        "delete_user",
        ["t: &mut Tenant", "id: &str", "()"],
        "Deletes a user.",
        |t: &mut TenantHandle, id: &str| t.call(t.api.delete_user(id))
    );
    native!(
        engine,
        "count_users",
        ["t: &mut Tenant", "INT"],
        "The number of users on the tenant.",
        |t: &mut TenantHandle| t.call(t.api.count_users())
    );
    native!(engine, "filter_users", ["t: &mut Tenant", "filter: &str", "Array"],
        "Every user matching a SCIM filter through `POST /users/actions/filter` (its own rate tier).",
        |t: &mut TenantHandle, filter: &str| t.values(t.api.filter_users(filter, None)));
    native!(engine, "invite_users", ["t: &mut Tenant", "invitees: Array", "Array"],
        "Invites users `[#{email, name, language}]`; one result per invitee: `#{email, status: ok|exists|error, ...}`.",
        |t: &mut TenantHandle, invitees: Array| {
            let body = to_json(&Dynamic::from_array(invitees))?;
            t.values(t.api.invite_users(body))
        });
    native!(engine, "find_user", ["t: &mut Tenant", "by: Map", "Dynamic"],
        "The user with this `email`, `subject`, `id` or `name` (one key), or `()` when there is none.",
        |t: &mut TenantHandle, by: Map| -> Fallible<Dynamic> {
            let mut keys = by.iter().filter(|(_, v)| !v.is_unit());
            let (Some((field, value)), None) = (keys.next(), keys.next()) else {
                return fail("find_user takes exactly one of #{email}, #{subject}, #{id}, #{name}");
            };
            if !["email", "subject", "id", "name"].contains(&field.as_str()) {
                return fail(format!("find_user cannot search by {field:?}: use email, subject, id or name"));
            }
            Ok(t.call(t.api.find_user(field, &value.to_string()))?.map(to_dynamic).unwrap_or(Dynamic::UNIT))
        });
    native!(
        engine,
        "add_role",
        ["t: &mut Tenant", "user: Dynamic", "role: &str", "bool"],
        "Gives a user (id or user map) a role by name unless it has it; whether anything changed.",
        |t: &mut TenantHandle, user: Dynamic, role: &str| t
            .call(t.api.add_role(&user_id(&user)?, role))
    );
    native!(
        engine,
        "remove_role",
        ["t: &mut Tenant", "user: Dynamic", "role: &str", "bool"],
        "Takes a role (by name) from a user if it has it; whether anything changed.",
        |t: &mut TenantHandle, user: Dynamic, role: &str| t
            .call(t.api.remove_role(&user_id(&user)?, role))
    );
    native!(
        engine,
        "set_roles",
        ["t: &mut Tenant", "user: Dynamic", "roles: Array", "bool"],
        "Makes a user's roles exactly these names; whether anything changed.",
        |t: &mut TenantHandle, user: Dynamic, roles: Array| {
            let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            t.call(t.api.set_roles(&user_id(&user)?, &roles))
        }
    );
}

/// A user given as its id or as a user map with `id`.
fn user_id(user: &Dynamic) -> Fallible<String> {
    if user.is_string() {
        return Ok(user.to_string());
    }
    if let Some(map) = user.read_lock::<Map>() {
        if let Some(id) = map.get("id").filter(|v| v.is_string()) {
            return Ok(id.to_string());
        }
    }
    fail(format!(
        "expected a user id or a user map with `id`, got {}",
        user.type_name()
    ))
}
