// SPDX-License-Identifier: GPL-2.0

//! `nsaudit validate`: create and destroy namespaces in the guest and check every record.
//!
//! Each check prints `ok - <what>` or `not ok - <what>: <detail>`; the run ends with
//! `validate: N passed, N failed`.  The evaluation of the records of a scenario is done by pure
//! functions (`eval_*`) so that it can be tested without the kernel module.
//!
//! The scenarios, in order: setup (audit daemon, never-rule), load (`insmod`, op=existing
//! records for our own namespaces), unshare and clone3 of each type alone, unshare of all six,
//! three nested user namespaces, namespaces pinned by an fd and by a bind mount, setns into
//! them, an exclude rule on msgtype 1345, a comm made to look like more fields, the `types`
//! parameter, rmmod; throughout, every record must parse, follow the reference (one field set
//! per type, the subject always), come once, carry the subject of its event's `SYSCALL`
//! record, and no namespace may be removed before it was created in event order, whatever the
//! order the records arrive in; at the end audit must have lost none.

use crate::audit::{AuditError, AuditSocket, Rule};
use crate::daemon::BACKLOG_LIMIT;
use crate::guest::{self, module_loaded};
use crate::nsops::{self, Hold, Method, Spawned};
use crate::record::{Record, AUDIT_SYSCALL};
use crate::reference::{
    check_event_subject, is_ns_type, NsIdent, NsKind, NsRecord, Op, TaskSubject,
};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Display;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The namespaces of the validator, by kind.
pub type Own = BTreeMap<NsKind, NsIdent>;

/// The comm of the injection scenario: space, quote, `=`, 14 bytes (the kernel keeps 15).
pub const INJECTION_COMM: &str = "x \"=type=AVC m";

/// What the validator is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The module to load and unload.
    pub module: PathBuf,
    /// Write every record received to this file, in auditd's log format.
    pub log: Option<PathBuf>,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub result: Result<(), String>,
}

fn check(what: impl Into<String>, ok: bool, detail: impl FnOnce() -> String) -> Check {
    Check {
        what: what.into(),
        result: if ok { Ok(()) } else { Err(detail()) },
    }
}

/// Prints checks and counts them.
pub struct Tap<W: Write> {
    out: W,
    pub passed: usize,
    pub failed: usize,
}

impl<W: Write> Tap<W> {
    pub fn new(out: W) -> Self {
        Tap {
            out,
            passed: 0,
            failed: 0,
        }
    }

    /// Prints and counts one check; returns whether it passed.
    pub fn check(&mut self, ok: bool, what: &str, detail: impl Display) -> bool {
        let line = if ok {
            self.passed += 1;
            format!("ok - {what}")
        } else {
            self.failed += 1;
            format!("not ok - {what}: {detail}")
        };
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
        ok
    }

    /// Prints and counts checks.
    pub fn report(&mut self, checks: Vec<Check>) -> bool {
        let mut all = true;
        for c in checks {
            all &= match &c.result {
                Ok(()) => self.check(true, &c.what, ""),
                Err(d) => self.check(false, &c.what, d),
            };
        }
        all
    }

    /// Prints a line that is not a check.
    pub fn note(&mut self, msg: impl Display) {
        let _ = writeln!(self.out, "# {msg}");
        let _ = self.out.flush();
    }

