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

/// Sets up memory for a build; the command line and the benchmarks call it first.
///
/// - Freed memory stays in the process until it exits. By default mimalloc hands memory that
///   stayed free for a second back to the kernel, which zeroes every page again when the build
///   reuses it: a cold build of 10,000 sessions took 15 times as many page faults. A build is
///   short and `serve` keeps its caches anyway.
/// - Transparent huge pages are off for the process (`PR_SET_THP_DISABLE`, which the kernel
///   checks at each fault, so it also covers the arena mimalloc advised `MADV_HUGEPAGE` before
///   `main`). Each huge page costs a fault 2 MiB of zeroing however little of it is used: a
///   cold 1,000-session build peaked at 85–105 MiB with them and 51–54 MiB without, and the
///   10,000-session build spent half as much time in the kernel, for a 3 % shorter median.
pub fn configure() {
    // SAFETY: an option setter; mimalloc reads the delay each time it could purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and no pointer. A kernel without it
    // returns EINVAL, and the build runs as before.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configure_stops_purging_and_huge_pages() {
        // 1000 ms is v3's default purge delay, and no other option's default.
        // SAFETY: an option getter.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
        configure();
        // SAFETY: as above.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
        #[cfg(target_os = "linux")]
        // SAFETY: PR_GET_THP_DISABLE takes no pointer and returns the flag.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) }, 1);
    }
}
