//! Integration tests of the IPVS simulation through its public API: the spec's worked
//! examples, every curated scenario, the error messages and random op sequences.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use wasm_demos::ipvs::dest::DestId;
use wasm_demos::ipvs::sched::hashing::ShHash;
use wasm_demos::ipvs::sched::lc;
use wasm_demos::ipvs::sched::mh::MhState;
use wasm_demos::ipvs::sched::{Packet, SchedState, SchedulerKind};
use wasm_demos::ipvs::service::{ServiceConfig, VirtualService};
use wasm_demos::ipvs::{IpvsOp, IpvsSim, run_scenario};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ipvs");

fn trace_of(file: &str) -> Vec<Value> {
    let path = Path::new(SCENARIOS).join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    match run_scenario(&text).unwrap() {
        Value::Array(records) => records,
        other => panic!("not an array: {other}"),
    }
}

fn name(v: &Value) -> String {
    v.as_str().map_or("-".to_owned(), str::to_owned)
}

/// Every pick of a trace, one string per pick ("-" for none), in order.
fn picks(trace: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for record in trace {
        if let Some(Value::Array(ps)) = record.get("picks") {
            out.extend(ps.iter().map(name));
        } else if let Some(p) = record.get("pick") {
            out.push(name(p));
        }
    }
    out
}

fn joined(picks: &[String]) -> String {
    picks.join(" ")
}

