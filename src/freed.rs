//! Test-only: the unit tests' global allocator, which can tell whether memory went back to the
//! allocator still holding a secret. "Zeroed when dropped" is a promise about freed memory
//! (what a core dump, a swap file or the next allocation could show), so this is where the
//! tests look for it.
//!
//! It is the system allocator, with one addition: while [`freed_holding`] runs on a thread,
//! every block that thread frees is searched for the marker first. Other threads, and
//! everything outside `freed_holding`, pay one thread-local read per free.

// An allocator must be `unsafe`; this one adds a read of the block before handing it on.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Watching;

#[global_allocator]
static ALLOCATOR: Watching = Watching;

thread_local! {
    static MARKER: Cell<Option<&'static [u8]>> = const { Cell::new(None) };
    static FOUND: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed to `System` unchanged; `dealloc` only reads the block first,
// which the caller still owns until `System.dealloc` returns. `realloc` is the default
// (allocate, copy, free), so a block left behind by a move is searched too.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // `try_with`: a thread being torn down frees memory after its locals are gone.
        let _ = MARKER.try_with(|marker| {
            if let Some(marker) = marker.get() {
                // SAFETY: `ptr` is a live block of `layout.size()` bytes until freed below.
                let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
                if block.windows(marker.len()).any(|window| window == marker) {
                    FOUND.with(|found| found.set(found.get() + 1));
                }
            }
        });
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` and answers how many of the blocks it freed (on this thread) still held
/// `marker` when they were freed.
pub(crate) fn freed_holding(marker: &'static [u8], f: impl FnOnce()) -> usize {
    assert!(!marker.is_empty());
    FOUND.with(|found| found.set(0));
    MARKER.with(|slot| slot.set(Some(marker)));
    f();
    MARKER.with(|slot| slot.set(None));
    FOUND.with(Cell::get)
}

#[test]
fn a_string_freed_with_a_secret_in_it_is_seen_and_a_zeroed_one_is_not() {
    use zeroize::Zeroize;
    let plain = || String::from("the password is tiger-lily-7");
    assert_eq!(freed_holding(b"tiger-lily-7", || drop(plain())), 1);
    assert_eq!(
        freed_holding(b"tiger-lily-7", || plain().zeroize()),
        0,
        "zeroize clears the whole buffer before it goes back"
    );
}
