//! Client-side rate budgets, so a large run paces itself instead of meeting 429s.
//!
//! Qlik limits requests per tier, per user, per tenant (reference §9.3): Tier 1 (most GETs)
//! 1,000/min and Tier 2 (create, update, delete) 100/min, evaluated over a rolling five-minute
//! window that allows bursts; the Special filter endpoints have their own 200/min (see
//! [`crate::rate_tiers`]). We keep the same
//! window per (origin, identity, tier) and wait for a free slot before sending. A 429 pauses
//! the whole tier for its `Retry-After`, as Qlik does, not just the request that met it.

use crate::wire;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::rate_tiers::Tier;

type Key = (String, String, Tier);

#[derive(Default)]
struct Window {
    sent: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

/// Every budget of a run, shared by all its threads.
#[derive(Default)]
pub struct Budgets {
    windows: Mutex<HashMap<Key, Window>>,
}

const WINDOW: Duration = Duration::from_secs(wire::RATE_WINDOW_SECS);

impl Budgets {
    /// Waits until the tier has room (and is not paused), then counts the request.
    pub async fn admit(&self, origin: &str, identity: &str, tier: Tier) {
        let key = (origin.to_string(), identity.to_string(), tier);
        loop {
            let wait = {
                let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
                let window = windows.entry(key.clone()).or_default();
                let now = Instant::now();
                while window
                    .sent
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
                {
                    window.sent.pop_front();
                }
                match window.paused_until.filter(|until| *until > now) {
                    Some(until) => until - now,
                    None if window.sent.len() < tier.budget() => {
                        window.sent.push_back(now);
                        return;
                    }
                    None => {
                        let oldest = window.sent.front().copied().unwrap_or(now);
                        (oldest + WINDOW).saturating_duration_since(now)
                    }
                }
            };
            tracing::debug!(
                "{origin}: {tier:?} budget spent; waiting {} ms",
                wait.as_millis()
            );
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// A 429 said to wait `wait`: every request of this tier waits with it.
    pub fn pause(&self, origin: &str, identity: &str, tier: Tier, wait: Duration) {
        let key = (origin.to_string(), identity.to_string(), tier);
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.entry(key).or_default();
        let until = Instant::now() + wait;
        if window.paused_until.is_none_or(|u| u < until) {
            window.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_holds_the_whole_tier_and_a_full_window_waits() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let b = Budgets::default();
        b.pause("o", "me", Tier::Tier2, Duration::from_millis(150));
        let started = Instant::now();
        rt.block_on(b.admit("o", "me", Tier::Tier2));
        assert!(started.elapsed() >= Duration::from_millis(140));
        // Other tiers and identities are not held.
        let started = Instant::now();
        b.pause("o", "me", Tier::Tier2, Duration::from_secs(60));
        rt.block_on(b.admit("o", "me", Tier::Tier1));
        rt.block_on(b.admit("o", "other", Tier::Tier2));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
