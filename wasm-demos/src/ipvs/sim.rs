//! [`IpvsSim`]: one virtual service plus its connection table, driven by [`IpvsOp`]s.
//!
//! Every op either succeeds or leaves the state unchanged and returns an [`IpvsError`], as a
//! failing `ipvsadm` call would. A pick that finds no destination is not an error: the pick
//! is none (the kernel logs "no destination available" and drops the packet).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use super::conn::{ConnState, Connection, MAX_CONNS};
use super::dest::DestId;
use super::error::IpvsError;
use super::sched::{Packet, SchedState, SchedulerKind, ServiceFlags};
use super::service::{DestSpec, ServiceConfig, VirtualService, check_name};
use crate::scenario::from_json::{from_json_struct, from_op_enum};

/// Largest `count` of one `schedule`/`new`/`open` op.
pub const MAX_COUNT: u32 = 10_000;
/// Longest single `tick`: 31 days.
pub const MAX_TICK_MS: u64 = 31 * 24 * 60 * 60 * 1000;
/// Client used when an op gives no `src`.
pub const DEFAULT_CLIENT: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 1024);

fn default_weight() -> i64 {
    1
}

/// `ipvsadm -a -r addr -w weight -x u_threshold -y l_threshold`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddDest {
    /// Name of the new destination.
    pub name: String,
    /// `ip:port`.
    pub addr: String,
    /// Weight, default 1 (ipvsadm's).
    pub weight: i64,
    /// Upper threshold, default 0 (none).
    pub u_threshold: i64,
    /// Lower threshold, default 0.
    pub l_threshold: i64,
}

/// `ipvsadm -e`: the fields given change, the others are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditDest {
    /// Destination name.
    pub dest: String,
    /// New weight.
    pub weight: Option<i64>,
    /// New upper threshold.
    pub u_threshold: Option<i64>,
    /// New lower threshold.
    pub l_threshold: Option<i64>,
}

/// An op naming one destination (`del_dest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestRef {
    /// Destination name.
    pub dest: String,
}

/// `ipvsadm -E -s scheduler -b flags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditService {
    /// New scheduler; a different one is bound to the current list.
    pub scheduler: Option<String>,
    /// New flag set (replaces the old one).
    pub flags: Option<Vec<String>>,
}

/// The packet of a `schedule` op (no connection is created).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// Client `ip:port` (default 192.0.2.1:1024).
    pub src: Option<String>,
    /// Destination IP of the packet (default: the virtual address).
    pub dst: Option<String>,
    /// twos: `[r1, r2]` per pick; missing pairs come from the seeded PRNG.
    pub draws: Option<Vec<[u32; 2]>>,
    /// Repeat count (default 1).
    pub count: Option<u32>,
}

/// The packet and name of a `new` or `open` op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConn {
    /// Connection name (`<conn>-<i>`, i from 1, when `count` is given).
    pub conn: String,
    /// Client `ip:port` (default 192.0.2.1:1024).
    pub src: Option<String>,
    /// Destination IP of the packet (default: the virtual address).
    pub dst: Option<String>,
    /// twos: `[r1, r2]` per pick.
    pub draws: Option<Vec<[u32; 2]>>,
    /// Repeat count (default 1).
    pub count: Option<u32>,
}

/// An op naming one connection (`est`, `fin`, `expire`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnRef {
    /// Connection name.
    pub conn: String,
}

/// `ipvsadm -e -w weight` (thresholds kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetWeight {
    /// Destination name.
    pub dest: String,
    /// New weight.
    pub weight: i64,
}

/// Sets or clears OVERLOAD by hand (a stand-in for a crossed threshold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOverload {
    /// Destination name.
    pub dest: String,
    /// The new flag.
    pub overloaded: bool,
}

/// Advances the clock (lblc/lblcr expiry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Milliseconds.
    pub ms: u64,
}

/// One scenario operation; `{"op": "add_dest", ...}` in JSON, read by
/// [`crate::scenario::read_ops`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpvsOp {
    /// Adds a destination at the head of the list.
    AddDest(AddDest),
    /// Edits a destination's weight and thresholds.
    EditDest(EditDest),
    /// Deletes a destination (to the trash while connections remain).
    DelDest(DestRef),
    /// Changes the scheduler and/or flags.
    EditService(EditService),
    /// Runs the scheduler without creating a connection.
    Schedule(Schedule),
    /// Schedules and binds a new connection (counted inactive, TCP `SYN_RECV`).
    New(NewConn),
    /// `new` then `est` in one step (the connection counts active at once over TCP).
    Open(NewConn),
    /// The TCP connection reaches ESTABLISHED (counted active).
    Est(ConnRef),
    /// The TCP connection leaves ESTABLISHED for FIN_WAIT (counted inactive again).
    Fin(ConnRef),
    /// The connection expires and is unbound.
    Expire(ConnRef),
    /// Sets a destination's weight.
    SetWeight(SetWeight),
    /// Sets or clears OVERLOAD by hand.
    SetOverload(SetOverload),
    /// Advances the clock.
    Tick(Tick),
}

