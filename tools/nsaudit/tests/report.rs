// SPDX-License-Identifier: GPL-2.0

//! `nsaudit report` on logs recorded in the guest and on generated ones.  The expectations are
//! derived from the logs with the validator's parser (`record::parse_log`), not from the
//! report's.

use nsaudit::nsinfo::{check_ns_info, NsInfo, AUDIT_NS_INFO};
use nsaudit::record::{parse_log, Record};
use nsaudit::reference::NsKind;
use nsaudit::report::genlog::{generate, generate_fleet, node_name, GenParams, GenTruth};
use nsaudit::report::{report_from_readers, Attribution, Reason, Report, ReportOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::process::Command;

const VALIDATE: &str = include_str!("fixtures/validate.log");
const CONTAINER: &str = include_str!("fixtures/container.log");

fn report(opts: ReportOptions, log: &str) -> Report {
    report_from_readers(opts, [("log".to_string(), log.as_bytes())])
        .unwrap()
        .into_plain()
        .unwrap()
}

fn records(log: &str) -> Vec<Record> {
    parse_log(log.as_bytes())
        .map(|r| r.expect("the fixture parses").2)
        .collect()
}

fn stamp(r: &Record) -> String {
    format!("{}.{:03}:{}", r.sec, r.msec, r.serial)
}

/// `(kind, id)` of the INIT op=create / DEL records of a log.
fn ns_records(recs: &[Record], init: bool, op: &str) -> Vec<(NsKind, u64, String)> {
    recs.iter()
        .filter_map(|r| {
            let (kind, is_init) = NsKind::from_type(r.ty)?;
            (is_init == init && r.get("op") == Some(op)).then(|| {
                let id = r
                    .get(&format!("{}ns_id", kind.name()))
                    .unwrap()
                    .parse()
                    .unwrap();
                (kind, id, stamp(r))
            })
        })
        .collect()
}

/// Checks what every log must satisfy.
fn check_consistency(log: &str) -> Report {
    let recs = records(log);
    let r = report(ReportOptions::default(), log);
    assert_eq!(r.summary.bad_lines, 0);
    assert_eq!(r.summary.records, recs.len() as u64);
    let events: BTreeSet<String> = recs.iter().map(stamp).collect();
    assert_eq!(r.summary.events, events.len() as u64);
    let creates = ns_records(&recs, true, "create");
    let dels = ns_records(&recs, false, "remove");
    // INIT op=create records per type.
    for k in NsKind::ALL {
        let n = creates.iter().filter(|c| c.0 == k).count() as u64;
        assert_eq!(r.summary.created[k], n, "{k:?}");
        let d = dels.iter().filter(|c| c.0 == k).count() as u64;
        assert_eq!(r.summary.removed[k], d, "{k:?}");
    }
    // Every created namespace is the member of exactly one container: the one its event
    // created, or the one an earlier event of the same program created (a runtime that sets a
    // container up with several calls, the module documentation's "one container per run").
    let mut members: Vec<(NsKind, u64, String)> = r
        .containers
        .iter()
        .flat_map(|c| {
            c.namespaces.iter().map(move |n| {
                let k = NsKind::ALL
                    .into_iter()
                    .find(|k| k.name() == n.kind)
                    .unwrap();
                (k, n.id, c.id.to_string())
            })
        })
        .collect();
    members.sort();
    let mut want = creates.clone();
    want.sort();
    assert_eq!(members.len(), want.len());
    let exe_of = |event: &str| {
        recs.iter()
            .find(|rec| rec.ty == 1300 && stamp(rec) == event)
            .and_then(|rec| rec.get("exe"))
            .map(str::to_string)
    };
    for (m, w) in members.iter().zip(&want) {
        assert_eq!((m.0, m.1), (w.0, w.1));
        if m.2 != w.2 {
            let serial = |s: &str| s.rsplit(':').next().unwrap().parse::<u64>().unwrap();
            assert!(serial(&m.2) < serial(&w.2), "{m:?} {w:?}");
            assert_eq!(exe_of(&m.2), exe_of(&w.2), "{m:?} {w:?}");
        }
    }
    // One container per event that created something, but for those that extended one.
    let by_event: BTreeSet<&String> = creates.iter().map(|c| &c.2).collect();
    let extending: BTreeSet<&String> = members
        .iter()
        .zip(&want)
        .filter(|(m, w)| m.2 != w.2)
        .map(|(_, w)| &w.2)
        .collect();
    assert_eq!(r.containers.len(), by_event.len() - extending.len());
    // Each DEL matches an INIT, or is counted as created before the log.
    let known: BTreeSet<(NsKind, u64)> = recs
        .iter()
        .filter_map(|r| {
            let (kind, init) = NsKind::from_type(r.ty)?;
            let id = r.get(&format!("{}ns_id", kind.name()))?.parse().ok()?;
            init.then_some((kind, id))
        })
        .collect();
    let unknown = dels.iter().filter(|d| !known.contains(&(d.0, d.1))).count();
    assert_eq!(r.summary.removed_unknown, unknown as u64);
    // A container ended exactly when all its namespaces have DEL records, at the last one.
    for c in &r.containers {
        let ends: Vec<&String> = c
            .namespaces
            .iter()
            .filter_map(|n| {
                dels.iter()
                    .find(|d| d.0.name() == n.kind && d.1 == n.id)
                    .map(|d| &d.2)
            })
            .collect();
        if ends.len() == c.namespaces.len() {
            let last = ends
                .iter()
                .max_by_key(|s| s.rsplit(':').next().unwrap().parse::<u64>().unwrap());
            assert_eq!(c.ended.map(|e| e.to_string()).as_ref(), last.copied());
        } else {
            assert!(c.ended.is_none());
        }
    }
    // The creator is the subject of the SYSCALL record of the creating event.
    for c in &r.containers {
        let sys = recs
            .iter()
            .find(|rec| rec.ty == 1300 && stamp(rec) == c.id.to_string())
            .expect("the creating event has a SYSCALL record");
        let who = c.creator.as_ref().unwrap();
        assert_eq!(Some(who.pid.to_string().as_str()), sys.get("pid"));
        assert_eq!(Some(who.ppid.to_string().as_str()), sys.get("ppid"));
        assert_eq!(
            who.exe.as_deref().map(|e| format!("\"{e}\"")).as_deref(),
            sys.get("exe")
        );
        assert_eq!(
            c.syscall.as_ref().map(|s| s.nr.to_string()).as_deref(),
            sys.get("syscall")
        );
    }
    r
}

#[test]
fn validate_log_is_consistent() {
    // The recorded log covers every kind, so the consistency checks below run on all of them.
    let recs = records(VALIDATE);
    for k in NsKind::ALL {
        for ty in [k.init_type(), k.del_type()] {
            assert!(
                recs.iter().any(|r| r.ty == ty),
                "the fixture has no record of type {ty} ({})",
                k.name()
            );
        }
    }
    let r = check_consistency(VALIDATE);
    // nsaudit-guest validate creates its namespaces with unshare and clone from its own children.
    for c in &r.containers {
        assert_eq!(
            c.creator.as_ref().unwrap().exe.as_deref(),
            Some("/bin/nsaudit")
        );
    }
}

#[test]
fn container_log_is_consistent() {
    check_consistency(CONTAINER);
}

/// The serial of the first record of type `ty` whose fields include all of `fields`.
fn serial_of(recs: &[Record], ty: u16, fields: &[(&str, &str)]) -> u64 {
    recs.iter()
        .find(|r| r.ty == ty && fields.iter().all(|(k, v)| r.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("no record {ty} with {fields:?}"))
        .serial
}

#[test]
fn container_log_has_the_scenarios_containers() {
    let recs = records(CONTAINER);
    let r = check_consistency(CONTAINER);
    // unshare -m -u -i -n -p -f: one event, five namespaces, made by busybox's unshare.
    let big = serial_of(&recs, 1300, &[("syscall", "272"), ("a0", "6c020000")]);
    let c = r.containers.iter().find(|c| c.id.serial == big).unwrap();
    let kinds: BTreeSet<&str> = c.namespaces.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, BTreeSet::from(["mnt", "uts", "ipc", "pid", "net"]));
    let who = c.creator.as_ref().unwrap();
    assert_eq!(
        (who.comm.as_deref(), who.exe.as_deref()),
        (Some("unshare"), Some("/bin/busybox"))
    );
    assert_eq!(c.depth, 0);
    // unshare -n inside it: nested, its net derived from the container's.
    let nested = serial_of(&recs, 1300, &[("syscall", "272"), ("a0", "40000000")]);
    let n = r.containers.iter().find(|c| c.id.serial == nested).unwrap();
    assert_eq!(n.parent, Some(c.id));
    assert_eq!(n.depth, 1);
    let net = c.namespaces.iter().find(|x| x.kind == "net").unwrap();
    let nn = r
        .namespaces
        .iter()
        .find(|x| x.ns == n.namespaces[0])
        .unwrap();
    assert_eq!(nn.parent, Some(*net));
    // unshare -U -n: user and net, on the host.
    let un = serial_of(&recs, 1300, &[("syscall", "272"), ("a0", "50000000")]);
    let u = r.containers.iter().find(|c| c.id.serial == un).unwrap();
    let kinds: Vec<&str> = u.namespaces.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, ["user", "net"]);
    assert_eq!(u.parent, None);
    // The nested container's events count in its parent's total.
    assert_eq!(c.events_with_nested, c.events_inside + n.events_with_nested);
}

