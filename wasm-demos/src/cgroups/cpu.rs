//! The CPU controller: CFS group scheduling with weights, and CFS bandwidth control.
//!
//! Rules modelled (`kernel/sched/fair.c`, `Documentation/scheduler/sched-bwc.rst`):
//!
//! - **Weights.** A task's weight is `sched_prio_to_weight[nice + 20]`; a group's
//!   `cpu.shares` (v1) or `cpu.weight` mapped to `round(w·1024/100)` (v2) is split across the
//!   CPUs where it has runnable tasks by `calc_group_shares`: the entity of group `g` on CPU `c`
//!   weighs `shares · load(g, c) / Σ load(g, ·)`, clamped to `[MIN_SHARES, shares]`. On each CPU,
//!   at each level, [`super::eevdf`] picks the entity to run. Only runnable entities are
//!   queued, so an idle sibling's share goes to the others (work conserving), and weights set
//!   no ceiling.
//! - **Bandwidth.** A group with a quota keeps a global pool (`cfs_b->runtime`) refilled by the
//!   period timer (`__refill_cfs_bandwidth_runtime`: `runtime += quota`, capped at
//!   `quota + burst`). Each CPU's cfs_rq asks for `slice − runtime_remaining` when its
//!   `runtime_remaining` reaches 0 (`__assign_cfs_rq_runtime`, slice =
//!   `sched_cfs_bandwidth_slice_us`, 5 ms); if the pool is empty it is throttled until the
//!   timer's `distribute_cfs_runtime` gives it `−runtime_remaining + 1` ns. Every level with a
//!   quota is charged, so a parent's quota throttles its children.
//! - **Counters** (`do_sched_cfs_period_timer`): `nr_periods` grows at each timer expiry while
//!   the timer is active; the timer starts when runtime is first requested and stops at an
//!   expiry that finds the group idle for a whole period and not throttled. `nr_throttled`
//!   grows at expiries that find a throttled cfs_rq. `throttled_time` grows at unthrottle by the
//!   time each cfs_rq spent throttled, summed over CPUs. A refill that finds more than `quota`
//!   consumed since the last one counts one `nr_bursts` and the excess in `burst_time`.
//! - **Slack** (`return_cfs_rq_runtime`, `do_sched_cfs_slack_timer`): when a cfs_rq's last
//!   entity leaves, all but 1 ms of its runtime returns to the pool; if the pool then holds
//!   more than a slice and some cfs_rq is throttled, the slack timer distributes it 5 ms
//!   later, unless the period refresh is less than 2 ms away.

use super::eevdf::{EntityRef, SchedEntity};
use super::{Block, CgroupSim, Task};

/// `NICE_0_LOAD` on 64-bit kernels (`scale_load(1024)`).
pub const NICE_0_LOAD: u64 = 1 << 20;
/// `MIN_SHARES`: the smallest group entity weight `calc_group_shares` returns.
pub const MIN_SHARES: u64 = 2;
/// One tick, ns.
pub const TICK_NS: u64 = 1_000_000;
/// `min_cfs_rq_runtime`: what a cfs_rq keeps when it returns its slack, ns.
pub const MIN_CFS_RQ_RUNTIME_NS: i64 = 1_000_000;
/// `cfs_bandwidth_slack_period`, µs.
pub const CFS_BANDWIDTH_SLACK_PERIOD_US: u64 = 5000;
/// `min_bandwidth_expiration`, µs.
pub const MIN_BANDWIDTH_EXPIRATION_US: u64 = 2000;
/// The largest `sched_cfs_bandwidth_slice_us`: the sysctl is an `int` with only a lower bound
/// (`extra1 = SYSCTL_ONE`), so `INT_MAX`.
pub const BANDWIDTH_SLICE_US_MAX: u64 = 2_147_483_647;
/// Segments kept per CPU in a `run` timeline before it is marked truncated.
pub const TIMELINE_SEGMENTS_MAX: usize = 2048;

/// `sched_prio_to_weight` (`kernel/sched/core.c`), indexed by nice + 20.
pub const SCHED_PRIO_TO_WEIGHT: [u64; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];

/// The weight of a task of nice `nice` (−20…19), scaled as on 64-bit kernels.
pub fn nice_to_weight(nice: i32) -> Option<u64> {
    let idx = usize::try_from(nice.checked_add(20)?).ok()?;
    SCHED_PRIO_TO_WEIGHT.get(idx).map(|w| w << 10)
}

