//! Integration tests of the cgroup simulation through its public API: every curated scenario
//! with its exact counters, the kernel rules one by one, every error message, malformed
//! scenarios with their JSON paths, and proptest properties over random op sequences.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns panic on purpose")]

use std::path::PathBuf;

use serde_json::{Value, json};
use wasm_demos::cgroups::{
    CgroupError, CgroupSim, CgroupVersion, Op, Outcome, SimParams, files, run_scenario,
};

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/cgroups")
}

fn run_file(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(scenario_dir().join(format!("{name}.json"))).unwrap();
    match run_scenario(&text).unwrap() {
        Value::Array(v) => v,
        other => panic!("not an array: {other}"),
    }
}

/// `trace[step].cgroups[cg][file]`.
fn file<'a>(trace: &'a [Value], step: usize, cg: &str, name: &str) -> &'a Value {
    &trace[step]["cgroups"][cg][name]
}

fn content(trace: &[Value], step: usize) -> &str {
    trace[step]["content"].as_str().unwrap()
}

fn sim(version: CgroupVersion, cpus: usize) -> CgroupSim {
    CgroupSim::new(SimParams { version, nr_cpus: cpus, ..SimParams::default() }).unwrap()
}

fn mkdir(s: &mut CgroupSim, cg: &str) {
    s.apply(&Op::Mkdir { cgroup: cg.into() }).unwrap();
}

fn write(s: &mut CgroupSim, cg: &str, file: &str, value: &str) -> Result<Outcome, CgroupError> {
    s.apply(&Op::Write { cgroup: cg.into(), file: file.into(), value: value.into() })
}

fn read(s: &mut CgroupSim, cg: &str, file: &str) -> String {
    s.apply(&Op::Read { cgroup: cg.into(), file: file.into() }).unwrap().content.unwrap()
}

fn spawn_op(cg: &str, threads: u32, busy: bool) -> Op {
    Op::Spawn {
        cgroup: cg.into(),
        uid: 0,
        threads,
        busy,
        cpus: None,
        nice: 0,
        oom_score_adj: 0,
        nproc: None,
        cap_sys_resource: false,
    }
}

fn spawn(s: &mut CgroupSim, cg: &str, threads: u32, busy: bool) -> u32 {
    s.apply(&spawn_op(cg, threads, busy)).unwrap().pids[0]
}

fn group<'a>(s: &'a CgroupSim, path: &str) -> &'a wasm_demos::cgroups::Cgroup {
    &s.cgroups()[s.cgroup_index(path).unwrap()]
}

fn usage_ms(s: &CgroupSim, path: &str) -> u64 {
    group(s, path).cpu.usage_ns / 1_000_000
}

// ---------------------------------------------------------------- curated scenarios

const SCENARIOS: &[&str] = &[
    "cpu-burst",
    "cpu-parent-quota-throttles-children",
    "cpu-quota-half",
    "cpu-quota-multi-cpu",
    "cpu-weights-per-cpu-split",
    "cpu-weights-siblings",
    "io-max-direct-vs-buffered-v1",
    "io-max-direct-vs-buffered-v2",
    "memory-high-vs-max",
    "memory-oom-disabled-v1",
    "memory-oom-kill",
    "memory-page-cache-reclaim",
    "pids-fork-bomb",
    "pids-hierarchy-v1-events",
    "pids-hierarchy-v1-vs-v2-events",
    "pids-migration-not-blocked",
    "ulimit-nproc-per-user",
];

#[test]
fn every_scenario_file_is_tested_and_runs_without_errors_it_does_not_expect() {
    let mut names: Vec<String> = std::fs::read_dir(scenario_dir())
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, SCENARIOS);
    for name in SCENARIOS {
        let trace = run_file(name);
        for (i, rec) in trace.iter().enumerate() {
            assert_eq!(rec["step"], json!(i), "{name}");
        }
    }
}

#[test]
fn cpu_quota_half_throttles_every_period_and_counts_exactly_after_one_second() {
    let t = run_file("cpu-quota-half");
    assert_eq!(
        content(&t, 2),
        "usage_usec 500000\nuser_usec 500000\nsystem_usec 0\nnr_periods 10\nnr_throttled 10\n\
         throttled_usec 500000\nnr_bursts 0\nburst_usec 0\n"
    );
    let cpu0 = &t[1]["timeline"]["cpus"][0];
    assert_eq!(cpu0.as_array().unwrap().len(), 20);
    assert_eq!(cpu0[0], json!({"ms": 50, "run": 100}));
    assert_eq!(cpu0[1], json!({"ms": 50, "run": "throttled"}));
    assert_eq!(cpu0[19], json!({"ms": 50, "run": "throttled"}));
    assert_eq!(t[1]["timeline"]["truncated"], json!(false));
}

#[test]
fn cpu_quota_above_period_uses_two_cpus_and_throttled_time_exceeds_wall_time() {
    let t = run_file("cpu-quota-multi-cpu");
    let stat = file(&t, 2, "/batch", "cpu.stat");
    assert_eq!(stat["usage_usec"], json!(2_000_000));
    assert_eq!(stat["nr_periods"], json!(10));
    assert_eq!(stat["nr_throttled"], json!(10));
    // Four CPUs each throttled about half of every period: 2 s of throttling in 1 s.
    assert_eq!(stat["throttled_usec"], json!(2_000_000));
    assert!(stat["throttled_usec"].as_u64().unwrap() > t[2]["time_ms"].as_u64().unwrap() * 1000);
}

#[test]
fn cpu_burst_spends_quota_saved_while_idle_and_counts_one_burst() {
    let t = run_file("cpu-burst");
    assert_eq!(t[3]["timeline"]["cpus"][0][0], json!({"ms": 40, "run": 100}));
    assert_eq!(t[3]["timeline"]["cpus"][0][1], json!({"ms": 60, "run": "throttled"}));
    assert_eq!(t[3]["timeline"]["cpus"][0][2], json!({"ms": 20, "run": 100}));
    assert_eq!(
        content(&t, 4),
        "usage_usec 80000\nuser_usec 80000\nsystem_usec 0\nnr_periods 5\nnr_throttled 3\n\
         throttled_usec 220000\nnr_bursts 1\nburst_usec 20000\n"
    );
}

#[test]
fn cpu_parent_quota_throttles_a_child_without_quota() {
    let t = run_file("cpu-parent-quota-throttles-children");
    assert_eq!(
        content(&t, 2),
        "usage_usec 500000\nuser_usec 500000\nsystem_usec 0\nnr_periods 10\nnr_throttled 10\n\
         throttled_usec 1500000\nnr_bursts 0\nburst_usec 0\n"
    );
    let child = file(&t, 3, "/parent/child", "cpu.stat");
    assert_eq!(child["usage_usec"], json!(500_000));
    assert_eq!(child["nr_throttled"], json!(0));
}

