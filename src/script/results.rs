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

/// The text of `value` in `format` (without a final newline), or `None` for `()`.
pub fn render(value: &Dynamic, format: Format) -> Result<Option<String>, String> {
    if value.is_unit() {
        return Ok(None);
    }
    match format {
        Format::Json => json(value).map(|j| Some(j.to_string())),
        Format::Table => Ok(Some(table(value)?)),
        Format::Csv => csv(value).map(Some),
    }
}

/// Prints the result of `name` (a script, `<eval>`) to standard output.
pub fn print(name: &str, value: &Dynamic, format: Format) -> Result<(), crate::failure::Failure> {
    let text = render(value, format)
        .map_err(|e| crate::failure::Failure::Runtime(format!("{name}: the result: {e}")))?;
    if let Some(text) = text {
        crate::output::outln!("{text}");
    }
    Ok(())
}

/// Data as `to_json()` gives it; a handle or other value JSON has no form for, as its text.
fn json(value: &Dynamic) -> Result<Value, String> {
    match convert::to_json(value) {
        Ok(json) => Ok(json),
        Err(_) if !(value.is_map() || value.is_array()) => Ok(Value::String(convert::text(value))),
        Err(e) => Err(message(*e)),
    }
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

fn table(value: &Dynamic) -> Result<String, String> {
    if value.is_string() {
        return Ok(value.to_string());
    }
    let Some(json) = convert::json_for_display(value)? else {
        return Ok(convert::text(value));
    };
    let rows: Vec<Value> = match json {
        Value::Array(rows) if !rows.is_empty() && rows.iter().all(Value::is_object) => rows,
        Value::Object(map) if !map.is_empty() => map
            .into_iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect(),
        other => return Ok(show::render_json(&other, show::Mode::Json, width())),
    };
    Ok(show::table(&rows, width(), usize::MAX))
}

fn csv(value: &Dynamic) -> Result<String, String> {
    let one = |v: &Dynamic| -> Dynamic {
        if v.is_map() {
            v.clone()
        } else {
            Dynamic::from_map(Map::from([("value".into(), v.clone())]))
        }
    };
    let rows: Array = match value.read_lock::<Array>() {
        Some(items) => items.iter().map(one).collect(),
        None => vec![one(value)],
    };
    let bytes = super::files::csv_bytes(&rows, None).map_err(|e| message(*e))?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(script: &str) -> Dynamic {
        let mut engine = Engine::new();
        super::super::values::register(&mut engine);
        engine.eval(script).unwrap()
    }

    fn shown(script: &str, format: Format) -> String {
        render(&eval(script), format).unwrap().unwrap_or_default()
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
        assert_eq!(render(&Dynamic::UNIT, Format::Json).unwrap(), None);
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
