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

/// CSV with a header row (RFC 4180 through the `csv` crate: quoted fields, doubled quotes,
/// commas and line breaks inside quotes, CRLF; a UTF-8 BOM is skipped, blank lines too) as maps
/// of strings keyed by the trimmed header names. Every row must have as many fields as the
/// header: a ragged row is an error naming its line.
pub fn parse_csv(text: &str) -> Result<Vec<Map>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let line = |r: &csv::StringRecord| r.position().map_or(0, csv::Position::line);
    let failed = |e: csv::Error| match e.position() {
        Some(p) => format!("line {}: {e}", p.line()),
        None => e.to_string(),
    };
    let mut records = reader.records();
    let header = match records.next() {
        Some(r) => r.map_err(failed)?,
        None => return Err("no header row: the first line names the columns".into()),
    };
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(format!(
                "line {}: the column {name:?} appears twice in the header",
                line(&header)
            ));
        }
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(failed)?;
        if record.len() != names.len() {
            return Err(format!(
                "line {}: {} fields, but the header has {}",
                line(&record),
                record.len(),
                names.len()
            ));
        }
        rows.push(
            names
                .iter()
                .zip(record.iter())
                .map(|(k, v)| ((*k).into(), Dynamic::from(v.to_string())))
                .collect(),
        );
    }
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
pub(crate) fn csv_bytes(rows: &Array, columns: Option<Vec<String>>) -> Fallible<Vec<u8>> {
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
        "Reads a CSV file (RFC 4180) with a header row into an array of maps keyed by the header
        (all values strings); a row with more or fewer fields than the header is an error naming
        its line.",
        move |path: &str| -> Fallible<Array> {
            let text = roots.read_text(path).or_else(fail)?;
            match parse_csv(&text) {
                Ok(rows) => Ok(rows.into_iter().map(Dynamic::from_map).collect()),
                Err(e) => fail(format!("{path}: {e}")),
            }
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<(String, String)>> {
        parse_csv(text)
            .unwrap()
            .into_iter()
            .map(|m| {
                m.into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn csv_handles_quotes_commas_crlf_line_breaks_and_a_bom() {
        let got = rows(
            "\u{feff}email, name\r\nalice@x,\"Alice, \"\"Al\"\" A\"\r\n\r\n\"bob@x\",\"Bob\r\nB\"\n",
        );
        assert_eq!(
            got,
            [
                pairs(&[("email", "alice@x"), ("name", "Alice, \"Al\" A")]),
                pairs(&[("email", "bob@x"), ("name", "Bob\r\nB")]),
            ]
        );
        assert!(rows("a,b\n").is_empty());
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = parse_csv("a,b\n1,2\n\"x\ny\",2\n3\n").unwrap_err();
        assert_eq!(e, "line 5: 1 fields, but the header has 2");
        let e = parse_csv("a,b\n1,2,3\n").unwrap_err();
        assert_eq!(e, "line 2: 3 fields, but the header has 2");
        assert!(parse_csv("").unwrap_err().contains("no header row"));
        assert!(parse_csv("a,a\n").unwrap_err().contains("appears twice"));
    }

    #[test]
    fn csv_written_reads_back_the_same() {
        let tricky = [
            "plain",
            "comma, here",
            "quote \" here",
            "line\nbreak",
            "crlf\r\nx",
            " padded ",
            "",
        ];
        let rows: Array = tricky
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Dynamic::from_map(Map::from([
                    ("id".into(), Dynamic::from(i.to_string())),
                    ("text".into(), Dynamic::from(t.to_string())),
                ]))
            })
            .collect();
        let bytes = csv_bytes(&rows, None).unwrap();
        let back = parse_csv(std::str::from_utf8(&bytes).unwrap()).unwrap();
        let texts: Vec<String> = back.iter().map(|m| m["text"].to_string()).collect();
        assert_eq!(texts, tricky);
    }
}
