//! The checks a compiler would make, on a compiled script, before anything runs: calls of
//! functions, methods and module functions that do not exist, calls whose number of arguments
//! no overload takes, and variables used where none is defined. Each finding names the nearest
//! correct names and their signatures. Used by `qops check`, and by `run`, `eval` and `test`
//! before they execute anything.

use super::catalog::{self, did_you_mean, nearest, Catalog, Overload, KEYWORDS};
use super::modules::Resolver;
use super::report;
use rhai::{Engine, Expr, FnCallExpr, Position, Stmt, StmtBlock, AST};
use std::collections::{BTreeSet, HashMap};

/// Variables the runner puts in the scope of a script's top level (`qops run --arg k=v`).
pub const RUNNER_CONSTANTS: &[&str] = &["args"];

/// One problem, at a place in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub pos: Position,
    pub message: String,
    /// Signatures of the nearest names, or where a module was looked for.
    pub notes: Vec<String>,
}

/// What every checked file can call besides its own functions.
pub struct Known<'a> {
    pub engine: &'a Engine,
    pub resolver: &'a Resolver,
    /// The engine's functions, the standard library included.
    pub catalog: Catalog,
    /// `assert`, `assert_eq`: what test files (`*_test.rhai`, or defining `test_*` functions)
    /// may call besides.
    pub test_helpers: Catalog,
}

impl<'a> Known<'a> {
    pub fn new(engine: &'a Engine, resolver: &'a Resolver) -> Known<'a> {
        let mut helpers = Engine::new_raw();
        super::testing::register(&mut helpers);
        Known {
            engine,
            resolver,
            catalog: Catalog::of_engine(engine),
            test_helpers: Catalog::of_engine(&helpers),
        }
    }
}

/// The findings of the script `name` compiled as `ast`, in source order.
pub fn check_ast(known: &Known, name: &str, ast: &AST) -> Vec<Finding> {
    let mut catalog = known.catalog.clone();
    catalog.add_script(ast, None, true);
    let is_test = name.ends_with("_test.rhai")
        || ast
            .iter_functions()
            .any(|f| f.name.starts_with("test_") && f.params.is_empty());
    if is_test {
        catalog.extend(&known.test_helpers);
    }
    let script_fns = ast.iter_functions().map(|f| f.name.to_string()).collect();
    let mut walker = Walker {
        catalog,
        script_fns,
        properties: property_names(ast),
        modules: HashMap::new(),
        frames: Vec::new(),
        script_vars: BTreeSet::new(),
        in_function: false,
        findings: Vec::new(),
    };
    walker.import_all(known, name, ast);
    walker
        .frames
        .push(RUNNER_CONSTANTS.iter().map(|c| c.to_string()).collect());
    walker.statements(ast.statements());
    walker.frames.clear();
    walker.in_function = true;
    for f in ast.iter_functions() {
        let params: Vec<String> = f.params.iter().map(|p| p.to_string()).collect();
        let arity = params.len();
        let fn_name = f.name.to_string();
        let mut only = ast.clone_functions_only();
        only.retain_functions(|_, _, n, a| n == fn_name && a == arity);
        let mut body = Vec::new();
        only.walk(&mut |nodes| {
            if let [rhai::ASTNode::Stmt(stmt)] = nodes {
                body.push((*stmt).clone());
            }
            true
        });
        walker.frames.push(params);
        walker.statements(&body);
        walker.frames.clear();
    }
    let mut findings = walker.findings;
    findings.sort_by_key(|f| (f.pos.line(), f.pos.position()));
    findings.dedup();
    findings
}

/// Every map key and property name the script writes or reads: `obj.action()` calls the
/// function held in a map's `action` property, so such a name is a method the script may call.
fn property_names(ast: &AST) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    ast.walk(&mut |nodes| {
        match nodes.last() {
            Some(rhai::ASTNode::Expr(Expr::Map(x, _))) => {
                names.extend(x.0.iter().map(|(key, _)| key.name.to_string()));
                names.extend(x.1.keys().map(|key| key.to_string()));
            }
            Some(rhai::ASTNode::Expr(Expr::Property(x, _))) => {
                names.insert(x.2.to_string());
            }
            // A map literal of constants (closures without captures included) is folded.
            Some(rhai::ASTNode::Expr(Expr::DynamicConstant(value, _))) => {
                if let Some(map) = value.read_lock::<rhai::Map>() {
                    names.extend(map.keys().map(|key| key.to_string()));
                }
            }
            _ => {}
        }
        true
    });
    names
}