/// v2 `cpu.weight` → kernel shares: `DIV_ROUND_CLOSEST(w · 1024, 100)` (`sched_weight_from_cgroup`).
pub fn weight_to_shares(weight: u64) -> u64 {
    (weight * 1024 + 50) / 100
}

/// Kernel shares → v2 `cpu.weight` as read back: `DIV_ROUND_CLOSEST(shares · 100, 1024)`.
pub fn shares_to_weight(shares: u64) -> u64 {
    (shares * 100 + 512) / 1024
}

/// A group's CPU controller state: `tg->shares` and `struct cfs_bandwidth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBandwidth {
    /// `tg->shares`, unscaled (1024 = default; v1 `cpu.shares`).
    pub shares: u64,
    /// `cpu.max` quota in µs; `None` = "max" (`RUNTIME_INF`).
    pub quota_us: Option<u64>,
    /// Period in µs (default 100000).
    pub period_us: u64,
    /// `cpu.max.burst` / `cpu.cfs_burst_us` in µs.
    pub burst_us: u64,
    /// The global pool `cfs_b->runtime`, ns.
    pub runtime_ns: i64,
    /// `cfs_b->runtime_snap`: the pool right after the last refill, ns.
    pub runtime_snap_ns: i64,
    /// `cfs_b->idle`: no runtime handed out since the last expiry.
    pub idle: bool,
    /// `cfs_b->period_active`: the period timer is armed.
    pub period_active: bool,
    /// The period timer's expiry, µs since boot.
    pub expiry_us: u64,
    /// The slack timer's expiry while armed (`cfs_b->slack_started`), µs.
    pub slack_expiry_us: Option<u64>,
    /// `nr_periods`.
    pub nr_periods: u64,
    /// `nr_throttled`.
    pub nr_throttled: u64,
    /// `throttled_time`, ns (v2 shows it in µs as `throttled_usec`).
    pub throttled_time_ns: u64,
    /// `nr_bursts`.
    pub nr_bursts: u64,
    /// `burst_time`, ns (v2 `burst_usec`).
    pub burst_time_ns: u64,
    /// CPU time used by the group and its descendants, ns (`usage_usec`, `cpuacct.usage`).
    pub usage_ns: u64,
}

impl Default for GroupBandwidth {
    fn default() -> Self {
        Self {
            shares: 1024,
            quota_us: None,
            period_us: 100_000,
            burst_us: 0,
            runtime_ns: 0,
            runtime_snap_ns: 0,
            idle: false,
            period_active: false,
            expiry_us: 0,
            slack_expiry_us: None,
            nr_periods: 0,
            nr_throttled: 0,
            throttled_time_ns: 0,
            nr_bursts: 0,
            burst_time_ns: 0,
            usage_ns: 0,
        }
    }
}

impl GroupBandwidth {
    fn quota_ns(&self) -> Option<i64> {
        self.quota_us.map(|q| i64::try_from(q.saturating_mul(1000)).unwrap_or(i64::MAX))
    }

    /// `__refill_cfs_bandwidth_runtime`: add a quota, count a burst, cap at quota + burst.
    pub(crate) fn refill(&mut self) {
        let Some(quota) = self.quota_ns() else { return };
        let burst = i64::try_from(self.burst_us.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.runtime_ns = self.runtime_ns.saturating_add(quota);
        let over = self.runtime_snap_ns.saturating_sub(self.runtime_ns);
        if over > 0 {
            self.burst_time_ns = self.burst_time_ns.saturating_add(over.unsigned_abs());
            self.nr_bursts += 1;
        }
        self.runtime_ns = self.runtime_ns.min(quota.saturating_add(burst));
        self.runtime_snap_ns = self.runtime_ns;
    }
}

/// One group's runqueue on one CPU: its `cfs_rq` and the group entity queued on the parent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRq {
    /// `cfs_rq->runtime_remaining`, ns (may go negative by an overrun of one tick).
    pub runtime_remaining_ns: i64,
    /// `cfs_rq->throttled`.
    pub throttled: bool,
    /// When it was throttled, µs.
    pub throttled_clock_us: u64,
    /// Order of throttling (the `throttled_cfs_rq` list order).
    pub throttle_seq: u64,
    /// Runnable load queued on this cfs_rq (tasks plus child group entities), scaled.
    pub load: u64,
    /// Runnable tasks below, not counting throttled child cfs_rqs.
    pub h_nr_running: u32,
    /// Runnable tasks below, throttled or not.
    pub nr_raw: u32,
    /// The weight of the group's entity on the parent's cfs_rq (`calc_group_shares`).
    pub se_weight: u64,
    /// The group's entity on the parent's cfs_rq.
    pub se: SchedEntity,
    /// `cfs_rq->min_vruntime`, the base of this cfs_rq's virtual time.
    pub min_vruntime: i64,
    /// `cfs_rq->curr`: the entity of this cfs_rq picked last.
    pub curr: Option<EntityRef>,
}

