// SPDX-License-Identifier: GPL-2.0

//! How the validator gets the records: as audit's daemon, or beside the running audit daemon
//! (auditd) from the copies the kernel sends to the multicast group `AUDIT_NLGRP_READLOG`.
//!
//! Beside auditd, what only the daemon can do is skipped, each with a note: becoming and
//! ceasing to be the daemon, and the status check that shows us as the daemon with our backlog
//! limit (auditd's backlog limit is its own).  The copies come before the daemon gets each
//! record, and a copy that finds our buffer full is dropped for us alone: every `ENOBUFS` is
//! counted, and the run fails if there was one.

use super::*;

/// The receive buffer beside auditd: the copies of a burst of records wait in it while the
/// validator is busy (forks, insmod), and a full buffer loses copies.
pub const MULTICAST_RCVBUF: usize = 32 << 20;

impl<W: Write> Validator<W> {
    /// Becomes the daemon, or joins the records' multicast group beside the running daemon.
    pub(super) fn setup_reader(&mut self) -> bool {
        if self.opts.beside_auditd {
            return self.join_beside_daemon();
        }
        let r = self.sock.become_daemon(BACKLOG_LIMIT);
        self.tap.check(
            r.is_ok(),
            "setup: become the audit daemon (backlog_limit 8192)",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        )
    }

    /// Once the never-rule is loaded: the status that shows us as the daemon.
    pub(super) fn check_reader_status(&mut self) {
        if self.opts.beside_auditd {
            self.tap.note(
                "skipped beside auditd: audit status shows us as the daemon with backlog_limit \
                 8192 (auditd is the daemon, with its own backlog limit)",
            );
            return;
        }
        match self.sock.status() {
            Ok(s) => self.tap.check(
                s.pid == std::process::id() && s.enabled == 1 && s.backlog_limit == BACKLOG_LIMIT,
                "setup: audit status shows us as the daemon",
                format!("{s:?}"),
            ),
            Err(e) => self.tap.check(false, "setup: audit status", e),
        };
    }

    /// Beside auditd: audit is enabled and has a daemon that is not us; join the multicast
    /// group with a large buffer.
    fn join_beside_daemon(&mut self) -> bool {
        self.tap.note(
            "beside auditd: the records are the copies of AUDIT_NLGRP_READLOG; skipped: \
             become the audit daemon",
        );
        let me = std::process::id();
        let pid = match self.sock.status() {
            Ok(s) => {
                let ok = s.enabled == 1 && s.pid != 0 && s.pid != me;
                self.tap.check(
                    ok,
                    &format!(
                        "setup: audit is enabled and has a daemon that is not us (pid {})",
                        s.pid
                    ),
                    format!("{s:?}; we are {me}: start auditd first (nsaudit-auditd start)"),
                );
                if !ok {
                    return false;
                }
                s.pid
            }
            Err(e) => {
                self.tap.check(false, "setup: audit status", e);
                return false;
            }
        };
        self.daemon = Some(pid);
        let r = self.sock.force_receive_buffer(MULTICAST_RCVBUF);
        let ok = r.as_ref().is_ok_and(|&n| n >= MULTICAST_RCVBUF);
        self.tap.check(
            ok,
            &format!("setup: a receive buffer of {} MiB", MULTICAST_RCVBUF >> 20),
            match r {
                Ok(n) => format!("the kernel took {n} bytes"),
                Err(e) => e.to_string(),
            },
        );
        let r = self.sock.join_readlog();
        ok & self.tap.check(
            r.is_ok(),
            "setup: join the multicast group AUDIT_NLGRP_READLOG",
            r.err().map(|e| e.to_string()).unwrap_or_default(),
        )
    }

    /// At the end: no copy was dropped for us; then stop being the daemon, or check that
    /// auditd still is.
    pub(super) fn teardown_reader(&mut self) {
        self.overruns += self.sock.take_overruns();
        self.tap.check(
            self.overruns == 0,
            "end: no record was dropped for us (no ENOBUFS on the audit socket)",
            format!(
                "{} times ENOBUFS: records did not reach us (their count is unknown)",
                self.overruns
            ),
        );
        let Some(pid) = self.daemon else {
            let r = self.sock.release_daemon();
            self.tap.check(
                r.is_ok(),
                "end: stop being the audit daemon",
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
            return;
        };
        self.tap
            .note("skipped beside auditd: stop being the audit daemon");
        match self.sock.status() {
            Ok(s) => self.tap.check(
                s.pid == pid,
                &format!("end: the daemon of the start (pid {pid}) is still audit's daemon"),
                format!("{s:?}"),
            ),
            Err(e) => self.tap.check(false, "end: audit status", e),
        };
    }
}
