// SPDX-License-Identifier: GPL-2.0

//! Exact attribution on logs written for the purpose: each test builds the events of a small
//! scenario, with the `AUDIT_NS_INFO` records the kernel writes for them, and reads it with and
//! without those records, where the heuristic decides.

use super::*;
use crate::nsinfo::initial_id;

fn subject(pid: u32, ppid: u32) -> String {
    format!(
        "ppid={ppid} pid={pid} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
         fsgid=0 tty=(none) ses=1 comm=\"sh\" exe=\"/bin/sh\""
    )
}

fn syscall(serial: u64, nr: u32, exit: i64, pid: u32, ppid: u32) -> String {
    format!(
        "type=SYSCALL msg=audit(10.000:{serial}): arch=c000003e syscall={nr} success=yes \
         exit={exit} a0=0 items=0 {}",
        subject(pid, ppid)
    )
}

/// An INIT op=create record of `kind` with id `id`, made from the initial namespace (or from
/// `old`), by `pid`.
fn init(serial: u64, kind: NsKind, old: Option<u64>, id: u64, pid: u32, ppid: u32) -> String {
    let t = kind.name();
    let old = old.unwrap_or(initial_id(kind));
    format!(
        "type=UNKNOWN[{}] msg=audit(10.000:{serial}): op=create {} dev=00:04 \
         old_{t}ns={} old_{t}ns_id={old} {t}ns={} {t}ns_id={id} res=1",
        kind.init_type(),
        subject(pid, ppid),
        4026531000 + old,
        4026532000 + id
    )
}

fn info(serial: u64, ids: NsInfo) -> String {
    format!("type=UNKNOWN[1356] msg=audit(10.000:{serial}): {ids}")
}

fn eoe(serial: u64) -> String {
    format!("type=EOE msg=audit(10.000:{serial}): ")
}

/// The namespaces of a task in the container of [`container_log`]: new mount (20), UTS (21)
/// and network (22) namespaces, the initial others.
fn in_container() -> NsInfo {
    NsInfo::initial()
        .with(NsKind::Mnt, 20)
        .with(NsKind::Uts, 21)
        .with(NsKind::Net, 22)
}

/// pid 50 unshares a mount, UTS and network namespace (serial 2) and forks 51 (serial 3),
/// which runs a program (serial 4).
fn container_log() -> Vec<String> {
    let c = in_container();
    vec![
        init(2, NsKind::Mnt, None, 20, 50, 1),
        init(2, NsKind::Uts, None, 21, 50, 1),
        init(2, NsKind::Net, None, 22, 50, 1),
        syscall(2, 272, 0, 50, 1),
        info(2, c),
        eoe(2),
        syscall(3, 56, 51, 50, 1),
        info(3, c),
        eoe(3),
        syscall(4, 59, 0, 51, 50),
        info(4, c),
        eoe(4),
    ]
}

/// The log as a kernel without `AUDIT_NS_INFO` would have written it.
fn without_info(log: &[String]) -> Vec<String> {
    log.iter()
        .filter(|l| !l.starts_with("type=UNKNOWN[1356]"))
        .cloned()
        .collect()
}

/// The report on `log`, listing the events of the container created by serial 2.
fn run(log: &[String]) -> Report {
    let opts = ReportOptions {
        events: vec![EventSelector::Serial(2)],
        ..Default::default()
    };
    report_with(opts, log)
}

/// The report on `log` with the options `opts`.
fn report_with(opts: ReportOptions, log: &[String]) -> Report {
    report_from_readers(
        opts,
        [("t.log".to_string(), (log.join("\n") + "\n").as_bytes())],
    )
    .unwrap()
    .into_plain()
    .unwrap()
}

/// Serial → how the listed event was attributed to the container of serial 2, when it is
/// inside it.
fn inside(r: &Report) -> BTreeMap<u64, Option<Attribution>> {
    r.selection
        .as_ref()
        .unwrap()
        .events
        .iter()
        .filter(|e| {
            e.containers
                .iter()
                .any(|&(c, why)| c.serial == 2 && why == Reason::Inside)
        })
        .map(|e| (e.stamp.serial, e.attribution))
        .collect()
}

