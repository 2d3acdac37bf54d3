//! The kernel's `hsiphash` on 64-bit hosts: SipHash-1-3 with a 128-bit key, truncated to 32 bits
//! (`lib/siphash.c`: "on 64-bit, we make HalfSipHash1-3 actually be SipHash1-3").
//!
//! Both the kernel's Maglev scheduler (`ip_vs_mh.c`, fixed keys) and the paper-style Maglev
//! table use this one function, so the two can be compared on equal terms. 32-bit kernels use
//! HalfSipHash-1-3 instead and produce other tables; this simulation models 64-bit
//! little-endian hosts (x86_64, arm64), where the hashed `u32` is read as little-endian bytes.

use std::hash::Hasher;

use siphasher::sip::SipHasher13;

/// An `hsiphash_key_t` on a 64-bit kernel: two `unsigned long` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HsiphashKey(pub u64, pub u64);

/// `ip_vs_mh_generate_hash_secret`: the first of the two fixed keys (offset hash).
pub const MH_KEY1: HsiphashKey = HsiphashKey(2_654_435_761, 2_654_435_761);
/// `ip_vs_mh_generate_hash_secret`: the second fixed key (skip hash).
pub const MH_KEY2: HsiphashKey = HsiphashKey(2_654_446_892, 2_654_446_892);

/// `hsiphash(data, len, key)` on a 64-bit kernel: SipHash-1-3 of the raw bytes, truncated.
pub fn hsiphash(bytes: &[u8], key: HsiphashKey) -> u32 {
    let mut hasher = SipHasher13::new_with_keys(key.0, key.1);
    // `write`, not `Hash::hash`: the latter would append a 0xFF length marker.
    hasher.write(bytes);
    hasher.finish() as u32
}

/// `hsiphash(&v, sizeof(v), key)` of one `u32` as the kernel lays it out on a little-endian host.
pub fn hsiphash_u32(value: u32, key: HsiphashKey) -> u32 {
    hsiphash(&value.to_le_bytes(), key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lib/siphash_kunit.c`: key 00 01 … 0f, input 00 01 … (i − 1), 64-bit `hsiphash` vectors.
    const KUNIT_KEY: HsiphashKey = HsiphashKey(0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);
    const KUNIT_VECTORS: [u32; 16] = [
        0x050f_c4dc,
        0x7d57_ca93,
        0x4dc7_d44d,
        0xe7dd_f7fb,
        0x88d3_8328,
        0x4953_3b67,
        0xc59f_22a7,
        0x9bb1_1140,
        0x8d29_9a8e,
        0x6c06_3de4,
        0x92ff_097f,
        0xf94d_c352,
        0x57b4_d9a2,
        0x1229_ffa7,
        0xc0f9_5d34,
        0x2a51_9956,
    ];

    #[test]
    fn matches_the_kernel_kunit_vectors() {
        let input: Vec<u8> = (0..16).collect();
        for (len, expected) in KUNIT_VECTORS.iter().enumerate() {
            assert_eq!(hsiphash(&input[..len], KUNIT_KEY), *expected, "length {len}");
        }
    }

    #[test]
    fn one_u32_is_its_little_endian_bytes() {
        assert_eq!(hsiphash_u32(0x0302_0100, KUNIT_KEY), KUNIT_VECTORS[4]);
    }
}