/// What a CPU did during one ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The thread with this tid ran.
    Task(u32),
    /// Nothing ran, and some group with runnable tasks on this CPU was throttled.
    Throttled,
    /// Nothing was runnable.
    Idle,
}

/// A run of consecutive equal slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// What the CPU did.
    pub slot: Slot,
    /// For how many ms.
    pub ms: u64,
}

/// A compact per-CPU timeline of one `run`: run-length encoded, capped per CPU.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    /// Time of the first ms, µs.
    pub start_us: u64,
    /// Per CPU, its segments in order.
    pub cpus: Vec<Vec<Segment>>,
    /// Whether some CPU had more than [`TIMELINE_SEGMENTS_MAX`] segments (the rest is dropped).
    pub truncated: bool,
}

impl Timeline {
    fn push(&mut self, cpu: usize, slot: Slot) {
        let Some(segs) = self.cpus.get_mut(cpu) else { return };
        if let Some(last) = segs.last_mut()
            && last.slot == slot
        {
            last.ms += 1;
            return;
        }
        if segs.len() >= TIMELINE_SEGMENTS_MAX {
            self.truncated = true;
            return;
        }
        segs.push(Segment { slot, ms: 1 });
    }
}

/// Per-tick scratch buffers, reused so that the tick loop does not allocate.
#[derive(Debug, Clone)]
pub(crate) struct SchedScratch {
    /// Runnable task indices per CPU.
    pub(crate) rq_tasks: Vec<Vec<usize>>,
    /// Runnable task indices per cfs_rq, at `cgroup · nr_cpus + cpu`.
    pub(crate) cfs_tasks: Vec<Vec<usize>>,
    /// The cgroup of each task index, refreshed with `rq_tasks`.
    task_group: Vec<usize>,
    /// Per CPU: a reschedule is pending (`TIF_NEED_RESCHED`).
    pub(crate) need_resched: Vec<bool>,
    /// Per CPU: the task that ran last.
    pub(crate) cur_task: Vec<Option<usize>>,
    /// Per CPU: some cfs_rq with runnable tasks is throttled there (as of the last rebuild;
    /// a throttle only changes its own CPU's queues, which are rebuilt before its next pick).
    cpu_throttled: Vec<bool>,
    /// Whether the runqueues must be rebuilt before the next pick.
    pub(crate) dirty: bool,
    throttle_seq: u64,
}

impl SchedScratch {
    pub(crate) fn new(nr_cpus: usize) -> Self {
        Self {
            rq_tasks: vec![Vec::new(); nr_cpus],
            task_group: Vec::new(),
            cfs_tasks: Vec::new(),
            need_resched: vec![true; nr_cpus],
            cur_task: vec![None; nr_cpus],
            cpu_throttled: vec![false; nr_cpus],
            dirty: true,
            throttle_seq: 0,
        }
    }
}

impl CgroupSim {
    /// Runs `ms` ticks and records what each CPU did.
    pub(crate) fn run_with_timeline(&mut self, ms: u64) -> Timeline {
        let mut tl = Timeline {
            start_us: self.now_us,
            cpus: vec![Vec::new(); self.params.nr_cpus],
            truncated: false,
        };
        for _ in 0..ms {
            self.tick(Some(&mut tl));
        }
        tl
    }

