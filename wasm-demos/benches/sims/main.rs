//! One criterion binary for the three simulations, a module per group.

use criterion::criterion_main;

mod cgroups;
mod ipvs;
mod maglev;
mod namespaces;

criterion_main!(ipvs::benches, maglev::benches, cgroups::benches, namespaces::benches);
