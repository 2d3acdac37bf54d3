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
