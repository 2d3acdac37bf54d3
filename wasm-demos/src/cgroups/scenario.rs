//! The JSON scenario runner: settings, ops in order, and a trace with one record per op.
//!
//! ```json
//! {"version": 2, "cpus": 1,
//!  "groups": [{"path": "/web", "files": {"cpu.max": "50000 100000"}}],
//!  "ops": [{"op": "spawn", "cgroup": "/web"}, {"op": "run", "ms": 1000},
//!          {"op": "read", "cgroup": "/web", "file": "cpu.stat"}]}
//! ```
//!
//! Each record is `{"step", "op" (as given), result fields, "error" (only on failure),
//! "time_ms", "cgroups" (every visible file of every cgroup by its name), "processes",
//! "tasks", "page_cache", "nproc"}`. Building the trace is kept out of the core: the browser
//! facade drives [`CgroupSim`] directly.
//!
//! A malformed field is reported with its JSON path
//! (`ops[3].ms: invalid type: string "x", expected u64`).

use serde_json::{Map, Value, json};

use super::cpu::{Slot, Timeline};
use super::{CgroupSim, CgroupVersion, Op, Outcome, SimParams, files};
use crate::scenario::from_json::from_json_struct;
use crate::scenario::{Playback, ScenarioError, object, parse, read_ops, read_single_op};
use crate::vec_map::VecMap;

/// Most ops in one scenario.
pub const MAX_OPS: usize = 10_000;
/// Most cgroup and task states a trace may hold in all (each record repeats the full state).
pub const MAX_TRACE_STATES: usize = 1_000_000;

/// A scenario document.
#[derive(Debug)]
struct ScenarioDoc {
    version: u8,
    cpus: usize,
    devices: Option<Vec<String>>,
    sched_cfs_bandwidth_slice_us: Option<u64>,
    groups: Vec<GroupSetup>,
    ops: Vec<Value>,
}
from_json_struct!(ScenarioDoc, deny_unknown_fields {
    version,
    cpus = one_cpu,
    devices = default,
    sched_cfs_bandwidth_slice_us = default,
    groups = default,
    ops,
});

/// A cgroup created before the first op, with files written in file-name order.
#[derive(Debug)]
struct GroupSetup {
    path: String,
    files: VecMap<String, String>,
}
from_json_struct!(GroupSetup, deny_unknown_fields { path, files = default });

fn one_cpu() -> usize {
    1
}

/// Builds the simulation a scenario describes (settings and `groups`), or the setting's error.
fn build(doc: &ScenarioDoc) -> Result<CgroupSim, ScenarioError> {
    let version = match doc.version {
        1 => CgroupVersion::V1,
        2 => CgroupVersion::V2,
        v => {
            return Err(ScenarioError::new(
                "version",
                format!("{v} is not a cgroup version (expected 1 or 2)"),
            ));
        }
    };
    if doc.cpus == 0 || doc.cpus > super::MAX_CPUS {
        return Err(ScenarioError::new(
            "cpus",
            format!("{} is outside 1..={}", doc.cpus, super::MAX_CPUS),
        ));
    }
    if doc.ops.len() > MAX_OPS {
        return Err(ScenarioError::new(
            "ops",
            format!("{} ops is more than {MAX_OPS}", doc.ops.len()),
        ));
    }
    let mut params = SimParams { version, nr_cpus: doc.cpus, ..SimParams::default() };
    if let Some(devs) = &doc.devices {
        for (i, d) in devs.iter().enumerate() {
            if super::io::parse_dev(d).is_none() {
                return Err(ScenarioError::new(
                    format!("devices[{i}]"),
                    format!("`{d}` is not MAJ:MIN"),
                ));
            }
        }
        if devs.is_empty() || devs.len() > 16 {
            return Err(ScenarioError::new("devices", "1 to 16 devices are needed"));
        }
        params.devices = devs.clone();
    }
    if let Some(slice) = doc.sched_cfs_bandwidth_slice_us {
        if slice == 0 || slice > super::cpu::BANDWIDTH_SLICE_US_MAX {
            return Err(ScenarioError::new(
                "sched_cfs_bandwidth_slice_us",
                format!("{slice} is outside 1..=2147483647"),
            ));
        }
        params.bandwidth_slice_us = slice;
    }
    let mut sim = CgroupSim::new(params).map_err(|e| ScenarioError::new("$", e.to_string()))?;
    for (i, g) in doc.groups.iter().enumerate() {
        if g.path != "/" {
            sim.apply(&Op::Mkdir { cgroup: g.path.clone() })
                .map_err(|e| ScenarioError::new(format!("groups[{i}].path"), e.to_string()))?;
        }
        for (file, value) in &g.files {
            let op = Op::Write { cgroup: g.path.clone(), file: file.clone(), value: value.clone() };
            sim.apply(&op).map_err(|e| {
                ScenarioError::new(format!("groups[{i}].files.{file}"), e.to_string())
            })?;
        }
    }
    Ok(sim)
}

