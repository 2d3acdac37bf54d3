//! The operations a scenario applies (syscalls and commands), their results, and dispatch.

use super::mnt::Propagation;
use super::pid::ExitStatus;
use super::{Capability, IpcKind, NamespaceKind, NamespacesSim, NsError};
use crate::scenario::from_json::{from_json_unit_enum, from_op_enum};

/// A `CLONE_NEW*` flag (clone(2), unshare(2), setns(2)'s `nstype`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloneFlag {
    /// `CLONE_NEWNS`: a new mount namespace.
    NewNs,
    /// `CLONE_NEWUTS`.
    NewUts,
    /// `CLONE_NEWIPC`.
    NewIpc,
    /// `CLONE_NEWPID`.
    NewPid,
    /// `CLONE_NEWNET`.
    NewNet,
    /// `CLONE_NEWUSER`.
    NewUser,
    /// `CLONE_NEWCGROUP`.
    NewCgroup,
    /// `CLONE_NEWTIME`.
    NewTime,
}
from_json_unit_enum!(CloneFlag {
    "CLONE_NEWNS" => NewNs,
    "CLONE_NEWUTS" => NewUts,
    "CLONE_NEWIPC" => NewIpc,
    "CLONE_NEWPID" => NewPid,
    "CLONE_NEWNET" => NewNet,
    "CLONE_NEWUSER" => NewUser,
    "CLONE_NEWCGROUP" => NewCgroup,
    "CLONE_NEWTIME" => NewTime,
});

impl CloneFlag {
    /// The namespace kind the flag creates.
    pub fn kind(self) -> NamespaceKind {
        match self {
            Self::NewNs => NamespaceKind::Mount,
            Self::NewUts => NamespaceKind::Uts,
            Self::NewIpc => NamespaceKind::Ipc,
            Self::NewPid => NamespaceKind::Pid,
            Self::NewNet => NamespaceKind::Net,
            Self::NewUser => NamespaceKind::User,
            Self::NewCgroup => NamespaceKind::Cgroup,
            Self::NewTime => NamespaceKind::Time,
        }
    }
}

/// The signals modelled, with their x86-64 numbers (signal(7)).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// 1, default: terminate.
    SIGHUP,
    /// 2, default: terminate.
    SIGINT,
    /// 3, default: terminate (core).
    SIGQUIT,
    /// 9, cannot be caught or ignored.
    SIGKILL,
    /// 10, default: terminate.
    SIGUSR1,
    /// 12, default: terminate.
    SIGUSR2,
    /// 15, default: terminate.
    SIGTERM,
    /// 17, default: ignore.
    SIGCHLD,
    /// 18, continues a stopped process.
    SIGCONT,
    /// 19, cannot be caught or ignored: stop.
    SIGSTOP,
    /// 20, default: stop.
    SIGTSTP,
}
from_json_unit_enum!(Signal {
    "SIGHUP" => SIGHUP,
    "SIGINT" => SIGINT,
    "SIGQUIT" => SIGQUIT,
    "SIGKILL" => SIGKILL,
    "SIGUSR1" => SIGUSR1,
    "SIGUSR2" => SIGUSR2,
    "SIGTERM" => SIGTERM,
    "SIGCHLD" => SIGCHLD,
    "SIGCONT" => SIGCONT,
    "SIGSTOP" => SIGSTOP,
    "SIGTSTP" => SIGTSTP,
});

impl Signal {
    /// The signal number.
    pub fn number(self) -> u8 {
        match self {
            Self::SIGHUP => 1,
            Self::SIGINT => 2,
            Self::SIGQUIT => 3,
            Self::SIGKILL => 9,
            Self::SIGUSR1 => 10,
            Self::SIGUSR2 => 12,
            Self::SIGTERM => 15,
            Self::SIGCHLD => 17,
            Self::SIGCONT => 18,
            Self::SIGSTOP => 19,
            Self::SIGTSTP => 20,
        }
    }
}

/// A `sigaction` disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalAction {
    /// Install a handler (the signal is then "caught").
    Handle,
    /// `SIG_IGN`.
    Ignore,
    /// `SIG_DFL`.
    Default,
}
from_json_unit_enum!(SignalAction { "handle" => Handle, "ignore" => Ignore, "default" => Default });