    /// One 1 ms tick: rebuild queues if needed, run each CPU, fire timers, wake sleepers.
    pub(crate) fn tick(&mut self, mut timeline: Option<&mut Timeline>) {
        if self.sched.dirty {
            self.rebuild_runqueues();
        }
        let tick_start = self.now_us;
        let tick_end = tick_start + 1000;
        for c in 0..self.params.nr_cpus {
            let slot = match self.schedule(c) {
                Some(i) => {
                    let tid = self.tasks.get(i).map_or(0, |t| t.tid);
                    self.run_task(i, c, tick_start, tick_end);
                    Slot::Task(tid)
                }
                None if self.cpu_has_throttled(c) => Slot::Throttled,
                None => Slot::Idle,
            };
            if let Some(tl) = timeline.as_deref_mut() {
                tl.push(c, slot);
            }
        }
        self.now_us = tick_end;
        self.fire_period_timers();
        self.wake_sleepers();
    }

    /// Chooses the CPU of a task that becomes runnable: the allowed CPU with the fewest
    /// runnable tasks, the lowest number on a tie. Its entity is placed at the next rebuild.
    pub(crate) fn place_task(&mut self, i: usize) {
        let nr_cpus = self.params.nr_cpus;
        let mut counts = vec![0u32; nr_cpus];
        for (j, t) in self.tasks.iter().enumerate() {
            if j != i
                && t.is_runnable()
                && let Some(n) = counts.get_mut(t.cpu)
            {
                *n += 1;
            }
        }
        let Some(task) = self.tasks.get(i) else { return };
        let allowed: Vec<usize> = match &task.cpus_allowed {
            Some(list) => list.iter().copied().filter(|&c| c < nr_cpus).collect(),
            None => (0..nr_cpus).collect(),
        };
        let best =
            allowed.iter().copied().min_by_key(|&c| (counts.get(c).copied().unwrap_or(0), c));
        if let Some(t) = self.tasks.get_mut(i) {
            t.cpu = best.unwrap_or(0);
        }
        self.sched.dirty = true;
    }

    /// Rebuilds the runnable lists and loads, then runs the enqueue-time bandwidth check
    /// (`check_enqueue_throttle`) for cfs_rqs that became runnable without runtime.
    fn rebuild_runqueues(&mut self) {
        self.refresh_queues();
        let mut throttled_any = false;
        for c in 0..self.params.nr_cpus {
            for g in 1..self.cgroups.len() {
                let needs = self.cgroups.get(g).is_some_and(|cg| {
                    cg.cpu.quota_us.is_some()
                        && cg.rqs.get(c).is_some_and(|rq| {
                            rq.nr_raw > 0 && !rq.throttled && rq.runtime_remaining_ns <= 0
                        })
                });
                if needs && !self.assign_runtime(g, c) {
                    self.throttle(g, c, self.now_us);
                    throttled_any = true;
                }
            }
        }
        if throttled_any {
            self.refresh_queues();
        }
        self.sched.dirty = false;
    }

