// SPDX-License-Identifier: GPL-2.0

//! One container per run of a runtime, and its name: logs written for the purpose, in the
//! order and with the system calls that crun, runc and podman make (`clone` and then
//! `unshare(CLONE_NEWCGROUP)`; `runc init`'s stages; a pod's shared namespaces), with the
//! `AUDIT_NS_INFO` records the kernel writes for them.

use super::*;
use crate::nsinfo::initial_id;

/// A task: pid, parent, `comm=` and `exe=`.
#[derive(Clone, Copy)]
struct T(u32, u32, &'static str, &'static str);

const MEMFD: &str = "/memfd:runc_cloned:/proc/self/exe (deleted)";

/// A string as audit writes it: quoted, or in hex when it has a space.
fn untrusted(s: &str) -> String {
    if s.contains(' ') {
        hex(&[s])
    } else {
        format!("\"{s}\"")
    }
}

fn subject(t: T) -> String {
    format!(
        "ppid={} pid={} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
         tty=(none) ses=1 comm={} exe={}",
        t.1,
        t.0,
        untrusted(t.2),
        untrusted(t.3)
    )
}

fn hex(args: &[&str]) -> String {
    args.join("\0")
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// A log written event by event.
#[derive(Default)]
struct Log {
    lines: Vec<String>,
    serial: u64,
}

impl Log {
    /// An event of `t`: system call `nr` returning `exit`, the namespaces it created
    /// (`kind`, new id, old id), its `AUDIT_NS_INFO` ids if any, its command line; `argv`
    /// also as an `EXECVE` record.  Returns its serial.
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        t: T,
        nr: u32,
        exit: i64,
        created: &[(NsKind, u64, u64)],
        ids: Option<NsInfo>,
        title: &[&str],
        execve: bool,
    ) -> u64 {
        self.serial += 1;
        let n = self.serial;
        let stamp = format!("msg=audit(10.{:03}:{n}):", n % 1000);
        for &(kind, id, old) in created {
            let k = kind.name();
            self.lines.push(format!(
                "type=UNKNOWN[{}] {stamp} op=create {} dev=00:04 old_{k}ns={} \
                 old_{k}ns_id={old} {k}ns={} {k}ns_id={id} res=1",
                kind.init_type(),
                subject(t),
                4026531000 + old,
                4026532000 + id
            ));
        }
        self.lines.push(format!(
            "type=SYSCALL {stamp} arch=c000003e syscall={nr} success=yes exit={exit} a0=0 \
             items=0 {}",
            subject(t)
        ));
        if execve {
            let args: Vec<String> = title
                .iter()
                .enumerate()
                .map(|(i, a)| format!("a{i}=\"{a}\""))
                .collect();
            self.lines.push(format!(
                "type=EXECVE {stamp} argc={} {}",
                title.len(),
                args.join(" ")
            ));
        }
        if let Some(ids) = ids {
            self.lines.push(format!("type=UNKNOWN[1356] {stamp} {ids}"));
        }
        self.lines
            .push(format!("type=PROCTITLE {stamp} proctitle={}", hex(title)));
        self.lines.push(format!("type=EOE {stamp} "));
        n
    }

    fn exec(&mut self, t: T, ids: Option<NsInfo>, argv: &[&str]) -> u64 {
        self.event(t, 59, 0, &[], ids, argv, true)
    }

    fn report(&self, opts: ReportOptions) -> Report {
        report_from_readers(
            opts,
            [(
                "t.log".to_string(),
                (self.lines.join("\n") + "\n").as_bytes(),
            )],
        )
        .unwrap()
        .into_plain()
        .unwrap()
    }
}

/// The ids of the initial namespaces with `(kind, id)` instead.
fn ids(with: &[(NsKind, u64)]) -> NsInfo {
    with.iter()
        .fold(NsInfo::initial(), |i, &(k, id)| i.with(k, id))
}

fn created(kinds: &[(NsKind, u64)]) -> Vec<(NsKind, u64, u64)> {
    kinds
        .iter()
        .map(|&(k, id)| (k, id, initial_id(k)))
        .collect()
}

fn kinds(c: &ContainerOut) -> Vec<(&'static str, u64)> {
    c.namespaces.iter().map(|n| (n.kind, n.id)).collect()
}

/// The serials of the events inside container `c` and why, from a selection of it.
fn listed(r: &Report, c: &ContainerOut) -> Vec<(u64, Reason)> {
    r.selection
        .as_ref()
        .unwrap()
        .events
        .iter()
        .filter_map(|e| {
            e.containers
                .iter()
                .find(|(s, _)| *s == c.id)
                .map(|&(_, why)| (e.stamp.serial, why))
        })
        .collect()
}

