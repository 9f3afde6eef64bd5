//! What a long bulk job shows while it runs, for `parallel` and for `for x in progress(items)`:
//! on a terminal an indicatif bar on stderr with the done and failed counts, rate and ETA; when
//! stderr is not a terminal a plain line (`progress: 120/500 done, 2 failed, 14.2/s, ETA 27 s`)
//! at most every [`LINE_EVERY`]; with `-q` nothing. Each job ends with one summary line
//! (`500 done, 3 failed in 41.2 s`). "Done" counts every finished item, failed ones included.
//!
//! One job shows at a time: a job started while another is showing (a `parallel` inside a
//! `progress` loop, or inside another `parallel`) stays silent under the outer one.

use super::native::native;
use crate::session::Session;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rhai::{Array, Dynamic, Engine};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The plain progress line is printed at most this often.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

/// Whether a job is showing now (the others stay silent).
static SHOWING: AtomicBool = AtomicBool::new(false);
/// The bar drawn now, which other output on the terminal must lift first.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `write` (a line of the script's `print`, or of the log) with the progress bar, if one is
/// drawn, lifted out of the way, so the two do not tangle on the terminal.
pub fn around_output<R>(write: impl FnOnce() -> R) -> R {
    let bar = BAR.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

enum Display {
    Bar(ProgressBar),
    Lines { last: Mutex<Instant> },
    Silent,
}

/// The counts and the display of one job.
pub struct Meter {
    total: u64,
    done: AtomicU64,
    failed: AtomicU64,
    /// `parallel` counts failures; a `progress` loop cannot see them.
    counts_failures: bool,
    started: Instant,
    display: Display,
    finished: AtomicBool,
}

impl Meter {
    /// Starts showing a job of `total` items (silently with `quiet`, or under another job).
    pub fn start(total: usize, quiet: bool, counts_failures: bool) -> Meter {
        let display = if quiet || SHOWING.swap(true, Ordering::SeqCst) {
            Display::Silent
        } else if std::io::stderr().is_terminal() {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
            bar.enable_steady_tick(Duration::from_millis(250));
            *BAR.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar.clone());
            Display::Bar(bar)
        } else {
            Display::Lines {
                last: Mutex::new(Instant::now()),
            }
        };
        let meter = Meter {
            total: total as u64,
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            counts_failures,
            started: Instant::now(),
            display,
            finished: AtomicBool::new(false),
        };
        if let Display::Bar(bar) = &meter.display {
            bar.set_message(meter.status());
        }
        meter
    }

    /// One more item finished.
    pub fn item_done(&self, failed: bool) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if failed {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        if let Display::Bar(bar) = &self.display {
            bar.set_position(done);
        }
        self.refresh();
    }

    /// Brings the rate and ETA up to date (the bar), or prints the line when it is due.
    pub fn refresh(&self) {
        match &self.display {
            Display::Bar(bar) => bar.set_message(self.status()),
            Display::Lines { last } => {
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!("progress: {}", self.status());
                }
            }
            Display::Silent => {}
        }
    }

    /// A line about the job (Ctrl-C's effect), unless the job is silent.
    pub fn notice(&self, text: &str) {
        if !matches!(self.display, Display::Silent) {
            around_output(|| eprintln!("{text}"));
        }
    }

    pub fn done(&self) -> u64 {
        self.done.load(Ordering::SeqCst)
    }

    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::SeqCst)
    }

    /// `120/500 done, 2 failed, 14.2/s, ETA 27 s`
    fn status(&self) -> String {
        let (done, total) = (self.done(), self.total);
        let mut text = format!("{done}/{total} done");
        if self.counts_failures {
            text.push_str(&format!(", {} failed", self.failed()));
        }
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        text.push_str(&format!(", {rate:.1}/s"));
        if rate > 0.0 && done < total {
            let eta = Duration::from_secs_f64((total - done) as f64 / rate);
            text.push_str(&format!(", ETA {}", duration(eta)));
        }
        text
    }

    /// Clears the display and prints the summary (`500 done, 3 failed in 41.2 s`, then `; `
    /// and `note` if given). Only the first call counts.
    pub fn finish(&self, note: Option<&str>) {
        if self.finished.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Display::Silent = self.display {
            return;
        }
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
            *BAR.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        SHOWING.store(false, Ordering::SeqCst);
        let done = self.done();
        let mut text = if self.counts_failures || done == self.total {
            format!("{done} done")
        } else {
            format!("{done} of {} done", self.total)
        };
        if self.counts_failures {
            text.push_str(&format!(", {} failed", self.failed()));
        }
        text.push_str(&format!(" in {}", duration(self.started.elapsed())));
        if let Some(note) = note {
            text.push_str(&format!("; {note}"));
        }
        eprintln!("{text}");
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.finish(None);
    }
}

/// `41.2 s`, `12 min 3 s`, `2 h 5 min`.
fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    let whole = d.as_secs();
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if whole < 3600 {
        format!("{} min {} s", whole / 60, whole % 60)
    } else {
        format!("{} h {} min", whole / 3600, whole % 3600 / 60)
    }
}

/// `progress(items)`: iterates like the array in a `for` loop, counting each item done when the
/// loop asks for the next one.
#[derive(Clone)]
pub struct Progress {
    items: Array,
    quiet: bool,
}

impl IntoIterator for Progress {
    type Item = Dynamic;
    type IntoIter = Ticking;

    fn into_iter(self) -> Ticking {
        Ticking {
            meter: Meter::start(self.items.len(), self.quiet, false),
            items: self.items.into_iter(),
            begun: false,
        }
    }
}

/// The iterator of a `progress` loop; a loop left early (`break`, an error) ends the job when
/// the loop drops it.
pub struct Ticking {
    items: std::vec::IntoIter<Dynamic>,
    meter: Meter,
    begun: bool,
}

impl Iterator for Ticking {
    type Item = Dynamic;

    fn next(&mut self) -> Option<Dynamic> {
        if self.begun {
            self.meter.item_done(false);
        }
        self.begun = true;
        let next = self.items.next();
        if next.is_none() {
            self.meter.finish(None);
        }
        next
    }
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_type_with_name::<Progress>("progress");
    engine.register_iterator::<Progress>();
    let quiet = session.run.quiet;
    native!(
        engine,
        "progress",
        ["items: Array", "Progress"],
        "The items, for a `for` loop that shows its progress: `for c in progress(customers) { ... }`
        gives the loop the plain items and draws a progress bar with rate and ETA on stderr (a
        plain line every few seconds when stderr is not a terminal, nothing with -q), then a
        summary line.",
        move |items: Array| Progress { items, quiet }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(duration(Duration::from_millis(41_230)), "41.2 s");
        assert_eq!(duration(Duration::from_secs(723)), "12 min 3 s");
        assert_eq!(duration(Duration::from_secs(7500)), "2 h 5 min");
    }

    #[test]
    fn the_status_names_counts_rate_and_eta() {
        let meter = Meter {
            total: 500,
            done: AtomicU64::new(120),
            failed: AtomicU64::new(2),
            counts_failures: true,
            started: Instant::now() - Duration::from_secs(10),
            display: Display::Silent,
            finished: AtomicBool::new(false),
        };
        let status = meter.status();
        assert!(
            status.starts_with("120/500 done, 2 failed, 12.0/s, ETA 3"),
            "{status}"
        );
    }
}
