//! Integration tests of the Maglev, smooth WRR and GORB models through the public API: the
//! paper's and the spec's worked examples, every curated scenario, every error message, and
//! proptest properties over random operation sequences.

// A test binary: helpers outside `#[test]` fns unwrap too (clippy only exempts the tests).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use wasm_demos::ipvs::gorb::{GorbError, GorbOp, GorbOutcome, GorbSim, PulseAction, StatusType};
use wasm_demos::ipvs::maglev::{
    BackendSpec, MaglevError, MaglevOp, MaglevOutcome, MaglevParams, MaglevSim,
};
use wasm_demos::ipvs::siphash::{MH_KEY1, MH_KEY2, hsiphash};
use wasm_demos::ipvs::smooth_wrr::{PeerSpec, SmoothWrrError, SmoothWrrOp, SmoothWrrSim};
use wasm_demos::ipvs::{gorb, maglev, run_scenario, smooth_wrr};

fn scenario(name: &str) -> Value {
    let path = format!("{}/scenarios/ipvs/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    run_scenario(&text).unwrap()
}

fn run_err(json: &str) -> String {
    run_scenario(json).unwrap_err().to_string()
}

fn names(sim: &MaglevSim) -> Vec<&str> {
    (0..sim.table_size()).map(|slot| sim.owner(slot)).collect()
}

fn paper_sim() -> MaglevSim {
    MaglevSim::new(MaglevParams {
        table_size: 7,
        backends: vec![
            BackendSpec::explicit("B0", 3, 4),
            BackendSpec::explicit("B1", 0, 2),
            BackendSpec::explicit("B2", 3, 1),
        ],
    })
    .unwrap()
}

fn named_sim(table_size: u32, n: usize) -> MaglevSim {
    let backends = (0..n).map(|i| BackendSpec::named(format!("backend-{i}"))).collect();
    MaglevSim::new(MaglevParams { table_size, backends }).unwrap()
}

fn maglev_err(table_size: u32, backends: Vec<BackendSpec>) -> String {
    MaglevSim::new(MaglevParams { table_size, backends }).unwrap_err().to_string()
}

// ---------------------------------------------------------------------------------------------
// Maglev

#[test]
fn maglev_paper_table_is_b1_b0_b1_b0_b2_b2_b0() {
    assert_eq!(names(&paper_sim()), ["B1", "B0", "B1", "B0", "B2", "B2", "B0"]);
}

#[test]
fn maglev_paper_table_after_removing_b1_is_b0_b0_b0_b0_b2_b2_b2() {
    let mut sim = paper_sim();
    sim.apply(MaglevOp::RemoveBackend { name: "B1".into() }).unwrap();
    assert_eq!(names(&sim), ["B0", "B0", "B0", "B0", "B2", "B2", "B2"]);
}

#[test]
fn maglev_paper_m7_scenario_fill_trace_and_disruption() {
    let trace = scenario("maglev-paper-m7");
    let fill: Vec<(String, u64, u64, u64)> = trace[0]["fill"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["backend"].as_str().unwrap().to_owned(),
                s["round"].as_u64().unwrap(),
                s["slot"].as_u64().unwrap(),
                s["skipped"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [("B0", 0, 3, 0), ("B1", 0, 0, 0), ("B2", 0, 4, 1), ("B0", 1, 1, 2)];
    for (got, want) in fill.iter().zip(expected) {
        assert_eq!((got.0.as_str(), got.1, got.2, got.3), want);
    }
    assert_eq!(fill.len(), 7);
    assert_eq!(trace[0]["table"], json!([1, 0, 1, 0, 2, 2, 0]));
    assert_eq!(
        trace[0]["balance"],
        json!({"max_entries": 3, "min_entries": 2, "max_min_ratio": 1.5})
    );
    assert_eq!(
        trace[0]["backends"][0],
        json!({"name": "B0", "offset": 3, "skip": 4, "permutation": "explicit", "entries": 3})
    );
    assert_eq!(
        trace[1]["permutations"],
        json!([
            {"backend": "B0", "slots": [3, 0, 4, 1, 5, 2, 6]},
            {"backend": "B1", "slots": [0, 2, 4, 6, 1, 3, 5]},
            {"backend": "B2", "slots": [3, 4, 5, 6, 0, 1, 2]},
        ])
    );
    assert_eq!(trace[2]["table"], json!([0, 0, 0, 0, 1, 1, 1]));
    assert_eq!(
        trace[2]["disruption"],
        json!({"changed": 3, "changed_share": 3.0 / 7.0, "minimum": 2, "minimum_share": 2.0 / 7.0})
    );
    assert_eq!(trace[3]["fill"][6], json!({"round": 3, "backend": "B0", "slot": 2, "skipped": 1}));
}

#[test]
fn maglev_remove_backend_scenario_changes_more_than_the_minimum() {
    let trace = scenario("maglev-remove-backend");
    assert_eq!(trace[0]["slot"], 94);
    assert_eq!(trace[0]["hash"], 2_036_319_922u32);
    assert_eq!(trace[0]["backend"], "backend-4");
    assert_eq!(trace[0]["balance"]["max_entries"], 51);
    assert_eq!(trace[0]["balance"]["min_entries"], 50);
    let removed = &trace[1]["disruption"];
    assert_eq!((removed["changed"].as_u64(), removed["minimum"].as_u64()), (Some(56), Some(50)));
    assert_eq!(trace[2]["backend"], "backend-4");
    // Adding backend-2 back puts it last in the turn order, yet no contested claim goes
    // differently here: the five-backend table comes back entry for entry.
    let added = &trace[3]["disruption"];
    assert_eq!((added["changed"].as_u64(), added["minimum"].as_u64()), (Some(56), Some(50)));
    let owners = |record: &Value| -> Vec<String> {
        let names: Vec<&str> = record["backends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap())
            .collect();
        record["table"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| names[i.as_u64().unwrap() as usize].to_owned())
            .collect()
    };
    assert_eq!(owners(&trace[3]), owners(&trace[0]));
    assert_eq!(trace[3]["backends"][4]["name"], "backend-2");
}

#[test]
fn maglev_large_scenario_is_balanced_to_one_entry() {
    let trace = scenario("maglev-large");
    let entries: Vec<u64> = trace[0]["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["entries"].as_u64().unwrap())
        .collect();
    assert_eq!(entries, [6554, 6554, 6554, 6554, 6554, 6554, 6554, 6553, 6553, 6553]);
    assert_eq!(trace[0]["balance"]["max_min_ratio"], 6554.0 / 6553.0);
    assert_eq!(trace[0]["backends"][0]["offset"], 11_495);
    assert_eq!(trace[0]["backends"][0]["skip"], 17_510);
    assert_eq!(trace[0]["table"].as_array().unwrap().len(), 65_537);
    assert_eq!(trace[1]["backend"], "backend-8");
    assert_eq!(trace[1]["slot"], 1_756);
    let d = &trace[2]["disruption"];
    assert_eq!((d["changed"].as_u64(), d["minimum"].as_u64()), (Some(6_687), Some(6_553)));
}

#[test]
fn maglev_hashed_permutation_is_hsiphash_of_the_name() {
    let sim = named_sim(65_537, 1);
    let b = &sim.backends()[0];
    assert_eq!(b.permutation.offset, hsiphash(b"backend-0", MH_KEY1) % 65_537);
    assert_eq!(b.permutation.skip, hsiphash(b"backend-0", MH_KEY2) % 65_536 + 1);
}

#[test]
fn maglev_lookup_hashes_the_key_with_mh_key1() {
    let sim = named_sim(251, 5);
    let found = sim.lookup("10.0.0.1:51000");
    assert_eq!(found.hash, hsiphash(b"10.0.0.1:51000", MH_KEY1));
    assert_eq!(found.slot, found.hash % 251);
    assert_eq!(found.backend, sim.owner(found.slot));
}

#[test]
fn maglev_populate_returns_the_fill_only_when_asked() {
    let mut sim = paper_sim();
    let MaglevOutcome::Populated { fill } = sim.apply(MaglevOp::Populate { trace: false }).unwrap()
    else {
        panic!("not populated")
    };
    assert!(fill.is_none());
}

#[test]
fn maglev_construction_errors_have_exact_messages() {
    let one = || vec![BackendSpec::named("a")];
    assert_eq!(maglev_err(4_094, one()), "table size 4094 is not a prime");
    assert_eq!(
        maglev_err(0, one()),
        "table size 0 is too small: Maglev needs a prime of at least 2"
    );
    assert_eq!(
        maglev_err(1, one()),
        "table size 1 is too small: Maglev needs a prime of at least 2"
    );
    assert_eq!(maglev_err(1_000_033, one()), "table size 1000033 exceeds the cap of 1000003");
    assert_eq!(maglev_err(7, vec![]), "no backends: the table needs at least one");
    let three = vec![BackendSpec::named("a"), BackendSpec::named("b"), BackendSpec::named("c")];
    assert_eq!(
        maglev_err(2, three),
        "3 backends do not fit a table of size 2 (M must be at least N)"
    );
    assert_eq!(
        maglev_err(7, vec![BackendSpec::named("a"), BackendSpec::named("a")]),
        "duplicate backend name \"a\""
    );
    assert_eq!(maglev_err(7, vec![BackendSpec::named("")]), "backend names must not be empty");
    let half = BackendSpec { name: "h".into(), offset: Some(1), skip: None };
    assert_eq!(maglev_err(7, vec![half]), "backend \"h\": give both offset and skip, or neither");
    assert_eq!(
        maglev_err(7, vec![BackendSpec::explicit("o", 7, 1)]),
        "backend \"o\": offset 7 is not below the table size 7"
    );
    assert_eq!(
        maglev_err(7, vec![BackendSpec::explicit("s", 0, 7)]),
        "backend \"s\": skip 7 is not between 1 and 6"
    );
    let many: Vec<BackendSpec> = (0..65_537).map(|i| BackendSpec::named(i.to_string())).collect();
    assert_eq!(maglev_err(7, many), "65537 backends exceed the cap of 65536");
    let heavy: Vec<BackendSpec> = (0..2_000).map(|i| BackendSpec::named(i.to_string())).collect();
    assert_eq!(
        maglev_err(655_373, heavy),
        "table size 655373 × 2000 backends exceeds the cap of 1000000000 probes"
    );
}

#[test]
fn maglev_operation_errors_have_exact_messages_and_change_nothing() {
    let mut sim = paper_sim();
    let before = sim.clone();
    let err = |sim: &mut MaglevSim, op| sim.apply(op).unwrap_err().to_string();
    assert_eq!(
        err(&mut sim, MaglevOp::RemoveBackend { name: "B9".into() }),
        "no backend named \"B9\""
    );
    assert_eq!(
        err(&mut sim, MaglevOp::AddBackend { name: "B3".into(), offset: Some(9), skip: Some(1) }),
        "backend \"B3\": offset 9 is not below the table size 7"
    );
    let full: Vec<MaglevOp> = (3..7)
        .map(|i| MaglevOp::AddBackend { name: format!("B{i}"), offset: None, skip: None })
        .collect();
    for op in full {
        sim.apply(op).unwrap();
    }
    assert_eq!(
        err(&mut sim, MaglevOp::AddBackend { name: "B7".into(), offset: None, skip: None }),
        "8 backends do not fit a table of size 7 (M must be at least N)"
    );
    let mut sim = before.clone();
    for name in ["B0", "B1"] {
        sim.apply(MaglevOp::RemoveBackend { name: name.into() }).unwrap();
    }
    assert_eq!(
        err(&mut sim, MaglevOp::RemoveBackend { name: "B2".into() }),
        "cannot remove \"B2\": the table needs at least one backend"
    );
    let mut wide = named_sim(65_537, 17);
    assert_eq!(
        err(&mut wide, MaglevOp::Permutations {}),
        "a permutation listing is limited to 1048576 entries (N × M), not 1114129"
    );
    let mut big = named_sim(65_539, 1);
    assert_eq!(
        err(&mut big, MaglevOp::Populate { trace: true }),
        "a fill trace is limited to tables of at most 65537 slots, not 65539"
    );
    assert!(matches!(
        MaglevSim::new(MaglevParams { table_size: 9, backends: vec![] }),
        Err(MaglevError::NotPrime(9))
    ));
}

#[test]
fn maglev_failed_op_is_recorded_and_the_run_continues() {
    let trace = run_scenario(
        r#"{"model": "maglev", "table_size": 7, "backends": [{"name": "a"}],
            "ops": [{"op": "remove_backend", "name": "zz"}, {"op": "lookup", "key": "k"}]}"#,
    )
    .unwrap();
    assert_eq!(trace[0]["error"], "no backend named \"zz\"");
    assert_eq!(trace[0]["table"], json!([0, 0, 0, 0, 0, 0, 0]));
    assert!(trace[1].get("error").is_none());
    assert_eq!(trace[1]["backend"], "a");
}

#[test]
fn maglev_malformed_scenarios_name_the_json_path() {
    let base = |rest: &str| format!(r#"{{"model": "maglev", {rest}}}"#);
    assert_eq!(
        run_err(&base(r#""table_size": 4094, "backends": [{"name": "a"}]"#)),
        "table_size: table size 4094 is not a prime"
    );
    assert_eq!(
        run_err(&base(r#""table_size": 7, "backends": [{"name": "a"}, {"name": "a"}]"#)),
        "backends[1].name: duplicate backend name \"a\""
    );
    assert_eq!(
        run_err(&base(r#""table_size": 7, "backends": [{"name": "a", "offset": 1, "skip": 0}]"#)),
        "backends[0].skip: backend \"a\": skip 0 is not between 1 and 6"
    );
    assert_eq!(
        run_err(&base(
            r#""table_size": 7, "backends": [{"name": "b"}, {"name": "a", "offset": 8, "skip": 1}]"#
        )),
        "backends[1].offset: backend \"a\": offset 8 is not below the table size 7"
    );
    assert_eq!(
        run_err(&base(r#""table_size": 7, "backends": [{"name": "a", "skip": 1}]"#)),
        "backends[0]: backend \"a\": give both offset and skip, or neither"
    );
    assert_eq!(
        run_err(&base(r#""table_size": 7, "backends": []"#)),
        "backends: no backends: the table needs at least one"
    );
    assert_eq!(
        run_err(&base(r#""table_size": 7, "backends": [{"name": "a"}], "ops": [{"op": "frob"}]"#)),
        "ops[0].op: unknown variant `frob`, expected one of `populate`, `add_backend`, `remove_backend`, `permutations`, `lookup`"
    );
    assert_eq!(
        run_err(&base(
            r#""table_size": 7, "backends": [{"name": "a"}], "ops": [{"op": "lookup", "key": "x", "extra": 1}]"#
        )),
        "ops[0].extra: unknown field `extra`, expected `key`"
    );
    assert_eq!(
        run_err(&base(r#""table_size": 7, "backends": [{"name": "a"}], "extra": 1"#)),
        "extra: unknown field `extra`, expected one of `model`, `table_size`, `backends`, `ops`"
    );
    assert_eq!(
        run_err(&base(r#""table_size": -7, "backends": []"#)),
        "table_size: invalid value: integer `-7`, expected u32"
    );
}

#[test]
fn scenario_traces_are_capped() {
    let lookups = vec![json!({"op": "lookup", "key": "k"}); 100];
    let maglev = json!({"model": "maglev", "table_size": 65_537, "backends": [{"name": "a"}], "ops": lookups});
    assert_eq!(
        run_err(&maglev.to_string()),
        "ops: 100 ops × table size 65537 = 6553700 table entries in the trace, above the cap of 4194304"
    );
    let many = vec![json!({"op": "lookup", "key": "k"}); 1_001];
    let maglev =
        json!({"model": "maglev", "table_size": 7, "backends": [{"name": "a"}], "ops": many});
    assert_eq!(run_err(&maglev.to_string()), "ops: 1001 ops exceed the cap of 1000");
    let peers: Vec<Value> = (0..1_000).map(|i| json!({"name": format!("p{i}")})).collect();
    let wrr =
        json!({"model": "smooth_wrr", "peers": peers, "ops": [{"op": "pick", "count": 10_000}]});
    assert_eq!(
        run_err(&wrr.to_string()),
        "ops: 10000 picks × 1000 peers = 10000000 weights in the trace, above the cap of 4194304"
    );
    let pulses = vec![
        json!({"op": "pulse", "vs_id": "a", "rs_id": "b", "result": "up", "count": 10_000});
        11
    ];
    let gorb = json!({"model": "gorb", "ops": pulses});
    assert_eq!(
        run_err(&gorb.to_string()),
        "ops: 110000 pulse checks exceed the cap of 100000 per scenario"
    );
}

#[test]
fn scenarios_need_a_known_model() {
    assert_eq!(
        run_err(r#"{"model": "wrr"}"#),
        "model: unknown variant `wrr`, expected one of `kernel`, `maglev`, `smooth_wrr`, `gorb`"
    );
    assert_eq!(
        maglev::run_scenario(r#"{"model": "gorb"}"#).unwrap_err().to_string(),
        "model: unknown variant `gorb`, expected `maglev`"
    );
}

// ---------------------------------------------------------------------------------------------
// nginx smooth WRR

fn wrr(weights: &[(&str, i64)]) -> SmoothWrrSim {
    SmoothWrrSim::new(
        weights.iter().map(|&(n, w)| PeerSpec { name: n.into(), weight: w }).collect(),
    )
    .unwrap()
}

#[test]
fn nginx_smooth_wrr_5_1_1_is_a_a_b_a_c_a_a() {
    let trace = scenario("smooth-wrr-5-1-1");
    let seq = json!(["A", "A", "B", "A", "C", "A", "A"]);
    assert_eq!(trace[0]["sequence"], seq);
    assert_eq!(trace[1]["sequence"], seq);
    assert_eq!(
        trace[0]["picks"][0],
        json!({"peer": "A", "total": 7, "raised": [5, 1, 1], "current_weight": [-2, 1, 1]})
    );
    assert_eq!(
        trace[0]["picks"][2],
        json!({"peer": "B", "total": 7, "raised": [1, 3, 3], "current_weight": [1, -4, 3]})
    );
    assert_eq!(trace[3]["sequence"], json!(["A", "C", "A", "B", "A", "C", "A", "C", "A"]));
    assert_eq!(
        trace[2]["peers"][2],
        json!({"name": "C", "weight": 3, "effective_weight": 3, "current_weight": 0})
    );
}

#[test]
fn nginx_smooth_wrr_contrast() {
    // Spec section 1: IPVS WRR (ip_vs_wrr.c) sends 5:1:1 as the burst A A A A A B C; nginx
    // interleaves the same weights.
    let mut sim = wrr(&[("A", 5), ("B", 1), ("C", 1)]);
    let smooth: Vec<&str> = (0..7).map(|_| ["A", "B", "C"][sim.pick()]).collect();
    assert_eq!(smooth, ["A", "A", "B", "A", "C", "A", "A"]);
    assert_ne!(smooth, ["A", "A", "A", "A", "A", "B", "C"]);
}

#[test]
fn nginx_smooth_wrr_single_peer_skips_the_weighting() {
    let mut sim = wrr(&[("only", 4)]);
    for _ in 0..3 {
        assert_eq!(sim.pick(), 0);
    }
    assert_eq!(sim.peers()[0].current_weight, 0);
}

#[test]
fn nginx_smooth_wrr_ties_go_to_the_first_peer() {
    let mut sim = wrr(&[("A", 1), ("B", 1), ("C", 1)]);
    let picks: Vec<usize> = (0..6).map(|_| sim.pick()).collect();
    assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
}

#[test]
fn nginx_smooth_wrr_errors_have_exact_messages() {
    let new_err = |peers: Vec<PeerSpec>| SmoothWrrSim::new(peers).unwrap_err().to_string();
    let peer = |n: &str, w| PeerSpec { name: n.into(), weight: w };
    assert_eq!(new_err(vec![]), "no peers: an upstream needs at least one server");
    assert_eq!(
        new_err(vec![peer("a", 0)]),
        "peer \"a\": invalid weight 0 (nginx needs weight=1 or more, at most 1000000 here)"
    );
    assert_eq!(new_err(vec![peer("a", 1), peer("a", 2)]), "duplicate peer name \"a\"");
    assert_eq!(
        new_err((0..1_001).map(|i| peer(&i.to_string(), 1)).collect()),
        "1001 peers exceed the cap of 1000"
    );
    let mut sim = wrr(&[("A", 5), ("B", 1)]);
    let before = sim.clone();
    let op_err = |sim: &mut SmoothWrrSim, op| sim.apply(op).unwrap_err().to_string();
    assert_eq!(
        op_err(&mut sim, SmoothWrrOp::Pick { count: 0 }),
        "pick count 0 is not between 1 and 10000"
    );
    assert_eq!(
        op_err(&mut sim, SmoothWrrOp::Pick { count: 10_001 }),
        "pick count 10001 is not between 1 and 10000"
    );
    assert_eq!(
        op_err(&mut sim, SmoothWrrOp::SetWeight { peer: "Z".into(), weight: 2 }),
        "no peer named \"Z\""
    );
    assert_eq!(
        op_err(&mut sim, SmoothWrrOp::SetWeight { peer: "A".into(), weight: 1_000_001 }),
        "peer \"A\": invalid weight 1000001 (nginx needs weight=1 or more, at most 1000000 here)"
    );
    assert_eq!(sim, before);
    assert!(matches!(SmoothWrrSim::new(vec![]), Err(SmoothWrrError::NoPeers)));
}

#[test]
fn nginx_smooth_wrr_malformed_scenarios_name_the_json_path() {
    assert_eq!(
        run_err(r#"{"model": "smooth_wrr", "peers": [{"name": "a"}, {"name": "b", "weight": 0}]}"#),
        "peers[1].weight: peer \"b\": invalid weight 0 (nginx needs weight=1 or more, at most 1000000 here)"
    );
    assert_eq!(
        run_err(r#"{"model": "smooth_wrr", "peers": [{"name": "a"}, {"name": "a"}]}"#),
        "peers[1].name: duplicate peer name \"a\""
    );
    assert_eq!(
        run_err(r#"{"model": "smooth_wrr", "peers": []}"#),
        "peers: no peers: an upstream needs at least one server"
    );
    assert_eq!(
        run_err(
            r#"{"model": "smooth_wrr", "peers": [{"name": "a"}], "ops": [{"op": "pick", "count": "3"}]}"#
        ),
        "ops[0].count: invalid type: string \"3\", expected u32"
    );
    let trace = smooth_wrr::run_scenario(
        r#"{"model": "smooth_wrr", "peers": [{"name": "a"}, {"name": "b"}], "ops": [{"op": "pick", "count": 0}]}"#,
    )
    .unwrap();
    assert_eq!(trace[0]["error"], "pick count 0 is not between 1 and 10000");
}

// ---------------------------------------------------------------------------------------------
// GORB

fn gorb_sim() -> GorbSim {
    let mut sim = GorbSim::new(Some("10.0.0.1".parse().unwrap()));
    apply(&mut sim, json!({"op": "create_service", "vs_id": "web", "options": {"port": 80}}));
    apply(
        &mut sim,
        json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs1",
               "options": {"host": "172.17.0.2", "port": 8080, "weight": 100}}),
    );
    sim
}

fn op(value: Value) -> GorbOp {
    wasm_demos::scenario::read_op(&value, "op").unwrap()
}

fn apply(sim: &mut GorbSim, value: Value) -> GorbOutcome {
    sim.apply(op(value)).unwrap()
}

fn apply_err(sim: &mut GorbSim, value: Value) -> GorbError {
    sim.apply(op(value)).unwrap_err()
}

fn pulse(sim: &mut GorbSim, result: &str, count: u32) -> Vec<(i32, Option<i32>, PulseAction)> {
    let GorbOutcome::Pulsed(steps) = apply(
        sim,
        json!({"op": "pulse", "vs_id": "web", "rs_id": "rs1", "result": result, "count": count}),
    ) else {
        panic!("not pulsed")
    };
    steps.iter().map(|s| (s.weight, s.stash, s.action)).collect()
}

fn weight(sim: &GorbSim, rs_id: &str) -> i32 {
    sim.backend(rs_id).unwrap().options.weight
}

#[test]
fn gorb_failing_backend_goes_to_zero_and_returns_as_stash_times_health() {
    let trace = scenario("gorb-failing-backend");
    // Before any pulse the context holds Go's zero-value metrics: health 0.
    assert_eq!(trace[3]["response"]["health"], 0.0);
    assert_eq!(trace[3]["response"]["options"]["host"], "");
    assert_eq!(trace[3]["response"]["options"]["method"], "wrr");
    assert_eq!(trace[5]["checks"][0]["at_ms"], 30_000);
    assert_eq!(trace[5]["checks"][0]["metrics"]["uptime"], 30);
    let down = &trace[6]["checks"][0];
    assert_eq!(
        (down["action"].as_str(), down["weight"].as_i64(), down["stash"].as_i64()),
        (Some("stashed"), Some(0), Some(100))
    );
    assert_eq!(trace[7]["response"]["metrics"], json!({"status": 1, "health": 0.75, "uptime": 0}));
    assert_eq!(trace[7]["response"]["options"]["weight"], 0);
    assert_eq!(
        trace[7]["response"]["options"]["pulse"],
        json!({"type": "tcp", "interval": "1m", "args": null})
    );
    assert_eq!(trace[8]["response"]["health"], 0.875);
    let weights = |step: usize| -> Vec<i64> {
        trace[step]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["weight"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(weights(9), [80, 83]);
    assert_eq!(weights(10)[..4], [85, 87, 88, 90]);
    assert_eq!(*weights(10).last().unwrap(), 99);
    assert_eq!(weights(11), [99, 99, 99, 100]);
    assert_eq!(trace[11]["checks"][3]["action"], "recovered");
    assert_eq!(trace[11]["checks"][3]["at_ms"], 6_180_000);
    assert_eq!(trace[11]["stash"], json!([]));
    assert_eq!(
        trace[12]["response"]["metrics"],
        json!({"status": 0, "health": 1.0, "uptime": 6000})
    );
}

#[test]
fn gorb_flapping_backend_is_never_zeroed_again() {
    let trace = scenario("gorb-flapping");
    assert_eq!(trace[3]["checks"][0]["weight"], 0);
    assert_eq!(trace[4]["checks"][0]["weight"], 90);
    let flaps: Vec<(&str, i64)> = trace[5]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].as_str().unwrap(), c["weight"].as_i64().unwrap()))
        .collect();
    assert_eq!(flaps, [("already_stashed", 90), ("already_stashed", 90)]);
    assert_eq!(trace[6]["response"]["metrics"]["status"], 1);
    assert_eq!(trace[6]["response"]["options"]["weight"], 90);
    assert_eq!(trace[7]["checks"][0]["weight"], 78);
    assert_eq!(
        trace[9]["response"]["metrics"],
        json!({"status": 1, "health": 1.0 - 4.0 / 15.0, "uptime": 0})
    );
    assert_eq!(trace[9]["response"]["options"]["weight"], 78);
    assert_eq!(trace[9]["backends"][0]["window_checks"], 15);
    assert_eq!(trace[9]["backends"][0]["window_downs"], 4);
}

#[test]
fn gorb_full_recovery_needs_the_failure_to_leave_the_100_check_window() {
    let mut sim = gorb_sim();
    pulse(&mut sim, "down", 1);
    let ups = pulse(&mut sim, "up", 100);
    assert_eq!(ups[98], (99, Some(100), PulseAction::Reweighted));
    assert_eq!(ups[99], (100, None, PulseAction::Recovered));
    // First check at 0, the down; the recovering check is the 101st, 100 minutes later.
    assert_eq!(sim.now_ms(), 100 * 60_000);
}

#[test]
fn gorb_up_without_a_stash_changes_nothing() {
    let mut sim = gorb_sim();
    assert_eq!(pulse(&mut sim, "up", 2), [(100, None, PulseAction::Unchanged); 2]);
}

#[test]
fn gorb_patch_while_stashed_is_overwritten_by_the_next_up() {
    let mut sim = gorb_sim();
    pulse(&mut sim, "down", 1);
    let GorbOutcome::Patched { previous } = apply(
        &mut sim,
        json!({"op": "patch_weight", "vs_id": "web", "rs_id": "rs1", "weight": 40}),
    ) else {
        panic!("not patched")
    };
    assert_eq!(previous, 0);
    assert_eq!(weight(&sim, "rs1"), 40);
    assert_eq!(pulse(&mut sim, "up", 1), [(50, Some(100), PulseAction::Reweighted)]);
}

#[test]
fn gorb_patch_ignores_the_service_id() {
    let mut sim = gorb_sim();
    apply(&mut sim, json!({"op": "patch_weight", "vs_id": "nope", "rs_id": "rs1", "weight": 7}));
    assert_eq!(weight(&sim, "rs1"), 7);
}

#[test]
fn gorb_negative_patch_is_refused_by_ipvs_with_erange() {
    let mut sim = gorb_sim();
    let err = apply_err(
        &mut sim,
        json!({"op": "patch_weight", "vs_id": "web", "rs_id": "rs1", "weight": -1}),
    );
    assert_eq!(err.to_string(), "error while calling into IPVS");
    assert_eq!(err, GorbError::IpvsSyscallFailed { errno: "ERANGE" });
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(weight(&sim, "rs1"), 100);
}

#[test]
fn gorb_readded_backend_inherits_the_stale_stash() {
    let mut sim = gorb_sim();
    pulse(&mut sim, "down", 1);
    apply(&mut sim, json!({"op": "remove_backend", "vs_id": "web", "rs_id": "rs1"}));
    apply(
        &mut sim,
        json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs1",
               "options": {"host": "172.17.0.2", "port": 8080, "weight": 10}}),
    );
    assert_eq!(sim.stash().map(|s| s.weight).collect::<Vec<_>>(), [100]);
    // A Down is ignored (already stashed): the new backend keeps weight 10 while failing.
    assert_eq!(pulse(&mut sim, "down", 1), [(10, Some(100), PulseAction::AlreadyStashed)]);
    // The next Up applies the old stash: ⌊100 · 0.5⌋.
    assert_eq!(pulse(&mut sim, "up", 1), [(50, Some(100), PulseAction::Reweighted)]);
}

#[test]
fn gorb_stale_stash_scenario_lifts_a_new_backend_above_its_weight() {
    let trace = scenario("gorb-stale-stash");
    assert_eq!(trace[3]["stash"], json!([{"vs_id": "db", "rs_id": "db-1", "weight": 100}]));
    assert_eq!(trace[5]["checks"][0]["action"], "already_stashed");
    assert_eq!(trace[5]["checks"][0]["weight"], 10);
    assert_eq!(trace[6]["checks"][0]["weight"], 50);
    assert_eq!(trace[7]["response"]["options"]["weight"], 50);
    assert_eq!(trace[7]["response"]["metrics"], json!({"status": 0, "health": 0.5, "uptime": 60}));
}

#[test]
fn gorb_ipv4_mapped_backend_is_ipv4() {
    let mut sim = gorb_sim();
    apply(
        &mut sim,
        json!({"op": "add_backend", "vs_id": "web", "rs_id": "mapped",
               "options": {"host": "::ffff:172.17.0.9", "port": 80}}),
    );
    assert_eq!(sim.backend("mapped").unwrap().options.host, "::ffff:172.17.0.9");
}

#[test]
fn gorb_weight_at_most_zero_becomes_100() {
    let mut sim = gorb_sim();
    apply(
        &mut sim,
        json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs2",
               "options": {"host": "172.17.0.3", "port": 8080, "weight": -5, "method": "TUNNEL"}}),
    );
    let info = sim.backend("rs2").unwrap();
    assert_eq!(info.options.weight, 100);
    assert_eq!(info.options.method, "tunnel");
}

#[test]
fn gorb_service_health_is_the_average_and_1_without_backends() {
    let mut sim = GorbSim::new(Some("10.0.0.1".parse().unwrap()));
    apply(&mut sim, json!({"op": "create_service", "vs_id": "empty", "options": {"port": 81}}));
    let info = sim.service("empty").unwrap();
    assert_eq!(info.health, 1.0);
    assert_eq!(serde_json::to_value(&info).unwrap()["backends"], Value::Null);
    let mut sim = gorb_sim();
    pulse(&mut sim, "up", 1);
    pulse(&mut sim, "down", 1);
    assert_eq!(sim.service("web").unwrap().health, 0.5);
}

#[test]
fn gorb_remove_service_removes_its_backends() {
    let mut sim = gorb_sim();
    apply(&mut sim, json!({"op": "remove_service", "vs_id": "web"}));
    assert_eq!(sim.backends().count(), 0);
    let err =
        apply_err(&mut sim, json!({"op": "pulse", "vs_id": "web", "rs_id": "rs1", "result": "up"}));
    assert_eq!(err.to_string(), "unable to locate specified object");
    let GorbOutcome::Services(ids) = apply(&mut sim, json!({"op": "list_services"})) else {
        panic!("no list")
    };
    assert!(ids.is_empty());
}

#[test]
fn gorb_errors_have_exact_messages_and_http_statuses() {
    let mut sim = gorb_sim();
    let before = sim.clone();
    let cases = [
        (
            json!({"op": "create_service", "vs_id": "web", "options": {"port": 81}}),
            "specified object already exists",
            Some(409),
        ),
        (
            json!({"op": "create_service", "vs_id": "x", "options": {}}),
            "endpoint information is missing",
            Some(400),
        ),
        (
            json!({"op": "create_service", "vs_id": "x", "options": {"port": 1, "protocol": "sctp"}}),
            "specified protocol is unknown",
            Some(400),
        ),
        (
            json!({"op": "create_service", "vs_id": "x", "options": {"port": 1, "host": "gorb.local"}}),
            "lookup gorb.local: no such host",
            Some(400),
        ),
        (
            json!({"op": "create_service", "vs_id": "x", "options": {"port": 1, "method": "WRR"}}),
            "error while calling into IPVS",
            Some(500),
        ),
        (
            json!({"op": "create_service", "vs_id": "x", "options": {"port": 80}}),
            "error while calling into IPVS",
            Some(500),
        ),
        (
            json!({"op": "remove_service", "vs_id": "x"}),
            "unable to locate specified object",
            Some(404),
        ),
        (
            json!({"op": "get_service", "vs_id": "x"}),
            "unable to locate specified object",
            Some(404),
        ),
        (
            json!({"op": "get_backend", "vs_id": "web", "rs_id": "x"}),
            "unable to locate specified object",
            Some(404),
        ),
        (
            json!({"op": "remove_backend", "vs_id": "web", "rs_id": "x"}),
            "unable to locate specified object",
            Some(404),
        ),
        (
            json!({"op": "patch_weight", "vs_id": "web", "rs_id": "x", "weight": 1}),
            "unable to locate specified object",
            Some(404),
        ),
        (
            json!({"op": "add_backend", "vs_id": "x", "rs_id": "rs9", "options": {"host": "172.17.0.9", "port": 1}}),
            "unable to locate specified object",
            Some(404),
        ),
        (
            json!({"op": "add_backend", "vs_id": "other", "rs_id": "rs1", "options": {"host": "172.17.0.9", "port": 1}}),
            "specified object already exists",
            Some(409),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "fd00::9", "port": 1}}),
            "incompatible address families",
            Some(400),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "172.17.0.2", "port": 8080}}),
            "error while calling into IPVS",
            Some(500),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"port": 1}}),
            "endpoint information is missing",
            Some(400),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "172.17.0.9", "port": 1, "method": "dr"}}),
            "specified forwarding method is unknown",
            Some(400),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "172.17.0.9", "port": 1, "pulse": {"type": "icmp"}}}),
            "specified pulse type is unknown",
            Some(400),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "172.17.0.9", "port": 1, "pulse": {"interval": "60"}}}),
            "invalid interval format",
            Some(400),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "172.17.0.9", "port": 1, "pulse": {"interval": "-5s"}}}),
            "pulse interval must be positive",
            Some(400),
        ),
        (
            json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs9", "options": {"host": "172.17.0.9", "port": 1}, "first_check_delay_ms": 60000}),
            "first check delay 60000 ms is not below the pulse interval of 60000 ms",
            None,
        ),
        (
            json!({"op": "pulse", "vs_id": "web", "rs_id": "rs1", "result": "up", "count": 0}),
            "pulse count 0 is not between 1 and 10000",
            None,
        ),
        (
            json!({"op": "pulse", "vs_id": "api", "rs_id": "rs1", "result": "up"}),
            "backend \"rs1\" belongs to service \"web\", not \"api\"",
            None,
        ),
    ];
    for (value, message, status) in cases {
        let err = apply_err(&mut sim, value.clone());
        assert_eq!(err.to_string(), message, "{value}");
        assert_eq!(err.http_status(), status, "{value}");
    }
    assert_eq!(sim, before);
    apply(&mut sim, json!({"op": "create_service", "vs_id": "other", "options": {"port": 81}}));
    apply(
        &mut sim,
        json!({"op": "add_backend", "vs_id": "other", "rs_id": "quiet",
               "options": {"host": "172.17.0.4", "port": 1, "pulse": {"type": "none"}}}),
    );
    let err = apply_err(
        &mut sim,
        json!({"op": "pulse", "vs_id": "other", "rs_id": "quiet", "result": "down"}),
    );
    assert_eq!(
        err.to_string(),
        "backend [other/quiet] has a \"none\" pulse, which always reports Up"
    );
}