use NsKind::*;

/// `crun run ctr1` with a cgroup namespace: clone, then the child's unshare; `crun exec`;
/// then, from a shell inside, `crun run inner`.
fn crun_log() -> (Log, NsInfo, NsInfo) {
    let mut log = Log::default();
    let sh = T(90, 1, "sh", "/bin/sh");
    let crun = T(100, 90, "crun", "/usr/bin/crun");
    let run = ["crun", "--cgroup-manager=disabled", "run", "ctr1"];
    log.exec(crun, None, &run);
    let new = [(Mnt, 20), (Uts, 21), (Ipc, 22), (Pid, 23), (Net, 24)];
    log.event(crun, 56, 101, &created(&new), None, &run, false);
    let child = T(101, 100, "crun", "/usr/bin/crun");
    let inside = ids(&new).with(Cgroup, 25);
    log.event(
        child,
        272,
        0,
        &created(&[(Cgroup, 25)]),
        Some(inside),
        &run,
        false,
    );
    let init = T(101, 100, "sh", "/bin/busybox");
    log.exec(init, Some(inside), &["sh", "-c", "sleep 60"]);
    // crun exec: on the host, then setns into every namespace and execve inside.
    let exec = T(110, 90, "crun", "/usr/bin/crun");
    log.exec(exec, None, &["crun", "exec", "ctr1", "ls"]);
    log.exec(T(111, 110, "ls", "/bin/busybox"), Some(inside), &["ls"]);
    // A shell inside runs crun: a nested container.
    let nested = T(112, 101, "crun", "/usr/bin/crun");
    log.exec(nested, Some(inside), &["crun", "run", "inner"]);
    let inner = [(Mnt, 30), (Net, 31)];
    let run2 = ["crun", "run", "inner"];
    log.event(
        nested,
        56,
        113,
        &[(Mnt, 30, 20), (Net, 31, 24)],
        Some(inside),
        &run2,
        false,
    );
    let in_inner = inside.with(Mnt, 30).with(Net, 31);
    let child2 = T(113, 112, "crun", "/usr/bin/crun");
    let in_inner2 = in_inner.with(Cgroup, 32);
    log.event(
        child2,
        272,
        0,
        &[(Cgroup, 32, 25)],
        Some(in_inner2),
        &run2,
        false,
    );
    log.exec(
        T(113, 112, "true", "/bin/busybox"),
        Some(in_inner2),
        &["true"],
    );
    let _ = (sh, inner);
    (log, inside, in_inner2)
}

#[test]
fn crun_run_is_one_container_and_crun_in_crun_is_nested() {
    let (log, inside, in_inner) = crun_log();
    let r = log.report(ReportOptions::default());
    assert_eq!(r.containers.len(), 2, "{:#?}", r.containers);
    let (outer, nested) = (&r.containers[0], &r.containers[1]);
    assert_eq!(
        kinds(outer),
        [
            ("mnt", 20),
            ("uts", 21),
            ("ipc", 22),
            ("pid", 23),
            ("net", 24),
            ("cgroup", 25)
        ]
    );
    assert_eq!(
        outer.name.as_deref(),
        Some("crun --cgroup-manager=disabled run ctr1")
    );
    assert_eq!(outer.ids.map(|i| i.0), Some(inside));
    // The program, crun exec's ls, and the nested crun's execve and clone.
    assert_eq!(outer.events_inside, 4);
    assert_eq!(kinds(nested), [("mnt", 30), ("net", 31), ("cgroup", 32)]);
    assert_eq!(nested.parent, Some(outer.id));
    assert_eq!(nested.name.as_deref(), Some("crun run inner"));
    assert_eq!(nested.ids.map(|i| i.0), Some(in_inner));
    // It shares the outer container's UTS, IPC and PID namespaces.
    let shares: Vec<_> = nested
        .shares
        .iter()
        .map(|s| (s.ns.kind, s.container))
        .collect();
    assert_eq!(
        shares,
        [
            ("uts", Some(outer.id)),
            ("ipc", Some(outer.id)),
            ("pid", Some(outer.id))
        ]
    );
}

