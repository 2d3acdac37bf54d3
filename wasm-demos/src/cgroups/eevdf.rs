//! The EEVDF pick of Linux 6.6 (`kernel/sched/fair.c`): which entity runs next on a cfs_rq.
//!
//! Every queued entity (a task, or a group's entity on its parent's cfs_rq) has a vruntime
//! `v`, which grows by `Δ·NICE_0_LOAD/w` while it runs, and a virtual deadline
//! `d = v + base_slice·NICE_0_LOAD/w` (`update_deadline`). The queue's average vruntime is
//! `V = Σ wᵢvᵢ / Σ wᵢ` (`avg_vruntime`, weights `scale_load_down`). An entity is eligible when
//! `v ≤ V` (`entity_eligible`). `pick_eevdf` keeps the current entity while it is eligible
//! and still in the slice it was picked with (`RUN_TO_PARITY`). Otherwise it takes the
//! eligible entity with the earliest deadline; the current one wins only with a strictly
//! earlier deadline.
//!
//! An entity leaving keeps its lag `vlag = V − v`, clamped to ±`max(2·slice, TICK)` in virtual
//! time (`update_entity_lag`). An entity joining is placed at `v = V − vlag·(W + w)/W`, with
//! its deadline one virtual slice later, or half a slice for a new task (`place_entity`,
//! `PLACE_LAG`, `PLACE_DEADLINE_INITIAL`). The base slice is `sysctl_sched_base_slice`,
//! 0.75 ms scaled by `1 + ilog2(min(nr_cpus, 8))` (`SCHED_TUNABLESCALING_LOG`).

use super::CgroupSim;
use super::cpu::{NICE_0_LOAD, TICK_NS};

/// The scheduling state of one entity (`struct sched_entity`'s EEVDF fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedEntity {
    /// `vruntime`, virtual ns in its cfs_rq's frame.
    pub vruntime: i64,
    /// `deadline`, virtual ns.
    pub deadline: i64,
    /// `vlag`: lag kept while off the queue.
    pub vlag: i64,
    /// `on_rq`.
    pub on_rq: bool,
    /// The deadline the entity had when it was last picked (the kernel stores it in `vlag`
    /// for `RUN_TO_PARITY`).
    pub picked_deadline: Option<i64>,
    /// Not placed yet: its first placement is `ENQUEUE_INITIAL`.
    pub fresh: bool,
}

/// An entity on a cfs_rq: a task (by index) or a child group's entity (by cgroup index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityRef {
    /// A task, by index in [`CgroupSim::tasks`].
    Task(usize),
    /// A group's entity, by index in [`CgroupSim::cgroups`].
    Group(usize),
}

/// `sysctl_sched_base_slice` for `nr_cpus` CPUs, ns.
pub fn base_slice_ns(nr_cpus: usize) -> u64 {
    let factor = 1 + u64::from(nr_cpus.clamp(1, 8).ilog2());
    750_000 * factor
}

