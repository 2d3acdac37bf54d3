//! [`SmoothWrrSim`]: the upstream peers of one nginx `upstream` block and their weights.

use crate::scenario::from_json::{from_json_struct, from_op_enum};

/// The most peers an upstream may have here.
pub const MAX_PEERS: usize = 1_000;
/// The largest weight accepted (nginx accepts any positive `weight=`; the cap keeps every sum
/// far inside `i64`).
pub const MAX_WEIGHT: i64 = 1_000_000;
/// The most picks one `pick` operation may ask for.
pub const MAX_PICKS: u32 = 10_000;

/// Errors of the smooth WRR model; the state is unchanged when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmoothWrrError {
    /// An upstream needs at least one server.
    #[error("no peers: an upstream needs at least one server")]
    NoPeers,
    /// More than [`MAX_PEERS`].
    #[error("{0} peers exceed the cap of 1000")]
    TooManyPeers(usize),
    /// nginx rejects `weight=0` ("invalid parameter"); weights are at least 1.
    #[error(
        "peer \"{name}\": invalid weight {weight} (nginx needs weight=1 or more, at most 1000000 here)"
    )]
    InvalidWeight {
        /// The peer.
        name: String,
        /// The weight given.
        weight: i64,
    },
    /// Peer names identify peers in `set_weight` and in the trace.
    #[error("duplicate peer name \"{0}\"")]
    DuplicateName(String),
    /// `set_weight` of an unknown peer.
    #[error("no peer named \"{0}\"")]
    UnknownPeer(String),
    /// `pick` with a count of 0 or above [`MAX_PICKS`].
    #[error("pick count {0} is not between 1 and 10000")]
    InvalidCount(u32),
}

/// A peer as a scenario gives it (`server NAME weight=W;`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeerSpec {
    /// The server's name.
    pub name: String,
    /// `weight=`, default 1 as in nginx.
    pub weight: i64,
}
from_json_struct!(PeerSpec, deny_unknown_fields { name, weight = default_weight });

fn default_weight() -> i64 {
    1
}

/// One peer and the three weights of `ngx_http_upstream_rr_peer_t`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Peer {
    /// The server's name.
    pub name: String,
    /// The configured `weight`.
    pub weight: i64,
    /// `effective_weight`: starts at `weight`; nginx lowers it on failures and raises it back
    /// by one per selection pass (failures are not modelled, so it stays at `weight`).
    pub effective_weight: i64,
    /// `current_weight`: raised by `effective_weight` on every pass, lowered by the total when
    /// the peer is chosen.
    pub current_weight: i64,
}

/// An operation.
///
/// Scenarios write it `{"op": "<name>", …}`: [`crate::scenario::read_ops`] reads the `op` tag;
/// serialized, it is externally tagged and [`crate::scenario::op_json`] moves the tag back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmoothWrrOp {
    /// Selects `count` peers in a row, as `count` requests would.
    Pick {
        /// How many selections (1 to 10000), default 1.
        count: u32,
    },
    /// Changes a peer's weight the way open-source nginx does it: by a configuration reload,
    /// which rebuilds the peers with `current_weight = 0` and `effective_weight = weight`.
    SetWeight {
        /// The peer.
        peer: String,
        /// The new weight (at least 1).
        weight: i64,
    },
}
from_op_enum!(SmoothWrrOp {
    "pick" => Pick { count = default_count },
    "set_weight" => SetWeight { peer, weight },
});

fn default_count() -> u32 {
    1
}

/// One selection and the `current_weight` of every peer around it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pick {
    /// The chosen peer, as an index into the peers.
    pub peer: usize,
    /// The sum of the effective weights of this pass.
    pub total: i64,
    /// Every peer's `current_weight` after `+= effective_weight`, before the choice.
    pub raised: Vec<i64>,
    /// Every peer's `current_weight` after the chosen one lost `total`.
    pub current_weight: Vec<i64>,
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmoothWrrOutcome {
    /// The selections, in order.
    Picked(Vec<Pick>),
    /// The upstream was reloaded with the new weight.
    Reloaded,
}

/// The peers of one upstream under nginx's smooth weighted round-robin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmoothWrrSim {
    peers: Vec<Peer>,
}

impl SmoothWrrSim {
    /// Builds the upstream (`ngx_http_upstream_init_round_robin`: `current_weight = 0`,
    /// `effective_weight = weight`).
    pub fn new(peers: Vec<PeerSpec>) -> Result<Self, SmoothWrrError> {
        if peers.is_empty() {
            return Err(SmoothWrrError::NoPeers);
        }
        if peers.len() > MAX_PEERS {
            return Err(SmoothWrrError::TooManyPeers(peers.len()));
        }
        let mut built: Vec<Peer> = Vec::with_capacity(peers.len());
        for spec in peers {
            check_weight(&spec.name, spec.weight)?;
            if built.iter().any(|p| p.name == spec.name) {
                return Err(SmoothWrrError::DuplicateName(spec.name));
            }
            built.push(Peer {
                name: spec.name,
                weight: spec.weight,
                effective_weight: spec.weight,
                current_weight: 0,
            });
        }
        Ok(Self { peers: built })
    }

