//! `cgroups/run`: simulated CPU-milliseconds per second of wall time, for 1, 10 and 100
//! groups (each with a `cpu.max` quota, a weight and two busy threads) on 2 and 64 CPUs.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use wasm_demos::cgroups::{CgroupSim, CgroupVersion, Op, SimParams};

/// Simulated ms per measured iteration.
const RUN_MS: u64 = 100;

fn fixture(cpus: usize, groups: usize) -> CgroupSim {
    let params = SimParams { version: CgroupVersion::V2, nr_cpus: cpus, ..SimParams::default() };
    let mut sim = CgroupSim::new(params).expect("valid params");
    for g in 0..groups {
        let path = format!("/g{g}");
        sim.apply(&Op::Mkdir { cgroup: path.clone() }).expect("mkdir");
        let quota = 20_000 + 10_000 * (g as u64 % 8);
        let writes =
            [("cpu.max", format!("{quota} 100000")), ("cpu.weight", format!("{}", 50 + g % 200))];
        for (file, value) in writes {
            sim.apply(&Op::Write { cgroup: path.clone(), file: file.into(), value })
                .expect("write");
        }
        let spawn = Op::Spawn {
            cgroup: path,
            uid: 1000,
            threads: 2,
            busy: true,
            cpus: None,
            nice: 0,
            oom_score_adj: 0,
            nproc: None,
            cap_sys_resource: false,
        };
        sim.apply(&spawn).expect("spawn");
    }
    // Warm up: scratch buffers reach their size and the period timers are running.
    sim.advance(250);
    sim
}

fn run(c: &mut Criterion) {
    let mut group = c.benchmark_group("cgroups/run");
    for cpus in [2usize, 64] {
        for groups in [1usize, 10, 100] {
            let sim = fixture(cpus, groups);
            group.throughput(Throughput::Elements(cpus as u64 * RUN_MS));
            group.bench_with_input(
                BenchmarkId::new(format!("cpus{cpus}"), groups),
                &sim,
                |b, sim| {
                    b.iter_batched(
                        || sim.clone(),
                        |mut sim| {
                            sim.advance(black_box(RUN_MS));
                            sim
                        },
                        BatchSize::SmallInput,
                    );
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, run);
