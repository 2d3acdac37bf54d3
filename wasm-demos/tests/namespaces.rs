//! Integration tests of the namespaces simulation through its public API: every curated
//! scenario with its key results, the kernel rules one by one with exact error messages,
//! malformed scenarios with their JSON paths, and proptest invariants.

// In a test an unwrap is an assertion; the helpers below are test code too.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use wasm_demos::namespaces::{
    CloneFlag, Errno, ExitStatus, NamespaceKind, NamespacesParams, NamespacesSim, NsError, Op,
    Outcome, ProcState, Signal, run_scenario, state,
};

fn scenario(name: &str) -> Vec<Value> {
    let path = format!("{}/scenarios/namespaces/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    match run_scenario(&text).unwrap() {
        Value::Array(records) => records,
        other => panic!("not an array: {other}"),
    }
}

fn output(rec: &Value) -> Vec<String> {
    rec["output"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

fn ps(rec: &Value) -> Vec<(u64, u64, String)> {
    rec["ps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pid"].as_u64().unwrap(),
                e["ppid"].as_u64().unwrap(),
                e["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn process<'a>(rec: &'a Value, label: &str) -> Option<&'a Value> {
    rec["state"]["processes"].as_array().unwrap().iter().find(|p| p["label"] == label)
}

fn sim() -> NamespacesSim {
    NamespacesSim::new(NamespacesParams::default()).unwrap()
}

fn op(v: Value) -> Op {
    wasm_demos::scenario::read_op(&v, "op").unwrap()
}

fn apply(sim: &mut NamespacesSim, v: Value) -> Result<Outcome, NsError> {
    sim.apply(&op(v))
}

fn err(sim: &mut NamespacesSim, v: Value) -> String {
    apply(sim, v).unwrap_err().to_string()
}

// ---- curated scenarios ----

#[test]
fn nested_pid_numbering_gives_one_pid_per_level() {
    let t = scenario("nested-pid-numbering");
    assert_eq!((t[2]["pid"].as_u64(), t[2]["pid_inside"].as_u64()), (Some(3), Some(1)));
    let worker = process(&t[16], "c2-worker").unwrap();
    assert_eq!(worker["nspid"], json!([6, 4, 2]));
    assert_eq!(worker["ppid"], json!([5, 3, 1]));
    assert_eq!(process(&t[16], "c2").unwrap()["ppid"], json!([3, 1, 0]));
    // NSpid as read through the /proc of each level (proc(5): outermost first).
    assert!(output(&t[10]).contains(&"NSpid:\t6\t4\t2".to_owned()));
    assert!(output(&t[11]).contains(&"NSpid:\t4\t2".to_owned()));
    assert!(output(&t[12]).contains(&"NSpid:\t2".to_owned()));
    assert!(output(&t[12]).contains(&"PPid:\t1".to_owned()));
    assert_eq!(
        ps(&t[13]),
        vec![
            (1, 0, "c1".into()),
            (2, 1, "c1-worker".into()),
            (3, 1, "c2".into()),
            (4, 3, "c2-worker".into())
        ]
    );
    assert_eq!(ps(&t[14]), vec![(1, 0, "c2".into()), (2, 1, "c2-worker".into())]);
    assert_eq!(t[15]["errno"], "ENOENT");
    assert_eq!(ps(&t[16]).len(), 6);
}

#[test]
fn init_death_kills_every_member_and_later_forks_get_enomem() {
    let t = scenario("init-death-cascade");
    assert_eq!(t[3]["pid_inside"], 1);
    for step in [9, 10, 11] {
        assert_eq!(t[step]["signal"], "ignored: init has no handler (SIGNAL_UNKILLABLE)");
    }
    assert_eq!(ps(&t[12]).len(), 6);
    assert_eq!(t[13]["signal"], "terminated");
    assert_eq!(
        ps(&t[14]),
        vec![
            (1, 0, "init".into()),
            (2, 1, "shell".into()),
            (3, 2, "unshare".into()),
            (4, 3, "cinit".into())
        ]
    );
    assert_eq!(t[14]["ps"][3]["stat"], "Z");
    assert_eq!(
        t[15]["error"],
        "ENOMEM: the init of pid:[4026532201] has exited, so alloc_pid refuses new pids (PIDNS_ADDING cleared)"
    );
    assert_eq!(
        (t[16]["reaped"].as_str(), t[16]["status"].as_str()),
        (Some("cinit"), Some("killed by SIGKILL"))
    );
    assert_eq!(t[17]["error"], "ECHILD: `unshare` has no children");
    let pid_ns = t[17]["state"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["inode"] == 4026532201u64);
    assert_eq!(pid_ns.unwrap()["adding"], false);
}

#[test]
fn orphans_go_to_the_namespace_init_or_the_nearest_subreaper() {
    let t = scenario("orphan-reparenting");
    assert_eq!(process(&t[5], "leaf").unwrap()["ppid"], json!([3, 1]));
    assert_eq!((t[6]["reaped"].as_str(), t[6]["status"].as_str()), (Some("mid"), Some("exited 0")));
    assert_eq!(process(&t[11], "leaf2").unwrap()["ppid"], json!([6, 4]));
    assert_eq!(process(&t[11], "sub").unwrap()["subreaper"], true);
    assert_eq!((t[12]["reaped"].as_str(), t[12]["pid"].as_u64()), (Some("mid2"), Some(5)));
    assert_eq!(process(&t[13], "leaf").unwrap()["state"], "Z");
    assert_eq!((t[14]["reaped"].as_str(), t[14]["pid"].as_u64()), (Some("leaf"), Some(3)));
    assert_eq!(process(&t[17], "host-leaf").unwrap()["ppid"], json!([1]));
}

#[test]
fn unshare_pid_without_fork_makes_the_first_child_init_then_enomem() {
    let t = scenario("unshare-pid-without-fork");
    let ns = output(&t[3]);
    assert!(ns.contains(&"pid -> pid:[4026531836]".to_owned()));
    assert!(ns.contains(&"pid_for_children -> pid:[4026532200]".to_owned()));
    assert_eq!((t[4]["pid"].as_u64(), t[4]["pid_inside"].as_u64()), (Some(3), Some(1)));
    assert_eq!(t[6]["reaped"], "ls");
    assert_eq!(t[7]["errno"], "ENOMEM");
    assert_eq!(
        t[8]["error"],
        "EINVAL: pid_for_children is already a new pid namespace (copy_pid_ns: unshare(CLONE_NEWPID) twice)"
    );
}

#[test]
fn net_namespace_starts_with_lo_down_and_veth_needs_both_ends() {
    let t = scenario("net-namespace-lo-veth");
    assert_eq!(output(&t[3]), vec!["1: lo: state DOWN"]);
    assert_eq!(t[4]["error"], "ENETUNREACH: net:[4026532200] has no route to 127.0.0.1");
    assert_eq!(
        output(&t[6]),
        vec!["1: lo: state UNKNOWN", "    inet 127.0.0.1/8", "    inet6 ::1/128"]
    );
    assert_eq!(t[7]["error"], "ECONNREFUSED: nothing listens on 127.0.0.1:80");
    assert_eq!(t[9]["reached"], "net:[4026532200]");
    assert_eq!(t[14]["errno"], "EHOSTUNREACH");
    assert_eq!(t[16]["errno"], "EHOSTUNREACH");
    assert_eq!(t[18]["reached"], "net:[4026532200]");
    assert_eq!(t[19]["reached"], "net:[4026532200]");
    assert_eq!(t[20]["errno"], "ECONNREFUSED");
    // `veth_newlink` registers the peer first: veth1 is 4 (and keeps 4 in `c`), veth0 is 5.
    assert!(output(&t[21]).contains(&"5: veth0@if4: state UP".to_owned()));
    assert_eq!(t[23]["error"], "EINVAL: lo cannot change namespace (NETIF_F_NETNS_LOCAL)");
    // The namespace died with `c`: the veth pair is gone, eth1 is back, down, same ifindex.
    assert_eq!(
        output(&t[25]),
        vec![
            "1: lo: state UNKNOWN",
            "    inet 127.0.0.1/8",
            "    inet6 ::1/128",
            "2: eth0: state UP",
            "    inet 192.0.2.10/24",
            "3: eth1: state DOWN"
        ]
    );
}

#[test]
fn user_namespace_root_gets_eperm_on_resources_it_does_not_own() {
    let t = scenario("user-namespace-root-eperm");
    assert_eq!(
        t[3]["error"],
        "EPERM: sethostname needs CAP_SYS_ADMIN in user:[4026531837], the owner of uts:[4026531838]"
    );
    assert_eq!(
        t[4]["error"],
        "EPERM: creating a namespace needs CAP_SYS_ADMIN in user:[4026531837], which the caller does not have"
    );
    assert!(output(&t[6]).contains(&"Uid:\t0\t0\t0\t0".to_owned()));
    assert!(output(&t[6]).contains(&"CapEff:\t000001ffffffffff".to_owned()));
    assert_eq!(output(&t[7]), vec!["         0       1000          1"]);
    assert_eq!(t[8]["error"], t[3]["error"]);
    assert_eq!(
        t[9]["error"],
        "EPERM: ip link set needs CAP_NET_ADMIN in user:[4026531837], the owner of net:[4026531992]"
    );
    assert!(t[11].get("error").is_none());
    assert_eq!(output(&t[13]), vec!["host"]);
    assert_eq!(output(&t[14]), vec!["mine"]);
    assert!(output(&t[18]).contains(&"Uid:\t65534\t65534\t65534\t65534".to_owned()));
    assert_eq!(
        t[19]["error"],
        "EPERM: without CAP_SETGID in the parent user namespace, gid_map may map only the writer's own id; write \"deny\" to setgroups first"
    );
    assert_eq!(
        t[20]["error"],
        "EPERM: without CAP_SETUID in the parent user namespace, uid_map may map only the writer's own id"
    );
    assert!(t[21].get("error").is_none());
    assert_eq!(t[22]["error"], "EPERM: uid_map can be written only once");
    assert!(t[24].get("error").is_none());
    assert!(output(&t[26]).contains(&"CapEff:\t000001ffffffffff".to_owned()));
    // Unmapped (65534) after execve: not root in the namespace, so no capabilities.
    assert!(output(&t[31]).contains(&"CapEff:\t0000000000000000".to_owned()));
}

#[test]
fn mount_propagation_shared_slave_private_unbindable() {
    let t = scenario("mount-propagation");
    assert!(output(&t[8]).contains(&"49 28 / /mnt shared:7 - tmpfs tmpfs".to_owned()));
    assert!(output(&t[9]).contains(&"50 35 / /mnt master:7 - tmpfs tmpfs".to_owned()));
    assert!(!output(&t[10]).iter().any(|l| l.contains("/mnt")));
    assert!(output(&t[10]).contains(&"42 41 / / - ext4 /dev/sda1".to_owned()));
    assert!(!output(&t[13]).iter().any(|l| l.contains("/srv")));
    assert!(output(&t[13]).contains(&"53 21 / /opt shared:8 - tmpfs tmpfs".to_owned()));
    assert!(output(&t[14]).contains(&"51 35 / /srv - tmpfs tmpfs".to_owned()));
    assert!(output(&t[14]).contains(&"54 35 / /opt master:8 - tmpfs tmpfs".to_owned()));
    assert_eq!(t[16]["error"], "EINVAL: `/run` is unbindable");
    // Unmounts propagate like mounts: from raw's shared `/` to its peer and its slave.
    let shell = output(&t[19]);
    assert!(shell.contains(&"26 21 / /run unbindable - tmpfs tmpfs".to_owned()));
    assert!(shell.contains(&"48 21 / /mnt shared:7 - tmpfs tmpfs".to_owned()));
    assert!(!shell.iter().any(|l| l.contains("/opt")));
    let slave = output(&t[20]);
    assert!(!slave.iter().any(|l| l.contains("/opt") || l.contains("/mnt")));
    assert!(slave.contains(&"51 35 / /srv - tmpfs tmpfs".to_owned()));
    assert!(!output(&t[22]).iter().any(|l| l.contains("/mnt")));
    assert_eq!(output(&t[23]), slave);
}

#[test]
fn container_from_a_shell_script_shows_every_step() {
    let t = scenario("container-from-shell-script");
    assert_eq!(t[3]["pid_inside"], 1);
    // Before a fresh /proc, ps inside shows the host's processes with host pids.
    assert_eq!(ps(&t[4]).iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(
        output(&t[9]),
        vec!["34 27 /var/lib/images/alpine / - ext4 /dev/sda1", "35 34 / /proc - proc proc"]
    );
    assert_eq!(ps(&t[10]), vec![(1, 0, "c".into())]);
    assert_eq!(output(&t[12]), vec!["container"]);
    assert_eq!(output(&t[13]), vec!["host"]);
    assert_eq!(output(&t[14]), vec!["1: lo: state DOWN"]);
    assert_eq!(t[15]["id"], 0);
    assert_eq!(output(&t[16]), Vec::<String>::new());
    assert_eq!(output(&t[18]), vec!["0::/container"]);
    assert!(output(&t[19]).contains(&"CapEff:\t000001ffffffffff".to_owned()));
    let status = output(&t[22]);
    assert!(status.contains(&"Name:\tnginx".to_owned()));
    assert!(status.contains(&"CapEff:\t00000000a80425fb".to_owned()));
    assert!(status.contains(&"CapBnd:\t00000000a80425fb".to_owned()));
    assert_eq!(
        t[23]["error"],
        "EPERM: sethostname needs CAP_SYS_ADMIN in user:[4026531837], the owner of uts:[4026532201]"
    );
    let ns = output(&t[24]);
    assert!(ns.contains(&"uts -> uts:[4026532201]".to_owned()));
    assert!(ns.contains(&"pid -> pid:[4026532203]".to_owned()));
    assert!(ns.contains(&"user -> user:[4026531837]".to_owned()));
    let c = process(&t[24], "c").unwrap();
    assert_eq!(
        (c["nspid"].clone(), c["cap_eff"].clone()),
        (json!([4, 1]), json!("00000000a80425fb"))
    );
    assert_eq!(
        output(&t[25]),
        vec![
            "        NS TYPE   NPROCS   PID COMMAND",
            "4026531834 time        1     1 nginx",
            "4026531835 cgroup      1     1 nginx",
            "4026531837 user        1     1 nginx",
            "4026532200 mnt         1     1 nginx",
            "4026532201 uts         1     1 nginx",
            "4026532202 ipc         1     1 nginx",
            "4026532203 pid         1     1 nginx",
            "4026532204 net         1     1 nginx"
        ]
    );
}

#[test]
fn cgroup_namespace_paths_are_relative_to_the_namespace_root() {
    let t = scenario("cgroup-namespace-paths");
    assert_eq!(output(&t[6]), vec!["0::/"]);
    assert_eq!(output(&t[7]), vec!["0::/a/b"]);
    assert_eq!(output(&t[8]), vec!["0::/../c"]);
    assert_eq!(output(&t[9]), vec!["0::/../.."]);
    assert_eq!(output(&t[12]), vec!["0::/worker"]);
    assert_eq!(output(&t[13]), vec!["0::/a/b/worker"]);
    assert_eq!(
        t[14]["error"],
        "ENOENT: the process's cgroup is outside the writer's cgroup namespace"
    );
    assert_eq!(output(&t[16]), vec!["0::/a/b/escape"]);
}

#[test]
fn time_namespace_offsets_apply_to_children_and_freeze() {
    let t = scenario("time-namespace-offsets");
    assert_eq!(t[5]["error"], "ERANGE: the offset would make the clock negative or too large");
    assert_eq!(
        output(&t[6]),
        vec!["monotonic       86400         0", "boottime         -500         0"]
    );
    assert_eq!(t[7]["secs"], 1000);
    assert_eq!(t[9]["secs"], 87400);
    assert_eq!(t[10]["secs"], 500);
    assert_eq!(
        t[11]["error"],
        "EACCES: offsets are frozen once a process has entered the time namespace"
    );
    assert_eq!((t[13]["secs"].as_i64(), t[14]["secs"].as_i64()), (Some(87410), Some(1010)));
    assert_eq!(t[16]["secs"], 87410);
    assert_eq!(t[17]["errno"], "EACCES");
}

#[test]
fn every_curated_scenario_runs() {
    let dir = format!("{}/scenarios/namespaces", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let trace = run_scenario(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(!trace.as_array().unwrap().is_empty(), "{}", path.display());
        n += 1;
    }
    assert_eq!(n, 10);
}

// ---- rules through the typed API ----

#[test]
fn initial_namespaces_have_the_fixed_proc_inodes() {
    let s = sim();
    let inode = |k| s.inode(s.init_namespace(k).unwrap()).unwrap();
    assert_eq!(inode(NamespaceKind::Time), 4026531834);
    assert_eq!(inode(NamespaceKind::Cgroup), 4026531835);
    assert_eq!(inode(NamespaceKind::Pid), 4026531836);
    assert_eq!(inode(NamespaceKind::User), 4026531837);
    assert_eq!(inode(NamespaceKind::Uts), 4026531838);
    assert_eq!(inode(NamespaceKind::Ipc), 4026531839);
    assert_eq!(inode(NamespaceKind::Mount), 4026531840);
    assert_eq!(inode(NamespaceKind::Net), 4026531992);
}

#[test]
fn pid_nesting_stops_at_32_levels_with_enospc() {
    let mut s = sim();
    let mut parent = "init".to_owned();
    for level in 1..=32 {
        let child = format!("l{level}");
        apply(
            &mut s,
            json!({"op": "clone", "as": parent, "child": child, "flags": ["CLONE_NEWPID"]}),
        )
        .unwrap();
        parent = child;
    }
    assert_eq!(s.process("l32").unwrap().pids().len(), 33);
    assert_eq!(
        err(&mut s, json!({"op": "clone", "as": "l32", "child": "l33", "flags": ["CLONE_NEWPID"]})),
        "ENOSPC: pid namespaces nest at most 32 levels below the initial one (MAX_PID_NS_LEVEL)"
    );
    apply(&mut s, json!({"op": "fork", "as": "l32", "child": "leaf"})).unwrap();
    assert_eq!(s.process("leaf").unwrap().pids().last().unwrap().1, 2);
}

#[test]
/// `create_user_ns` refuses only when `parent_ns->level > 32`: the creator may sit at level
/// 32 and make level 33 (one more than the "32 levels" of user_namespaces(7)).
fn user_namespaces_nest_at_most_33_levels_below_the_initial_one() {
    let mut s = sim();
    // Each level must map the creator's ids, or the next create_user_ns fails with EPERM.
    assert_eq!(
        {
            apply(
                &mut s,
                json!({"op": "clone", "as": "init", "child": "x", "flags": ["CLONE_NEWUSER"]}),
            )
            .unwrap();
            err(&mut s, json!({"op": "unshare", "as": "x", "flags": ["CLONE_NEWUSER"]}))
        },
        "EPERM: the caller's uid or gid is not mapped in its user namespace"
    );
    for _ in 1..=33 {
        apply(&mut s, json!({"op": "unshare", "as": "init", "flags": ["CLONE_NEWUSER"]})).unwrap();
        apply(&mut s, json!({"op": "write_setgroups", "as": "init", "value": "deny"})).unwrap();
        apply(&mut s, json!({"op": "write_uid_map", "as": "init", "map": "0 0 1"})).unwrap();
        apply(&mut s, json!({"op": "write_gid_map", "as": "init", "map": "0 0 1"})).unwrap();
    }
    let level = |s: &NamespacesSim| {
        let mut ns = s.process("init").unwrap().cred().user_ns;
        let mut level = 0;
        while let Some(parent) = s.owner(ns) {
            ns = parent;
            level += 1;
        }
        level
    };
    assert_eq!(level(&s), 33);
    assert_eq!(
        err(&mut s, json!({"op": "unshare", "as": "init", "flags": ["CLONE_NEWUSER"]})),
        "ENOSPC: user namespaces nest at most 33 levels below the initial one (parent_ns->level > 32)"
    );
}

#[test]
fn new_namespaces_get_lowest_free_inodes_and_freed_ones_are_reused() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "a", "flags": ["CLONE_NEWUTS", "CLONE_NEWNET"]}))
        .unwrap();
    let a = s.process("a").unwrap().nsproxy().copied().unwrap();
    assert_eq!((s.inode(a.uts), s.inode(a.net)), (Some(4026532200), Some(4026532201)));
    apply(&mut s, json!({"op": "exit", "as": "a"})).unwrap();
    assert_eq!(s.inode(a.net), None);
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "b", "flags": ["CLONE_NEWIPC"]}))
        .unwrap();
    let b = s.process("b").unwrap().nsproxy().copied().unwrap();
    assert_eq!(s.inode(b.ipc), Some(4026532200));
}

