// SPDX-License-Identifier: GPL-2.0

use super::events::Worker;
use super::measure::{cycle, needs_first_process};
use super::*;

mod rulecost;

fn args() -> BenchArgs {
    BenchArgs {
        module: "/lib/modules/ns_audit.ko".into(),
        out: "/out".into(),
        ..Default::default()
    }
}

#[test]
fn options_defaults_quick_and_ranges() {
    let o = BenchOptions::new(&args()).unwrap();
    assert_eq!(
        (o.rounds, o.block, o.flood, o.pin),
        (7, Duration::from_millis(1000), 5000, 500)
    );
    assert_eq!(o.types, NsKind::ALL.to_vec());
    // Some types, in record type order, each once.
    let o = BenchOptions::new(&BenchArgs {
        types: vec![NsKind::Time, NsKind::Cgroup, NsKind::Time],
        ..args()
    })
    .unwrap();
    assert_eq!(o.types, [NsKind::Cgroup, NsKind::Time]);
    let q = BenchOptions::new(&BenchArgs {
        quick: true,
        ..args()
    })
    .unwrap();
    assert_eq!((q.rounds, q.block.as_millis(), q.pin), (2, 300, 100));
    let o = BenchOptions::new(&BenchArgs {
        quick: true,
        rounds: Some(3),
        ..args()
    })
    .unwrap();
    assert_eq!(o.rounds, 3);
    for bad in [
        BenchArgs {
            rounds: Some(0),
            ..args()
        },
        BenchArgs {
            block_ms: Some(10),
            ..args()
        },
        BenchArgs {
            flood: Some(1),
            ..args()
        },
        BenchArgs {
            pin: Some(0),
            ..args()
        },
        BenchArgs {
            out: PathBuf::new(),
            ..args()
        },
    ] {
        let e = BenchOptions::new(&bad).unwrap_err();
        assert!(matches!(e, BenchError::BadArg(_)), "{e}");
    }
}

#[test]
fn spread_of_samples() {
    assert_eq!(spread(&[]), None);
    assert_eq!(spread(&[1.0, f64::NAN]), None);
    let s = spread(&[3.0, 1.0, 2.0]).unwrap();
    assert_eq!((s.n, s.median, s.min, s.max), (3, 2.0, 1.0, 3.0));
    assert_eq!((s.q1, s.q3), (1.5, 2.5));
    let s = spread(&[4.0, 1.0, 3.0, 2.0]).unwrap();
    assert_eq!(s.median, 2.5);
    assert_eq!((s.q1, s.q3), (1.75, 3.25));
    let s = spread(&[7.0]).unwrap();
    assert_eq!(
        (s.median, s.min, s.max, s.q1, s.q3),
        (7.0, 7.0, 7.0, 7.0, 7.0)
    );
}

#[test]
fn ratios_are_paired_by_round() {
    assert_eq!(
        paired_ratios(&[90.0, 45.0, 10.0], &[100.0, 50.0, 0.0]),
        [0.9, 0.9]
    );
    let mut t = TypeResult::new(NsKind::Uts, 100);
    t.rates[0] = vec![100.0, 200.0, 150.0];
    t.rates[1] = vec![95.0, 180.0, 150.0];
    let r = t.ratio(Config::Module).unwrap();
    assert_eq!((r.min, r.median, r.max), (0.9, 0.95, 1.0));
    assert_eq!(t.ratio(Config::Rules), None);
}

#[test]
fn configs_rotate_over_rounds() {
    assert_eq!(config_order(0), Config::ALL);
    assert_eq!(config_order(1)[0], Config::Module);
    assert_eq!(config_order(4)[0], Config::AuditOff);
    assert_eq!(config_order(5), Config::ALL);
    for r in 0..5 {
        let mut o = config_order(r).to_vec();
        o.sort();
        assert_eq!(o, Config::ALL);
    }
    assert!(Config::Module.module() && Config::ModuleAuditOff.module());
    assert!(!Config::ModuleAuditOff.audit_enabled() && !Config::AuditOff.audit_enabled());
    assert!(Config::Rules.rules() && !Config::Rules.module());
}

#[test]
fn rules_cover_clone_clone3_unshare() {
    let nrs: Vec<u32> = syscall_rules()
        .iter()
        .map(|r| match r {
            Rule::AlwaysExit { arch, syscall } => {
                assert_eq!(*arch, AUDIT_ARCH_X86_64);
                *syscall
            }
            _ => panic!("not an always,exit rule: {r:?}"),
        })
        .collect();
    assert_eq!(nrs, [56, 435, 272]);
}

