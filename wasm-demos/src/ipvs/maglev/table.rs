//! Pseudocode 1 of the paper: populating the lookup table, and the balance of the result.

use super::permutation::Permutation;

/// Marks an unfilled slot (`entry[j] ← −1` in Pseudocode 1).
const EMPTY: u32 = u32::MAX;

/// One claim of Pseudocode 1: a backend, on its turn, takes its next unfilled preferred slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FillStep {
    /// Which pass over the backends this claim belongs to (0-based): every backend claims one
    /// slot per round, in the backends' order, until the table is full.
    pub round: u32,
    /// The claiming backend, as an index into the backend list.
    pub backend: u32,
    /// The slot it claimed.
    pub slot: u32,
    /// How many of its preferred slots it skipped first because they were already filled.
    pub skipped: u32,
}

/// Fills a table of `table_size` slots from the backends' permutations (Pseudocode 1) and
/// returns, for each slot, the index of the backend that owns it; `fill` receives every claim.
///
/// The caller guarantees `1 ≤ permutations.len() ≤ table_size`, a prime `table_size`, and
/// permutations made for that size. The next preference of each backend is kept as a slot and
/// advanced by `skip` (mod M), so no permutation is materialised; each inner probe loop ends
/// because a permutation visits every slot and at least one slot is still empty.
pub(crate) fn populate(
    permutations: &[Permutation],
    table_size: u32,
    mut fill: Option<&mut Vec<FillStep>>,
) -> Vec<u32> {
    let m = table_size as usize;
    let mut entry = vec![EMPTY; m];
    // `next[i]` of the paper, kept as the slot permutation[i][next[i]] rather than an index.
    let mut next: Vec<u32> = permutations.iter().map(|p| p.offset).collect();
    let mut filled = 0usize;
    let mut round = 0u32;
    loop {
        for (i, (p, c)) in permutations.iter().zip(next.iter_mut()).enumerate() {
            let mut slot = *c;
            let mut skipped = 0u32;
            while entry[slot as usize] != EMPTY {
                slot = advance(slot, p.skip, table_size);
                skipped += 1;
            }
            // The backend count is capped far below u32::MAX.
            entry[slot as usize] = i as u32;
            *c = advance(slot, p.skip, table_size);
            if let Some(steps) = fill.as_deref_mut() {
                steps.push(FillStep { round, backend: i as u32, slot, skipped });
            }
            filled += 1;
            if filled == m {
                return entry;
            }
        }
        round += 1;
    }
}

/// `(slot + skip) mod M` for `slot, skip < M`, without a division.
fn advance(slot: u32, skip: u32, table_size: u32) -> u32 {
    let next = u64::from(slot) + u64::from(skip);
    if next >= u64::from(table_size) { (next - u64::from(table_size)) as u32 } else { next as u32 }
}

/// How evenly the table is shared: the paper's turn-taking gives every backend ⌊M/N⌋ or
/// ⌈M/N⌉ entries, the first `M mod N` backends in order taking one more.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Balance {
    /// Entries owned by each backend, in backend order.
    pub entries: Vec<u32>,
    /// The largest entry count.
    pub max_entries: u32,
    /// The smallest entry count.
    pub min_entries: u32,
    /// `max_entries / min_entries`.
    pub max_min_ratio: f64,
}

impl Balance {
    /// Counts the entries of `table` per backend (`backends` of them, at least one).
    pub(crate) fn of(table: &[u32], backends: usize) -> Self {
        let mut entries = vec![0u32; backends];
        for &owner in table {
            if let Some(count) = entries.get_mut(owner as usize) {
                *count += 1;
            }
        }
        let max_entries = entries.iter().copied().max().unwrap_or(0);
        let min_entries = entries.iter().copied().min().unwrap_or(0);
        let max_min_ratio = f64::from(max_entries) / f64::from(min_entries.max(1));
        Self { entries, max_entries, min_entries, max_min_ratio }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper_permutations() -> [Permutation; 3] {
        [
            Permutation { offset: 3, skip: 4 },
            Permutation { offset: 0, skip: 2 },
            Permutation { offset: 3, skip: 1 },
        ]
    }

    #[test]
    fn paper_example_table_is_b1_b0_b1_b0_b2_b2_b0() {
        assert_eq!(populate(&paper_permutations(), 7, None), [1, 0, 1, 0, 2, 2, 0]);
    }

    #[test]
    fn paper_example_fill_trace_claims_slot_by_slot() {
        let mut steps = Vec::new();
        populate(&paper_permutations(), 7, Some(&mut steps));
        let claims: Vec<_> =
            steps.iter().map(|s| (s.round, s.backend, s.slot, s.skipped)).collect();
        assert_eq!(
            claims,
            [
                (0, 0, 3, 0),
                (0, 1, 0, 0),
                (0, 2, 4, 1),
                (1, 0, 1, 2),
                (1, 1, 2, 0),
                (1, 2, 5, 0),
                (2, 0, 6, 2)
            ]
        );
    }

    #[test]
    fn removing_b1_gives_b0_b0_b0_b0_b2_b2_b2() {
        let [b0, _, b2] = paper_permutations();
        assert_eq!(populate(&[b0, b2], 7, None), [0, 0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn balance_counts_entries_per_backend() {
        let balance = Balance::of(&[1, 0, 1, 0, 2, 2, 0], 3);
        assert_eq!(balance.entries, [3, 2, 2]);
        assert_eq!((balance.max_entries, balance.min_entries), (3, 2));
        assert_eq!(balance.max_min_ratio, 1.5);
    }

    #[test]
    fn advance_wraps_modulo_m() {
        assert_eq!(advance(5, 4, 7), 2);
        assert_eq!(advance(2, 4, 7), 6);
    }
}
