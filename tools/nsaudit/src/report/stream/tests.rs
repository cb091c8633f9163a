// SPDX-License-Identifier: GPL-2.0

//! The stream against the report: the same events in the same containers, found the same way,
//! and memory within the bound whatever the length of the log.

use super::*;
use crate::report::genlog::{generate, GenParams};
use std::collections::BTreeMap;

const FIXTURE: &str = include_str!("../../../tests/fixtures/container.log");

/// Streams `log` line by line (with at most `max` live containers per node), checking `each`
/// after every line; returns every event written.
fn stream(log: &[u8], max: usize, mut each: impl FnMut(&Reporter)) -> Vec<StreamEvent> {
    let mut r = Reporter::streaming(max);
    r.start_file("stream");
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for (i, line) in log.split_inclusive(|&b| b == b'\n').enumerate() {
        r.push_line(line, i as u64 + 1);
        r.take_events(&mut out, &mut diags);
        each(&r);
    }
    r.flush_idle();
    r.take_events(&mut out, &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    out
}

/// The report of `log`, its events listed for every container.
fn reported(log: &[u8], serials: &[u64]) -> Report {
    let opts = ReportOptions {
        events: serials.iter().map(|&s| EventSelector::Serial(s)).collect(),
        ..Default::default()
    };
    report_from_readers(opts, [("log".to_string(), log)])
        .unwrap()
        .into_plain()
        .unwrap()
}

/// Event → the container its task was inside and how that was found, as the report lists it.
fn inside_by_report(r: &Report) -> BTreeMap<Stamp, (Stamp, Option<Attribution>)> {
    let sel = r.selection.as_ref().unwrap();
    sel.events
        .iter()
        .flat_map(|e| {
            e.containers
                .iter()
                .filter(|(_, why)| *why == Reason::Inside)
                .map(move |(c, _)| (e.stamp, (*c, e.attribution)))
        })
        .collect()
}

fn inside_by_stream(events: &[StreamEvent]) -> BTreeMap<Stamp, (Stamp, Option<Attribution>)> {
    events
        .iter()
        .filter_map(|e| Some((e.event, (e.container.as_ref()?.id, e.attribution))))
        .collect()
}

#[test]
fn the_fixture_streams_every_event_in_the_reports_containers() {
    let plain = reported(FIXTURE.as_bytes(), &[]);
    let serials: Vec<u64> = plain.containers.iter().map(|c| c.id.serial).collect();
    let listed = reported(FIXTURE.as_bytes(), &serials);
    let log: String = FIXTURE.lines().map(|l| format!("node=h1 {l}\n")).collect();
    let events = stream(log.as_bytes(), MAX_CONTAINERS, |_| {});
    assert_eq!(events.len() as u64, plain.summary.events);
    let stamps: std::collections::BTreeSet<Stamp> = events.iter().map(|e| e.event).collect();
    assert_eq!(stamps.len(), events.len(), "an event written twice");
    let want = inside_by_report(&listed);
    assert!(want.len() > 10);
    assert_eq!(inside_by_stream(&events), want);
    for e in &events {
        assert_eq!(e.node.as_deref(), Some("h1"));
        if let Some(c) = &e.container {
            let rc = plain.containers.iter().find(|rc| rc.id == c.id).unwrap();
            assert_eq!(c.namespaces, rc.namespaces);
            assert_eq!(c.parent, rc.parent);
            assert_eq!(c.node.as_deref(), Some("h1"));
        }
    }
    // Each container is named created by its event, and removed by the report's removals.
    for rc in &plain.containers {
        let created: Vec<Stamp> = events
            .iter()
            .filter(|e| e.created.as_ref().is_some_and(|c| c.id == rc.id))
            .map(|e| e.event)
            .collect();
        assert_eq!(created, [rc.id]);
        let removals = events
            .iter()
            .filter(|e| e.removal_in.contains(&rc.id))
            .count();
        assert_eq!(removals, rc.removed);
    }
}

fn generated(records: u64, max_live: usize) -> Vec<u8> {
    let mut log = Vec::new();
    let p = GenParams {
        records,
        seed: 11,
        max_live,
        ns_info: true,
    };
    generate(&p, &mut log).unwrap();
    log
}

#[test]
fn a_long_stream_agrees_with_the_report_and_keeps_only_live_containers() {
    let log = generated(60_000, 20);
    let plain = reported(&log, &[]);
    assert!(plain.containers.len() > 100);
    let most_live = 64;
    let mut kept = 0;
    let events = stream(&log, MAX_CONTAINERS, |r| {
        for (_, s) in r.stream_stats() {
            kept = kept.max(s.containers);
        }
    });
    // The generator has at most 20 containers at once, and 64 with the nested ones: ended ones
    // are forgotten.
    assert!(kept <= most_live, "{kept}");
    let mut inside: BTreeMap<Stamp, u64> = BTreeMap::new();
    for e in &events {
        if let Some(c) = &e.container {
            *inside.entry(c.id).or_default() += 1;
        }
    }
    for c in &plain.containers {
        assert_eq!(
            inside.get(&c.id).copied().unwrap_or(0),
            c.events_inside,
            "{}",
            c.id
        );
    }
    assert_eq!(events.len() as u64, plain.summary.events);
}

#[test]
fn the_bound_forgets_the_oldest_live_containers() {
    let log = generated(60_000, 40);
    let max = 8;
    let mut most = StreamStats::default();
    let mut tasks_at_most = 0;
    let events = stream(&log, max, |r| {
        for (_, s) in r.stream_stats() {
            most.containers = most.containers.max(s.containers);
            most.namespaces = most.namespaces.max(s.namespaces);
            tasks_at_most = tasks_at_most.max(s.tasks);
            most.forgotten = s.forgotten;
            most.ended = s.ended;
        }
    });
    assert_eq!(most.containers, max);
    // A container has at most eight namespaces; as many loose ones as containers are kept.
    assert!(most.namespaces <= max * (NsKind::COUNT + 1), "{most:?}");
    assert!(most.forgotten > 0 && most.ended > 0, "{most:?}");
    // Pids the generator hands out are below 30000; tasks are at most those of the containers
    // kept.
    assert!(tasks_at_most < 30_000);
    // Events of a forgotten container's tasks are grouped again by their ids, into containers
    // of unknown creation; the others are in the containers that created their namespaces.
    let plain = reported(&log, &[]);
    let by_creation = events
        .iter()
        .filter(|e| e.container.as_ref().is_some_and(|c| !c.unknown_creation))
        .count() as u64;
    let regrouped = events
        .iter()
        .filter(|e| e.container.as_ref().is_some_and(|c| c.unknown_creation))
        .count() as u64;
    let total: u64 = plain.containers.iter().map(|c| c.events_inside).sum();
    assert_eq!(plain.summary.containers_unknown, 0);
    assert!(
        by_creation > 0 && by_creation < total,
        "{by_creation} of {total}"
    );
    assert!(
        regrouped > 0 && by_creation + regrouped <= total,
        "{regrouped}"
    );
}

#[test]
fn an_event_without_eoe_is_written_when_idle_or_stale() {
    let del = "type=UNKNOWN[1351] msg=audit(100.000:7): op=remove ppid=2 pid=41 \
               auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
               tty=(none) ses=4294967295 comm=\"kworker/u8:1\" exe=(null) dev=00:04 \
               netns=4026532000 netns_id=40 res=1\n";
    let (mut out, mut diags) = (Vec::new(), Vec::new());
    let mut r = Reporter::streaming(MAX_CONTAINERS);
    r.start_file("stdin");
    r.push_line(del.as_bytes(), 1);
    r.take_events(&mut out, &mut diags);
    assert!(out.is_empty());
    r.flush_idle();
    r.take_events(&mut out, &mut diags);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].event.serial, 7);
    // A record stamped STALE_MS later closes it without the idle time; events are written
    // in the order they began, so a complete one stamped earlier waits for it.
    let mut r = Reporter::streaming(MAX_CONTAINERS);
    r.start_file("stdin");
    r.push_line(del.as_bytes(), 1);
    let soon = format!(
        "type=EOE msg=audit({}.000:8): \n",
        100 + STALE_MS / 1000 - 1
    );
    r.push_line(soon.as_bytes(), 2);
    out.clear();
    r.take_events(&mut out, &mut diags);
    assert!(out.is_empty(), "{out:?}");
    let later = format!("type=EOE msg=audit({}.001:9): \n", 100 + STALE_MS / 1000);
    r.push_line(later.as_bytes(), 3);
    out.clear();
    r.take_events(&mut out, &mut diags);
    let serials: Vec<u64> = out.iter().map(|e| e.event.serial).collect();
    assert_eq!(serials, [7, 8, 9]);
    assert!(diags.is_empty());
}