/// A cgroup scenario being played: its hierarchy as set up and the scripted ops to come.
pub struct CgroupPlayback {
    sim: CgroupSim,
    ops: std::vec::IntoIter<(Op, Value)>,
    applied: usize,
    with_timeline: bool,
}

impl CgroupPlayback {
    /// Parses and validates a scenario and builds its hierarchy. Records of `run` carry the
    /// CPU `timeline` when `with_timeline`; the browser reads it from [`Self::timeline`].
    pub fn new(json: &str, with_timeline: bool) -> Result<Self, ScenarioError> {
        let mut doc: ScenarioDoc = parse(json)?;
        let sim = build(&doc)?;
        let ops: Vec<(Op, Value)> = read_ops(std::mem::take(&mut doc.ops))?;
        Ok(Self { sim, ops: ops.into_iter(), applied: 0, with_timeline })
    }

    /// The simulation in its current state.
    pub fn sim(&self) -> &CgroupSim {
        &self.sim
    }

    /// Applies `op` and returns its record and the CPU timeline of a `run`.
    fn record(&mut self, op: &Op, raw_op: Value) -> (Value, Option<Timeline>) {
        let mut rec = Map::new();
        rec.insert("step".into(), json!(self.applied));
        rec.insert("op".into(), raw_op);
        self.applied += 1;
        let mut timeline = None;
        match self.sim.apply(op) {
            Ok(mut out) => {
                timeline = out.timeline.take();
                if let (true, Some(tl)) = (self.with_timeline, &timeline) {
                    rec.insert("timeline".into(), timeline_json(tl));
                }
                outcome_fields(&out, &mut rec);
            }
            Err(e) => {
                rec.insert("error".into(), json!(e.to_string()));
            }
        }
        state_fields(&self.sim, &mut rec);
        (Value::Object(rec), timeline)
    }

    /// Applies the next scripted op: its record and the CPU timeline of a `run`.
    pub fn step_with_timeline(&mut self) -> Option<(Value, Option<Timeline>)> {
        let (op, raw_op) = self.ops.next()?;
        Some(self.record(&op, raw_op))
    }

    /// Applies one op given as JSON: its record and the CPU timeline of a `run`.
    pub fn apply_json_with_timeline(
        &mut self,
        op: &str,
    ) -> Result<(Value, Option<Timeline>), ScenarioError> {
        let (op, raw_op) = read_single_op(op)?;
        Ok(self.record(&op, raw_op))
    }
}

impl Playback for CgroupPlayback {
    fn remaining(&self) -> usize {
        self.ops.len()
    }

    fn step(&mut self) -> Option<Value> {
        self.step_with_timeline().map(|(record, _)| record)
    }

    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError> {
        self.apply_json_with_timeline(op).map(|(record, _)| record)
    }
}

/// Runs a scenario and returns its trace, or the first malformed field with its JSON path.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    let mut playback = CgroupPlayback::new(json, true)?;
    let mut trace = Vec::with_capacity(playback.remaining());
    let mut states = 0usize;
    while let Some(record) = playback.step() {
        states += playback.sim.cgroups().len() + playback.sim.tasks().len();
        if states > MAX_TRACE_STATES {
            return Err(ScenarioError::new(
                format!("ops[{}]", trace.len()),
                format!(
                    "the trace is capped at {MAX_TRACE_STATES} cgroup and task states; split the scenario"
                ),
            ));
        }
        trace.push(record);
    }
    Ok(Value::Array(trace))
}

