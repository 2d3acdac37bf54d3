//! The cgroup controllers: CPU bandwidth and weights, memory and the memcg OOM killer, pids
//! and RLIMIT_NPROC, and io throttling, as Linux 6.6 implements them (pids events as in the
//! current `kernel/cgroup/pids.c`), on cgroup v1 or v2.
//!
//! Sources, read for the rules and not copied: `Documentation/scheduler/sched-bwc.rst` and
//! `kernel/sched/fair.c` (EEVDF, CFS bandwidth control, group shares), `Documentation/admin-guide/
//! cgroup-v2.rst` and `mm/memcontrol.c` (charging, reclaim, `memory.high`, events),
//! `mm/oom_kill.c` (`oom_badness`, victim selection), `kernel/cgroup/pids.c`,
//! `Documentation/admin-guide/cgroup-v1/pids.rst`, `kernel/fork.c` (`copy_process`),
//! `block/blk-throttle.c` (`io.max`, throttle slices).
//!
//! Time is discrete: [`CgroupSim`] advances in 1 ms ticks (`HZ=1000`), every CPU runs one
//! thread (or nothing) per tick, and timers fire on tick boundaries. Each concept lives in its
//! own file: [`cpu`] (group shares and bandwidth), [`eevdf`] (the pick), [`memory`], [`pids`],
//! [`io`], [`files`] (the
//! cgroup files of each version: parsing writes, rendering reads) and [`scenario`] (the JSON
//! runner). The core is typed: `CgroupSim::new`, `apply(op)`, read-only accessors.

pub mod cpu;
pub mod eevdf;
mod error;
pub mod files;
pub mod io;
pub mod memory;
mod ops;
pub mod pids;
pub mod scenario;

pub use error::CgroupError;
pub use ops::{CgroupVersion, IoDir, Op, SimParams};
pub use scenario::run_scenario;

use crate::vec_map::VecMap;
use cpu::{GroupBandwidth, GroupRq, Timeline};
use io::IoGroup;
use memory::{MemCgroup, PageCacheExtent};
use pids::PidsCgroup;

/// Most CPUs a simulation may have.
pub const MAX_CPUS: usize = 256;
/// Most cgroups (root included).
pub const MAX_CGROUPS: usize = 512;
/// Most tasks (threads) ever created in one simulation.
pub const MAX_TASKS: usize = 8192;
/// Longest single `run`, in ms.
pub const MAX_RUN_MS: u64 = 600_000;
/// Most simulated time since boot, in ms (one hour): bounds the work a scenario can ask for.
pub const MAX_SIM_TIME_MS: u64 = 3_600_000;
/// Largest size of one memory or I/O op, in bytes (1 GiB).
pub const MAX_OP_BYTES: u64 = 1 << 30;
/// The page size (`PAGE_SIZE` on x86-64).
pub const PAGE_SIZE: u64 = 4096;

/// One cgroup of the hierarchy and its per-controller state.
#[derive(Debug, Clone)]
pub struct Cgroup {
    /// Absolute path, `/` for the root.
    pub path: String,
    /// Index of the parent in [`CgroupSim::cgroups`]; `None` for the root.
    pub parent: Option<usize>,
    /// Indices of the children, in creation order.
    pub children: Vec<usize>,
    /// CPU bandwidth (`cpu.max`) and weight (`cpu.weight`) state, `struct cfs_bandwidth`.
    pub cpu: GroupBandwidth,
    /// Per-CPU runqueue of this group (`struct cfs_rq` and the group's sched entity).
    pub rqs: Vec<GroupRq>,
    /// Memory controller state.
    pub mem: MemCgroup,
    /// pids controller state.
    pub pids: PidsCgroup,
    /// io controller state, one entry per device.
    pub io: Vec<IoGroup>,
}

/// Why a thread is not running even though it may want to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Not blocked.
    None,
    /// Waiting in a memcg OOM with `oom_kill_disable` set (v1), until memory is uncharged or
    /// the limit rises (`mem_cgroup_oom_synchronize`).
    Memory,
    /// Sleeping in `mem_cgroup_handle_over_high` until `until_us` (the `memory.high` penalty).
    MemoryHigh {
        /// When the sleep ends.
        until_us: u64,
    },
    /// Waiting for a throttled direct I/O until `until_us` (`blk-throttle` dispatch time).
    Io {
        /// When the bio is dispatched.
        until_us: u64,
    },
}

