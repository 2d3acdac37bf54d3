//! Source hashing and destination hashing (`ip_vs_sh.c`, `ip_vs_dh.c`): 256-bucket tables.
//!
//! `ip_vs_sh_reassign` walks the list, repeating each destination `weight` times (a weight-0
//! destination still takes one bucket, since `++d_count >= 0` at once), wrapping until all 256
//! buckets are filled. `ip_vs_dh_reassign` gives each destination one bucket in turn. Both
//! tables are rebuilt on every add, edit and delete.
//!
//! Two hash functions are modelled, selected by [`ShHash`]:
//! * the old one, `(port + ip) · 2654435761 & 0xff`: the constant is odd, so the bucket
//!   depends only on the low 8 bits of `port + ip`, in practice on the last octet;
//! * the newer `hash_32(port + ip, 8)`: `(v · 0x61C88647) >> 24`, the top 8 bits.
//!
//! With `sh-fallback` (`ip_vs_sh_get_fallback`) an unavailable bucket is followed by probes at
//! `roffset = (k + ihash) mod 256` hashed again with that offset *added outside* the hash, so
//! bucket k of the probe is `(roffset + ihash) mod 256 = (2·ihash + k) mod 256`; an empty
//! bucket stops the probing.

use crate::ipvs::dest::{DestId, Destinations, RealServer};
use crate::scenario::from_json::from_json_unit_enum;

/// `IP_VS_SH_TAB_SIZE` and `IP_VS_DH_TAB_SIZE` (`CONFIG_IP_VS_*_TAB_BITS` = 8).
pub const TAB_SIZE: usize = 256;
const TAB_MASK: u32 = 255;
/// `GOLDEN_RATIO_32` from `include/linux/hash.h`.
const GOLDEN_RATIO_32: u32 = 0x61C8_8647;
/// The multiplicative constant of the old IPVS hashes (2^32 / φ, rounded to a prime).
const OLD_MULTIPLIER: u32 = 2_654_435_761;

/// Which SH/DH hash the modelled kernel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShHash {
    /// The 2015-era `(port + ip) * 2654435761 & 0xff`: only the last octet (+ port) matters.
    LastOctet,
    /// Newer kernels: `hash_32(port + ip, 8)`.
    #[default]
    Hash32,
}
from_json_unit_enum!(ShHash { "last-octet" => LastOctet, "hash32" => Hash32 });

impl ShHash {
    /// The name used in scenarios.
    pub fn name(self) -> &'static str {
        match self {
            Self::LastOctet => "last-octet",
            Self::Hash32 => "hash32",
        }
    }
}

/// `hash_32(val, bits)` from `include/linux/hash.h`.
pub fn hash_32(val: u32, bits: u32) -> u32 {
    val.wrapping_mul(GOLDEN_RATIO_32) >> (32 - bits)
}

/// `ip_vs_sh_hashkey(af, addr, port, offset)`: the bucket for `ip` (host order) and `port`.
pub fn sh_hashkey(hash: ShHash, ip: u32, port: u16, offset: u32) -> usize {
    let v = u32::from(port).wrapping_add(ip);
    let h = match hash {
        ShHash::LastOctet => v.wrapping_mul(OLD_MULTIPLIER),
        ShHash::Hash32 => hash_32(v, 8),
    };
    (offset.wrapping_add(h) & TAB_MASK) as usize
}

/// `ip_vs_dh_hashkey(af, addr)`: the bucket for a destination IP (host order).
pub fn dh_hashkey(hash: ShHash, ip: u32) -> usize {
    let h = match hash {
        ShHash::LastOctet => ip.wrapping_mul(OLD_MULTIPLIER),
        ShHash::Hash32 => hash_32(ip, 8),
    };
    (h & TAB_MASK) as usize
}

/// A 256-bucket table of destination ids (`struct ip_vs_sh_state` / `ip_vs_dh_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketTable {
    /// One entry per bucket; `None` only when the list is empty.
    pub buckets: Box<[Option<DestId>; TAB_SIZE]>,
}