/// A clock of clock_gettime(2) that a time namespace offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockId {
    /// `CLOCK_MONOTONIC`.
    Monotonic,
    /// `CLOCK_BOOTTIME`.
    Boottime,
}
from_json_unit_enum!(ClockId { "monotonic" => Monotonic, "boottime" => Boottime });

/// A file under `/proc/<pid>/` that `read` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcFile {
    /// `status`: Name, State, Pid, PPid, Uid, Gid, NSpid, Cap* lines.
    Status,
    /// `cgroup`: `0::<path relative to the reader's cgroup namespace root>`.
    Cgroup,
    /// `uid_map`.
    UidMap,
    /// `gid_map`.
    GidMap,
    /// `setgroups`.
    Setgroups,
    /// `mountinfo`.
    Mountinfo,
    /// `timens_offsets` (of `time_for_children`).
    TimensOffsets,
    /// `ns/*` links: `net -> net:[4026531992]`, …
    Ns,
}
from_json_unit_enum!(ProcFile {
    "status" => Status,
    "cgroup" => Cgroup,
    "uid_map" => UidMap,
    "gid_map" => GidMap,
    "setgroups" => Setgroups,
    "mountinfo" => Mountinfo,
    "timens_offsets" => TimensOffsets,
    "ns" => Ns,
});

