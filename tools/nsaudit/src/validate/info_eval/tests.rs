// SPDX-License-Identifier: GPL-2.0

//! Tests of the `AUDIT_NS_INFO` evaluation, with the records a kernel writes for the probes'
//! events and with the records a kernel that got it wrong would write.

use super::*;
use crate::nsinfo::initial_id;
use crate::syscall::{SYS_GETPID, SYS_OPENAT, SYS_UNAME};

fn got(ty: u16, text: String) -> Got {
    Got::new(ty, text).0
}

fn syscall(serial: u64, nr: u32, pid: i32, key: &str) -> Got {
    got(
        AUDIT_SYSCALL,
        format!(
            "audit(1700000000.100:{serial}): arch=c000003e syscall={nr} success=yes exit=0 \
             a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid={pid} auid=4294967295 uid=0 gid=0 euid=0 \
             suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"nsaudit\" \
             exe=\"/bin/nsaudit\" key={key}"
        ),
    )
}

fn info(serial: u64, ids: NsInfo) -> Got {
    got(
        AUDIT_NS_INFO,
        format!("audit(1700000000.100:{serial}): {ids}"),
    )
}

const KEY: &str = "\"nsinfo\"";

/// The namespaces of the container: new user, mount, UTS, IPC, network and PID namespaces.
fn container() -> NsInfo {
    NsInfo::initial()
        .with(NsKind::User, 100)
        .with(NsKind::Mnt, 101)
        .with(NsKind::Uts, 102)
        .with(NsKind::Ipc, 103)
        .with(NsKind::Net, 104)
        .with(NsKind::Pid, 105)
}

/// The events of a probe `pid` from serial `first` on, each with the records `infos` gives
/// for it.
fn probe_events(first: u64, pid: i32, infos: impl Fn(u64) -> Vec<NsInfo>) -> Vec<Got> {
    let mut g = Vec::new();
    for (i, nr) in [SYS_GETPID, SYS_UNAME, SYS_OPENAT].into_iter().enumerate() {
        let serial = first + i as u64;
        g.push(syscall(serial, nr, pid, KEY));
        g.extend(infos(serial).into_iter().map(|ids| info(serial, ids)));
    }
    g
}

fn failures(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| c.result.is_err())
        .map(|c| c.what.as_str())
        .collect()
}

fn probed(pid: i32, ids: NsInfo) -> Probed {
    Probed { pid, ids }
}

#[test]
fn the_events_of_a_task_with_their_records() {
    let mut g = probe_events(10, 70, |_| vec![container()]);
    // Another task's event, and a record that breaks the format in event 11.
    g.push(syscall(20, SYS_GETPID, 71, KEY));
    g.push(info(20, container()));
    g.push(got(
        AUDIT_NS_INFO,
        "audit(1700000000.100:11): netns_id=1".into(),
    ));
    let events = task_events(&g, 70);
    let serials: Vec<u64> = events.iter().map(|e| e.serial).collect();
    assert_eq!(serials, [10, 11, 12]);
    assert_eq!(events[0].syscall, Some(SYS_GETPID));
    assert_eq!(events[0].key.as_deref(), Some(KEY));
    assert_eq!(events[0].infos, [Some(container())]);
    assert_eq!(events[1].infos, [Some(container()), None]);
    assert_eq!(task_events(&g, 71).len(), 1);
    assert!(task_events(&g, 72).is_empty());
}

