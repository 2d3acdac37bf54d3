//! User namespaces (user_namespaces(7), `kernel/user_namespace.c`): id maps, the owner rule
//! of `cap_capable` and the capability rules of `execve` and `setresuid`.

use serde::Serialize;

use super::error::sys;
use super::{CapSet, Capability, Cred, Errno, NamespacesSim, NsError, NsId};

/// `__NEW_UTS_LEN`: the longest hostname or domainname.
pub(crate) const NEW_UTS_LEN: usize = 64;
/// `overflowuid`/`overflowgid`: how an unmapped id is shown.
pub(crate) const OVERFLOW_ID: u32 = 65_534;
/// `UID_GID_MAP_MAX_EXTENTS`: at most 340 lines in a map.
pub(crate) const MAX_EXTENTS: usize = 340;
/// `PAGE_SIZE`: `map_write` takes writes of at most 4095 bytes.
pub(crate) const PAGE_SIZE: usize = 4096;
/// The nesting limit of user namespaces: `create_user_ns` fails with ENOSPC when the
/// creator's namespace is already deeper than level 32 (`parent_ns->level > 32`), so the
/// deepest user namespace is level 33, one more than user_namespaces(7)'s "32 levels".
pub(crate) const MAX_USER_NS_LEVEL: u32 = 32;

/// One line of `uid_map`/`gid_map`: ids `first..first+count` inside map to
/// `lower_first..lower_first+count` in the parent user namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IdExtent {
    /// First id inside the namespace.
    pub first: u32,
    /// First id in the parent namespace.
    pub lower_first: u32,
    /// Number of ids.
    pub count: u32,
}

impl IdExtent {
    fn up(&self, lower: u32) -> Option<u32> {
        let off = lower.checked_sub(self.lower_first)?;
        (off < self.count).then(|| self.first.saturating_add(off))
    }

    fn down(&self, id: u32) -> Option<u32> {
        let off = id.checked_sub(self.first)?;
        (off < self.count).then(|| self.lower_first.saturating_add(off))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserNs {
    pub(crate) level: u32,
    pub(crate) parent: Option<NsId>,
    /// `ns->owner`: the creator's euid (a global id).
    pub(crate) owner_kuid: u32,
    pub(crate) uid_map: Vec<IdExtent>,
    pub(crate) gid_map: Vec<IdExtent>,
    /// `USERNS_SETGROUPS_ALLOWED`; cleared by writing "deny" to `/proc/<pid>/setgroups`.
    pub(crate) setgroups_allowed: bool,
    /// Whether the creator had `CAP_SETFCAP` (`parent_could_setfcap`, 5.12+).
    pub(crate) parent_could_setfcap: bool,
}

impl UserNs {
    pub(crate) fn initial() -> Self {
        let all = IdExtent { first: 0, lower_first: 0, count: u32::MAX };
        Self {
            level: 0,
            parent: None,
            owner_kuid: 0,
            uid_map: vec![all],
            gid_map: vec![all],
            setgroups_allowed: true,
            parent_could_setfcap: true,
        }
    }
}

/// Parses map text as `map_write` does: lines of "inside outside count" split at `\n`, where
/// only the final newline may end the text (an empty line elsewhere is EINVAL); each number is
/// plain decimal digits (no sign); neither first id may be 4294967295 (`(u32) -1`); the count
/// must be non-zero and `first + count` must not wrap past 2^32, for both ranges; extents may
/// not overlap (all EINVAL).
pub(crate) fn parse_map(text: &str) -> Result<Vec<IdExtent>, NsError> {
    let mut extents: Vec<IdExtent> = Vec::new();
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Err(sys(Errno::EINVAL, "empty map"));
    }
    for line in body.split('\n') {
        let nums: Vec<&str> = line.split_whitespace().collect();
        let [a, b, c] = nums.as_slice() else {
            return Err(sys(
                Errno::EINVAL,
                format!("map line `{line}` is not \"inside outside count\""),
            ));
        };
        let parse = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse::<u32>().ok())
                .flatten()
                .ok_or_else(|| sys(Errno::EINVAL, format!("`{s}` is not an id")))
        };
        let e = IdExtent { first: parse(a)?, lower_first: parse(b)?, count: parse(c)? };
        if e.first == u32::MAX || e.lower_first == u32::MAX {
            return Err(sys(
                Errno::EINVAL,
                format!("map line `{line}` starts at 4294967295, the invalid id"),
            ));
        }
        // `(extent.first + extent.count) <= extent.first` in u32 arithmetic.
        if e.count == 0
            || e.first.checked_add(e.count).is_none()
            || e.lower_first.checked_add(e.count).is_none()
        {
            return Err(sys(
                Errno::EINVAL,
                format!("map line `{line}` has an empty or overflowing range"),
            ));
        }
        let overlaps = |x: &IdExtent| {
            let (a0, a1) = (u64::from(x.first), u64::from(x.first) + u64::from(x.count));
            let (b0, b1) = (u64::from(e.first), u64::from(e.first) + u64::from(e.count));
            let (c0, c1) =
                (u64::from(x.lower_first), u64::from(x.lower_first) + u64::from(x.count));
            let (d0, d1) =
                (u64::from(e.lower_first), u64::from(e.lower_first) + u64::from(e.count));
            (a0 < b1 && b0 < a1) || (c0 < d1 && d0 < c1)
        };
        if extents.iter().any(overlaps) {
            return Err(sys(Errno::EINVAL, format!("map line `{line}` overlaps an earlier line")));
        }
        extents.push(e);
        if extents.len() > MAX_EXTENTS {
            return Err(sys(Errno::EINVAL, "more than 340 map lines (UID_GID_MAP_MAX_EXTENTS)"));
        }
    }
    if extents.is_empty() {
        return Err(sys(Errno::EINVAL, "empty map"));
    }
    Ok(extents)
}

