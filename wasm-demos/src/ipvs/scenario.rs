//! The JSON scenario runner: service settings plus `ops`, in; one trace record per op, out.
//!
//! Trace building lives here, apart from the typed core, so the browser facade can call
//! [`IpvsSim`] directly.

use std::net::{Ipv4Addr, SocketAddrV4};

use serde_json::{Map, Value, json};

use super::dest::RealServer;
use super::error::IpvsError;
use super::sched::hashing::ShHash;
use super::sched::lblc::DEFAULT_EXPIRATION_MS;
use super::sched::mh::{DEFAULT_TAB_INDEX, check_tab_index};
use super::sched::{SchedState, SchedulerKind, ServiceFlags};
use super::service::{Protocol, ServiceConfig};
use super::sim::{IpvsOp, IpvsSim, Outcome};
use crate::scenario::from_json::{from_json_struct, from_json_unit_enum};
use crate::scenario::{Playback, ScenarioError, object, parse, read_ops, read_single_op};

/// Most ops one scenario may hold.
pub const MAX_OPS: usize = 10_000;
/// Most entries a whole trace may hold (see `record_entries`).
pub const MAX_TRACE_ENTRIES: usize = 1_000_000;
/// Longest lblc/lblcr expiration accepted (one year, in seconds).
const MAX_EXPIRATION_S: u64 = 365 * 24 * 60 * 60;

/// Which model a scenario drives. Only the kernel's here; other models route elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Kernel,
}

fn default_scheduler() -> String {
    "wlc".to_owned()
}

fn default_tab_index() -> i64 {
    i64::from(DEFAULT_TAB_INDEX)
}

/// The top-level object of an IPVS scenario.
#[derive(Debug)]
struct Settings {
    model: Option<Model>,
    scheduler: String,
    flags: Vec<String>,
    sh_hash: ShHash,
    mh_tab_index: i64,
    protocol: Protocol,
    seed: u64,
    addr: Option<String>,
    lblc_expiration_s: Option<u64>,
    lblcr_expiration_s: Option<u64>,
    ops: Vec<Value>,
}

from_json_unit_enum!(Model { "kernel" => Kernel });
from_json_struct!(Settings, deny_unknown_fields {
    model = default,
    scheduler = default_scheduler,
    flags = default,
    sh_hash = default,
    mh_tab_index = default_tab_index,
    protocol = default,
    seed = default,
    addr = default,
    lblc_expiration_s = default,
    lblcr_expiration_s = default,
    ops,
});

fn expiration_ms(field: &str, seconds: Option<u64>) -> Result<u64, ScenarioError> {
    match seconds {
        None => Ok(DEFAULT_EXPIRATION_MS),
        Some(s) if (1..=MAX_EXPIRATION_S).contains(&s) => Ok(s * 1000),
        Some(s) => Err(ScenarioError::new(
            field,
            format!("{s} is out of range 1..={MAX_EXPIRATION_S} seconds"),
        )),
    }
}

fn config(settings: &Settings) -> Result<ServiceConfig, ScenarioError> {
    // Absent or "kernel": this module; the lead routes other models before they get here.
    let (None | Some(Model::Kernel)) = settings.model;
    let err = |path: String| move |e: IpvsError| ScenarioError::new(path, e.to_string());
    let scheduler = SchedulerKind::parse(&settings.scheduler).map_err(err("scheduler".into()))?;
    for (i, flag) in settings.flags.iter().enumerate() {
        ServiceFlags::parse(std::slice::from_ref(flag)).map_err(err(format!("flags[{i}]")))?;
    }
    let flags = ServiceFlags::parse(&settings.flags).map_err(err("flags".into()))?;
    let mh_tab_index =
        check_tab_index(settings.mh_tab_index).map_err(err("mh_tab_index".into()))?;
    let addr = match &settings.addr {
        None => ServiceConfig::default().addr,
        Some(text) => text
            .parse::<SocketAddrV4>()
            .map_err(|_| err("addr".into())(IpvsError::BadAddress { text: text.clone() }))?,
    };
    Ok(ServiceConfig {
        addr,
        protocol: settings.protocol,
        scheduler,
        flags,
        sh_hash: settings.sh_hash,
        mh_tab_index,
        lblc_expiration_ms: expiration_ms("lblc_expiration_s", settings.lblc_expiration_s)?,
        lblcr_expiration_ms: expiration_ms("lblcr_expiration_s", settings.lblcr_expiration_s)?,
        seed: settings.seed,
    })
}

