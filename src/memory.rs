//! A memory ceiling for scripts (`--max-memory`): the process's heap is counted as it is
//! allocated, and a script that takes it past the ceiling stops at its next operation with a
//! clear error, instead of growing until the allocator aborts the process.
//!
//! Rhai bounds strings, arrays and maps by their own limits, but not everything a script can
//! hold (map keys, captured closures): this is the net under all of it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes in use.
pub struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static CEILING: AtomicUsize = AtomicUsize::new(usize::MAX);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is to the system allocator.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_add(new_size, Ordering::Relaxed);
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// Bytes of heap in use now.
pub fn in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

/// Sets the ceiling scripts must stay under.
pub fn set_ceiling(bytes: usize) {
    CEILING.store(bytes, Ordering::Relaxed);
}

/// The ceiling, when the heap is past it.
pub fn exceeded() -> Option<usize> {
    let ceiling = CEILING.load(Ordering::Relaxed);
    (in_use() > ceiling).then_some(ceiling)
}

/// The default ceiling: three quarters of the machine's memory (8 GiB when it cannot be read).
pub fn default_ceiling() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && size > 0 {
            return (pages as usize).saturating_mul(size as usize) / 4 * 3;
        }
    }
    8 << 30
}

#[cfg(test)]
mod tests {
    #[test]
    fn allocations_are_counted() {
        // Other tests allocate meanwhile: the margins are wide.
        let before = super::in_use();
        let block = vec![1u8; 256 << 20];
        assert!(super::in_use() >= before + (192 << 20));
        drop(block);
        assert!(super::in_use() < before + (128 << 20));
        assert!(super::default_ceiling() > 1 << 20);
    }
}
