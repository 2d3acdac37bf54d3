//! A tournament tree that answers the least-connection family's scan in O(1).
//!
//! The kernel's lc, wlc, sed, nq, fo and ovf each scan the list once and keep the first
//! destination that no later one beats *strictly*. Each comparison is a strict weak order
//! (lc: overhead; wlc: `oh/w` by exact cross-multiplication; sed: `(active + 1)/w`; nq: idle
//! first, then sed; fo/ovf: weight), so the scan's answer is the first position among the
//! best: exactly what a tournament tree returns when a tie goes to the left (lower position).
//! The tree is rebuilt when the list changes and updated in O(log n) when one destination's
//! weight, OVERLOAD flag or counters change; the pick itself reads the root. The property
//! tests check it against the plain scans in [`super::lc`] after every op.

use crate::ipvs::dest::RealServer;

const NONE: u32 = u32::MAX;

/// Which kernel scan the tree reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `ip_vs_lc.c`.
    Lc,
    /// `ip_vs_wlc.c`.
    Wlc,
    /// `ip_vs_sed.c`.
    Sed,
    /// `ip_vs_nq.c`.
    Nq,
    /// `ip_vs_fo.c`.
    Fo,
    /// `ip_vs_ovf.c`.
    Ovf,
}

impl Rule {
    /// Whether the scan can return `d` at all.
    fn eligible(self, d: &RealServer) -> bool {
        match self {
            Self::Ovf => d.is_eligible() && d.activeconns <= d.weight,
            _ => d.is_eligible(),
        }
    }

    /// Whether `b` strictly beats `a` (the scan would replace `a` by `b`).
    fn beats(self, b: &RealServer, a: &RealServer) -> bool {
        let sed = |d: &RealServer| i64::from(d.activeconns) + 1;
        match self {
            Self::Lc => b.conn_overhead() < a.conn_overhead(),
            Self::Wlc => {
                a.conn_overhead() * i64::from(b.weight) > b.conn_overhead() * i64::from(a.weight)
            }
            Self::Sed => sed(a) * i64::from(b.weight) > sed(b) * i64::from(a.weight),
            Self::Nq => match (a.activeconns == 0, b.activeconns == 0) {
                (true, _) => false,
                (false, true) => true,
                (false, false) => sed(a) * i64::from(b.weight) > sed(b) * i64::from(a.weight),
            },
            Self::Fo | Self::Ovf => b.weight > a.weight,
        }
    }
}

/// The tree: `nodes[1]` is the root, leaf `i` is `nodes[leaves + i]`; each node holds the
/// winning list position of its subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tournament {
    rule: Rule,
    leaves: usize,
    nodes: Vec<u32>,
}

impl Tournament {
    /// Builds the tree over the list.
    pub fn build(rule: Rule, list: &[RealServer]) -> Self {
        let leaves = list.len().next_power_of_two().max(1);
        let mut nodes = vec![NONE; 2 * leaves];
        for (i, d) in list.iter().enumerate() {
            if rule.eligible(d) {
                nodes[leaves + i] = i as u32;
            }
        }
        let mut tree = Self { rule, leaves, nodes };
        for node in (1..leaves).rev() {
            tree.nodes[node] = tree.play(list, 2 * node);
        }
        tree
    }

    /// The rule this tree follows.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// The scan's answer.
    pub fn best(&self) -> Option<usize> {
        let root = self.nodes.get(1).copied().unwrap_or(NONE);
        (root != NONE).then_some(root as usize)
    }

    /// Destination `pos` changed its weight, flag or counters.
    pub(crate) fn update(&mut self, list: &[RealServer], pos: usize) {
        if pos >= list.len() || pos >= self.leaves {
            return;
        }
        let mut node = self.leaves + pos;
        self.nodes[node] = if self.rule.eligible(&list[pos]) { pos as u32 } else { NONE };
        while node > 1 {
            node /= 2;
            self.nodes[node] = self.play(list, 2 * node);
        }
    }

    /// The winner of the match between the children at `left` and `left + 1`.
    fn play(&self, list: &[RealServer], left: usize) -> u32 {
        let (a, b) = (self.nodes[left], self.nodes[left + 1]);
        match (list.get(a as usize), list.get(b as usize)) {
            (None, _) => b,
            (_, None) => a,
            (Some(da), Some(db)) => {
                if self.rule.beats(db, da) {
                    b
                } else {
                    a
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::dest::test_server;
    use crate::ipvs::sched::lc;

    #[test]
    fn ties_go_to_the_lower_position_like_the_scan() {
        let mut list: Vec<RealServer> = (0..5).map(|i| test_server(i, 2)).collect();
        let mut tree = Tournament::build(Rule::Wlc, &list);
        assert_eq!(tree.best(), Some(0));
        list[0].activeconns = 1;
        tree.update(&list, 0);
        assert_eq!(tree.best(), Some(1));
        list[3].weight = 4;
        list[3].activeconns = 1;
        list[1].activeconns = 1;
        list[2].activeconns = 1;
        list[4].activeconns = 1;
        for pos in 0..5 {
            tree.update(&list, pos);
        }
        assert_eq!(tree.best(), lc::wlc(&list));
        assert_eq!(tree.best(), Some(3), "256 / 4 beats 256 / 2");
    }

    #[test]
    fn each_rule_matches_its_scan() {
        let mut list: Vec<RealServer> = (0..7).map(|i| test_server(i, (i % 3) + 1)).collect();
        for (i, d) in list.iter_mut().enumerate() {
            d.activeconns = (i as u32 * 7) % 4;
            d.inactconns = (i as u32 * 5) % 3;
        }
        list[2].overloaded = true;
        list[5].weight = 0;
        type Scan = fn(&[RealServer]) -> Option<usize>;
        let scans: [(Rule, Scan); 6] = [
            (Rule::Lc, lc::lc),
            (Rule::Wlc, lc::wlc),
            (Rule::Sed, lc::sed),
            (Rule::Nq, lc::nq),
            (Rule::Fo, lc::fo),
            (Rule::Ovf, lc::ovf),
        ];
        for (rule, scan) in scans {
            assert_eq!(Tournament::build(rule, &list).best(), scan(&list), "{rule:?}");
        }
        assert_eq!(Tournament::build(Rule::Lc, &[]).best(), None);
    }
}
