//! Run-time errors in operator words, for the report of a failed run (see
//! [`report::eval_error`]): a call of a function that does not exist names the
//! nearest ones with their signatures; a call with the wrong argument types shows the overloads
//! that exist and the types of the call (`users(filter: string[, limit: int]) — called with
//! (int)`); a property read on an empty value says which call returned nothing; a module not
//! found lists where it was looked for; an error inside a `for` loop names the item at hand.

use super::catalog::{combined, did_you_mean, nearest, type_word, Catalog, Overload, HANDLES};
use super::modules::Resolver;
use super::report::{self, Innermost};
use super::runner::{imports, Source};
use rhai::{ASTNode, Dynamic, Engine, EvalAltResult, EvalContext, Expr, Position, Stmt, AST};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// The report of `err`, raised running `ast` compiled from `source`.
pub fn eval_error(
    engine: &Engine,
    ast: &AST,
    resolver: &Resolver,
    source: &Source,
    err: &EvalAltResult,
) -> String {
    report::eval_error(&source.name, &source.text, err, &|inner| {
        explain(engine, ast, resolver, &source.name, inner)
    })
}

fn explain(
    engine: &Engine,
    ast: &AST,
    resolver: &Resolver,
    file: &str,
    inner: &Innermost,
) -> (Option<String>, Vec<String>) {
    let mut notes = Vec::new();
    let message = match inner.err {
        EvalAltResult::ErrorFunctionNotFound(sig, _) => {
            function_not_found(engine, ast, resolver, file, sig, &mut notes)
        }
        EvalAltResult::ErrorDotExpr(text, _) => property(engine, ast, text, inner.pos),
        EvalAltResult::ErrorModuleNotFound(path, _) => {
            let (message, searched) = resolver.not_found(Some(inner.module.unwrap_or(file)), path);
            notes = searched;
            Some(message)
        }
        _ => None,
    };
    // The loop around the error, or around a call that led to it.
    let places = std::iter::once(inner.pos).chain(inner.calls.iter().copied());
    if let Some(item) = places.into_iter().find_map(|pos| loop_item(ast, pos)) {
        notes.push(item);
    }
    (message, notes)
}

/// Rhai's `name (type, type)` as a name, an optional namespace and operator type words.
fn parse_signature(sig: &str) -> Option<(Option<String>, String, Vec<String>)> {
    let (name, args) = sig.split_once(" (")?;
    let args = args.strip_suffix(')')?;
    let types = if args.trim().is_empty() {
        Vec::new()
    } else {
        args.split(", ").map(type_word).collect()
    };
    let (namespace, name) = match name.rsplit_once("::") {
        Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
        None => (None, name.to_string()),
    };
    Some((namespace, name, types))
}