/// Whether a thread still exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Alive.
    Alive,
    /// Exited on its own (`exit`).
    Exited,
    /// Killed by `kill`.
    Killed,
    /// Killed by the memcg OOM killer.
    OomKilled,
}

/// A thread (`task_struct`).
#[derive(Debug, Clone)]
pub struct Task {
    /// Thread id (the main thread's tid is the pid).
    pub tid: u32,
    /// Its process (thread group id).
    pub pid: u32,
    /// Whether it wants the CPU.
    pub busy: bool,
    /// Blocked in the kernel, if so.
    pub block: Block,
    /// Alive or how it died.
    pub life: Life,
    /// The CPU whose runqueue it is on (or was last on).
    pub cpu: usize,
    /// Allowed CPUs; every CPU when `None`.
    pub cpus_allowed: Option<Vec<usize>>,
    /// Nice value.
    pub nice: i32,
    /// Load weight, `sched_prio_to_weight[nice + 20]` scaled by 1024 as on 64-bit kernels.
    pub weight: u64,
    /// Its scheduling entity (EEVDF state).
    pub se: eevdf::SchedEntity,
    /// The cfs_rq (cgroup, CPU) its entity is queued on.
    pub queued_at: Option<(usize, usize)>,
    /// CPU time consumed, ns (`se.sum_exec_runtime`).
    pub sum_exec_ns: u64,
    /// The tick start (µs) at which it last ran, to show `running`.
    pub ran_at_us: Option<u64>,
    /// Its place in its cgroup's task list (`cset->tasks`): the order it was created or
    /// migrated in, which is the order `css_task_iter` meets it.
    pub join_seq: u64,
}

impl Task {
    /// Runnable: alive, busy and not blocked.
    pub fn is_runnable(&self) -> bool {
        self.life == Life::Alive && self.busy && self.block == Block::None
    }

    /// A live thread of process `pid`.
    pub fn is_alive_in(&self, pid: u32) -> bool {
        self.pid == pid && self.life == Life::Alive
    }
}

/// A process (thread group, `signal_struct` + `mm_struct`).
#[derive(Debug, Clone)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// Real uid (`cred->user`).
    pub uid: u32,
    /// Index of its cgroup.
    pub cgroup: usize,
    /// RLIMIT_NPROC; `None` = unlimited.
    pub nproc_limit: Option<u64>,
    /// Holds CAP_SYS_RESOURCE.
    pub cap_sys_resource: bool,
    /// `oom_score_adj`.
    pub oom_score_adj: i32,
    /// Anonymous pages per memcg they are charged to (charges stay where they were made).
    pub anon: Vec<(usize, u64)>,
    /// Pages of an `alloc` still waiting for memory (v1 `oom_kill_disable`).
    pub pending_pages: u64,
    /// The memcg whose OOM the pending charge waits on.
    pub pending_domain: Option<usize>,
    /// The file of a pending page cache charge (`None`: anonymous).
    pub pending_file: Option<String>,
    /// Live threads.
    pub nr_threads: u32,
    /// Order in which processes joined their cgroup (css_set task list order).
    pub join_seq: u64,
}

impl Process {
    /// Resident anonymous pages (`MM_ANONPAGES`).
    pub fn anon_pages(&self) -> u64 {
        self.anon.iter().map(|&(_, p)| p).sum()
    }
}

/// What an op returned besides the new state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Pids created (spawn, fork).
    pub pids: Vec<u32>,
    /// Tids created (spawn, clone).
    pub tids: Vec<u32>,
    /// Pids killed during the op (OOM kills, `kill`).
    pub killed: Vec<u32>,
    /// The kernel-formatted text of a `read`.
    pub content: Option<String>,
    /// The CPU timeline of a `run`.
    pub timeline: Option<Timeline>,
    /// An `alloc` that now waits for memory (v1 `oom_kill_disable`).
    pub blocked: bool,
    /// Delay of an I/O or of the `memory.high` penalty, in µs.
    pub delay_us: Option<u64>,
    /// How many forks of a `fork` op with `count` > 1 succeeded.
    pub forked: Option<u32>,
    /// How many of them were refused (`EAGAIN`).
    pub fork_failed: Option<u32>,
    /// The first refusal of a `fork` op with `count` > 1.
    pub fork_error: Option<CgroupError>,
}

