// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest flood`: unprivileged processes create namespaces as fast as they can while the
//! audit daemon reads slowly, and every namespace must still get its INIT and DEL record,
//! with nothing lost: the namespace records obey audit's backpressure.
//!
//! The workers run as `nobody` (65534, no supplementary groups) and loop `fork(); child:
//! unshare(FLAGS); _exit(); parent: waitpid()`, where FLAGS is `CLONE_NEWUSER` alone or, on
//! every second iteration, the user namespace together with the other types asked for, which
//! the new user namespace lets an unprivileged user create.  The flood's records are told
//! apart by their subject (`uid=65534`) for INIT, by namespace id for DEL.  Audit's `lost`
//! counter is read before and after; the verdict is strict: any loss fails, unless
//! `--allow-lost` and the loss is accounted for (diagnosis only).  The records of each task
//! (subject pid: the worker's child for INIT, the kernel worker or the exiting child for DEL)
//! must arrive in the order of their serials.
//!
//! With `--exclude-msgtype N`, `-a always,exclude -F msgtype=N` is loaded for the flood and
//! deleted after it: no record of type N may arrive, every record of the other types must.

use crate::audit::{AuditError, Rule};
use crate::daemon::{AuditArgs, Collect, Daemon, LoadError};
use crate::guest::{self, GuestError, ModuleArgs};
use crate::nsops::{clone_flags, read_exact, write_all};
use crate::reference::NsKind;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::unistd::{pipe2, Gid, Pid, Uid};
use std::io::Write;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};
use thiserror::Error;

pub mod ledger;

pub use ledger::{verdict, FloodLedger, Tally, Verdict, EXCLUDABLE};

/// The user the workers run as: `nobody`.
pub const NOBODY: u32 = 65534;

/// How long the flood waits at most for its removals after the workers stopped.
const REMOVALS_MAX: Duration = Duration::from_secs(900);

/// How long the flood goes on reading once complete when DEL records are excluded, which it
/// cannot wait for: the kernel workers remove the last namespaces under the exclude rules.
const EXCLUDED_DEL_SETTLE: Duration = Duration::from_secs(2);

#[derive(Debug, Error)]
pub enum FloodError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Guest(#[from] GuestError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{what}: {errno}")]
    Sys { what: String, errno: Errno },
    #[error("{0}")]
    Worker(String),
}

fn sys(what: impl Into<String>) -> impl FnOnce(Errno) -> FloodError {
    let what = what.into();
    move |errno| FloodError::Sys { what, errno }
}

/// `nsaudit-guest flood`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct FloodArgs {
    #[command(flatten)]
    pub module: ModuleArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Unprivileged processes creating namespaces.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers: u32,
    /// Seconds the workers create namespaces.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,
    /// The namespace types, comma-separated: user alone, or user and others, which every
    /// second unshare creates together with a user namespace.
    #[arg(long, value_delimiter = ',', default_value = "user,mnt,uts,ipc,net,pid,cgroup,time",
          value_parser = str::parse::<NsKind>)]
    pub types: Vec<NsKind>,
    /// Load the audit rule -a task,never for the flood: the workers get no audit context, so
    /// none of their records belongs to a system call's event.
    #[arg(long)]
    pub task_never: bool,
    /// Load -a always,exclude -F msgtype=N for the flood (repeatable; N from 1340 to 1356): no
    /// record of type N may arrive, every record of the other types must.
    #[arg(long = "exclude-msgtype", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1340..=1356))]
    pub exclude_msgtype: Vec<u16>,
    /// Pass when audit lost records but accounted for every one (for diagnosis only).
    #[arg(long)]
    pub allow_lost: bool,
    /// Seconds without a new record of the flood after which the records still missing are
    /// given up.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub quiet: u64,
}

