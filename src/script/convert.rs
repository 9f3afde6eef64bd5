//! Values between Rhai and the wire: plain maps and arrays with the API's own field names.
//!
//! Script data has bounded depth: everything here that walks a value (JSON, printing,
//! comparing) goes at most [`max_depth`] arrays and maps deep and says so when a value is
//! deeper, instead of recursing until the stack overflows.

use crate::cloud;
use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext, Position};
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Deepest nesting of arrays and maps by default (`--max-depth`).
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// The limits walks over values obey. One per process: the CLI builds every engine with the
/// same [`super::engine::Limits`], and [`super::engine::build`] sets these from them.
static MAX_DEPTH: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_DEPTH);
static MAX_TEXT: AtomicUsize = AtomicUsize::new(64 << 20);

/// Sets how deep values may nest and how many bytes of text (strings and map keys) one value
/// may hold when it is converted.
pub fn set_limits(max_depth: usize, max_text: usize) {
    MAX_DEPTH.store(max_depth, Ordering::Relaxed);
    MAX_TEXT.store(max_text, Ordering::Relaxed);
}

pub fn max_depth() -> usize {
    MAX_DEPTH.load(Ordering::Relaxed)
}

/// The error for a value deeper than the limit.
pub fn too_deep(max: usize) -> String {
    format!("value nested deeper than {max} levels (--max-depth raises the limit)")
}

/// The items of an array or the entries of a map (shared values included), for walks.
enum Container<'a> {
    Array(rhai::DynamicReadLock<'a, Array>),
    Map(rhai::DynamicReadLock<'a, Map>),
}

fn container(value: &Dynamic) -> Option<Container<'_>> {
    if let Some(items) = value.read_lock::<Array>() {
        return Some(Container::Array(items));
    }
    value.read_lock::<Map>().map(Container::Map)
}

/// Checks that `value` nests at most [`max_depth`] levels and holds at most the string limit
/// in strings and map keys together (Rhai's own size checks leave keys out).
pub fn check_shape(value: &Dynamic) -> Result<(), String> {
    shape_within(value, max_depth(), MAX_TEXT.load(Ordering::Relaxed))
}

fn shape_within(value: &Dynamic, max_depth: usize, max_text: usize) -> Result<(), String> {
    fn walk(value: &Dynamic, level: usize, max: usize, text: &mut usize) -> Result<(), String> {
        let Some(c) = container(value) else {
            if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
                *text = text.saturating_add(s.len());
            }
            return Ok(());
        };
        if level > max {
            return Err(too_deep(max));
        }
        match c {
            Container::Array(items) => {
                for v in items.iter() {
                    walk(v, level + 1, max, text)?;
                }
            }
            Container::Map(map) => {
                for (k, v) in map.iter() {
                    *text = text.saturating_add(k.len());
                    walk(v, level + 1, max, text)?;
                }
            }
        }
        Ok(())
    }
    let mut text = 0;
    walk(value, 1, max_depth, &mut text)?;
    if text > max_text {
        return Err(format!(
            "value holds more than {max_text} bytes of strings and map keys (--max-string-size raises the limit)"
        ));
    }
    Ok(())
}

/// A JSON value as a Rhai value (`null` becomes `()`).
pub fn to_dynamic(value: Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

/// A Rhai value as JSON, naming what could not be converted.
pub fn to_json(value: &Dynamic) -> Result<Value, Box<EvalAltResult>> {
    // The shape first: the conversion recurses.
    let json = check_shape(value).and_then(|()| {
        rhai::serde::from_dynamic::<Value>(value)
            .map_err(|e| format!("cannot send a {} as JSON: {e}", value.type_name()))
    });
    json.map_err(|msg| Box::new(EvalAltResult::ErrorRuntime(msg.into(), Position::NONE)))
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

/// The message of a thrown value: the `message` field of an error map, or the value itself.
/// An error of a `parallel` item names the item (`... (item: {"name":"acme"})`).
pub fn thrown_message(value: &Dynamic) -> String {
    if let Some(map) = value.read_lock::<rhai::Map>() {
        if let Some(m) = map.get("message") {
            return match map.get("item") {
                Some(item) => format!("{} (item: {})", text(m), short(item)),
                None => text(m),
            };
        }
    }
    text(value)
}

/// A value as one short line of JSON (or as Rhai prints it), cut at 80 characters.
fn short(value: &Dynamic) -> String {
    let text = match rhai::serde::from_dynamic::<Value>(value) {
        Ok(json) => json.to_string(),
        Err(_) => value.to_string(),
    };
    crate::output::cut(&text, 80)
}

/// A map of query parameters (`#{type: "managed", name: "Sales"}`) as owned pairs.
pub fn query_pairs(map: rhai::Map) -> Vec<(String, String)> {
    map.into_iter()
        .map(|(k, v)| (k.to_string(), text(&v)))
        .collect()
}

/// A value as text outside a script call: strings bare, anything else as Rhai's `to_debug`
/// shows it, cut at the depth limit.
pub fn text(value: &Dynamic) -> String {
    if container(value).is_none() {
        return value.to_string();
    }
    printed(value, &mut |leaf| format!("{leaf:?}")).0
}

/// How Rhai prints a value (`[1, "a"]`, `#{"k": [2]}`), with arrays and maps beyond the depth
/// limit shown as `[…]` and `#{…}`; `true` when something was cut. `leaf` prints whatever is
/// not an array or a map.
pub fn printed(value: &Dynamic, leaf: &mut dyn FnMut(&Dynamic) -> String) -> (String, bool) {
    fn write(
        out: &mut String,
        value: &Dynamic,
        level: usize,
        max: usize,
        leaf: &mut dyn FnMut(&Dynamic) -> String,
    ) -> bool {
        let Some(c) = container(value) else {
            out.push_str(&leaf(value));
            return false;
        };
        let mut cut = false;
        match c {
            Container::Array(_) if level > max => {
                out.push_str("[…]");
                return true;
            }
            Container::Map(_) if level > max => {
                out.push_str("#{…}");
                return true;
            }
            Container::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    cut |= write(out, v, level + 1, max, leaf);
                }
                out.push(']');
            }
            Container::Map(map) => {
                out.push_str("#{");
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{:?}: ", k.as_str());
                    cut |= write(out, v, level + 1, max, leaf);
                }
                out.push('}');
            }
        }
        cut
    }
    let mut out = String::new();
    let cut = write(&mut out, value, 1, max_depth(), leaf);
    (out, cut)
}

