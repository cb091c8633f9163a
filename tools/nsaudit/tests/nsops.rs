// SPDX-License-Identifier: GPL-2.0

//! The namespace helpers on the host: they need root (or unprivileged user namespaces) and a
//! kernel with `NS_GET_ID` (6.18+); where those are missing the test says so and checks nothing
//! else.  Everything runs in one test so that no other test thread runs while it forks.

use nix::errno::Errno;
use nsaudit::nsinfo::NsInfo;
use nsaudit::nsops::{
    self, nested, ns_ident, ns_ident_path, ns_idents, probe_container, probe_here, probe_joiner,
    setns_in_child, spawn, unshare_repeatedly, Hold, Join, Method, NsError, Stage,
};
use nsaudit::reference::NsKind;
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Why this host cannot run the checks, if it cannot.
fn unsupported() -> Option<String> {
    if let Err(e) = ns_ident(None, NsKind::Net) {
        return Some(format!("NS_GET_ID does not work here: {e}"));
    }
    match spawn(&[NsKind::Uts], Method::Unshare, None, Hold::ExitAtOnce) {
        Err(NsError::Child {
            stage: Stage::Unshare,
            errno: Errno::EPERM,
            ..
        }) => Some("unshare(CLONE_NEWUTS) is not permitted here".into()),
        _ => None,
    }
}

fn own_identities() {
    let own = ns_idents(None, false).unwrap();
    let mut ids = HashSet::new();
    for k in NsKind::ALL {
        let meta = std::fs::metadata(format!("/proc/self/ns/{}", k.name())).unwrap();
        assert_eq!(own[&k].inum, meta.ino(), "{k:?}");
        assert_ne!(own[&k].id, 0, "{k:?}");
        ids.insert(own[&k].id);
        assert_eq!(ns_ident(None, k).unwrap(), own[&k]);
    }
    assert_eq!(
        ids.len(),
        NsKind::COUNT,
        "namespace ids are unique: {own:?}"
    );
    let dev = nsops::nsfs_dev().unwrap();
    let meta = std::fs::metadata("/proc/self/ns/net").unwrap();
    assert_eq!(dev, (libc::major(meta.dev()), libc::minor(meta.dev())));
    assert_eq!(dev.0, 0, "nsfs is an anonymous device");
    assert!(ns_ident_path(Path::new("/proc/self/stat")).is_err());
    assert!(ns_ident_path(Path::new("/nonexistent")).is_err());
}

fn spawned_namespaces(method: Method) {
    let own = ns_idents(None, false).unwrap();
    let mut kinds_list: Vec<Vec<NsKind>> = NsKind::ALL.iter().map(|k| vec![*k]).collect();
    kinds_list.push(NsKind::ALL.to_vec());
    for kinds in kinds_list {
        let mut child = spawn(&kinds, method, Some("nsaudit-test"), Hold::UntilReleased)
            .unwrap_or_else(|e| panic!("{method:?} {kinds:?}: {e}"));
        let info = child.info.clone();
        assert_eq!(info.comm, b"nsaudit-test");
        match method {
            Method::Unshare => assert_eq!(info.holder, info.actor),
            Method::Clone3 => assert_ne!(info.holder, info.actor),
        }
        for k in NsKind::ALL {
            let id = info.ns[&k];
            let created = kinds.contains(&k);
            if created {
                assert_ne!(id, own[&k], "{method:?} {kinds:?}: {k:?} is new");
            } else {
                assert_eq!(id, own[&k], "{method:?} {kinds:?}: {k:?} is ours");
            }
            // What the child reported is what we see from outside: after unshare, the PID and
            // time namespaces are those of the child's children.
            let file = match (k, method) {
                (NsKind::Pid, Method::Unshare) => "pid_for_children",
                (NsKind::Time, Method::Unshare) => "time_for_children",
                _ => k.name(),
            };
            let outside =
                ns_ident_path(Path::new(&format!("/proc/{}/ns/{file}", info.holder))).unwrap();
            assert_eq!(outside, id, "{method:?} {kinds:?} {k:?}");
            // The caller itself: in the new namespace after unshare, except a PID or time
            // namespace; in its own after clone3.
            let entered =
                created && method == Method::Unshare && !matches!(k, NsKind::Pid | NsKind::Time);
            let want = if entered { id } else { own[&k] };
            assert_eq!(info.actor_ns[&k], want, "{method:?} {kinds:?} {k:?}");
            let own_file = format!("/proc/{}/ns/{}", info.actor, k.name());
            assert_eq!(ns_ident_path(Path::new(&own_file)).unwrap(), want);
        }
        child.release().unwrap();
        // Released: the process is gone.
        assert!(!Path::new(&format!("/proc/{}/ns", info.actor)).exists());
    }
}

