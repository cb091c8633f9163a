// SPDX-License-Identifier: GPL-2.0

//! What `AUDIT_NS_INFO` costs: audited system call events of a task in a container and of a
//! task on the host, with the record and without it.
//!
//! With `-a always,exit -F arch=b64 -S getppid` loaded (and no module), two workers make
//! blocks of `getppid` calls: one the first process of new user, mount, UTS, IPC, network and
//! PID namespaces, whose events get the record, one on the host, whose events never do.  "On"
//! and "off" are the audit feature `AUDIT_FEATURE_NS_INFO` (series v7) turned on and off; at
//! the end it gets back the setting it had.  A round measures the four blocks once, in an
//! order rotated from round to round; a block is timed by the worker and until the system is
//! quiet again, so that the records the daemon reads are paid for by the block that made them.
//! The report gives the time per call and, paired by round, the ratio of on to off for each
//! worker: the host's is the control.

use super::measure::{quiesce, Bench};
use super::*;
use crate::syscall::SYS_GETPPID;

/// The namespaces of the container worker.
pub use crate::nsops::CONTAINER_KINDS as EVENTS_KINDS;

/// A block of the measurement: whose calls, and whether the record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventsBlock {
    ContainerOn,
    ContainerOff,
    HostOn,
    HostOff,
}

impl EventsBlock {
    pub const ALL: [EventsBlock; 4] = [
        EventsBlock::ContainerOn,
        EventsBlock::ContainerOff,
        EventsBlock::HostOn,
        EventsBlock::HostOff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventsBlock::ContainerOn => "container-on",
            EventsBlock::ContainerOff => "container-off",
            EventsBlock::HostOn => "host-on",
            EventsBlock::HostOff => "host-off",
        }
    }

    /// What the block is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            EventsBlock::ContainerOn => {
                "task in new user/mnt/uts/ipc/net/pid ns, AUDIT_FEATURE_NS_INFO on"
            }
            EventsBlock::ContainerOff => {
                "task in new user/mnt/uts/ipc/net/pid ns, AUDIT_FEATURE_NS_INFO off"
            }
            EventsBlock::HostOn => "task in the initial namespaces, AUDIT_FEATURE_NS_INFO on",
            EventsBlock::HostOff => "task in the initial namespaces, AUDIT_FEATURE_NS_INFO off",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }

    pub(super) fn container(self) -> bool {
        matches!(self, EventsBlock::ContainerOn | EventsBlock::ContainerOff)
    }

    pub(super) fn info(self) -> bool {
        matches!(self, EventsBlock::ContainerOn | EventsBlock::HostOn)
    }
}

/// The order of the blocks in round `round`: [`EventsBlock::ALL`] rotated by the round.
pub fn events_order(round: usize) -> [EventsBlock; 4] {
    let mut order = EventsBlock::ALL;
    let n = order.len();
    order.rotate_left(round % n);
    order
}

/// `name 1.23 us, ...`: the last time per call of each block, for a round's note.
pub(super) fn last_per_call(blocks: &[(&str, &Vec<f64>)]) -> String {
    let line: Vec<String> = blocks
        .iter()
        .map(|(name, v)| format!("{name} {:.2} us", v.last().copied().unwrap_or(0.0) * 1e6))
        .collect();
    line.join(", ")
}

/// The rule that audits the workers' calls.
pub fn events_rule() -> Rule {
    Rule::AlwaysExit {
        arch: AUDIT_ARCH_X86_64,
        syscall: SYS_GETPPID,
    }
}

