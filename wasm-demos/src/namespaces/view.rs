//! What a process sees through `/proc`: `ps` and the `/proc/<pid>/` files, rendered for the
//! reader (pids in the pid namespace of the reader's `/proc` mount, ids in the reader's user
//! namespace, cgroup paths relative to the reader's cgroup namespace).

use super::error::sys;
use super::nsproxy::cgroup_relative;
use super::user::MapKind;
use super::{Errno, NamespaceKind, NamespacesSim, NsError, ProcFile, ProcId, ProcState, PsEntry};

impl NamespacesSim {
    /// `ps -e`: the processes of the pid namespace the caller's `/proc` shows (not
    /// necessarily its own: before `mount -t proc` in a new pid namespace it is the host's),
    /// by pid, with pids and ppids of that namespace.
    pub(crate) fn ps(&self, actor: &str) -> Result<Vec<PsEntry>, NsError> {
        let id = self.live(actor)?;
        let ns = self.proc_pid_ns(id)?;
        Ok(self.ps_in(ns))
    }

    /// The `ps` listing of pid namespace `ns`.
    pub fn ps_in(&self, ns: super::NsId) -> Vec<PsEntry> {
        let Some(p) = self.pid_ns(ns) else { return Vec::new() };
        p.idr
            .iter()
            .filter_map(|(&pid, &proc_id)| {
                let pr = self.proc(proc_id)?;
                Some(PsEntry {
                    pid,
                    ppid: self.ppid_in(pr, ns),
                    stat: pr.state.letter(),
                    cmd: if pr.state == ProcState::Zombie {
                        format!("[{}] <defunct>", pr.comm)
                    } else {
                        pr.comm.clone()
                    },
                    label: pr.label.clone(),
                })
            })
            .collect()
    }