#[test]
fn container_events_are_those_of_its_tasks() {
    let recs = records(CONTAINER);
    let big = serial_of(&recs, 1300, &[("syscall", "272"), ("a0", "6c020000")]);
    let r = report(
        ReportOptions {
            events: vec![big.to_string().parse().unwrap()],
            ..Default::default()
        },
        CONTAINER,
    );
    let listed: BTreeMap<u64, _> = r
        .selection
        .as_ref()
        .unwrap()
        .events
        .iter()
        .map(|e| (e.stamp.serial, e))
        .collect();
    // execve records (1309) of the commands run inside, and of those run on the host.
    let inside = [
        serial_of(
            &recs,
            1309,
            &[("a0", "\"cat\""), ("a1", "\"/proc/self/status\"")],
        ),
        serial_of(&recs, 1309, &[("a0", "\"sleep\"")]),
        serial_of(&recs, 1309, &[("a0", "\"unshare\""), ("a1", "\"-n\"")]),
    ];
    for s in inside {
        assert!(listed.contains_key(&s), "event {s} is not listed");
    }
    let outside = [
        serial_of(&recs, 1309, &[("a0", "\"unshare\""), ("a1", "\"-m\"")]),
        serial_of(&recs, 1309, &[("a0", "\"unshare\""), ("a1", "\"-U\"")]),
        serial_of(&recs, 1309, &[("a0", "\"true\"")]),
    ];
    for s in outside {
        assert!(!listed.contains_key(&s), "event {s} is listed");
    }
    // The creation and each removal of its five namespaces.
    assert!(listed.contains_key(&big));
    let removals = listed
        .values()
        .filter(|e| e.namespaces.iter().any(|n| n.starts_with("DEL ")))
        .count();
    assert_eq!(removals, 5 + 1);
    // Every listed event belongs to the container or the nested one.
    let c = r.containers.iter().find(|c| c.id.serial == big).unwrap();
    assert_eq!(
        listed.len() as u64,
        c.events_with_nested + 1 + removals as u64
    );
}

