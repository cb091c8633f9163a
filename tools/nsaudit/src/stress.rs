// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest stress`: namespace churn while the module is loaded and unloaded, audit is turned
//! off and on and the reader stalls, then an exact account of the records.
//!
//! Each round has two phases.
//!
//! - *Churn*: worker processes create and destroy namespaces of all eight types (unshare, clone3,
//!   nested user and cgroup namespaces, time namespaces unshared twice by one process,
//!   namespaces pinned by a file descriptor and by a bind mount) while a loader process loads
//!   and unloads `ns_audit.ko` with changing type masks, and this
//!   process, the audit daemon, disables and re-enables audit and stops reading long enough
//!   for the backlog to overflow.  For the first half of it, unprivileged flood workers
//!   ([`crate::flood`]) create namespaces as fast as they can.  Invalid module parameters are
//!   tried first.  The kernel's own checkers (KASAN, lockdep, ...) watch; every namespace
//!   record must follow the reference and none may come twice, and the flood may not have more
//!   INIT records than namespaces (the module was loaded for part of the time only).
//! - *Account*: the module loaded with every type, audit enabled and every other record type
//!   excluded, the workers create a known set of namespaces and report their ids; in every
//!   second round the reader stalls again.  Afterwards every namespace must have exactly one
//!   INIT and one DEL record, except for records audit counted as lost: the namespace records
//!   missing equal the increase of audit's `lost` counter, so no loss is silent.

use crate::audit::{AuditError, AuditSocket, Rule};
use crate::daemon::{Daemon, DaemonConfig, NUDGE};
use crate::flood::{Created, FloodError, FloodLedger, Flooders, Tally};
use crate::guest::{delete_module, finit_module, module_loaded, GuestError};
use crate::nsops::{self, Hold, Method, NsError};
use crate::record::parse_record;
use crate::reference::{check_ns_record, is_ns_type, NsKind};
pub use crate::rng::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Record types excluded during the account phase, so that the namespace records are the only
/// ones audit generates and its `lost` counter counts only theirs: `SYSCALL`, `PATH`, `CWD`,
/// `EOE`, `PROCTITLE`.
pub const ACCOUNT_EXCLUDED: [u16; 5] = [1300, 1302, 1307, 1320, 1327];

/// The type masks the loader cycles through: every type, each alone, and mixes.
pub const MASKS: [u32; 14] = [
    0xff, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x3f, 0xc0, 0x55, 0xaa, 0x33,
];

/// The mask of every type, the module's default.
pub const ALL_TYPES: &str = "types=0xff";

/// Parameters the module must refuse with `EINVAL`: no type, a bit above the eight types,
/// not a number.
pub const BAD_PARAMS: [&str; 5] = [
    "types=0",
    "types=0x100",
    "types=0xffffffff",
    "types=abc",
    "types=-1",
];

/// Values written to a writable parameter file, each of which must be refused.
const BAD_SYSFS: [&str; 4] = ["0", "256", "abc", ""];