/// Which map a write targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapKind {
    Uid,
    Gid,
}

impl NamespacesSim {
    /// The chain of user namespaces from the initial one down to `ns`.
    fn user_chain(&self, ns: NsId) -> Vec<NsId> {
        let mut chain = vec![ns];
        let mut cur = ns;
        while let Some(parent) = self.user_ns(cur).and_then(|u| u.parent) {
            chain.push(parent);
            cur = parent;
        }
        chain.reverse();
        chain
    }

    /// `from_kuid`: the id a global uid (or gid) has inside `ns`, `None` if unmapped.
    pub(crate) fn id_in_ns(&self, ns: NsId, kid: u32, kind: MapKind) -> Option<u32> {
        let mut id = kid;
        for n in self.user_chain(ns).into_iter().skip(1) {
            let u = self.user_ns(n)?;
            let map = if kind == MapKind::Uid { &u.uid_map } else { &u.gid_map };
            id = map.iter().find_map(|e| e.up(id))?;
        }
        Some(id)
    }

    /// `from_kuid_munged`: unmapped ids show as 65534 (overflowuid).
    pub(crate) fn id_munged(&self, ns: NsId, kid: u32, kind: MapKind) -> u32 {
        self.id_in_ns(ns, kid, kind).unwrap_or(OVERFLOW_ID)
    }

    /// `make_kuid`: the global id of `id` inside `ns`, `None` if unmapped.
    pub(crate) fn kid_of(&self, ns: NsId, id: u32, kind: MapKind) -> Option<u32> {
        let mut id = id;
        let mut cur = ns;
        while let Some(u) = self.user_ns(cur) {
            let Some(parent) = u.parent else { return Some(id) };
            let map = if kind == MapKind::Uid { &u.uid_map } else { &u.gid_map };
            id = map.iter().find_map(|e| e.down(id))?;
            cur = parent;
        }
        None
    }

