// SPDX-License-Identifier: GPL-2.0

//! Probes: tasks that read the ids of their own namespaces (`NS_GET_ID` of
//! `/proc/self/ns/<t>`, which are the namespaces an `AUDIT_NS_INFO` record names) and then
//! make the system calls of [`PROBE_SYSCALLS`], for audit rules to select; in a fresh
//! container, on the host, or after entering a container with `setns(2)`.
//!
//! A probe learns its pid in the initial PID namespace, the one audit records name, from the
//! task that forked it: inside a new PID namespace `getpid()` says something else.

use super::ident::ns_path;
use super::*;
use crate::guest::reap_status;
use crate::nsinfo::NsInfo;
use crate::syscall::{SYS_GETPID, SYS_OPENAT, SYS_UNAME};
use std::ffi::CStr;
use std::os::fd::{FromRawFd, RawFd};

/// The system calls a probe makes once it has read its namespaces, in this order: `getpid`,
/// `uname`, and `openat` of the file the caller names (then `close`).
pub const PROBE_SYSCALLS: [u32; 3] = [SYS_GETPID, SYS_UNAME, SYS_OPENAT];

/// What a probe reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    /// Its pid in the initial PID namespace.
    pub pid: i32,
    /// The ids of its namespaces, read by itself before its system calls.
    pub ids: NsInfo,
}

/// How a joiner enters a container's namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// One `setns(2)` per kind, with an open `/proc/PID/ns/<t>` file, in the order given.
    Fds,
    /// One `setns(2)` with a pidfd of a task inside and the `CLONE_NEW*` flags of the kinds.
    Pidfd,
}

/// What a joiner reports: itself after entering, and a child it forked then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    pub joiner: Probed,
    pub child: Probed,
}

/// A probe that lives in the namespaces it was made in until [`ProbeHost::release`] or drop,
/// so that others can enter them.
#[derive(Debug)]
pub struct ProbeHost {
    pub probed: Probed,
    child: Child,
}

impl ProbeHost {
    /// Lets the probe exit and reaps it and the task that made its namespaces.
    pub fn release(&mut self) -> Result<(), NsError> {
        self.child.release()
    }
}

/// Size of a probe's report: status, errno, pid, the ids.
pub(super) const PROBE_LEN: usize = 1 + 4 + 4 + 8 * NsKind::COUNT;

pub(super) fn encode_probe(r: &ChildResult<Probed>) -> [u8; PROBE_LEN] {
    let mut out = [0u8; PROBE_LEN];
    match r {
        Err((stage, errno)) => {
            out[0] = stage.code();
            out[1..5].copy_from_slice(&(*errno as i32).to_ne_bytes());
        }
        Ok(p) => {
            out[5..9].copy_from_slice(&p.pid.to_ne_bytes());
            for (i, id) in p.ids.0.iter().enumerate() {
                out[9 + 8 * i..17 + 8 * i].copy_from_slice(&id.to_ne_bytes());
            }
        }
    }
    out
}

pub(super) fn decode_probe(b: &[u8; PROBE_LEN]) -> ChildResult<Probed> {
    if b[0] != 0 {
        return Err((Stage::from_code(b[0]), Errno::from_raw(i32_at(b, 1))));
    }
    let mut ids = [0u64; NsKind::COUNT];
    for (i, id) in ids.iter_mut().enumerate() {
        *id = u64_at(b, 9 + 8 * i);
    }
    Ok(Probed {
        pid: i32_at(b, 5),
        ids: NsInfo(ids),
    })
}

/// The ids of this task's namespaces.
pub(super) fn own_ids() -> ChildResult<NsInfo> {
    let idents = child_idents(None, false)?;
    let mut ids = [0u64; NsKind::COUNT];
    for k in NsKind::ALL {
        ids[k.index()] = idents.get(&k).map_or(0, |i| i.id);
    }
    Ok(NsInfo(ids))
}