/// An IPVS scenario being played: the service it set up and the scripted ops still to come.
pub struct KernelPlayback {
    sim: IpvsSim,
    ops: std::vec::IntoIter<(IpvsOp, Value)>,
    applied: usize,
}

impl KernelPlayback {
    /// Parses and validates a scenario and sets up its service.
    pub fn new(json: &str) -> Result<Self, ScenarioError> {
        let mut settings: Settings = parse(json)?;
        if settings.ops.len() > MAX_OPS {
            return Err(ScenarioError::new("ops", format!("at most {MAX_OPS} operations")));
        }
        let ops: Vec<(IpvsOp, Value)> = read_ops(std::mem::take(&mut settings.ops))?;
        let config = config(&settings)?;
        let sim =
            IpvsSim::new(&config).map_err(|e| ScenarioError::new("scheduler", e.to_string()))?;
        Ok(Self { sim, ops: ops.into_iter(), applied: 0 })
    }

    /// The simulation in its current state.
    pub fn sim(&self) -> &IpvsSim {
        &self.sim
    }

    /// Applies `op` and returns its record and how many entries the record holds.
    fn record(&mut self, op: &IpvsOp, raw_op: Value) -> (Value, usize) {
        let mut record = Map::new();
        record.insert("step".into(), json!(self.applied));
        record.insert("op".into(), raw_op);
        self.applied += 1;
        match self.sim.apply(op) {
            Ok(outcome) => outcome_fields(&self.sim, op, &outcome, &mut record),
            Err(e) => {
                if op.schedules() {
                    record.insert("pick".into(), Value::Null);
                }
                record.insert("error".into(), json!(e.to_string()));
            }
        }
        let entries = record_entries(&self.sim, op);
        state_fields(&self.sim, &mut record);
        (Value::Object(record), entries)
    }

    fn advance(&mut self) -> Option<(Value, usize)> {
        let (op, raw_op) = self.ops.next()?;
        Some(self.record(&op, raw_op))
    }
}

impl Playback for KernelPlayback {
    fn remaining(&self) -> usize {
        self.ops.len()
    }

    fn step(&mut self) -> Option<Value> {
        self.advance().map(|(record, _)| record)
    }

    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError> {
        let (op, raw_op) = read_single_op(op)?;
        Ok(self.record(&op, raw_op).0)
    }
}

/// Runs an IPVS scenario and returns its trace: one record per op with `step`, the `op` as
/// given, `pick` (and `picks`, `conns`, `draws` where they apply), `error` when the op failed
/// (the state is then unchanged and the run goes on), and the visible state after the op.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    let mut playback = KernelPlayback::new(json)?;
    let mut trace = Vec::with_capacity(playback.remaining());
    let mut entries: usize = 0;
    while let Some((record, n)) = playback.advance() {
        entries = entries.saturating_add(n);
        if entries > MAX_TRACE_ENTRIES {
            return Err(ScenarioError::new(
                format!("ops[{}]", trace.len()),
                format!("the trace would exceed {MAX_TRACE_ENTRIES} entries; split the scenario"),
            ));
        }
        trace.push(record);
    }
    Ok(Value::Array(trace))
}

/// How many entries (destinations, connections, cache entries, buckets, picks) the record
/// of `op` holds: the trace repeats the whole state per op, so its size is capped.
fn record_entries(sim: &IpvsSim, op: &IpvsOp) -> usize {
    let service = sim.service();
    let sched = match service.sched() {
        SchedState::SourceHashing(_) | SchedState::DestinationHashing(_) => 256,
        SchedState::LocalityBasedLeastConnection(l) => l.entries.len(),
        SchedState::LocalityBasedLeastConnectionWithReplication(l) => l.entries.len(),
        _ => 0,
    };
    let picks = op.count().unwrap_or(1) as usize;
    service.dests().list().len() + service.dests().trash().len() + sim.conns().len() + sched + picks
}

fn dest_name(sim: &IpvsSim, id: Option<super::dest::DestId>) -> Value {
    id.and_then(|id| sim.service().dests().get(id)).map_or(Value::Null, |d| json!(d.name))
}

fn outcome_fields(sim: &IpvsSim, op: &IpvsOp, outcome: &Outcome, record: &mut Map<String, Value>) {
    if outcome.picks.is_empty() {
        return;
    }
    let last = outcome.picks.last().and_then(|p| p.dest);
    record.insert("pick".into(), dest_name(sim, last));
    if op.count().is_some() {
        let picks: Vec<Value> = outcome.picks.iter().map(|p| dest_name(sim, p.dest)).collect();
        record.insert("picks".into(), Value::Array(picks));
    }
    if matches!(op, IpvsOp::New(_) | IpvsOp::Open(_)) {
        let conns: Vec<Value> =
            outcome.picks.iter().filter_map(|p| p.conn.as_ref().map(|c| json!(c))).collect();
        record.insert("conns".into(), Value::Array(conns));
    }
    if sim.service().sched().kind() == SchedulerKind::PowerOfTwoChoices {
        let draws: Vec<Value> =
            outcome.picks.iter().map(|p| p.draws.map_or(Value::Null, |d| json!(d))).collect();
        record.insert("draws".into(), Value::Array(draws));
    }
}

