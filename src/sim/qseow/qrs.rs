//! QRS entities (reference §1): `about`, `app`, `stream`, `custompropertydefinition`,
//! `systemrule` and (read-only) `user`. Lists are condensed, `/full` is the whole entity,
//! `/count` is `{value}`; `filter` and `orderby` apply to the full entity. A PUT must carry
//! the stored `modifiedDate` (or none); another one is a 409.

use super::filter;
use super::{common, distribution, json_at, next_modified, text, SiteCaller};
use crate::policy;
use crate::sim::apps::uuid;
use crate::sim::clock::iso;
use crate::sim::errors::{no_content, HResult};
use crate::sim::request::Req;
use crate::sim::state::State;
use crate::wire;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    App,
    Stream,
    Cpd,
    Rule,
    User,
}

impl Kind {
    fn of(name: &str) -> Option<Kind> {
        match name.to_ascii_lowercase().as_str() {
            "app" => Some(Kind::App),
            "stream" => Some(Kind::Stream),
            "custompropertydefinition" => Some(Kind::Cpd),
            "systemrule" => Some(Kind::Rule),
            "user" => Some(Kind::User),
            _ => None,
        }
    }

    fn condensed_keys(self) -> &'static [&'static str] {
        match self {
            Kind::App => &[
                "id",
                "name",
                "appId",
                "publishTime",
                "published",
                "stream",
                "privileges",
            ],
            Kind::Stream => &["id", "name", "privileges"],
            Kind::Cpd => &["id", "name", "valueType", "choiceValues", "privileges"],
            Kind::Rule => &[
                "id",
                "category",
                "subcategory",
                "type",
                "name",
                "rule",
                "resourceFilter",
                "actions",
                "comment",
                "disabled",
                "ruleContext",
                "seedId",
                "version",
                "privileges",
            ],
            Kind::User => &["id", "userId", "userDirectory", "name", "privileges"],
        }
    }
}

fn not_found() -> HResult {
    Ok(text(404, "Not Found"))
}

fn bad(msg: impl AsRef<str>) -> HResult {
    Ok(text(400, msg.as_ref()))
}

fn entities(st: &State, kind: Kind) -> Vec<Value> {
    let s = &st.qseow;
    match kind {
        Kind::App => s.apps.clone(),
        Kind::Stream => s.streams.clone(),
        Kind::Cpd => s.cpds.clone(),
        Kind::Rule => s.rules.clone(),
        Kind::User => s
            .users
            .iter()
            .map(|u| {
                let mut v = u.condensed();
                v["schemaPath"] = json!("User");
                v["roles"] = if u.admin {
                    json!(["RootAdmin"])
                } else {
                    json!([])
                };
                v
            })
            .collect(),
    }
}

fn store(st: &mut State, kind: Kind) -> Option<&mut Vec<Value>> {
    let s = &mut st.qseow;
    match kind {
        Kind::App => Some(&mut s.apps),
        Kind::Stream => Some(&mut s.streams),
        Kind::Cpd => Some(&mut s.cpds),
        Kind::Rule => Some(&mut s.rules),
        Kind::User => None,
    }
}

fn condensed(kind: Kind, v: &Value) -> Value {
    let mut out = Map::new();
    for k in kind.condensed_keys() {
        if let Some(x) = v.get(*k) {
            out.insert(k.to_string(), x.clone());
        }
    }
    Value::Object(out)
}

fn id_of(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or("")
}

