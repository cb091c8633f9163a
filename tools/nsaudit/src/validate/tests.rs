// SPDX-License-Identifier: GPL-2.0

//! Tests of the validator's evaluation, with records written from the format in
//! `Documentation/records.rst`: every namespace record carries its subject.

use super::*;

const OWN: [(NsKind, u64, u64); NsKind::COUNT] = [
    (NsKind::Mnt, 4026531832, 1),
    (NsKind::Uts, 4026531838, 2),
    (NsKind::Ipc, 4026531839, 3),
    (NsKind::User, 4026531837, 4),
    (NsKind::Pid, 4026531836, 5),
    (NsKind::Net, 4026531833, 6),
    (NsKind::Cgroup, 4026531835, 7),
    (NsKind::Time, 4026531834, 8),
];

fn own() -> Own {
    OWN.iter()
        .map(|&(k, inum, id)| (k, NsIdent { inum, id }))
        .collect()
}

fn ident(n: u64) -> NsIdent {
    NsIdent {
        inum: 4026532000 + n,
        id: 4096 + n,
    }
}

/// The subject of task `pid`, as its SYSCALL records ([`syscall_as`]) write it too.
fn task(pid: i32, comm: &str) -> String {
    format!(
        "ppid=1 pid={pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"{comm}\" exe=\"/bin/nsaudit\""
    )
}

/// The subject of a workqueue worker.
fn kworker() -> &'static str {
    "ppid=2 pid=41 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
     tty=(none) ses=4294967295 comm=\"kworker/u8:1\" exe=(null)"
}

fn got(ty: u16, text: String) -> Got {
    let (g, problem) = Got::new(ty, text);
    assert_eq!(problem, None);
    g
}

fn init(k: NsKind, op: &str, serial: u64, subject: &str, old: Option<NsIdent>, ns: NsIdent) -> Got {
    let t = k.name();
    let old = match old {
        Some(o) => format!("old_{t}ns={} old_{t}ns_id={}", o.inum, o.id),
        None => format!("old_{t}ns=(none) old_{t}ns_id=(none)"),
    };
    got(
        k.init_type(),
        format!("audit(1700000000.100:{serial}): op={op} {subject} dev=00:04 {old} {t}ns={} {t}ns_id={} res=1", ns.inum, ns.id),
    )
}

fn del(k: NsKind, serial: u64, subject: &str, ns: NsIdent) -> Got {
    del_at(k, "1700000000.200", serial, subject, ns)
}

fn del_at(k: NsKind, time: &str, serial: u64, subject: &str, ns: NsIdent) -> Got {
    let t = k.name();
    got(
        k.del_type(),
        format!(
            "audit({time}:{serial}): op=remove {subject} dev=00:04 {t}ns={} {t}ns_id={} res=1",
            ns.inum, ns.id
        ),
    )
}

fn syscall(serial: u64, nr: u32, pid: i32) -> Got {
    syscall_as(serial, nr, pid, "nsaudit")
}

fn syscall_as(serial: u64, nr: u32, pid: i32, comm: &str) -> Got {
    got(
        AUDIT_SYSCALL,
        format!(
            "audit(1700000000.100:{serial}): arch=c000003e syscall={nr} success=yes exit=0 a0=40000000 a1=0 a2=0 a3=0 items=0 {} key=(null)",
            task(pid, comm)
        ),
    )
}

/// What a child that made namespaces of `kinds` with `method` reports: the new ones
/// `ident(0)`, `ident(1)`, ...; after unshare it is in those it enters itself, not in a new PID
/// or time namespace; after clone3 it is in ours.
fn child(kinds: &[NsKind], actor: i32, comm: &str, method: Method) -> Spawned {
    let mut ns = own();
    let mut actor_ns = own();
    for (i, &k) in kinds.iter().enumerate() {
        ns.insert(k, ident(i as u64));
        if method == Method::Unshare && !matches!(k, NsKind::Pid | NsKind::Time) {
            actor_ns.insert(k, ident(i as u64));
        }
    }
    Spawned {
        actor,
        holder: actor,
        comm: comm.as_bytes().to_vec(),
        ns,
        actor_ns,
    }
}

fn failures(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| c.result.is_err())
        .map(|c| c.what.as_str())
        .collect()
}

/// The records of `unshare` of `kinds` by pid 500, then their removal: by the task for mount,
/// UTS and IPC namespaces, by a kernel worker for the others.
fn unshare_records(kinds: &[NsKind]) -> Vec<Got> {
    let me = task(500, "nsaudit");
    let mut v: Vec<Got> = kinds
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            init(
                k,
                "create",
                10,
                &me,
                own().get(&k).copied(),
                ident(i as u64),
            )
        })
        .collect();
    v.push(syscall(10, 272, 500));
    for (i, &k) in kinds.iter().enumerate() {
        let subject = if removed_by_worker(k) {
            kworker().to_string()
        } else {
            task(500, "nsaudit")
        };
        v.push(del(k, 11 + i as u64, &subject, ident(i as u64)));
    }
    v
}

