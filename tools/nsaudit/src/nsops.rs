// SPDX-License-Identifier: GPL-2.0

//! Creating namespaces in child processes and reading namespace identities.
//!
//! Audit never records the system calls of the audit daemon itself, so every namespace
//! operation the validator wants to see runs in a forked child, which reports what it did
//! through a pipe.  The validator is single-threaded, so the children may allocate.

mod ident;
mod nested;
mod probe;
mod spawn;
#[cfg(test)]
mod tests;
mod worker;

pub use ident::{
    bind_mount, clone_flag, clone_flags, ns_ident, ns_ident_of_fd, ns_ident_path, ns_idents,
    nsfs_dev, unmount,
};
pub use nested::{nested, setns_in_child, unshare_repeatedly, Nested};
pub use probe::{
    probe_container, probe_here, probe_joiner, spawn_inside, Join, Joined, ProbeHost, Probed,
    PROBE_SYSCALLS,
};
pub use spawn::{spawn, Child, Hold, Method, Spawned};
pub use worker::{user_text, worker, Order, Worker};

use crate::guest::{child_exit, fork_child, reap, GuestError};
use crate::reference::{NsIdent, NsKind};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::{fstat, major, minor, stat};
use nix::unistd::{getpid, pipe2, read, write, Pid};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use thiserror::Error;

/// `NS_GET_ID`: `_IOR(0xb7, 0xd, __u64)`.
pub const NS_GET_ID: u64 = 0x8008_b70d;

/// The namespaces of a container as the probes make it: the user namespace first, so that it
/// owns the others, and the PID namespace, which only children enter, last.
pub const CONTAINER_KINDS: [NsKind; 6] = [
    NsKind::User,
    NsKind::Mnt,
    NsKind::Uts,
    NsKind::Ipc,
    NsKind::Net,
    NsKind::Pid,
];

nix::ioctl_read!(ns_get_id, 0xb7, 0x0d, u64);

/// What can go wrong here.
#[derive(Debug, Error)]
pub enum NsError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {errno}")]
    Sys { what: String, errno: Errno },
    #[error("child {pid}: {stage} failed: {errno}")]
    Child {
        pid: i32,
        stage: Stage,
        errno: Errno,
    },
    #[error("child {pid}: {why}")]
    Protocol { pid: i32, why: String },
    #[error(transparent)]
    Guest(#[from] GuestError),
}

fn sys(what: impl Into<String>) -> impl FnOnce(Errno) -> NsError {
    let what = what.into();
    move |errno| NsError::Sys { what, errno }
}

/// The step of a child that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    SetName,
    Unshare,
    Clone3,
    ReadIdentity,
    ReadComm,
    IdMap,
    Fork,
    Setns,
    Report,
    Probe,
    Unknown(u8),
}

impl Stage {
    fn code(self) -> u8 {
        match self {
            Stage::SetName => 1,
            Stage::Unshare => 2,
            Stage::Clone3 => 3,
            Stage::ReadIdentity => 4,
            Stage::ReadComm => 5,
            Stage::IdMap => 6,
            Stage::Fork => 7,
            Stage::Setns => 8,
            Stage::Report => 9,
            Stage::Probe => 10,
            Stage::Unknown(c) => c,
        }
    }

    fn from_code(c: u8) -> Stage {
        [
            Stage::SetName,
            Stage::Unshare,
            Stage::Clone3,
            Stage::ReadIdentity,
            Stage::ReadComm,
            Stage::IdMap,
            Stage::Fork,
            Stage::Setns,
            Stage::Report,
            Stage::Probe,
        ]
        .into_iter()
        .find(|s| s.code() == c)
        .unwrap_or(Stage::Unknown(c))
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Stage::SetName => "prctl(PR_SET_NAME)",
            Stage::Unshare => "unshare",
            Stage::Clone3 => "clone3",
            Stage::ReadIdentity => "reading /proc/PID/ns",
            Stage::ReadComm => "reading /proc/self/comm",
            Stage::IdMap => "writing the uid/gid map",
            Stage::Fork => "fork",
            Stage::Setns => "setns",
            Stage::Report => "reporting",
            Stage::Probe => "the probe's system calls",
            Stage::Unknown(c) => return write!(f, "step {c}"),
        };
        f.write_str(s)
    }
}

/// A failure inside a child: the step and its errno.
type ChildResult<T> = Result<T, (Stage, Errno)>;

/// Writes all of `buf`, again after `EINTR`.
pub(crate) fn write_all(fd: impl AsFd, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd.as_fd(), buf) {
            Ok(0) => return Err(Errno::EPIPE),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on end of file before the first byte.
pub(crate) fn read_exact(fd: impl AsFd, buf: &mut [u8]) -> Result<bool, Errno> {
    let mut got = 0;
    while got < buf.len() {
        let rest = buf.get_mut(got..).unwrap_or_default();
        match read(fd.as_fd(), rest) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(Errno::EPIPE),
            Ok(n) => got += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn pipe() -> Result<(OwnedFd, OwnedFd), NsError> {
    pipe2(OFlag::O_CLOEXEC).map_err(sys("pipe2"))
}

use spawn::*;
