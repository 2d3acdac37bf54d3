//! One criterion binary for the three simulations, a module per group.

use criterion::criterion_main;

mod cgroups;
mod ipvs;
mod namespaces;

criterion_main!(ipvs::benches, cgroups::benches, namespaces::benches);