fn function_not_found(
    engine: &Engine,
    ast: &AST,
    resolver: &Resolver,
    file: &str,
    sig: &str,
    notes: &mut Vec<String>,
) -> Option<String> {
    let (namespace, name, types) = parse_signature(sig)?;
    let called = format!("({})", types.join(", "));
    if name.starts_with("anon$") {
        let takes = ast
            .iter_functions()
            .find(|f| f.name == name)
            .map(|f| f.params.len());
        return Some(match takes {
            Some(n) => format!("a closure of {n} parameter(s) was called with {called}"),
            None => format!("a closure was called with {called}, which it does not take"),
        });
    }
    if !super::catalog::is_identifier(&name) {
        return Some(format!("no operator '{name}' for {called}"));
    }
    let mut catalog = Catalog::of_engine(engine);
    catalog.add_script(ast, None, true);
    if let Some(ns) = &namespace {
        if let Some(import) = imports(ast).into_iter().find(|i| &i.alias == ns) {
            if let Ok(Some((_, text))) = resolver.locate(Some(file), &import.path) {
                if let Ok(m) = engine.compile(&text) {
                    catalog.add_script(&m, Some(ns), false);
                }
            }
        }
    }
    let ns = namespace.as_deref();
    let overloads: Vec<&Overload> = catalog.overloads(ns, &name).collect();
    let receiver = types
        .first()
        .filter(|t| HANDLES.contains(&t.as_str()) && ns.is_none());
    if overloads.is_empty() {
        let (what, candidates): (String, Vec<&str>) = match receiver {
            Some(ty) => (
                format!("no method '{name}' for a {ty}"),
                methods_of(&catalog, ty),
            ),
            None => (
                match ns {
                    Some(ns) => format!("no function '{ns}::{name}'"),
                    None => format!("no function '{name}'"),
                },
                catalog.function_names(ns).into_iter().collect(),
            ),
        };
        let near = nearest(&name, candidates);
        notes.extend(catalog.signatures_of(ns, &near, receiver.is_some()));
        let shown: Vec<String> = match ns {
            Some(ns) => near.iter().map(|n| format!("{ns}::{n}")).collect(),
            None => near,
        };
        return Some(format!("{what}{}", did_you_mean(&shown)));
    }
    let as_method = receiver.is_some_and(|ty| {
        overloads.iter().any(|o| {
            o.is_handle_method() && o.params.first().is_some_and(|(_, t)| &type_word(t) == ty)
        })
    });
    let (candidates, called) = if as_method {
        let ty = receiver.map(String::as_str).unwrap_or_default();
        let on_type: Vec<&Overload> = overloads
            .iter()
            .copied()
            .filter(|o| o.params.first().is_some_and(|(_, t)| type_word(t) == ty))
            .collect();
        (on_type, format!("({})", types[1..].join(", ")))
    } else {
        (overloads, called)
    };
    let lines = combined(&candidates, as_method);
    match lines.as_slice() {
        [one] => Some(format!("{one} — called with {called}")),
        _ => {
            notes.extend(lines.iter().cloned());
            Some(format!(
                "no overload of '{name}' takes {called}; these exist:"
            ))
        }
    }
}

/// The method names a value of type `ty` has (natives whose first parameter is one).
fn methods_of<'a>(catalog: &'a Catalog, ty: &str) -> Vec<&'a str> {
    catalog
        .method_names()
        .into_iter()
        .filter(|name| {
            catalog
                .overloads(None, name)
                .any(|o| o.params.first().is_some_and(|(_, t)| type_word(t) == ty))
        })
        .collect()
}

/// A property that cannot be read or set: on `()`, which call returned nothing; on a handle,
/// the nearest properties it has.
fn property(engine: &Engine, ast: &AST, text: &str, pos: Position) -> Option<String> {
    let (rest, verb) = match text.strip_prefix("Unknown property '") {
        Some(rest) => (rest, "read"),
        None => (text.strip_prefix("No writable property '")?, "set"),
    };
    let prop = rest.split('\'').next()?;
    let ty = rest.split_once("type '")?.1.split('\'').next()?;
    if ty != "()" {
        let word = type_word(ty);
        if verb == "set" {
            return Some(format!("the property '{prop}' of a {word} cannot be set"));
        }
        let getters: Vec<String> = Catalog::of_engine(engine)
            .getters_of(&word)
            .into_iter()
            .collect();
        let near = nearest(prop, getters.iter().map(String::as_str));
        return Some(format!(
            "a {word} has no property '{prop}'{}",
            did_you_mean(&near)
        ));
    }
    let Some(lhs) = dot_before(ast, prop, pos) else {
        return Some(format!(
            "the value is empty (()), so its property '{prop}' cannot be {verb}"
        ));
    };
    Some(match &lhs {
        Expr::Variable(v, _, var_pos) => {
            let var = v.1.as_str();
            match assigned_call(ast, var, *var_pos) {
                Some(call) => format!(
                    "{var} is empty (()): {call} returned nothing, so {var}.{prop} cannot be {verb}"
                ),
                None => format!("{var} is empty (()), so {var}.{prop} cannot be {verb}"),
            }
        }
        call if is_call(call) => format!(
            "{} returned nothing (()), so .{prop} cannot be {verb}",
            describe(call)
        ),
        other => format!(
            "{} is empty (()), so .{prop} cannot be {verb}",
            describe(other)
        ),
    })
}

fn key(pos: Position) -> (usize, usize) {
    (pos.line().unwrap_or(0), pos.position().unwrap_or(0))
}

