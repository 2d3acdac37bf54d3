//! [`GorbSim`]: GORB's `core.Context` (services, backends, the pulse stash) driven by explicit
//! check results.

use std::net::IpAddr;

use super::metrics::{Metrics, PulseMetrics, StatusType};
use super::options::{
    BackendOptions, ServiceOptions, ValidBackend, validate_backend, validate_service,
};
use crate::scenario::from_json::from_op_enum;
use crate::vec_map::VecMap;

/// The most services a simulation holds.
pub const MAX_SERVICES: usize = 100;
/// The most backends a simulation holds (over all services).
pub const MAX_BACKENDS: usize = 100;
/// The most checks one `pulse` operation may run.
pub const MAX_PULSES: u32 = 10_000;

/// IPVS schedulers a kernel may have (`ip_vs_*.c`); GORB passes the name through unvalidated
/// and IPVS answers `ENOENT` for any other.
const IPVS_SCHEDULERS: [&str; 14] =
    ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos"];

/// GORB's errors (their exact texts), plus the simulation's own input checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GorbError {
    /// `ErrIpvsSyscallFailed` (HTTP 500); `errno` names what the kernel returned.
    #[error("error while calling into IPVS")]
    IpvsSyscallFailed {
        /// The kernel's errno: `EEXIST` (duplicate service or dest), `ENOENT` (unknown
        /// scheduler), `ERANGE` (negative weight, `ip_vs_ctl.c`).
        errno: &'static str,
    },
    /// `ErrObjectExists` (HTTP 409).
    #[error("specified object already exists")]
    ObjectExists,
    /// `ErrObjectNotFound` (HTTP 404).
    #[error("unable to locate specified object")]
    ObjectNotFound,
    /// `ErrIncompatibleAFs` (HTTP 400): an IPv4 backend on an IPv6 service, or the reverse.
    #[error("incompatible address families")]
    IncompatibleAfs,
    /// `ErrMissingEndpoint` (HTTP 400): no port, or no host and no default endpoint.
    #[error("endpoint information is missing")]
    MissingEndpoint,
    /// `ErrUnknownMethod` (HTTP 400): a forwarding method other than nat, tunnel, ipip.
    #[error("specified forwarding method is unknown")]
    UnknownMethod,
    /// `ErrUnknownProtocol` (HTTP 400): a protocol other than tcp, udp.
    #[error("specified protocol is unknown")]
    UnknownProtocol,
    /// `ErrUnknownPulseType` (HTTP 400).
    #[error("specified pulse type is unknown")]
    UnknownPulseType,
    /// `ErrInvalidPulseInterval` (HTTP 400).
    #[error("pulse interval must be positive")]
    InvalidPulseInterval,
    /// `errInvalidIntervalFormat` (HTTP 400).
    #[error("invalid interval format")]
    InvalidIntervalFormat,
    /// Go's resolver error (HTTP 400); only IP literals resolve in the simulation.
    #[error("lookup {0}: no such host")]
    NoSuchHost(String),
    /// Simulation input: the `none` pulse driver always reports Up.
    #[error("backend [{vs_id}/{rs_id}] has a \"none\" pulse, which always reports Up")]
    NoneIsAlwaysUp {
        /// The service.
        vs_id: String,
        /// The backend.
        rs_id: String,
    },
    /// Simulation input: a pulse for a backend of another service.
    #[error("backend \"{rs_id}\" belongs to service \"{actual}\", not \"{given}\"")]
    WrongService {
        /// The backend.
        rs_id: String,
        /// The service given.
        given: String,
        /// Its service.
        actual: String,
    },
    /// Simulation input: GORB draws the first delay in `[0, interval)`.
    #[error("first check delay {delay_ms} ms is not below the pulse interval of {interval_ms} ms")]
    FirstCheckDelay {
        /// The delay given.
        delay_ms: u64,
        /// The interval.
        interval_ms: u64,
    },
    /// Simulation input: a `pulse` count of 0 or above [`MAX_PULSES`].
    #[error("pulse count {0} is not between 1 and 10000")]
    InvalidCount(u32),
    /// Simulation cap: [`MAX_SERVICES`] services or [`MAX_BACKENDS`] backends.
    #[error("the simulation holds at most 100 {0}")]
    TooMany(&'static str),
}

