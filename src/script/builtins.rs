//! One-line descriptions of Rhai's built-in functions.

#[cfg(test)]
mod tests {
    use crate::config::Env;
    use crate::script::{docs, engine};
    use crate::session::Session;
    use std::sync::Arc;

    #[test]
    fn list() {
        let session = Arc::new(Session::new(Env::default()));
        let engine = engine::build(&session, &engine::Limits::default());
        let ours: std::collections::HashSet<String> = docs::native_functions(&engine, false)
            .into_iter()
            .map(|f| f.name)
            .collect();
        let mut names: Vec<String> = docs::native_functions(&engine, true)
            .into_iter()
            .filter(|f| f.namespace.is_none() && !ours.contains(&f.name))
            .map(|f| f.name)
            .collect();
        names.sort();
        names.dedup();
        println!("{}", names.join("\n"));
    }
}