fn outcome_fields(out: &Outcome, rec: &mut Map<String, Value>) {
    if !out.pids.is_empty() {
        rec.insert("pids".into(), json!(out.pids));
    }
    if !out.tids.is_empty() {
        rec.insert("tids".into(), json!(out.tids));
    }
    if !out.killed.is_empty() {
        rec.insert("killed".into(), json!(out.killed));
    }
    if let Some(c) = &out.content {
        rec.insert("content".into(), json!(c));
    }
    if out.blocked {
        rec.insert("blocked".into(), json!(true));
    }
    if let Some(d) = out.delay_us {
        rec.insert("delay_us".into(), json!(d));
    }
    if let Some(n) = out.forked {
        rec.insert("forked".into(), json!(n));
    }
    if let Some(n) = out.fork_failed {
        rec.insert("fork_failed".into(), json!(n));
    }
    if let Some(e) = &out.fork_error {
        rec.insert("fork_error".into(), json!(e.to_string()));
    }
}

/// `{"start_ms", "cpus": [[{"ms": n, "run": tid | "throttled" | "idle"}, …], …], "truncated"}`.
pub fn timeline_json(tl: &Timeline) -> Value {
    let cpus: Vec<Value> = tl
        .cpus
        .iter()
        .map(|segs| {
            Value::Array(
                segs.iter()
                    .map(|s| {
                        let run = match s.slot {
                            Slot::Task(tid) => json!(tid),
                            Slot::Throttled => json!("throttled"),
                            Slot::Idle => json!("idle"),
                        };
                        json!({"ms": s.ms, "run": run})
                    })
                    .collect(),
            )
        })
        .collect();
    json!({"start_ms": tl.start_us / 1000, "cpus": cpus, "truncated": tl.truncated})
}

/// The visible state: every file of every cgroup, processes, threads, page cache, nproc.
pub fn state_json(sim: &CgroupSim) -> Value {
    let mut rec = Map::new();
    state_fields(sim, &mut rec);
    Value::Object(rec)
}

fn state_fields(sim: &CgroupSim, rec: &mut Map<String, Value>) {
    rec.insert("time_ms".into(), json!(sim.now_us() / 1000));
    let mut groups = Map::new();
    for (g, c) in sim.cgroups().iter().enumerate() {
        let mut files_json = Map::new();
        for f in files::visible_files(sim, g) {
            if let Some(v) = files::render(sim, g, f) {
                files_json.insert(f.to_owned(), v.to_json());
            }
        }
        groups.insert(c.path.clone(), Value::Object(files_json));
    }
    rec.insert("cgroups".into(), Value::Object(groups));
    let path = |g: usize| sim.cgroups().get(g).map_or_else(String::new, |c| c.path.clone());
    let procs: Vec<Value> = sim
        .processes()
        .iter()
        .map(|p| {
            json!({
                "pid": p.pid,
                "cgroup": path(p.cgroup),
                "uid": p.uid,
                "threads": p.nr_threads,
                "rss_bytes": p.anon_pages() * super::PAGE_SIZE,
                "oom_score_adj": p.oom_score_adj,
            })
        })
        .collect();
    rec.insert("processes".into(), Value::Array(procs));
    let tasks: Vec<Value> = sim
        .tasks()
        .iter()
        .map(|t| {
            json!({
                "tid": t.tid,
                "pid": t.pid,
                "cgroup": path(sim.task_cgroup(t)),
                "state": sim.task_state(t),
                "cpu": t.cpu,
                "sum_exec_runtime_us": t.sum_exec_ns / 1000,
            })
        })
        .collect();
    rec.insert("tasks".into(), Value::Array(tasks));
    let cache: Vec<Value> = sim
        .page_cache()
        .map(|e| json!({"file": e.file, "cgroup": path(e.memcg), "bytes": e.pages * super::PAGE_SIZE}))
        .collect();
    rec.insert("page_cache".into(), Value::Array(cache));
    let mut uids: Vec<u32> = sim.processes().iter().map(|p| p.uid).collect();
    crate::sort::sort(&mut uids);
    uids.dedup();
    let nproc = object(uids.iter().map(|u| (u.to_string(), json!(sim.nproc_count(*u)))));
    rec.insert("nproc".into(), nproc);
}