    /// Applies one operation; on error nothing changes.
    pub fn apply(&mut self, op: SmoothWrrOp) -> Result<SmoothWrrOutcome, SmoothWrrError> {
        match op {
            SmoothWrrOp::Pick { count } => {
                if count == 0 || count > MAX_PICKS {
                    return Err(SmoothWrrError::InvalidCount(count));
                }
                Ok(SmoothWrrOutcome::Picked((0..count).map(|_| self.pick_traced()).collect()))
            }
            SmoothWrrOp::SetWeight { peer, weight } => {
                check_weight(&peer, weight)?;
                let Some(index) = self.peers.iter().position(|p| p.name == peer) else {
                    return Err(SmoothWrrError::UnknownPeer(peer));
                };
                if let Some(p) = self.peers.get_mut(index) {
                    p.weight = weight;
                }
                for p in &mut self.peers {
                    p.current_weight = 0;
                    p.effective_weight = p.weight;
                }
                Ok(SmoothWrrOutcome::Reloaded)
            }
        }
    }

    /// One selection, `ngx_http_upstream_get_round_robin_peer`: with a single peer
    /// (`peers->single`) it is returned without touching its weights; otherwise
    /// `ngx_http_upstream_get_peer` raises every `current_weight` by its `effective_weight`,
    /// takes the first peer with the largest `current_weight` (strict `>`), and lowers that one
    /// by the total. Returns the chosen index.
    pub fn pick(&mut self) -> usize {
        if self.peers.len() == 1 {
            return 0;
        }
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        let mut best_weight = i64::MIN;
        for (i, peer) in self.peers.iter_mut().enumerate() {
            peer.current_weight += peer.effective_weight;
            total += peer.effective_weight;
            if peer.effective_weight < peer.weight {
                peer.effective_weight += 1;
            }
            if best.is_none() || peer.current_weight > best_weight {
                best = Some(i);
                best_weight = peer.current_weight;
            }
        }
        let chosen = best.unwrap_or(0);
        if let Some(peer) = self.peers.get_mut(chosen) {
            peer.current_weight -= total;
        }
        chosen
    }

    fn pick_traced(&mut self) -> Pick {
        let total = self.peers.iter().map(|p| p.effective_weight).sum();
        let before: Vec<i64> = self.peers.iter().map(|p| p.current_weight).collect();
        let peer = self.pick();
        let current_weight: Vec<i64> = self.peers.iter().map(|p| p.current_weight).collect();
        let raised = if self.peers.len() == 1 {
            before
        } else {
            current_weight
                .iter()
                .enumerate()
                .map(|(i, &w)| if i == peer { w + total } else { w })
                .collect()
        };
        Pick { peer, total: if self.peers.len() == 1 { 0 } else { total }, raised, current_weight }
    }

    /// The peers in configuration order.
    pub fn peers(&self) -> &[Peer] {
        &self.peers
    }
}

fn check_weight(name: &str, weight: i64) -> Result<(), SmoothWrrError> {
    if (1..=MAX_WEIGHT).contains(&weight) {
        Ok(())
    } else {
        Err(SmoothWrrError::InvalidWeight { name: name.to_owned(), weight })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(weights: &[(&str, i64)]) -> SmoothWrrSim {
        SmoothWrrSim::new(
            weights.iter().map(|&(n, w)| PeerSpec { name: n.into(), weight: w }).collect(),
        )
        .unwrap()
    }

    #[test]
    fn weights_5_1_1_give_a_a_b_a_c_a_a() {
        let mut s = sim(&[("A", 5), ("B", 1), ("C", 1)]);
        let names: Vec<&str> = (0..7).map(|_| ["A", "B", "C"][s.pick()]).collect();
        assert_eq!(names, ["A", "A", "B", "A", "C", "A", "A"]);
        assert!(s.peers().iter().all(|p| p.current_weight == 0));
    }

    #[test]
    fn first_pick_raises_then_subtracts_total() {
        let mut s = sim(&[("A", 5), ("B", 1), ("C", 1)]);
        let SmoothWrrOutcome::Picked(picks) = s.apply(SmoothWrrOp::Pick { count: 2 }).unwrap()
        else {
            panic!("not picked")
        };
        assert_eq!(
            picks[0],
            Pick { peer: 0, total: 7, raised: vec![5, 1, 1], current_weight: vec![-2, 1, 1] }
        );
        assert_eq!(
            picks[1],
            Pick { peer: 0, total: 7, raised: vec![3, 2, 2], current_weight: vec![-4, 2, 2] }
        );
    }

    #[test]
    fn a_single_peer_keeps_its_weights_untouched() {
        let mut s = sim(&[("only", 3)]);
        assert_eq!(s.pick(), 0);
        assert_eq!(s.peers()[0].current_weight, 0);
    }

    #[test]
    fn set_weight_reloads_the_upstream() {
        let mut s = sim(&[("A", 5), ("B", 1)]);
        s.pick();
        s.apply(SmoothWrrOp::SetWeight { peer: "B".into(), weight: 2 }).unwrap();
        assert!(s.peers().iter().all(|p| p.current_weight == 0));
        assert_eq!(s.peers()[1].effective_weight, 2);
    }
}
