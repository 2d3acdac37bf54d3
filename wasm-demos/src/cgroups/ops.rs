//! The operations a scenario applies, in kernel vocabulary, and the settings it starts from.
//!
//! An op is one JSON object tagged by `"op"` (`{"op": "fork", "pid": 2}`); unknown fields are
//! rejected so that a typo in a scenario is a parse error naming its JSON path.

use crate::scenario::from_json::{from_json_unit_enum, from_op_enum};

/// One operation: a syscall-like action, a cgroup file access, or the passage of time.
///
/// [`crate::scenario::read_ops`] reads the `op` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `mkdir /sys/fs/cgroup/<cgroup>`: creates a cgroup with default knobs; its parent must exist.
    Mkdir {
        /// Absolute cgroup path, e.g. `/web/api`.
        cgroup: String,
    },
    /// `echo <value> > <cgroup>/<file>`: parsed with the kernel's syntax for that file.
    Write {
        /// Absolute cgroup path (`/` is the root).
        cgroup: String,
        /// The file name of the scenario's cgroup version (`cpu.max` on v2, `cpu.cfs_quota_us` on v1).
        file: String,
        /// The text written (trailing whitespace is stripped as the kernel does).
        value: String,
    },
    /// `cat <cgroup>/<file>`: the record carries the kernel-formatted `content`.
    Read {
        /// Absolute cgroup path.
        cgroup: String,
        /// The file name.
        file: String,
    },
    /// A new process (a container's first process) created directly in `cgroup`, as
    /// `clone3(CLONE_INTO_CGROUP)` does; checked like a fork (RLIMIT_NPROC, then pids).
    Spawn {
        /// The cgroup it starts in.
        cgroup: String,
        /// Real uid (0 = root, which bypasses RLIMIT_NPROC).
        uid: u32,
        /// Number of threads (≥ 1), created one by one like `clone(CLONE_THREAD)`.
        threads: u32,
        /// Whether its threads want the CPU (`true`: busy loop; `false`: sleeping).
        busy: bool,
        /// CPUs its threads may run on (`sched_setaffinity`); every CPU when absent.
        cpus: Option<Vec<usize>>,
        /// Nice value −20…19 (`sched_prio_to_weight`).
        nice: i32,
        /// `/proc/<pid>/oom_score_adj`, −1000…1000 (−1000: never OOM-killed).
        oom_score_adj: i32,
        /// RLIMIT_NPROC (`ulimit -u`, `docker run --ulimit nproc=N`); unlimited when absent.
        nproc: Option<u64>,
        /// Whether it holds CAP_SYS_RESOURCE (bypasses RLIMIT_NPROC).
        cap_sys_resource: bool,
    },
    /// `fork()` by process `pid`: a single-threaded child in the same cgroup, inheriting uid,
    /// rlimits, nice, affinity and `oom_score_adj`.
    Fork {
        /// The parent process.
        pid: u32,
        /// Whether the child is busy; inherits the parent's first thread when absent.
        busy: Option<bool>,
        /// How many children to fork, one after the other (a fork storm); stops at the first failure.
        count: u32,
    },
    /// `clone(CLONE_THREAD)` in process `pid`: one more thread (counted by pids and RLIMIT_NPROC).
    Clone {
        /// The process.
        pid: u32,
        /// Whether the new thread is busy.
        busy: bool,
        /// CPUs the thread may run on; the process's affinity when absent.
        cpus: Option<Vec<usize>>,
    },
    /// One thread calls `pthread_exit`; the last thread's exit ends the process.
    Exit {
        /// The thread.
        tid: u32,
    },
    /// `kill -9 <pid>`: the whole process exits and its anonymous memory is freed.
    Kill {
        /// The process.
        pid: u32,
    },
    /// `echo <pid> > <cgroup>/cgroup.procs`: moves every thread of the process.
    Migrate {
        /// The process.
        pid: u32,
        /// The destination cgroup.
        cgroup: String,
    },
    /// Lets simulated time pass in 1 ms ticks; the record carries a CPU timeline.
    Run {
        /// Milliseconds to run (1…600000).
        ms: u64,
    },
    /// Makes a thread busy (always runnable) or idle (sleeping).
    SetDemand {
        /// The thread.
        tid: u32,
        /// `true`: runnable; `false`: sleeping.
        busy: bool,
    },
    /// Process `pid` faults in `bytes` of anonymous memory (charged page by page to its memcg).
    Alloc {
        /// The process.
        pid: u32,
        /// Bytes, rounded up to 4 KiB pages.
        bytes: u64,
    },
    /// Process `pid` unmaps `bytes` of its anonymous memory (most recent charges first).
    Free {
        /// The process.
        pid: u32,
        /// Bytes, rounded up to pages.
        bytes: u64,
    },
    /// Process `pid` writes the first `bytes` of `file` through the page cache (no I/O shown).
    TouchFile {
        /// The process.
        pid: u32,
        /// A file name (the page cache is keyed by it).
        file: String,
        /// Bytes of the file, from offset 0.
        bytes: u64,
    },
    /// Process `pid` reads the first `bytes` of `file` through the page cache (no I/O shown).
    ReadFile {
        /// The process.
        pid: u32,
        /// A file name.
        file: String,
        /// Bytes of the file, from offset 0.
        bytes: u64,
    },
    /// One block I/O by process `pid`: direct (`O_DIRECT`) or buffered, read or write.
    Io {
        /// The process.
        pid: u32,
        /// `read` or `write`.
        dir: IoDir,
        /// Size in bytes (one bio).
        bytes: u64,
        /// `true`: `O_DIRECT`; `false`: through the page cache.
        direct: bool,
        /// The device `MAJ:MIN`; the first configured device when absent.
        device: Option<String>,
        /// The file for buffered I/O's page cache; `io-<pid>` when absent.
        file: Option<String>,
    },
}
from_op_enum!(Op {
    "mkdir" => Mkdir { cgroup },
    "write" => Write { cgroup, file, value },
    "read" => Read { cgroup, file },
    "spawn" => Spawn {
        cgroup,
        uid = default,
        threads = one,
        busy = yes,
        cpus = default,
        nice = default,
        oom_score_adj = default,
        nproc = default,
        cap_sys_resource = default,
    },
    "fork" => Fork { pid, busy = default, count = one },
    "clone" => Clone { pid, busy = yes, cpus = default },
    "exit" => Exit { tid },
    "kill" => Kill { pid },
    "migrate" => Migrate { pid, cgroup },
    "run" => Run { ms },
    "set_demand" => SetDemand { tid, busy },
    "alloc" => Alloc { pid, bytes },
    "free" => Free { pid, bytes },
    "touch_file" => TouchFile { pid, file, bytes },
    "read_file" => ReadFile { pid, file, bytes },
    "io" => Io { pid, dir, bytes, direct = yes, device = default, file = default },
});

