//! Linux namespaces: a process table with one pid per pid-namespace level, and the other seven
//! namespace kinds (uts, net, mnt, ipc, user, cgroup, time), modelled on **Linux 6.6**.
//!
//! Sources: namespaces(7), pid_namespaces(7), user_namespaces(7), network_namespaces(7),
//! mount_namespaces(7), cgroup_namespaces(7), time_namespaces(7), unshare(1), clone(2),
//! setns(2), and the kernel's `kernel/pid.c` (`alloc_pid`), `kernel/pid_namespace.c`
//! (`create_pid_namespace`, `zap_pid_ns_processes`), `kernel/exit.c` (`find_new_reaper`),
//! `kernel/nsproxy.c` (`create_new_namespaces`, `setns`), `kernel/user_namespace.c`
//! (`map_write`, `new_idmap_permitted`), `security/commoncap.c` (`cap_capable`),
//! `kernel/signal.c` (`sig_task_ignored`), `fs/namespace.c` and `fs/pnode.c` (propagation),
//! `ipc/util.c` (`ipc_idr_alloc`), `kernel/time/namespace.c` and `include/linux/proc_ns.h`.
//!
//! [`NamespacesSim`] is the typed core: [`NamespacesSim::new`], [`NamespacesSim::apply`] of an
//! [`Op`] and read-only accessors; [`run_scenario`] is the JSON boundary that records a trace.
//! The simulation starts with one process, `init` (pid 1, uid 0, every capability), in the
//! initial namespaces. Every operation either succeeds or returns an [`NsError`] and leaves
//! the state unchanged.
//!
//! One file per concept: `pid` (pid namespaces, the process table, exit, signals, wait),
//! `user` (id maps, `cap_capable`, credentials), `caps` (capability sets), `nsproxy` (clone,
//! unshare, setns, exec, uts/cgroup/time setters, ns files), `mnt` (mount tables and
//! propagation), `net` (devices and reachability), `ipc` (SysV ids and mqueues), `view`
//! (`ps` and `/proc` files as a reader sees them), `ops` (the op enum and dispatch),
//! `scenario` (the JSON trace). `docs/namespaces.md` lists every rule and simplification.

mod caps;
mod error;
mod ipc;
mod mnt;
mod net;
mod nsproxy;
mod ops;
mod pid;
mod scenario;
mod user;
mod view;

pub use caps::{CAP_NAMES, CapSet, Capability, Cred};
pub use error::{Errno, NsError};
pub use ipc::IpcKind;
pub use mnt::{Mount, Propagation};
pub use net::{Device, DeviceKind};
pub use ops::{ClockId, CloneFlag, Op, Outcome, ProcFile, PsEntry, Signal, SignalAction};
pub use pid::{ExitStatus, ProcState, Process};
pub use scenario::{NamespacesPlayback, run_scenario, state};
pub use user::IdExtent;

use crate::vec_map::{VecMap, VecSet};
use error::sys;

/// Index of a namespace in the simulation's arena (not its inode number).
pub type NsId = usize;
/// Index of a process in the process table (stable until the process is reaped).
pub type ProcId = usize;

/// The eight namespace kinds, by their `/proc/<pid>/ns/<name>` file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamespaceKind {
    /// `mnt` (`CLONE_NEWNS`).
    Mount,
    /// `uts` (`CLONE_NEWUTS`).
    Uts,
    /// `ipc` (`CLONE_NEWIPC`).
    Ipc,
    /// `pid` (`CLONE_NEWPID`).
    Pid,
    /// `net` (`CLONE_NEWNET`).
    Net,
    /// `user` (`CLONE_NEWUSER`).
    User,
    /// `cgroup` (`CLONE_NEWCGROUP`).
    Cgroup,
    /// `time` (`CLONE_NEWTIME`, Linux 5.6+).
    Time,
}

