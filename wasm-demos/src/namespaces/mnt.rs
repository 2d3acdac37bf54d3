//! Mount namespaces and propagation (mount_namespaces(7), `fs/namespace.c`, `fs/pnode.c`,
//! `Documentation/filesystems/sharedsubtree.rst`).

use super::error::sys;
use super::{
    Capability, Errno, MAX_MOUNTS, MAX_NAME_LEN, NamespaceKind, NamespacesSim, NsData, NsError,
    NsId, ProcId,
};
use crate::scenario::from_json::from_json_unit_enum;

/// The first mount id this model allocates (lower ids stand for the kernel's internal mounts);
/// ids are lowest-free, as `mnt_alloc_id`'s IDA.
const FIRST_MOUNT_ID: u32 = 21;

/// A mount's propagation type (`mount --make-*`), or, for unshare(1), `unchanged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// `MS_SHARED`: a member of a peer group; mounts under it propagate to the peers.
    Shared,
    /// `MS_PRIVATE`: neither sends nor receives.
    Private,
    /// `MS_SLAVE`: receives from its master peer group, sends nothing back.
    Slave,
    /// `MS_UNBINDABLE`: private, and cannot be the source of a bind mount.
    Unbindable,
    /// unshare(1) `--propagation unchanged`: leave the copied types as they are.
    Unchanged,
}
from_json_unit_enum!(Propagation {
    "shared" => Shared,
    "private" => Private,
    "slave" => Slave,
    "unbindable" => Unbindable,
    "unchanged" => Unchanged,
});

/// One mount (`struct mount`, reduced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Mount id (mountinfo field 1).
    pub id: u32,
    /// The mount it is attached to; `None` for the namespace's root.
    pub parent: Option<u32>,
    /// Mount point, as seen from the namespace's root.
    pub path: String,
    /// Path inside the filesystem that is mounted here (a bind mount's source directory).
    pub root: String,
    /// Filesystem type.
    pub fstype: String,
    /// Source (device or name).
    pub source: String,
    /// Peer group if shared (`shared:N`).
    pub shared: Option<u32>,
    /// Master peer group if a slave (`master:N`).
    pub master: Option<u32>,
    /// `MS_UNBINDABLE`.
    pub unbindable: bool,
    /// `MNT_LOCKED`: copied into a mount namespace owned by a less privileged user namespace
    /// (`lock_mnt_tree`), so it cannot be unmounted there to reveal what it covers.
    pub locked: bool,
    /// For `proc`: the pid namespace whose processes it shows (the mounter's active one).
    pub pid_ns: Option<NsId>,
    /// For an `nsfs` bind mount: the namespace it keeps alive.
    pub ns_ref: Option<NsId>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct MntNs {
    pub(crate) mounts: Vec<Mount>,
    /// The id of the namespace's top mount (`mnt_ns->root`), the `rootfs` that `/` is
    /// mounted on: hidden from mountinfo (it is outside every process's root) but shown as
    /// the parent id of the root line. The initial namespace's is the kernel's first mount,
    /// id 1; `copy_tree` clones it first, so each new namespace spends an id on it.
    pub(crate) rootfs: u32,
}

/// The mount id of the initial namespace's `rootfs` (the kernel's first mount).
pub(crate) const INIT_ROOTFS_ID: u32 = 1;

fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").collect()
}

/// Normalises an absolute path; EINVAL for relative paths or `..`.
fn normalise(path: &str) -> Result<String, NsError> {
    if !path.starts_with('/') || path.len() > MAX_NAME_LEN {
        return Err(sys(
            Errno::EINVAL,
            format!("`{path}` is not an absolute path of at most {MAX_NAME_LEN} bytes"),
        ));
    }
    let parts = components(path);
    if parts.contains(&"..") {
        return Err(sys(Errno::EINVAL, format!("`{path}`: `..` is not modelled")));
    }
    Ok(format!("/{}", parts.join("/")))
}

/// `path` relative to `base` (`Some("")` when equal), if it lies under it.
fn relative<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    if base == "/" {
        return Some(path.trim_start_matches('/'));
    }
    let rest = path.strip_prefix(base)?;
    if rest.is_empty() { Some("") } else { rest.strip_prefix('/') }
}

fn join(base: &str, rel: &str) -> String {
    match (base, rel) {
        (b, "") => b.to_owned(),
        ("/", r) => format!("/{r}"),
        (b, r) => format!("{b}/{r}"),
    }
}

