//! The memory controller: per-page charges, reclaim, `memory.high`, and the memcg OOM killer.
//!
//! Rules modelled (`mm/memcontrol.c` `try_charge_memcg`, `mem_cgroup_handle_over_high`,
//! `memory_max_write`, `mem_cgroup_resize_max`; `mm/oom_kill.c`; `cgroup-v2.rst` "Memory"):
//!
//! - A charge walks the page counters from the memcg to the root and fails at the first one
//!   whose usage would exceed its max; that counter's `failcnt` grows, `max` is counted in
//!   `memory.events` of that memcg (hierarchically, root excluded), and it is reclaimed with a
//!   target of `max(nr_pages, SWAP_CLUSTER_MAX = 32)` pages. Page cache is dropped oldest
//!   first from that memcg's subtree; without swap anonymous pages cannot be reclaimed.
//! - A charge that finds nothing to reclaim is retried (one retry after draining the per-CPU
//!   stock, then `MAX_RECLAIM_RETRIES = 16`), each failed try counting `failcnt` and `max`,
//!   then `oom` is counted and the memcg OOM killer runs in the limiting memcg: the victim is
//!   the process with the highest `oom_badness` = rss + swap + page tables +
//!   `oom_score_adj · totalpages / 1000` (ties: the one met last; −1000 never), `oom_kill` is
//!   counted on its memcg, and with `memory.oom.group` the whole group dies and
//!   `oom_group_kill` is counted. The charge is then retried.
//! - v1 `oom_kill_disable`: the task waits instead, shown `blocked_on_memory`, until memory
//!   is uncharged or the limit rises, and then retries.
//! - v2 `memory.high`: after a charge that leaves any ancestor above `high`, that memcg counts
//!   `high` and reclaims; if still above, the task sleeps `calculate_high_delay` jiffies
//!   (at most 2 s, none under 10 ms). `high` never OOM-kills and can be exceeded.

use super::{Block, CgroupError, CgroupSim, CgroupVersion, Life, MAX_OP_BYTES, Outcome, PAGE_SIZE};

/// `PAGE_COUNTER_MAX` on 64-bit: `LONG_MAX / PAGE_SIZE` pages, shown as "max".
pub const PAGE_COUNTER_MAX: u64 = (i64::MAX as u64) / PAGE_SIZE;
/// `SWAP_CLUSTER_MAX`: the smallest reclaim target.
pub const SWAP_CLUSTER_MAX: u64 = 32;
/// `MAX_RECLAIM_RETRIES`.
pub const MAX_RECLAIM_RETRIES: u32 = 16;
/// `MEMCG_CHARGE_BATCH`: the nominal charge size in the `memory.high` penalty.
pub const MEMCG_CHARGE_BATCH: u64 = 64;
/// `MEMCG_MAX_HIGH_DELAY_JIFFIES` (2 s at HZ=1000).
pub const MEMCG_MAX_HIGH_DELAY_JIFFIES: u64 = 2000;

/// The `memory.events` counters, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemEvent {
    /// `low`: reclaimed despite being under `memory.low` (never in this model: no `memory.low`).
    Low = 0,
    /// `high`: throttled and reclaimed for being above `memory.high`.
    High = 1,
    /// `max`: a charge hit `memory.max`.
    Max = 2,
    /// `oom`: the memcg ran out of memory and the OOM path ran.
    Oom = 3,
    /// `oom_kill`: processes of this memcg killed by an OOM killer.
    OomKill = 4,
    /// `oom_group_kill`: group OOM kills (`memory.oom.group`).
    OomGroupKill = 5,
}

/// The names of the `memory.events` keys, in file order.
pub const MEM_EVENT_NAMES: [&str; 6] = ["low", "high", "max", "oom", "oom_kill", "oom_group_kill"];

/// A memcg's counters and knobs (in pages unless named otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemCgroup {
    /// `memory.max` / `memory.limit_in_bytes`, pages.
    pub max_pages: u64,
    /// `memory.high`, pages (v2).
    pub high_pages: u64,
    /// `memory.current` / `memory.usage_in_bytes`: this memcg and its descendants, pages.
    pub usage_pages: u64,
    /// `memory.peak` / `memory.max_usage_in_bytes`, pages.
    pub watermark_pages: u64,
    /// v1 `memory.failcnt`.
    pub failcnt: u64,
    /// Anonymous pages charged to this memcg itself (`memory.stat` anon / rss).
    pub anon_pages: u64,
    /// Page cache pages charged to this memcg itself (`memory.stat` file / cache).
    pub file_pages: u64,
    /// `memory.events` (hierarchical).
    pub events: [u64; 6],
    /// `memory.events.local`.
    pub events_local: [u64; 6],
    /// `memory.oom.group`.
    pub oom_group: bool,
    /// v1 `memory.oom_control` `oom_kill_disable`.
    pub oom_kill_disable: bool,
}