    fn refresh_queues(&mut self) {
        let nr_groups = self.cgroups.len();
        for q in &mut self.sched.rq_tasks {
            q.clear();
        }
        let nr_cpus = self.params.nr_cpus;
        self.sched.cfs_tasks.resize_with(nr_groups * nr_cpus, Vec::new);
        for q in &mut self.sched.cfs_tasks {
            q.clear();
        }
        self.sched.task_group.clear();
        for t in &self.tasks {
            let g = match self.procs.binary_search_by_key(&t.pid, |p| p.pid) {
                Ok(i) => self.procs.get(i).map_or(0, |p| p.cgroup),
                Err(_) => 0,
            };
            self.sched.task_group.push(g);
        }
        for cg in &mut self.cgroups {
            for rq in &mut cg.rqs {
                rq.load = 0;
                rq.h_nr_running = 0;
                rq.nr_raw = 0;
            }
        }
        for (i, t) in self.tasks.iter().enumerate() {
            if !t.is_runnable() {
                continue;
            }
            let g = self.sched.task_group.get(i).copied().unwrap_or(0);
            if let Some(q) = self.sched.rq_tasks.get_mut(t.cpu) {
                q.push(i);
            }
            if let Some(q) = self.sched.cfs_tasks.get_mut(g * nr_cpus + t.cpu) {
                q.push(i);
            }
            if let Some(rq) = self.cgroups.get_mut(g).and_then(|cg| cg.rqs.get_mut(t.cpu)) {
                rq.load += t.weight;
                rq.h_nr_running += 1;
            }
            let mut a = Some(g);
            while let Some(x) = a {
                let Some(cg) = self.cgroups.get_mut(x) else { break };
                if let Some(rq) = cg.rqs.get_mut(t.cpu) {
                    rq.nr_raw += 1;
                }
                a = cg.parent;
            }
        }
        // Children have higher indices than their parents: walking down the indices folds
        // each group's entity into its parent before the parent's own shares are computed.
        for g in (1..nr_groups).rev() {
            let Some(cg) = self.cgroups.get(g) else { continue };
            let parent = cg.parent.unwrap_or(0);
            let shares = cg.cpu.shares << 10;
            let total: u64 = cg.rqs.iter().map(|rq| rq.load).sum();
            for c in 0..nr_cpus {
                let Some(rq) = self.cgroups.get(g).and_then(|cg| cg.rqs.get(c)) else { continue };
                let (load, throttled, h_nr) = (rq.load, rq.throttled, rq.h_nr_running);
                let se_weight = if load == 0 || total == 0 {
                    0
                } else {
                    let w = u128::from(shares) * u128::from(load) / u128::from(total);
                    u64::try_from(w).unwrap_or(shares).clamp(MIN_SHARES, shares)
                };
                let old_weight = rq.se_weight;
                if se_weight > 0 {
                    self.reweight_entity(EntityRef::Group(g), c, old_weight, se_weight);
                    if let Some(rq) = self.cgroups.get_mut(g).and_then(|cg| cg.rqs.get_mut(c)) {
                        rq.se_weight = se_weight;
                    }
                }
                if se_weight > 0
                    && !throttled
                    && let Some(p) = self.cgroups.get_mut(parent).and_then(|p| p.rqs.get_mut(c))
                {
                    p.load += se_weight;
                    p.h_nr_running += h_nr;
                }
            }
        }
        self.reconcile_entities();
        for c in 0..nr_cpus {
            let any = self
                .cgroups
                .iter()
                .any(|cg| cg.rqs.get(c).is_some_and(|rq| rq.throttled && rq.nr_raw > 0));
            if let Some(slot) = self.sched.cpu_throttled.get_mut(c) {
                *slot = any;
            }
        }
    }

    /// Brings every entity's `on_rq` in line with the rebuilt queues, in kernel order:
    /// tasks leaving, group entities leaving (deepest first; a group whose last task left
    /// returns its slack), group entities joining (deepest first), tasks joining.
    fn reconcile_entities(&mut self) {
        let nr_cpus = self.params.nr_cpus;
        let nr_groups = self.cgroups.len();
        let desired = |sim: &CgroupSim, i: usize| -> Option<(usize, usize)> {
            let t = sim.tasks.get(i)?;
            t.is_runnable().then(|| (sim.sched.task_group.get(i).copied().unwrap_or(0), t.cpu))
        };
        for i in 0..self.tasks.len() {
            let want = desired(self, i);
            if let Some((g, c)) = self.tasks.get(i).and_then(|t| t.queued_at)
                && want != Some((g, c))
            {
                self.dequeue_entity(EntityRef::Task(i), g, c);
            }
        }
        let visible = |rq: &GroupRq| rq.h_nr_running > 0 && !rq.throttled;
        for g in (1..nr_groups).rev() {
            let parent = self.cgroups.get(g).and_then(|cg| cg.parent).unwrap_or(0);
            for c in 0..nr_cpus {
                let Some(rq) = self.cgroups.get(g).and_then(|cg| cg.rqs.get(c)) else { continue };
                if rq.se.on_rq && !visible(rq) {
                    let emptied = rq.h_nr_running == 0;
                    self.dequeue_entity(EntityRef::Group(g), parent, c);
                    if emptied {
                        self.return_runtime(g, c);
                    }
                }
            }
        }
        for g in (1..nr_groups).rev() {
            let parent = self.cgroups.get(g).and_then(|cg| cg.parent).unwrap_or(0);
            for c in 0..nr_cpus {
                let Some(rq) = self.cgroups.get(g).and_then(|cg| cg.rqs.get(c)) else { continue };
                if !rq.se.on_rq && visible(rq) {
                    self.enqueue_entity(EntityRef::Group(g), parent, c);
                }
            }
        }
        for i in 0..self.tasks.len() {
            if let Some((g, c)) = desired(self, i)
                && self.tasks.get(i).is_some_and(|t| t.queued_at != Some((g, c)))
            {
                self.enqueue_entity(EntityRef::Task(i), g, c);
            }
        }
    }