/// A value that is not an array or a map as Rhai's `to_debug` prints it, for [`printed`].
pub fn debug_leaf(ctx: &NativeCallContext, value: &Dynamic) -> String {
    let mut arg = value.clone();
    match ctx.call_native_fn_raw(rhai::FUNC_TO_DEBUG, true, &mut [&mut arg]) {
        Ok(text) if text.is_string() => text.to_string(),
        Ok(other) => ctx.engine().map_type_name(other.type_name()).to_string(),
        Err(_) => format!("{value:?}"),
    }
}

/// `a == b` as Rhai compares arrays (item by item) and maps (same keys, equal values), with
/// the depth limit; other values are compared by Rhai's `==`.
pub fn equal(
    ctx: &NativeCallContext,
    a: &Dynamic,
    b: &Dynamic,
) -> Result<bool, Box<EvalAltResult>> {
    fn eq(
        ctx: &NativeCallContext,
        a: &Dynamic,
        b: &Dynamic,
        level: usize,
        max: usize,
    ) -> Result<bool, Box<EvalAltResult>> {
        match (container(a), container(b)) {
            (Some(Container::Array(x)), Some(Container::Array(y))) => {
                if level > max {
                    return Err(too_deep(max).into());
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (u, v) in x.iter().zip(y.iter()) {
                    if !eq(ctx, u, v, level + 1, max)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            (Some(Container::Map(x)), Some(Container::Map(y))) => {
                if level > max {
                    return Err(too_deep(max).into());
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (k, u) in x.iter() {
                    match y.get(k.as_str()) {
                        Some(v) if eq(ctx, u, v, level + 1, max)? => {}
                        _ => return Ok(false),
                    }
                }
                Ok(true)
            }
            _ => {
                let (mut u, mut v) = (a.clone(), b.clone());
                match ctx.call_native_fn_raw("==", true, &mut [&mut u, &mut v]) {
                    Ok(r) => Ok(r.as_bool().unwrap_or(false)),
                    Err(e)
                        if matches!(*e, EvalAltResult::ErrorFunctionNotFound(..))
                            && a.type_id() != b.type_id() =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
    eq(ctx, a, b, 1, max_depth())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value nested `depth` arrays deep (built and taken apart without recursion).
    fn chain(depth: usize) -> Dynamic {
        (0..depth).fold(Dynamic::UNIT, |v, _| Dynamic::from_array(vec![v]))
    }

    fn unchain(mut value: Dynamic) {
        while let Some(items) = value.try_cast::<Array>() {
            value = items.into_iter().next().unwrap_or(Dynamic::UNIT);
        }
    }

    #[test]
    fn deep_values_are_refused_or_cut_never_recursed() {
        let deep = chain(100_000);
        let too_deep = "value nested deeper than 64 levels";
        assert!(to_json(&deep).unwrap_err().to_string().contains(too_deep));
        assert!(check_shape(&deep).unwrap_err().contains(too_deep));
        let (text, cut) = printed(&deep, &mut |leaf| format!("{leaf:?}"));
        assert!(cut);
        assert_eq!(text.len(), 64 * 2 + "[…]".len());
        assert_eq!(thrown_message(&deep), text);
        unchain(deep);
        let fits = chain(64);
        assert_eq!(
            to_json(&fits).unwrap().to_string().len(),
            64 * 2 + "null".len()
        );
        assert!(!printed(&fits, &mut |leaf| format!("{leaf:?}")).1);
    }

    #[test]
    fn map_keys_count_as_text() {
        let mut map = Map::new();
        map.insert("k".repeat(600).into(), Dynamic::from("v".repeat(300)));
        let value = Dynamic::from_map(map);
        assert!(shape_within(&value, 64, 900).is_ok());
        let e = shape_within(&value, 64, 899).unwrap_err();
        assert!(
            e.contains("more than 899 bytes of strings and map keys"),
            "{e}"
        );
    }
}
