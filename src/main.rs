//! The `copbook` binary: the command line of [`copbook::cli`], on the
//! allocator each kind of command does best on.
//!
//! One-pass commands (build, check, review, …) use jemalloc, with one
//! arena per CPU. Against glibc's malloc, a 10,000-page build takes about
//! 14% less time (1,767 → 1,525 ms, CPU 3,010 → 2,610 ms) for 12 MB more
//! peak memory (196 → 208 MB); mimalloc was about as fast but took peak
//! memory to 300 MB (figures in docs/benchmarks.md).
//!
//! `serve` moves to mimalloc as it starts: with glibc, a fast rebuild of a
//! 10,000-page handbook ran about twice as slow after each whole rebuild
//! (serve makes one whenever edits pause) as before it, and with mimalloc
//! it stays as fast. jemalloc came close only when it never gave memory
//! back, and then at twice mimalloc's peak (1.47 GB against 0.76 GB).
//!
//! The switch is made once, before serve allocates anything of its own.
//! Every block is freed or resized by the allocator that made it: mimalloc
//! knows its own blocks (`mi_is_in_heap_region`, the check its own
//! override of `malloc` routes foreign pointers with).

use copbook::cli::Workload;
use std::alloc::{GlobalAlloc, Layout};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use tikv_jemallocator::Jemalloc;

/// Set once by `main` when the command is `serve`, before it starts any
/// thread: from then on new blocks come from mimalloc. The only global
/// state of copbook, and the binary's, not the library's.
static SERVING: AtomicBool = AtomicBool::new(false);

struct Alloc;

/// jemalloc reads its options from this symbol as it starts (`malloc_conf`
/// in its manual; the crate prefixes jemalloc's symbols with `_rjem_`).
#[unsafe(no_mangle)]
static _rjem_malloc_conf: &u8 = &copbook::JEMALLOC_OPTIONS[0];

#[global_allocator]
static ALLOC: Alloc = Alloc;

/// Whether mimalloc made the block at `p`.
fn mimallocs(p: *mut u8) -> bool {
    // SAFETY: a lookup in mimalloc's page map, which answers for any
    // address (no before mimalloc has made anything).
    unsafe { libmimalloc_sys::mi_is_in_heap_region(p.cast()) }
}

// SAFETY: blocks come from one of two sound allocators, and each block is
// freed and resized by the one that made it; a jemalloc block resized while
// serving is moved to mimalloc, copying what fits.
unsafe impl GlobalAlloc for Alloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if SERVING.load(Ordering::Relaxed) {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        } else {
            unsafe { Jemalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if SERVING.load(Ordering::Relaxed) {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        } else {
            unsafe { Jemalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if mimallocs(ptr) {
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        } else {
            unsafe { Jemalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if mimallocs(ptr) {
            return unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        }
        if !SERVING.load(Ordering::Relaxed) {
            return unsafe { Jemalloc.realloc(ptr, layout, new_size) };
        }
        // SAFETY: `new_size` with the old alignment is the layout the
        // caller asks for (the contract of `realloc`).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let moved = unsafe { mimalloc::MiMalloc.alloc(new_layout) };
        if !moved.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                Jemalloc.dealloc(ptr, layout);
            }
        }
        moved
    }
}

/// Moves new blocks to mimalloc, set to keep the memory it frees
/// ([`copbook::serve::keep_freed_memory`]).
fn start_serving() {
    copbook::serve::keep_freed_memory();
    SERVING.store(true, Ordering::Relaxed);
}

fn main() -> ExitCode {
    copbook::cli::run_with(|work| {
        if work == Workload::Serve {
            start_serving();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options in `_rjem_malloc_conf` are jemalloc's: a name it does
    /// not read (after a change of the crate's prefix, say) would leave
    /// builds on its defaults without a word.
    #[test]
    fn jemalloc_reads_copbook_s_options() {
        let mut value: *const std::ffi::c_char = std::ptr::null();
        let mut len = std::mem::size_of_val(&value);
        // SAFETY: reads a string option into a pointer of its size.
        let status = unsafe {
            tikv_jemalloc_sys::mallctl(
                c"opt.percpu_arena".as_ptr(),
                (&raw mut value).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0);
        // SAFETY: jemalloc's own static string.
        let value = unsafe { std::ffi::CStr::from_ptr(value) };
        assert_eq!(value.to_str(), Ok("percpu"));
    }

    /// Blocks made before the switch are freed and grown after it; blocks
    /// made after it are mimalloc's, which keeps what it frees.
    #[test]
    fn blocks_are_freed_and_resized_by_the_allocator_that_made_them() {
        let small: Vec<u8> = vec![1; 1000];
        let large: Vec<u8> = vec![2; 4 << 20];
        assert!(!mimallocs(small.as_ptr().cast_mut()) && !mimallocs(large.as_ptr().cast_mut()));
        // SAFETY: reads an option.
        let purge_delay =
            || unsafe { libmimalloc_sys::mi_option_get(copbook::serve::MI_OPTION_PURGE_DELAY) };
        assert_eq!(purge_delay(), 1000, "the purge delay's default");
        start_serving();
        assert_eq!(purge_delay(), -1, "serve never purges");
        let made_after: Vec<u8> = vec![3; 1000];
        assert!(mimallocs(made_after.as_ptr().cast_mut()));
        let mut grown = small;
        grown.resize(100_000, 4);
        assert!(mimallocs(grown.as_ptr().cast_mut()), "moved to mimalloc");
        assert!(grown[..1000].iter().all(|&b| b == 1) && grown[1000..].iter().all(|&b| b == 4));
        let mut shrunk = large;
        shrunk.truncate(10);
        shrunk.shrink_to_fit();
        assert_eq!(shrunk, [2; 10]);
        drop((made_after, grown, shrunk));
    }
}
