//! How the prompt prints a result: arrays of maps as a table of the most useful columns (or
//! JSON after `:json`), maps as indented JSON, and long output cut with a count, never a wall
//! of text.

use serde_json::Value;

/// `:table` (the default) or `:json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Json,
}

/// Rows shown before a list is cut.
const MAX_ROWS: usize = 25;
/// JSON lines shown before the rest is cut.
const MAX_LINES: usize = 60;
/// A table cell is cut to this many characters.
const MAX_CELL: usize = 40;

/// Columns shown first when present, in this order.
const PREFERRED: &[&str] = &[
    "name",
    "clientName",
    "email",
    "subject",
    "id",
    "clientId",
    "status",
    "type",
    "kind",
    "action",
    "protocol",
    "code",
    "title",
    "hostnames",
    "description",
    "createdAt",
];

/// The text of a result, or `None` for `()`.
pub fn render(value: &rhai::Dynamic, mode: Mode, width: usize) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if value.is_string() {
        return Some(cut_lines(&value.to_string(), MAX_LINES * 4));
    }
    match crate::script::convert::json_for_display(value) {
        Ok(Some(json)) => Some(render_json(&json, mode, width)),
        Ok(None) => Some(crate::script::convert::text(value)),
        Err(e) => Some(format!("(cannot show the value: {e})")),
    }
}

pub fn render_json(json: &Value, mode: Mode, width: usize) -> String {
    if mode == Mode::Table {
        if let Value::Array(rows) = json {
            if !rows.is_empty() && rows.iter().all(Value::is_object) {
                return table(rows, width);
            }
        }
    }
    match json {
        Value::Array(items) if items.len() > MAX_ROWS => {
            let shown = Value::Array(items[..MAX_ROWS].to_vec());
            format!(
                "{}\n… {} more ({} items; `x[{MAX_ROWS}..]` or a loop shows the rest)",
                pretty(&shown),
                items.len() - MAX_ROWS,
                items.len()
            )
        }
        _ => cut_lines(&pretty(json), MAX_LINES),
    }
}

fn pretty(json: &Value) -> String {
    serde_json::to_string_pretty(json).unwrap_or_default()
}

fn cut_lines(text: &str, max: usize) -> String {
    let total = text.lines().count();
    if total <= max {
        return text.to_string();
    }
    let mut out: Vec<&str> = text.lines().take(max).collect();
    let note = format!("… {} more lines ({total} in all)", total - max);
    out.push(&note);
    out.join("\n")
}

/// A cell: strings bare, numbers and booleans as JSON, arrays of scalars joined.
fn cell(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => Some(String::new()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_number()) => Some(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

fn clip(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut s: String = one_line.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Arrays of maps: the preferred columns first, then other scalar fields, as many as fit.
fn table(rows: &[Value], width: usize) -> String {
    let sample = &rows[..rows.len().min(200)];
    let mut keys: Vec<String> = Vec::new();
    for row in sample {
        for (k, v) in row.as_object().into_iter().flatten() {
            if !keys.contains(k) && cell(Some(v)).is_some() {
                keys.push(k.clone());
            }
        }
    }
    let all_fields = sample
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    keys.sort_by_key(|k| {
        PREFERRED
            .iter()
            .position(|p| p == k)
            .unwrap_or(PREFERRED.len())
    });
    let shown = &rows[..rows.len().min(MAX_ROWS)];
    let mut columns: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut used = 0;
    for key in keys {
        let cells: Vec<String> = shown
            .iter()
            .map(|r| clip(&cell(r.get(&key)).unwrap_or_default(), MAX_CELL))
            .collect();
        let w = cells
            .iter()
            .map(|c| c.chars().count())
            .chain([key.chars().count()])
            .max()
            .unwrap_or(0);
        if used + w + 2 > width && !columns.is_empty() {
            continue;
        }
        used += w + 2;
        columns.push((key, cells, w));
    }
    let line = |cells: Vec<&str>| -> String {
        cells
            .iter()
            .zip(&columns)
            .map(|(c, (_, _, w))| format!("{c:<w$}", w = *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![
        line(columns.iter().map(|(k, _, _)| k.as_str()).collect()),
        line(
            columns
                .iter()
                .map(|(_, _, w)| "─".repeat(*w))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
        ),
    ];
    for i in 0..shown.len() {
        out.push(line(
            columns.iter().map(|(_, c, _)| c[i].as_str()).collect(),
        ));
    }
    let mut note = Vec::new();
    if rows.len() > shown.len() {
        note.push(format!("{} of {} rows", shown.len(), rows.len()));
    } else {
        note.push(format!("{} rows", rows.len()));
    }
    if columns.len() < all_fields {
        note.push(format!(
            "{} of {all_fields} fields; :json shows all",
            columns.len()
        ));
    }
    out.push(format!("({})", note.join(", ")));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_of_maps_print_as_tables_with_useful_columns_first() {
        let rows = json!([
            {"id": "1", "name": "Alice", "roles": [{"name": "x"}], "status": "active"},
            {"id": "2", "name": "Bob", "status": "disabled"}
        ]);
        let text = render_json(&rows, Mode::Table, 100);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name   id  status");
        assert_eq!(lines[2], "Alice  1   active");
        assert!(
            text.ends_with("(2 rows, 3 of 4 fields; :json shows all)"),
            "{text}"
        );
        assert!(render_json(&rows, Mode::Json, 100).starts_with("[\n  {"));
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let rows: Vec<Value> = (0..100).map(|i| json!({"id": i})).collect();
        let text = render_json(&Value::Array(rows), Mode::Table, 100);
        assert!(text.ends_with("(25 of 100 rows)"), "{text}");
        let nums = Value::Array((0..100).map(|i| json!(i)).collect());
        assert!(render_json(&nums, Mode::Table, 100).contains("… 75 more (100 items"));
    }
}