/// The findings as `file:line:col: message` reports, one after the other.
pub fn render(file: &str, text: &str, findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| report::located(file, text, f.pos, &f.message, &f.notes))
        .collect()
}

/// An imported module: its path and, when it could be read and compiled, its functions.
struct Imported {
    path: String,
    functions: Option<Catalog>,
}

struct Walker {
    catalog: Catalog,
    /// Names of the file's functions: a bare name is a function pointer (`map(double)`).
    script_fns: BTreeSet<String>,
    /// Map keys and property names: a function held in a map is called as a method.
    properties: BTreeSet<String>,
    /// By alias; imports at the top level are visible inside functions, so the file's imports
    /// are gathered first.
    modules: HashMap<String, Imported>,
    /// Variables in scope, innermost block last.
    frames: Vec<Vec<String>>,
    /// Every variable the script's top level defines: a function using one is told why it
    /// cannot see it.
    script_vars: BTreeSet<String>,
    /// Walking a function's body (after the top level).
    in_function: bool,
    findings: Vec<Finding>,
}

impl Walker {
    fn import_all(&mut self, known: &Known, name: &str, ast: &AST) {
        let source = (!name.is_empty()).then_some(name);
        for import in super::runner::imports(ast) {
            if import.alias.is_empty() {
                continue;
            }
            let functions = match known.resolver.locate(source, &import.path) {
                Ok(Some((_, text))) => known.engine.compile(&text).ok().map(|m| {
                    let mut c = Catalog::default();
                    c.add_script(&m, Some(&import.alias), false);
                    c
                }),
                // Reported by the import check of `qops check` and by the run itself.
                _ => None,
            };
            self.modules.insert(
                import.alias.clone(),
                Imported {
                    path: import.path.clone(),
                    functions,
                },
            );
        }
    }

    fn finding(&mut self, pos: Position, message: String, notes: Vec<String>) {
        self.findings.push(Finding {
            pos,
            message,
            notes,
        });
    }

    fn is_var(&self, name: &str) -> bool {
        self.frames.iter().any(|f| f.iter().any(|v| v == name))
    }

    fn define(&mut self, name: &str) {
        if !self.in_function {
            self.script_vars.insert(name.to_string());
        }
        if let Some(frame) = self.frames.last_mut() {
            frame.push(name.to_string());
        }
    }

    fn scoped(&mut self, vars: Vec<String>, f: impl FnOnce(&mut Self)) {
        self.frames.push(vars);
        f(self);
        self.frames.pop();
    }

    fn block(&mut self, block: &StmtBlock) {
        self.scoped(Vec::new(), |w| w.statements(block.statements()));
    }

