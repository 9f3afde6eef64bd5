//! Qlik Cloud's rate-limit tiers (reference §9.3), one classification for the client's budgets
//! (`cloud::budget`) and the simulator's limiter (`sim::limits`): Tier 1 (most GETs), Tier 2
//! (create, update, delete) and the Special endpoints with their own per-minute limits, each
//! evaluated over a rolling window of [`wire::RATE_WINDOW_SECS`].

use crate::wire;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Most GETs.
    Tier1,
    /// Create, update, delete.
    Tier2,
    /// `POST /api/v1/users/actions/filter` (Special).
    UsersFilter,
    /// `POST /api/v1/groups/actions/filter` (Special).
    GroupsFilter,
}

impl Tier {
    /// The tier of a request to `path` (an API path, with or without a trailing `/`).
    pub fn of(method: &str, path: &str) -> Tier {
        let path = path.trim_end_matches('/');
        match method {
            "POST" if path.ends_with("/api/v1/users/actions/filter") => Tier::UsersFilter,
            "POST" if path.ends_with("/api/v1/groups/actions/filter") => Tier::GroupsFilter,
            "GET" | "HEAD" => Tier::Tier1,
            _ => Tier::Tier2,
        }
    }

    pub fn per_minute(self) -> u64 {
        match self {
            Tier::Tier1 => wire::TIER1_PER_MINUTE,
            Tier::Tier2 => wire::TIER2_PER_MINUTE,
            Tier::UsersFilter => wire::USERS_FILTER_PER_MINUTE,
            Tier::GroupsFilter => wire::GROUPS_FILTER_PER_MINUTE,
        }
    }

    /// Requests admitted in one rolling window.
    pub fn budget(self) -> usize {
        (self.per_minute() * wire::RATE_WINDOW_SECS / 60) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_documented_classes() {
        assert_eq!(Tier::of("GET", "/api/v1/users"), Tier::Tier1);
        assert_eq!(Tier::of("HEAD", "/api/v1/users"), Tier::Tier1);
        assert_eq!(Tier::of("POST", "/api/v1/users"), Tier::Tier2);
        assert_eq!(Tier::of("PATCH", "/api/v1/users/x"), Tier::Tier2);
        assert_eq!(
            Tier::of("POST", "/api/v1/users/actions/filter/"),
            Tier::UsersFilter
        );
        assert_eq!(
            Tier::of("POST", "/api/v1/groups/actions/filter"),
            Tier::GroupsFilter
        );
        assert_eq!(
            Tier::of("GET", "/api/v1/groups/actions/filter"),
            Tier::Tier1
        );
        assert_eq!(
            [
                Tier::Tier1,
                Tier::Tier2,
                Tier::UsersFilter,
                Tier::GroupsFilter
            ]
            .map(Tier::budget),
            [5000, 500, 1000, 1000]
        );
    }
}