#[test]
fn cpu_weights_split_two_to_one_and_an_idle_sibling_leaves_all_to_the_other() {
    let t = run_file("cpu-weights-siblings");
    let tasks = |step: usize| -> Vec<u64> {
        t[step]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["sum_exec_runtime_us"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(tasks(2), vec![200_000, 100_000]);
    assert_eq!(tasks(4), vec![500_000, 100_000]);
    assert_eq!(tasks(6), vec![700_000, 200_000]);
    assert_eq!(file(&t, 0, "/a", "cpu.weight"), &json!(200));
}

#[test]
fn cpu_weights_are_split_per_cpu_so_equal_weights_do_not_mean_equal_shares() {
    let t = run_file("cpu-weights-per-cpu-split");
    assert_eq!(file(&t, 2, "/a", "cpu.stat")["usage_usec"], json!(900_000));
    assert_eq!(file(&t, 2, "/b", "cpu.stat")["usage_usec"], json!(1_500_000));
    let cpus: Vec<u64> =
        t[2]["tasks"].as_array().unwrap().iter().map(|x| x["cpu"].as_u64().unwrap()).collect();
    assert_eq!(cpus, vec![0, 1, 0, 1]);
}

#[test]
fn memory_page_cache_is_reclaimed_in_32_page_batches_before_any_oom() {
    let t = run_file("memory-page-cache-reclaim");
    assert_eq!(content(&t, 3), "low 0\nhigh 0\nmax 128\noom 0\noom_kill 0\noom_group_kill 0\n");
    assert_eq!(content(&t, 4), "anon 33554432\nfile 33554432\n");
    assert_eq!(file(&t, 4, "/app", "memory.current"), &json!(67_108_864));
    assert_eq!(
        t[4]["page_cache"],
        json!([{"file": "data.log", "cgroup": "/app", "bytes": 33_554_432}])
    );
}

#[test]
fn memory_oom_kills_the_biggest_process_and_the_charge_then_succeeds() {
    let t = run_file("memory-oom-kill");
    assert_eq!(t[5]["killed"], json!([100]));
    assert!(t[5].get("error").is_none());
    assert_eq!(content(&t, 6), "low 0\nhigh 0\nmax 18\noom 1\noom_kill 1\noom_group_kill 0\n");
    assert_eq!(file(&t, 6, "/app", "memory.current"), &json!(52_428_800));
    assert_eq!(t[6]["tasks"][0]["state"], json!("oom_killed"));
    assert_eq!(file(&t, 6, "/app", "cgroup.procs"), &json!([101, 102]));
}

#[test]
fn memory_high_throttles_and_is_breached_while_max_oom_kills() {
    let t = run_file("memory-high-vs-max");
    assert_eq!(t[1]["delay_us"], json!(2_000_000));
    assert_eq!(t[1]["tasks"][0]["state"], json!("throttled_memory_high"));
    assert_eq!(file(&t, 1, "/app", "memory.current"), &json!(41_943_040));
    assert_eq!(file(&t, 1, "/app", "memory.events")["high"], json!(17));
    assert_eq!(file(&t, 1, "/app", "memory.events")["oom"], json!(0));
    assert_eq!(t[2]["timeline"]["cpus"][0], json!([{"ms": 1000, "run": "idle"}]));
    assert_eq!(
        t[3]["timeline"]["cpus"][0],
        json!([{"ms": 1000, "run": "idle"}, {"ms": 500, "run": 100}])
    );
    assert_eq!(t[4]["killed"], json!([100]));
    assert_eq!(content(&t, 5), "low 0\nhigh 17\nmax 18\noom 1\noom_kill 1\noom_group_kill 0\n");
}

#[test]
fn memory_oom_disabled_v1_blocks_the_task_until_the_limit_rises() {
    let t = run_file("memory-oom-disabled-v1");
    assert_eq!(t[2]["blocked"], json!(true));
    assert_eq!(t[2]["tasks"][0]["state"], json!("blocked_on_memory"));
    assert_eq!(file(&t, 2, "/app", "memory.usage_in_bytes"), &json!(52_428_800));
    assert_eq!(t[3]["timeline"]["cpus"][0], json!([{"ms": 10, "run": "idle"}]));
    assert_eq!(content(&t, 4), "oom_kill_disable 1\nunder_oom 1\noom_kill 0\n");
    assert_eq!(t[6]["timeline"]["cpus"][0], json!([{"ms": 10, "run": 100}]));
    assert_eq!(content(&t, 7), "oom_kill_disable 1\nunder_oom 0\noom_kill 0\n");
    assert_eq!(content(&t, 8), "18\n");
    assert_eq!(file(&t, 8, "/app", "memory.usage_in_bytes"), &json!(62_914_560));
    assert_eq!(file(&t, 8, "/app", "memory.limit_in_bytes"), &json!(104_857_600));
}

#[test]
fn pids_fork_bomb_stops_at_pids_max_with_eagain_counted() {
    let t = run_file("pids-fork-bomb");
    assert_eq!(t[5]["forked"], json!(1));
    assert_eq!(t[5]["fork_failed"], json!(1));
    assert_eq!(
        t[6]["fork_error"],
        json!("EAGAIN: fork rejected by pids controller in /bomb (pids.max of /bomb reached)")
    );
    assert_eq!(
        t[10]["error"],
        json!("EAGAIN: fork rejected by pids controller in /bomb (pids.max of /bomb reached)")
    );
    assert_eq!(content(&t, 11), "max 10\n");
    assert_eq!(file(&t, 11, "/bomb", "pids.current"), &json!(10));
    assert_eq!(file(&t, 11, "/bomb", "pids.peak"), &json!(10));
}

#[test]
fn pids_events_land_in_the_limiting_parent_on_v2_and_in_the_forking_child_on_v1() {
    let v2 = run_file("pids-hierarchy-v1-vs-v2-events");
    assert_eq!(v2[1]["forked"], json!(2));
    assert_eq!(v2[1]["fork_failed"], json!(3));
    assert_eq!(content(&v2, 2), "max 3\n");
    assert_eq!(content(&v2, 3), "max 3\n");
    assert_eq!(content(&v2, 4), "max 0\n");
    // pids_try_charge raised the child's watermark before the parent's limit reverted it.
    assert_eq!(file(&v2, 4, "/parent/child", "pids.current"), &json!(3));
    assert_eq!(file(&v2, 4, "/parent/child", "pids.peak"), &json!(4));
    assert_eq!(file(&v2, 4, "/parent", "pids.peak"), &json!(3));
    let v1 = run_file("pids-hierarchy-v1-events");
    assert_eq!(content(&v1, 2), "max 0\n");
    assert_eq!(content(&v1, 3), "max 3\n");
    assert!(v1[3]["cgroups"]["/parent"].get("pids.events.local").is_none());
}

#[test]
fn pids_migration_is_never_blocked_and_lowering_the_limit_kills_nothing() {
    let t = run_file("pids-migration-not-blocked");
    assert_eq!(file(&t, 5, "/box", "pids.current"), &json!(3));
    assert_eq!(file(&t, 5, "/box", "pids.max"), &json!(2));
    assert_eq!(
        t[6]["error"],
        json!("EAGAIN: fork rejected by pids controller in /box (pids.max of /box reached)")
    );
    assert_eq!(content(&t, 8), "3\n");
    assert_eq!(file(&t, 8, "/box", "cgroup.procs"), &json!([100, 101, 102]));
}

#[test]
fn ulimit_nproc_counts_per_user_across_containers() {
    let t = run_file("ulimit-nproc-per-user");
    assert_eq!(t[1]["forked"], json!(4));
    assert_eq!(t[1]["fork_failed"], json!(2));
    assert_eq!(
        t[2]["error"],
        json!("EAGAIN: RLIMIT_NPROC 5 reached for uid 1000 (5 tasks of that user)")
    );
    assert_eq!(t[3]["pids"], json!([105]));
    assert_eq!(t[4]["pids"], json!([106]));
    assert_eq!(t[5]["pids"], json!([107]));
    assert_eq!(t[6]["pids"], json!([108]));
    assert_eq!(t[6]["nproc"], json!({"0": 1, "1000": 7, "1001": 1}));
    assert_eq!(file(&t, 6, "/c1", "pids.current"), &json!(5));
    assert_eq!(file(&t, 6, "/c2", "pids.current"), &json!(1));
}

#[test]
fn io_v1_throttles_direct_writes_but_not_buffered_writeback() {
    let t = run_file("io-max-direct-vs-buffered-v1");
    assert_eq!(t[1]["delay_us"], json!(1_000_000));
    assert_eq!(t[2]["delay_us"], json!(0));
    // __blkg_prfill_rwstat prints Read, Write, Sync, Async, Discard and Total: the direct
    // write is REQ_SYNC, the flusher's writeback is async.
    assert_eq!(
        content(&t, 3),
        "8:0 Read 0\n8:0 Write 1048576\n8:0 Sync 1048576\n8:0 Async 0\n8:0 Discard 0\n\
         8:0 Total 1048576\nTotal 1048576\n"
    );
    assert_eq!(
        content(&t, 4),
        "8:0 Read 0\n8:0 Write 10485760\n8:0 Sync 0\n8:0 Async 10485760\n8:0 Discard 0\n\
         8:0 Total 10485760\nTotal 10485760\n"
    );
    assert_eq!(file(&t, 4, "/db", "memory.stat")["cache"], json!(10_485_760));
}

#[test]
fn io_v2_attributes_and_throttles_buffered_writeback() {
    let t = run_file("io-max-direct-vs-buffered-v2");
    assert_eq!(t[1]["delay_us"], json!(1_000_000));
    assert_eq!(t[2]["delay_us"], json!(11_000_000));
    assert_eq!(content(&t, 3), "8:0 rbytes=0 wbytes=11534336 rios=0 wios=2 dbytes=0 dios=0\n");
    assert_eq!(content(&t, 4), "8:0 rbps=max wbps=1048576 riops=max wiops=max\n");
}

// ---------------------------------------------------------------- rules, one by one

#[test]
fn share_received_is_min_of_demand_quota_and_sibling_share() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    mkdir(&mut s, "/b");
    write(&mut s, "/a", "cpu.max", "30000 100000").unwrap();
    spawn(&mut s, "/a", 1, true);
    spawn(&mut s, "/b", 1, true);
    s.advance(1000);
    // Sibling share 50 %, quota 30 %: /a gets 30 %; work conservation gives /b the rest.
    assert_eq!(usage_ms(&s, "/a"), 300);
    assert_eq!(usage_ms(&s, "/b"), 700);
}

#[test]
fn demand_below_quota_and_share_is_what_a_group_gets() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "cpu.max", "80000 100000").unwrap();
    let pid = spawn(&mut s, "/a", 1, true);
    for _ in 0..10 {
        s.advance(20);
        s.apply(&Op::SetDemand { tid: pid, busy: false }).unwrap();
        s.advance(80);
        s.apply(&Op::SetDemand { tid: pid, busy: true }).unwrap();
    }
    assert_eq!(usage_ms(&s, "/a"), 200);
    assert_eq!(group(&s, "/a").cpu.nr_throttled, 0);
}

