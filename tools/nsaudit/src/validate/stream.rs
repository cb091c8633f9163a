// SPDX-License-Identifier: GPL-2.0

//! The records as they arrive: each parsed and checked ([`Got`]), and the checks across
//! records that hold whatever order they arrive in ([`Stream`]).

use crate::nsinfo::{check_ns_info, NsInfo, AUDIT_NS_INFO};
use crate::record::{format_log_line, parse_record, Record, AUDIT_SYSCALL, AUDIT_URINGOP};
use crate::reference::{check_event_subject, check_ns_record, is_ns_type, NsKind, NsRecord, Op};
use std::collections::{HashMap, HashSet};

/// A record as received, parsed and checked when it could be.
#[derive(Debug, Clone)]
pub struct Got {
    pub ty: u16,
    pub text: String,
    /// The parsed record, [`None`] if the text does not parse.
    pub rec: Option<Record>,
    /// For `AUDIT_NS_*` types: the record if it follows the reference.
    pub ns: Option<NsRecord>,
    /// For `AUDIT_NS_INFO`: the ids if the record has its format.
    pub info: Option<NsInfo>,
}

impl Got {
    /// Parses and checks a received record; the second value says what is wrong with it, for
    /// `AUDIT_NS_*`, `AUDIT_NS_INFO` and `SYSCALL` records (other records need not parse).
    pub fn new(ty: u16, text: String) -> (Got, Option<String>) {
        let line = || format_log_line(ty, &text);
        let mut problem = None;
        let rec = match parse_record(ty, &text) {
            Ok(r) => Some(r),
            Err(e) => {
                if is_ns_type(ty) || ty == AUDIT_SYSCALL || ty == AUDIT_NS_INFO {
                    problem = Some(format!("does not parse ({e}): {}", line()));
                }
                None
            }
        };
        let ns = match &rec {
            Some(r) if is_ns_type(ty) => match check_ns_record(r) {
                Ok(ns) => Some(ns),
                Err(errs) => {
                    problem = Some(format!(
                        "breaks the reference ({}): {}",
                        errs.join("; "),
                        line()
                    ));
                    None
                }
            },
            _ => None,
        };
        let info = match &rec {
            Some(r) if ty == AUDIT_NS_INFO => match check_ns_info(r) {
                Ok(info) => Some(info),
                Err(errs) => {
                    problem = Some(format!(
                        "breaks the AUDIT_NS_INFO format ({}): {}",
                        errs.join("; "),
                        line()
                    ));
                    None
                }
            },
            _ => None,
        };
        (
            Got {
                ty,
                text,
                rec,
                ns,
                info,
            },
            problem,
        )
    }

    /// The log line of the record.
    pub fn log_line(&self) -> String {
        format_log_line(self.ty, &self.text)
    }
}

/// Where an event is in event order: `((seconds, milliseconds), serial)`.
pub type EventOrder = ((u64, u32), u64);

