// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest snapshot`: loading the module while thousands of namespaces are alive.
//!
//! When the module loads it writes an `op=existing` INIT record for every namespace alive.
//! Before loading, one process pins `--pinned` UTS and as many IPC namespaces (it unshares both
//! again and again and keeps `/proc/self/ns/uts` and `/proc/self/ns/ipc` open) and reports
//! their ids (`NS_GET_ID`).  Then the audit daemon takes a small backlog, a failure mode and a
//! slow reader, and a child loads the module as `insmod` would.  Every pinned namespace must
//! get exactly one `op=existing` record naming the loading process as its subject, and audit
//! must lose nothing; the time `finit_module` took is printed.

use crate::daemon::{AuditArgs, Collect, Daemon, LoadError};
use crate::guest::{self, GuestError, ModulePath};
use crate::nsops::{clone_flags, ns_ident_of_fd, read_exact, write_all};
use crate::record::parse_record;
use crate::reference::{check_ns_record, is_ns_type, NsKind, Op};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{pipe2, Pid};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;
use thiserror::Error;

/// The kinds pinned.
pub const PINNED_KINDS: [NsKind; 2] = [NsKind::Uts, NsKind::Ipc];

/// How long the snapshot waits at most for its records after the load.
const RECORDS_MAX: Duration = Duration::from_secs(900);

#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Guest(#[from] GuestError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the pinning process: {0}")]
    Pinner(String),
}

/// `nsaudit-guest snapshot`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub module: ModulePath,
    #[command(flatten)]
    pub audit: AuditArgs,
    /// UTS namespaces, and as many IPC namespaces, alive when the module loads.
    #[arg(long, default_value_t = 2000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pinned: u32,
    /// Seconds without a new record after which the records still missing are given up.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub quiet: u64,
}

/// One entry of the pinner's report: a kind (1 uts, 2 ipc; 0 done; 0xff failed) and a value
/// (the namespace id, the count, or the errno).
const ENTRY_LEN: usize = 9;

fn entry(kind: u8, value: u64) -> [u8; ENTRY_LEN] {
    let mut b = [0u8; ENTRY_LEN];
    b[0] = kind;
    b[1..].copy_from_slice(&value.to_ne_bytes());
    b
}

/// The pinning process: unshares UTS and IPC `n` times, keeping each pair open, reports the
/// ids and waits for `go` to end (the namespaces go with it).
fn pinner(n: u32, rep: &OwnedFd, go: &OwnedFd) -> i32 {
    let failed = |e: Errno| {
        let _ = write_all(rep, &entry(0xff, u64::from(e as i32 as u32)));
        1
    };
    if guest::raise_fd_limit(u64::from(n) * 2 + 64).is_err() {
        return failed(Errno::EMFILE);
    }
    let mut keep = Vec::with_capacity(n as usize * 2);
    for _ in 0..n {
        if let Err(e) = nix::sched::unshare(clone_flags(&PINNED_KINDS)) {
            return failed(e);
        }
        for (code, kind) in [(1u8, NsKind::Uts), (2, NsKind::Ipc)] {
            let f = match File::open(format!("/proc/self/ns/{}", kind.name())) {
                Ok(f) => f,
                Err(e) => return failed(Errno::from_raw(e.raw_os_error().unwrap_or(0))),
            };
            match ns_ident_of_fd(&f) {
                Ok(id) => {
                    if write_all(rep, &entry(code, id.id)).is_err() {
                        return 1;
                    }
                }
                Err(e) => return failed(e),
            }
            keep.push(f);
        }
    }
    if write_all(rep, &entry(0, u64::from(n))).is_err() {
        return 1;
    }
    let mut b = [0u8; 1];
    let _ = read_exact(go, &mut b);
    drop(keep);
    0
}

/// The pinning process, once it has pinned its namespaces.
struct Pinner {
    pid: Pid,
    go: Option<OwnedFd>,
    ids: HashSet<(NsKind, u64)>,
}

