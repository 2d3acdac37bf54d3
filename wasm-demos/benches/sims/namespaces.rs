//! `namespaces/ops`: namespace operations on a 10,000-process tree (one container whose
//! init has 100 children with 99 children each, plus the host's init and shell): fork,
//! exit + reap, the SIGKILL cascade when the container's init dies, and `ps` inside.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use serde_json::json;
use wasm_demos::namespaces::{NamespacesParams, NamespacesSim, Op};

const PROCESSES: usize = 10_000;

fn op(v: serde_json::Value) -> Op {
    wasm_demos::scenario::read_op(&v, "op").expect("bench ops are well formed")
}

/// A machine with `n` processes, almost all of them inside the pid namespace of `c`.
fn tree(n: usize) -> NamespacesSim {
    let mut s = NamespacesSim::new(NamespacesParams::default()).expect("default params are valid");
    let run = |s: &mut NamespacesSim, v| {
        s.apply(&op(v)).expect("fixture ops succeed");
    };
    run(&mut s, json!({"op": "fork", "as": "init", "child": "shell"}));
    run(
        &mut s,
        json!({"op": "clone", "as": "shell", "child": "c", "flags": ["CLONE_NEWPID", "CLONE_NEWNS"]}),
    );
    run(&mut s, json!({"op": "make_private", "as": "c", "target": "/", "recursive": true}));
    run(
        &mut s,
        json!({"op": "mount", "as": "c", "fstype": "proc", "source": "proc", "target": "/proc"}),
    );
    let mut count = 3;
    'outer: for i in 0..100 {
        let w = format!("w{i}");
        run(&mut s, json!({"op": "fork", "as": "c", "child": w}));
        count += 1;
        for j in 0..99 {
            if count >= n {
                break 'outer;
            }
            run(&mut s, json!({"op": "fork", "as": w, "child": format!("{w}-{j}")}));
            count += 1;
        }
    }
    s
}

fn bench_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("namespaces/ops");
    let fork = op(json!({"op": "fork", "as": "c", "child": "bench"}));
    let exit = op(json!({"op": "exit", "as": "bench"}));
    let wait = op(json!({"op": "wait", "as": "c", "child": "bench"}));

    // fork and exit+reap are sub-microsecond: cloning the 10,000-process fixture for every
    // iteration (iter_batched) would take a thousand times longer than the step, so each
    // step is timed alone with iter_custom and the inverse step, untimed, restores the tree.
    group.throughput(Throughput::Elements(1));
    let mut sim = tree(PROCESSES);
    assert_eq!(sim.process_count(), PROCESSES);
    group.bench_function(BenchmarkId::new("fork", PROCESSES), |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                black_box(sim.apply(&fork).expect("fork succeeds"));
                timed += start.elapsed();
                sim.apply(&exit).expect("exit succeeds");
                sim.apply(&wait).expect("wait succeeds");
            }
            timed
        });
    });
    group.bench_function(BenchmarkId::new("exit_reap", PROCESSES), |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                sim.apply(&fork).expect("fork succeeds");
                let start = Instant::now();
                sim.apply(&exit).expect("exit succeeds");
                black_box(sim.apply(&wait).expect("wait succeeds"));
                timed += start.elapsed();
            }
            timed
        });
    });

    // The container's members: every process but the host's init and shell.
    group.throughput(Throughput::Elements(PROCESSES as u64 - 2));
    let ps = op(json!({"op": "ps", "as": "c"}));
    group.bench_function(BenchmarkId::new("ps", PROCESSES), |b| {
        b.iter(|| black_box(sim.apply(&ps).expect("ps succeeds")));
    });
    let kill = op(json!({"op": "kill", "as": "shell", "target": "c", "signal": "SIGKILL"}));
    let base = tree(PROCESSES);
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("kill_cascade", PROCESSES), |b| {
        b.iter_batched(
            || base.clone(),
            |mut s| {
                black_box(s.apply(&kill).expect("kill succeeds"));
                s
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_ops);