#[test]
fn an_open_fd_or_a_bind_mount_keeps_a_namespace_alive() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWNET"]}))
        .unwrap();
    let net = s.process("c").unwrap().nsproxy().unwrap().net;
    apply(&mut s, json!({"op": "ns_open", "as": "init", "target": "c", "kind": "net", "fd": "n"}))
        .unwrap();
    apply(&mut s, json!({"op": "ns_bind", "as": "init", "target": "c", "kind": "net", "path": "/run/netns/c"}))
        .unwrap();
    apply(&mut s, json!({"op": "exit", "as": "c"})).unwrap();
    assert_eq!(s.kind(net), Some(NamespaceKind::Net));
    apply(&mut s, json!({"op": "ns_close", "as": "init", "fd": "n"})).unwrap();
    assert_eq!(s.kind(net), Some(NamespaceKind::Net));
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "d"})).unwrap();
    apply(&mut s, json!({"op": "setns", "as": "d", "path": "/run/netns/c"})).unwrap();
    assert_eq!(s.process("d").unwrap().nsproxy().unwrap().net, net);
    apply(&mut s, json!({"op": "umount", "as": "init", "target": "/run/netns/c"})).unwrap();
    assert_eq!(s.kind(net), Some(NamespaceKind::Net));
    apply(&mut s, json!({"op": "exit", "as": "d"})).unwrap();
    assert_eq!(s.kind(net), None);
}