fn odd_comm() {
    let comm = "x \"=type=AVC m";
    let child = spawn(
        &[NsKind::Uts],
        Method::Unshare,
        Some(comm),
        Hold::ExitAtOnce,
    )
    .unwrap();
    assert_eq!(child.info.comm, comm.as_bytes());
    // The kernel keeps 15 bytes of a comm.
    let child = spawn(
        &[NsKind::Uts],
        Method::Unshare,
        Some("0123456789abcdefghij"),
        Hold::ExitAtOnce,
    )
    .unwrap();
    assert_eq!(child.info.comm, b"0123456789abcde");
    // A NUL cannot be a comm: refused before forking.
    assert!(spawn(
        &[NsKind::Uts],
        Method::Unshare,
        Some("a\0b"),
        Hold::ExitAtOnce
    )
    .is_err());
}

fn nested_levels() {
    let own = ns_idents(None, false).unwrap();
    for kind in [NsKind::User, NsKind::Cgroup] {
        let mut n = nested(kind, 3, Hold::UntilReleased).unwrap();
        assert_eq!(n.levels.len(), 3);
        let ids: HashSet<u64> = n.levels.iter().map(|l| l.1.id).collect();
        assert_eq!(ids.len(), 3, "{kind:?}");
        assert!(!ids.contains(&own[&kind].id), "{kind:?}");
        for &(pid, id) in &n.levels {
            assert_eq!(ns_ident(Some(pid), kind).unwrap(), id, "{kind:?}");
        }
        let pids: HashSet<i32> = n.levels.iter().map(|l| l.0).collect();
        assert_eq!(pids.len(), 3, "{kind:?}");
        n.release().unwrap();
    }
    let n = nested(NsKind::User, 2, Hold::ExitAtOnce).unwrap();
    assert_eq!(n.levels.len(), 2);
    // A task does not enter the PID or time namespace it unshares: no level to fork from.
    for kind in [NsKind::Pid, NsKind::Time] {
        match nested(kind, 2, Hold::ExitAtOnce) {
            Err(NsError::Sys {
                errno: Errno::EINVAL,
                ..
            }) => {}
            other => panic!("{kind:?}: {other:?}"),
        }
    }
}

fn time_unshared_twice() {
    let own = ns_idents(None, false).unwrap();
    let mut n = unshare_repeatedly(NsKind::Time, 2, Hold::UntilReleased).unwrap();
    let [(p1, t1), (p2, t2)] = n.levels[..] else {
        panic!("{:?}", n.levels);
    };
    // One task made both; the second is its children's now, and it stays in its own.
    assert_eq!(p1, p2);
    assert!(t1 != t2 && t1 != own[&NsKind::Time] && t2 != own[&NsKind::Time]);
    let children = format!("/proc/{p1}/ns/time_for_children");
    assert_eq!(ns_ident_path(Path::new(&children)).unwrap(), t2);
    assert_eq!(
        ns_ident(Some(p1), NsKind::Time).unwrap(),
        own[&NsKind::Time]
    );
    n.release().unwrap();
}

