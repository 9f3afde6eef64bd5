//! `read_json`, `write_json`, `read_csv`: local files for inventories and bulk input, confined to
//! the working directory tree unless `--allow-path DIR` widens it (the rules: [`crate::files`]).

use super::convert::{to_dynamic, to_json};
use super::native::{fail, native, Fallible};
pub use crate::files::FileRoots;
use crate::session::Session;
use rhai::{Array, Dynamic, Engine, Map};
use std::sync::Arc;

fn json_value(path: &str, text: &str) -> Fallible<Dynamic> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(to_dynamic(v)),
        Err(e) => fail(format!(
            "{path}: invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )),
    }
}

/// Parses CSV (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes).
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let (mut quoted, mut line) = (false, 1);
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, '"') => return Err(format!("line {line}: quote inside an unquoted field")),
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                line += 1;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {line}: unterminated quoted field"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    Ok(rows)
}

/// Writes a file a script names (atomically, owner-only); under `--dry-run` the write is
/// planned instead, after the path passed the same checks.
pub(super) fn write_file(s: &Session, path: &str, bytes: &[u8]) -> Fallible<()> {
    if s.client_options.dry_run {
        s.file_roots.entry_path(path).or_else(fail)?;
        if let Some(plan) = super::convert::lift(s.client())?.plan() {
            plan.record_file(path);
        }
        return Ok(());
    }
    s.file_roots.write(path, bytes).or_else(fail)
}

/// Maps as CSV: `columns`, or every key in the order first seen; nested values as JSON.
fn csv_bytes(rows: &Array, columns: Option<Vec<String>>) -> Fallible<Vec<u8>> {
    let mut maps = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        match row.read_lock::<Map>() {
            Some(map) => maps.push(map.clone()),
            None => {
                return fail(format!(
                    "write_csv: row {} is a {}, not a map",
                    i + 1,
                    row.type_name()
                ))
            }
        }
    }
    let columns = columns.unwrap_or_else(|| {
        let mut seen: Vec<String> = Vec::new();
        for map in &maps {
            for key in map.keys() {
                if !seen.iter().any(|k| k == key.as_str()) {
                    seen.push(key.to_string());
                }
            }
        }
        seen
    });
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| fail::<()>(format!("write_csv: {e}")).unwrap_err();
    out.write_record(&columns).map_err(failed)?;
    for map in &maps {
        let mut record = Vec::with_capacity(columns.len());
        for column in &columns {
            record.push(match map.get(column.as_str()) {
                None => String::new(),
                Some(v) if v.is_unit() => String::new(),
                Some(v) if v.is_string() => v.to_string(),
                Some(v) if v.is_map() || v.is_array() => to_json(v)?.to_string(),
                Some(v) => v.to_string(),
            });
        }
        out.write_record(&record).map_err(failed)?;
    }
    out.into_inner()
        .or_else(|e| fail(format!("write_csv: {}", e.error())))
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    let roots = session.file_roots.clone();
    native!(
        engine,
        "read_json",
        ["path: &str", "Dynamic"],
        "Reads a JSON file (under the working directory unless --allow-path widens it).",
        move |path: &str| -> Fallible<Dynamic> {
            json_value(path, &roots.read_text(path).or_else(fail)?)
        }
    );
    let roots = session.file_roots.clone();
    native!(engine, "read_json", ["path: &str", "default: Dynamic", "Dynamic"],
        "Reads a JSON file, or returns `default` when the file does not exist (other errors still throw).",
        move |path: &str, default: Dynamic| -> Fallible<Dynamic> {
            match roots.read_text_if_exists(path).or_else(fail)? {
                Some(text) => json_value(path, &text),
                None => Ok(default),
            }
        });
    let roots = session.file_roots.clone();
    native!(
        engine,
        "read_text",
        ["path: &str", "String"],
        "Reads a text file (a PEM key, a template) under the working directory.",
        move |path: &str| roots.read_text(path).or_else(fail)
    );
    let s = session.clone();
    native!(
        engine,
        "write_json",
        ["path: &str", "value: Dynamic", "()"],
        "Writes a value as indented JSON, atomically, readable by its owner only (under
        `--dry-run`, planned and not written).",
        move |path: &str, value: Dynamic| -> Fallible<()> {
            let json = to_json(&value)?;
            let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
            write_file(&s, path, text.as_bytes())
        }
    );
    let s = session.clone();
    native!(
        engine,
        "write_text",
        ["path: &str", "text: &str", "()"],
        "Writes text to a file, atomically, readable by its owner only (under `--dry-run`,
        planned and not written).",
        move |path: &str, text: &str| write_file(&s, path, text.as_bytes())
    );
    let s = session.clone();
    native!(
        engine,
        "write_csv",
        ["path: &str", "rows: Array", "()"],
        "Writes maps as CSV (RFC 4180 quoting): a header row of every key, in the order first
        seen, then one row per map; nested values as JSON, `()` as an empty field.",
        move |path: &str, rows: Array| -> Fallible<()> {
            write_file(&s, path, &csv_bytes(&rows, None)?)
        }
    );
    let s = session.clone();
    native!(
        engine,
        "write_csv",
        ["path: &str", "rows: Array", "columns: Array", "()"],
        "Writes maps as CSV with these columns, in this order (missing keys as empty fields).",
        move |path: &str, rows: Array, columns: Array| -> Fallible<()> {
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            write_file(&s, path, &csv_bytes(&rows, Some(columns))?)
        }
    );
    let roots = session.file_roots.clone();
    native!(
        engine,
        "read_csv",
        ["path: &str", "Array"],
        "Reads a CSV file with a header row into an array of maps (all values strings).",
        move |path: &str| -> Fallible<Array> {
            let text = roots.read_text(path).or_else(fail)?;
            let mut rows = parse_csv(&text)
                .or_else(|e| fail(format!("{path}: {e}")))?
                .into_iter();
            let Some(header) = rows.next() else {
                return Ok(Array::new());
            };
            let mut out = Array::new();
            for (i, row) in rows.enumerate() {
                if row.len() != header.len() {
                    return fail(format!(
                        "{path}: row {} has {} fields, the header has {}",
                        i + 2,
                        row.len(),
                        header.len()
                    ));
                }
                let map: Map = header
                    .iter()
                    .zip(row)
                    .map(|(k, v)| (k.trim().into(), Dynamic::from(v)))
                    .collect();
                out.push(map.into());
            }
            Ok(out)
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_and_line_breaks() {
        let rows =
            parse_csv("email,name\r\nalice@x,\"Alice, \"\"Al\"\" A\"\n\"bob@x\",\"Bob\nB\"\n")
                .unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["email", "name"],
                vec!["alice@x", "Alice, \"Al\" A"],
                vec!["bob@x", "Bob\nB"]
            ]
        );
        assert!(parse_csv("a,\"b\n").unwrap_err().contains("unterminated"));
        assert!(parse_csv("a,b\"c\n").unwrap_err().contains("line 1"));
    }
}