/// `calc_delta_fair`: `delta · NICE_0_LOAD / weight`, in virtual ns.
pub fn calc_delta_fair(delta_ns: u64, weight: u64) -> i64 {
    let v = u128::from(delta_ns) * u128::from(NICE_0_LOAD) / u128::from(weight.max(1));
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `scale_load_down`: the unscaled weight used in `avg_vruntime`.
fn scale_load_down(weight: u64) -> i128 {
    if weight == 0 { 0 } else { i128::from((weight >> 10).max(2)) }
}

impl CgroupSim {
    fn entity(&self, e: EntityRef, c: usize) -> Option<(SchedEntity, u64)> {
        match e {
            EntityRef::Task(i) => self.tasks.get(i).map(|t| (t.se, t.weight)),
            EntityRef::Group(h) => {
                self.cgroups.get(h).and_then(|g| g.rqs.get(c)).map(|rq| (rq.se, rq.se_weight))
            }
        }
    }

    fn entity_mut(&mut self, e: EntityRef, c: usize) -> Option<&mut SchedEntity> {
        match e {
            EntityRef::Task(i) => self.tasks.get_mut(i).map(|t| &mut t.se),
            EntityRef::Group(h) => {
                self.cgroups.get_mut(h).and_then(|g| g.rqs.get_mut(c)).map(|rq| &mut rq.se)
            }
        }
    }

    /// Calls `f` for every entity queued on cfs_rq (`g`, `c`).
    fn for_each_queued(&self, g: usize, c: usize, mut f: impl FnMut(EntityRef, SchedEntity, u64)) {
        if let Some(tasks) = self.sched.cfs_tasks.get(g * self.params.nr_cpus + c) {
            for &i in tasks {
                if let Some(t) = self.tasks.get(i)
                    && t.se.on_rq
                    && t.queued_at == Some((g, c))
                {
                    f(EntityRef::Task(i), t.se, t.weight);
                }
            }
        }
        if let Some(cg) = self.cgroups.get(g) {
            for &h in &cg.children {
                if let Some(rq) = self.cgroups.get(h).and_then(|x| x.rqs.get(c))
                    && rq.se.on_rq
                {
                    f(EntityRef::Group(h), rq.se, rq.se_weight);
                }
            }
        }
    }

    /// `avg_vruntime` of cfs_rq (`g`, `c`) without `skip`: `(Σ wᵢ·(vᵢ − base), Σ wᵢ, base)`.
    fn avg_parts(&self, g: usize, c: usize, skip: Option<EntityRef>) -> (i128, i128, i64) {
        let base = self.cgroups.get(g).and_then(|x| x.rqs.get(c)).map_or(0, |rq| rq.min_vruntime);
        let (mut sum, mut load) = (0i128, 0i128);
        self.for_each_queued(g, c, |e, se, w| {
            if Some(e) != skip {
                let w = scale_load_down(w);
                sum += (i128::from(se.vruntime) - i128::from(base)) * w;
                load += w;
            }
        });
        (sum, load, base)
    }

    fn avg_vruntime(&self, g: usize, c: usize, skip: Option<EntityRef>) -> i64 {
        let (sum, load, base) = self.avg_parts(g, c, skip);
        if load == 0 {
            return base;
        }
        // Round towards −∞ as the kernel does for a negative sum.
        let avg = if sum < 0 { (sum - (load - 1)) / load } else { sum / load };
        base.saturating_add(i64::try_from(avg).unwrap_or(0))
    }

    /// `place_entity` + `enqueue`: puts `e` on cfs_rq (`g`, `c`) and asks for a reschedule.
    pub(crate) fn enqueue_entity(&mut self, e: EntityRef, g: usize, c: usize) {
        let slice = base_slice_ns(self.params.nr_cpus);
        let v_avg = self.avg_vruntime(g, c, Some(e));
        let (_, load, _) = self.avg_parts(g, c, Some(e));
        let Some((se, w)) = self.entity(e, c) else { return };
        let mut lag = 0i128;
        if load > 0 {
            lag = i128::from(se.vlag) * (load + scale_load_down(w)) / load;
        }
        let mut vslice = calc_delta_fair(slice, w);
        if se.fresh {
            vslice /= 2;
        }
        if let Some(se) = self.entity_mut(e, c) {
            se.vruntime = v_avg.saturating_sub(i64::try_from(lag).unwrap_or(0));
            se.deadline = se.vruntime.saturating_add(vslice);
            se.on_rq = true;
            se.fresh = false;
        }
        if let EntityRef::Task(i) = e
            && let Some(t) = self.tasks.get_mut(i)
        {
            t.queued_at = Some((g, c));
        }
        if let Some(r) = self.sched.need_resched.get_mut(c) {
            *r = true;
        }
    }

    /// `update_entity_lag` + `dequeue`: takes `e` off cfs_rq (`g`, `c`), keeping its lag.
    pub(crate) fn dequeue_entity(&mut self, e: EntityRef, g: usize, c: usize) {
        let slice = base_slice_ns(self.params.nr_cpus);
        let Some((own, w)) = self.entity(e, c) else { return };
        // V with the leaving entity counted once, whether or not the rebuilt queue lists it.
        let (sum, load, base) = self.avg_parts(g, c, Some(e));
        let sum = sum + (i128::from(own.vruntime) - i128::from(base)) * scale_load_down(w);
        let load = load + scale_load_down(w);
        let avg = if sum < 0 { (sum - (load - 1)) / load.max(1) } else { sum / load.max(1) };
        let v_avg = base.saturating_add(i64::try_from(avg).unwrap_or(0));
        let limit = calc_delta_fair(slice.saturating_mul(2).max(TICK_NS), w);
        if let Some(se) = self.entity_mut(e, c) {
            se.vlag = v_avg.saturating_sub(se.vruntime).clamp(-limit, limit);
            se.on_rq = false;
        }
        if let EntityRef::Task(i) = e
            && let Some(t) = self.tasks.get_mut(i)
        {
            t.queued_at = None;
        }
        if let Some(rq) = self.cgroups.get_mut(g).and_then(|x| x.rqs.get_mut(c))
            && rq.curr == Some(e)
        {
            rq.curr = None;
        }
        if let Some(r) = self.sched.need_resched.get_mut(c) {
            *r = true;
        }
    }

    /// `reweight_entity` (6.6): a queued entity keeps its vruntime and scales its remaining
    /// virtual slice; a dequeued one scales its lag.
    pub(crate) fn reweight_entity(&mut self, e: EntityRef, c: usize, old: u64, new: u64) {
        if old == new || old == 0 || new == 0 {
            return;
        }
        let Some(se) = self.entity_mut(e, c) else { return };
        let scale =
            |x: i64| i64::try_from(i128::from(x) * i128::from(old) / i128::from(new)).unwrap_or(x);
        if se.on_rq {
            se.deadline =
                se.vruntime.saturating_add(scale(se.deadline.saturating_sub(se.vruntime)));
        } else {
            se.vlag = scale(se.vlag);
        }
    }

    /// `pick_eevdf` on cfs_rq (`g`, `c`).
    pub(crate) fn pick_eevdf(&self, g: usize, c: usize) -> Option<EntityRef> {
        let (sum, load, base) = self.avg_parts(g, c, None);
        let eligible =
            |se: &SchedEntity, _w: u64| sum >= (i128::from(se.vruntime) - i128::from(base)) * load;
        let rq_curr = self.cgroups.get(g).and_then(|x| x.rqs.get(c)).and_then(|rq| rq.curr);
        let mut curr = None;
        let mut first: Option<(i64, EntityRef)> = None;
        let mut best: Option<(i64, EntityRef)> = None;
        self.for_each_queued(g, c, |e, se, w| {
            if first.is_none_or(|(v, _)| se.vruntime < v) {
                first = Some((se.vruntime, e));
            }
            if Some(e) == rq_curr {
                if eligible(&se, w) {
                    curr = Some((se, e));
                }
                return;
            }
            if eligible(&se, w) && best.is_none_or(|(d, _)| se.deadline < d) {
                best = Some((se.deadline, e));
            }
        });
        if let Some((se, e)) = curr
            && se.picked_deadline == Some(se.deadline)
        {
            return Some(e);
        }
        match (best, curr) {
            (Some((d, _)), Some((se, e))) if d > se.deadline => Some(e),
            (Some((_, e)), _) => Some(e),
            (None, Some((_, e))) => Some(e),
            (None, None) => first.map(|(_, e)| e),
        }
    }

    /// Charges `delta` to entity `e` running on cfs_rq (`g`, `c`): `update_curr`,
    /// `update_deadline` (a new slice when the deadline is reached, with a reschedule if others
    /// wait) and `update_min_vruntime`.
    pub(crate) fn update_curr_entity(&mut self, e: EntityRef, g: usize, c: usize, delta_ns: u64) {
        let slice = base_slice_ns(self.params.nr_cpus);
        let Some((_, w)) = self.entity(e, c) else { return };
        let mut resched = false;
        if let Some(se) = self.entity_mut(e, c) {
            se.vruntime = se.vruntime.saturating_add(calc_delta_fair(delta_ns, w));
            if se.vruntime >= se.deadline {
                se.deadline = se.vruntime.saturating_add(calc_delta_fair(slice, w));
                resched = true;
            }
        }
        let mut nr = 0;
        let mut min_v: Option<i64> = None;
        self.for_each_queued(g, c, |_, se, _| {
            nr += 1;
            min_v = Some(min_v.map_or(se.vruntime, |m: i64| m.min(se.vruntime)));
        });
        if let Some(rq) = self.cgroups.get_mut(g).and_then(|x| x.rqs.get_mut(c))
            && let Some(m) = min_v
        {
            rq.min_vruntime = rq.min_vruntime.max(m);
        }
        if resched
            && nr > 1
            && let Some(r) = self.sched.need_resched.get_mut(c)
        {
            *r = true;
        }
    }

    /// `pick_next_task_fair` on CPU `c`: unless a reschedule is pending, the current task
    /// goes on; otherwise `pick_eevdf` at each level from the root down, recording the new
    /// current entity of each level (`set_next_entity`) where it changed.
    pub(crate) fn schedule(&mut self, c: usize) -> Option<usize> {
        let resched = self.sched.need_resched.get(c).copied().unwrap_or(true);
        if !resched
            && let Some(i) = self.sched.cur_task.get(c).copied().flatten()
            && self
                .tasks
                .get(i)
                .is_some_and(|t| t.se.on_rq && t.queued_at.is_some_and(|(_, tc)| tc == c))
        {
            return Some(i);
        }
        if let Some(r) = self.sched.need_resched.get_mut(c) {
            *r = false;
        }
        let mut g = 0usize;
        for _ in 0..=self.cgroups.len() {
            let Some(e) = self.pick_eevdf(g, c) else { break };
            let changed =
                self.cgroups.get(g).and_then(|x| x.rqs.get(c)).is_none_or(|rq| rq.curr != Some(e));
            if changed {
                if let Some(rq) = self.cgroups.get_mut(g).and_then(|x| x.rqs.get_mut(c)) {
                    rq.curr = Some(e);
                }
                if let Some(se) = self.entity_mut(e, c) {
                    se.picked_deadline = Some(se.deadline);
                }
            }
            match e {
                EntityRef::Task(i) => {
                    if let Some(slot) = self.sched.cur_task.get_mut(c) {
                        *slot = Some(i);
                    }
                    return Some(i);
                }
                EntityRef::Group(h) => g = h,
            }
        }
        if let Some(slot) = self.sched.cur_task.get_mut(c) {
            *slot = None;
        }
        None
    }
}