impl Pinner {
    fn start(n: u32) -> Result<Pinner, SnapshotError> {
        let pipe = || {
            pipe2(OFlag::O_CLOEXEC).map_err(|errno| GuestError::Sys {
                what: "pipe2".into(),
                errno,
            })
        };
        let (rep_r, rep_w) = pipe()?;
        let (go_r, go_w) = pipe()?;
        let go_w_fd = go_w.as_raw_fd();
        let pid = guest::fork_child(|| {
            // SAFETY: the pinner's copy of the write end of `go`, which it must not hold or it
            // would never see the end of file it waits for; it leaves through _exit, so its
            // `OwnedFd` is never dropped and the descriptor never closed twice.
            unsafe { libc::close(go_w_fd) };
            pinner(n, &rep_w, &go_r)
        })?;
        drop(rep_w);
        drop(go_r);
        let mut p = Pinner {
            pid,
            go: Some(go_w),
            ids: HashSet::new(),
        };
        loop {
            let mut b = [0u8; ENTRY_LEN];
            match read_exact(&rep_r, &mut b) {
                Ok(true) => {}
                Ok(false) => return Err(SnapshotError::Pinner("ended without a report".into())),
                Err(e) => return Err(SnapshotError::Pinner(format!("reading its report: {e}"))),
            }
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[1..]);
            let v = u64::from_ne_bytes(v);
            match b[0] {
                0 => return Ok(p),
                1 => p.ids.insert((NsKind::Uts, v)),
                2 => p.ids.insert((NsKind::Ipc, v)),
                _ => {
                    let e = Errno::from_raw(i32::try_from(v).unwrap_or(0));
                    return Err(SnapshotError::Pinner(format!(
                        "after {} namespaces: {e}",
                        p.ids.len()
                    )));
                }
            };
        }
    }

    /// Lets the pinned namespaces go.
    fn release(&mut self) -> Result<bool, SnapshotError> {
        match self.go.take() {
            Some(go) => {
                drop(go);
                Ok(guest::reap(self.pid)?)
            }
            None => Ok(true),
        }
    }
}

impl Drop for Pinner {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// The `op=existing` records of a load, as they arrive.
#[derive(Debug, Default)]
pub struct SnapshotLedger {
    /// The pinned namespaces, to wait for.
    pinned: HashSet<(NsKind, u64)>,
    /// Each `op=existing` record: namespace and subject pid.
    existing: Vec<((NsKind, u64), i32)>,
    /// Pinned namespaces with a record so far.
    seen: HashSet<(NsKind, u64)>,
    malformed: u64,
    first_malformed: Option<String>,
}

impl SnapshotLedger {
    pub fn new(pinned: HashSet<(NsKind, u64)>) -> Self {
        SnapshotLedger {
            pinned,
            ..Default::default()
        }
    }
}

impl Collect for SnapshotLedger {
    fn add(&mut self, ty: u16, text: &str) {
        if !is_ns_type(ty) {
            return;
        }
        let checked = parse_record(ty, text)
            .map_err(|e| e.to_string())
            .and_then(|r| check_ns_record(&r).map_err(|e| e[..e.len().min(2)].join("; ")));
        match checked {
            Ok(ns) if ns.op == Op::Existing => {
                let key = (ns.kind, ns.ns.id);
                if self.pinned.contains(&key) {
                    self.seen.insert(key);
                }
                self.existing.push((key, ns.subject.pid));
            }
            Ok(_) => {}
            Err(why) => {
                self.malformed += 1;
                self.first_malformed
                    .get_or_insert_with(|| format!("type={ty} {text}: {why}"));
            }
        }
    }

    fn done(&self) -> bool {
        self.seen.len() == self.pinned.len()
    }

    fn progress(&self) -> u64 {
        self.existing.len() as u64 + self.malformed
    }
}

/// What a snapshot run found, and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotResult {
    /// Pinned namespaces per kind (uts, ipc), and of them those with exactly one record.
    pub pinned: [u64; 2],
    pub reported_once: [u64; 2],
    /// Pinned namespaces with more than one record.
    pub twice: u64,
    /// Records of the other namespaces alive (the system's).
    pub others: u64,
    /// Records that name another subject than the loading process.
    pub wrong_subject: u64,
    pub malformed: u64,
    pub lost: u64,
    pub ok: bool,
    pub line: String,
}