#[test]
fn json_and_dot_describe_the_same_report() {
    let r = report(ReportOptions::default(), CONTAINER);
    let mut json = Vec::new();
    r.write_json(&mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        v["containers"].as_array().unwrap().len(),
        r.containers.len()
    );
    assert_eq!(v["summary"]["created"]["net"], 3);
    let mut dot = Vec::new();
    r.write_dot(&mut dot).unwrap();
    let dot = String::from_utf8(dot).unwrap();
    let edges = dot.lines().filter(|l| l.contains(" -> ")).count();
    let with_parent = r.namespaces.iter().filter(|n| n.parent.is_some()).count();
    assert_eq!(edges, with_parent);
    assert_eq!(dot.matches("subgraph cluster_").count(), r.containers.len());
}

fn check_generated(p: &GenParams) {
    let path = std::env::temp_dir().join(format!(
        "nsaudit-genlog-{}-{}-{}.log",
        std::process::id(),
        p.records,
        p.ns_info
    ));
    let f = std::fs::File::create(&path).unwrap();
    let truth = generate(p, std::io::BufWriter::new(f)).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    let r = report_from_readers(
        ReportOptions::default(),
        [("gen".to_string(), BufReader::new(f))],
    )
    .unwrap()
    .into_plain()
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(truth.records >= p.records);
    assert_eq!(truth.info_events > 0, p.ns_info);
    check_truth(&r, &truth);
}