impl FloodArgs {
    /// The validated options: the types in record order, without repeats, the user namespace
    /// among them.
    pub fn options(&self) -> Result<FloodOptions, String> {
        let mut kinds = self.types.clone();
        kinds.sort();
        kinds.dedup();
        if !kinds.contains(&NsKind::User) {
            return Err(format!(
                "--types {}: an unprivileged user creates other namespaces only together with \
                 a user namespace; add user",
                kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
            ));
        }
        let mut excluded = self.exclude_msgtype.clone();
        excluded.sort_unstable();
        excluded.dedup();
        Ok(FloodOptions {
            args: self.clone(),
            kinds,
            excluded,
        })
    }
}

/// What `nsaudit-guest flood` runs.
#[derive(Debug, Clone)]
pub struct FloodOptions {
    pub args: FloodArgs,
    /// The types, in record order, user among them.
    pub kinds: Vec<NsKind>,
    /// The record types excluded for the flood, in order, without repeats.
    pub excluded: Vec<u16>,
}

impl FloodOptions {
    /// The rules loaded for the flood: `-a task,never` if asked, and an exclude rule per type
    /// excluded.
    pub fn rules(&self) -> Vec<Rule> {
        let never = self.args.task_never.then_some(Rule::TaskNever);
        never
            .into_iter()
            .chain(self.excluded.iter().map(|&ty| Rule::ExcludeMsgtype(ty)))
            .collect()
    }

    /// Whether the DEL record of a kind the flood creates is excluded.
    fn excludes_a_del(&self) -> bool {
        self.kinds
            .iter()
            .any(|k| self.excluded.contains(&k.del_type()))
    }
}

/// What the workers did: namespaces created per type and calls that failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    /// Namespaces created, indexed by [`NsKind::index`].
    pub ns: [u64; NsKind::COUNT],
    /// `unshare(2)` calls that failed (e.g. `ENOSPC`: too many user namespaces alive).
    pub refused: u64,
    /// `fork(2)` calls that failed.
    pub fork_failed: u64,
    /// The errno of the last failure.
    pub last_errno: u64,
}

/// The numbers of [`Created`] on a worker's pipe: one per kind, then `refused`,
/// `fork_failed` and `last_errno`.
const CREATED_WORDS: usize = NsKind::COUNT + 3;

/// Size of [`Created`] on a worker's pipe.
const CREATED_LEN: usize = CREATED_WORDS * 8;

impl Created {
    pub fn total(&self) -> u64 {
        self.ns.iter().sum()
    }