#[test]
fn nr_periods_stops_once_the_group_idles_a_whole_period() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "cpu.max", "50000 100000").unwrap();
    let pid = spawn(&mut s, "/a", 1, true);
    s.advance(230);
    s.apply(&Op::SetDemand { tid: pid, busy: false }).unwrap();
    s.advance(1000);
    // Expiries at 100, 200 (throttled), 300 (runtime was handed out since 200) and 400
    // (nothing handed out for a whole period: counted, then the timer stops).
    assert_eq!(group(&s, "/a").cpu.nr_periods, 4);
    assert_eq!(group(&s, "/a").cpu.nr_throttled, 2);
}

#[test]
fn v1_cpu_files_use_kernel_units_and_clamp_shares() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/a");
    assert_eq!(read(&mut s, "/a", "cpu.cfs_quota_us"), "-1\n");
    write(&mut s, "/a", "cpu.cfs_quota_us", "50000").unwrap();
    write(&mut s, "/a", "cpu.shares", "1").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.shares"), "2\n");
    write(&mut s, "/a", "cpu.shares", "999999").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.shares"), "262144\n");
    spawn(&mut s, "/a", 1, true);
    s.advance(200);
    assert_eq!(
        read(&mut s, "/a", "cpu.stat"),
        "nr_periods 2\nnr_throttled 2\nthrottled_time 100000000\nnr_bursts 0\nburst_time 0\n"
    );
    assert_eq!(read(&mut s, "/a", "cpuacct.usage"), "100000000\n");
    write(&mut s, "/a", "cpu.cfs_quota_us", "-1").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.cfs_quota_us"), "-1\n");
}

#[test]
fn v1_child_quota_may_not_exceed_parent_but_v2_takes_the_minimum() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/p");
    mkdir(&mut s, "/p/c");
    write(&mut s, "/p", "cpu.cfs_quota_us", "50000").unwrap();
    let err = write(&mut s, "/p/c", "cpu.cfs_quota_us", "60000").unwrap_err();
    assert_eq!(
        err.to_string(),
        "EINVAL: cpu.cfs_quota_us: the quota of /p/c would exceed its parent's"
    );
    write(&mut s, "/p/c", "cpu.cfs_quota_us", "40000").unwrap();
    let mut s2 = sim(CgroupVersion::V2, 1);
    mkdir(&mut s2, "/p");
    mkdir(&mut s2, "/p/c");
    write(&mut s2, "/p", "cpu.max", "50000").unwrap();
    write(&mut s2, "/p/c", "cpu.max", "60000").unwrap();
    assert_eq!(read(&mut s2, "/p/c", "cpu.max"), "60000 100000\n");
}

#[test]
fn cpu_weight_nice_maps_through_sched_prio_to_weight() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    assert_eq!(read(&mut s, "/a", "cpu.weight.nice"), "0\n");
    write(&mut s, "/a", "cpu.weight.nice", "5").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.weight"), "33\n");
    assert_eq!(read(&mut s, "/a", "cpu.weight.nice"), "5\n");
    write(&mut s, "/a", "cpu.weight", "150").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.weight.nice"), "-2\n");
    assert_eq!(
        write(&mut s, "/a", "cpu.weight.nice", "20").unwrap_err().to_string(),
        "ERANGE: cpu.weight.nice: 20 is outside -20..=19"
    );
}

#[test]
fn cpu_max_keeps_the_period_when_only_the_quota_is_written() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "cpu.max", "20000 50000").unwrap();
    write(&mut s, "/a", "cpu.max", "max").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max"), "max 50000\n");
    write(&mut s, "/a", "cpu.max", "10000").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max"), "10000 50000\n");
}

/// `cpu_period_quota_parse` scans `"%20s %llu"`: the quota token with `"%llu"` (decimal only,
/// trailing characters ignored, so `050000` is 50000 and `0x1000` is 0), or `max`; a period
/// that does not scan leaves the current period (sscanf still returned 1).
#[test]
fn cpu_max_is_scanned_like_cpu_period_quota_parse() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "cpu.max", "050000 100000").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max"), "50000 100000\n");
    write(&mut s, "/a", "cpu.max", "20000us 050000").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max"), "20000 50000\n");
    write(&mut s, "/a", "cpu.max", "max abc").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max"), "max 50000\n");
    assert_eq!(
        write(&mut s, "/a", "cpu.max", "+5000 100000").unwrap_err().to_string(),
        "EINVAL: cpu.max: `+5000` is not a number or `max`"
    );
    assert_eq!(
        write(&mut s, "/a", "cpu.max", "0x1000").unwrap_err().to_string(),
        "EINVAL: cpu.max: quota and period must be at least 1000 us"
    );
}

/// `tg_set_cfs_burst` refuses only a burst above `U64_MAX / NSEC_PER_USEC` µs; with no quota
/// `tg_set_cfs_bandwidth` accepts any such burst, and a later quota below it is `EINVAL`.
#[test]
fn burst_without_quota_is_checked_like_tg_set_cfs_burst() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "cpu.max.burst", "100000000000000").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max.burst"), "100000000000000\n");
    assert_eq!(
        write(&mut s, "/a", "cpu.max.burst", "18446744073709552").unwrap_err().to_string(),
        "EINVAL: cpu.max.burst: burst must be at most 18446744073709551 us"
    );
    assert_eq!(
        write(&mut s, "/a", "cpu.max", "50000 100000").unwrap_err().to_string(),
        "EINVAL: cpu.max: burst must not exceed the quota"
    );
    write(&mut s, "/a", "cpu.max.burst", "0").unwrap();
    write(&mut s, "/a", "cpu.max", "50000 100000").unwrap();
}

/// White space on write: `pids_max_write`, `memory_max_write` and `cgroup_procs_write_start`
/// `strstrip` the buffer; `write_u64`/`write_s64` files go through `kstrtoull`/`kstrtoll`,
/// which allow one trailing newline and nothing else.
#[test]
fn written_values_are_stripped_like_the_kernel_handlers() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "pids.max", "  5 \n").unwrap();
    assert_eq!(read(&mut s, "/a", "pids.max"), "5\n");
    write(&mut s, "/a", "memory.max", " 1M\n").unwrap();
    assert_eq!(read(&mut s, "/a", "memory.max"), "1048576\n");
    write(&mut s, "/a", "cpu.weight", "50\n").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.weight"), "50\n");
    assert_eq!(
        write(&mut s, "/a", "cpu.weight", "50 ").unwrap_err().to_string(),
        "EINVAL: cpu.weight: `50 ` is not a number"
    );
    assert_eq!(
        write(&mut s, "/a", "cpu.weight", " 50").unwrap_err().to_string(),
        "EINVAL: cpu.weight: ` 50` is not a number"
    );
    write(&mut s, "/a", "cpu.max", " 20000  50000 \n").unwrap();
    assert_eq!(read(&mut s, "/a", "cpu.max"), "20000 50000\n");
}

/// `tg_set_limit` (6.6): values are scanned with `"%llu"` (decimal), 0 is `ERANGE`, 1 is
/// `EINVAL`, and iops at or above `UINT_MAX` mean `max`. v1 `tg_set_conf` scans `"%llu"`
/// too, 0 removes the limit, and the iops limit is an `unsigned int`.
#[test]
fn io_limits_are_scanned_like_tg_set_limit_and_tg_set_conf() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    assert_eq!(
        write(&mut s, "/a", "io.max", "8:0 rbps=0").unwrap_err().to_string(),
        "ERANGE: io.max: `rbps=0`: 0 is not a limit (use `max`)"
    );
    assert_eq!(
        write(&mut s, "/a", "io.max", "8:0 dbps=0").unwrap_err().to_string(),
        "ERANGE: io.max: `dbps=0`: 0 is not a limit (use `max`)"
    );
    assert_eq!(
        write(&mut s, "/a", "io.max", "8:0 rbps=0x10").unwrap_err().to_string(),
        "ERANGE: io.max: `rbps=0x10`: 0 is not a limit (use `max`)"
    );
    assert_eq!(
        write(&mut s, "/a", "io.max", "8:0 rbps=-5").unwrap_err().to_string(),
        "EINVAL: io.max: `rbps=-5`: values must be a number or `max`"
    );
    write(&mut s, "/a", "io.max", "8:0 wbps=010 riops=4294967295 wiops=5000000000").unwrap();
    assert_eq!(read(&mut s, "/a", "io.max"), "8:0 rbps=max wbps=10 riops=max wiops=max\n");
    write(&mut s, "/a", "io.max", "8:0 wiops=4294967294").unwrap();
    assert_eq!(read(&mut s, "/a", "io.max"), "8:0 rbps=max wbps=10 riops=max wiops=4294967294\n");

    let mut v1 = sim(CgroupVersion::V1, 1);
    mkdir(&mut v1, "/a");
    write(&mut v1, "/a", "blkio.throttle.write_bps_device", "8:0 0x100000").unwrap();
    assert_eq!(read(&mut v1, "/a", "blkio.throttle.write_bps_device"), "");
    write(&mut v1, "/a", "blkio.throttle.write_bps_device", "8:0 1048576\n").unwrap();
    assert_eq!(read(&mut v1, "/a", "blkio.throttle.write_bps_device"), "8:0 1048576\n");
    write(&mut v1, "/a", "blkio.throttle.read_iops_device", "8:0 4294967297").unwrap();
    assert_eq!(read(&mut v1, "/a", "blkio.throttle.read_iops_device"), "8:0 1\n");
    write(&mut v1, "/a", "blkio.throttle.read_iops_device", "8:0 4294967295").unwrap();
    assert_eq!(read(&mut v1, "/a", "blkio.throttle.read_iops_device"), "");
}