/// The order and uniqueness of the records of the whole run, which do not depend on the order
/// in which records arrive: records are queued when their event ends (at syscall exit, on the
/// return to user space or by a worker) and may wait for room in audit's backlog, so a record
/// may arrive after records of later events.  What must hold:
///
/// - an event's records share one stamp, and no record arrives twice;
/// - no namespace is created (`op=create`) or removed twice;
/// - in event order, `(time, serial)`, a namespace's INIT record comes before its DEL record;
/// - namespaces that had the same inode number did not live at the same time, by serial: the
///   removal of one is reported before its inode number is given to the next;
/// - a namespace record of an event that has a `SYSCALL` record carries the subject of that
///   `SYSCALL` record ([`check_event_subject`]), whichever of the two arrives first;
/// - an event has at most one `AUDIT_NS_INFO` record, and one that has it has a `SYSCALL` or
///   `URINGOP` record too: [`Stream::unanchored_infos`] once every record is in.
#[derive(Debug, Default)]
pub struct Stream {
    /// The greatest serial so far.
    max: Option<u64>,
    stamps: HashMap<u64, (u64, u32)>,
    seen: HashSet<(u16, String)>,
    /// `(kind, id, init)` → where each record of that namespace is in event order.
    lifecycle: HashMap<(NsKind, u64, bool), Vec<EventOrder>>,
    /// `(kind, inode)` → the namespaces that had it: id, first INIT serial, DEL serial.
    inodes: HashMap<(NsKind, u64), Vec<Life>>,
    /// Overlaps reported, `(kind, inode, id, id)`, each once.
    overlaps: HashSet<(NsKind, u64, u64, u64)>,
    /// The `SYSCALL` record of each event seen.
    syscalls: HashMap<u64, Record>,
    /// Namespace records whose event's `SYSCALL` record has not come (yet), by serial.
    unmatched: HashMap<u64, Vec<(NsRecord, String)>>,
    /// The events that have a `URINGOP` record.
    uringops: HashSet<u64>,
    /// `AUDIT_NS_INFO` records per event.
    infos: HashMap<u64, u32>,
    /// Events that arrived after a later one (counted, not a problem).
    pub reordered: usize,
}

/// What the stream knows of a namespace's lifetime, by serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Life {
    id: u64,
    init: Option<u64>,
    del: Option<u64>,
}

/// Whether `a`, which was alive before `b` was created, was still alive when `b` took its
/// inode number: its removal has a greater serial than `b`'s creation.  `a`'s first record
/// (its creation, or the `op=existing` record of a module load, which it existed before) must
/// have come: a DEL record may arrive before the INIT record of its namespace.
fn overlaps(a: &Life, b: &Life) -> bool {
    match (a.init, a.del, b.init) {
        (Some(init), Some(del), Some(b_init)) => init < b_init && del > b_init,
        _ => false,
    }
}