/// The left side of the `.prop` read at `pos`.
fn dot_before(ast: &AST, prop: &str, pos: Position) -> Option<Expr> {
    let mut exact = None;
    let mut same_line = None;
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::Dot(x, _, dot_pos))) = nodes.last() {
            let first = match &x.rhs {
                Expr::Dot(y, _, _) | Expr::Index(y, _, _) => &y.lhs,
                other => other,
            };
            if let Expr::Property(p, prop_pos) = first {
                if p.2 == prop {
                    if *prop_pos == pos || *dot_pos == pos {
                        exact.get_or_insert_with(|| x.lhs.clone());
                    } else if prop_pos.line() == pos.line() {
                        same_line.get_or_insert_with(|| x.lhs.clone());
                    }
                }
            }
        }
        true
    });
    exact.or(same_line)
}

/// `t.user(...)` when the last `let var = ...` before `before` assigned a call's result.
fn assigned_call(ast: &AST, var: &str, before: Position) -> Option<String> {
    let mut found: Option<((usize, usize), String)> = None;
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Var(x, _, pos))) = nodes.last() {
            if x.0.name == var && key(*pos) < key(before) && is_call(&x.1) {
                let newer = found.as_ref().is_none_or(|(k, _)| *k < key(*pos));
                if newer {
                    found = Some((key(*pos), describe(&x.1)));
                }
            }
        }
        true
    });
    found.map(|(_, text)| text)
}

fn is_call(expr: &Expr) -> bool {
    match expr {
        Expr::FnCall(..) | Expr::MethodCall(..) => true,
        Expr::Dot(x, _, _) => is_call(&last_link(&x.rhs)),
        _ => false,
    }
}

fn last_link(expr: &Expr) -> Expr {
    match expr {
        Expr::Dot(x, _, _) => last_link(&x.rhs),
        other => other.clone(),
    }
}

/// `t.user(...)`, `users(...)`, `c.name`: an expression as a reader recognises it.
fn describe(expr: &Expr) -> String {
    match expr {
        Expr::Variable(v, _, _) => v.1.to_string(),
        Expr::Property(p, _) => p.2.to_string(),
        Expr::FnCall(f, _) | Expr::MethodCall(f, _) => {
            let ns = if f.namespace.is_empty() {
                String::new()
            } else {
                format!("{}::", f.namespace)
            };
            let args = if f.args.is_empty() { "" } else { "..." };
            format!("{ns}{}({args})", f.name)
        }
        Expr::Dot(x, _, _) => format!("{}.{}", describe(&x.lhs), describe(&x.rhs)),
        Expr::Index(x, _, _) => format!("{}[...]", describe(&x.lhs)),
        Expr::ThisPtr(_) => "this".into(),
        _ => "the value".into(),
    }
}

thread_local! {
    /// The variables of this thread's script's `for` loops, and a short description of the
    /// value each last had when the script read it.
    static LOOPS: RefCell<(HashSet<String>, HashMap<String, String>)> =
        RefCell::new((HashSet::new(), HashMap::new()));
}

/// While alive, reads of the script's loop variables are noted (see [`note_var`]), so that an
/// error inside a loop can name the item.
pub struct LoopWatch;

impl Drop for LoopWatch {
    fn drop(&mut self) {
        LOOPS.with(|l| *l.borrow_mut() = (HashSet::new(), HashMap::new()));
    }
}

/// Starts noting the values of the `for` loop variables of `ast`.
pub fn watch_loops(ast: &AST) -> LoopWatch {
    let mut names = HashSet::new();
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::For(x, _))) = nodes.last() {
            names.insert(x.0.name.to_string());
        }
        true
    });
    LOOPS.with(|l| *l.borrow_mut() = (names, HashMap::new()));
    LoopWatch
}

/// The engine's variable hook: notes the value of a watched loop variable as it is read.
pub fn note_var(name: &str, ctx: &EvalContext) {
    LOOPS.with(|l| {
        let Ok(mut l) = l.try_borrow_mut() else {
            return;
        };
        if !l.0.contains(name) {
            return;
        }
        if let Some(value) = ctx.scope().get(name) {
            let text = summary(value);
            l.1.insert(name.to_string(), text);
        }
    });
}