/// One operation of a scenario: `{"op": "fork", "as": "shell", "child": "ls"}`. `as` names the
/// process performing it; `target`, where present, names the process whose file or
/// namespace is used (default: the caller itself).
///
/// [`crate::scenario::read_ops`] reads the `op` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// clone(2) with `CLONE_NEW*` flags; the child is labelled `child` and runs `command`.
    Clone {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the new process.
        child: String,
        /// `CLONE_NEW*` flags.
        flags: Vec<CloneFlag>,
        /// Command name the process runs (`comm`).
        command: Option<String>,
    },
    /// fork(2): clone without flags.
    Fork {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the new process.
        child: String,
    },
    /// unshare(2), the raw syscall: mounts keep their propagation.
    Unshare {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// `CLONE_NEW*` flags.
        flags: Vec<CloneFlag>,
    },
    /// unshare(1) run by `as` in place (`exec unshare …`): util-linux sets `--propagation
    /// private` by default when a mount namespace is created, `--map-root-user` writes
    /// `0 <uid> 1` maps, `--fork` forks `child` into the new namespaces, `--mount-proc` mounts
    /// a fresh `/proc` there.
    UnshareCmd {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// `CLONE_NEW*` flags.
        flags: Vec<CloneFlag>,
        /// `--fork`.
        fork: bool,
        /// Label of the new process.
        child: Option<String>,
        /// `--propagation` (default `private` with a new mount namespace).
        propagation: Option<Propagation>,
        /// `--map-root-user`.
        map_root_user: bool,
        /// `--mount-proc`.
        mount_proc: bool,
        /// Command name the process runs (`comm`).
        command: Option<String>,
    },
    /// setns(2): by an open fd of `as`, a bind-mounted ns file `path`, or `target`'s
    /// namespaces of the `kinds` given (a pidfd, 5.8+, all at once).
    Setns {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Name of an open ns fd of the caller.
        fd: Option<String>,
        /// Path (of a bind-mounted ns file, or a cgroup as seen in the caller's cgroup namespace).
        path: Option<String>,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Namespace kinds to join, as `CLONE_NEW*` flags.
        kinds: Vec<CloneFlag>,
    },
    /// exit(2).
    Exit {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Exit code.
        code: i32,
    },
    /// kill(2).
    Kill {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// Signal name.
        signal: Signal,
    },
    /// sigaction(2).
    Sigaction {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Signal name.
        signal: Signal,
        /// Disposition.
        action: SignalAction,
    },
    /// prctl(PR_SET_CHILD_SUBREAPER, on).
    SetChildSubreaper {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Set or clear.
        on: bool,
    },
    /// waitpid(-1 or `child`, WNOHANG).
    Wait {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the new process.
        child: Option<String>,
    },
    /// execve(2) of `command`.
    Exec {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Command name the process runs (`comm`).
        command: String,
    },
    /// setresuid/setresgid to ids as seen in the caller's user namespace.
    Setuid {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// User id inside the caller's user namespace.
        uid: u32,
        /// Group id inside the caller's user namespace.
        gid: u32,
    },
    /// Drop capabilities from the effective, permitted and bounding sets (`capsh --drop`).
    CapDrop {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Capability names.
        caps: Vec<Capability>,
    },
    /// sethostname(2).
    Sethostname {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// New hostname (at most 64 bytes).
        hostname: String,
    },
    /// setdomainname(2).
    Setdomainname {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// New NIS domain name (at most 64 bytes).
        domainname: String,
    },
    /// uname(2): hostname and domainname.
    Hostname {
        /// Label of the calling process (JSON `as`).
        actor: String,
    },
    /// `ip link add <name> type veth peer name <peer>`.
    IpLinkAddVeth {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Name (interface, or message queue `/name`).
        name: String,
        /// Name of the veth peer.
        peer: String,
    },
    /// `ip link set <dev> netns <pid of target>`.
    IpLinkSetNetns {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Interface name.
        dev: String,
        /// Label of the target process (default: the caller).
        target: String,
    },
    /// `ip addr add <addr>/<prefix> dev <dev>` (IPv4).
    IpAddrAdd {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Interface name.
        dev: String,
        /// IPv4 address (with `/prefix` for `ip addr add`).
        addr: String,
    },
    /// `ip link set <dev> up`.
    IpLinkSetUp {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Interface name.
        dev: String,
    },
    /// `ip link set <dev> down`.
    IpLinkSetDown {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Interface name.
        dev: String,
    },
    /// `ip addr`: the devices of the caller's network namespace.
    IpLink {
        /// Label of the calling process (JSON `as`).
        actor: String,
    },
    /// A TCP socket bound to `addr` (default 0.0.0.0) and `port`, listening.
    Listen {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// IPv4 address (with `/prefix` for `ip addr add`).
        addr: Option<String>,
        /// TCP port.
        port: u16,
    },
    /// connect(2) to `addr`:`port` over TCP.
    Connect {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// IPv4 address (with `/prefix` for `ip addr add`).
        addr: String,
        /// TCP port.
        port: u16,
    },
    /// `ping -c1 <addr>`.
    Ping {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// IPv4 address (with `/prefix` for `ip addr add`).
        addr: String,
    },
    /// mount(2): `fstype` (`proc`, `tmpfs`, …) of `source` at `target`, or a bind mount.
    Mount {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Filesystem type.
        fstype: Option<String>,
        /// Source device, or the path bind-mounted.
        source: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// `mount --bind`.
        bind: bool,
    },
    /// umount2(2); `lazy` is `MNT_DETACH` (the whole subtree goes).
    Umount {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// `umount -l` (`MNT_DETACH`).
        lazy: bool,
    },
    /// `mount --make-shared` (`--make-rshared` with `recursive`).
    MakeShared {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// Apply to the whole subtree (`--make-r*`).
        recursive: bool,
    },
    /// `mount --make-private`.
    MakePrivate {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// Apply to the whole subtree (`--make-r*`).
        recursive: bool,
    },
    /// `mount --make-slave`.
    MakeSlave {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// Apply to the whole subtree (`--make-r*`).
        recursive: bool,
    },
    /// `mount --make-unbindable`.
    MakeUnbindable {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: String,
        /// Apply to the whole subtree (`--make-r*`).
        recursive: bool,
    },
    /// pivot_root(2).
    PivotRoot {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// New root (a mount point).
        new_root: String,
        /// Where the old root goes (under `new_root`).
        put_old: String,
    },
    /// Write `/proc/<target>/uid_map` ("inside outside count" lines).
    WriteUidMap {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Map text: "inside outside count" lines.
        map: String,
    },
    /// Write `/proc/<target>/gid_map`.
    WriteGidMap {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Map text: "inside outside count" lines.
        map: String,
    },
    /// Write `/proc/<target>/setgroups` ("allow" or "deny").
    WriteSetgroups {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// `allow` or `deny`.
        value: String,
    },
    /// `ipcmk`: a SysV shared memory segment, message queue or semaphore set.
    Ipcmk {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Object kind (`shm`, `msg`, `sem`) or ns file name (`net`, `pid_for_children`, …).
        kind: IpcKind,
        /// SysV key; 0 is `IPC_PRIVATE`.
        key: i32,
    },
    /// `ipcrm -m/-q/-s <id>` (`IPC_RMID`).
    Ipcrm {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Object kind.
        kind: IpcKind,
        /// The id `ipcmk` returned.
        id: i32,
    },
    /// mq_open(3) with O_CREAT|O_EXCL.
    MqOpen {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Name (interface, or message queue `/name`).
        name: String,
    },
    /// `ipcs` plus `ls /dev/mqueue`.
    Ipcs {
        /// Label of the calling process (JSON `as`).
        actor: String,
    },
    /// Write the pid of `target` into `<path>/cgroup.procs`, `path` as seen in the caller's
    /// cgroup namespace.
    CgroupMove {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Path (of a bind-mounted ns file, or a cgroup as seen in the caller's cgroup namespace).
        path: String,
    },
    /// Write `<clock> <secs> <nanos>` to `/proc/<target>/timens_offsets`.
    SetTimeOffset {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Clock.
        clock: ClockId,
        /// Offset seconds.
        offset_secs: i64,
        /// Offset nanoseconds (below 10^9).
        offset_nanos: u32,
    },
    /// clock_gettime(2) in the caller's time namespace.
    ClockGettime {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Clock.
        clock: ClockId,
    },
    /// Let host time pass.
    Sleep {
        /// Seconds of host time.
        seconds: u32,
    },
    /// `open("/proc/<target>/ns/<kind>")`, kept as fd `fd` of `as`.
    NsOpen {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Object kind (`shm`, `msg`, `sem`) or ns file name (`net`, `pid_for_children`, …).
        kind: String,
        /// Name of an open ns fd of the caller.
        fd: String,
    },
    /// close(2) of an ns fd.
    NsClose {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Name of an open ns fd of the caller.
        fd: String,
    },
    /// `mount --bind /proc/<target>/ns/<kind> <path>` (as `ip netns add` does).
    NsBind {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Object kind (`shm`, `msg`, `sem`) or ns file name (`net`, `pid_for_children`, …).
        kind: String,
        /// Path (of a bind-mounted ns file, or a cgroup as seen in the caller's cgroup namespace).
        path: String,
    },
    /// `ps -e` as the caller sees it: read from the `/proc` mounted in its mount namespace.
    Ps {
        /// Label of the calling process (JSON `as`).
        actor: String,
    },
    /// `lsns`: the namespaces of the processes visible through the caller's `/proc`.
    Lsns {
        /// Label of the calling process (JSON `as`).
        actor: String,
    },
    /// Read a `/proc/<target>/` file through the caller's `/proc`.
    Read {
        /// Label of the calling process (JSON `as`).
        actor: String,
        /// Label of the target process (default: the caller).
        target: Option<String>,
        /// Which `/proc/<pid>/` file.
        file: ProcFile,
    },
}
from_op_enum!(Op {
    "clone" => Clone { actor as "as", child, flags = default, command = default },
    "fork" => Fork { actor as "as", child },
    "unshare" => Unshare { actor as "as", flags },
    "unshare_cmd" => UnshareCmd {
        actor as "as",
        flags,
        fork = default,
        child = default,
        propagation = default,
        map_root_user = default,
        mount_proc = default,
        command = default,
    },
    "setns" => Setns {
        actor as "as",
        fd = default,
        path = default,
        target = default,
        kinds = default,
    },
    "exit" => Exit { actor as "as", code = default },
    "kill" => Kill { actor as "as", target, signal },
    "sigaction" => Sigaction { actor as "as", signal, action },
    "set_child_subreaper" => SetChildSubreaper { actor as "as", on },
    "wait" => Wait { actor as "as", child = default },
    "exec" => Exec { actor as "as", command },
    "setuid" => Setuid { actor as "as", uid, gid },
    "cap_drop" => CapDrop { actor as "as", caps },
    "sethostname" => Sethostname { actor as "as", hostname },
    "setdomainname" => Setdomainname { actor as "as", domainname },
    "hostname" => Hostname { actor as "as" },
    "ip_link_add_veth" => IpLinkAddVeth { actor as "as", name, peer },
    "ip_link_set_netns" => IpLinkSetNetns { actor as "as", dev, target },
    "ip_addr_add" => IpAddrAdd { actor as "as", dev, addr },
    "ip_link_set_up" => IpLinkSetUp { actor as "as", dev },
    "ip_link_set_down" => IpLinkSetDown { actor as "as", dev },
    "ip_link" => IpLink { actor as "as" },
    "listen" => Listen { actor as "as", addr = default, port },
    "connect" => Connect { actor as "as", addr, port },
    "ping" => Ping { actor as "as", addr },
    "mount" => Mount { actor as "as", fstype = default, source, target, bind = default },
    "umount" => Umount { actor as "as", target, lazy = default },
    "make_shared" => MakeShared { actor as "as", target, recursive = default },
    "make_private" => MakePrivate { actor as "as", target, recursive = default },
    "make_slave" => MakeSlave { actor as "as", target, recursive = default },
    "make_unbindable" => MakeUnbindable { actor as "as", target, recursive = default },
    "pivot_root" => PivotRoot { actor as "as", new_root, put_old },
    "write_uid_map" => WriteUidMap { actor as "as", target = default, map },
    "write_gid_map" => WriteGidMap { actor as "as", target = default, map },
    "write_setgroups" => WriteSetgroups { actor as "as", target = default, value },
    "ipcmk" => Ipcmk { actor as "as", kind, key = default },
    "ipcrm" => Ipcrm { actor as "as", kind, id },
    "mq_open" => MqOpen { actor as "as", name },
    "ipcs" => Ipcs { actor as "as" },
    "cgroup_move" => CgroupMove { actor as "as", target = default, path },
    "set_time_offset" => SetTimeOffset {
        actor as "as",
        target = default,
        clock,
        offset_secs,
        offset_nanos = default,
    },
    "clock_gettime" => ClockGettime { actor as "as", clock },
    "sleep" => Sleep { seconds },
    "ns_open" => NsOpen { actor as "as", target = default, kind, fd },
    "ns_close" => NsClose { actor as "as", fd },
    "ns_bind" => NsBind { actor as "as", target = default, kind, path },
    "ps" => Ps { actor as "as" },
    "lsns" => Lsns { actor as "as" },
    "read" => Read { actor as "as", target = default, file },
});

