//! The errors of the cgroup simulation: one variant per way an operation can fail, each
//! message starting with the errno the kernel returns for it (`EINVAL`, `EAGAIN`, …).

/// Why an operation failed. The simulation state is unchanged when an op returns an error,
/// except where the kernel itself keeps partial work (documented on the variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CgroupError {
    /// No cgroup at that path (`ENOENT` from the VFS).
    #[error("ENOENT: no cgroup `{0}`")]
    NoSuchCgroup(String),
    /// `mkdir` of an existing cgroup (`EEXIST`).
    #[error("EEXIST: cgroup `{0}` already exists")]
    CgroupExists(String),
    /// A cgroup path that is not absolute or has an empty or over-long component.
    #[error(
        "EINVAL: bad cgroup path `{0}` (expected /name[/name…], names of 1 to 64 of [A-Za-z0-9._-])"
    )]
    BadPath(String),
    /// The file does not exist in this cgroup version, or not in the root cgroup
    /// (`CFTYPE_NOT_ON_ROOT`).
    #[error("ENOENT: no file `{file}` in cgroup `{cgroup}` (cgroup v{version})")]
    NoSuchFile {
        /// The cgroup path.
        cgroup: String,
        /// The file name as given.
        file: String,
        /// The hierarchy version.
        version: u8,
    },
    /// A write to a read-only file (kernfs mode 0444 opens fail with `EACCES`).
    #[error("EACCES: `{0}` is read-only")]
    ReadOnly(String),
    /// A value the kernel's parser or limit check rejects with `EINVAL`.
    #[error("EINVAL: {file}: {reason}")]
    Invalid {
        /// The file written.
        file: String,
        /// What is wrong, in the kernel's terms.
        reason: String,
    },
    /// A value the kernel's parser rejects with `ERANGE` (an `io.max` limit of 0, `tg_set_limit`).
    #[error("ERANGE: {file}: {reason}")]
    Range {
        /// The file written.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// `cpu.weight` outside 1…10000 (`cpu_weight_write_u64` returns `ERANGE`).
    #[error("ERANGE: cpu.weight: {0} is outside 1..=10000")]
    WeightRange(u64),
    /// `cpu.weight.nice` outside −20…19 (`ERANGE`).
    #[error("ERANGE: cpu.weight.nice: {0} is outside -20..=19")]
    NiceRange(i64),
    /// `io.max` / `blkio.throttle.*` naming a device that does not exist (`ENODEV`).
    #[error("ENODEV: no block device {0}")]
    NoSuchDevice(String),
    /// v1 `memory.limit_in_bytes` below usage that reclaim cannot reach (`EBUSY`); as in
    /// `mem_cgroup_resize_max`, the page cache dropped while trying stays dropped.
    #[error(
        "EBUSY: memory.limit_in_bytes: usage {usage_bytes} cannot be reclaimed below {limit_bytes}"
    )]
    LimitBusy {
        /// Usage left after reclaim, in bytes.
        usage_bytes: u64,
        /// The limit that was asked for, in bytes.
        limit_bytes: u64,
    },
    /// No live process with that pid (`ESRCH`).
    #[error("ESRCH: no process {0}")]
    NoSuchProcess(u32),
    /// No live thread with that tid (`ESRCH`).
    #[error("ESRCH: no thread {0}")]
    NoSuchThread(u32),
    /// fork/clone refused by the pids controller: `pids_try_charge` hit the limit of `limited_by`.
    #[error(
        "EAGAIN: fork rejected by pids controller in {forking} (pids.max of {limited_by} reached)"
    )]
    PidsLimit {
        /// The cgroup of the forking task.
        forking: String,
        /// The cgroup whose `pids.max` would be exceeded.
        limited_by: String,
    },
    /// fork/clone refused by RLIMIT_NPROC in `copy_process` (`kernel/fork.c`).
    #[error("EAGAIN: RLIMIT_NPROC {limit} reached for uid {uid} ({count} tasks of that user)")]
    NprocLimit {
        /// The real uid of the forking task.
        uid: u32,
        /// Tasks that uid already has, system-wide.
        count: u64,
        /// The task's RLIMIT_NPROC.
        limit: u64,
    },
    /// The simulation's task table is full (the kernel's `threads-max` also returns `EAGAIN`).
    #[error("EAGAIN: task table full ({0} tasks ever created)")]
    TaskTableFull(usize),
    /// Too many cgroups for the simulation.
    #[error("ENOSPC: too many cgroups (at most {0})")]
    TooManyCgroups(usize),
    /// A charge that neither reclaim nor the OOM killer could satisfy (no killable task).
    #[error("ENOMEM: memory cgroup {0} out of memory and no killable task")]
    OutOfMemory(String),
    /// `rmdir` of a cgroup that still has tasks or children (`EBUSY`).
    #[error("EBUSY: cgroup `{0}` is not empty")]
    CgroupBusy(String),
    /// The op needs a thread that can act, but every thread of the process is blocked.
    #[error("EINVAL: process {0} is blocked in a memory charge (oom_kill_disable)")]
    ProcessBlocked(u32),
    /// A size, duration or count above the simulation's caps, or otherwise out of range.
    #[error("EINVAL: {0}")]
    OutOfRange(String),
    /// `free` of more anonymous memory than the process has.
    #[error("EINVAL: process {pid} has {has_bytes} anonymous bytes, cannot free {bytes}")]
    FreeTooMuch {
        /// The process.
        pid: u32,
        /// Its anonymous memory.
        has_bytes: u64,
        /// What was asked.
        bytes: u64,
    },
}