/// The simulated machine: CPUs, the cgroup tree, processes and threads, the page cache.
#[derive(Debug, Clone)]
pub struct CgroupSim {
    params: SimParams,
    now_us: u64,
    cgroups: Vec<Cgroup>,
    procs: Vec<Process>,
    tasks: Vec<Task>,
    next_pid: u32,
    join_seq: u64,
    /// RLIMIT_NPROC accounting: live tasks per real uid (`ucounts`, `UCOUNT_RLIMIT_NPROC`).
    nproc: VecMap<u32, u64>,
    page_cache: std::collections::VecDeque<PageCacheExtent>,
    sched: cpu::SchedScratch,
    /// `memory.max` written below usage with no killable task left: usage may stay above it.
    max_unreachable: bool,
    /// Memcgs passed to `memcg_oom_recover` during the current op (uncharges and v1 limit
    /// writes); only v1 OOM waiters related to one of them retry their charge.
    oom_recover: Vec<usize>,
}

impl CgroupSim {
    /// A machine with `params.nr_cpus` CPUs, the root cgroup only, and no process.
    pub fn new(params: SimParams) -> Result<Self, CgroupError> {
        if params.nr_cpus == 0 || params.nr_cpus > MAX_CPUS {
            return Err(CgroupError::OutOfRange(format!(
                "cpus: {} is outside 1..={MAX_CPUS}",
                params.nr_cpus
            )));
        }
        if params.devices.is_empty() || params.devices.len() > 16 {
            return Err(CgroupError::OutOfRange("devices: 1 to 16 devices are needed".to_owned()));
        }
        for dev in &params.devices {
            if io::parse_dev(dev).is_none() {
                return Err(CgroupError::OutOfRange(format!("devices: `{dev}` is not MAJ:MIN")));
            }
        }
        if params.bandwidth_slice_us == 0 || params.bandwidth_slice_us > cpu::BANDWIDTH_SLICE_US_MAX
        {
            return Err(CgroupError::OutOfRange(format!(
                "sched_cfs_bandwidth_slice_us: {} is outside 1..=2147483647",
                params.bandwidth_slice_us
            )));
        }
        let root = Cgroup::new("/".to_owned(), None, &params);
        let sched = cpu::SchedScratch::new(params.nr_cpus);
        Ok(Self {
            params,
            now_us: 0,
            cgroups: vec![root],
            procs: Vec::new(),
            tasks: Vec::new(),
            next_pid: 100,
            join_seq: 0,
            nproc: VecMap::new(),
            page_cache: std::collections::VecDeque::new(),
            sched,
            max_unreachable: false,
            oom_recover: Vec::new(),
        })
    }