#[test]
fn a_container_is_selected_by_its_name() {
    let (log, _, _) = crun_log();
    let opts = ReportOptions {
        containers: vec!["ctr1".into()],
        ..ReportOptions::default()
    };
    let r = log.report(opts);
    let outer = &r.containers[0];
    assert_eq!(r.selection.as_ref().unwrap().containers[0], outer.id);
    // Created by serial 2 (clone) and 3 (unshare); inside: 4, 6 (crun exec), 7 and 8 (the
    // nested crun).
    assert_eq!(
        listed(&r, outer),
        [
            (2, Reason::Created),
            (3, Reason::Created),
            (4, Reason::Inside),
            (6, Reason::Inside),
            (7, Reason::Inside),
            (8, Reason::Inside)
        ]
    );
    let opts = ReportOptions {
        containers: vec!["ctr9".into()],
        ..ReportOptions::default()
    };
    let fleet = report_from_readers(
        opts,
        [(
            "t.log".to_string(),
            (log.lines.join("\n") + "\n").as_bytes(),
        )],
    )
    .unwrap();
    assert!(fleet
        .all_diagnostics()
        .any(|(_, d)| d.message.contains("ctr9")));
}

#[test]
fn runc_init_stages_are_one_container_named_by_runc_run() {
    let mut log = Log::default();
    let runc = T(200, 90, "runc", "/usr/bin/runc");
    log.exec(runc, None, &["runc", "run", "ctr2"]);
    log.exec(
        T(201, 200, "runc", "/usr/bin/runc"),
        None,
        &["runc", "init"],
    );
    log.exec(T(201, 200, "runc", MEMFD), None, &["runc", "init"]);
    // Stage 1: a user namespace, then the others; stage 2 (CLONE_PARENT): the cgroup one.
    let stage1 = T(202, 201, "runc:[1:CHILD]", MEMFD);
    let user = ids(&[(User, 40)]);
    log.event(
        stage1,
        272,
        0,
        &created(&[(User, 40)]),
        Some(user),
        &["runc", "init"],
        false,
    );
    let rest = [(Mnt, 41), (Uts, 42), (Ipc, 43), (Net, 44), (Pid, 45)];
    let all: Vec<(NsKind, u64)> = [(User, 40)].into_iter().chain(rest).collect();
    log.event(
        stage1,
        272,
        0,
        &created(&rest),
        Some(ids(&all).with(Pid, 4)),
        &["runc", "init"],
        false,
    );
    let stage2 = T(203, 201, "runc:[2:INIT]", MEMFD);
    let inside = ids(&all).with(Cgroup, 46);
    log.event(
        stage2,
        272,
        0,
        &created(&[(Cgroup, 46)]),
        Some(inside),
        &["runc", "init"],
        false,
    );
    log.exec(
        T(203, 201, "sleep", "/bin/busybox"),
        Some(inside),
        &["sleep", "60"],
    );
    let r = log.report(ReportOptions::default());
    assert_eq!(r.containers.len(), 1, "{:#?}", r.containers);
    let c = &r.containers[0];
    assert_eq!(c.namespaces.len(), 7);
    assert_eq!(c.name.as_deref(), Some("runc run ctr2"));
    assert_eq!(c.events_inside, 1);
    assert!(c.shares.is_empty());
}

#[test]
fn two_containers_of_a_pod_share_its_namespaces() {
    let mut log = Log::default();
    let infra = T(300, 1, "crun", "/usr/bin/crun");
    let pod = [(Mnt, 50), (Uts, 51), (Ipc, 52), (Pid, 53), (Net, 54)];
    log.event(
        infra,
        56,
        301,
        &created(&pod),
        None,
        &["crun", "create", "infra"],
        false,
    );
    let in_infra = ids(&pod);
    log.exec(
        T(301, 300, "catatonit", "/catatonit"),
        Some(in_infra),
        &["/catatonit", "-P"],
    );
    // A container of the pod: its own mount, PID and cgroup namespaces, the pod's others.
    let crun = T(310, 1, "crun", "/usr/bin/crun");
    let own = [(Mnt, 60), (Pid, 61)];
    log.event(
        crun,
        56,
        311,
        &created(&own),
        None,
        &["crun", "create", "web"],
        false,
    );
    let joined = ids(&[(Uts, 51), (Ipc, 52), (Net, 54), (Mnt, 60), (Pid, 61)]);
    let child = T(311, 310, "crun", "/usr/bin/crun");
    let cg = joined.with(Cgroup, 62);
    log.event(
        child,
        272,
        0,
        &created(&[(Cgroup, 62)]),
        Some(cg),
        &["crun", "create", "web"],
        false,
    );
    log.exec(
        T(311, 310, "httpd", "/bin/busybox"),
        Some(cg),
        &["httpd", "-f"],
    );
    let r = log.report(ReportOptions::default());
    assert_eq!(r.containers.len(), 2, "{:#?}", r.containers);
    let (pod_c, web) = (&r.containers[0], &r.containers[1]);
    assert_eq!(kinds(web), [("mnt", 60), ("pid", 61), ("cgroup", 62)]);
    assert_eq!(web.parent, None);
    assert_eq!((pod_c.events_inside, web.events_inside), (1, 1));
    let shares: Vec<_> = web
        .shares
        .iter()
        .map(|s| (s.ns.kind, s.ns.id, s.container))
        .collect();
    assert_eq!(
        shares,
        [
            ("uts", 51, Some(pod_c.id)),
            ("ipc", 52, Some(pod_c.id)),
            ("net", 54, Some(pod_c.id))
        ]
    );
}