#[test]
fn nice_weights_split_a_cpu_like_sched_prio_to_weight() {
    let mut s = sim(CgroupVersion::V2, 1);
    let a = spawn(&mut s, "/", 1, true);
    s.apply(&Op::Spawn {
        cgroup: "/".into(),
        uid: 0,
        threads: 1,
        busy: true,
        cpus: None,
        nice: 5,
        oom_score_adj: 0,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap();
    s.advance(1359);
    // 1024 : 335 (nice 5).
    let ms: Vec<u64> = s.tasks().iter().map(|t| t.sum_exec_ns / 1_000_000).collect();
    assert_eq!(ms, vec![1024, 335]);
    assert_eq!(s.tasks()[0].tid, a);
}

#[test]
fn pinned_threads_stay_on_their_cpu() {
    let mut s = sim(CgroupVersion::V2, 2);
    s.apply(&Op::Spawn {
        cgroup: "/".into(),
        uid: 0,
        threads: 2,
        busy: true,
        cpus: Some(vec![1]),
        nice: 0,
        oom_score_adj: 0,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap();
    s.advance(100);
    assert!(s.tasks().iter().all(|t| t.cpu == 1));
    assert_eq!(usage_ms(&s, "/"), 100);
}

#[test]
fn oom_score_adj_minus_1000_is_never_chosen() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/m");
    write(&mut s, "/m", "memory.max", "40M").unwrap();
    s.apply(&Op::Spawn {
        cgroup: "/m".into(),
        uid: 0,
        threads: 1,
        busy: false,
        cpus: None,
        nice: 0,
        oom_score_adj: -1000,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap();
    s.apply(&Op::Alloc { pid: 100, bytes: 30 << 20 }).unwrap();
    let small = spawn(&mut s, "/m", 1, false);
    let out = s.apply(&Op::Alloc { pid: small, bytes: 20 << 20 }).unwrap();
    assert_eq!(out.killed, vec![small]);
}

#[test]
fn oom_score_adj_scales_by_totalpages_over_1000() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/m");
    write(&mut s, "/m", "memory.max", "100M").unwrap();
    let big = spawn(&mut s, "/m", 1, false);
    s.apply(&Op::Alloc { pid: big, bytes: 50 << 20 }).unwrap();
    s.apply(&Op::Spawn {
        cgroup: "/m".into(),
        uid: 0,
        threads: 1,
        busy: false,
        cpus: None,
        nice: 0,
        oom_score_adj: 1000,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap();
    s.apply(&Op::Alloc { pid: 101, bytes: 10 << 20 }).unwrap();
    // At the OOM, 100 has 23040 pages + 45 of page tables = 23085 points; 101 has
    // 2560 + 5 + 1000·(25600/1000) = 28165, and is chosen.
    let out = s.apply(&Op::Alloc { pid: big, bytes: 50 << 20 }).unwrap();
    assert_eq!(out.killed, vec![101]);
}

#[test]
fn memory_oom_group_kills_the_whole_cgroup() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/m");
    write(&mut s, "/m", "memory.max", "20M").unwrap();
    write(&mut s, "/m", "memory.oom.group", "1").unwrap();
    let a = spawn(&mut s, "/m", 1, false);
    let b = spawn(&mut s, "/m", 1, false);
    s.apply(&Op::Alloc { pid: a, bytes: 4 << 20 }).unwrap();
    let out = s.apply(&Op::Alloc { pid: b, bytes: 20 << 20 }).unwrap();
    assert_eq!(out.killed, vec![b, a]);
    // __oom_kill_process counts oom_kill once for the victim, then once more for every thread
    // mem_cgroup_scan_tasks meets (oom_kill_memcg_member does not skip the victim): 1 + 2.
    assert_eq!(
        read(&mut s, "/m", "memory.events"),
        "low 0\nhigh 0\nmax 18\noom 1\noom_kill 3\noom_group_kill 1\n"
    );
}

/// With `memory.oom.group`, `oom_kill_memcg_member` runs `__oom_kill_process` for every
/// thread of the group, so `oom_kill` counts threads: here 1 (victim) + 1 + 3.
#[test]
fn oom_group_kill_counts_oom_kill_per_thread() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/m");
    write(&mut s, "/m", "memory.max", "20M").unwrap();
    write(&mut s, "/m", "memory.oom.group", "1").unwrap();
    let a = spawn(&mut s, "/m", 3, false);
    let b = spawn(&mut s, "/m", 1, false);
    s.apply(&Op::Alloc { pid: a, bytes: 4 << 20 }).unwrap();
    let out = s.apply(&Op::Alloc { pid: b, bytes: 20 << 20 }).unwrap();
    assert_eq!(out.killed, vec![b, a]);
    assert!(read(&mut s, "/m", "memory.events").contains("oom_kill 5\n"));
    assert!(read(&mut s, "/m", "memory.events.local").contains("oom_kill 5\n"));
}

/// After the victim, `mem_cgroup_scan_tasks(oom_group, oom_kill_memcg_member)` kills the group
/// in memcg pre-order (children in creation order), then task-list order within each memcg.
#[test]
fn memory_oom_group_kills_in_scan_order() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/g");
    mkdir(&mut s, "/g/x");
    mkdir(&mut s, "/g/y");
    write(&mut s, "/g", "memory.max", "20M").unwrap();
    write(&mut s, "/g", "memory.oom.group", "1").unwrap();
    let py = spawn(&mut s, "/g/y", 1, false);
    let px = spawn(&mut s, "/g/x", 1, false);
    let v = spawn(&mut s, "/g/y", 1, false);
    s.apply(&Op::Alloc { pid: py, bytes: 1 << 20 }).unwrap();
    s.apply(&Op::Alloc { pid: px, bytes: 1 << 20 }).unwrap();
    let out = s.apply(&Op::Alloc { pid: v, bytes: 20 << 20 }).unwrap();
    assert_eq!(out.killed, vec![v, px, py]);
}

#[test]
fn memory_events_are_hierarchical_and_local_files_are_not() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/p");
    mkdir(&mut s, "/p/c");
    write(&mut s, "/p/c", "memory.max", "4M").unwrap();
    let pid = spawn(&mut s, "/p/c", 1, false);
    s.apply(&Op::Alloc { pid, bytes: 8 << 20 }).unwrap();
    assert_eq!(
        read(&mut s, "/p", "memory.events"),
        "low 0\nhigh 0\nmax 18\noom 1\noom_kill 1\noom_group_kill 0\n"
    );
    assert_eq!(
        read(&mut s, "/p", "memory.events.local"),
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"
    );
}

#[test]
fn lowering_memory_max_below_usage_reclaims_then_oom_kills_on_v2() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/m");
    let a = spawn(&mut s, "/m", 1, false);
    s.apply(&Op::Alloc { pid: a, bytes: 10 << 20 }).unwrap();
    s.apply(&Op::TouchFile { pid: a, file: "f".into(), bytes: 10 << 20 }).unwrap();
    let out = write(&mut s, "/m", "memory.max", "15M").unwrap();
    assert!(out.killed.is_empty());
    assert_eq!(read(&mut s, "/m", "memory.current"), "15728640\n");
    let out = write(&mut s, "/m", "memory.max", "8M").unwrap();
    assert_eq!(out.killed, vec![a]);
    assert_eq!(
        read(&mut s, "/m", "memory.events"),
        "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\noom_group_kill 0\n"
    );
}

#[test]
fn lowering_the_v1_limit_below_unreclaimable_usage_is_ebusy() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/m");
    let a = spawn(&mut s, "/m", 1, false);
    s.apply(&Op::Alloc { pid: a, bytes: 10 << 20 }).unwrap();
    s.apply(&Op::TouchFile { pid: a, file: "f".into(), bytes: 10 << 20 }).unwrap();
    let err = write(&mut s, "/m", "memory.limit_in_bytes", "8M").unwrap_err();
    assert_eq!(
        err.to_string(),
        "EBUSY: memory.limit_in_bytes: usage 10485760 cannot be reclaimed below 8388608"
    );
    // As in mem_cgroup_resize_max, the page cache dropped while trying stays dropped.
    assert_eq!(read(&mut s, "/m", "memory.usage_in_bytes"), "10485760\n");
    assert_eq!(read(&mut s, "/m", "memory.limit_in_bytes"), "9223372036854771712\n");
    write(&mut s, "/m", "memory.limit_in_bytes", "12m").unwrap();
    assert_eq!(read(&mut s, "/m", "memory.limit_in_bytes"), "12582912\n");
}

