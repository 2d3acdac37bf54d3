//! IPVS, the kernel's layer-4 load balancer, as of Linux 6.x on a 64-bit little-endian host
//! (`net/netfilter/ipvs/`, `include/net/ip_vs.h`, `lib/siphash.c`), with the 2015-era SH/DH
//! hash available as a setting, and the load-balancing algorithms the talks compare it with.
//! Every scheduler is a port of its `ip_vs_<name>.c`; the simplifications (no protocol
//! timeouts, explicit time, a seeded PRNG for twos, capped lblc caches, the trash freed at
//! once) are listed in `docs/ipvs.md` and `docs/maglev-gorb.md`.
//!
//! * [`service`]: the virtual service and the `ipvsadm` edits (`ip_vs_ctl.c`);
//! * [`dest`]: real servers, head insertion, thresholds and the trash;
//! * [`conn`]: connection binding and the active/inactive counters (`ip_vs_conn.c`,
//!   `ip_vs_proto_tcp.c`);
//! * [`sched`]: every kernel scheduler, one port per `ip_vs_<name>.c`;
//! * [`siphash`]: the kernel's 64-bit `hsiphash`, shared by mh and the Maglev paper's table;
//! * [`sim`]: the typed core, [`IpvsSim`] with [`IpvsOp`];
//! * [`scenario`]: the JSON runner of the kernel model;
//! * [`maglev`]: the Maglev paper's lookup table (Eisenbud et al., NSDI 2016, Pseudocode 1);
//! * [`smooth_wrr`]: nginx's smooth weighted round-robin, for contrast with the kernel's WRR;
//! * [`gorb`]: GORB's health-check loop that re-weights IPVS backends.
//!
//! [`run_scenario`] routes a scenario by its top-level `"model"` field: absent or `"kernel"`
//! for the kernel's virtual service, `"maglev"`, `"smooth_wrr"` or `"gorb"` for the others.

pub mod conn;
pub mod dest;
pub mod error;
pub mod gorb;
pub mod maglev;
pub mod prng;
pub mod scenario;
pub mod sched;
pub mod service;
pub mod sim;
pub mod siphash;
pub mod smooth_wrr;

pub use self::error::IpvsError;
pub use self::sim::{IpvsOp, IpvsSim, Outcome, Pick};

use crate::scenario::from_json::{from_json_struct, from_json_unit_enum};
use crate::scenario::{Playback, ScenarioError};

/// Which model a scenario drives.
#[derive(Debug, Clone, Copy)]
enum Model {
    Kernel,
    Maglev,
    SmoothWrr,
    Gorb,
}

from_json_unit_enum!(Model {
    "kernel" => Kernel,
    "maglev" => Maglev,
    "smooth_wrr" => SmoothWrr,
    "gorb" => Gorb,
});

/// Only the `model` field; the chosen model then parses the whole text strictly.
#[derive(Debug)]
struct ModelTag {
    model: Option<Model>,
}
from_json_struct!(ModelTag { model = default });

/// Sets up a scenario of the model named by its `"model"` field, ready to be stepped; the
/// records leave out Maglev's `table`, which [`maglev::MaglevSim::table`] gives.
pub fn playback(json: &str) -> Result<Box<dyn Playback>, ScenarioError> {
    Ok(match crate::scenario::parse::<ModelTag>(json)?.model {
        None | Some(Model::Kernel) => Box::new(scenario::KernelPlayback::new(json)?),
        Some(Model::Maglev) => Box::new(maglev::scenario::MaglevPlayback::new(json, false)?),
        Some(Model::SmoothWrr) => Box::new(smooth_wrr::scenario::SmoothWrrPlayback::new(json)?),
        Some(Model::Gorb) => Box::new(gorb::scenario::GorbPlayback::new(json)?),
    })
}

/// Runs a scenario of the model named by its `"model"` field and returns its trace, one
/// record per operation.
pub fn run_scenario(json: &str) -> Result<serde_json::Value, ScenarioError> {
    match crate::scenario::parse::<ModelTag>(json)?.model {
        None | Some(Model::Kernel) => scenario::run_scenario(json),
        Some(Model::Maglev) => maglev::run_scenario(json),
        Some(Model::SmoothWrr) => smooth_wrr::run_scenario(json),
        Some(Model::Gorb) => gorb::run_scenario(json),
    }
}
