// SPDX-License-Identifier: GPL-2.0

//! The audit daemon of the tests that load audit (stress, flood, snapshot): it takes over
//! audit's status for the test and gives it back, reads records as fast as it can or slowly,
//! stalls, and drains what audit still holds.
//!
//! A slow daemon reads one record at a time ([`AuditSocket::recv_one`]) and sleeps after each,
//! with a small socket buffer: the buffer fills, `kauditd` waits for it and audit's queue
//! grows to its backlog limit, which is where audit's backpressure (or its loss) begins.

use crate::audit::{AuditError, AuditSocket, Status, StatusChange};
use crate::guest::{self, GuestError};
use crate::nsops::{read_exact, write_all};
use crate::reference::is_ns_type;
use nix::fcntl::OFlag;
use nix::unistd::pipe2;
use std::path::Path;
use std::time::{Duration, Instant};
use thiserror::Error;

/// The backlog limit of the tools that become the daemon with room to spare (validate, demo,
/// bench, report-capture): a flood may still fill it, which audit then counts as `lost`.
pub const BACKLOG_LIMIT: u32 = 8192;

/// The type of the user messages that wake kauditd: `AUDIT_TRUSTED_APP`.
pub const NUDGE: u16 = 1121;

/// The socket buffer while the daemon stalls or reads slowly: small, so that kauditd blocks at
/// once and the backlog fills behind it.  Otherwise it is large, so that acks are not dropped
/// in a flood.
pub const SLOW_RCVBUF: usize = 16 * 1024;
pub const FAST_RCVBUF: usize = 4 << 20;

/// Audit's settings for a test, as the command line gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct AuditArgs {
    /// Audit's backlog limit during the test.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub backlog: u32,
    /// Audit's failure mode during the test: 0 silent, 1 printk, 2 panic.
    #[arg(long, default_value_t = 2, value_name = "MODE",
          value_parser = clap::value_parser!(u32).range(0..=2))]
    pub failure: u32,
    /// Microseconds the audit daemon sleeps after each record it reads; 0: it reads as fast
    /// as it can.
    #[arg(long, default_value_t = 0, value_name = "US",
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub reader_delay_us: u64,
}

impl AuditArgs {
    /// The daemon's configuration.
    pub fn config(&self) -> DaemonConfig {
        DaemonConfig {
            backlog: self.backlog,
            failure: Some(self.failure),
            delay: Duration::from_micros(self.reader_delay_us),
        }
    }

    /// `backlog 64, failure 2, reader delay 2000 us` for a report.
    pub fn describe(&self) -> String {
        format!(
            "backlog {}, failure {}, reader {}",
            self.backlog,
            self.failure,
            if self.reader_delay_us == 0 {
                "at full speed".to_string()
            } else {
                format!("sleeping {} us per record", self.reader_delay_us)
            }
        )
    }
}

/// What can go wrong loading the module through a child.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Guest(#[from] GuestError),
    #[error("finit_module of {path}: {why}")]
    Load { path: String, why: String },
}

/// A module load done by a child of the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// The pid of the loading process, the subject of the load's records.
    pub pid: i32,
    /// How long its `finit_module(2)` took.
    pub took: Duration,
}

/// What a test collects from the records, for [`Daemon::read_until`].
pub trait Collect {
    /// Files one record.
    fn add(&mut self, ty: u16, text: &str);
    /// Whether everything awaited has come.
    fn done(&self) -> bool;
    /// How many of the awaited records have come: reading goes on while this grows.
    fn progress(&self) -> u64;
}

/// How the daemon sets audit up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonConfig {
    /// Audit's backlog limit.
    pub backlog: u32,
    /// Audit's failure mode (0 silent, 1 printk, 2 panic), [`None`] to leave it.
    pub failure: Option<u32>,
    /// How long the daemon sleeps after each record; zero: as fast as it can.
    pub delay: Duration,
}

/// What the daemon has received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub records: u64,
    pub ns_records: u64,
    /// Deliveries that failed because the socket buffer was full (`ENOBUFS`); kauditd keeps
    /// such a record for another try.
    pub overruns: u64,
}

/// The audit daemon: the socket and the status it found.
pub struct Daemon {
    pub sock: AuditSocket,
    /// Audit's status before the daemon took over, restored by [`Daemon::restore`].
    saved: Option<Status>,
    delay: Duration,
    pub stats: ReadStats,
}

fn errno_is(e: &AuditError, errno: i32) -> bool {
    matches!(e, AuditError::Refused { source, .. } if source.raw_os_error() == Some(errno))
}

