//! The kernel's plain scans for lc, wlc, sed, nq, fo and ovf (`ip_vs_lc.c`, `ip_vs_wlc.c`,
//! `ip_vs_sed.c`, `ip_vs_nq.c`, `ip_vs_fo.c`, `ip_vs_ovf.c`). None keeps state; all scan the
//! list in order, so ties go to the destination nearer the head. The service answers them
//! through a [`Tournament`](super::tournament::Tournament) in O(1); these scans are its
//! reference (checked against it by the property tests) and lblc/lblcr's WLC step.

use crate::ipvs::dest::RealServer;

/// `ip_vs_lc_schedule`: the minimum `conn_overhead` (strict `<`) among eligible destinations.
pub fn lc(list: &[RealServer]) -> Option<usize> {
    let mut least: Option<(usize, i64)> = None;
    for (i, dest) in list.iter().enumerate() {
        if dest.overloaded || dest.weight == 0 {
            continue;
        }
        let doh = dest.conn_overhead();
        if least.is_none_or(|(_, loh)| doh < loh) {
            least = Some((i, doh));
        }
    }
    least.map(|(i, _)| i)
}

/// The wlc/sed comparison: the first eligible destination is the candidate, and a later one
/// replaces it when `loh * w(d) > doh * w(least)` in 64-bit arithmetic. Weight-0 destinations
/// are not skipped in the second stage, but they can never win (`loh * 0` is never greater).
fn weighted_least(list: &[RealServer], overhead: impl Fn(&RealServer) -> i64) -> Option<usize> {
    let first = list.iter().position(RealServer::is_eligible)?;
    let (mut least, mut loh) = (first, overhead(&list[first]));
    for (i, dest) in list.iter().enumerate().skip(first + 1) {
        if dest.overloaded {
            continue;
        }
        let doh = overhead(dest);
        if loh * i64::from(dest.weight) > doh * i64::from(list[least].weight) {
            least = i;
            loh = doh;
        }
    }
    Some(least)
}

/// `ip_vs_wlc_schedule`: least `conn_overhead / weight`.
pub fn wlc(list: &[RealServer]) -> Option<usize> {
    weighted_least(list, RealServer::conn_overhead)
}

/// `ip_vs_sed_dest_overhead`: `activeconns + 1`; inactive connections are ignored.
fn sed_overhead(dest: &RealServer) -> i64 {
    i64::from(dest.activeconns) + 1
}

/// `ip_vs_sed_schedule`: shortest expected delay, `(active + 1) / weight`.
pub fn sed(list: &[RealServer]) -> Option<usize> {
    weighted_least(list, sed_overhead)
}

/// `ip_vs_nq_schedule`: the first eligible destination with no active connection wins at
/// once; otherwise the sed rule.
pub fn nq(list: &[RealServer]) -> Option<usize> {
    let mut least: Option<(usize, i64)> = None;
    for (i, dest) in list.iter().enumerate() {
        if dest.overloaded || dest.weight == 0 {
            continue;
        }
        let doh = sed_overhead(dest);
        if dest.activeconns == 0 {
            return Some(i);
        }
        let replace = match least {
            None => true,
            Some((l, loh)) => loh * i64::from(dest.weight) > doh * i64::from(list[l].weight),
        };
        if replace {
            least = Some((i, doh));
        }
    }
    least.map(|(i, _)| i)
}

/// `ip_vs_fo_schedule` (weighted failover): the highest weight (strict `>`, from 0) among
/// destinations with OVERLOAD clear.
pub fn fo(list: &[RealServer]) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut hw = 0;
    for (i, dest) in list.iter().enumerate() {
        if !dest.overloaded && dest.weight > hw {
            best = Some(i);
            hw = dest.weight;
        }
    }
    best
}

/// `ip_vs_ovf_schedule` (overflow): the highest weight among destinations with OVERLOAD
/// clear, weight > 0 and `activeconns <= weight`.
pub fn ovf(list: &[RealServer]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, dest) in list.iter().enumerate() {
        let w = dest.weight;
        if dest.overloaded || dest.activeconns > w || w == 0 {
            continue;
        }
        if best.is_none_or(|b| w > list[b].weight) {
            best = Some(i);
        }
    }
    best
}