/// Applies `filter` and `orderby` from the query.
fn select(req: &Req, items: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut items = match req.q("filter").filter(|f| !f.trim().is_empty()) {
        None => items,
        Some(f) => {
            let f = filter::parse(f).map_err(|e| format!("Invalid filter: {e}"))?;
            items.into_iter().filter(|v| filter::eval(&f, v)).collect()
        }
    };
    if let Some(o) = req.q("orderby").filter(|o| !o.trim().is_empty()) {
        let mut words = o.split_whitespace();
        let prop = words.next().unwrap_or("").to_string();
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(w) => return Err(format!("Invalid orderby direction \"{w}\"")),
        };
        if words.next().is_some()
            || prop.is_empty()
            || !prop.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return Err(format!("Invalid orderby \"{o}\""));
        }
        let key = |v: &Value| -> Value {
            let mut cur = v;
            for p in prop.split('.') {
                cur = match cur.get(p) {
                    Some(x) => x,
                    None => return Value::Null,
                };
            }
            cur.clone()
        };
        items.sort_by(|a, b| {
            let o = cmp_values(&key(a), &key(b));
            if desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    Ok(items)
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

pub fn handle(req: &Req, st: &mut State, who: &SiteCaller, rest: &[&str]) -> HResult {
    let method = req.method.as_str();
    if let ["about"] = rest {
        return match method {
            "GET" => json_at(200, &st.qseow.about),
            _ => Ok(text(405, "Method Not Allowed")),
        };
    }
    let Some(kind) = rest.first().and_then(|t| Kind::of(t)) else {
        return not_found();
    };
    match (method, &rest[1..]) {
        ("GET", []) | ("GET", ["full"]) => {
            let full = rest.len() == 2;
            match select(req, entities(st, kind)) {
                Ok(items) => {
                    let out: Vec<Value> = items
                        .iter()
                        .map(|v| if full { v.clone() } else { condensed(kind, v) })
                        .collect();
                    json_at(200, &Value::Array(out))
                }
                Err(e) => bad(e),
            }
        }
        ("GET", ["count"]) => match select(req, entities(st, kind)) {
            Ok(items) => json_at(200, &json!({"value": items.len()})),
            Err(e) => bad(e),
        },
        ("GET", [id]) => match entities(st, kind).into_iter().find(|v| id_of(v) == *id) {
            Some(v) => json_at(200, &v),
            None => not_found(),
        },
        ("POST", []) => create(req, st, who, kind),
        ("POST", ["many"]) => create_many(req, st, who, kind),
        ("PUT", [id]) => update(req, st, who, kind, id),
        ("PUT", [id, "publish"]) if kind == Kind::App => {
            distribution::publish_qrs(req, st, who, id)
        }
        ("POST", [id, "reload"]) if kind == Kind::App => distribution::reload_qrs(st, who, id),
        ("DELETE", [id]) if kind == Kind::App => distribution::delete_qrs(st, id),
        ("DELETE", [id]) if matches!(kind, Kind::Rule | Kind::Cpd | Kind::Stream) => {
            if kind == Kind::Stream
                && st
                    .qseow
                    .apps
                    .iter()
                    .any(|a| a["stream"]["id"].as_str() == Some(*id))
            {
                return bad("The stream holds published apps");
            }
            let Some(list) = store(st, kind) else {
                return not_found();
            };
            let before = list.len();
            list.retain(|v| id_of(v) != *id);
            if list.len() == before {
                return not_found();
            }
            no_content()
        }
        _ => Ok(text(405, "Method Not Allowed")),
    }
}

fn body_object(req: &Req) -> Result<Map<String, Value>, String> {
    match req.json()? {
        Value::Object(o) => Ok(o),
        _ => Err("The body must be a JSON object".into()),
    }
}

fn opt_str(o: &Map<String, Value>, k: &str) -> Result<Option<String>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{k} must be a string")),
    }
}

fn str_list(o: &Map<String, Value>, k: &str) -> Result<Option<Vec<Value>>, String> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(Some(a.clone())),
        Some(_) => Err(format!("{k} must be an array of strings")),
    }
}

/// Applies the writable fields of `body` to `entity` (a full entity or a new one).
fn apply(
    st: &mut State,
    kind: Kind,
    entity: &mut Value,
    body: &Map<String, Value>,
    creating: bool,
    by: &str,
) -> Result<(), String> {
    let now = st.now();
    match kind {
        Kind::Stream => {
            if let Some(n) = opt_str(body, "name")? {
                entity["name"] = json!(n);
            }
            if entity["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
                return Err("name is required".into());
            }
            if let Some(t) = body.get("tags").filter(|t| t.is_array()) {
                entity["tags"] = t.clone();
            }
        }
        Kind::Cpd => {
            if let Some(n) = opt_str(body, "name")? {
                entity["name"] = json!(n);
            }
            if entity["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
                return Err("name is required".into());
            }
            for k in ["valueType", "description"] {
                if let Some(v) = opt_str(body, k)? {
                    entity[k] = json!(v);
                }
            }
            for k in ["choiceValues", "objectTypes"] {
                if let Some(v) = str_list(body, k)? {
                    entity[k] = Value::Array(v);
                }
            }
        }
        Kind::Rule => {
            for k in ["name", "rule", "resourceFilter"] {
                if let Some(v) = opt_str(body, k)? {
                    entity[k] = json!(v);
                } else if creating {
                    return Err(format!("{k} is required"));
                }
            }
            if entity["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
                return Err("name is required".into());
            }
            match body.get("actions") {
                Some(a) if a.as_i64().is_some_and(|n| n >= 0) => entity["actions"] = a.clone(),
                None | Some(Value::Null) if !creating => {}
                None | Some(Value::Null) => return Err("actions is required".into()),
                Some(_) => return Err("actions must be a non-negative integer".into()),
            }
            for k in ["category", "subcategory", "type", "comment", "seedId"] {
                if let Some(v) = opt_str(body, k)? {
                    entity[k] = json!(v);
                }
            }
            match body.get("disabled") {
                Some(Value::Bool(b)) => entity["disabled"] = json!(b),
                None | Some(Value::Null) => {}
                Some(_) => return Err("disabled must be a boolean".into()),
            }
            for k in ["ruleContext", "version"] {
                if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
                    entity[k] = v.clone();
                }
            }
            if let Some(t) = body.get("tags").filter(|t| t.is_array()) {
                entity["tags"] = t.clone();
            }
            if distribution::is_policy(entity) {
                let rule = entity["rule"].as_str().unwrap_or("");
                policy::check(rule).map_err(|e| format!("Invalid rule: {e}"))?;
            }
        }
        Kind::App => {
            if let Some(n) = opt_str(body, "name")? {
                if n.trim().is_empty() {
                    return Err("name must not be empty".into());
                }
                entity["name"] = json!(n);
            }
            if let Some(d) = opt_str(body, "description")? {
                entity["description"] = json!(d);
            }
            if let Some(t) = body.get("tags").filter(|t| t.is_array()) {
                entity["tags"] = t.clone();
            }
            move_to_stream(st, entity, body)?;
            if let Some(owner) = body.get("owner").filter(|o| !o.is_null()) {
                let id = owner
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or("owner.id is required")?;
                let user = st
                    .qseow
                    .users
                    .iter()
                    .find(|u| u.id == id)
                    .ok_or(format!("User {id} not found"))?;
                entity["owner"] = user.condensed();
            }
            match body.get("customProperties") {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    let mut out = Vec::new();
                    for item in items {
                        out.push(custom_value(st, item, now, by)?);
                    }
                    entity["customProperties"] = Value::Array(out);
                }
                Some(_) => return Err("customProperties must be an array".into()),
            }
        }
        Kind::User => return Err("Users are read-only here".into()),
    }
    Ok(())
}