    fn encode(&self) -> [u8; CREATED_LEN] {
        let mut b = [0u8; CREATED_LEN];
        let tail = [self.refused, self.fork_failed, self.last_errno];
        let vals = self.ns.iter().chain(tail.iter());
        for (chunk, v) in b.chunks_exact_mut(8).zip(vals) {
            chunk.copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    fn decode(b: &[u8; CREATED_LEN]) -> Created {
        let mut v = [0u64; CREATED_WORDS];
        for (x, chunk) in v.iter_mut().zip(b.chunks_exact(8)) {
            let mut a = [0u8; 8];
            a.copy_from_slice(chunk);
            *x = u64::from_ne_bytes(a);
        }
        let (counts, tail) = v.split_at(NsKind::COUNT);
        let mut ns = [0u64; NsKind::COUNT];
        ns.copy_from_slice(counts);
        Created {
            ns,
            refused: tail[0],
            fork_failed: tail[1],
            last_errno: tail[2],
        }
    }

    fn add(&mut self, o: &Created) {
        for (a, b) in self.ns.iter_mut().zip(o.ns) {
            *a += b;
        }
        self.refused += o.refused;
        self.fork_failed += o.fork_failed;
        if o.last_errno != 0 {
            self.last_errno = o.last_errno;
        }
    }
}

/// Becomes `nobody`, with no supplementary group.
fn drop_privileges() -> Result<(), Errno> {
    nix::unistd::setgroups(&[])?;
    nix::unistd::setgid(Gid::from_raw(NOBODY))?;
    nix::unistd::setuid(Uid::from_raw(NOBODY))
}

/// One iteration: a child that unshares `flags` and exits.  The child makes raw system calls
/// only.  `Err(None)`: fork failed; `Err(Some(errno))`: unshare (or waiting for it) failed.
fn unshare_in_child(flags: libc::c_int) -> Result<(), Option<i32>> {
    let pid = guest::fork_child(|| {
        // SAFETY: unshare takes flags and touches no memory of ours.
        let r = unsafe { libc::unshare(flags) };
        if r == 0 {
            0
        } else {
            (Errno::last_raw() & 0xff).max(1)
        }
    })
    .map_err(|_| None)?;
    match guest::reap_status(pid) {
        Ok(Some(0)) => Ok(()),
        Ok(Some(e)) => Err(Some(e)),
        Ok(None) => Err(Some(libc::EINTR)),
        Err(_) => Err(Some(Errno::last_raw())),
    }
}

/// The body of a worker: as `nobody`, unshare until `deadline`, then report to `report`.
fn flooder(kinds: &[NsKind], deadline: Instant, report: &OwnedFd) -> i32 {
    if drop_privileges().is_err() {
        return 3;
    }
    let all = clone_flags(kinds).bits();
    let user = clone_flags(&[NsKind::User]).bits();
    let mixed = kinds.len() > 1;
    let mut c = Created::default();
    let mut i = 0u64;
    while Instant::now() < deadline {
        let mix = mixed && i % 2 == 1;
        match unshare_in_child(if mix { all } else { user }) {
            Ok(()) if mix => kinds.iter().for_each(|k| c.ns[k.index()] += 1),
            Ok(()) => c.ns[NsKind::User.index()] += 1,
            Err(None) => {
                c.fork_failed += 1;
                c.last_errno = u64::from(Errno::last_raw().unsigned_abs());
            }
            Err(Some(e)) => {
                c.refused += 1;
                c.last_errno = u64::from(e.unsigned_abs());
            }
        }
        i += 1;
    }
    i32::from(write_all(report, &c.encode()).is_err()) * 2
}

/// Flooding workers, running until their deadline.
pub struct Flooders {
    workers: Vec<(Pid, OwnedFd, Option<Option<i32>>)>,
}

impl Flooders {
    /// Forks `n` workers that create namespaces of `kinds` until `deadline`.
    pub fn spawn(n: u32, kinds: &[NsKind], deadline: Instant) -> Result<Flooders, FloodError> {
        let mut workers = Vec::new();
        for _ in 0..n {
            let (r, w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
            let pid = guest::fork_child(|| flooder(kinds, deadline, &w))?;
            drop(w);
            workers.push((pid, r, None));
        }
        Ok(Flooders { workers })
    }

    /// Reaps the workers that ended; true once all have.
    pub fn poll(&mut self) -> Result<bool, FloodError> {
        for (pid, _, status) in &mut self.workers {
            if status.is_none() {
                *status = guest::try_reap(*pid)?;
            }
        }
        Ok(self.workers.iter().all(|w| w.2.is_some()))
    }

    /// Waits for every worker; the sum of what they created.
    pub fn finish(mut self) -> Result<Created, FloodError> {
        let mut total = Created::default();
        let mut bad = Vec::new();
        for (pid, r, status) in &mut self.workers {
            let status = match status.take() {
                Some(s) => s,
                None => guest::reap_status(*pid)?,
            };
            let mut b = [0u8; CREATED_LEN];
            match (status, read_exact(&*r, &mut b)) {
                (Some(0), Ok(true)) => total.add(&Created::decode(&b)),
                (Some(3), _) => bad.push(format!("worker {pid} could not become nobody")),
                (s, _) => bad.push(format!("worker {pid} ended with {s:?} and no report")),
            }
        }
        if bad.is_empty() {
            Ok(total)
        } else {
            Err(FloodError::Worker(bad.join("; ")))
        }
    }
}

/// Everything a flood run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct FloodRun {
    pub created: Created,
    pub tally: Tally,
    /// The record types excluded for the flood.
    pub excluded: Vec<u16>,
    /// Audit's `lost` counter before and after.
    pub lost: (u64, u64),
    /// How long the workers ran.
    pub flooding: Duration,
    /// From the start of the workers to the last record of the flood.
    pub reading: Duration,
}

impl FloodRun {
    /// Namespaces created per second while the workers ran.
    pub fn ns_per_s(&self) -> f64 {
        self.created.total() as f64 / self.flooding.as_secs_f64().max(1e-9)
    }

    /// Records of the flood received per second.
    pub fn records_per_s(&self) -> f64 {
        self.tally.flood_records() as f64 / self.reading.as_secs_f64().max(1e-9)
    }
}

/// The report: the counts per type, the rates, the loss and the verdict line.
pub fn render(opts: &FloodOptions, run: &FloodRun, v: &Verdict) -> String {
    let a = &opts.args;
    let excluded: String = opts
        .excluded
        .iter()
        .map(|ty| format!(", -a always,exclude -F msgtype={ty}"))
        .collect();
    let mut s = format!(
        "flood: {}, {} workers as uid {NOBODY} for {} s, types {}{}{excluded}\n",
        a.audit.describe(),
        a.workers,
        a.seconds,
        opts.kinds
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(","),
        if a.task_never { ", -a task,never" } else { "" }
    );
    let row = |name: &str, v: &[u64; NsKind::COUNT]| {
        let cols: String = NsKind::ALL
            .iter()
            .map(|k| format!(" {:>8}", v[k.index()]))
            .collect();
        format!("flood: {name:<12}{cols} {:>9}\n", v.iter().sum::<u64>())
    };
    let head: String = NsKind::ALL
        .iter()
        .map(|k| format!(" {:>8}", k.name()))
        .collect();
    s += &format!("flood: {:<12}{head} {:>9}\n", "", "total");
    s += &row("created", &run.created.ns);
    s += &row("INIT", &run.tally.init);
    s += &row("DEL", &run.tally.del);
    if run.tally.del_unmatched.iter().any(|&n| n > 0) {
        s += &row("DEL, no INIT", &run.tally.del_unmatched);
    }
    if run.created.refused + run.created.fork_failed > 0 {
        s += &format!(
            "flood: {} unshare and {} fork calls refused (last: {})\n",
            run.created.refused,
            run.created.fork_failed,
            std::io::Error::from_raw_os_error(i32::try_from(run.created.last_errno).unwrap_or(0))
        );
    }
    let others: Vec<String> = run
        .tally
        .other_types
        .iter()
        .map(|(ty, n)| format!("{n} of type {ty}"))
        .collect();
    s += &format!(
        "flood: {} records of the flood in {:.1} s: {:.0} records/s; {:.0} namespaces/s while \
         flooding for {:.1} s; {} malformed; other records: {}\n",
        run.tally.flood_records(),
        run.reading.as_secs_f64(),
        run.records_per_s(),
        run.ns_per_s(),
        run.flooding.as_secs_f64(),
        run.tally.malformed,
        if others.is_empty() {
            "none".to_string()
        } else {
            others.join(", ")
        }
    );
    s += &format!(
        "flood: audit lost {} records (lost counter {} -> {})\n",
        run.lost.1.saturating_sub(run.lost.0),
        run.lost.0,
        run.lost.1
    );
    s += &v.line;
    s.push('\n');
    s
}

/// The flood's ledger while waiting for its removals: done when every namespace created has
/// both records, but those of the types excluded.
struct Awaiting<'a> {
    ledger: &'a mut FloodLedger,
    created: &'a Created,
    excluded: &'a [u16],
}

impl Collect for Awaiting<'_> {
    fn add(&mut self, ty: u16, text: &str) {
        self.ledger.add(ty, text);
    }

