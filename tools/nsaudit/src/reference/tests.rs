// SPDX-License-Identifier: GPL-2.0

//! Tests of the reference checker, with records written from the format in
//! `Documentation/records.rst`.

use super::*;
use crate::record::parse_record;

const TASK: &str = "ppid=1 pid=77 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" exe=\"/bin/busybox\"";

const NET_INIT: &str = "op=create ppid=1 pid=77 auid=4294967295 uid=0 gid=0 euid=0 suid=0 \
fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" exe=\"/bin/busybox\" \
dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 netns_id=4097 res=1";

/// A kworker that frees a network namespace, as `audit_log_task_info()` writes it.
const KWORKER: &str = "ppid=2 pid=41 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"kworker/u8:1\" exe=(null)";

fn rec(ty: u16, body: &str) -> Record {
    parse_record(ty, &format!("audit(1700000000.123:45): {body}")).unwrap()
}

fn errors(ty: u16, body: &str) -> Vec<String> {
    match check_ns_record(&rec(ty, body)) {
        Ok(r) => panic!("accepted {body}: {r:?}"),
        Err(e) => e,
    }
}

fn syscall_of(nr: u32, subject: &str) -> Record {
    rec(
        1300,
        &format!(
            "arch=c000003e syscall={nr} success=yes exit=0 a0=40000000 a1=0 a2=0 a3=0 items=0 \
             {subject} key=(null)"
        ),
    )
}

#[test]
fn kinds_and_types() {
    assert_eq!(NsKind::from_type(1340), Some((NsKind::Mnt, true)));
    assert_eq!(NsKind::from_type(1343), Some((NsKind::User, true)));
    assert_eq!(NsKind::from_type(1345), Some((NsKind::Net, true)));
    assert_eq!(NsKind::from_type(1346), Some((NsKind::Mnt, false)));
    assert_eq!(NsKind::from_type(1350), Some((NsKind::Pid, false)));
    assert_eq!(NsKind::from_type(1351), Some((NsKind::Net, false)));
    // Cgroup and time came later: their INIT types follow the DEL types of the first six.
    assert_eq!(NsKind::from_type(1352), Some((NsKind::Cgroup, true)));
    assert_eq!(NsKind::from_type(1353), Some((NsKind::Time, true)));
    assert_eq!(NsKind::from_type(1354), Some((NsKind::Cgroup, false)));
    assert_eq!(NsKind::from_type(1355), Some((NsKind::Time, false)));
    for ty in [0, 1300, 1320, 1339, 1356, u16::MAX] {
        assert_eq!(NsKind::from_type(ty), None, "{ty}");
        assert!(!is_ns_type(ty));
    }
    // Exactly the sixteen types 1340-1355, each of one kind.
    let types: Vec<u16> = (0..=u16::MAX).filter(|&t| is_ns_type(t)).collect();
    assert_eq!(types, (1340..=1355).collect::<Vec<u16>>());
    let names: Vec<&str> = NsKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(
        names,
        ["mnt", "uts", "ipc", "user", "pid", "net", "cgroup", "time"]
    );
    assert_eq!(NsKind::ALL.len(), NsKind::COUNT);
    for k in NsKind::ALL {
        assert_eq!(NsKind::from_name(k.name()), Some(k));
    }
    assert_eq!(NsKind::from_name("time_for_children"), None);
    assert_eq!("cgroup".parse::<NsKind>(), Ok(NsKind::Cgroup));
    let e = "cgroupns".parse::<NsKind>().unwrap_err();
    assert!(e.contains("net, cgroup, time"), "{e}");
    assert_eq!(NsKind::from_name("NET"), None);
    for (i, k) in NsKind::ALL.into_iter().enumerate() {
        assert_eq!(k.index(), i);
        assert_eq!(NsKind::from_type(k.init_type()), Some((k, true)));
        assert_eq!(NsKind::from_type(k.del_type()), Some((k, false)));
    }
    // The first six in two runs of six, as before cgroup and time had records.
    for (i, k) in NsKind::ALL[..6].iter().enumerate() {
        assert_eq!(usize::from(k.init_type()), 1340 + i);
        assert_eq!(usize::from(k.del_type()), 1346 + i);
    }
}

#[test]
fn pid_and_time_namespaces_are_for_children() {
    for k in NsKind::ALL {
        let for_children = matches!(k, NsKind::Pid | NsKind::Time);
        assert_eq!(k.enters_on_unshare(), !for_children, "{k:?}");
        if for_children {
            assert_eq!(k.for_children_file(), format!("{}_for_children", k.name()));
        } else {
            assert_eq!(k.for_children_file(), k.name());
        }
    }
}

