//! What the prompt knows about names: functions (native, standard library, imported modules,
//! defined at the prompt) and the variables in scope with the shape of their values. Completion,
//! hints and `:help` read it; the REPL rebuilds it after every evaluation.

use crate::script::docs::{self, type_key, FnDoc};
use rhai::{Dynamic, Engine, Scope, AST};
use std::collections::BTreeMap;

/// The type and (for maps) the keys of a value, a few levels deep.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub ty: String,
    pub keys: BTreeMap<String, Shape>,
}

impl Shape {
    pub fn of(engine: &Engine, value: &Dynamic, depth: usize) -> Shape {
        let ty = value_type(engine, value);
        let mut keys = BTreeMap::new();
        if depth > 0 {
            if let Some(map) = value.read_lock::<rhai::Map>() {
                for (k, v) in map.iter().take(200) {
                    keys.insert(k.to_string(), Shape::of(engine, v, depth - 1));
                }
            }
        }
        Shape { ty, keys }
    }
}

/// The completion group of a value: `Map`, `Array`, `String`, `INT`, or a registered type name.
pub fn value_type(engine: &Engine, value: &Dynamic) -> String {
    if value.is_map() {
        "Map".into()
    } else if value.is_array() {
        "Array".into()
    } else if value.is_string() {
        "String".into()
    } else if value.is_int() {
        "INT".into()
    } else if value.is_float() {
        "FLOAT".into()
    } else if value.is_bool() {
        "bool".into()
    } else {
        type_key(engine.map_type_name(value.type_name()))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub functions: Vec<FnDoc>,
    pub variables: BTreeMap<String, Shape>,
}

const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "break", "continue",
    "return", "throw", "try", "catch", "import", "as", "private", "true", "false",
];

impl Catalog {
    /// Native and standard functions of `engine` (static modules included) and the functions
    /// defined at the prompt.
    pub fn functions(engine: &Engine, defined: &AST) -> Vec<FnDoc> {
        let mut functions = docs::native_functions(engine, true);
        functions.extend(docs::script_functions(defined, None));
        functions
    }

    pub fn set_variables(&mut self, engine: &Engine, scope: &Scope) {
        self.variables = scope
            .iter_raw()
            .map(|(name, _, value)| (name.to_string(), Shape::of(engine, value, 3)))
            .collect();
    }

    /// Namespaces: static modules (`policy`) and imported module aliases.
    pub fn namespaces(&self) -> Vec<String> {
        let mut ns: Vec<String> = self
            .functions
            .iter()
            .filter_map(|f| f.namespace.clone())
            .collect();
        ns.sort();
        ns.dedup();
        ns
    }

    /// Every overload named `name` (`policy::check`, `users`, a property `host`).
    pub fn lookup(&self, name: &str) -> Vec<&FnDoc> {
        let mut found: Vec<&FnDoc> = self
            .functions
            .iter()
            .filter(|f| {
                f.qualified_name() == name
                    || (f.namespace.is_none() && (f.name == name || f.property() == Some(name)))
            })
            .collect();
        if found.is_empty() {
            // `ensure_space` for `tn::ensure_space`: any namespace.
            found = self.functions.iter().filter(|f| f.name == name).collect();
        }
        found.sort_by_key(|f| f.params.len());
        found
    }

    /// Completions for the text before the cursor: where the replaced word starts, and the
    /// candidates `(display, replacement)`.
    pub fn complete(&self, before: &str) -> (usize, Vec<(String, String)>) {
        let start = word_start(before);
        let prefix = &before[start..];
        let head = &before[..start];
        let mut out: Vec<(String, String)> = Vec::new();
        if let Some(ns_end) = head.strip_suffix("::") {
            let ns = &ns_end[word_start(ns_end)..];
            for f in self
                .functions
                .iter()
                .filter(|f| f.namespace.as_deref() == Some(ns))
            {
                out.push((f.name.clone(), format!("{}(", f.name)));
            }
        } else if let Some(recv) = head.strip_suffix('.') {
            if recv.ends_with(|c: char| c.is_ascii_digit()) && !recv.ends_with(')') {
                return (start, Vec::new()); // a number: 1.5
            }
            if let Some(shape) = self.receiver_shape(recv) {
                for k in shape.keys.keys() {
                    out.push((k.clone(), k.clone()));
                }
                for f in self.methods(&shape.ty) {
                    match f.property() {
                        Some(p) => out.push((p.to_string(), p.to_string())),
                        None => out.push((f.name.clone(), format!("{}(", f.name))),
                    }
                }
            }
        } else {
            for name in self.variables.keys() {
                out.push((name.clone(), name.clone()));
            }
            for ns in self.namespaces() {
                out.push((format!("{ns}::"), format!("{ns}::")));
            }
            let globals = self.functions.iter().filter(|f| {
                f.namespace.is_none() && f.property().is_none() && f.handle_receiver().is_none()
            });
            for f in globals {
                if f.name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                {
                    out.push((f.name.clone(), format!("{}(", f.name)));
                }
            }
            for k in KEYWORDS {
                out.push((k.to_string(), k.to_string()));
            }
        }
        out.retain(|(d, _)| d.starts_with(prefix) && !d.contains('$'));
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        (start, out)
    }

    /// Functions callable as methods of values of type `ty`.
    fn methods(&self, ty: &str) -> impl Iterator<Item = &FnDoc> {
        let ty = ty.to_string();
        self.functions
            .iter()
            .filter(move |f| f.namespace.is_none() && f.receiver().is_some_and(|r| r == ty))
    }

