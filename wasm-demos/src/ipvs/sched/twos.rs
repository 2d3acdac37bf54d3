//! Power of two choices (`ip_vs_twos.c`, Linux 6.3+).
//!
//! Two draws `r mod (Σw + 1)` over the eligible destinations; walking the list and subtracting
//! each weight, the first destination where a draw reaches ≤ 0 is that draw's choice. Choice 2
//! replaces choice 1 only when `w2 · oh1 > w1 · oh2`, in the kernel's 32-bit `int` arithmetic
//! (the products wrap; wlc's are 64-bit). The kernel draws with
//! `get_random_u32_below(Σw + 1)`, which takes the high half of a random `u32` times `Σw + 1`;
//! here a raw `u32` from the service's seeded [`SplitMix64`](crate::ipvs::prng::SplitMix64), or
//! given explicitly, is reduced `mod (Σw + 1)`: as uniform, but not the same numbers. The last
//! pair is kept for display.

use crate::ipvs::dest::RealServer;

/// The twos scheduler keeps no kernel state; this records the last draws for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TwosState {
    /// The two raw `prandom_u32()` values used by the last pick.
    pub last_draws: Option<[u32; 2]>,
}

/// The kernel's `(weight2 * overhead1) > (weight1 * overhead2)`: unlike wlc's `(__s64)`
/// products, these are plain `int` products, so they wrap at 32 bits (the kernel is built
/// with `-fno-strict-overflow`). With weight 65535, 129 active connections on choice 1
/// (overhead 33024) already make `weight2 * overhead1` negative, and choice 1 is kept.
fn beats(w1: i64, oh1: i64, w2: i64, oh2: i64) -> bool {
    let int = |v: i64| v as i32;
    int(w2).wrapping_mul(int(oh1)) > int(w1).wrapping_mul(int(oh2))
}

/// `ip_vs_twos_schedule` with the two raw draws given.
pub fn schedule(list: &[RealServer], draws: [u32; 2]) -> Option<usize> {
    let mut total: i64 = 0;
    let mut any = false;
    for dest in list.iter().filter(|d| d.is_eligible()) {
        total += i64::from(dest.weight);
        any = true;
    }
    if !any {
        return None;
    }
    total += 1;
    let mut rweight1 = i64::from(draws[0]) % total;
    let mut rweight2 = i64::from(draws[1]) % total;
    let mut choice1: Option<(usize, i64, i64)> = None;
    let mut choice2: Option<(usize, i64, i64)> = None;
    for (i, dest) in list.iter().enumerate() {
        if !dest.is_eligible() {
            continue;
        }
        let weight = i64::from(dest.weight);
        rweight1 -= weight;
        rweight2 -= weight;
        if rweight1 <= 0 && choice1.is_none() {
            choice1 = Some((i, weight, dest.conn_overhead()));
        }
        if rweight2 <= 0 && choice2.is_none() {
            choice2 = Some((i, weight, dest.conn_overhead()));
        }
        if choice1.is_some() && choice2.is_some() {
            break;
        }
    }
    match (choice1, choice2) {
        (Some((_, w1, oh1)), Some((c2, w2, oh2))) if beats(w1, oh1, w2, oh2) => Some(c2),
        (Some((c1, _, _)), _) => Some(c1),
        // Unreachable in practice: rweight1 < total, so it reaches ≤ 0 by the last eligible dest.
        (None, _) => list.iter().rposition(RealServer::is_eligible),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::dest::test_server;

    #[test]
    fn draws_walk_the_weights_and_the_lighter_choice_wins() {
        // Weights 3, 2, 1: draws are taken mod 7; r = 0..=3 -> d0, 4..=5 -> d1, 6 -> d2.
        let mut list = [test_server(0, 3), test_server(1, 2), test_server(2, 1)];
        assert_eq!(schedule(&list, [0, 5]), Some(0), "equal overheads keep choice 1");
        assert_eq!(schedule(&list, [13, 6]), Some(2), "13 mod 7 = 6");
        list[0].activeconns = 1;
        assert_eq!(schedule(&list, [3, 4]), Some(1), "2 * 256 > 3 * 0");
        list[1].inactconns = 400;
        assert_eq!(schedule(&list, [3, 4]), Some(0), "2 * 256 = 512 < 3 * 400");
    }

    #[test]
    fn the_int_products_of_ip_vs_twos_schedule_wrap_at_32_bits() {
        // List d0 (weight 1), d1 (weight 65535): draw 0 -> d0, draw 65536 -> d1.
        let mut list = [test_server(0, 1), test_server(1, 65_535)];
        list[0].activeconns = 128; // overhead 32768: 65535 * 32768 still fits an int
        assert_eq!(schedule(&list, [0, 65_536]), Some(1));
        list[0].activeconns = 129; // 65535 * 33024 wraps negative: choice 1 is kept
        assert_eq!(schedule(&list, [0, 65_536]), Some(0));
    }

    #[test]
    fn nothing_eligible_is_none() {
        let list = [test_server(0, 0)];
        assert_eq!(schedule(&list, [0, 0]), None);
    }
}
