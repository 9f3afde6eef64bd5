//! Values between Rhai and the wire: plain maps and arrays with the API's own field names.

use crate::cloud;
use rhai::{Dynamic, EvalAltResult, Position};
use serde_json::Value;

/// A JSON value as a Rhai value (`null` becomes `()`).
pub fn to_dynamic(value: Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

/// A Rhai value as JSON, naming what could not be converted.
pub fn to_json(value: &Dynamic) -> Result<Value, Box<EvalAltResult>> {
    rhai::serde::from_dynamic::<Value>(value).map_err(|e| {
        let msg = format!("cannot send a {} as JSON: {e}", value.type_name());
        Box::new(EvalAltResult::ErrorRuntime(msg.into(), Position::NONE))
    })
}

/// An API failure as a catchable runtime error whose value is the error map
/// (`kind`, `status`, `code`, `title`, `detail`, `trace_id`, `method`, `url`, `message`).
pub fn api_error(e: cloud::Error) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        to_dynamic(e.to_json()),
        Position::NONE,
    ))
}

/// Results of the client as results of native functions.
pub fn lift<T>(r: cloud::Result<T>) -> Result<T, Box<EvalAltResult>> {
    r.map_err(api_error)
}

/// How a result is shown by `eval` and the REPL: strings bare, maps and arrays as indented
/// JSON, `()` as nothing, everything else as Rhai prints it.
pub fn display(value: &Dynamic) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if value.is_string() {
        return Some(value.to_string());
    }
    if value.is_map() || value.is_array() {
        if let Ok(json) = rhai::serde::from_dynamic::<Value>(value) {
            return serde_json::to_string_pretty(&json).ok();
        }
    }
    Some(value.to_string())
}

/// The message of a thrown value: the `message` field of an error map, or the value itself.
/// An error of a `parallel` item names the item (`... (item: {"name":"acme"})`).
pub fn thrown_message(value: &Dynamic) -> String {
    if let Some(map) = value.read_lock::<rhai::Map>() {
        if let Some(m) = map.get("message") {
            return match map.get("item") {
                Some(item) => format!("{m} (item: {})", short(item)),
                None => m.to_string(),
            };
        }
    }
    value.to_string()
}

/// A value as one short line of JSON (or as Rhai prints it), cut at 80 characters.
fn short(value: &Dynamic) -> String {
    let text = match rhai::serde::from_dynamic::<Value>(value) {
        Ok(json) => json.to_string(),
        Err(_) => value.to_string(),
    };
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A map of query parameters (`#{type: "managed", name: "Sales"}`) as owned pairs.
pub fn query_pairs(map: rhai::Map) -> Vec<(String, String)> {
    map.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