    fn done(&self) -> bool {
        self.ledger.tally().complete(self.created, self.excluded)
    }

    fn progress(&self) -> u64 {
        self.ledger.flood_records()
    }
}

/// The flood itself, with audit set up and the module loaded: returns what it measured.
fn flood(opts: &FloodOptions, d: &mut Daemon) -> Result<FloodRun, FloodError> {
    let a = &opts.args;
    let mut ledger = FloodLedger::default();
    let lost0 = d.lost()?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(a.seconds);
    let mut workers = Flooders::spawn(a.workers, &opts.kinds, deadline)?;
    while !workers.poll()? {
        d.read_for(Duration::from_millis(100), |t, s| ledger.add(t, s))?;
    }
    let flooding = start.elapsed();
    let created = workers.finish()?;
    let mut awaiting = Awaiting {
        ledger: &mut ledger,
        created: &created,
        excluded: &opts.excluded,
    };
    d.read_until(&mut awaiting, Duration::from_secs(a.quiet), REMOVALS_MAX)?;
    if opts.excludes_a_del() {
        d.read_for(EXCLUDED_DEL_SETTLE, |t, s| ledger.add(t, s))?;
    }
    let lost1 = d.lost()?;
    let reading = ledger.last_flood_record().map_or(flooding, |t| t - start);
    Ok(FloodRun {
        created,
        tally: ledger.tally(),
        excluded: opts.excluded.clone(),
        lost: (lost0, lost1),
        flooding,
        reading,
    })
}