impl Default for MemCgroup {
    fn default() -> Self {
        Self {
            max_pages: PAGE_COUNTER_MAX,
            high_pages: PAGE_COUNTER_MAX,
            usage_pages: 0,
            watermark_pages: 0,
            failcnt: 0,
            anon_pages: 0,
            file_pages: 0,
            events: [0; 6],
            events_local: [0; 6],
            oom_group: false,
            oom_kill_disable: false,
        }
    }
}

/// A run of page cache pages of one file charged to one memcg, in LRU order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCacheExtent {
    /// The file.
    pub file: String,
    /// The memcg the pages are charged to (the one that faulted them in).
    pub memcg: usize,
    /// Number of pages.
    pub pages: u64,
}

/// What is being charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChargeKind {
    Anon,
    File(String),
}

enum ChargeEnd {
    Done,
    Blocked,
    SelfKilled,
    NoMem(usize),
}

/// Pages covering `bytes`.
pub fn bytes_to_pages(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE_SIZE)
}

/// Page-table pages of a process with `rss` resident pages: one PTE page per 512 pages.
pub fn pgtables_pages(rss: u64) -> u64 {
    rss.div_ceil(512)
}

impl CgroupSim {
    /// `memcg_memory_event`: counts locally and, on cgroup v2, in every non-root ancestor. On
    /// v1 (`!cgroup_subsys_on_dfl`) the loop stops after the memcg itself, so v1's
    /// `memory.oom_control` `oom_kill` counts only the memcg's own kills.
    pub(crate) fn mem_event(&mut self, g: usize, ev: MemEvent) {
        let v1 = self.version() == CgroupVersion::V1;
        let e = ev as usize;
        if let Some(m) = self.cgroups.get_mut(g).map(|c| &mut c.mem)
            && let Some(x) = m.events_local.get_mut(e)
        {
            *x += 1;
        }
        let mut a = Some(g);
        while let Some(x) = a {
            let Some(c) = self.cgroups.get_mut(x) else { break };
            if c.parent.is_none() {
                break;
            }
            if let Some(v) = c.mem.events.get_mut(e) {
                *v += 1;
            }
            if v1 {
                break;
            }
            a = c.parent;
        }
    }

    /// The room left before the first full counter from `g` up, and that counter.
    fn margin(&self, g: usize) -> (u64, usize) {
        let mut best = (u64::MAX, g);
        for a in self.ancestors(g) {
            let Some(c) = self.cgroups.get(a) else { continue };
            let room = c.mem.max_pages.saturating_sub(c.mem.usage_pages);
            if room < best.0 {
                best = (room, a);
            }
            if room == 0 {
                return (0, a);
            }
        }
        best
    }

    fn commit_charge(&mut self, pi: usize, g: usize, pages: u64, kind: &ChargeKind) {
        for a in self.ancestors(g).collect::<Vec<_>>() {
            if let Some(c) = self.cgroups.get_mut(a) {
                c.mem.usage_pages = c.mem.usage_pages.saturating_add(pages);
                c.mem.watermark_pages = c.mem.watermark_pages.max(c.mem.usage_pages);
            }
        }
        match kind {
            ChargeKind::Anon => {
                if let Some(c) = self.cgroups.get_mut(g) {
                    c.mem.anon_pages += pages;
                }
                if let Some(p) = self.procs.get_mut(pi) {
                    match p.anon.last_mut() {
                        Some((m, n)) if *m == g => *n += pages,
                        _ => p.anon.push((g, pages)),
                    }
                }
            }
            ChargeKind::File(name) => {
                if let Some(c) = self.cgroups.get_mut(g) {
                    c.mem.file_pages += pages;
                }
                match self.page_cache.back_mut() {
                    Some(e) if e.file == *name && e.memcg == g => e.pages += pages,
                    _ => self.page_cache.push_back(PageCacheExtent {
                        file: name.clone(),
                        memcg: g,
                        pages,
                    }),
                }
            }
        }
    }

