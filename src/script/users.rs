//! Users on a tenant handle.

use super::convert::{to_dynamic, to_json};
use super::handles::TenantHandle;
use super::native::{fail, native};
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, INT};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

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
}