/// Loads the module unless told not to (unloading it first if it is loaded) and runs the
/// flood; unloads the module again if it loaded it.
fn flood_with_module(opts: &FloodOptions, d: &mut Daemon) -> Result<FloodRun, FloodError> {
    let a = &opts.args;
    if a.module.no_load {
        return flood(opts, d);
    }
    if guest::module_loaded() {
        guest::delete_module().map_err(|e| FloodError::Worker(format!("rmmod: {e}")))?;
    }
    d.load_module(&a.module.path.module, "", |_, _| {})?;
    // The load's op=existing records are not the flood's.
    let result = d
        .drain(Duration::from_secs(1), Duration::from_secs(120), |_, _| {})
        .map_err(FloodError::from)
        .and_then(|()| flood(opts, d));
    let unloaded = guest::delete_module().map_err(|e| FloodError::Worker(format!("rmmod: {e}")));
    let run = result?;
    unloaded?;
    Ok(run)
}

/// Loads `rules` and runs the flood; deletes the rules it loaded in any case (the last first).
fn flood_with_rules(
    opts: &FloodOptions,
    d: &mut Daemon,
    rules: &[Rule],
) -> Result<FloodRun, FloodError> {
    let mut added = Vec::new();
    let mut result = Ok(());
    for r in rules {
        result = d.add_rule(r);
        if result.is_err() {
            break;
        }
        added.push(r);
    }
    let result = result
        .map_err(FloodError::from)
        .and_then(|()| flood_with_module(opts, d));
    let mut deleted = Ok(());
    for r in added.into_iter().rev() {
        deleted = deleted.and(d.del_rule(r));
    }
    let run = result?;
    deleted?;
    Ok(run)
}

/// Runs the flood and prints the report to `out`; returns whether it passed.
pub fn run(opts: &FloodOptions, out: &mut impl Write) -> Result<bool, FloodError> {
    let a = &opts.args;
    let mut d = Daemon::start(a.audit.config())?;
    let result = flood_with_rules(opts, &mut d, &opts.rules());
    let restored = d.restore();
    let run = result?;
    restored?;
    let v = verdict(&run, a.allow_lost);
    let _ = out.write_all(render(opts, &run, &v).as_bytes());
    let _ = out.flush();
    Ok(v.ok)
}

#[cfg(test)]
mod tests;
