//! The JSON boundary: a scenario `{"hostname"?, "uptime_secs"?, "ops": [...]}` runs through
//! [`NamespacesSim`] and yields a trace with one record per operation, carrying the op, its
//! result or error, and the full visible state after it.

use serde_json::{Map, Value, json};

use super::pid::ExitStatus;
use super::user::MapKind;
use super::{NamespacesParams, NamespacesSim, NsData, Op, Outcome};
use crate::scenario::from_json::from_json_struct;
use crate::scenario::{Playback, ScenarioError, object, parse, play_all, read_ops, read_single_op};

/// Cap on the number of operations in one scenario.
const MAX_OPS: usize = 10_000;

#[derive(Debug)]
struct Settings {
    hostname: Option<String>,
    uptime_secs: Option<i64>,
    ops: Vec<Value>,
}
from_json_struct!(Settings, deny_unknown_fields { hostname = default, uptime_secs = default, ops });

/// A namespaces scenario being played.
pub struct NamespacesPlayback {
    sim: NamespacesSim,
    ops: std::vec::IntoIter<(Op, Value)>,
    applied: usize,
}

impl NamespacesPlayback {
    /// Parses and validates a scenario and boots its host.
    pub fn new(json: &str) -> Result<Self, ScenarioError> {
        let settings: Settings = parse(json)?;
        if settings.ops.len() > MAX_OPS {
            return Err(ScenarioError::new("ops", format!("at most {MAX_OPS} operations")));
        }
        let ops: Vec<(Op, Value)> = read_ops(settings.ops)?;
        let defaults = NamespacesParams::default();
        let params = NamespacesParams {
            hostname: settings.hostname.unwrap_or(defaults.hostname),
            uptime_secs: settings.uptime_secs.unwrap_or(defaults.uptime_secs),
        };
        let sim = NamespacesSim::new(params.clone()).map_err(|e| {
            let path = if params.hostname.len() > 64 { "hostname" } else { "uptime_secs" };
            ScenarioError::new(path, e.to_string())
        })?;
        Ok(Self { sim, ops: ops.into_iter(), applied: 0 })
    }

    /// The simulation in its current state.
    pub fn sim(&self) -> &NamespacesSim {
        &self.sim
    }

    fn record(&mut self, op: &Op, raw_op: Value) -> Value {
        let mut rec = Map::new();
        rec.insert("step".into(), json!(self.applied));
        rec.insert("op".into(), raw_op);
        self.applied += 1;
        match self.sim.apply(op) {
            Ok(outcome) => outcome_fields(&outcome, &mut rec),
            Err(err) => {
                rec.insert("error".into(), json!(err.to_string()));
                if let Some(errno) = err.errno() {
                    rec.insert("errno".into(), json!(errno.to_string()));
                }
            }
        }
        rec.insert("state".into(), state(&self.sim));
        Value::Object(rec)
    }
}

impl Playback for NamespacesPlayback {
    fn remaining(&self) -> usize {
        self.ops.len()
    }

    fn step(&mut self) -> Option<Value> {
        let (op, raw_op) = self.ops.next()?;
        Some(self.record(&op, raw_op))
    }

    fn apply_json(&mut self, op: &str) -> Result<Value, ScenarioError> {
        let (op, raw_op) = read_single_op(op)?;
        Ok(self.record(&op, raw_op))
    }
}

/// Runs a scenario and returns its trace (a JSON array, one record per op). A malformed
/// scenario or a bad setting is a [`ScenarioError`] naming the JSON path; a failing op is
/// recorded with `"error"` and `"errno"`, the state unchanged, and the run goes on.
pub fn run_scenario(json: &str) -> Result<Value, ScenarioError> {
    Ok(play_all(NamespacesPlayback::new(json)?))
}

fn status_text(s: ExitStatus) -> String {
    match s {
        ExitStatus::Exited(code) => format!("exited {code}"),
        ExitStatus::Killed(sig) => format!("killed by {sig:?}"),
    }
}

fn outcome_fields(outcome: &Outcome, rec: &mut Map<String, Value>) {
    match outcome {
        Outcome::Done => {}
        Outcome::Pid { pid, pid_inside } => {
            rec.insert("pid".into(), json!(pid));
            rec.insert("pid_inside".into(), json!(pid_inside));
        }
        Outcome::Reaped(None) => {
            rec.insert("reaped".into(), Value::Null);
        }
        Outcome::Reaped(Some((label, pid, status))) => {
            rec.insert("reaped".into(), json!(label));
            rec.insert("pid".into(), json!(pid));
            rec.insert("status".into(), json!(status_text(*status)));
        }
        Outcome::Signal(d) => {
            rec.insert("signal".into(), json!(d));
        }
        Outcome::Lines(lines) => {
            rec.insert("output".into(), json!(lines));
        }
        Outcome::Ps(entries) => {
            let rows: Vec<Value> = entries
                .iter()
                .map(|e| json!({"pid": e.pid, "ppid": e.ppid, "stat": e.stat, "cmd": e.cmd, "label": e.label}))
                .collect();
            rec.insert("ps".into(), Value::Array(rows));
        }
        Outcome::IpcId(id) => {
            rec.insert("id".into(), json!(id));
        }
        Outcome::Clock { secs, nanos } => {
            rec.insert("secs".into(), json!(secs));
            rec.insert("nanos".into(), json!(nanos));
        }
        Outcome::Reached { netns } => {
            rec.insert("reached".into(), json!(format!("net:[{netns}]")));
        }
    }
}

