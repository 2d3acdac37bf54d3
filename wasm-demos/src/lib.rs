//! Kernel-faithful simulations for the DockerCon EU 2015 notes site.
//!
//! Three pure cores, each plain Rust with no browser dependency, so that tests and criterion
//! benchmarks link them natively and the browser facade compiles them to WebAssembly:
//!
//! - [`ipvs`]: the IPVS virtual service, its schedulers (`net/netfilter/ipvs/ip_vs_*.c`),
//!   the Maglev paper's table, nginx's smooth WRR for contrast and GORB's health loop;
//! - [`cgroups`]: CPU bandwidth and weights, memory and the OOM killer, pids and io
//!   (`Documentation/admin-guide/cgroup-v2.rst`, `Documentation/scheduler/sched-bwc.rst`);
//! - [`namespaces`]: the process table with one pid per pid-namespace level and the other
//!   namespace kinds (namespaces(7), pid_namespaces(7), user_namespaces(7)).
//!
//! Every simulation is driven by a JSON [`scenario`]: the native `sim` binary and the browser
//! demos read the same files.

pub mod cgroups;
pub mod ipvs;
pub mod namespaces;
pub mod scenario;
pub mod sort;
pub mod vec_map;
pub mod web;