    /// `return_cfs_rq_runtime` on the last dequeue: all but `min_cfs_rq_runtime` (1 ms) of the
    /// cfs_rq's runtime goes back to the pool, and the slack timer is armed to hand it to
    /// throttled cfs_rqs if the pool now holds more than a slice.
    fn return_runtime(&mut self, g: usize, c: usize) {
        let slice_ns = i64::try_from(self.params.bandwidth_slice_us * 1000).unwrap_or(i64::MAX);
        let now = self.now_us;
        let Some(cg) = self.cgroups.get_mut(g) else { return };
        if cg.cpu.quota_us.is_none() {
            return;
        }
        let Some(rq) = cg.rqs.get_mut(c) else { return };
        let slack = rq.runtime_remaining_ns - MIN_CFS_RQ_RUNTIME_NS;
        if slack <= 0 {
            return;
        }
        rq.runtime_remaining_ns -= slack;
        cg.cpu.runtime_ns = cg.cpu.runtime_ns.saturating_add(slack);
        let throttled = cg.rqs.iter().any(|rq| rq.throttled);
        if cg.cpu.runtime_ns > slice_ns
            && throttled
            && !refresh_within(
                &cg.cpu,
                now,
                CFS_BANDWIDTH_SLACK_PERIOD_US + MIN_BANDWIDTH_EXPIRATION_US,
            )
            && cg.cpu.slack_expiry_us.is_none()
        {
            cg.cpu.slack_expiry_us = Some(now + CFS_BANDWIDTH_SLACK_PERIOD_US);
        }
    }

    /// `do_sched_cfs_slack_timer`: unless the period refresh is near, hands the returned
    /// runtime to throttled cfs_rqs.
    fn slack_timer(&mut self, g: usize) {
        let slice_ns = i64::try_from(self.params.bandwidth_slice_us * 1000).unwrap_or(i64::MAX);
        let now = self.now_us;
        let Some(cg) = self.cgroups.get_mut(g) else { return };
        cg.cpu.slack_expiry_us = None;
        if refresh_within(&cg.cpu, now, MIN_BANDWIDTH_EXPIRATION_US) {
            return;
        }
        if cg.cpu.quota_us.is_some() && cg.cpu.runtime_ns > slice_ns {
            self.distribute_runtime(g);
        }
    }

    /// Charges one tick of CPU time to the task and to every level of its group hierarchy
    /// (`update_curr` → `account_cfs_rq_runtime` per level), throttling a level whose runtime
    /// runs out and cannot be refilled from its pool.
    fn run_task(&mut self, i: usize, c: usize, tick_start: u64, tick_end: u64) {
        let Some(t) = self.tasks.get_mut(i) else { return };
        t.sum_exec_ns = t.sum_exec_ns.saturating_add(TICK_NS);
        t.ran_at_us = Some(tick_start);
        let g0 = self.sched.task_group.get(i).copied().unwrap_or(0);
        self.update_curr_entity(EntityRef::Task(i), g0, c, TICK_NS);
        let mut next = Some(g0);
        while let Some(g) = next {
            let Some(cg) = self.cgroups.get_mut(g) else { break };
            cg.cpu.usage_ns = cg.cpu.usage_ns.saturating_add(TICK_NS);
            let parent = cg.parent;
            let has_quota = cg.cpu.quota_us.is_some();
            let mut exhausted = false;
            if parent.is_some()
                && has_quota
                && let Some(rq) = cg.rqs.get_mut(c)
            {
                rq.runtime_remaining_ns = rq.runtime_remaining_ns.saturating_sub(TICK_NS as i64);
                exhausted = rq.runtime_remaining_ns <= 0 && !rq.throttled;
            }
            if let Some(p) = parent
                && self.cgroups.get(g).and_then(|cg| cg.rqs.get(c)).is_some_and(|rq| rq.se.on_rq)
            {
                self.update_curr_entity(EntityRef::Group(g), p, c, TICK_NS);
            }
            if exhausted && !self.assign_runtime(g, c) {
                self.throttle(g, c, tick_end);
            }
            next = parent;
        }
    }

