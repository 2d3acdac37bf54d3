//! IPVS benches: scheduler picks per second and the kernel Maglev table build.
//!
//! * `ipvs/schedule`: `BenchmarkId::new(<scheduler>, <dests>)`, each iteration 1,000 picks
//!   (`VirtualService::schedule`, the hot path) on a fresh clone of a loaded service.
//! * `ipvs/mh_build`: `MhState::bind` (permutation + population of the 4093-slot table).
//! * `ipvs/connection_cycle`: `BenchmarkId::new(<scheduler>, <dests>)`, each iteration opens
//!   1,000 named connections through [`IpvsSim::apply`] (pick, bind, counters, the
//!   least-connection tree's upkeep) and expires them again: the whole cost of a connection,
//!   which `ipvs/schedule` leaves out.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use wasm_demos::ipvs::IpvsSim;
use wasm_demos::ipvs::sched::mh::MhState;
use wasm_demos::ipvs::sched::{Packet, SchedulerKind};
use wasm_demos::ipvs::service::{DestSpec, ServiceConfig, VirtualService};
use wasm_demos::ipvs::sim::{ConnRef, IpvsOp, NewConn};

const SIZES: [usize; 3] = [10, 100, 1000];
const PICKS: usize = 1000;

/// A service with `n` destinations (weights 1..=10) carrying connections opened by wlc
/// (half of them established), then bound to `kind`.
fn loaded_service(kind: SchedulerKind, n: usize) -> VirtualService {
    loaded_sim(kind, n).service().clone()
}

/// [`loaded_service`] with its connections, as the scenario runner holds it.
fn loaded_sim(kind: SchedulerKind, n: usize) -> IpvsSim {
    let mut sim = IpvsSim::new(&ServiceConfig::default()).expect("wlc service");
    for i in 0..n {
        let spec = DestSpec {
            name: format!("rs{i}"),
            addr: format!("10.{}.{}.{}:80", i / 65536, (i / 256) % 256, i % 256)
                .parse()
                .expect("addr"),
            weight: (i % 10 + 1) as i64,
            u_threshold: 0,
            l_threshold: 0,
        };
        sim.service_mut().add_dest(&spec).expect("add");
    }
    for (op, count) in [("open", 2 * n), ("new", n)] {
        let new = NewConn {
            conn: op.to_owned(),
            src: None,
            dst: None,
            draws: None,
            count: Some(count as u32),
        };
        let op = if op == "open" { IpvsOp::Open(new) } else { IpvsOp::New(new) };
        sim.apply(&op).expect("connections");
    }
    sim.service_mut().edit_service(Some(kind), None).expect("bind");
    sim
}

fn packets() -> Vec<Packet> {
    (0..PICKS as u32)
        .map(|i| Packet {
            src_ip: 0xC000_0200u32.wrapping_add(i.wrapping_mul(2_654_435_761)),
            src_port: 1024 + (i % 50_000) as u16,
            dst_ip: 0xC633_6400 + (i % 64),
            draws: None,
        })
        .collect()
}

fn schedule(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipvs/schedule");
    group.throughput(Throughput::Elements(PICKS as u64));
    let pkts = packets();
    for kind in SchedulerKind::ALL {
        for n in SIZES {
            let service = loaded_service(kind, n);
            group.bench_with_input(BenchmarkId::new(kind.name(), n), &service, |b, service| {
                b.iter_batched(
                    || service.clone(),
                    |mut svc| {
                        for pkt in &pkts {
                            black_box(svc.schedule(pkt));
                        }
                        svc
                    },
                    BatchSize::LargeInput,
                );
            });
        }
    }
    group.finish();
}

fn mh_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipvs/mh_build");
    for n in SIZES {
        let service = loaded_service(SchedulerKind::RoundRobin, n);
        let list = service.dests().list().to_vec();
        group.throughput(Throughput::Elements(4093));
        group.bench_with_input(BenchmarkId::new("mh", n), &list, |b, list| {
            b.iter(|| MhState::bind(black_box(list), 12).expect("fits"));
        });
    }
    group.finish();
}

fn connection_cycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipvs/connection_cycle");
    group.throughput(Throughput::Elements(PICKS as u64));
    let open = IpvsOp::Open(NewConn {
        conn: "cycle".to_owned(),
        src: None,
        dst: None,
        draws: None,
        count: Some(PICKS as u32),
    });
    let expires: Vec<IpvsOp> =
        (1..=PICKS).map(|i| IpvsOp::Expire(ConnRef { conn: format!("cycle-{i}") })).collect();
    for kind in [
        SchedulerKind::WeightedRoundRobin,
        SchedulerKind::LeastConnection,
        SchedulerKind::WeightedLeastConnection,
    ] {
        for n in SIZES {
            let sim = loaded_sim(kind, n);
            group.bench_with_input(BenchmarkId::new(kind.name(), n), &sim, |b, sim| {
                b.iter_batched(
                    || sim.clone(),
                    |mut sim| {
                        black_box(sim.apply(&open).expect("open"));
                        for expire in &expires {
                            sim.apply(expire).expect("expire");
                        }
                        sim
                    },
                    BatchSize::LargeInput,
                );
            });
        }
    }
    group.finish();
}

criterion_group!(benches, schedule, mh_build, connection_cycle);