    fn statements(&mut self, statements: &[Stmt]) {
        for s in statements {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::If(x, _) | Stmt::While(x, _) | Stmt::Do(x, _, _) => {
                self.expr(&x.expr);
                self.block(&x.body);
                self.block(&x.branch);
            }
            Stmt::Switch(x, _) => {
                self.expr(&x.0);
                for case in &x.1.expressions {
                    self.expr(&case.lhs);
                    self.expr(&case.rhs);
                }
            }
            Stmt::For(x, _) => {
                let (var, counter, flow) = &**x;
                self.expr(&flow.expr);
                let mut vars = vec![var.name.to_string()];
                vars.extend(counter.iter().map(|c| c.name.to_string()));
                self.scoped(vars, |w| w.statements(flow.body.statements()));
            }
            Stmt::Var(x, _, _) => {
                self.expr(&x.1);
                self.define(&x.0.name);
            }
            Stmt::Assignment(x) => {
                self.expr(&x.1.rhs);
                self.expr(&x.1.lhs);
            }
            Stmt::FnCall(f, pos) => self.call(f, *pos),
            Stmt::Block(b) => self.block(b),
            Stmt::TryCatch(x, _) => {
                self.block(&x.body);
                let vars = match &x.expr {
                    Expr::Variable(v, _, _) => vec![v.1.to_string()],
                    _ => Vec::new(),
                };
                self.scoped(vars, |w| w.statements(x.branch.statements()));
            }
            Stmt::Expr(e) => self.expr(e),
            Stmt::BreakLoop(Some(e), _, _) | Stmt::Return(Some(e), _, _) => self.expr(e),
            Stmt::Import(x, _) => self.expr(&x.0),
            _ => {}
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::InterpolatedString(items, _) | Expr::Array(items, _) => {
                for e in items.iter() {
                    self.expr(e);
                }
            }
            Expr::Map(x, _) => {
                for (_, e) in &x.0 {
                    self.expr(e);
                }
            }
            Expr::Variable(x, _, pos) if x.2.is_empty() => self.variable(&x.1, *pos),
            Expr::MethodCall(f, pos) => self.method(f, *pos),
            Expr::FnCall(f, pos) => self.call(f, *pos),
            Expr::Stmt(block) => self.block(block),
            Expr::Dot(x, _, _) | Expr::Index(x, _, _) => {
                self.expr(&x.lhs);
                self.expr(&x.rhs);
            }
            Expr::And(items, _) | Expr::Or(items, _) | Expr::Coalesce(items, _) => {
                for e in items.iter() {
                    self.expr(e);
                }
            }
            Expr::Custom(x, _) => {
                for e in &x.inputs {
                    self.expr(e);
                }
            }
            _ => {}
        }
    }

    fn variable(&mut self, name: &str, pos: Position) {
        if self.is_var(name) || self.script_fns.contains(name) {
            return;
        }
        let visible: BTreeSet<&str> = self.frames.iter().flatten().map(String::as_str).collect();
        let near = nearest(name, visible.iter().copied());
        let notes = if self.in_function && self.script_vars.contains(name) {
            vec![format!(
                "a function sees only its parameters, not the script's variables: pass '{name}' as a parameter"
            )]
        } else {
            Vec::new()
        };
        self.finding(
            pos,
            format!(
                "no variable '{name}' is defined here{}",
                did_you_mean(&near)
            ),
            notes,
        );
    }

    fn call(&mut self, f: &FnCallExpr, pos: Position) {
        for a in &f.args {
            self.expr(a);
        }
        let name = f.name.as_str();
        if f.op_token.is_some() || !catalog::is_identifier(name) || KEYWORDS.contains(&name) {
            return;
        }
        if !f.namespace.is_empty() {
            return self.qualified(f, pos);
        }
        // A variable holding a function pointer is called like a function.
        if self.is_var(name) {
            return;
        }
        let overloads: Vec<Overload> = self.catalog.overloads(None, name).cloned().collect();
        let args = f.args.len();
        if overloads.is_empty() {
            let names = self.catalog.function_names(None);
            let mut near = nearest(name, names.iter().copied());
            let notes = self.catalog.signatures_of(None, &near, false);
            // The same name in an imported module: the call needs its alias.
            for (alias, m) in &self.modules {
                if let Some(c) = &m.functions {
                    if c.overloads(Some(alias), name).next().is_some() {
                        near.insert(0, format!("{alias}::{name}"));
                    }
                }
            }
            self.finding(
                pos,
                format!("no function '{name}'{}", did_you_mean(&near)),
                notes,
            );
        } else if !overloads.iter().any(|o| o.arity() == args) {
            self.arity(pos, name, &overloads, args, false);
        }
    }

    fn method(&mut self, f: &FnCallExpr, pos: Position) {
        for a in &f.args {
            self.expr(a);
        }
        let name = f.name.as_str();
        if !catalog::is_identifier(name) || KEYWORDS.contains(&name) {
            return;
        }
        // A native without parameters has nothing to take the value.
        let overloads: Vec<Overload> = self
            .catalog
            .overloads(None, name)
            .filter(|o| o.script || o.arity() > 0)
            .cloned()
            .collect();
        let args = f.args.len();
        if overloads.is_empty() && self.properties.contains(name) {
            return;
        }
        if overloads.is_empty() {
            let names = self.catalog.method_names();
            let near = nearest(name, names.iter().copied());
            let notes = self.catalog.signatures_of(None, &near, true);
            self.finding(
                pos,
                format!("no method '{name}'{}", did_you_mean(&near)),
                notes,
            );
        } else if !overloads.iter().any(|o| o.takes_as_method(args)) {
            self.arity(pos, name, &overloads, args, true);
        }
    }

