//! Pid namespaces and the process table (pid_namespaces(7), `kernel/pid.c`,
//! `kernel/pid_namespace.c`, `kernel/exit.c`, `kernel/signal.c`).

use super::error::sys;
use super::ops::Signal;
use super::{
    Capability, Cred, Errno, MAX_PROCESSES, NamespacesSim, NsError, NsId, NsProxy, ProcId,
};
use crate::vec_map::VecMap;

/// `PID_MAX_DEFAULT` (0x8000): pids are below it in every namespace.
pub(crate) const PID_MAX: u32 = 32_768;
/// `RESERVED_PIDS`: once a namespace's allocator has passed 300, wrapped pids restart at 300.
pub(crate) const RESERVED_PIDS: u32 = 300;
/// `MAX_PID_NS_LEVEL`: the initial namespace is level 0, so a process has at most 33 pids.
pub(crate) const MAX_PID_NS_LEVEL: u32 = 32;

/// A pid namespace (`struct pid_namespace`, reduced).
#[derive(Debug, Clone)]
pub(crate) struct PidNs {
    pub(crate) level: u32,
    pub(crate) parent: Option<NsId>,
    /// pid number → process, the namespace's `idr`.
    pub(crate) idr: VecMap<u32, ProcId>,
    /// The cursor of `idr_alloc_cyclic` (`idr_next`).
    pub(crate) next: u32,
    /// `PIDNS_ADDING`: cleared by `disable_pid_allocation` when init dies.
    pub(crate) adding: bool,
    /// The namespace's init (pid 1), once it exists.
    pub(crate) child_reaper: Option<ProcId>,
}

impl PidNs {
    pub(crate) fn new(level: u32, parent: Option<NsId>) -> Self {
        Self { level, parent, idr: VecMap::new(), next: 0, adding: true, child_reaper: None }
    }

    /// The pid `idr_alloc_cyclic(idr, start = pid_min, end = PID_MAX)` returns: the first free
    /// number from the cursor, else the first free from `pid_min`; `pid_min` is 1 until the
    /// cursor passes `RESERVED_PIDS`.
    fn next_free(&self) -> Option<u32> {
        let pid_min = if self.next > RESERVED_PIDS { RESERVED_PIDS } else { 1 };
        let first_free = |from: u32| {
            let mut id = from;
            for &used in self.idr.range(from..).map(|(k, _)| k) {
                if used != id {
                    break;
                }
                id = id.saturating_add(1);
            }
            (id < PID_MAX).then_some(id)
        };
        first_free(self.next.max(pid_min)).or_else(|| first_free(pid_min))
    }
}

/// A process's run state as `ps` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    /// Running or sleeping (`S`).
    Running,
    /// Stopped by SIGSTOP/SIGTSTP (`T`).
    Stopped,
    /// Exited, not yet reaped by its parent (`Z`).
    Zombie,
    /// A namespace's init that has exited and waits in `zap_pid_ns_processes` until the
    /// killed members whose parents are outside the namespace have been reaped (`S`).
    Exiting,
}

impl ProcState {
    /// The `ps` STAT letter.
    pub fn letter(self) -> &'static str {
        match self {
            Self::Running | Self::Exiting => "S",
            Self::Stopped => "T",
            Self::Zombie => "Z",
        }
    }
}

/// How a process ended, as `wait` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit(code)`.
    Exited(i32),
    /// Killed by a signal.
    Killed(Signal),
}

