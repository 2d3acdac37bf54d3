//! Locality-based least-connection, plain and with replication (`ip_vs_lblc.c`,
//! `ip_vs_lblcr.c`). Both key a cache on the packet's **destination** IP.
//!
//! * lblc: use the cached server if it is available, has weight > 0 and is not
//!   "lblc-overloaded" (`is_overloaded`: `activeconns > weight` while some destination has
//!   `activeconns * 2 < weight`); otherwise pick by WLC (skipping OVERLOAD) and cache it.
//! * lblcr: the entry holds a server set. Take the set's WLC minimum (`ip_vs_dest_set_min`);
//!   if the set has more than one member and was not modified for `lblcr_expiration`, drop its
//!   most loaded member (`ip_vs_dest_set_max`); if the minimum is missing or lblc-overloaded,
//!   run WLC over all destinations and add the result to the set.
//! * Time is explicit: `jiffies` is the simulation clock in ms. The garbage-collection timer
//!   (`ip_vs_lblc_check_expire`) fires every 60 s after the scheduler is bound; every 30th run
//!   (`COUNT_FOR_FULL_EXPIRATION`, counter starting at 1) is a full check removing entries
//!   unused for `lblc_expiration` (default 24 h).

use std::collections::BTreeMap;

use crate::ipvs::dest::{DestId, Destinations, RealServer};

/// `CHECK_EXPIRE_INTERVAL`: 60 s.
pub const CHECK_EXPIRE_INTERVAL_MS: u64 = 60_000;
/// `DEFAULT_EXPIRATION`: 24 h, the default of `lblc_expiration` and `lblcr_expiration`.
pub const DEFAULT_EXPIRATION_MS: u64 = 24 * 60 * 60 * 1000;
/// `COUNT_FOR_FULL_EXPIRATION`.
const COUNT_FOR_FULL_EXPIRATION: u32 = 30;
/// `tbl->max_size` = `IP_VS_LBLC_TAB_SIZE * 16`. The simulation never creates more entries
/// (as if `kmalloc` failed: the pick is still returned), so the over-size collection that
/// would start above it never runs.
pub const MAX_ENTRIES: usize = 1024 * 16;

/// `__ip_vs_lblc_schedule` / `__ip_vs_lblcr_schedule`: WLC over the list, skipping OVERLOAD.
fn wlc_all(list: &[RealServer]) -> Option<DestId> {
    super::lc::wlc(list).map(|i| list[i].id)
}

/// `is_overloaded` of lblc/lblcr: more active connections than weight, while some destination
/// of the service is under half its weight.
fn lblc_overloaded(dest: &RealServer, list: &[RealServer]) -> bool {
    u64::from(dest.activeconns) > u64::from(dest.weight)
        && list.iter().any(|d| u64::from(d.activeconns) * 2 < u64::from(d.weight))
}

/// The periodic timer shared by lblc and lblcr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpireTimer {
    /// When the timer fires next (ms on the simulation clock).
    pub due_ms: u64,
    /// `tbl->counter`.
    pub counter: u32,
    /// `sysctl_lblc_expiration` / `sysctl_lblcr_expiration`, in ms.
    pub expiration_ms: u64,
}

impl ExpireTimer {
    fn new(now_ms: u64, expiration_ms: u64) -> Self {
        Self { due_ms: now_ms.saturating_add(CHECK_EXPIRE_INTERVAL_MS), counter: 1, expiration_ms }
    }

    /// Runs every timer firing up to `now_ms`; `full_check(at)` removes expired entries.
    fn run_until(&mut self, now_ms: u64, mut full_check: impl FnMut(u64)) {
        while self.due_ms <= now_ms {
            let at = self.due_ms;
            if self.counter.is_multiple_of(COUNT_FOR_FULL_EXPIRATION) {
                full_check(at);
                self.counter = 1;
            } else {
                // entries <= max_size always holds here (see MAX_ENTRIES).
                self.counter += 1;
            }
            self.due_ms = at.saturating_add(CHECK_EXPIRE_INTERVAL_MS);
        }
    }
}

/// `struct ip_vs_lblc_entry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LblcEntry {
    /// The cached server.
    pub dest: DestId,
    /// `lastuse` in ms.
    pub lastuse_ms: u64,
}

/// `struct ip_vs_lblc_table`: destination IP (host order) → entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LblcState {
    /// The cache.
    pub entries: BTreeMap<u32, LblcEntry>,
    /// The garbage-collection timer.
    pub timer: ExpireTimer,
}

impl LblcState {
    /// `ip_vs_lblc_init_svc`: empty table, timer armed 60 s from now.
    pub fn bind(now_ms: u64, expiration_ms: u64) -> Self {
        Self { entries: BTreeMap::new(), timer: ExpireTimer::new(now_ms, expiration_ms) }
    }

    /// `ip_vs_lblc_schedule`.
    pub fn schedule(&mut self, dests: &Destinations, daddr: u32, now_ms: u64) -> Option<DestId> {
        let list = dests.list();
        if let Some(en) = self.entries.get_mut(&daddr) {
            en.lastuse_ms = now_ms;
            let id = en.dest;
            if let Some(dest) = dests.get(id)
                && dests.is_available(id)
                && dest.weight > 0
                && !lblc_overloaded(dest, list)
            {
                return Some(id);
            }
        }
        let id = wlc_all(list)?;
        // ip_vs_lblc_new: an entry for the same server is kept as is; otherwise replaced.
        match self.entries.get(&daddr) {
            Some(en) if en.dest == id => {}
            Some(_) => {
                self.entries.insert(daddr, LblcEntry { dest: id, lastuse_ms: now_ms });
            }
            None if self.entries.len() < MAX_ENTRIES => {
                self.entries.insert(daddr, LblcEntry { dest: id, lastuse_ms: now_ms });
            }
            None => {}
        }
        Some(id)
    }