impl GorbError {
    /// The HTTP status GORB's `writeError` answers with, for GORB's own errors.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::IpvsSyscallFailed { .. } => Some(500),
            Self::ObjectExists => Some(409),
            Self::ObjectNotFound => Some(404),
            Self::IncompatibleAfs
            | Self::MissingEndpoint
            | Self::UnknownMethod
            | Self::UnknownProtocol
            | Self::UnknownPulseType
            | Self::InvalidPulseInterval
            | Self::InvalidIntervalFormat
            | Self::NoSuchHost(_) => Some(400),
            _ => None,
        }
    }
}

/// An operation: a REST call, or the results of a backend's next checks.
///
/// Scenarios write it `{"op": "<name>", …}`: [`crate::scenario::read_ops`] reads the `op` tag;
/// serialized, it is externally tagged and [`crate::scenario::op_json`] moves the tag back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GorbOp {
    /// `PUT /service/{vsID}`.
    CreateService {
        /// The service ID.
        vs_id: String,
        /// The body.
        options: ServiceOptions,
    },
    /// `DELETE /service/{vsID}`: the service and all its backends (their pulses stop).
    RemoveService {
        /// The service ID.
        vs_id: String,
    },
    /// `PUT /service/{vsID}/{rsID}`.
    AddBackend {
        /// The service ID.
        vs_id: String,
        /// The backend ID (global: GORB keys backends by rsID alone).
        rs_id: String,
        /// The body.
        options: BackendOptions,
        /// When its first check runs after creation (GORB: random in `[0, interval)`).
        first_check_delay_ms: u64,
    },
    /// `PATCH /service/{vsID}/{rsID}`: only `weight` is applied (`UpdateBackend`).
    PatchWeight {
        /// The service ID (not checked by GORB).
        vs_id: String,
        /// The backend ID.
        rs_id: String,
        /// The new weight; negative is refused by IPVS (`ERANGE`).
        weight: i32,
    },
    /// `DELETE /service/{vsID}/{rsID}`.
    RemoveBackend {
        /// The service ID (not checked by GORB).
        vs_id: String,
        /// The backend ID.
        rs_id: String,
    },
    /// The next `count` checks of a backend, each one interval after the previous.
    Pulse {
        /// The service ID.
        vs_id: String,
        /// The backend ID.
        rs_id: String,
        /// What every one of these checks reports.
        result: StatusType,
        /// How many checks (1 to 10000), default 1.
        count: u32,
    },
    /// `GET /service`.
    ListServices {},
    /// `GET /service/{vsID}`.
    GetService {
        /// The service ID.
        vs_id: String,
    },
    /// `GET /service/{vsID}/{rsID}`.
    GetBackend {
        /// The service ID (not checked by GORB).
        vs_id: String,
        /// The backend ID.
        rs_id: String,
    },
}
from_op_enum!(GorbOp {
    "create_service" => CreateService { vs_id, options = default },
    "remove_service" => RemoveService { vs_id },
    "add_backend" => AddBackend { vs_id, rs_id, options = default, first_check_delay_ms = default },
    "patch_weight" => PatchWeight { vs_id, rs_id, weight },
    "remove_backend" => RemoveBackend { vs_id, rs_id },
    "pulse" => Pulse { vs_id, rs_id, result, count = one },
    "list_services" => ListServices {},
    "get_service" => GetService { vs_id },
    "get_backend" => GetBackend { vs_id, rs_id },
});

fn one() -> u32 {
    1
}

/// What the pulse loop (`processPulseUpdate`) did with one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PulseAction {
    /// Down, nothing stashed: the weight was stashed and set to 0 (IPVS quiesces the dest).
    Stashed,
    /// Down while a weight is stashed: ignored, the weight is **not** zeroed again.
    AlreadyStashed,
    /// Up with a stash: weight := ⌊stash · health⌋, still below the stash.
    Reweighted,
    /// Up with a stash and ⌊stash · health⌋ = stash: the stash is cleared.
    Recovered,
    /// Up with nothing stashed: nothing to do.
    Unchanged,
}

/// One check and its effect.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PulseStep {
    /// When it ran, on the simulation clock.
    pub at_ms: u64,
    /// The backend's metrics after it (`status`, `health`, `uptime`).
    pub metrics: Metrics,
    /// What the pulse loop did.
    pub action: PulseAction,
    /// The backend's weight afterwards.
    pub weight: i32,
    /// The stashed weight afterwards, if any.
    pub stash: Option<i32>,
}