#[test]
fn setns_into_a_pid_namespace_moves_only_children() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWPID"]}))
        .unwrap();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "joiner"})).unwrap();
    apply(&mut s, json!({"op": "setns", "as": "joiner", "target": "c", "kinds": ["CLONE_NEWPID"]}))
        .unwrap();
    assert_eq!(s.process("joiner").unwrap().pids().len(), 1);
    let out = apply(&mut s, json!({"op": "fork", "as": "joiner", "child": "inside"})).unwrap();
    assert_eq!(out, Outcome::Pid { pid: 4, pid_inside: 2 });
    // Its parent is outside the namespace: ppid 0 as seen from inside.
    let inside = s.process("inside").unwrap();
    let c_ns = s.process("c").unwrap().pid_ns();
    let seen: Vec<u32> = s.ps_in(c_ns).iter().map(|e| e.ppid).collect();
    assert_eq!(seen, vec![0, 0]);
    assert_eq!(inside.pid_in(c_ns), Some(2));
    assert_eq!(
        err(&mut s, json!({"op": "setns", "as": "c", "target": "init", "kinds": ["CLONE_NEWPID"]})),
        "EINVAL: a pid namespace can be joined only if it is the caller's or a descendant of it"
    );
}

#[test]
fn setns_needs_cap_sys_admin_over_the_target_and_in_the_caller() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWUTS"]}))
        .unwrap();
    for who in ["v", "w"] {
        apply(&mut s, json!({"op": "fork", "as": "init", "child": who})).unwrap();
        apply(&mut s, json!({"op": "setuid", "as": who, "uid": 1000, "gid": 1000})).unwrap();
    }
    assert_eq!(
        err(&mut s, json!({"op": "setns", "as": "v", "target": "c", "kinds": ["CLONE_NEWUTS"]})),
        "EACCES: opening another uid's ns file needs CAP_SYS_PTRACE over it"
    );
    apply(&mut s, json!({"op": "unshare", "as": "w", "flags": ["CLONE_NEWUSER", "CLONE_NEWUTS"]}))
        .unwrap();
    // v owns w's user namespace (so has CAP_SYS_ADMIN there) but lacks it in its own.
    assert_eq!(
        err(&mut s, json!({"op": "setns", "as": "v", "target": "w", "kinds": ["CLONE_NEWUTS"]})),
        "EPERM: setns needs CAP_SYS_ADMIN in user:[4026531837], which the caller does not have"
    );
    assert_eq!(
        err(&mut s, json!({"op": "setns", "as": "w", "target": "v", "kinds": ["CLONE_NEWUTS"]})),
        "EPERM: setns needs CAP_SYS_ADMIN in user:[4026531837], the owner of uts:[4026531838]"
    );
    assert_eq!(
        err(&mut s, json!({"op": "setns", "as": "w", "target": "w", "kinds": ["CLONE_NEWUSER"]})),
        "EINVAL: setns to the caller's own user namespace"
    );
    // Joining the user namespace first gives the capabilities the uts join then needs.
    apply(&mut s, json!({"op": "setns", "as": "v", "target": "w", "kinds": ["CLONE_NEWUSER", "CLONE_NEWUTS"]})).unwrap();
    let (v, w) = (s.process("v").unwrap(), s.process("w").unwrap());
    assert_eq!(v.cred().user_ns, w.cred().user_ns);
    assert_eq!(v.nsproxy().unwrap().uts, w.nsproxy().unwrap().uts);
    assert_eq!(v.cred().effective.hex(), "000001ffffffffff");
}

#[test]
fn a_dying_init_waits_for_members_whose_parents_are_outside() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "shell"})).unwrap();
    apply(&mut s, json!({"op": "clone", "as": "shell", "child": "c", "flags": ["CLONE_NEWPID"]}))
        .unwrap();
    apply(&mut s, json!({"op": "fork", "as": "shell", "child": "outsider"})).unwrap();
    apply(
        &mut s,
        json!({"op": "setns", "as": "outsider", "target": "c", "kinds": ["CLONE_NEWPID"]}),
    )
    .unwrap();
    apply(&mut s, json!({"op": "fork", "as": "outsider", "child": "injected"})).unwrap();
    apply(&mut s, json!({"op": "kill", "as": "shell", "target": "c", "signal": "SIGKILL"}))
        .unwrap();
    // `injected` is killed but stays a zombie of its outside parent; init waits for it.
    assert_eq!(s.process("injected").unwrap().state(), ProcState::Zombie);
    assert_eq!(s.process("c").unwrap().state(), ProcState::Exiting);
    assert_eq!(
        apply(&mut s, json!({"op": "wait", "as": "shell", "child": "c"})).unwrap(),
        Outcome::Reaped(None)
    );
    assert_eq!(
        err(&mut s, json!({"op": "fork", "as": "outsider", "child": "late"})),
        "ENOMEM: the init of pid:[4026532200] has exited, so alloc_pid refuses new pids (PIDNS_ADDING cleared)"
    );
    apply(&mut s, json!({"op": "wait", "as": "outsider"})).unwrap();
    assert_eq!(s.process("c").unwrap().state(), ProcState::Zombie);
    let reaped = apply(&mut s, json!({"op": "wait", "as": "shell", "child": "c"})).unwrap();
    assert_eq!(reaped, Outcome::Reaped(Some(("c".into(), 3, ExitStatus::Killed(Signal::SIGKILL)))));
}

#[test]
fn kill_needs_a_visible_target_and_permission() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWPID"]}))
        .unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "kill", "as": "c", "target": "init", "signal": "SIGTERM"})),
        "ESRCH: `init` has no pid in the sender's pid namespace"
    );
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "u"})).unwrap();
    apply(&mut s, json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000})).unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "kill", "as": "u", "target": "c", "signal": "SIGKILL"})),
        "EPERM: a signal to another uid needs CAP_KILL in the target's user namespace"
    );
    apply(&mut s, json!({"op": "sigaction", "as": "c", "signal": "SIGTERM", "action": "handle"}))
        .unwrap();
    assert_eq!(
        apply(&mut s, json!({"op": "kill", "as": "init", "target": "c", "signal": "SIGTERM"}))
            .unwrap(),
        Outcome::Signal("caught")
    );
    assert_eq!(s.process("c").unwrap().caught(), &[Signal::SIGTERM]);
    assert_eq!(
        apply(&mut s, json!({"op": "kill", "as": "init", "target": "c", "signal": "SIGSTOP"}))
            .unwrap(),
        Outcome::Signal("stopped")
    );
    assert_eq!(s.process("c").unwrap().state(), ProcState::Stopped);
    assert_eq!(
        err(
            &mut s,
            json!({"op": "sigaction", "as": "init", "signal": "SIGKILL", "action": "ignore"})
        ),
        "EINVAL: SIGKILL cannot be caught or ignored"
    );
    assert_eq!(err(&mut s, json!({"op": "exit", "as": "init"})), NsError::KillInit.to_string());
    assert_eq!(
        err(&mut s, json!({"op": "exit", "as": "init"})),
        "the initial process cannot exit: the kernel panics (\"Attempted to kill init!\")"
    );
    assert_eq!(
        apply(&mut s, json!({"op": "kill", "as": "init", "target": "init", "signal": "SIGKILL"}))
            .unwrap(),
        Outcome::Signal("ignored: init has no handler (SIGNAL_UNKILLABLE)")
    );
}

#[test]
fn simulation_errors_name_the_label() {
    let mut s = sim();
    assert_eq!(
        err(&mut s, json!({"op": "fork", "as": "ghost", "child": "x"})),
        "no process labelled `ghost`"
    );
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "x"})).unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "fork", "as": "init", "child": "x"})),
        "label `x` is already taken"
    );
    apply(&mut s, json!({"op": "fork", "as": "x", "child": "y"})).unwrap();
    apply(&mut s, json!({"op": "exit", "as": "y", "code": 1})).unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "exec", "as": "y", "command": "ls"})),
        "ESRCH: process `y` has exited"
    );
    assert_eq!(
        err(&mut s, json!({"op": "wait", "as": "init", "child": "y"})),
        "ECHILD: `y` is not a child of `init`"
    );
}

#[test]
fn hostname_and_capability_errors() {
    let mut s = sim();
    let long = "h".repeat(65);
    assert_eq!(
        err(&mut s, json!({"op": "sethostname", "as": "init", "hostname": long})),
        "EINVAL: a hostname or domainname is at most 64 bytes (__NEW_UTS_LEN)"
    );
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "u"})).unwrap();
    apply(&mut s, json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000})).unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "cap_drop", "as": "u", "caps": ["CAP_SYS_ADMIN"]})),
        "EPERM: dropping from the bounding set needs CAP_SETPCAP (PR_CAPBSET_DROP)"
    );
    assert_eq!(
        err(&mut s, json!({"op": "setuid", "as": "u", "uid": 0, "gid": 0})),
        "EPERM: setresuid to another uid needs CAP_SETUID"
    );
    assert_eq!(
        err(&mut s, json!({"op": "write_uid_map", "as": "init", "map": "0 0 1"})),
        "EPERM: uid_map of the initial user namespace is already written"
    );
}

#[test]
fn id_map_syntax_errors_are_einval() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWUSER"]}))
        .unwrap();
    let w = |s: &mut NamespacesSim, map: &str| {
        err(s, json!({"op": "write_uid_map", "as": "init", "target": "c", "map": map}))
    };
    assert_eq!(w(&mut s, "0 0"), "EINVAL: map line `0 0` is not \"inside outside count\"");
    assert_eq!(w(&mut s, "0 x 1"), "EINVAL: `x` is not an id");
    assert_eq!(w(&mut s, "0 0 0"), "EINVAL: map line `0 0 0` has an empty or overflowing range");
    assert_eq!(w(&mut s, "0 0 10\n5 100 1"), "EINVAL: map line `5 100 1` overlaps an earlier line");
    // The parent's root may map a range: CAP_SETUID in the parent.
    apply(
        &mut s,
        json!({"op": "write_uid_map", "as": "init", "target": "c", "map": "0 100000 65536"}),
    )
    .unwrap();
    let c = s.process("c").unwrap();
    assert_eq!(c.cred().kuid, 0);
}