    /// Applies one op. On error the state is unchanged (except where [`CgroupError`] says).
    pub fn apply(&mut self, op: &Op) -> Result<Outcome, CgroupError> {
        let mut out = Outcome::default();
        self.oom_recover.clear();
        match op {
            Op::Mkdir { cgroup } => {
                self.mkdir(cgroup)?;
            }
            Op::Write { cgroup, file, value } => {
                let g = self.cgroup_index(cgroup)?;
                files::write(self, g, file, value, &mut out)?;
            }
            Op::Read { cgroup, file } => {
                let g = self.cgroup_index(cgroup)?;
                out.content = Some(files::read(self, g, file)?);
            }
            Op::Spawn {
                cgroup,
                uid,
                threads,
                busy,
                cpus,
                nice,
                oom_score_adj,
                nproc,
                cap_sys_resource,
            } => {
                let g = self.cgroup_index(cgroup)?;
                let spec = pids::SpawnSpec {
                    cgroup: g,
                    uid: *uid,
                    threads: *threads,
                    busy: *busy,
                    cpus: cpus.clone(),
                    nice: *nice,
                    oom_score_adj: *oom_score_adj,
                    nproc_limit: *nproc,
                    cap_sys_resource: *cap_sys_resource,
                };
                self.spawn(&spec, &mut out)?;
            }
            Op::Fork { pid, busy, count } => self.fork(*pid, *busy, *count, &mut out)?,
            Op::Clone { pid, busy, cpus } => {
                let tid = self.clone_thread(*pid, *busy, cpus.clone())?;
                out.tids.push(tid);
            }
            Op::Exit { tid } => self.exit_thread(*tid)?,
            Op::Kill { pid } => {
                self.kill_process(*pid, Life::Killed)?;
                out.killed.push(*pid);
                self.retry_waiters(&mut out);
            }
            Op::Migrate { pid, cgroup } => {
                let g = self.cgroup_index(cgroup)?;
                self.migrate(*pid, g)?;
            }
            Op::Run { ms } => {
                if *ms == 0 || *ms > MAX_RUN_MS {
                    return Err(CgroupError::OutOfRange(format!(
                        "run: ms {ms} is outside 1..={MAX_RUN_MS}"
                    )));
                }
                if self.now_us / 1000 + ms > MAX_SIM_TIME_MS {
                    return Err(CgroupError::OutOfRange(format!(
                        "run: simulated time would pass {MAX_SIM_TIME_MS} ms"
                    )));
                }
                out.timeline = Some(self.run_with_timeline(*ms));
            }
            Op::SetDemand { tid, busy } => self.set_demand(*tid, *busy)?,
            Op::Alloc { pid, bytes } => self.alloc_anon(*pid, *bytes, &mut out)?,
            Op::Free { pid, bytes } => {
                self.free_anon(*pid, *bytes)?;
                self.retry_waiters(&mut out);
            }
            Op::TouchFile { pid, file, bytes } | Op::ReadFile { pid, file, bytes } => {
                self.touch_page_cache(*pid, file, *bytes, &mut out)?;
            }
            Op::Io { pid, dir, bytes, direct, device, file } => {
                let req = io::IoRequest {
                    pid: *pid,
                    dir: *dir,
                    bytes: *bytes,
                    direct: *direct,
                    device: device.clone(),
                    file: file.clone(),
                };
                self.submit_io(&req, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Runs `ms` ticks without recording a timeline (allocation-free once warmed up), at most
    /// up to [`MAX_SIM_TIME_MS`] since boot.
    pub fn advance(&mut self, ms: u64) {
        let left = MAX_SIM_TIME_MS.saturating_sub(self.now_us / 1000);
        for _ in 0..ms.min(left) {
            self.tick(None);
        }
    }

    /// The parameters the simulation was built with.
    pub fn params(&self) -> &SimParams {
        &self.params
    }

    /// The hierarchy version.
    pub fn version(&self) -> CgroupVersion {
        self.params.version
    }

    /// Simulated time since boot, µs.
    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// Every cgroup; index 0 is the root, a parent's index is below its children's.
    pub fn cgroups(&self) -> &[Cgroup] {
        &self.cgroups
    }

    /// Every process ever created, live or not (`nr_threads == 0` once dead).
    pub fn processes(&self) -> &[Process] {
        &self.procs
    }

    /// Every thread ever created, in creation order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The page cache, oldest extent first (the reclaim order).
    pub fn page_cache(&self) -> impl Iterator<Item = &PageCacheExtent> {
        self.page_cache.iter()
    }

    /// Live tasks of a real uid (what RLIMIT_NPROC compares against).
    pub fn nproc_count(&self, uid: u32) -> u64 {
        self.nproc.get(&uid).copied().unwrap_or(0)
    }

    /// Whether a `memory.max` write could not reclaim or kill down to the new limit because no
    /// killable task was left (the kernel then leaves usage above `memory.max`).
    pub fn max_unreachable(&self) -> bool {
        self.max_unreachable
    }

    /// The index of the cgroup at `path`.
    pub fn cgroup_index(&self, path: &str) -> Result<usize, CgroupError> {
        let norm = normalize_path(path)?;
        self.cgroups.iter().position(|c| c.path == norm).ok_or(CgroupError::NoSuchCgroup(norm))
    }

    /// The cgroup `g` and its ancestors, from `g` up to the root.
    pub(crate) fn ancestors(&self, g: usize) -> Ancestors<'_> {
        Ancestors { sim: self, next: Some(g) }
    }

    /// Whether `g` is `ancestor` or below it.
    pub(crate) fn is_descendant(&self, g: usize, ancestor: usize) -> bool {
        self.ancestors(g).any(|a| a == ancestor)
    }

    /// `g` and its descendants in pre-order, children in creation order (`css_next_descendant_pre`).
    pub(crate) fn subtree_preorder(&self, g: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![g];
        while let Some(x) = stack.pop() {
            out.push(x);
            if let Some(c) = self.cgroups.get(x) {
                stack.extend(c.children.iter().rev());
            }
        }
        out
    }

    fn mkdir(&mut self, path: &str) -> Result<usize, CgroupError> {
        let norm = normalize_path(path)?;
        if self.cgroups.iter().any(|c| c.path == norm) {
            return Err(CgroupError::CgroupExists(norm));
        }
        let parent_path = match norm.rfind('/') {
            Some(0) | None => "/".to_owned(),
            Some(i) => norm[..i].to_owned(),
        };
        let parent = self
            .cgroups
            .iter()
            .position(|c| c.path == parent_path)
            .ok_or_else(|| CgroupError::NoSuchCgroup(parent_path.clone()))?;
        if self.cgroups.len() >= MAX_CGROUPS {
            return Err(CgroupError::TooManyCgroups(MAX_CGROUPS));
        }
        let idx = self.cgroups.len();
        self.cgroups.push(Cgroup::new(norm, Some(parent), &self.params));
        if let Some(p) = self.cgroups.get_mut(parent) {
            p.children.push(idx);
        }
        self.sched.dirty = true;
        Ok(idx)
    }

    pub(crate) fn process_index(&self, pid: u32) -> Result<usize, CgroupError> {
        self.procs
            .iter()
            .position(|p| p.pid == pid && p.nr_threads > 0)
            .ok_or(CgroupError::NoSuchProcess(pid))
    }

    /// Indices of the live threads of process `pid`, in thread-list order.
    pub(crate) fn alive_thread_indices(&self, pid: u32) -> Vec<usize> {
        self.tasks.iter().enumerate().filter(|(_, t)| t.is_alive_in(pid)).map(|(i, _)| i).collect()
    }

    pub(crate) fn task_index(&self, tid: u32) -> Result<usize, CgroupError> {
        self.tasks
            .iter()
            .position(|t| t.tid == tid && t.life == Life::Alive)
            .ok_or(CgroupError::NoSuchThread(tid))
    }

    /// The cgroup of the process that thread `t` belongs to.
    pub(crate) fn task_cgroup(&self, t: &Task) -> usize {
        self.process_by_pid(t.pid).map_or(0, |p| p.cgroup)
    }

    /// The process with this pid, live or not. Pids only grow, so `procs` is sorted by pid.
    pub(crate) fn process_by_pid(&self, pid: u32) -> Option<&Process> {
        let i = self.procs.binary_search_by_key(&pid, |p| p.pid).ok()?;
        self.procs.get(i)
    }

    fn set_demand(&mut self, tid: u32, busy: bool) -> Result<(), CgroupError> {
        let i = self.task_index(tid)?;
        let was = self.tasks.get(i).is_some_and(Task::is_runnable);
        if let Some(t) = self.tasks.get_mut(i) {
            t.busy = busy;
        }
        if !was && busy {
            self.place_task(i);
        }
        self.sched.dirty = true;
        Ok(())
    }

    fn migrate(&mut self, pid: u32, g: usize) -> Result<(), CgroupError> {
        let pi = self.process_index(pid)?;
        let (old, nr) = match self.procs.get(pi) {
            Some(p) => (p.cgroup, p.nr_threads),
            None => return Err(CgroupError::NoSuchProcess(pid)),
        };
        if old == g {
            return Ok(());
        }
        // pids_can_attach: charge the destination without a limit check, uncharge the source.
        self.pids_charge(g, u64::from(nr));
        self.pids_uncharge(old, u64::from(nr));
        self.join_seq += 1;
        let seq = self.join_seq;
        if let Some(p) = self.procs.get_mut(pi) {
            p.cgroup = g;
            p.join_seq = seq;
        }
        let idxs = self.alive_thread_indices(pid);
        for i in idxs {
            // cgroup_migrate_execute moves the threads, in thread-list order, to the tail.
            self.join_seq += 1;
            let seq = self.join_seq;
            if let Some(t) = self.tasks.get_mut(i) {
                t.join_seq = seq;
            }
            if self.tasks.get(i).is_some_and(Task::is_runnable) {
                self.place_task(i);
            }
        }
        self.sched.dirty = true;
        Ok(())
    }

    fn exit_thread(&mut self, tid: u32) -> Result<(), CgroupError> {
        let i = self.task_index(tid)?;
        let pid = self.tasks.get(i).map_or(0, |t| t.pid);
        let pi = self.process_index(pid)?;
        let last = self.procs.get(pi).is_some_and(|p| p.nr_threads <= 1);
        if last {
            self.kill_process(pid, Life::Exited)?;
            let mut scratch = Outcome::default();
            self.retry_waiters(&mut scratch);
            return Ok(());
        }
        self.release_task(i, Life::Exited);
        Ok(())
    }

    /// Ends one thread: pids and RLIMIT_NPROC uncharge (`pids_release`, `dec_rlimit_ucounts`).
    fn release_task(&mut self, i: usize, how: Life) {
        let Some(t) = self.tasks.get_mut(i) else { return };
        if t.life != Life::Alive {
            return;
        }
        t.life = how;
        let pid = t.pid;
        let Some(pi) = self.procs.iter().position(|p| p.pid == pid) else { return };
        let (g, uid) = match self.procs.get_mut(pi) {
            Some(p) => {
                p.nr_threads = p.nr_threads.saturating_sub(1);
                (p.cgroup, p.uid)
            }
            None => return,
        };
        self.pids_uncharge(g, 1);
        if let Some(n) = self.nproc.get_mut(&uid) {
            *n = n.saturating_sub(1);
        }
        self.sched.dirty = true;
    }

    /// Kills (or exits) a whole process: every thread ends, its anonymous memory is uncharged
    /// from the memcgs it was charged to; page cache it brought in stays charged.
    pub(crate) fn kill_process(&mut self, pid: u32, how: Life) -> Result<(), CgroupError> {
        let pi = self.process_index(pid)?;
        let idxs = self.alive_thread_indices(pid);
        for i in idxs {
            self.release_task(i, how);
        }
        let anon = match self.procs.get_mut(pi) {
            Some(p) => {
                p.pending_pages = 0;
                p.pending_domain = None;
                std::mem::take(&mut p.anon)
            }
            None => Vec::new(),
        };
        for (g, pages) in anon {
            self.uncharge(g, pages);
            if let Some(c) = self.cgroups.get_mut(g) {
                c.mem.anon_pages = c.mem.anon_pages.saturating_sub(pages);
            }
        }
        Ok(())
    }

    fn new_pid(&mut self) -> u32 {
        let pid = self.next_pid;
        self.next_pid = self.next_pid.saturating_add(1);
        pid
    }
}

impl Cgroup {
    fn new(path: String, parent: Option<usize>, params: &SimParams) -> Self {
        Self {
            path,
            parent,
            children: Vec::new(),
            cpu: GroupBandwidth::default(),
            rqs: vec![GroupRq::default(); params.nr_cpus],
            mem: MemCgroup::default(),
            pids: PidsCgroup::default(),
            io: vec![IoGroup::default(); params.devices.len()],
        }
    }

    /// Whether this is the root cgroup.
    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }
}

/// Iterator over a cgroup and its ancestors.
pub(crate) struct Ancestors<'a> {
    sim: &'a CgroupSim,
    next: Option<usize>,
}

impl Iterator for Ancestors<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let cur = self.next?;
        self.next = self.sim.cgroups.get(cur).and_then(|c| c.parent);
        Some(cur)
    }
}

/// Checks and normalizes a cgroup path: absolute, components of `[A-Za-z0-9._-]{1,64}`,
/// at most 16 levels, no trailing slash except for the root.
fn normalize_path(path: &str) -> Result<String, CgroupError> {
    if path == "/" {
        return Ok("/".to_owned());
    }
    let bad = || CgroupError::BadPath(path.to_owned());
    let rest = path.strip_prefix('/').ok_or_else(bad)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut depth = 0;
    for comp in rest.split('/') {
        depth += 1;
        let ok = !comp.is_empty()
            && comp.len() <= 64
            && comp != "."
            && comp != ".."
            && comp.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok || depth > 16 {
            return Err(bad());
        }
    }
    Ok(format!("/{rest}"))
}

#[cfg(test)]
mod tests;