#[test]
fn gorb_caps_services_and_backends_at_100() {
    let mut sim = GorbSim::new(Some("10.0.0.1".parse().unwrap()));
    for i in 0..100 {
        apply(
            &mut sim,
            json!({"op": "create_service", "vs_id": format!("s{i}"), "options": {"port": 1000 + i}}),
        );
    }
    let err = apply_err(
        &mut sim,
        json!({"op": "create_service", "vs_id": "s100", "options": {"port": 80}}),
    );
    assert_eq!(err.to_string(), "the simulation holds at most 100 services");
    for i in 0..100 {
        apply(
            &mut sim,
            json!({"op": "add_backend", "vs_id": "s0", "rs_id": format!("r{i}"),
                   "options": {"host": "172.17.0.2", "port": 1000 + i}}),
        );
    }
    let err = apply_err(
        &mut sim,
        json!({"op": "add_backend", "vs_id": "s0", "rs_id": "r100", "options": {"host": "172.17.0.2", "port": 80}}),
    );
    assert_eq!(err.to_string(), "the simulation holds at most 100 backends");
    assert_eq!(err.http_status(), None);
}

#[test]
fn gorb_ipvs_failures_name_the_errno_in_the_trace() {
    let trace = gorb::run_scenario(
        r#"{"model": "gorb", "endpoint": "10.0.0.1", "ops": [
            {"op": "create_service", "vs_id": "a", "options": {"port": 80, "method": "random"}},
            {"op": "get_service", "vs_id": "a"}]}"#,
    )
    .unwrap();
    assert_eq!(trace[0]["error"], "error while calling into IPVS");
    assert_eq!(trace[0]["http_status"], 500);
    assert_eq!(trace[0]["ipvs_errno"], "ENOENT");
    assert_eq!(trace[1]["http_status"], 404);
    assert_eq!(trace[1]["services"], json!([]));
}

