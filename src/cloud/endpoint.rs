//! Which URL a host name means: `https` for real Qlik hosts, plain `http` only for loopback and
//! for hosts under the simulator's domain, which resolve to the simulator's address.

use super::error::{Error, Result};
use crate::regions;
use reqwest::Url;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Where hosts under a domain are served by a `qops sim`.
#[derive(Debug, Clone)]
pub struct SimRoute {
    /// `qlik.localhost`
    pub domain: String,
    /// The simulator's listening address.
    pub addr: SocketAddr,
}

/// How host names become URLs.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    pub sim: Option<SimRoute>,
}

impl Routing {
    /// The domain region hosts are built from: the simulator's when one is configured.
    pub fn base_domain(&self) -> &str {
        match &self.sim {
            Some(sim) => &sim.domain,
            None => regions::CLOUD_DOMAIN,
        }
    }

    fn simulated(&self, host: &str) -> Option<&SimRoute> {
        self.sim.as_ref().filter(|s| under(host, &s.domain))
    }

    /// The base URL (scheme, host, port; no path) for a host or URL given by a user.
    /// `acme.eu.qlikcloud.com`, `https://acme.eu.qlikcloud.com/` and `acme.eu.qlik.localhost`
    /// (with a simulator) are all accepted; `http://` to a real host is refused.
    pub fn base_url(&self, input: &str) -> Result<Url> {
        self.url_with_prefix(input, false)
    }

    /// Like [`Routing::base_url`], keeping the path as a prefix (a QSEoW virtual proxy:
    /// `https://qlik.corp/jwt/`), always ending in `/`.
    pub fn prefix_url(&self, input: &str) -> Result<Url> {
        self.url_with_prefix(input, true)
    }

    fn url_with_prefix(&self, input: &str, keep_path: bool) -> Result<Url> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Error::Usage("empty host name".into()));
        }
        // Userinfo may hold a password: never echo such an input.
        let shown = if input.contains('@') {
            "(a URL with `@`)".to_string()
        } else {
            format!("{:?}", shorten(input))
        };
        if let Some(c) = input
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '\\')
        {
            return Err(Error::Usage(format!(
                "invalid host {shown}: it holds {}",
                describe_char(c)
            )));
        }
        let with_scheme = if input.contains("://") {
            input.to_string()
        } else {
            format!("https://{input}")
        };
        let url = Url::parse(&with_scheme)
            .map_err(|e| Error::Usage(format!("invalid host {shown}: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Usage(format!(
                "refusing {}: credentials in a URL (user:password@) are not sent; give them in the auth map or the environment",
                url.host_str().unwrap_or("the URL")
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Error::Usage(format!("invalid host {shown}")))?
            .to_ascii_lowercase();
        let prefix = if keep_path {
            format!("{}/", url.path().trim_end_matches('/'))
        } else {
            "/".to_string()
        };
        if let Some(sim) = &self.sim {
            if under(&host, &sim.domain) {
                return Url::parse(&format!("http://{host}:{}{prefix}", sim.addr.port()))
                    .map_err(|e| Error::Usage(format!("invalid host {shown}: {e}")));
            }
            if !is_sim_address(sim, &url) {
                return Err(Error::Usage(format!(
                    "{host} is not a simulator host: runs against a simulator (--sim, --sim-url, QOPS_SIM, qops test) reach only *.{} and never a real host",
                    sim.domain
                )));
            }
        } else if under(&host, crate::sim::DOMAIN) {
            return Err(Error::Usage(format!(
                "{host} is a simulator host: start one with --sim or point --sim-url / QOPS_SIM at a running `qops sim`"
            )));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(Error::Usage(format!(
                    "refusing plain http to {host}: only https is allowed outside loopback and the simulator"
                )))
            }
            other => return Err(Error::Usage(format!("unsupported scheme {other:?} in {shown}"))),
        }
        let mut base = url;
        base.set_path(&prefix);
        base.set_query(None);
        base.set_fragment(None);
        Ok(base)
    }

    /// Whether a URL may be contacted at all under this routing (for links and redirects).
    pub fn allowed(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        if let Some(sim) = &self.sim {
            return url.scheme() == "http"
                && (under(host, &sim.domain) || is_sim_address(sim, url));
        }
        match url.scheme() {
            "https" => true,
            "http" => is_loopback(host) || self.simulated(host).is_some(),
            _ => false,
        }
    }

    /// A DNS resolver that sends simulator hosts to the simulator and everything else to the system.
    pub fn resolver(&self) -> Arc<SimResolver> {
        Arc::new(SimResolver {
            sim: self.sim.clone(),
        })
    }
}