impl Op {
    /// The label of the process performing the operation (`None` for `sleep`).
    pub fn actor(&self) -> Option<&str> {
        use Op::*;
        match self {
            Clone { actor, .. }
            | Fork { actor, .. }
            | Unshare { actor, .. }
            | UnshareCmd { actor, .. }
            | Setns { actor, .. }
            | Exit { actor, .. }
            | Kill { actor, .. }
            | Sigaction { actor, .. }
            | SetChildSubreaper { actor, .. }
            | Wait { actor, .. }
            | Exec { actor, .. }
            | Setuid { actor, .. }
            | CapDrop { actor, .. }
            | Sethostname { actor, .. }
            | Setdomainname { actor, .. }
            | Hostname { actor }
            | IpLinkAddVeth { actor, .. }
            | IpLinkSetNetns { actor, .. }
            | IpAddrAdd { actor, .. }
            | IpLinkSetUp { actor, .. }
            | IpLinkSetDown { actor, .. }
            | IpLink { actor }
            | Listen { actor, .. }
            | Connect { actor, .. }
            | Ping { actor, .. }
            | Mount { actor, .. }
            | Umount { actor, .. }
            | MakeShared { actor, .. }
            | MakePrivate { actor, .. }
            | MakeSlave { actor, .. }
            | MakeUnbindable { actor, .. }
            | PivotRoot { actor, .. }
            | WriteUidMap { actor, .. }
            | WriteGidMap { actor, .. }
            | WriteSetgroups { actor, .. }
            | Ipcmk { actor, .. }
            | MqOpen { actor, .. }
            | Ipcs { actor }
            | CgroupMove { actor, .. }
            | SetTimeOffset { actor, .. }
            | ClockGettime { actor, .. }
            | NsOpen { actor, .. }
            | NsClose { actor, .. }
            | NsBind { actor, .. }
            | Ps { actor }
            | Lsns { actor }
            | Ipcrm { actor, .. }
            | Read { actor, .. } => Some(actor),
            Sleep { .. } => None,
        }
    }
}