/// `core.ServiceInfo`, the body of `GET /service/{vsID}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceInfo {
    /// The service options.
    pub options: ServiceOptions,
    /// The average of its backends' health, 1.0 with no backends.
    pub health: f64,
    /// Its backend IDs (`null` with none, as Go marshals a nil slice); sorted here, where Go
    /// iterates a map in random order.
    pub backends: Option<Vec<String>>,
}

/// `core.BackendInfo`, the body of `GET /service/{vsID}/{rsID}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackendInfo {
    /// The backend options (with the current weight).
    pub options: BackendOptions,
    /// The metrics of its last pulse (the zero value before the first one).
    pub metrics: Metrics,
}

/// What an operation returned.
#[derive(Debug, Clone, PartialEq)]
pub enum GorbOutcome {
    /// The call succeeded with an empty body.
    Done,
    /// `UpdateBackend` returned the previous weight.
    Patched {
        /// The weight before.
        previous: i32,
    },
    /// The checks that ran.
    Pulsed(Vec<PulseStep>),
    /// `GET /service`.
    Services(Vec<String>),
    /// `GET /service/{vsID}`.
    Service(ServiceInfo),
    /// `GET /service/{vsID}/{rsID}`.
    Backend(BackendInfo),
}

#[derive(Debug, Clone, PartialEq)]
struct Service {
    options: ServiceOptions,
    ip: IpAddr,
}

#[derive(Debug, Clone, PartialEq)]
struct Backend {
    vs_id: String,
    options: BackendOptions,
    ip: IpAddr,
    interval_ms: u64,
    next_check_ms: u64,
    pulse: PulseMetrics,
    metrics: Metrics,
}

/// A read-only view of one backend for the trace.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackendView<'a> {
    /// The backend ID.
    pub rs_id: &'a str,
    /// Its service.
    pub vs_id: &'a str,
    /// Its options; `weight` is the weight IPVS has.
    pub options: &'a BackendOptions,
    /// What `GET` shows.
    pub metrics: Metrics,
    /// Checks in the health window (≤ 100).
    pub window_checks: usize,
    /// Down checks in the window.
    pub window_downs: usize,
    /// When its next check runs.
    pub next_check_ms: u64,
    /// Its pulse interval.
    pub interval_ms: u64,
}

/// One entry of the pulse loop's stash, keyed by `pulse.ID{VsID, RsID}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StashEntry<'a> {
    /// The service ID.
    pub vs_id: &'a str,
    /// The backend ID.
    pub rs_id: &'a str,
    /// The weight saved when the backend went Down.
    pub weight: i32,
}

/// GORB's `core.Context` and its pulse loop.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GorbSim {
    endpoint: Option<IpAddr>,
    now_ms: u64,
    services: VecMap<String, Service>,
    backends: VecMap<String, Backend>,
    // `run()`'s map lives as long as the daemon: removing a backend does not clear its entry.
    stash: VecMap<(String, String), i32>,
}

impl GorbSim {
    /// An empty daemon; `endpoint` is the `-i` device's address, the default service host.
    pub fn new(endpoint: Option<IpAddr>) -> Self {
        Self { endpoint, ..Self::default() }
    }

    /// Applies one operation; on error nothing changes.
    pub fn apply(&mut self, op: GorbOp) -> Result<GorbOutcome, GorbError> {
        match op {
            GorbOp::CreateService { vs_id, options } => self.create_service(vs_id, options),
            GorbOp::RemoveService { vs_id } => {
                if self.services.remove(&vs_id).is_none() {
                    return Err(GorbError::ObjectNotFound);
                }
                self.backends.retain(|_, b| b.vs_id != vs_id);
                Ok(GorbOutcome::Done)
            }
            GorbOp::AddBackend { vs_id, rs_id, options, first_check_delay_ms } => {
                self.create_backend(vs_id, rs_id, options, first_check_delay_ms)
            }
            GorbOp::PatchWeight { rs_id, weight, .. } => {
                Ok(GorbOutcome::Patched { previous: self.update_backend(&rs_id, weight)? })
            }
            GorbOp::RemoveBackend { rs_id, .. } => {
                self.backends.remove(&rs_id).ok_or(GorbError::ObjectNotFound)?;
                Ok(GorbOutcome::Done)
            }
            GorbOp::Pulse { vs_id, rs_id, result, count } => {
                self.pulse(vs_id, rs_id, result, count)
            }
            GorbOp::ListServices {} => {
                Ok(GorbOutcome::Services(self.services.keys().cloned().collect()))
            }
            GorbOp::GetService { vs_id } => Ok(GorbOutcome::Service(self.service(&vs_id)?)),
            GorbOp::GetBackend { rs_id, .. } => Ok(GorbOutcome::Backend(self.backend(&rs_id)?)),
        }
    }