/// A PUT naming another stream moves a published app there (reference §4: a move is a
/// distribution trigger). An unpublished app is published with `PUT /qrs/app/{id}/publish`.
fn move_to_stream(st: &State, entity: &mut Value, body: &Map<String, Value>) -> Result<(), String> {
    let Some(stream) = body.get("stream").filter(|s| !s.is_null()) else {
        return Ok(());
    };
    let id = stream
        .get("id")
        .and_then(Value::as_str)
        .ok_or("stream.id is required")?;
    if entity["stream"]["id"].as_str() == Some(id) {
        return Ok(());
    }
    if entity["published"] != json!(true) {
        return Err("The app is not published; publish it to a stream instead".into());
    }
    let s = st
        .qseow
        .streams
        .iter()
        .find(|s| id_of(s) == id)
        .ok_or(format!("Stream {id} not found"))?;
    entity["stream"] = json!({"id": s["id"], "name": s["name"], "privileges": null});
    Ok(())
}

/// Validates one `CustomPropertyValue` of an app and returns its stored form.
fn custom_value(st: &mut State, item: &Value, now: i64, by: &str) -> Result<Value, String> {
    let def_id = item
        .get("definition")
        .and_then(|d| d.get("id"))
        .and_then(Value::as_str)
        .ok_or("customProperties[].definition.id is required")?;
    let value = match item.get("value") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err("customProperties[].value must be a string".into()),
    };
    let def = st
        .qseow
        .cpds
        .iter()
        .find(|d| id_of(d) == def_id)
        .cloned()
        .ok_or(format!("Custom property definition {def_id} not found"))?;
    let name = def["name"].as_str().unwrap_or("").to_string();
    let applies = def["objectTypes"]
        .as_array()
        .is_some_and(|a| a.iter().any(|t| t.as_str() == Some("App")));
    if !applies {
        return Err(format!(
            "Custom property {name} cannot be used on object type App"
        ));
    }
    if let Some(choices) = def["choiceValues"].as_array().filter(|c| !c.is_empty()) {
        if !choices.iter().any(|c| c.as_str() == Some(value.as_str())) {
            return Err(format!(
                "Value \"{value}\" is not one of the choice values of custom property {name}"
            ));
        }
    }
    let id = match item.get("id").and_then(Value::as_str) {
        Some(i) if !i.is_empty() => i.to_string(),
        _ => uuid(&mut st.ids),
    };
    let mut v = common(&id, now, by, "CustomPropertyValue");
    if let Some(c) = item.get("createdDate").filter(|c| c.is_string()) {
        v["createdDate"] = c.clone();
    }
    v["value"] = json!(value);
    v["definition"] = json!({"id": def_id, "name": name, "valueType": def["valueType"],
                             "choiceValues": def["choiceValues"], "privileges": null});
    Ok(v)
}