#[test]
fn a_removal_by_a_task_inside_is_not_an_event_inside() {
    // From a guest boot under auditd: `unshare(CLONE_NEWUTS)` by pid 889, then the removal of
    // its UTS namespace as the task exits, an event of its own with no SYSCALL record; and
    // `unshare(CLONE_NEWIPC)` by pid 890, whose exit_group event holds the removal of its IPC
    // namespace.  The report counts a removal as an event with the container's ids
    // (removal_in), not as an event inside, whatever the task; so must the stream.
    let task = |pid: u32| {
        format!(
            "ppid=871 pid={pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 \
             sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"nsaudit\""
        )
    };
    let (t1, t2) = (task(889), task(890));
    let log = format!(
        "type=NS_INIT_UTS msg=audit(1795987682.596:8): op=create {t1} exe=\"/bin/nsaudit\" \
         dev=00:06 old_utsns=4026531838 old_utsns_id=2 utsns=4026532034 utsns_id=36 res=1\n\
         type=SYSCALL msg=audit(1795987682.596:8): arch=c000003e syscall=272 success=yes \
         exit=0 a0=4000000 a1=0 a2=0 a3=0 items=0 {t1} exe=\"/bin/nsaudit\" key=(null)\n\
         type=EOE msg=audit(1795987682.596:8): \n\
         type=NS_DEL_UTS msg=audit(1795987682.612:9): op=remove {t1} exe=(null) \
         dev=00:06 utsns=4026532034 utsns_id=36 res=1\n\
         type=NS_INIT_IPC msg=audit(1795987682.620:10): op=create {t2} exe=\"/bin/nsaudit\" \
         dev=00:06 old_ipcns=4026531839 old_ipcns_id=1 ipcns=4026532035 ipcns_id=37 res=1\n\
         type=SYSCALL msg=audit(1795987682.620:10): arch=c000003e syscall=272 success=yes \
         exit=0 a0=8000000 a1=0 a2=0 a3=0 items=0 {t2} exe=\"/bin/nsaudit\" key=(null)\n\
         type=EOE msg=audit(1795987682.620:10): \n\
         type=SYSCALL msg=audit(1795987682.628:11): arch=c000003e syscall=231 a0=0 a1=0 \
         a2=0 a3=0 items=0 {t2} exe=\"/bin/nsaudit\" key=(null)\n\
         type=NS_DEL_IPC msg=audit(1795987682.628:11): op=remove {t2} exe=(null) \
         dev=00:06 ipcns=4026532035 ipcns_id=37 res=1\n\
         type=EOE msg=audit(1795987682.628:11): \n"
    );
    let listed = reported(log.as_bytes(), &[8, 10]);
    assert_eq!(listed.containers.len(), 2);
    for c in &listed.containers {
        assert_eq!(c.events_inside, 0, "{:?}", c.id);
    }
    let events = stream(log.as_bytes(), MAX_CONTAINERS, |_| {});
    let serials: Vec<u64> = events.iter().map(|e| e.event.serial).collect();
    assert_eq!(serials, [8, 9, 10, 11]);
    assert_eq!(inside_by_stream(&events), inside_by_report(&listed));
    for (e, c) in [
        (&events[1], &listed.containers[0]),
        (&events[3], &listed.containers[1]),
    ] {
        assert_eq!(e.container, None, "{:?}", e.event);
        assert_eq!(e.removal_in, [c.id]);
        assert_eq!(e.attribution, Some(Attribution::Pid));
    }
}

