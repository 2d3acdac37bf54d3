//! Unit tests of the cgroup core: kernel rules checked on small, exact cases.

use super::*;

fn sim(version: CgroupVersion, cpus: usize) -> CgroupSim {
    CgroupSim::new(SimParams { version, nr_cpus: cpus, ..SimParams::default() }).unwrap()
}

fn w(s: &mut CgroupSim, cg: &str, file: &str, value: &str) -> Result<Outcome, CgroupError> {
    s.apply(&Op::Write { cgroup: cg.into(), file: file.into(), value: value.into() })
}

#[test]
fn weight_maps_to_shares_with_rounding() {
    assert_eq!(cpu::weight_to_shares(100), 1024);
    assert_eq!(cpu::weight_to_shares(1), 10);
    assert_eq!(cpu::weight_to_shares(10000), 102400);
    assert_eq!(cpu::weight_to_shares(50), 512);
    assert_eq!(cpu::shares_to_weight(1024), 100);
}

#[test]
fn quota_half_on_one_cpu_is_exact_after_one_second() {
    let mut s = sim(CgroupVersion::V2, 1);
    s.apply(&Op::Mkdir { cgroup: "/a".into() }).unwrap();
    w(&mut s, "/a", "cpu.max", "50000 100000").unwrap();
    s.apply(&Op::Spawn {
        cgroup: "/a".into(),
        uid: 0,
        threads: 1,
        busy: true,
        cpus: None,
        nice: 0,
        oom_score_adj: 0,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap();
    s.advance(1000);
    let c = &s.cgroups()[1].cpu;
    assert_eq!(
        (c.nr_periods, c.nr_throttled, c.throttled_time_ns, c.usage_ns),
        (10, 10, 500_000_000, 500_000_000)
    );
}

fn spawn_busy(s: &mut CgroupSim, cg: &str, cpus: Option<Vec<usize>>) -> u32 {
    s.apply(&Op::Spawn {
        cgroup: cg.into(),
        uid: 0,
        threads: 1,
        busy: true,
        cpus,
        nice: 0,
        oom_score_adj: 0,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap()
    .pids[0]
}

#[test]
fn last_dequeue_returns_all_but_1ms_of_local_runtime_to_the_pool() {
    let mut s = sim(CgroupVersion::V2, 1);
    s.apply(&Op::Mkdir { cgroup: "/a".into() }).unwrap();
    w(&mut s, "/a", "cpu.max", "50000 100000").unwrap();
    let pid = spawn_busy(&mut s, "/a", None);
    s.advance(2);
    assert_eq!(s.cgroups()[1].cpu.runtime_ns, 45_000_000);
    s.apply(&Op::SetDemand { tid: pid, busy: false }).unwrap();
    s.advance(1);
    // 5 ms slice − 2 ms used − 1 ms kept = 2 ms back.
    assert_eq!(s.cgroups()[1].cpu.runtime_ns, 47_000_000);
    assert_eq!(s.cgroups()[1].rqs[0].runtime_remaining_ns, 1_000_000);
}

#[test]
fn slack_timer_hands_returned_runtime_to_a_throttled_cpu() {
    let mut s = sim(CgroupVersion::V2, 4);
    s.apply(&Op::Mkdir { cgroup: "/a".into() }).unwrap();
    w(&mut s, "/a", "cpu.max", "15000 100000").unwrap();
    let tids: Vec<u32> = (0..4).map(|c| spawn_busy(&mut s, "/a", Some(vec![c]))).collect();
    s.advance(1);
    // CPUs 0-2 took the whole 15 ms in three slices; CPU 3 found the pool empty.
    assert!(s.cgroups()[1].rqs[3].throttled);
    for &tid in &tids[..3] {
        s.apply(&Op::SetDemand { tid, busy: false }).unwrap();
    }
    s.advance(1);
    // Each returns 5 − 1 − 1 = 3 ms; once the pool holds more than a slice the slack timer is
    // armed for 5 ms later.
    assert_eq!(s.cgroups()[1].cpu.runtime_ns, 9_000_000);
    assert_eq!(s.cgroups()[1].cpu.slack_expiry_us, Some(6000));
    s.advance(8);
    assert!(!s.cgroups()[1].rqs[3].throttled);
    assert_eq!(s.cgroups()[1].cpu.throttled_time_ns, 6_000_000);
    assert_eq!(s.tasks()[3].sum_exec_ns, 4_000_000);
}

#[test]
fn base_slice_scales_with_log2_of_the_cpus_up_to_8() {
    let got: Vec<u64> = [1, 2, 3, 4, 8, 64].iter().map(|&n| eevdf::base_slice_ns(n)).collect();
    assert_eq!(got, vec![750_000, 1_500_000, 1_500_000, 2_250_000, 3_000_000, 3_000_000]);
}

#[test]
fn eevdf_runs_each_equal_task_until_its_deadline_passes() {
    let mut s = sim(CgroupVersion::V2, 4);
    spawn_busy(&mut s, "/", Some(vec![0]));
    spawn_busy(&mut s, "/", Some(vec![0]));
    let tl = s.apply(&Op::Run { ms: 12 }).unwrap().timeline.unwrap();
    // 2.25 ms slices on 4 CPUs; both start at V = 0 with half a slice (1.125 ms): 100 runs
    // 2 ticks, then 101 (eligible, earlier deadline) 2 ticks; at 4 ms both deadlines are
    // 4.25 ms and the waiting entity wins the tie, running 3 ticks to pass it.
    let runs: Vec<(cpu::Slot, u64)> = tl.cpus[0].iter().map(|g| (g.slot, g.ms)).collect();
    assert_eq!(
        runs,
        vec![
            (cpu::Slot::Task(100), 2),
            (cpu::Slot::Task(101), 2),
            (cpu::Slot::Task(100), 3),
            (cpu::Slot::Task(101), 3),
            (cpu::Slot::Task(100), 2)
        ]
    );
}

#[test]
fn a_new_task_gets_half_a_slice_and_runs_before_the_incumbent() {
    let mut s = sim(CgroupVersion::V2, 1);
    spawn_busy(&mut s, "/", None);
    s.advance(10);
    spawn_busy(&mut s, "/", None);
    s.advance(1);
    // Placed at V = 10 ms with deadline 10.375 ms, before the incumbent's 10.75 ms.
    assert_eq!(s.tasks()[1].sum_exec_ns, 1_000_000);
    assert_eq!(s.tasks()[0].sum_exec_ns, 10_000_000);
}