#[test]
fn a_task_in_a_container_has_one_record_with_its_ids_in_each_event() {
    let p = probed(70, container());
    let good = probe_events(10, 70, |_| vec![container()]);
    let c = eval_info_task("t", &good, &p, true);
    assert_eq!(failures(&c), Vec::<&str>::new());
    assert_eq!(c.len(), 3);
    // No record in one event, two in another.
    let g = probe_events(10, 70, |s| match s {
        10 => vec![],
        11 => vec![container(), container()],
        _ => vec![container()],
    });
    let c = eval_info_task("t", &g, &p, true);
    assert_eq!(
        failures(&c),
        ["t: each of 3 events of the task has exactly one AUDIT_NS_INFO record"]
    );
    // The network namespace of another task.
    let g = probe_events(10, 70, |s| match s {
        12 => vec![container().with(NsKind::Net, 999)],
        _ => vec![container()],
    });
    let c = eval_info_task("t", &g, &p, true);
    assert_eq!(failures(&c).len(), 1);
    assert!(failures(&c)[0].starts_with("t: the AUDIT_NS_INFO records of the task name"));
    assert!(
        c[2].result.as_ref().unwrap_err().contains("openat(257)@12"),
        "{c:?}"
    );
    // No event at all: nothing passes.
    let c = eval_info_task("t", &[], &p, true);
    assert_eq!(failures(&c).len(), 3);
}

#[test]
fn the_probe_calls_must_be_audited_by_the_scenarios_rules() {
    let p = probed(70, container());
    let mut g = probe_events(10, 70, |_| vec![container()]);
    // uname's event is missing; then getpid's has another key.
    g.retain(|x| x.rec.as_ref().is_some_and(|r| r.serial != 11));
    let c = eval_info_task("t", &g, &p, true);
    assert!(
        failures(&c)[0].contains("its getpid, uname and openat"),
        "{c:?}"
    );
    let mut g = probe_events(10, 70, |_| vec![container()]);
    g[0] = syscall(10, SYS_GETPID, 70, "(null)");
    let c = eval_info_task("t", &g, &p, true);
    assert_eq!(failures(&c).len(), 1, "{c:?}");
}

#[test]
fn a_task_on_the_host_has_no_record() {
    let p = probed(80, NsInfo::initial());
    let g = probe_events(10, 80, |_| vec![]);
    let c = eval_info_task("h", &g, &p, false);
    assert_eq!(failures(&c), Vec::<&str>::new());
    let g = probe_events(10, 80, |s| if s == 11 { vec![container()] } else { vec![] });
    let c = eval_info_task("h", &g, &p, false);
    assert_eq!(
        failures(&c),
        ["h: none of the task's 3 events has an AUDIT_NS_INFO record"]
    );
}

#[test]
fn a_task_in_a_container_has_no_record_while_the_feature_is_off() {
    // AUDIT_FEATURE_NS_INFO off: the events of a task in new namespaces come without one.
    let p = probed(90, container());
    let off = probe_events(10, 90, |_| vec![]);
    let c = eval_info_task("f: off", &off, &p, false);
    assert_eq!(failures(&c), Vec::<&str>::new());
    // Turned on, the same events need one each: those without fail.
    let c = eval_info_task("f: on", &off, &p, true);
    assert_eq!(
        failures(&c),
        ["f: on: each of 3 events of the task has exactly one AUDIT_NS_INFO record"]
    );
    // A record while it is off fails the off check; with one each the on check passes.
    let on = probe_events(20, 90, |_| vec![container()]);
    let c = eval_info_task("f: off", &on, &p, false);
    assert_eq!(
        failures(&c),
        ["f: off: none of the task's 3 events has an AUDIT_NS_INFO record"]
    );
    assert_eq!(
        failures(&eval_info_task("f: on", &on, &p, true)),
        Vec::<&str>::new()
    );
}

#[test]
fn setns_enters_every_kind_but_the_pid_namespace_for_the_caller() {
    use NsKind::*;
    let before = NsInfo::initial();
    let target = container().with(Time, 106);
    let steps = setns_steps(before, target, &[&[User], &[Mnt, Uts], &[Pid], &[Time]]);
    assert_eq!(
        steps,
        [
            before.with(User, 100),
            before.with(User, 100).with(Mnt, 101).with(Uts, 102),
            before.with(User, 100).with(Mnt, 101).with(Uts, 102),
            before
                .with(User, 100)
                .with(Mnt, 101)
                .with(Uts, 102)
                .with(Time, 106),
        ]
    );
    assert_eq!(steps[3].id(Pid), initial_id(Pid));
    assert!(setns_steps(before, target, &[]).is_empty());
}