    /// Removes `pages` from the usage of `g` and its ancestors; as `uncharge_batch` does, the
    /// memcg of the pages is then passed to `memcg_oom_recover`.
    pub(crate) fn uncharge(&mut self, g: usize, pages: u64) {
        if pages > 0 {
            self.note_oom_recover(g);
        }
        for a in self.ancestors(g).collect::<Vec<_>>() {
            if let Some(c) = self.cgroups.get_mut(a) {
                c.mem.usage_pages = c.mem.usage_pages.saturating_sub(pages);
            }
        }
    }

    /// `try_to_free_mem_cgroup_pages`: drops up to `max(target, 32)` page cache pages charged
    /// in `dom`'s subtree, oldest first; returns how many.
    pub(crate) fn reclaim(&mut self, dom: usize, target: u64) -> u64 {
        let target = target.max(SWAP_CLUSTER_MAX);
        let mut got = 0;
        let mut taken: Vec<(usize, u64)> = Vec::new();
        for i in 0..self.page_cache.len() {
            if got >= target {
                break;
            }
            let Some(e) = self.page_cache.get(i) else { break };
            if !self.is_descendant(e.memcg, dom) {
                continue;
            }
            let take = e.pages.min(target - got);
            if let Some(e) = self.page_cache.get_mut(i) {
                e.pages -= take;
                taken.push((e.memcg, take));
            }
            got += take;
        }
        self.page_cache.retain(|e| e.pages > 0);
        for (m, n) in taken {
            self.uncharge(m, n);
            if let Some(c) = self.cgroups.get_mut(m) {
                c.mem.file_pages = c.mem.file_pages.saturating_sub(n);
            }
        }
        got
    }

    /// `try_charge_memcg` for `pages` pages, one page fault at a time, for process `pi`.
    fn charge(
        &mut self,
        pi: usize,
        g: usize,
        pages: u64,
        kind: &ChargeKind,
        out: &mut Outcome,
    ) -> (u64, ChargeEnd) {
        let mut left = pages;
        let mut charged = 0;
        let pid = self.procs.get(pi).map_or(0, |p| p.pid);
        while left > 0 {
            let (room, dom) = self.margin(g);
            if room > 0 {
                let k = room.min(left);
                self.commit_charge(pi, g, k, kind);
                left -= k;
                charged += k;
                continue;
            }
            self.failed_try(dom);
            if self.reclaim(dom, 1) > 0 {
                continue;
            }
            // The retry after drain_all_stock, then MAX_RECLAIM_RETRIES more, all fail the same way.
            for _ in 0..=MAX_RECLAIM_RETRIES {
                self.failed_try(dom);
            }
            self.mem_event(dom, MemEvent::Oom);
            let disabled = self.version() == CgroupVersion::V1
                && self.cgroups.get(dom).is_some_and(|c| c.mem.oom_kill_disable);
            if disabled {
                if let Some(p) = self.procs.get_mut(pi) {
                    p.pending_pages = left;
                    p.pending_domain = Some(dom);
                    p.pending_file = match kind {
                        ChargeKind::Anon => None,
                        ChargeKind::File(f) => Some(f.clone()),
                    };
                }
                if let Some(t) = self.tasks.iter_mut().find(|t| t.is_alive_in(pid)) {
                    t.block = Block::Memory;
                }
                self.sched.dirty = true;
                return (charged, ChargeEnd::Blocked);
            }
            match self.oom_kill(dom, out) {
                None => return (charged, ChargeEnd::NoMem(dom)),
                Some(victim) if victim == pid => return (charged, ChargeEnd::SelfKilled),
                Some(_) => {}
            }
        }
        (charged, ChargeEnd::Done)
    }

    fn failed_try(&mut self, dom: usize) {
        if let Some(c) = self.cgroups.get_mut(dom) {
            c.mem.failcnt += 1;
        }
        self.mem_event(dom, MemEvent::Max);
    }