    fn arity(
        &mut self,
        pos: Position,
        name: &str,
        overloads: &[Overload],
        args: usize,
        method: bool,
    ) {
        let mut counts: Vec<usize> = overloads
            .iter()
            .map(|o| {
                if method && !o.script {
                    o.arity().saturating_sub(1)
                } else {
                    o.arity()
                }
            })
            .collect();
        counts.sort();
        counts.dedup();
        let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
        let takes = match counts.as_slice() {
            [one] => one.clone(),
            [first @ .., last] => format!("{} or {last}", first.join(", ")),
            [] => "no".into(),
        };
        let mut sorted: Vec<&Overload> = overloads.iter().collect();
        sorted.sort_by_key(|o| o.arity());
        let notes = sorted
            .iter()
            .map(|o| o.signature(method || o.is_handle_method()))
            .collect();
        let kind = if method { "method" } else { "function" };
        self.finding(
            pos,
            format!(
                "{kind} '{name}' takes {takes} {}, called with {args}",
                plural(&takes)
            ),
            notes,
        );
    }

    fn qualified(&mut self, f: &FnCallExpr, pos: Position) {
        if f.namespace.path.len() > 1 {
            return;
        }
        let root = f.namespace.root();
        let name = f.name.as_str();
        let args = f.args.len();
        if root == "global" {
            return;
        }
        let (overloads, names, label): (Vec<Overload>, BTreeSet<String>, String) =
            match self.modules.get(root) {
                Some(Imported {
                    functions: None, ..
                }) => return,
                Some(Imported {
                    path,
                    functions: Some(c),
                }) => (
                    c.overloads(Some(root), name).cloned().collect(),
                    c.function_names(Some(root))
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    format!("module \"{path}\""),
                ),
                None if self.catalog.has_namespace(root) => (
                    self.catalog.overloads(Some(root), name).cloned().collect(),
                    self.catalog
                        .function_names(Some(root))
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    format!("module '{root}'"),
                ),
                None => {
                    let mut roots: Vec<&str> = self.modules.keys().map(String::as_str).collect();
                    roots.push("policy");
                    let near = nearest(root, roots);
                    return self.finding(
                        f.namespace.position(),
                        format!("no module '{root}' is imported{}", did_you_mean(&near)),
                        Vec::new(),
                    );
                }
            };
        if overloads.is_empty() {
            let near = nearest(name, names.iter().map(String::as_str));
            let catalog_notes: Vec<String> = match self.modules.get(root) {
                Some(Imported {
                    functions: Some(c), ..
                }) => c.signatures_of(Some(root), &near, false),
                _ => self.catalog.signatures_of(Some(root), &near, false),
            };
            let qualified: Vec<String> = near.iter().map(|n| format!("{root}::{n}")).collect();
            self.finding(
                pos,
                format!(
                    "no function '{name}' in {label}{}",
                    did_you_mean(&qualified)
                ),
                catalog_notes,
            );
        } else if !overloads.iter().any(|o| o.arity() == args) {
            self.arity(pos, &format!("{root}::{name}"), &overloads, args, false);
        }
    }
}