/// One process (a single-threaded `task_struct`).
#[derive(Debug, Clone)]
pub struct Process {
    pub(crate) label: String,
    pub(crate) comm: String,
    /// (namespace, pid) from the initial pid namespace (level 0) down to its own.
    pub(crate) pids: Vec<(NsId, u32)>,
    pub(crate) parent: Option<ProcId>,
    pub(crate) children: Vec<ProcId>,
    pub(crate) state: ProcState,
    /// `None` once the process has exited (`exit_task_namespaces`).
    pub(crate) nsproxy: Option<NsProxy>,
    pub(crate) cred: Cred,
    pub(crate) cgroup: String,
    /// Signals with a handler installed (bit = signal number).
    pub(crate) handled: u64,
    /// Signals set to SIG_IGN.
    pub(crate) ignored: u64,
    pub(crate) subreaper: bool,
    /// Open namespace file descriptors by name (`open("/proc/<pid>/ns/<kind>")`).
    pub(crate) fds: VecMap<String, NsId>,
    pub(crate) caught: Vec<Signal>,
    pub(crate) exit: Option<ExitStatus>,
}

impl Process {
    /// The scenario label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The command name (`comm`), set by `exec`.
    pub fn comm(&self) -> &str {
        &self.comm
    }

    /// (pid namespace, pid) per level, from the initial namespace down (`NSpid:` reversed).
    pub fn pids(&self) -> &[(NsId, u32)] {
        &self.pids
    }

    /// The active pid namespace (`task_active_pid_ns`).
    pub fn pid_ns(&self) -> NsId {
        self.pids.last().map_or(0, |&(ns, _)| ns)
    }

    /// The pid in `ns`, `None` if the process is not visible there.
    pub fn pid_in(&self, ns: NsId) -> Option<u32> {
        self.pids.iter().find(|&&(n, _)| n == ns).map(|&(_, p)| p)
    }

    /// The parent (`real_parent`); `None` for the initial process.
    pub fn parent(&self) -> Option<ProcId> {
        self.parent
    }

    /// Children, in the order the kernel's `children` list keeps them.
    pub fn children(&self) -> &[ProcId] {
        &self.children
    }

    /// Run state.
    pub fn state(&self) -> ProcState {
        self.state
    }

    /// Namespaces in use; `None` for a zombie.
    pub fn nsproxy(&self) -> Option<&NsProxy> {
        self.nsproxy.as_ref()
    }

    /// Credentials.
    pub fn cred(&self) -> &Cred {
        &self.cred
    }

    /// Absolute cgroup v2 path.
    pub fn cgroup(&self) -> &str {
        &self.cgroup
    }

    /// Whether `PR_SET_CHILD_SUBREAPER` is set.
    pub fn is_child_subreaper(&self) -> bool {
        self.subreaper
    }

    /// Signals caught by handlers, in order.
    pub fn caught(&self) -> &[Signal] {
        &self.caught
    }

    /// Exit status once exited.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.exit
    }

    fn ignores(&self, sig: Signal) -> bool {
        self.ignored & (1 << sig.number()) != 0
    }

    fn handles(&self, sig: Signal) -> bool {
        self.handled & (1 << sig.number()) != 0
    }
}

/// What `kill` did to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    Terminated,
    Stopped,
    Continued,
    Caught,
    Ignored,
    IgnoredByInit,
}

impl Delivery {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Terminated => "terminated",
            Self::Stopped => "stopped",
            Self::Continued => "continued",
            Self::Caught => "caught",
            Self::Ignored => "ignored",
            Self::IgnoredByInit => "ignored: init has no handler (SIGNAL_UNKILLABLE)",
        }
    }
}