#[test]
fn unprivileged_user_namespace_then_uts_namespace_it_owns() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "u"})).unwrap();
    apply(&mut s, json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000})).unwrap();
    apply(&mut s, json!({"op": "unshare", "as": "u", "flags": ["CLONE_NEWUSER", "CLONE_NEWUTS"]}))
        .unwrap();
    apply(&mut s, json!({"op": "sethostname", "as": "u", "hostname": "mine"})).unwrap();
    let uts = s.process("u").unwrap().nsproxy().unwrap().uts;
    let user = s.process("u").unwrap().cred().user_ns;
    assert_eq!(s.owner(uts), Some(user));
}

#[test]
fn clone_failure_leaves_no_namespace_behind() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "sh"})).unwrap();
    apply(&mut s, json!({"op": "unshare", "as": "sh", "flags": ["CLONE_NEWPID"]})).unwrap();
    apply(&mut s, json!({"op": "fork", "as": "sh", "child": "first"})).unwrap();
    apply(&mut s, json!({"op": "exit", "as": "first"})).unwrap();
    let before = s.namespace_count();
    let e = apply(
        &mut s,
        json!({"op": "clone", "as": "sh", "child": "x", "flags": ["CLONE_NEWNET", "CLONE_NEWUTS"]}),
    );
    assert_eq!(e.unwrap_err().errno(), Some(Errno::ENOMEM));
    assert_eq!(s.namespace_count(), before);
}