fn schema_of(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Stream => Some("Stream"),
        Kind::Cpd => Some("CustomPropertyDefinition"),
        Kind::Rule => Some("SystemRule"),
        _ => None,
    }
}

/// POST /qrs/<type>: 201 with the entity.
fn create(req: &Req, st: &mut State, who: &SiteCaller, kind: Kind) -> HResult {
    if schema_of(kind).is_none() {
        return Ok(text(405, "Method Not Allowed"));
    }
    let body = match body_object(req) {
        Ok(b) => b,
        Err(e) => return bad(e),
    };
    match build(st, who, kind, &body) {
        Ok(e) => {
            if let Some(list) = store(st, kind) {
                list.push(e.clone());
            }
            json_at(201, &e)
        }
        Err(m) => bad(m),
    }
}

/// POST /qrs/<type>/many: an array in, 201 with the array of entities; all or nothing.
fn create_many(req: &Req, st: &mut State, who: &SiteCaller, kind: Kind) -> HResult {
    if schema_of(kind).is_none() {
        return Ok(text(405, "Method Not Allowed"));
    }
    let items = match req.json() {
        Ok(Value::Array(a)) => a,
        Ok(_) => return bad("The body must be a JSON array"),
        Err(e) => return bad(e),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(o) = item.as_object() else {
            return bad(format!("Item {i} must be a JSON object"));
        };
        match build(st, who, kind, o) {
            Ok(e) => out.push(e),
            Err(m) => return bad(format!("Item {i}: {m}")),
        }
    }
    if let Some(list) = store(st, kind) {
        list.extend(out.iter().cloned());
    }
    json_at(201, &Value::Array(out))
}

/// A new entity of `kind` from a create body (not stored yet).
fn build(
    st: &mut State,
    who: &SiteCaller,
    kind: Kind,
    body: &Map<String, Value>,
) -> Result<Value, String> {
    let schema = schema_of(kind).ok_or("Method Not Allowed")?;
    let now = st.now();
    let id = uuid(&mut st.ids);
    let by = who.display();
    let mut e = common(&id, now, &by, schema);
    match kind {
        Kind::Stream => {
            e["name"] = json!("");
            e["owner"] = json!(null);
            e["tags"] = json!([]);
            e["customProperties"] = json!([]);
        }
        Kind::Cpd => {
            e["name"] = json!("");
            e["valueType"] = json!("Text");
            e["choiceValues"] = json!([]);
            e["objectTypes"] = json!([]);
            e["description"] = json!("");
        }
        _ => {
            e["category"] = json!(wire::QSEOW_SYSTEMRULE_DEFAULT_CATEGORY);
            e["subcategory"] = json!("");
            e["type"] = json!(wire::QSEOW_SYSTEMRULE_DEFAULT_TYPE);
            e["comment"] = json!("");
            e["disabled"] = json!(false);
            e["ruleContext"] = json!(0);
            e["seedId"] = json!("");
            e["version"] = json!(0);
            e["tags"] = json!([]);
        }
    }
    apply(st, kind, &mut e, body, true, &by)?;
    Ok(e)
}

fn update(req: &Req, st: &mut State, who: &SiteCaller, kind: Kind, id: &str) -> HResult {
    let body = match body_object(req) {
        Ok(b) => b,
        Err(e) => return bad(e),
    };
    let Some(mut e) = entities(st, kind).into_iter().find(|v| id_of(v) == id) else {
        return not_found();
    };
    if kind == Kind::User {
        return Ok(text(405, "Method Not Allowed"));
    }
    if let Some(sent) = body.get("modifiedDate").filter(|m| !m.is_null()) {
        let stored = e.get("modifiedDate");
        let same = match (
            sent.as_str().and_then(super::parse_iso),
            stored.and_then(Value::as_str).and_then(super::parse_iso),
        ) {
            (Some(x), Some(y)) => x == y,
            _ => Some(sent) == stored,
        };
        if !same {
            return Ok(text(wire::QSEOW_CONFLICT_STATUS, wire::QSEOW_CONFLICT_TEXT));
        }
    }
    let by = who.display();
    if let Err(m) = apply(st, kind, &mut e, &body, false, &by) {
        return bad(m);
    }
    let now = st.now();
    e["modifiedDate"] = json!(iso(next_modified(now, e.get("modifiedDate"))));
    e["modifiedByUserName"] = json!(by);
    if let Some(list) = store(st, kind) {
        if let Some(slot) = list.iter_mut().find(|v| id_of(v) == id) {
            *slot = e.clone();
        }
    }
    if kind == Kind::App && e["published"] == json!(true) {
        distribution::distribute(st, id);
    }
    let out = entities(st, kind)
        .into_iter()
        .find(|v| id_of(v) == id)
        .unwrap_or(e);
    json_at(200, &out)
}