#[test]
fn v1_failcnt_counts_every_failed_try_and_resets_on_write() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/m");
    write(&mut s, "/m", "memory.limit_in_bytes", "1M").unwrap();
    let a = spawn(&mut s, "/m", 1, false);
    s.apply(&Op::TouchFile { pid: a, file: "f".into(), bytes: 1 << 20 }).unwrap();
    s.apply(&Op::Alloc { pid: a, bytes: 256 << 10 }).unwrap();
    assert_eq!(read(&mut s, "/m", "memory.failcnt"), "2\n");
    assert_eq!(read(&mut s, "/m", "memory.max_usage_in_bytes"), "1048576\n");
    write(&mut s, "/m", "memory.failcnt", "0").unwrap();
    assert_eq!(read(&mut s, "/m", "memory.failcnt"), "0\n");
}

#[test]
fn migrated_memory_stays_charged_to_the_old_cgroup() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    mkdir(&mut s, "/b");
    let p = spawn(&mut s, "/a", 1, false);
    s.apply(&Op::Alloc { pid: p, bytes: 1 << 20 }).unwrap();
    s.apply(&Op::Migrate { pid: p, cgroup: "/b".into() }).unwrap();
    s.apply(&Op::Alloc { pid: p, bytes: 1 << 20 }).unwrap();
    assert_eq!(read(&mut s, "/a", "memory.current"), "1048576\n");
    assert_eq!(read(&mut s, "/b", "memory.current"), "1048576\n");
    s.apply(&Op::Kill { pid: p }).unwrap();
    assert_eq!(read(&mut s, "/a", "memory.current"), "0\n");
    assert_eq!(read(&mut s, "/b", "memory.current"), "0\n");
}

#[test]
fn io_riops_limit_delays_the_ios_beyond_one_slice() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/d");
    write(&mut s, "/d", "io.max", "8:0 riops=10").unwrap();
    let p = spawn(&mut s, "/d", 1, false);
    let delays: Vec<u64> = (0..3)
        .map(|_| {
            let out = s
                .apply(&Op::Io {
                    pid: p,
                    dir: wasm_demos::cgroups::IoDir::Read,
                    bytes: 4096,
                    direct: true,
                    device: None,
                    file: None,
                })
                .unwrap();
            out.delay_us.unwrap()
        })
        .collect();
    // One io allowed in the first 100 ms slice, the next at the next slice boundary.
    assert_eq!(delays, vec![0, 100_000, 200_000]);
}

#[test]
fn thread_exit_and_process_kill_uncharge_pids_and_nproc() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    let p = s
        .apply(&Op::Spawn {
            cgroup: "/a".into(),
            uid: 1000,
            threads: 3,
            busy: false,
            cpus: None,
            nice: 0,
            oom_score_adj: 0,
            nproc: Some(10),
            cap_sys_resource: false,
        })
        .unwrap();
    assert_eq!(p.tids, vec![100, 101, 102]);
    assert_eq!(read(&mut s, "/a", "pids.current"), "3\n");
    s.apply(&Op::Exit { tid: 101 }).unwrap();
    assert_eq!(read(&mut s, "/a", "pids.current"), "2\n");
    assert_eq!(s.nproc_count(1000), 2);
    s.apply(&Op::Kill { pid: 100 }).unwrap();
    assert_eq!(read(&mut s, "/a", "pids.current"), "0\n");
    assert_eq!(s.nproc_count(1000), 0);
    assert_eq!(s.apply(&Op::Kill { pid: 100 }).unwrap_err().to_string(), "ESRCH: no process 100");
}

// ---------------------------------------------------------------- error messages

