//! The JSON scenario of the smooth WRR model and its trace.
//!
//! ```json
//! {"model": "smooth_wrr", "peers": [{"name": "A", "weight": 5}, {"name": "B"}],
//!  "ops": [{"op": "pick", "count": 7}, {"op": "set_weight", "peer": "B", "weight": 2}]}
//! ```
//!
//! Each record is `{"step", "op", …result, "error"?, "peers"}`; `pick` adds `picks` (one
//! `{"peer", "total", "raised", "current_weight"}` per selection) and `sequence` (the names).

use serde_json::{Value, json};

use super::sim::{PeerSpec, SmoothWrrError, SmoothWrrOp, SmoothWrrOutcome, SmoothWrrSim};
use crate::scenario::from_json::{from_json_struct, from_json_unit_enum};
use crate::scenario::{
    Playback, ScenarioError, op_json, parse, play_all, read_ops, read_single_op,
};

/// The most ops a scenario may have.
pub const MAX_OPS: usize = 1_000;
/// Every pick records two weights per peer, so Σ count × peers is capped (about 4 M).
pub const MAX_TRACE_WEIGHTS: u64 = 4_194_304;

/// The one accepted value of the `model` field.
#[derive(Debug, Clone, Copy)]
enum SmoothWrrModel {
    SmoothWrr,
}
from_json_unit_enum!(SmoothWrrModel { "smooth_wrr" => SmoothWrr });

#[derive(Debug)]
struct SmoothWrrScenario {
    model: SmoothWrrModel,
    peers: Vec<PeerSpec>,
    ops: Vec<Value>,
}
from_json_struct!(SmoothWrrScenario, deny_unknown_fields { model, peers, ops = default });

/// Caps the trace: at most [`MAX_OPS`] records and [`MAX_TRACE_WEIGHTS`] recorded pick rows
/// (Σ count × peers).
fn check_trace_size(ops: &[SmoothWrrOp], peers: usize) -> Result<(), ScenarioError> {
    if ops.len() > MAX_OPS {
        return Err(ScenarioError::new("ops", format!("{} ops exceed the cap of 1000", ops.len())));
    }
    let picks: u64 = ops
        .iter()
        .map(|op| match op {
            SmoothWrrOp::Pick { count } => u64::from(*count),
            SmoothWrrOp::SetWeight { .. } => 0,
        })
        .sum();
    let weights = picks.saturating_mul(peers as u64);
    if weights > MAX_TRACE_WEIGHTS {
        return Err(ScenarioError::new(
            "ops",
            format!(
                "{picks} picks × {peers} peers = {weights} weights in the trace, above the cap \
                 of 4194304"
            ),
        ));
    }
    Ok(())
}

/// A smooth WRR scenario being played.
pub struct SmoothWrrPlayback {
    sim: SmoothWrrSim,
    ops: std::vec::IntoIter<SmoothWrrOp>,
    applied: usize,
}

impl SmoothWrrPlayback {
    /// Parses and validates a scenario (`"model": "smooth_wrr"`) and sets up its peers.
    pub fn new(json: &str) -> Result<Self, ScenarioError> {
        let scenario: SmoothWrrScenario = parse(json)?;
        let SmoothWrrModel::SmoothWrr = scenario.model;
        let ops: Vec<SmoothWrrOp> = read_ops(scenario.ops)?.into_iter().map(|(op, _)| op).collect();
        check_trace_size(&ops, scenario.peers.len())?;
        let specs = scenario.peers.clone();
        let sim = SmoothWrrSim::new(scenario.peers).map_err(|err| {
            let index_of = |name: &str| specs.iter().rposition(|s| s.name == name).unwrap_or(0);
            let path = match &err {
                SmoothWrrError::InvalidWeight { name, .. } => {
                    format!(
                        "peers[{}].weight",
                        specs.iter().position(|s| &s.name == name).unwrap_or(0)
                    )
                }
                SmoothWrrError::DuplicateName(name) => format!("peers[{}].name", index_of(name)),
                _ => "peers".to_owned(),
            };
            ScenarioError::new(path, err.to_string())
        })?;
        Ok(Self { sim, ops: ops.into_iter(), applied: 0 })
    }

    fn record(&mut self, op: SmoothWrrOp) -> Value {
        let mut record = json!({ "step": self.applied, "op": op_json(&op) });
        self.applied += 1;
        let sim = &mut self.sim;
        match sim.apply(op) {
            Ok(SmoothWrrOutcome::Picked(picks)) => {
                let name = |i: usize| sim.peers().get(i).map_or("", |p| p.name.as_str());
                record["sequence"] = picks.iter().map(|p| json!(name(p.peer))).collect();
                record["picks"] = picks
                    .iter()
                    .map(|p| {
                        json!({"peer": name(p.peer), "total": p.total, "raised": p.raised,
                               "current_weight": p.current_weight})
                    })
                    .collect();
            }
            Ok(SmoothWrrOutcome::Reloaded) => {}
            Err(err) => record["error"] = json!(err.to_string()),
        }
        record["peers"] = json!(sim.peers());
        record
    }
}

impl Playback for SmoothWrrPlayback {
    fn remaining(&self) -> usize {
        self.ops.len()
    }

    fn step(&mut self) -> Option<Value> {
        let op = self.ops.next()?;
        Some(self.record(op))
    }

    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError> {
        let (op, _): (SmoothWrrOp, Value) = read_single_op(op)?;
        check_trace_size(std::slice::from_ref(&op), self.sim.peers().len())
            .map_err(|e| ScenarioError::new("op", e.message))?;
        Ok(self.record(op))
    }
}

/// Runs a smooth WRR scenario (`"model": "smooth_wrr"`) and returns its trace.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    Ok(play_all(SmoothWrrPlayback::new(json)?))
}
