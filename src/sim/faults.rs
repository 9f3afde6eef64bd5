//! Injected latency and faults (`--latency`, `--jitter`, `--faults`), from a seeded generator.

use super::errors::{Api, ApiError};
use std::sync::Mutex;
use std::time::Duration;

pub struct Faults {
    latency_ms: u64,
    jitter_ms: u64,
    rate: f64,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// The latency, jitter and faults `opts` ask for.
    pub fn from_options(opts: &super::SimOptions) -> Self {
        Faults::new(opts.latency_ms, opts.jitter_ms, opts.faults, opts.seed)
    }

    pub fn new(latency_ms: u64, jitter_ms: u64, rate: f64, seed: u64) -> Self {
        let rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Faults {
            latency_ms,
            jitter_ms,
            rate,
            rng: Mutex::new(fastrand::Rng::with_seed(seed ^ 0x5eed_fa17)),
        }
    }

    /// The real delay to add to this request: `latency + uniform(0..=jitter)`.
    pub fn delay(&self) -> Duration {
        let jitter = if self.jitter_ms == 0 {
            0
        } else {
            self.rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .u64(0..=self.jitter_ms)
        };
        Duration::from_millis(self.latency_ms.saturating_add(jitter))
    }

    /// Whether this API request fails with a 503.
    pub fn strike(&self) -> bool {
        self.rate > 0.0 && self.rng.lock().unwrap_or_else(|e| e.into_inner()).f64() < self.rate
    }
}

/// `{"errors":[{"code":"HTTP-503","title":"Service Unavailable"}]}` with `Retry-After`: the
/// request was not acted on ([`crate::wire::UNAVAILABLE_WITH_RETRY_AFTER_NOT_APPLIED`]).
pub fn unavailable() -> ApiError {
    ApiError::new(Api::Generic, 503, "HTTP-503", "Service Unavailable").header(
        "retry-after",
        crate::wire::FAULT_RETRY_AFTER_SECS.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_delays() {
        let never = Faults::new(0, 0, 0.0, 1);
        assert!(!(0..1000).any(|_| never.strike()));
        let always = Faults::new(5, 0, 1.0, 1);
        assert!((0..1000).all(|_| always.strike()));
        assert_eq!(always.delay(), Duration::from_millis(5));
        let some = Faults::new(10, 20, 0.5, 1);
        let hits = (0..2000).filter(|_| some.strike()).count();
        assert!((800..1200).contains(&hits));
        assert!((0..100).all(|_| (10..=30).contains(&(some.delay().as_millis() as u64))));
    }
}