#[test]
fn tap_prints_checks_and_the_summary() {
    let mut tap = Tap::new(Vec::new());
    assert!(tap.check(true, "a", "unused"));
    assert!(!tap.check(false, "b", "why"));
    tap.note("hello");
    assert!(!tap.report(vec![
        check("c", true, String::new),
        check("d", false, || "no".into())
    ]));
    assert_eq!((tap.passed, tap.failed), (2, 2));
    assert_eq!(tap.summary(), "validate: 2 passed, 2 failed");
    let out = String::from_utf8(tap.into_inner()).unwrap();
    assert_eq!(
        out,
        "ok - a\nnot ok - b: why\n# hello\nok - c\nnot ok - d: no\n"
    );
}

#[test]
fn a_clean_unshare_passes() {
    for kinds in [
        &[NsKind::Uts][..],
        &[NsKind::Net][..],
        &[NsKind::Cgroup][..],
        &[NsKind::Time][..],
        &NsKind::ALL[..],
    ] {
        let recs = unshare_records(kinds);
        let c = child(kinds, 500, "nsaudit", Method::Unshare);
        let checks = eval_create("t", &recs, kinds, &c, &own(), Method::Unshare);
        assert_eq!(failures(&checks), Vec::<&str>::new());
        // Each kind: one INIT, old, subject agreeing with SYSCALL, the child, SYSCALL, where
        // the child is; plus no-other-type (and one event).
        assert_eq!(
            checks.len(),
            kinds.len() * 6 + 1 + usize::from(kinds.len() > 1)
        );
        let ids: Vec<(NsKind, NsIdent)> = kinds.iter().map(|k| (*k, c.ns[k])).collect();
        let checks = eval_dels("t", &recs, &ids, &[500]);
        assert_eq!(failures(&checks), Vec::<&str>::new());
        assert_eq!(checks.len(), kinds.len() * 2);
    }
}

/// What `eval_create` finds wrong with `recs` for one UTS namespace that task 500 unshared.
fn create_failures(recs: Vec<Got>) -> Vec<String> {
    let kinds = [NsKind::Uts];
    let c = child(&kinds, 500, "nsaudit", Method::Unshare);
    let checks = eval_create("t", &recs, &kinds, &c, &own(), Method::Unshare);
    failures(&checks).into_iter().map(str::to_string).collect()
}

#[test]
fn create_catches_wrong_records() {
    let run = create_failures;
    let me = task(500, "nsaudit");
    let subject = me.as_str();
    let origin = own().get(&NsKind::Uts).copied();
    // Nothing at all.
    assert!(run(vec![])
        .iter()
        .any(|f| f.contains("exactly one INIT_UTS")));
    // Twice.
    let twice = vec![
        init(NsKind::Uts, "create", 10, subject, origin, ident(0)),
        init(NsKind::Uts, "create", 11, subject, origin, ident(0)),
        syscall(10, 272, 500),
    ];
    assert!(run(twice)
        .iter()
        .any(|f| f.contains("exactly one INIT_UTS")));
    // Wrong ids.
    assert!(run(vec![
        init(NsKind::Uts, "create", 10, subject, origin, ident(7)),
        syscall(10, 272, 500)
    ])
    .iter()
    .any(|f| f.contains("exactly one")));
    // op=existing.
    assert!(run(vec![
        init(NsKind::Uts, "existing", 10, subject, origin, ident(0)),
        syscall(10, 272, 500)
    ])
    .iter()
    .any(|f| f.contains("op=create")));
    // Wrong origin.
    assert!(run(vec![
        init(NsKind::Uts, "create", 10, subject, Some(ident(9)), ident(0)),
        syscall(10, 272, 500)
    ])
    .iter()
    .any(|f| f.contains("old_utsns")));
    assert!(run(vec![
        init(NsKind::Uts, "create", 10, subject, None, ident(0)),
        syscall(10, 272, 500)
    ])
    .iter()
    .any(|f| f.contains("old_utsns")));
}