/// The `filter` query pair of a list call, or none for a missing or blank filter.
pub fn filter_query(filter: Option<&str>) -> Vec<(&'static str, String)> {
    filter
        .filter(|f| !f.trim().is_empty())
        .map(|f| ("filter", f.to_string()))
        .into_iter()
        .collect()
}

/// `path` on the origin of `base` (under its path prefix), with query pairs encoded.
///
/// The joiner can never change scheme, host, port or userinfo: the result is `base` with only
/// its path and query replaced, and `path` is refused before any I/O when it holds anything that
/// some parser along the way could read as another origin or another directory: it must start
/// with a single `/`; its path part may hold only RFC 3986 path characters (no whitespace,
/// backslash, control character, `@`, `#` or non-ASCII) and well-formed `%XX` escapes; no
/// segment may be empty, `.` or `..`, or decode to one, or decode to a separator or a control
/// character. A `?query` in `path` is kept (its characters encoded), minus control characters.
pub fn join(base: &Url, path: &str, query: &[(&str, String)]) -> Result<Url> {
    let (path_part, raw_query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    check_path(path, path_part)?;
    if let Some(q) = raw_query {
        if let Some(c) = q.chars().find(|c| c.is_control() || *c == '#') {
            return Err(refused(
                path,
                &format!("its query holds {}", describe_char(c)),
            ));
        }
    }
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path_part}"));
    url.set_query(raw_query.filter(|q| !q.is_empty()));
    url.set_fragment(None);
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    // The construction above cannot change the origin; this guards the guarantee itself.
    if url.origin() != base.origin()
        || url.username() != base.username()
        || url.password().is_some()
    {
        return Err(refused(path, "it would leave the host"));
    }
    Ok(url)
}

/// Characters a path may spell out as they are (RFC 3986 `pchar` and `/`, without `@`).
fn plain_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:/".contains(&b)
}

fn check_path(whole: &str, path: &str) -> Result<()> {
    if !path.starts_with('/') {
        return Err(refused(whole, "a path must start with `/`"));
    }
    if let Some(c) = path
        .chars()
        .find(|&c| c != '%' && !(c.is_ascii() && plain_path_char(c as u8)))
    {
        return Err(refused(whole, &format!("it holds {}", describe_char(c))));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.is_empty() && !(last && path.len() > 1) {
            if path == "/" {
                break;
            }
            return Err(refused(whole, "it has an empty segment (`//`)"));
        }
        let decoded =
            percent_decode(segment).ok_or_else(|| refused(whole, "it has a malformed %-escape"))?;
        if decoded == b"." || decoded == b".." {
            return Err(refused(whole, "it has a `.` or `..` segment"));
        }
        if let Some(&b) = decoded
            .iter()
            .find(|&&b| b == b'/' || b == b'\\' || b.is_ascii_control())
        {
            return Err(refused(
                whole,
                &format!("a %-escape in it decodes to {}", describe_char(b as char)),
            ));
        }
    }
    Ok(())
}

/// The bytes `%XX` escapes stand for, or `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\\' => "a backslash".to_string(),
        c if c.is_control() || c.is_whitespace() => {
            format!("the control character U+{:04X}", c as u32)
        }
        c => format!("{c:?}"),
    }
}

fn refused(path: &str, why: &str) -> Error {
    Error::Usage(format!("refusing path {:?}: {why}", shorten(path)))
}

/// At most 120 characters of a refused input, for messages.
fn shorten(s: &str) -> String {
    crate::output::cut(s, 120)
}

