// SPDX-License-Identifier: GPL-2.0

//! Workers: tasks that live in the namespaces they were made in and make one system call at a
//! time when told, so that audit rules can be changed between their calls (the rules name
//! namespace ids, known only once the namespaces exist).

use super::probe::{c_path, encode_probe, own_ids, read_probe};
use super::*;
use crate::audit::AuditSocket;
use crate::daemon::NUDGE;
use std::ffi::CStr;
use std::os::fd::RawFd;

/// What a worker does when told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `openat(2)` of its file (then `close`).
    Open,
    /// `unshare(CLONE_NEWUTS)`: a namespace the module reports, created by the worker.
    UnshareUts,
    /// An audit user message ([`NUDGE`]) whose text is [`user_text`] of its pid; needs the
    /// initial user and PID namespaces.
    UserMessage,
}

impl Order {
    fn code(self) -> u8 {
        match self {
            Order::Open => b'o',
            Order::UnshareUts => b'u',
            Order::UserMessage => b'm',
        }
    }
}

/// The order to exit.
const QUIT: u8 = b'q';

/// The text of a worker's user message.
pub fn user_text(pid: i32) -> String {
    format!("nsaudit worker {pid} says hello")
}

/// A worker: its pid and namespaces, and the pipes it is told through and answers on.
#[derive(Debug)]
pub struct Worker {
    pub probed: Probed,
    pid: Pid,
    orders: Option<OwnedFd>,
    answers: OwnedFd,
}

/// Does what `order` says; 0 or the errno of the call that failed.
fn obey(order: u8, me: i32, file: &CStr) -> i32 {
    match order {
        b'o' => {
            // SAFETY: openat(2) reads the NUL-terminated path, alive for the call.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_openat,
                    libc::AT_FDCWD,
                    file.as_ptr(),
                    libc::O_RDONLY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return Errno::last() as i32;
            }
            // SAFETY: closes the descriptor just opened, which nothing else owns.
            unsafe { libc::close(fd as RawFd) };
            0
        }
        b'u' => unshare(CloneFlags::CLONE_NEWUTS).map_or_else(|e| e as i32, |()| 0),
        b'm' => {
            match AuditSocket::open().and_then(|mut s| s.send_user_message(NUDGE, &user_text(me))) {
                Ok(()) => 0,
                Err(_) => libc::EIO,
            }
        }
        _ => libc::EINVAL,
    }
}

/// A worker in new namespaces of `kinds` (none: this process's), made by its parent with
/// `unshare(2)`; `file` is what it opens.  It lives until released or dropped.
pub fn worker(kinds: &[NsKind], file: &Path) -> Result<Worker, NsError> {
    let file = c_path(file)?;
    let (rep_r, rep_w) = pipe()?;
    let (ord_r, ord_w) = pipe()?;
    let close = [rep_r.as_raw_fd(), ord_w.as_raw_fd()];
    let pid = spawn_inside(kinds, &close, move |me| {
        let r = own_ids().map(|ids| Probed { pid: me, ids });
        if write_all(&rep_w, &encode_probe(&r)).is_err() || r.is_err() {
            return 1;
        }
        let mut b = [0u8; 1];
        // End of file: the caller let it go, or is gone.
        while let Ok(true) = read_exact(&ord_r, &mut b) {
            if b[0] == QUIT {
                return 0;
            }
            if write_all(&rep_w, &obey(b[0], me, &file).to_ne_bytes()).is_err() {
                return 1;
            }
        }
        0
    })?;
    // The closure, with the child's ends, was dropped here once the child was forked.
    let mut w = Worker {
        probed: Probed {
            pid: pid.as_raw(),
            ids: crate::nsinfo::NsInfo([0; NsKind::COUNT]),
        },
        pid,
        orders: Some(ord_w),
        answers: rep_r,
    };
    // Dropping `w` on an error lets the child go and reaps it.
    w.probed = read_probe(&w.answers, pid)?;
    Ok(w)
}

impl Worker {
    /// Tells the worker to do `order` and waits until it has.
    pub fn order(&mut self, order: Order) -> Result<(), NsError> {
        let pid = self.probed.pid;
        let orders = self.orders.as_ref().ok_or_else(|| NsError::Protocol {
            pid,
            why: "told after its release".into(),
        })?;
        write_all(orders, &[order.code()]).map_err(sys(format!("telling worker {pid}")))?;
        let mut b = [0u8; 4];
        match read_exact(&self.answers, &mut b) {
            Ok(true) => match i32::from_ne_bytes(b) {
                0 => Ok(()),
                e => Err(NsError::Child {
                    pid,
                    stage: Stage::Probe,
                    errno: Errno::from_raw(e),
                }),
            },
            Ok(false) => Err(NsError::Protocol {
                pid,
                why: format!("exited before it did {order:?}"),
            }),
            Err(e) => Err(sys(format!("reading worker {pid}'s answer"))(e)),
        }
    }

    /// Lets the worker exit and reaps the task that made its namespaces.
    pub fn release(&mut self) -> Result<(), NsError> {
        // Told to quit rather than left to see the end of the pipe, which children forked
        // later (other workers) hold open too.
        let Some(orders) = self.orders.take() else {
            return Ok(());
        };
        let _ = write_all(&orders, &[QUIT]);
        drop(orders);
        if reap(self.pid)? {
            Ok(())
        } else {
            Err(NsError::Protocol {
                pid: self.pid.as_raw(),
                why: "the worker did not exit with status 0".into(),
            })
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.release();
    }
}
