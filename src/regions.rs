//! Qlik Cloud regions: plain data shared by the client and the simulator.
//!
//! Codes and datacenters follow Qlik's "Authenticate for Platform Operations" table. The register
//! hosts of `uk`, `de`, `sg`, `ap` and `jp` follow the documented pattern of `us` and `eu`; see
//! [`crate::wire::register_host`].

/// One Qlik Cloud region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// URL code, as in `<tenant>.<code>.qlikcloud.com`.
    pub code: &'static str,
    /// AWS region name, the `datacenter` value of a tenant.
    pub datacenter: &'static str,
    /// Human name as Qlik writes it.
    pub name: &'static str,
}

/// The regions where tenants can be created.
pub const REGIONS: &[Region] = &[
    Region {
        code: "us",
        datacenter: "us-east-1",
        name: "Americas (USA)",
    },
    Region {
        code: "eu",
        datacenter: "eu-west-1",
        name: "Europe 1 (Ireland)",
    },
    Region {
        code: "uk",
        datacenter: "eu-west-2",
        name: "Europe 2 (UK)",
    },
    Region {
        code: "de",
        datacenter: "eu-central-1",
        name: "Europe 3 (Germany)",
    },
    Region {
        code: "sg",
        datacenter: "ap-southeast-1",
        name: "Asia-Pacific 1 (Singapore)",
    },
    Region {
        code: "ap",
        datacenter: "ap-southeast-2",
        name: "Asia-Pacific 2 (Australia)",
    },
    Region {
        code: "jp",
        datacenter: "ap-northeast-1",
        name: "Asia-Pacific 3 (Japan)",
    },
];

/// The production base domain of Qlik Cloud.
pub const CLOUD_DOMAIN: &str = "qlikcloud.com";

/// Finds a region by its URL code (case-insensitive).
pub fn by_code(code: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// Finds a region by its datacenter (AWS region) name.
pub fn by_datacenter(datacenter: &str) -> Option<&'static Region> {
    REGIONS
        .iter()
        .find(|r| r.datacenter.eq_ignore_ascii_case(datacenter))
}

/// The region of a tenant host `<name>.<code>.<domain>`, if the host has that shape.
pub fn of_host(host: &str) -> Option<&'static Region> {
    let mut labels = host.split('.');
    labels.next()?;
    by_code(labels.next()?)
}

impl Region {
    /// The registration host of this region under `domain` (`qlikcloud.com`, or the simulator's).
    pub fn register_host(&self, domain: &str) -> String {
        crate::wire::register_host(self.code, domain)
    }

    /// The host of tenant `name` in this region under `domain`.
    pub fn tenant_host(&self, name: &str, domain: &str) -> String {
        format!("{}.{}.{}", name, self.code, domain)
    }

    /// The name of the bot user a region-level OAuth client gets on a tenant ("US OAuth Client").
    pub fn bot_name(&self) -> String {
        format!("{} OAuth Client", self.code.to_ascii_uppercase())
    }
}

/// Every code, for messages: "us, eu, uk, de, sg, ap, jp".
pub fn codes() -> String {
    REGIONS
        .iter()
        .map(|r| r.code)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_follow_the_pattern() {
        let eu = by_code("EU").unwrap();
        assert_eq!(eu.register_host(CLOUD_DOMAIN), "register.eu.qlikcloud.com");
        assert_eq!(
            eu.tenant_host("acme", "qlik.localhost"),
            "acme.eu.qlik.localhost"
        );
        assert_eq!(
            of_host("acme.sg.qlikcloud.com").unwrap().datacenter,
            "ap-southeast-1"
        );
        assert_eq!(by_datacenter("ap-southeast-2").unwrap().code, "ap");
        assert!(of_host("localhost").is_none());
    }
}