fn setns() {
    let mut child = spawn(
        &[NsKind::Uts, NsKind::Net, NsKind::Cgroup, NsKind::Time],
        Method::Unshare,
        None,
        Hold::UntilReleased,
    )
    .unwrap();
    let uts = format!("/proc/{}/ns/uts", child.info.actor);
    let net = format!("/proc/{}/ns/net", child.info.actor);
    let cgroup = format!("/proc/{}/ns/cgroup", child.info.actor);
    let time = format!("/proc/{}/ns/time_for_children", child.info.actor);
    setns_in_child(Path::new(&uts), NsKind::Uts).unwrap();
    setns_in_child(Path::new(&net), NsKind::Net).unwrap();
    setns_in_child(Path::new(&cgroup), NsKind::Cgroup).unwrap();
    // The test harness has threads; the child that enters the time namespace has one.
    setns_in_child(Path::new(&time), NsKind::Time).unwrap();
    // A UTS namespace is not a network namespace.
    match setns_in_child(Path::new(&uts), NsKind::Net) {
        Err(NsError::Child {
            stage: Stage::Setns,
            errno: Errno::EINVAL,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match setns_in_child(Path::new("/nonexistent"), NsKind::Net) {
        Err(NsError::Child {
            stage: Stage::Setns,
            errno: Errno::ENOENT,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    child.release().unwrap();
    // Releasing twice is harmless.
    child.release().unwrap();
}

/// The ids of this process's namespaces.
fn own_ids() -> NsInfo {
    let own = ns_idents(None, false).unwrap();
    NsInfo(NsKind::ALL.map(|k| own[&k].id))
}

/// The second field of `NSpid:` in `/proc/PID/status`: the pid in the task's own PID
/// namespace, when it is not ours.
fn inner_pid(pid: i32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    line.split_whitespace().nth(2).map(str::to_string)
}

fn probes() {
    use NsKind::*;
    let watched = std::env::temp_dir().join(format!("nsaudit-probe-{}", std::process::id()));
    std::fs::write(&watched, "x").unwrap();
    let own = own_ids();
    // On the host: our namespaces, another task.
    let p = probe_here(&watched).unwrap();
    assert_eq!(p.ids, own);
    assert_ne!(p.pid, std::process::id() as i32);
    // In a container: new user, mount, UTS, IPC, network and PID namespaces, ours of the
    // others; the probe is the first process of its PID namespace and lives until released.
    let kinds = [User, Mnt, Uts, Ipc, Net, Pid];
    let mut host = probe_container(&kinds, &watched).unwrap();
    let c = host.probed;
    let mut new = kinds.to_vec();
    new.sort();
    assert_eq!(c.ids.differences(&own), new);
    for k in NsKind::ALL {
        assert_eq!(ns_ident(Some(c.pid), k).unwrap().id, c.ids.id(k), "{k:?}");
    }
    assert_eq!(inner_pid(c.pid).as_deref(), Some("1"));
    // Joiners, by fds (user first) and by pidfd: in every namespace of the container but the
    // PID namespace, which only their children enter.
    for how in [Join::Fds, Join::Pidfd] {
        let j = probe_joiner(c.pid, &kinds, how, &watched).unwrap();
        assert_eq!(j.joiner.ids, c.ids.with(Pid, own.id(Pid)), "{how:?}");
        assert_eq!(j.child.ids, c.ids, "{how:?}");
        assert!(
            j.joiner.pid != j.child.pid && j.joiner.pid != c.pid,
            "{how:?}"
        );
    }
    // A joiner that cannot enter says where it failed.
    match probe_joiner(i32::MAX, &kinds, Join::Fds, &watched) {
        Err(NsError::Child {
            stage: Stage::Setns,
            errno: Errno::ENOENT,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A probe whose file is missing says so.
    let missing = watched.with_extension("missing");
    match probe_here(&missing) {
        Err(NsError::Child {
            stage: Stage::Probe,
            errno: Errno::ENOENT,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    host.release().unwrap();
    assert!(!Path::new(&format!("/proc/{}/ns", c.pid)).exists());
    std::fs::remove_file(&watched).unwrap();
}

#[test]
fn namespace_helpers_on_this_host() {
    if let Some(why) = unsupported() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    own_identities();
    spawned_namespaces(Method::Unshare);
    spawned_namespaces(Method::Clone3);
    odd_comm();
    nested_levels();
    time_unshared_twice();
    setns();
    probes();
}
