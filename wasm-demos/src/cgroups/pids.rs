//! The pids controller and RLIMIT_NPROC: what decides whether `fork`/`clone` succeeds.
//!
//! Rules modelled:
//!
//! - `kernel/fork.c` `copy_process`: the new task is counted for its real uid first; if that
//!   count exceeds RLIMIT_NPROC the fork fails with `EAGAIN` unless the user is root or holds
//!   CAP_SYS_RESOURCE (or CAP_SYS_ADMIN). The count is per user across the whole system,
//!   threads included, so containers running as the same uid share it.
//! - `kernel/cgroup/pids.c` `pids_can_fork` (checked after RLIMIT_NPROC): `pids_try_charge`
//!   adds 1 to the cgroup and every ancestor below the root, and fails with `EAGAIN` at the
//!   first whose count would exceed `pids.max`. Migration (`pids_can_attach`) charges without a
//!   check, so `pids.current` may exceed `pids.max`; lowering `pids.max` kills nothing.
//! - `pids.events` (`pids_event`): on v1 `max` counts failed forks in the cgroup of the
//!   forking task (`events_local[PIDCG_FORKFAIL]`); on v2 it counts, in the cgroup whose limit
//!   was hit and in all its ancestors, forks refused by that limit (`events[PIDCG_MAX]`), and
//!   `pids.events.local` counts the hits of the cgroup's own limit. This is the current
//!   `pids.c` (hierarchical events, Linux 6.13+; no `pids_localevents` mount option, and no
//!   `max.imposed` key, which the merged code does not have).

use super::{Block, CgroupError, CgroupSim, Life, MAX_TASKS, Outcome, Process, Task};

/// `PIDS_MAX`: `PID_MAX_LIMIT + 1`, shown as "max".
pub const PIDS_MAX: u64 = 4 * 1024 * 1024 + 1;

/// A cgroup's pids controller state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidsCgroup {
    /// `pids.current`: tasks in the cgroup and its descendants.
    pub current: u64,
    /// `pids.max` (`PIDS_MAX` = "max").
    pub max: u64,
    /// `pids.peak`.
    pub peak: u64,
    /// v2 `pids.events` `max`: forks refused by this cgroup's or a descendant's limit.
    pub events_max: u64,
    /// v2 `pids.events.local` `max`: forks refused by this cgroup's own limit.
    pub events_local_max: u64,
    /// v1 `pids.events` `max`: forks by tasks of this cgroup refused anywhere in the hierarchy.
    pub events_local_forkfail: u64,
}

impl Default for PidsCgroup {
    fn default() -> Self {
        Self {
            current: 0,
            max: PIDS_MAX,
            peak: 0,
            events_max: 0,
            events_local_max: 0,
            events_local_forkfail: 0,
        }
    }
}

/// What a `spawn` creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpawnSpec {
    pub(crate) cgroup: usize,
    pub(crate) uid: u32,
    pub(crate) threads: u32,
    pub(crate) busy: bool,
    pub(crate) cpus: Option<Vec<usize>>,
    pub(crate) nice: i32,
    pub(crate) oom_score_adj: i32,
    pub(crate) nproc_limit: Option<u64>,
    pub(crate) cap_sys_resource: bool,
}

impl CgroupSim {
    /// `pids_charge`: charges without a limit check (migration).
    pub(crate) fn pids_charge(&mut self, g: usize, n: u64) {
        for a in self.ancestors(g).collect::<Vec<_>>() {
            if let Some(c) = self.cgroups.get_mut(a)
                && c.parent.is_some()
            {
                c.pids.current = c.pids.current.saturating_add(n);
                c.pids.peak = c.pids.peak.max(c.pids.current);
            }
        }
    }

    /// `pids_uncharge`.
    pub(crate) fn pids_uncharge(&mut self, g: usize, n: u64) {
        for a in self.ancestors(g).collect::<Vec<_>>() {
            if let Some(c) = self.cgroups.get_mut(a)
                && c.parent.is_some()
            {
                c.pids.current = c.pids.current.saturating_sub(n);
            }
        }
    }

