//! IPC namespaces (ipc_namespaces(7), `ipc/util.c`, `ipc/mqueue.c`): SysV objects and POSIX
//! message queues, private to each namespace.

use super::error::sys;
use super::{Errno, NamespacesSim, NsData, NsError, NsId};
use crate::scenario::from_json::from_json_unit_enum;
use crate::vec_map::{VecMap, VecSet};

/// `IPCMNI_SHIFT`: an id is `seq << 15 | index`.
const IPCMNI_SHIFT: u32 = 15;
/// `IPCMNI`: indices are below 32768.
const IPCMNI: u32 = 1 << IPCMNI_SHIFT;
/// `ipcid_seq_max()` for the default `IPCMNI`: `INT_MAX >> 15`.
const IPCID_SEQ_MAX: u32 = (i32::MAX as u32) >> IPCMNI_SHIFT;
/// `ipc_min_cycle` without `ipcmni_extend`: `RADIX_TREE_MAP_SIZE`.
const IPC_MIN_CYCLE: u32 = 64;
/// Cap on POSIX message queues per namespace (a model cap).
const MAX_MQUEUES: usize = 4_096;

/// A SysV IPC object kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IpcKind {
    /// Shared memory segment (`ipcmk -M`).
    Shm,
    /// Message queue (`ipcmk -Q`).
    Msg,
    /// Semaphore set (`ipcmk -S`).
    Sem,
}
from_json_unit_enum!(IpcKind { "shm" => Shm, "msg" => Msg, "sem" => Sem });