    /// `out_of_memory` for the memcg `dom`: picks the victim by `oom_badness`, kills it (and its
    /// `memory.oom.group`), returns its pid, or `None` when nothing is killable.
    pub(crate) fn oom_kill(&mut self, dom: usize, out: &mut Outcome) -> Option<u32> {
        let totalpages = self.cgroups.get(dom).map_or(1, |c| c.mem.max_pages).max(1);
        let mut chosen: Option<(i64, u32, usize)> = None;
        for g in self.subtree_preorder(dom) {
            // mem_cgroup_scan_tasks meets every thread, in cset->tasks order, and each thread
            // of a process scores the same: among equal scores the process whose last thread
            // comes last wins.
            let last_thread = |pid: u32| {
                self.tasks
                    .iter()
                    .filter(|t| t.is_alive_in(pid))
                    .map(|t| t.join_seq)
                    .max()
                    .unwrap_or(0)
            };
            let mut members: Vec<(u64, &super::Process)> = self
                .procs
                .iter()
                .filter(|p| p.cgroup == g && p.nr_threads > 0)
                .map(|p| (last_thread(p.pid), p))
                .collect();
            crate::sort::sort_by_key(&mut members, |(seq, _)| *seq);
            for (_, p) in members {
                if p.oom_score_adj == -1000 {
                    continue;
                }
                let rss = p.anon_pages();
                let base = i64::try_from(rss + pgtables_pages(rss)).unwrap_or(i64::MAX);
                let adj = i64::from(p.oom_score_adj)
                    .saturating_mul(i64::try_from(totalpages / 1000).unwrap_or(i64::MAX));
                let points = base.saturating_add(adj);
                // oom_evaluate_task skips only a strictly lower score: the last of equals wins.
                if chosen.is_none_or(|(best, _, _)| points >= best) {
                    chosen = Some((points, p.pid, p.cgroup));
                }
            }
        }
        let (_, victim, vg) = chosen?;
        let mut oom_group = None;
        for a in self.ancestors(vg) {
            if self.cgroups.get(a).is_some_and(|c| c.mem.oom_group) {
                oom_group = Some(a);
            }
            if a == dom {
                break;
            }
        }
        // mem_cgroup_scan_tasks(oom_group, oom_kill_memcg_member), listed before the victim
        // dies: memcgs in pre-order, threads in cset->tasks order. It calls
        // __oom_kill_process for every thread, the victim's included (there is no check for
        // tasks already killed), and each call counts `oom_kill` for the thread's mm.
        let members: Vec<(u32, usize, u64)> = match oom_group {
            Some(og) => {
                let order = self.subtree_preorder(og);
                let first_thread = |pid: u32| {
                    self.tasks
                        .iter()
                        .filter(|t| t.is_alive_in(pid))
                        .map(|t| t.join_seq)
                        .min()
                        .unwrap_or(0)
                };
                let mut m: Vec<(usize, u64, u32, usize, u64)> = self
                    .procs
                    .iter()
                    .filter(|p| p.nr_threads > 0 && p.oom_score_adj != -1000)
                    .filter_map(|p| {
                        let at = order.iter().position(|&x| x == p.cgroup)?;
                        Some((at, first_thread(p.pid), p.pid, p.cgroup, u64::from(p.nr_threads)))
                    })
                    .collect();
                crate::sort::sort(&mut m);
                m.into_iter().map(|(_, _, pid, g, n)| (pid, g, n)).collect()
            }
            None => Vec::new(),
        };
        self.oom_kill_one(victim, out, 1);
        if let Some(og) = oom_group {
            self.mem_event(og, MemEvent::OomGroupKill);
            for (pid, g, threads) in members {
                if pid == victim {
                    for _ in 0..threads {
                        self.mem_event(g, MemEvent::OomKill);
                    }
                } else {
                    self.oom_kill_one(pid, out, threads);
                }
            }
        }
        Some(victim)
    }

    /// Kills process `pid`, counting `events` `oom_kill` events in its memcg (one per
    /// `__oom_kill_process` call).
    fn oom_kill_one(&mut self, pid: u32, out: &mut Outcome, events: u64) {
        let Some(g) =
            self.procs.iter().find(|p| p.pid == pid && p.nr_threads > 0).map(|p| p.cgroup)
        else {
            return;
        };
        if self.kill_process(pid, Life::OomKilled).is_ok() {
            for _ in 0..events {
                self.mem_event(g, MemEvent::OomKill);
            }
            out.killed.push(pid);
        }
    }

