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
    "status",
    "roles",
    "subject",
    "id",
    "clientId",
    "type",
    "kind",
    "action",
    "protocol",
    "code",
    "title",
    "stream",
    "owner",
    "targets",
    "hostnames",
    "description",
    "createdAt",
];

/// The text of a result, or `None` for `()`.
pub fn render(
    engine: &rhai::Engine,
    value: &rhai::Dynamic,
    mode: Mode,
    width: usize,
) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if value.is_string() {
        return Some(cut_lines(&value.to_string(), MAX_LINES * 4));
    }
    if !(value.is_map() || value.is_array()) {
        return Some(crate::script::results::display(engine, value));
    }
    match crate::script::results::json_with_names(engine, value) {
        Ok(json) => Some(render_json(&json, mode, width)),
        Err(e) => Some(format!("(cannot show the value: {e})")),
    }
}

pub fn render_json(json: &Value, mode: Mode, width: usize) -> String {
    if mode == Mode::Table {
        if let Value::Array(rows) = json {
            if !rows.is_empty() && rows.iter().all(Value::is_object) {
                return table(rows, width, MAX_ROWS);
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

/// A cell, one line: strings bare, numbers and booleans as JSON, `null` empty; nested values
/// compactly: arrays joined with `, ` (maps in them by their [`label`]), a map by its label
/// or as `key=value` pairs. The table cuts it to the column width.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items.iter().map(item).collect::<Vec<_>>().join(", "),
        Value::Object(map) => label(map).unwrap_or_else(|| summary(map)),
    }
}

/// An item of an array in a cell: a map by its label (or its summary in braces), an array in
/// brackets, anything else as a cell.
fn item(v: &Value) -> String {
    match v {
        Value::Object(map) => label(map).unwrap_or_else(|| format!("{{{}}}", summary(map))),
        Value::Array(_) => format!("[{}]", cell(v)),
        _ => cell(v),
    }
}

/// Keys that name a map, most telling first; after them any key ending in `name`
/// (`deployment_name`, `userName`), then any ending in `id` (`appId`).
const LABELS: &[&str] = &["name", "title", "displayName", "email", "subject", "id"];

/// The name-like field of a map, when it has one holding a string or a number: the first of
/// [`LABELS`], else the first key ending in `name`, else the first ending in `id` (any case).
fn label(map: &serde_json::Map<String, Value>) -> Option<String> {
    let usable = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let by_suffix = |suffix: &str| {
        map.iter()
            .filter(|(k, _)| k.to_ascii_lowercase().ends_with(suffix))
            .find_map(|(_, v)| usable(v))
    };
    LABELS
        .iter()
        .find_map(|k| map.get(*k).and_then(usable))
        .or_else(|| by_suffix("name"))
        .or_else(|| by_suffix("id"))
}

/// A map without a label as `key=value` pairs, nested values shortened the same way.
fn summary(map: &serde_json::Map<String, Value>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={}", item(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of at most `max` characters, `…` ending a cut one.
fn clip(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        crate::output::cut(&one_line, max.saturating_sub(1))
    }
}

/// Arrays of maps: the preferred columns first, then other fields (those holding arrays or maps
/// last), as many as fit in `width`; at most `max_rows` rows.
pub fn table(rows: &[Value], width: usize, max_rows: usize) -> String {
    let sample = &rows[..rows.len().min(200)];
    let mut keys: Vec<String> = Vec::new();
    let mut nested: std::collections::HashSet<String> = Default::default();
    for row in sample {
        for (k, v) in row.as_object().into_iter().flatten() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
            if v.is_array() || v.is_object() {
                nested.insert(k.clone());
            }
        }
    }
    let all_fields = keys.len();
    keys.sort_by_key(|k| {
        let preferred = PREFERRED.iter().position(|p| p == k);
        (
            preferred.unwrap_or(PREFERRED.len()),
            preferred.is_none() && nested.contains(k),
        )
    });
    let shown = &rows[..rows.len().min(max_rows)];
    let mut columns: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut used = 0;
    for key in keys {
        let cells: Vec<String> = shown
            .iter()
            .map(|r| clip(&r.get(&key).map(cell).unwrap_or_default(), MAX_CELL))
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
        assert_eq!(lines[0], "name   status    roles  id");
        assert_eq!(lines[2], "Alice  active    x      1");
        assert_eq!(lines[3], "Bob    disabled         2");
        assert!(text.ends_with("(2 rows)"), "{text}");
        let narrow = render_json(&rows, Mode::Table, 20);
        assert!(
            narrow.ends_with("(2 rows, 2 of 4 fields; :json shows all)"),
            "{narrow}"
        );
        assert!(render_json(&rows, Mode::Json, 100).starts_with("[\n  {"));
    }

    /// The shapes `src.users()`, `site.apps()` and `site.preview_distribution()` return.
    #[test]
    fn nested_values_show_compactly_in_cells() {
        let users = json!([{
            "name": "Alice Admin", "id": "8c5b",
            "roles": ["TenantAdmin", "AnalyticsAdmin"],
            "assignedRoles": [{"id": "526f", "level": "admin", "name": "TenantAdmin"}],
            "links": {"self": {"href": "http://x/users/8c5b"}}
        }]);
        let text = render_json(&users, Mode::Table, 200);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["name", "roles", "id", "assignedRoles", "links"]
        );
        let cells: Vec<&str> = lines[2]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            cells,
            [
                "Alice Admin",
                "TenantAdmin, AnalyticsAdmin",
                "8c5b",
                "TenantAdmin",
                "self={href=http://x/users/8c5b}"
            ],
            "{text}"
        );
        let apps = json!([{
            "name": "Sales Dashboard",
            "stream": {"id": "e98d", "name": "Everyone", "privileges": null},
            "owner": {"userDirectory": "CORP", "userId": "alice"},
            "tags": []
        }]);
        let text = render_json(&apps, Mode::Table, 200);
        let row = text.lines().nth(2).unwrap();
        assert!(row.contains("Everyone") && row.contains("alice"), "{text}");
        let plan = json!([{
            "app_name": "Sales Dashboard",
            "targets": [
                {"deployment_id": "35dc", "deployment_name": "Region1", "policies": ["D"]},
                {"deployment_id": "77aa", "deployment_name": "Region2", "policies": ["D"]}
            ],
            "limits": {"seats": 3, "kind": [1, 2]}
        }]);
        let text = render_json(&plan, Mode::Table, 200);
        let row = text.lines().nth(2).unwrap();
        assert!(row.contains("Region1, Region2"), "{text}");
        assert!(row.contains("seats=3, kind=[1, 2]"), "{text}");
    }

    #[test]
    fn cells_are_cut_to_the_column_width() {
        let long: Vec<String> = (0..30).map(|i| format!("Role{i}")).collect();
        let rows = json!([{"name": "a", "roles": long}]);
        let text = render_json(&rows, Mode::Table, 200);
        let row = text.lines().nth(2).unwrap();
        let cell = row.split("  ").last().unwrap().trim();
        assert_eq!(cell.chars().count(), MAX_CELL, "{row}");
        assert!(
            cell.starts_with("Role0, Role1, ") && cell.ends_with('…'),
            "{row}"
        );
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