impl NamespacesSim {
    pub(crate) fn mnt_ns(&self, id: NsId) -> Option<&MntNs> {
        match self.ns(id).map(|n| &n.data) {
            Some(NsData::Mount(m)) => Some(m),
            _ => None,
        }
    }

    fn mnt_ns_mut(&mut self, id: NsId) -> Option<&mut MntNs> {
        match self.ns_mut(id).map(|n| &mut n.data) {
            Some(NsData::Mount(m)) => Some(m),
            _ => None,
        }
    }

    /// The mounts of a mount namespace, in mount order (as `/proc/<pid>/mountinfo`).
    pub fn mounts(&self, ns: NsId) -> &[Mount] {
        self.mnt_ns(ns).map_or(&[], |m| m.mounts.as_slice())
    }

    fn alloc_mount_id(&mut self) -> u32 {
        let mut id = FIRST_MOUNT_ID;
        for &used in self.mount_ids.range(FIRST_MOUNT_ID..) {
            if used != id {
                break;
            }
            id = id.saturating_add(1);
        }
        self.mount_ids.insert(id);
        self.mount_count += 1;
        id
    }

    fn alloc_group_id(&mut self) -> u32 {
        let mut id = 1;
        for &used in &self.group_ids {
            if used != id {
                break;
            }
            id = id.saturating_add(1);
        }
        self.group_ids.insert(id);
        id
    }