fn counts(r: &Report, serial: u64) -> (u64, u64, u64) {
    let c = r.containers.iter().find(|c| c.id.serial == serial).unwrap();
    (c.events_inside, c.events_by_ns_info, c.events_by_pid)
}

use std::collections::BTreeMap;
const BY_INFO: Option<Attribution> = Some(Attribution::NsInfo);
const BY_PID: Option<Attribution> = Some(Attribution::Pid);

#[test]
fn a_container_and_its_tasks_by_their_records() {
    let log = container_log();
    let r = run(&log);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    // The creation is the container's own event; the fork and the program are inside.
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_INFO), (4, BY_INFO)]));
    assert_eq!(counts(&r, 2), (2, 2, 0));
    // Three events with a record; the creation's task was on the host before the call.
    let s = &r.summary;
    assert_eq!(
        (
            s.events_ns_info,
            s.events_ns_info_unmatched,
            s.events_initial
        ),
        (3, 1, 0)
    );
    // The heuristic finds the same two, by pid.
    let r = run(&without_info(&log));
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_PID), (4, BY_PID)]));
    assert_eq!(counts(&r, 2), (2, 0, 2));
    assert_eq!(r.summary.events_ns_info, 0);
}

#[test]
fn a_setns_joiner_is_inside_from_its_setns_on() {
    // pid 70, a child of init, enters the container's namespaces with one setns (serial 5)
    // and runs a program (serial 6): its records carry the container's ids.
    let mut log = container_log();
    log.extend([
        syscall(5, 308, 0, 70, 1),
        info(5, in_container()),
        eoe(5),
        syscall(6, 59, 0, 70, 1),
        info(6, in_container()),
        eoe(6),
    ]);
    let r = run(&log);
    assert_eq!(
        inside(&r),
        BTreeMap::from([(3, BY_INFO), (4, BY_INFO), (5, BY_INFO), (6, BY_INFO)])
    );
    assert_eq!(counts(&r, 2), (4, 4, 0));
    // The joiner is followed as a task of the container.
    let c = r.containers.iter().find(|c| c.id.serial == 2).unwrap();
    assert_eq!(c.tasks_seen, 3);
    // The heuristic does not follow setns: the joiner's parent is not inside.
    let r = run(&without_info(&log));
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_PID), (4, BY_PID)]));
}

#[test]
fn a_reparented_child_stays_inside() {
    // The container has no PID namespace: when 50 exits (serial 5), its child 51 is
    // reparented to init on the host, and runs a program (serial 6).
    let mut log = container_log();
    log.extend([
        syscall(5, 231, 0, 50, 1),
        info(5, in_container()),
        eoe(5),
        syscall(6, 59, 0, 51, 1),
        info(6, in_container()),
        eoe(6),
    ]);
    let r = run(&log);
    assert_eq!(
        inside(&r),
        BTreeMap::from([(3, BY_INFO), (4, BY_INFO), (5, BY_INFO), (6, BY_INFO)])
    );
    // The heuristic takes a child of init for another task with the same pid.
    let r = run(&without_info(&log));
    assert_eq!(
        inside(&r),
        BTreeMap::from([(3, BY_PID), (4, BY_PID), (5, BY_PID)])
    );
}