    /// `alloc`: faults in anonymous memory for process `pid`.
    pub(crate) fn alloc_anon(
        &mut self,
        pid: u32,
        bytes: u64,
        out: &mut Outcome,
    ) -> Result<(), CgroupError> {
        check_bytes("alloc", bytes)?;
        let pi = self.runnable_process(pid)?;
        let g = self.procs.get(pi).map_or(0, |p| p.cgroup);
        let pages = bytes_to_pages(bytes);
        self.finish_charge(pi, g, pages, &ChargeKind::Anon, out)
    }

    /// `touch_file` / `read_file`: brings the first `bytes` of `file` into the page cache,
    /// charging the pages not cached yet to the process's memcg.
    pub(crate) fn touch_page_cache(
        &mut self,
        pid: u32,
        file: &str,
        bytes: u64,
        out: &mut Outcome,
    ) -> Result<(), CgroupError> {
        check_bytes("file", bytes)?;
        if file.is_empty() || file.len() > 255 {
            return Err(CgroupError::OutOfRange("file: name must have 1 to 255 bytes".to_owned()));
        }
        let pi = self.runnable_process(pid)?;
        let g = self.procs.get(pi).map_or(0, |p| p.cgroup);
        let cached: u64 = self.page_cache.iter().filter(|e| e.file == file).map(|e| e.pages).sum();
        let pages = bytes_to_pages(bytes).saturating_sub(cached);
        self.finish_charge(pi, g, pages, &ChargeKind::File(file.to_owned()), out)
    }

    fn runnable_process(&self, pid: u32) -> Result<usize, CgroupError> {
        let pi = self.process_index(pid)?;
        if self.procs.get(pi).is_some_and(|p| p.pending_pages > 0) {
            return Err(CgroupError::ProcessBlocked(pid));
        }
        Ok(pi)
    }

    fn finish_charge(
        &mut self,
        pi: usize,
        g: usize,
        pages: u64,
        kind: &ChargeKind,
        out: &mut Outcome,
    ) -> Result<(), CgroupError> {
        let (charged, end) = self.charge(pi, g, pages, kind, out);
        match end {
            ChargeEnd::Done => {
                self.handle_over_high(pi, g, charged, out);
                Ok(())
            }
            ChargeEnd::Blocked => {
                out.blocked = true;
                Ok(())
            }
            ChargeEnd::SelfKilled => Ok(()),
            ChargeEnd::NoMem(dom) => Err(CgroupError::OutOfMemory(
                self.cgroups.get(dom).map_or_else(String::new, |c| c.path.clone()),
            )),
        }
    }

    /// `free`: unmaps anonymous memory, most recent charges first.
    pub(crate) fn free_anon(&mut self, pid: u32, bytes: u64) -> Result<(), CgroupError> {
        check_bytes("free", bytes)?;
        let pi = self.process_index(pid)?;
        let has = self.procs.get(pi).map_or(0, |p| p.anon_pages());
        let mut pages = bytes_to_pages(bytes);
        if pages > has {
            return Err(CgroupError::FreeTooMuch { pid, has_bytes: has * PAGE_SIZE, bytes });
        }
        let mut freed: Vec<(usize, u64)> = Vec::new();
        if let Some(p) = self.procs.get_mut(pi) {
            while pages > 0 {
                let Some((m, n)) = p.anon.last_mut() else { break };
                let take = (*n).min(pages);
                *n -= take;
                pages -= take;
                freed.push((*m, take));
                if *n == 0 {
                    p.anon.pop();
                }
            }
        }
        for (m, n) in freed {
            self.uncharge(m, n);
            if let Some(c) = self.cgroups.get_mut(m) {
                c.mem.anon_pages = c.mem.anon_pages.saturating_sub(n);
            }
        }
        Ok(())
    }

    /// Records a `memcg_oom_recover(g)` call for the next [`Self::retry_waiters`].
    pub(crate) fn note_oom_recover(&mut self, g: usize) {
        if !self.oom_recover.contains(&g) {
            self.oom_recover.push(g);
        }
    }

    /// The waiters `memcg_oom_recover(m)` wakes: none unless `m` is `under_oom` (inside the
    /// subtree of some waiter's OOM memcg, `mem_cgroup_mark_under_oom`); then every waiter
    /// whose OOM memcg is an ancestor or a descendant of `m` (`memcg_oom_wake_function`).
    fn woken_by(&self, m: usize, domain: usize) -> bool {
        self.under_oom(m) && (self.is_descendant(m, domain) || self.is_descendant(domain, m))
    }

