//! The JSON scenario of the Maglev model and its trace.
//!
//! ```json
//! {"model": "maglev", "table_size": 7,
//!  "backends": [{"name": "B0", "offset": 3, "skip": 4}, {"name": "B1"}],
//!  "ops": [{"op": "populate", "trace": true}, {"op": "remove_backend", "name": "B1"},
//!          {"op": "add_backend", "name": "B3"}, {"op": "permutations"},
//!          {"op": "lookup", "key": "10.0.0.1:51000"}]}
//! ```
//!
//! Each trace record is `{"step", "op", …result, "error"?, "table_size", "backends", "table",
//! "balance"}`: `populate` adds `fill` (with `trace`), `add_backend`/`remove_backend` add
//! `disruption`, `permutations` adds `permutations` (`[{"backend", "slots"}]`), `lookup` adds
//! `hash`, `slot` and `backend`.

use serde_json::{Value, json};

use super::sim::{BackendSpec, MaglevError, MaglevOp, MaglevOutcome, MaglevParams, MaglevSim};
use crate::scenario::from_json::{from_json_struct, from_json_unit_enum};
use crate::scenario::{
    Playback, ScenarioError, op_json, parse, play_all, read_ops, read_single_op,
};

/// The most ops a scenario may have.
pub const MAX_OPS: usize = 1_000;
/// Every record carries the whole table, so ops × M is capped (about 4 M entries).
pub const MAX_TRACE_ENTRIES: u64 = 4_194_304;

/// The one accepted value of the `model` field.
#[derive(Debug, Clone, Copy)]
enum MaglevModel {
    Maglev,
}
from_json_unit_enum!(MaglevModel { "maglev" => Maglev });

#[derive(Debug)]
struct MaglevScenario {
    model: MaglevModel,
    table_size: u32,
    backends: Vec<BackendSpec>,
    ops: Vec<Value>,
}
from_json_struct!(MaglevScenario, deny_unknown_fields { model, table_size, backends, ops = default });

/// A Maglev scenario being played.
pub struct MaglevPlayback {
    sim: MaglevSim,
    ops: std::vec::IntoIter<MaglevOp>,
    applied: usize,
    with_table: bool,
}

impl MaglevPlayback {
    /// Parses and validates a scenario (`"model": "maglev"`) and populates its table. Records
    /// carry the whole `table` when `with_table`; the browser reads it from [`Self::sim`].
    pub fn new(json: &str, with_table: bool) -> Result<Self, ScenarioError> {
        let scenario: MaglevScenario = parse(json)?;
        let MaglevModel::Maglev = scenario.model;
        let ops: Vec<MaglevOp> = read_ops(scenario.ops)?.into_iter().map(|(op, _)| op).collect();
        let recorded_size = if with_table { scenario.table_size } else { 0 };
        check_trace_size(ops.len(), recorded_size)?;
        let specs = scenario.backends.clone();
        let sim = MaglevSim::new(MaglevParams {
            table_size: scenario.table_size,
            backends: scenario.backends,
        })
        .map_err(|err| setting_error(&err, &specs))?;
        Ok(Self { sim, ops: ops.into_iter(), applied: 0, with_table })
    }

    /// The simulation in its current state.
    pub fn sim(&self) -> &MaglevSim {
        &self.sim
    }

    fn record(&mut self, op: MaglevOp) -> Value {
        let mut record = json!({ "step": self.applied, "op": op_json(&op) });
        self.applied += 1;
        match self.sim.apply(op) {
            Ok(outcome) => add_outcome(&mut record, &self.sim, outcome),
            Err(err) => record["error"] = json!(err.to_string()),
        }
        add_state(&mut record, &self.sim, self.with_table);
        record
    }
}

impl Playback for MaglevPlayback {
    fn remaining(&self) -> usize {
        self.ops.len()
    }