from_json_struct!(AddDest, deny_unknown_fields {
    name,
    addr,
    weight = default_weight,
    u_threshold = default,
    l_threshold = default,
});
from_json_struct!(EditDest, deny_unknown_fields {
    dest,
    weight = default,
    u_threshold = default,
    l_threshold = default,
});
from_json_struct!(DestRef, deny_unknown_fields { dest });
from_json_struct!(EditService, deny_unknown_fields { scheduler = default, flags = default });
from_json_struct!(Schedule, deny_unknown_fields {
    src = default,
    dst = default,
    draws = default,
    count = default,
});
from_json_struct!(NewConn, deny_unknown_fields {
    conn,
    src = default,
    dst = default,
    draws = default,
    count = default,
});
from_json_struct!(ConnRef, deny_unknown_fields { conn });
from_json_struct!(SetWeight, deny_unknown_fields { dest, weight });
from_json_struct!(SetOverload, deny_unknown_fields { dest, overloaded });
from_json_struct!(Tick, deny_unknown_fields { ms });
from_op_enum!(IpvsOp {
    "add_dest" => AddDest(AddDest),
    "edit_dest" => EditDest(EditDest),
    "del_dest" => DelDest(DestRef),
    "edit_service" => EditService(EditService),
    "schedule" => Schedule(Schedule),
    "new" => New(NewConn),
    "open" => Open(NewConn),
    "est" => Est(ConnRef),
    "fin" => Fin(ConnRef),
    "expire" => Expire(ConnRef),
    "set_weight" => SetWeight(SetWeight),
    "set_overload" => SetOverload(SetOverload),
    "tick" => Tick(Tick),
});

impl IpvsOp {
    /// Whether this op runs the scheduler (and so has a `pick`).
    pub fn schedules(&self) -> bool {
        matches!(self, Self::Schedule(_) | Self::New(_) | Self::Open(_))
    }

    /// The `count` of a scheduling op, if given.
    pub fn count(&self) -> Option<u32> {
        match self {
            Self::Schedule(s) => s.count,
            Self::New(n) | Self::Open(n) => n.count,
            _ => None,
        }
    }
}

/// One pick of a `schedule`/`new`/`open` op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The destination chosen, or none ("no destination available").
    pub dest: Option<DestId>,
    /// The connection created (`new`/`open` with a destination).
    pub conn: Option<String>,
    /// twos: the two raw draws used.
    pub draws: Option<[u32; 2]>,
}

/// What an op did beyond the state change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The picks, one per repetition (empty for ops that do not schedule).
    pub picks: Vec<Pick>,
}

/// The IPVS simulation: a virtual service and the connections bound to its destinations.
#[derive(Debug, Clone)]
pub struct IpvsSim {
    service: VirtualService,
    conns: BTreeMap<String, Connection>,
}

fn parse_addr(text: &str) -> Result<SocketAddrV4, IpvsError> {
    text.parse().map_err(|_| IpvsError::BadAddress { text: text.to_owned() })
}

fn parse_ip(text: &str) -> Result<Ipv4Addr, IpvsError> {
    text.parse::<Ipv4Addr>()
        .or_else(|_| text.parse::<SocketAddrV4>().map(|a| *a.ip()))
        .map_err(|_| IpvsError::BadIp { text: text.to_owned() })
}

/// The kind of connection an op creates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bind {
    None,
    New,
    Open,
}

impl IpvsSim {
    /// Creates the service (`ipvsadm -A`) with no destinations.
    pub fn new(config: &ServiceConfig) -> Result<Self, IpvsError> {
        Ok(Self { service: VirtualService::new(config)?, conns: BTreeMap::new() })
    }

    /// The virtual service.
    pub fn service(&self) -> &VirtualService {
        &self.service
    }

    /// Mutable access to the service, for callers driving the hot path directly (benches,
    /// the browser facade's "pick" button).
    pub fn service_mut(&mut self) -> &mut VirtualService {
        &mut self.service
    }

    /// Live connections by name.
    pub fn conns(&self) -> &BTreeMap<String, Connection> {
        &self.conns
    }

