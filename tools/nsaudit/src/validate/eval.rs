// SPDX-License-Identifier: GPL-2.0

//! The evaluation of a scenario's records: pure functions (`eval_*`), tested without the
//! kernel module.

use super::*;

pub(super) fn upper(k: NsKind) -> String {
    k.name().to_uppercase()
}

/// The `AUDIT_NS_*` records among `got` that follow the reference.
pub(super) fn ns_of(got: &[Got]) -> impl Iterator<Item = &NsRecord> {
    got.iter().filter_map(|g| g.ns.as_ref())
}

/// The SYSCALL record of event `serial`.
pub(super) fn syscall_of(got: &[Got], serial: u64) -> Option<&Record> {
    got.iter()
        .filter_map(|g| g.rec.as_ref())
        .find(|r| r.ty == AUDIT_SYSCALL && r.serial == serial)
}

/// The subject of `r`, which must agree with the SYSCALL record of its event if there is one.
pub(super) fn subject_of(got: &[Got], r: &NsRecord) -> Result<TaskSubject, String> {
    check_event_subject(r, syscall_of(got, r.serial))
}

pub(super) fn short(recs: &[&NsRecord]) -> String {
    let v: Vec<String> = recs
        .iter()
        .map(|r| {
            format!(
                "{}{}(op={} pid={} {}ns={} id={} serial={})",
                if r.init { "INIT_" } else { "DEL_" },
                upper(r.kind),
                r.op.name(),
                r.subject.pid,
                r.kind.name(),
                r.ns.inum,
                r.ns.id,
                r.serial
            )
        })
        .collect();
    format!("[{}]", v.join(", "))
}

/// Scenario a: the records written while the module loads.
pub fn eval_load(got: &[Got], own: &Own) -> Vec<Check> {
    let mut out = Vec::new();
    for k in NsKind::ALL {
        let want = own.get(&k).copied();
        let mine: Vec<&NsRecord> = ns_of(got)
            .filter(|r| r.kind == k && r.init && Some(r.ns) == want)
            .collect();
        let any = ns_of(got).any(|r| r.kind == k && r.init && r.op == Op::Existing);
        out.push(check(
            format!(
                "load: one INIT_{} op=existing for our own {} namespace",
                upper(k),
                k.name()
            ),
            any && mine.len() == 1 && mine[0].op == Op::Existing,
            || format!("ours is {want:?}, got {}", short(&mine)),
        ));
    }
    let other: Vec<&NsRecord> = ns_of(got)
        .filter(|r| !(r.init && r.op == Op::Existing))
        .collect();
    out.push(check(
        "load: only op=existing INIT records while loading",
        other.is_empty(),
        || short(&other),
    ));
    out
}

/// Scenario a: the op=existing records are written by `insmod` (pid `insmod`) in its
/// `finit_module` (or `init_module`) call: each carries insmod's subject, in the event of that
/// call, whose `SYSCALL` record agrees.
pub fn eval_load_subject(got: &[Got], insmod: i32) -> Check {
    let existing: Vec<&NsRecord> = ns_of(got).filter(|r| r.op == Op::Existing).collect();
    let bad: Vec<String> = existing
        .iter()
        .filter_map(|r| {
            let sc = syscall_of(got, r.serial);
            let call = sc.and_then(|s| s.get("syscall"));
            match check_event_subject(r, sc) {
                Err(e) => Some(e),
                Ok(s) if s.pid != insmod => Some(format!(
                    "serial {}: subject pid={}, insmod is {insmod}",
                    r.serial, s.pid
                )),
                Ok(_) if !matches!(call, Some("313") | Some("175")) => Some(format!(
                    "serial {}: the event's SYSCALL record is {:?}, not finit_module",
                    r.serial,
                    sc.map(Record::to_log_line)
                )),
                Ok(_) => None,
            }
        })
        .collect();
    check(
        "load: every op=existing record names insmod as subject, in its finit_module event",
        !existing.is_empty() && bad.is_empty(),
        || {
            if existing.is_empty() {
                "no op=existing record".into()
            } else {
                format!("{} of {}: {}", bad.len(), existing.len(), bad.join(" | "))
            }
        },
    )
}

