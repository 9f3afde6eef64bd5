//! The simulator's clock: wall time at start plus real elapsed time times `time_scale`.
//!
//! Every lifetime and window (token expiry, rate-limit windows, body timestamps) reads this clock.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch on the simulated time line.
pub type SimMs = i64;

/// The fastest clock accepted (one real second is then 11.6 sim days); keeps sums far from
/// overflow.
pub const MAX_SCALE: f64 = 1e6;

#[derive(Debug, Clone)]
pub struct Clock {
    start_wall_ms: SimMs,
    start: Instant,
    scale: f64,
}

impl Clock {
    pub fn new(time_scale: f64) -> Self {
        let scale = if time_scale.is_finite() && time_scale > 0.0 {
            time_scale.min(MAX_SCALE)
        } else {
            1.0
        };
        let start_wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as SimMs)
            .unwrap_or(0);
        Clock {
            start_wall_ms,
            start: Instant::now(),
            scale,
        }
    }

    /// Now on the simulated time line.
    pub fn now_ms(&self) -> SimMs {
        self.start_wall_ms
            .saturating_add((self.start.elapsed().as_secs_f64() * 1000.0 * self.scale) as SimMs)
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Real (wall) seconds a client must wait for `sim_ms` of simulated time, rounded up, >= 1.
    pub fn real_secs_for(&self, sim_ms: SimMs) -> u64 {
        real_secs_for(sim_ms, self.scale)
    }
}

/// Real seconds covering `sim_ms` simulated milliseconds at `scale`, rounded up, at least 1.
pub fn real_secs_for(sim_ms: SimMs, scale: f64) -> u64 {
    let secs = (sim_ms.max(0) as f64 / 1000.0 / scale).ceil();
    if secs.is_finite() && secs >= 1.0 {
        secs as u64
    } else {
        1
    }
}

/// ISO-8601 with milliseconds and `Z`: `2023-08-18T12:34:56.789Z`.
pub fn iso(ms: SimMs) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// The date part only: `2023-08-18`.
pub fn iso_date(ms: SimMs) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(1000).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1), "1970-01-01T00:00:00.001Z");
        assert_eq!(iso(1_692_362_096_789), "2023-08-18T12:34:56.789Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_date(1_654_177_918_503), "2022-06-02");
    }

    #[test]
    fn real_seconds_round_up() {
        assert_eq!(real_secs_for(13_000, 1.0), 13);
        assert_eq!(real_secs_for(13_001, 1.0), 14);
        assert_eq!(real_secs_for(300_000, 60.0), 5);
        assert_eq!(real_secs_for(10, 100.0), 1);
        assert_eq!(real_secs_for(-5, 1.0), 1);
    }
}