/// The system calls of [`PROBE_SYSCALLS`], each made directly, so that it is the system call
/// the rules name whatever the C library would use.
fn probe_syscalls(watched: &CStr) -> ChildResult<()> {
    // SAFETY: getpid(2) takes no argument and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) };
    let mut uts = std::mem::MaybeUninit::<libc::utsname>::zeroed();
    // SAFETY: uname(2) writes one struct utsname to the buffer, which is that large.
    if unsafe { libc::syscall(libc::SYS_uname, uts.as_mut_ptr()) } != 0 {
        return Err((Stage::Probe, Errno::last()));
    }
    // SAFETY: openat(2) reads the NUL-terminated path, alive for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            watched.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err((Stage::Probe, Errno::last()));
    }
    // SAFETY: closes the descriptor just opened, which nothing else owns.
    unsafe { libc::close(fd as RawFd) };
    Ok(())
}

/// The body of a probe whose pid is `pid`: read its namespaces, make the system calls, report
/// on `rep`.  True if it did all.
fn probe(pid: i32, watched: &CStr, rep: &OwnedFd) -> bool {
    let r = own_ids().and_then(|ids| probe_syscalls(watched).map(|()| Probed { pid, ids }));
    write_all(rep, &encode_probe(&r)).is_ok() && r.is_ok()
}

/// Forks a task that runs `body` with its pid as this task sees it (the global one, for a
/// task in the initial PID namespace), waits for it and returns its exit status, or the errno
/// of what failed.  For use in children.
fn fork_told(body: impl FnOnce(i32) -> i32) -> Result<i32, Errno> {
    let (pid_r, pid_w) = pipe2(OFlag::O_CLOEXEC)?;
    let writer = pid_w.as_raw_fd();
    let child = fork_child(|| {
        // SAFETY: closes this process's copy of the write end, which it never uses.
        unsafe { libc::close(writer) };
        let mut b = [0u8; 4];
        match read_exact(&pid_r, &mut b) {
            Ok(true) => body(i32::from_ne_bytes(b)),
            _ => 1,
        }
    })
    .map_err(|_| Errno::last())?;
    drop(pid_r);
    let told = write_all(&pid_w, &child.as_raw().to_ne_bytes());
    drop(pid_w);
    let status = reap_status(child).map_err(|_| Errno::last())?;
    told?;
    Ok(status.unwrap_or(1))
}

/// Forks a child that closes `close` (descriptors of the caller it must not hold), unshares
/// the namespaces of `kinds` and forks the task that runs `body` with its global pid: with a
/// PID namespace, the first process of it.  The child exits with the task's status, or with
/// the errno of the unshare or fork that failed.
pub fn spawn_inside(
    kinds: &[NsKind],
    close: &[RawFd],
    body: impl FnOnce(i32) -> i32,
) -> Result<Pid, NsError> {
    let flags = clone_flags(kinds);
    let close = close.to_vec();
    Ok(fork_child(move || {
        for fd in close {
            // SAFETY: closes this process's copy of a descriptor of the caller.
            unsafe { libc::close(fd) };
        }
        if let Err(e) = unshare(flags) {
            return e as i32;
        }
        fork_told(body).unwrap_or_else(|e| e as i32)
    })?)
}

/// Reads one probe report from `rep`, written by a task of the child `pid`.
pub(super) fn read_probe(rep: &OwnedFd, pid: Pid) -> Result<Probed, NsError> {
    let mut b = [0u8; PROBE_LEN];
    match read_exact(rep, &mut b) {
        Ok(true) => decode_probe(&b).map_err(|(stage, errno)| NsError::Child {
            pid: pid.as_raw(),
            stage,
            errno,
        }),
        Ok(false) => Err(NsError::Protocol {
            pid: pid.as_raw(),
            why: "exited without a probe report (an unshare, fork or setns failed)".into(),
        }),
        Err(e) => Err(sys(format!("reading the probe report of child {pid}"))(e)),
    }
}