    /// `cap_capable` (`security/commoncap.c`): a task has `cap` in `target` if `target` is its
    /// own user namespace and `cap` is effective, or if it is the owner (euid) of an ancestor
    /// of `target` whose parent is its namespace: the owner has every capability there.
    pub(crate) fn ns_capable(&self, cred: &Cred, target: NsId, cap: Capability) -> bool {
        let cred_level = self.user_ns(cred.user_ns).map_or(0, |u| u.level);
        let mut ns = target;
        loop {
            if ns == cred.user_ns {
                return cred.effective.has(cap);
            }
            let Some(u) = self.user_ns(ns) else { return false };
            if u.level <= cred_level {
                return false;
            }
            let Some(parent) = u.parent else { return false };
            if parent == cred.user_ns && u.owner_kuid == cred.kuid {
                return true;
            }
            ns = parent;
        }
    }

    /// `create_user_ns` for `creator`, whose checks (ENOSPC when the creator's namespace is deeper than level 32, EPERM if the
    /// creator's uid or gid has no mapping) the caller has made. Returns the new credentials:
    /// every capability inside the new namespace (`set_cred_user_ns`). The owner reference on
    /// the parent is taken here.
    pub(crate) fn create_user_ns(&mut self, cred: &Cred) -> Result<Cred, NsError> {
        let level = self.user_ns(cred.user_ns).map_or(0, |u| u.level).saturating_add(1);
        let data = UserNs {
            level,
            parent: Some(cred.user_ns),
            owner_kuid: cred.kuid,
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            setgroups_allowed: true,
            parent_could_setfcap: cred.effective.has(Capability::SETFCAP),
        };
        self.get_ns(cred.user_ns);
        let ns = self.insert_ns(
            super::NamespaceKind::User,
            Some(cred.user_ns),
            super::NsData::User(data),
            None,
        )?;
        Ok(Cred {
            user_ns: ns,
            effective: CapSet::FULL,
            permitted: CapSet::FULL,
            bounding: CapSet::FULL,
            ..*cred
        })
    }