impl NamespaceKind {
    /// All kinds, in `/proc/<pid>/ns` listing order of this model.
    pub const ALL: [Self; 8] = [
        Self::Cgroup,
        Self::Ipc,
        Self::Mount,
        Self::Net,
        Self::Pid,
        Self::Time,
        Self::User,
        Self::Uts,
    ];

    /// The `/proc/<pid>/ns/` file name and the prefix of the link text (`net:[…]`).
    pub fn proc_name(self) -> &'static str {
        match self {
            Self::Mount => "mnt",
            Self::Uts => "uts",
            Self::Ipc => "ipc",
            Self::Pid => "pid",
            Self::Net => "net",
            Self::User => "user",
            Self::Cgroup => "cgroup",
            Self::Time => "time",
        }
    }

    /// The inode of the initial namespace of this kind: the fixed `PROC_*_INIT_INO` of
    /// `include/linux/proc_ns.h` for ipc, uts, user, pid, cgroup and time; for mnt and net,
    /// which the kernel allocates at boot, the values of a typical boot (4026531840 is the
    /// first dynamic proc inode, `PROC_DYNAMIC_FIRST`; 4026531992 is a commonly seen net).
    pub fn init_inode(self) -> u32 {
        match self {
            Self::Ipc => 0xEFFF_FFFF,
            Self::Uts => 0xEFFF_FFFE,
            Self::User => 0xEFFF_FFFD,
            Self::Pid => 0xEFFF_FFFC,
            Self::Cgroup => 0xEFFF_FFFB,
            Self::Time => 0xEFFF_FFFA,
            Self::Mount => 4_026_531_840,
            Self::Net => 4_026_531_992,
        }
    }
}

/// The first inode number this model hands to a new namespace; the allocator is the kernel's
/// `proc_alloc_inum` (an IDA: lowest free number, freed numbers reused). The numbers below it
/// stand for the proc inodes a boot has already taken.
pub const FIRST_NEW_NS_INODE: u32 = 4_026_532_200;

/// Simulation caps (not kernel limits): beyond them an operation fails with [`NsError::Limit`].
pub const MAX_PROCESSES: usize = 20_000;
/// Cap on live namespaces of all kinds.
pub const MAX_NAMESPACES: usize = 4_096;
/// Cap on mounts over all mount namespaces.
pub const MAX_MOUNTS: usize = 4_096;
/// Cap on network devices over all network namespaces.
pub const MAX_DEVICES: usize = 4_096;
/// Cap on the length of a label, a command name, a path or a hostname given by a scenario.
pub const MAX_NAME_LEN: usize = 256;

/// A namespace: its kind, inode, owning user namespace, reference count and contents.
#[derive(Debug, Clone)]
pub(crate) struct Namespace {
    kind: NamespaceKind,
    inode: u32,
    /// The owning user namespace (`ns->user_ns`); for a user namespace, its parent.
    owner: Option<NsId>,
    /// References: processes' nsproxy and cred slots, pids, open fds, bind mounts, children.
    refs: u32,
    data: NsData,
}

#[derive(Debug, Clone)]
pub(crate) enum NsData {
    Pid(pid::PidNs),
    User(user::UserNs),
    Uts {
        hostname: String,
        domainname: String,
    },
    Net(net::NetNs),
    Mount(mnt::MntNs),
    Ipc(ipc::IpcNs),
    /// `cgroup_namespaces(7)`: the root is the creator's cgroup at creation time.
    Cgroup {
        root: String,
    },
    /// `time_namespaces(7)`: offsets in nanoseconds, frozen once a process has entered.
    Time {
        monotonic_ns: i64,
        boottime_ns: i64,
        frozen: bool,
    },
}