    /// `GetService`: options, average backend health (1.0 with none), backend IDs.
    pub fn service(&self, vs_id: &str) -> Result<ServiceInfo, GorbError> {
        let service = self.services.get(vs_id).ok_or(GorbError::ObjectNotFound)?;
        let mut ids = Vec::new();
        let mut health = 0.0f64;
        for (rs_id, backend) in &self.backends {
            if backend.vs_id == vs_id {
                ids.push(rs_id.clone());
                health += backend.metrics.health;
            }
        }
        let (health, backends) =
            if ids.is_empty() { (1.0, None) } else { (health / ids.len() as f64, Some(ids)) };
        Ok(ServiceInfo { options: service.options.clone(), health, backends })
    }

    /// `GetBackend` (by rsID alone, as GORB does).
    pub fn backend(&self, rs_id: &str) -> Result<BackendInfo, GorbError> {
        let backend = self.backends.get(rs_id).ok_or(GorbError::ObjectNotFound)?;
        Ok(BackendInfo { options: backend.options.clone(), metrics: backend.metrics })
    }

    /// The simulation clock: the time of the latest check run.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The service IDs and options.
    pub fn services(&self) -> impl Iterator<Item = (&str, &ServiceOptions)> {
        self.services.iter().map(|(id, s)| (id.as_str(), &s.options))
    }