    fn step(&mut self) -> Option<Value> {
        let op = self.ops.next()?;
        Some(self.record(op))
    }

    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError> {
        let (op, _): (MaglevOp, Value) = read_single_op(op)?;
        Ok(self.record(op))
    }
}

/// Runs a Maglev scenario (`"model": "maglev"`) and returns its trace.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    Ok(play_all(MaglevPlayback::new(json, true)?))
}

/// Caps the trace: at most [`MAX_OPS`] records of M table entries each, [`MAX_TRACE_ENTRIES`]
/// entries in all.
fn check_trace_size(ops: usize, table_size: u32) -> Result<(), ScenarioError> {
    if ops > MAX_OPS {
        return Err(ScenarioError::new("ops", format!("{ops} ops exceed the cap of 1000")));
    }
    let entries = ops as u64 * u64::from(table_size);
    if entries > MAX_TRACE_ENTRIES {
        return Err(ScenarioError::new(
            "ops",
            format!(
                "{ops} ops × table size {table_size} = {entries} table entries in the trace, \
                 above the cap of 4194304"
            ),
        ));
    }
    Ok(())
}

/// Names the settings field a construction error is about.
fn setting_error(err: &MaglevError, specs: &[BackendSpec]) -> ScenarioError {
    let index_of = |name: &str| specs.iter().position(|s| s.name == name).unwrap_or(0);
    let path = match err {
        MaglevError::NotPrime(_)
        | MaglevError::TableTooSmall(_)
        | MaglevError::TableTooLarge(_) => "table_size".to_owned(),
        MaglevError::DuplicateName(name) => {
            let last = specs.iter().rposition(|s| &s.name == name).unwrap_or(0);
            format!("backends[{last}].name")
        }
        MaglevError::EmptyName => format!("backends[{}].name", index_of("")),
        MaglevError::HalfPermutation(name) => format!("backends[{}]", index_of(name)),
        MaglevError::OffsetOutOfRange { name, .. } => {
            format!("backends[{}].offset", index_of(name))
        }
        MaglevError::SkipOutOfRange { name, .. } => format!("backends[{}].skip", index_of(name)),
        _ => "backends".to_owned(),
    };
    ScenarioError::new(path, err.to_string())
}

fn add_outcome(record: &mut Value, sim: &MaglevSim, outcome: MaglevOutcome) {
    match outcome {
        MaglevOutcome::Populated { fill: Some(steps) } => {
            let name = |i: u32| sim.backends().get(i as usize).map_or("", |b| b.name.as_str());
            record["fill"] = steps
                .iter()
                .map(|s| {
                    json!({"round": s.round, "backend": name(s.backend), "slot": s.slot,
                           "skipped": s.skipped})
                })
                .collect();
        }
        MaglevOutcome::Populated { fill: None } => {}
        MaglevOutcome::Rebuilt { disruption } => record["disruption"] = json!(disruption),
        MaglevOutcome::Permutations(lists) => {
            record["permutations"] = sim
                .backends()
                .iter()
                .zip(lists)
                .map(|(b, slots)| json!({"backend": b.name, "slots": slots}))
                .collect();
        }
        MaglevOutcome::Looked(found) => {
            record["hash"] = json!(found.hash);
            record["slot"] = json!(found.slot);
            record["backend"] = json!(found.backend);
        }
    }
}

fn add_state(record: &mut Value, sim: &MaglevSim, with_table: bool) {
    let balance = sim.balance();
    record["table_size"] = json!(sim.table_size());
    record["backends"] = sim
        .backends()
        .iter()
        .zip(&balance.entries)
        .map(|(b, entries)| {
            json!({"name": b.name, "offset": b.permutation.offset, "skip": b.permutation.skip,
                   "permutation": b.permutation_source, "entries": entries})
        })
        .collect();
    if with_table {
        record["table"] = json!(sim.table());
    }
    record["balance"] = json!({
        "max_entries": balance.max_entries,
        "min_entries": balance.min_entries,
        "max_min_ratio": balance.max_min_ratio,
    });
}