#[test]
fn typed_ops_match_their_json_form() {
    let a = op(json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWPID"]}));
    let b = Op::Clone {
        actor: "init".into(),
        child: "c".into(),
        flags: vec![CloneFlag::NewPid],
        command: None,
    };
    assert_eq!(a, b);
}

// ---- malformed scenarios ----

#[test]
fn malformed_scenarios_name_the_json_path() {
    let e = |j: &str| run_scenario(j).unwrap_err().to_string();
    assert_eq!(
        e(r#"{"ops": [{"op": "fork", "as": "init", "child": "a", "bogus": 1}]}"#),
        "ops[0].bogus: unknown field `bogus`, expected `as` or `child`"
    );
    assert_eq!(
        e(
            r#"{"ops": [{"op": "fork", "as": "init", "child": "a"}, {"op": "exit", "as": "a", "code": "x"}]}"#
        ),
        "ops[1].code: invalid type: string \"x\", expected i32"
    );
    assert_eq!(e(r#"{"ops": [{"op": "exit"}]}"#), "ops[0]: missing field `as`");
    assert_eq!(
        e(r#"{"ops": [{"op": "cap_drop", "as": "init", "caps": ["CAP_FOO"]}]}"#),
        "ops[0].caps[0]: unknown capability `CAP_FOO`"
    );
    assert_eq!(
        e(r#"{"ops": [{"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWFOO"]}]}"#),
        "ops[0].flags[0]: unknown variant `CLONE_NEWFOO`, expected one of `CLONE_NEWNS`, `CLONE_NEWUTS`, `CLONE_NEWIPC`, `CLONE_NEWPID`, `CLONE_NEWNET`, `CLONE_NEWUSER`, `CLONE_NEWCGROUP`, `CLONE_NEWTIME`"
    );
    assert_eq!(
        e(r#"{"opz": []}"#),
        "opz: unknown field `opz`, expected one of `hostname`, `uptime_secs`, `ops`"
    );
    assert_eq!(
        e(&format!(r#"{{"hostname": "{}", "ops": []}}"#, "h".repeat(65))),
        "hostname: EINVAL: hostname longer than 64 bytes (__NEW_UTS_LEN)"
    );
    assert_eq!(
        e(r#"{"uptime_secs": -1, "ops": []}"#),
        "uptime_secs: EINVAL: uptime_secs must be between 0 and 1000000000"
    );
    assert!(
        e(r#"{"ops": [{"op": "forkk", "as": "init"}]}"#)
            .starts_with("ops[0].op: unknown variant `forkk`, expected one of `clone`, `fork`")
    );
}

#[test]
fn a_failed_op_is_recorded_and_the_run_continues() {
    let t = run_scenario(r#"{"ops": [{"op": "sethostname", "as": "init", "hostname": ""}, {"op": "fork", "as": "ghost", "child": "a"}, {"op": "hostname", "as": "init"}]}"#).unwrap();
    assert!(t[0].get("error").is_none());
    assert_eq!(t[1]["error"], "no process labelled `ghost`");
    assert!(t[1].get("errno").is_none());
    assert_eq!(t[2]["output"], json!([""]));
    assert_eq!(t[2]["op"], json!({"op": "hostname", "as": "init"}));
    assert_eq!(t[2]["step"], 2);
}

// ---- proptest ----

const LABELS: [&str; 6] = ["init", "p1", "p2", "p3", "p4", "p5"];

fn arb_op() -> impl Strategy<Value = Value> {
    let label = prop::sample::select(&LABELS[..]);
    let flag = prop::sample::select(vec![
        "CLONE_NEWPID",
        "CLONE_NEWNS",
        "CLONE_NEWNET",
        "CLONE_NEWUSER",
        "CLONE_NEWUTS",
    ]);
    let sig = prop::sample::select(vec!["SIGKILL", "SIGTERM", "SIGSTOP", "SIGCONT", "SIGCHLD"]);
    prop_oneof![
        (label.clone(), label.clone(), prop::collection::vec(flag.clone(), 0..3))
            .prop_map(|(a, c, f)| json!({"op": "clone", "as": a, "child": c, "flags": f})),
        (label.clone(), label.clone()).prop_map(|(a, c)| json!({"op": "fork", "as": a, "child": c})),
        (label.clone(), prop::collection::vec(flag, 1..3)).prop_map(|(a, f)| json!({"op": "unshare", "as": a, "flags": f})),
        label.clone().prop_map(|a| json!({"op": "exit", "as": a})),
        (label.clone(), label.clone(), sig).prop_map(|(a, t, s)| json!({"op": "kill", "as": a, "target": t, "signal": s})),
        label.clone().prop_map(|a| json!({"op": "wait", "as": a})),
        label.clone().prop_map(|a| json!({"op": "set_child_subreaper", "as": a, "on": true})),
        (label.clone(), label.clone()).prop_map(|(a, t)| json!({"op": "setns", "as": a, "target": t, "kinds": ["CLONE_NEWPID", "CLONE_NEWNET"]})),
        label.clone().prop_map(|a| json!({"op": "exec", "as": a, "command": "sh"})),
        label.clone().prop_map(|a| json!({"op": "ps", "as": a})),
        label.clone().prop_map(|a| json!({"op": "setuid", "as": a, "uid": 1000, "gid": 1000})),
        label.clone().prop_map(|a| json!({"op": "mount", "as": a, "fstype": "proc", "source": "proc", "target": "/proc"})),
        (label.clone(), label.clone()).prop_map(|(a, t)| json!({"op": "ns_open", "as": a, "target": t, "kind": "net", "fd": "f"})),
        label.clone().prop_map(|a| json!({"op": "ns_close", "as": a, "fd": "f"})),
        (label.clone(), label.clone()).prop_map(|(a, t)| json!({"op": "ns_bind", "as": a, "target": t, "kind": "uts", "path": "/run/x"})),
        label.clone().prop_map(|a| json!({"op": "umount", "as": a, "target": "/run/x"})),
        label.clone().prop_map(|a| json!({"op": "ip_link_add_veth", "as": a, "name": "v0", "peer": "v1"})),
        (label.clone(), label.clone()).prop_map(|(a, t)| json!({"op": "ip_link_set_netns", "as": a, "dev": "v1", "target": t})),
        (label.clone(), label.clone()).prop_map(|(a, t)| json!({"op": "ip_link_set_netns", "as": a, "dev": "eth1", "target": t})),
        label.clone().prop_map(|a| json!({"op": "make_shared", "as": a, "target": "/", "recursive": true})),
        label.clone().prop_map(|a| json!({"op": "make_slave", "as": a, "target": "/", "recursive": true})),
        label.clone().prop_map(|a| json!({"op": "mount", "as": a, "fstype": "tmpfs", "source": "tmpfs", "target": "/mnt"})),
        label.clone().prop_map(|a| json!({"op": "umount", "as": a, "target": "/mnt", "lazy": true})),
        (label.clone(), label.clone()).prop_map(|(a, c)| json!({"op": "unshare_cmd", "as": a, "flags": ["CLONE_NEWPID", "CLONE_NEWNS"], "fork": true, "child": c, "mount_proc": true})),
        label.clone().prop_map(|a| json!({"op": "unshare_cmd", "as": a, "flags": ["CLONE_NEWUSER", "CLONE_NEWTIME"], "map_root_user": true})),
        (label.clone(), prop::sample::select(vec!["0 0 1", "0 1000 1", "0 100000 65536"])).prop_map(|(a, m)| json!({"op": "write_uid_map", "as": a, "map": m})),
        label.clone().prop_map(|a| json!({"op": "write_setgroups", "as": a, "value": "deny"})),
        (label.clone(), -5000i64..5000).prop_map(|(a, s)| json!({"op": "set_time_offset", "as": a, "clock": "boottime", "offset_secs": s})),
        label.clone().prop_map(|a| json!({"op": "cgroup_move", "as": a, "path": "/x"})),
        label.clone().prop_map(|a| json!({"op": "mount", "as": a, "source": "/srv/img", "target": "/srv/img", "bind": true})),
        label.clone().prop_map(|a| json!({"op": "pivot_root", "as": a, "new_root": "/srv/img", "put_old": "/srv/img/old"})),
        label.clone().prop_map(|a| json!({"op": "sethostname", "as": a, "hostname": "h"})),
        label.clone().prop_map(|a| json!({"op": "listen", "as": a, "port": 80})),
        (label.clone(), prop::sample::select(vec!["127.0.0.1", "10.0.0.2"])).prop_map(|(a, d)| json!({"op": "connect", "as": a, "addr": d, "port": 80})),
        label.clone().prop_map(|a| json!({"op": "ip_addr_add", "as": a, "dev": "v0", "addr": "10.0.0.1/24"})),
        label.clone().prop_map(|a| json!({"op": "ipcmk", "as": a, "kind": "shm"})),
        (label.clone(), 0i32..3).prop_map(|(a, id)| json!({"op": "ipcrm", "as": a, "kind": "shm", "id": id})),
        label.clone().prop_map(|a| json!({"op": "cap_drop", "as": a, "caps": ["CAP_SYS_ADMIN"]})),
        label.clone().prop_map(|a| json!({"op": "sigaction", "as": a, "signal": "SIGTERM", "action": "handle"})),
        label.clone().prop_map(|a| json!({"op": "sigaction", "as": a, "signal": "SIGCHLD", "action": "ignore"})),
        label.prop_map(|a| json!({"op": "lsns", "as": a})),
    ]
}

fn check_invariants(s: &NamespacesSim) {
    assert_eq!(s.audit_references(), Vec::<String>::new());
    for (id, p) in s.processes() {
        // One pid per level, from level 0 to its own namespace's level.
        let ns = p.pid_ns();
        let info = s.pid_namespace(ns).expect("active pid namespace is alive");
        assert_eq!(p.pids().len(), info.level as usize + 1);
        for (level, &(pns, nr)) in p.pids().iter().enumerate() {
            let i = s.pid_namespace(pns).unwrap();
            assert_eq!(i.level as usize, level);
            assert!(
                i.members.contains(&(nr, id)),
                "pid {nr} of {} missing from its namespace",
                p.label()
            );
        }
        // No live process in a pid namespace whose init has died.
        if p.state() != ProcState::Zombie {
            assert!(
                info.adding || info.child_reaper == Some(id),
                "{} lives in a dead pid namespace",
                p.label()
            );
        }
        match p.parent() {
            None => assert_eq!(p.label(), "init"),
            Some(pp) => assert!(s.process_by_id(pp).unwrap().children().contains(&id)),
        }
        for &c in p.children() {
            assert_eq!(s.process_by_id(c).unwrap().parent(), Some(id));
        }
    }
    for (ns, kind, _) in s.namespaces() {
        if kind == NamespaceKind::Pid {
            let info = s.pid_namespace(ns).unwrap();
            let mut pids: Vec<u32> = info.members.iter().map(|m| m.0).collect();
            let n = pids.len();
            pids.dedup();
            assert_eq!(pids.len(), n, "pids unique per namespace");
            for (_, id) in info.members {
                assert!(s.process_by_id(id).is_some());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_op_sequences_keep_the_process_table_consistent(ops in prop::collection::vec(arb_op(), 1..60)) {
        let mut s = sim();
        for v in ops {
            let o = op(v);
            let before = state(&s);
            if s.apply(&o).is_err() {
                prop_assert_eq!(&state(&s), &before, "a failed op changed the state: {:?}", o);
            }
            check_invariants(&s);
        }
    }

    #[test]
    fn random_scenarios_never_fail_to_run(ops in prop::collection::vec(arb_op(), 0..30)) {
        let doc = json!({"ops": ops}).to_string();
        let trace = run_scenario(&doc).unwrap();
        prop_assert_eq!(trace.as_array().unwrap().len(), ops_len(&doc));
    }
}

fn ops_len(doc: &str) -> usize {
    serde_json::from_str::<Value>(doc).unwrap()["ops"].as_array().unwrap().len()
}

// ---- every remaining error message, one case each ----

/// Runs `setup` (which must succeed), then asserts that `failing` fails with `message`.
fn assert_fails(setup: &[Value], failing: Value, message: &str) {
    let mut s = sim();
    for v in setup {
        apply(&mut s, v.clone()).unwrap_or_else(|e| panic!("setup {v} failed: {e}"));
    }
    let before = state(&s);
    let got = apply(&mut s, failing.clone()).err().map(|e| e.to_string());
    assert_eq!(got.as_deref(), Some(message), "for {failing}");
    assert_eq!(state(&s), before, "{failing} changed the state");
}

fn shell_in(flags: &[&str]) -> Vec<Value> {
    vec![
        json!({"op": "fork", "as": "init", "child": "u"}),
        json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
        json!({"op": "unshare", "as": "u", "flags": flags}),
    ]
}

#[test]
fn mount_errors() {
    let fork = json!({"op": "fork", "as": "init", "child": "c"});
    let private = json!({"op": "unshare_cmd", "as": "c", "flags": ["CLONE_NEWNS"]});
    assert_fails(
        &[],
        json!({"op": "make_private", "as": "init", "target": "/nope"}),
        "EINVAL: `/nope` is not a mount point",
    );
    assert_fails(
        &[],
        json!({"op": "mount", "as": "init", "source": "x", "target": "/mnt"}),
        "EINVAL: a mount needs `fstype` unless it is a bind mount",
    );
    assert_fails(
        &shell_in(&["CLONE_NEWUSER", "CLONE_NEWNS"]),
        json!({"op": "mount", "as": "u", "fstype": "ext4", "source": "/dev/sdb1", "target": "/mnt"}),
        "EPERM: ext4 cannot be mounted from a non-initial user namespace (no FS_USERNS_MOUNT)",
    );
    assert_fails(
        &shell_in(&["CLONE_NEWUSER", "CLONE_NEWNS"]),
        json!({"op": "mount", "as": "u", "fstype": "proc", "source": "proc", "target": "/proc"}),
        "EPERM: mounting proc needs CAP_SYS_ADMIN in user:[4026531837], the owner of pid:[4026531836]",
    );
    assert_fails(
        &[
            json!({"op": "fork", "as": "init", "child": "u"}),
            json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
        ],
        json!({"op": "mount", "as": "u", "fstype": "tmpfs", "source": "tmpfs", "target": "/mnt"}),
        "EPERM: mount needs CAP_SYS_ADMIN in user:[4026531837], the owner of mnt:[4026531840]",
    );
    assert_fails(
        &[],
        json!({"op": "setns", "as": "init", "path": "/proc"}),
        "EINVAL: `/proc` is not an ns file",
    );
    assert_fails(
        &[],
        json!({"op": "umount", "as": "init", "target": "/"}),
        "EBUSY: the root mount is in use",
    );
    assert_fails(
        &[
            json!({"op": "mount", "as": "init", "fstype": "tmpfs", "source": "tmpfs", "target": "/sys/fs/cgroup/x"}),
        ],
        json!({"op": "umount", "as": "init", "target": "/sys"}),
        "EBUSY: `/sys` has mounts on it",
    );
    let pivot = |new_root: &str, put_old: &str| json!({"op": "pivot_root", "as": "c", "new_root": new_root, "put_old": put_old});
    let in_private = [fork.clone(), private.clone()];
    let busy = "EBUSY: new_root or put_old is on the current root mount";
    assert_fails(&in_private, pivot("/", "/old"), busy);
    assert_fails(&in_private, pivot("/run", "/old"), busy);
    assert_fails(&in_private, pivot("/var/lib/images/x", "/var/lib/images/x/old"), busy);
    assert_fails(
        &in_private,
        pivot("/run/sub", "/run/sub/old"),
        "EINVAL: new_root is not a mount point",
    );
    assert_fails(
        &in_private,
        pivot("/run", "/dev/old"),
        "EINVAL: put_old is not underneath new_root",
    );
    assert_fails(
        &[],
        json!({"op": "pivot_root", "as": "init", "new_root": "/run", "put_old": "/run/old"}),
        "EINVAL: the mount of put_old or the parent of new_root is shared (make them private first)",
    );
    assert_fails(
        &[fork.clone(), private.clone(), json!({"op": "umount", "as": "c", "target": "/proc"})],
        json!({"op": "ps", "as": "c"}),
        "ENOENT: no proc mounted at /proc",
    );
    assert_fails(
        &[
            fork.clone(),
            private,
            json!({"op": "mount", "as": "c", "fstype": "tmpfs", "source": "tmpfs", "target": "/proc"}),
        ],
        json!({"op": "read", "as": "c", "file": "status"}),
        "ENOENT: the mount at /proc is not proc",
    );
    assert_fails(
        &[],
        json!({"op": "mount", "as": "init", "fstype": "tmpfs", "source": "tmpfs", "target": "mnt"}),
        "EINVAL: `mnt` is not an absolute path of at most 256 bytes",
    );
    assert_fails(
        &[],
        json!({"op": "ns_bind", "as": "init", "kind": "mnt", "path": "/run/m"}),
        "EINVAL: binding a mount namespace file is not modelled (mnt_ns_loop)",
    );
}

#[test]
fn network_errors() {
    let veth = json!({"op": "ip_link_add_veth", "as": "init", "name": "a", "peer": "b"});
    assert_fails(
        &[],
        json!({"op": "connect", "as": "init", "addr": "10.0.0.300", "port": 1}),
        "EINVAL: `10.0.0.300` is not an IPv4 address",
    );
    assert_fails(
        &[],
        json!({"op": "ip_link_set_up", "as": "init", "dev": "eth9"}),
        "ENODEV: no device `eth9` in net:[4026531992]",
    );
    assert_fails(
        &[],
        json!({"op": "ip_link_add_veth", "as": "init", "name": "a-very-long-name0", "peer": "b"}),
        "EINVAL: `a-very-long-name0` is not a valid interface name (1 to 15 bytes)",
    );
    assert_fails(
        &[],
        json!({"op": "ip_link_add_veth", "as": "init", "name": "eth0", "peer": "b"}),
        "EEXIST: a device `eth0` exists in net:[4026531992]",
    );
    assert_fails(
        &[],
        json!({"op": "ip_link_add_veth", "as": "init", "name": "a", "peer": "a"}),
        "EEXIST: both ends have the same name",
    );
    assert_fails(
        std::slice::from_ref(&veth),
        json!({"op": "ip_addr_add", "as": "init", "dev": "a", "addr": "10.1.1.1"}),
        "EINVAL: `10.1.1.1` is not address/prefix",
    );
    assert_fails(
        std::slice::from_ref(&veth),
        json!({"op": "ip_addr_add", "as": "init", "dev": "a", "addr": "10.1.1.1/33"}),
        "EINVAL: `10.1.1.1/33` has no prefix length 0..32",
    );
    assert_fails(
        &[],
        json!({"op": "ip_addr_add", "as": "init", "dev": "eth0", "addr": "192.0.2.10/24"}),
        "EEXIST: 192.0.2.10 is already on eth0",
    );
    assert_fails(
        &[],
        json!({"op": "listen", "as": "init", "addr": "10.9.9.9", "port": 80}),
        "EADDRNOTAVAIL: 10.9.9.9 is not a local address of net:[4026531992]",
    );
    assert_fails(
        &[json!({"op": "listen", "as": "init", "port": 80})],
        json!({"op": "listen", "as": "init", "addr": "127.0.0.1", "port": 80}),
        "EADDRINUSE: port 80 is already bound",
    );
    assert_fails(
        &[],
        json!({"op": "ping", "as": "init", "addr": "192.0.2.1"}),
        "EHOSTUNREACH: no neighbour answers for 192.0.2.1",
    );
    assert_fails(
        &[],
        json!({"op": "ping", "as": "init", "addr": "8.8.8.8"}),
        "ENETUNREACH: net:[4026531992] has no route to 8.8.8.8",
    );
    assert_fails(
        &[
            json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWNET"]}),
            json!({"op": "ip_link_add_veth", "as": "c", "name": "eth1", "peer": "x"}),
        ],
        json!({"op": "ip_link_set_netns", "as": "c", "dev": "eth1", "target": "init"}),
        "EEXIST: a device `eth1` exists in net:[4026531992]",
    );
    assert_fails(
        &shell_in(&["CLONE_NEWUSER", "CLONE_NEWNET"]),
        json!({"op": "ip_link_set_netns", "as": "u", "dev": "lo", "target": "init"}),
        "EPERM: ip link set netns needs CAP_NET_ADMIN in user:[4026531837], the owner of net:[4026531992]",
    );
    // `rtnl_setlink` looks the device up before `do_setlink` checks the target namespace.
    assert_fails(
        &shell_in(&["CLONE_NEWUSER", "CLONE_NEWNET"]),
        json!({"op": "ip_link_set_netns", "as": "u", "dev": "nope", "target": "init"}),
        "ENODEV: no device `nope` in net:[4026532201]",
    );
}

#[test]
fn process_and_namespace_errors() {
    assert_fails(
        &[],
        json!({"op": "fork", "as": "init", "child": ""}),
        "EINVAL: a label must be 1 to 256 bytes",
    );
    assert_fails(
        &[],
        json!({"op": "unshare_cmd", "as": "init", "flags": [], "fork": true}),
        "EINVAL: --fork needs a `child` label",
    );
    assert_fails(
        &[],
        json!({"op": "unshare_cmd", "as": "init", "flags": [], "child": "x"}),
        "EINVAL: `child` is only used with --fork",
    );
    assert_fails(
        &[],
        json!({"op": "ns_open", "as": "init", "kind": "foo", "fd": "f"}),
        "ENOENT: no /proc/<pid>/ns/foo",
    );
    assert_fails(
        &[],
        json!({"op": "setns", "as": "init", "fd": "f"}),
        "EINVAL: `init` has no open ns fd `f`",
    );
    assert_fails(
        &[],
        json!({"op": "ns_close", "as": "init", "fd": "f"}),
        "EINVAL: `init` has no open ns fd `f`",
    );
    assert_fails(
        &[],
        json!({"op": "setns", "as": "init"}),
        "EINVAL: setns takes exactly one of `fd`, `path` or `target`",
    );
    assert_fails(
        &[],
        json!({"op": "setns", "as": "init", "target": "init"}),
        "EINVAL: setns by pidfd needs at least one CLONE_NEW* kind",
    );
    let open = json!({"op": "ns_open", "as": "init", "kind": "net", "fd": "f"});
    assert_fails(
        std::slice::from_ref(&open),
        json!({"op": "setns", "as": "init", "fd": "f", "kinds": ["CLONE_NEWUTS"]}),
        "EINVAL: nstype does not match the namespace of the fd",
    );
    assert_fails(std::slice::from_ref(&open), open.clone(), "EEXIST: fd `f` is already open");
    assert_fails(
        &[
            json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWNS"]}),
            json!({"op": "cap_drop", "as": "init", "caps": ["CAP_SYS_CHROOT"]}),
        ],
        json!({"op": "setns", "as": "init", "target": "c", "kinds": ["CLONE_NEWNS"]}),
        "EPERM: setns into a mount namespace needs CAP_SYS_CHROOT in user:[4026531837], which the caller does not have",
    );
    assert_fails(
        &[json!({"op": "fork", "as": "init", "child": "z"}), json!({"op": "exit", "as": "z"})],
        json!({"op": "exec", "as": "z", "command": "ls"}),
        "no process labelled `z`",
    )
}

#[test]
fn pid_space_and_process_limits() {
    let mut s = sim();
    for i in 0..19_999 {
        apply(&mut s, json!({"op": "fork", "as": "init", "child": format!("p{i}")})).unwrap();
    }
    assert_eq!(s.process_count(), 20_000);
    assert_eq!(
        err(&mut s, json!({"op": "fork", "as": "init", "child": "one-more"})),
        "simulation limit: at most 20000 processes"
    );
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWPID"]}))
        .unwrap();
    let (fork, exit, wait) = (
        op(json!({"op": "fork", "as": "c", "child": "p"})),
        op(json!({"op": "exit", "as": "p"})),
        op(json!({"op": "wait", "as": "c"})),
    );
    for _ in 2..32_768 {
        s.apply(&fork).unwrap();
        s.apply(&exit).unwrap();
        s.apply(&wait).unwrap();
    }
    // After pid 32767 both allocators wrap to RESERVED_PIDS (300), not to 2.
    let out = apply(&mut s, json!({"op": "fork", "as": "c", "child": "wrapped"})).unwrap();
    assert_eq!(out, Outcome::Pid { pid: 300, pid_inside: 300 });
    let pids: Vec<u32> = s.process("wrapped").unwrap().pids().iter().map(|p| p.1).collect();
    assert_eq!(pids, vec![301, 300]);
}

#[test]
fn user_map_and_credential_errors() {
    let child_ns = json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWUSER"]});
    assert_fails(
        &[
            child_ns.clone(),
            json!({"op": "fork", "as": "init", "child": "x"}),
            json!({"op": "clone", "as": "x", "child": "y", "flags": ["CLONE_NEWUSER"]}),
        ],
        json!({"op": "write_uid_map", "as": "c", "target": "y", "map": "0 0 1"}),
        "EPERM: uid_map may only be written from the namespace or its parent",
    );
    assert_fails(
        &[
            child_ns.clone(),
            json!({"op": "fork", "as": "init", "child": "u"}),
            json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
        ],
        json!({"op": "write_uid_map", "as": "u", "target": "c", "map": "0 1000 1"}),
        "EPERM: writing uid_map needs CAP_SYS_ADMIN in the target user namespace",
    );
    assert_fails(
        &[child_ns.clone(), json!({"op": "cap_drop", "as": "init", "caps": ["CAP_SETFCAP"]})],
        json!({"op": "write_uid_map", "as": "init", "target": "c", "map": "0 0 1"}),
        "EPERM: mapping uid 0 of the parent needs CAP_SETFCAP there (verify_root_map)",
    );
    let mut mapped = shell_in(&["CLONE_NEWUSER"]);
    mapped.push(json!({"op": "write_uid_map", "as": "u", "map": "0 1000 1"}));
    mapped.push(json!({"op": "write_setgroups", "as": "u", "value": "deny"}));
    mapped.push(json!({"op": "write_gid_map", "as": "u", "map": "0 1000 1"}));
    assert_fails(
        &mapped,
        json!({"op": "setuid", "as": "u", "uid": 5, "gid": 0}),
        "EINVAL: uid 5 is not mapped in the caller's user namespace",
    );
    assert_fails(
        &mapped,
        json!({"op": "setuid", "as": "u", "uid": 0, "gid": 5}),
        "EINVAL: gid 5 is not mapped in the caller's user namespace",
    );
    assert_fails(
        &mapped,
        json!({"op": "write_setgroups", "as": "u", "value": "allow"}),
        "EPERM: setgroups cannot be re-enabled after \"deny\"",
    );
    assert_fails(
        &mapped,
        json!({"op": "write_setgroups", "as": "u", "value": "maybe"}),
        "EINVAL: setgroups takes \"allow\" or \"deny\", not `maybe`",
    );
    assert_fails(
        &[
            child_ns.clone(),
            json!({"op": "write_gid_map", "as": "init", "target": "c", "map": "0 0 1"}),
        ],
        json!({"op": "write_setgroups", "as": "init", "target": "c", "value": "deny"}),
        "EPERM: setgroups cannot be denied after gid_map was written",
    );
    assert_fails(
        &[
            json!({"op": "fork", "as": "init", "child": "u"}),
            json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
        ],
        json!({"op": "write_setgroups", "as": "u", "target": "init", "value": "deny"}),
        "EPERM: writing setgroups needs CAP_SYS_ADMIN in the target user namespace",
    );
    assert_fails(
        std::slice::from_ref(&child_ns),
        json!({"op": "write_uid_map", "as": "init", "target": "c", "map": "0 4294967290 10"}),
        "EINVAL: map line `0 4294967290 10` has an empty or overflowing range",
    );
    assert_fails(
        std::slice::from_ref(&child_ns),
        json!({"op": "write_uid_map", "as": "init", "target": "c", "map": "x".repeat(5000)}),
        "EINVAL: a map write must be shorter than a page (4096 bytes)",
    );
    assert_fails(
        &[json!({"op": "cap_drop", "as": "init", "caps": ["CAP_SETGID"]})],
        json!({"op": "setuid", "as": "init", "uid": 0, "gid": 7}),
        "EPERM: setresgid to another gid needs CAP_SETGID",
    );
    let mut nested = shell_in(&["CLONE_NEWUSER"]);
    nested.push(json!({"op": "write_uid_map", "as": "u", "map": "0 1000 1"}));
    nested.push(json!({"op": "write_setgroups", "as": "u", "value": "deny"}));
    nested.push(json!({"op": "write_gid_map", "as": "u", "map": "0 1000 1"}));
    nested.push(json!({"op": "clone", "as": "u", "child": "v", "flags": ["CLONE_NEWUSER"]}));
    assert_fails(
        &nested,
        json!({"op": "write_uid_map", "as": "u", "target": "v", "map": "0 5 1"}),
        "EPERM: outside ids 5..=5 are not mapped in the parent by one extent",
    );
}

#[test]
fn time_cgroup_and_ipc_errors() {
    assert_fails(
        &[
            json!({"op": "ipcmk", "as": "init", "kind": "shm"}),
            json!({"op": "fork", "as": "init", "child": "u"}),
            json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
        ],
        json!({"op": "ipcrm", "as": "u", "kind": "shm", "id": 0}),
        "EPERM: only the creator or CAP_SYS_ADMIN over the ipc namespace may remove it",
    );
    let t = json!({"op": "unshare", "as": "init", "flags": ["CLONE_NEWTIME"]});
    assert_fails(
        std::slice::from_ref(&t),
        json!({"op": "set_time_offset", "as": "init", "clock": "monotonic", "offset_secs": 1, "offset_nanos": 1_000_000_000u32}),
        "EINVAL: nanoseconds must be below 1000000000",
    );
    assert_fails(
        std::slice::from_ref(&t),
        json!({"op": "set_time_offset", "as": "init", "clock": "monotonic", "offset_secs": i64::MAX}),
        "ERANGE: the offset is beyond KTIME_SEC_MAX",
    );
    assert_fails(
        &[
            json!({"op": "fork", "as": "init", "child": "u"}),
            json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
            t,
        ],
        json!({"op": "set_time_offset", "as": "u", "target": "init", "clock": "boottime", "offset_secs": 1}),
        "EPERM: writing timens_offsets needs CAP_SYS_TIME in user:[4026531837], the owner of time:[4026532200]",
    );
    assert_fails(
        &[],
        json!({"op": "cgroup_move", "as": "init", "path": ""}),
        "EINVAL: a cgroup path must be 1 to 256 bytes",
    );
    assert_fails(
        &[],
        json!({"op": "cgroup_move", "as": "init", "path": "/a".repeat(65)}),
        "EINVAL: cgroup path too deep",
    );
    let mut s = sim();
    for _ in 0..4096 {
        apply(&mut s, json!({"op": "ipcmk", "as": "init", "kind": "shm"})).unwrap();
    }
    assert_eq!(
        err(&mut s, json!({"op": "ipcmk", "as": "init", "kind": "shm"})),
        "ENOSPC: the namespace has 4096 shm objects, the limit"
    );
    let mut s = sim();
    for i in 0..4096 {
        apply(&mut s, json!({"op": "mq_open", "as": "init", "name": format!("/q{i}")})).unwrap();
    }
    assert_eq!(
        err(&mut s, json!({"op": "mq_open", "as": "init", "name": "/last"})),
        "ENOSPC: too many queues"
    );
}

#[test]
fn a_new_pid_namespace_must_be_owned_below_its_parents_owner() {
    assert_fails(
        &[
            json!({"op": "clone", "as": "init", "child": "a", "flags": ["CLONE_NEWUSER", "CLONE_NEWPID"]}),
            json!({"op": "fork", "as": "init", "child": "r0"}),
            json!({"op": "setns", "as": "r0", "target": "a", "kinds": ["CLONE_NEWPID"]}),
            json!({"op": "fork", "as": "r0", "child": "r"}),
        ],
        json!({"op": "clone", "as": "r", "child": "x", "flags": ["CLONE_NEWPID"]}),
        "EINVAL: the caller's user namespace is not below the owner of its pid namespace",
    );
}

#[test]
fn permission_is_checked_before_arguments() {
    let unprivileged = [
        json!({"op": "fork", "as": "init", "child": "u"}),
        json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
    ];
    assert_fails(
        &unprivileged,
        json!({"op": "sethostname", "as": "u", "hostname": "h".repeat(65)}),
        "EPERM: sethostname needs CAP_SYS_ADMIN in user:[4026531837], the owner of uts:[4026531838]",
    );
    assert_fails(
        &unprivileged,
        json!({"op": "write_setgroups", "as": "u", "target": "init", "value": "maybe"}),
        "EPERM: writing setgroups needs CAP_SYS_ADMIN in the target user namespace",
    );
}

#[test]
fn read_only_accessors_expose_the_typed_state() {
    let mut s = sim();
    assert_eq!(s.host_clocks_ns(), (1_000_000_000_000, 1_000_000_000_000));
    let names: Vec<&str> = NamespaceKind::ALL.iter().map(|k| k.proc_name()).collect();
    assert_eq!(names, ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]);
    let o = op(json!({"op": "exec", "as": "init", "command": "sh"}));
    assert_eq!(o.actor(), Some("init"));
    assert_eq!(op(json!({"op": "sleep", "seconds": 1})).actor(), None);
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "a"})).unwrap();
    apply(&mut s, json!({"op": "set_child_subreaper", "as": "a", "on": true})).unwrap();
    apply(&mut s, json!({"op": "fork", "as": "a", "child": "b"})).unwrap();
    apply(&mut s, json!({"op": "exit", "as": "b", "code": 3})).unwrap();
    let a = s.process("a").unwrap();
    assert!(a.is_child_subreaper());
    assert_eq!(a.comm(), "systemd");
    let b_id = a.children()[0];
    assert_eq!(s.process_id("b"), Some(b_id));
    assert_eq!(s.process_by_id(b_id).unwrap().exit_status(), Some(ExitStatus::Exited(3)));
    assert_eq!(wasm_demos::namespaces::Capability::SYS_ADMIN.bit(), 21);
    assert_eq!(wasm_demos::namespaces::CAP_NAMES[21], "CAP_SYS_ADMIN");
}

#[test]
fn mounts_copied_into_a_less_privileged_namespace_are_locked() {
    let rootless = [
        json!({"op": "fork", "as": "init", "child": "u"}),
        json!({"op": "setuid", "as": "u", "uid": 1000, "gid": 1000}),
        json!({"op": "unshare_cmd", "as": "u", "flags": ["CLONE_NEWUSER", "CLONE_NEWNS"], "map_root_user": true}),
    ];
    assert_fails(
        &rootless,
        json!({"op": "umount", "as": "u", "target": "/proc"}),
        "EINVAL: `/proc` is locked: it came from a more privileged mount namespace (MNT_LOCKED)",
    );
    assert_fails(
        &rootless,
        json!({"op": "mount", "as": "u", "source": "/sys", "target": "/mnt", "bind": true}),
        "EINVAL: `/sys` has locked mounts under it (MNT_LOCKED)",
    );
    // What it mounts itself is not locked; pivot_root hands the old root's lock to the new
    // root, so the old tree can be detached as a whole (the rootless-container sequence).
    let mut s = sim();
    for v in rootless {
        apply(&mut s, v).unwrap();
    }
    for v in [
        json!({"op": "mount", "as": "u", "fstype": "tmpfs", "source": "tmpfs", "target": "/mnt"}),
        json!({"op": "umount", "as": "u", "target": "/mnt"}),
        json!({"op": "mount", "as": "u", "source": "/srv/img", "target": "/srv/img", "bind": true}),
        json!({"op": "pivot_root", "as": "u", "new_root": "/srv/img", "put_old": "/srv/img/old"}),
        json!({"op": "umount", "as": "u", "target": "/old", "lazy": true}),
    ] {
        apply(&mut s, v).unwrap();
    }
    let mnt = s.process("u").unwrap().nsproxy().unwrap().mnt;
    let mounts = s.mounts(mnt);
    assert_eq!(mounts.len(), 1);
    assert!(mounts[0].locked);
    assert_eq!((mounts[0].path.as_str(), mounts[0].root.as_str()), ("/", "/srv/img"));
}

#[test]
fn an_init_stopped_from_outside_is_continued_by_sigcont_even_without_a_handler() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWPID"]}))
        .unwrap();
    apply(&mut s, json!({"op": "fork", "as": "c", "child": "inner"})).unwrap();
    let kill = |s: &mut NamespacesSim, from: &str, sig: &str| {
        apply(s, json!({"op": "kill", "as": from, "target": "c", "signal": sig})).unwrap()
    };
    assert_eq!(
        kill(&mut s, "inner", "SIGSTOP"),
        Outcome::Signal("ignored: init has no handler (SIGNAL_UNKILLABLE)")
    );
    assert_eq!(kill(&mut s, "init", "SIGSTOP"), Outcome::Signal("stopped"));
    assert_eq!(s.process("c").unwrap().state(), ProcState::Stopped);
    assert_eq!(kill(&mut s, "inner", "SIGCONT"), Outcome::Signal("continued"));
    assert_eq!(s.process("c").unwrap().state(), ProcState::Running);
    assert_eq!(
        kill(&mut s, "inner", "SIGCONT"),
        Outcome::Signal("ignored: init has no handler (SIGNAL_UNKILLABLE)")
    );
}

#[test]
fn a_stopped_process_makes_no_syscalls() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "a"})).unwrap();
    apply(&mut s, json!({"op": "kill", "as": "init", "target": "a", "signal": "SIGSTOP"})).unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "fork", "as": "a", "child": "b"})),
        "process `a` is stopped: it makes no syscalls until SIGCONT"
    );
    apply(&mut s, json!({"op": "kill", "as": "init", "target": "a", "signal": "SIGCONT"})).unwrap();
    apply(&mut s, json!({"op": "fork", "as": "a", "child": "b"})).unwrap();
}

#[test]
fn the_docs_example_uses_every_op_and_runs() {
    let path = format!("{}/docs/namespaces.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find("### Every op, in one scenario").unwrap();
    let block = &doc[start..];
    let json_start = block.find("```json\n").unwrap() + 8;
    let json_end = json_start + block[json_start..].find("```").unwrap();
    let trace = run_scenario(&block[json_start..json_end]).unwrap();
    let records = trace.as_array().unwrap();
    let errors: Vec<&Value> = records.iter().filter(|r| r.get("error").is_some()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut ops: Vec<&str> = records.iter().map(|r| r["op"]["op"].as_str().unwrap()).collect();
    ops.sort_unstable();
    ops.dedup();
    assert_eq!(ops.len(), 49);
}

/// `alloc_pid` allocates every level before it checks `PIDNS_ADDING`; on the ENOMEM path
/// (`out_unlock` → `out_free`) the pids are removed but `idr_alloc_cyclic` has already moved
/// each cursor past them, so the failed fork into a dead namespace costs the host a pid.
#[test]
fn alloc_pid_enomem_into_a_dead_namespace_still_advances_the_host_cursor() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "shell"})).unwrap();
    apply(&mut s, json!({"op": "unshare", "as": "shell", "flags": ["CLONE_NEWPID"]})).unwrap();
    apply(&mut s, json!({"op": "fork", "as": "shell", "child": "a"})).unwrap();
    assert_eq!(s.process("a").unwrap().pids().iter().map(|p| p.1).collect::<Vec<_>>(), [3, 1]);
    apply(&mut s, json!({"op": "exit", "as": "a"})).unwrap();
    let e = apply(&mut s, json!({"op": "fork", "as": "shell", "child": "b"})).unwrap_err();
    assert!(e.to_string().starts_with("ENOMEM: "), "{e}");
    // Host pid 4 was taken and freed by the failed fork: the next host process gets 5.
    let out = apply(&mut s, json!({"op": "fork", "as": "init", "child": "c"})).unwrap();
    assert_eq!(out, Outcome::Pid { pid: 5, pid_inside: 5 });
}

