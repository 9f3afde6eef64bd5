//! Where a call happens in a run: the unit of work it belongs to (the run itself, or one item of
//! a `parallel` call, or whatever a script named with `journal_key`) and the ordinal of each
//! mutation within that unit. A journal key is derived from this place, so that a rerun of the
//! same script meets the same keys in the same places, and two items that send identical bodies
//! never share one.
//!
//! The place travels with the thread that runs script code (a thread-local set by
//! [`in_unit`]) and, across the async boundary, with the future of each API call (a tokio
//! task-local set by [`scoped`]), where [`Client::send`](crate::cloud::Client::send) reads it.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// One unit of work and its count of mutations so far.
#[derive(Debug)]
pub struct Place {
    unit: Mutex<String>,
    mutations: AtomicU64,
    parallels: AtomicU64,
}

impl Place {
    pub fn new(unit: impl Into<String>) -> Arc<Place> {
        Arc::new(Place {
            unit: Mutex::new(unit.into()),
            mutations: AtomicU64::new(0),
            parallels: AtomicU64::new(0),
        })
    }

    /// The unit's name: `""` for the run's top level, the item key inside `parallel`, or the
    /// name a script gave with `journal_key`.
    pub fn unit(&self) -> String {
        self.unit.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Names the unit from here on (`journal_key(..)`), counting its mutations (and `parallel`
    /// calls) from zero.
    pub fn rename(&self, unit: impl Into<String>) {
        *self.unit.lock().unwrap_or_else(|p| p.into_inner()) = unit.into();
        self.mutations.store(0, Ordering::SeqCst);
        self.parallels.store(0, Ordering::SeqCst);
    }

    /// The ordinal of the next mutation in this unit (0, 1, 2, ...).
    pub fn next_mutation(&self) -> u64 {
        self.mutations.fetch_add(1, Ordering::SeqCst)
    }

    /// The ordinal of the next `parallel` call made in this unit (0, 1, 2, ...), part of the
    /// keys of its items.
    pub fn next_parallel(&self) -> u64 {
        self.parallels.fetch_add(1, Ordering::SeqCst)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Place>>> = const { RefCell::new(None) };
}

tokio::task_local! {
    static TASK: Arc<Place>;
}

/// The run's top level: the place of calls made outside any unit.
fn top() -> Arc<Place> {
    static TOP: OnceLock<Arc<Place>> = OnceLock::new();
    TOP.get_or_init(|| Place::new("")).clone()
}

/// Runs `f` on this thread as the unit `unit` (a `parallel` item), then restores the place
/// this thread had.
pub fn in_unit<R>(unit: impl Into<String>, f: impl FnOnce() -> R) -> R {
    let place = Place::new(unit);
    let before = CURRENT.with(|c| c.replace(Some(place)));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = before);
    out
}

/// The place of code running on this thread.
pub fn current() -> Arc<Place> {
    CURRENT.with(|c| c.borrow().clone()).unwrap_or_else(top)
}

/// `fut` carrying this thread's place, for code that reads it with [`of_task`].
pub fn scoped<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    TASK.scope(current(), fut)
}

/// The place of the API call being run (the top level when none was set).
pub fn of_task() -> Arc<Place> {
    TASK.try_with(Arc::clone).unwrap_or_else(|_| top())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_count_their_own_mutations_and_restore_the_outer_place() {
        let outer = current();
        assert_eq!(outer.unit(), "");
        in_unit("item-a", || {
            let p = current();
            assert_eq!(p.unit(), "item-a");
            assert_eq!((p.next_mutation(), p.next_mutation()), (0, 1));
            p.rename("tenant globex");
            assert_eq!(
                (p.unit(), p.next_mutation()),
                ("tenant globex".to_string(), 0)
            );
            in_unit("nested", || assert_eq!(current().unit(), "nested"));
            assert_eq!(current().unit(), "tenant globex");
        });
        assert!(Arc::ptr_eq(&current(), &outer));
    }

    #[test]
    fn the_place_travels_with_the_future() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let unit = in_unit("item-b", || rt.block_on(scoped(async { of_task().unit() })));
        assert_eq!(unit, "item-b");
        assert_eq!(rt.block_on(async { of_task().unit() }), "");
    }
}
