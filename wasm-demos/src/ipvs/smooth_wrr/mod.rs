//! nginx's smooth weighted round-robin (`ngx_http_upstream_get_peer` in
//! `src/http/ngx_http_upstream_round_robin.c`), **nginx's algorithm, not the kernel's**: it is
//! here to contrast with IPVS WRR (`ip_vs_wrr.c`), which sends weights 5:1:1 as the burst
//! `A A A A A B C`, where nginx interleaves them as `A A B A C A A`.
//!
//! - [`sim`]: [`SmoothWrrSim`], the peers and their `current_weight` / `effective_weight`;
//! - [`scenario`]: the JSON scenario format and its trace.

pub mod scenario;
pub mod sim;

pub use scenario::run_scenario;
pub use sim::{Peer, PeerSpec, Pick, SmoothWrrError, SmoothWrrOp, SmoothWrrOutcome, SmoothWrrSim};