    /// Writes `uid_map` or `gid_map` of user namespace `ns` as `writer` (`map_write`):
    /// written once (EPERM after); the writer must be in `ns` or its parent (EPERM) and have
    /// CAP_SYS_ADMIN in `ns`; an unprivileged writer (the owner, without CAP_SETUID/CAP_SETGID
    /// in the parent) may map exactly one id, its own euid/egid, and for `gid_map` only after
    /// "deny" was written to `setgroups` (`new_idmap_permitted`). Each outside range must be
    /// mapped in the parent, within one extent of the parent's map (`map_id_range_down`,
    /// EPERM), and mapping the parent's uid 0 needs CAP_SETFCAP
    /// (`verify_root_map`).
    pub(crate) fn write_map(
        &mut self,
        writer: &Cred,
        ns: NsId,
        kind: MapKind,
        text: &str,
    ) -> Result<(), NsError> {
        let file = if kind == MapKind::Uid { "uid_map" } else { "gid_map" };
        let u = self.user_ns(ns).ok_or_else(|| sys(Errno::EINVAL, "no user namespace"))?.clone();
        let Some(parent) = u.parent else {
            return Err(sys(
                Errno::EPERM,
                format!("{file} of the initial user namespace is already written"),
            ));
        };
        if writer.user_ns != ns && writer.user_ns != parent {
            return Err(sys(
                Errno::EPERM,
                format!("{file} may only be written from the namespace or its parent"),
            ));
        }
        // `map_write`: only writes shorter than a page, at offset 0.
        if text.len() >= PAGE_SIZE {
            return Err(sys(Errno::EINVAL, "a map write must be shorter than a page (4096 bytes)"));
        }
        let existing = if kind == MapKind::Uid { &u.uid_map } else { &u.gid_map };
        if !existing.is_empty() {
            return Err(sys(Errno::EPERM, format!("{file} can be written only once")));
        }
        if !self.ns_capable(writer, ns, Capability::SYS_ADMIN) {
            return Err(sys(
                Errno::EPERM,
                format!("writing {file} needs CAP_SYS_ADMIN in the target user namespace"),
            ));
        }
        let extents = parse_map(text)?;
        let cap = if kind == MapKind::Uid { Capability::SETUID } else { Capability::SETGID };
        if kind == MapKind::Uid && extents.iter().any(|e| e.lower_first == 0) {
            let ok = if writer.user_ns == ns {
                u.parent_could_setfcap
            } else {
                self.ns_capable(writer, parent, Capability::SETFCAP)
            };
            if !ok {
                return Err(sys(
                    Errno::EPERM,
                    "mapping uid 0 of the parent needs CAP_SETFCAP there (verify_root_map)",
                ));
            }
        }
        let own_id = if kind == MapKind::Uid { writer.kuid } else { writer.kgid };
        let single_own = match extents.as_slice() {
            [e] if e.count == 1 && u.owner_kuid == writer.kuid => {
                self.kid_of(parent, e.lower_first, kind) == Some(own_id)
                    && (kind == MapKind::Uid || !u.setgroups_allowed)
            }
            _ => false,
        };
        if !single_own && !self.ns_capable(writer, parent, cap) {
            let hint = if kind == MapKind::Gid && u.setgroups_allowed {
                "; write \"deny\" to setgroups first"
            } else {
                ""
            };
            return Err(sys(
                Errno::EPERM,
                format!(
                    "without {} in the parent user namespace, {file} may map only the writer's own id{hint}",
                    cap.name()
                ),
            ));
        }
        // `map_id_range_down(parent_map, lower_first, count)`: the whole outside range must lie
        // in one extent of the parent's map; two adjacent parent extents do not combine.
        let parent_map = self.user_ns(parent).map(|p| match kind {
            MapKind::Uid => p.uid_map.clone(),
            MapKind::Gid => p.gid_map.clone(),
        });
        for e in &extents {
            let last = e.lower_first.saturating_add(e.count - 1);
            let in_one_extent = parent_map.as_ref().is_some_and(|m| {
                m.iter().any(|p| p.down(e.lower_first).is_some() && p.down(last).is_some())
            });
            if !in_one_extent {
                return Err(sys(
                    Errno::EPERM,
                    format!(
                        "outside ids {}..={last} are not mapped in the parent by one extent",
                        e.lower_first
                    ),
                ));
            }
        }
        if let Some(u) = self.user_ns_mut(ns) {
            if kind == MapKind::Uid {
                u.uid_map = extents;
            } else {
                u.gid_map = extents;
            }
        }
        Ok(())
    }

    /// Writes `/proc/<pid>/setgroups` (`proc_setgroups_write`): opening it for writing needs
    /// CAP_SYS_ADMIN in the namespace (EPERM); then "allow" or "deny" (EINVAL otherwise); "deny" is permanent and "deny" after
    /// `gid_map` was written is EPERM.
    pub(crate) fn write_setgroups(
        &mut self,
        writer: &Cred,
        ns: NsId,
        value: &str,
    ) -> Result<(), NsError> {
        if !self.ns_capable(writer, ns, Capability::SYS_ADMIN) {
            return Err(sys(
                Errno::EPERM,
                "writing setgroups needs CAP_SYS_ADMIN in the target user namespace",
            ));
        }
        // `proc_setgroups_write`: fewer than 8 bytes (`char kbuf[8]`), the word at the very
        // start, then only whitespace.
        if value.len() >= 8 {
            return Err(sys(Errno::EINVAL, "a setgroups write is at most 7 bytes"));
        }
        let allow = match value.trim_end() {
            "allow" => true,
            "deny" => false,
            other => {
                return Err(sys(
                    Errno::EINVAL,
                    format!("setgroups takes \"allow\" or \"deny\", not `{other}`"),
                ));
            }
        };
        let u = self.user_ns(ns).ok_or_else(|| sys(Errno::EINVAL, "no user namespace"))?;
        if allow && !u.setgroups_allowed {
            return Err(sys(Errno::EPERM, "setgroups cannot be re-enabled after \"deny\""));
        }
        if !allow && !u.gid_map.is_empty() {
            return Err(sys(Errno::EPERM, "setgroups cannot be denied after gid_map was written"));
        }
        if let Some(u) = self.user_ns_mut(ns) {
            u.setgroups_allowed = allow;
        }
        Ok(())
    }