/// The namespaces a process uses (`struct nsproxy`); the user namespace is in its [`Cred`]
/// and its active pid namespace is that of its pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsProxy {
    /// Mount namespace.
    pub mnt: NsId,
    /// UTS namespace.
    pub uts: NsId,
    /// IPC namespace.
    pub ipc: NsId,
    /// Network namespace.
    pub net: NsId,
    /// Cgroup namespace.
    pub cgroup: NsId,
    /// Time namespace the process reads clocks in.
    pub time: NsId,
    /// Pid namespace its children are born in (`pid_for_children`).
    pub pid_for_children: NsId,
    /// Time namespace its children are born in (`time_for_children`).
    pub time_for_children: NsId,
}

impl NsProxy {
    fn slots(&self) -> [NsId; 8] {
        [
            self.mnt,
            self.uts,
            self.ipc,
            self.net,
            self.cgroup,
            self.time,
            self.pid_for_children,
            self.time_for_children,
        ]
    }
}

/// A snapshot of a pid namespace, from [`NamespacesSim::pid_namespace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidNsInfo {
    /// Nesting level (the initial namespace is 0).
    pub level: u32,
    /// Parent namespace.
    pub parent: Option<NsId>,
    /// `PIDNS_ADDING`: false once its init has died.
    pub adding: bool,
    /// Its init, once it has one.
    pub child_reaper: Option<ProcId>,
    /// (pid, process) of every member, including members of nested namespaces.
    pub members: Vec<(u32, ProcId)>,
}

/// The simulated machine: namespaces, processes, devices and mounts.
#[derive(Debug, Clone)]
pub struct NamespacesSim {
    namespaces: Vec<Option<Namespace>>,
    free_ns_slots: Vec<NsId>,
    live_namespaces: usize,
    inodes: VecSet<u32>,
    init_ns: VecMap<NamespaceKind, NsId>,
    procs: Vec<Option<Process>>,
    free_proc_slots: Vec<ProcId>,
    live_procs: usize,
    labels: VecMap<String, ProcId>,
    devices: VecMap<u32, Device>,
    next_device_id: u32,
    mount_ids: VecSet<u32>,
    group_ids: VecSet<u32>,
    mount_count: usize,
    /// Host `CLOCK_MONOTONIC` and `CLOCK_BOOTTIME` in nanoseconds.
    monotonic_ns: i64,
    boottime_ns: i64,
}

/// The parameters of a new simulation: the host's name and initial clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacesParams {
    /// Hostname of the initial uts namespace (at most 64 bytes, `__NEW_UTS_LEN`).
    pub hostname: String,
    /// `CLOCK_MONOTONIC` of the host at start, in seconds.
    pub uptime_secs: i64,
}

impl Default for NamespacesParams {
    fn default() -> Self {
        Self { hostname: "host".to_owned(), uptime_secs: 1_000 }
    }
}

impl NamespacesSim {
    /// A machine after boot: `init` (pid 1, uid 0, all capabilities, cgroup `/`) in the eight
    /// initial namespaces (it reaps exited children at once, as systemd does); the
    /// initial mount table; `lo`, `eth0` (192.0.2.10/24, up) and `eth1` (down) in the initial
    /// network namespace. Fails with `EINVAL` for a hostname over 64 bytes or a negative uptime.
    pub fn new(params: NamespacesParams) -> Result<Self, NsError> {
        if params.hostname.len() > user::NEW_UTS_LEN {
            return Err(sys(Errno::EINVAL, "hostname longer than 64 bytes (__NEW_UTS_LEN)"));
        }
        if params.uptime_secs < 0 || params.uptime_secs > 1_000_000_000 {
            return Err(sys(Errno::EINVAL, "uptime_secs must be between 0 and 1000000000"));
        }
        let uptime_ns = params.uptime_secs.saturating_mul(1_000_000_000);
        let mut sim = Self {
            namespaces: Vec::new(),
            free_ns_slots: Vec::new(),
            live_namespaces: 0,
            inodes: VecSet::new(),
            init_ns: VecMap::new(),
            procs: Vec::new(),
            free_proc_slots: Vec::new(),
            live_procs: 0,
            labels: VecMap::new(),
            devices: VecMap::new(),
            next_device_id: 1,
            mount_ids: VecSet::new(),
            group_ids: VecSet::new(),
            mount_count: 0,
            monotonic_ns: uptime_ns,
            boottime_ns: uptime_ns,
        };
        sim.boot(params.hostname)?;
        Ok(sim)
    }