fn plural(takes: &str) -> &'static str {
    if takes == "1" {
        "argument"
    } else {
        "arguments"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::script::engine::{build, Limits};
    use crate::session::Session;
    use std::sync::Arc;

    fn findings(script: &str) -> Vec<String> {
        let session = Arc::new(Session::new(Env::default()));
        let engine = build(&session, &Limits::default());
        let resolver = Resolver::new(None);
        let known = Known::new(&engine, &resolver);
        let ast = engine.compile(script).unwrap();
        check_ast(&known, "<test>", &ast)
            .into_iter()
            .map(|f| {
                format!(
                    "{}:{}: {}",
                    f.pos.line().unwrap_or(0),
                    f.pos.position().unwrap_or(0),
                    f.message
                )
            })
            .collect()
    }

    #[test]
    fn misspelt_functions_methods_and_module_functions_are_found() {
        let found = findings(
            "let t = tenat(\"x\");\nt.usres();\nimport \"qlik/tenant\" as tn;\ntn::ensure_usr(t, #{});",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].starts_with("1:9: no function 'tenat' — did you mean 'tenant'"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("2:3: no method 'usres' — did you mean 'users'"),
            "{found:?}"
        );
        assert!(found[2].contains("no function 'ensure_usr' in module \"qlik/tenant\" — did you mean 'tn::ensure_user'"), "{found:?}");
    }

    #[test]
    fn scopes_are_followed_without_false_alarms() {
        let clean = findings(
            r#"
            let xs = [1, 2, 3];
            let total = 0;
            for (x, i) in xs { total += x * i; }
            let f = |y| y + total;
            let g = |z| { let w = z; w * 2 };
            f(1); g(2);
            try { throw "no" } catch (e) { print(e) }
            fn helper(a, b) { let c = a + b; c.to_string() }
            fn method() { this + 1 }
            helper(1, 2); 5.method();
            xs.map(|v| v * 2).filter(|v| v > 2);
            let m = #{ id: 1 }; print(m.id); m.id = 2;
            print(args);
            if xs.len() > 0 { let inner = 1; print(inner) }
            switch total { 1 => print("one"), _ => print("other") }
            let h = helper; print(type_of(h));
            policy::check("resource.name like \"*\"");
            "#,
        );
        assert!(clean.is_empty(), "{clean:?}");
    }

    #[test]
    fn module_calls_are_checked_against_the_module() {
        let found = findings(
            "import \"qlik/tenant\" as tn;\ntn::ensure_user(1);\ntx::ensure_user(1, 2);\npolicy::chek(\"x\");",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0]
                .starts_with("2:5: function 'tn::ensure_user' takes 2 arguments, called with 1"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("3:1: no module 'tx' is imported — did you mean 'tn'?"),
            "{found:?}"
        );
        assert!(
            found[2]
                .contains("no function 'chek' in module 'policy' — did you mean 'policy::check'?"),
            "{found:?}"
        );
    }

    #[test]
    fn the_rest_of_the_language_raises_no_false_alarms() {
        let clean = findings(
            r#"
            const LIMIT = 3;
            export const NAME = "x";
            fn uses_global() { global::LIMIT + 1 }
            private fn hidden(a) { a }
            fn imports_inside() { import "qlik/tenant" as inner; inner::ensure_user }
            let n = 0;
            loop { n += 1; if n > LIMIT { break; } }
            do { n -= 1; } until n <= 0;
            while n < 2 { n += 1; }
            let m = #{a: #{b: 1}};
            print(`${m.a.b} ${m?.a?.b ?? 0} ${m["a"]["b"]}`);
            let outer = 1;
            let nested = |x| { let inner = |y| x + y + outer; inner.call(1) };
            let add = Fn("hidden");
            print(add.call(1) + nested.call(2) + hidden(3) + uses_global());
            let curried = add.curry(1);
            switch n { 0 if outer > 0 => print("zero"), 1..3 => print("few"), _ => {} }
            if is_def_var("outer") { print(outer) }
            let t = tenant("x");
            t.users("x", 10);
            print(t.host);
            let counter = #{count: 0, bump: |by| this.count += by};
            counter.bump(2);
            let greeter = #{};
            greeter.greet = |who| `hello ${who}`;
            print(greeter.greet("you"));
            "#,
        );
        assert!(clean.is_empty(), "{clean:?}");
        // A method that no map holds is still a misspelling.
        let found = findings("let counter = #{bump: |by| by};\ncounter.bmup(2);");
        assert!(found[0].contains("no method 'bmup'"), "{found:?}");
    }

    #[test]
    fn undefined_variables_and_wrong_arities_are_found() {
        let found = findings(
            "let customer = 1;\nprint(custmer);\nfn f(a) { customer }\nf(1, 2);\nif true { let x = 1; }\nprint(x);",
        );
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found[0].contains("no variable 'custmer' is defined here — did you mean 'customer'"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("3:11: no variable 'customer'"),
            "{found:?}"
        );
        assert!(
            found[2].contains("function 'f' takes 1 argument, called with 2"),
            "{found:?}"
        );
        assert!(found[3].starts_with("6:7: no variable 'x'"), "{found:?}");
    }
}