    /// The checks of `copy_process` for one new task of uid `uid` in cgroup `g`, in kernel
    /// order: RLIMIT_NPROC (in `copy_creds`), then `alloc_pid` (so a fork refused by the pids
    /// controller still uses up a pid number), then `pids_can_fork`. Returns the new id.
    fn can_fork(
        &mut self,
        g: usize,
        uid: u32,
        limit: Option<u64>,
        privileged: bool,
    ) -> Result<u32, CgroupError> {
        if self.tasks.len() >= MAX_TASKS {
            return Err(CgroupError::TaskTableFull(MAX_TASKS));
        }
        let count = self.nproc_count(uid);
        if let Some(limit) = limit
            && count.saturating_add(1) > limit
            && uid != 0
            && !privileged
        {
            return Err(CgroupError::NprocLimit { uid, count, limit });
        }
        let id = self.new_pid();
        // pids_try_charge walks up from the cgroup and stops at the first limit exceeded; the
        // levels below it already raised their watermark before the charge is reverted.
        let mut over = None;
        for a in self.ancestors(g).collect::<Vec<_>>() {
            let Some(c) = self.cgroups.get_mut(a) else { continue };
            if c.parent.is_none() {
                break;
            }
            let new = c.pids.current.saturating_add(1);
            if new > c.pids.max {
                over = Some(a);
                break;
            }
            c.pids.peak = c.pids.peak.max(new);
        }
        if let Some(limiter) = over {
            self.pids_event(g, limiter);
            let path = |i: usize| self.cgroups.get(i).map_or_else(String::new, |c| c.path.clone());
            return Err(CgroupError::PidsLimit { forking: path(g), limited_by: path(limiter) });
        }
        self.pids_charge(g, 1);
        *self.nproc.entry(uid).or_insert(0) += 1;
        Ok(id)
    }

    /// `pids_event`: which counters a refused fork increments, by hierarchy version.
    fn pids_event(&mut self, forking: usize, over_limit: usize) {
        if let Some(c) = self.cgroups.get_mut(forking) {
            c.pids.events_local_forkfail += 1;
        }
        if let Some(c) = self.cgroups.get_mut(over_limit) {
            c.pids.events_local_max += 1;
        }
        for a in self.ancestors(over_limit).collect::<Vec<_>>() {
            if let Some(c) = self.cgroups.get_mut(a)
                && c.parent.is_some()
            {
                c.pids.events_max += 1;
            }
        }
    }

    fn push_task(
        &mut self,
        pid: u32,
        tid: u32,
        busy: bool,
        cpus: Option<Vec<usize>>,
        nice: i32,
    ) -> Result<usize, CgroupError> {
        let weight = super::cpu::nice_to_weight(nice)
            .ok_or_else(|| CgroupError::OutOfRange(format!("nice: {nice} is outside -20..=19")))?;
        self.join_seq += 1;
        self.tasks.push(Task {
            join_seq: self.join_seq,
            tid,
            pid,
            busy,
            block: Block::None,
            life: Life::Alive,
            cpu: 0,
            cpus_allowed: cpus,
            nice,
            weight,
            se: super::eevdf::SchedEntity { fresh: true, ..Default::default() },
            queued_at: None,
            sum_exec_ns: 0,
            ran_at_us: None,
        });
        let i = self.tasks.len() - 1;
        if busy {
            self.place_task(i);
        }
        self.sched.dirty = true;
        Ok(i)
    }

    fn check_cpus(&self, cpus: Option<&Vec<usize>>) -> Result<(), CgroupError> {
        if let Some(list) = cpus {
            if list.is_empty() {
                return Err(CgroupError::OutOfRange("cpus: empty CPU list".to_owned()));
            }
            if let Some(bad) = list.iter().find(|&&c| c >= self.params.nr_cpus) {
                return Err(CgroupError::OutOfRange(format!(
                    "cpus: CPU {bad} does not exist (0..{})",
                    self.params.nr_cpus
                )));
            }
        }
        Ok(())
    }