#[test]
fn every_error_message_is_exact() {
    let mut s = sim(CgroupVersion::V2, 2);
    mkdir(&mut s, "/a");
    let e = |r: Result<Outcome, CgroupError>| r.unwrap_err().to_string();
    let mut cases: Vec<(String, &str)> = vec![(
        e(s.apply(&Op::Mkdir { cgroup: "/a".into() })),
        "EEXIST: cgroup `/a` already exists",
    )];
    cases.push((e(s.apply(&Op::Mkdir { cgroup: "/x/y".into() })), "ENOENT: no cgroup `/x`"));
    cases.push((
        e(s.apply(&Op::Mkdir { cgroup: "a".into() })),
        "EINVAL: bad cgroup path `a` (expected /name[/name…], names of 1 to 64 of [A-Za-z0-9._-])",
    ));
    cases.push((e(write(&mut s, "/nope", "cpu.max", "max")), "ENOENT: no cgroup `/nope`"));
    cases.push((
        e(write(&mut s, "/a", "cpu.shares", "10")),
        "ENOENT: no file `cpu.shares` in cgroup `/a` (cgroup v2)",
    ));
    cases.push((
        e(write(&mut s, "/", "cpu.max", "max")),
        "ENOENT: no file `cpu.max` in cgroup `/` (cgroup v2)",
    ));
    cases.push((e(write(&mut s, "/a", "cpu.stat", "1")), "EACCES: `cpu.stat` is read-only"));
    cases.push((
        e(write(&mut s, "/a", "cpu.max", "")),
        "EINVAL: cpu.max: expected \"$MAX $PERIOD\"",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.max", "fifty")),
        "EINVAL: cpu.max: `fifty` is not a number or `max`",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.max", "500 100000")),
        "EINVAL: cpu.max: quota and period must be at least 1000 us",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.max", "max 2000000")),
        "EINVAL: cpu.max: period must be at most 1000000 us",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.max", "0x1000 100000")),
        "EINVAL: cpu.max: quota and period must be at least 1000 us",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.max", "20000000000000 100000")),
        "EINVAL: cpu.max: quota must be at most 17592186044415 us",
    ));
    write(&mut s, "/a", "cpu.max", "10000 100000").unwrap();
    cases.push((
        e(write(&mut s, "/a", "cpu.max.burst", "20000")),
        "EINVAL: cpu.max.burst: burst must not exceed the quota",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.weight", "0")),
        "ERANGE: cpu.weight: 0 is outside 1..=10000",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.weight", "10001")),
        "ERANGE: cpu.weight: 10001 is outside 1..=10000",
    ));
    cases.push((
        e(write(&mut s, "/a", "cpu.weight", "x")),
        "EINVAL: cpu.weight: `x` is not a number",
    ));
    cases.push((
        e(write(&mut s, "/a", "memory.max", "12Q")),
        "EINVAL: memory.max: `12Q` is not a size in bytes or `max`",
    ));
    cases.push((
        e(write(&mut s, "/a", "memory.oom.group", "2")),
        "EINVAL: memory.oom.group: `2` is not 0 or 1",
    ));
    cases.push((
        e(write(&mut s, "/a", "pids.max", "-1")),
        "EINVAL: pids.max: -1 is outside 0..4194305",
    ));
    cases.push((
        e(write(&mut s, "/a", "pids.max", "lots")),
        "EINVAL: pids.max: `lots` is not a number or `max`",
    ));
    cases.push((
        e(write(&mut s, "/a", "io.max", "")),
        "EINVAL: io.max: expected \"MAJ:MIN key=value…\"",
    ));
    cases.push((
        e(write(&mut s, "/a", "io.max", "sda wbps=1")),
        "EINVAL: io.max: `sda` is not MAJ:MIN",
    ));
    cases.push((e(write(&mut s, "/a", "io.max", "8:16 wbps=100")), "ENODEV: no block device 8:16"));
    cases.push((
        e(write(&mut s, "/a", "io.max", "8:0 wbps=1")),
        "EINVAL: io.max: `wbps=1`: values must be greater than 1 or `max`",
    ));
    cases.push((
        e(write(&mut s, "/a", "io.max", "8:0 wbps")),
        "EINVAL: io.max: `wbps` is not key=value",
    ));
    cases.push((
        e(write(&mut s, "/a", "io.max", "8:0 dbps=5")),
        "EINVAL: io.max: unknown key `dbps` (rbps, wbps, riops, wiops)",
    ));
    cases.push((
        e(write(&mut s, "/a", "cgroup.procs", "abc")),
        "EINVAL: cgroup.procs: `abc` is not a pid",
    ));
    cases.push((e(write(&mut s, "/a", "cgroup.procs", "999")), "ESRCH: no process 999"));
    cases.push((
        e(s.apply(&Op::Read { cgroup: "/a".into(), file: "memory.failcnt".into() })),
        "ENOENT: no file `memory.failcnt` in cgroup `/a` (cgroup v2)",
    ));
    cases.push((e(s.apply(&Op::Exit { tid: 7 })), "ESRCH: no thread 7"));
    cases.push((e(s.apply(&Op::SetDemand { tid: 7, busy: true })), "ESRCH: no thread 7"));
    cases.push((e(s.apply(&Op::Run { ms: 0 })), "EINVAL: run: ms 0 is outside 1..=600000"));
    cases.push((
        e(s.apply(&Op::Run { ms: 600_001 })),
        "EINVAL: run: ms 600001 is outside 1..=600000",
    ));
    let mut long = sim(CgroupVersion::V2, 1);
    for _ in 0..6 {
        long.apply(&Op::Run { ms: 600_000 }).unwrap();
    }
    cases.push((
        e(long.apply(&Op::Run { ms: 1 })),
        "EINVAL: run: simulated time would pass 3600000 ms",
    ));
    let mut bad = spawn_op("/a", 0, true);
    cases.push((e(s.apply(&bad)), "EINVAL: threads: 0 is outside 1..=1024"));
    if let Op::Spawn { threads, nice, .. } = &mut bad {
        *threads = 1;
        *nice = 20;
    }
    cases.push((e(s.apply(&bad)), "EINVAL: nice: 20 is outside -20..=19"));
    if let Op::Spawn { nice, oom_score_adj, .. } = &mut bad {
        *nice = 0;
        *oom_score_adj = 1001;
    }
    cases.push((e(s.apply(&bad)), "EINVAL: oom_score_adj: 1001 is outside -1000..=1000"));
    if let Op::Spawn { oom_score_adj, cpus, .. } = &mut bad {
        *oom_score_adj = 0;
        *cpus = Some(vec![2]);
    }
    cases.push((e(s.apply(&bad)), "EINVAL: cpus: CPU 2 does not exist (0..2)"));
    if let Op::Spawn { cpus, .. } = &mut bad {
        *cpus = Some(vec![]);
    }
    cases.push((e(s.apply(&bad)), "EINVAL: cpus: empty CPU list"));
    let p = spawn(&mut s, "/a", 1, false);
    cases.push((
        e(s.apply(&Op::Fork { pid: p, busy: None, count: 0 })),
        "EINVAL: count: 0 is outside 1..=4096",
    ));
    cases.push((
        e(s.apply(&Op::Alloc { pid: p, bytes: (1 << 30) + 1 })),
        "EINVAL: alloc: 1073741825 bytes is above the 1073741824-byte cap",
    ));
    cases.push((
        e(s.apply(&Op::Free { pid: p, bytes: 4096 })),
        "EINVAL: process 100 has 0 anonymous bytes, cannot free 4096",
    ));
    cases.push((
        e(s.apply(&Op::TouchFile { pid: p, file: String::new(), bytes: 1 })),
        "EINVAL: file: name must have 1 to 255 bytes",
    ));
    let io = |bytes, device: Option<&str>| Op::Io {
        pid: p,
        dir: wasm_demos::cgroups::IoDir::Write,
        bytes,
        direct: true,
        device: device.map(str::to_owned),
        file: None,
    };
    cases.push((e(s.apply(&io(0, None))), "EINVAL: io: bytes 0 is outside 1..=1073741824"));
    cases.push((e(s.apply(&io(1, Some("9:9")))), "ENODEV: no block device 9:9"));
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn v1_error_messages_are_exact() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/a");
    let e = |r: Result<Outcome, CgroupError>| r.unwrap_err().to_string();
    assert_eq!(
        e(write(&mut s, "/", "cpu.shares", "5")),
        "EINVAL: cpu.shares: the root cgroup's shares cannot be changed"
    );
    assert_eq!(
        e(write(&mut s, "/", "cpu.cfs_quota_us", "5000")),
        "EINVAL: cpu.cfs_quota_us: the root cgroup has no bandwidth limit"
    );
    assert_eq!(
        e(write(&mut s, "/", "memory.limit_in_bytes", "1M")),
        "EINVAL: memory.limit_in_bytes: the root cgroup cannot be limited"
    );
    assert_eq!(
        e(write(&mut s, "/", "memory.oom_control", "1")),
        "EINVAL: memory.oom_control: the root cgroup's OOM killer cannot be disabled"
    );
    assert_eq!(
        e(write(&mut s, "/a", "memory.oom_control", "3")),
        "EINVAL: memory.oom_control: `3` is not 0 or 1"
    );
    assert_eq!(
        e(write(&mut s, "/a", "cpu.cfs_period_us", "0x")),
        "EINVAL: cpu.cfs_period_us: `0x` is not a number"
    );
    assert_eq!(
        e(write(&mut s, "/a", "blkio.throttle.write_bps_device", "8:0")),
        "EINVAL: blkio.throttle.write_bps_device: expected \"MAJ:MIN VALUE\""
    );
    assert_eq!(e(write(&mut s, "/a", "memory.stat", "1")), "EACCES: `memory.stat` is read-only");
    assert_eq!(
        e(write(&mut s, "/a", "memory.max", "1M")),
        "ENOENT: no file `memory.max` in cgroup `/a` (cgroup v1)"
    );
    assert_eq!(
        e(write(&mut s, "/", "pids.max", "5")),
        "ENOENT: no file `pids.max` in cgroup `/` (cgroup v1)"
    );
    write(&mut s, "/a", "blkio.throttle.write_bps_device", "8:0 1048576").unwrap();
    assert_eq!(read(&mut s, "/a", "blkio.throttle.write_bps_device"), "8:0 1048576\n");
    write(&mut s, "/a", "blkio.throttle.write_bps_device", "8:0 0").unwrap();
    assert_eq!(read(&mut s, "/a", "blkio.throttle.write_bps_device"), "");
}

#[test]
fn blocked_process_cannot_act_until_memory_frees() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "memory.limit_in_bytes", "1M").unwrap();
    write(&mut s, "/a", "memory.oom_control", "1").unwrap();
    let p = spawn(&mut s, "/a", 1, true);
    assert!(s.apply(&Op::Alloc { pid: p, bytes: 2 << 20 }).unwrap().blocked);
    assert_eq!(
        s.apply(&Op::Alloc { pid: p, bytes: 1 }).unwrap_err().to_string(),
        "EINVAL: process 100 is blocked in a memory charge (oom_kill_disable)"
    );
    // Re-enabling the OOM killer wakes the waiter, whose retry now kills it.
    let out = write(&mut s, "/a", "memory.oom_control", "0").unwrap();
    assert_eq!(out.killed, vec![p]);
}

/// `memcg_memory_event` stops after the memcg itself on cgroup v1 (`!cgroup_subsys_on_dfl`):
/// a parent's `memory.oom_control` `oom_kill` does not count its children's kills, unlike v2's
/// hierarchical `memory.events`.
#[test]
fn v1_memory_events_are_local_to_the_memcg() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/p");
    mkdir(&mut s, "/p/c");
    write(&mut s, "/p/c", "memory.limit_in_bytes", "1M").unwrap();
    let p = spawn(&mut s, "/p/c", 1, false);
    let out = s.apply(&Op::Alloc { pid: p, bytes: 2 << 20 }).unwrap();
    assert_eq!(out.killed, vec![p]);
    assert_eq!(
        read(&mut s, "/p/c", "memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"
    );
    assert_eq!(
        read(&mut s, "/p", "memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
    );

    let mut v2 = sim(CgroupVersion::V2, 1);
    mkdir(&mut v2, "/p");
    mkdir(&mut v2, "/p/c");
    write(&mut v2, "/p/c", "memory.max", "1M").unwrap();
    let p = spawn(&mut v2, "/p/c", 1, false);
    v2.apply(&Op::Alloc { pid: p, bytes: 2 << 20 }).unwrap();
    assert!(read(&mut v2, "/p", "memory.events").contains("oom_kill 1\n"));
}

/// `mem_cgroup_mark_under_oom` marks the waiting OOM memcg's whole subtree.
#[test]
fn v1_under_oom_covers_the_oom_memcgs_subtree() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/p");
    mkdir(&mut s, "/p/c");
    mkdir(&mut s, "/q");
    write(&mut s, "/p", "memory.limit_in_bytes", "1M").unwrap();
    write(&mut s, "/p", "memory.oom_control", "1").unwrap();
    let w = spawn(&mut s, "/p", 1, false);
    assert!(s.apply(&Op::Alloc { pid: w, bytes: 2 << 20 }).unwrap().blocked);
    let under =
        |s: &mut CgroupSim, cg: &str| read(s, cg, "memory.oom_control").contains("under_oom 1");
    assert!(under(&mut s, "/p"));
    assert!(under(&mut s, "/p/c"));
    assert!(!under(&mut s, "/q"));
    assert!(!under(&mut s, "/"));
}