/// One line of `ps` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsEntry {
    /// Pid in the pid namespace of the `/proc` read.
    pub pid: u32,
    /// Parent's pid there, 0 if the parent is not visible.
    pub ppid: u32,
    /// STAT letter.
    pub stat: &'static str,
    /// Command name.
    pub cmd: String,
    /// Scenario label.
    pub label: String,
}

/// The result of a successful operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report beyond the new state.
    Done,
    /// A new process: its pid as the caller sees it (clone's return value).
    Pid {
        /// The child's pid in the caller's pid namespace (0 if not visible there).
        pid: u32,
        /// The child's pid in its own pid namespace.
        pid_inside: u32,
    },
    /// `wait`: the reaped child, or `None` (WNOHANG, nothing has exited yet).
    Reaped(Option<(String, u32, ExitStatus)>),
    /// `kill`: what the target did with the signal.
    Signal(&'static str),
    /// Text lines (a `/proc` file, `ip addr`, `ipcs`).
    Lines(Vec<String>),
    /// `ps` output.
    Ps(Vec<PsEntry>),
    /// A SysV IPC id (`ipcmk`).
    IpcId(i32),
    /// A clock reading.
    Clock {
        /// Seconds.
        secs: i64,
        /// Nanoseconds.
        nanos: u32,
    },
    /// `connect`/`ping` reached `addr` in the network namespace with this inode.
    Reached {
        /// Inode of the network namespace that answered.
        netns: u32,
    },
}

