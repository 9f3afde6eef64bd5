//! Spaces and space assignments on a tenant handle.

use super::convert::{query_pairs, to_json};
use super::handles::{ApiCalls, TenantHandle};
use super::native::native;
use rhai::{Array, Dynamic, Engine, Map};

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "spaces",
        ["t: &mut Tenant", "Array"],
        "Every space, all pages.",
        |t: &mut TenantHandle| t.values(t.api.spaces(&[]))
    );
    native!(engine, "spaces", ["t: &mut Tenant", "query: Map", "Array"],
        "The spaces matching a query, e.g. `#{type: \"managed\", name: \"Sales\"}` (name: contains).",
        |t: &mut TenantHandle, query: Map| {
            let query = query_pairs(query);
            t.values(t.api.spaces(&query))
        });
    native!(
        engine,
        "space",
        ["t: &mut Tenant", "id: &str", "Map"],
        "One space by id.",
        |t: &mut TenantHandle, id: &str| t.value(t.api.space(id))
    );
    native!(engine, "create_space", ["t: &mut Tenant", "space: Map", "Map"],
        "Creates a space `#{name, type: \"shared\"|\"managed\"|\"data\", description}`; 409 when the name exists.",
        |t: &mut TenantHandle, space: Map| {
            let body = to_json(&Dynamic::from_map(space))?;
            t.value(t.api.create_space(body))
        });
    native!(
        engine,
        "update_space",
        ["t: &mut Tenant", "id: &str", "ops: Array", "Map"],
        "Applies `replace` operations (`/name`, `/description`, `/ownerId`); returns the space.",
        |t: &mut TenantHandle, id: &str, ops: Array| {
            let body = to_json(&Dynamic::from_array(ops))?;
            t.value(t.api.update_space(id, body))
        }
    );
    native!(
        engine,
        "delete_space",
        ["t: &mut Tenant", "id: &str", "()"],
        "Deletes a space; 412 while it is not empty.",
        |t: &mut TenantHandle, id: &str| t.call(t.api.delete_space(id)).map(drop)
    );
    native!(
        engine,
        "space_assignments",
        ["t: &mut Tenant", "space_id: &str", "Array"],
        "Who has which roles in a space: `#{id, type, assigneeId, roles}` each.",
        |t: &mut TenantHandle, id: &str| t.values(t.api.space_assignments(id))
    );
    native!(engine, "assign_space", ["t: &mut Tenant", "space_id: &str", "assignment: Map", "Map"],
        "Gives a user or group roles in a space: `#{type: \"group\", assigneeId, roles: [\"consumer\"]}`.",
        |t: &mut TenantHandle, id: &str, assignment: Map| {
            let body = to_json(&Dynamic::from_map(assignment))?;
            t.value(t.api.create_space_assignment(id, body))
        });
    native!(
        engine,
        "update_space_assignment",
        [
            "t: &mut Tenant",
            "space_id: &str",
            "assignment_id: &str",
            "ops: Array",
            "Dynamic"
        ],
        "Applies JSON Patch operations to a space assignment (replace `/roles`).",
        |t: &mut TenantHandle, id: &str, aid: &str, ops: Array| {
            let body = to_json(&Dynamic::from_array(ops))?;
            t.value(t.api.update_space_assignment(id, aid, body))
        }
    );
    native!(
        engine,
        "unassign_space",
        [
            "t: &mut Tenant",
            "space_id: &str",
            "assignment_id: &str",
            "()"
        ],
        "Removes a space assignment.",
        |t: &mut TenantHandle, id: &str, aid: &str| t
            .call(t.api.delete_space_assignment(id, aid))
            .map(drop)
    );
    native!(engine, "items", ["t: &mut Tenant", "query: Map", "Array"],
        "Items of the tenant's catalogue, e.g. `#{resourceType: \"app\", name: \"Sales\"}`, all pages.",
        |t: &mut TenantHandle, query: Map| {
            let query = query_pairs(query);
            t.values(t.api.items(&query))
        });
}