#[test]
fn accepts_the_spec_example() {
    let ns = check_ns_record(&rec(1345, NET_INIT)).unwrap();
    assert_eq!((ns.kind, ns.init, ns.op), (NsKind::Net, true, Op::Create));
    let s = ns.subject.clone();
    assert_eq!((s.ppid, s.pid, s.uid), (1, 77, 0));
    assert_eq!((s.auid, s.ses), (u32::MAX, u32::MAX));
    assert_eq!(ns.serial, 45);
    assert_eq!(ns.dev, (0, 4));
    assert_eq!(
        ns.ns,
        NsIdent {
            inum: 4026532001,
            id: 4097
        }
    );
    assert_eq!(
        ns.old,
        Some(NsIdent {
            inum: 4026531840,
            id: 1
        })
    );
    assert_eq!(s.comm, b"unshare");
    assert_eq!(s.exe.as_deref(), Some(&b"/bin/busybox"[..]));
    assert_eq!(s.subj, None);
    assert_eq!(s.text, TASK);
    assert!(!ns.is_kernel_subject());
    assert!(!s.is_no_task());
}

#[test]
fn refuses_records_without_the_subject() {
    // The v1 form of a record of a syscall event: op= and then dev=, the subject left to the
    // SYSCALL record.  Every record of a type now has one field set.
    let init = NET_INIT.replace(&format!("{TASK} "), "");
    assert_eq!(
        init,
        "op=create dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 \
         netns_id=4097 res=1"
    );
    let errs = errors(1345, &init);
    assert!(
        errs.iter().any(|e| e.contains("no subject after op=")),
        "{errs:?}"
    );
    let del = "op=remove dev=00:04 netns=4026532001 netns_id=4097 res=1";
    assert!(errors(1351, del)
        .iter()
        .any(|e| e.contains("every DEL record carries")));
    let existing = "op=existing dev=00:04 old_mntns=(none) old_mntns_id=(none) \
                    mntns=4026531841 mntns_id=2 res=1";
    assert!(errors(1340, existing)
        .iter()
        .any(|e| e.contains("every INIT record carries")));
}

#[test]
fn the_subject_agrees_with_the_syscall_record() {
    let ns = check_ns_record(&rec(1345, NET_INIT)).unwrap();
    // No SYSCALL record in the event: the record's own subject.
    assert_eq!(check_event_subject(&ns, None).unwrap().pid, 77);
    // The SYSCALL record of its event names the same task.
    let s = check_event_subject(&ns, Some(&syscall_of(272, TASK))).unwrap();
    assert_eq!((s.pid, s.text.as_str()), (77, TASK));
    // Another pid, uid, comm or exe, or a label only one of them has: disagreement.
    for (what, other) in [
        ("pid", TASK.replace("pid=77", "pid=78")),
        ("uid", TASK.replace(" uid=0 ", " uid=5 ")),
        ("fsgid", TASK.replace("fsgid=0", "fsgid=9")),
        ("comm", TASK.replace("\"unshare\"", "\"sh\"")),
        ("exe", TASK.replace("\"/bin/busybox\"", "\"/bin/sh\"")),
        ("subj", format!("{TASK} subj=unconfined")),
    ] {
        let e = check_event_subject(&ns, Some(&syscall_of(272, &other))).unwrap_err();
        assert!(
            e.contains(&format!("differs from the SYSCALL record's in [{what}]")),
            "{e}"
        );
    }
    // A SYSCALL record without a readable subject.
    let bad = rec(1300, "arch=c000003e syscall=272 pid=x key=(null)");
    let e = check_event_subject(&ns, Some(&bad)).unwrap_err();
    assert!(e.contains("SYSCALL record"), "{e}");
}

#[test]
fn execve_may_change_comm_exe_and_credentials_but_not_the_task() {
    let del = format!("op=remove {TASK} dev=00:04 mntns=4026532001 mntns_id=4097 res=1");
    let ns = check_ns_record(&rec(1346, &del)).unwrap();
    let after = TASK
        .replace("\"unshare\"", "\"ping\"")
        .replace("\"/bin/busybox\"", "\"/bin/ping\"")
        .replace("euid=0 suid=0 fsuid=0", "euid=1 suid=1 fsuid=1");
    for nr in [59, 322] {
        assert!(check_event_subject(&ns, Some(&syscall_of(nr, &after))).is_ok());
    }
    // Not in another call, and not another task even in execve.
    assert!(check_event_subject(&ns, Some(&syscall_of(272, &after))).is_err());
    let other = after.replace("pid=77", "pid=78");
    let e = check_event_subject(&ns, Some(&syscall_of(59, &other))).unwrap_err();
    assert!(e.contains("[pid]"), "{e}");
}