#[test]
fn cycles_for_a_block() {
    assert_eq!(cycles_for(1000.0, Duration::from_millis(1500)), 1500);
    assert_eq!(cycles_for(1.0, Duration::from_millis(100)), 20);
    assert_eq!(cycles_for(f64::INFINITY, Duration::from_secs(1)), 20);
    assert_eq!(cycles_for(1e12, Duration::from_secs(1)), 1_000_000);
}

const MEMINFO: &str = "MemTotal:        1023976 kB\nMemFree:         1004228 kB\n\
MemAvailable:     998164 kB\nSlab:               2808 kB\nHugePages_Total:       0\n";

#[test]
fn meminfo_parses() {
    let m = parse_meminfo(MEMINFO).unwrap();
    assert_eq!(m["MemAvailable"], 998164);
    assert_eq!(m["Slab"], 2808);
    assert_eq!(m["HugePages_Total"], 0);
    for bad in [
        "",
        "Slab 12 kB\n",
        "Slab: x kB\n",
        "Slab: 12 MB\n",
        "Slab:\n",
    ] {
        assert!(parse_meminfo(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn proc_stat_parses() {
    let t = "cpu  10 0 20 300 5 1 2 0 0 0\ncpu0 5 0 10 150 2 0 1 0 0 0\n\
cpu1 5 0 10 150 3 1 1 0 0 0\nintr 1 2\nctxt 9\n";
    assert_eq!(parse_proc_stat(t).unwrap(), (305, 338, 2));
    assert!(parse_proc_stat("intr 1\n").is_err());
    assert!(parse_proc_stat("cpu 1 2\n").is_err());
    assert!(parse_proc_stat("cpu 1 2 x 4\n").is_err());
    assert_eq!(parse_number("coresize", "16384\n").unwrap(), 16384);
    assert!(parse_number("coresize", "16k").is_err());
}

#[test]
fn json_numbers() {
    use super::json::Num;
    let j = |v: f64| serde_json::to_string(&Num(v)).unwrap();
    assert_eq!(j(1.5), "1.5");
    assert_eq!(j(2.0), "2");
    assert_eq!(j(0.0), "0");
    assert_eq!(j(-0.0), "0");
    assert_eq!(j(-0.25), "-0.25");
    assert_eq!(j(0.1234567), "0.123457");
    assert_eq!(j(f64::NAN), "null");
    assert_eq!(j(f64::INFINITY), "null");
}

fn report() -> BenchReport {
    let mut t = TypeResult::new(NsKind::Net, 300);
    t.rates = [
        vec![200.0, 210.0],
        vec![190.0, 199.5],
        vec![199.0, 210.0],
        vec![150.0, 168.0],
        vec![202.0, 212.0],
    ];
    t.ns_records = [0.0, 2.0, 0.0, 0.0, 0.0];
    t.records = [0.0, 2.0, 0.0, 4.0, 0.0];
    BenchReport {
        kernel: "7.3.4".into(),
        cpus: 1,
        rounds: 2,
        block_ms: 1500,
        quick: false,
        icount: false,
        types: vec![t],
        flood: FloodResult {
            namespaces: 100,
            rates: vec![1000.0],
            generated: vec![500.0],
            expected: 200,
            received: 200,
            lost: 0,
        },
        module_core: 16384,
        module_init: 0,
        memory: MemResult {
            sets: 10,
            samples: vec![(false, 100, 120), (true, 100, 126)],
        },
        events: Some(events()),
        rule_cost: Some(rule_cost()),
        seconds: 12.0,
    }
}

/// Two rounds of audited getppid calls: 2.0 and 2.2 us per call in the container with the
/// record, 1.6 and 2.0 without; 1.0 on the host in every block but the second round's off,
/// 1.25.
fn events() -> EventsResult {
    EventsResult {
        calls: 40000,
        per_call: [
            vec![2.0e-6, 2.2e-6],
            vec![1.6e-6, 2.0e-6],
            vec![1.0e-6, 1.0e-6],
            vec![1.0e-6, 1.25e-6],
        ],
        records: [4.0, 3.0, 3.0, 3.0],
        info_records: [1.0, 0.0, 0.0, 0.0],
    }
}

/// Two rounds of the rule cost, in microseconds per call in the order of [`RuleBlock::ALL`]:
/// the container at 2.0 without a rule, 2.2 and 2.4 with the uid and mntns_id rules that match
/// nothing, 5.0 and 5.5 with those that select; the host at 1.0, 1.1 and 1.2; the second round
/// as the first but the container's ns-select at 5.0 and the host's ns at 1.32.
fn rule_cost() -> RuleCostResult {
    let us = |a: f64, b: f64| vec![a * 1e-6, b * 1e-6];
    RuleCostResult {
        calls: 30000,
        container_mntns: 4026532100,
        per_call: [
            us(2.0, 2.0),
            us(2.2, 2.2),
            us(2.4, 2.4),
            us(5.0, 5.0),
            us(5.5, 5.0),
            us(1.0, 1.0),
            us(1.1, 1.1),
            us(1.2, 1.32),
        ],
        records: [0.0, 0.0, 0.0, 4.0, 4.0, 0.0, 0.0, 0.0],
    }
}

#[test]
fn targets_per_type() {
    let r = report();
    let t = targets(&r.types[0]);
    // module 0.95, module-audit-off 0.9976, rules 0.775.
    assert_eq!(t[0].1, Some(true));
    assert_eq!(t[1].1, Some(true));
    assert_eq!(t[2].1, Some(true));
    let mut slow = r.types[0].clone();
    slow.rates[1] = vec![100.0, 100.0];
    assert_eq!(
        targets(&slow).map(|x| x.1),
        [Some(false), Some(true), Some(false)]
    );
    assert_eq!(
        targets(&TypeResult::new(NsKind::Mnt, 1)).map(|x| x.1),
        [None, None, None]
    );
}

#[test]
fn memory_per_namespace() {
    let m = report().memory;
    let (slab, avail) = m.per_namespace().unwrap();
    assert_eq!(slab, 0.0);
    // MemAvailable dropped 6 kB more with the module, over 10 sets of one namespace per kind.
    assert!((avail - 6.0 * 1024.0 / (10.0 * NsKind::COUNT as f64)).abs() < 1e-9);
    assert_eq!(MemResult::default().per_namespace(), None);
}

#[test]
fn table_json_and_dat() {
    let r = report();
    let t = render_table(&r);
    // The type in 6 columns ("cgroup" is the longest name), the cycles in 7.
    assert!(t.contains("\nnet        300 "), "{t}");
    assert!(t.contains("0.950 (0.950-0.950)"), "{t}");
    assert!(t.contains("module/baseline >= 0.90: met"), "{t}");
    assert!(t.contains("lost +0"), "{t}");
    // 6 kB over 10 sets of 8 namespaces: 76.8 bytes.
    assert!(t.contains("0 bytes (Slab), 77 bytes (MemAvailable)"), "{t}");
    let j: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    let t0 = &j["types"][0];
    assert_eq!(t0["type"], "net");
    assert_eq!(
        t0["configs"]["module"]["cycles_per_s"],
        serde_json::json!([190, 199.5])
    );
    assert_eq!(t0["configs"]["module"]["ratio"]["median"], 0.95);
    assert_eq!(t0["targets_met"]["module >= rules"], true);
    assert_eq!(j["memory"]["bytes_per_namespace_slab"], 0);
    assert_eq!(j["targets"]["module"], TARGET_MODULE);
    assert_eq!(j["targets"]["module-audit-off"], TARGET_AUDIT_OFF);
    let d = render_dat(&r);
    let lines: Vec<&str> = d.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("# type module module-min module-max"));
    assert!(lines[1].starts_with("net 0.9500 0.9500 0.9500 "), "{d}");
    assert_eq!(lines[1].split(' ').count(), 1 + 4 * 3);
}

#[test]
fn reports_say_what_the_clock_counted() {
    let mut r = report();
    assert!(render_table(&r).contains("\nclock: wall time (QEMU TCG)\n"));
    assert!(render_json(&r).contains("\"clock\": \"wall\","));
    r.icount = true;
    let t = render_table(&r);
    assert!(t.contains("\nclock: instructions (QEMU -icount"), "{t}");
    assert!(render_json(&r).contains("\"clock\": \"instructions\","));
}

#[test]
fn a_cycle_of_each_type_on_this_host() {
    // Forks, unshares, exits: root (or CAP_SYS_ADMIN) only; elsewhere the test says so.
    if let Err(e) = cycle(clone_flag(NsKind::Uts).bits(), false) {
        eprintln!("SKIPPED: unshare(CLONE_NEWUTS) in a child: {e}");
        return;
    }
    for k in NsKind::ALL {
        let first = needs_first_process(k);
        assert_eq!(first, matches!(k, NsKind::Pid | NsKind::Time), "{k:?}");
        cycle(clone_flag(k).bits(), first).unwrap_or_else(|e| panic!("{k:?}: {e}"));
    }
}

#[test]
fn events_options() {
    let o = BenchOptions::new(&args()).unwrap();
    assert_eq!(o.events_block, Some(Duration::from_millis(200)));
    let q = BenchOptions::new(&BenchArgs {
        quick: true,
        ..args()
    })
    .unwrap();
    assert_eq!(q.events_block, Some(Duration::from_millis(100)));
    let o = BenchOptions::new(&BenchArgs {
        events_block_ms: Some(50),
        ..args()
    })
    .unwrap();
    assert_eq!(o.events_block, Some(Duration::from_millis(50)));
    let o = BenchOptions::new(&BenchArgs {
        no_events: true,
        ..args()
    })
    .unwrap();
    assert_eq!(o.events_block, None);
    for bad in [
        BenchArgs {
            no_events: true,
            events_block_ms: Some(200),
            ..args()
        },
        BenchArgs {
            events_block_ms: Some(10),
            ..args()
        },
        BenchArgs {
            events_block_ms: Some(60_001),
            ..args()
        },
    ] {
        let e = BenchOptions::new(&bad).unwrap_err();
        assert!(e.to_string().contains("--events-block-ms"), "{e}");
    }
}

#[test]
fn events_blocks_rotate_and_the_rule_is_getppid() {
    let mut firsts = Vec::new();
    for round in 0..4 {
        let mut o = events_order(round).to_vec();
        firsts.push(o[0]);
        o.sort();
        assert_eq!(o, EventsBlock::ALL);
    }
    assert_eq!(firsts, EventsBlock::ALL);
    assert_eq!(events_order(4), events_order(0));
    let on: Vec<bool> = EventsBlock::ALL.iter().map(|b| b.info()).collect();
    assert_eq!(on, [true, false, true, false]);
    assert_eq!(
        events_rule(),
        Rule::AlwaysExit {
            arch: AUDIT_ARCH_X86_64,
            syscall: 110
        }
    );
}

#[test]
fn events_ratios_are_paired_by_round() {
    let e = events();
    // Container: 2.0/1.6 = 1.25 and 2.2/2.0 = 1.1; host: 1.0 and 0.8.
    let c = e.container_ratio().unwrap();
    assert!(
        (c.median - 1.175).abs() < 1e-9 && (c.min - 1.1).abs() < 1e-9,
        "{c:?}"
    );
    let h = e.host_ratio().unwrap();
    assert!(
        (h.median - 0.9).abs() < 1e-9 && (h.max - 1.0).abs() < 1e-9,
        "{h:?}"
    );
    assert_eq!(EventsResult::default().container_ratio(), None);
}

#[test]
fn events_in_the_table_and_json() {
    let r = report();
    let t = render_table(&r);
    assert!(
        t.contains("audited system call events: 40000 getppid calls per block"),
        "{t}"
    );
    assert!(
        t.contains(
            "\ncontainer-on        2.10 (2.00-2.20)          4.00                1.00  task in new"
        ),
        "{t}"
    );
    assert!(
        t.contains("same round: container 1.175 (1.100-1.250), host 0.900 (0.800-1.000)"),
        "{t}"
    );
    let j: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    let ev = &j["events"];
    assert_eq!(ev["calls_per_block"], 40000);
    assert_eq!(ev["ratio_container_on_off"]["median"], 1.175);
    assert_eq!(ev["ratio_host_on_off"]["min"], 0.8);
    let blocks: Vec<&String> = ev["blocks"].as_object().unwrap().keys().collect();
    assert_eq!(blocks.len(), 4);
    let b = &ev["blocks"]["container-on"];
    assert_eq!(b["us_per_call"], serde_json::json!([2, 2.2]));
    assert_eq!(b["per_call_us"]["median"], 2.1);
    assert_eq!(b["ns_info_per_call"], 1);
    assert_eq!(ev["blocks"]["host-off"]["ns_info_per_call"], 0);
    // Not measured: said so, and null in JSON.
    let mut r = report();
    r.events = None;
    assert!(render_table(&r).contains("audited system call events: not measured (--no-events)"));
    let j: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    assert!(j["events"].is_null());
}

#[test]
fn getppid_workers_on_this_host() {
    let mut host = Worker::start(false).unwrap();
    // The host worker shares this process's mount namespace (where the kernel has NS_GET_ID).
    match nsops::ns_ident(None, NsKind::Mnt) {
        Ok(me) => assert_eq!(host.mntns(), Some(me.id)),
        Err(e) => {
            eprintln!("SKIPPED: NS_GET_ID of /proc/self/ns/mnt: {e}");
            assert_eq!(host.mntns(), None);
        }
    }
    assert!(host.run(100).unwrap() > Duration::ZERO);
    assert!(host.run(1).unwrap() > Duration::ZERO);
    host.stop().unwrap();
    // In new namespaces: root (or unprivileged user namespaces) only.
    match Worker::start(true) {
        Ok(mut c) => {
            // In a mount namespace of its own.
            if let (Some(id), Some(h)) = (c.mntns(), host.mntns()) {
                assert_ne!(id, h);
            }
            assert!(c.run(100).unwrap() > Duration::ZERO);
            c.stop().unwrap();
            // Stopping twice is harmless; a stopped worker runs nothing.
            c.stop().unwrap();
            assert!(c.run(1).is_err());
        }
        Err(e) => eprintln!("SKIPPED: a worker in new namespaces: {e}"),
    }
}