#[test]
fn create_catches_wrong_subjects_and_syscalls() {
    let run = create_failures;
    let me = task(500, "nsaudit");
    let subject = me.as_str();
    let origin = own().get(&NsKind::Uts).copied();
    // A subject that is not the SYSCALL record's: another task, another comm, a kernel thread.
    for s in [
        task(501, "nsaudit"),
        task(500, "other"),
        kworker().to_string(),
    ] {
        assert_eq!(
            run(vec![
                init(NsKind::Uts, "create", 10, &s, origin, ident(0)),
                syscall(10, 272, 500)
            ]),
            [
                "t: INIT_UTS carries the subject, and it matches the event's SYSCALL record",
                "t: INIT_UTS names the child as subject (pid, comm)"
            ],
            "{s}"
        );
    }
    // The SYSCALL record names another comm than the record, which names the child.
    assert_eq!(
        run(vec![
            init(NsKind::Uts, "create", 10, subject, origin, ident(0)),
            syscall_as(10, 272, 500, "other")
        ]),
        ["t: INIT_UTS carries the subject, and it matches the event's SYSCALL record"]
    );
    // No SYSCALL, another serial, another system call, another pid.
    for (sc, agrees) in [
        (vec![], false),
        (vec![syscall(11, 272, 500)], false),
        (vec![syscall(10, 435, 500)], true),
        (vec![syscall(10, 272, 501)], false),
    ] {
        let mut recs = vec![init(NsKind::Uts, "create", 10, subject, origin, ident(0))];
        recs.extend(sc);
        let f = run(recs);
        assert!(
            f.contains(
                &"t: INIT_UTS shares its serial with the SYSCALL record (syscall=272) of the child"
                    .to_string()
            ),
            "{f:?}"
        );
        assert_eq!(
            f.iter()
                .any(|x| x.contains("matches the event's SYSCALL record")),
            !agrees,
            "{f:?}"
        );
    }
    // An INIT of another type.
    let recs = vec![
        init(NsKind::Uts, "create", 10, subject, origin, ident(0)),
        init(
            NsKind::Ipc,
            "create",
            10,
            subject,
            own().get(&NsKind::Ipc).copied(),
            ident(1),
        ),
        syscall(10, 272, 500),
    ];
    assert_eq!(run(recs), ["t: no INIT record of another type"]);
}

#[test]
fn create_of_several_needs_one_event() {
    let kinds = [NsKind::Uts, NsKind::Ipc];
    let c = child(&kinds, 500, "nsaudit", Method::Unshare);
    let me = task(500, "nsaudit");
    let recs = vec![
        init(
            NsKind::Uts,
            "create",
            10,
            &me,
            own().get(&NsKind::Uts).copied(),
            ident(0),
        ),
        syscall(10, 272, 500),
        init(
            NsKind::Ipc,
            "create",
            12,
            &me,
            own().get(&NsKind::Ipc).copied(),
            ident(1),
        ),
        syscall(12, 272, 500),
    ];
    let checks = eval_create("t", &recs, &kinds, &c, &own(), Method::Unshare);
    assert_eq!(failures(&checks), ["t: the 2 INIT records are one event"]);
}

#[test]
fn clone3_checks_the_clone3_syscall() {
    let kinds = [NsKind::Pid];
    let c = child(&kinds, 500, "nsaudit", Method::Clone3);
    let i = init(
        NsKind::Pid,
        "create",
        10,
        &task(500, "nsaudit"),
        own().get(&NsKind::Pid).copied(),
        ident(0),
    );
    let ok = eval_create(
        "t",
        &[i.clone(), syscall(10, 435, 500)],
        &kinds,
        &c,
        &own(),
        Method::Clone3,
    );
    assert_eq!(failures(&ok), Vec::<&str>::new());
    let bad = eval_create(
        "t",
        &[i, syscall(10, 272, 500)],
        &kinds,
        &c,
        &own(),
        Method::Clone3,
    );
    assert_eq!(failures(&bad).len(), 1);
}

