//! The history file (in the user's data directory) and what must never be written to it:
//! lines holding a secret the session knows, or spelling out credentials.

use crate::config::vars;
use crate::script::redact;
use crate::secret::is_secret_name;
use crate::session::Session;
use rhai::{Dynamic, Scope};
use std::path::PathBuf;

/// `$XDG_DATA_HOME/qops/history`, else `~/.local/share/qops/history`.
pub fn path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("qops").join("history"))
}

/// Secret values the session knows: the environment's client secret and API key, and values
/// held in scope under secret-looking keys (a created OAuth client's `clientSecret`, an
/// `access_token`, an API key's `token`).
pub fn known_secrets(session: &Session, scope: &Scope) -> Vec<String> {
    let mut found: Vec<String> = [vars::CLIENT_SECRET, vars::API_KEY]
        .iter()
        .filter_map(|v| session.env.peek(v))
        .collect();
    found.extend(
        crate::regions::REGIONS
            .iter()
            .filter_map(|r| session.env.get(&vars::region_client(r.code).1)),
    );
    for (_, _, value) in scope.iter_raw() {
        secrets_in(value, 4, &mut found);
    }
    found.retain(|s| s.len() >= 6);
    found.sort();
    found.dedup();
    found
}

fn secrets_in(value: &Dynamic, depth: usize, out: &mut Vec<String>) {
    if depth == 0 {
        return;
    }
    if let Some(map) = value.read_lock::<rhai::Map>() {
        for (k, v) in map.iter() {
            if is_secret_name(k) && v.is_string() {
                out.push(v.to_string());
            } else {
                secrets_in(v, depth - 1, out);
            }
        }
    } else if let Some(items) = value.read_lock::<rhai::Array>() {
        for v in items.iter().take(1000) {
            secrets_in(v, depth - 1, out);
        }
    }
}

/// Whether `input` may go to the history file: not when it holds a secret the session knows,
/// names something secret-looking (`let token = ..`, `#{clientSecret: ..}`) or holds a
/// credential (a JWT, `Bearer ...`), even one we do not know.
pub fn may_keep(input: &str, secrets: &[String]) -> bool {
    !secrets.iter().any(|s| input.contains(s.as_str())) && !redact::mentions_secret(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_scope_and_credential_lines_stay_out() {
        let mut scope = Scope::new();
        let mut client = rhai::Map::new();
        client.insert("clientSecret".into(), "s3cr3t-value".into());
        client.insert("clientName".into(), "bot".into());
        scope.push("c", client);
        let session = Session::new(crate::config::Env::default());
        let secrets = known_secrets(&session, &scope);
        assert!(secrets.contains(&"s3cr3t-value".to_string()));
        assert!(!secrets.contains(&"bot".to_string()));
        assert!(!may_keep("let x = \"s3cr3t-value\";", &secrets));
        assert!(!may_keep("tenant(h, #{client_secret: s})", &secrets));
        assert!(may_keep("c.clientName", &secrets));
    }

    #[test]
    fn credential_lines_stay_out_even_when_the_value_is_unknown() {
        for input in [
            r#"let c = #{clientSecret: "abc"}"#,
            r#"let token = "abc""#,
            r#"#{password: p}"#,
            r#"let headers = #{Authorization: h}"#,
            r#"let key = #{api_key: "abc"}"#,
            r#"let k = #{apiKey: "abc"}"#,
            r#"let pk = #{private_key: "key.pem"}"#,
            r#"t.get("/x", #{h: "Bearer abcdef123456"})"#,
            r#"let j = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln""#,
        ] {
            assert!(!may_keep(input, &[]), "{input}");
        }
        assert!(may_keep("t.users().len()", &[]));
    }
}
