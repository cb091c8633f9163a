// SPDX-License-Identifier: GPL-2.0

//! The audit daemon of the bench: a child process that counts the records it receives and
//! answers the bench over a pipe: `c` asks for the [`Counts`] (32 bytes), `q` stops it.

use super::*;
use crate::nsinfo::AUDIT_NS_INFO;

/// The audit daemon: a child process that registers as the daemon and counts the records it
/// receives, answering the bench's queries over a pipe.
pub(super) struct CountingDaemon {
    pub(super) pid: Pid,
    pub(super) cmd: Option<OwnedFd>,
    pub(super) answer: OwnedFd,
}

/// What the reader has received so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    /// `AUDIT_NS_*` records.
    pub ns: u64,
    /// `AUDIT_NS_INFO` records.
    pub info: u64,
    pub overruns: u64,
}

/// Size of [`Counts`] on the pipe.
pub(super) const COUNTS_LEN: usize = 32;

impl Counts {
    pub(super) fn encode(self) -> [u8; COUNTS_LEN] {
        let mut b = [0u8; COUNTS_LEN];
        for (i, v) in [self.records, self.ns, self.info, self.overruns]
            .into_iter()
            .enumerate()
        {
            b[8 * i..8 * i + 8].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    pub(super) fn decode(b: &[u8; COUNTS_LEN]) -> Counts {
        let at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_ne_bytes(a)
        };
        Counts {
            records: at(0),
            ns: at(8),
            info: at(16),
            overruns: at(24),
        }
    }

    /// What arrived between `before` and this.
    pub(super) fn since(self, before: Counts) -> Counts {
        Counts {
            records: self.records.saturating_sub(before.records),
            ns: self.ns.saturating_sub(before.ns),
            info: self.info.saturating_sub(before.info),
            overruns: self.overruns.saturating_sub(before.overruns),
        }
    }
}

pub(super) fn reader_main(cmd: OwnedFd, answer: OwnedFd) -> i32 {
    let mut sock = match AuditSocket::open() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench: reader: {e}");
            return 1;
        }
    };
    if let Err(e) = sock.become_daemon(BACKLOG_LIMIT) {
        eprintln!("bench: reader: {e}");
        return 1;
    }
    // Ready.
    if write_all(&answer, &Counts::default().encode()).is_err() {
        return 1;
    }
    let mut counts = Counts::default();
    let take = |sock: &mut AuditSocket, counts: &mut Counts| match sock.recv_records(Duration::ZERO)
    {
        Ok(recs) => {
            for (ty, _) in &recs {
                counts.records += 1;
                counts.ns += u64::from(is_ns_type(*ty));
                counts.info += u64::from(*ty == AUDIT_NS_INFO);
            }
            Ok(!recs.is_empty())
        }
        Err(AuditError::Overrun) => {
            counts.overruns += 1;
            Ok(true)
        }
        Err(e) => Err(e),
    };
    loop {
        let (sock_ready, cmd_ready) = {
            let mut fds = [
                PollFd::new(sock.as_fd(), PollFlags::POLLIN),
                PollFd::new(cmd.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    eprintln!("bench: reader: poll: {e}");
                    return 1;
                }
            }
            let ready = |f: &PollFd| f.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), ready(&fds[1]))
        };
        if sock_ready {
            if let Err(e) = take(&mut sock, &mut counts) {
                eprintln!("bench: reader: {e}");
                return 1;
            }
        }
        if cmd_ready {
            let mut b = [0u8; 1];
            match read_exact(&cmd, &mut b) {
                Ok(true) if b[0] == b'c' => {
                    // Everything queued so far counts.
                    loop {
                        match take(&mut sock, &mut counts) {
                            Ok(true) => {}
                            Ok(false) => break,
                            Err(e) => {
                                eprintln!("bench: reader: {e}");
                                return 1;
                            }
                        }
                    }
                    if write_all(&answer, &counts.encode()).is_err() {
                        return 1;
                    }
                }
                _ => break,
            }
        }
    }
    let _ = sock.release_daemon();
    0
}

impl CountingDaemon {
    pub(super) fn start() -> Result<CountingDaemon, BenchError> {
        let (cmd_r, cmd_w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
        let (ans_r, ans_w) = pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))?;
        // SAFETY: the bench process is single-threaded, so the child may do what the parent
        // could; it leaves through _exit.
        match unsafe { fork() }.map_err(sys("fork"))? {
            ForkResult::Child => {
                drop(cmd_w);
                drop(ans_r);
                child_exit(reader_main(cmd_r, ans_w))
            }
            ForkResult::Parent { child } => {
                drop(cmd_r);
                drop(ans_w);
                let mut r = CountingDaemon {
                    pid: child,
                    cmd: Some(cmd_w),
                    answer: ans_r,
                };
                let mut b = [0u8; COUNTS_LEN];
                match read_exact(&r.answer, &mut b) {
                    Ok(true) => Ok(r),
                    _ => {
                        let _ = r.stop();
                        Err(BenchError::Reader(
                            "did not become the audit daemon (see its message above)".into(),
                        ))
                    }
                }
            }
        }
    }

    pub(super) fn counts(&mut self) -> Result<Counts, BenchError> {
        let cmd = self
            .cmd
            .as_ref()
            .ok_or_else(|| BenchError::Reader("already stopped".into()))?;
        write_all(cmd, b"c").map_err(|e| BenchError::Reader(format!("query: {e}")))?;
        let mut b = [0u8; COUNTS_LEN];
        match read_exact(&self.answer, &mut b) {
            Ok(true) => Ok(Counts::decode(&b)),
            Ok(false) => Err(BenchError::Reader("exited".into())),
            Err(e) => Err(BenchError::Reader(format!("answer: {e}"))),
        }
    }

    pub(super) fn stop(&mut self) -> Result<(), BenchError> {
        let Some(cmd) = self.cmd.take() else {
            return Ok(());
        };
        let _ = write_all(&cmd, b"q");
        drop(cmd);
        if reap(self.pid)? {
            Ok(())
        } else {
            Err(BenchError::Reader("exited with an error".into()))
        }
    }
}

impl Drop for CountingDaemon {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