#[test]
fn a_reused_pid_on_the_host_is_not_inside() {
    // pid 50, on the host, clones 51 into a new network namespace (serial 2); 51 runs a program
    // (serial 3) and is killed, which leaves no record; 50 forks again (serial 4) and gets
    // pid 51 back for a task on the host, which runs a program (serial 5).  Tasks on the host
    // have no AUDIT_NS_INFO record.
    let net = NsInfo::initial().with(NsKind::Net, 22);
    let log = vec![
        init(2, NsKind::Net, None, 22, 50, 1),
        syscall(2, 56, 51, 50, 1),
        eoe(2),
        syscall(3, 59, 0, 51, 50),
        info(3, net),
        eoe(3),
        syscall(4, 56, 51, 50, 1),
        eoe(4),
        syscall(5, 59, 0, 51, 50),
        eoe(5),
    ];
    let r = run(&log);
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_INFO)]));
    assert_eq!(counts(&r, 2), (1, 1, 0));
    // Serial 2 came before the first record, by which the report knows the kernel writes them.
    assert_eq!((r.summary.events_ns_info, r.summary.events_initial), (1, 2));
    let listed: Vec<u64> = r
        .selection
        .as_ref()
        .unwrap()
        .events
        .iter()
        .map(|e| e.stamp.serial)
        .collect();
    assert_eq!(listed, [2, 3]);
    // The heuristic takes the new task for the old one: same pid, same parent.
    let r = run(&without_info(&log));
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_PID), (5, BY_PID)]));
}

#[test]
fn events_before_the_first_record_use_the_heuristic() {
    // The log begins before the kernel wrote records (or while an exclude rule dropped them):
    // the creation and the fork are attributed by pid, the program by its record.
    let log: Vec<String> = container_log()
        .into_iter()
        .filter(|l| !l.starts_with("type=UNKNOWN[1356] msg=audit(10.000:2)"))
        .filter(|l| !l.starts_with("type=UNKNOWN[1356] msg=audit(10.000:3)"))
        .collect();
    let r = run(&log);
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_PID), (4, BY_INFO)]));
    assert_eq!(counts(&r, 2), (2, 1, 1));
    // A later event without a record is a task's on the host, even one the heuristic follows.
    let mut later = log.clone();
    later.extend([syscall(5, 59, 0, 50, 1), eoe(5)]);
    let r = run(&later);
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_PID), (4, BY_INFO)]));
    assert_eq!(r.summary.events_initial, 1);
    let r = run(&without_info(&later));
    assert_eq!(
        inside(&r),
        BTreeMap::from([(3, BY_PID), (4, BY_PID), (5, BY_PID)])
    );
}

#[test]
fn the_innermost_container_is_the_one_created_last() {
    // 51, inside, unshares a network namespace made from the container's (serial 5) and runs a
    // program (serial 6): its mount and UTS namespaces are the container's, its network
    // namespace the nested one's.
    let nested = in_container().with(NsKind::Net, 40);
    let mut log = container_log();
    log.extend([
        init(5, NsKind::Net, Some(22), 40, 51, 50),
        syscall(5, 272, 0, 51, 50),
        info(5, nested),
        eoe(5),
        syscall(6, 59, 0, 51, 50),
        info(6, nested),
        eoe(6),
    ]);
    let r = run(&log);
    // The unshare was made inside the container; the program runs in the nested one.
    assert_eq!(
        inside(&r),
        BTreeMap::from([(3, BY_INFO), (4, BY_INFO), (5, BY_INFO)])
    );
    let n = r.containers.iter().find(|c| c.id.serial == 5).unwrap();
    assert_eq!(n.parent.map(|p| p.serial), Some(2));
    assert_eq!((n.events_inside, n.events_by_ns_info), (1, 1));
    assert_eq!(counts(&r, 2).0 + 1, r.containers[0].events_with_nested);
}