/// How long without a record counts as quiet.
const QUIET: Duration = Duration::from_secs(2);
/// How long a drain may take at most.
const DRAIN_MAX: Duration = Duration::from_secs(600);
/// Backlog limit while stressing: small, so that a stalled reader overflows it quickly.
const STRESS_BACKLOG: u32 = 64;
#[derive(Debug, Error)]
pub enum StressError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Ns(#[from] NsError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("invalid option: {0}")]
    Usage(String),
    #[error(transparent)]
    Guest(#[from] GuestError),
    #[error(transparent)]
    Flood(#[from] FloodError),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StressError {
    let what = what.into();
    move |source| StressError::Io { what, source }
}

/// What `nsaudit-guest stress` runs.
#[derive(Debug, Clone)]
pub struct StressOptions {
    pub module: PathBuf,
    pub rounds: u32,
    pub workers: u32,
    /// Length of each churn phase.
    pub churn: Duration,
    /// Operations per worker in each account phase.
    pub batch: u32,
    /// Unprivileged flood workers in the first half of each churn phase (0: none).
    pub flooders: u32,
}

impl StressOptions {
    /// Refuses values that make no test.
    pub fn check(&self) -> Result<(), StressError> {
        if self.rounds == 0 || self.rounds > 10_000 {
            return Err(StressError::Usage(format!(
                "--rounds {} is not in 1..=10000",
                self.rounds
            )));
        }
        if self.workers == 0 || self.workers > 64 {
            return Err(StressError::Usage(format!(
                "--workers {} is not in 1..=64",
                self.workers
            )));
        }
        if self.batch == 0 || self.batch > 10_000 {
            return Err(StressError::Usage(format!(
                "--batch {} is not in 1..=10000",
                self.batch
            )));
        }
        if self.flooders > 64 {
            return Err(StressError::Usage(format!(
                "--flooders {} is not in 0..=64",
                self.flooders
            )));
        }
        if self.churn.is_zero() {
            return Err(StressError::Usage(
                "--churn must be at least 1 second".into(),
            ));
        }
        Ok(())
    }
}

/// What a run did and found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    pub namespaces: u64,
    pub loads: u64,
    pub unloads: u64,
    pub bad_params_rejected: u64,
    pub records: u64,
    pub ns_records: u64,
    pub lost: u64,
    /// Deliveries to the stalled reader that failed and were retried (`ENOBUFS`).
    pub overruns: u64,
    pub accounted_rounds: u64,
    pub failures: Vec<String>,
}

impl Totals {
    pub fn summary(&self) -> String {
        format!(
            "stress: {} namespaces created, {} module loads, {} unloads, {} invalid parameters \
             refused, {} records seen ({} namespace records), {} lost and accounted for, {} \
             deliveries retried, {} failures",
            self.namespaces,
            self.loads,
            self.unloads,
            self.bad_params_rejected,
            self.records,
            self.ns_records,
            self.lost,
            self.overruns,
            self.failures.len()
        )
    }

    fn fail(&mut self, msg: String) {
        println!("stress: FAIL: {msg}");
        self.failures.push(msg);
    }
}

/// The namespace records of one account phase, by namespace.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// `(kind, ns_id)` → (INIT records, DEL records).
    pub seen: BTreeMap<(NsKind, u64), (u32, u32)>,
    /// Records of other types that arrived anyway.
    pub others: BTreeMap<u16, u64>,
    /// Records that do not follow the reference.
    pub malformed: Vec<String>,
}

impl Ledger {
    /// Files one record.
    pub fn add(&mut self, ty: u16, text: &str) {
        if ty == NUDGE {
            return;
        }
        if !is_ns_type(ty) {
            *self.others.entry(ty).or_default() += 1;
            return;
        }
        match parse_record(ty, text)
            .map_err(|e| vec![e.to_string()])
            .and_then(|r| check_ns_record(&r))
        {
            Ok(r) => {
                let e = self.seen.entry((r.kind, r.ns.id)).or_default();
                if r.init {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
            Err(why) => self
                .malformed
                .push(format!("type={ty} {text}: {}", why.join("; "))),
        }
    }
}

/// The verdict on one account phase: `expected` namespaces were created, audit's `lost`
/// counter rose by `lost`.
pub fn account(expected: &BTreeSet<(NsKind, u64)>, ledger: &Ledger, lost: u64) -> Vec<String> {
    let mut bad = Vec::new();
    let mut missing = 0u64;
    for key in expected {
        let (i, d) = ledger.seen.get(key).copied().unwrap_or_default();
        if i > 1 || d > 1 {
            bad.push(format!(
                "{} namespace {}: {i} INIT and {d} DEL records (duplicated)",
                key.0.name(),
                key.1
            ));
        }
        missing += u64::from(i == 0) + u64::from(d == 0);
    }
    let mut stragglers = 0u64;
    for (key, &(i, d)) in &ledger.seen {
        if expected.contains(key) {
            continue;
        }
        if i > 0 {
            bad.push(format!(
                "{} namespace {}: an INIT record for a namespace no worker created",
                key.0.name(),
                key.1
            ));
        }
        // A DEL of a namespace of the churn phase whose removal came late.
        stragglers += u64::from(d);
    }
    for m in &ledger.malformed {
        bad.push(format!("malformed record: {m}"));
    }
    let others: u64 = ledger.others.values().sum();
    if lost == 0 && missing > 0 {
        bad.push(format!(
            "{missing} namespace records missing and audit reports none lost"
        ));
    } else if missing > lost {
        bad.push(format!(
            "{missing} namespace records missing but audit counted only {lost} lost"
        ));
    } else if stragglers == 0 && others == 0 && missing != lost {
        bad.push(format!(
            "audit counted {lost} records lost, but {missing} namespace records are missing and \
             no other record was generated"
        ));
    }
    bad
}

/// The kinds of the subset chosen by `bits`: bit [`NsKind::index`] for each kind, as in the
/// module's `types` parameter.
pub fn kinds_of(bits: u64) -> Vec<NsKind> {
    NsKind::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, &k)| k)
        .collect()
}