    /// `memcg_oom_recover` for the memcgs noted during this op: the tasks waiting in a v1 OOM
    /// with `oom_kill_disable` that it wakes retry their charge; those that still find no
    /// memory wait again.
    pub(crate) fn retry_waiters(&mut self, out: &mut Outcome) {
        let recovered = std::mem::take(&mut self.oom_recover);
        let waiting: Vec<u32> = self
            .procs
            .iter()
            .filter(|p| p.pending_pages > 0 && p.nr_threads > 0)
            .filter(|p| {
                p.pending_domain.is_some_and(|d| recovered.iter().any(|&m| self.woken_by(m, d)))
            })
            .map(|p| p.pid)
            .collect();
        for pid in waiting {
            let Some(pi) = self.procs.iter().position(|p| p.pid == pid && p.nr_threads > 0) else {
                continue;
            };
            let (g, left, kind) = match self.procs.get_mut(pi) {
                Some(p) => {
                    let kind = p.pending_file.take().map_or(ChargeKind::Anon, ChargeKind::File);
                    let left = std::mem::take(&mut p.pending_pages);
                    p.pending_domain = None;
                    (p.cgroup, left, kind)
                }
                None => continue,
            };
            let mut ti = None;
            for (i, t) in self.tasks.iter_mut().enumerate() {
                if t.pid == pid && t.block == Block::Memory {
                    t.block = Block::None;
                    ti = Some(i);
                }
            }
            let (charged, end) = self.charge(pi, g, left, &kind, out);
            if matches!(end, ChargeEnd::Done) {
                self.handle_over_high(pi, g, charged, out);
            }
            if let Some(i) = ti
                && self.tasks.get(i).is_some_and(super::Task::is_runnable)
            {
                self.place_task(i);
            }
        }
    }

    /// `mem_cgroup_handle_over_high` on return to user space after charging `nr_pages`.
    fn handle_over_high(&mut self, pi: usize, g: usize, nr_pages: u64, out: &mut Outcome) {
        if self.version() != CgroupVersion::V2 || nr_pages == 0 || !self.over_high(g) {
            return;
        }
        let mut retries = MAX_RECLAIM_RETRIES;
        let mut in_retry = false;
        loop {
            let target = if in_retry { SWAP_CLUSTER_MAX } else { nr_pages };
            let reclaimed = self.reclaim_high(g, target);
            let penalty = self.high_delay_jiffies(g, nr_pages).min(MEMCG_MAX_HIGH_DELAY_JIFFIES);
            if penalty <= 10 {
                return;
            }
            if reclaimed > 0 {
                in_retry = true;
                continue;
            }
            if retries > 0 {
                retries -= 1;
                in_retry = true;
                continue;
            }
            let until_us = self.now_us + penalty * 1000;
            let pid = self.procs.get(pi).map_or(0, |p| p.pid);
            if let Some(t) = self.tasks.iter_mut().find(|t| t.is_alive_in(pid)) {
                t.block = Block::MemoryHigh { until_us };
            }
            self.sched.dirty = true;
            out.delay_us = Some(penalty * 1000);
            return;
        }
    }

    fn over_high(&self, g: usize) -> bool {
        self.ancestors(g).any(|a| {
            self.cgroups
                .get(a)
                .is_some_and(|c| !c.is_root() && c.mem.usage_pages > c.mem.high_pages)
        })
    }

    /// `reclaim_high`: every non-root ancestor above `memory.high` counts `high` and reclaims.
    fn reclaim_high(&mut self, g: usize, target: u64) -> u64 {
        let mut got = 0;
        for a in self.ancestors(g).collect::<Vec<_>>() {
            let over = self
                .cgroups
                .get(a)
                .is_some_and(|c| !c.is_root() && c.mem.usage_pages > c.mem.high_pages);
            if over {
                self.mem_event(a, MemEvent::High);
                got += self.reclaim(a, target);
            }
        }
        got
    }

