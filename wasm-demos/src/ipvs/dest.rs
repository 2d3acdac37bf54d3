//! Real servers (`struct ip_vs_dest`), the service's destination list and the trash.
//!
//! The list keeps the kernel's order: `__ip_vs_update_dest` links a new destination with
//! `list_add_rcu`, at the **head**, so adding A, B, C gives C, B, A. A deleted destination is
//! unlinked (`__ip_vs_unlink_dest` clears `IP_VS_DEST_F_AVAILABLE`) and put in the trash
//! (`ip_vs_trash_put_dest`), where its connections keep counting against it until they expire.

use std::net::SocketAddrV4;

use super::error::IpvsError;

/// Largest weight ipvsadm accepts (`-w 0..65535`).
pub const MAX_WEIGHT: i64 = 65_535;
/// Largest threshold ipvsadm accepts (`-x`/`-y` take `0..INT_MAX`).
pub const MAX_THRESHOLD: i64 = i32::MAX as i64;
/// Cap on destinations in one service (the kernel has none; this bounds memory and time).
pub const MAX_DESTS: usize = 4096;
/// Cap on destinations created over one run (ids are never reused).
pub const MAX_DEST_IDS: usize = 65_536;

/// A stable identity for a destination, kept while it moves from the list to the trash and
/// back. Connections and scheduler tables refer to destinations by it, as the kernel refers
/// to them by pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DestId(pub u32);

/// One real server (`struct ip_vs_dest`, `include/net/ip_vs.h`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServer {
    /// Stable identity.
    pub id: DestId,
    /// Display name (the simulation's; the kernel knows destinations by address).
    pub name: String,
    /// Address and port (`dest->addr`, `dest->port`).
    pub addr: SocketAddrV4,
    /// `dest->weight`: 0 quiesces the server (no new connections).
    pub weight: u32,
    /// `dest->last_weight`: the latest non-zero weight (set on add even when 0); mh builds from it.
    pub last_weight: u32,
    /// `dest->u_threshold`: 0 means no upper connection limit.
    pub u_threshold: u32,
    /// `dest->l_threshold`: 0 means "clear OVERLOAD below 3/4 of u_threshold".
    pub l_threshold: u32,
    /// `IP_VS_DEST_F_OVERLOAD`.
    pub overloaded: bool,
    /// `dest->activeconns`.
    pub activeconns: u32,
    /// `dest->inactconns`.
    pub inactconns: u32,
}

impl RealServer {
    /// `ip_vs_dest_totalconns`: active + inactive.
    pub fn totalconns(&self) -> u64 {
        u64::from(self.activeconns) + u64::from(self.inactconns)
    }

    /// `ip_vs_dest_conn_overhead`: `(activeconns << 8) + inactconns`. The `<<5` in the LC
    /// comment is stale; the code uses 256.
    pub fn conn_overhead(&self) -> i64 {
        (i64::from(self.activeconns) << 8) + i64::from(self.inactconns)
    }

    /// `weight > 0` and OVERLOAD clear: what rr, lc, wlc and the others call eligible.
    pub fn is_eligible(&self) -> bool {
        self.weight > 0 && !self.overloaded
    }

    /// `ip_vs_bind_dest`: the OVERLOAD rule applied after counting a new connection.
    pub(crate) fn check_overload_on_bind(&mut self) {
        if self.u_threshold != 0 && self.totalconns() >= u64::from(self.u_threshold) {
            self.overloaded = true;
        }
    }

    /// `ip_vs_unbind_dest`: the OVERLOAD rules applied after uncounting a connection.
    ///
    /// The 3/4 rule is the kernel's `ip_vs_dest_totalconns(dest) * 4 < dest->u_threshold * 3`:
    /// `u_threshold` is a `__u32`, so the comparison is unsigned 32-bit and `u * 3` wraps for
    /// u ≥ 1431655766 (ipvsadm accepts up to `INT_MAX`).
    pub(crate) fn check_overload_on_unbind(&mut self) {
        let total = self.totalconns();
        if self.l_threshold != 0 {
            if total < u64::from(self.l_threshold) {
                self.overloaded = false;
            }
        } else if self.u_threshold != 0 {
            let total4 = (total as u32).wrapping_mul(4);
            if total4 < self.u_threshold.wrapping_mul(3) {
                self.overloaded = false;
            }
        } else {
            self.overloaded = false;
        }
    }
}

