//! Creating, entering and leaving namespaces: clone(2), unshare(2) and unshare(1), setns(2),
//! execve(2) (`kernel/fork.c`, `kernel/nsproxy.c`), plus the per-namespace setters of uts,
//! cgroup and time namespaces and namespace file references (fds and bind mounts).

use super::error::sys;
use super::mnt::Propagation;
use super::ops::ClockId;
use super::pid::MAX_PID_NS_LEVEL;
use super::user::{MapKind, NEW_UTS_LEN};
use super::{
    CapSet, Capability, CloneFlag, Cred, Errno, MAX_MOUNTS, MAX_NAMESPACES, NamespaceKind,
    NamespacesSim, NsData, NsError, NsId, NsProxy, Outcome, ProcId,
};
use crate::vec_map::VecSet;

/// `KTIME_SEC_MAX`: the largest time offset in seconds.
const KTIME_SEC_MAX: i64 = i64::MAX / 1_000_000_000;
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// The arguments of an unshare(1) invocation.
pub(crate) struct UnshareCmd<'a> {
    pub(crate) actor: &'a str,
    pub(crate) flags: &'a [CloneFlag],
    pub(crate) fork: bool,
    pub(crate) child: Option<&'a str>,
    pub(crate) propagation: Option<Propagation>,
    pub(crate) map_root_user: bool,
    pub(crate) mount_proc: bool,
    pub(crate) command: &'a str,
}

fn kinds_of(flags: &[CloneFlag]) -> VecSet<NamespaceKind> {
    let mut kinds = VecSet::new();
    kinds.extend(flags.iter().map(|f| f.kind()));
    kinds
}

impl NamespacesSim {
    /// The checks of `copy_creds` (a new user namespace) and `copy_namespaces` /
    /// `unshare_nsproxy_namespaces`, in the kernel's order, without changing anything: ENOSPC
    /// and EPERM for the user namespace; EPERM without CAP_SYS_ADMIN in the (new) user
    /// namespace for any other kind; for a new pid namespace EINVAL if `pid_for_children` is
    /// already not the active one (`copy_pid_ns`) and ENOSPC past `MAX_PID_NS_LEVEL`
    /// (`create_pid_namespace`, since Linux 4.9; 3.11–4.8 returned EUSERS).
    fn check_new_namespaces(
        &self,
        id: ProcId,
        kinds: &VecSet<NamespaceKind>,
    ) -> Result<(), NsError> {
        let cred = self.cred(id)?;
        let nsproxy = self.nsproxy(id)?;
        let new_user = kinds.contains(&NamespaceKind::User);
        if new_user {
            let level = self.user_ns(cred.user_ns).map_or(0, |u| u.level);
            // `create_user_ns`: `if (parent_ns->level > 32)`, so level 33 can still be made.
            if level > super::user::MAX_USER_NS_LEVEL {
                return Err(sys(
                    Errno::ENOSPC,
                    "user namespaces nest at most 33 levels below the initial one (parent_ns->level > 32)",
                ));
            }
            if self.id_in_ns(cred.user_ns, cred.kuid, MapKind::Uid).is_none()
                || self.id_in_ns(cred.user_ns, cred.kgid, MapKind::Gid).is_none()
            {
                return Err(sys(
                    Errno::EPERM,
                    "the caller's uid or gid is not mapped in its user namespace",
                ));
            }
        }
        if kinds.iter().any(|&k| k != NamespaceKind::User) && !new_user {
            self.require_cap(&cred, cred.user_ns, Capability::SYS_ADMIN, "creating a namespace")?;
        }
        if kinds.contains(&NamespaceKind::Pid) {
            let active = self.proc(id).map_or(0, |p| p.pid_ns());
            if nsproxy.pid_for_children != active {
                return Err(sys(
                    Errno::EINVAL,
                    "pid_for_children is already a new pid namespace (copy_pid_ns: unshare(CLONE_NEWPID) twice)",
                ));
            }
            // `create_pid_namespace`: the new namespace's owner must be the parent's owner or
            // a descendant of it (`in_userns`), which a setns into another user namespace breaks.
            let pid_owner = self.owner(active);
            let mut cur = Some(cred.user_ns);
            while cur.is_some() && cur != pid_owner {
                cur = cur.and_then(|u| self.user_ns(u)).and_then(|u| u.parent);
            }
            if cur.is_none() {
                return Err(sys(
                    Errno::EINVAL,
                    "the caller's user namespace is not below the owner of its pid namespace",
                ));
            }
            let level = self.pid_ns(active).map_or(0, |p| p.level);
            if level >= MAX_PID_NS_LEVEL {
                return Err(sys(
                    Errno::ENOSPC,
                    "pid namespaces nest at most 32 levels below the initial one (MAX_PID_NS_LEVEL)",
                ));
            }
        }
        if self.live_namespaces.saturating_add(kinds.len()) > MAX_NAMESPACES {
            return Err(NsError::Limit { what: "namespaces", max: MAX_NAMESPACES });
        }
        if kinds.contains(&NamespaceKind::Net) && self.devices.len() >= super::MAX_DEVICES {
            return Err(NsError::Limit { what: "network devices", max: super::MAX_DEVICES });
        }
        if kinds.contains(&NamespaceKind::Mount) {
            let n = self.mnt_ns(nsproxy.mnt).map_or(0, |m| m.mounts.len());
            // The copies plus the hidden rootfs copy.
            if self.mount_count.saturating_add(n).saturating_add(1) > MAX_MOUNTS {
                return Err(NsError::Limit { what: "mounts", max: MAX_MOUNTS });
            }
        }
        Ok(())
    }