    /// Advances the timer to `now_ms`; a full check drops entries with `now >= lastuse + exp`.
    pub(crate) fn tick(&mut self, now_ms: u64) {
        let Self { entries, timer } = self;
        let exp = timer.expiration_ms;
        timer
            .run_until(now_ms, |at| entries.retain(|_, en| at < en.lastuse_ms.saturating_add(exp)));
    }

    /// Whether an entry refers to `id` (the kernel's entry holds a reference on the dest).
    pub fn references(&self, id: DestId) -> bool {
        self.entries.values().any(|en| en.dest == id)
    }
}

/// `struct ip_vs_dest_set`: members most recently added first (`list_add_rcu`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestSet {
    /// The members.
    pub members: Vec<DestId>,
    /// `lastmod` in ms: the last insert or erase.
    pub lastmod_ms: u64,
}

impl DestSet {
    /// `ip_vs_dest_set_insert` (with `check`: no duplicates).
    fn insert(&mut self, id: DestId, now_ms: u64) {
        if !self.members.contains(&id) {
            self.members.insert(0, id);
            self.lastmod_ms = now_ms;
        }
    }

    /// `ip_vs_dest_set_min`: WLC over the members; the first must be available with weight >
    /// 0, later ones must be available; all skip OVERLOAD.
    fn min(&self, dests: &Destinations) -> Option<DestId> {
        let members: Vec<&RealServer> =
            self.members.iter().filter_map(|&id| dests.get(id)).collect();
        let first = members
            .iter()
            .position(|d| !d.overloaded && d.weight > 0 && dests.is_available(d.id))?;
        let mut least = members[first];
        let mut loh = least.conn_overhead();
        for dest in members.iter().skip(first + 1) {
            if dest.overloaded {
                continue;
            }
            let doh = dest.conn_overhead();
            if loh * i64::from(dest.weight) > doh * i64::from(least.weight)
                && dests.is_available(dest.id)
            {
                least = dest;
                loh = doh;
            }
        }
        Some(least.id)
    }

    /// `ip_vs_dest_set_max`: the most loaded member with weight > 0 (availability not checked).
    fn max(&self, dests: &Destinations) -> Option<DestId> {
        let members: Vec<&RealServer> =
            self.members.iter().filter_map(|&id| dests.get(id)).collect();
        let first = members.iter().position(|d| d.weight > 0)?;
        let mut most = members[first];
        let mut moh = most.conn_overhead();
        for dest in members.iter().skip(first + 1) {
            let doh = dest.conn_overhead();
            if moh * i64::from(dest.weight) < doh * i64::from(most.weight) && dest.weight > 0 {
                most = dest;
                moh = doh;
            }
        }
        Some(most.id)
    }
}

/// `struct ip_vs_lblcr_entry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LblcrEntry {
    /// The server set.
    pub set: DestSet,
    /// `lastuse` in ms.
    pub lastuse_ms: u64,
}

/// `struct ip_vs_lblcr_table`: destination IP (host order) → server set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LblcrState {
    /// The cache.
    pub entries: BTreeMap<u32, LblcrEntry>,
    /// The garbage-collection timer.
    pub timer: ExpireTimer,
}

impl LblcrState {
    /// `ip_vs_lblcr_init_svc`.
    pub fn bind(now_ms: u64, expiration_ms: u64) -> Self {
        Self { entries: BTreeMap::new(), timer: ExpireTimer::new(now_ms, expiration_ms) }
    }

    /// `ip_vs_lblcr_schedule`.
    pub fn schedule(&mut self, dests: &Destinations, daddr: u32, now_ms: u64) -> Option<DestId> {
        let list = dests.list();
        let exp = self.timer.expiration_ms;
        if let Some(en) = self.entries.get_mut(&daddr) {
            en.lastuse_ms = now_ms;
            let dest = en.set.min(dests);
            if en.set.members.len() > 1
                && now_ms > en.set.lastmod_ms.saturating_add(exp)
                && let Some(m) = en.set.max(dests)
            {
                en.set.members.retain(|&id| id != m);
                en.set.lastmod_ms = now_ms;
            }
            // The minimum is used even if it was the member just erased, as in the kernel.
            if let Some(id) = dest
                && let Some(d) = dests.get(id)
                && !lblc_overloaded(d, list)
            {
                return Some(id);
            }
            let id = wlc_all(list)?;
            en.set.insert(id, now_ms);
            return Some(id);
        }
        let id = wlc_all(list)?;
        if self.entries.len() < MAX_ENTRIES {
            let set = DestSet { members: vec![id], lastmod_ms: now_ms };
            self.entries.insert(daddr, LblcrEntry { set, lastuse_ms: now_ms });
        }
        Some(id)
    }

    /// Advances the timer; a full check drops entries with `lastuse + exp <= now`.
    pub(crate) fn tick(&mut self, now_ms: u64) {
        let Self { entries, timer } = self;
        let exp = timer.expiration_ms;
        timer
            .run_until(now_ms, |at| entries.retain(|_, en| en.lastuse_ms.saturating_add(exp) > at));
    }

    /// Whether a set refers to `id`.
    pub fn references(&self, id: DestId) -> bool {
        self.entries.values().any(|en| en.set.members.contains(&id))
    }
}