/// Checks a weight against ipvsadm's range.
pub(crate) fn check_weight(weight: i64) -> Result<u32, IpvsError> {
    if (0..=MAX_WEIGHT).contains(&weight) {
        Ok(weight as u32)
    } else {
        Err(IpvsError::WeightOutOfRange { weight })
    }
}

/// Checks a threshold pair: each in ipvsadm's range, and `l <= u` (`-ERANGE` in the kernel).
pub(crate) fn check_thresholds(u: i64, l: i64) -> Result<(u32, u32), IpvsError> {
    for (field, value) in [("u_threshold", u), ("l_threshold", l)] {
        if !(0..=MAX_THRESHOLD).contains(&value) {
            return Err(IpvsError::ThresholdOutOfRange { field, value });
        }
    }
    let (u, l) = (u as u32, l as u32);
    if l > u {
        return Err(IpvsError::ThresholdOrder { u_threshold: u, l_threshold: l });
    }
    Ok((u, l))
}

/// Where a destination id currently lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    List(u32),
    Trash(u32),
    Freed,
}

/// The service's destination list (head first) plus the trash, indexed by [`DestId`].
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    list: Vec<RealServer>,
    trash: Vec<RealServer>,
    loc: Vec<Loc>,
}

impl Destinations {
    /// The destination list in kernel order (head first).
    pub fn list(&self) -> &[RealServer] {
        &self.list
    }

    /// Deleted destinations still referenced by connections or scheduler state.
    pub fn trash(&self) -> &[RealServer] {
        &self.trash
    }

    /// A destination in the list or the trash.
    pub fn get(&self, id: DestId) -> Option<&RealServer> {
        match self.loc.get(id.0 as usize)? {
            Loc::List(i) => self.list.get(*i as usize),
            Loc::Trash(i) => self.trash.get(*i as usize),
            Loc::Freed => None,
        }
    }

    /// Mutable access to a destination in the list or the trash.
    pub(crate) fn get_mut(&mut self, id: DestId) -> Option<&mut RealServer> {
        match self.loc.get(id.0 as usize)? {
            Loc::List(i) => self.list.get_mut(*i as usize),
            Loc::Trash(i) => self.trash.get_mut(*i as usize),
            Loc::Freed => None,
        }
    }

    /// `IP_VS_DEST_F_AVAILABLE`: the destination is linked in the service's list.
    pub fn is_available(&self, id: DestId) -> bool {
        matches!(self.loc.get(id.0 as usize), Some(Loc::List(_)))
    }

    /// Position of a destination in the list.
    pub fn position(&self, id: DestId) -> Option<usize> {
        match self.loc.get(id.0 as usize)? {
            Loc::List(i) => Some(*i as usize),
            _ => None,
        }
    }

    /// Position in the list of the destination called `name`.
    pub fn position_by_name(&self, name: &str) -> Option<usize> {
        self.list.iter().position(|d| d.name == name)
    }

    /// The next unused id, or the cap error.
    pub(crate) fn next_id(&self) -> Result<DestId, IpvsError> {
        if self.loc.len() >= MAX_DEST_IDS {
            return Err(IpvsError::DestIdsExhausted { max: MAX_DEST_IDS });
        }
        Ok(DestId(self.loc.len() as u32))
    }

    /// Position in the trash of a destination with this address (`ip_vs_trash_get_dest`).
    pub(crate) fn trash_position_by_addr(&self, addr: SocketAddrV4) -> Option<usize> {
        self.trash.iter().position(|d| d.addr == addr)
    }

    /// Links a destination at the head of the list (`list_add_rcu`).
    pub(crate) fn push_head(&mut self, dest: RealServer) {
        if dest.id.0 as usize >= self.loc.len() {
            self.loc.resize(dest.id.0 as usize + 1, Loc::Freed);
        }
        self.list.insert(0, dest);
        self.reindex();
    }

    /// Moves a trashed destination back to the head of the list.
    pub(crate) fn revive(&mut self, trash_pos: usize) -> Option<DestId> {
        if trash_pos >= self.trash.len() {
            return None;
        }
        let dest = self.trash.remove(trash_pos);
        let id = dest.id;
        self.list.insert(0, dest);
        self.reindex();
        Some(id)
    }

    /// Unlinks the destination at `pos` and puts it in the trash.
    pub(crate) fn unlink_to_trash(&mut self, pos: usize) -> Option<DestId> {
        if pos >= self.list.len() {
            return None;
        }
        let dest = self.list.remove(pos);
        let id = dest.id;
        self.trash.push(dest);
        self.reindex();
        Some(id)
    }