/// Scenarios b, c, d, i: the INIT records of namespaces of `kinds` created by `child` with
/// `method`, derived from `own`.
pub fn eval_create(
    label: &str,
    got: &[Got],
    kinds: &[NsKind],
    child: &Spawned,
    own: &Own,
    method: Method,
) -> Vec<Check> {
    let mut out = Vec::new();
    let nr = method.syscall_nr();
    let mut serials = HashSet::new();
    for &k in kinds {
        let t = upper(k);
        let want = child.ns.get(&k).copied();
        let inits: Vec<&NsRecord> = ns_of(got).filter(|r| r.kind == k && r.init).collect();
        let ok = inits.len() == 1 && Some(inits[0].ns) == want && inits[0].op == Op::Create;
        out.push(check(
            format!("{label}: exactly one INIT_{t}, op=create, with the inode and NS_GET_ID the child sees"),
            ok,
            || format!("child sees {want:?}, got {}", short(&inits)),
        ));
        let Some(r) = inits.first().filter(|_| ok) else {
            continue;
        };
        let origin = own.get(&k).copied();
        out.push(check(
            format!(
                "{label}: INIT_{t} old_{}ns is the namespace it was made from",
                k.name()
            ),
            r.old == origin && origin.is_some(),
            || format!("want {origin:?}, got {:?}", r.old),
        ));
        let sc = syscall_of(got, r.serial);
        let agreed = check_event_subject(r, sc);
        out.push(check(
            format!(
                "{label}: INIT_{t} carries the subject, and it matches the event's SYSCALL record"
            ),
            sc.is_some() && agreed.is_ok(),
            || match &agreed {
                Ok(_) => format!("no SYSCALL record with serial {}", r.serial),
                Err(e) => e.clone(),
            },
        ));
        let s = &r.subject;
        out.push(check(
            format!("{label}: INIT_{t} names the child as subject (pid, comm)"),
            s.pid == child.actor && s.comm == child.comm,
            || {
                format!(
                    "pid={} comm={:?}, the child is {} {:?}",
                    s.pid,
                    String::from_utf8_lossy(&s.comm),
                    child.actor,
                    String::from_utf8_lossy(&child.comm)
                )
            },
        ));
        let bound = sc.is_some_and(|s| {
            s.get("syscall") == Some(nr.to_string().as_str())
                && s.get("pid") == Some(child.actor.to_string().as_str())
        });
        out.push(check(
            format!("{label}: INIT_{t} shares its serial with the SYSCALL record (syscall={nr}) of the child"),
            bound,
            || match sc {
                Some(s) => format!("serial {}: {}", r.serial, s.to_log_line()),
                None => format!("no SYSCALL record with serial {}", r.serial),
            },
        ));
        out.push(eval_caller_ns(label, k, child, own, method));
        serials.insert(r.serial);
    }
    let others: Vec<&NsRecord> = ns_of(got)
        .filter(|r| r.init && !kinds.contains(&r.kind))
        .collect();
    out.push(check(
        format!("{label}: no INIT record of another type"),
        others.is_empty(),
        || short(&others),
    ));
    if kinds.len() > 1 {
        out.push(check(
            format!("{label}: the {} INIT records are one event", kinds.len()),
            serials.len() == 1,
            || format!("serials {serials:?}"),
        ));
    }
    out
}

/// Where the task that made the call is after it: `unshare` moves it into the new namespace,
/// except a PID or time namespace, which its children enter (and, for time, its next
/// `execve`; the validator does not exec) ([`NsKind::enters_on_unshare`]); after `clone3` it
/// stays in its own.  A record names the
/// namespace created, which for those two is not the caller's.
fn eval_caller_ns(label: &str, k: NsKind, child: &Spawned, own: &Own, method: Method) -> Check {
    let t = k.name();
    let entered = method == Method::Unshare && k.enters_on_unshare();
    let (what, want) = if entered {
        (
            format!("{label}: the child is in the new {t} namespace itself"),
            child.ns.get(&k).copied(),
        )
    } else if method == Method::Unshare {
        (
            format!(
                "{label}: the child stays in its {t} namespace, the new one is its {}",
                k.for_children_file()
            ),
            own.get(&k).copied(),
        )
    } else {
        (
            format!("{label}: the clone3 caller stays in its {t} namespace"),
            own.get(&k).copied(),
        )
    };
    let is = child.actor_ns.get(&k).copied();
    check(what, want.is_some() && is == want, || {
        format!("/proc/{}/ns/{t} is {is:?}, want {want:?}", child.actor)
    })
}

/// Whether the namespaces of `kind` are removed by a kernel worker (user, PID and network
/// namespaces are freed from a workqueue), not by the task that drops the last reference.
pub fn removed_by_worker(kind: NsKind) -> bool {
    matches!(kind, NsKind::User | NsKind::Pid | NsKind::Net)
}

/// The DEL records of the namespaces `ids`; a DEL's subject must be a kernel thread for the
/// kinds a worker removes ([`removed_by_worker`]; or no task), one of `tasks` for the others,
/// and agree with the `SYSCALL` record of its event if it has one.
pub fn eval_dels(label: &str, got: &[Got], ids: &[(NsKind, NsIdent)], tasks: &[i32]) -> Vec<Check> {
    let mut out = Vec::new();
    for &(k, id) in ids {
        let t = upper(k);
        let dels: Vec<&NsRecord> = ns_of(got)
            .filter(|r| r.kind == k && !r.init && r.ns.id == id.id)
            .collect();
        let ok = dels.len() == 1 && dels[0].ns == id;
        out.push(check(
            format!("{label}: exactly one DEL_{t} with the ids of the namespace"),
            ok,
            || format!("want {id:?}, got {}", short(&dels)),
        ));
        if let Some(r) = dels.first().filter(|_| ok) {
            let subject = subject_of(got, r);
            let worker = removed_by_worker(k);
            out.push(check(
                if worker {
                    format!("{label}: DEL_{t} names the kernel thread that removed it")
                } else {
                    format!("{label}: DEL_{t} names the task that let go")
                },
                subject.as_ref().is_ok_and(|s| {
                    if worker {
                        s.is_kernel_thread() || s.is_no_task()
                    } else {
                        tasks.contains(&s.pid)
                    }
                }),
                || match &subject {
                    Ok(s) => format!("subject {}, tasks {tasks:?}", s.text),
                    Err(e) => e.clone(),
                },
            ));
        }
    }
    out
}