/// `memcg_oom_recover(memcg)` wakes v1 OOM waiters only when `memcg` is under OOM and related
/// to the waiter's OOM memcg (`memcg_oom_wake_function`); `mem_cgroup_resize_max` calls it only
/// when the limit grows. A woken waiter that still finds no memory fails 18 more tries.
#[test]
fn v1_oom_waiters_wake_only_for_related_uncharges_and_larger_limits() {
    let mut s = sim(CgroupVersion::V1, 1);
    mkdir(&mut s, "/a");
    mkdir(&mut s, "/b");
    write(&mut s, "/a", "memory.limit_in_bytes", "2M").unwrap();
    write(&mut s, "/a", "memory.oom_control", "1").unwrap();
    let helper = spawn(&mut s, "/a", 1, false);
    s.apply(&Op::Alloc { pid: helper, bytes: 1 << 20 }).unwrap();
    let waiter = spawn(&mut s, "/a", 1, false);
    assert!(s.apply(&Op::Alloc { pid: waiter, bytes: 2 << 20 }).unwrap().blocked);
    assert_eq!(read(&mut s, "/a", "memory.failcnt"), "18\n");
    // An uncharge in an unrelated memcg wakes nobody.
    let other = spawn(&mut s, "/b", 1, false);
    s.apply(&Op::Alloc { pid: other, bytes: 1 << 20 }).unwrap();
    s.apply(&Op::Free { pid: other, bytes: 1 << 20 }).unwrap();
    assert_eq!(read(&mut s, "/a", "memory.failcnt"), "18\n");
    // Rewriting the same limit does not enlarge it: no wake-up.
    write(&mut s, "/a", "memory.limit_in_bytes", "2M").unwrap();
    assert_eq!(read(&mut s, "/a", "memory.failcnt"), "18\n");
    // An uncharge in /a wakes the waiter; 4 KiB is not enough, so it fails 18 more tries.
    s.apply(&Op::Free { pid: helper, bytes: 4096 }).unwrap();
    assert_eq!(read(&mut s, "/a", "memory.failcnt"), "36\n");
    assert!(s.processes().iter().find(|p| p.pid == waiter).unwrap().pending_pages > 0);
}

/// `mem_cgroup_scan_tasks` calls `oom_evaluate_task` for every thread in `cset->tasks` order,
/// and a tie goes to the task met last: a thread cloned later puts its process after one that
/// joined the cgroup after it.
#[test]
fn oom_ties_go_to_the_process_whose_last_thread_comes_last() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "memory.max", "10M").unwrap();
    let p1 = spawn(&mut s, "/a", 1, false);
    let p2 = spawn(&mut s, "/a", 1, false);
    s.apply(&Op::Alloc { pid: p1, bytes: 4 << 20 }).unwrap();
    s.apply(&Op::Alloc { pid: p2, bytes: 4 << 20 }).unwrap();
    s.apply(&Op::Clone { pid: p1, busy: false, cpus: None }).unwrap();
    let p3 = s
        .apply(&Op::Spawn {
            cgroup: "/a".into(),
            uid: 0,
            threads: 1,
            busy: false,
            cpus: None,
            nice: 0,
            oom_score_adj: -1000,
            nproc: None,
            cap_sys_resource: false,
        })
        .unwrap()
        .pids[0];
    let out = s.apply(&Op::Alloc { pid: p3, bytes: 4 << 20 }).unwrap();
    assert_eq!(out.killed, vec![p1]);
}

#[test]
fn a_charge_with_nothing_killable_is_enomem() {
    let mut s = sim(CgroupVersion::V2, 1);
    mkdir(&mut s, "/a");
    write(&mut s, "/a", "memory.max", "1M").unwrap();
    s.apply(&Op::Spawn {
        cgroup: "/a".into(),
        uid: 0,
        threads: 1,
        busy: false,
        cpus: None,
        nice: 0,
        oom_score_adj: -1000,
        nproc: None,
        cap_sys_resource: false,
    })
    .unwrap();
    let err = s.apply(&Op::Alloc { pid: 100, bytes: 2 << 20 }).unwrap_err();
    assert_eq!(err.to_string(), "ENOMEM: memory cgroup /a out of memory and no killable task");
    assert_eq!(read(&mut s, "/a", "memory.current"), "1048576\n");
}

#[test]
fn sim_params_are_validated() {
    let e = |p: SimParams| CgroupSim::new(p).unwrap_err().to_string();
    assert_eq!(
        e(SimParams { nr_cpus: 0, ..SimParams::default() }),
        "EINVAL: cpus: 0 is outside 1..=256"
    );
    assert_eq!(
        e(SimParams { devices: vec![], ..SimParams::default() }),
        "EINVAL: devices: 1 to 16 devices are needed"
    );
    assert_eq!(
        e(SimParams { devices: vec!["sda".into()], ..SimParams::default() }),
        "EINVAL: devices: `sda` is not MAJ:MIN"
    );
    assert_eq!(
        e(SimParams { bandwidth_slice_us: 0, ..SimParams::default() }),
        "EINVAL: sched_cfs_bandwidth_slice_us: 0 is outside 1..=2147483647"
    );
}

// ---------------------------------------------------------------- malformed scenarios

