//! The JSON scenario of the GORB model and its trace.
//!
//! ```json
//! {"model": "gorb", "endpoint": "10.0.0.1",
//!  "ops": [{"op": "create_service", "vs_id": "web", "options": {"port": 80}},
//!          {"op": "add_backend", "vs_id": "web", "rs_id": "web-1",
//!           "options": {"host": "172.17.0.2", "port": 8080, "weight": 100}},
//!          {"op": "pulse", "vs_id": "web", "rs_id": "web-1", "result": "down", "count": 2},
//!          {"op": "get_backend", "vs_id": "web", "rs_id": "web-1"}]}
//! ```
//!
//! Each record is `{"step", "op", …result, "error"?, "http_status"?, "ipvs_errno"?, "now_ms",
//! "services", "backends", "stash"}`. `pulse` adds `checks` (one per check: `at_ms`, `metrics`,
//! `action`, `weight`, `stash`); `patch_weight` adds `previous_weight`; `list_services`,
//! `get_service` and `get_backend` add `response`, GORB's JSON body.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::context::{GorbError, GorbOp, GorbOutcome, GorbSim};
use crate::scenario::from_json::{from_json_struct, from_json_unit_enum};
use crate::scenario::{
    Playback, ScenarioError, op_json, parse, play_all, read_ops, read_single_op,
};

/// The most ops a scenario may have.
pub const MAX_OPS: usize = 1_000;
/// The most checks all `pulse` ops of a scenario may run together.
pub const MAX_CHECKS: u64 = 100_000;

/// The one accepted value of the `model` field.
#[derive(Debug, Clone, Copy)]
enum GorbModel {
    Gorb,
}
from_json_unit_enum!(GorbModel { "gorb" => Gorb });

#[derive(Debug)]
struct GorbScenario {
    model: GorbModel,
    /// The `-i` device's address, the default service host.
    endpoint: Option<String>,
    ops: Vec<Value>,
}
from_json_struct!(GorbScenario, deny_unknown_fields { model, endpoint = default, ops = default });

/// A GORB scenario being played.
pub struct GorbPlayback {
    sim: GorbSim,
    ops: std::vec::IntoIter<GorbOp>,
    applied: usize,
}

impl GorbPlayback {
    /// Parses and validates a scenario (`"model": "gorb"`) and starts its daemon.
    pub fn new(json: &str) -> Result<Self, ScenarioError> {
        let scenario: GorbScenario = parse(json)?;
        let GorbModel::Gorb = scenario.model;
        let ops: Vec<GorbOp> = read_ops(scenario.ops)?.into_iter().map(|(op, _)| op).collect();
        check_trace_size(&ops)?;
        let endpoint = match scenario.endpoint {
            None => None,
            Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
                ScenarioError::new("endpoint", format!("\"{text}\" is not an IP address"))
            })?),
        };
        Ok(Self { sim: GorbSim::new(endpoint), ops: ops.into_iter(), applied: 0 })
    }

    fn record(&mut self, op: GorbOp) -> Value {
        let mut record = json!({ "step": self.applied, "op": op_json(&op) });
        self.applied += 1;
        match self.sim.apply(op) {
            Ok(outcome) => add_outcome(&mut record, outcome),
            Err(err) => add_error(&mut record, &err),
        }
        add_state(&mut record, &self.sim);
        record
    }
}

impl Playback for GorbPlayback {
    fn remaining(&self) -> usize {
        self.ops.len()
    }

    fn step(&mut self) -> Option<Value> {
        let op = self.ops.next()?;
        Some(self.record(op))
    }

    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError> {
        let (op, _): (GorbOp, Value) = read_single_op(op)?;
        check_trace_size(std::slice::from_ref(&op))
            .map_err(|e| ScenarioError::new("op", e.message))?;
        Ok(self.record(op))
    }
}

/// Runs a GORB scenario (`"model": "gorb"`) and returns its trace.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    Ok(play_all(GorbPlayback::new(json)?))
}

/// Caps the trace: at most [`MAX_OPS`] records and [`MAX_CHECKS`] checks.
fn check_trace_size(ops: &[GorbOp]) -> Result<(), ScenarioError> {
    if ops.len() > MAX_OPS {
        return Err(ScenarioError::new("ops", format!("{} ops exceed the cap of 1000", ops.len())));
    }
    let checks: u64 = ops
        .iter()
        .map(|op| match op {
            GorbOp::Pulse { count, .. } => u64::from(*count),
            _ => 0,
        })
        .sum();
    if checks > MAX_CHECKS {
        return Err(ScenarioError::new(
            "ops",
            format!("{checks} pulse checks exceed the cap of 100000 per scenario"),
        ));
    }
    Ok(())
}

fn add_outcome(record: &mut Value, outcome: GorbOutcome) {
    match outcome {
        GorbOutcome::Done => {}
        GorbOutcome::Patched { previous } => record["previous_weight"] = json!(previous),
        GorbOutcome::Pulsed(steps) => record["checks"] = json!(steps),
        GorbOutcome::Services(ids) => record["response"] = json!(ids),
        GorbOutcome::Service(info) => record["response"] = json!(info),
        GorbOutcome::Backend(info) => record["response"] = json!(info),
    }
}

fn add_error(record: &mut Value, err: &GorbError) {
    record["error"] = json!(err.to_string());
    if let Some(status) = err.http_status() {
        record["http_status"] = json!(status);
    }
    if let GorbError::IpvsSyscallFailed { errno } = err {
        record["ipvs_errno"] = json!(errno);
    }
}

fn add_state(record: &mut Value, sim: &GorbSim) {
    record["now_ms"] = json!(sim.now_ms());
    record["services"] = sim
        .services()
        .map(|(vs_id, options)| json!({"vs_id": vs_id, "options": options}))
        .collect();
    record["backends"] = sim.backends().map(|b| json!(b)).collect();
    record["stash"] = sim.stash().map(|s| json!(s)).collect();
}