/// Scenario e: namespaces of `kind`, `levels` (creator pid, identity), each made from the one
/// before, the first from ours in `own`.
pub fn eval_nested(
    label: &str,
    kind: NsKind,
    got: &[Got],
    levels: &[(i32, NsIdent)],
    own: &Own,
) -> Vec<Check> {
    let mut out = Vec::new();
    let (t, upper_t) = (kind.name(), upper(kind));
    let mut parent = own.get(&kind).copied();
    for (i, &(pid, id)) in levels.iter().enumerate() {
        let inits: Vec<&NsRecord> = ns_of(got)
            .filter(|r| r.kind == kind && r.init && r.ns == id)
            .collect();
        out.push(check(
            format!(
                "{label}: level {} has one INIT_{upper_t} with old_{t}ns = level {i}",
                i + 1
            ),
            inits.len() == 1
                && inits[0].op == Op::Create
                && inits[0].old == parent
                && subject_of(got, inits[0]).is_ok_and(|s| s.pid == pid),
            || format!("want pid {pid}, old {parent:?}, got {}", short(&inits)),
        ));
        parent = Some(id);
    }
    let ours: Vec<NsIdent> = levels.iter().map(|l| l.1).collect();
    let strays: Vec<&NsRecord> = ns_of(got)
        .filter(|r| r.init && !(r.kind == kind && ours.contains(&r.ns)))
        .collect();
    out.push(check(
        format!("{label}: no other INIT record"),
        strays.is_empty(),
        || short(&strays),
    ));
    out
}

/// That the namespace `old` of `kind` was removed by the call that made `new` from it, which
/// dropped the last reference to it: its DEL record is in the event of `new`'s INIT record.
pub fn eval_replaced(label: &str, kind: NsKind, got: &[Got], old: NsIdent, new: NsIdent) -> Check {
    let serial = |init: bool, id: NsIdent| {
        ns_of(got)
            .find(|r| r.kind == kind && r.init == init && r.ns == id)
            .map(|r| r.serial)
    };
    let (del, init) = (serial(false, old), serial(true, new));
    check(
        format!(
            "{label}: the unshare that made the second {} namespace removed the first: one event",
            kind.name()
        ),
        del.is_some() && del == init,
        || format!("DEL of the first at serial {del:?}, INIT of the second at {init:?}"),
    )
}

/// That `got` has none of the records `bad` picks.
pub fn eval_none(what: &str, got: &[Got], bad: impl Fn(&Got) -> bool) -> Check {
    let found: Vec<String> = got.iter().filter(|g| bad(g)).map(Got::log_line).collect();
    check(what, found.is_empty(), || found.join(" | "))
}

/// Whether `got` has a record of `kind`, INIT or DEL, for the namespace with id `id`.
pub fn has_ns(got: &[Got], kind: NsKind, init: bool, id: u64) -> bool {
    ns_of(got).any(|r| r.kind == kind && r.init == init && r.ns.id == id)
}

/// Runs `insmod`/`rmmod`; returns its pid, or as the error what it printed.
pub(super) fn run_cmd(prog: &str, args: &[&str]) -> Result<i32, String> {
    guest::run_cmd(prog, args).map_err(|e| e.to_string())
}

/// `PF_KTHREAD`, the flag of a kernel thread in `/proc/PID/stat`.
pub(super) const PF_KTHREAD: u64 = 0x0020_0000;

/// The `flags` field of a `/proc/PID/stat` line (the ninth, counted after the `(comm)`, which
/// may contain spaces and parentheses).
pub fn stat_flags(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    rest.split_whitespace().nth(6)?.parse().ok()
}

/// Whether `/proc/PID` of a subject that claims to be a kernel thread agrees: [`None`] if the
/// task is a kernel thread whose name starts with the record's `comm` (`/proc` adds a kworker's
/// current work), or if it is gone; otherwise what is wrong.
pub fn kthread_problem(s: &TaskSubject) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", s.pid)).ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", s.pid)).ok()?;
    let is_kthread = stat_flags(&stat).is_some_and(|f| f & PF_KTHREAD != 0);
    let named = comm.trim_end().as_bytes().starts_with(&s.comm);
    if is_kthread && named {
        None
    } else {
        Some(format!(
            "the subject is a kernel thread, but /proc/{} is {:?}, kernel thread: {is_kthread}",
            s.pid,
            comm.trim_end()
        ))
    }
}