    /// `validate: N passed, N failed`.
    pub fn summary(&self) -> String {
        format!("validate: {} passed, {} failed", self.passed, self.failed)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn upper(k: NsKind) -> String {
    k.name().to_uppercase()
}

/// The `AUDIT_NS_*` records among `got` that follow the reference.
fn ns_of(got: &[Got]) -> impl Iterator<Item = &NsRecord> {
    got.iter().filter_map(|g| g.ns.as_ref())
}

/// The SYSCALL record of event `serial`.
fn syscall_of(got: &[Got], serial: u64) -> Option<&Record> {
    got.iter()
        .filter_map(|g| g.rec.as_ref())
        .find(|r| r.ty == AUDIT_SYSCALL && r.serial == serial)
}

/// The subject of `r`, which must agree with the SYSCALL record of its event if there is one.
fn subject_of(got: &[Got], r: &NsRecord) -> Result<TaskSubject, String> {
    check_event_subject(r, syscall_of(got, r.serial))
}

fn short(recs: &[&NsRecord]) -> String {
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

/// Scenario e: user namespaces `levels` (creator pid, identity), each made in the one before,
/// the first in `own`.
pub fn eval_nested(got: &[Got], levels: &[(i32, NsIdent)], own: &Own) -> Vec<Check> {
    let mut out = Vec::new();
    let mut parent = own.get(&NsKind::User).copied();
    for (i, &(pid, id)) in levels.iter().enumerate() {
        let inits: Vec<&NsRecord> = ns_of(got)
            .filter(|r| r.kind == NsKind::User && r.init && r.ns == id)
            .collect();
        out.push(check(
            format!(
                "nested userns: level {} has one INIT_USER with old_userns = level {i}",
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
        .filter(|r| r.init && !ours.contains(&r.ns))
        .collect();
    out.push(check(
        "nested userns: no other INIT record",
        strays.is_empty(),
        || short(&strays),
    ));
    out
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
fn run_cmd(prog: &str, args: &[&str]) -> Result<i32, String> {
    guest::run_cmd(prog, args).map_err(|e| e.to_string())
}

/// `PF_KTHREAD`, the flag of a kernel thread in `/proc/PID/stat`.
const PF_KTHREAD: u64 = 0x0020_0000;

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

struct Validator<W: Write> {
    sock: AuditSocket,
    tap: Tap<W>,
    opts: Options,
    log: Option<BufWriter<File>>,
    stream: Stream,
    /// What is wrong with the records received since the last [`Validator::flush`].
    problems: Vec<String>,
    own: Own,
    dev: (u32, u32),
}

impl<W: Write> Validator<W> {
    /// Takes one received record: logs it, checks it, keeps the problems.
    fn ingest(&mut self, ty: u16, text: String) -> Got {
        let (got, problem) = Got::new(ty, text);
        if let Some(f) = &mut self.log {
            if writeln!(f, "{}", got.log_line()).is_err() {
                self.problems.push("cannot write the log".into());
                self.log = None;
            }
        }
        self.problems.extend(problem);
        self.problems.extend(self.stream.observe(&got));
        if let Some(ns) = got.ns.as_ref().filter(|n| n.subject.is_kernel_thread()) {
            if let Some(p) = kthread_problem(&ns.subject) {
                self.problems.push(format!("{p}: {}", got.log_line()));
            }
        }
        if let Some(ns) = &got.ns {
            if ns.dev != self.dev {
                self.problems.push(format!(
                    "dev={:02x}:{:02x}, but /proc/self/ns/net is on {:02x}:{:02x}: {}",
                    ns.dev.0,
                    ns.dev.1,
                    self.dev.0,
                    self.dev.1,
                    got.log_line()
                ));
            }
        }
        got
    }

    /// Receives records for at least `min` and until `done` holds for them, at most `max`.
    fn collect(&mut self, min: Duration, max: Duration, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        let start = Instant::now();
        let mut got = Vec::new();
        loop {
            let elapsed = start.elapsed();
            let finished = done(&got);
            if elapsed >= max || (finished && elapsed >= min) {
                break;
            }
            let until = if finished { min } else { max };
            match self.sock.recv_records(until.saturating_sub(elapsed)) {
                Ok(recs) => {
                    for (ty, text) in recs {
                        let g = self.ingest(ty, text);
                        got.push(g);
                    }
                }
                Err(AuditError::Overrun) => self.problems.push(AuditError::Overrun.to_string()),
                Err(e) => {
                    self.problems.push(e.to_string());
                    break;
                }
            }
        }
        if let Some(f) = &mut self.log {
            let _ = f.flush();
        }
        got
    }

    /// Just waits and receives for `d`.
    fn settle(&mut self, d: Duration) -> Vec<Got> {
        self.collect(d, d, |_| true)
    }

    /// One check for the records received since the last flush.
    fn flush(&mut self, label: &str) {
        let problems = std::mem::take(&mut self.problems);
        let n = problems.len();
        let mut detail: Vec<String> = problems.into_iter().take(5).collect();
        if n > 5 {
            detail.push(format!("and {} more", n - 5));
        }
        self.tap.check(
            n == 0,
            &format!(
                "{label}: every record parses, follows the reference, comes once, agrees with its SYSCALL record"
            ),
            detail.join(" || "),
        );
    }

    fn spawn(
        &mut self,
        label: &str,
        kinds: &[NsKind],
        method: Method,
        comm: Option<&str>,
        hold: Hold,
    ) -> Option<nsops::Child> {
        match nsops::spawn(kinds, method, comm, hold) {
            Ok(c) => Some(c),
            Err(e) => {
                self.tap.check(
                    false,
                    &format!("{label}: create the namespaces in a child"),
                    e,
                );
                None
            }
        }
    }

    fn release(&mut self, label: &str, child: &mut nsops::Child) {
        if let Err(e) = child.release() {
            self.tap
                .check(false, &format!("{label}: the child exits cleanly"), e);
        }
    }

    /// Waits for the DEL records of `ids`.
    fn wait_dels(&mut self, ids: &[(NsKind, NsIdent)]) -> Vec<Got> {
        let ids = ids.to_vec();
        self.collect(
            Duration::from_millis(300),
            Duration::from_secs(10),
            move |g| ids.iter().all(|&(k, id)| has_ns(g, k, false, id.id)),
        )
    }

    fn insmod(&mut self, params: &[&str]) -> Result<i32, String> {
        let module = self.opts.module.to_string_lossy().into_owned();
        let mut args = vec![module.as_str()];
        args.extend_from_slice(params);
        run_cmd("insmod", &args)
    }

    /// a: load the module; op=existing records for our own namespaces.
    fn scenario_load(&mut self) {
        if module_loaded() {
            self.tap
                .note("ns_audit is loaded already: unloading it first");
            if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
                self.tap
                    .check(false, "load: rmmod the module loaded before", e);
            }
            self.settle(Duration::from_millis(500));
            self.flush("before load");
        }
        let loaded = self.insmod(&[]);
        let ok = loaded.is_ok();
        self.tap.check(
            ok,
            &format!("load: insmod {}", self.opts.module.display()),
            loaded.as_ref().err().cloned().unwrap_or_default(),
        );
        let Ok(insmod) = loaded else {
            return;
        };
        let own = self.own.clone();
        let got = self.collect(Duration::from_secs(1), Duration::from_secs(5), move |g| {
            own.iter()
                .all(|(k, id)| ns_of(g).any(|r| r.kind == *k && r.init && r.ns == *id))
        });
        let mut checks = eval_load(&got, &self.own);
        checks.push(eval_load_subject(&got, insmod));
        self.tap.report(checks);
        self.flush("load");
    }

    /// b, c, d, i: create the namespaces of `kinds` in a child and check INIT and DEL.
    fn scenario_create(
        &mut self,
        label: &str,
        kinds: &[NsKind],
        method: Method,
        comm: Option<&str>,
    ) -> Option<(Vec<Got>, Spawned)> {
        let mut child = self.spawn(label, kinds, method, comm, Hold::UntilReleased)?;
        let info = child.info.clone();
        let want: Vec<(NsKind, u64)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, i.id)))
            .collect();
        let actor = info.actor.to_string();
        let mut got = self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| {
                want.iter().all(|&(k, id)| has_ns(g, k, true, id))
                    && g.iter()
                        .filter_map(|x| x.rec.as_ref())
                        .any(|r| r.ty == AUDIT_SYSCALL && r.get("pid") == Some(actor.as_str()))
            },
        );
        self.release(label, &mut child);
        let ids: Vec<(NsKind, NsIdent)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, *i)))
            .collect();
        let dels = self.wait_dels(&ids);
        got.extend(dels);
        let checks = eval_create(label, &got, kinds, &info, &self.own, method);
        self.tap.report(checks);
        let checks = eval_dels(label, &got, &ids, &[info.actor, info.holder]);
        self.tap.report(checks);
        self.flush(label);
        Some((got, info))
    }