    /// What the expression before a `.` is: a variable, a chain of map keys, or a call whose
    /// return type is known (`tenant("x")` is a Tenant).
    fn receiver_shape(&self, expr: &str) -> Option<Shape> {
        let expr = expr.trim_end();
        if let Some(inner) = expr.strip_suffix(')') {
            let open = matching_open(inner)?;
            let callee = &inner[..open];
            let name = &callee[word_start(callee)..];
            let ty = self
                .functions
                .iter()
                .filter(|f| f.name == name && !f.ret.is_empty())
                .map(|f| type_key(&f.ret))
                .next()?;
            return Some(Shape {
                ty,
                keys: BTreeMap::new(),
            });
        }
        let mut parts = Vec::new();
        let mut rest = expr;
        loop {
            let s = word_start(rest);
            let word = &rest[s..];
            if word.is_empty() {
                return None;
            }
            parts.push(word);
            match rest[..s].strip_suffix('.') {
                Some(r) => rest = r,
                None => break,
            }
        }
        parts.reverse();
        let mut shape = self.variables.get(parts[0])?;
        for key in &parts[1..] {
            shape = shape.keys.get(*key)?;
        }
        Some(shape.clone())
    }

    /// The signature of the function whose arguments are being typed (or whose name was just
    /// typed), for the hint.
    pub fn hint(&self, before: &str) -> Option<String> {
        let open = unclosed_paren(before)?;
        let callee = &before[..open];
        let start = word_start(callee);
        let name = &callee[start..];
        if name.is_empty() {
            return None;
        }
        let head = &callee[..start];
        let method = head.ends_with('.');
        let candidates: Vec<&FnDoc> = if let Some(ns_end) = head.strip_suffix("::") {
            let ns = &ns_end[word_start(ns_end)..];
            self.lookup(&format!("{ns}::{name}"))
        } else if let Some(recv) = head.strip_suffix('.') {
            let ty = self.receiver_shape(recv).map(|s| s.ty);
            self.lookup(name)
                .into_iter()
                .filter(|f| ty.is_none() || f.receiver() == ty)
                .collect()
        } else {
            self.lookup(name)
        };
        let first = candidates.iter().max_by_key(|f| f.params.len())?;
        let sig = if method {
            first.method_signature()
        } else {
            first.signature()
        };
        let more = candidates.len() - 1;
        Some(if more > 0 {
            format!("  {sig} (+{more} more)")
        } else {
            format!("  {sig}")
        })
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where the identifier ending at the end of `text` starts.
fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .take_while(|(_, c)| is_ident(*c))
        .last()
        .map_or(text.len(), |(i, _)| i)
}

/// The index of the `(` matching a `)` just after the end of `text`.
fn matching_open(text: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => return Some(i),
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The index of the innermost `(` not closed before the end of `text`.
fn unclosed_paren(text: &str) -> Option<usize> {
    let mut stack = Vec::new();
    let mut in_string: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                in_string = None;
            }
            continue;
        }
        match c {
            '"' | '`' => in_string = Some(c),
            '(' => stack.push(i),
            ')' => {
                stack.pop();
            }
            ';' | '{' | '}' => stack.clear(),
            _ => {}
        }
    }
    stack.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let f = |ns: Option<&str>, name: &str, params: &[(&str, &str)], ret: &str| FnDoc {
            namespace: ns.map(str::to_string),
            name: name.into(),
            params: params
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ret: ret.into(),
            doc: String::new(),
        };
        let mut c = Catalog {
            functions: vec![
                f(None, "tenant", &[("host", "&str")], "Tenant"),
                f(None, "users", &[("t", "&mut Tenant")], "Array"),
                f(
                    None,
                    "users",
                    &[("t", "&mut Tenant"), ("filter", "&str")],
                    "Array",
                ),
                f(None, "get$host", &[("t", "&mut Tenant")], "String"),
                f(None, "len", &[("map", "&mut Map")], "INT"),
                f(Some("policy"), "check", &[("rule", "&str")], "()"),
            ],
            variables: BTreeMap::new(),
        };
        c.variables.insert(
            "t".into(),
            Shape {
                ty: "Tenant".into(),
                keys: BTreeMap::new(),
            },
        );
        let mut cfg = Shape {
            ty: "Map".into(),
            keys: BTreeMap::new(),
        };
        cfg.keys.insert(
            "region".into(),
            Shape {
                ty: "String".into(),
                keys: BTreeMap::new(),
            },
        );
        c.variables.insert("cfg".into(), cfg);
        c
    }

    fn names(c: &Catalog, before: &str) -> Vec<String> {
        c.complete(before).1.into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn completes_methods_keys_namespaces_and_globals() {
        let c = catalog();
        assert_eq!(names(&c, "t.us"), ["users("]);
        assert_eq!(names(&c, "let x = t.h"), ["host"]);
        assert_eq!(names(&c, "cfg."), ["len(", "region"]);
        assert_eq!(names(&c, "policy::ch"), ["check("]);
        assert_eq!(names(&c, "po"), ["policy::"]);
        assert_eq!(names(&c, "ten"), ["tenant("]);
        assert_eq!(names(&c, "tenant(\"x\").us"), ["users("]);
        assert_eq!(c.complete("foo(cfg.r").0, 8);
    }

    #[test]
    fn hints_the_signature_being_typed() {
        let c = catalog();
        assert_eq!(
            c.hint("t.users(").as_deref(),
            Some("  t.users(filter: &str) -> Array (+1 more)")
        );
        assert_eq!(
            c.hint("policy::check(\"a(\"").as_deref(),
            Some("  policy::check(rule: &str)")
        );
        assert_eq!(c.hint("t.users()"), None);
    }
}
