//! Injected latency and faults (`--latency`, `--jitter`, `--faults`, `--fault-kinds`), from a
//! seeded generator.
//!
//! A struck request gets one [`Fault`] of the kinds in use, drawn uniformly:
//! - `unavailable`: 503 with `Retry-After`, the request not acted on
//!   ([`crate::wire::UNAVAILABLE_WITH_RETRY_AFTER_NOT_APPLIED`]);
//! - `error`: 500 or 502 without `Retry-After`, not acted on either (but a client cannot know);
//! - `reset-before`: the connection is closed without a byte of answer, nothing acted on;
//! - `reset-after`: the request is acted on, then the connection is closed before the answer is
//!   complete: the status line, the headers (with the full `Content-Length`) and half the body
//!   go out when there is a body, nothing at all when there is none;
//! - `slow`: the request is acted on and its answer held back for
//!   [`crate::wire::SLOW_FAULT_MS`] (in simulator time), then sent whole.
//!
//! Which requests can be struck is the front's business (`server`): never `/_sim/*`, never a
//! HEAD request (its answer has no body to fail, so its connection could not be cut).

use super::errors::{with_header, Api, ApiError, HResult};
use super::SimOptions;
use crate::wire;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

/// The kinds of fault `--fault-kinds` chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    Unavailable,
    Error,
    ResetBefore,
    ResetAfter,
    Slow,
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FaultKind {
    /// Every kind, in the order `/_sim/stats` lists them; the default mix.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Unavailable,
        FaultKind::Error,
        FaultKind::ResetBefore,
        FaultKind::ResetAfter,
        FaultKind::Slow,
    ];

    /// The name on the command line and in `/_sim/stats`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Unavailable => "unavailable",
            FaultKind::Error => "error",
            FaultKind::ResetBefore => "reset-before",
            FaultKind::ResetAfter => "reset-after",
            FaultKind::Slow => "slow",
        }
    }

    /// Whether the request is acted on: only `reset-after` and `slow` let the handler run.
    pub fn applies(self) -> bool {
        matches!(self, FaultKind::ResetAfter | FaultKind::Slow)
    }

    /// Whether the answer never arrives whole (the connection is cut).
    pub fn loses_answer(self) -> bool {
        matches!(self, FaultKind::ResetBefore | FaultKind::ResetAfter)
    }

    /// A kind by name (`--fault-kinds unavailable,slow`); `Err` lists the names.
    pub fn parse(name: &str) -> Result<FaultKind, String> {
        let name = name.trim();
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let all: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown fault kind {name:?}; kinds are {}", all.join(", "))
            })
    }
}

/// One injected fault, with what was drawn for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Unavailable,
    /// 500 or 502.
    Error(u16),
    ResetBefore,
    ResetAfter,
    /// The real time the answer is held back.
    Slow(Duration),
}

impl Fault {
    pub fn kind(self) -> FaultKind {
        match self {
            Fault::Unavailable => FaultKind::Unavailable,
            Fault::Error(_) => FaultKind::Error,
            Fault::ResetBefore => FaultKind::ResetBefore,
            Fault::ResetAfter => FaultKind::ResetAfter,
            Fault::Slow(_) => FaultKind::Slow,
        }
    }
}