/// The kinds entered one setns call each, in the order of the validator's joiner.
const ORDER: [NsKind; 6] = crate::nsops::CONTAINER_KINDS;

/// The records of a joiner `90` that made one setns call per kind of [`ORDER`] (serials 30 to
/// 35), each followed by `during(i)`, then its probe calls with `after`, and of its child `91`
/// in the container.
fn joiner_log(during: impl Fn(usize) -> NsInfo, after: NsInfo) -> Vec<Got> {
    let mut g = Vec::new();
    for i in 0..ORDER.len() {
        let serial = 30 + i as u64;
        g.push(syscall(serial, SYS_SETNS, 90, KEY));
        g.push(info(serial, during(i)));
    }
    g.extend(probe_events(40, 90, |_| vec![after]));
    g.extend(probe_events(50, 91, |_| vec![container()]));
    g
}

#[test]
fn a_joiner_carries_the_namespaces_it_has_after_each_call() {
    let host = NsInfo::initial();
    let steps: Vec<&[NsKind]> = ORDER.iter().map(std::slice::from_ref).collect();
    let want = setns_steps(host, container(), &steps);
    let last = *want.last().unwrap();
    let joined = Joined {
        joiner: probed(90, last),
        child: probed(91, container()),
    };
    let good = joiner_log(|i| want[i], last);
    let c = eval_info_joiner("j", &good, &joined, host, container(), &steps);
    assert_eq!(failures(&c), Vec::<&str>::new(), "{c:?}");
    // The joiner itself stays in the host's PID namespace.
    assert_eq!(last.id(NsKind::Pid), initial_id(NsKind::Pid));
    // A kernel that names the namespaces before each call.
    let before_each = |i: usize| if i == 0 { host } else { want[i - 1] };
    let c = eval_info_joiner(
        "j",
        &joiner_log(before_each, last),
        &joined,
        host,
        container(),
        &steps,
    );
    assert_eq!(
        failures(&c),
        ["j: each of its 6 setns events carries the namespaces it has after that call"]
    );
    // A kernel that names pid_for_children as the task's PID namespace.
    let children = |ids: NsInfo| ids.with(NsKind::Pid, container().id(NsKind::Pid));
    let g = joiner_log(
        |i| if i == 5 { children(want[i]) } else { want[i] },
        children(last),
    );
    let c = eval_info_joiner("j", &g, &joined, host, container(), &steps);
    assert_eq!(
        failures(&c),
        [
            "j: each of its 6 setns events carries the namespaces it has after that call",
            "j: the AUDIT_NS_INFO records of the joiner after its setns name mntns_id=101 \
             utsns_id=102 ipcns_id=103 userns_id=100 pidns_id=4 netns_id=104 cgroupns_id=5 \
             timens_id=6"
        ]
    );
}

#[test]
fn a_joiner_by_pidfd_makes_one_call() {
    let host = NsInfo::initial();
    let steps: [&[NsKind]; 1] = [&ORDER];
    let last = setns_steps(host, container(), &steps)[0];
    let joined = Joined {
        joiner: probed(90, last),
        child: probed(91, container()),
    };
    let mut g = vec![syscall(30, SYS_SETNS, 90, KEY), info(30, last)];
    g.extend(probe_events(40, 90, |_| vec![last]));
    g.extend(probe_events(50, 91, |_| vec![container()]));
    let c = eval_info_joiner("p", &g, &joined, host, container(), &steps);
    assert_eq!(failures(&c), Vec::<&str>::new(), "{c:?}");
    // What the joiner read itself must show it too: in the container's PID namespace it would
    // not be.
    let wrong = Joined {
        joiner: probed(90, container()),
        ..joined
    };
    let c = eval_info_joiner("p", &g, &wrong, host, container(), &steps);
    assert_eq!(failures(&c).len(), 2, "{c:?}");
    assert!(failures(&c)[1].starts_with("p: the joiner's pidns_id stays the host's (4)"));
}