impl NamespacesSim {
    /// The pids `alloc_pid` gives a new process in `target`, from level 0 down. As in
    /// `alloc_pid`, each level is allocated from the deepest (`target`) up to the initial
    /// namespace (EAGAIN if a level has no free pid), and only then is `PIDNS_ADDING` checked
    /// (ENOMEM if the namespace's init has died). A failed allocation frees the pids it took
    /// but leaves each allocator's cursor past them (`idr_alloc_cyclic` advanced it and
    /// `idr_remove` does not move it back), except that a namespace whose very first pid
    /// failed gets its cursor reset to 0; so after an ENOMEM fork into a dead namespace the
    /// host's next pid skips one.
    pub(crate) fn alloc_pids(&mut self, target: NsId) -> Result<Vec<(NsId, u32)>, NsError> {
        let mut out = Vec::new();
        let mut failure = None;
        let mut cur = Some(target);
        while let Some(id) = cur {
            let Some(ns) = self.pid_ns(id) else {
                failure = Some(sys(Errno::EINVAL, "no pid namespace"));
                break;
            };
            let Some(nr) = ns.next_free() else {
                failure = Some(sys(
                    Errno::EAGAIN,
                    format!("pid:[{}] has no free pid below pid_max", self.ns_inode(id)),
                ));
                break;
            };
            out.push((id, nr));
            cur = ns.parent;
        }
        if failure.is_none() && self.pid_ns(target).is_some_and(|ns| !ns.adding) {
            failure = Some(sys(
                Errno::ENOMEM,
                format!(
                    "the init of pid:[{}] has exited, so alloc_pid refuses new pids (PIDNS_ADDING cleared)",
                    self.ns_inode(target)
                ),
            ));
        }
        if let Some(e) = failure {
            // `out_free`: the pids go, the cursors stay where `idr_alloc_cyclic` left them.
            for &(ns, nr) in &out {
                if let Some(p) = self.pid_ns_mut(ns) {
                    p.next = nr.saturating_add(1);
                }
            }
            // "On failure to allocate the first pid, reset the state".
            if let Some(p) = self.pid_ns_mut(target)
                && p.adding
                && p.idr.is_empty()
            {
                p.next = 0;
            }
            return Err(e);
        }
        out.reverse();
        Ok(out)
    }

    pub(crate) fn check_new_process(&self, label: &str) -> Result<(), NsError> {
        Self::check_name("a label", label)?;
        if self.labels.contains_key(label) {
            return Err(NsError::DuplicateLabel(label.to_owned()));
        }
        if self.live_procs >= MAX_PROCESSES {
            return Err(NsError::Limit { what: "processes", max: MAX_PROCESSES });
        }
        Ok(())
    }