    /// `create_new_namespaces`: a new namespace of each kind asked for, owned by `user_ns`;
    /// each new one holds one creation reference, returned in the list.
    fn create_namespaces(
        &mut self,
        kinds: &VecSet<NamespaceKind>,
        old: &NsProxy,
        user_ns: NsId,
        cgroup: &str,
    ) -> Result<(NsProxy, Vec<NsId>), NsError> {
        let mut new = *old;
        let mut created = Vec::new();
        // `create_new_namespaces` order, which fixes the order inodes are allocated in.
        let order = [
            NamespaceKind::Mount,
            NamespaceKind::Uts,
            NamespaceKind::Ipc,
            NamespaceKind::Pid,
            NamespaceKind::Cgroup,
            NamespaceKind::Net,
            NamespaceKind::Time,
        ];
        for kind in order.into_iter().filter(|k| kinds.contains(k)) {
            let data = match kind {
                NamespaceKind::User => continue,
                NamespaceKind::Pid => {
                    let parent = old.pid_for_children;
                    let level = self.pid_ns(parent).map_or(0, |p| p.level).saturating_add(1);
                    self.get_ns(parent);
                    NsData::Pid(super::pid::PidNs::new(level, Some(parent)))
                }
                NamespaceKind::Uts => match self.ns(old.uts).map(|n| &n.data) {
                    Some(NsData::Uts { hostname, domainname }) => {
                        NsData::Uts { hostname: hostname.clone(), domainname: domainname.clone() }
                    }
                    _ => NsData::Uts { hostname: String::new(), domainname: String::new() },
                },
                NamespaceKind::Ipc => NsData::Ipc(super::ipc::IpcNs::default()),
                NamespaceKind::Net => NsData::Net(super::net::NetNs::default()),
                NamespaceKind::Mount => {
                    let shared_to_slave = self.owner(old.mnt) != Some(user_ns);
                    NsData::Mount(self.copy_mnt_ns(old.mnt, shared_to_slave))
                }
                NamespaceKind::Cgroup => NsData::Cgroup { root: cgroup.to_owned() },
                NamespaceKind::Time => match self.ns(old.time_for_children).map(|n| &n.data) {
                    Some(&NsData::Time { monotonic_ns, boottime_ns, .. }) => {
                        NsData::Time { monotonic_ns, boottime_ns, frozen: false }
                    }
                    _ => NsData::Time { monotonic_ns: 0, boottime_ns: 0, frozen: false },
                },
            };
            self.get_ns(user_ns);
            let id = self.insert_ns(kind, Some(user_ns), data, None)?;
            match kind {
                NamespaceKind::Pid => new.pid_for_children = id,
                NamespaceKind::Uts => new.uts = id,
                NamespaceKind::Ipc => new.ipc = id,
                NamespaceKind::Net => {
                    new.net = id;
                    self.add_loopback(id)?;
                }
                NamespaceKind::Mount => new.mnt = id,
                NamespaceKind::Cgroup => new.cgroup = id,
                NamespaceKind::Time => new.time_for_children = id,
                NamespaceKind::User => {}
            }
            created.push(id);
        }
        Ok((new, created))
    }

