//! Printing and comparing arrays and maps within the depth limit. Rhai's own versions recurse
//! through a function call per level and overflow the stack on a value a few thousand levels
//! deep; these replace them for arrays and maps (other types keep Rhai's).
//!
//! `print` shows an array or map as one line of JSON (as `to_json()` does), so printed data
//! pipes into `jq`; values JSON has no form for (handles, function pointers) print as their
//! display text, in a JSON string. `debug` keeps Rhai's notation (`#{"a": 1}`).
//!
//! `print` and `debug` fail on a value deeper than the limit. `to_string` and `to_debug` cut it
//! (`[…]`) instead: they also serve string interpolation and `+`, where Rhai falls back to its
//! own unbounded formatting when they fail.

use super::convert::{debug_leaf, equal, printed, too_deep};
use super::native::{fail, native, Fallible};
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};
use serde_json::Value;

/// Runs `f` on an array or map taken by reference as a value, without copying it.
fn with_value<T: Clone + Default + Send + Sync + 'static, R>(
    x: &mut T,
    f: impl FnOnce(&Dynamic) -> R,
) -> R {
    let value = Dynamic::from(std::mem::take(x));
    let result = f(&value);
    *x = value.try_cast::<T>().unwrap_or_default();
    result
}

/// The text of an array or map: cut at the depth limit, or an error when `strict`.
fn text<T: Clone + Default + Send + Sync + 'static>(
    ctx: &NativeCallContext,
    x: &mut T,
    strict: bool,
) -> Fallible<String> {
    let (text, cut) = with_value(x, |v| printed(v, &mut |leaf| debug_leaf(ctx, leaf)));
    if cut && strict {
        return fail(too_deep(super::convert::max_depth()));
    }
    Ok(text)
}

/// An array or map as compact JSON, for `print`; an error beyond the depth limit.
fn json_text<T: Clone + Default + Send + Sync + 'static>(
    ctx: &NativeCallContext,
    x: &mut T,
) -> Fallible<String> {
    let json = with_value(x, |v| {
        printable_json(v, &mut |leaf| {
            let mut arg = leaf.clone();
            match ctx.call_native_fn_raw(rhai::FUNC_TO_STRING, true, &mut [&mut arg]) {
                Ok(text) if text.is_string() => text.to_string(),
                _ => ctx.engine().map_type_name(leaf.type_name()).to_string(),
            }
        })
    });
    json.map(|j| j.to_string()).or_else(fail)
}

/// `value` as JSON: what `to_json` gives for data; anything JSON has no form for (handles,
/// function pointers) as the string `display` makes of it. An error when arrays and maps nest
/// deeper than the depth limit.
pub fn printable_json(
    value: &Dynamic,
    display: &mut dyn FnMut(&Dynamic) -> String,
) -> Result<Value, String> {
    let max = super::convert::max_depth();
    walk(value, 1, max, display).ok_or_else(|| too_deep(max))
}

fn walk(
    value: &Dynamic,
    level: usize,
    max: usize,
    display: &mut dyn FnMut(&Dynamic) -> String,
) -> Option<Value> {
    if let Some(items) = value.read_lock::<Array>() {
        if level > max {
            return None;
        }
        return items
            .iter()
            .map(|v| walk(v, level + 1, max, display))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array);
    }
    if let Some(map) = value.read_lock::<Map>() {
        if level > max {
            return None;
        }
        return map
            .iter()
            .map(|(k, v)| Some((k.to_string(), walk(v, level + 1, max, display)?)))
            .collect::<Option<serde_json::Map<_, _>>>()
            .map(Value::Object);
    }
    let data = value.is_unit()
        || value.is_bool()
        || value.is_int()
        || value.is_float()
        || value.is_string()
        || value.is_char();
    if data {
        if let Ok(json) = rhai::serde::from_dynamic::<Value>(value) {
            return Some(json);
        }
    }
    Some(Value::String(display(value)))
}

fn same<T: Clone + Default + Send + Sync + 'static>(
    ctx: &NativeCallContext,
    a: &mut T,
    b: T,
) -> Fallible<bool> {
    let b = Dynamic::from(b);
    with_value(a, |a| equal(ctx, a, &b))
}

pub fn register(engine: &mut Engine) {
    register_for::<Array>(engine, "Array", "array");
    register_for::<Map>(engine, "Map", "map");
}