/// The verdict on a load: every pinned namespace has exactly one `op=existing` record, every
/// such record names the loading process `insmod`, none breaks the reference, and audit lost
/// nothing (`lost` is the rise of its counter).
pub fn judge(l: &SnapshotLedger, insmod: i32, lost: u64) -> SnapshotResult {
    let mut counts: HashMap<(NsKind, u64), u64> = HashMap::new();
    let mut r = SnapshotResult {
        pinned: [0; 2],
        reported_once: [0; 2],
        twice: 0,
        others: 0,
        wrong_subject: 0,
        malformed: l.malformed,
        lost,
        ok: false,
        line: String::new(),
    };
    for &(key, pid) in &l.existing {
        r.wrong_subject += u64::from(pid != insmod);
        if l.pinned.contains(&key) {
            *counts.entry(key).or_default() += 1;
        } else {
            r.others += 1;
        }
    }
    for key in &l.pinned {
        let i = usize::from(key.0 == NsKind::Ipc);
        r.pinned[i] += 1;
        match counts.get(key).copied().unwrap_or(0) {
            1 => r.reported_once[i] += 1,
            0 => {}
            _ => r.twice += 1,
        }
    }
    let all = r.pinned.iter().sum::<u64>();
    let once = r.reported_once.iter().sum::<u64>();
    let mut why = Vec::new();
    if once + r.twice < all {
        why.push(format!(
            "{} pinned namespaces have no record",
            all - once - r.twice
        ));
    }
    if r.twice > 0 {
        why.push(format!("{} have more than one", r.twice));
    }
    if r.wrong_subject > 0 {
        why.push(format!(
            "{} records do not name the loading process {insmod}",
            r.wrong_subject
        ));
    }
    if r.malformed > 0 {
        why.push(format!(
            "{} records break the reference, e.g. {}",
            r.malformed,
            l.first_malformed.as_deref().unwrap_or("?")
        ));
    }
    if lost > 0 {
        why.push(format!("audit lost {lost} records"));
    }
    r.ok = why.is_empty() && all > 0;
    r.line = if r.ok {
        format!("snapshot: ok: all {all} pinned namespaces reported once by the load, nothing lost")
    } else if all == 0 {
        "snapshot: FAIL: no namespace pinned".into()
    } else {
        format!("snapshot: FAIL: {}", why.join("; "))
    };
    r
}