// ---- the module -------------------------------------------------------------------------

/// Tries every invalid parameter: each must fail with `EINVAL` and leave no module behind.
/// Also tries bad values on any parameter file that is writable.  Returns how many were
/// refused as they should be.
fn try_bad_params(module: &Path, totals: &mut Totals) -> u64 {
    let mut refused = 0;
    for p in BAD_PARAMS {
        match finit_module(module, p) {
            Ok(()) => {
                totals.fail(format!("insmod ns_audit.ko {p} succeeded"));
                let _ = delete_module();
            }
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && !module_loaded() => refused += 1,
            Err(e) => totals.fail(format!("insmod ns_audit.ko {p}: {e}, wanted EINVAL")),
        }
    }
    refused
}

/// Writes bad values to the module's writable parameter files, if it has any; each write must
/// fail.  Returns (writable files, refused writes).
fn try_bad_sysfs(totals: &mut Totals) -> (u64, u64) {
    let dir = Path::new("/sys/module/ns_audit/parameters");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    let (mut writable, mut refused) = (0, 0);
    for e in entries.flatten() {
        let path = e.path();
        let Ok(meta) = e.metadata() else { continue };
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o222 == 0 {
            continue;
        }
        writable += 1;
        for bad in BAD_SYSFS {
            match std::fs::write(&path, bad) {
                Ok(()) => totals.fail(format!("writing {bad:?} to {} succeeded", path.display())),
                Err(_) => refused += 1,
            }
        }
    }
    (writable, refused)
}

/// Copies what the daemon has read into the totals.
fn sync(totals: &mut Totals, d: &Daemon) {
    totals.records = d.stats.records;
    totals.ns_records = d.stats.ns_records;
    totals.overruns = d.stats.overruns;
}

/// Reads until every record audit holds has arrived.
fn drain(d: &mut Daemon, f: impl FnMut(u16, &str)) -> Result<(), StressError> {
    Ok(d.drain(QUIET, DRAIN_MAX, f)?)
}

// ---- the phases -------------------------------------------------------------------------

fn churn_phase(
    opts: &StressOptions,
    round: u32,
    d: &mut Daemon,
    totals: &mut Totals,
) -> Result<ChurnFlood, StressError> {
    let tmp = std::env::temp_dir();
    let deadline = Instant::now() + opts.churn;
    let mut pids = Vec::new();
    for w in 0..opts.workers {
        let report = tmp.join(format!("nsaudit-stress-churn-{w}"));
        let seed = u64::from(round) * 1000 + u64::from(w);
        let pid = fork_process(|| worker(w, seed, Some(deadline), 0, &report))?;
        pids.push((pid, report));
    }
    let lreport = tmp.join("nsaudit-stress-loader");
    let module = opts.module.clone();
    let lpid = fork_process(|| loader(&module, u64::from(round), deadline, &lreport))?;
    let flooders = match opts.flooders {
        0 => None,
        n => Some(Flooders::spawn(
            n,
            &NsKind::ALL,
            Instant::now() + opts.churn / 2,
        )?),
    };
    let mut ledger = FloodLedger::default();

    // The reader's part: read, stall until the backlog overflows, read, turn audit off and on.
    let slice = opts.churn / 8;
    let off = |s: &mut AuditSocket| s.set_enabled(0);
    let on = |s: &mut AuditSocket| s.set_enabled(1);
    d.read_for(slice * 2, |t, s| ledger.add(t, s))?;
    d.stall(slice * 2)?;
    d.read_for(slice, |t, s| ledger.add(t, s))?;
    d.retry(off, |_| false)?;
    d.read_for(slice, |t, s| ledger.add(t, s))?;
    d.retry(on, |_| false)?;
    d.read_for(slice, |t, s| ledger.add(t, s))?;
    d.retry(off, |_| false)?;
    d.retry(on, |_| false)?;
    d.read_for(
        deadline.saturating_duration_since(Instant::now()),
        |t, s| ledger.add(t, s),
    )?;
    let created = match flooders {
        Some(f) => f.finish()?,
        None => Created::default(),
    };
    totals.namespaces += created.total();
    reap_churn(round, pids, lpid, &lreport, totals)?;
    Ok(ChurnFlood { created, ledger })
}

/// The flood of a churn phase: what its workers created and the records of the phase.
pub struct ChurnFlood {
    pub created: Created,
    pub ledger: FloodLedger,
}

