//! Benchmarks of the Maglev table (Pseudocode 1) and nginx smooth WRR picks.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use wasm_demos::ipvs::maglev::{BackendSpec, MaglevOp, MaglevParams, MaglevSim};
use wasm_demos::ipvs::smooth_wrr::{PeerSpec, SmoothWrrSim};

fn maglev(table_size: u32, backends: usize) -> MaglevSim {
    let backends = (0..backends).map(|i| BackendSpec::named(format!("backend-{i}"))).collect();
    match MaglevSim::new(MaglevParams { table_size, backends }) {
        Ok(sim) => sim,
        Err(err) => panic!("bench fixture: {err}"),
    }
}

/// Populating the table: M = 65537 with 100 and 1000 backends, M = 655373 with 1000.
fn maglev_populate(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipvs/maglev_populate");
    for (variant, table_size, backends) in
        [("m65537", 65_537, 100), ("m65537", 65_537, 1_000), ("m655373", 655_373, 1_000)]
    {
        let sim = maglev(table_size, backends);
        group.throughput(Throughput::Elements(u64::from(table_size)));
        group.bench_with_input(BenchmarkId::new(variant, backends), &sim, |b, sim| {
            b.iter_batched(
                || sim.clone(),
                |mut sim| sim.apply(black_box(MaglevOp::Populate { trace: false })),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// Looking 1000 flow keys up in a populated M = 65537 table (hsiphash + one index).
fn maglev_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipvs/maglev_lookup");
    let sim = maglev(65_537, 100);
    let keys: Vec<String> =
        (0..1_000).map(|i| format!("10.0.{}.{}:{}", i / 256, i % 256, 40_000 + i)).collect();
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.bench_with_input(BenchmarkId::new("m65537", 100), &keys, |b, keys| {
        b.iter(|| keys.iter().map(|k| sim.lookup(k).slot).fold(0u32, u32::wrapping_add));
    });
    group.finish();
}

/// 1000 smooth WRR selections over 3, 10 and 100 peers.
fn smooth_wrr_pick(c: &mut Criterion) {
    const PICKS: u64 = 1_000;
    let mut group = c.benchmark_group("ipvs/smooth_wrr_pick");
    for peers in [3usize, 10, 100] {
        let specs: Vec<PeerSpec> = (0..peers)
            .map(|i| PeerSpec { name: format!("p{i}"), weight: (i as i64 % 7) + 1 })
            .collect();
        let sim = match SmoothWrrSim::new(specs) {
            Ok(sim) => sim,
            Err(err) => panic!("bench fixture: {err}"),
        };
        group.throughput(Throughput::Elements(PICKS));
        group.bench_with_input(BenchmarkId::new("picks1000", peers), &sim, |b, sim| {
            b.iter_batched(
                || sim.clone(),
                |mut sim| (0..PICKS).map(|_| sim.pick()).sum::<usize>(),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, maglev_populate, maglev_lookup, smooth_wrr_pick);