/// Runs the snapshot test and prints the report to `out`; returns whether it passed.
pub fn run(args: &SnapshotArgs, out: &mut impl Write) -> Result<bool, SnapshotError> {
    if guest::module_loaded() {
        guest::delete_module().map_err(|e| SnapshotError::Pinner(format!("rmmod: {e}")))?;
    }
    let mut pinner = Pinner::start(args.pinned)?;
    let mut ledger = SnapshotLedger::new(pinner.ids.clone());
    let mut d = Daemon::start(args.audit.config())?;
    let lost0 = d.lost()?;
    let loaded = d.load_module(&args.module.module, "", |t, s| ledger.add(t, s));
    let waited = match &loaded {
        Ok(_) => d.read_until(&mut ledger, Duration::from_secs(args.quiet), RECORDS_MAX),
        Err(_) => Ok(()),
    };
    let lost1 = d.lost()?;
    if loaded.is_ok() {
        guest::delete_module().map_err(|e| SnapshotError::Pinner(format!("rmmod: {e}")))?;
    }
    let released = pinner.release()?;
    d.restore()?;
    let loaded = loaded?;
    waited?;
    let r = judge(&ledger, loaded.pid, lost1.saturating_sub(lost0));
    let text = format!(
        "snapshot: {}, {} UTS and {} IPC namespaces pinned by one process\n\
         snapshot: finit_module took {:.3} s (pid {})\n\
         snapshot: op=existing records: uts {} and ipc {} pinned namespaces once, {} more than \
         once, {} of the other namespaces; {} naming another subject; {} malformed\n\
         snapshot: audit lost {} records (lost counter {lost0} -> {lost1})\n{}\n",
        args.audit.describe(),
        r.pinned[0],
        r.pinned[1],
        loaded.took.as_secs_f64(),
        loaded.pid,
        r.reported_once[0],
        r.reported_once[1],
        r.twice,
        r.others,
        r.wrong_subject,
        r.malformed,
        r.lost,
        r.line
    );
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(r.ok && released)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(pid: i32) -> String {
        format!(
            "ppid=1 pid={pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
             fsgid=0 tty=(none) ses=4294967295 comm=\"nsaudit\" exe=\"/bin/nsaudit\""
        )
    }

    fn existing(kind: NsKind, id: u64, pid: i32) -> (u16, String) {
        let t = kind.name();
        (
            kind.init_type(),
            format!(
                "audit(1700000000.100:7): op=existing {} dev=00:04 old_{t}ns=(none) \
                 old_{t}ns_id=(none) {t}ns=4026532000 {t}ns_id={id} res=1",
                subject(pid)
            ),
        )
    }

    fn pinned(n: u64) -> HashSet<(NsKind, u64)> {
        (0..n)
            .flat_map(|i| [(NsKind::Uts, 100 + 2 * i), (NsKind::Ipc, 101 + 2 * i)])
            .collect()
    }

    fn full(n: u64, pid: i32) -> SnapshotLedger {
        let mut l = SnapshotLedger::new(pinned(n));
        for &(k, id) in &pinned(n) {
            let (ty, text) = existing(k, id, pid);
            l.add(ty, &text);
        }
        l
    }

    #[test]
    fn a_complete_load_passes() {
        let mut l = full(3, 50);
        assert!(l.done());
        // The system's own namespaces, a SYSCALL record: not pinned, fine.
        let (ty, text) = existing(NsKind::Net, 7, 50);
        l.add(ty, &text);
        l.add(1300, "audit(1.000:7): arch=c000003e syscall=313");
        let r = judge(&l, 50, 0);
        assert!(r.ok, "{r:?}");
        assert_eq!((r.pinned, r.reported_once, r.others), ([3, 3], [3, 3], 1));
        assert_eq!(
            r.line,
            "snapshot: ok: all 6 pinned namespaces reported once by the load, nothing lost"
        );
    }

    #[test]
    fn missing_twice_foreign_malformed_and_lost_fail() {
        let mut l = SnapshotLedger::new(pinned(2));
        let (ty, text) = existing(NsKind::Uts, 100, 50);
        l.add(ty, &text);
        assert!(!l.done());
        let r = judge(&l, 50, 0);
        assert!(
            !r.ok && r.line.contains("3 pinned namespaces have no record"),
            "{}",
            r.line
        );
        let mut l = full(2, 50);
        let (ty, text) = existing(NsKind::Ipc, 101, 50);
        l.add(ty, &text);
        assert!(judge(&l, 50, 0).line.contains("1 have more than one"));
        let r = judge(&full(2, 50), 51, 0);
        assert!(
            r.line
                .contains("4 records do not name the loading process 51"),
            "{}",
            r.line
        );
        let r = judge(&full(2, 50), 50, 3);
        assert!(
            !r.ok && r.line.contains("audit lost 3 records"),
            "{}",
            r.line
        );
        let mut l = full(2, 50);
        l.add(
            1341,
            "audit(1.000:7): op=existing dev=00:04 old_utsns=(none) old_utsns_id=(none) \
             utsns=4026532000 utsns_id=100 res=1",
        );
        let r = judge(&l, 50, 0);
        assert!(
            r.line.contains("1 records break the reference"),
            "{}",
            r.line
        );
        assert!(!judge(&SnapshotLedger::default(), 50, 0).ok);
    }

    #[test]
    fn progress_counts_records() {
        let l = full(2, 50);
        assert_eq!(l.progress(), 4);
    }

    #[test]
    fn pinner_entries_round_trip() {
        let e = entry(2, 0x1234_5678_9abc);
        assert_eq!(e[0], 2);
        let mut v = [0u8; 8];
        v.copy_from_slice(&e[1..]);
        assert_eq!(u64::from_ne_bytes(v), 0x1234_5678_9abc);
    }
}