/// What must hold of the records of a churn phase and its flood, while the module was loaded
/// and unloaded and audit turned off and on: every namespace record follows the reference,
/// none comes twice, and the flood has no more INIT records than namespaces.
pub fn check_churn(created: &Created, t: &Tally) -> Vec<String> {
    let mut bad = Vec::new();
    if t.malformed > 0 {
        bad.push(format!(
            "{} namespace records break the reference, e.g. {}",
            t.malformed,
            t.first_malformed.as_deref().unwrap_or("?")
        ));
    }
    if t.duplicates > 0 {
        bad.push(format!("{} namespace records came twice", t.duplicates));
    }
    for k in NsKind::ALL {
        let (i, c) = (t.init[k.index()], created.ns[k.index()]);
        if i > c {
            bad.push(format!(
                "the flood created {c} {} namespaces but {i} have an INIT record",
                k.name()
            ));
        }
    }
    bad
}

/// Prints what the flood of a churn phase created and received, and files what is wrong with
/// the phase's records.
fn account_churn(round: u32, churn: &ChurnFlood, totals: &mut Totals) {
    let tally = churn.ledger.tally();
    println!(
        "stress: round {round} flood: {} namespaces by uid {}, {} INIT and {} DEL records \
         while the module was loaded and unloaded",
        churn.created.total(),
        crate::flood::NOBODY,
        tally.init.iter().sum::<u64>(),
        tally.del.iter().sum::<u64>()
    );
    for msg in check_churn(&churn.created, &tally) {
        totals.fail(format!("round {round} churn: {msg}"));
    }
}

/// Reaps the churn workers and the loader and files their reports.
fn reap_churn(
    round: u32,
    pids: Vec<(nix::unistd::Pid, PathBuf)>,
    lpid: nix::unistd::Pid,
    lreport: &Path,
    totals: &mut Totals,
) -> Result<(), StressError> {
    for (pid, report) in pids {
        let ok = reap(pid);
        let (ids, errors) = read_report(&report)?;
        let _ = std::fs::remove_file(&report);
        totals.namespaces += ids.len() as u64;
        for e in errors {
            totals.fail(format!("round {round} churn worker: {e}"));
        }
        if !ok {
            totals.fail(format!(
                "round {round}: a churn worker did not exit with status 0"
            ));
        }
    }
    let ok = reap(lpid);
    let text = std::fs::read_to_string(lreport).map_err(io("read the loader's report"))?;
    let _ = std::fs::remove_file(lreport);
    let mut lines = text.lines();
    let counts: Vec<u64> = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .filter_map(|n| n.parse().ok())
        .collect();
    if let [l, u] = counts[..] {
        totals.loads += l;
        totals.unloads += u;
    } else {
        totals.fail(format!("round {round}: the loader's report is {text:?}"));
    }
    for e in lines {
        totals.fail(format!("round {round} loader: {e}"));
    }
    if !ok {
        totals.fail(format!(
            "round {round}: the loader did not exit with status 0"
        ));
    }
    if module_loaded() {
        totals.fail(format!(
            "round {round}: the module is still loaded after the loader"
        ));
        let _ = delete_module();
    }
    Ok(())
}