#[test]
fn malformed_scenarios_name_the_json_path() {
    let cases = [
        (r#"{"version": 3, "ops": []}"#, "version: 3 is not a cgroup version (expected 1 or 2)"),
        (r#"{"version": 2, "cpus": 0, "ops": []}"#, "cpus: 0 is outside 1..=256"),
        (
            r#"{"version": 2, "ops": [], "color": 1}"#,
            "color: unknown field `color`, expected one of `version`, `cpus`, `devices`, `sched_cfs_bandwidth_slice_us`, `groups`, `ops`",
        ),
        (r#"{"version": 2}"#, "$: missing field `ops`"),
        (
            r#"{"version": 2, "ops": [{"op": "run", "ms": 1}, {"op": "fly"}]}"#,
            "ops[1].op: unknown variant `fly`, expected one of `mkdir`, `write`, `read`, `spawn`, `fork`, `clone`, `exit`, `kill`, `migrate`, `run`, `set_demand`, `alloc`, `free`, `touch_file`, `read_file`, `io`",
        ),
        (
            r#"{"version": 2, "ops": [{"op": "run", "ms": "x"}]}"#,
            "ops[0].ms: invalid type: string \"x\", expected u64",
        ),
        (
            r#"{"version": 2, "ops": [{"op": "run", "ms": 5, "speed": 2}]}"#,
            "ops[0].speed: unknown field `speed`, expected `ms`",
        ),
        (
            r#"{"version": 2, "groups": [{"path": "/a", "files": {"cpu.max": "1 1"}}], "ops": []}"#,
            "groups[0].files.cpu.max: EINVAL: cpu.max: quota and period must be at least 1000 us",
        ),
        (
            r#"{"version": 2, "groups": [{"path": "/a/b"}], "ops": []}"#,
            "groups[0].path: ENOENT: no cgroup `/a`",
        ),
        (
            r#"{"version": 2, "groups": [{"path": "/a", "limit": 1}], "ops": []}"#,
            "groups[0].limit: unknown field `limit`, expected `path` or `files`",
        ),
        (
            r#"{"version": 2, "devices": ["8:0", "sdb"], "ops": []}"#,
            "devices[1]: `sdb` is not MAJ:MIN",
        ),
        (
            r#"{"version": 2, "sched_cfs_bandwidth_slice_us": 0, "ops": []}"#,
            "sched_cfs_bandwidth_slice_us: 0 is outside 1..=2147483647",
        ),
        (
            r#"{"version": 2, "ops": [{"op": "io", "pid": 1, "dir": "sideways", "bytes": 1}]}"#,
            "ops[0].dir: unknown variant `sideways`, expected `read` or `write`",
        ),
        ("{", "$: EOF while parsing an object"),
    ];
    let got: Vec<String> =
        cases.iter().map(|(json, _)| run_scenario(json).unwrap_err().to_string()).collect();
    let want: Vec<&str> = cases.iter().map(|(_, w)| *w).collect();
    assert_eq!(got, want);
}

#[test]
fn a_trace_too_large_is_refused_with_the_op_that_crossed_the_cap() {
    let mut ops = vec![json!({"op": "spawn", "cgroup": "/", "busy": false, "threads": 1000})];
    ops.extend((0..1000).map(|_| json!({"op": "read", "cgroup": "/", "file": "cpu.stat"})));
    let doc = json!({"version": 2, "ops": ops}).to_string();
    assert_eq!(
        run_scenario(&doc).unwrap_err().to_string(),
        "ops[999]: the trace is capped at 1000000 cgroup and task states; split the scenario"
    );
}

#[test]
fn a_failed_op_is_recorded_and_the_run_continues_with_state_unchanged() {
    let json = r#"{"version": 2, "ops": [
        {"op": "mkdir", "cgroup": "/a"},
        {"op": "write", "cgroup": "/a", "file": "cpu.weight", "value": "0"},
        {"op": "read", "cgroup": "/a", "file": "cpu.weight"}
    ]}"#;
    let t = run_scenario(json).unwrap();
    assert_eq!(t[1]["error"], json!("ERANGE: cpu.weight: 0 is outside 1..=10000"));
    assert_eq!(t[1]["cgroups"], t[0]["cgroups"]);
    assert_eq!(t[2]["content"], json!("100\n"));
    assert_eq!(
        t[1]["op"],
        json!({"op": "write", "cgroup": "/a", "file": "cpu.weight", "value": "0"})
    );
}

#[test]
fn root_shows_only_the_files_it_has() {
    let s = sim(CgroupVersion::V2, 1);
    let names: Vec<&str> = files::visible_files(&s, 0).collect();
    assert_eq!(names, vec!["cgroup.procs", "cpu.stat", "memory.stat", "io.stat"]);
    assert_eq!(
        files::render(&s, 0, "cpu.stat").unwrap().to_kernel_text(),
        "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"
    );
}

// ---------------------------------------------------------------- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    const GROUPS: [&str; 4] = ["/", "/a", "/a/b", "/c"];

    fn arb_op() -> impl Strategy<Value = Op> {
        let cg = || (0..GROUPS.len()).prop_map(|i| GROUPS[i].to_owned());
        let pid = || 100u32..130;
        let writes = prop_oneof![
            Just(("cpu.max", "20000 100000")),
            Just(("cpu.max", "max")),
            Just(("cpu.max", "150000 100000")),
            Just(("cpu.max.burst", "10000")),
            Just(("cpu.weight", "50")),
            Just(("cpu.weight", "0")),
            Just(("memory.max", "8M")),
            Just(("memory.max", "2M")),
            Just(("memory.max", "max")),
            Just(("memory.high", "4M")),
            Just(("memory.oom.group", "1")),
            Just(("pids.max", "3")),
            Just(("pids.max", "max")),
            Just(("io.max", "8:0 wbps=1048576 riops=50")),
            Just(("cpu.cfs_quota_us", "30000")),
            Just(("cpu.shares", "512")),
            Just(("memory.limit_in_bytes", "6M")),
            Just(("memory.oom_control", "1")),
            Just(("memory.oom_control", "0")),
            Just(("blkio.throttle.read_bps_device", "8:0 2097152")),
        ];
        prop_oneof![
            (
                cg(),
                1u32..4,
                any::<bool>(),
                -1000i32..=1000,
                proptest::option::of(1u64..8),
                0u32..1002
            )
                .prop_map(|(cgroup, threads, busy, adj, nproc, uid)| Op::Spawn {
                    cgroup,
                    uid,
                    threads,
                    busy,
                    cpus: None,
                    nice: 0,
                    oom_score_adj: adj,
                    nproc,
                    cap_sys_resource: false,
                }),
            (pid(), 1u32..4).prop_map(|(pid, count)| Op::Fork { pid, busy: None, count }),
            (pid(), any::<bool>()).prop_map(|(pid, busy)| Op::Clone { pid, busy, cpus: None }),
            pid().prop_map(|tid| Op::Exit { tid }),
            pid().prop_map(|pid| Op::Kill { pid }),
            (pid(), cg()).prop_map(|(pid, cgroup)| Op::Migrate { pid, cgroup }),
            (1u64..120).prop_map(|ms| Op::Run { ms }),
            (pid(), any::<bool>()).prop_map(|(tid, busy)| Op::SetDemand { tid, busy }),
            (pid(), 1u64..(6 << 20)).prop_map(|(pid, bytes)| Op::Alloc { pid, bytes }),
            (pid(), 1u64..(2 << 20)).prop_map(|(pid, bytes)| Op::Free { pid, bytes }),
            (pid(), 0usize..3, 1u64..(6 << 20)).prop_map(|(pid, f, bytes)| Op::TouchFile {
                pid,
                file: format!("f{f}"),
                bytes
            }),
            (pid(), any::<bool>(), any::<bool>(), 1u64..(4 << 20)).prop_map(
                |(pid, w, direct, bytes)| Op::Io {
                    pid,
                    dir: if w {
                        wasm_demos::cgroups::IoDir::Write
                    } else {
                        wasm_demos::cgroups::IoDir::Read
                    },
                    bytes,
                    direct,
                    device: None,
                    file: None,
                }
            ),
            (cg(), writes).prop_map(|(cgroup, (file, value))| Op::Write {
                cgroup,
                file: file.to_owned(),
                value: value.to_owned()
            }),
        ]
    }

    /// Counters that may only grow (no op in the generator resets them).
    fn counters(s: &CgroupSim) -> Vec<u64> {
        let mut v = Vec::new();
        for c in s.cgroups() {
            v.extend([
                c.cpu.nr_periods,
                c.cpu.nr_throttled,
                c.cpu.throttled_time_ns,
                c.cpu.nr_bursts,
                c.cpu.burst_time_ns,
                c.cpu.usage_ns,
                c.mem.failcnt,
                c.mem.watermark_pages,
                c.pids.peak,
                c.pids.events_max,
                c.pids.events_local_max,
                c.pids.events_local_forkfail,
            ]);
            v.extend(c.mem.events);
            v.extend(c.mem.events_local);
            for io in &c.io {
                v.extend(io.bytes);
                v.extend(io.ios);
            }
        }
        v
    }

    fn check_invariants(s: &CgroupSim, op: &Op, ok: bool) -> Result<(), TestCaseError> {
        for c in s.cgroups() {
            if !s.max_unreachable() {
                prop_assert!(
                    c.mem.usage_pages <= c.mem.max_pages,
                    "{}: usage above memory.max",
                    c.path
                );
            }
        }
        if ok && let Op::Fork { pid, count: 1, .. } | Op::Clone { pid, .. } = op {
            let p = s.processes().iter().find(|p| p.pid == *pid).unwrap();
            let mut g = Some(p.cgroup);
            while let Some(i) = g {
                let c = &s.cgroups()[i];
                if c.parent.is_some() {
                    prop_assert!(
                        c.pids.current <= c.pids.max,
                        "{}: fork pushed pids.current above pids.max",
                        c.path
                    );
                }
                g = c.parent;
            }
        }
        let live: u64 =
            s.tasks().iter().filter(|t| t.life == wasm_demos::cgroups::Life::Alive).count() as u64;
        let charged: u64 =
            s.cgroups().iter().filter(|c| c.parent == Some(0)).map(|c| c.pids.current).sum();
        let in_root = s.tasks().iter().filter(|t| {
            t.life == wasm_demos::cgroups::Life::Alive
                && s.processes().iter().any(|p| p.pid == t.pid && p.cgroup == 0)
        });
        prop_assert_eq!(charged + in_root.count() as u64, live);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_ops_never_panic_and_keep_the_invariants(
            v1 in any::<bool>(),
            cpus in 1usize..4,
            ops in proptest::collection::vec(arb_op(), 1..60),
        ) {
            let version = if v1 { CgroupVersion::V1 } else { CgroupVersion::V2 };
            let mut s = sim(version, cpus);
            mkdir(&mut s, "/a");
            mkdir(&mut s, "/a/b");
            mkdir(&mut s, "/c");
            let mut before = counters(&s);
            for op in &ops {
                let ok = s.apply(op).is_ok();
                check_invariants(&s, op, ok)?;
                let after = counters(&s);
                prop_assert!(before.iter().zip(&after).all(|(b, a)| a >= b), "a counter went down after {:?}", op);
                before = after;
            }
        }

        #[test]
        fn cpu_time_per_period_never_exceeds_quota_plus_burst_plus_carried_slices(
            cpus in 1usize..5,
            quota_ms in 1u64..300,
            burst_pct in 0u64..=100,
            demand in proptest::collection::vec((0usize..6, any::<bool>()), 1..40),
        ) {
            let mut s = sim(CgroupVersion::V2, cpus);
            mkdir(&mut s, "/q");
            let quota_us = quota_ms * 1000;
            let burst_us = quota_us * burst_pct / 100;
            write(&mut s, "/q", "cpu.max", &format!("{quota_us} 100000")).unwrap();
            write(&mut s, "/q", "cpu.max.burst", &burst_us.to_string()).unwrap();
            let pid = s.apply(&spawn_op("/q", 6, true)).unwrap().pids[0];
            let mut last = 0;
            for (t, busy) in demand {
                s.apply(&Op::SetDemand { tid: pid + t as u32, busy }).unwrap();
                s.advance(100);
                let used = group(&s, "/q").cpu.usage_ns;
                let bound = (quota_us + burst_us) * 1000 + cpus as u64 * (5_000_000 + 1_000_000);
                prop_assert!(used - last <= bound, "period used {} ns > {}", used - last, bound);
                // Never more than the CPUs themselves.
                prop_assert!(used - last <= cpus as u64 * 100_000_000);
                last = used;
            }
        }
    }
}