#[test]
fn a_filtered_input_is_warned_about() {
    // The execve events of a container, every tenth serial: its creation is left out.
    let (full, inside, _) = crun_log();
    let mut log = Log::default();
    for _ in 0..30 {
        log.serial += 9;
        log.exec(T(101, 100, "ls", "/bin/busybox"), Some(inside), &["ls"]);
    }
    let r = log.report(ReportOptions::default());
    assert_eq!(r.summary.containers_unknown, 1);
    assert_eq!(r.containers[0].events_inside, 30);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.message.contains("looks filtered")),
        "{:?}",
        r.diagnostics
    );
    // The whole log is not.
    let r = full.report(ReportOptions::default());
    assert!(!r.diagnostics.iter().any(|d| d.message.contains("filtered")));
}

#[test]
fn names_match_whole_arguments_and_id_prefixes() {
    let id = "4f2a9c1e7b3d5a6c8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
    let argv: Vec<String> = ["crun", "create", "--bundle", "/b", id]
        .map(String::from)
        .to_vec();
    assert!(names(&argv, id));
    assert!(names(&argv, &id[..12]));
    assert!(!names(&argv, &id[..11]));
    // Options and the arguments before the last are not names.
    assert!(!names(&argv, "create"));
    assert!(!names(&argv, "--bundle"));
    let run: Vec<String> = ["crun", "run", "--detach", "ctr1"]
        .map(String::from)
        .to_vec();
    assert!(names(&run, "ctr1"));
    assert!(!names(&run, "run"));
}

#[test]
fn a_stale_title_does_not_rename_a_program() {
    // After crun's child runs execve, the kernel can still give the PROCTITLE of crun: the
    // EXECVE record's arguments name the program, and what it creates is nested, named by it.
    let mut log = Log::default();
    let crun = T(100, 90, "crun", "/usr/bin/crun");
    let run = ["crun", "run", "ctr1"];
    log.exec(crun, None, &run);
    let new = [(Mnt, 20), (Uts, 21), (Net, 24)];
    log.event(crun, 56, 101, &created(&new), None, &run, false);
    let inside = ids(&new);
    let child = T(101, 100, "unshare", "/usr/bin/unshare");
    // execve of `unshare -n sleep 60`, with crun's title still.
    log.serial += 1;
    let n = log.serial;
    let stamp = format!("msg=audit(10.{:03}:{n}):", n % 1000);
    log.lines.push(format!(
        "type=SYSCALL {stamp} arch=c000003e syscall=59 success=yes exit=0 a0=0 items=0 {}",
        subject(child)
    ));
    log.lines.push(format!(
        "type=EXECVE {stamp} argc=4 a0=\"unshare\" a1=\"-n\" a2=\"sleep\" a3=\"60\""
    ));
    log.lines
        .push(format!("type=UNKNOWN[1356] {stamp} {inside}"));
    log.lines
        .push(format!("type=PROCTITLE {stamp} proctitle={}", hex(&run)));
    log.lines.push(format!("type=EOE {stamp} "));
    let nested = inside.with(Net, 30);
    log.event(child, 272, 0, &[(Net, 30, 24)], Some(nested), &run, false);
    let r = log.report(ReportOptions::default());
    assert_eq!(r.containers.len(), 2, "{:#?}", r.containers);
    assert_eq!(r.containers[1].name.as_deref(), Some("unshare -n sleep 60"));
    assert_eq!(r.containers[1].parent, Some(r.containers[0].id));
    // --container ctr1 selects crun's container, not the one nested in it.
    let opts = ReportOptions {
        containers: vec!["ctr1".into()],
        ..ReportOptions::default()
    };
    let r = log.report(opts);
    assert_eq!(r.selection.unwrap().containers, [r.containers[0].id]);
}