/// One path segment from an id a script gave: refused when empty, `.` or `..`, or holding a
/// separator or a control character; everything outside RFC 3986 unreserved is %-escaped.
pub fn seg(id: &str) -> Result<String> {
    let why = if id.is_empty() {
        Some("it is empty")
    } else if id == "." || id == ".." {
        Some("`.` and `..` are not ids")
    } else if id.contains(['/', '\\']) {
        Some("ids hold no `/` or `\\`")
    } else if id.chars().any(char::is_control) {
        Some("it holds a control character")
    } else {
        None
    };
    if let Some(why) = why {
        return Err(Error::Usage(format!("invalid id {:?}: {why}", shorten(id))));
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Whether `host` is `domain` or a subdomain of it.
pub fn under(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    host.eq_ignore_ascii_case(domain)
        || (host.len() > domain.len()
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain))
}

/// Whether `url` names the simulator's own listening address (`http://127.0.0.1:PORT`).
fn is_sim_address(sim: &SimRoute, url: &Url) -> bool {
    let ip = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<IpAddr>().ok());
    ip == Some(sim.addr.ip()) && url.port_or_known_default() == Some(sim.addr.port())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Resolves `*.<sim domain>` to the simulator's IP (the port comes from the URL).
pub struct SimResolver {
    sim: Option<SimRoute>,
}

impl reqwest::dns::Resolve for SimResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let sim = self.sim.clone();
        Box::pin(async move {
            if let Some(sim) = sim {
                // Sealed: under a simulator no name is looked up anywhere else.
                if !under(&host, &sim.domain) {
                    return Err(format!("{host} is not a simulator host").into());
                }
                let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(sim.addr));
                return Ok(addrs);
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> Routing {
        Routing {
            sim: Some(SimRoute {
                domain: "qlik.localhost".into(),
                addr: "127.0.0.1:4321".parse().unwrap(),
            }),
        }
    }

    #[test]
    fn real_hosts_are_https_only() {
        let r = Routing::default();
        assert_eq!(
            r.base_url("acme.eu.qlikcloud.com").unwrap().as_str(),
            "https://acme.eu.qlikcloud.com/"
        );
        assert_eq!(
            r.base_url("https://acme.eu.qlikcloud.com/x?y")
                .unwrap()
                .as_str(),
            "https://acme.eu.qlikcloud.com/"
        );
        assert!(r
            .base_url("http://acme.eu.qlikcloud.com")
            .unwrap_err()
            .to_string()
            .contains("plain http"));
        assert_eq!(
            r.base_url("http://127.0.0.1:9000").unwrap().as_str(),
            "http://127.0.0.1:9000/"
        );
        assert!(r
            .base_url("acme.us.qlik.localhost")
            .unwrap_err()
            .to_string()
            .contains("--sim"));
        assert_eq!(r.base_domain(), "qlikcloud.com");
    }

    #[test]
    fn simulator_hosts_keep_their_name_and_take_the_port() {
        let r = sim();
        assert_eq!(
            r.base_url("acme.us.qlik.localhost").unwrap().as_str(),
            "http://acme.us.qlik.localhost:4321/"
        );
        assert_eq!(
            r.base_url("https://Register.EU.qlik.localhost")
                .unwrap()
                .as_str(),
            "http://register.eu.qlik.localhost:4321/"
        );
        assert!(r.allowed(&Url::parse("http://x.us.qlik.localhost:4321/a").unwrap()));
        assert!(!r.allowed(&Url::parse("http://evil.example/a").unwrap()));
        assert!(!under("evilqlik.localhost", "qlik.localhost"));
        assert_eq!(r.base_domain(), "qlik.localhost");
        assert_eq!(
            r.prefix_url("qseow.qlik.localhost").unwrap().as_str(),
            "http://qseow.qlik.localhost:4321/"
        );
        assert_eq!(
            Routing::default()
                .prefix_url("https://qlik.corp/jwt/")
                .unwrap()
                .as_str(),
            "https://qlik.corp/jwt/"
        );
        assert_eq!(
            Routing::default()
                .prefix_url("qlik.corp:4242")
                .unwrap()
                .as_str(),
            "https://qlik.corp:4242/"
        );
    }

    #[test]
    fn the_joiner_keeps_the_origin_and_refuses_what_could_move_it() {
        let base = Url::parse("https://acme.eu.qlikcloud.com/").unwrap();
        let ok = |p: &str| join(&base, p, &[]).unwrap().to_string();
        assert_eq!(
            ok("/api/v1/users"),
            "https://acme.eu.qlikcloud.com/api/v1/users"
        );
        assert_eq!(
            ok("/api/v1/users?filter=email eq \"a@b\"&limit=5"),
            "https://acme.eu.qlikcloud.com/api/v1/users?filter=email%20eq%20%22a@b%22&limit=5"
        );
        assert_eq!(
            ok("/api/v1/users/a%20b"),
            "https://acme.eu.qlikcloud.com/api/v1/users/a%20b"
        );
        assert_eq!(ok("/"), "https://acme.eu.qlikcloud.com/");
        for hostile in [
            "//evil.example/x",
            "/\\evil.example/x",
            "\\\\evil.example/x",
            "https://evil.example/x",
            "evil.example/x",
            "/x\tevil",
            "/x\nHost: evil",
            " /x",
            "/a b",
            "/x@evil.example",
            "/api/../../x",
            "/api/./x",
            "/api/%2e%2e/x",
            "/api/%2E./x",
            "/api/a%2Fb",
            "/api/a%5cb",
            "/api/%0d%0a",
            "/api/%zz",
            "/api/x#frag",
            "/api//x",
            "/ünïcode",
            "/x?\u{0}",
            "",
        ] {
            let err = join(&base, hostile, &[]).unwrap_err().to_string();
            assert!(err.contains("refusing path"), "{hostile:?}: {err}");
        }
    }

    #[test]
    fn a_prefix_stays_a_prefix() {
        let base = Url::parse("https://qlik.corp/jwt/").unwrap();
        assert_eq!(
            join(&base, "/qrs/app/full", &[("filter", "name eq 'x'".into())])
                .unwrap()
                .as_str(),
            "https://qlik.corp/jwt/qrs/app/full?filter=name+eq+%27x%27"
        );
        assert!(join(&base, "/../qrs", &[]).is_err());
    }

    #[test]
    fn ids_are_one_segment_or_refused() {
        assert_eq!(
            seg("a b/c").unwrap_err().to_string(),
            "invalid id \"a b/c\": ids hold no `/` or `\\`"
        );
        assert_eq!(seg("auth0|x y").unwrap(), "auth0%7Cx%20y");
        assert_eq!(
            seg("62716ab404a7bd8626af9bd6").unwrap(),
            "62716ab404a7bd8626af9bd6"
        );
        assert_eq!(seg("%2F").unwrap(), "%252F");
        for bad in ["", ".", "..", "a\\b", "a\nb"] {
            assert!(seg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn userinfo_is_refused_without_being_echoed() {
        let err = Routing::default()
            .base_url("https://admin:hunter2@acme.eu.qlikcloud.com")
            .unwrap_err()
            .to_string();
        assert!(err.contains("credentials in a URL"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = Routing::default()
            .base_url("https://a:hunter2@x y")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(Routing::default()
            .base_url("acme.eu.qlikcloud.com\\@evil")
            .is_err());
        assert!(
            !Routing::default().allowed(&Url::parse("https://u:p@acme.eu.qlikcloud.com/").unwrap())
        );
    }

    #[test]
    fn a_simulator_run_reaches_only_the_simulator() {
        let r = sim();
        let err = r.base_url("acme.eu.qlikcloud.com").unwrap_err().to_string();
        assert!(err.contains("not a simulator host"), "{err}");
        assert!(r.base_url("http://127.0.0.1:9999").is_err());
        assert!(r.base_url("http://localhost:4321").is_err());
        assert_eq!(
            r.base_url("http://127.0.0.1:4321").unwrap().as_str(),
            "http://127.0.0.1:4321/"
        );
        assert!(!r.allowed(&Url::parse("https://acme.eu.qlikcloud.com/x").unwrap()));
        assert!(!r.allowed(&Url::parse("http://127.0.0.1:9999/x").unwrap()));
        assert!(r.allowed(&Url::parse("http://127.0.0.1:4321/x").unwrap()));
    }
}