/// `map_write` → `map_id_range_down(parent_map, lower_first, count)`: an outside range must
/// fit in one extent of the parent's map, even when two parent extents are adjacent.
#[test]
fn map_write_needs_the_outside_range_inside_one_parent_extent() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "a", "flags": ["CLONE_NEWUSER"]}))
        .unwrap();
    apply(
        &mut s,
        json!({"op": "write_uid_map", "as": "init", "target": "a", "map": "0 100000 10\n10 100010 10"}),
    )
    .unwrap();
    apply(
        &mut s,
        json!({"op": "write_gid_map", "as": "init", "target": "a", "map": "0 100000 20"}),
    )
    .unwrap();
    apply(&mut s, json!({"op": "setuid", "as": "a", "uid": 0, "gid": 0})).unwrap();
    apply(&mut s, json!({"op": "clone", "as": "a", "child": "b", "flags": ["CLONE_NEWUSER"]}))
        .unwrap();
    assert_eq!(
        err(&mut s, json!({"op": "write_uid_map", "as": "a", "target": "b", "map": "0 5 10"})),
        "EPERM: outside ids 5..=14 are not mapped in the parent by one extent"
    );
    apply(&mut s, json!({"op": "write_uid_map", "as": "a", "target": "b", "map": "0 10 10\n"}))
        .unwrap();
}