    fn boot(&mut self, hostname: String) -> Result<(), NsError> {
        let user = self.insert_ns(
            NamespaceKind::User,
            None,
            NsData::User(user::UserNs::initial()),
            Some(NamespaceKind::User.init_inode()),
        )?;
        let mk = |sim: &mut Self, kind: NamespaceKind, data: NsData| {
            sim.get_ns(user);
            sim.insert_ns(kind, Some(user), data, Some(kind.init_inode()))
        };
        let pid = mk(self, NamespaceKind::Pid, NsData::Pid(pid::PidNs::new(0, None)))?;
        let uts = mk(
            self,
            NamespaceKind::Uts,
            NsData::Uts { hostname, domainname: "(none)".to_owned() },
        )?;
        let ipc = mk(self, NamespaceKind::Ipc, NsData::Ipc(ipc::IpcNs::default()))?;
        let net = mk(self, NamespaceKind::Net, NsData::Net(net::NetNs::default()))?;
        let cgroup = mk(self, NamespaceKind::Cgroup, NsData::Cgroup { root: "/".to_owned() })?;
        let time = mk(
            self,
            NamespaceKind::Time,
            NsData::Time { monotonic_ns: 0, boottime_ns: 0, frozen: true },
        )?;
        let mnt = mk(self, NamespaceKind::Mount, NsData::Mount(mnt::MntNs::default()))?;
        for (kind, id) in [
            (NamespaceKind::User, user),
            (NamespaceKind::Pid, pid),
            (NamespaceKind::Uts, uts),
            (NamespaceKind::Ipc, ipc),
            (NamespaceKind::Net, net),
            (NamespaceKind::Cgroup, cgroup),
            (NamespaceKind::Time, time),
            (NamespaceKind::Mount, mnt),
        ] {
            self.init_ns.insert(kind, id);
        }
        self.boot_mounts(mnt, pid)?;
        self.boot_network(net)?;
        let nsproxy = NsProxy {
            mnt,
            uts,
            ipc,
            net,
            cgroup,
            time,
            pid_for_children: pid,
            time_for_children: time,
        };
        let cred = Cred {
            kuid: 0,
            kgid: 0,
            user_ns: user,
            effective: CapSet::FULL,
            permitted: CapSet::FULL,
            bounding: CapSet::FULL,
        };
        self.spawn("init", "systemd", None, nsproxy, cred, "/".to_owned(), pid, false)?;
        Ok(())
    }

    /// Applies one operation. On error the state is unchanged.
    pub fn apply(&mut self, op: &Op) -> Result<Outcome, NsError> {
        // Every operation checks all its failure cases before it mutates anything, in the
        // kernel's order, so that an error leaves the state as it was.
        self.dispatch(op)
    }

    /// The namespace kinds' arena ids of the initial namespaces.
    pub fn init_namespace(&self, kind: NamespaceKind) -> Option<NsId> {
        self.init_ns.get(&kind).copied()
    }

    /// The inode (`/proc/<pid>/ns/<kind>` → `kind:[inode]`) of a live namespace.
    pub fn inode(&self, ns: NsId) -> Option<u32> {
        self.ns(ns).map(|n| n.inode)
    }

    /// The kind of a live namespace.
    pub fn kind(&self, ns: NsId) -> Option<NamespaceKind> {
        self.ns(ns).map(|n| n.kind)
    }

    /// The owning user namespace of a live namespace (for a user namespace: its parent).
    pub fn owner(&self, ns: NsId) -> Option<NsId> {
        self.ns(ns).and_then(|n| n.owner)
    }