#[test]
fn accepts_every_kind() {
    for k in NsKind::ALL {
        let t = k.name();
        let init = format!(
            "op=create {TASK} dev=00:04 old_{t}ns=4026531840 old_{t}ns_id=1 {t}ns=4026532001 {t}ns_id=4097 res=1"
        );
        let ns = check_ns_record(&rec(k.init_type(), &init)).unwrap();
        assert_eq!((ns.kind, ns.init), (k, true));
        let del = format!("op=remove {TASK} dev=00:04 {t}ns=4026532001 {t}ns_id=4097 res=1");
        let ns = check_ns_record(&rec(k.del_type(), &del)).unwrap();
        assert_eq!(
            (ns.kind, ns.init, ns.op, ns.old),
            (k, false, Op::Remove, None)
        );
        // A kernel thread's removal.
        let del = format!("op=remove {KWORKER} dev=00:04 {t}ns=4026532001 {t}ns_id=4097 res=1");
        assert!(check_ns_record(&rec(k.del_type(), &del))
            .unwrap()
            .is_kernel_subject());
        // A record of one kind with the fields of another is wrong.
        let other = NsKind::ALL[(k.index() + 1) % NsKind::COUNT];
        assert!(check_ns_record(&rec(other.init_type(), &init)).is_err());
    }
}

#[test]
fn cgroup_and_time_records() {
    // Written out rather than built from NsKind::name: the fields of types 1352-1355.
    let cgroup_init = format!(
        "op=create {TASK} dev=00:04 old_cgroupns=4026531835 old_cgroupns_id=9 \
         cgroupns=4026532010 cgroupns_id=4100 res=1"
    );
    let ns = check_ns_record(&rec(1352, &cgroup_init)).unwrap();
    assert_eq!(
        (ns.kind, ns.init, ns.op),
        (NsKind::Cgroup, true, Op::Create)
    );
    assert_eq!(
        (ns.old, ns.ns),
        (
            Some(NsIdent {
                inum: 4026531835,
                id: 9
            }),
            NsIdent {
                inum: 4026532010,
                id: 4100
            }
        )
    );
    let time_existing = format!(
        "op=existing {TASK} dev=00:04 old_timens=(none) old_timens_id=(none) \
         timens=4026531834 timens_id=5 res=1"
    );
    let ns = check_ns_record(&rec(1353, &time_existing)).unwrap();
    assert_eq!(
        (ns.kind, ns.init, ns.op, ns.old),
        (NsKind::Time, true, Op::Existing, None)
    );
    let cgroup_del =
        format!("op=remove {TASK} dev=00:04 cgroupns=4026532010 cgroupns_id=4100 res=1");
    let ns = check_ns_record(&rec(1354, &cgroup_del)).unwrap();
    assert_eq!((ns.kind, ns.init), (NsKind::Cgroup, false));
    let time_del = format!("op=remove {TASK} dev=00:04 timens=4026532011 timens_id=4101 res=1");
    let ns = check_ns_record(&rec(1355, &time_del)).unwrap();
    assert_eq!((ns.kind, ns.init), (NsKind::Time, false));
    // Each type has its own fields and its own op.
    assert!(errors(1352, &time_existing)
        .iter()
        .any(|e| e.contains("fields are")));
    assert!(errors(1355, &cgroup_del)
        .iter()
        .any(|e| e.contains("fields are")));
    assert!(errors(1354, &cgroup_init)
        .iter()
        .any(|e| e.contains("op=create in a DEL record")));
    assert!(errors(1353, &time_del)
        .iter()
        .any(|e| e.contains("op=remove in a INIT record")));
}

#[test]
fn accepts_a_kernel_thread_del_record() {
    let ns = check_ns_record(&rec(
        1351,
        &format!("op=remove {KWORKER} dev=00:04 netns=4026532001 netns_id=4097 res=1"),
    ))
    .unwrap();
    assert!(ns.is_kernel_subject());
    let s = ns.subject;
    assert_eq!((s.pid, s.ppid), (41, 2));
    assert_eq!(s.comm, b"kworker/u8:1");
    assert_eq!(s.exe, None);
    assert!(!ns.init);
    // kthreadd itself.
    let kthreadd = KWORKER
        .replace("ppid=2 pid=41", "ppid=0 pid=2")
        .replace("kworker/u8:1", "kthreadd");
    let del = format!("op=remove {kthreadd} dev=00:04 netns=4026532001 netns_id=4097 res=1");
    assert!(check_ns_record(&rec(1351, &del))
        .unwrap()
        .is_kernel_subject());
}