impl Daemon {
    /// Opens the audit socket, notes audit's status, enables audit and becomes its daemon with
    /// `cfg`'s backlog limit and failure mode.
    pub fn start(cfg: DaemonConfig) -> Result<Daemon, AuditError> {
        let mut sock = AuditSocket::open()?;
        let saved = sock.status()?;
        let mut d = Daemon {
            sock,
            saved: Some(saved),
            delay: cfg.delay,
            stats: ReadStats::default(),
        };
        d.sock.change_status(StatusChange {
            enabled: Some(1),
            pid: Some(std::process::id()),
            backlog_limit: Some(cfg.backlog),
            failure: cfg.failure,
        })?;
        if !cfg.delay.is_zero() {
            d.sock.set_receive_buffer(SLOW_RCVBUF)?;
        }
        Ok(d)
    }

    /// The status audit had before [`Daemon::start`].
    pub fn saved(&self) -> Option<Status> {
        self.saved
    }

    /// Gives audit back the backlog limit, failure mode and enabled flag it had, and stops
    /// being its daemon.  Done once; dropping the daemon does it too.
    pub fn restore(&mut self) -> Result<(), AuditError> {
        let Some(s) = self.saved.take() else {
            return Ok(());
        };
        self.sock.change_status(StatusChange {
            enabled: Some(s.enabled),
            failure: Some(s.failure),
            pid: Some(0),
            backlog_limit: Some(s.backlog_limit),
        })
    }

    /// Audit's `lost` counter.
    pub fn lost(&mut self) -> Result<u64, AuditError> {
        Ok(u64::from(self.sock.status()?.lost))
    }

    /// Records that arrived within `wait`: all of them, or one followed by the daemon's delay
    /// when it reads slowly.  An overrun (`ENOBUFS`) is counted and reading goes on.
    pub fn recv(&mut self, wait: Duration) -> Result<Vec<(u16, String)>, AuditError> {
        let got = if self.delay.is_zero() {
            self.sock.recv_records(wait)
        } else {
            self.sock.recv_one(wait).map(|r| r.into_iter().collect())
        };
        let got = match got {
            Err(AuditError::Overrun) => {
                self.stats.overruns += 1;
                Vec::new()
            }
            other => other?,
        };
        self.stats.overruns += self.sock.take_overruns();
        self.stats.records += got.len() as u64;
        self.stats.ns_records += got.iter().filter(|(ty, _)| is_ns_type(*ty)).count() as u64;
        if !got.is_empty() && !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        Ok(got)
    }