/// The body of a worker: answers each request of `n` calls (8 bytes) with the nanoseconds
/// they took (8 bytes), after a first answer that says it runs: the id of its mount namespace
/// (`NS_GET_ID` of `/proc/self/ns/mnt`), 0 if it cannot read it.  0 calls or the end of the
/// requests ends it.
pub(super) fn worker_main(cmd: &OwnedFd, answer: &OwnedFd) -> i32 {
    let mntns = nsops::ns_ident(None, NsKind::Mnt).map_or(0, |i| i.id);
    if write_all(answer, &mntns.to_ne_bytes()).is_err() {
        return 1;
    }
    loop {
        let mut b = [0u8; 8];
        let n = match read_exact(cmd, &mut b) {
            Ok(true) => u64::from_ne_bytes(b),
            Ok(false) => return 0,
            Err(_) => return 1,
        };
        if n == 0 {
            return 0;
        }
        let start = Instant::now();
        for _ in 0..n {
            // SAFETY: getppid(2) takes no argument and cannot fail.
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
        let took = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if write_all(answer, &took.to_ne_bytes()).is_err() {
            return 1;
        }
    }
}

/// A worker process, in a container or on the host.
pub(super) struct Worker {
    pid: Pid,
    cmd: Option<OwnedFd>,
    answer: OwnedFd,
    /// The id of its mount namespace, as it read it; 0: unknown.
    mntns: u64,
}

impl Worker {
    /// Starts a worker: with `container`, the first process of new namespaces of
    /// [`EVENTS_KINDS`] (the child that made them waits for it), else a child on the host.
    pub(super) fn start(container: bool) -> Result<Worker, BenchError> {
        let (cmd_r, cmd_w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
        let (ans_r, ans_w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
        let close = [cmd_w.as_raw_fd(), ans_r.as_raw_fd()];
        let pid = if container {
            nsops::spawn_inside(&EVENTS_KINDS, &close, move |_| worker_main(&cmd_r, &ans_w))?
        } else {
            guest::fork_child(move || {
                for fd in close {
                    // SAFETY: closes this process's copy of the caller's ends.
                    unsafe { libc::close(fd) };
                }
                worker_main(&cmd_r, &ans_w)
            })?
        };
        let mut w = Worker {
            pid,
            cmd: Some(cmd_w),
            answer: ans_r,
            mntns: 0,
        };
        let mut b = [0u8; 8];
        match read_exact(&w.answer, &mut b) {
            Ok(true) => {
                w.mntns = u64::from_ne_bytes(b);
                Ok(w)
            }
            _ => {
                let _ = w.stop();
                Err(BenchError::Command {
                    cmd: format!("getppid worker {pid}"),
                    why: if container {
                        "did not start in new namespaces (unshare or fork failed)".into()
                    } else {
                        "did not start".into()
                    },
                })
            }
        }
    }

    /// The id of the worker's mount namespace (`NS_GET_ID`), [`None`] if it could not read it.
    pub(super) fn mntns(&self) -> Option<u64> {
        (self.mntns != 0).then_some(self.mntns)
    }

    /// Has the worker make `n` calls; how long they took.
    pub(super) fn run(&mut self, n: u64) -> Result<Duration, BenchError> {
        let fail = |why: String| BenchError::Command {
            cmd: format!("getppid worker {}", self.pid),
            why,
        };
        let cmd = self.cmd.as_ref().ok_or_else(|| fail("stopped".into()))?;
        write_all(cmd, &n.to_ne_bytes()).map_err(|e| fail(format!("request: {e}")))?;
        let mut b = [0u8; 8];
        match read_exact(&self.answer, &mut b) {
            Ok(true) => Ok(Duration::from_nanos(u64::from_ne_bytes(b))),
            Ok(false) => Err(fail("exited".into())),
            Err(e) => Err(fail(format!("answer: {e}"))),
        }
    }

    /// Ends the worker and reaps it.
    pub(super) fn stop(&mut self) -> Result<(), BenchError> {
        let Some(cmd) = self.cmd.take() else {
            return Ok(());
        };
        let _ = write_all(&cmd, &0u64.to_ne_bytes());
        drop(cmd);
        if reap(self.pid)? {
            Ok(())
        } else {
            Err(BenchError::Command {
                cmd: format!("getppid worker {}", self.pid),
                why: "did not exit with status 0".into(),
            })
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Bench<'_> {
    /// The audited system call events, in blocks of `block` (see the module documentation);
    /// `AUDIT_FEATURE_NS_INFO` gets back the setting it had.
    pub(super) fn events(&mut self, block: Duration) -> Result<EventsResult, BenchError> {
        self.enter(Config::Baseline)?;
        let rule = events_rule();
        self.ctl.add_rule(&rule)?;
        let was = self.ctl.set_ns_info(true);
        let result = match &was {
            Ok(_) => self.events_rounds(block),
            Err(_) => Ok(EventsResult::default()),
        };
        let restored = match was {
            Ok(was) => self.ctl.set_ns_info(was).map(drop),
            Err(e) => Err(e),
        };
        let deleted = self.ctl.del_rule(&rule);
        let result = result?;
        restored?;
        deleted?;
        Ok(result)
    }

    /// Has `worker` make `calls` calls from a quiet system until it is quiet again: the
    /// seconds that took, and what the daemon received meanwhile, so that the records are paid
    /// for by the block that made them.
    pub(super) fn timed_calls(
        &mut self,
        worker: &mut Worker,
        calls: u64,
    ) -> Result<(f64, Counts), BenchError> {
        quiesce(Duration::from_secs(5))?;
        let before = self.reader.counts()?;
        let looped = worker.run(calls)?;
        let drained = quiesce(Duration::from_secs(5))?;
        let got = self.reader.counts()?.since(before);
        Ok(((looped + drained).as_secs_f64(), got))
    }

    fn events_rounds(&mut self, block: Duration) -> Result<EventsResult, BenchError> {
        let mut container = Worker::start(true)?;
        let mut host = Worker::start(false)?;
        // Calibrated on the host, with the record on: the same calls in every block.
        let probe = 1000;
        let took = host.run(probe)?.max(Duration::from_micros(1));
        let calls = cycles_for(probe as f64 / took.as_secs_f64(), block);
        self.note(format!(
            "audited system call events: {calls} getppid calls per block"
        ));
        let mut res = EventsResult {
            calls,
            ..Default::default()
        };
        let mut totals = [Counts::default(); 4];
        for round in 0..self.opts.rounds {
            for b in events_order(round) {
                self.ctl.set_ns_info(b.info())?;
                let worker = if b.container() {
                    &mut container
                } else {
                    &mut host
                };
                let (secs, got) = self.timed_calls(worker, calls)?;
                res.per_call[b.index()].push(secs / calls as f64);
                let t = &mut totals[b.index()];
                t.records += got.records;
                t.info += got.info;
                t.overruns += got.overruns;
            }
            let last = EventsBlock::ALL.map(|b| (b.name(), &res.per_call[b.index()]));
            self.note(format!(
                "events round {}/{}: per call {}",
                round + 1,
                self.opts.rounds,
                last_per_call(&last)
            ));
        }
        let n = (calls * self.opts.rounds as u64) as f64;
        for b in EventsBlock::ALL {
            let t = totals[b.index()];
            res.records[b.index()] = t.records as f64 / n;
            res.info_records[b.index()] = t.info as f64 / n;
            if t.overruns > 0 {
                self.note(format!(
                    "events {}: the daemon's socket overflowed {} time(s)",
                    b.name(),
                    t.overruns
                ));
            }
        }
        container.stop()?;
        host.stop()?;
        Ok(res)
    }
}
