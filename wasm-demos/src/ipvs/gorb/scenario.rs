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
use crate::scenario::{ScenarioError, parse};

/// The one accepted value of the `model` field.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum GorbModel {
    Gorb,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GorbScenario {
    model: GorbModel,
    /// The `-i` device's address, the default service host.
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    ops: Vec<GorbOp>,
}

/// Runs a GORB scenario (`"model": "gorb"`) and returns its trace.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    let scenario: GorbScenario = parse(json)?;
    let GorbModel::Gorb = scenario.model;
    let endpoint = match scenario.endpoint {
        None => None,
        Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
            ScenarioError::new("endpoint", format!("\"{text}\" is not an IP address"))
        })?),
    };
    let mut sim = GorbSim::new(endpoint);
    let records = scenario
        .ops
        .into_iter()
        .enumerate()
        .map(|(step, op)| {
            let mut record = json!({ "step": step, "op": op });
            match sim.apply(op) {
                Ok(outcome) => add_outcome(&mut record, outcome),
                Err(err) => add_error(&mut record, &err),
            }
            add_state(&mut record, &sim);
            record
        })
        .collect();
    Ok(Value::Array(records))
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