pub struct Faults {
    latency_ms: u64,
    jitter_ms: u64,
    rate: f64,
    kinds: Vec<FaultKind>,
    time_scale: f64,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// The latency, jitter and faults `opts` ask for.
    pub fn from_options(opts: &SimOptions) -> Self {
        let rate = if opts.faults.is_finite() {
            opts.faults.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut kinds = opts.fault_kinds.clone();
        kinds.sort();
        kinds.dedup();
        let time_scale = if opts.time_scale.is_finite() && opts.time_scale > 0.0 {
            opts.time_scale
        } else {
            1.0
        };
        Faults {
            latency_ms: opts.latency_ms,
            jitter_ms: opts.jitter_ms,
            rate,
            kinds,
            time_scale,
            rng: Mutex::new(fastrand::Rng::with_seed(opts.seed ^ 0x5eed_fa17)),
        }
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, fastrand::Rng> {
        self.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The real delay to add to this request: `latency + uniform(0..=jitter)`.
    pub fn delay(&self) -> Duration {
        let jitter = if self.jitter_ms == 0 {
            0
        } else {
            self.rng().u64(0..=self.jitter_ms)
        };
        Duration::from_millis(self.latency_ms.saturating_add(jitter))
    }

    /// The fault this request meets, if any. With a single kind in use the draws are those of
    /// the 503-only simulator, so its seeds strike the same requests as before.
    pub fn strike(&self) -> Option<Fault> {
        if self.rate <= 0.0 || self.kinds.is_empty() {
            return None;
        }
        let mut rng = self.rng();
        if rng.f64() >= self.rate {
            return None;
        }
        let kind = match self.kinds.as_slice() {
            [one] => *one,
            many => many[rng.usize(..many.len())],
        };
        Some(match kind {
            FaultKind::Unavailable => Fault::Unavailable,
            FaultKind::Error => {
                let statuses = wire::FAULT_ERROR_STATUSES;
                Fault::Error(statuses[rng.usize(..statuses.len())])
            }
            FaultKind::ResetBefore => Fault::ResetBefore,
            FaultKind::ResetAfter => Fault::ResetAfter,
            FaultKind::Slow => {
                let sim_ms = rng.u64(wire::SLOW_FAULT_MS);
                Fault::Slow(Duration::from_secs_f64(
                    sim_ms as f64 / 1000.0 / self.time_scale,
                ))
            }
        })
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

/// Who a fault speaks for: Qlik Cloud (JSON error bodies) or the QSEoW site (plain text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Cloud,
    Qseow,
}

/// The answer in the handler's place for a fault that does not let it run: a 503 with
/// `Retry-After`, a 500, the edge proxy's 502 page, or (`reset-before`) a response that
/// [`deliver`] never sends.
pub fn stand_in(fault: Fault, face: Face) -> HResult {
    match (fault, face) {
        (Fault::Unavailable, Face::Cloud) => Err(unavailable()),
        (Fault::Unavailable, Face::Qseow) => Ok(with_header(
            super::qseow::text(503, "Service Unavailable"),
            "retry-after",
            &wire::FAULT_RETRY_AFTER_SECS.to_string(),
        )),
        (Fault::Error(502), _) => Ok(bad_gateway()),
        (Fault::Error(status), Face::Cloud) => Err(ApiError::http(Api::Generic, status)),
        (Fault::Error(status), Face::Qseow) => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            Ok(super::qseow::text(status, reason))
        }
        _ => Ok(Response::default()),
    }
}

/// The edge proxy's 502 page ([`crate::wire::FAULT_BAD_GATEWAY_HTML`]).
fn bad_gateway() -> Response {
    let mut resp = Response::new(Body::from(wire::FAULT_BAD_GATEWAY_HTML));
    *resp.status_mut() = StatusCode::BAD_GATEWAY;
    with_header(resp, "content-type", "text/html")
}

/// What reaches the client of a request that met `fault`: the answer after a real delay
/// (`slow`), nothing (`reset-before`), its head and half its body (`reset-after`), or the answer.
/// Runs outside the state lock.
pub async fn deliver(resp: Response, fault: Option<Fault>) -> Response {
    match fault {
        Some(Fault::Slow(d)) => {
            tokio::time::sleep(d).await;
            resp
        }
        Some(Fault::ResetBefore) => cut(None),
        Some(Fault::ResetAfter) => truncated(resp).await,
        _ => resp,
    }
}

/// `resp` with its head (announcing the full `Content-Length`) and half its body, then a cut;
/// a cut with nothing sent when there is no body to halve.
async fn truncated(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.is_empty() {
        return cut(None);
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, cut(Some(half)).into_body())
}

/// A response whose body sends `first` (if any), gives the connection one turn to write it,
/// then fails: hyper then drops the connection, so the client sees it closed before the answer
/// was complete. Without `first` the body fails at once, before even the buffered head is
/// written: the client gets no byte.
fn cut(first: Option<Bytes>) -> Response {
    Response::new(Body::new(Cut {
        first,
        pause: false,
    }))
}

struct Cut {
    first: Option<Bytes>,
    /// One `Pending` is due, so that what was sent is flushed before the failure.
    pause: bool,
}

impl HttpBody for Cut {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if let Some(first) = self.first.take() {
            self.pause = true;
            return Poll::Ready(Some(Ok(http_body::Frame::data(first))));
        }
        if std::mem::take(&mut self.pause) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: the connection is cut",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(rate: f64, kinds: &[FaultKind], opts: SimOptions) -> Faults {
        Faults::from_options(&SimOptions {
            faults: rate,
            fault_kinds: kinds.to_vec(),
            ..opts
        })
    }

    #[test]
    fn rates_and_delays() {
        let all = &FaultKind::ALL;
        let never = faults(0.0, all, SimOptions::default());
        assert!((0..1000).all(|_| never.strike().is_none()));
        let always = faults(
            1.0,
            all,
            SimOptions {
                latency_ms: 5,
                ..SimOptions::default()
            },
        );
        assert!((0..1000).all(|_| always.strike().is_some()));
        assert_eq!(always.delay(), Duration::from_millis(5));
        let some = faults(
            0.5,
            all,
            SimOptions {
                latency_ms: 10,
                jitter_ms: 20,
                ..SimOptions::default()
            },
        );
        let hits = (0..2000).filter(|_| some.strike().is_some()).count();
        assert!((800..1200).contains(&hits));
        assert!((0..100).all(|_| (10..=30).contains(&(some.delay().as_millis() as u64))));
        assert!(faults(1.0, &[], SimOptions::default()).strike().is_none());
    }

    #[test]
    fn the_mix_draws_every_kind_with_its_details() {
        let f = faults(1.0, &FaultKind::ALL, SimOptions::default());
        let mut counts = [0usize; 5];
        let mut statuses = std::collections::BTreeSet::new();
        for _ in 0..5000 {
            let fault = f.strike().unwrap();
            counts[fault.kind() as usize] += 1;
            match fault {
                Fault::Error(s) => {
                    statuses.insert(s);
                }
                Fault::Slow(d) => assert!((2000..=4000).contains(&(d.as_millis() as u64)), "{d:?}"),
                _ => {}
            }
        }
        assert!(
            counts.iter().all(|&n| (850..1150).contains(&n)),
            "{counts:?}"
        );
        assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [500, 502]);
        // Slow answers follow the simulator's clock.
        let fast = faults(
            1.0,
            &[FaultKind::Slow],
            SimOptions {
                time_scale: 10.0,
                ..SimOptions::default()
            },
        );
        for _ in 0..100 {
            let Some(Fault::Slow(d)) = fast.strike() else {
                panic!("not slow")
            };
            assert!((200..=400).contains(&(d.as_millis() as u64)), "{d:?}");
        }
    }

    #[test]
    fn a_seed_fixes_the_faults_and_one_kind_keeps_the_503_only_draws() {
        let kinds = [FaultKind::ResetAfter, FaultKind::Error, FaultKind::Slow];
        let a = faults(0.3, &kinds, SimOptions::default());
        let b = faults(0.3, &kinds, SimOptions::default());
        let draws = |f: &Faults| (0..500).map(|_| f.strike()).collect::<Vec<_>>();
        assert_eq!(draws(&a), draws(&b));
        // The generator of the 503-only simulator: one f64 per request.
        let mut old = fastrand::Rng::with_seed(SimOptions::default().seed ^ 0x5eed_fa17);
        let only = faults(0.2, &[FaultKind::Unavailable], SimOptions::default());
        for _ in 0..500 {
            let struck = old.f64() < 0.2;
            assert_eq!(only.strike(), struck.then_some(Fault::Unavailable));
        }
    }

    #[test]
    fn kinds_by_name() {
        for k in FaultKind::ALL {
            assert_eq!(FaultKind::parse(k.name()), Ok(k));
        }
        assert_eq!(FaultKind::parse(" Reset-After "), Ok(FaultKind::ResetAfter));
        let e = FaultKind::parse("timeout").unwrap_err();
        assert!(e.contains("reset-before") && e.contains("timeout"), "{e}");
        assert_eq!(
            FaultKind::ALL.map(|k| k.applies()),
            [false, false, false, true, true]
        );
        assert_eq!(
            FaultKind::ALL.map(|k| k.loses_answer()),
            [false, false, true, true, false]
        );
    }
}
