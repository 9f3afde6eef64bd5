//! `fields`: "a comma-delimited string of the requested fields per entity. If the 'links' value
//! is omitted, then the entity HATEOAS link will also be omitted" (users and other APIs).

use super::request::Req;
use serde_json::Value;

/// `entity` with only the top-level members the request's `fields` names (all of them when
/// there is no `fields`, or it names nothing).
pub fn project(req: &Req, entity: Value) -> Value {
    let Some(list) = req.q("fields") else {
        return entity;
    };
    let wanted: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    match entity {
        Value::Object(m) if !wanted.is_empty() => Value::Object(
            m.into_iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .collect(),
        ),
        other => other,
    }
}