    /// Live namespaces, in arena order.
    pub fn namespaces(&self) -> impl Iterator<Item = (NsId, NamespaceKind, u32)> + '_ {
        self.namespaces
            .iter()
            .enumerate()
            .filter_map(|(id, n)| n.as_ref().map(|n| (id, n.kind, n.inode)))
    }

    /// Number of live namespaces (all kinds).
    pub fn namespace_count(&self) -> usize {
        self.live_namespaces
    }

    /// The process with this label (live or zombie).
    pub fn process(&self, label: &str) -> Option<&Process> {
        self.labels.get(label).and_then(|&id| self.proc(id))
    }

    /// The arena id of the process with this label.
    pub fn process_id(&self, label: &str) -> Option<ProcId> {
        self.labels.get(label).copied()
    }

    /// The process at an arena id.
    pub fn process_by_id(&self, id: ProcId) -> Option<&Process> {
        self.proc(id)
    }

    /// All processes (live and zombie), in arena order.
    pub fn processes(&self) -> impl Iterator<Item = (ProcId, &Process)> + '_ {
        self.procs.iter().enumerate().filter_map(|(id, p)| p.as_ref().map(|p| (id, p)))
    }

    /// Number of processes, zombies included.
    pub fn process_count(&self) -> usize {
        self.live_procs
    }

    /// A live pid namespace: level, parent, whether it still accepts pids (`PIDNS_ADDING`),
    /// its init and its members (pid → process).
    pub fn pid_namespace(&self, ns: NsId) -> Option<PidNsInfo> {
        self.pid_ns(ns).map(|p| PidNsInfo {
            level: p.level,
            parent: p.parent,
            adding: p.adding,
            child_reaper: p.child_reaper,
            members: p.idr.iter().map(|(&pid, &id)| (pid, id)).collect(),
        })
    }

    /// Host clocks in nanoseconds: (`CLOCK_MONOTONIC`, `CLOCK_BOOTTIME`).
    pub fn host_clocks_ns(&self) -> (i64, i64) {
        (self.monotonic_ns, self.boottime_ns)
    }

    /// Recounts every namespace reference from scratch (the initial namespaces' static
    /// reference, owners, pid parents, processes' nsproxy, cred and pid, open fds, mounts)
    /// and returns each disagreement with the stored counts, and any mount-count drift.
    /// Empty when the bookkeeping is consistent; tests call it after every operation.
    pub fn audit_references(&self) -> Vec<String> {
        let mut expected: VecMap<NsId, u32> = VecMap::new();
        let mut add = |id: NsId| *expected.entry(id).or_default() += 1;
        for &id in self.init_ns.values() {
            add(id);
        }
        let mut mounts = 0;
        for (_, ns) in
            self.namespaces.iter().enumerate().filter_map(|(i, n)| n.as_ref().map(|n| (i, n)))
        {
            if let Some(owner) = ns.owner {
                add(owner);
            }
            match &ns.data {
                NsData::Pid(p) => p.parent.into_iter().for_each(&mut add),
                NsData::Mount(m) => {
                    // A copied namespace's hidden rootfs holds an id too.
                    mounts += m.mounts.len() + usize::from(m.rootfs != mnt::INIT_ROOTFS_ID);
                    for mount in &m.mounts {
                        mount.pid_ns.into_iter().chain(mount.ns_ref).for_each(&mut add);
                    }
                }
                _ => {}
            }
        }
        for (_, p) in self.processes() {
            add(p.cred.user_ns);
            add(p.pid_ns());
            if let Some(n) = p.nsproxy {
                n.slots().into_iter().for_each(&mut add);
            }
            p.fds.values().copied().for_each(&mut add);
        }
        let mut problems = Vec::new();
        for (id, ns) in self.namespaces.iter().enumerate() {
            let want = expected.get(&id).copied().unwrap_or(0);
            match ns {
                Some(n) if n.refs != want => problems.push(format!(
                    "{}:[{}] has {} references, {want} counted",
                    n.kind.proc_name(),
                    n.inode,
                    n.refs
                )),
                None if want > 0 => {
                    problems.push(format!("slot {id} is freed but referenced {want} times"))
                }
                _ => {}
            }
        }
        if mounts != self.mount_count || mounts != self.mount_ids.len() {
            problems.push(format!(
                "{mounts} mounts, count {}, ids {}",
                self.mount_count,
                self.mount_ids.len()
            ));
        }
        problems
    }

    // ---- namespace arena and reference counting (`ns_common.count`, `put_*_ns`) ----

    fn ns(&self, id: NsId) -> Option<&Namespace> {
        self.namespaces.get(id).and_then(Option::as_ref)
    }

    fn ns_mut(&mut self, id: NsId) -> Option<&mut Namespace> {
        self.namespaces.get_mut(id).and_then(Option::as_mut)
    }

    fn ns_inode(&self, id: NsId) -> u32 {
        self.ns(id).map_or(0, |n| n.inode)
    }

    /// Lowest free inode from [`FIRST_NEW_NS_INODE`] (`ida_alloc_max` in `proc_alloc_inum`).
    fn alloc_inode(&mut self) -> u32 {
        let mut ino = FIRST_NEW_NS_INODE;
        for &used in self.inodes.range(FIRST_NEW_NS_INODE..) {
            if used != ino {
                break;
            }
            ino = ino.saturating_add(1);
        }
        ino
    }

    /// Inserts a namespace holding one reference (its creator's). The caller has already
    /// taken the reference on `owner`.
    fn insert_ns(
        &mut self,
        kind: NamespaceKind,
        owner: Option<NsId>,
        data: NsData,
        inode: Option<u32>,
    ) -> Result<NsId, NsError> {
        if self.live_namespaces >= MAX_NAMESPACES {
            return Err(NsError::Limit { what: "namespaces", max: MAX_NAMESPACES });
        }
        let inode = inode.unwrap_or_else(|| self.alloc_inode());
        self.inodes.insert(inode);
        let ns = Namespace { kind, inode, owner, refs: 1, data };
        self.live_namespaces += 1;
        if let Some(slot) = self.free_ns_slots.pop()
            && let Some(entry) = self.namespaces.get_mut(slot)
        {
            *entry = Some(ns);
            return Ok(slot);
        }
        self.namespaces.push(Some(ns));
        Ok(self.namespaces.len() - 1)
    }

    fn get_ns(&mut self, id: NsId) {
        if let Some(ns) = self.ns_mut(id) {
            ns.refs = ns.refs.saturating_add(1);
        }
    }

    /// Drops a reference; a namespace whose count reaches zero is destroyed, which drops the
    /// references it holds (owner, parent, mounts) and runs its kind's cleanup: a network
    /// namespace's veth ends are deleted with their peers and physical devices return to the
    /// initial network namespace (`default_device_exit`).
    fn put_ns(&mut self, id: NsId) {
        let mut work = vec![id];
        while let Some(id) = work.pop() {
            let Some(ns) = self.ns_mut(id) else { continue };
            ns.refs = ns.refs.saturating_sub(1);
            if ns.refs > 0 {
                continue;
            }
            let Some(dead) = self.namespaces.get_mut(id).and_then(Option::take) else { continue };
            self.free_ns_slots.push(id);
            self.live_namespaces = self.live_namespaces.saturating_sub(1);
            self.inodes.remove(&dead.inode);
            work.extend(dead.owner);
            match dead.data {
                NsData::Pid(p) => work.extend(p.parent),
                NsData::Net(_) => self.destroy_netns_devices(id),
                NsData::Mount(m) => {
                    for mount in m.mounts {
                        work.extend(self.release_mount(&mount));
                    }
                    self.release_rootfs(m.rootfs);
                }
                _ => {}
            }
        }
    }

    fn pid_ns(&self, id: NsId) -> Option<&pid::PidNs> {
        match self.ns(id).map(|n| &n.data) {
            Some(NsData::Pid(p)) => Some(p),
            _ => None,
        }
    }

    fn pid_ns_mut(&mut self, id: NsId) -> Option<&mut pid::PidNs> {
        match self.ns_mut(id).map(|n| &mut n.data) {
            Some(NsData::Pid(p)) => Some(p),
            _ => None,
        }
    }

    fn user_ns(&self, id: NsId) -> Option<&user::UserNs> {
        match self.ns(id).map(|n| &n.data) {
            Some(NsData::User(u)) => Some(u),
            _ => None,
        }
    }

    fn user_ns_mut(&mut self, id: NsId) -> Option<&mut user::UserNs> {
        match self.ns_mut(id).map(|n| &mut n.data) {
            Some(NsData::User(u)) => Some(u),
            _ => None,
        }
    }

    // ---- processes ----

    fn proc(&self, id: ProcId) -> Option<&Process> {
        self.procs.get(id).and_then(Option::as_ref)
    }

    fn proc_mut(&mut self, id: ProcId) -> Option<&mut Process> {
        self.procs.get_mut(id).and_then(Option::as_mut)
    }

    /// The process labelled `label`, which must not have exited.
    fn live(&self, label: &str) -> Result<ProcId, NsError> {
        let id =
            *self.labels.get(label).ok_or_else(|| NsError::UnknownProcess(label.to_owned()))?;
        match self.proc(id) {
            Some(p) if p.nsproxy.is_some() => Ok(id),
            Some(_) => Err(sys(Errno::ESRCH, format!("process `{label}` has exited"))),
            None => Err(NsError::UnknownProcess(label.to_owned())),
        }
    }

    /// The running process's nsproxy (zombies have none: `exit_task_namespaces`).
    fn nsproxy(&self, id: ProcId) -> Result<NsProxy, NsError> {
        self.proc(id)
            .and_then(|p| p.nsproxy)
            .ok_or_else(|| sys(Errno::ESRCH, "the process has exited"))
    }

    fn cred(&self, id: ProcId) -> Result<Cred, NsError> {
        self.proc(id).map(|p| p.cred).ok_or_else(|| sys(Errno::ESRCH, "no such process"))
    }

    fn check_name(what: &str, name: &str) -> Result<(), NsError> {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(sys(Errno::EINVAL, format!("{what} must be 1 to {MAX_NAME_LEN} bytes")));
        }
        Ok(())
    }

    /// Requires `cap` in `target` user namespace (`ns_capable`), or fails with EPERM.
    fn require_cap(
        &self,
        cred: &Cred,
        target: NsId,
        cap: Capability,
        what: &str,
    ) -> Result<(), NsError> {
        if self.ns_capable(cred, target, cap) {
            Ok(())
        } else {
            Err(sys(
                Errno::EPERM,
                format!(
                    "{what} needs {} in user:[{}], which the caller does not have",
                    cap.name(),
                    self.ns_inode(target)
                ),
            ))
        }
    }

    /// Requires `cap` in the user namespace that owns namespace `ns` (`ns->user_ns`).
    fn require_cap_over(
        &self,
        cred: &Cred,
        ns: NsId,
        cap: Capability,
        what: &str,
    ) -> Result<(), NsError> {
        let owner = self.owner(ns).unwrap_or(ns);
        if self.ns_capable(cred, owner, cap) {
            return Ok(());
        }
        let (kind, inode) = self.ns(ns).map_or(("?", 0), |n| (n.kind.proc_name(), n.inode));
        Err(sys(
            Errno::EPERM,
            format!(
                "{what} needs {} in user:[{}], the owner of {kind}:[{inode}]",
                cap.name(),
                self.ns_inode(owner)
            ),
        ))
    }

    fn dispatch(&mut self, op: &Op) -> Result<Outcome, NsError> {
        ops::dispatch(self, op)
    }
}