    /// `calculate_high_delay(memcg, nr_pages, mem_find_max_overage(memcg))` in jiffies (ms).
    fn high_delay_jiffies(&self, g: usize, nr_pages: u64) -> u64 {
        let mut max_overage: u128 = 0;
        for a in self.ancestors(g) {
            let Some(c) = self.cgroups.get(a) else { continue };
            if c.is_root() || c.mem.usage_pages <= c.mem.high_pages {
                continue;
            }
            let high = u128::from(c.mem.high_pages.max(1));
            let overage = (u128::from(c.mem.usage_pages) - high) << 20;
            max_overage = max_overage.max(overage / high);
        }
        if max_overage == 0 {
            return 0;
        }
        let penalty = max_overage.saturating_mul(max_overage).saturating_mul(1000) >> 20 >> 14;
        let scaled = penalty.saturating_mul(u128::from(nr_pages)) / u128::from(MEMCG_CHARGE_BATCH);
        u64::try_from(scaled).unwrap_or(u64::MAX)
    }

    /// v2 `memory_max_write`: sets the limit, reclaims toward it (16 failed tries), then
    /// OOM-kills in the memcg until usage fits or nothing is killable.
    pub(crate) fn set_memory_max_v2(&mut self, g: usize, max_pages: u64, out: &mut Outcome) {
        if let Some(c) = self.cgroups.get_mut(g) {
            c.mem.max_pages = max_pages;
        }
        let mut nr_reclaims = MAX_RECLAIM_RETRIES;
        for _ in 0..100_000 {
            let usage = self.cgroups.get(g).map_or(0, |c| c.mem.usage_pages);
            if usage <= max_pages {
                break;
            }
            if nr_reclaims > 0 {
                if self.reclaim(g, usage - max_pages) == 0 {
                    nr_reclaims -= 1;
                }
                continue;
            }
            self.mem_event(g, MemEvent::Oom);
            if self.oom_kill(g, out).is_none() {
                self.max_unreachable = true;
                break;
            }
        }
        self.retry_waiters(out);
    }

    /// v2 `memory_high_write`: sets `memory.high` and reclaims page cache down to it.
    pub(crate) fn set_memory_high(&mut self, g: usize, high_pages: u64) {
        if let Some(c) = self.cgroups.get_mut(g) {
            c.mem.high_pages = high_pages;
        }
        let mut retries = MAX_RECLAIM_RETRIES;
        for _ in 0..100_000 {
            let usage = self.cgroups.get(g).map_or(0, |c| c.mem.usage_pages);
            if usage <= high_pages {
                break;
            }
            if self.reclaim(g, usage - high_pages) == 0 {
                if retries == 0 {
                    break;
                }
                retries -= 1;
            }
        }
    }

    /// v1 `mem_cgroup_resize_max`: the limit is set only once usage fits under it; reclaim is
    /// tried until it makes no progress, then `EBUSY`.
    pub(crate) fn set_limit_v1(
        &mut self,
        g: usize,
        max_pages: u64,
        out: &mut Outcome,
    ) -> Result<(), CgroupError> {
        for _ in 0..1_000_000 {
            let usage = self.cgroups.get(g).map_or(0, |c| c.mem.usage_pages);
            if usage <= max_pages {
                let mut enlarge = false;
                if let Some(c) = self.cgroups.get_mut(g) {
                    enlarge = max_pages > c.mem.max_pages;
                    c.mem.max_pages = max_pages;
                }
                // mem_cgroup_resize_max: memcg_oom_recover only when the limit grew.
                if enlarge {
                    self.note_oom_recover(g);
                    self.retry_waiters(out);
                }
                return Ok(());
            }
            if self.reclaim(g, 1) == 0 {
                return Err(CgroupError::LimitBusy {
                    usage_bytes: usage * PAGE_SIZE,
                    limit_bytes: max_pages * PAGE_SIZE,
                });
            }
        }
        Ok(())
    }

    /// v1 `under_oom`: some task waits in an OOM of `g` or of an ancestor
    /// (`mem_cgroup_mark_under_oom` marks the OOM memcg's whole subtree).
    pub fn under_oom(&self, g: usize) -> bool {
        self.procs.iter().any(|p| {
            p.pending_pages > 0 && p.pending_domain.is_some_and(|d| self.is_descendant(g, d))
        })
    }
}

fn check_bytes(what: &str, bytes: u64) -> Result<(), CgroupError> {
    if bytes > MAX_OP_BYTES {
        return Err(CgroupError::OutOfRange(format!(
            "{what}: {bytes} bytes is above the {MAX_OP_BYTES}-byte cap"
        )));
    }
    Ok(())
}