    /// Receives records for `d`, filing them with `f`.
    pub fn read_for(
        &mut self,
        d: Duration,
        mut f: impl FnMut(u16, &str),
    ) -> Result<(), AuditError> {
        let end = Instant::now() + d;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            for (ty, text) in self.recv(left.min(Duration::from_millis(100)))? {
                f(ty, &text);
            }
        }
    }

    /// Stops reading for `d` with a small socket buffer, so that audit's backlog overflows.
    pub fn stall(&mut self, d: Duration) -> Result<(), AuditError> {
        self.sock.set_receive_buffer(SLOW_RCVBUF)?;
        std::thread::sleep(d);
        if self.delay.is_zero() {
            self.sock.set_receive_buffer(FAST_RCVBUF)?;
        }
        Ok(())
    }

    /// A request, tried again if its answer was lost (an ack is dropped when the socket
    /// buffer is full); `done` tells an error that means an earlier try succeeded.
    pub fn retry(
        &mut self,
        mut req: impl FnMut(&mut AuditSocket) -> Result<(), AuditError>,
        done: impl Fn(&AuditError) -> bool,
    ) -> Result<(), AuditError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match req(&mut self.sock) {
                Ok(()) => return Ok(()),
                Err(e) if done(&e) && tries > 1 => return Ok(()),
                Err(AuditError::Timeout { .. }) if tries < 3 => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Adds `rule`; an `EEXIST` after a lost ack means it is there.
    pub fn add_rule(&mut self, rule: &crate::audit::Rule) -> Result<(), AuditError> {
        self.retry(|s| s.add_rule(rule), |e| errno_is(e, libc::EEXIST))
    }

    /// Deletes `rule`; an `ENOENT` after a lost ack means it is gone.
    pub fn del_rule(&mut self, rule: &crate::audit::Rule) -> Result<(), AuditError> {
        self.retry(|s| s.del_rule(rule), |e| errno_is(e, libc::ENOENT))
    }

    /// Reads until every record audit holds has arrived.  Records that kauditd could not
    /// deliver wait in its retry and hold queues until a new record wakes it, so each quiet
    /// spell of `quiet` is followed by a user message, until one brings nothing else; at most
    /// `max` in all.
    pub fn drain(
        &mut self,
        quiet: Duration,
        max: Duration,
        mut f: impl FnMut(u16, &str),
    ) -> Result<(), AuditError> {
        let end = Instant::now() + max;
        for _ in 0..20 {
            let left = end.saturating_duration_since(Instant::now());
            self.read_until_quiet(quiet, left, &mut f)?;
            self.retry(|s| s.send_user_message(NUDGE, "nsaudit: flush"), |_| false)?;
            let mut more = 0u64;
            let left = end.saturating_duration_since(Instant::now());
            self.read_until_quiet(quiet, left, |t, s| {
                if t != NUDGE {
                    more += 1;
                }
                f(t, s)
            })?;
            if more == 0 || Instant::now() >= end {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Reads until `c` is done, or nothing it awaits came for `quiet` even after a nudge to
    /// kauditd (records it could not deliver wait for a new record to wake it); at most
    /// `max`.
    pub fn read_until(
        &mut self,
        c: &mut impl Collect,
        quiet: Duration,
        max: Duration,
    ) -> Result<(), AuditError> {
        let end = Instant::now() + max;
        let mut progress = (c.progress(), Instant::now());
        let mut nudged = false;
        while !c.done() && Instant::now() < end {
            for (ty, text) in self.recv(Duration::from_millis(200))? {
                c.add(ty, &text);
            }
            if c.progress() != progress.0 {
                progress = (c.progress(), Instant::now());
                nudged = false;
            } else if progress.1.elapsed() >= quiet {
                if nudged {
                    break;
                }
                self.retry(|s| s.send_user_message(NUDGE, "nsaudit: flush"), |_| false)?;
                nudged = true;
                progress.1 = Instant::now();
            }
        }
        Ok(())
    }

    /// Receives records until none came for `quiet` (at most `max`).
    pub fn read_until_quiet(
        &mut self,
        quiet: Duration,
        max: Duration,
        mut f: impl FnMut(u16, &str),
    ) -> Result<(), AuditError> {
        let end = Instant::now() + max;
        let mut last = Instant::now();
        while Instant::now() < end && last.elapsed() < quiet {
            let recs = self.recv(Duration::from_millis(200))?;
            if !recs.is_empty() {
                last = Instant::now();
            }
            for (ty, text) in recs {
                f(ty, &text);
            }
        }
        Ok(())
    }
}

impl Daemon {
    /// Loads the module `path` with `params` in a child process, as `insmod` would: audit
    /// makes the loading task wait for backlog room, never the daemon.  Records that arrive
    /// meanwhile go to `f`.
    pub fn load_module(
        &mut self,
        path: &Path,
        params: &str,
        mut f: impl FnMut(u16, &str),
    ) -> Result<Loaded, LoadError> {
        let (r, w) = pipe2(OFlag::O_CLOEXEC).map_err(|errno| GuestError::Sys {
            what: "pipe2".into(),
            errno,
        })?;
        let pid = guest::fork_child(|| {
            let t0 = Instant::now();
            let res = guest::finit_module(path, params);
            let took = u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let errno = res.err().map_or(0, |e| e.raw_os_error().unwrap_or(-1));
            let mut b = [0u8; 12];
            b[..8].copy_from_slice(&took.to_ne_bytes());
            b[8..].copy_from_slice(&errno.to_ne_bytes());
            i32::from(write_all(&w, &b).is_err() || errno != 0)
        })?;
        drop(w);
        while guest::try_reap(pid)?.is_none() {
            self.read_for(Duration::from_millis(50), &mut f)?;
        }
        let mut b = [0u8; 12];
        let what = |why: String| LoadError::Load {
            path: path.display().to_string(),
            why,
        };
        match read_exact(&r, &mut b) {
            Ok(true) => {}
            Ok(false) => return Err(what("the loading process reported nothing".into())),
            Err(e) => return Err(what(format!("reading its report: {e}"))),
        }
        let took = u64::from_ne_bytes(b[..8].try_into().unwrap_or_default());
        let errno = i32::from_ne_bytes(b[8..].try_into().unwrap_or_default());
        if errno != 0 {
            return Err(what(std::io::Error::from_raw_os_error(errno).to_string()));
        }
        Ok(Loaded {
            pid: pid.as_raw(),
            took: Duration::from_nanos(took),
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}