/// `map_write`'s parser: only the final newline may end the text, numbers are bare digits
/// (`simple_strtoul`), `(u32) -1` is no start, and `first + count` may not wrap (u32).
#[test]
fn map_write_parses_lines_like_the_kernel() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWUSER"]}))
        .unwrap();
    let mut write = |map: &str| {
        err(&mut s, json!({"op": "write_uid_map", "as": "init", "target": "c", "map": map}))
    };
    assert_eq!(write("0 0 10\n\n10 10 1"), "EINVAL: map line `` is not \"inside outside count\"");
    assert_eq!(write("+0 0 10"), "EINVAL: `+0` is not an id");
    assert_eq!(
        write("1 0 4294967295"),
        "EINVAL: map line `1 0 4294967295` has an empty or overflowing range"
    );
    assert_eq!(
        write("4294967295 0 1"),
        "EINVAL: map line `4294967295 0 1` starts at 4294967295, the invalid id"
    );
    let long = "0 0 1".to_owned() + &" ".repeat(4091);
    assert_eq!(write(&long), "EINVAL: a map write must be shorter than a page (4096 bytes)");
    // The widest map the kernel accepts: ids 0..=4294967294 (first + count = 2^32 - 1).
    apply(
        &mut s,
        json!({"op": "write_uid_map", "as": "init", "target": "c", "map": "0 0 4294967295\n"}),
    )
    .unwrap();
}