impl Stream {
    /// Takes the next record in arrival order; returns what is wrong.
    pub fn observe(&mut self, got: &Got) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.seen.insert((got.ty, got.text.clone())) {
            problems.push(format!("arrived twice: {}", got.log_line()));
        }
        let Some(rec) = &got.rec else {
            return problems;
        };
        let stamp = (rec.sec, rec.msec);
        match self.stamps.get(&rec.serial) {
            Some(s) if *s != stamp => problems.push(format!(
                "serial {} with two stamps {}.{:03} and {}.{:03}: {}",
                rec.serial,
                s.0,
                s.1,
                stamp.0,
                stamp.1,
                got.log_line()
            )),
            Some(_) => {}
            None => {
                if self.max.is_some_and(|m| rec.serial < m) {
                    self.reordered += 1;
                }
                self.stamps.insert(rec.serial, stamp);
            }
        }
        if self.max.is_none_or(|m| rec.serial > m) {
            self.max = Some(rec.serial);
        }
        if rec.ty == AUDIT_SYSCALL {
            problems.extend(self.match_syscall(rec));
        }
        if rec.ty == AUDIT_URINGOP {
            self.uringops.insert(rec.serial);
        }
        if rec.ty == AUDIT_NS_INFO {
            let n = self.infos.entry(rec.serial).or_default();
            *n += 1;
            if *n == 2 {
                problems.push(format!(
                    "a second AUDIT_NS_INFO record in event {}: {}",
                    rec.serial,
                    got.log_line()
                ));
            }
        }
        if let Some(ns) = &got.ns {
            problems.extend(self.observe_ns(ns, (stamp, rec.serial), got));
        }
        problems
    }

    /// The events that have an `AUDIT_NS_INFO` record but neither a `SYSCALL` nor a `URINGOP`
    /// record, by serial: the record belongs right after one of those in its event.
    pub fn unanchored_infos(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .infos
            .keys()
            .filter(|s| !self.syscalls.contains_key(s) && !self.uringops.contains(s))
            .copied()
            .collect();
        v.sort_unstable();
        v
    }

    /// A `SYSCALL` record: the namespace records of its event that came first must agree.
    fn match_syscall(&mut self, rec: &Record) -> Vec<String> {
        let waiting = self.unmatched.remove(&rec.serial).unwrap_or_default();
        self.syscalls.insert(rec.serial, rec.clone());
        waiting
            .iter()
            .filter_map(|(ns, line)| {
                check_event_subject(ns, Some(rec))
                    .err()
                    .map(|e| format!("{e}: {line}"))
            })
            .collect()
    }

    fn observe_ns(&mut self, ns: &NsRecord, at: EventOrder, got: &Got) -> Vec<String> {
        let mut problems = Vec::new();
        match self.syscalls.get(&ns.serial) {
            Some(sc) => {
                if let Err(e) = check_event_subject(ns, Some(sc)) {
                    problems.push(format!("{e}: {}", got.log_line()));
                }
            }
            None => self
                .unmatched
                .entry(ns.serial)
                .or_default()
                .push((ns.clone(), got.log_line())),
        }
        problems.extend(self.observe_inode(ns, at.1, got));
        if ns.op == Op::Existing {
            return problems;
        }
        let mine = self
            .lifecycle
            .entry((ns.kind, ns.ns.id, ns.init))
            .or_default();
        mine.push(at);
        if mine.len() == 2 {
            problems.push(format!(
                "{} {}ns_id={} a second time: {}",
                if ns.init { "created" } else { "removed" },
                ns.kind.name(),
                ns.ns.id,
                got.log_line()
            ));
        }
        let other = self.lifecycle.get(&(ns.kind, ns.ns.id, !ns.init));
        let (init, del) = if ns.init {
            (Some(&at), other.and_then(|v| v.first()))
        } else {
            (other.and_then(|v| v.first()), Some(&at))
        };
        if let (Some(i), Some(d)) = (init, del) {
            if d <= i {
                problems.push(format!(
                    "{}ns_id={} removed at {}.{:03}:{} before it was created at {}.{:03}:{}: {}",
                    ns.kind.name(),
                    ns.ns.id,
                    d.0 .0,
                    d.0 .1,
                    d.1,
                    i.0 .0,
                    i.0 .1,
                    i.1,
                    got.log_line()
                ));
            }
        }
        problems
    }

    /// Files the lifetime of `ns` under its inode number; an overlap with another namespace
    /// that had the number is a problem.
    fn observe_inode(&mut self, ns: &NsRecord, serial: u64, got: &Got) -> Vec<String> {
        let lives = self.inodes.entry((ns.kind, ns.ns.inum)).or_default();
        let i = match lives.iter().position(|l| l.id == ns.ns.id) {
            Some(i) => i,
            None => {
                lives.push(Life {
                    id: ns.ns.id,
                    init: None,
                    del: None,
                });
                lives.len() - 1
            }
        };
        if ns.init {
            let init = lives[i].init.get_or_insert(serial);
            *init = (*init).min(serial);
        } else {
            lives[i].del.get_or_insert(serial);
        }
        let me = lives[i];
        let reported = &mut self.overlaps;
        lives
            .iter()
            .filter(|o| o.id != me.id)
            .filter_map(|o| {
                let (first, next) = if overlaps(o, &me) {
                    (o, &me)
                } else if overlaps(&me, o) {
                    (&me, o)
                } else {
                    return None;
                };
                if !reported.insert((ns.kind, ns.ns.inum, first.id, next.id)) {
                    return None;
                }
                Some(format!(
                    "{t}ns={} was given to {t}ns_id {} at serial {} while {t}ns_id {} had it \
                     (removed at serial {}): {}",
                    ns.ns.inum,
                    next.id,
                    next.init.unwrap_or_default(),
                    first.id,
                    first.del.unwrap_or_default(),
                    got.log_line(),
                    t = ns.kind.name(),
                ))
            })
            .collect()
    }
}
