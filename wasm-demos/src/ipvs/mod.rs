//! IPVS, the kernel's layer-4 load balancer, as of Linux 6.x on a 64-bit little-endian host
//! (`net/netfilter/ipvs/`, `include/net/ip_vs.h`, `lib/siphash.c`), with the 2015-era SH/DH
//! hash available as a setting. Every scheduler is a port of its `ip_vs_<name>.c`; the
//! simplifications (no protocol timeouts, explicit time, a seeded PRNG for twos, capped
//! lblc caches, the trash freed at once) are listed in `docs/ipvs.md`.
//!
//! * [`service`]: the virtual service and the `ipvsadm` edits (`ip_vs_ctl.c`);
//! * [`dest`]: real servers, head insertion, thresholds and the trash;
//! * [`conn`]: connection binding and the active/inactive counters (`ip_vs_conn.c`,
//!   `ip_vs_proto_tcp.c`);
//! * [`sched`]: every kernel scheduler, one port per `ip_vs_<name>.c`;
//! * [`siphash`]: the kernel's `hsiphash` used by mh;
//! * [`sim`]: the typed core, [`IpvsSim`] with [`IpvsOp`];
//! * [`scenario`]: the JSON runner, [`run_scenario`].

pub mod conn;
pub mod dest;
pub mod error;
pub mod prng;
pub mod scenario;
pub mod sched;
pub mod service;
pub mod sim;
pub mod siphash;

pub use self::error::IpvsError;
pub use self::scenario::run_scenario;
pub use self::sim::{IpvsOp, IpvsSim, Outcome, Pick};