    /// `__assign_cfs_rq_runtime`: tops `runtime_remaining` up to one slice from the pool,
    /// arming the period timer; returns whether the cfs_rq now has runtime.
    fn assign_runtime(&mut self, g: usize, c: usize) -> bool {
        let slice_ns = i64::try_from(self.params.bandwidth_slice_us * 1000).unwrap_or(i64::MAX);
        let now = self.now_us;
        let Some(cg) = self.cgroups.get_mut(g) else { return false };
        start_bandwidth_timer(&mut cg.cpu, now);
        let Some(rq) = cg.rqs.get_mut(c) else { return false };
        let min_amount = slice_ns.saturating_sub(rq.runtime_remaining_ns);
        if cg.cpu.runtime_ns > 0 {
            let amount = cg.cpu.runtime_ns.min(min_amount);
            cg.cpu.runtime_ns -= amount;
            cg.cpu.idle = false;
            rq.runtime_remaining_ns = rq.runtime_remaining_ns.saturating_add(amount);
        }
        rq.runtime_remaining_ns > 0
    }

    fn throttle(&mut self, g: usize, c: usize, at_us: u64) {
        self.sched.throttle_seq += 1;
        let seq = self.sched.throttle_seq;
        if let Some(rq) = self.cgroups.get_mut(g).and_then(|cg| cg.rqs.get_mut(c)) {
            rq.throttled = true;
            rq.throttled_clock_us = at_us;
            rq.throttle_seq = seq;
        }
        self.sched.dirty = true;
    }

    /// `unthrottle_cfs_rq`: adds the time spent throttled to `throttled_time`.
    pub(crate) fn unthrottle(&mut self, g: usize, c: usize) {
        let now = self.now_us;
        let Some(cg) = self.cgroups.get_mut(g) else { return };
        let Some(rq) = cg.rqs.get_mut(c) else { return };
        if !rq.throttled {
            return;
        }
        rq.throttled = false;
        let ns = now.saturating_sub(rq.throttled_clock_us).saturating_mul(1000);
        cg.cpu.throttled_time_ns = cg.cpu.throttled_time_ns.saturating_add(ns);
        self.sched.dirty = true;
    }

    fn cpu_has_throttled(&self, c: usize) -> bool {
        self.sched.cpu_throttled.get(c).copied().unwrap_or(false)
    }

    /// Fires every period timer due by now (`sched_cfs_period_timer`).
    fn fire_period_timers(&mut self) {
        let now = self.now_us;
        for g in 1..self.cgroups.len() {
            if self.cgroups.get(g).and_then(|cg| cg.cpu.slack_expiry_us).is_some_and(|t| t <= now) {
                self.slack_timer(g);
            }
            let Some(cg) = self.cgroups.get_mut(g) else { continue };
            if !cg.cpu.period_active || cg.cpu.expiry_us > now {
                continue;
            }
            let overrun = forward_timer(&mut cg.cpu.expiry_us, cg.cpu.period_us, now);
            if self.period_timer(g, overrun)
                && let Some(cg) = self.cgroups.get_mut(g)
            {
                cg.cpu.period_active = false;
            }
        }
    }

    /// `do_sched_cfs_period_timer`; returns true when the timer goes idle.
    fn period_timer(&mut self, g: usize, overrun: u64) -> bool {
        let Some(cg) = self.cgroups.get_mut(g) else { return true };
        if cg.cpu.quota_us.is_none() {
            return true;
        }
        let throttled = cg.rqs.iter().any(|rq| rq.throttled);
        cg.cpu.nr_periods += overrun;
        cg.cpu.refill();
        if cg.cpu.idle && !throttled {
            return true;
        }
        if !throttled {
            cg.cpu.idle = true;
            return false;
        }
        cg.cpu.nr_throttled += overrun;
        self.distribute_runtime(g);
        if let Some(cg) = self.cgroups.get_mut(g) {
            cg.cpu.idle = false;
        }
        false
    }

    /// `distribute_cfs_runtime`: throttled cfs_rqs, in throttling order, each get just enough
    /// to be positive (`−runtime_remaining + 1`) while the pool lasts.
    fn distribute_runtime(&mut self, g: usize) {
        let nr_cpus = self.params.nr_cpus;
        let mut after = 0u64;
        for _ in 0..nr_cpus {
            let Some(cg) = self.cgroups.get(g) else { return };
            if cg.cpu.runtime_ns <= 0 {
                return;
            }
            let next = cg
                .rqs
                .iter()
                .enumerate()
                .filter(|(_, rq)| rq.throttled && rq.throttle_seq > after)
                .min_by_key(|(_, rq)| rq.throttle_seq)
                .map(|(c, rq)| (c, rq.throttle_seq));
            let Some((c, seq)) = next else { return };
            after = seq;
            let mut positive = false;
            if let Some(cg) = self.cgroups.get_mut(g) {
                let pool = cg.cpu.runtime_ns;
                if let Some(rq) = cg.rqs.get_mut(c) {
                    let amount =
                        rq.runtime_remaining_ns.saturating_neg().saturating_add(1).min(pool);
                    cg.cpu.runtime_ns -= amount;
                    rq.runtime_remaining_ns += amount;
                    positive = rq.runtime_remaining_ns > 0;
                }
            }
            if positive {
                self.unthrottle(g, c);
            }
        }
    }