fn dest_json(d: &RealServer, slots: Option<usize>) -> Value {
    let mut v = json!({
        "name": d.name,
        "addr": d.addr.to_string(),
        "weight": d.weight,
        "last_weight": d.last_weight,
        "u_threshold": d.u_threshold,
        "l_threshold": d.l_threshold,
        "active": d.activeconns,
        "inactive": d.inactconns,
        "overloaded": d.overloaded,
    });
    if let (Some(slots), Some(obj)) = (slots, v.as_object_mut()) {
        obj.insert("slots".into(), json!(slots));
    }
    v
}

fn ip_key(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

fn state_fields(sim: &IpvsSim, record: &mut Map<String, Value>) {
    let service = sim.service();
    let dests = service.dests();
    let name_of = |id: super::dest::DestId| dests.get(id).map_or(Value::Null, |d| json!(d.name));
    let table: Option<Vec<Option<super::dest::DestId>>> = match service.sched() {
        SchedState::SourceHashing(t) | SchedState::DestinationHashing(t) => {
            Some(t.buckets.to_vec())
        }
        SchedState::MaglevHashing(mh) => Some(mh.table.clone()),
        _ => None,
    };
    let slots_of = |id| table.as_ref().map(|t| t.iter().filter(|s| **s == Some(id)).count());
    record.insert("scheduler".into(), json!(service.sched().kind().name()));
    record.insert("flags".into(), json!(service.flags().names(service.sched().kind())));
    let list: Vec<Value> = dests.list().iter().map(|d| dest_json(d, slots_of(d.id))).collect();
    record.insert("dests".into(), Value::Array(list));
    let trash: Vec<Value> = dests.trash().iter().map(|d| dest_json(d, None)).collect();
    record.insert("trash".into(), Value::Array(trash));
    let cursor_name = |c: Option<usize>| {
        c.and_then(|i| dests.list().get(i)).map_or(Value::Null, |d| json!(d.name))
    };
    match service.sched() {
        SchedState::RoundRobin(rr) => {
            record.insert("cursor".into(), cursor_name(rr.cursor));
        }
        SchedState::WeightedRoundRobin(wrr) => {
            record.insert("cursor".into(), cursor_name(wrr.cursor));
            record.insert("cw".into(), json!(wrr.cw));
            record.insert("mw".into(), json!(wrr.mw));
            record.insert("di".into(), json!(wrr.di));
        }
        SchedState::SourceHashing(t) | SchedState::DestinationHashing(t) => {
            let names: Vec<Value> =
                t.buckets.iter().map(|b| b.map_or(Value::Null, name_of)).collect();
            record.insert("table".into(), Value::Array(names));
        }
        SchedState::MaglevHashing(mh) => {
            record.insert("table_size".into(), json!(mh.size()));
            record.insert("gcd".into(), json!(mh.gcd));
            record.insert("rshift".into(), json!(mh.rshift));
        }
        SchedState::LocalityBasedLeastConnection(lblc) => {
            let cache = object(lblc.entries.iter().map(|(ip, en)| {
                (ip_key(*ip), json!({"dest": name_of(en.dest), "lastuse_ms": en.lastuse_ms}))
            }));
            record.insert("cache".into(), cache);
        }
        SchedState::LocalityBasedLeastConnectionWithReplication(lblcr) => {
            let cache = object(lblcr.entries.iter().map(|(ip, en)| {
                let set: Vec<Value> = en.set.members.iter().map(|id| name_of(*id)).collect();
                (ip_key(*ip), json!({"set": set, "lastmod_ms": en.set.lastmod_ms, "lastuse_ms": en.lastuse_ms}))
            }));
            record.insert("cache".into(), cache);
        }
        _ => {}
    }
    let conns = object(sim.conns().iter().map(|(name, c)| {
        (
            name.clone(),
            json!({"dest": name_of(c.dest), "src": c.client.to_string(), "state": c.state.name()}),
        )
    }));
    record.insert("connections".into(), conns);
    record.insert("clock_ms".into(), json!(service.now_ms()));
}
