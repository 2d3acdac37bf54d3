//! A backend's preference list over the M table slots (paper section 3.4).

use crate::ipvs::siphash::{MH_KEY1, MH_KEY2, hsiphash};

/// Where a backend's offset and skip came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PermutationSource {
    /// `offset = h1(name) mod M`, `skip = h2(name) mod (M − 1) + 1`, h1/h2 = `hsiphash` of the
    /// name's bytes with the kernel's fixed `mh` keys.
    Hashed,
    /// Given by the scenario, as in the paper's Table 1.
    Explicit,
}

/// A backend's permutation of the table slots, `permutation[j] = (offset + j·skip) mod M`.
///
/// Invariant: `offset < M` and `1 ≤ skip ≤ M − 1` for the table size M it was made for. With M
/// prime, every skip in that range is coprime to M, so the M preferences visit every slot once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Permutation {
    /// The first preferred slot.
    pub offset: u32,
    /// The step between consecutive preferences.
    pub skip: u32,
}

impl Permutation {
    /// The paper's hashed permutation of `name` for a prime `table_size` ≥ 2.
    pub(crate) fn hashed(name: &str, table_size: u32) -> Self {
        let offset = hsiphash(name.as_bytes(), MH_KEY1) % table_size;
        let skip = hsiphash(name.as_bytes(), MH_KEY2) % (table_size - 1) + 1;
        Self { offset, skip }
    }

    /// The `j`-th preferred slot, `(offset + j·skip) mod M` (64-bit products: no overflow).
    pub fn slot(&self, j: u32, table_size: u32) -> u32 {
        let slot =
            (u64::from(self.offset) + u64::from(j) * u64::from(self.skip)) % u64::from(table_size);
        // The remainder of a division by a u32 fits a u32.
        slot as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_table_1_permutations() {
        let b0 = Permutation { offset: 3, skip: 4 };
        let b1 = Permutation { offset: 0, skip: 2 };
        let b2 = Permutation { offset: 3, skip: 1 };
        let list = |p: Permutation| (0..7).map(|j| p.slot(j, 7)).collect::<Vec<_>>();
        assert_eq!(list(b0), [3, 0, 4, 1, 5, 2, 6]);
        assert_eq!(list(b1), [0, 2, 4, 6, 1, 3, 5]);
        assert_eq!(list(b2), [3, 4, 5, 6, 0, 1, 2]);
    }

    #[test]
    fn hashed_offset_and_skip_are_siphash_of_the_name() {
        let p = Permutation::hashed("backend-0", 65_537);
        assert_eq!(p.offset, hsiphash(b"backend-0", MH_KEY1) % 65_537);
        assert_eq!(p.skip, hsiphash(b"backend-0", MH_KEY2) % 65_536 + 1);
        assert!(p.offset < 65_537 && (1..65_537).contains(&p.skip));
    }

    #[test]
    fn skip_is_one_when_m_is_two() {
        assert_eq!(Permutation::hashed("x", 2).skip, 1);
    }
}