    /// `lsns`: one line per namespace used by a live process visible through the caller's
    /// `/proc`, sorted by inode then type, as `NS TYPE NPROCS PID COMMAND` with the lowest pid
    /// (in that `/proc`'s pid namespace) of its processes and that process's command. A
    /// process counts for its active pid namespace and its own time namespace, as
    /// `/proc/<pid>/ns/{pid,time}` show.
    pub(crate) fn lsns(&self, actor: &str) -> Result<Vec<String>, NsError> {
        let id = self.live(actor)?;
        let proc_ns = self.proc_pid_ns(id)?;
        let mut rows: crate::vec_map::VecMap<(u32, &'static str), (usize, u32, String)> =
            crate::vec_map::VecMap::new();
        for (&pid, &pid_id) in self.pid_ns(proc_ns).map(|p| &p.idr).into_iter().flatten() {
            let Some(p) = self.proc(pid_id) else { continue };
            let Some(n) = p.nsproxy else { continue };
            for (kind, ns) in [
                (NamespaceKind::Cgroup, n.cgroup),
                (NamespaceKind::Ipc, n.ipc),
                (NamespaceKind::Mount, n.mnt),
                (NamespaceKind::Net, n.net),
                (NamespaceKind::Pid, p.pid_ns()),
                (NamespaceKind::Time, n.time),
                (NamespaceKind::User, p.cred.user_ns),
                (NamespaceKind::Uts, n.uts),
            ] {
                let row = rows.entry((self.ns_inode(ns), kind.proc_name())).or_insert((
                    0,
                    pid,
                    p.comm.clone(),
                ));
                row.0 += 1;
            }
        }
        let mut out = vec!["        NS TYPE   NPROCS   PID COMMAND".to_owned()];
        out.extend(rows.into_iter().map(|((inode, kind), (n, pid, comm))| {
            format!("{inode:>10} {kind:<6} {n:>6} {pid:>5} {comm}")
        }));
        Ok(out)
    }

    /// Reads `/proc/<target>/<file>` through the caller's `/proc`: ENOENT if the target has no
    /// pid in that `/proc`'s pid namespace.
    pub(crate) fn read_proc(
        &self,
        actor: &str,
        target: Option<&str>,
        file: ProcFile,
    ) -> Result<Vec<String>, NsError> {
        let id = self.live(actor)?;
        let t = match target {
            Some(t) => *self.labels.get(t).ok_or_else(|| NsError::UnknownProcess(t.to_owned()))?,
            None => id,
        };
        let proc_ns = self.proc_pid_ns(id)?;
        let tp = self.proc(t).ok_or_else(|| sys(Errno::ENOENT, "no such process"))?;
        let Some(pid) = tp.pid_in(proc_ns) else {
            return Err(sys(
                Errno::ENOENT,
                format!("`{}` has no pid in the pid namespace of this /proc", tp.label),
            ));
        };
        let reader = self.cred(id)?;
        let live_ns = || tp.nsproxy.ok_or_else(|| sys(Errno::ENOENT, "the process has exited"));
        Ok(match file {
            ProcFile::Status => {
                let uid = self.id_munged(reader.user_ns, tp.cred.kuid, MapKind::Uid);
                let gid = self.id_munged(reader.user_ns, tp.cred.kgid, MapKind::Gid);
                let state = match tp.state {
                    ProcState::Running => "S (sleeping)",
                    ProcState::Stopped => "T (stopped)",
                    ProcState::Zombie => "Z (zombie)",
                    ProcState::Exiting => "S (sleeping)",
                };
                let level = self.pid_ns(proc_ns).map_or(0, |p| p.level) as usize;
                let nspid: Vec<String> =
                    tp.pids.iter().skip(level).map(|(_, p)| p.to_string()).collect();
                let nspid = nspid.join("\t");
                vec![
                    format!("Name:\t{}", tp.comm),
                    format!("State:\t{state}"),
                    format!("Tgid:\t{pid}"),
                    format!("Pid:\t{pid}"),
                    format!("PPid:\t{}", self.ppid_in(tp, proc_ns)),
                    format!("Uid:\t{uid}\t{uid}\t{uid}\t{uid}"),
                    format!("Gid:\t{gid}\t{gid}\t{gid}\t{gid}"),
                    format!("NStgid:\t{nspid}"),
                    format!("NSpid:\t{nspid}"),
                    format!("CapInh:\t{}", super::CapSet::EMPTY.hex()),
                    format!("CapPrm:\t{}", tp.cred.permitted.hex()),
                    format!("CapEff:\t{}", tp.cred.effective.hex()),
                    format!("CapBnd:\t{}", tp.cred.bounding.hex()),
                    format!("CapAmb:\t{}", super::CapSet::EMPTY.hex()),
                ]
            }
            ProcFile::Cgroup => {
                let root = self.cgroup_root(id)?;
                vec![format!("0::{}", cgroup_relative(&root, &tp.cgroup))]
            }
            ProcFile::UidMap | ProcFile::GidMap => {
                let kind = if file == ProcFile::UidMap { MapKind::Uid } else { MapKind::Gid };
                self.map_lines(id, t, kind)
            }
            ProcFile::Setgroups => {
                let allowed = self.user_ns(tp.cred.user_ns).is_none_or(|u| u.setgroups_allowed);
                vec![if allowed { "allow" } else { "deny" }.to_owned()]
            }
            ProcFile::Mountinfo => self.mountinfo(live_ns()?.mnt),
            ProcFile::TimensOffsets => {
                let (mono, boot) = self.time_offsets(live_ns()?.time_for_children);
                let fmt = |name: &str, ns: i64| {
                    format!(
                        "{name:<10} {:>10} {:>9}",
                        ns.div_euclid(1_000_000_000),
                        ns.rem_euclid(1_000_000_000)
                    )
                };
                vec![fmt("monotonic", mono), fmt("boottime", boot)]
            }
            ProcFile::Ns => self.ns_links(t)?,
        })
    }

    /// `uid_map`/`gid_map` as the reader sees them (`uid_m_show`): the outside column is
    /// translated into the reader's user namespace, or into the parent if the reader is
    /// inside; an id with no mapping there prints as 4294967295.
    fn map_lines(&self, reader: ProcId, target: ProcId, kind: MapKind) -> Vec<String> {
        let (Ok(rc), Ok(tc)) = (self.cred(reader), self.cred(target)) else { return Vec::new() };
        let Some(u) = self.user_ns(tc.user_ns) else { return Vec::new() };
        let Some(parent) = u.parent else {
            return vec![format!("{:>10} {:>10} {:>10}", 0, 0, u32::MAX)];
        };
        let lower_ns = if rc.user_ns == tc.user_ns { parent } else { rc.user_ns };
        let map = if kind == MapKind::Uid { &u.uid_map } else { &u.gid_map };
        map.iter()
            .map(|e| {
                let lower = self
                    .kid_of(parent, e.lower_first, kind)
                    .and_then(|k| self.id_in_ns(lower_ns, k, kind))
                    .unwrap_or(u32::MAX);
                format!("{:>10} {:>10} {:>10}", e.first, lower, e.count)
            })
            .collect()
    }

    /// `ls -l /proc/<pid>/ns`: `kind -> kind:[inode]` (a zombie keeps only pid and user).
    pub(crate) fn ns_links(&self, t: ProcId) -> Result<Vec<String>, NsError> {
        let tp = self.proc(t).ok_or_else(|| sys(Errno::ENOENT, "no such process"))?;
        let mut out = Vec::new();
        let link = |name: &str, kind: NamespaceKind, ns| {
            format!("{name} -> {}:[{}]", kind.proc_name(), self.ns_inode(ns))
        };
        match tp.nsproxy {
            Some(n) => {
                out.push(link("cgroup", NamespaceKind::Cgroup, n.cgroup));
                out.push(link("ipc", NamespaceKind::Ipc, n.ipc));
                out.push(link("mnt", NamespaceKind::Mount, n.mnt));
                out.push(link("net", NamespaceKind::Net, n.net));
                out.push(link("pid", NamespaceKind::Pid, tp.pid_ns()));
                out.push(link("pid_for_children", NamespaceKind::Pid, n.pid_for_children));
                out.push(link("time", NamespaceKind::Time, n.time));
                out.push(link("time_for_children", NamespaceKind::Time, n.time_for_children));
                out.push(link("user", NamespaceKind::User, tp.cred.user_ns));
                out.push(link("uts", NamespaceKind::Uts, n.uts));
            }
            None => {
                out.push(link("pid", NamespaceKind::Pid, tp.pid_ns()));
                out.push(link("user", NamespaceKind::User, tp.cred.user_ns));
            }
        }
        Ok(out)
    }
}