    /// Applies one op.
    pub fn apply(&mut self, op: &IpvsOp) -> Result<Outcome, IpvsError> {
        let outcome = match op {
            IpvsOp::AddDest(a) => {
                let spec = DestSpec {
                    name: a.name.clone(),
                    addr: parse_addr(&a.addr)?,
                    weight: a.weight,
                    u_threshold: a.u_threshold,
                    l_threshold: a.l_threshold,
                };
                self.service.add_dest(&spec)?;
                Outcome::default()
            }
            IpvsOp::EditDest(e) => {
                self.service.edit_dest(&e.dest, e.weight, e.u_threshold, e.l_threshold)?;
                Outcome::default()
            }
            IpvsOp::SetWeight(w) => {
                self.service.edit_dest(&w.dest, Some(w.weight), None, None)?;
                Outcome::default()
            }
            IpvsOp::DelDest(d) => {
                self.service.del_dest(&d.dest)?;
                Outcome::default()
            }
            IpvsOp::EditService(e) => {
                let kind = e.scheduler.as_deref().map(SchedulerKind::parse).transpose()?;
                let flags = e.flags.as_deref().map(ServiceFlags::parse).transpose()?;
                self.service.edit_service(kind, flags)?;
                Outcome::default()
            }
            IpvsOp::SetOverload(o) => {
                self.service.set_overload(&o.dest, o.overloaded)?;
                Outcome::default()
            }
            IpvsOp::Schedule(s) => self.schedule_op(
                None,
                s.src.as_deref(),
                s.dst.as_deref(),
                s.draws.as_deref(),
                s.count,
                Bind::None,
            )?,
            IpvsOp::New(n) => self.schedule_op(
                Some(&n.conn),
                n.src.as_deref(),
                n.dst.as_deref(),
                n.draws.as_deref(),
                n.count,
                Bind::New,
            )?,
            IpvsOp::Open(n) => self.schedule_op(
                Some(&n.conn),
                n.src.as_deref(),
                n.dst.as_deref(),
                n.draws.as_deref(),
                n.count,
                Bind::Open,
            )?,
            IpvsOp::Est(c) => {
                self.set_state(&c.conn, ConnState::Established)?;
                Outcome::default()
            }
            IpvsOp::Fin(c) => {
                self.set_state(&c.conn, ConnState::FinWait)?;
                Outcome::default()
            }
            IpvsOp::Expire(c) => {
                let conn = self
                    .conns
                    .remove(&c.conn)
                    .ok_or_else(|| IpvsError::UnknownConn { name: c.conn.clone() })?;
                self.service.with_dest(conn.dest, |dest| conn.unbind(dest));
                Outcome::default()
            }
            IpvsOp::Tick(t) => {
                if t.ms > MAX_TICK_MS {
                    return Err(IpvsError::TickTooLong { ms: t.ms, max: MAX_TICK_MS });
                }
                self.service.tick(t.ms);
                Outcome::default()
            }
        };
        self.service.reap();
        Ok(outcome)
    }

    fn set_state(&mut self, name: &str, state: ConnState) -> Result<(), IpvsError> {
        let conn = self
            .conns
            .get_mut(name)
            .ok_or_else(|| IpvsError::UnknownConn { name: name.to_owned() })?;
        self.service.with_dest(conn.dest, |dest| conn.set_state(dest, state));
        Ok(())
    }

    fn schedule_op(
        &mut self,
        conn: Option<&String>,
        src: Option<&str>,
        dst: Option<&str>,
        draws: Option<&[[u32; 2]]>,
        count: Option<u32>,
        bind: Bind,
    ) -> Result<Outcome, IpvsError> {
        let n = count.unwrap_or(1);
        if !(1..=MAX_COUNT).contains(&n) {
            return Err(IpvsError::BadCount { count: n, max: MAX_COUNT });
        }
        let client = src.map(parse_addr).transpose()?.unwrap_or(DEFAULT_CLIENT);
        let daddr = dst.map(parse_ip).transpose()?.unwrap_or(*self.service.addr().ip());
        let kind = self.service.sched().kind();
        if draws.is_some() && kind != SchedulerKind::PowerOfTwoChoices {
            return Err(IpvsError::DrawsNotUsed { scheduler: kind.name() });
        }
        let names: Vec<String> = match conn {
            None => Vec::new(),
            Some(base) => {
                check_name(base)?;
                let names: Vec<String> = if count.is_some() {
                    (1..=n).map(|i| format!("{base}-{i}")).collect()
                } else {
                    vec![base.clone()]
                };
                if let Some(dup) = names.iter().find(|name| self.conns.contains_key(*name)) {
                    return Err(IpvsError::DuplicateConn { name: dup.clone() });
                }
                if self.conns.len() + names.len() > MAX_CONNS {
                    return Err(IpvsError::TooManyConns { max: MAX_CONNS });
                }
                names
            }
        };
        let protocol = self.service.protocol();
        let mut picks = Vec::with_capacity(n as usize);
        for i in 0..n as usize {
            let pkt = Packet {
                src_ip: u32::from(*client.ip()),
                src_port: client.port(),
                dst_ip: u32::from(daddr),
                draws: draws.and_then(|d| d.get(i).copied()),
            };
            let dest = self.service.schedule(&pkt);
            let used = match self.service.sched() {
                SchedState::PowerOfTwoChoices(state) if dest.is_some() => state.last_draws,
                _ => None,
            };
            let mut created = None;
            if let (Some(id), Some(name)) = (dest, names.get(i))
                && bind != Bind::None
                && let Some(c) = self.service.with_dest(id, |d| {
                    let mut c = Connection::bind(d, protocol, client, daddr);
                    if bind == Bind::Open {
                        c.set_state(d, ConnState::Established);
                    }
                    c
                })
            {
                self.conns.insert(name.clone(), c);
                created = Some(name.clone());
            }
            picks.push(Pick { dest, conn: created, draws: used });
        }
        Ok(Outcome { picks })
    }
}
