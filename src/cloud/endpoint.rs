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
        let with_scheme = if input.contains("://") {
            input.to_string()
        } else {
            format!("https://{input}")
        };
        let url = Url::parse(&with_scheme)
            .map_err(|e| Error::Usage(format!("invalid host {input:?}: {e}")))?;
        let host = url
            .host_str()
            .ok_or_else(|| Error::Usage(format!("invalid host {input:?}")))?
            .to_ascii_lowercase();
        let prefix = if keep_path {
            format!("{}/", url.path().trim_end_matches('/'))
        } else {
            "/".to_string()
        };
        if let Some(sim) = self.simulated(&host) {
            return Url::parse(&format!("http://{host}:{}{prefix}", sim.addr.port()))
                .map_err(|e| Error::Usage(format!("invalid host {input:?}: {e}")));
        }
        if under(&host, crate::sim::DOMAIN) {
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
            other => return Err(Error::Usage(format!("unsupported scheme {other:?} in {input:?}"))),
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

/// `path` joined to `base`, with query pairs encoded.
pub fn join(base: &Url, path: &str, query: &[(&str, String)]) -> Result<Url> {
    let mut url = base
        .join(path)
        .map_err(|e| Error::Usage(format!("invalid path {path:?}: {e}")))?;
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

/// Whether `host` is `domain` or a subdomain of it.
pub fn under(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    host.eq_ignore_ascii_case(domain)
        || (host.len() > domain.len()
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain))
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
        let sim = self.sim.clone().filter(|s| under(&host, &s.domain));
        Box::pin(async move {
            if let Some(sim) = sim {
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
}