/// The full visible state as the trace records it after each op: every process (pids per level, ppid per level, namespace inodes,
/// ids, capabilities, cgroup) and every namespace with its contents.
pub fn state(sim: &NamespacesSim) -> Value {
    let procs: Vec<Value> = sim
        .processes()
        .map(|(_, p)| {
            let mut o = Map::new();
            o.insert("label".into(), json!(p.label));
            o.insert("comm".into(), json!(p.comm));
            o.insert("state".into(), json!(p.state.letter()));
            o.insert("nspid".into(), json!(p.pids.iter().map(|&(_, n)| n).collect::<Vec<_>>()));
            o.insert(
                "ppid".into(),
                json!(p.pids.iter().map(|&(ns, _)| sim.ppid_in(p, ns)).collect::<Vec<_>>()),
            );
            let mut ns = Map::new();
            ns.insert("pid".into(), json!(sim.ns_inode(p.pid_ns())));
            ns.insert("user".into(), json!(sim.ns_inode(p.cred.user_ns)));
            if let Some(n) = p.nsproxy {
                for (k, id) in [
                    ("mnt", n.mnt),
                    ("uts", n.uts),
                    ("ipc", n.ipc),
                    ("net", n.net),
                    ("cgroup", n.cgroup),
                    ("time", n.time),
                    ("pid_for_children", n.pid_for_children),
                    ("time_for_children", n.time_for_children),
                ] {
                    ns.insert(k.into(), json!(sim.ns_inode(id)));
                }
            }
            o.insert("ns".into(), Value::Object(ns));
            o.insert("uid".into(), json!(sim.id_munged(p.cred.user_ns, p.cred.kuid, MapKind::Uid)));
            o.insert("gid".into(), json!(sim.id_munged(p.cred.user_ns, p.cred.kgid, MapKind::Gid)));
            o.insert("kuid".into(), json!(p.cred.kuid));
            o.insert("cap_eff".into(), json!(p.cred.effective.hex()));
            o.insert("cap_bnd".into(), json!(p.cred.bounding.hex()));
            o.insert("cgroup".into(), json!(p.cgroup));
            if p.state == super::ProcState::Exiting {
                o.insert("exiting".into(), json!(true));
            }
            if p.subreaper {
                o.insert("subreaper".into(), json!(true));
            }
            if !p.caught.is_empty() {
                o.insert(
                    "caught".into(),
                    json!(p.caught.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>()),
                );
            }
            if !p.fds.is_empty() {
                let fds = object(p.fds.iter().map(|(k, &v)| (k.clone(), json!(sim.ns_inode(v)))));
                o.insert("fds".into(), fds);
            }
            if let Some(s) = p.exit {
                o.insert("exit".into(), json!(status_text(s)));
            }
            Value::Object(o)
        })
        .collect();
    let namespaces: Vec<Value> = sim
        .namespaces
        .iter()
        .enumerate()
        .filter_map(|(id, n)| n.as_ref().map(|n| (id, n)))
        .map(|(id, n)| {
            let mut o = Map::new();
            o.insert("type".into(), json!(n.kind.proc_name()));
            o.insert("inode".into(), json!(n.inode));
            o.insert("owner".into(), n.owner.map_or(Value::Null, |u| json!(sim.ns_inode(u))));
            match &n.data {
                NsData::Pid(p) => {
                    o.insert("level".into(), json!(p.level));
                    o.insert(
                        "parent".into(),
                        p.parent.map_or(Value::Null, |x| json!(sim.ns_inode(x))),
                    );
                    o.insert("adding".into(), json!(p.adding));
                    o.insert("members".into(), json!(p.idr.len()));
                }
                NsData::User(u) => {
                    o.insert("level".into(), json!(u.level));
                    o.insert("owner_uid".into(), json!(u.owner_kuid));
                    let fmt = |m: &[super::IdExtent]| {
                        m.iter()
                            .map(|e| format!("{} {} {}", e.first, e.lower_first, e.count))
                            .collect::<Vec<_>>()
                    };
                    o.insert("uid_map".into(), json!(fmt(&u.uid_map)));
                    o.insert("gid_map".into(), json!(fmt(&u.gid_map)));
                    o.insert(
                        "setgroups".into(),
                        json!(if u.setgroups_allowed { "allow" } else { "deny" }),
                    );
                }
                NsData::Uts { hostname, domainname } => {
                    o.insert("hostname".into(), json!(hostname));
                    o.insert("domainname".into(), json!(domainname));
                }
                NsData::Net(_) => {
                    o.insert("devices".into(), json!(sim.ip_addr_lines(id)));
                }
                NsData::Mount(_) => {
                    o.insert("mounts".into(), json!(sim.mountinfo(id)));
                }
                NsData::Ipc(_) => {
                    o.insert("objects".into(), json!(sim.ipc_lines(id)));
                }
                NsData::Cgroup { root } => {
                    o.insert("root".into(), json!(root));
                }
                NsData::Time { monotonic_ns, boottime_ns, frozen } => {
                    o.insert("monotonic_offset_ns".into(), json!(monotonic_ns));
                    o.insert("boottime_offset_ns".into(), json!(boottime_ns));
                    o.insert("frozen".into(), json!(frozen));
                }
            }
            Value::Object(o)
        })
        .collect();
    json!({"processes": procs, "namespaces": namespaces})
}