/// The functions for one container type `T`, named `ty` in scripts.
fn register_for<T: Clone + Default + Send + Sync + 'static>(
    engine: &mut Engine,
    ty: &str,
    noun: &str,
) {
    let param = |name: &str| format!("{name}: &mut {ty}");
    native!(
        engine,
        "print",
        [param(noun), "String".to_string()],
        &format!("Prints the {noun} as one line of JSON (as `to_json()` does; handles as their names); an error when it nests deeper than the depth limit (`--max-depth`)."),
        |ctx: NativeCallContext, x: &mut T| json_text(&ctx, x)
    );
    for (name, strict) in [("debug", true), ("to_string", false), ("to_debug", false)] {
        let doc = if strict {
            format!("The {noun} as text; an error when it nests deeper than the depth limit (`--max-depth`).")
        } else {
            format!(
                "The {noun} as text, with arrays and maps beyond the depth limit shown as `[…]`."
            )
        };
        native!(
            engine,
            name,
            [param(noun), "String".to_string()],
            &doc,
            move |ctx: NativeCallContext, x: &mut T| text(&ctx, x, strict)
        );
    }
    let doc = format!("Whether two {noun}s are equal (Rhai's `==` for each item); an error beyond the depth limit.");
    native!(
        engine,
        "==",
        [param("a"), format!("b: {ty}"), "bool".to_string()],
        &doc,
        |ctx: NativeCallContext, a: &mut T, b: T| same(&ctx, a, b)
    );
    let doc = format!("Whether two {noun}s differ; an error beyond the depth limit.");
    native!(
        engine,
        "!=",
        [param("a"), format!("b: {ty}"), "bool".to_string()],
        &doc,
        |ctx: NativeCallContext, a: &mut T, b: T| same(&ctx, a, b).map(|e| !e)
    );
}

#[cfg(test)]
mod tests {
    use rhai::{Engine, EvalAltResult};

    fn engine() -> Engine {
        let mut engine = Engine::new();
        super::register(&mut engine);
        engine
    }

    const DEEP: &str =
        "let a = []; for i in 0..200 { a = [a] } let m = #{}; for i in 0..200 { m = #{x: m} }";

    fn fails(script: &str) -> String {
        let err: Box<EvalAltResult> = engine().run(&format!("{DEEP} {script}")).unwrap_err();
        err.to_string()
    }

    #[test]
    fn deep_values_fail_to_print_and_compare_with_a_clear_error() {
        for script in [
            "print(a)",
            "debug(m)",
            "a == a",
            "m != m",
            "[a].contains(a)",
        ] {
            let e = fails(script);
            assert!(
                e.contains("value nested deeper than 64 levels"),
                "{script}: {e}"
            );
        }
    }

    #[test]
    fn to_string_and_interpolation_cut_deep_values() {
        let e = engine();
        let text: String = e.eval(&format!("{DEEP} `${{a}} ${{m}}`")).unwrap();
        let (arrays, maps) = text.split_once(' ').unwrap();
        assert_eq!(arrays, format!("{}[…]{}", "[".repeat(64), "]".repeat(64)));
        assert!(
            maps.starts_with(r#"#{"x": #{"x": "#) && maps.contains("#{…}"),
            "{maps}"
        );
        let text: String = e
            .eval(&format!("{DEEP} a.to_string() + m.to_debug()"))
            .unwrap();
        assert!(text.len() < 2_000, "{text}");
    }

    /// What `script` prints, line by line.
    fn printed_lines(script: &str) -> Vec<String> {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut e = engine();
        let sink = lines.clone();
        e.on_print(move |text| sink.lock().unwrap().push(text.to_string()));
        e.run(script).unwrap();
        let out = lines.lock().unwrap().clone();
        out
    }

    #[test]
    fn print_shows_arrays_and_maps_as_compact_json_and_scalars_as_before() {
        let lines = printed_lines(
            r#"print(#{b: [1, 2.5, "x\"y,\nz"], a: (), c: #{d: true}}); print([1, 'c']); print("plain"); print(42); debug(#{a: 1});"#,
        );
        assert_eq!(
            lines,
            [
                r#"{"a":null,"b":[1,2.5,"x\"y,\nz"],"c":{"d":true}}"#,
                r#"[1,"c"]"#,
                "plain",
                "42"
            ]
        );
        let json: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(json["b"][2], "x\"y,\nz");
        // Values JSON cannot hold print as their display text.
        let lines = printed_lines("print([Fn(\"len\")])");
        assert_eq!(lines, [r#"["Fn(len)"]"#]);
    }

    #[test]
    fn shallow_values_print_and_compare_as_rhai_does() {
        let e = engine();
        let text: String = e
            .eval(r#"`${[1, "a", #{b: [2.5, (), true]}, 'c']} ${#{"q\"": 1}}`"#)
            .unwrap();
        // (Rhai shows a char in an interpolated array quoted, too.)
        assert_eq!(
            text,
            r#"[1, "a", #{"b": [2.5, (), true]}, 'c'] #{"q\"": 1}"#
        );
        let checks = [
            ("[1, [2]] == [1, [2]]", true),
            ("[1, [2]] != [1, [3]]", true),
            ("[1] == [1.0]", true),
            (r#"[1, "x"] == [1, 2]"#, false),
            ("[1] == [1, 2]", false),
            ("#{a: [1], b: #{}} == #{b: #{}, a: [1]}", true),
            ("#{a: 1} == #{b: 1}", false),
            ("#{a: 1} != #{a: 2}", true),
            ("[[1], [2]].contains([2])", true),
        ];
        for (script, want) in checks {
            assert_eq!(e.eval::<bool>(script).unwrap(), want, "{script}");
        }
    }
}
