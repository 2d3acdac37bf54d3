//! GORB (Go Routing and Balancing, github.com/kobolog/gorb, shown at DockerCon EU 2015 in
//! "IPVS for Docker containers"): a daemon that drives the local IPVS over netlink from a REST
//! API and re-weights backends from health checks ("pulses").
//!
//! Modelled after the repository's `core/context.go` (services, backends, `UpdateBackend`),
//! `core/runtime.go` (`processPulseUpdate`: the stash-and-reweight loop), `pulse/metrics.go`
//! (the 100-check health window), `pulse/options.go` and `util/time.go` (defaults and the
//! interval format), `core/options.go` (service and backend defaults) and `http.go` (error
//! codes). The reweighting loop is the later `processPulseUpdate` of `core/runtime.go`
//! (`weight = int32(float64(stash) · health)`; the first 2015 sink restored the whole stash on
//! the first Up); the option shapes are those of late 2015 (commit b79d7137: no `flags`, no
//! `dr`, no untagged `DelIfAddr` field).
//!
//! - [`options`]: service, backend and pulse options with GORB's defaults and validation;
//! - [`metrics`]: a backend's pulse metrics, `health = 1 − downs / n` over the last ≤ 100 checks;
//! - [`context`]: [`GorbSim`], the daemon's state and its operations, and [`GorbError`];
//! - [`scenario`]: the JSON scenario format and its trace.
//!
//! Time is an explicit input: each backend's checks run on its own clock, the first one
//! `first_check_delay_ms` after creation (GORB draws it at random in `[0, interval)`), then one
//! every interval; the scenario supplies each check's result.

pub mod context;
pub mod metrics;
pub mod options;
pub mod scenario;

pub use context::{
    BackendInfo, BackendView, GorbError, GorbOp, GorbOutcome, GorbSim, PulseAction, PulseStep,
    ServiceInfo, StashEntry,
};
pub use metrics::{Metrics, PulseMetrics, StatusType};
pub use options::{BackendOptions, PulseOptions, ServiceOptions, parse_interval};
pub use scenario::run_scenario;