#[test]
fn a_kernel_thread_has_no_exe_no_login_and_kthreadd_for_parent() {
    for (what, task) in [
        (
            "an exiting task",
            TASK.replace("\"/bin/busybox\"", "(null)"),
        ),
        ("exe", KWORKER.replace("exe=(null)", "exe=\"/bin/sh\"")),
        ("auid", KWORKER.replace("auid=4294967295", "auid=0")),
        ("ppid", KWORKER.replace("ppid=2", "ppid=1")),
    ] {
        let del = format!("op=remove {task} dev=00:04 netns=4026532001 netns_id=4097 res=1");
        let ns = check_ns_record(&rec(1351, &del)).unwrap();
        assert!(!ns.is_kernel_subject(), "{what}");
    }
}

#[test]
fn accepts_the_subject_of_no_task_exactly() {
    let del = format!("op=remove {NO_TASK_SUBJECT} dev=00:04 netns=4026532001 netns_id=4097 res=1");
    let ns = check_ns_record(&rec(1351, &del)).unwrap();
    assert!(ns.subject.is_no_task());
    assert_eq!((ns.subject.pid, ns.subject.ppid), (-1, -1));
    assert!(ns.subject.comm.is_empty());
    assert!(!ns.is_kernel_subject());
    // pid=-1 with anything else, comm=(null) for a task, and pid=0 are wrong.
    for (what, subject) in [
        (
            "a uid",
            NO_TASK_SUBJECT.replace(" uid=4294967295", " uid=0"),
        ),
        (
            "a comm",
            NO_TASK_SUBJECT.replace("comm=(null)", "comm=\"x\""),
        ),
        (
            "a task with comm=(null)",
            TASK.replace("comm=\"unshare\"", "comm=(null)"),
        ),
        ("ppid=-1 alone", TASK.replace("ppid=1", "ppid=-1")),
        ("pid=0", KWORKER.replace("pid=41", "pid=0")),
        ("pid=-2", TASK.replace("pid=77", "pid=-2")),
        (
            "a pid beyond pid_t",
            TASK.replace("pid=77", "pid=2147483648"),
        ),
    ] {
        let del = format!("op=remove {subject} dev=00:04 netns=4026532001 netns_id=4097 res=1");
        assert!(check_ns_record(&rec(1351, &del)).is_err(), "{what}");
    }
}

#[test]
fn accepts_existing_without_origin_hex_comm_and_subj() {
    let body = format!(
        "op=existing {} subj=unconfined dev=00:04 old_mntns=(none) old_mntns_id=(none) mntns=4026531841 mntns_id=2 res=1",
        TASK.replace("comm=\"unshare\"", "comm=7820223D747970653D41564320")
    );
    let ns = check_ns_record(&rec(1340, &body)).unwrap();
    assert_eq!(ns.op, Op::Existing);
    assert_eq!(ns.old, None);
    let s = ns.subject;
    assert_eq!(s.subj.as_deref(), Some("unconfined"));
    assert_eq!(s.comm, b"x \"=type=AVC ");
}

#[test]
fn accepts_large_device_numbers() {
    let ns = check_ns_record(&rec(1345, &NET_INIT.replace("dev=00:04", "dev=103:1ab"))).unwrap();
    assert_eq!(ns.dev, (0x103, 0x1ab));
}