    /// `tg_set_cfs_bandwidth`: installs quota, period and burst, refills the pool, resets every
    /// cfs_rq's runtime to 0, unthrottles them, and arms the timer when a quota is set.
    pub(crate) fn set_bandwidth(
        &mut self,
        g: usize,
        quota_us: Option<u64>,
        period_us: u64,
        burst_us: u64,
    ) {
        let now = self.now_us;
        let nr_cpus = self.params.nr_cpus;
        let Some(cg) = self.cgroups.get_mut(g) else { return };
        cg.cpu.quota_us = quota_us;
        cg.cpu.period_us = period_us;
        cg.cpu.burst_us = burst_us;
        cg.cpu.refill();
        if quota_us.is_some() {
            start_bandwidth_timer(&mut cg.cpu, now);
        }
        for rq in &mut cg.rqs {
            rq.runtime_remaining_ns = 0;
        }
        for c in 0..nr_cpus {
            self.unthrottle(g, c);
        }
        self.sched.dirty = true;
    }

    fn wake_sleepers(&mut self) {
        let now = self.now_us;
        let due = |t: &Task| matches!(t.block, Block::MemoryHigh { until_us } | Block::Io { until_us } if until_us <= now);
        if !self.tasks.iter().any(due) {
            return;
        }
        for i in 0..self.tasks.len() {
            let woke = match self.tasks.get_mut(i) {
                Some(t) if due(t) => {
                    t.block = Block::None;
                    t.is_runnable()
                }
                _ => false,
            };
            if woke {
                self.place_task(i);
            }
        }
    }

    /// The state shown for a live thread: `running` (ran in the last tick), `throttled`
    /// (runnable under a throttled cfs_rq), `runnable`, `sleeping`, or its block reason.
    pub fn task_state(&self, t: &Task) -> &'static str {
        match (t.life, t.block) {
            (super::Life::Exited, _) => "exited",
            (super::Life::Killed, _) => "killed",
            (super::Life::OomKilled, _) => "oom_killed",
            (_, Block::Memory) => "blocked_on_memory",
            (_, Block::MemoryHigh { .. }) => "throttled_memory_high",
            (_, Block::Io { .. }) => "throttled_io",
            _ if !t.busy => "sleeping",
            _ => {
                let g = self.task_cgroup(t);
                let throttled = self.ancestors(g).any(|a| {
                    self.cgroups
                        .get(a)
                        .and_then(|cg| cg.rqs.get(t.cpu))
                        .is_some_and(|rq| rq.throttled)
                });
                if throttled {
                    "throttled"
                } else if t.ran_at_us.is_some_and(|r| r + 1000 == self.now_us) {
                    "running"
                } else {
                    "runnable"
                }
            }
        }
    }
}

/// `runtime_refresh_within`: whether the period timer expires in less than `within_us`
/// (an idle timer counts as expiring).
fn refresh_within(cpu: &GroupBandwidth, now: u64, within_us: u64) -> bool {
    !cpu.period_active || cpu.expiry_us.saturating_sub(now) < within_us
}

/// `start_cfs_bandwidth`: arms the period timer on the next period boundary after `now`.
fn start_bandwidth_timer(cpu: &mut GroupBandwidth, now: u64) {
    if cpu.period_active || cpu.quota_us.is_none() {
        return;
    }
    cpu.period_active = true;
    forward_timer(&mut cpu.expiry_us, cpu.period_us, now);
}

/// `hrtimer_forward`: moves `expiry` forward by whole periods past `now`; returns the overrun.
fn forward_timer(expiry: &mut u64, period: u64, now: u64) -> u64 {
    let period = period.max(1);
    if *expiry > now {
        return 0;
    }
    let orun = (now - *expiry) / period + 1;
    *expiry = expiry.saturating_add(orun.saturating_mul(period));
    orun
}
