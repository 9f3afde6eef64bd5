//! How `qops eval` and `qops run` print a script's result when `--output` is given:
//!
//! - `json`: one line of compact JSON (strings quoted), for `jq` and other programs;
//! - `table`: arrays of maps as the REPL's table (every row; cells cut to 40 characters, nested
//!   values compact), a map as a `key`/`value` table, other values as the REPL shows them;
//! - `csv`: RFC 4180 through the `csv` crate: a header of every key in the order first seen,
//!   one row per map, nested values as JSON; a single map is one row, and anything else one
//!   column named `value`.
//!
//! `()` prints nothing in every format. With `--output` given, the script's `print`s go to
//! standard error ([`prints_to_stderr`]), so standard output holds only the result.

use super::convert;
use crate::repl::show;
use rhai::{Array, Dynamic, Engine, Map};
use serde_json::Value;

/// `--output`: how results (and, for `json`, dry-run plans) print.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `print` writes to standard error from now on, around the progress bar.
pub fn prints_to_stderr(engine: &mut Engine) {
    engine.on_print(|text| super::progress::around_output(|| eprintln!("{text}")));
}

/// The text of `value` in `format` (without a final newline), or `None` for `()`. Handles and
/// other values JSON has no form for show as their display text (`to_string`).
pub fn render(engine: &Engine, value: &Dynamic, format: Format) -> Result<Option<String>, String> {
    if value.is_unit() {
        return Ok(None);
    }
    let data = json_with_names(engine, value)?;
    Ok(Some(match format {
        Format::Json => data.to_string(),
        Format::Table => table(data),
        Format::Csv => csv(data)?,
    }))
}

/// Prints the result of `name` (a script, `<eval>`) to standard output.
pub fn print(
    engine: &Engine,
    name: &str,
    value: &Dynamic,
    format: Format,
) -> Result<(), crate::failure::Failure> {
    let text = render(engine, value, format)
        .map_err(|e| crate::failure::Failure::Runtime(format!("{name}: the result: {e}")))?;
    if let Some(text) = text {
        crate::output::outln!("{text}");
    }
    Ok(())
}

/// How `eval` shows a result without `--output`: `()` as nothing, maps and arrays as indented
/// JSON (handles in them by name), anything else as the script's `to_string` shows it; an error
/// for values too deep to show.
pub fn shown(engine: &Engine, value: &Dynamic) -> Result<Option<String>, String> {
    if value.is_unit() {
        return Ok(None);
    }
    if value.is_map() || value.is_array() {
        let json = json_with_names(engine, value)?;
        return Ok(serde_json::to_string_pretty(&json).ok());
    }
    Ok(Some(display(engine, value)))
}

/// A map or array as JSON, handles and function pointers in it by their `to_string`; an error
/// for values too deep or too large (`--max-string-size`) to show.
pub fn json_with_names(engine: &Engine, value: &Dynamic) -> Result<serde_json::Value, String> {
    convert::check_shape(value)?;
    super::values::printable_json(value, &mut |leaf| display(engine, leaf))
}

/// A value as the script's `to_string` shows it (`tenant acme…` for a handle).
pub(crate) fn display(engine: &Engine, value: &Dynamic) -> String {
    let mut scope = rhai::Scope::new();
    scope.push_dynamic("value", value.clone());
    engine
        .eval_with_scope::<String>(&mut scope, "value.to_string()")
        .unwrap_or_else(|_| engine.map_type_name(value.type_name()).to_string())
}

/// The text of a conversion's error.
fn message(e: rhai::EvalAltResult) -> String {
    match e {
        rhai::EvalAltResult::ErrorRuntime(value, _) => convert::thrown_message(&value),
        other => other.to_string(),
    }
}

/// Standard output's width for a table: the terminal's (`COLUMNS`, else 100), unbounded in a
/// pipe so no column is left out.
fn width() -> usize {
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return usize::MAX / 4;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= 20)
        .unwrap_or(100)
}

fn table(data: Value) -> String {
    let rows: Vec<Value> = match data {
        Value::String(s) => return s,
        Value::Number(_) | Value::Bool(_) | Value::Null => return data.to_string(),
        Value::Array(rows) if !rows.is_empty() && rows.iter().all(Value::is_object) => rows,
        Value::Object(map) if !map.is_empty() => map
            .into_iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect(),
        other => return show::render_json(&other, show::Mode::Json, width()),
    };
    show::table(&rows, width(), usize::MAX)
}

fn csv(data: Value) -> Result<String, String> {
    let one = |v: Value| -> Dynamic {
        match v {
            Value::Object(_) => convert::to_dynamic(v),
            other => Dynamic::from_map(Map::from([("value".into(), convert::to_dynamic(other))])),
        }
    };
    let rows: Array = match data {
        Value::Array(items) => items.into_iter().map(one).collect(),
        other => vec![one(other)],
    };
    let bytes = super::files::csv_bytes(&rows, None).map_err(|e| message(*e))?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let mut engine = Engine::new();
        super::super::values::register(&mut engine);
        engine
    }

    fn shown(script: &str, format: Format) -> String {
        let engine = engine();
        let value: Dynamic = engine.eval(script).unwrap();
        render(&engine, &value, format).unwrap().unwrap_or_default()
    }

    const ROWS: &str = r#"[#{name: "a, \"b\"", roles: ["x", "y"]}, #{name: "c\nd", id: 2}]"#;

    #[test]
    fn json_is_one_compact_line_that_parses_back() {
        let text = shown(ROWS, Format::Json);
        assert_eq!(text.lines().count(), 1, "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back[0]["name"], "a, \"b\"");
        assert_eq!(back[1]["name"], "c\nd");
        assert_eq!(shown(r#""plain""#, Format::Json), r#""plain""#);
        assert_eq!(
            render(&engine(), &Dynamic::UNIT, Format::Json).unwrap(),
            None
        );
        // What JSON has no form for shows as its text.
        assert_eq!(shown(r#"[Fn("len")]"#, Format::Json), r#"["Fn(len)"]"#);
        assert_eq!(shown("42", Format::Table), "42");
    }

    #[test]
    fn csv_has_every_key_first_seen_order_and_nested_values_as_json() {
        let text = shown(ROWS, Format::Csv);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), vec!["name", "roles", "id"]);
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            rows,
            [vec!["a, \"b\"", r#"["x","y"]"#, ""], vec!["c\nd", "", "2"]]
        );
        assert_eq!(shown("[1, 2]", Format::Csv), "value\n1\n2");
        assert_eq!(shown("#{a: 1}", Format::Csv), "a\n1");
    }

    #[test]
    fn table_shows_every_row_and_maps_as_key_value() {
        let many = "let r = []; for i in 0..40 { r.push(#{name: `n${i}`}) } r";
        let text = shown(many, Format::Table);
        assert!(
            text.contains("n39") && text.ends_with("(40 rows)"),
            "{text}"
        );
        let text = shown(r#"#{region: "eu", seats: 3}"#, Format::Table);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "key     value");
        assert_eq!(lines[2], "region  eu");
        assert_eq!(shown(r#""x""#, Format::Table), "x");
    }
}
