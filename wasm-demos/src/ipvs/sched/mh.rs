//! The kernel's Maglev hashing scheduler (`ip_vs_mh.c`, Linux 4.18+).
//!
//! * Table size M = `primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]`, default index 12 → M = 4093.
//! * Fixed keys (`generate_hash_secret`): [`MH_KEY1`] for offsets and lookups, [`MH_KEY2`]
//!   for skips; `ip_vs_mh_hashkey` hashes the u32 `offset + port + ip` (host order).
//! * `ip_vs_mh_permutate`: each destination gets offset = h1(dest) mod M,
//!   skip = h2(dest) mod (M − 1) + 1, and turns = `((last_weight / gcd) >> rshift) ?: (lw != 0)`.
//! * `ip_vs_mh_shift_weight`: rshift = max(0, fls(max_last_weight / gcd) − INDEX / 2).
//! * `ip_vs_mh_populate`: destinations take turns in list order, each placing `turns`
//!   entries (at its next free preferred slot) before the next one; stops when M are filled.
//! * `ip_vs_mh_get`: slot h1(src ip [+ port]) mod M; an unavailable destination (weight ≤ 0
//!   or OVERLOAD) fails, or with `mh-fallback` (`ip_vs_mh_get_fallback`) the lookup is
//!   re-hashed with offset `(k + ihash) mod M`, stopping at an empty slot.
//!
//! The table is built from `last_weight`, so quiescing a destination (weight 0) keeps its
//! slots, which then fail or fall back.

use crate::ipvs::dest::{DestId, Destinations, RealServer};
use crate::ipvs::error::IpvsError;
use crate::ipvs::siphash::{HsiphashKey, MH_KEY1, MH_KEY2, hsiphash_u32};

/// `primes[]` of `ip_vs_mh.c`: the table sizes for `CONFIG_IP_VS_MH_TAB_INDEX` 8..=17.
pub const PRIMES: [u32; 10] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
/// `CONFIG_IP_VS_MH_TAB_INDEX` default.
pub const DEFAULT_TAB_INDEX: u8 = 12;

/// `struct ip_vs_mh_state`: the lookup table and the weight scaling used to build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MhState {
    /// `CONFIG_IP_VS_MH_TAB_INDEX` (8..=17).
    pub tab_index: u8,
    /// `s->lookup`: M slots of destination ids; all `None` when every last_weight is 0.
    pub table: Vec<Option<DestId>>,
    /// `s->gcd`: gcd of the positive last_weights (0 when there are none).
    pub gcd: u32,
    /// `s->rshift`.
    pub rshift: u32,
}

/// Checks a `CONFIG_IP_VS_MH_TAB_INDEX` value.
pub fn check_tab_index(index: i64) -> Result<u8, IpvsError> {
    if (8..=17).contains(&index) { Ok(index as u8) } else { Err(IpvsError::BadTabIndex { index }) }
}

/// `IP_VS_MH_TAB_SIZE` for a tab index (already checked to be 8..=17).
pub fn table_size(tab_index: u8) -> u32 {
    PRIMES[usize::from(tab_index.saturating_sub(8)).min(PRIMES.len() - 1)]
}

/// `ip_vs_mh_hashkey(af, addr, port, key, offset)` for IPv4.
pub fn hashkey(ip: u32, port: u16, key: HsiphashKey, offset: u32) -> u32 {
    hsiphash_u32(offset.wrapping_add(u32::from(port)).wrapping_add(ip), key)
}