#[test]
fn the_caller_enters_what_it_unshares_but_pid_and_time() {
    // The records of one namespace of `kind`, made by pid 500 with `method`, and where the
    // child says it is afterwards: in the new namespace (`entered`) or in ours.
    let run = |kind: NsKind, method: Method, entered: bool| {
        let mut c = child(&[kind], 500, "nsaudit", method);
        let here = if entered { ident(0) } else { own()[&kind] };
        c.actor_ns.insert(kind, here);
        let recs = vec![
            init(
                kind,
                "create",
                10,
                &task(500, "nsaudit"),
                own().get(&kind).copied(),
                ident(0),
            ),
            syscall(10, method.syscall_nr(), 500),
        ];
        let checks = eval_create("t", &recs, &[kind], &c, &own(), method);
        failures(&checks)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let none = Vec::<String>::new();
    for kind in [NsKind::Uts, NsKind::Cgroup, NsKind::User] {
        assert_eq!(run(kind, Method::Unshare, true), none, "{kind:?}");
        assert_eq!(
            run(kind, Method::Unshare, false),
            [format!(
                "t: the child is in the new {} namespace itself",
                kind.name()
            )]
        );
    }
    for (kind, file) in [
        (NsKind::Pid, "pid_for_children"),
        (NsKind::Time, "time_for_children"),
    ] {
        assert_eq!(run(kind, Method::Unshare, false), none, "{kind:?}");
        assert_eq!(
            run(kind, Method::Unshare, true),
            [format!(
                "t: the child stays in its {} namespace, the new one is its {file}",
                kind.name()
            )]
        );
    }
    for kind in NsKind::ALL {
        assert_eq!(run(kind, Method::Clone3, false), none, "{kind:?}");
        assert_eq!(
            run(kind, Method::Clone3, true),
            [format!(
                "t: the clone3 caller stays in its {} namespace",
                kind.name()
            )]
        );
    }
}

#[test]
fn dels_want_the_worker_or_the_task_that_let_go() {
    let id = ident(0);
    let f = |kind: NsKind, recs: Vec<Got>| {
        let c = eval_dels("t", &recs, &[(kind, id)], &[500]);
        failures(&c)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let none = Vec::<String>::new();
    // Network namespaces are removed by a kernel worker (or, not expected, no task at all).
    assert_eq!(
        f(NsKind::Net, vec![del(NsKind::Net, 3, kworker(), id)]),
        none
    );
    assert_eq!(
        f(
            NsKind::Net,
            vec![del(NsKind::Net, 3, crate::reference::NO_TASK_SUBJECT, id)]
        ),
        none
    );
    let by_worker = ["t: DEL_NET names the kernel thread that removed it"];
    assert_eq!(
        f(NsKind::Net, vec![del(NsKind::Net, 3, &task(500, "x"), id)]),
        by_worker
    );
    // UTS namespaces by the task that let go, and no other.
    assert_eq!(
        f(NsKind::Uts, vec![del(NsKind::Uts, 3, &task(500, "x"), id)]),
        none
    );
    let by_task = ["t: DEL_UTS names the task that let go"];
    assert_eq!(
        f(NsKind::Uts, vec![del(NsKind::Uts, 3, &task(501, "x"), id)]),
        by_task
    );
    assert_eq!(
        f(NsKind::Uts, vec![del(NsKind::Uts, 3, kworker(), id)]),
        by_task
    );
    // Cgroup and time namespaces too: freed by the task that drops the last reference.
    for kind in [NsKind::Cgroup, NsKind::Time] {
        assert_eq!(f(kind, vec![del(kind, 3, &task(500, "x"), id)]), none);
        assert_eq!(
            f(kind, vec![del(kind, 3, kworker(), id)]),
            [format!(
                "t: DEL_{} names the task that let go",
                kind.name().to_uppercase()
            )]
        );
    }
    // Missing, twice, another inode, another type.
    assert_eq!(
        f(NsKind::Net, vec![]),
        ["t: exactly one DEL_NET with the ids of the namespace"]
    );
    assert_eq!(
        f(
            NsKind::Net,
            vec![
                del(NsKind::Net, 3, kworker(), id),
                del(NsKind::Net, 4, kworker(), id)
            ]
        )
        .len(),
        1
    );
    assert_eq!(
        f(
            NsKind::Net,
            vec![del(
                NsKind::Net,
                3,
                kworker(),
                NsIdent { inum: 1, id: id.id }
            )]
        )
        .len(),
        1
    );
    assert_eq!(
        f(NsKind::Net, vec![del(NsKind::Uts, 3, kworker(), id)]).len(),
        1
    );
    // In a system call the record's subject must be that of the SYSCALL record.
    let me = task(500, "nsaudit");
    assert_eq!(
        f(
            NsKind::Uts,
            vec![del(NsKind::Uts, 3, &me, id), syscall(3, 308, 500)]
        ),
        none
    );
    assert_eq!(
        f(
            NsKind::Uts,
            vec![del(NsKind::Uts, 3, &me, id), syscall(3, 308, 501)]
        ),
        by_task
    );
}

#[test]
fn load_wants_existing_records_for_our_namespaces() {
    let insmod = task(90, "insmod");
    let mut recs: Vec<Got> = OWN
        .iter()
        .map(|&(k, inum, id)| init(k, "existing", 7, &insmod, None, NsIdent { inum, id }))
        .collect();
    recs.push(init(
        NsKind::Net,
        "existing",
        7,
        &insmod,
        Some(own()[&NsKind::Net]),
        ident(3),
    ));
    recs.push(syscall_as(7, 313, 90, "insmod"));
    assert_eq!(failures(&eval_load(&recs, &own())), Vec::<&str>::new());
    // One of ours missing.
    let missing: Vec<Got> = recs
        .iter()
        .filter(|g| g.ty != NsKind::Ipc.init_type())
        .cloned()
        .collect();
    assert_eq!(
        failures(&eval_load(&missing, &own())),
        ["load: one INIT_IPC op=existing for our own ipc namespace"]
    );
    for kind in [NsKind::Cgroup, NsKind::Time] {
        let missing: Vec<Got> = recs
            .iter()
            .filter(|g| g.ty != kind.init_type())
            .cloned()
            .collect();
        assert_eq!(
            failures(&eval_load(&missing, &own())),
            [format!(
                "load: one INIT_{} op=existing for our own {} namespace",
                kind.name().to_uppercase(),
                kind.name()
            )]
        );
    }
    // Reported twice.
    let mut twice = recs.clone();
    twice.push(recs[0].clone());
    assert_eq!(failures(&eval_load(&twice, &own())).len(), 1);
    // A creation or removal during the load.
    let mut other = recs.clone();
    other.push(del(NsKind::Uts, 8, kworker(), ident(4)));
    assert_eq!(
        failures(&eval_load(&other, &own())),
        ["load: only op=existing INIT records while loading"]
    );
}

#[test]
fn load_records_name_insmod_in_its_finit_module_event() {
    let records = |subject: &str, sc: Option<Got>| {
        let mut v: Vec<Got> = OWN
            .iter()
            .map(|&(k, inum, id)| init(k, "existing", 7, subject, None, NsIdent { inum, id }))
            .collect();
        v.extend(sc);
        v
    };
    let insmod = task(90, "insmod");
    let ok = records(&insmod, Some(syscall_as(7, 313, 90, "insmod")));
    assert!(eval_load_subject(&ok, 90).result.is_ok());
    let old_call = records(&insmod, Some(syscall_as(7, 175, 90, "insmod")));
    assert!(eval_load_subject(&old_call, 90).result.is_ok());
    // Another pid, another system call, a SYSCALL record that disagrees, none at all: the
    // records still name insmod, but not in its event, which must be there.
    for (what, recs) in [
        (
            "pid",
            records(&insmod, Some(syscall_as(7, 313, 90, "insmod"))),
        ),
        (
            "call",
            records(&insmod, Some(syscall_as(7, 272, 90, "insmod"))),
        ),
        (
            "agree",
            records(&insmod, Some(syscall_as(7, 313, 91, "insmod"))),
        ),
        ("none", records(&insmod, None)),
    ] {
        let pid = if what == "pid" { 91 } else { 90 };
        let c = eval_load_subject(&recs, pid);
        assert!(c.result.is_err(), "{what}");
    }
    assert!(eval_load_subject(&[], 90).result.is_err());
}

/// INIT records of `kind` for `levels`, each made by its pid from the level before, the first
/// from ours, at serials 20, 21, ...
fn chain(kind: NsKind, levels: &[(i32, NsIdent)]) -> Vec<Got> {
    let mut recs = vec![];
    let mut parent = own().get(&kind).copied();
    for (i, &(pid, id)) in levels.iter().enumerate() {
        recs.push(init(
            kind,
            "create",
            20 + i as u64,
            &task(pid, "nsaudit"),
            parent,
            id,
        ));
        parent = Some(id);
    }
    recs
}

#[test]
fn nested_namespaces_chain() {
    let levels = [(600, ident(0)), (601, ident(1)), (602, ident(2))];
    for (label, kind) in [
        ("nested userns", NsKind::User),
        ("nested cgroupns", NsKind::Cgroup),
    ] {
        let (t, up) = (kind.name(), kind.name().to_uppercase());
        let run = |recs: &[Got]| {
            failures(&eval_nested(label, kind, recs, &levels, &own()))
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let recs = chain(kind, &levels);
        assert_eq!(run(&recs), Vec::<String>::new());
        // Level 3 claims to come from level 1.
        let mut bad = recs.clone();
        bad[2] = init(
            kind,
            "create",
            22,
            &task(602, "nsaudit"),
            Some(ident(0)),
            ident(2),
        );
        assert_eq!(
            run(&bad),
            [format!(
                "{label}: level 3 has one INIT_{up} with old_{t}ns = level 2"
            )]
        );
        // Made by the wrong process.
        let mut bad = recs.clone();
        bad[1] = init(
            kind,
            "create",
            21,
            &task(600, "nsaudit"),
            Some(ident(0)),
            ident(1),
        );
        assert_eq!(run(&bad).len(), 1);
        // The SYSCALL record of its event names another process.
        let mut bad = recs.clone();
        bad.push(syscall(21, 272, 600));
        assert_eq!(run(&bad).len(), 1);
        // A namespace of another kind is not a level.
        let mut bad = recs.clone();
        bad[0] = init(
            NsKind::Uts,
            "create",
            20,
            &task(600, "nsaudit"),
            own().get(&NsKind::Uts).copied(),
            ident(0),
        );
        assert_eq!(
            run(&bad),
            [
                format!("{label}: level 1 has one INIT_{up} with old_{t}ns = level 0"),
                format!("{label}: no other INIT record"),
            ]
        );
    }
}

#[test]
fn time_unshared_twice_drops_the_first() {
    // One task (pid 600) unshares a time namespace twice: the second comes from the first,
    // and the second unshare (serial 21) drops the first, in its own event.
    let label = "timens unshared twice";
    let (first, second) = (ident(0), ident(1));
    let levels = [(600, first), (600, second)];
    let me = task(600, "nsaudit");
    let mut recs = chain(NsKind::Time, &levels);
    recs.push(syscall(20, 272, 600));
    recs.push(syscall(21, 272, 600));
    recs.push(del(NsKind::Time, 21, &me, first));
    recs.push(del(NsKind::Time, 22, &me, second));
    let c = eval_nested(label, NsKind::Time, &recs, &levels, &own());
    assert_eq!(failures(&c), Vec::<&str>::new());
    let replaced = |recs: &[Got]| eval_replaced(label, NsKind::Time, recs, first, second);
    assert!(replaced(&recs).result.is_ok());
    let ids = [(NsKind::Time, first), (NsKind::Time, second)];
    assert_eq!(
        failures(&eval_dels(label, &recs, &ids, &[600])),
        Vec::<&str>::new()
    );
    // Removed later, in an event of its own: not by the second unshare.
    let mut later = recs.clone();
    later.retain(|g| !(g.ty == NsKind::Time.del_type() && g.text.contains(":21)")));
    later.push(del(NsKind::Time, 23, &me, first));
    assert!(replaced(&later).result.is_err());
    // Not removed at all.
    later.retain(|g| g.ty != NsKind::Time.del_type());
    assert!(replaced(&later).result.is_err());
    // The second named as made from ours, not from the first.
    let mut bad = recs.clone();
    bad[1] = init(
        NsKind::Time,
        "create",
        21,
        &me,
        own().get(&NsKind::Time).copied(),
        second,
    );
    assert_eq!(
        failures(&eval_nested(label, NsKind::Time, &bad, &levels, &own())),
        ["timens unshared twice: level 2 has one INIT_TIME with old_timens = level 1"]
    );
}

#[test]
fn none_lists_what_it_found() {
    let recs = unshare_records(&[NsKind::Net]);
    let c = eval_none("x", &recs, |g| g.ty == NsKind::Net.del_type());
    assert!(c.result.as_ref().unwrap_err().contains("UNKNOWN[1351]"));
    assert!(eval_none("x", &recs, |g| g.ty == 1).result.is_ok());
}

#[test]
fn got_reports_broken_records() {
    let (g, p) = Got::new(1345, "audit(1.000:1): op=create".into());
    assert!(g.rec.is_some() && g.ns.is_none());
    assert!(p.unwrap().contains("breaks the reference"));
    // A record without the subject (the v1 form of a record of a syscall event).
    let (g, p) = Got::new(
        1351,
        "audit(1.000:1): op=remove dev=00:04 netns=4026532001 netns_id=4097 res=1".into(),
    );
    assert!(g.ns.is_none());
    assert!(p.unwrap().contains("no subject after op="));
    let (g, p) = Got::new(1300, "garbage".into());
    assert!(g.rec.is_none());
    assert!(p.unwrap().contains("does not parse"));
    // Other types need not parse.
    let (g, p) = Got::new(1400, "audit(1.000:1): apparmor=\"DENIED\" x y".into());
    assert!(g.rec.is_none() && p.is_none());
    assert_eq!(
        g.log_line(),
        "type=UNKNOWN[1400] msg=audit(1.000:1): apparmor=\"DENIED\" x y"
    );
}

#[test]
fn stream_accepts_interleaved_events() {
    let mut s = Stream::default();
    // INIT of event 10, a worker's DEL (event 11), then the SYSCALL of event 10.
    let recs = [
        init(
            NsKind::Uts,
            "create",
            10,
            &task(500, "nsaudit"),
            None,
            ident(0),
        ),
        del(NsKind::Net, 11, kworker(), ident(1)),
        syscall(10, 272, 500),
        got(1320, "audit(1700000000.100:10): ".into()),
        del(NsKind::Uts, 12, &task(500, "nsaudit"), ident(0)),
    ];
    for r in &recs {
        assert_eq!(s.observe(r), Vec::<String>::new());
    }
}

#[test]
fn stream_takes_events_in_any_arrival_order() {
    let mut s = Stream::default();
    // Event 11 (a worker's DEL) queued before event 10, ten seconds older: records wait for
    // room in the backlog, so arrival order says nothing.
    let a = del(NsKind::Net, 11, kworker(), ident(1));
    let b = del_at(NsKind::Uts, "1699999990.000", 10, &task(5, "x"), ident(2));
    assert!(s.observe(&a).is_empty());
    assert!(s.observe(&b).is_empty());
    assert_eq!(s.reordered, 1);
    // A removal that arrives before its creation, in event order after it.
    let mut s = Stream::default();
    let d = del_at(NsKind::Net, "1700000001.000", 30, kworker(), ident(3));
    let i = init(
        NsKind::Net,
        "create",
        29,
        &task(500, "nsaudit"),
        None,
        ident(3),
    );
    assert!(s.observe(&d).is_empty());
    assert!(s.observe(&i).is_empty());
}

#[test]
fn stream_catches_removals_before_creations() {
    for (del_time, del_serial) in [("1700000000.050", 31), ("1700000000.100", 29)] {
        let mut s = Stream::default();
        let i = init(
            NsKind::Net,
            "create",
            30,
            &task(500, "nsaudit"),
            None,
            ident(3),
        );
        let d = del_at(NsKind::Net, del_time, del_serial, kworker(), ident(3));
        assert!(s.observe(&i).is_empty());
        let p = s.observe(&d);
        assert!(
            p.len() == 1 && p[0].contains("netns_id=4099 removed at"),
            "{p:?}"
        );
    }
}

#[test]
fn stream_matches_subjects_with_syscall_records_either_way() {
    // The SYSCALL record after the namespace record, and before it.
    let mut s = Stream::default();
    let i = init(
        NsKind::Uts,
        "create",
        10,
        &task(500, "nsaudit"),
        None,
        ident(0),
    );
    assert!(s.observe(&i).is_empty());
    let p = s.observe(&syscall(10, 272, 501));
    assert!(p.len() == 1 && p[0].contains("[pid]"), "{p:?}");
    let mut s = Stream::default();
    assert!(s.observe(&syscall_as(10, 272, 500, "other")).is_empty());
    let p = s.observe(&i);
    assert!(p.len() == 1 && p[0].contains("[comm]"), "{p:?}");
    // Agreement, in both orders.
    let mut s = Stream::default();
    assert!(s.observe(&syscall(10, 272, 500)).is_empty());
    assert!(s.observe(&i).is_empty());
}

#[test]
fn stream_catches_duplicates_stamps_and_double_lifecycles() {
    let mut s = Stream::default();
    assert!(s.observe(&syscall(10, 272, 500)).is_empty());
    // The same record twice.
    let p = s.observe(&syscall(10, 272, 500));
    assert!(p[0].contains("arrived twice"), "{p:?}");
    // One serial, two stamps.
    let g = got(
        AUDIT_SYSCALL,
        "audit(1700000001.000:10): syscall=272".into(),
    );
    assert!(s.observe(&g)[0].contains("two stamps"));
    // A namespace removed twice (in two events).
    assert!(s
        .observe(&del(NsKind::Uts, 20, &task(7, "x"), ident(2)))
        .is_empty());
    let p = s.observe(&del(NsKind::Uts, 21, &task(7, "x"), ident(2)));
    assert!(
        p[0].contains("removed utsns_id=4098 a second time"),
        "{p:?}"
    );
    // op=existing and op=create of one namespace are allowed (created during the load).
    assert!(s
        .observe(&init(
            NsKind::Ipc,
            "existing",
            30,
            &task(5, "insmod"),
            None,
            ident(3)
        ))
        .is_empty());
    assert!(s
        .observe(&init(
            NsKind::Ipc,
            "create",
            31,
            &task(6, "x"),
            None,
            ident(3)
        ))
        .is_empty());
}

#[test]
fn stat_flags_reads_the_ninth_field() {
    let kworker = "41 (kworker/u8:1-events_unbound) I 2 0 0 0 -1 69238880 0 0 0 0";
    assert_eq!(stat_flags(kworker), Some(69238880));
    assert!(stat_flags(kworker).is_some_and(|f| f & PF_KTHREAD != 0));
    let odd = "7 (a) b (c) S 1 7 7 0 -1 4194560 10 0";
    assert_eq!(stat_flags(odd), Some(4194560));
    assert!(stat_flags(odd).is_some_and(|f| f & PF_KTHREAD == 0));
    assert_eq!(stat_flags("garbage"), None);
    assert_eq!(stat_flags("1 (x) S 1"), None);
}

#[test]
fn this_process_is_no_kernel_thread() {
    let me = std::process::id();
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let subject = format!(
        "ppid=2 pid={me} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
         fsgid=0 tty=(none) ses=4294967295 comm=\"{}\" exe=(null)",
        comm.trim_end()
    );
    let d = del(NsKind::Net, 3, &subject, ident(0));
    let ns = d.ns.as_ref().unwrap();
    assert!(ns.subject.is_kernel_thread());
    assert!(kthread_problem(&ns.subject).is_some());
}

/// A namespace record of `kind` with inode `inum` and id `id`, at `serial`.
fn life(kind: NsKind, init: bool, serial: u64, inum: u64, id: u64) -> Got {
    let ns = NsIdent { inum, id };
    if init {
        init_rec_at(kind, serial, ns)
    } else {
        del_at(kind, "1700000000.300", serial, &task(7, "x"), ns)
    }
}

fn init_rec_at(kind: NsKind, serial: u64, ns: NsIdent) -> Got {
    init(kind, "create", serial, &task(7, "x"), None, ns)
}

#[test]
fn stream_catches_an_inode_number_given_away_before_the_removal() {
    let m = NsKind::Mnt;
    // A (id 1) created at 10, removed at 12; B (id 2) gets its inode at 13: fine, in any
    // arrival order.
    let good = [
        life(m, true, 10, 500, 1),
        life(m, false, 12, 500, 1),
        life(m, true, 13, 500, 2),
    ];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let mut s = Stream::default();
        for i in order {
            assert_eq!(s.observe(&good[i]), Vec::<String>::new(), "{order:?}");
        }
    }
    // A's removal reported at 14, after B took the number at 13: in any arrival order.
    let bad = [
        life(m, true, 10, 500, 1),
        life(m, true, 13, 500, 2),
        life(m, false, 14, 500, 1),
    ];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let mut s = Stream::default();
        let p: Vec<String> = order.iter().flat_map(|&i| s.observe(&bad[i])).collect();
        assert!(
            p.len() == 1
                && p[0].contains("mntns=500 was given to mntns_id 2 at serial 13 while mntns_id 1 had it (removed at serial 14)"),
            "{order:?}: {p:?}"
        );
    }
    // A namespace of before the load (op=existing) removed after another took its number.
    let mut s = Stream::default();
    let existing = init(
        m,
        "existing",
        19,
        &task(7, "x"),
        None,
        NsIdent { inum: 600, id: 4 },
    );
    assert!(s.observe(&existing).is_empty());
    assert!(s.observe(&life(m, true, 20, 600, 3)).is_empty());
    assert_eq!(s.observe(&life(m, false, 21, 600, 4)).len(), 1);
    // A removal whose INIT has not come (yet) proves nothing: B may have been gone before A.
    // (B, id 8: 22-23; A, id 9: 24-25; A's DEL arrives first.)
    let mut s = Stream::default();
    for r in [
        life(m, true, 22, 800, 8),
        life(m, false, 25, 800, 9),
        life(m, false, 23, 800, 8),
        life(m, true, 24, 800, 9),
    ] {
        assert_eq!(s.observe(&r), Vec::<String>::new());
    }
    // Another inode or another type is no conflict.
    let mut s = Stream::default();
    assert!(s.observe(&life(m, true, 30, 700, 5)).is_empty());
    assert!(s.observe(&life(m, false, 31, 701, 6)).is_empty());
    assert!(s.observe(&life(NsKind::Uts, false, 32, 700, 7)).is_empty());
}

#[test]
fn the_exclude_rules_drop_one_type_of_each_kind() {
    let ex = filters::excluded_types();
    assert_eq!(ex, [1345, 1352, 1355]);
    // Of each kind one type is excluded and the other is not: a rule is on a type, not a kind.
    for ty in ex {
        let (k, init) = NsKind::from_type(ty).unwrap();
        let other = if init { k.del_type() } else { k.init_type() };
        assert!(!ex.contains(&other), "{ty}");
    }
    assert_eq!(
        filters::type_names(&ex),
        "INIT_NET, INIT_CGROUP and DEL_TIME"
    );
    assert_eq!(filters::type_names(&[1353]), "INIT_TIME");
}

#[test]
fn the_types_scenario_uses_one_bit_per_kind_and_bad_masks() {
    // The bits of the module's `types` parameter (rust/ns_audit.rs), written out.
    let bits = [
        (NsKind::Mnt, 0x01),
        (NsKind::Uts, 0x02),
        (NsKind::Ipc, 0x04),
        (NsKind::User, 0x08),
        (NsKind::Pid, 0x10),
        (NsKind::Net, 0x20),
        (NsKind::Cgroup, 0x40),
        (NsKind::Time, 0x80),
    ];
    for (mask, kind) in filters::ONE_KIND_MASKS {
        let want = bits.iter().find(|(k, _)| *k == kind).map(|(_, b)| *b);
        assert_eq!(Some(mask), want, "{kind:?}");
    }
    // Every kind has a bit in 0xff: a bad mask is 0 or has a bit above it.
    let all = NsKind::ALL.iter().fold(0u64, |m, k| m | 1 << k.index());
    assert_eq!(all, 0xff);
    for bad in filters::BAD_TYPES {
        let v = bad.strip_prefix("types=0x").or(bad.strip_prefix("types="));
        let v = u64::from_str_radix(v.unwrap(), if bad.contains("0x") { 16 } else { 10 }).unwrap();
        assert!(v == 0 || v & !all != 0, "{bad}");
    }
}