#[test]
fn containers_of_unknown_creation_keep_their_ids_in_a_stream() {
    // Three containers alive before the stream began, three events each, with a bound of
    // four: the namespaces each holds are not loose ones, and none is forgotten.
    let mut log = String::new();
    let mut serial = 0;
    for round in 0..3 {
        for c in 0..3u64 {
            serial += 1;
            let ids = NsInfo::initial()
                .with(NsKind::Mnt, 100 + 10 * c)
                .with(NsKind::Net, 101 + 10 * c)
                .with(NsKind::Pid, 102 + 10 * c);
            log += &format!(
                "type=SYSCALL msg=audit(10.{serial:03}:{serial}): arch=c000003e syscall=59 \
                 success=yes exit=0 a0=0 items=0 ppid=1 pid={} auid=0 uid=0 gid=0 euid=0 \
                 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"ls\" \
                 exe=\"/bin/ls\"\ntype=UNKNOWN[1356] msg=audit(10.{serial:03}:{serial}): \
                 {ids}\ntype=EOE msg=audit(10.{serial:03}:{serial}): \n",
                200 + 10 * c + round
            );
        }
    }
    let mut forgotten = 0;
    let events = stream(log.as_bytes(), 4, |r| {
        for (_, s) in r.stream_stats() {
            forgotten = s.forgotten;
        }
    });
    let ids: std::collections::BTreeSet<Stamp> = events
        .iter()
        .filter_map(|e| e.container.as_ref())
        .filter(|c| c.unknown_creation)
        .map(|c| c.id)
        .collect();
    assert_eq!(events.len(), 9);
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(forgotten, 0);
}