/// Checks that the report of a generated log finds what the simulation did.
fn check_truth(r: &Report, truth: &GenTruth) {
    assert_eq!(r.summary.records, truth.records);
    assert_eq!(r.summary.events, truth.events);
    assert_eq!(r.summary.bad_lines + r.summary.warnings, 0);
    assert_eq!(r.summary.created.0, truth.created);
    assert_eq!(r.summary.removed.0, truth.removed);
    assert_eq!(r.summary.existing.0, truth.existing);
    assert_eq!(r.summary.containers, truth.containers);
    assert_eq!(r.summary.containers_ended, truth.ended);
    assert_eq!(r.summary.removed_unknown, 0);
    assert!(truth.inode_reuses > 0);
    // Every type is created and removed (containers still alive at the end keep theirs).
    for k in NsKind::ALL {
        let i = k.index();
        assert!(truth.created[i] > 0 && truth.removed[i] > 0, "{k:?}");
    }
    // Containers in creation order, with their parents and the events inside each.
    let mut cs = r.containers.clone();
    cs.sort_by_key(|c| c.id.serial);
    let serials: Vec<u64> = cs.iter().map(|c| c.id.serial).collect();
    assert_eq!(serials, truth.serials);
    let inside: Vec<u64> = cs.iter().map(|c| c.events_inside).collect();
    assert_eq!(inside, truth.inside);
    // Attributed by the AUDIT_NS_INFO records where the generator wrote them, by pid elsewhere.
    let exact: Vec<u64> = cs.iter().map(|c| c.events_by_ns_info).collect();
    assert_eq!(exact, truth.exact);
    let by_pid: Vec<u64> = cs.iter().map(|c| c.events_by_pid).collect();
    let want: Vec<u64> = truth
        .inside
        .iter()
        .zip(&truth.exact)
        .map(|(i, e)| i - e)
        .collect();
    assert_eq!(by_pid, want);
    let s = &r.summary;
    assert_eq!(
        (
            s.events_ns_info,
            s.events_ns_info_unmatched,
            s.events_initial
        ),
        (truth.info_events, truth.info_unmatched, truth.initial)
    );
    if truth.info_events > 0 {
        // Every task inside a container has a namespace of its own: all its events have a record.
        assert_eq!(truth.exact, truth.inside);
        assert!(truth.initial > 0 && truth.info_unmatched > 0);
    } else {
        assert_eq!(truth.initial, 0);
    }
    let parents: Vec<Option<u64>> = cs.iter().map(|c| c.parent.map(|p| p.serial)).collect();
    let want: Vec<Option<u64>> = truth
        .parents
        .iter()
        .map(|p| p.map(|i| truth.serials[i]))
        .collect();
    assert_eq!(parents, want);
    assert_eq!(truth.nested, parents.iter().flatten().count() as u64);
}

#[test]
fn generated_log_small() {
    check_generated(&GenParams {
        records: 50_000,
        seed: 7,
        max_live: 20,
        ns_info: true,
    });
}

#[test]
fn generated_log_small_without_ns_info() {
    // A kernel without the record: the heuristic alone finds the same containers and events.
    check_generated(&GenParams {
        records: 50_000,
        seed: 7,
        max_live: 20,
        ns_info: false,
    });
}