    /// e: three nested user namespaces.
    fn scenario_nested(&mut self) {
        let label = "nested userns";
        let mut nested = match nsops::nested_userns(3, Hold::UntilReleased) {
            Ok(n) => n,
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: create three levels"), e);
                return;
            }
        };
        let levels = nested.levels.clone();
        let ids: Vec<u64> = levels.iter().map(|l| l.1.id).collect();
        let mut got = self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| ids.iter().all(|&id| has_ns(g, NsKind::User, true, id)),
        );
        if let Err(e) = nested.release() {
            self.tap
                .check(false, &format!("{label}: the children exit cleanly"), e);
        }
        let del_ids: Vec<(NsKind, NsIdent)> = levels.iter().map(|l| (NsKind::User, l.1)).collect();
        got.extend(self.wait_dels(&del_ids));
        let checks = eval_nested(&got, &levels, &self.own);
        self.tap.report(checks);
        let pids: Vec<i32> = levels.iter().map(|l| l.0).collect();
        let checks = eval_dels(label, &got, &del_ids, &pids);
        self.tap.report(checks);
        self.flush(label);
    }

    /// f and g: namespaces kept alive by an fd and by a bind mount; setns into them.
    fn scenario_pinned(&mut self) {
        let label = "pinned";
        let kinds = [NsKind::Net, NsKind::Uts];
        let Some(mut child) = self.spawn(label, &kinds, Method::Unshare, None, Hold::UntilReleased)
        else {
            return;
        };
        let info = child.info.clone();
        let (Some(&net), Some(&uts)) = (info.ns.get(&NsKind::Net), info.ns.get(&NsKind::Uts))
        else {
            self.tap.check(
                false,
                &format!("{label}: the child reports its namespaces"),
                "missing",
            );
            return;
        };
        self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| has_ns(g, NsKind::Net, true, net.id) && has_ns(g, NsKind::Uts, true, uts.id),
        );
        let fd = File::open(format!("/proc/{}/ns/net", info.actor));
        let target = std::env::temp_dir().join(format!("nsaudit-uts-{}", std::process::id()));
        let bound = File::create(&target)
            .map_err(|e| format!("create {}: {e}", target.display()))
            .and_then(|_| {
                nsops::bind_mount(Path::new(&format!("/proc/{}/ns/uts", info.actor)), &target)
                    .map_err(|e| e.to_string())
            });
        let fd_ok = fd.is_ok();
        self.tap.check(
            fd_ok,
            "pinned: open /proc/CHILD/ns/net",
            fd.as_ref().err().map(|e| e.to_string()).unwrap_or_default(),
        );
        let bind_ok = bound.is_ok();
        self.tap.check(
            bind_ok,
            "pinned: bind-mount /proc/CHILD/ns/uts on a file",
            bound.err().unwrap_or_default(),
        );
        self.release(label, &mut child);
        let early = self.settle(Duration::from_millis(1500));
        if fd_ok {
            self.tap.report(vec![eval_none(
                "pinned: no DEL_NET while an fd holds the network namespace",
                &early,
                |g| {
                    g.ns.as_ref()
                        .is_some_and(|r| !r.init && r.kind == NsKind::Net && r.ns.id == net.id)
                },
            )]);
        }
        if bind_ok {
            self.tap.report(vec![eval_none(
                "pinned: no DEL_UTS while a bind mount holds the UTS namespace",
                &early,
                |g| {
                    g.ns.as_ref()
                        .is_some_and(|r| !r.init && r.kind == NsKind::Uts && r.ns.id == uts.id)
                },
            )]);
        }

        self.pinned_setns(fd.as_ref().ok(), bind_ok, &target);
        self.pinned_release(fd.ok(), bind_ok, &target, (net, uts), info.actor);
    }

    /// g: setns(2) into the pinned namespaces creates and removes nothing.
    fn pinned_setns(&mut self, fd: Option<&File>, bind_ok: bool, target: &Path) {
        let mut entered = Vec::new();
        if let Some(f) = fd {
            entered.push((format!("/proc/self/fd/{}", f.as_raw_fd()), NsKind::Net));
        }
        if bind_ok {
            entered.push((target.to_string_lossy().into_owned(), NsKind::Uts));
        }
        for (path, kind) in &entered {
            let r = nsops::setns_in_child(Path::new(path), *kind);
            self.tap.check(
                r.is_ok(),
                &format!("setns: a child enters the pinned {} namespace", kind.name()),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        if !entered.is_empty() {
            let after = self.settle(Duration::from_millis(1000));
            self.tap.report(vec![eval_none(
                "setns: entering existing namespaces writes no INIT and no DEL",
                &after,
                |g| g.ns.is_some() || is_ns_type(g.ty),
            )]);
        }
        self.flush("pinned and setns");
    }

    /// The pinned namespaces go when what holds them goes: the fd, then the bind mount.
    fn pinned_release(
        &mut self,
        fd: Option<File>,
        bind_ok: bool,
        target: &Path,
        (net, uts): (NsIdent, NsIdent),
        actor: i32,
    ) {
        if let Some(f) = fd {
            drop(f);
            let got = self.wait_dels(&[(NsKind::Net, net)]);
            let me = std::process::id() as i32;
            self.tap.report(eval_dels(
                "pinned by an fd, after close",
                &got,
                &[(NsKind::Net, net)],
                &[me, actor],
            ));
            if bind_ok {
                self.tap.report(vec![eval_none(
                    "pinned: still no DEL_UTS while the bind mount holds it",
                    &got,
                    |g| {
                        g.ns.as_ref()
                            .is_some_and(|r| !r.init && r.kind == NsKind::Uts && r.ns.id == uts.id)
                    },
                )]);
            }
        } else {
            // Nothing holds it: it goes away with the child.
            self.wait_dels(&[(NsKind::Net, net)]);
        }
        if bind_ok {
            let un = nsops::unmount(target);
            let un_ok = un.is_ok();
            self.tap.check(
                un_ok,
                "pinned: umount the bind mount",
                un.err().map(|e| e.to_string()).unwrap_or_default(),
            );
            let got = self.wait_dels(&[(NsKind::Uts, uts)]);
            let me = std::process::id() as i32;
            self.tap.report(eval_dels(
                "pinned by a bind mount, after umount",
                &got,
                &[(NsKind::Uts, uts)],
                &[me, actor],
            ));
        } else {
            self.wait_dels(&[(NsKind::Uts, uts)]);
        }
        let _ = std::fs::remove_file(target);
        self.flush("pinned, released");
    }

    /// h: an exclude rule on msgtype 1345 drops INIT_NET, not DEL_NET.
    /// Audit disabled: no namespace record at all, and records again once it is enabled.
    fn scenario_disabled(&mut self) {
        let label = "disabled";
        let off = self.sock.set_enabled(0);
        let ok = off.is_ok();
        self.tap.check(
            ok,
            "disabled: auditctl -e 0",
            off.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return;
        }
        let child = self.spawn(label, &NsKind::ALL, Method::Unshare, None, Hold::ExitAtOnce);
        // Long enough for the removals that run in workers (user, pid, net).
        let got = self.settle(Duration::from_millis(2500));
        if child.is_some() {
            self.tap.report(vec![eval_none(
                "disabled: no namespace record while audit is disabled",
                &got,
                |g| g.ns.is_some() || is_ns_type(g.ty),
            )]);
        }
        let on = self.sock.set_enabled(1);
        let ok = on.is_ok();
        self.tap.check(
            ok,
            "disabled: auditctl -e 1",
            on.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if ok {
            if let Some(child) = self.spawn(
                label,
                &[NsKind::Uts],
                Method::Unshare,
                None,
                Hold::ExitAtOnce,
            ) {
                if let Some(&uts) = child.info.ns.get(&NsKind::Uts) {
                    let got = self.collect(
                        Duration::from_millis(300),
                        Duration::from_secs(10),
                        move |g| has_ns(g, NsKind::Uts, false, uts.id),
                    );
                    self.tap.check(
                        has_ns(&got, NsKind::Uts, true, uts.id)
                            && has_ns(&got, NsKind::Uts, false, uts.id),
                        "disabled: INIT_UTS and DEL_UTS come again once audit is enabled",
                        "missing",
                    );
                }
            }
        }
        self.flush(label);
    }

    fn scenario_exclude(&mut self) {
        let label = "exclude";
        let rule = Rule::ExcludeMsgtype(NsKind::Net.init_type());
        let added = self.sock.add_rule(&rule);
        let ok = added.is_ok();
        self.tap.check(
            ok,
            "exclude: add -a always,exclude -F msgtype=1345",
            added.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return;
        }
        if let Some(mut child) = self.spawn(
            label,
            &[NsKind::Net],
            Method::Unshare,
            None,
            Hold::UntilReleased,
        ) {
            let info = child.info.clone();
            let got = self.settle(Duration::from_millis(1000));
            self.tap.report(vec![eval_none(
                "exclude: no INIT_NET while msgtype=1345 is excluded",
                &got,
                |g| g.ty == NsKind::Net.init_type(),
            )]);
            self.release(label, &mut child);
            if let Some(&net) = info.ns.get(&NsKind::Net) {
                let got = self.wait_dels(&[(NsKind::Net, net)]);
                self.tap
                    .report(eval_dels(label, &got, &[(NsKind::Net, net)], &[info.actor]));
            }
        }
        let deleted = self.sock.del_rule(&rule);
        let del_ok = deleted.is_ok();
        self.tap.check(
            del_ok,
            "exclude: delete the rule",
            deleted.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if del_ok {
            if let Some(child) = self.spawn(
                label,
                &[NsKind::Net],
                Method::Unshare,
                None,
                Hold::ExitAtOnce,
            ) {
                let info = child.info.clone();
                if let Some(&net) = info.ns.get(&NsKind::Net) {
                    let got = self.collect(
                        Duration::from_millis(300),
                        Duration::from_secs(10),
                        move |g| {
                            has_ns(g, NsKind::Net, true, net.id)
                                && has_ns(g, NsKind::Net, false, net.id)
                        },
                    );
                    self.tap.check(
                        has_ns(&got, NsKind::Net, true, net.id),
                        "exclude: INIT_NET comes again once the rule is gone",
                        "no INIT_NET",
                    );
                }
            }
        }
        self.flush(label);
    }

    /// i: a comm made to look like more fields.
    fn scenario_comm(&mut self) {
        let label = "comm injection";
        let Some((got, info)) =
            self.scenario_create(label, &[NsKind::Uts], Method::Unshare, Some(INJECTION_COMM))
        else {
            return;
        };
        let init = got.iter().find(|g| {
            g.ty == NsKind::Uts.init_type()
                && g.ns
                    .as_ref()
                    .is_some_and(|r| Some(r.ns) == info.ns.get(&NsKind::Uts).copied())
        });
        // The INIT record carries comm itself, as the SYSCALL record of its event does.
        let syscall = init
            .and_then(|g| g.ns.as_ref())
            .and_then(|r| syscall_of(&got, r.serial));
        let hex = |r: &Record| r.get("comm").is_some_and(|c| !c.starts_with('"'));
        let fields_ok = init
            .and_then(|g| g.rec.as_ref())
            .zip(syscall)
            .is_some_and(|(r, sc)| {
                let keys = r.keys();
                !keys.contains(&"type")
                    && !keys.contains(&"msg")
                    && keys.iter().filter(|k| **k == "comm").count() == 1
                    && hex(r)
                    && hex(sc)
            });
        self.tap.check(
            fields_ok,
            "comm injection: the record's and the event's comm are hex-encoded and add no field",
            match (init, syscall) {
                (Some(g), Some(sc)) => format!("{} | {}", g.log_line(), sc.to_log_line()),
                (Some(g), None) => format!("{} and no SYSCALL record", g.log_line()),
                _ => "no INIT_UTS record".into(),
            },
        );
        let decoded = init
            .and_then(|g| g.ns.as_ref())
            .and_then(|r| check_event_subject(r, syscall).ok())
            .map(|s| s.comm);
        self.tap.check(
            decoded.as_deref() == Some(info.comm.as_slice())
                && info.comm == INJECTION_COMM.as_bytes(),
            "comm injection: comm decodes to the bytes of /proc/PID/comm",
            format!(
                "record {:?}, /proc {:?}",
                decoded.map(|d| String::from_utf8_lossy(&d).into_owned()),
                String::from_utf8_lossy(&info.comm)
            ),
        );
    }

    /// The `types` module parameter: bad values fail, 0x20 logs network namespaces only.
    fn scenario_types(&mut self) {
        let label = "types";
        if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
            self.tap.check(false, "types: rmmod ns_audit", e);
            return;
        }
        self.settle(Duration::from_millis(300));
        for bad in ["types=0", "types=64", "types=0x80000000"] {
            let r = self.insmod(&[bad]);
            let failed = r.is_err();
            self.tap.check(
                failed,
                &format!("types: insmod {bad} fails"),
                "insmod succeeded",
            );
            if !failed {
                let _ = run_cmd("rmmod", &["ns_audit"]);
            }
        }
        let got = self.settle(Duration::from_millis(500));
        self.tap.report(vec![eval_none(
            "types: failed loads write no record",
            &got,
            |g| is_ns_type(g.ty),
        )]);
        let r = self.insmod(&["types=0x20"]);
        let ok = r.is_ok();
        self.tap
            .check(ok, "types: insmod types=0x20", r.err().unwrap_or_default());
        if !ok {
            return;
        }
        let got = self.collect(Duration::from_secs(1), Duration::from_secs(5), |g| {
            ns_of(g).any(|r| r.kind == NsKind::Net)
        });
        let kinds: HashSet<NsKind> = ns_of(&got).map(|r| r.kind).collect();
        self.tap.check(
            kinds == HashSet::from([NsKind::Net]),
            "types: types=0x20 reports existing network namespaces only",
            format!("{kinds:?}"),
        );
        if let Some(child) = self.spawn(
            label,
            &[NsKind::Net, NsKind::Uts],
            Method::Unshare,
            None,
            Hold::ExitAtOnce,
        ) {
            if let Some(&net) = child.info.ns.get(&NsKind::Net) {
                let got = self.collect(
                    Duration::from_millis(500),
                    Duration::from_secs(10),
                    move |g| {
                        has_ns(g, NsKind::Net, true, net.id)
                            && has_ns(g, NsKind::Net, false, net.id)
                    },
                );
                let kinds: Vec<(NsKind, bool)> = ns_of(&got).map(|r| (r.kind, r.init)).collect();
                self.tap.check(
                    kinds == [(NsKind::Net, true), (NsKind::Net, false)],
                    "types: unshare of net and uts logs INIT_NET and DEL_NET only",
                    format!("{kinds:?}"),
                );
            }
        }
        self.flush(label);
    }

    /// j: after rmmod nothing is logged.
    fn scenario_rmmod(&mut self) {
        let r = run_cmd("rmmod", &["ns_audit"]);
        let ok = r.is_ok();
        self.tap
            .check(ok, "rmmod: rmmod ns_audit", r.err().unwrap_or_default());
        let mut got = self.settle(Duration::from_millis(300));
        if ok {
            for k in NsKind::ALL {
                self.spawn("rmmod", &[k], Method::Unshare, None, Hold::ExitAtOnce);
            }
            self.spawn(
                "rmmod",
                &NsKind::ALL,
                Method::Clone3,
                None,
                Hold::ExitAtOnce,
            );
            got.extend(self.settle(Duration::from_secs(2)));
            self.tap.report(vec![eval_none(
                "rmmod: no AUDIT_NS_* record once the module is gone",
                &got,
                |g| is_ns_type(g.ty),
            )]);
        }
        self.flush("rmmod");
    }

    fn setup(&mut self) -> bool {
        let r = self.sock.become_daemon(BACKLOG_LIMIT);
        let ok = r.is_ok();
        self.tap.check(
            ok,
            "setup: become the audit daemon (backlog_limit 8192)",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return false;
        }
        let r = self.sock.add_rule(&Rule::never_kexec_load());
        let ok = r.is_ok();
        self.tap.check(
            ok,
            "setup: load -a never,exit -F arch=b64 -S kexec_load",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return false;
        }
        match self.sock.status() {
            Ok(s) => self.tap.check(
                s.pid == std::process::id() && s.enabled == 1 && s.backlog_limit == BACKLOG_LIMIT,
                "setup: audit status shows us as the daemon",
                format!("{s:?}"),
            ),
            Err(e) => self.tap.check(false, "setup: audit status", e),
        };
        match (nsops::ns_idents(None, false), nsops::nsfs_dev()) {
            (Ok(own), Ok(dev)) => {
                let ids: Vec<String> = own
                    .iter()
                    .map(|(k, i)| format!("{}ns={} id={}", k.name(), i.inum, i.id))
                    .collect();
                self.tap.note(format!(
                    "our namespaces: {}; nsfs dev {:02x}:{:02x}",
                    ids.join(" "),
                    dev.0,
                    dev.1
                ));
                self.own = own;
                self.dev = dev;
                true
            }
            (Err(e), _) | (_, Err(e)) => {
                self.tap.check(false, "setup: read our own namespaces", e);
                false
            }
        }
    }

    fn teardown(&mut self) {
        if self.stream.reordered > 0 {
            self.tap.note(format!(
                "{} events arrived after a later one (records are queued when their event ends)",
                self.stream.reordered
            ));
        }
        match self.sock.status() {
            Ok(s) => self.tap.check(
                s.lost == 0,
                "end: audit lost no record",
                format!("lost={}", s.lost),
            ),
            Err(e) => self.tap.check(false, "end: audit status", e),
        };
        self.settle(Duration::from_millis(200));
        self.flush("end");
        let r = self.sock.del_rule(&Rule::never_kexec_load());
        self.tap.check(
            r.is_ok(),
            "end: delete the never rule",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        // Its CONFIG_CHANGE record, for the log.
        self.settle(Duration::from_millis(200));
        let r = self.sock.release_daemon();
        self.tap.check(
            r.is_ok(),
            "end: stop being the audit daemon",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }

    fn run(&mut self) {
        if !self.setup() {
            return;
        }
        self.settle(Duration::from_millis(300));
        self.flush("setup");
        self.scenario_load();
        for k in NsKind::ALL {
            self.scenario_create(
                &format!("unshare {}", k.name()),
                &[k],
                Method::Unshare,
                None,
            );
        }
        for k in NsKind::ALL {
            self.scenario_create(&format!("clone3 {}", k.name()), &[k], Method::Clone3, None);
        }
        self.scenario_create("unshare all six", &NsKind::ALL, Method::Unshare, None);
        self.scenario_nested();
        self.scenario_pinned();
        self.scenario_exclude();
        self.scenario_disabled();
        self.scenario_comm();
        self.scenario_types();
        self.scenario_rmmod();
        self.teardown();
    }
}

/// Counts of a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
}

/// Runs every scenario, printing to `out`; ends with the summary line.
pub fn run<W: Write>(opts: &Options, out: W) -> Summary {
    let mut tap = Tap::new(out);
    let log = match &opts.log {
        None => None,
        Some(p) => match File::create(p) {
            Ok(f) => Some(BufWriter::new(f)),
            Err(e) => {
                tap.check(false, &format!("setup: create {}", p.display()), e);
                None
            }
        },
    };
    match AuditSocket::open() {
        Ok(sock) => {
            let mut v = Validator {
                sock,
                tap,
                opts: opts.clone(),
                log,
                stream: Stream::default(),
                problems: Vec::new(),
                own: Own::new(),
                dev: (0, 0),
            };
            v.run();
            if let Some(mut f) = v.log.take() {
                let flushed = f.flush();
                v.tap.check(
                    flushed.is_ok(),
                    "end: write the record log",
                    flushed.err().map(|e| e.to_string()).unwrap_or_default(),
                );
            }
            tap = v.tap;
        }
        Err(e) => {
            tap.check(false, "setup: open the audit netlink socket", e);
        }
    }
    let line = tap.summary();
    let (passed, failed) = (tap.passed, tap.failed);
    let mut out = tap.into_inner();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Summary { passed, failed }
}

mod stream;

pub use stream::{EventOrder, Got, Stream};

#[cfg(test)]
mod tests;
