//! Weighted round-robin (`ip_vs_wrr.c`): bursty, not smooth.
//!
//! State `ip_vs_wrr_mark`: `cl` (the cursor), `cw` (current weight), `mw` (max weight minus
//! `di - 1`) and `di` (gcd of the positive weights). A pick continues the scan after `cl` for
//! a destination with OVERLOAD clear and weight ≥ cw; at the end of the list cw drops by di, and
//! when it reaches ≤ 0 it restarts at mw. Binding starts at cw = mw; every add, edit or delete
//! (`ip_vs_wrr_dest_changed`) resets `cl` to the head, recomputes di and mw and clamps cw, so a
//! service filled one `ipvsadm -a` at a time starts with a cw = 1 pass in list order.

use crate::ipvs::dest::RealServer;

/// `struct ip_vs_wrr_mark`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrrState {
    /// `cl`: position of the last picked destination, `None` for the list head.
    pub cursor: Option<usize>,
    /// `cw`: the current weight.
    pub cw: i32,
    /// `mw`: the maximum weight minus `di - 1`, so that the last pass has cw = 1.
    pub mw: i32,
    /// `di`: gcd of the positive weights (1 when there are none).
    pub di: i32,
}

fn gcd(a: i32, b: i32) -> i32 {
    let (mut a, mut b) = (a, b);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `ip_vs_wrr_gcd_weight`: gcd of the positive weights, 1 when there are none.
fn gcd_weight(list: &[RealServer]) -> i32 {
    let g = list.iter().filter(|d| d.weight > 0).fold(0, |g, d| {
        let w = d.weight as i32;
        if g > 0 { gcd(w, g) } else { w }
    });
    if g == 0 { 1 } else { g }
}

/// `ip_vs_wrr_max_weight`.
fn max_weight(list: &[RealServer]) -> i32 {
    list.iter().map(|d| d.weight as i32).max().unwrap_or(0).max(0)
}

impl WrrState {
    /// `ip_vs_wrr_init_svc`: bound to the current list, cw starts at mw.
    pub fn bind(list: &[RealServer]) -> Self {
        let di = gcd_weight(list);
        let mw = max_weight(list) - (di - 1);
        Self { cursor: None, cw: mw, mw, di }
    }

    /// `ip_vs_wrr_dest_changed`: cursor to head, recompute di and mw, clamp cw.
    pub(crate) fn dest_changed(&mut self, list: &[RealServer]) {
        self.cursor = None;
        self.di = gcd_weight(list);
        self.mw = max_weight(list) - (self.di - 1);
        if self.cw > self.mw || self.cw == 0 {
            self.cw = self.mw;
        } else if self.di > 1 {
            self.cw = (self.cw / self.di) * self.di + 1;
        }
    }

    /// `ip_vs_wrr_schedule`, including its `last_pass`/`restarted`/`stop` termination rules.
    pub fn schedule(&mut self, list: &[RealServer]) -> Option<usize> {
        if self.mw == 0 {
            return None;
        }
        let last = self.cursor.filter(|&c| c < list.len());
        let mut start = last.map_or(0, |c| c + 1);
        let mut stop: Option<usize> = None;
        let (mut last_pass, mut restarted) = (false, false);
        loop {
            for (i, dest) in list.iter().enumerate().skip(start) {
                if !dest.overloaded && i64::from(dest.weight) >= i64::from(self.cw) {
                    self.cursor = Some(i);
                    return Some(i);
                }
                if stop == Some(i) {
                    self.cursor = Some(i);
                    return None;
                }
            }
            start = 0;
            self.cw -= self.di;
            if self.cw <= 0 {
                self.cw = self.mw;
                if last_pass || last.is_none() {
                    self.cursor = None;
                    return None;
                }
                restarted = true;
            }
            last_pass = self.cw <= self.di;
            if last_pass && restarted && last.is_some() {
                stop = last;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::dest::test_server;

    fn picks(state: &mut WrrState, list: &[RealServer], n: usize) -> Vec<Option<usize>> {
        (0..n).map(|_| state.schedule(list)).collect()
    }

    #[test]
    fn bound_with_dests_starts_at_mw() {
        let list = [test_server(0, 4), test_server(1, 3), test_server(2, 2)];
        let mut wrr = WrrState::bind(&list);
        assert_eq!((wrr.cw, wrr.mw, wrr.di), (4, 4, 1));
        let got = picks(&mut wrr, &list, 9);
        let want = [0, 0, 1, 0, 1, 2, 0, 1, 2].map(Some);
        assert_eq!(got, want);
    }

    #[test]
    fn mw_is_max_minus_di_minus_one() {
        let list = [test_server(0, 6), test_server(1, 4)];
        let wrr = WrrState::bind(&list);
        assert_eq!((wrr.cw, wrr.mw, wrr.di), (5, 5, 2));
    }

    #[test]
    fn bound_empty_has_mw_0_and_fails() {
        let mut wrr = WrrState::bind(&[]);
        assert_eq!((wrr.cw, wrr.mw, wrr.di), (0, 0, 1));
        assert_eq!(wrr.schedule(&[]), None);
    }

    #[test]
    fn zero_cw_takes_mw_on_change() {
        let mut wrr = WrrState::bind(&[]);
        let list = [test_server(0, 4)];
        wrr.dest_changed(&list);
        assert_eq!((wrr.cw, wrr.mw, wrr.di), (1, 1, 4));
    }

    #[test]
    fn all_weights_zero_fail_without_looping() {
        let list = [test_server(0, 0), test_server(1, 0)];
        let mut wrr = WrrState::bind(&list);
        assert_eq!(wrr.mw, 0);
        assert_eq!(wrr.schedule(&list), None);
    }

    #[test]
    fn all_overloaded_fail_after_the_last_pass() {
        let mut list = [test_server(0, 3), test_server(1, 1)];
        let mut wrr = WrrState::bind(&list);
        assert_eq!(wrr.schedule(&list), Some(0));
        list[0].overloaded = true;
        list[1].overloaded = true;
        // cw 3 -> 2 -> 1 (last pass) -> 0: reset to mw and err_over with cl at the head.
        assert_eq!(wrr.schedule(&list), None);
        assert_eq!((wrr.cursor, wrr.cw), (None, 3));
        assert_eq!(wrr.schedule(&list), None);
        assert_eq!((wrr.cursor, wrr.cw), (None, 3));
    }

    #[test]
    fn a_restart_before_the_last_pass_stops_at_the_old_cursor() {
        // Equal weights 2: di 2, mw 1, cw 1. Two picks leave the cursor on d1.
        let mut list = [test_server(0, 2), test_server(1, 2), test_server(2, 2)];
        let mut wrr = WrrState::bind(&list);
        assert_eq!((wrr.schedule(&list), wrr.schedule(&list)), (Some(0), Some(1)));
        list.iter_mut().for_each(|d| d.overloaded = true);
        // After d1: d2 no; cw -1 -> mw 1, restarted; last pass with stop = d1; from the head
        // d0 no, d1 is the stop: err_over with cl = d1.
        assert_eq!(wrr.schedule(&list), None);
        assert_eq!((wrr.cursor, wrr.cw), (Some(1), 1));
    }
}
