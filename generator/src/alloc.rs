//! The allocator of every program linking the generator, the command line and its benchmarks
//! alike, so that both measure the same build.
//!
//! A build allocates and frees many page-sized strings from several threads; mimalloc reuses
//! that memory where glibc's allocator returns it to the kernel and faults it back in. Its
//! `override` feature also serves the C allocations of oniguruma, syntect's regex engine.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (`include/mimalloc.h`), which
/// `libmimalloc-sys` does not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory in the process until it exits. By default mimalloc hands memory that
/// stayed free for a second back to the kernel, which zeroes every page again when the build
/// reuses it: a cold build of 10,000 sessions took 15 times as many page faults. A build is
/// short and `serve` keeps its caches anyway.
pub fn keep_freed_memory() {
    // SAFETY: an option setter; mimalloc reads the delay each time it could purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_index_names_mimallocs_purge_delay() {
        // 1000 ms is v3's default purge delay, and no other option's default.
        // SAFETY: an option getter.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
        keep_freed_memory();
        // SAFETY: as above.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }
}