#[test]
fn generated_central_log_of_three_machines() {
    // Three machines' logs interleaved, each line with its node: each node's report finds what
    // that machine did, as if its log were alone.
    let p = GenParams {
        records: 60_000,
        seed: 3,
        max_live: 20,
        ns_info: true,
    };
    let mut log = Vec::new();
    let truths = generate_fleet(&p, 3, &mut log).unwrap();
    let f = report_from_readers(
        ReportOptions::default(),
        [("central".to_string(), &log[..])],
    )
    .unwrap();
    assert_eq!(f.reports.len(), 3);
    assert_eq!(f.problems(), 0);
    for (i, truth) in truths.iter().enumerate() {
        let r = f.node(Some(&node_name(i))).unwrap();
        check_truth(r, truth);
    }
    // Interleaved: a node's lines do not all come in one run.
    let node_of_line: Vec<&[u8]> = log
        .split(|&b| b == b'\n')
        .take(400)
        .map(|l| &l[..11])
        .collect();
    assert!(node_of_line.windows(2).filter(|w| w[0] != w[1]).count() > 10);
}

/// One million records; slow in a debug build: `cargo test --release -- --ignored`, which
/// scripts/report-bench runs.
#[test]
#[ignore]
fn generated_log_one_million_records() {
    check_generated(&GenParams::default());
}