    /// Frees trashed destinations for which `keep` says no (the trash timer's job, done at once).
    pub(crate) fn reap(&mut self, keep: impl Fn(&RealServer) -> bool) {
        let before = self.trash.len();
        self.trash.retain(|d| keep(d));
        if self.trash.len() != before {
            self.reindex();
        }
    }

    /// Mutable access to the list by position.
    pub(crate) fn list_mut(&mut self) -> &mut [RealServer] {
        &mut self.list
    }

    fn reindex(&mut self) {
        for loc in &mut self.loc {
            *loc = Loc::Freed;
        }
        for (i, d) in self.list.iter().enumerate() {
            if let Some(loc) = self.loc.get_mut(d.id.0 as usize) {
                *loc = Loc::List(i as u32);
            }
        }
        for (i, d) in self.trash.iter().enumerate() {
            if let Some(loc) = self.loc.get_mut(d.id.0 as usize) {
                *loc = Loc::Trash(i as u32);
            }
        }
    }
}

/// A destination for unit tests: id `id`, address 10.0.0.`id`:80, the given weight.
#[cfg(test)]
pub(crate) fn test_server(id: u32, weight: u32) -> RealServer {
    RealServer {
        id: DestId(id),
        name: format!("d{id}"),
        addr: SocketAddrV4::new(std::net::Ipv4Addr::new(10, 0, 0, id as u8), 80),
        weight,
        last_weight: weight,
        u_threshold: 0,
        l_threshold: 0,
        overloaded: false,
        activeconns: 0,
        inactconns: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(u: u32, l: u32, active: u32, inactive: u32) -> RealServer {
        RealServer {
            id: DestId(0),
            name: "A".into(),
            addr: "10.0.0.1:80".parse().unwrap(),
            weight: 1,
            last_weight: 1,
            u_threshold: u,
            l_threshold: l,
            overloaded: true,
            activeconns: active,
            inactconns: inactive,
        }
    }

    #[test]
    fn overhead_weighs_active_256_to_1() {
        assert_eq!(server(0, 0, 1, 0).conn_overhead(), 256);
        assert_eq!(server(0, 0, 0, 256).conn_overhead(), 256);
        assert_eq!(server(0, 0, 2, 3).conn_overhead(), 515);
    }

    #[test]
    fn unbind_clears_below_l_threshold_only() {
        let mut d = server(10, 5, 5, 0);
        d.check_overload_on_unbind();
        assert!(d.overloaded, "5 is not < 5");
        d.activeconns = 4;
        d.check_overload_on_unbind();
        assert!(!d.overloaded);
    }

    #[test]
    fn unbind_without_l_threshold_clears_below_three_quarters_of_u() {
        let mut d = server(8, 0, 6, 0);
        d.check_overload_on_unbind();
        assert!(d.overloaded, "4*6 = 24 is not < 3*8 = 24");
        d.activeconns = 5;
        d.check_overload_on_unbind();
        assert!(!d.overloaded);
    }

    #[test]
    fn ip_vs_unbind_dest_three_quarter_rule_is_unsigned_32_bit() {
        // u * 3 = 4294967298 wraps to 2: only a total of 0 clears OVERLOAD.
        let mut d = server(1_431_655_766, 0, 1, 0);
        d.check_overload_on_unbind();
        assert!(d.overloaded, "4 * 1 = 4 is not < (3 * 1431655766) mod 2^32 = 2");
        d.activeconns = 0;
        d.check_overload_on_unbind();
        assert!(!d.overloaded);
        // Just below the wrap, the rule is the plain 3/4 one.
        let mut d = server(1_431_655_765, 0, 1, 0);
        d.check_overload_on_unbind();
        assert!(!d.overloaded);
    }

    #[test]
    fn unbind_without_thresholds_always_clears() {
        let mut d = server(0, 0, 100, 100);
        d.check_overload_on_unbind();
        assert!(!d.overloaded);
    }

    #[test]
    fn thresholds_are_checked_like_the_kernel() {
        assert_eq!(check_thresholds(10, 5), Ok((10, 5)));
        assert_eq!(
            check_thresholds(0, 5).unwrap_err().to_string(),
            "l_threshold 5 is higher than u_threshold 0 (ERANGE)"
        );
        assert_eq!(
            check_thresholds(-1, 0).unwrap_err().to_string(),
            "u_threshold -1 is out of range 0..=2147483647 (ERANGE)"
        );
        assert_eq!(
            check_weight(65_536).unwrap_err().to_string(),
            "weight 65536 is out of range 0..=65535 (ERANGE)"
        );
    }
}