    /// Every backend, by rsID.
    pub fn backends(&self) -> impl Iterator<Item = BackendView<'_>> {
        self.backends.iter().map(|(rs_id, b)| BackendView {
            rs_id,
            vs_id: &b.vs_id,
            options: &b.options,
            metrics: b.metrics,
            window_checks: b.pulse.checks(),
            window_downs: b.pulse.downs(),
            next_check_ms: b.next_check_ms,
            interval_ms: b.interval_ms,
        })
    }

    /// The pulse loop's stash, including entries of removed backends.
    pub fn stash(&self) -> impl Iterator<Item = StashEntry<'_>> {
        self.stash.iter().map(|((vs_id, rs_id), &weight)| StashEntry { vs_id, rs_id, weight })
    }

    fn create_service(
        &mut self,
        vs_id: String,
        options: ServiceOptions,
    ) -> Result<GorbOutcome, GorbError> {
        let valid = validate_service(options, self.endpoint)?;
        if self.services.contains_key(&vs_id) {
            return Err(GorbError::ObjectExists);
        }
        if self.services.len() >= MAX_SERVICES {
            return Err(GorbError::TooMany("services"));
        }
        if !IPVS_SCHEDULERS.contains(&valid.options.method.as_str()) {
            return Err(GorbError::IpvsSyscallFailed { errno: "ENOENT" });
        }
        let duplicate = self.services.values().any(|s| {
            s.ip == valid.ip
                && s.options.port == valid.options.port
                && s.options.protocol == valid.options.protocol
        });
        if duplicate {
            return Err(GorbError::IpvsSyscallFailed { errno: "EEXIST" });
        }
        self.services.insert(vs_id, Service { options: valid.options, ip: valid.ip });
        Ok(GorbOutcome::Done)
    }

    fn create_backend(
        &mut self,
        vs_id: String,
        rs_id: String,
        options: BackendOptions,
        first_check_delay_ms: u64,
    ) -> Result<GorbOutcome, GorbError> {
        let ValidBackend { options, ip, interval_ms } = validate_backend(options)?;
        if first_check_delay_ms >= interval_ms {
            return Err(GorbError::FirstCheckDelay { delay_ms: first_check_delay_ms, interval_ms });
        }
        if self.backends.contains_key(&rs_id) {
            return Err(GorbError::ObjectExists);
        }
        let service = self.services.get(&vs_id).ok_or(GorbError::ObjectNotFound)?;
        if ip.is_ipv4() != service.ip.is_ipv4() {
            return Err(GorbError::IncompatibleAfs);
        }
        if self.backends.len() >= MAX_BACKENDS {
            return Err(GorbError::TooMany("backends"));
        }
        let duplicate = self
            .backends
            .values()
            .any(|b| b.vs_id == vs_id && b.ip == ip && b.options.port == options.port);
        if duplicate {
            return Err(GorbError::IpvsSyscallFailed { errno: "EEXIST" });
        }
        let backend = Backend {
            vs_id,
            options,
            ip,
            interval_ms,
            next_check_ms: self.now_ms.saturating_add(first_check_delay_ms),
            pulse: PulseMetrics::new(self.now_ms),
            metrics: Metrics::zero(),
        };
        self.backends.insert(rs_id, backend);
        Ok(GorbOutcome::Done)
    }

    /// `UpdateBackend`: looks the backend up by rsID, asks IPVS for the new weight (negative is
    /// `ERANGE` in `ip_vs_ctl.c`), stores it and returns the previous one.
    fn update_backend(&mut self, rs_id: &str, weight: i32) -> Result<i32, GorbError> {
        let backend = self.backends.get_mut(rs_id).ok_or(GorbError::ObjectNotFound)?;
        if weight < 0 {
            return Err(GorbError::IpvsSyscallFailed { errno: "ERANGE" });
        }
        Ok(std::mem::replace(&mut backend.options.weight, weight))
    }

    fn pulse(
        &mut self,
        vs_id: String,
        rs_id: String,
        result: StatusType,
        count: u32,
    ) -> Result<GorbOutcome, GorbError> {
        if count == 0 || count > MAX_PULSES {
            return Err(GorbError::InvalidCount(count));
        }
        let backend = self.backends.get(&rs_id).ok_or(GorbError::ObjectNotFound)?;
        if backend.vs_id != vs_id {
            return Err(GorbError::WrongService {
                rs_id,
                given: vs_id,
                actual: backend.vs_id.clone(),
            });
        }
        let none = backend.options.pulse.as_ref().is_some_and(|p| p.kind == "none");
        if none && result == StatusType::Down {
            return Err(GorbError::NoneIsAlwaysUp { vs_id, rs_id });
        }
        let key = (vs_id, rs_id);
        let Some(backend) = self.backends.get_mut(&key.1) else {
            return Err(GorbError::ObjectNotFound);
        };
        let mut steps = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let step = check(backend, &mut self.stash, &key, result);
            self.now_ms = self.now_ms.max(step.at_ms);
            steps.push(step);
        }
        Ok(GorbOutcome::Pulsed(steps))
    }
}

/// One check of the backend `key`: the pulse updates its metrics, and the pulse loop
/// (`processPulseUpdate` in `core/runtime.go`) copies them into the context, then stashes or
/// reweights.
fn check(
    backend: &mut Backend,
    stash: &mut VecMap<(String, String), i32>,
    key: &(String, String),
    result: StatusType,
) -> PulseStep {
    let at_ms = backend.next_check_ms;
    backend.next_check_ms = at_ms.saturating_add(backend.interval_ms);
    let metrics = backend.pulse.update(result, at_ms);
    backend.metrics = metrics;
    let action = match (result, stash.get(key).copied()) {
        (StatusType::Up, None) => PulseAction::Unchanged,
        (StatusType::Up, Some(stashed)) => {
            // `int32(float64(weight) * health)`: truncation toward zero, as Go converts.
            let weight = (f64::from(stashed) * metrics.health) as i32;
            backend.options.weight = weight;
            if weight == stashed {
                stash.remove(key);
                PulseAction::Recovered
            } else {
                PulseAction::Reweighted
            }
        }
        (StatusType::Down, Some(_)) => PulseAction::AlreadyStashed,
        (StatusType::Down, None) => {
            let previous = std::mem::replace(&mut backend.options.weight, 0);
            stash.insert(key.clone(), previous);
            PulseAction::Stashed
        }
    };
    PulseStep {
        at_ms,
        metrics,
        action,
        weight: backend.options.weight,
        stash: stash.get(key).copied(),
    }
}