/// `proc_setgroups_write`: "allow"/"deny" must start the write (`strncmp` at offset 0);
/// trailing whitespace is skipped.
#[test]
fn setgroups_takes_the_word_at_the_start_and_trailing_space() {
    let mut s = sim();
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWUSER"]}))
        .unwrap();
    assert_eq!(
        err(
            &mut s,
            json!({"op": "write_setgroups", "as": "init", "target": "c", "value": " deny"})
        ),
        "EINVAL: setgroups takes \"allow\" or \"deny\", not ` deny`"
    );
    apply(
        &mut s,
        json!({"op": "write_setgroups", "as": "init", "target": "c", "value": "deny \n"}),
    )
    .unwrap();
}

/// `proc_timens_set_offset`: the check is on `timespec64_add(now, offset).tv_sec`, which is
/// the floor, so a clock 0.5 s below zero (tv_sec -1) is ERANGE.
#[test]
fn timens_offset_checks_the_floored_seconds() {
    let mut s = sim();
    apply(&mut s, json!({"op": "unshare", "as": "init", "flags": ["CLONE_NEWTIME"]})).unwrap();
    assert_eq!(
        err(
            &mut s,
            json!({"op": "set_time_offset", "as": "init", "clock": "monotonic", "offset_secs": -1001, "offset_nanos": 500_000_000})
        ),
        "ERANGE: the offset would make the clock negative or too large"
    );
    apply(
        &mut s,
        json!({"op": "set_time_offset", "as": "init", "clock": "monotonic", "offset_secs": -1000, "offset_nanos": 0}),
    )
    .unwrap();
}

/// `copy_mnt_ns` → `copy_tree`: the copy starts at the namespace's top mount, the hidden
/// `rootfs` that `/` sits on (it takes the first new id and is the root line's parent), then
/// walks the tree depth first (`next_mnt`), so `/a/x` mounted after `/b` is copied, and listed,
/// before it. A dead namespace frees the rootfs copy's id with the rest.
#[test]
fn copy_tree_copies_the_hidden_rootfs_first_and_walks_depth_first() {
    let mut s = sim();
    for target in ["/a", "/b", "/a/x"] {
        apply(
            &mut s,
            json!({"op": "mount", "as": "init", "fstype": "tmpfs", "source": "tmpfs", "target": target}),
        )
        .unwrap();
    }
    let read = |s: &mut NamespacesSim, who: &str| match apply(
        s,
        json!({"op": "read", "as": who, "file": "mountinfo"}),
    )
    .unwrap()
    {
        Outcome::Lines(lines) => lines,
        other => panic!("{other:?}"),
    };
    let host = read(&mut s, "init");
    assert_eq!(host.first().unwrap(), "21 1 / / shared:1 - ext4 /dev/sda1");
    assert_eq!(
        &host[6..],
        [
            "27 21 / /a shared:7 - tmpfs tmpfs",
            "28 21 / /b shared:8 - tmpfs tmpfs",
            "29 27 / /a/x shared:9 - tmpfs tmpfs"
        ]
    );
    apply(&mut s, json!({"op": "clone", "as": "init", "child": "c", "flags": ["CLONE_NEWNS"]}))
        .unwrap();
    let copy = read(&mut s, "c");
    assert_eq!(copy.first().unwrap(), "31 30 / / shared:1 - ext4 /dev/sda1");
    assert_eq!(
        &copy[6..],
        [
            "37 31 / /a shared:7 - tmpfs tmpfs",
            "38 37 / /a/x shared:9 - tmpfs tmpfs",
            "39 31 / /b shared:8 - tmpfs tmpfs"
        ]
    );
    apply(&mut s, json!({"op": "exit", "as": "c"})).unwrap();
    apply(
        &mut s,
        json!({"op": "mount", "as": "init", "fstype": "tmpfs", "source": "tmpfs", "target": "/c"}),
    )
    .unwrap();
    assert_eq!(read(&mut s, "init").last().unwrap(), "30 21 / /c shared:10 - tmpfs tmpfs");
}

/// `clone_mnt` (no flags) puts a bind mount of a shared mount in its source's peer group, even
/// under a private parent; `do_make_slave` makes it a slave of that group; when the last peer
/// of a group goes (`--make-slave` with no peer left), the group is released and its slaves
/// lose their master (it had none to hand on).
#[test]
fn bind_mounts_join_the_source_peer_group_and_lose_a_released_master() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "c"})).unwrap();
    apply(&mut s, json!({"op": "unshare_cmd", "as": "c", "flags": ["CLONE_NEWNS"]})).unwrap();
    let ops = [
        json!({"op": "mount", "as": "c", "fstype": "tmpfs", "source": "tmpfs", "target": "/x"}),
        json!({"op": "make_shared", "as": "c", "target": "/x"}),
        json!({"op": "mount", "as": "c", "source": "/x", "target": "/y", "bind": true}),
    ];
    for v in ops {
        apply(&mut s, v).unwrap();
    }
    let xy = |s: &mut NamespacesSim| match apply(
        s,
        json!({"op": "read", "as": "c", "file": "mountinfo"}),
    )
    .unwrap()
    {
        Outcome::Lines(lines) => lines
            .into_iter()
            .filter(|l| l.contains(" /x ") || l.contains(" /y "))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        xy(&mut s),
        ["34 28 / /x shared:7 - tmpfs tmpfs", "35 28 / /y shared:7 - tmpfs tmpfs"]
    );
    apply(&mut s, json!({"op": "make_slave", "as": "c", "target": "/y"})).unwrap();
    assert_eq!(
        xy(&mut s),
        ["34 28 / /x shared:7 - tmpfs tmpfs", "35 28 / /y master:7 - tmpfs tmpfs"]
    );
    apply(&mut s, json!({"op": "make_slave", "as": "c", "target": "/x"})).unwrap();
    assert_eq!(xy(&mut s), ["34 28 / /x - tmpfs tmpfs", "35 28 / /y - tmpfs tmpfs"]);
}

/// `pivot_root` tests `MNT_LOCKED` on the mount of `new_root` before its EBUSY loop check: in
/// a mount namespace of a new user namespace every copied mount, `/` included
/// (`lock_mnt_tree`), is locked, so a plain directory of `/` is EINVAL there, not EBUSY.
#[test]
fn pivot_root_checks_mnt_locked_before_ebusy() {
    let mut s = sim();
    apply(&mut s, json!({"op": "fork", "as": "init", "child": "shell"})).unwrap();
    apply(&mut s, json!({"op": "setuid", "as": "shell", "uid": 1000, "gid": 1000})).unwrap();
    apply(
        &mut s,
        json!({"op": "unshare_cmd", "as": "shell", "flags": ["CLONE_NEWUSER", "CLONE_NEWNS"], "map_root_user": true}),
    )
    .unwrap();
    assert_eq!(
        err(
            &mut s,
            json!({"op": "pivot_root", "as": "shell", "new_root": "/srv/rootfs", "put_old": "/srv/rootfs/old"})
        ),
        "EINVAL: new_root is a locked mount (MNT_LOCKED)"
    );
}

/// `mount_capable`: an FS_USERNS_MOUNT filesystem needs CAP_SYS_ADMIN over `fc->user_ns`, for
/// sysfs the owner of the caller's network namespace, so `unshare -Urm` cannot mount sysfs
/// but `unshare -Urmn` can.
#[test]
fn sysfs_in_a_user_namespace_needs_its_own_network_namespace() {
    let mut s = sim();
    for (label, flags) in [
        ("a", json!(["CLONE_NEWUSER", "CLONE_NEWNS"])),
        ("b", json!(["CLONE_NEWUSER", "CLONE_NEWNS", "CLONE_NEWNET"])),
    ] {
        apply(&mut s, json!({"op": "fork", "as": "init", "child": label})).unwrap();
        apply(&mut s, json!({"op": "setuid", "as": label, "uid": 1000, "gid": 1000})).unwrap();
        apply(
            &mut s,
            json!({"op": "unshare_cmd", "as": label, "flags": flags, "map_root_user": true}),
        )
        .unwrap();
    }
    let sysfs = |who: &str| json!({"op": "mount", "as": who, "fstype": "sysfs", "source": "sysfs", "target": "/sys"});
    assert_eq!(
        err(&mut s, sysfs("a")),
        "EPERM: mounting sysfs needs CAP_SYS_ADMIN in user:[4026531837], the owner of net:[4026531992]"
    );
    apply(&mut s, sysfs("b")).unwrap();
}