fn account_phase(
    opts: &StressOptions,
    round: u32,
    stall: bool,
    d: &mut Daemon,
    totals: &mut Totals,
    mut churn: ChurnFlood,
) -> Result<(), StressError> {
    finit_module(&opts.module, ALL_TYPES).map_err(io(format!("insmod ns_audit.ko {ALL_TYPES}")))?;
    totals.loads += 1;
    let rules: Vec<Rule> = ACCOUNT_EXCLUDED
        .iter()
        .map(|&t| Rule::ExcludeMsgtype(t))
        .collect();
    for r in &rules {
        d.add_rule(r)?;
    }
    // Whatever the churn phase and the load left behind arrives before the account starts,
    // and counts for the churn phase.
    drain(d, |t, s| churn.ledger.add(t, s))?;
    account_churn(round, &churn, totals);
    let lost0 = d.lost()?;

    let tmp = std::env::temp_dir();
    let mut pids = Vec::new();
    for w in 0..opts.workers {
        let report = tmp.join(format!("nsaudit-stress-account-{w}"));
        let seed = u64::from(round) * 1000 + 500 + u64::from(w);
        let pid = fork_process(|| worker(w, seed, None, opts.batch, &report))?;
        pids.push((pid, report));
    }
    let mut ledger = Ledger::default();
    if stall {
        d.stall(Duration::from_secs(2))?;
    }
    let mut expected = BTreeSet::new();
    for (pid, report) in pids {
        // Keep reading while the workers run, unless stalling.
        let ok = if stall {
            reap(pid)
        } else {
            loop {
                match nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
                    Ok(nix::sys::wait::WaitStatus::StillAlive) => {
                        d.read_for(Duration::from_millis(100), |t, s| ledger.add(t, s))?
                    }
                    Ok(nix::sys::wait::WaitStatus::Exited(_, 0)) => break true,
                    _ => break false,
                }
            }
        };
        if !ok {
            totals.fail(format!("round {round}: an account worker failed"));
        }
        let (ids, errors) = read_report(&report)?;
        let _ = std::fs::remove_file(&report);
        totals.namespaces += ids.len() as u64;
        for e in errors {
            totals.fail(format!("round {round} account worker: {e}"));
        }
        for id in ids {
            if !expected.insert(id) {
                totals.fail(format!(
                    "round {round}: namespace {} {} reported twice: ids must not be reused",
                    id.0.name(),
                    id.1
                ));
            }
        }
    }
    drain(d, |t, s| ledger.add(t, s))?;
    let lost1 = d.lost()?;
    let lost = lost1.saturating_sub(lost0);
    totals.lost += lost;
    totals.accounted_rounds += 1;
    let inits = ledger.seen.values().map(|v| u64::from(v.0)).sum::<u64>();
    let dels = ledger.seen.values().map(|v| u64::from(v.1)).sum::<u64>();
    println!(
        "stress: round {round}: {} namespaces created, {inits} INIT and {dels} DEL records, {lost} \
         lost{}",
        expected.len(),
        if stall { " (reader stalled)" } else { "" }
    );
    for msg in account(&expected, &ledger, lost) {
        totals.fail(format!("round {round}: {msg}"));
    }
    for r in &rules {
        d.del_rule(r)?;
    }
    delete_module().map_err(io("rmmod ns_audit"))?;
    totals.unloads += 1;
    Ok(())
}

/// Runs the stress test; prints progress and returns the totals.
pub fn run(opts: &StressOptions) -> Result<Totals, StressError> {
    opts.check()?;
    if module_loaded() {
        delete_module().map_err(io("rmmod ns_audit before starting"))?;
    }
    let mut d = Daemon::start(DaemonConfig {
        backlog: STRESS_BACKLOG,
        failure: None,
        delay: Duration::ZERO,
    })?;
    let mut totals = Totals::default();
    let mut sysfs_seen = false;
    for round in 1..=opts.rounds {
        let refused = try_bad_params(&opts.module, &mut totals);
        totals.bad_params_rejected += refused;
        finit_module(&opts.module, ALL_TYPES).map_err(io("insmod ns_audit.ko"))?;
        totals.loads += 1;
        let (writable, refused) = try_bad_sysfs(&mut totals);
        totals.bad_params_rejected += refused;
        if !sysfs_seen {
            println!("stress: the module has {writable} writable parameter files");
            sysfs_seen = true;
        }
        delete_module().map_err(io("rmmod ns_audit"))?;
        totals.unloads += 1;
        let churn = churn_phase(opts, round, &mut d, &mut totals)?;
        account_phase(opts, round, round % 2 == 0, &mut d, &mut totals, churn)?;
        sync(&mut totals, &d);
        println!("stress: round {round} done: {}", totals.summary());
    }
    // Still responsive: one more namespace, its records, with the module loaded.
    finit_module(&opts.module, "types=0x20").map_err(io("insmod ns_audit.ko types=0x20"))?;
    totals.loads += 1;
    let c = nsops::spawn(&[NsKind::Net], Method::Unshare, None, Hold::ExitAtOnce)?;
    let id = c.info.ns.get(&NsKind::Net).map(|n| n.id);
    let mut ledger = Ledger::default();
    drain(&mut d, |t, s| ledger.add(t, s))?;
    sync(&mut totals, &d);
    match id.and_then(|id| ledger.seen.get(&(NsKind::Net, id))) {
        Some(&(1, 1)) => println!("stress: the guest still creates namespaces and logs them"),
        other => totals.fail(format!(
            "after the rounds: a new network namespace got {other:?} (INIT, DEL) records"
        )),
    }
    delete_module().map_err(io("rmmod ns_audit"))?;
    totals.unloads += 1;
    d.restore()?;
    Ok(totals)
}

mod workers;

use workers::{fork_process, loader, read_report, reap, worker};

#[cfg(test)]
mod tests;