/// `while processing c = "acme"`: the item of the innermost `for` loop around `pos`, as last
/// read.
fn loop_item(ast: &AST, pos: Position) -> Option<String> {
    if pos.is_none() {
        return None;
    }
    let mut innermost: Option<((usize, usize), String, usize)> = None;
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::For(x, for_pos))) = nodes.last() {
            let body = &x.2.body;
            let (start, end) = (key(body.position()), key(body.end_position()));
            let inside = start <= key(pos) && (body.end_position().is_none() || key(pos) <= end);
            if inside && innermost.as_ref().is_none_or(|(s, _, _)| *s < start) {
                innermost = Some((start, x.0.name.to_string(), for_pos.line().unwrap_or(0)));
            }
        }
        true
    });
    let (_, var, line) = innermost?;
    let value = LOOPS.with(|l| l.borrow().1.get(&var).cloned())?;
    Some(format!(
        "while processing {var} = {value} (the for loop at line {line})"
    ))
}

/// A value in a few words: a map by its name-like field, a string quoted, others as JSON,
/// cut short.
pub fn summary(value: &Dynamic) -> String {
    if let Some(map) = value.read_lock::<rhai::Map>() {
        for field in [
            "name",
            "displayName",
            "title",
            "email",
            "hostname",
            "id",
            "code",
        ] {
            if let Some(v) = map.get(field).filter(|v| !v.is_unit()) {
                return format!("{field} {}", summary(v));
            }
        }
    }
    if value.is_string() {
        return crate::output::cut(&format!("{:?}", value.to_string()), 60);
    }
    match rhai::serde::from_dynamic::<serde_json::Value>(value) {
        Ok(json) => crate::output::cut(&json.to_string(), 60),
        Err(_) => type_word(value.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::script::engine::{build, Limits};
    use crate::session::Session;
    use std::sync::Arc;

    fn report(script: &str) -> String {
        let session = Arc::new(Session::new(Env::default()));
        let engine = build(&session, &Limits::default());
        let resolver = Resolver::new(None);
        let source = Source::inline("s.rhai", script);
        let ast = engine.compile(script).unwrap();
        let watch = watch_loops(&ast);
        let err = engine.run_ast(&ast).unwrap_err();
        let text = eval_error(&engine, &ast, &resolver, &source, &err);
        drop(watch);
        text
    }

    #[test]
    fn unknown_functions_name_the_nearest_with_signatures() {
        let text = report("tenat(\"x\")");
        assert!(
            text.starts_with("s.rhai:1:1: no function 'tenat' — did you mean 'tenant'?"),
            "{text}"
        );
        assert!(text.contains("tenant(host: string) -> tenant"), "{text}");
        assert!(!text.contains("ImmutableString"), "{text}");
    }

    #[test]
    fn wrong_argument_types_show_what_exists_and_what_was_given() {
        let text = report("fn f(a) { a }\nf(1, \"x\")");
        assert!(text.contains("f(a) — called with (int, string)"), "{text}");
        let text = report("parallel(1, 2)");
        assert!(text.contains("— called with (int, int)"), "{text}");
        assert!(
            text.contains("parallel(items: array, f: function"),
            "{text}"
        );
    }

    #[test]
    fn a_property_of_an_empty_value_names_the_call_that_returned_it() {
        let text = report("fn find() { () }\nlet u = find();\nu.id");
        assert!(
            text.contains("u is empty (()): find() returned nothing, so u.id cannot be read"),
            "{text}"
        );
    }

    #[test]
    fn an_error_in_a_function_called_from_a_loop_names_the_item() {
        let text = report(
            "fn onboard(x) {\n  if x.name == \"b\" { throw \"bad\" }\n}\nfor c in [#{name: \"a\"}, #{name: \"b\"}] {\n  onboard(c);\n}",
        );
        assert!(
            text.contains("while processing c = name \"b\" (the for loop at line 4)"),
            "{text}"
        );
    }

    #[test]
    fn setting_a_property_of_an_empty_value_says_so() {
        let text = report(
            "fn find() { () }
let u = find();
u.id = 1;",
        );
        assert!(
            text.contains("u is empty (()): find() returned nothing, so u.id cannot be set"),
            "{text}"
        );
    }

    #[test]
    fn an_error_in_a_loop_names_the_item() {
        let text = report(
            "let items = [#{name: \"a\"}, #{name: \"b\"}];\nfor c in items {\n  if c.name == \"b\" { throw \"bad\" }\n}",
        );
        assert!(
            text.contains("while processing c = name \"b\" (the for loop at line 2)"),
            "{text}"
        );
    }
}