#[test]
fn the_command_exits_1_on_bad_lines_unless_lenient() {
    let dir = std::env::temp_dir().join(format!("nsaudit-report-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("bad.log");
    std::fs::write(&log, format!("{CONTAINER}garbage\ntype=EOE msg=audit(1.0")).unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_nsaudit"))
            .arg("report")
            .args(extra)
            .arg(&log)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let n = CONTAINER.lines().count();
    assert!(
        err.contains(&format!("bad.log:{}: error: ", n + 1)),
        "{err}"
    );
    assert!(
        err.contains(&format!("bad.log:{}: error: truncated", n + 2)),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("containers: 3, 3 ended"));
    assert_eq!(run(&["--lenient"]).status.code(), Some(0));
    let o = run(&["--ns", "bogus:1"]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_command_reports_each_machine_of_a_central_log() {
    // The fixture as two machines forwarded it to a central log: node=hostA, node=hostB.
    let dir = std::env::temp_dir().join(format!("nsaudit-report-nodes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("central.log");
    let prefixed = |n: &str| -> String {
        CONTAINER
            .lines()
            .map(|l| format!("node={n} {l}\n"))
            .collect()
    };
    std::fs::write(&log, prefixed("hostA") + &prefixed("hostB")).unwrap();
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_nsaudit"))
            .arg("report")
            .args(extra)
            .arg(&log)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        (o.status.code(), String::from_utf8(o.stdout).unwrap(), err)
    };
    let alone = report(ReportOptions::default(), CONTAINER);
    let (code, out, err) = run(&[]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let containers = out
        .lines()
        .filter(|l| l.trim_start().starts_with("container "))
        .count();
    assert_eq!(containers, 2 * alone.containers.len());
    assert_eq!(alone.containers.len(), 3);
    for n in ["hostA", "hostB"] {
        assert!(out.contains(&format!("=== node {n} ===")), "{out}");
    }
    let (code, out, err) = run(&["--node", "hostB", "--format", "json"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["node"], "hostB");
    assert_eq!(nodes[0]["containers"].as_array().unwrap().len(), 3);
    let (code, _, err) = run(&["--node", "hostC"]);
    assert_eq!(code, Some(0));
    assert!(err.contains("warning: no line of node \"hostC\""), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generated_logs_follow_the_reference() {
    // Every namespace record of the generator has the field set of its type and the subject of
    // its event's SYSCALL record, as nsaudit check-log wants of a log the kernel wrote.
    for seed in [1, 7] {
        let p = GenParams {
            records: 30_000,
            seed,
            ..Default::default()
        };
        let mut log = Vec::new();
        generate(&p, &mut log).unwrap();
        let c = nsaudit::checklog::check_log("generated", &log[..]);
        let first: Vec<&String> = c.problems.iter().take(5).collect();
        assert_eq!(c.failed, 0, "seed {seed}: {first:?}");
        assert!(c.passed > 300, "seed {seed}: {}", c.summary());
    }
}

#[test]
fn the_recorded_fixtures_follow_the_reference() {
    // Recorded in the guest with series v6: nsaudit check-log passes them, but for the order of
    // each task's records, which series v7 guarantees (an exiting task's removals came last
    // first).
    for (name, log) in [("validate.log", VALIDATE), ("container.log", CONTAINER)] {
        let c = nsaudit::checklog::check_log_with(name, log.as_bytes(), V6);
        assert_eq!(c.failed, 0, "{name}: {:?}", c.problems);
        assert!(c.passed > 10, "{name}: {}", c.summary());
    }
}

/// The log of the scenarios the heuristic gets wrong, recorded in the guest with a kernel that
/// writes AUDIT_NS_INFO: tests/fixtures/README has the command.
/// The checks of a log of series v6 (the fixtures): all but the order of each task's records.
const V6: nsaudit::checklog::Checks = nsaudit::checklog::Checks { task_order: false };

const NSINFO_LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nsinfo.log");

/// The ids of the `AUDIT_NS_INFO` record of event `serial`, if it has one.
fn info_of(recs: &[Record], serial: u64) -> Option<NsInfo> {
    recs.iter()
        .find(|r| r.ty == AUDIT_NS_INFO && r.serial == serial)
        .map(|r| check_ns_info(r).unwrap_or_else(|e| panic!("serial {serial}: {e:?}")))
}

/// The namespaces created by event `serial`.
fn created_by(recs: &[Record], serial: u64) -> BTreeSet<(NsKind, u64)> {
    ns_records(recs, true, "create")
        .into_iter()
        .filter(|(_, _, stamp)| stamp.ends_with(&format!(":{serial}")))
        .map(|(k, id, _)| (k, id))
        .collect()
}

/// Whether `info` names one of the namespaces `ids`.
fn names_one(info: &NsInfo, ids: &BTreeSet<(NsKind, u64)>) -> bool {
    ids.iter().any(|&(k, id)| info.id(k) == id)
}

/// The SYSCALL records of the log.
fn syscalls(recs: &[Record]) -> impl Iterator<Item = &Record> {
    recs.iter().filter(|r| r.ty == 1300)
}

/// The events the report lists inside the container of event `serial`, with how it found them.
fn listed_inside(log: &str, serial: u64) -> BTreeMap<u64, Option<Attribution>> {
    let r = report(
        ReportOptions {
            events: vec![serial.to_string().parse().unwrap()],
            ..Default::default()
        },
        log,
    );
    r.selection
        .unwrap()
        .events
        .iter()
        .filter(|e| {
            e.containers
                .iter()
                .any(|&(c, why)| c.serial == serial && why == Reason::Inside)
        })
        .map(|e| (e.stamp.serial, e.attribution))
        .collect()
}

/// The log without its AUDIT_NS_INFO records, as a kernel without them would write it.
fn without_info(log: &str) -> String {
    log.lines()
        .filter(|l| !l.starts_with("type=UNKNOWN[1356] "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn nsinfo_log_is_attributed_exactly() {
    let log = std::fs::read_to_string(NSINFO_LOG).unwrap_or_else(|e| {
        panic!(
            "{NSINFO_LOG}: {e}: record it in the guest with the command in tests/fixtures/README"
        )
    });
    let recs = records(&log);
    let c = nsaudit::checklog::check_log_with("nsinfo.log", log.as_bytes(), V6);
    assert_eq!(c.failed, 0, "{:?}", c.problems);
    check_consistency(&log);
    let bare = without_info(&log);

    // The joiner: nsenter's setns calls, into the container of unshare -m -u -i -n -p -f.
    let a = serial_of(&recs, 1300, &[("syscall", "272"), ("a0", "6c020000")]);
    let a_ids = created_by(&recs, a);
    let setns: Vec<&Record> = syscalls(&recs)
        .filter(|r| r.get("syscall") == Some("308"))
        .collect();
    assert!(!setns.is_empty(), "no setns event");
    let joiner = setns[0].get("pid").unwrap();
    assert!(setns.iter().all(|r| r.get("pid") == Some(joiner)));
    // The joiner and its descendants, from its first setns on: every event names a
    // namespace of the container, but a setns that entered none of them yet (a PID namespace
    // entered is only its children's) has no record.
    let last_setns = setns[setns.len() - 1].serial;
    let mut family = BTreeSet::from([joiner.to_string()]);
    let mut joined = Vec::new();
    for r in syscalls(&recs).filter(|r| r.serial >= setns[0].serial) {
        let (pid, ppid) = (r.get("pid").unwrap(), r.get("ppid").unwrap());
        if family.contains(ppid) {
            family.insert(pid.to_string());
        }
        if !family.contains(pid) {
            continue;
        }
        match info_of(&recs, r.serial) {
            Some(info) => {
                assert!(names_one(&info, &a_ids), "serial {}: {info}", r.serial);
                joined.push(r.serial);
            }
            None => assert!(
                r.get("syscall") == Some("308") && r.serial < last_setns,
                "serial {}: an event of the joiner without AUDIT_NS_INFO",
                r.serial
            ),
        }
    }
    assert!(
        joined.iter().any(|&s| s > last_setns),
        "no event after the setns calls"
    );
    let exact = listed_inside(&log, a);
    for s in &joined {
        assert_eq!(
            exact.get(s),
            Some(&Some(Attribution::NsInfo)),
            "joiner event {s}"
        );
    }
    // The heuristic does not follow setns: none of them is inside.
    let guessed = listed_inside(&bare, a);
    assert!(
        joined.iter().all(|s| !guessed.contains_key(s)),
        "{guessed:?}"
    );

    // The orphan of unshare -m -u -n, reparented to init: its events name that container.
    let b = serial_of(&recs, 1300, &[("syscall", "272"), ("a0", "44020000")]);
    let b_ids = created_by(&recs, b);
    let orphan: Vec<u64> = syscalls(&recs)
        .filter(|r| r.get("ppid") == Some("1"))
        .filter(|r| info_of(&recs, r.serial).is_some_and(|i| names_one(&i, &b_ids)))
        .map(|r| r.serial)
        .collect();
    assert!(!orphan.is_empty(), "no event of the reparented child");
    let exact = listed_inside(&log, b);
    let guessed = listed_inside(&bare, b);
    for s in &orphan {
        assert_eq!(
            exact.get(s),
            Some(&Some(Attribution::NsInfo)),
            "orphan event {s}"
        );
        assert!(!guessed.contains_key(s), "orphan event {s} found by pid");
    }

    // The task killed by kill -9 (a0, hex): its pid taken again by a task on the host, whose
    // events have no AUDIT_NS_INFO and are inside nothing; the heuristic takes them for the
    // killed task's.
    let kill = syscalls(&recs)
        .find(|r| r.get("syscall") == Some("62") && r.get("a1") == Some("9"))
        .expect("a kill -9 event");
    let victim = u32::from_str_radix(kill.get("a0").unwrap(), 16)
        .unwrap()
        .to_string();
    let c = syscalls(&recs)
        .find(|r| r.get("syscall") == Some("272") && r.get("pid") == Some(victim.as_str()))
        .expect("the killed task's unshare")
        .serial;
    assert!(!created_by(&recs, c).is_empty());
    let reused: Vec<u64> = syscalls(&recs)
        .filter(|r| r.serial > kill.serial && r.get("pid") == Some(victim.as_str()))
        .map(|r| r.serial)
        .collect();
    assert!(!reused.is_empty(), "pid {victim} was not reused");
    let exact = listed_inside(&log, c);
    let guessed = listed_inside(&bare, c);
    for s in &reused {
        assert_eq!(info_of(&recs, *s), None, "event {s} of the host");
        assert!(
            !exact.contains_key(s),
            "event {s} of the reused pid is inside"
        );
    }
    assert!(
        reused
            .iter()
            .any(|s| guessed.get(s) == Some(&Some(Attribution::Pid))),
        "the heuristic got the reused pid right: {guessed:?}"
    );
}