    /// `spawn`: a new process directly in `spec.cgroup`, its threads created one by one.
    /// Stops at the first thread refused; the threads created so far stay.
    pub(crate) fn spawn(&mut self, spec: &SpawnSpec, out: &mut Outcome) -> Result<(), CgroupError> {
        if spec.threads == 0 || spec.threads > 1024 {
            return Err(CgroupError::OutOfRange(format!(
                "threads: {} is outside 1..=1024",
                spec.threads
            )));
        }
        if !(-1000..=1000).contains(&spec.oom_score_adj) {
            return Err(CgroupError::OutOfRange(format!(
                "oom_score_adj: {} is outside -1000..=1000",
                spec.oom_score_adj
            )));
        }
        super::cpu::nice_to_weight(spec.nice).ok_or_else(|| {
            CgroupError::OutOfRange(format!("nice: {} is outside -20..=19", spec.nice))
        })?;
        self.check_cpus(spec.cpus.as_ref())?;
        let pid = self.can_fork(spec.cgroup, spec.uid, spec.nproc_limit, spec.cap_sys_resource)?;
        self.join_seq += 1;
        self.procs.push(Process {
            pid,
            uid: spec.uid,
            cgroup: spec.cgroup,
            nproc_limit: spec.nproc_limit,
            cap_sys_resource: spec.cap_sys_resource,
            oom_score_adj: spec.oom_score_adj,
            anon: Vec::new(),
            pending_pages: 0,
            pending_domain: None,
            pending_file: None,
            nr_threads: 1,
            join_seq: self.join_seq,
        });
        self.push_task(pid, pid, spec.busy, spec.cpus.clone(), spec.nice)?;
        out.pids.push(pid);
        out.tids.push(pid);
        for _ in 1..spec.threads {
            let tid = self.clone_thread(pid, spec.busy, spec.cpus.clone())?;
            out.tids.push(tid);
        }
        Ok(())
    }

    /// `fork`: `count` single-threaded children of `pid`, one after the other, like a fork
    /// loop that ignores failures. With `count` 1 a refused fork is the op's error; with more,
    /// the record counts the forks made and refused and keeps the first refusal's message.
    pub(crate) fn fork(
        &mut self,
        pid: u32,
        busy: Option<bool>,
        count: u32,
        out: &mut Outcome,
    ) -> Result<(), CgroupError> {
        if count == 0 || count > 4096 {
            return Err(CgroupError::OutOfRange(format!("count: {count} is outside 1..=4096")));
        }
        let pi = self.process_index(pid)?;
        let parent = self.procs.get(pi).cloned().ok_or(CgroupError::NoSuchProcess(pid))?;
        let first = self.tasks.iter().find(|t| t.is_alive_in(pid)).cloned();
        let busy = busy.unwrap_or_else(|| first.as_ref().is_some_and(|t| t.busy));
        let (cpus, nice) = first.map_or((None, 0), |t| (t.cpus_allowed, t.nice));
        let mut made = 0;
        let mut failed = 0;
        for _ in 0..count {
            let child = match self.can_fork(
                parent.cgroup,
                parent.uid,
                parent.nproc_limit,
                parent.cap_sys_resource,
            ) {
                Ok(child) => child,
                Err(e) if count == 1 => return Err(e),
                Err(e) => {
                    failed += 1;
                    if out.fork_error.is_none() {
                        out.fork_error = Some(e);
                    }
                    continue;
                }
            };
            self.join_seq += 1;
            self.procs.push(Process {
                pid: child,
                anon: Vec::new(),
                pending_pages: 0,
                pending_domain: None,
                pending_file: None,
                nr_threads: 1,
                join_seq: self.join_seq,
                ..parent.clone()
            });
            self.push_task(child, child, busy, cpus.clone(), nice)?;
            out.pids.push(child);
            made += 1;
        }
        if count > 1 {
            out.forked = Some(made);
            out.fork_failed = Some(failed);
        }
        Ok(())
    }

    /// `clone(CLONE_THREAD)`: one more thread in process `pid`.
    pub(crate) fn clone_thread(
        &mut self,
        pid: u32,
        busy: bool,
        cpus: Option<Vec<usize>>,
    ) -> Result<u32, CgroupError> {
        self.check_cpus(cpus.as_ref())?;
        let pi = self.process_index(pid)?;
        let p = self.procs.get(pi).cloned().ok_or(CgroupError::NoSuchProcess(pid))?;
        let first = self.tasks.iter().find(|t| t.is_alive_in(pid)).cloned();
        let (inherit_cpus, nice) = first.map_or((None, 0), |t| (t.cpus_allowed, t.nice));
        let tid = self.can_fork(p.cgroup, p.uid, p.nproc_limit, p.cap_sys_resource)?;
        if let Some(pm) = self.procs.get_mut(pi) {
            pm.nr_threads += 1;
        }
        self.push_task(pid, tid, busy, cpus.or(inherit_cpus), nice)?;
        Ok(tid)
    }
}