#[test]
fn gorb_malformed_scenarios_name_the_json_path() {
    assert_eq!(
        run_err(r#"{"model": "gorb", "endpoint": "eth0"}"#),
        "endpoint: \"eth0\" is not an IP address"
    );
    assert_eq!(
        run_err(
            r#"{"model": "gorb", "ops": [{"op": "patch_weight", "vs_id": "a", "rs_id": "b", "weight": "x"}]}"#
        ),
        "ops[0].weight: invalid type: string \"x\", expected i32"
    );
    assert_eq!(
        run_err(
            r#"{"model": "gorb", "ops": [{"op": "create_service", "vs_id": "a", "options": {"port": 70000}}]}"#
        ),
        "ops[0].options.port: invalid value: integer `70000`, expected u16"
    );
    assert_eq!(
        run_err(r#"{"model": "gorb", "interval": "1m"}"#),
        "interval: unknown field `interval`, expected one of `model`, `endpoint`, `ops`"
    );
}

#[test]
fn gorb_pulse_status_reads_up_and_down() {
    let parsed: GorbOp = op(json!({"op": "pulse", "vs_id": "a", "rs_id": "b", "result": "down"}));
    assert_eq!(
        parsed,
        GorbOp::Pulse { vs_id: "a".into(), rs_id: "b".into(), result: StatusType::Down, count: 1 }
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

const PRIMES: [u32; 8] = [7, 13, 251, 509, 1_021, 4_093, 8_191, 65_537];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn maglev_tables_are_full_balanced_and_disruption_is_at_least_the_minimum(
        prime in prop::sample::select(PRIMES.to_vec()),
        n in 1usize..40,
        seed in any::<u32>(),
        victim in any::<prop::sample::Index>(),
    ) {
        let n = n.min(prime as usize);
        let backends = (0..n).map(|i| BackendSpec::named(format!("b{seed}-{i}"))).collect();
        let mut sim = MaglevSim::new(MaglevParams { table_size: prime, backends }).unwrap();
        prop_assert_eq!(sim.table().len(), prime as usize);
        prop_assert!(sim.table().iter().all(|&owner| (owner as usize) < n));
        let balance = sim.balance();
        let floor = prime / n as u32;
        prop_assert!(balance.entries.iter().all(|&e| e == floor || e == floor + 1));
        if prime as usize > 100 * n {
            prop_assert!(balance.max_min_ratio <= 1.01);
        }
        if n > 1 {
            let name = sim.backends()[victim.index(n)].name.clone();
            let MaglevOutcome::Rebuilt { disruption } =
                sim.apply(MaglevOp::RemoveBackend { name }).unwrap() else { panic!("not rebuilt") };
            prop_assert!(disruption.changed >= disruption.minimum);
            prop_assert!(disruption.changed <= prime);
            prop_assert!(sim.table().iter().all(|&owner| (owner as usize) < n - 1));
        }
    }

    #[test]
    fn maglev_random_ops_never_panic(ops in prop::collection::vec((0u8..5, 0u32..12, 0u32..16, any::<bool>()), 0..30)) {
        let mut sim = named_sim(13, 3);
        for (kind, a, b, flag) in ops {
            let op = match kind {
                0 => MaglevOp::Populate { trace: flag },
                1 => MaglevOp::AddBackend {
                    name: format!("n{a}"),
                    offset: flag.then_some(a),
                    skip: flag.then_some(b),
                },
                2 => MaglevOp::RemoveBackend { name: format!("backend-{a}") },
                3 => MaglevOp::Permutations {},
                _ => MaglevOp::Lookup { key: format!("k{a}-{b}") },
            };
            let _ = sim.apply(op);
            prop_assert!(sim.table().iter().all(|&o| (o as usize) < sim.backends().len()));
        }
    }

    #[test]
    fn smooth_wrr_picks_over_sum_of_weights_are_exactly_proportional(
        weights in prop::collection::vec(1i64..20, 1..8),
        rounds in 1u32..4,
    ) {
        let peers = weights.iter().enumerate().map(|(i, &w)| PeerSpec { name: format!("p{i}"), weight: w }).collect();
        let mut sim = SmoothWrrSim::new(peers).unwrap();
        let total: i64 = weights.iter().sum();
        let mut counts = vec![0i64; weights.len()];
        for _ in 0..(total * i64::from(rounds)) {
            counts[sim.pick()] += 1;
        }
        let expected: Vec<i64> = weights.iter().map(|w| w * i64::from(rounds)).collect();
        prop_assert_eq!(counts, expected);
        prop_assert!(sim.peers().iter().all(|p| p.current_weight == 0));
    }

    #[test]
    fn gorb_weight_never_exceeds_the_stored_weight_and_health_stays_in_0_1(
        results in prop::collection::vec((any::<bool>(), 1u32..30), 1..20),
        initial in 1i32..1_000,
    ) {
        let mut sim = GorbSim::new(Some("10.0.0.1".parse().unwrap()));
        apply(&mut sim, json!({"op": "create_service", "vs_id": "web", "options": {"port": 80}}));
        apply(&mut sim, json!({"op": "add_backend", "vs_id": "web", "rs_id": "rs1",
            "options": {"host": "172.17.0.2", "port": 8080, "weight": initial}}));
        for (up, count) in results {
            let result = if up { "up" } else { "down" };
            let GorbOutcome::Pulsed(steps) = apply(&mut sim, json!({"op": "pulse", "vs_id": "web",
                "rs_id": "rs1", "result": result, "count": count})) else { panic!("not pulsed") };
            for step in steps {
                prop_assert!(step.weight <= initial);
                prop_assert!((0.0..=1.0).contains(&step.metrics.health));
                prop_assert!(step.stash.is_none_or(|s| s == initial));
            }
        }
        let health = sim.service("web").unwrap().health;
        prop_assert!((0.0..=1.0).contains(&health));
    }

    #[test]
    fn gorb_random_ops_never_panic(ops in prop::collection::vec((0u8..7, 0u8..3, -5i32..200, any::<bool>()), 0..40)) {
        let mut sim = GorbSim::new(Some("10.0.0.1".parse().unwrap()));
        for (kind, id, w, flag) in ops {
            let rs = format!("rs{id}");
            let value = match kind {
                0 => json!({"op": "create_service", "vs_id": "web", "options": {"port": 80}}),
                1 => json!({"op": "add_backend", "vs_id": "web", "rs_id": rs,
                    "options": {"host": format!("172.17.0.{id}"), "port": 80, "weight": w}}),
                2 => json!({"op": "pulse", "vs_id": "web", "rs_id": rs,
                    "result": if flag { "up" } else { "down" }, "count": (w.unsigned_abs() % 120) + 1}),
                3 => json!({"op": "patch_weight", "vs_id": "web", "rs_id": rs, "weight": w}),
                4 => json!({"op": "remove_backend", "vs_id": "web", "rs_id": rs}),
                5 => json!({"op": "remove_service", "vs_id": "web"}),
                _ => json!({"op": "get_service", "vs_id": "web"}),
            };
            let _ = sim.apply(op(value));
            for b in sim.backends() {
                prop_assert!((0.0..=1.0).contains(&b.metrics.health));
                prop_assert!(b.window_checks <= 100);
            }
        }
    }
}