#[test]
fn ids_of_no_container_make_a_container_of_unknown_creation() {
    // Tasks in a network namespace that existed before the log (id 9): a container of unknown
    // creation holds it, and `--ns 9` selects its events.
    let ids = NsInfo::initial().with(NsKind::Net, 9);
    let log = vec![
        syscall(2, 59, 0, 80, 1),
        info(2, ids),
        eoe(2),
        syscall(3, 59, 0, 81, 80),
        info(3, ids),
        eoe(3),
    ];
    let r = report_with(ReportOptions::default(), &log);
    let s = &r.summary;
    assert_eq!((s.events_ns_info, s.events_ns_info_unmatched), (2, 0));
    assert_eq!((s.containers, s.containers_unknown), (1, 1));
    assert_eq!(s.events_unknown_creation, 2);
    let c = &r.containers[0];
    assert!(c.unknown_creation);
    assert_eq!(c.id.serial, 2);
    assert_eq!(
        c.namespaces
            .iter()
            .map(|n| (n.kind, n.id))
            .collect::<Vec<_>>(),
        [("net", 9)]
    );
    assert_eq!(c.events_inside, 2);
    assert_eq!(c.ids.map(|i| i.0), Some(ids));
    let opts = ReportOptions {
        ns: vec![NsSelector::Id(9)],
        ..ReportOptions::default()
    };
    let sel = report_with(opts, &log).selection.unwrap();
    assert_eq!(
        sel.events
            .iter()
            .map(|e| e.stamp.serial)
            .collect::<Vec<_>>(),
        [2, 3]
    );
}

#[test]
fn bad_and_repeated_records() {
    let mut log = container_log();
    // A second record in event 4, with other ids: a warning, the first counts.
    log.insert(11, info(4, NsInfo::initial().with(NsKind::Net, 99)));
    // Records without a field, with a zero id.
    log.push(info(7, in_container()).replace(" timens_id=6", ""));
    log.push(info(8, in_container()).replace("utsns_id=21", "utsns_id=0"));
    let r = run(&log);
    assert_eq!(inside(&r), BTreeMap::from([(3, BY_INFO), (4, BY_INFO)]));
    let d: Vec<(u64, Severity, &str)> = r
        .diagnostics
        .iter()
        .map(|d| (d.line, d.severity, d.message.as_str()))
        .collect();
    assert_eq!(
        d,
        [
            (
                12,
                Severity::Warning,
                "a second AUDIT_NS_INFO record in event 10.000:4; the first one counts"
            ),
            (14, Severity::Error, "NS_INFO record without timens_id="),
            (15, Severity::Error, "NS_INFO record: bad utsns_id=\"0\""),
        ]
    );
}

#[test]
fn text_and_json_give_the_counts() {
    let mut log = container_log();
    log.extend([syscall(5, 59, 0, 60, 1), eoe(5)]);
    let r = report_from_readers(
        ReportOptions::default(),
        [("t.log".to_string(), (log.join("\n") + "\n").as_bytes())],
    )
    .unwrap()
    .into_plain()
    .unwrap();
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "AUDIT_NS_INFO: 3 events, 2 of them in a container of the log; 1 events of tasks in \
             the initial namespaces"
        ),
        "{text}"
    );
    assert!(
        text.contains("inside      2 events (2 by AUDIT_NS_INFO, 0 by pid), 2 with nested"),
        "{text}"
    );
    let mut json = Vec::new();
    r.write_json(&mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["summary"]["events_ns_info"], 3);
    assert_eq!(v["summary"]["events_initial"], 1);
    let c = &v["containers"][0];
    assert_eq!(
        (
            &c["events_inside"],
            &c["events_by_ns_info"],
            &c["events_by_pid"]
        ),
        (&2.into(), &2.into(), &0.into())
    );
    let mut dot = Vec::new();
    r.write_dot(&mut dot).unwrap();
    let dot = String::from_utf8(dot).unwrap();
    assert!(
        dot.contains("\\ninside 2 (2 by AUDIT_NS_INFO, 0 by pid)\";"),
        "{dot}"
    );
    // Listed events say how they were attributed.
    let r = run(&log);
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("  [inside 10.000:2 by AUDIT_NS_INFO]"),
        "{text}"
    );
    let mut json = Vec::new();
    r.write_json(&mut json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let events = v["selection"]["events"].as_array().unwrap();
    let how: Vec<&str> = events
        .iter()
        .map(|e| e["attribution"].as_str().unwrap())
        .collect();
    assert_eq!(how, ["ns_info", "ns_info", "ns_info"]);
    // Without records: the heuristic, said so.
    let r = run(&without_info(&log));
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("AUDIT_NS_INFO: none in the log, events are attributed by pid"),
        "{text}"
    );
}
