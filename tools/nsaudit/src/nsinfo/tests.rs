// SPDX-License-Identifier: GPL-2.0

//! Tests of the `AUDIT_NS_INFO` checker, with records written from the format in the module
//! documentation.

use super::*;
use crate::record::parse_record;

/// A task in a container: new mount, UTS, IPC, user, PID and network namespaces, the initial
/// cgroup and time namespaces.
const CONTAINER: &str = "mntns_id=4101 utsns_id=4102 ipcns_id=4103 userns_id=4100 \
pidns_id=4104 netns_id=4105 cgroupns_id=5 timens_id=6";

fn rec(ty: u16, body: &str) -> Record {
    parse_record(ty, &format!("audit(1700000000.123:45): {body}")).unwrap()
}

fn errors(body: &str) -> Vec<String> {
    match check_ns_info(&rec(AUDIT_NS_INFO, body)) {
        Ok(i) => panic!("accepted {body}: {i:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_initial_ids_are_the_reserved_ones() {
    // One per type, 1 to NS_LAST_INIT_ID, the mount namespace's last (MNT_NS_INIT_ID).
    let mut ids: Vec<u64> = NsKind::ALL.iter().map(|&k| initial_id(k)).collect();
    ids.sort();
    assert_eq!(ids, (1..=NS_LAST_INIT_ID).collect::<Vec<u64>>());
    assert_eq!(initial_id(NsKind::Mnt), NS_LAST_INIT_ID);
    assert_eq!(initial_id(NsKind::Ipc), 1);
    for k in NsKind::ALL {
        assert_eq!(initial_kind(initial_id(k)), Some(k));
        assert_eq!(NsInfo::initial().id(k), initial_id(k));
        assert_eq!(field_of(k), format!("{}ns_id", k.name()));
    }
    assert!(NsInfo::initial().all_initial());
    assert!(!NsInfo::initial().with(NsKind::Net, 4096).all_initial());
}

#[test]
fn accepts_a_task_in_a_container() {
    let info = check_ns_info(&rec(AUDIT_NS_INFO, CONTAINER)).unwrap();
    let want = [4101, 4102, 4103, 4100, 4104, 4105, 5, 6];
    for (k, id) in NsKind::ALL.into_iter().zip(want) {
        assert_eq!(info.id(k), id, "{k:?}");
    }
    assert_eq!(info.fields_text(), CONTAINER);
    assert_eq!(info.to_string(), CONTAINER);
    // One namespace of its own is enough, whatever its type.
    for k in NsKind::ALL {
        let one = NsInfo::initial().with(k, 70000);
        let r = rec(AUDIT_NS_INFO, &one.fields_text());
        assert_eq!(check_ns_info(&r), Ok(one), "{k:?}");
    }
    // The largest id the kernel can hand out.
    let big = NsInfo::initial().with(NsKind::Time, u64::MAX);
    assert_eq!(
        check_ns_info(&rec(AUDIT_NS_INFO, &big.fields_text())),
        Ok(big)
    );
}

#[test]
fn differences_name_the_kinds() {
    let a = check_ns_info(&rec(AUDIT_NS_INFO, CONTAINER)).unwrap();
    let b = a.with(NsKind::Pid, initial_id(NsKind::Pid));
    assert_eq!(a.differences(&b), [NsKind::Pid]);
    assert_eq!(a.differences(&a), []);
    assert_eq!(
        a.differences(&NsInfo::initial()),
        [
            NsKind::Mnt,
            NsKind::Uts,
            NsKind::Ipc,
            NsKind::User,
            NsKind::Pid,
            NsKind::Net
        ]
    );
}

#[test]
fn refuses_another_type() {
    let e = check_ns_info(&rec(1300, CONTAINER)).unwrap_err();
    assert!(e[0].contains("not AUDIT_NS_INFO (1356)"), "{e:?}");
}

#[test]
fn refuses_other_field_sets() {
    let subject = "ppid=1 pid=77 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 \
                   sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"sh\" exe=\"/bin/sh\"";
    let swapped = CONTAINER.replace("mntns_id=4101 utsns_id=4102", "utsns_id=4102 mntns_id=4101");
    let missing = CONTAINER.replace(" timens_id=6", "");
    let inodes = CONTAINER.replace("netns_id=4105", "netns=4026532001 netns_id=4105");
    for (why, body) in [
        ("the order", swapped),
        ("a field missing", missing),
        ("an inode number", inodes),
        ("a subject", format!("{subject} {CONTAINER}")),
        ("res=1", format!("{CONTAINER} res=1")),
    ] {
        let e = errors(&body);
        assert!(e[0].starts_with("fields are ["), "{why}: {e:?} for {body}");
    }
    // The missing field is named as well.
    let e = errors(&CONTAINER.replace(" timens_id=6", ""));
    assert!(e.iter().any(|m| m == "no timens_id="), "{e:?}");
}

#[test]
fn refuses_values_that_are_not_ids() {
    for bad in [
        "0",
        "-1",
        "0x1005",
        "01005",
        "1005a",
        "(none)",
        "\"1005\"",
        "18446744073709551616",
    ] {
        let e = errors(&CONTAINER.replace("netns_id=4105", &format!("netns_id={bad}")));
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert!(
            e[0].starts_with(&format!("netns_id={bad} is not")),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn a_reserved_id_belongs_to_its_own_type() {
    // 7 is the initial network namespace: not a mount namespace.
    let e = errors(&CONTAINER.replace("mntns_id=4101", "mntns_id=7"));
    assert_eq!(
        e,
        ["mntns_id=7 is the id of the initial net namespace, not of a mnt namespace"]
    );
    // The initial mount namespace's own id is fine.
    assert!(check_ns_info(&rec(
        AUDIT_NS_INFO,
        &CONTAINER.replace("mntns_id=4101", "mntns_id=8")
    ))
    .is_ok());
}

#[test]
fn a_task_in_the_initial_namespaces_has_no_record() {
    let e = errors(&NsInfo::initial().fields_text());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("the kernel writes no record"), "{e:?}");
}

#[test]
fn reports_every_problem() {
    let body = CONTAINER
        .replace("utsns_id=4102", "utsns_id=0")
        .replace("pidns_id=4104", "pidns_id=1");
    let e = errors(&body);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("utsns_id=0 "), "{e:?}");
    assert!(
        e[1].starts_with("pidns_id=1 is the id of the initial ipc"),
        "{e:?}"
    );
}