    fn all_mounts(&self) -> impl Iterator<Item = (NsId, &Mount)> + '_ {
        self.namespaces.iter().enumerate().flat_map(|(id, n)| match n.as_ref().map(|n| &n.data) {
            Some(NsData::Mount(m)) => m.mounts.iter().map(move |mnt| (id, mnt)).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    }

    /// Frees a peer group id nobody uses any more (`mnt_release_group_id`).
    fn gc_group(&mut self, group: Option<u32>) {
        let Some(g) = group else { return };
        if !self.all_mounts().any(|(_, m)| m.shared == Some(g) || m.master == Some(g)) {
            self.group_ids.remove(&g);
        }
    }

    /// `do_make_slave` for a mount that has left peer group `g`: if no peer is left, the
    /// group's slaves move to the departed mount's own master (`to`), or become free of any
    /// master if it had none (a slave never points at a peer group that no longer exists).
    fn reassign_slaves(&mut self, g: u32, to: Option<u32>) {
        if self.all_mounts().any(|(_, o)| o.shared == Some(g)) {
            return;
        }
        for n in self.namespaces.iter_mut().flatten() {
            if let NsData::Mount(mnt) = &mut n.data {
                for m in mnt.mounts.iter_mut().filter(|m| m.master == Some(g)) {
                    m.master = to;
                }
            }
        }
    }

    /// Frees a mount's id; returns the namespaces its references pointed to (to be put). An
    /// unmounted mount is made private first (`umount_tree` → `change_mnt_propagation`), so
    /// if it was the last of its peer group, that group's slaves move to its master.
    pub(crate) fn release_mount(&mut self, m: &Mount) -> Vec<NsId> {
        self.mount_ids.remove(&m.id);
        self.mount_count = self.mount_count.saturating_sub(1);
        if let Some(g) = m.shared {
            self.reassign_slaves(g, m.master);
        }
        self.gc_group(m.shared);
        self.gc_group(m.master);
        m.pid_ns.into_iter().chain(m.ns_ref).collect()
    }

    pub(crate) fn boot_mounts(&mut self, mnt: NsId, pid: NsId) -> Result<(), NsError> {
        let table = [
            ("/", "/dev/sda1", "ext4"),
            ("/dev", "devtmpfs", "devtmpfs"),
            ("/proc", "proc", "proc"),
            ("/sys", "sysfs", "sysfs"),
            ("/sys/fs/cgroup", "cgroup2", "cgroup2"),
            ("/run", "tmpfs", "tmpfs"),
        ];
        let mut mounts = Vec::new();
        for (path, source, fstype) in table {
            let id = self.alloc_mount_id();
            let group = self.alloc_group_id();
            let parent = mounts
                .iter()
                .filter(|m: &&Mount| relative(path, &m.path).is_some())
                .max_by_key(|m| components(&m.path).len())
                .map(|m| m.id);
            let pid_ns = (fstype == "proc").then_some(pid);
            mounts.push(Mount {
                id,
                parent,
                path: path.to_owned(),
                root: "/".to_owned(),
                fstype: fstype.to_owned(),
                source: source.to_owned(),
                shared: Some(group),
                master: None,
                unbindable: false,
                locked: false,
                pid_ns,
                ns_ref: None,
            });
        }
        self.get_ns(pid);
        if let Some(m) = self.mnt_ns_mut(mnt) {
            m.mounts = mounts;
            m.rootfs = INIT_ROOTFS_ID;
        }
        Ok(())
    }

    /// `copy_mnt_ns` → `copy_tree`: every mount is cloned with a new id; a shared mount's copy
    /// joins the same peer group and a slave's copy has the same master (`clone_mnt`), except
    /// that a namespace owned by a different user namespace gets `CL_SHARED_TO_SLAVE` (copies
    /// of shared mounts become slaves of the originals' peer group) and every copy is
    /// `MNT_LOCKED` (`lock_mnt_tree`, the root included as in 6.6). `copy_tree` starts at the
    /// namespace's top mount (the hidden `rootfs`, which takes the first new id) and walks the
    /// tree depth first (`next_mnt`), children in the order they were attached; the new
    /// namespace's mount list (mountinfo order) and ids follow that walk, not the old list.
    pub(crate) fn copy_mnt_ns(&mut self, old: NsId, shared_to_slave: bool) -> MntNs {
        let old_mounts = self.mounts(old).to_vec();
        let rootfs = self.alloc_mount_id();
        // Depth-first preorder from the namespace root, children in list (attach) order.
        let mut order: Vec<usize> = Vec::with_capacity(old_mounts.len());
        let mut stack: Vec<usize> = old_mounts
            .iter()
            .enumerate()
            .filter(|(_, m)| m.parent.is_none())
            .map(|(i, _)| i)
            .rev()
            .collect();
        let mut seen = vec![false; old_mounts.len()];
        while let Some(i) = stack.pop() {
            if seen.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(s) = seen.get_mut(i) {
                *s = true;
            }
            order.push(i);
            let Some(m) = old_mounts.get(i) else { continue };
            let children: Vec<usize> = old_mounts
                .iter()
                .enumerate()
                .filter(|(_, c)| c.parent == Some(m.id))
                .map(|(j, _)| j)
                .collect();
            stack.extend(children.into_iter().rev());
        }
        order.extend((0..old_mounts.len()).filter(|&i| !seen.get(i).copied().unwrap_or(true)));
        let mut map = crate::vec_map::VecMap::new();
        let mut mounts = Vec::new();
        for m in order.into_iter().filter_map(|i| old_mounts.get(i).cloned()) {
            let id = self.alloc_mount_id();
            map.insert(m.id, id);
            let (shared, master) = match (shared_to_slave, m.shared) {
                (true, Some(g)) => (None, Some(g)),
                _ => (m.shared, m.master),
            };
            for ns in m.pid_ns.into_iter().chain(m.ns_ref) {
                self.get_ns(ns);
            }
            let locked = m.locked || shared_to_slave;
            mounts.push(Mount { id, shared, master, locked, ..m });
        }
        for m in &mut mounts {
            m.parent = m.parent.and_then(|p| map.get(&p).copied());
        }
        MntNs { mounts, rootfs }
    }

    /// Frees the id of a dead namespace's hidden `rootfs` copy.
    pub(crate) fn release_rootfs(&mut self, rootfs: u32) {
        if rootfs >= FIRST_MOUNT_ID && self.mount_ids.remove(&rootfs) {
            self.mount_count = self.mount_count.saturating_sub(1);
        }
    }

    fn caller_mnt(&self, id: ProcId, what: &str) -> Result<NsId, NsError> {
        let mnt = self.nsproxy(id)?.mnt;
        self.require_cap_over(&self.cred(id)?, mnt, Capability::SYS_ADMIN, what)?;
        Ok(mnt)
    }

    /// The index of the mount `path` resolves to: the last-mounted among the longest
    /// mount-point prefixes.
    fn covering(&self, ns: NsId, path: &str) -> Option<usize> {
        let mounts = self.mounts(ns);
        let mut best: Option<(usize, usize)> = None;
        for (i, m) in mounts.iter().enumerate() {
            if relative(path, &m.path).is_some() {
                let depth = components(&m.path).len();
                if best.is_none_or(|(d, _)| depth >= d) {
                    best = Some((depth, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// The topmost mount whose mount point is exactly `path` (EINVAL if none).
    fn mount_at(&self, ns: NsId, path: &str) -> Result<usize, NsError> {
        self.covering(ns, path)
            .filter(|&i| self.mounts(ns).get(i).is_some_and(|m| m.path == path))
            .ok_or_else(|| sys(Errno::EINVAL, format!("`{path}` is not a mount point")))
    }

    fn check_mount_room(&self, extra: usize) -> Result<(), NsError> {
        if self.mount_count.saturating_add(extra) > MAX_MOUNTS {
            return Err(NsError::Limit { what: "mounts", max: MAX_MOUNTS });
        }
        Ok(())
    }

    /// Attaches `template` at `path` under the mount at index `dest` of `ns`, and propagates
    /// it (`attach_recursive_mnt`, `propagate_mnt`): a bind mount of a shared mount is a peer
    /// of its source (same group) and a bind of a slave has the same master, wherever it is
    /// attached; if the destination is shared, a new mount is shared in a new peer group, each peer of the destination gets a copy in that
    /// group, and each slave of the destination's group gets a copy that is a slave of it
    /// (itself shared in a further new group if that slave is shared, whose peers then get
    /// copies too).
    fn attach(&mut self, ns: NsId, dest: usize, path: &str, template: Mount) {
        let Some(d) = self.mounts(ns).get(dest).cloned() else { return };
        let rel = relative(path, &d.path).unwrap_or("").to_owned();
        // A bind copy keeps its source's peer group and master (`clone_mnt` without flags);
        // under a shared destination a mount without a group gets a new one
        // (`invent_group_ids`).
        let new_group = match (template.shared, d.shared) {
            (Some(g), _) => Some(g),
            (None, Some(_)) => Some(self.alloc_group_id()),
            (None, None) => None,
        };
        let mut m = template;
        m.id = self.alloc_mount_id();
        m.parent = Some(d.id);
        m.path = path.to_owned();
        m.shared = new_group;
        self.push_mount(ns, m.clone());
        if let (Some(g), Some(ng)) = (d.shared, new_group) {
            let mut visited = vec![g];
            self.propagate(g, d.id, ng, &rel, &m, &mut visited);
        }
    }

    fn push_mount(&mut self, ns: NsId, m: Mount) {
        for r in m.pid_ns.into_iter().chain(m.ns_ref) {
            self.get_ns(r);
        }
        if let Some(t) = self.mnt_ns_mut(ns) {
            t.mounts.push(m);
        }
    }

    fn propagate(
        &mut self,
        group: u32,
        skip: u32,
        new_group: u32,
        rel: &str,
        tpl: &Mount,
        visited: &mut Vec<u32>,
    ) {
        let targets: Vec<(NsId, Mount)> = self
            .all_mounts()
            .filter(|(_, m)| m.id != skip && (m.shared == Some(group) || m.master == Some(group)))
            .map(|(ns, m)| (ns, m.clone()))
            .collect();
        for (ns, t) in targets {
            if self.mount_count >= MAX_MOUNTS {
                return;
            }
            let mut copy = tpl.clone();
            copy.id = self.alloc_mount_id();
            copy.parent = Some(t.id);
            copy.path = join(&t.path, rel);
            if t.shared == Some(group) {
                copy.shared = Some(new_group);
                copy.master = tpl.master;
                self.push_mount(ns, copy);
            } else {
                copy.master = Some(new_group);
                copy.shared = None;
                match t.shared {
                    Some(g2) if !visited.contains(&g2) => {
                        visited.push(g2);
                        let ng2 = self.alloc_group_id();
                        copy.shared = Some(ng2);
                        let c = copy.clone();
                        self.push_mount(ns, copy);
                        self.propagate(g2, t.id, ng2, rel, &c, visited);
                    }
                    Some(_) => {}
                    None => self.push_mount(ns, copy),
                }
            }
        }
    }

    /// mount(2). `proc` shows the mounter's active pid namespace and needs CAP_SYS_ADMIN in
    /// that namespace's owner; in a mount namespace not owned by the initial user namespace
    /// only `FS_USERNS_MOUNT` types (proc, tmpfs, sysfs, cgroup2, mqueue, devpts) and bind
    /// mounts are allowed (EPERM); a bind mount's source must not be unbindable (EINVAL).
    pub(crate) fn mount(
        &mut self,
        actor: &str,
        fstype: Option<&str>,
        source: &str,
        target: &str,
        bind: bool,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let target = normalise(target)?;
        Self::check_name("a mount source", source)?;
        let ns = self.caller_mnt(id, "mount")?;
        self.check_mount_room(1)?;
        let dest = self.covering(ns, &target).ok_or_else(|| sys(Errno::ENOENT, "no root mount"))?;
        let template = if bind {
            let src_path = normalise(source)?;
            let s = self.covering(ns, &src_path).and_then(|i| self.mounts(ns).get(i).cloned());
            let s = s.ok_or_else(|| sys(Errno::ENOENT, "no mount under the source"))?;
            if s.unbindable {
                return Err(sys(Errno::EINVAL, format!("`{}` is unbindable", s.path)));
            }
            // `has_locked_children`: a non-recursive bind would reveal what they cover.
            if self.mounts(ns).iter().any(|c| {
                c.locked && c.parent == Some(s.id) && relative(&c.path, &src_path).is_some()
            }) {
                return Err(sys(
                    Errno::EINVAL,
                    format!("`{src_path}` has locked mounts under it (MNT_LOCKED)"),
                ));
            }
            let rel = relative(&src_path, &s.path).unwrap_or("");
            Mount { root: join(&s.root, rel), ..s }
        } else {
            let fstype = fstype.ok_or_else(|| {
                sys(Errno::EINVAL, "a mount needs `fstype` unless it is a bind mount")
            })?;
            Self::check_name("an fstype", fstype)?;
            // `mount_capable`: a type without FS_USERNS_MOUNT needs CAP_SYS_ADMIN in the
            // initial user namespace (`capable`); the others need it over `fc->user_ns`, the
            // owner of the namespace the filesystem shows (proc: the active pid namespace,
            // sysfs: the net namespace, mqueue: the ipc namespace, cgroup2: the cgroup
            // namespace; tmpfs and devpts: the caller's own user namespace).
            let userns_ok =
                matches!(fstype, "proc" | "tmpfs" | "sysfs" | "cgroup2" | "mqueue" | "devpts");
            let cred = self.cred(id)?;
            let init_user = self.init_namespace(NamespaceKind::User).unwrap_or(0);
            if !userns_ok && !self.ns_capable(&cred, init_user, Capability::SYS_ADMIN) {
                return Err(sys(
                    Errno::EPERM,
                    format!(
                        "{fstype} cannot be mounted from a non-initial user namespace (no FS_USERNS_MOUNT)"
                    ),
                ));
            }
            let nsproxy = self.nsproxy(id)?;
            let shown = match fstype {
                "sysfs" => Some((nsproxy.net, "mounting sysfs")),
                "mqueue" => Some((nsproxy.ipc, "mounting mqueue")),
                "cgroup2" => Some((nsproxy.cgroup, "mounting cgroup2")),
                _ => None,
            };
            if let Some((owner_of, what)) = shown {
                self.require_cap_over(&cred, owner_of, Capability::SYS_ADMIN, what)?;
            }
            let pid_ns = if fstype == "proc" {
                let p = self.proc(id).map_or(0, |p| p.pid_ns());
                self.require_cap_over(&cred, p, Capability::SYS_ADMIN, "mounting proc")?;
                Some(p)
            } else {
                None
            };
            Mount {
                id: 0,
                parent: None,
                path: String::new(),
                root: "/".to_owned(),
                fstype: fstype.to_owned(),
                source: source.to_owned(),
                shared: None,
                master: None,
                unbindable: false,
                locked: false,
                pid_ns,
                ns_ref: None,
            }
        };
        self.attach(ns, dest, &target, Mount { unbindable: false, locked: false, ..template });
        Ok(())
    }

    pub(crate) fn mount_nsfs(
        &mut self,
        id: ProcId,
        target_ns: NsId,
        path: &str,
    ) -> Result<(), NsError> {
        let path = normalise(path)?;
        let ns = self.caller_mnt(id, "mount --bind of an ns file")?;
        self.check_mount_room(1)?;
        let dest = self.covering(ns, &path).ok_or_else(|| sys(Errno::ENOENT, "no root mount"))?;
        let (kind, inode) = self.ns(target_ns).map_or(("?", 0), |n| (n.kind.proc_name(), n.inode));
        let m = Mount {
            id: 0,
            parent: None,
            path: String::new(),
            root: format!("{kind}:[{inode}]"),
            fstype: "nsfs".to_owned(),
            source: "nsfs".to_owned(),
            shared: None,
            master: None,
            unbindable: false,
            locked: false,
            pid_ns: None,
            ns_ref: Some(target_ns),
        };
        self.attach(ns, dest, &path, m);
        Ok(())
    }

    /// The namespace an `nsfs` bind mount at `path` (in the caller's mount namespace) holds.
    pub(crate) fn nsfs_at(&self, id: ProcId, path: &str) -> Result<NsId, NsError> {
        let path = normalise(path)?;
        let ns = self.nsproxy(id)?.mnt;
        let i = self
            .mount_at(ns, &path)
            .map_err(|_| sys(Errno::EINVAL, format!("`{path}` is not an ns file")))?;
        self.mounts(ns)
            .get(i)
            .and_then(|m| m.ns_ref)
            .ok_or_else(|| sys(Errno::EINVAL, format!("`{path}` is not an ns file")))
    }

    /// The mounts that receive propagation from peer group `group`: its peers other than
    /// `skip`, its slaves, and recursively the peers and slaves of slaves that are shared.
    fn receivers(&self, group: u32, skip: u32) -> Vec<(NsId, Mount)> {
        let mut out: Vec<(NsId, Mount)> = Vec::new();
        let mut groups = vec![group];
        let mut k = 0;
        while let Some(&g) = groups.get(k) {
            for (ns, m) in self.all_mounts() {
                if m.id == skip || out.iter().any(|(_, o)| o.id == m.id) {
                    continue;
                }
                if m.shared == Some(g) || m.master == Some(g) {
                    if m.master == Some(g)
                        && let Some(g2) = m.shared
                        && !groups.contains(&g2)
                    {
                        groups.push(g2);
                    }
                    out.push((ns, m.clone()));
                }
            }
            k += 1;
        }
        out
    }

    /// umount2(2): EINVAL if `target` is not a mount point; EBUSY for the root (in use by
    /// every process of the namespace) or if mounts sit on it, unless `lazy` (`MNT_DETACH`), which detaches the whole subtree. The unmount
    /// propagates (`propagate_umount`): where the parent of an unmounted mount is shared, the
    /// mount at the same place under each receiving peer or slave goes too, if nothing else
    /// is mounted on it.
    pub(crate) fn umount(&mut self, actor: &str, target: &str, lazy: bool) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let target = normalise(target)?;
        let ns = self.caller_mnt(id, "umount")?;
        let i = self.mount_at(ns, &target)?;
        let mounts = self.mounts(ns).to_vec();
        let Some(m) = mounts.get(i) else { return Ok(()) };
        if m.locked {
            return Err(sys(
                Errno::EINVAL,
                format!(
                    "`{target}` is locked: it came from a more privileged mount namespace (MNT_LOCKED)"
                ),
            ));
        }
        if m.parent.is_none() {
            return Err(sys(Errno::EBUSY, "the root mount is in use"));
        }
        let mut doomed = vec![m.id];
        let mut k = 0;
        while let Some(&d) = doomed.get(k) {
            doomed.extend(mounts.iter().filter(|c| c.parent == Some(d)).map(|c| c.id));
            k += 1;
        }
        if doomed.len() > 1 && !lazy {
            return Err(sys(Errno::EBUSY, format!("`{target}` has mounts on it")));
        }
        let mut gone: Vec<(NsId, u32)> = doomed.iter().map(|&d| (ns, d)).collect();
        for &d in &doomed {
            let Some(dm) = mounts.iter().find(|x| x.id == d) else { continue };
            let Some(parent) = mounts.iter().find(|x| Some(x.id) == dm.parent) else { continue };
            let Some(g) = parent.shared else { continue };
            let rel = relative(&dm.path, &parent.path).unwrap_or("").to_owned();
            for (rns, r) in self.receivers(g, parent.id) {
                let path = join(&r.path, &rel);
                let copy = self
                    .mounts(rns)
                    .iter()
                    .rev()
                    .find(|c| c.parent == Some(r.id) && c.path == path);
                if let Some(c) = copy
                    && !gone.contains(&(rns, c.id))
                {
                    gone.push((rns, c.id));
                }
            }
        }
        // A propagated copy that has mounts of its own (not going too) stays.
        let busy = |sim: &Self, gone: &[(NsId, u32)], (n, mid): (NsId, u32)| {
            sim.mounts(n).iter().any(|c| c.parent == Some(mid) && !gone.contains(&(n, c.id)))
        };
        loop {
            let before = gone.len();
            let snapshot = gone.clone();
            gone.retain(|&(n, mid)| n == ns || !busy(self, &snapshot, (n, mid)));
            if gone.len() == before {
                break;
            }
        }
        let touched: Vec<NsId> = {
            let mut t: Vec<NsId> = gone.iter().map(|&(n, _)| n).collect();
            crate::sort::sort(&mut t);
            t.dedup();
            t
        };
        for n in touched {
            let all = self.mounts(n).to_vec();
            let (out, kept): (Vec<Mount>, Vec<Mount>) =
                all.into_iter().partition(|m| gone.contains(&(n, m.id)));
            if let Some(t) = self.mnt_ns_mut(n) {
                t.mounts = kept;
            }
            for m in out {
                for r in self.release_mount(&m) {
                    self.put_ns(r);
                }
            }
        }
        Ok(())
    }

    /// `mount --make-{shared,private,slave,unbindable}` (`change_mnt_propagation`): shared
    /// gives a non-shared mount a new peer group; slave makes a shared mount with peers a
    /// slave of its group (alone, it keeps its own master or becomes private); private and
    /// unbindable leave the peer group and the master. `recursive` applies it to the subtree.
    pub(crate) fn make(
        &mut self,
        actor: &str,
        target: &str,
        recursive: bool,
        prop: Propagation,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let target = normalise(target)?;
        let ns = self.caller_mnt(id, "changing mount propagation")?;
        let i = self.mount_at(ns, &target)?;
        if prop == Propagation::Unchanged {
            return Ok(());
        }
        let mounts = self.mounts(ns).to_vec();
        let top = mounts.get(i).map(|m| m.id).unwrap_or_default();
        let mut ids = vec![top];
        if recursive {
            let mut k = 0;
            while let Some(&d) = ids.get(k) {
                ids.extend(mounts.iter().filter(|c| c.parent == Some(d)).map(|c| c.id));
                k += 1;
            }
        }
        for mid in ids {
            let Some(m) = self.mounts(ns).iter().find(|m| m.id == mid).cloned() else { continue };
            let peers = m.shared.is_some_and(|g| {
                self.all_mounts().any(|(_, o)| o.id != m.id && o.shared == Some(g))
            });
            let (shared, master, unbindable) = match prop {
                Propagation::Shared => {
                    (Some(m.shared.unwrap_or_else(|| self.alloc_group_id())), m.master, false)
                }
                Propagation::Slave => match m.shared {
                    Some(g) if peers => (None, Some(g), false),
                    _ => (None, m.master, m.unbindable),
                },
                Propagation::Private => (None, None, false),
                Propagation::Unbindable => (None, None, true),
                Propagation::Unchanged => (m.shared, m.master, m.unbindable),
            };
            if let Some(t) = self.mnt_ns_mut(ns)
                && let Some(x) = t.mounts.iter_mut().find(|x| x.id == mid)
            {
                x.shared = shared;
                x.master = master;
                x.unbindable = unbindable;
            }
            if let Some(g) = m.shared.filter(|&g| shared != Some(g)) {
                self.reassign_slaves(g, m.master);
            }
            self.gc_group(m.shared);
            self.gc_group(m.master);
        }
        Ok(())
    }

    /// pivot_root(2), with the kernel's order of checks: EINVAL if the mount `put_old` is on
    /// or the parent of the mount `new_root` is on is shared (why util-linux's default
    /// `--propagation private` matters); EINVAL if the mount of `new_root` is `MNT_LOCKED`; EBUSY if either is on the current root mount (which
    /// includes a `new_root` that is a plain directory of the root filesystem: bind-mount it
    /// onto itself first); EINVAL if `new_root` is not a mount point or `put_old` is not under
    /// it. The new root becomes `/` and the old root is attached at `put_old`.
    pub(crate) fn pivot_root(
        &mut self,
        actor: &str,
        new_root: &str,
        put_old: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let new_root = normalise(new_root)?;
        let put_old = normalise(put_old)?;
        let ns = self.caller_mnt(id, "pivot_root")?;
        let mounts = self.mounts(ns).to_vec();
        let at = |path: &str| self.covering(ns, path).and_then(|i| mounts.get(i).cloned());
        let (Some(new_mnt), Some(old_mnt)) = (at(&new_root), at(&put_old)) else {
            return Err(sys(Errno::EINVAL, "no mount under new_root or put_old"));
        };
        let root_id = mounts.iter().find(|m| m.parent.is_none()).map(|m| m.id);
        let ex_parent_shared = mounts
            .iter()
            .find(|m| Some(m.id) == new_mnt.parent)
            .is_some_and(|p| p.shared.is_some());
        if old_mnt.shared.is_some() || ex_parent_shared {
            return Err(sys(
                Errno::EINVAL,
                "the mount of put_old or the parent of new_root is shared (make them private first)",
            ));
        }
        // `pivot_root` checks MNT_LOCKED before the EBUSY loop check, so in a namespace of
        // another user namespace a plain directory of the (locked) root is EINVAL.
        if new_mnt.locked {
            return Err(sys(Errno::EINVAL, "new_root is a locked mount (MNT_LOCKED)"));
        }
        if Some(new_mnt.id) == root_id || Some(old_mnt.id) == root_id {
            return Err(sys(Errno::EBUSY, "new_root or put_old is on the current root mount"));
        }
        if new_mnt.path != new_root {
            return Err(sys(Errno::EINVAL, "new_root is not a mount point"));
        }
        let root_locked = mounts.iter().any(|m| Some(m.id) == root_id && m.locked);
        let Some(put_rel) = relative(&put_old, &new_root) else {
            return Err(sys(Errno::EINVAL, "put_old is not underneath new_root"));
        };
        let put_path = join("/", put_rel);
        if let Some(t) = self.mnt_ns_mut(ns) {
            for m in &mut t.mounts {
                if let Some(rel) = relative(&m.path, &new_root) {
                    m.path = join("/", rel);
                } else {
                    let rel = m.path.trim_start_matches('/').to_owned();
                    m.path = join(&put_path, &rel);
                }
                // pivot_root moves the old root's lock onto the new root.
                if m.id == new_mnt.id {
                    m.parent = None;
                    m.locked |= root_locked;
                }
                if Some(m.id) == root_id {
                    m.parent = Some(old_mnt.id);
                    m.locked = false;
                }
            }
        }
        Ok(())
    }

    /// The pid namespace of the `proc` mounted at `/proc` in the caller's mount namespace.
    pub(crate) fn proc_pid_ns(&self, id: ProcId) -> Result<NsId, NsError> {
        let ns = self.nsproxy(id)?.mnt;
        let i = self
            .mount_at(ns, "/proc")
            .map_err(|_| sys(Errno::ENOENT, "no proc mounted at /proc"))?;
        self.mounts(ns)
            .get(i)
            .and_then(|m| m.pid_ns)
            .ok_or_else(|| sys(Errno::ENOENT, "the mount at /proc is not proc"))
    }

    /// `/proc/<pid>/mountinfo`, reduced: `id parent root mountpoint optional-fields - fstype source`.
    /// The root line's parent is the hidden `rootfs` the namespace root is mounted on.
    pub(crate) fn mountinfo(&self, ns: NsId) -> Vec<String> {
        let rootfs = self.mnt_ns(ns).map_or(INIT_ROOTFS_ID, |m| m.rootfs);
        self.mounts(ns)
            .iter()
            .map(|m| {
                let mut opt = Vec::new();
                if let Some(g) = m.shared {
                    opt.push(format!("shared:{g}"));
                }
                if let Some(g) = m.master {
                    opt.push(format!("master:{g}"));
                }
                if m.unbindable {
                    opt.push("unbindable".to_owned());
                }
                let opt =
                    if opt.is_empty() { String::new() } else { format!(" {}", opt.join(" ")) };
                format!(
                    "{} {} {} {}{} - {} {}",
                    m.id,
                    m.parent.unwrap_or(rootfs),
                    m.root,
                    m.path,
                    opt,
                    m.fstype,
                    m.source
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_compared_by_component() {
        assert_eq!(relative("/proc/self", "/proc"), Some("self"));
        assert_eq!(relative("/procfs", "/proc"), None);
        assert_eq!(relative("/proc", "/proc"), Some(""));
        assert_eq!(relative("/x", "/"), Some("x"));
        assert_eq!(join("/oldroot", "proc"), "/oldroot/proc");
        assert_eq!(join("/", ""), "/");
    }

    #[test]
    fn only_absolute_paths_without_dotdot() {
        assert_eq!(normalise("//a/./b/").unwrap(), "/a/b");
        assert_eq!(
            normalise("a").unwrap_err().to_string(),
            "EINVAL: `a` is not an absolute path of at most 256 bytes"
        );
        assert_eq!(
            normalise("/a/../b").unwrap_err().to_string(),
            "EINVAL: `/a/../b`: `..` is not modelled"
        );
    }
}
