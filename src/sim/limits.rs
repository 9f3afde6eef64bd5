//! Rate limits (reference §9.3): per (host, caller, tier), a rolling window of
//! [`wire::RATE_WINDOW_SECS`] sim-seconds holding five minutes' worth of the per-minute budget.
//! Only admitted requests are recorded, so a refused client is free again once it has waited.

use super::clock::SimMs;
use crate::wire;
use std::collections::{HashMap, VecDeque};

pub use crate::rate_tiers::Tier;

const WINDOW_MS: SimMs = (wire::RATE_WINDOW_SECS * 1000) as SimMs;

#[derive(Default)]
pub struct RateLimiter {
    windows: HashMap<(String, String, Tier), VecDeque<SimMs>>,
}

impl RateLimiter {
    /// Admits and records the request, or returns the sim-milliseconds until the oldest request
    /// in the full window leaves it.
    pub fn check(&mut self, host: &str, caller: &str, tier: Tier, now: SimMs) -> Result<(), SimMs> {
        self.check_budget(host, caller, tier, tier.budget(), now)
    }

    fn check_budget(
        &mut self,
        host: &str,
        caller: &str,
        tier: Tier,
        budget: usize,
        now: SimMs,
    ) -> Result<(), SimMs> {
        let w = self
            .windows
            .entry((host.to_string(), caller.to_string(), tier))
            .or_default();
        while w.front().is_some_and(|&t| t + WINDOW_MS <= now) {
            w.pop_front();
        }
        if w.len() >= budget {
            let oldest = w.front().copied().unwrap_or(now);
            return Err((oldest + WINDOW_MS - now).max(1));
        }
        w.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_window_arithmetic() {
        let mut l = RateLimiter::default();
        let t0 = 1_000_000;
        for i in 0..3 {
            assert!(l
                .check_budget("h", "u", Tier::Tier2, 3, t0 + i * 10_000)
                .is_ok());
        }
        // full: the oldest (t0) leaves at t0 + 300 s
        assert_eq!(
            l.check_budget("h", "u", Tier::Tier2, 3, t0 + 100_000),
            Err(200_000)
        );
        // other caller, other tier, other host are independent
        assert!(l
            .check_budget("h", "v", Tier::Tier2, 3, t0 + 100_000)
            .is_ok());
        assert!(l
            .check_budget("h", "u", Tier::Tier1, 3, t0 + 100_000)
            .is_ok());
        assert!(l
            .check_budget("g", "u", Tier::Tier2, 3, t0 + 100_000)
            .is_ok());
        // refused requests were not recorded; at t0+300s exactly the first one has left
        assert!(l
            .check_budget("h", "u", Tier::Tier2, 3, t0 + 300_000)
            .is_ok());
        assert_eq!(
            l.check_budget("h", "u", Tier::Tier2, 3, t0 + 300_000),
            Err(10_000)
        );
    }
}