/// The direction of a block I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoDir {
    /// A read (`rbps`, `riops`).
    Read,
    /// A write (`wbps`, `wiops`).
    Write,
}
from_json_unit_enum!(IoDir { "read" => Read, "write" => Write });

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// The hierarchy version: decides the file names accepted and the version-specific rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// The legacy hierarchies (`cpu,cpuacct`, `memory`, `pids`, `blkio`).
    V1,
    /// The unified hierarchy (`Documentation/admin-guide/cgroup-v2.rst`).
    V2,
}

impl CgroupVersion {
    /// The number shown in messages and traces.
    pub fn number(self) -> u8 {
        match self {
            CgroupVersion::V1 => 1,
            CgroupVersion::V2 => 2,
        }
    }
}

/// What [`super::CgroupSim::new`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimParams {
    /// The hierarchy version.
    pub version: CgroupVersion,
    /// Number of CPUs, 1…256.
    pub nr_cpus: usize,
    /// Block devices `MAJ:MIN` that `io.max` may name (at least one).
    pub devices: Vec<String>,
    /// `/proc/sys/kernel/sched_cfs_bandwidth_slice_us`, 1…1000000 (default 5000).
    pub bandwidth_slice_us: u64,
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            version: CgroupVersion::V2,
            nr_cpus: 1,
            devices: vec!["8:0".to_owned()],
            bandwidth_slice_us: 5000,
        }
    }
}