    /// clone(2)/fork(2): the child gets a copy of the caller's namespaces, new ones for the
    /// flags given (the user namespace first), its pids from `pid_for_children` (the first
    /// child of a new pid namespace is its pid 1, its init), and enters `time_for_children`.
    pub(crate) fn clone_process(
        &mut self,
        actor: &str,
        child: &str,
        flags: &[CloneFlag],
        command: Option<&str>,
    ) -> Result<Outcome, NsError> {
        let id = self.live(actor)?;
        self.check_new_process(child)?;
        let kinds = kinds_of(flags);
        self.check_new_namespaces(id, &kinds)?;
        let (cred, nsproxy, cgroup, comm, active) = {
            let p = self.proc(id).ok_or_else(|| NsError::UnknownProcess(actor.to_owned()))?;
            (p.cred, self.nsproxy(id)?, p.cgroup.clone(), p.comm.clone(), p.pid_ns())
        };
        if !kinds.contains(&NamespaceKind::Pid) {
            self.alloc_pids(nsproxy.pid_for_children)?;
        }
        let comm = command.unwrap_or(&comm).to_owned();
        Self::check_name("a command", &comm)?;
        let new_cred =
            if kinds.contains(&NamespaceKind::User) { self.create_user_ns(&cred)? } else { cred };
        let (new_nsproxy, created) =
            self.create_namespaces(&kinds, &nsproxy, new_cred.user_ns, &cgroup)?;
        let child_id = self.spawn(
            child,
            &comm,
            Some(id),
            new_nsproxy,
            new_cred,
            cgroup,
            new_nsproxy.pid_for_children,
            true,
        )?;
        for ns in created {
            self.put_ns(ns);
        }
        if new_cred.user_ns != cred.user_ns {
            self.put_ns(new_cred.user_ns);
        }
        let cp = self.proc(child_id).ok_or_else(|| NsError::UnknownProcess(child.to_owned()))?;
        Ok(Outcome::Pid {
            pid: cp.pid_in(active).unwrap_or(0),
            pid_inside: cp.pids.last().map_or(0, |&(_, p)| p),
        })
    }