impl BucketTable {
    /// `ip_vs_sh_reassign`: each destination fills `weight` buckets in list order (at least 1).
    pub fn sh_reassign(list: &[RealServer]) -> Self {
        let mut buckets = Box::new([None; TAB_SIZE]);
        if !list.is_empty() {
            let (mut p, mut d_count) = (0, 0u32);
            for bucket in buckets.iter_mut() {
                if p == list.len() {
                    p = 0;
                }
                *bucket = Some(list[p].id);
                d_count += 1;
                if d_count >= list[p].weight {
                    p += 1;
                    d_count = 0;
                }
            }
        }
        Self { buckets }
    }

    /// `ip_vs_dh_reassign`: one bucket per destination in turn, weights ignored.
    pub fn dh_reassign(list: &[RealServer]) -> Self {
        let mut buckets = Box::new([None; TAB_SIZE]);
        if !list.is_empty() {
            for (i, bucket) in buckets.iter_mut().enumerate() {
                *bucket = Some(list[i % list.len()].id);
            }
        }
        Self { buckets }
    }

    /// Whether a bucket refers to `id`.
    pub fn references(&self, id: DestId) -> bool {
        self.buckets.contains(&Some(id))
    }
}

/// `is_unavailable` of `ip_vs_sh.c`: weight ≤ 0 or OVERLOAD.
fn is_unavailable(dest: &RealServer) -> bool {
    dest.weight == 0 || dest.overloaded
}

/// `ip_vs_sh_get` / `ip_vs_sh_get_fallback`.
pub fn sh_schedule(
    table: &BucketTable,
    dests: &Destinations,
    hash: ShHash,
    ip: u32,
    port: u16,
    fallback: bool,
) -> Option<DestId> {
    let ihash = sh_hashkey(hash, ip, port, 0);
    let dest = dests.get(table.buckets[ihash]?)?;
    if !is_unavailable(dest) {
        return Some(dest.id);
    }
    if !fallback {
        return None;
    }
    for offset in 0..TAB_SIZE as u32 {
        let roffset = (offset + ihash as u32) % TAB_SIZE as u32;
        let bucket = sh_hashkey(hash, ip, port, roffset);
        let dest = dests.get(table.buckets[bucket]?)?;
        if !is_unavailable(dest) {
            return Some(dest.id);
        }
    }
    None
}

/// `ip_vs_dh_schedule`: the bucket's destination unless it is unavailable, quiesced or
/// overloaded; dh has no fallback.
pub fn dh_schedule(
    table: &BucketTable,
    dests: &Destinations,
    hash: ShHash,
    ip: u32,
) -> Option<DestId> {
    let id = table.buckets[dh_hashkey(hash, ip)]?;
    let dest = dests.get(id)?;
    (dests.is_available(id) && !is_unavailable(dest)).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> u32 {
        u32::from(text.parse::<std::net::Ipv4Addr>().unwrap())
    }

    #[test]
    fn old_hash_depends_only_on_the_last_octet() {
        let a = sh_hashkey(ShHash::LastOctet, ip("10.0.0.5"), 0, 0);
        let b = sh_hashkey(ShHash::LastOctet, ip("192.168.1.5"), 0, 0);
        assert_eq!(a, b);
        assert_eq!(a, (5u32.wrapping_mul(2_654_435_761) & 255) as usize);
        assert_eq!(a, 117, "5 * 0xb1 mod 256");
    }

    #[test]
    fn hash32_separates_them() {
        let a = sh_hashkey(ShHash::Hash32, ip("10.0.0.5"), 0, 0);
        let b = sh_hashkey(ShHash::Hash32, ip("192.168.1.5"), 0, 0);
        assert_ne!(a, b);
        assert_eq!(a, (ip("10.0.0.5").wrapping_mul(0x61C8_8647) >> 24) as usize);
    }

    #[test]
    fn fallback_offset_is_added_outside_the_hash() {
        let ihash = sh_hashkey(ShHash::LastOctet, ip("10.0.0.5"), 0, 0);
        for k in 0..4u32 {
            let roffset = (k + ihash as u32) % 256;
            let bucket = sh_hashkey(ShHash::LastOctet, ip("10.0.0.5"), 0, roffset);
            assert_eq!(bucket, (2 * ihash + k as usize) % 256);
        }
    }
}