impl IpcKind {
    /// The default limit of objects per namespace: `SHMMNI` 4096, `MSGMNI` and `SEMMNI` 32000
    /// (`shm_ctlmni`, `msg_ctlmni`, `sem_ctlmni`).
    fn limit(self) -> usize {
        match self {
            Self::Shm => 4_096,
            Self::Msg | Self::Sem => 32_000,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Shm => "shm",
            Self::Msg => "msg",
            Self::Sem => "sem",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct IpcIds {
    /// `ids->seq`.
    seq: u32,
    /// `ids->last_idx`, `None` for the kernel's -1.
    last_idx: Option<u32>,
    /// The cursor of `idr_alloc_cyclic`.
    next: u32,
    /// index → (id, key, creator's global uid).
    objects: VecMap<u32, (i32, i32, u32)>,
}

impl IpcIds {
    /// `ipc_idr_alloc` (Linux 5.2+): the index is `idr_alloc_cyclic(0, max_idx)` with
    /// `max_idx = min(max(in_use * 3/2, ipc_min_cycle), IPCMNI)`, and the sequence number only
    /// grows when the index wraps (`idx <= last_idx`), so a fresh namespace hands out ids 0, 1,
    /// 2, … The caller has checked the limit.
    fn alloc(&mut self) -> Option<(u32, i32)> {
        let in_use = u32::try_from(self.objects.len()).unwrap_or(u32::MAX);
        let max_idx = (in_use.saturating_mul(3) / 2).clamp(IPC_MIN_CYCLE, IPCMNI);
        let free_from = |from: u32| {
            let mut idx = from;
            for &used in self.objects.range(from..).map(|(k, _)| k) {
                if used != idx {
                    break;
                }
                idx += 1;
            }
            (idx < max_idx).then_some(idx)
        };
        let idx =
            free_from(self.next).or_else(|| if self.next > 0 { free_from(0) } else { None })?;
        self.next = idx + 1;
        if self.last_idx.is_some_and(|last| idx <= last) {
            self.seq = if self.seq + 1 >= IPCID_SEQ_MAX { 0 } else { self.seq + 1 };
        }
        self.last_idx = Some(idx);
        Some((idx, i32::try_from((self.seq << IPCMNI_SHIFT) + idx).unwrap_or(i32::MAX)))
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct IpcNs {
    ids: VecMap<IpcKind, IpcIds>,
    mqueues: VecSet<String>,
}

impl NamespacesSim {
    fn ipc_ns_of(&mut self, actor: &str) -> Result<NsId, NsError> {
        let id = self.live(actor)?;
        Ok(self.nsproxy(id)?.ipc)
    }

    fn ipc_mut(&mut self, ns: NsId) -> Option<&mut IpcNs> {
        match self.ns_mut(ns).map(|n| &mut n.data) {
            Some(NsData::Ipc(i)) => Some(i),
            _ => None,
        }
    }

    /// `ipcmk`: `shmget`/`msgget`/`semget(key, IPC_CREAT | IPC_EXCL)`; key 0 is IPC_PRIVATE.
    /// EEXIST for a key in use; ENOSPC at the kind's limit (`ipc_addid`); the id from
    /// [`IpcIds::alloc`].
    pub(crate) fn ipcmk(&mut self, actor: &str, kind: IpcKind, key: i32) -> Result<i32, NsError> {
        let uid = self.cred(self.live(actor)?)?.kuid;
        let ns = self.ipc_ns_of(actor)?;
        let ipc = self.ipc_mut(ns).ok_or_else(|| sys(Errno::EINVAL, "no ipc namespace"))?;
        let ids = ipc.ids.entry(kind).or_default();
        if key != 0 && ids.objects.values().any(|&(_, k, _)| k == key) {
            return Err(sys(Errno::EEXIST, format!("key {key:#x} exists (IPC_CREAT | IPC_EXCL)")));
        }
        if ids.objects.len() >= kind.limit() {
            return Err(sys(
                Errno::ENOSPC,
                format!("the namespace has {} {} objects, the limit", kind.limit(), kind.name()),
            ));
        }
        let (idx, id) = ids.alloc().ok_or_else(|| sys(Errno::ENOSPC, "no free ipc index"))?;
        ids.objects.insert(idx, (id, key, uid));
        Ok(id)
    }

    /// `ipcrm` (`IPC_RMID`): EINVAL for an id that does not exist in the caller's namespace;
    /// EPERM unless the caller created it or has CAP_SYS_ADMIN over the ipc namespace
    /// (`ipcctl_obtain_check`).
    pub(crate) fn ipcrm(&mut self, actor: &str, kind: IpcKind, id: i32) -> Result<(), NsError> {
        let cred = self.cred(self.live(actor)?)?;
        let ns = self.ipc_ns_of(actor)?;
        let admin =
            self.ns_capable(&cred, self.owner(ns).unwrap_or(ns), super::Capability::SYS_ADMIN);
        let ipc = self.ipc_mut(ns).ok_or_else(|| sys(Errno::EINVAL, "no ipc namespace"))?;
        let ids = ipc.ids.entry(kind).or_default();
        let found =
            ids.objects.iter().find(|(_, o)| o.0 == id).map(|(&idx, &(_, _, uid))| (idx, uid));
        let Some((idx, creator)) = found else {
            return Err(sys(Errno::EINVAL, format!("no {} object with id {id}", kind.name())));
        };
        if creator != cred.kuid && !admin {
            return Err(sys(
                Errno::EPERM,
                "only the creator or CAP_SYS_ADMIN over the ipc namespace may remove it",
            ));
        }
        ids.objects.remove(&idx);
        Ok(())
    }

    /// mq_open(3) with `O_CREAT | O_EXCL`: a name `/x` in the namespace's mqueue fs.
    pub(crate) fn mq_open(&mut self, actor: &str, name: &str) -> Result<(), NsError> {
        let ns = self.ipc_ns_of(actor)?;
        if !name.starts_with('/') || name.len() < 2 || name.len() > 255 || name[1..].contains('/') {
            return Err(sys(Errno::EINVAL, format!("`{name}` is not a queue name like /name")));
        }
        let ipc = self.ipc_mut(ns).ok_or_else(|| sys(Errno::EINVAL, "no ipc namespace"))?;
        if ipc.mqueues.len() >= MAX_MQUEUES {
            return Err(sys(Errno::ENOSPC, "too many queues"));
        }
        if !ipc.mqueues.insert(name.to_owned()) {
            return Err(sys(Errno::EEXIST, format!("queue {name} exists")));
        }
        Ok(())
    }

    /// `ipcs` and `ls /dev/mqueue` of the caller's namespace.
    pub(crate) fn ipcs(&mut self, actor: &str) -> Result<Vec<String>, NsError> {
        let ns = self.ipc_ns_of(actor)?;
        Ok(self.ipc_lines(ns))
    }

    pub(crate) fn ipc_lines(&self, ns: NsId) -> Vec<String> {
        let Some(NsData::Ipc(ipc)) = self.ns(ns).map(|n| &n.data) else { return Vec::new() };
        let mut out = Vec::new();
        for (kind, ids) in &ipc.ids {
            let name = match kind {
                IpcKind::Shm => "shm",
                IpcKind::Msg => "msg",
                IpcKind::Sem => "sem",
            };
            for &(id, key, _) in ids.objects.values() {
                out.push(format!("{name} key={key:#010x} id={id}"));
            }
        }
        out.extend(ipc.mqueues.iter().map(|q| format!("mqueue {q}")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::namespaces::NamespacesParams;

    #[test]
    fn sysv_ids_count_up_and_the_sequence_grows_when_the_index_wraps() {
        let mut sim = NamespacesSim::new(NamespacesParams::default()).unwrap();
        let ids: Vec<i32> = (0..3).map(|_| sim.ipcmk("init", IpcKind::Shm, 0).unwrap()).collect();
        assert_eq!(ids, vec![0, 1, 2]);
        assert_eq!(sim.ipcmk("init", IpcKind::Msg, 0x1234).unwrap(), 0);
        assert_eq!(
            sim.ipcmk("init", IpcKind::Msg, 0x1234).unwrap_err().to_string(),
            "EEXIST: key 0x1234 exists (IPC_CREAT | IPC_EXCL)"
        );
        // 64 objects fill the minimum cycle; removed, the next index wraps to 0: seq 1.
        let mut sim = NamespacesSim::new(NamespacesParams::default()).unwrap();
        let ids: Vec<i32> = (0..64).map(|_| sim.ipcmk("init", IpcKind::Sem, 0).unwrap()).collect();
        assert_eq!(ids.last(), Some(&63));
        for id in ids {
            sim.ipcrm("init", IpcKind::Sem, id).unwrap();
        }
        assert_eq!(sim.ipcmk("init", IpcKind::Sem, 0).unwrap(), 32_768);
        assert_eq!(sim.ipcmk("init", IpcKind::Sem, 0).unwrap(), 32_769);
        assert_eq!(
            sim.ipcrm("init", IpcKind::Sem, 5).unwrap_err().to_string(),
            "EINVAL: no sem object with id 5"
        );
        sim.mq_open("init", "/q").unwrap();
        assert_eq!(sim.mq_open("init", "/q").unwrap_err().to_string(), "EEXIST: queue /q exists");
        assert_eq!(
            sim.mq_open("init", "q").unwrap_err().to_string(),
            "EINVAL: `q` is not a queue name like /name"
        );
    }
}