/// `watched` as a C string.
pub(super) fn c_path(watched: &Path) -> Result<CString, NsError> {
    CString::new(watched.as_os_str().as_encoded_bytes()).map_err(|e| NsError::Io {
        what: format!("path {}", watched.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
    })
}

/// A probe in new namespaces of `kinds`, made by its parent with `unshare(2)`; with a PID
/// namespace the probe is its first process.  It lives until released.
pub fn probe_container(kinds: &[NsKind], watched: &Path) -> Result<ProbeHost, NsError> {
    let watched = c_path(watched)?;
    let (rep_r, rep_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let close = [rep_r.as_raw_fd(), go_w.as_raw_fd()];
    let pid = spawn_inside(kinds, &close, move |me| {
        if !probe(me, &watched, &rep_w) {
            return 1;
        }
        drop(rep_w);
        let mut b = [0u8; 1];
        // End of file (the caller is gone) lets go as well.
        let _ = read_exact(&go_r, &mut b);
        0
    })?;
    let child = Child::new(pid, go_w);
    let probed = read_probe(&rep_r, pid)?;
    Ok(ProbeHost { probed, child })
}

/// A probe in this process's namespaces; it has exited when this returns.
pub fn probe_here(watched: &Path) -> Result<Probed, NsError> {
    let watched = c_path(watched)?;
    let (rep_r, rep_w) = pipe()?;
    let pid = fork_child(|| i32::from(!probe(getpid().as_raw(), &watched, &rep_w)))?;
    drop(rep_w);
    let probed = read_probe(&rep_r, pid);
    let ok = reap(pid)?;
    let probed = probed?;
    if !ok {
        return Err(NsError::Protocol {
            pid: pid.as_raw(),
            why: "the probe did not exit with status 0".into(),
        });
    }
    Ok(probed)
}

/// `pidfd_open(2)` of `pid`.
fn pidfd_open(pid: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the descriptor was just returned to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Enters the namespaces of `kinds` of task `target`, `how`.
fn enter(target: i32, kinds: &[NsKind], how: Join) -> ChildResult<()> {
    let fail = |e: Errno| (Stage::Setns, e);
    match how {
        Join::Fds => {
            // Every file first: once in another mount namespace, /proc may be another.
            let files: Vec<(File, NsKind)> = kinds
                .iter()
                .map(|&k| {
                    File::open(ns_path(Some(target), k.name()))
                        .map(|f| (f, k))
                        .map_err(|e| fail(Errno::from_raw(e.raw_os_error().unwrap_or(0))))
                })
                .collect::<Result<_, _>>()?;
            for (f, k) in &files {
                setns(f, clone_flag(*k)).map_err(fail)?;
            }
            Ok(())
        }
        Join::Pidfd => {
            let fd = pidfd_open(target).map_err(fail)?;
            setns(&fd, clone_flags(kinds)).map_err(fail)
        }
    }
}

/// Forks a joiner that enters the namespaces of `kinds` of task `target` (`how`), then probes;
/// then forks a child, which probes too: after `setns(2)` of a PID namespace the child is in
/// it, the joiner is not.  Both have exited when this returns.
pub fn probe_joiner(
    target: i32,
    kinds: &[NsKind],
    how: Join,
    watched: &Path,
) -> Result<Joined, NsError> {
    let watched = c_path(watched)?;
    let (rep_r, rep_w) = pipe()?;
    let kinds = kinds.to_vec();
    let pid = fork_child(|| {
        if let Err(e) = enter(target, &kinds, how) {
            let _ = write_all(&rep_w, &encode_probe(&Err(e)));
            return 1;
        }
        if !probe(getpid().as_raw(), &watched, &rep_w) {
            return 1;
        }
        match fork_told(|me| i32::from(!probe(me, &watched, &rep_w))) {
            Ok(status) => status,
            Err(e) => {
                let _ = write_all(&rep_w, &encode_probe(&Err((Stage::Fork, e))));
                1
            }
        }
    })?;
    drop(rep_w);
    let joined = read_probe(&rep_r, pid).and_then(|joiner| {
        Ok(Joined {
            joiner,
            child: read_probe(&rep_r, pid)?,
        })
    });
    let ok = reap(pid)?;
    let joined = joined?;
    if !ok {
        return Err(NsError::Protocol {
            pid: pid.as_raw(),
            why: "the joiner did not exit with status 0".into(),
        });
    }
    Ok(joined)
}
