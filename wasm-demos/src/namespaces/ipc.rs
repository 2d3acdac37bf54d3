//! IPC namespaces (ipc_namespaces(7), `ipc/util.c`, `ipc/mqueue.c`): SysV objects and POSIX
//! message queues, private to each namespace.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::error::sys;
use super::{Errno, NamespacesSim, NsData, NsError, NsId};

/// `IPCMNI_SHIFT`: an id is `seq << 15 | index`.
const IPCMNI_SHIFT: u32 = 15;
/// `IPCID_SEQ_MAX` for the default `IPCMNI` (32768): `INT_MAX >> 15`.
const IPCID_SEQ_MAX: u32 = (i32::MAX as u32) >> IPCMNI_SHIFT;
/// The per-kind object cap of this model (the kernel's defaults are shmmni 4096,
/// msgmni and semmni 32000): ENOSPC beyond it, as `newseg`/`newque`/`newary` return.
const MAX_OBJECTS: usize = 4_096;

/// A SysV IPC object kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpcKind {
    /// Shared memory segment (`ipcmk -M`).
    Shm,
    /// Message queue (`ipcmk -Q`).
    Msg,
    /// Semaphore set (`ipcmk -S`).
    Sem,
}

#[derive(Debug, Clone, Default)]
struct IpcIds {
    /// `ids->seq`, the sequence counter.
    seq: u32,
    /// index → (id, key).
    objects: BTreeMap<u32, (i32, i32)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct IpcNs {
    ids: BTreeMap<IpcKind, IpcIds>,
    mqueues: BTreeSet<String>,
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
    /// The id is `ipc_addid`'s: the lowest free index plus the kind's sequence number
    /// shifted by 15 (so the first three shm ids of a namespace are 0, 32769, 65538).
    pub(crate) fn ipcmk(&mut self, actor: &str, kind: IpcKind, key: i32) -> Result<i32, NsError> {
        let ns = self.ipc_ns_of(actor)?;
        let ipc = self.ipc_mut(ns).ok_or_else(|| sys(Errno::EINVAL, "no ipc namespace"))?;
        let ids = ipc.ids.entry(kind).or_default();
        if key != 0 && ids.objects.values().any(|&(_, k)| k == key) {
            return Err(sys(Errno::EEXIST, format!("key {key:#x} exists (IPC_CREAT | IPC_EXCL)")));
        }
        if ids.objects.len() >= MAX_OBJECTS {
            return Err(sys(
                Errno::ENOSPC,
                "the namespace has no room for another object of this kind",
            ));
        }
        let mut idx = 0u32;
        for &used in ids.objects.keys() {
            if used != idx {
                break;
            }
            idx += 1;
        }
        let seq = ids.seq;
        ids.seq = if seq + 1 > IPCID_SEQ_MAX { 0 } else { seq + 1 };
        let id = i32::try_from((seq << IPCMNI_SHIFT) | idx).unwrap_or(i32::MAX);
        ids.objects.insert(idx, (id, key));
        Ok(id)
    }

    /// mq_open(3) with `O_CREAT | O_EXCL`: a name `/x` in the namespace's mqueue fs.
    pub(crate) fn mq_open(&mut self, actor: &str, name: &str) -> Result<(), NsError> {
        let ns = self.ipc_ns_of(actor)?;
        if !name.starts_with('/') || name.len() < 2 || name.len() > 255 || name[1..].contains('/') {
            return Err(sys(Errno::EINVAL, format!("`{name}` is not a queue name like /name")));
        }
        let ipc = self.ipc_mut(ns).ok_or_else(|| sys(Errno::EINVAL, "no ipc namespace"))?;
        if ipc.mqueues.len() >= MAX_OBJECTS {
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
            for &(id, key) in ids.objects.values() {
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
    fn sysv_ids_combine_the_sequence_and_the_index() {
        let mut sim = NamespacesSim::new(NamespacesParams::default()).unwrap();
        let ids: Vec<i32> = (0..3).map(|_| sim.ipcmk("init", IpcKind::Shm, 0).unwrap()).collect();
        assert_eq!(ids, vec![0, 32_769, 65_538]);
        assert_eq!(sim.ipcmk("init", IpcKind::Msg, 0x1234).unwrap(), 0);
        assert_eq!(
            sim.ipcmk("init", IpcKind::Msg, 0x1234).unwrap_err().to_string(),
            "EEXIST: key 0x1234 exists (IPC_CREAT | IPC_EXCL)"
        );
        sim.mq_open("init", "/q").unwrap();
        assert_eq!(sim.mq_open("init", "/q").unwrap_err().to_string(), "EEXIST: queue /q exists");
        assert_eq!(
            sim.mq_open("init", "q").unwrap_err().to_string(),
            "EINVAL: `q` is not a queue name like /name"
        );
    }
}