    /// `setresuid(u,u,u)` + `setresgid(g,g,g)`: ids are given as seen inside the caller's user
    /// namespace (EINVAL if unmapped); needs CAP_SETUID and CAP_SETGID there unless unchanged;
    /// leaving uid 0 for a non-zero uid clears the permitted and effective sets
    /// (`cap_emulate_setxuid`, no `SECBIT_KEEP_CAPS`).
    pub(crate) fn setuid(&self, cred: &Cred, uid: u32, gid: u32) -> Result<Cred, NsError> {
        let kuid = self.kid_of(cred.user_ns, uid, MapKind::Uid).ok_or_else(|| {
            sys(Errno::EINVAL, format!("uid {uid} is not mapped in the caller's user namespace"))
        })?;
        let kgid = self.kid_of(cred.user_ns, gid, MapKind::Gid).ok_or_else(|| {
            sys(Errno::EINVAL, format!("gid {gid} is not mapped in the caller's user namespace"))
        })?;
        if kuid != cred.kuid && !cred.effective.has(Capability::SETUID) {
            return Err(sys(Errno::EPERM, "setresuid to another uid needs CAP_SETUID"));
        }
        if kgid != cred.kgid && !cred.effective.has(Capability::SETGID) {
            return Err(sys(Errno::EPERM, "setresgid to another gid needs CAP_SETGID"));
        }
        let root = self.kid_of(cred.user_ns, 0, MapKind::Uid);
        let mut new = Cred { kuid, kgid, ..*cred };
        if Some(cred.kuid) == root && Some(kuid) != root {
            new.effective = CapSet::EMPTY;
            new.permitted = CapSet::EMPTY;
        }
        Ok(new)
    }

    /// The capability rule of `execve` as modelled: a process whose euid is 0 in its user
    /// namespace gets permitted = effective = bounding set (root's binaries are treated as
    /// having every file capability); any other process gets empty sets (no file
    /// capabilities, inheritable and ambient sets are not modelled).
    pub(crate) fn exec_cred(&self, cred: &Cred) -> Cred {
        let root = self.kid_of(cred.user_ns, 0, MapKind::Uid);
        if Some(cred.kuid) == root {
            Cred { permitted: cred.bounding, effective: cred.bounding, ..*cred }
        } else {
            Cred { permitted: CapSet::EMPTY, effective: CapSet::EMPTY, ..*cred }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_lines_parse_into_extents() {
        let map = parse_map("0 100000 65536\n65536 1000 1\n").unwrap();
        assert_eq!(map[0], IdExtent { first: 0, lower_first: 100_000, count: 65_536 });
        assert_eq!(map[1].up(1000), Some(65_536));
        assert_eq!(map[0].down(5), Some(100_005));
        assert_eq!(map[0].up(99_999), None);
    }

    #[test]
    fn empty_and_too_long_maps_are_rejected() {
        assert_eq!(parse_map("\n").unwrap_err().to_string(), "EINVAL: empty map");
        let long: String = (0..341).map(|i| format!("{i} {i} 1\n")).collect();
        assert_eq!(
            parse_map(&long).unwrap_err().to_string(),
            "EINVAL: more than 340 map lines (UID_GID_MAP_MAX_EXTENTS)"
        );
    }
}
