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