fn gcd(a: u32, b: u32) -> u32 {
    let (mut a, mut b) = (a, b);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `fls(x)`: 1-based index of the highest set bit, 0 for 0.
fn fls(x: u32) -> u32 {
    32 - x.leading_zeros()
}

/// `ip_vs_mh_gcd_weight`: gcd of the positive last_weights.
fn gcd_weight(list: &[RealServer]) -> u32 {
    list.iter()
        .map(|d| d.last_weight)
        .filter(|&w| w > 0)
        .fold(0, |g, w| if g > 0 { gcd(w, g) } else { w })
}

/// `ip_vs_mh_shift_weight`.
fn shift_weight(list: &[RealServer], gcd: u32, tab_index: u8) -> u32 {
    if gcd < 1 {
        return 0;
    }
    let weight = list.iter().map(|d| d.last_weight).max().unwrap_or(0);
    let tab_bits = u32::from(tab_index / 2);
    fls(weight / gcd).saturating_sub(tab_bits)
}

/// One destination's `struct ip_vs_mh_dest_setup`.
#[derive(Debug, Clone, Copy)]
struct DestSetup {
    skip: u32,
    perm: u32,
    turns: u32,
}

impl MhState {
    /// `ip_vs_mh_init_svc`: builds the table for the current list; `-EINVAL` when the list
    /// has more destinations than slots.
    pub fn bind(list: &[RealServer], tab_index: u8) -> Result<Self, IpvsError> {
        let size = table_size(tab_index);
        let mut state = Self { tab_index, table: vec![None; size as usize], gcd: 0, rshift: 0 };
        state.dest_changed(list)?;
        Ok(state)
    }

    /// The table size M.
    pub fn size(&self) -> u32 {
        table_size(self.tab_index)
    }

    /// `ip_vs_mh_dest_changed`: gcd and rshift are recomputed first; then the table is
    /// rebuilt, unless the list outgrew it (`-EINVAL`, which `__ip_vs_update_dest` ignores,
    /// leaving the old table in place).
    pub(crate) fn dest_changed(&mut self, list: &[RealServer]) -> Result<(), IpvsError> {
        self.gcd = gcd_weight(list);
        self.rshift = shift_weight(list, self.gcd, self.tab_index);
        let size = self.size();
        if list.len() > size as usize {
            return Err(IpvsError::MhTableTooSmall { dests: list.len(), size });
        }
        self.populate(list);
        Ok(())
    }

    /// `ip_vs_mh_permutate` + `ip_vs_mh_populate`.
    fn populate(&mut self, list: &[RealServer]) {
        let size = self.size();
        if self.gcd < 1 {
            self.table.iter_mut().for_each(|slot| *slot = None);
            return;
        }
        let mut setup: Vec<DestSetup> = list
            .iter()
            .map(|dest| {
                let ip = u32::from(*dest.addr.ip());
                let port = dest.addr.port();
                let offset = hashkey(ip, port, MH_KEY1, 0) % size;
                let skip = hashkey(ip, port, MH_KEY2, 0) % (size - 1) + 1;
                let lw = dest.last_weight;
                let scaled = (lw / self.gcd) >> self.rshift;
                let turns = if scaled != 0 { scaled } else { u32::from(lw != 0) };
                DestSetup { skip, perm: offset, turns }
            })
            .collect();
        let mut filled = vec![false; size as usize];
        let (mut n, mut dt_count) = (0u32, 0u32);
        // gcd >= 1 means some destination has turns >= 1, so every outer pass fills a slot.
        while n < size {
            let mut i = 0;
            while i < list.len() {
                let ds = &mut setup[i];
                if ds.turns < 1 {
                    i += 1;
                    continue;
                }
                while filled[ds.perm as usize] {
                    ds.perm += ds.skip;
                    if ds.perm >= size {
                        ds.perm -= size;
                    }
                }
                filled[ds.perm as usize] = true;
                self.table[ds.perm as usize] = Some(list[i].id);
                n += 1;
                if n == size {
                    return;
                }
                dt_count += 1;
                if dt_count >= ds.turns {
                    dt_count = 0;
                    i += 1;
                }
            }
        }
    }

    /// Whether a slot refers to `id`.
    pub fn references(&self, id: DestId) -> bool {
        self.table.contains(&Some(id))
    }

    /// `ip_vs_mh_get` / `ip_vs_mh_get_fallback`.
    pub fn schedule(
        &self,
        dests: &Destinations,
        ip: u32,
        port: u16,
        fallback: bool,
    ) -> Option<DestId> {
        let size = self.size();
        let unavailable = |d: &RealServer| d.weight == 0 || d.overloaded;
        let ihash = hashkey(ip, port, MH_KEY1, 0) % size;
        let dest = dests.get((*self.table.get(ihash as usize)?)?)?;
        if !unavailable(dest) {
            return Some(dest.id);
        }
        if !fallback {
            return None;
        }
        for offset in 0..size {
            let roffset = (offset + ihash) % size;
            let slot = hashkey(ip, port, MH_KEY1, roffset) % size;
            let dest = dests.get((*self.table.get(slot as usize)?)?)?;
            if !unavailable(dest) {
                return Some(dest.id);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sizes_follow_the_tab_index() {
        assert_eq!(table_size(DEFAULT_TAB_INDEX), 4093);
        assert_eq!(table_size(8), 251);
        assert_eq!(table_size(17), 131_071);
        assert_eq!(
            check_tab_index(18).unwrap_err().to_string(),
            "mh_tab_index 18 is out of range 8..=17 (CONFIG_IP_VS_MH_TAB_INDEX)"
        );
    }

    #[test]
    fn fls_matches_the_kernel() {
        assert_eq!(fls(0), 0);
        assert_eq!(fls(1), 1);
        assert_eq!(fls(64), 7);
        assert_eq!(fls(65_535), 16);
    }
}