/// `(name, weight, active, inactive, overloaded)` of the list after a record.
fn dests(record: &Value) -> Vec<(String, u64, u64, u64, bool)> {
    record["dests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                name(&d["name"]),
                d["weight"].as_u64().unwrap(),
                d["active"].as_u64().unwrap(),
                d["inactive"].as_u64().unwrap(),
                d["overloaded"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn d(
    name: &str,
    weight: u64,
    active: u64,
    inactive: u64,
    overloaded: bool,
) -> (String, u64, u64, u64, bool) {
    (name.to_owned(), weight, active, inactive, overloaded)
}

fn op(json: &str) -> IpvsOp {
    wasm_demos::scenario::read_single_op(json).unwrap().0
}

fn sim(scheduler: SchedulerKind) -> IpvsSim {
    IpvsSim::new(&ServiceConfig { scheduler, ..ServiceConfig::default() }).unwrap()
}

fn add(sim: &mut IpvsSim, name: &str, last_octet: u8, weight: i64) {
    let json = format!(
        r#"{{"op":"add_dest","name":"{name}","addr":"10.0.0.{last_octet}:80","weight":{weight}}}"#
    );
    sim.apply(&op(&json)).unwrap();
}

fn pick_names(sim: &mut IpvsSim, n: u32) -> String {
    let outcome = sim.apply(&op(&format!(r#"{{"op":"schedule","count":{n}}}"#))).unwrap();
    let dests = sim.service().dests();
    let names: Vec<String> = outcome
        .picks
        .iter()
        .map(|p| p.dest.and_then(|id| dests.get(id)).map_or("-".to_owned(), |d| d.name.clone()))
        .collect();
    names.join(" ")
}

// ---- The spec's worked examples, through the curated scenarios ----

#[test]
fn wrr_incremental_add_starts_with_a_cw_1_pass() {
    let trace = trace_of("wrr-incremental");
    assert_eq!(joined(&picks(&trace)), "C B A A B A C B A C B A");
    let after_adds = &trace[2];
    assert_eq!(
        (after_adds["cw"].clone(), after_adds["mw"].clone(), after_adds["di"].clone()),
        (1.into(), 4.into(), 1.into())
    );
    assert_eq!(trace[0]["mw"], 1, "A4 alone: di = 4, mw = 4 - (4 - 1) = 1");
}

#[test]
fn wrr_bound_late_starts_at_mw() {
    // List A, B, C with weights A4 B3 C2 (added C, B, A under wlc, then `ipvsadm -E -s wrr`).
    let trace = trace_of("wrr-bound-late");
    assert_eq!(joined(&picks(&trace)), "A A B A B C A B C");
    assert_eq!(trace[3]["cw"], 4);
    assert_eq!(trace[3]["mw"], 4);
}

#[test]
fn wrr_5_1_1_is_bursty() {
    let trace = trace_of("wrr-5-1-1");
    assert_eq!(joined(&picks(&trace)), "A A A A A B C A A A A A B C");
}

#[test]
fn nq_tcp_lifecycle_sends_a_syn_burst_to_one_dest() {
    let trace = trace_of("nq-tcp-lifecycle");
    assert_eq!(joined(&picks(&trace)), "C C C C C B A C C");
    assert_eq!(
        dests(&trace[3]),
        vec![d("C", 1, 0, 5, false), d("B", 1, 0, 0, false), d("A", 1, 0, 0, false)]
    );
    assert_eq!(dests(&trace[4])[0], d("C", 1, 1, 4, false), "est moves one to active");
    assert_eq!(dests(&trace[10])[0], d("C", 1, 0, 6, false), "fin moves it back");
    assert_eq!(dests(&trace[12])[0], d("C", 1, 0, 6, false), "expire uncounts");
    assert_eq!(trace[4]["connections"]["syn-1"]["state"], "ESTABLISHED");
    assert_eq!(trace[10]["connections"]["syn-1"]["state"], "FIN_WAIT");
    assert_eq!(trace[3]["connections"]["syn-5"]["state"], "SYN_RECV");
}

#[test]
fn sed_sees_every_udp_backend_idle_and_picks_the_heaviest() {
    let trace = trace_of("sed-udp-all-idle");
    assert_eq!(joined(&picks(&trace)), "A A A A A A");
    assert_eq!(
        dests(&trace[3]),
        vec![d("B", 1, 0, 0, false), d("A", 3, 0, 6, false)],
        "UDP est changes nothing"
    );
    assert_eq!(trace[3]["connections"]["q-1"]["state"], "UDP");
}

#[test]
fn lc_weighs_one_active_as_256_inactive() {
    let trace = trace_of("lc-active-inactive");
    let p = picks(&trace);
    assert_eq!(p.len(), 258);
    assert_eq!(p[0], "A");
    assert!(
        p[1..257].iter().all(|x| x == "B"),
        "B takes 256 inactive before tying with A's one active"
    );
    assert_eq!(p[257], "A", "at 256 = 256 the earlier dest in the list wins");
    assert_eq!(dests(&trace[3]), vec![d("A", 1, 1, 1, false), d("B", 1, 0, 256, false)]);
}

#[test]
fn weight_zero_quiesces_and_deleted_dest_keeps_counting_in_the_trash() {
    let trace = trace_of("weight-zero-quiesce");
    assert_eq!(joined(&picks(&trace)), "B A B A B B - A A");
    assert_eq!(
        dests(&trace[4]),
        vec![d("B", 1, 2, 2, false), d("A", 0, 2, 0, false)],
        "A keeps its connections"
    );
    assert_eq!(dests(&trace[5]), vec![d("B", 1, 2, 2, false), d("A", 0, 1, 1, false)]);
    assert_eq!(trace[6]["trash"][0]["name"], "B");
    assert_eq!(trace[6]["trash"][0]["active"], 2);
    assert_eq!(trace[7]["conns"], serde_json::json!([]), "no destination: no connection");
    assert_eq!(trace[10]["trash"][0]["inactive"], 1);
    assert_eq!(trace[11]["trash"], serde_json::json!([]), "freed with its last connection");
    assert_eq!(trace[9]["connections"]["d-1"]["dest"], "B");
}

#[test]
fn thresholds_set_and_clear_overload() {
    let trace = trace_of("thresholds");
    assert_eq!(joined(&picks(&trace)), "A B A B B B B A B A B - - B");
    assert!(dests(&trace[2])[0].4, "A overloaded at total 2 >= u 2");
    assert!(dests(&trace[4])[0].4, "total 1 is not < l 1");
    assert!(!dests(&trace[6])[0].4, "total 0 < l 1 clears");
    assert!(!dests(&trace[8])[1].4, "raising u on edit never sets the flag");
    assert!(dests(&trace[9])[1].4, "B: 7 >= u 4 on bind");
    assert!(dests(&trace[11])[1].4, "B: 4 * 5 = 20 is not < 3 * 4 = 12");
    assert!(!dests(&trace[13])[1].4, "raising u clears on edit");
    assert_eq!(trace[15]["error"], "l_threshold 2 is higher than u_threshold 1 (ERANGE)");
}

#[test]
fn sh_last_octet_shares_a_bucket_across_subnets() {
    let trace = trace_of("sh-last-octet");
    assert_eq!(joined(&picks(&trace)), "C C C");
    let table = trace[4]["table"].as_array().unwrap();
    assert_eq!(table.len(), 256);
    assert_eq!(table[117], "C", "5 * 2654435761 mod 256 = 117; list D C B A repeats");
    assert_eq!(table[0], "D");
}

#[test]
fn sh_hash32_separates_the_same_last_octet() {
    let trace = trace_of("sh-hash32");
    assert_eq!(joined(&picks(&trace)), "B D", "hash_32 buckets 174 and 16");
}

#[test]
fn sh_fallback_probes_at_twice_the_hash_plus_k() {
    let trace = trace_of("sh-fallback");
    assert_eq!(joined(&picks(&trace)), "C - D D B A");
    let table = trace[5]["table"].as_array().unwrap();
    assert_eq!(
        (table[199].clone(), table[200].clone(), table[201].clone(), table[202].clone()),
        ("D".into(), "C".into(), "B".into(), "A".into())
    );
    assert_eq!(trace[5]["dests"][1]["slots"], 1, "a weight-0 dest still takes one bucket");
}

#[test]
fn dh_hashes_the_destination_ip() {
    let trace = trace_of("dh-destination-ip");
    assert_eq!(joined(&picks(&trace)), "C C B A -");
}

#[test]
fn mh_default_table_has_4093_slots() {
    let trace = trace_of("mh-default-table");
    assert_eq!(trace[2]["table_size"], 4093);
    let slots: Vec<u64> = trace[2]["dests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["slots"].as_u64().unwrap())
        .collect();
    assert_eq!(slots, vec![1365, 1364, 1364]);
    assert_eq!(joined(&picks(&trace)), "C B A B A - C C A");
    assert_eq!(
        trace[8]["dests"][1]["slots"], 1364,
        "weight 0 keeps its slots (built from last_weight)"
    );
    assert_eq!(trace[8]["dests"][1]["last_weight"], 1);
}

#[test]
fn lblc_caches_by_destination_ip_and_expires_at_the_full_check() {
    let trace = trace_of("lblc-locality");
    assert_eq!(joined(&picks(&trace)), "B B A A A");
    assert_eq!(trace[3]["cache"]["192.0.2.10"]["dest"], "B");
    assert_eq!(
        trace[4]["cache"]["192.0.2.10"]["dest"], "A",
        "B is lblc-overloaded: 2 active > weight 1 while A < 1/2"
    );
    assert_eq!(trace[6]["cache"].as_object().unwrap().len(), 2, "29 timer runs: no full check yet");
    assert_eq!(trace[7]["cache"], serde_json::json!({}), "the 30th run (30 min) is a full check");
    assert_eq!(trace[8]["cache"]["192.0.2.10"]["lastuse_ms"], 1_800_000);
}

#[test]
fn lblcr_replicates_then_drops_the_most_loaded_member() {
    let trace = trace_of("lblcr-replication");
    assert_eq!(joined(&picks(&trace)), "B B A A A B");
    assert_eq!(trace[4]["cache"]["192.0.2.10"]["set"], serde_json::json!(["A", "B"]));
    assert_eq!(
        trace[7]["cache"]["192.0.2.10"]["set"],
        serde_json::json!(["B"]),
        "A erased, yet returned"
    );
    assert_eq!(trace[7]["cache"]["192.0.2.10"]["lastmod_ms"], 601_000);
}

#[test]
fn twos_uses_the_given_draws_and_records_the_seeded_ones() {
    let trace = trace_of("twos-draws");
    assert_eq!(joined(&picks(&trace)), "C C B A C A A");
    assert_eq!(trace[5]["draws"], serde_json::json!([[0, 5]]));
    assert_eq!(
        trace[7]["draws"],
        serde_json::json!([
            [3_184_996_902u32, 686_809_907],
            [1_196_582_743, 1_478_287_871],
            [163_338_330, 3_729_011_194u32]
        ])
    );
}

#[test]
fn every_curated_scenario_is_asserted() {
    let known = [
        "dh-destination-ip",
        "lblc-locality",
        "lblcr-replication",
        "lc-active-inactive",
        "mh-default-table",
        "nq-tcp-lifecycle",
        "sed-udp-all-idle",
        "sh-fallback",
        "sh-hash32",
        "sh-last-octet",
        "thresholds",
        "twos-draws",
        "weight-zero-quiesce",
        "wrr-5-1-1",
        "wrr-bound-late",
        "wrr-incremental",
    ];
    // The Maglev, smooth WRR and GORB scenarios are asserted in tests/maglev_gorb.rs.
    let mut found: Vec<String> = std::fs::read_dir(SCENARIOS)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".json").to_owned())
        .filter(|name| !["maglev-", "smooth-wrr-", "gorb-"].iter().any(|p| name.starts_with(p)))
        .collect();
    found.sort();
    assert_eq!(found, known);
}

// ---- Each scheduler's rules, hand-computed from the C source ----

#[test]
fn editing_the_service_with_the_same_scheduler_keeps_its_state() {
    let mut s = sim(SchedulerKind::WeightedRoundRobin);
    add(&mut s, "A", 1, 2);
    add(&mut s, "B", 2, 1);
    assert_eq!(pick_names(&mut s, 3), "B A A");
    s.apply(&op(r#"{"op":"edit_service","scheduler":"wrr","flags":["sh-port"]}"#)).unwrap();
    let SchedState::WeightedRoundRobin(w) = s.service().sched().clone() else { panic!() };
    assert_eq!(
        (w.cw, w.cursor),
        (2, Some(1)),
        "not re-bound: a bind would put the cursor at the head (picks A B A)"
    );
    assert_eq!(s.service().flags().names(SchedulerKind::WeightedRoundRobin), ["sh-port"]);
    assert_eq!(pick_names(&mut s, 3), "B A A");
}

#[test]
fn list_order_is_the_reverse_of_the_add_order() {
    let mut s = sim(SchedulerKind::RoundRobin);
    for (i, n) in ["A", "B", "C"].iter().enumerate() {
        add(&mut s, n, i as u8 + 1, 1);
    }
    let names: Vec<&str> = s.service().dests().list().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["C", "B", "A"]);
}

#[test]
fn rr_skips_quiesced_and_overloaded_and_keeps_its_cursor_on_delete() {
    let mut s = sim(SchedulerKind::RoundRobin);
    for (i, n) in ["A", "B", "C", "D"].iter().enumerate() {
        add(&mut s, n, i as u8 + 1, 1);
    }
    // List D C B A.
    assert_eq!(pick_names(&mut s, 2), "D C");
    s.apply(&op(r#"{"op":"set_weight","dest":"B","weight":0}"#)).unwrap();
    assert_eq!(pick_names(&mut s, 2), "A D");
    s.apply(&op(r#"{"op":"set_overload","dest":"C","overloaded":true}"#)).unwrap();
    assert_eq!(pick_names(&mut s, 2), "A D");
    // Cursor on D (head); deleting D moves it to the head, so the scan restarts at C.
    s.apply(&op(r#"{"op":"set_overload","dest":"C","overloaded":false}"#)).unwrap();
    s.apply(&op(r#"{"op":"del_dest","dest":"D"}"#)).unwrap();
    assert_eq!(pick_names(&mut s, 3), "C A C");
    // Cursor on C; adding E at the head keeps it on C.
    add(&mut s, "E", 5, 1);
    assert_eq!(pick_names(&mut s, 3), "A E C");
}

#[test]
fn wrr_edit_clamps_cw_to_a_multiple_of_di_plus_one() {
    let mut s = sim(SchedulerKind::WeightedLeastConnection);
    add(&mut s, "A", 1, 6);
    add(&mut s, "B", 2, 4);
    s.apply(&op(r#"{"op":"edit_service","scheduler":"wrr"}"#)).unwrap();
    // List B(4) A(6); di = 2, mw = 6 - 1 = 5: passes cw = 5 (A), 3 (B A), 1 (B A).
    assert_eq!(pick_names(&mut s, 5), "A B A B A");
    let SchedState::WeightedRoundRobin(w) = s.service().sched().clone() else { panic!() };
    assert_eq!((w.cw, w.mw, w.di), (1, 5, 2));
    s.apply(&op(r#"{"op":"schedule"}"#)).unwrap();
    let SchedState::WeightedRoundRobin(w) = s.service().sched().clone() else { panic!() };
    assert_eq!(w.cw, 5);
    // Edit B to 8: di = 2, mw = 7; cw = 5 <= 7, di > 1: cw = 5 / 2 * 2 + 1 = 5.
    s.apply(&op(r#"{"op":"set_weight","dest":"B","weight":8}"#)).unwrap();
    let SchedState::WeightedRoundRobin(w) = s.service().sched().clone() else { panic!() };
    assert_eq!((w.cw, w.mw, w.di, w.cursor), (5, 7, 2, None));
    // Edit B to 3: di = 3, mw = 6 - 2 = 4; cw = 5 > 4: cw = mw.
    s.apply(&op(r#"{"op":"set_weight","dest":"B","weight":3}"#)).unwrap();
    let SchedState::WeightedRoundRobin(w) = s.service().sched().clone() else { panic!() };
    assert_eq!((w.cw, w.mw, w.di), (4, 4, 3));
}

#[test]
fn wrr_with_every_dest_overloaded_fails_and_recovers() {
    let mut s = sim(SchedulerKind::WeightedRoundRobin);
    add(&mut s, "A", 1, 2);
    add(&mut s, "B", 2, 1);
    assert_eq!(pick_names(&mut s, 2), "B A");
    for n in ["A", "B"] {
        s.apply(&op(&format!(r#"{{"op":"set_overload","dest":"{n}","overloaded":true}}"#)))
            .unwrap();
    }
    assert_eq!(pick_names(&mut s, 2), "- -");
    s.apply(&op(r#"{"op":"set_overload","dest":"B","overloaded":false}"#)).unwrap();
    assert_eq!(pick_names(&mut s, 2), "B B");
}

#[test]
fn wlc_compares_overhead_times_weight() {
    let mut s = sim(SchedulerKind::WeightedLeastConnection);
    add(&mut s, "A", 1, 1);
    add(&mut s, "B", 2, 3);
    // List B(3) A(1): both 0: B; then B oh 1 vs A 0: A; B 1*1 vs A 1*3: B (1 < 3) ...
    assert_eq!(
        {
            let o = s.apply(&op(r#"{"op":"new","conn":"c","count":8}"#)).unwrap();
            let dests = s.service().dests();
            o.picks
                .iter()
                .map(|p| dests.get(p.dest.unwrap()).unwrap().name.clone())
                .collect::<Vec<_>>()
                .join(" ")
        },
        "B A B B B A B B"
    );
}

#[test]
fn fo_takes_the_highest_weight_and_ovf_overflows_on_active_conns() {
    let mut s = sim(SchedulerKind::WeightedFailover);
    add(&mut s, "A", 1, 2);
    add(&mut s, "B", 2, 5);
    add(&mut s, "C", 3, 5);
    assert_eq!(pick_names(&mut s, 2), "C C", "ties: the earlier (C, the head)");
    s.apply(&op(r#"{"op":"set_overload","dest":"C","overloaded":true}"#)).unwrap();
    assert_eq!(pick_names(&mut s, 1), "B");

    let mut s = sim(SchedulerKind::WeightedOverflow);
    add(&mut s, "A", 1, 1);
    add(&mut s, "B", 2, 2);
    let o = s.apply(&op(r#"{"op":"open","conn":"c","count":5}"#)).unwrap();
    let dests = s.service().dests();
    let names: Vec<&str> = o
        .picks
        .iter()
        .map(|p| p.dest.map_or("-", |id| dests.get(id).unwrap().name.as_str()))
        .collect();
    assert_eq!(names, ["B", "B", "B", "A", "A"], "B until active 3 > 2, then A until 2 > 1");
    assert_eq!(pick_names(&mut s, 1), "-");
}

#[test]
fn mh_table_entries_are_pinned() {
    // Cross-checked against an independent Python port of ip_vs_mh.c (SipHash-1-3 checked
    // against lib/siphash_kunit.c). List C B A, all weight 1.
    let mut s = sim(SchedulerKind::MaglevHashing);
    for (i, n) in ["A", "B", "C"].iter().enumerate() {
        add(&mut s, n, i as u8 + 1, 1);
    }
    let SchedState::MaglevHashing(mh) = s.service().sched().clone() else { panic!() };
    let dests = s.service().dests();
    let head: Vec<&str> =
        mh.table[..16].iter().map(|id| dests.get(id.unwrap()).unwrap().name.as_str()).collect();
    assert_eq!(
        head,
        ["A", "B", "B", "C", "C", "A", "B", "C", "C", "A", "A", "B", "B", "A", "A", "C"]
    );

    // Weights 3:2:1 on C, B, A: turns 3, 2, 1 per round.
    let mut s = sim(SchedulerKind::MaglevHashing);
    for (i, (n, w)) in [("A", 1), ("B", 2), ("C", 3)].iter().enumerate() {
        add(&mut s, n, i as u8 + 1, *w);
    }
    let SchedState::MaglevHashing(mh) = s.service().sched().clone() else { panic!() };
    let dests = s.service().dests();
    let count =
        |n: &str| mh.table.iter().filter(|id| dests.get(id.unwrap()).unwrap().name == n).count();
    assert_eq!((count("C"), count("B"), count("A")), (2047, 1364, 682));
    let head: Vec<&str> =
        mh.table[..8].iter().map(|id| dests.get(id.unwrap()).unwrap().name.as_str()).collect();
    assert_eq!(head, ["C", "B", "B", "C", "C", "C", "B", "C"]);
}

#[test]
fn mh_removing_a_dest_moves_few_other_slots() {
    let list_of = |names: &[(&str, u8)]| {
        let mut s = sim(SchedulerKind::MaglevHashing);
        for (n, o) in names {
            add(&mut s, n, *o, 1);
        }
        let SchedState::MaglevHashing(mh) = s.service().sched().clone() else { panic!() };
        let dests = s.service().dests().clone();
        mh.table.iter().map(|id| dests.get(id.unwrap()).unwrap().name.clone()).collect::<Vec<_>>()
    };
    let before = list_of(&[("A", 1), ("B", 2), ("C", 3)]);
    let after = list_of(&[("A", 1), ("C", 3)]);
    let moved = before.iter().zip(&after).filter(|(b, a)| b != a && b.as_str() != "B").count();
    assert_eq!(moved, 4);
}

#[test]
fn mh_rshift_scales_large_weights() {
    let mut s = sim(SchedulerKind::MaglevHashing);
    add(&mut s, "A", 1, 1);
    add(&mut s, "B", 2, 1000);
    let SchedState::MaglevHashing(mh) = s.service().sched().clone() else { panic!() };
    // fls(1000) = 10, INDEX 12 / 2 = 6: rshift 4; A's turns (1 >> 4) = 0 becomes 1.
    assert_eq!((mh.gcd, mh.rshift), (1, 4));
}

#[test]
fn mh_refuses_to_bind_more_dests_than_slots() {
    let config = ServiceConfig { mh_tab_index: 8, ..ServiceConfig::default() };
    let mut s = IpvsSim::new(&config).unwrap();
    for i in 0..252u32 {
        let json = format!(
            r#"{{"op":"add_dest","name":"d{i}","addr":"10.0.{}.{}:80"}}"#,
            i / 256,
            i % 256
        );
        s.apply(&op(&json)).unwrap();
    }
    let err = s.apply(&op(r#"{"op":"edit_service","scheduler":"mh"}"#)).unwrap_err();
    assert_eq!(err.to_string(), "mh: 252 destinations do not fit a table of 251 slots (EINVAL)");
    assert_eq!(s.service().sched().kind(), SchedulerKind::WeightedLeastConnection);
}

#[test]
fn mh_hashes_the_port_only_with_mh_port() {
    let mut table_sim = sim(SchedulerKind::MaglevHashing);
    for (i, n) in ["A", "B", "C"].iter().enumerate() {
        add(&mut table_sim, n, i as u8 + 1, 1);
    }
    let service: &mut VirtualService = table_sim.service_mut();
    let pkt = |port| Packet { src_ip: 0xC000_0201, src_port: port, dst_ip: 0, draws: None };
    let without: Vec<Option<DestId>> = (1000..1010).map(|p| service.schedule(&pkt(p))).collect();
    assert!(without.iter().all(|p| *p == without[0]));
    service
        .edit_service(
            None,
            Some(wasm_demos::ipvs::sched::ServiceFlags { sched2: true, ..Default::default() }),
        )
        .unwrap();
    let with: Vec<Option<DestId>> = (1000..1010).map(|p| service.schedule(&pkt(p))).collect();
    assert!(with.iter().any(|p| *p != with[0]));
}

#[test]
fn mh_state_builds_from_last_weight() {
    let s = {
        let mut s = sim(SchedulerKind::RoundRobin);
        add(&mut s, "A", 1, 2);
        add(&mut s, "B", 2, 1);
        s.apply(&op(r#"{"op":"set_weight","dest":"A","weight":0}"#)).unwrap();
        s
    };
    let list = s.service().dests().list();
    assert_eq!((list[1].weight, list[1].last_weight), (0, 2));
    let mh = MhState::bind(list, 12).unwrap();
    assert_eq!((mh.gcd, mh.rshift), (1, 0));
    let a = list[1].id;
    assert_eq!(
        mh.table.iter().filter(|id| **id == Some(a)).count(),
        2728,
        "turns B 1, A 2 per round; B takes the last slot"
    );
}

#[test]
fn a_dest_added_with_weight_0_gets_no_mh_slot() {
    let mut s = sim(SchedulerKind::MaglevHashing);
    add(&mut s, "A", 1, 0);
    let SchedState::MaglevHashing(mh) = s.service().sched().clone() else { panic!() };
    assert!(mh.table.iter().all(Option::is_none), "gcd 0: the table is reset");
    add(&mut s, "B", 2, 1);
    let SchedState::MaglevHashing(mh) = s.service().sched().clone() else { panic!() };
    let b = s.service().dests().list()[0].id;
    assert!(mh.table.iter().all(|id| *id == Some(b)));
}

#[test]
fn readding_a_trashed_dest_revives_its_counters() {
    let mut s = sim(SchedulerKind::RoundRobin);
    add(&mut s, "A", 1, 1);
    s.apply(&op(r#"{"op":"open","conn":"c"}"#)).unwrap();
    s.apply(&op(r#"{"op":"del_dest","dest":"A"}"#)).unwrap();
    assert_eq!(s.service().dests().trash()[0].activeconns, 1);
    add(&mut s, "A2", 1, 3);
    let a = &s.service().dests().list()[0];
    assert_eq!((a.name.as_str(), a.weight, a.activeconns), ("A2", 3, 1));
    assert!(s.service().dests().trash().is_empty());
    s.apply(&op(r#"{"op":"expire","conn":"c"}"#)).unwrap();
    assert_eq!(s.service().dests().list()[0].activeconns, 0);
}

#[test]
fn lblc_keeps_a_deleted_dest_referenced_until_rescheduled() {
    let mut s = sim(SchedulerKind::LocalityBasedLeastConnection);
    add(&mut s, "A", 1, 1);
    add(&mut s, "B", 2, 1);
    s.apply(&op(r#"{"op":"schedule","dst":"192.0.2.1"}"#)).unwrap();
    s.apply(&op(r#"{"op":"del_dest","dest":"B"}"#)).unwrap();
    assert_eq!(s.service().dests().trash().len(), 1, "the cache entry holds B");
    let o = s.apply(&op(r#"{"op":"schedule","dst":"192.0.2.1"}"#)).unwrap();
    assert_eq!(s.service().dests().get(o.picks[0].dest.unwrap()).unwrap().name, "A");
    assert!(s.service().dests().trash().is_empty(), "entry replaced: B freed");
}

#[test]
fn sh_table_repeats_each_dest_weight_times() {
    let mut s = sim(SchedulerKind::SourceHashing);
    add(&mut s, "A", 1, 1);
    add(&mut s, "B", 2, 3);
    let SchedState::SourceHashing(t) = s.service().sched().clone() else { panic!() };
    let dests = s.service().dests();
    let head: Vec<&str> =
        t.buckets[..8].iter().map(|id| dests.get(id.unwrap()).unwrap().name.as_str()).collect();
    assert_eq!(head, ["B", "B", "B", "A", "B", "B", "B", "A"]);
    let _ = ShHash::LastOctet;
}

// ---- Errors: exact messages, state unchanged ----

#[test]
fn op_errors_have_exact_messages() {
    let mut s = sim(SchedulerKind::RoundRobin);
    add(&mut s, "A", 1, 1);
    let cases = [
        (r#"{"op":"del_dest","dest":"Z"}"#, r#"unknown destination "Z" (ENOENT)"#),
        (
            r#"{"op":"add_dest","name":"A","addr":"10.0.0.9:80"}"#,
            r#"a destination named "A" already exists"#,
        ),
        (
            r#"{"op":"add_dest","name":"B","addr":"10.0.0.1:80"}"#,
            "destination 10.0.0.1:80 already exists (EEXIST)",
        ),
        (
            r#"{"op":"add_dest","name":"B","addr":"10.0.0.2:80","weight":-1}"#,
            "weight -1 is out of range 0..=65535 (ERANGE)",
        ),
        (
            r#"{"op":"set_weight","dest":"A","weight":65536}"#,
            "weight 65536 is out of range 0..=65535 (ERANGE)",
        ),
        (
            r#"{"op":"edit_dest","dest":"A","u_threshold":3,"l_threshold":4}"#,
            "l_threshold 4 is higher than u_threshold 3 (ERANGE)",
        ),
        (
            r#"{"op":"edit_dest","dest":"A","l_threshold":-2}"#,
            "l_threshold -2 is out of range 0..=2147483647 (ERANGE)",
        ),
        (
            r#"{"op":"add_dest","name":"B","addr":"10.0.0.2"}"#,
            r#"bad address "10.0.0.2": expected an IPv4 address and port such as 10.0.0.1:80"#,
        ),
        (
            r#"{"op":"schedule","dst":"nowhere"}"#,
            r#"bad address "nowhere": expected an IPv4 address such as 10.0.0.1"#,
        ),
        (
            r#"{"op":"edit_service","scheduler":"wrr2"}"#,
            r#"unknown scheduler "wrr2" (ENOENT; expected one of: rr, wrr, lc, wlc, sed, nq, fo, ovf, twos, sh, dh, mh, lblc, lblcr)"#,
        ),
        (
            r#"{"op":"edit_service","flags":["sh-port","flag-1"]}"#,
            r#"unknown service flag "flag-1" (expected sh-fallback, sh-port, mh-fallback or mh-port)"#,
        ),
        (r#"{"op":"est","conn":"nope"}"#, r#"unknown connection "nope""#),
        (r#"{"op":"schedule","count":0}"#, "count 0 is out of range 1..=10000"),
        (
            r#"{"op":"tick","ms":2678400001}"#,
            "tick of 2678400001 ms is out of range 0..=2678400000 ms",
        ),
        (
            r#"{"op":"schedule","draws":[[1,2]]}"#,
            "draws are only used by the twos scheduler (the service uses rr)",
        ),
        (
            r#"{"op":"add_dest","name":"","addr":"10.0.0.2:80"}"#,
            r#"name "" must be 1 to 64 bytes long"#,
        ),
    ];
    for (json, message) in cases {
        let before = format!("{:?}", s.service().dests().list());
        assert_eq!(s.apply(&op(json)).unwrap_err().to_string(), message, "{json}");
        assert_eq!(format!("{:?}", s.service().dests().list()), before, "{json} changed the state");
    }
    s.apply(&op(r#"{"op":"new","conn":"c"}"#)).unwrap();
    assert_eq!(
        s.apply(&op(r#"{"op":"new","conn":"c"}"#)).unwrap_err().to_string(),
        r#"a connection named "c" already exists"#
    );
}

#[test]
fn a_failed_op_is_recorded_and_the_run_goes_on() {
    let trace = run_scenario(
        r#"{"scheduler":"rr","ops":[
            {"op":"add_dest","name":"A","addr":"10.0.0.1:80"},
            {"op":"del_dest","dest":"B"},
            {"op":"schedule"}]}"#,
    )
    .unwrap();
    assert_eq!(trace[1]["error"], r#"unknown destination "B" (ENOENT)"#);
    assert_eq!(trace[1]["op"], serde_json::json!({"op":"del_dest","dest":"B"}));
    assert_eq!(trace[2]["pick"], "A");
    assert!(trace[2].get("error").is_none());
}

#[test]
fn malformed_scenarios_name_the_json_path() {
    let cases = [
        (
            r#"{"scheduler":"wrr2","ops":[]}"#,
            r#"scheduler: unknown scheduler "wrr2" (ENOENT; expected one of: rr, wrr, lc, wlc, sed, nq, fo, ovf, twos, sh, dh, mh, lblc, lblcr)"#,
        ),
        (
            r#"{"flags":["sh-port","x"],"ops":[]}"#,
            r#"flags[1]: unknown service flag "x" (expected sh-fallback, sh-port, mh-fallback or mh-port)"#,
        ),
        (
            r#"{"mh_tab_index":7,"ops":[]}"#,
            "mh_tab_index: mh_tab_index 7 is out of range 8..=17 (CONFIG_IP_VS_MH_TAB_INDEX)",
        ),
        (
            r#"{"sh_hash":"golden","ops":[]}"#,
            r#"sh_hash: unknown variant `golden`, expected `last-octet` or `hash32`"#,
        ),
        (
            r#"{"model":"haproxy","ops":[]}"#,
            r#"model: unknown variant `haproxy`, expected one of `kernel`, `maglev`, `smooth_wrr`, `gorb`"#,
        ),
        (
            r#"{"protocol":"sctp","ops":[]}"#,
            r#"protocol: unknown variant `sctp`, expected `tcp` or `udp`"#,
        ),
        (
            r#"{"addr":"10.0.0.1","ops":[]}"#,
            r#"addr: bad address "10.0.0.1": expected an IPv4 address and port such as 10.0.0.1:80"#,
        ),
        (
            r#"{"lblc_expiration_s":0,"ops":[]}"#,
            "lblc_expiration_s: 0 is out of range 1..=31536000 seconds",
        ),
        (
            r#"{"ops":[{"op":"schedule"},{"op":"fork"}]}"#,
            "ops[1].op: unknown variant `fork`, expected one of `add_dest`, `edit_dest`, `del_dest`, `edit_service`, `schedule`, `new`, `open`, `est`, `fin`, `expire`, `set_weight`, `set_overload`, `tick`",
        ),
        (
            r#"{"ops":[{"op":"add_dest","name":"A","addr":"10.0.0.1:80","weight":"x"}]}"#,
            r#"ops[0].weight: invalid type: string "x", expected i64"#,
        ),
        (
            r#"{"ops":[{"op":"new","conn":"c","count":-1}]}"#,
            "ops[0].count: invalid value: integer `-1`, expected u32",
        ),
        (
            r#"{"ops":[{"op":"schedule","draws":[[1]]}]}"#,
            "ops[0].draws[0]: invalid length 1, expected an array of length 2",
        ),
        (
            r#"{"ops":[{"op":"tick","ms":1,"extra":2}]}"#,
            "ops[0].extra: unknown field `extra`, expected `ms`",
        ),
        (
            r#"{"ops":[],"seed":1,"colour":"red"}"#,
            "colour: unknown field `colour`, expected one of `model`, `scheduler`, `flags`, `sh_hash`, `mh_tab_index`, `protocol`, `seed`, `addr`, `lblc_expiration_s`, `lblcr_expiration_s`, `ops`",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(run_scenario(json).unwrap_err().to_string(), message, "{json}");
    }
}

#[test]
fn an_oversized_trace_is_refused_at_the_op_that_overflows_it() {
    // Each record holds 1 dest + 10,000 picks; the cap is 1,000,000 entries.
    let ops = vec![r#"{"op":"schedule","count":10000}"#; 120].join(",");
    let json = format!(
        r#"{{"scheduler":"rr","ops":[{{"op":"add_dest","name":"A","addr":"10.0.0.1:80"}},{ops}]}}"#
    );
    let err = run_scenario(&json).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ops[100]: the trace would exceed 1000000 entries; split the scenario"
    );
}

#[test]
fn the_kernel_model_is_accepted_explicitly() {
    let trace =
        run_scenario(r#"{"model":"kernel","scheduler":"rr","ops":[{"op":"schedule"}]}"#).unwrap();
    assert_eq!(trace[0]["pick"], Value::Null);
    assert_eq!(trace[0]["scheduler"], "rr");
}

// ---- Properties over random op sequences ----

fn arb_op() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec!["A", "B", "C", "D", "E"]);
    let conns = prop::sample::select(vec!["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]);
    let scheds =
        prop::sample::select(SchedulerKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>());
    let flags =
        prop::sample::subsequence(vec!["sh-fallback", "sh-port", "mh-fallback", "mh-port"], 0..=4);
    prop_oneof![
        3 => (names.clone(), 1u8..7, -1i64..6, 0i64..4, 0i64..3).prop_map(|(n, o, w, u, l)| format!(
            r#"{{"op":"add_dest","name":"{n}","addr":"10.0.0.{o}:80","weight":{w},"u_threshold":{u},"l_threshold":{l}}}"#
        )),
        1 => (names.clone(), 0i64..6, 0i64..4, 0i64..3).prop_map(|(n, w, u, l)| format!(
            r#"{{"op":"edit_dest","dest":"{n}","weight":{w},"u_threshold":{u},"l_threshold":{l}}}"#
        )),
        1 => names.clone().prop_map(|n| format!(r#"{{"op":"del_dest","dest":"{n}"}}"#)),
        1 => (names.clone(), 0i64..4).prop_map(|(n, w)| format!(r#"{{"op":"set_weight","dest":"{n}","weight":{w}}}"#)),
        1 => (scheds, flags).prop_map(|(s, f)| format!(r#"{{"op":"edit_service","scheduler":"{s}","flags":{}}}"#, serde_json::json!(f))),
        3 => (conns.clone(), 0u8..4, 1u8..4).prop_map(|(c, s, d)| format!(
            r#"{{"op":"new","conn":"{c}","src":"192.0.2.{s}:{}","dst":"198.51.100.{d}"}}"#, 1000 + u16::from(s)
        )),
        1 => (conns.clone(), 1u8..4).prop_map(|(c, d)| format!(r#"{{"op":"open","conn":"{c}","dst":"198.51.100.{d}"}}"#)),
        2 => conns.clone().prop_map(|c| format!(r#"{{"op":"est","conn":"{c}"}}"#)),
        1 => conns.clone().prop_map(|c| format!(r#"{{"op":"fin","conn":"{c}"}}"#)),
        2 => conns.prop_map(|c| format!(r#"{{"op":"expire","conn":"{c}"}}"#)),
        2 => (0u8..4).prop_map(|s| format!(r#"{{"op":"schedule","src":"192.0.2.{s}:1000","count":3}}"#)),
        1 => (0u64..4_000_000).prop_map(|ms| format!(r#"{{"op":"tick","ms":{ms}}}"#)),
    ]
}

/// The tournament tree's answer and the kernel's plain scan, for the least-connection family.
fn tree_and_scan(s: &IpvsSim) -> Option<(Option<usize>, Option<usize>)> {
    let list = s.service().dests().list();
    let (tree, scan) = match s.service().sched() {
        SchedState::LeastConnection(t) => (t, lc::lc(list)),
        SchedState::WeightedLeastConnection(t) => (t, lc::wlc(list)),
        SchedState::ShortestExpectedDelay(t) => (t, lc::sed(list)),
        SchedState::NeverQueue(t) => (t, lc::nq(list)),
        SchedState::WeightedFailover(t) => (t, lc::fo(list)),
        SchedState::WeightedOverflow(t) => (t, lc::ovf(list)),
        _ => return None,
    };
    Some((tree.best(), scan))
}

fn check_counters(s: &IpvsSim) -> Result<(), TestCaseError> {
    if let Some((tree, scan)) = tree_and_scan(s) {
        prop_assert_eq!(tree, scan, "tournament disagrees with the kernel scan");
    }
    let mut expected: BTreeMap<DestId, (u32, u32)> = BTreeMap::new();
    for c in s.conns().values() {
        let e = expected.entry(c.dest).or_default();
        if c.inactive { e.1 += 1 } else { e.0 += 1 }
    }
    let dests = s.service().dests();
    for d in dests.list().iter().chain(dests.trash()) {
        let (a, i) = expected.get(&d.id).copied().unwrap_or_default();
        prop_assert_eq!((d.activeconns, d.inactconns), (a, i), "counters of {}", d.name);
        if d.overloaded {
            prop_assert!(d.u_threshold != 0, "{} overloaded with no u_threshold", d.name);
        }
    }
    for c in s.conns().values() {
        prop_assert!(dests.get(c.dest).is_some(), "connection to a freed dest");
    }
    for d in dests.trash() {
        prop_assert!(
            d.totalconns() > 0 || s.service().sched().references(d.id),
            "{} left in the trash",
            d.name
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_ops_keep_counters_exact_and_overload_rules(
        sched in prop::sample::select(SchedulerKind::ALL.to_vec()),
        ops in prop::collection::vec(arb_op(), 1..60),
    ) {
        let config = ServiceConfig { scheduler: sched, mh_tab_index: 8, ..ServiceConfig::default() };
        let mut s = IpvsSim::new(&config).unwrap();
        for json in &ops {
            let op = op(json);
            let before = s.service().dests().list().to_vec();
            match s.apply(&op) {
                Ok(outcome) => {
                    for pick in outcome.picks.iter().filter_map(|p| p.dest) {
                        let pos = s.service().dests().position(pick);
                        prop_assert!(pos.is_some(), "picked a dest not in the list");
                        let was = before.iter().find(|d| d.id == pick).unwrap();
                        prop_assert!(was.weight > 0, "picked quiesced {}", was.name);
                        let kind = s.service().sched().kind();
                        let caching = matches!(kind, SchedulerKind::LocalityBasedLeastConnection | SchedulerKind::LocalityBasedLeastConnectionWithReplication);
                        if !caching {
                            prop_assert!(!was.overloaded, "picked overloaded {}", was.name);
                        }
                    }
                    if let IpvsOp::New(n) | IpvsOp::Open(n) = &op
                        && let Some(c) = s.conns().get(&n.conn)
                    {
                        let d = s.service().dests().get(c.dest).unwrap();
                        if d.u_threshold != 0 && d.totalconns() >= u64::from(d.u_threshold) {
                            prop_assert!(d.overloaded, "bind rule");
                        }
                    }
                    if let IpvsOp::Expire(_) = &op {
                        for d in s.service().dests().list() {
                            let total = d.totalconns();
                            let clears = if d.l_threshold != 0 { total < u64::from(d.l_threshold) }
                                else if d.u_threshold != 0 { total * 4 < u64::from(d.u_threshold) * 3 }
                                else { true };
                            let was = before.iter().find(|b| b.id == d.id);
                            if clears && was.is_some_and(|b| b.totalconns() != total) {
                                prop_assert!(!d.overloaded, "unbind rule on {}", d.name);
                            }
                        }
                    }
                }
                Err(_) => prop_assert_eq!(s.service().dests().list(), &before[..], "a failed op changed the list"),
            }
            check_counters(&s)?;
        }
        let trace = run_scenario(&format!(
            r#"{{"scheduler":"{}","mh_tab_index":8,"ops":[{}]}}"#, sched.name(), ops.join(",")
        ));
        prop_assert!(trace.is_ok());
    }

    #[test]
    fn any_op_mix_runs_without_panicking(
        sched in prop::sample::select(SchedulerKind::ALL.to_vec()),
        hash in prop::sample::select(vec!["last-octet", "hash32"]),
        ops in prop::collection::vec(prop_oneof![
            4 => arb_op(),
            1 => (prop::sample::select(vec!["A", "B", "C", "Z"]), any::<bool>())
                .prop_map(|(n, o)| format!(r#"{{"op":"set_overload","dest":"{n}","overloaded":{o}}}"#)),
            1 => (any::<u32>(), any::<u32>(), 1u32..4)
                .prop_map(|(a, b, n)| format!(r#"{{"op":"schedule","draws":[[{a},{b}]],"count":{n}}}"#)),
            1 => (any::<u32>(), 0u8..255)
                .prop_map(|(p, o)| format!(r#"{{"op":"open","conn":"o{p}","src":"10.9.8.{o}:{}","count":2}}"#, p % 65536)),
        ], 1..50),
    ) {
        let json = format!(
            r#"{{"scheduler":"{}","sh_hash":"{hash}","mh_tab_index":8,"seed":7,"flags":["sh-fallback","mh-fallback"],"ops":[{}]}}"#,
            sched.name(), ops.join(",")
        );
        let trace = run_scenario(&json);
        prop_assert!(trace.is_ok(), "{:?}", trace.err());
    }

    #[test]
    fn wrr_one_full_cycle_is_proportional_to_weight_over_gcd(
        weights in prop::collection::vec(1i64..=12, 1..=6),
    ) {
        let mut s = sim(SchedulerKind::WeightedLeastConnection);
        for (i, w) in weights.iter().enumerate() {
            add(&mut s, &format!("d{i}"), i as u8 + 1, *w);
        }
        s.apply(&op(r#"{"op":"edit_service","scheduler":"wrr"}"#)).unwrap();
        let g = weights.iter().fold(0, |g, &w| num_gcd(g, w));
        let cycle: i64 = weights.iter().map(|w| w / g).sum();
        let o = s.apply(&op(&format!(r#"{{"op":"schedule","count":{cycle}}}"#))).unwrap();
        let dests = s.service().dests();
        for (i, w) in weights.iter().enumerate() {
            let name = format!("d{i}");
            let n = o.picks.iter().filter(|p| dests.get(p.dest.unwrap()).unwrap().name == name).count() as i64;
            prop_assert_eq!(n, w / g, "{} of weight {}", name, w);
        }
    }
}

fn num_gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { num_gcd(b, a % b) }
}

// ---- Fidelity audit: the kernel's exact arithmetic and check order ----

/// `ip_vs_twos_schedule` compares `weight2 * overhead1 > weight1 * overhead2` in `int`:
/// the products wrap at 32 bits, so a heavy dest facing a loaded light one loses.
#[test]
fn twos_int_products_wrap_like_ip_vs_twos_schedule() {
    let mut s = sim(SchedulerKind::WeightedLeastConnection);
    add(&mut s, "A", 1, 1);
    add(&mut s, "B", 2, 65_535);
    // List B, A. Put 129 established connections on A (overhead 33024).
    s.apply(&op(r#"{"op":"set_weight","dest":"B","weight":0}"#)).unwrap();
    s.apply(&op(r#"{"op":"open","conn":"a","count":129}"#)).unwrap();
    s.apply(&op(r#"{"op":"set_weight","dest":"B","weight":65535}"#)).unwrap();
    s.apply(&op(r#"{"op":"edit_service","scheduler":"twos"}"#)).unwrap();
    // Σw + 1 = 65537: draw 65536 -> A (choice 1), draw 0 -> B (choice 2).
    // 65535 * 33024 = 2164227840 wraps to -2130739456, not > 1 * 0: A is kept.
    let out = s.apply(&op(r#"{"op":"schedule","draws":[[65536,0]]}"#)).unwrap();
    let dests = s.service().dests();
    let pick = out.picks[0].dest.and_then(|id| dests.get(id)).map(|d| d.name.clone());
    assert_eq!(pick.as_deref(), Some("A"));
}

/// `ip_vs_unbind_dest`: `totalconns * 4 < u_threshold * 3` with a `__u32` threshold.
#[test]
fn unbind_three_quarter_rule_wraps_like_ip_vs_unbind_dest() {
    let mut s = sim(SchedulerKind::RoundRobin);
    s.apply(&op(r#"{"op":"add_dest","name":"A","addr":"10.0.0.1:80","u_threshold":1431655766}"#))
        .unwrap();
    s.apply(&op(r#"{"op":"new","conn":"c","count":2}"#)).unwrap();
    s.apply(&op(r#"{"op":"set_overload","dest":"A","overloaded":true}"#)).unwrap();
    s.apply(&op(r#"{"op":"expire","conn":"c-1"}"#)).unwrap();
    // 4 * 1 = 4 is not < (3 * 1431655766) mod 2^32 = 2.
    assert!(s.service().dests().list()[0].overloaded);
    s.apply(&op(r#"{"op":"expire","conn":"c-2"}"#)).unwrap();
    assert!(!s.service().dests().list()[0].overloaded);
}

/// `ip_vs_edit_dest` returns -ERANGE for a bad weight or threshold pair before it looks the
/// destination up (-ENOENT).
#[test]
fn edit_dest_checks_ranges_before_the_lookup_like_ip_vs_edit_dest() {
    let mut s = sim(SchedulerKind::RoundRobin);
    add(&mut s, "A", 1, 1);
    let cases = [
        (
            r#"{"op":"set_weight","dest":"Z","weight":-1}"#,
            "weight -1 is out of range 0..=65535 (ERANGE)",
        ),
        (
            r#"{"op":"edit_dest","dest":"Z","u_threshold":3,"l_threshold":4}"#,
            "l_threshold 4 is higher than u_threshold 3 (ERANGE)",
        ),
        (
            r#"{"op":"edit_dest","dest":"Z","l_threshold":4}"#,
            "l_threshold 4 is higher than u_threshold 0 (ERANGE)",
        ),
        (r#"{"op":"edit_dest","dest":"Z","weight":3}"#, r#"unknown destination "Z" (ENOENT)"#),
    ];
    for (json, message) in cases {
        assert_eq!(s.apply(&op(json)).unwrap_err().to_string(), message, "{json}");
    }
}

/// `IP_VS_SVC_F_SCHED_SH_FALLBACK` and `IP_VS_SVC_F_SCHED_MH_FALLBACK` are the same bit
/// (`IP_VS_SVC_F_SCHED1`; the ports share `SCHED2`): `ip_vs_mh_schedule` falls back on an
/// `sh-fallback` flag, and a flag kept across `edit_service` from sh to mh keeps working.
#[test]
fn sh_and_mh_flag_names_share_the_kernel_bits() {
    let mut s = sim(SchedulerKind::MaglevHashing);
    for (i, n) in ["A", "B", "C"].iter().enumerate() {
        add(&mut s, n, i as u8 + 1, 1);
    }
    s.apply(&op(r#"{"op":"set_weight","dest":"A","weight":0}"#)).unwrap();
    let pick = |s: &mut IpvsSim, src: &str| {
        let json = format!(r#"{{"op":"schedule","src":"{src}"}}"#);
        s.apply(&op(&json)).unwrap().picks[0].dest
    };
    // A client whose slot belongs to the quiesced A.
    let src = (1..=255)
        .map(|i| format!("192.0.2.{i}:1024"))
        .find(|src| pick(&mut s, src).is_none())
        .unwrap();
    let mut results = Vec::new();
    for flag in ["mh-fallback", "sh-fallback"] {
        let json = format!(r#"{{"op":"edit_service","flags":["{flag}"]}}"#);
        s.apply(&op(&json)).unwrap();
        results.push(pick(&mut s, &src));
    }
    assert!(results[0].is_some());
    assert_eq!(results[0], results[1], "both names set IP_VS_SVC_F_SCHED1");

    let json = r#"{"scheduler":"sh","flags":["sh-fallback","sh-port"],"ops":[
        {"op":"edit_service","scheduler":"mh"}]}"#;
    let trace = run_scenario(json).unwrap();
    assert_eq!(trace[0]["flags"], serde_json::json!(["mh-fallback", "mh-port"]));
}