    /// Creates a process in `pid_target` (allocating its pids) holding references on every
    /// namespace of `nsproxy` and `cred`. The child enters `time_for_children`, which freezes
    /// that time namespace's offsets (`timens_on_fork`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn(
        &mut self,
        label: &str,
        comm: &str,
        parent: Option<ProcId>,
        nsproxy: NsProxy,
        cred: Cred,
        cgroup: String,
        pid_target: NsId,
        inherit_ignored: bool,
    ) -> Result<ProcId, NsError> {
        self.check_new_process(label)?;
        let pids = self.alloc_pids(pid_target)?;
        let id = self.free_proc_slots.pop().unwrap_or(self.procs.len());
        let nsproxy = NsProxy { time: nsproxy.time_for_children, ..nsproxy };
        for slot in nsproxy.slots() {
            self.get_ns(slot);
        }
        self.get_ns(cred.user_ns);
        self.get_ns(pid_target);
        self.freeze_time(nsproxy.time);
        for &(ns, nr) in &pids {
            if let Some(p) = self.pid_ns_mut(ns) {
                p.idr.insert(nr, id);
                p.next = nr.saturating_add(1);
            }
        }
        if pids.last().is_some_and(|&(_, nr)| nr == 1)
            && let Some(p) = self.pid_ns_mut(pid_target)
        {
            p.child_reaper = Some(id);
        }
        let ignored = match parent.and_then(|p| self.proc(p)) {
            Some(p) if inherit_ignored => p.ignored,
            _ => 0,
        };
        // fork copies the fd table, so open ns fds are inherited (and keep their namespaces).
        let fds = parent.and_then(|p| self.proc(p)).map(|p| p.fds.clone()).unwrap_or_default();
        for &ns in fds.values() {
            self.get_ns(ns);
        }
        let (handled, subreaper) = (0, false);
        let process = Process {
            label: label.to_owned(),
            comm: comm.to_owned(),
            pids,
            parent,
            children: Vec::new(),
            state: ProcState::Running,
            nsproxy: Some(nsproxy),
            cred,
            cgroup,
            handled,
            ignored,
            subreaper,
            fds,
            caught: Vec::new(),
            exit: None,
        };
        if let Some(slot) = self.procs.get_mut(id) {
            *slot = Some(process);
        } else {
            self.procs.push(Some(process));
        }
        self.live_procs += 1;
        self.labels.insert(label.to_owned(), id);
        if let Some(p) = parent.and_then(|p| self.proc_mut(p)) {
            p.children.push(id);
        }
        Ok(id)
    }

    /// The pid of `parent` as seen in `ns`, 0 if it is not visible there (or has no parent).
    pub(crate) fn ppid_in(&self, p: &Process, ns: NsId) -> u32 {
        p.parent.and_then(|pp| self.proc(pp)).and_then(|pp| pp.pid_in(ns)).unwrap_or(0)
    }

    fn is_global_init(&self, id: ProcId) -> bool {
        self.proc(id).is_some_and(|p| p.parent.is_none())
    }

    /// `do_exit` + `exit_notify`: the process drops its namespaces and fds and becomes a
    /// zombie. If it is the init of a non-initial pid namespace, `zap_pid_ns_processes` runs
    /// first: pid allocation is disabled, init's SIGCHLD is set to SIG_IGN (so its zombie
    /// children are reaped at once) and every other member of the namespace, nested ones
    /// included, is killed with SIGKILL. Its children are then reparented (`find_new_reaper`):
    /// to the nearest live `PR_SET_CHILD_SUBREAPER` ancestor in the same pid namespace, else
    /// to the namespace's init. A zombie whose (new) parent ignores SIGCHLD is reaped at once.
    pub(crate) fn do_exit(&mut self, id: ProcId, status: ExitStatus) {
        let Some(p) = self.proc_mut(id) else { return };
        let Some(nsproxy) = p.nsproxy.take() else { return };
        p.state = ProcState::Exiting;
        p.exit = Some(status);
        let fds = std::mem::take(&mut p.fds);
        let active = p.pid_ns();
        let parent = p.parent;
        for slot in nsproxy.slots() {
            self.put_ns(slot);
        }
        for ns in fds.into_values() {
            self.put_ns(ns);
        }
        let is_reaper = self.pid_ns(active).is_some_and(|ns| ns.child_reaper == Some(id));
        if is_reaper && parent.is_some() {
            self.zap_pid_ns(id, active);
            if self.pid_ns(active).is_some_and(|ns| ns.idr.len() > 1) {
                // Zombies with parents outside the namespace remain: init waits for them.
                return;
            }
        }
        self.finish_exit(id);
    }

    /// The rest of `exit_notify`: reparent the children, become a zombie, notify the parent.
    fn finish_exit(&mut self, id: ProcId) {
        let Some(p) = self.proc_mut(id) else { return };
        p.state = ProcState::Zombie;
        let active = p.pid_ns();
        let parent = p.parent;
        let reaper = self.find_new_reaper(id, active);
        let children =
            self.proc_mut(id).map(|p| std::mem::take(&mut p.children)).unwrap_or_default();
        for child in children {
            let new_parent = reaper.filter(|&r| r != id);
            if let Some(c) = self.proc_mut(child) {
                c.parent = new_parent.or(Some(id));
            }
            match new_parent {
                Some(r) => {
                    if let Some(rp) = self.proc_mut(r) {
                        rp.children.push(child);
                    }
                    let zombie = self.is_zombie(child);
                    let autoreap = self.reaps_at_once(r);
                    if zombie && autoreap {
                        self.release(child);
                    }
                }
                None => {
                    // Only the dying init itself is its namespace's reaper; after the zap its
                    // children are all dead, and zombies of an init that ignores SIGCHLD go.
                    if self.is_zombie(child) {
                        self.release(child);
                    } else if let Some(me) = self.proc_mut(id) {
                        me.children.push(child);
                    }
                }
            }
        }
        if parent.is_some_and(|pp| self.reaps_at_once(pp)) {
            self.release(id);
        }
    }

    fn is_zombie(&self, id: ProcId) -> bool {
        self.proc(id).is_some_and(|p| p.state == ProcState::Zombie)
    }

    /// Whether exited children of `id` vanish at once: SIGCHLD is SIG_IGN (`do_notify_parent`
    /// autoreap), or it is the initial process, which stands for systemd reaping promptly.
    fn reaps_at_once(&self, id: ProcId) -> bool {
        self.proc(id).is_some_and(|p| p.ignores(Signal::SIGCHLD) || p.parent.is_none())
    }

    fn zap_pid_ns(&mut self, init: ProcId, ns: NsId) {
        if let Some(p) = self.pid_ns_mut(ns) {
            p.adding = false;
        }
        if let Some(p) = self.proc_mut(init) {
            p.ignored |= 1 << Signal::SIGCHLD.number();
        }
        self.reap_zombie_children(init);
        let members: Vec<ProcId> = self
            .pid_ns(ns)
            .map(|p| p.idr.values().copied().filter(|&m| m != init).collect())
            .unwrap_or_default();
        for m in members {
            self.do_exit(m, ExitStatus::Killed(Signal::SIGKILL));
        }
        self.reap_zombie_children(init);
    }

    fn reap_zombie_children(&mut self, id: ProcId) {
        let zombies: Vec<ProcId> = self
            .proc(id)
            .map(|p| p.children.iter().copied().filter(|&c| self.is_zombie(c)).collect())
            .unwrap_or_default();
        for z in zombies {
            self.release(z);
        }
    }

    /// `find_new_reaper`: walk up `real_parent` while still in the same pid namespace level
    /// looking for a live subreaper; else the namespace's `child_reaper`.
    fn find_new_reaper(&self, father: ProcId, ns: NsId) -> Option<ProcId> {
        let level = self.proc(father).map_or(0, |p| p.pids.len());
        let mut cur = self.proc(father).and_then(|p| p.parent);
        while let Some(r) = cur {
            let Some(rp) = self.proc(r) else { break };
            if rp.pids.len() != level || rp.parent.is_none() {
                break;
            }
            if rp.subreaper && rp.nsproxy.is_some() {
                return Some(r);
            }
            cur = rp.parent;
        }
        self.pid_ns(ns).and_then(|p| p.child_reaper)
    }

    /// `release_task`: frees the pids, drops the pid and user namespace references.
    pub(crate) fn release(&mut self, id: ProcId) {
        let Some(p) = self.procs.get_mut(id).and_then(Option::take) else { return };
        self.live_procs = self.live_procs.saturating_sub(1);
        self.free_proc_slots.push(id);
        self.labels.remove(&p.label);
        if let Some(pp) = p.parent.and_then(|pp| self.proc_mut(pp)) {
            pp.children.retain(|&c| c != id);
        }
        let mut waiting = Vec::new();
        for &(ns, nr) in &p.pids {
            if let Some(pns) = self.pid_ns_mut(ns) {
                pns.idr.remove(&nr);
                if pns.idr.len() == 1
                    && let Some(init) = pns.child_reaper
                {
                    waiting.push(init);
                }
            }
        }
        self.put_ns(p.pid_ns());
        self.put_ns(p.cred.user_ns);
        // The last other member is gone: a waiting init finishes its exit (`free_pid` wakes it).
        for init in waiting {
            if self.proc(init).is_some_and(|p| p.state == ProcState::Exiting) {
                self.finish_exit(init);
            }
        }
    }

    pub(crate) fn exit(&mut self, label: &str, code: i32) -> Result<(), NsError> {
        let id = self.live(label)?;
        if self.is_global_init(id) {
            return Err(NsError::KillInit);
        }
        self.do_exit(id, ExitStatus::Exited(code));
        Ok(())
    }

    /// `kill(2)`: the target must be visible in the sender's pid namespace (ESRCH); the
    /// sender needs the same uid or CAP_KILL in the target's user namespace (EPERM). An init
    /// (`SIGNAL_UNKILLABLE`) ignores a signal it has no handler for, except SIGKILL and
    /// SIGSTOP sent from an ancestor pid namespace (`sig_task_ignored`, `force`).
    pub(crate) fn kill(
        &mut self,
        sender: &str,
        target: &str,
        sig: Signal,
    ) -> Result<Delivery, NsError> {
        let s = self.live(sender)?;
        let t =
            *self.labels.get(target).ok_or_else(|| NsError::UnknownProcess(target.to_owned()))?;
        let sp = self.proc(s).ok_or_else(|| NsError::UnknownProcess(sender.to_owned()))?;
        let tp = self.proc(t).ok_or_else(|| NsError::UnknownProcess(target.to_owned()))?;
        if tp.pid_in(sp.pid_ns()).is_none() {
            return Err(sys(
                Errno::ESRCH,
                format!("`{target}` has no pid in the sender's pid namespace"),
            ));
        }
        if sp.cred.kuid != tp.cred.kuid
            && !self.ns_capable(&sp.cred, tp.cred.user_ns, Capability::KILL)
        {
            return Err(sys(
                Errno::EPERM,
                "a signal to another uid needs CAP_KILL in the target's user namespace",
            ));
        }
        if tp.nsproxy.is_none() {
            return Ok(Delivery::Ignored);
        }
        let force = sp.pid_in(tp.pid_ns()).is_none();
        let unkillable = self.pid_ns(tp.pid_ns()).is_some_and(|n| n.child_reaper == Some(t));
        let catchable = !matches!(sig, Signal::SIGKILL | Signal::SIGSTOP);
        let handler = catchable && tp.handles(sig);
        // `sig_task_ignored`: only a forced (ancestor) SIGKILL/SIGSTOP gets through.
        let forced_kill = force && !catchable;
        if unkillable && !handler && !forced_kill {
            // `prepare_signal` resumes a stopped task on SIGCONT before the ignore check.
            if sig == Signal::SIGCONT && tp.state == ProcState::Stopped {
                if let Some(p) = self.proc_mut(t) {
                    p.state = ProcState::Running;
                }
                return Ok(Delivery::Continued);
            }
            return Ok(Delivery::IgnoredByInit);
        }
        let ignored = catchable && tp.ignores(sig);
        let delivery = match sig {
            Signal::SIGKILL => Delivery::Terminated,
            Signal::SIGSTOP => Delivery::Stopped,
            Signal::SIGCONT if handler => Delivery::Caught,
            Signal::SIGCONT => Delivery::Continued,
            _ if handler => Delivery::Caught,
            _ if ignored => Delivery::Ignored,
            Signal::SIGCHLD => Delivery::Ignored,
            Signal::SIGTSTP => Delivery::Stopped,
            _ => Delivery::Terminated,
        };
        match delivery {
            Delivery::Terminated => {
                if self.is_global_init(t) {
                    return Err(NsError::KillInit);
                }
                self.do_exit(t, ExitStatus::Killed(sig));
            }
            Delivery::Stopped => {
                if let Some(p) = self.proc_mut(t) {
                    p.state = ProcState::Stopped;
                }
            }
            Delivery::Continued | Delivery::Caught => {
                if let Some(p) = self.proc_mut(t) {
                    if sig == Signal::SIGCONT {
                        p.state = ProcState::Running;
                    }
                    if delivery == Delivery::Caught {
                        p.caught.push(sig);
                    }
                }
            }
            Delivery::Ignored | Delivery::IgnoredByInit => {}
        }
        Ok(delivery)
    }

    /// `waitpid(-1 or child, WNOHANG)`: ECHILD without (that) child; `None` when no child has
    /// exited yet; else the reaped child's label, pid in the caller's namespace and status.
    pub(crate) fn wait(
        &mut self,
        label: &str,
        child: Option<&str>,
    ) -> Result<Option<(String, u32, ExitStatus)>, NsError> {
        let id = self.live(label)?;
        let p = self.proc(id).ok_or_else(|| NsError::UnknownProcess(label.to_owned()))?;
        let wanted = match child {
            Some(c) => {
                let cid =
                    *self.labels.get(c).ok_or_else(|| NsError::UnknownProcess(c.to_owned()))?;
                if !p.children.contains(&cid) {
                    return Err(sys(Errno::ECHILD, format!("`{c}` is not a child of `{label}`")));
                }
                vec![cid]
            }
            None => p.children.clone(),
        };
        if wanted.is_empty() {
            return Err(sys(Errno::ECHILD, format!("`{label}` has no children")));
        }
        let ns = p.pid_ns();
        let Some(z) = wanted.into_iter().find(|&c| self.is_zombie(c)) else {
            return Ok(None);
        };
        let Some(zp) = self.proc(z) else { return Ok(None) };
        let out = (
            zp.label.clone(),
            zp.pid_in(ns).unwrap_or(0),
            zp.exit.unwrap_or(ExitStatus::Exited(0)),
        );
        self.release(z);
        Ok(Some(out))
    }

    /// `sigaction`: install a handler, SIG_IGN or SIG_DFL; SIGKILL and SIGSTOP: EINVAL.
    pub(crate) fn sigaction(
        &mut self,
        label: &str,
        sig: Signal,
        action: super::SignalAction,
    ) -> Result<(), NsError> {
        let id = self.live(label)?;
        if matches!(sig, Signal::SIGKILL | Signal::SIGSTOP) {
            return Err(sys(Errno::EINVAL, format!("{sig:?} cannot be caught or ignored")));
        }
        let bit = 1u64 << sig.number();
        if let Some(p) = self.proc_mut(id) {
            p.handled &= !bit;
            p.ignored &= !bit;
            match action {
                super::SignalAction::Handle => p.handled |= bit,
                super::SignalAction::Ignore => p.ignored |= bit,
                super::SignalAction::Default => {}
            }
        }
        Ok(())
    }

    pub(crate) fn set_child_subreaper(&mut self, label: &str, on: bool) -> Result<(), NsError> {
        let id = self.live(label)?;
        if let Some(p) = self.proc_mut(id) {
            p.subreaper = on;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idr_alloc_cyclic_starts_at_1_and_continues_after_the_cursor() {
        let mut ns = PidNs::new(1, None);
        assert_eq!(ns.next_free(), Some(1));
        ns.idr.insert(1, 0);
        ns.idr.insert(2, 0);
        ns.next = 2;
        assert_eq!(ns.next_free(), Some(3));
        // A freed pid below the cursor is not reused until the allocator wraps.
        ns.idr.remove(&1);
        ns.next = 3;
        assert_eq!(ns.next_free(), Some(3));
    }

    #[test]
    fn wrapped_pids_restart_at_reserved_pids() {
        let mut ns = PidNs::new(0, None);
        ns.next = PID_MAX;
        ns.idr.insert(300, 0);
        assert_eq!(ns.next_free(), Some(301));
        ns.next = 200;
        assert_eq!(ns.next_free(), Some(200));
    }

    #[test]
    fn a_full_namespace_has_no_free_pid() {
        let mut ns = PidNs::new(0, None);
        for pid in 1..PID_MAX {
            ns.idr.insert(pid, 0);
        }
        ns.next = 5;
        assert_eq!(ns.next_free(), None);
    }
}
