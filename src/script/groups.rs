//! Groups on a tenant handle.

use super::convert::to_json;
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Array, Dynamic, Engine, Map};

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "groups",
        ["t: &mut Tenant", "Array"],
        "Every group, all pages.",
        |t: &mut TenantHandle| t.values(t.api.groups(None))
    );
    native!(
        engine,
        "groups",
        ["t: &mut Tenant", "filter: &str", "Array"],
        "The groups matching a SCIM filter, e.g. `name eq \"Sales\"`.",
        |t: &mut TenantHandle, filter: &str| t.values(t.api.groups(Some(filter)))
    );
    native!(
        engine,
        "create_group",
        ["t: &mut Tenant", "group: Map", "Map"],
        "Creates a group `#{name, description, status, assignedRoles: [#{name}]}`.",
        |t: &mut TenantHandle, group: Map| {
            let body = to_json(&Dynamic::from_map(group))?;
            t.value(t.api.create_group(body))
        }
    );
    native!(
        engine,
        "delete_group",
        ["t: &mut Tenant", "id: &str", "()"],
        "Deletes a group.",
        |t: &mut TenantHandle, id: &str| t.call(t.api.delete_group(id)).map(drop)
    );
    native!(
        engine,
        "group_settings",
        ["t: &mut Tenant", "Map"],
        "Group settings: `autoCreateGroups`, `syncIdpGroups`, system groups.",
        |t: &mut TenantHandle| t.value(t.api.group_settings())
    );
    native!(
        engine,
        "update_group_settings",
        ["t: &mut Tenant", "ops: Array", "()"],
        "Applies JSON Patch operations to the group settings, e.g.
        `[#{op: \"replace\", path: \"/autoCreateGroups\", value: true}]`.",
        |t: &mut TenantHandle, ops: Array| {
            let body = to_json(&Dynamic::from_array(ops))?;
            t.call(t.api.update_group_settings(body)).map(drop)
        }
    );
}
