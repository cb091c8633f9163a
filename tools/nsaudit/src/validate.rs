// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest validate`: create and destroy namespaces in the guest and check every record.
//!
//! Each check prints `ok - <what>` or `not ok - <what>: <detail>`; the run ends with
//! `validate: N passed, N failed`.  The evaluation of the records of a scenario is done by pure
//! functions (`eval_*`) so that it can be tested without the kernel module.
//!
//! The records come to the validator as audit's daemon, or with `beside_auditd` as the copies
//! the kernel sends to the multicast group `AUDIT_NLGRP_READLOG` while auditd is the daemon and
//! writes them to its log ([`reader`]).
//!
//! The scenarios, in order: setup (audit daemon or multicast group, never-rule), load (`insmod`, op=existing
//! records for our own namespaces), unshare and clone3 of each type alone, unshare of all eight,
//! three nested user and three nested cgroup namespaces, two time namespaces unshared one after
//! the other, network, UTS, cgroup and time namespaces pinned by an fd or a bind mount, setns
//! into them, exclude rules on msgtypes 1345, 1352 and 1355, rules by namespace (two
//! containers and the host under exit, exclude and user rules on namespace ids, and the rules
//! the kernel refuses), audit disabled, a comm made to look
//! like more fields, the `types` parameter (bad values, then one kind at a time), the
//! `AUDIT_NS_INFO` record of the audit core (a task in a container, tasks that enter it with
//! setns, a task on the host, an exclude rule on 1356, the audit feature
//! `AUDIT_FEATURE_NS_INFO` off and on), rmmod;
//! throughout, every record must parse, follow the reference (one field set per type, the
//! subject always), come once, carry the subject of its event's `SYSCALL` record, and no
//! namespace may be removed before it was created in event order, whatever the order the
//! records arrive in; every `AUDIT_NS_INFO` record must have its eight ids and be the one of
//! an event with a `SYSCALL` or `URINGOP` record; at the end audit must have lost none.
//!
//! The rule and `AUDIT_NS_INFO` scenarios turn `AUDIT_FEATURE_NS_INFO` on first (it is off
//! when the kernel boots); the end gives it back the setting it had.

mod eval;
mod filters;
mod info;
mod info_eval;
mod nesting;
mod nsrules;
mod pinned;
mod reader;
mod scenarios;
mod stream;
mod tap;
#[cfg(test)]
mod tests;

pub use eval::{
    eval_create, eval_dels, eval_load, eval_load_subject, eval_nested, eval_none, eval_replaced,
    has_ns, kthread_problem, removed_by_worker, stat_flags,
};
pub use info_eval::{
    eval_info_joiner, eval_info_task, setns_steps, task_events, TaskEvent, INFO_KEY,
};
pub use stream::{EventOrder, Got, Stream};
pub use tap::{Check, Tap};

use crate::audit::features::on_off;
use crate::audit::{AuditError, AuditSocket, Rule};
use crate::daemon::BACKLOG_LIMIT;
use crate::guest::{self, module_loaded};
use crate::nsops::{self, Hold, Method, NsError, Spawned};
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
    /// Leave the running audit daemon (auditd) in place and read the copies of the records
    /// that the kernel sends to the multicast group `AUDIT_NLGRP_READLOG`.
    pub beside_auditd: bool,
}

use eval::*;
use tap::*;

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
    /// Beside auditd: its pid when the run began.
    daemon: Option<u32>,
    /// Reads that failed with `ENOBUFS`: records were dropped for the socket.
    overruns: u64,
    /// Whether `AUDIT_FEATURE_NS_INFO` was on before the validator first changed it.
    ns_info_before: Option<bool>,
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
                Err(AuditError::Overrun) => {
                    self.overruns += 1;
                    self.problems.push(AuditError::Overrun.to_string());
                }
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

    /// Waits for the DEL records of `ids` that `got` does not have yet, and adds what arrives
    /// meanwhile to it.
    fn wait_dels_into(&mut self, got: &mut Vec<Got>, ids: &[(NsKind, NsIdent)]) {
        let missing: Vec<(NsKind, NsIdent)> = ids
            .iter()
            .filter(|&&(k, id)| !has_ns(got, k, false, id.id))
            .copied()
            .collect();
        got.extend(self.wait_dels(&missing));
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

    fn setup(&mut self) -> bool {
        if !self.setup_reader() {
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
        self.check_reader_status();
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
        for serial in self.stream.unanchored_infos() {
            self.problems.push(format!(
                "an AUDIT_NS_INFO record in event {serial}, which has no SYSCALL or URINGOP record"
            ));
        }
        self.flush("end");
        if let Some(was) = self.ns_info_before.take() {
            let r = self.sock.set_ns_info(was);
            self.tap.check(
                r.is_ok(),
                &format!("end: AUDIT_FEATURE_NS_INFO back {}", on_off(was)),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        let r = self.sock.del_rule(&Rule::never_kexec_load());
        self.tap.check(
            r.is_ok(),
            "end: delete the never rule",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        // Its CONFIG_CHANGE record, for the log.
        self.settle(Duration::from_millis(200));
        self.teardown_reader();
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
        self.scenario_create("unshare all eight", &NsKind::ALL, Method::Unshare, None);
        self.scenario_nested();
        self.scenario_pinned();
        self.scenario_exclude();
        self.scenario_nsrules();
        self.scenario_disabled();
        self.scenario_comm();
        self.scenario_types();
        self.scenario_nsinfo();
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
                daemon: None,
                overruns: 0,
                ns_info_before: None,
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