    /// unshare(2): the caller moves into new namespaces, except that CLONE_NEWPID and
    /// CLONE_NEWTIME only change `pid_for_children` / `time_for_children`.
    pub(crate) fn unshare(&mut self, actor: &str, flags: &[CloneFlag]) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let kinds = kinds_of(flags);
        self.check_new_namespaces(id, &kinds)?;
        let (cred, nsproxy, cgroup) = {
            let p = self.proc(id).ok_or_else(|| NsError::UnknownProcess(actor.to_owned()))?;
            (p.cred, self.nsproxy(id)?, p.cgroup.clone())
        };
        let new_cred =
            if kinds.contains(&NamespaceKind::User) { self.create_user_ns(&cred)? } else { cred };
        let (new_nsproxy, _created) =
            self.create_namespaces(&kinds, &nsproxy, new_cred.user_ns, &cgroup)?;
        // The creation references become the caller's slot references.
        for (old, new) in nsproxy.slots().into_iter().zip(new_nsproxy.slots()) {
            if old != new {
                self.put_ns(old);
            }
        }
        if new_cred.user_ns != cred.user_ns {
            self.put_ns(cred.user_ns);
        }
        if let Some(p) = self.proc_mut(id) {
            p.nsproxy = Some(new_nsproxy);
            p.cred = new_cred;
        }
        Ok(())
    }

    /// unshare(1) as util-linux runs it: unshare(2); with `--fork` a child (which is pid 1 of
    /// a new pid namespace); `--map-root-user` ("deny" to setgroups, `0 <uid> 1` maps);
    /// `--propagation` (default `private` whenever a mount namespace is new: `mount --make-rprivate /`);
    /// `--mount-proc`; then exec of the program. An error undoes every step.
    pub(crate) fn unshare_cmd(&mut self, cmd: &UnshareCmd<'_>) -> Result<Outcome, NsError> {
        let snapshot = self.clone();
        let result = self.unshare_cmd_steps(cmd);
        if result.is_err() {
            *self = snapshot;
        }
        result
    }

    fn unshare_cmd_steps(&mut self, cmd: &UnshareCmd<'_>) -> Result<Outcome, NsError> {
        let mut flags = cmd.flags.to_vec();
        if cmd.mount_proc && !flags.contains(&CloneFlag::NewNs) {
            flags.push(CloneFlag::NewNs);
        }
        if cmd.map_root_user && !flags.contains(&CloneFlag::NewUser) {
            flags.push(CloneFlag::NewUser);
        }
        let child = match (cmd.fork, cmd.child) {
            (true, Some(c)) => Some(c),
            (false, None) => None,
            (true, None) => return Err(sys(Errno::EINVAL, "--fork needs a `child` label")),
            (false, Some(_)) => return Err(sys(Errno::EINVAL, "`child` is only used with --fork")),
        };
        self.exec(cmd.actor, "unshare")?;
        let id = self.live(cmd.actor)?;
        let outside = self.cred(id)?;
        self.unshare(cmd.actor, &flags)?;
        let mut outcome = Outcome::Done;
        let runner = match child {
            Some(c) => {
                outcome = self.clone_process(cmd.actor, c, &[], Some("unshare"))?;
                c
            }
            None => cmd.actor,
        };
        if cmd.map_root_user {
            let uid = self.id_munged(self.user_parent(runner)?, outside.kuid, MapKind::Uid);
            let gid = self.id_munged(self.user_parent(runner)?, outside.kgid, MapKind::Gid);
            self.write_setgroups_file(runner, None, "deny")?;
            self.write_id_map(runner, None, MapKind::Uid, &format!("0 {uid} 1"))?;
            self.write_id_map(runner, None, MapKind::Gid, &format!("0 {gid} 1"))?;
        }
        let propagation =
            cmd.propagation.or(flags.contains(&CloneFlag::NewNs).then_some(Propagation::Private));
        if let Some(prop) = propagation.filter(|&p| p != Propagation::Unchanged) {
            self.make(runner, "/", true, prop)?;
        }
        if cmd.mount_proc {
            self.make(runner, "/proc", true, Propagation::Private).ok();
            self.mount(runner, Some("proc"), "proc", "/proc", false)?;
        }
        self.exec(runner, cmd.command)?;
        Ok(outcome)
    }

    fn user_parent(&self, label: &str) -> Result<NsId, NsError> {
        let id = self.live(label)?;
        let ns = self.cred(id)?.user_ns;
        Ok(self.user_ns(ns).and_then(|u| u.parent).unwrap_or(ns))
    }

    /// The namespace a `/proc/<pid>/ns/<name>` file of `id` refers to (`pid` is the active
    /// pid namespace, `pid_for_children` and `time_for_children` the children's).
    fn ns_of(&self, id: ProcId, name: &str) -> Result<NsId, NsError> {
        let p = self.proc(id).ok_or_else(|| sys(Errno::ESRCH, "no such process"))?;
        if name == "user" {
            return Ok(p.cred.user_ns);
        }
        if name == "pid" {
            return Ok(p.pid_ns());
        }
        let n = p
            .nsproxy
            .ok_or_else(|| sys(Errno::ENOENT, "the process has exited: its ns links are gone"))?;
        Ok(match name {
            "mnt" => n.mnt,
            "uts" => n.uts,
            "ipc" => n.ipc,
            "net" => n.net,
            "cgroup" => n.cgroup,
            "time" => n.time,
            "pid_for_children" => n.pid_for_children,
            "time_for_children" => n.time_for_children,
            other => return Err(sys(Errno::ENOENT, format!("no /proc/<pid>/ns/{other}"))),
        })
    }

    fn target_or_self(&self, actor: ProcId, target: Option<&str>) -> Result<ProcId, NsError> {
        match target {
            Some(t) => self.live(t),
            None => Ok(actor),
        }
    }

    /// setns(2): joins each namespace in the kernel's order (user first, so that the other
    /// checks use the new credentials). Each `*_install` needs CAP_SYS_ADMIN in the user
    /// namespace owning the target and in the caller's own (EPERM); mnt also CAP_SYS_CHROOT;
    /// user: not the current one (EINVAL), CAP_SYS_ADMIN in it, and then every capability
    /// there; pid: only the caller's children move (`pid_for_children`), and only into its
    /// active pid namespace or a descendant (EINVAL); time: the caller switches at once.
    pub(crate) fn setns(
        &mut self,
        actor: &str,
        fd: Option<&str>,
        path: Option<&str>,
        target: Option<&str>,
        kinds: &[CloneFlag],
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let mut targets: Vec<NsId> = match (fd, path, target) {
            (Some(fd), None, None) => {
                let ns = self.proc(id).and_then(|p| p.fds.get(fd).copied()).ok_or_else(|| {
                    sys(Errno::EINVAL, format!("`{actor}` has no open ns fd `{fd}`"))
                })?;
                vec![ns]
            }
            (None, Some(path), None) => vec![self.nsfs_at(id, path)?],
            (None, None, Some(t)) => {
                if kinds.is_empty() {
                    return Err(sys(
                        Errno::EINVAL,
                        "setns by pidfd needs at least one CLONE_NEW* kind",
                    ));
                }
                kinds
                    .iter()
                    .map(|k| self.open_ns_file(id, Some(t), k.kind().proc_name()))
                    .collect::<Result<_, _>>()?
            }
            _ => {
                return Err(sys(
                    Errno::EINVAL,
                    "setns takes exactly one of `fd`, `path` or `target`",
                ));
            }
        };
        if fd.is_some() || path.is_some() {
            let kind = targets.first().and_then(|&n| self.kind(n));
            if let Some(kind) = kind
                && kinds.iter().any(|k| k.kind() != kind)
            {
                return Err(sys(Errno::EINVAL, "nstype does not match the namespace of the fd"));
            }
        }
        let order = |k: Option<NamespaceKind>| match k {
            Some(NamespaceKind::User) => 0,
            Some(NamespaceKind::Mount) => 1,
            Some(NamespaceKind::Uts) => 2,
            Some(NamespaceKind::Ipc) => 3,
            Some(NamespaceKind::Pid) => 4,
            Some(NamespaceKind::Cgroup) => 5,
            Some(NamespaceKind::Net) => 6,
            _ => 7,
        };
        crate::sort::sort_by_key(&mut targets, |&n| order(self.kind(n)));
        targets.dedup();
        let mut cred = self.cred(id)?;
        let old_cred = cred;
        let mut nsproxy = self.nsproxy(id)?;
        let old_nsproxy = nsproxy;
        let active = self.proc(id).map_or(0, |p| p.pid_ns());
        for &ns in &targets {
            let kind = self.kind(ns).ok_or_else(|| sys(Errno::EINVAL, "no such namespace"))?;
            if kind == NamespaceKind::User {
                if ns == cred.user_ns {
                    return Err(sys(Errno::EINVAL, "setns to the caller's own user namespace"));
                }
                self.require_cap(&cred, ns, Capability::SYS_ADMIN, "setns into a user namespace")?;
                cred = Cred {
                    user_ns: ns,
                    effective: CapSet::FULL,
                    permitted: CapSet::FULL,
                    bounding: CapSet::FULL,
                    ..cred
                };
                continue;
            }
            self.require_cap_over(&cred, ns, Capability::SYS_ADMIN, "setns")?;
            self.require_cap(&cred, cred.user_ns, Capability::SYS_ADMIN, "setns")?;
            match kind {
                NamespaceKind::Mount => {
                    self.require_cap(
                        &cred,
                        cred.user_ns,
                        Capability::SYS_CHROOT,
                        "setns into a mount namespace",
                    )?;
                    nsproxy.mnt = ns;
                }
                NamespaceKind::Uts => nsproxy.uts = ns,
                NamespaceKind::Ipc => nsproxy.ipc = ns,
                NamespaceKind::Net => nsproxy.net = ns,
                NamespaceKind::Cgroup => nsproxy.cgroup = ns,
                NamespaceKind::Time => {
                    nsproxy.time = ns;
                    nsproxy.time_for_children = ns;
                }
                NamespaceKind::Pid => {
                    if !self.pid_ns_is_descendant(ns, active) {
                        return Err(sys(
                            Errno::EINVAL,
                            "a pid namespace can be joined only if it is the caller's or a descendant of it",
                        ));
                    }
                    nsproxy.pid_for_children = ns;
                }
                NamespaceKind::User => {}
            }
        }
        for (old, new) in old_nsproxy.slots().into_iter().zip(nsproxy.slots()) {
            if old != new {
                self.get_ns(new);
                self.put_ns(old);
            }
        }
        if cred.user_ns != old_cred.user_ns {
            self.get_ns(cred.user_ns);
            self.put_ns(old_cred.user_ns);
        }
        self.freeze_time(nsproxy.time);
        if let Some(p) = self.proc_mut(id) {
            p.nsproxy = Some(nsproxy);
            p.cred = cred;
        }
        Ok(())
    }

    fn pid_ns_is_descendant(&self, ns: NsId, ancestor: NsId) -> bool {
        let mut cur = Some(ns);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.pid_ns(c).and_then(|p| p.parent);
        }
        false
    }

    /// execve(2): the new `comm`, the modelled capability rule ([`Self::exec_cred`]), handlers
    /// reset to SIG_DFL (SIG_IGN kept), and the switch into `time_for_children`
    /// (`exec_task_namespaces`), which freezes its offsets.
    pub(crate) fn exec(&mut self, actor: &str, command: &str) -> Result<(), NsError> {
        let id = self.live(actor)?;
        Self::check_name("a command", command)?;
        let cred = self.exec_cred(&self.cred(id)?);
        let mut nsproxy = self.nsproxy(id)?;
        if nsproxy.time != nsproxy.time_for_children {
            self.get_ns(nsproxy.time_for_children);
            self.put_ns(nsproxy.time);
            nsproxy.time = nsproxy.time_for_children;
            self.freeze_time(nsproxy.time);
        }
        if let Some(p) = self.proc_mut(id) {
            p.comm = command.to_owned();
            p.cred = cred;
            p.handled = 0;
            p.nsproxy = Some(nsproxy);
        }
        Ok(())
    }

    pub(crate) fn set_ids(&mut self, actor: &str, uid: u32, gid: u32) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let cred = self.setuid(&self.cred(id)?, uid, gid)?;
        if let Some(p) = self.proc_mut(id) {
            p.cred = cred;
        }
        Ok(())
    }

    /// Drops capabilities from the bounding set (`PR_CAPBSET_DROP`, which needs CAP_SETPCAP:
    /// EPERM) and from the permitted and effective sets (capset(2), always allowed).
    pub(crate) fn cap_drop(&mut self, actor: &str, caps: &[Capability]) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let mut cred = self.cred(id)?;
        if caps.iter().any(|&c| cred.bounding.has(c)) && !cred.effective.has(Capability::SETPCAP) {
            return Err(sys(
                Errno::EPERM,
                "dropping from the bounding set needs CAP_SETPCAP (PR_CAPBSET_DROP)",
            ));
        }
        for &c in caps {
            cred.bounding = cred.bounding.without(c);
            cred.permitted = cred.permitted.without(c);
            cred.effective = cred.effective.without(c);
        }
        if let Some(p) = self.proc_mut(id) {
            p.cred = cred;
        }
        Ok(())
    }

    /// sethostname(2)/setdomainname(2): CAP_SYS_ADMIN in the user namespace that owns the
    /// caller's uts namespace (`ns_capable(uts_ns->user_ns, …)`, EPERM), then at most 64 bytes
    /// (EINVAL).
    pub(crate) fn set_uts(
        &mut self,
        actor: &str,
        host: Option<&str>,
        domain: Option<&str>,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let uts = self.nsproxy(id)?.uts;
        let what = if host.is_some() { "sethostname" } else { "setdomainname" };
        self.require_cap_over(&self.cred(id)?, uts, Capability::SYS_ADMIN, what)?;
        let name = host.or(domain).unwrap_or_default();
        if name.len() > NEW_UTS_LEN {
            return Err(sys(
                Errno::EINVAL,
                "a hostname or domainname is at most 64 bytes (__NEW_UTS_LEN)",
            ));
        }
        if let Some(NsData::Uts { hostname, domainname }) = self.ns_mut(uts).map(|n| &mut n.data) {
            if let Some(h) = host {
                *hostname = h.to_owned();
            }
            if let Some(d) = domain {
                *domainname = d.to_owned();
            }
        }
        Ok(())
    }

    pub(crate) fn uname(&self, actor: &str) -> Result<Vec<String>, NsError> {
        let uts = self.nsproxy(self.live(actor)?)?.uts;
        match self.ns(uts).map(|n| &n.data) {
            Some(NsData::Uts { hostname, .. }) => Ok(vec![hostname.clone()]),
            _ => Ok(Vec::new()),
        }
    }

    pub(crate) fn write_id_map(
        &mut self,
        actor: &str,
        target: Option<&str>,
        kind: MapKind,
        map: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let t = self.target_or_self(id, target)?;
        let ns = self.cred(t)?.user_ns;
        let writer = self.cred(id)?;
        self.write_map(&writer, ns, kind, map)
    }

    pub(crate) fn write_setgroups_file(
        &mut self,
        actor: &str,
        target: Option<&str>,
        value: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let t = self.target_or_self(id, target)?;
        let ns = self.cred(t)?.user_ns;
        let writer = self.cred(id)?;
        self.write_setgroups(&writer, ns, value)
    }

    /// Moves `target` to the cgroup `path`, a path as seen in the writer's cgroup namespace
    /// (its root is `/`). Both the source and destination cgroups must lie under the writer's
    /// cgroup namespace root (`cgroup_procs_write_permission`: ENOENT).
    pub(crate) fn cgroup_move(
        &mut self,
        actor: &str,
        target: Option<&str>,
        path: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        Self::check_name("a cgroup path", path)?;
        let t = self.target_or_self(id, target)?;
        let root = self.cgroup_root(id)?;
        let dest = join_cgroup(&root, path)?;
        let src = self.proc(t).map(|p| p.cgroup.clone()).unwrap_or_default();
        if !under(&src, &root) {
            return Err(sys(
                Errno::ENOENT,
                "the process's cgroup is outside the writer's cgroup namespace",
            ));
        }
        if let Some(p) = self.proc_mut(t) {
            p.cgroup = dest;
        }
        Ok(())
    }

    pub(crate) fn cgroup_root(&self, id: ProcId) -> Result<String, NsError> {
        let ns = self.nsproxy(id)?.cgroup;
        match self.ns(ns).map(|n| &n.data) {
            Some(NsData::Cgroup { root }) => Ok(root.clone()),
            _ => Ok("/".to_owned()),
        }
    }

    /// Writes `/proc/<target>/timens_offsets`, which sets the offsets of the target's
    /// `time_for_children` (`proc_timens_set_offset`): CAP_SYS_TIME in the namespace's owner
    /// (EPERM), nanoseconds below 10^9 (EINVAL), the offset clock neither negative nor past
    /// `KTIME_SEC_MAX / 2` (ERANGE), and only before any process has entered (EACCES).
    pub(crate) fn set_time_offset(
        &mut self,
        actor: &str,
        target: Option<&str>,
        clock: ClockId,
        secs: i64,
        nanos: u32,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        if i64::from(nanos) >= NSEC_PER_SEC {
            return Err(sys(Errno::EINVAL, "nanoseconds must be below 1000000000"));
        }
        let t = self.target_or_self(id, target)?;
        let ns = self.nsproxy(t)?.time_for_children;
        self.require_cap_over(&self.cred(id)?, ns, Capability::SYS_TIME, "writing timens_offsets")?;
        let host = match clock {
            ClockId::Monotonic => self.monotonic_ns,
            ClockId::Boottime => self.boottime_ns,
        };
        if !(-KTIME_SEC_MAX..=KTIME_SEC_MAX).contains(&secs) {
            return Err(sys(Errno::ERANGE, "the offset is beyond KTIME_SEC_MAX"));
        }
        let offset_ns = secs.saturating_mul(NSEC_PER_SEC).saturating_add(i64::from(nanos));
        // `timespec64_add` normalises, so tv_sec is the floor: -0.5 s has tv_sec -1 (ERANGE).
        let result = host.saturating_add(offset_ns).div_euclid(NSEC_PER_SEC);
        if !(0..=KTIME_SEC_MAX / 2).contains(&result) {
            return Err(sys(
                Errno::ERANGE,
                "the offset would make the clock negative or too large",
            ));
        }
        match self.ns_mut(ns).map(|n| &mut n.data) {
            Some(NsData::Time { frozen: true, .. }) => Err(sys(
                Errno::EACCES,
                "offsets are frozen once a process has entered the time namespace",
            )),
            Some(NsData::Time { monotonic_ns, boottime_ns, .. }) => {
                match clock {
                    ClockId::Monotonic => *monotonic_ns = offset_ns,
                    ClockId::Boottime => *boottime_ns = offset_ns,
                }
                Ok(())
            }
            _ => Err(sys(Errno::EINVAL, "no time namespace")),
        }
    }

    pub(crate) fn time_offsets(&self, ns: NsId) -> (i64, i64) {
        match self.ns(ns).map(|n| &n.data) {
            Some(&NsData::Time { monotonic_ns, boottime_ns, .. }) => (monotonic_ns, boottime_ns),
            _ => (0, 0),
        }
    }

    pub(crate) fn freeze_time(&mut self, ns: NsId) {
        if let Some(NsData::Time { frozen, .. }) = self.ns_mut(ns).map(|n| &mut n.data) {
            *frozen = true;
        }
    }

    /// clock_gettime(2): the host clock plus the caller's time namespace offset.
    pub(crate) fn clock_gettime(&self, actor: &str, clock: ClockId) -> Result<(i64, u32), NsError> {
        let ns = self.nsproxy(self.live(actor)?)?.time;
        let (mono, boot) = self.time_offsets(ns);
        let v = match clock {
            ClockId::Monotonic => self.monotonic_ns.saturating_add(mono),
            ClockId::Boottime => self.boottime_ns.saturating_add(boot),
        };
        Ok((v.div_euclid(NSEC_PER_SEC), u32::try_from(v.rem_euclid(NSEC_PER_SEC)).unwrap_or(0)))
    }

    pub(crate) fn sleep(&mut self, seconds: u32) {
        let ns = i64::from(seconds).saturating_mul(NSEC_PER_SEC);
        self.monotonic_ns = self.monotonic_ns.saturating_add(ns);
        self.boottime_ns = self.boottime_ns.saturating_add(ns);
    }

    /// Opening `/proc/<target>/ns/<kind>` needs ptrace read access: the same uid or
    /// CAP_SYS_PTRACE in the target's user namespace (EACCES).
    fn open_ns_file(&self, id: ProcId, target: Option<&str>, kind: &str) -> Result<NsId, NsError> {
        Self::check_name("a namespace file name", kind)?;
        let t = self.target_or_self(id, target)?;
        let (me, them) = (self.cred(id)?, self.cred(t)?);
        if me.kuid != them.kuid && !self.ns_capable(&me, them.user_ns, Capability::SYS_PTRACE) {
            return Err(sys(
                Errno::EACCES,
                "opening another uid's ns file needs CAP_SYS_PTRACE over it",
            ));
        }
        self.ns_of(t, kind)
    }

    pub(crate) fn ns_open(
        &mut self,
        actor: &str,
        target: Option<&str>,
        kind: &str,
        fd: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        Self::check_name("an fd name", fd)?;
        if self.proc(id).is_some_and(|p| p.fds.contains_key(fd)) {
            return Err(sys(Errno::EEXIST, format!("fd `{fd}` is already open")));
        }
        if self.proc(id).is_some_and(|p| p.fds.len() >= 1024) {
            return Err(NsError::Limit { what: "open ns fds per process", max: 1024 });
        }
        let ns = self.open_ns_file(id, target, kind)?;
        self.get_ns(ns);
        if let Some(p) = self.proc_mut(id) {
            p.fds.insert(fd.to_owned(), ns);
        }
        Ok(())
    }

    pub(crate) fn ns_close(&mut self, actor: &str, fd: &str) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let ns = self
            .proc_mut(id)
            .and_then(|p| p.fds.remove(fd))
            .ok_or_else(|| sys(Errno::EINVAL, format!("`{actor}` has no open ns fd `{fd}`")))?;
        self.put_ns(ns);
        Ok(())
    }

    /// `mount --bind /proc/<target>/ns/<kind> <path>`: the bind mount keeps the namespace
    /// alive. Mount namespace files are refused here (the kernel's `mnt_ns_loop` rule allows
    /// only binding a newer mount namespace; not modelled).
    pub(crate) fn ns_bind(
        &mut self,
        actor: &str,
        target: Option<&str>,
        kind: &str,
        path: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        if kind == "mnt" {
            return Err(sys(
                Errno::EINVAL,
                "binding a mount namespace file is not modelled (mnt_ns_loop)",
            ));
        }
        let ns = self.open_ns_file(id, target, kind)?;
        self.mount_nsfs(id, ns, path)
    }
}