pub(crate) fn dispatch(sim: &mut NamespacesSim, op: &Op) -> Result<Outcome, NsError> {
    use Op::*;
    if let Some(actor) = op.actor()
        && sim.process(actor).is_some_and(|p| p.state() == super::ProcState::Stopped)
    {
        return Err(NsError::Stopped(actor.to_owned()));
    }
    let done = |r: Result<(), NsError>| r.map(|()| Outcome::Done);
    match op {
        Clone { actor, child, flags, command } => {
            sim.clone_process(actor, child, flags, command.as_deref())
        }
        Fork { actor, child } => sim.clone_process(actor, child, &[], None),
        Unshare { actor, flags } => done(sim.unshare(actor, flags)),
        UnshareCmd {
            actor,
            flags,
            fork,
            child,
            propagation,
            map_root_user,
            mount_proc,
            command,
        } => sim.unshare_cmd(&super::nsproxy::UnshareCmd {
            actor,
            flags,
            fork: *fork,
            child: child.as_deref(),
            propagation: *propagation,
            map_root_user: *map_root_user,
            mount_proc: *mount_proc,
            command: command.as_deref().unwrap_or("bash"),
        }),
        Setns { actor, fd, path, target, kinds } => {
            done(sim.setns(actor, fd.as_deref(), path.as_deref(), target.as_deref(), kinds))
        }
        Exit { actor, code } => done(sim.exit(actor, *code)),
        Kill { actor, target, signal } => {
            sim.kill(actor, target, *signal).map(|d| Outcome::Signal(d.name()))
        }
        Sigaction { actor, signal, action } => done(sim.sigaction(actor, *signal, *action)),
        SetChildSubreaper { actor, on } => done(sim.set_child_subreaper(actor, *on)),
        Wait { actor, child } => sim.wait(actor, child.as_deref()).map(Outcome::Reaped),
        Exec { actor, command } => done(sim.exec(actor, command)),
        Setuid { actor, uid, gid } => done(sim.set_ids(actor, *uid, *gid)),
        CapDrop { actor, caps } => done(sim.cap_drop(actor, caps)),
        Sethostname { actor, hostname } => done(sim.set_uts(actor, Some(hostname), None)),
        Setdomainname { actor, domainname } => done(sim.set_uts(actor, None, Some(domainname))),
        Hostname { actor } => sim.uname(actor).map(Outcome::Lines),
        IpLinkAddVeth { actor, name, peer } => done(sim.add_veth(actor, name, peer)),
        IpLinkSetNetns { actor, dev, target } => done(sim.set_netns(actor, dev, target)),
        IpAddrAdd { actor, dev, addr } => done(sim.addr_add(actor, dev, addr)),
        IpLinkSetUp { actor, dev } => done(sim.link_set(actor, dev, true)),
        IpLinkSetDown { actor, dev } => done(sim.link_set(actor, dev, false)),
        IpLink { actor } => sim.ip_addr(actor).map(Outcome::Lines),
        Listen { actor, addr, port } => done(sim.listen(actor, addr.as_deref(), *port)),
        Connect { actor, addr, port } => {
            sim.connect(actor, addr, Some(*port)).map(|netns| Outcome::Reached { netns })
        }
        Ping { actor, addr } => {
            sim.connect(actor, addr, None).map(|netns| Outcome::Reached { netns })
        }
        Mount { actor, fstype, source, target, bind } => {
            done(sim.mount(actor, fstype.as_deref(), source, target, *bind))
        }
        Umount { actor, target, lazy } => done(sim.umount(actor, target, *lazy)),
        MakeShared { actor, target, recursive } => {
            done(sim.make(actor, target, *recursive, Propagation::Shared))
        }
        MakePrivate { actor, target, recursive } => {
            done(sim.make(actor, target, *recursive, Propagation::Private))
        }
        MakeSlave { actor, target, recursive } => {
            done(sim.make(actor, target, *recursive, Propagation::Slave))
        }
        MakeUnbindable { actor, target, recursive } => {
            done(sim.make(actor, target, *recursive, Propagation::Unbindable))
        }
        PivotRoot { actor, new_root, put_old } => done(sim.pivot_root(actor, new_root, put_old)),
        WriteUidMap { actor, target, map } => {
            done(sim.write_id_map(actor, target.as_deref(), super::user::MapKind::Uid, map))
        }
        WriteGidMap { actor, target, map } => {
            done(sim.write_id_map(actor, target.as_deref(), super::user::MapKind::Gid, map))
        }
        WriteSetgroups { actor, target, value } => {
            done(sim.write_setgroups_file(actor, target.as_deref(), value))
        }
        Ipcmk { actor, kind, key } => sim.ipcmk(actor, *kind, *key).map(Outcome::IpcId),
        Ipcrm { actor, kind, id } => done(sim.ipcrm(actor, *kind, *id)),
        MqOpen { actor, name } => done(sim.mq_open(actor, name)),
        Ipcs { actor } => sim.ipcs(actor).map(Outcome::Lines),
        CgroupMove { actor, target, path } => done(sim.cgroup_move(actor, target.as_deref(), path)),
        SetTimeOffset { actor, target, clock, offset_secs, offset_nanos } => {
            done(sim.set_time_offset(actor, target.as_deref(), *clock, *offset_secs, *offset_nanos))
        }
        ClockGettime { actor, clock } => {
            sim.clock_gettime(actor, *clock).map(|(secs, nanos)| Outcome::Clock { secs, nanos })
        }
        Sleep { seconds } => {
            sim.sleep(*seconds);
            Ok(Outcome::Done)
        }
        NsOpen { actor, target, kind, fd } => done(sim.ns_open(actor, target.as_deref(), kind, fd)),
        NsClose { actor, fd } => done(sim.ns_close(actor, fd)),
        NsBind { actor, target, kind, path } => {
            done(sim.ns_bind(actor, target.as_deref(), kind, path))
        }
        Ps { actor } => sim.ps(actor).map(Outcome::Ps),
        Lsns { actor } => sim.lsns(actor).map(Outcome::Lines),
        Read { actor, target, file } => {
            sim.read_proc(actor, target.as_deref(), *file).map(Outcome::Lines)
        }
    }
}