/// INIT_NET records that deviate from the reference, each with what is wrong.
fn deviations() -> Vec<(&'static str, String)> {
    vec![
        (
            "wrong order",
            NET_INIT.replace(
                "netns=4026532001 netns_id=4097",
                "netns_id=4097 netns=4026532001",
            ),
        ),
        (
            "subject order",
            NET_INIT.replace("uid=0 gid=0", "gid=0 uid=0"),
        ),
        (
            "subj out of place",
            NET_INIT.replace(" dev=00:04", " dev=00:04 subj=x"),
        ),
        ("missing res", NET_INIT.replace(" res=1", "")),
        ("res=0", NET_INIT.replace(" res=1", " res=0")),
        ("extra field", format!("{NET_INIT} key=x")),
        ("repeated field", NET_INIT.replace(" res=1", " res=1 res=1")),
        ("missing op", NET_INIT.replace("op=create ", "")),
        ("missing tty", NET_INIT.replace(" tty=(none)", "")),
        ("missing exe", NET_INIT.replace(" exe=\"/bin/busybox\"", "")),
        (
            "bad number",
            NET_INIT.replace("netns=4026532001", "netns=x3"),
        ),
        ("signed number", NET_INIT.replace("pid=77", "pid=+77")),
        (
            "negative number",
            NET_INIT.replace("uid=0 gid", "uid=-1 gid"),
        ),
        ("leading zero", NET_INIT.replace("pid=77", "pid=077")),
        (
            "inode beyond 32 bits",
            NET_INIT.replace("netns=4026532001", "netns=4294967296"),
        ),
        ("zero id", NET_INIT.replace("netns_id=4097", "netns_id=0")),
        (
            "uid beyond 32 bits",
            NET_INIT.replace("auid=4294967295", "auid=4294967296"),
        ),
        ("op for DEL", NET_INIT.replace("op=create", "op=remove")),
        ("unknown op", NET_INIT.replace("op=create", "op=created")),
        (
            "one (none)",
            NET_INIT.replace("old_netns=4026531840", "old_netns=(none)"),
        ),
        ("bad dev", NET_INIT.replace("dev=00:04", "dev=4")),
        ("dev not padded", NET_INIT.replace("dev=00:04", "dev=0:04")),
        ("dev uppercase", NET_INIT.replace("dev=00:04", "dev=00:0A")),
        (
            "dev over-padded",
            NET_INIT.replace("dev=00:04", "dev=000:04"),
        ),
        (
            "injected field",
            NET_INIT.replace("comm=\"unshare\"", "comm=\"x\" type=AVC"),
        ),
        (
            "needless hex",
            NET_INIT.replace("comm=\"unshare\"", "comm=756E7368617265"),
        ),
        (
            "lowercase hex",
            NET_INIT.replace("comm=\"unshare\"", "comm=6a2062"),
        ),
        (
            "comm (null)",
            NET_INIT.replace("comm=\"unshare\"", "comm=(null)"),
        ),
        ("bad tty", NET_INIT.replace("tty=(none)", "tty=")),
        ("empty subj", NET_INIT.replace(" dev=", " subj= dev=")),
        (
            "subj without subject",
            NET_INIT.replace(&format!("{TASK} "), "subj=x "),
        ),
        (
            "part of the subject",
            NET_INIT.replace(&format!("{TASK} "), "ppid=1 pid=77 "),
        ),
        (
            "subject after dev",
            NET_INIT
                .replace(&format!("{TASK} "), "")
                .replace(" res=1", &format!(" {TASK} res=1")),
        ),
        (
            "subject twice",
            NET_INIT.replace(&format!("{TASK} "), &format!("{TASK} {TASK} ")),
        ),
        (
            "subject before op",
            NET_INIT.replace(&format!("op=create {TASK}"), &format!("{TASK} op=create")),
        ),
    ]
}

#[test]
fn rejects_deviations() {
    for (what, body) in &deviations() {
        assert!(
            check_ns_record(&rec(1345, body)).is_err(),
            "{what}: accepted {body}"
        );
    }
    // DEL records carry no old_ fields, INIT records need them.
    let del = NET_INIT.replace("op=create", "op=remove");
    assert!(errors(1351, &del).iter().any(|e| e.contains("fields are")));
    let init_without_old = NET_INIT.replace(" old_netns=4026531840 old_netns_id=1", "");
    assert!(errors(1345, &init_without_old)
        .iter()
        .any(|e| e.contains("fields are")));
    // Not a namespace type at all.
    assert_eq!(errors(1300, NET_INIT).len(), 1);
}

#[test]
fn reports_every_problem() {
    let body = NET_INIT
        .replace("res=1", "res=2")
        .replace("pid=77", "pid=x")
        .replace("dev=00:04", "dev=zz");
    let errs = errors(1345, &body);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("res=2")));
    assert!(errs.iter().any(|e| e.contains("pid=x")));
    assert!(errs.iter().any(|e| e.contains("dev=zz")));
}

#[test]
fn expected_fields_follow_the_reference() {
    let f = expected_fields(NsKind::User, true, true);
    assert_eq!(f.len(), 1 + 15 + 1 + 1 + 2 + 2 + 1);
    assert_eq!(f[1..16], SUBJECT_FIELDS);
    assert_eq!(f[16], "subj");
    assert_eq!(
        f[18..],
        ["old_userns", "old_userns_id", "userns", "userns_id", "res"]
    );
    let f = expected_fields(NsKind::Pid, false, false);
    assert_eq!(f.len(), 1 + 15 + 1 + 2 + 1);
    assert_eq!(f[15..], ["exe", "dev", "pidns", "pidns_id", "res"]);
    let f = expected_fields(NsKind::Net, true, false);
    assert_eq!(f[0], "op");
    assert_eq!(
        f[16..],
        [
            "dev",
            "old_netns",
            "old_netns_id",
            "netns",
            "netns_id",
            "res"
        ]
    );
}