/// Joins a path given inside a cgroup namespace onto its root, resolving `.` and `..`
/// (which stops at the namespace root, the root of the cgroupfs the writer sees).
pub(crate) fn join_cgroup(root: &str, path: &str) -> Result<String, NsError> {
    let mut parts: Vec<&str> = root.split('/').filter(|s| !s.is_empty()).collect();
    let floor = parts.len();
    for c in path.split('/').filter(|s| !s.is_empty()) {
        match c {
            "." => {}
            ".." => {
                if parts.len() > floor {
                    parts.pop();
                }
            }
            c => parts.push(c),
        }
    }
    if parts.len() > 64 {
        return Err(sys(Errno::EINVAL, "cgroup path too deep"));
    }
    Ok(format!("/{}", parts.join("/")))
}

fn under(path: &str, root: &str) -> bool {
    root == "/" || path == root || path.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
}

/// `/proc/<pid>/cgroup`'s path: `path` relative to the reader's cgroup namespace `root`, going
/// up with `..` when the process is outside it (`kernfs_path_from_node`).
pub(crate) fn cgroup_relative(root: &str, path: &str) -> String {
    let r: Vec<&str> = root.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let common = r.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; r.len() - common];
    out.extend(p.iter().skip(common));
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_paths_are_relative_to_the_namespace_root() {
        assert_eq!(cgroup_relative("/", "/a/b"), "/a/b");
        assert_eq!(cgroup_relative("/a/b", "/a/b"), "/");
        assert_eq!(cgroup_relative("/a/b", "/a/b/c"), "/c");
        assert_eq!(cgroup_relative("/a/b", "/a/c"), "/../c");
        assert_eq!(cgroup_relative("/a/b", "/"), "/../..");
    }

    #[test]
    fn cgroup_joins_stop_at_the_namespace_root() {
        assert_eq!(join_cgroup("/a", "/b/./c").unwrap(), "/a/b/c");
        assert_eq!(join_cgroup("/a", "../../x").unwrap(), "/a/x");
        assert_eq!(join_cgroup("/", "/").unwrap(), "/");
    }
}
