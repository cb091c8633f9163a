// SPDX-License-Identifier: GPL-2.0

//! Creating namespaces in child processes and reading namespace identities.
//!
//! Audit never records the system calls of the audit daemon itself, so every namespace
//! operation the validator wants to see runs in a forked child, which reports what it did
//! through a pipe.  The validator is single-threaded, so the children may allocate.

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
            Stage::Unknown(c) => return write!(f, "step {c}"),
        };
        f.write_str(s)
    }
}

/// A failure inside a child: the step and its errno.
type ChildResult<T> = Result<T, (Stage, Errno)>;

/// The `CLONE_NEW*` flag of a namespace kind.
pub fn clone_flag(kind: NsKind) -> CloneFlags {
    match kind {
        NsKind::Mnt => CloneFlags::CLONE_NEWNS,
        NsKind::Uts => CloneFlags::CLONE_NEWUTS,
        NsKind::Ipc => CloneFlags::CLONE_NEWIPC,
        NsKind::User => CloneFlags::CLONE_NEWUSER,
        NsKind::Pid => CloneFlags::CLONE_NEWPID,
        NsKind::Net => CloneFlags::CLONE_NEWNET,
    }
}

/// The `CLONE_NEW*` flags of several kinds.
pub fn clone_flags(kinds: &[NsKind]) -> CloneFlags {
    kinds
        .iter()
        .fold(CloneFlags::empty(), |f, &k| f | clone_flag(k))
}

/// Inode number (`st_ino`) and `NS_GET_ID` of an open namespace file.
pub fn ns_ident_of_fd(fd: impl AsFd) -> Result<NsIdent, Errno> {
    let st = fstat(fd.as_fd())?;
    let mut id: u64 = 0;
    // SAFETY: the fd is open for the call and NS_GET_ID writes one u64 to `id`.
    unsafe { ns_get_id(fd.as_fd().as_raw_fd(), &mut id) }?;
    Ok(NsIdent {
        inum: st.st_ino,
        id,
    })
}

/// Inode number and `NS_GET_ID` of a namespace file such as `/proc/self/ns/net`.
pub fn ns_ident_path(path: &Path) -> Result<NsIdent, NsError> {
    let f = File::open(path).map_err(|source| NsError::Io {
        what: format!("open {}", path.display()),
        source,
    })?;
    ns_ident_of_fd(&f).map_err(sys(format!("stat or NS_GET_ID on {}", path.display())))
}

/// `/proc/<pid or self>/ns/<name>`.
fn ns_path(pid: Option<i32>, file: &str) -> String {
    match pid {
        Some(p) => format!("/proc/{p}/ns/{file}"),
        None => format!("/proc/self/ns/{file}"),
    }
}

/// The identity of the namespace of `kind` of process `pid` ([`None`]: this process).
pub fn ns_ident(pid: Option<i32>, kind: NsKind) -> Result<NsIdent, NsError> {
    ns_ident_path(Path::new(&ns_path(pid, kind.name())))
}

/// The namespaces of every kind of process `pid` ([`None`]: this process).  With
/// `for_children`, the PID namespace is the one its children get (`pid_for_children`), which is
/// the one `unshare(CLONE_NEWPID)` creates.
pub fn ns_idents(
    pid: Option<i32>,
    for_children: bool,
) -> Result<BTreeMap<NsKind, NsIdent>, NsError> {
    NsKind::ALL
        .iter()
        .map(|&k| {
            let file = match k {
                NsKind::Pid if for_children => "pid_for_children",
                _ => k.name(),
            };
            Ok((k, ns_idents_one(pid, file)?))
        })
        .collect()
}

fn ns_idents_one(pid: Option<i32>, file: &str) -> Result<NsIdent, NsError> {
    ns_ident_path(Path::new(&ns_path(pid, file)))
}

/// `(major, minor)` of the device of the namespace files: the `dev=` of the records.
pub fn nsfs_dev() -> Result<(u32, u32), NsError> {
    let st = stat("/proc/self/ns/net").map_err(sys("stat /proc/self/ns/net"))?;
    let dev = st.st_dev;
    let part = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok((part(major(dev)), part(minor(dev))))
}

/// Bind-mounts `src` onto `dst` (an existing file) in this process's mount namespace.
pub fn bind_mount(src: &Path, dst: &Path) -> Result<(), NsError> {
    mount(Some(src), dst, None::<&str>, MsFlags::MS_BIND, None::<&str>).map_err(sys(format!(
        "bind mount {} on {}",
        src.display(),
        dst.display()
    )))
}

/// Unmounts `dst`.
pub fn unmount(dst: &Path) -> Result<(), NsError> {
    umount2(dst, MntFlags::empty()).map_err(sys(format!("umount {}", dst.display())))
}

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

/// How the child creates its namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `unshare(2)` in the child itself.
    Unshare,
    /// `clone3(2)` with the flags: the child's own child lives in the new namespaces.
    Clone3,
}

impl Method {
    /// The x86_64 system call number, as in the `SYSCALL` record.
    pub fn syscall_nr(self) -> u32 {
        match self {
            Method::Unshare => 272,
            Method::Clone3 => 435,
        }
    }
}

/// Whether the child exits as soon as it has reported or waits for [`Spawned::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    ExitAtOnce,
    UntilReleased,
}

/// What a child reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawned {
    /// The pid of the task that made the system call (the forked child).
    pub actor: i32,
    /// The pid, in our PID namespace, of the task that lives in the new namespaces: `actor`
    /// for unshare, the actor's child for clone3.
    pub holder: i32,
    /// The actor's `comm` as the kernel has it (`/proc/self/comm` read by the actor).
    pub comm: Vec<u8>,
    /// The namespaces of every kind after the call: the holder's, and for `unshare` the PID
    /// namespace for children.
    pub ns: BTreeMap<NsKind, NsIdent>,
}

/// A child that waits for [`Child::release`]; dropping it releases it too.
#[derive(Debug)]
pub struct Child {
    pub info: Spawned,
    pid: Pid,
    go: Option<OwnedFd>,
}

impl Child {
    /// Lets the child exit and reaps it; an error if it did not exit with status 0.
    pub fn release(&mut self) -> Result<(), NsError> {
        let Some(go) = self.go.take() else {
            return Ok(());
        };
        let sent = write_all(&go, b"x");
        drop(go);
        let ok = reap(self.pid)?;
        sent.map_err(sys(format!("waking child {}", self.pid)))?;
        if ok {
            Ok(())
        } else {
            Err(NsError::Protocol {
                pid: self.pid.as_raw(),
                why: "did not exit with status 0".into(),
            })
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// Size of [`Spawned`] on the pipe: status, errno, actor, holder, six identities, comm.
const REPORT_LEN: usize = 1 + 4 + 4 + 4 + 6 * 16 + 1 + 16;

fn encode_report(r: &ChildResult<Spawned>) -> [u8; REPORT_LEN] {
    let mut out = [0u8; REPORT_LEN];
    let mut buf = Vec::with_capacity(REPORT_LEN);
    match r {
        Err((stage, errno)) => {
            buf.push(stage.code());
            buf.extend_from_slice(&(*errno as i32).to_ne_bytes());
        }
        Ok(s) => {
            buf.push(0);
            buf.extend_from_slice(&0i32.to_ne_bytes());
            buf.extend_from_slice(&s.actor.to_ne_bytes());
            buf.extend_from_slice(&s.holder.to_ne_bytes());
            for k in NsKind::ALL {
                let id = s.ns.get(&k).copied().unwrap_or(NsIdent { inum: 0, id: 0 });
                buf.extend_from_slice(&id.inum.to_ne_bytes());
                buf.extend_from_slice(&id.id.to_ne_bytes());
            }
            let comm = s.comm.get(..16).unwrap_or(&s.comm);
            buf.push(comm.len() as u8);
            buf.extend_from_slice(comm);
        }
    }
    let n = buf.len().min(REPORT_LEN);
    out[..n].copy_from_slice(&buf[..n]);
    out
}

fn i32_at(b: &[u8], o: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[o..o + 4]);
    i32::from_ne_bytes(a)
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_ne_bytes(a)
}

fn decode_report(b: &[u8; REPORT_LEN]) -> ChildResult<Spawned> {
    if b[0] != 0 {
        return Err((Stage::from_code(b[0]), Errno::from_raw(i32_at(b, 1))));
    }
    let ns = NsKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let o = 13 + i * 16;
            (
                k,
                NsIdent {
                    inum: u64_at(b, o),
                    id: u64_at(b, o + 8),
                },
            )
        })
        .collect();
    let comm_len = usize::from(b[109]).min(16);
    Ok(Spawned {
        actor: i32_at(b, 5),
        holder: i32_at(b, 9),
        comm: b[110..110 + comm_len].to_vec(),
        ns,
    })
}

/// The kernel's `comm` of this task, without the newline.
fn own_comm() -> ChildResult<Vec<u8>> {
    let mut c = std::fs::read("/proc/self/comm").map_err(|e| {
        (
            Stage::ReadComm,
            Errno::from_raw(e.raw_os_error().unwrap_or(0)),
        )
    })?;
    if c.last() == Some(&b'\n') {
        c.pop();
    }
    Ok(c)
}

fn child_idents(pid: Option<i32>, for_children: bool) -> ChildResult<BTreeMap<NsKind, NsIdent>> {
    ns_idents(pid, for_children).map_err(|e| {
        let errno = match e {
            NsError::Sys { errno, .. } => errno,
            NsError::Io { source, .. } => Errno::from_raw(source.raw_os_error().unwrap_or(0)),
            _ => Errno::UnknownErrno,
        };
        (Stage::ReadIdentity, errno)
    })
}

/// `struct clone_args` up to `tls` (`CLONE_ARGS_SIZE_VER0`).
#[repr(C)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// `clone3` without a new stack (like fork): the child's pid in the parent, 0 in the child.
fn clone3(flags: CloneFlags) -> Result<i32, Errno> {
    let args = CloneArgs {
        flags: flags.bits() as u32 as u64,
        pidfd: 0,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
    };
    // SAFETY: `args` is a valid clone_args of the size passed; without CLONE_VM and a stack the
    // child continues on a copy of our memory, as after fork.
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as i32)
    }
}

/// The actor: set `comm`, create the namespaces, report, wait for the go byte if asked.
fn actor(
    flags: CloneFlags,
    method: Method,
    comm: Option<&CString>,
    rep: OwnedFd,
    go: OwnedFd,
) -> i32 {
    let me = getpid().as_raw();
    let step = || -> ChildResult<(Spawned, Option<(i32, OwnedFd)>)> {
        if let Some(c) = comm {
            nix::sys::prctl::set_name(c).map_err(|e| (Stage::SetName, e))?;
        }
        match method {
            Method::Unshare => {
                unshare(flags).map_err(|e| (Stage::Unshare, e))?;
                if flags.contains(CloneFlags::CLONE_NEWPID) {
                    // /proc/PID/ns/pid_for_children only opens once the new PID namespace has
                    // its first process (its child reaper): fork one that exits at once.
                    let first = fork_child(|| 0).map_err(|_| (Stage::Fork, Errno::last()))?;
                    reap(first).map_err(|_| (Stage::Fork, Errno::last()))?;
                }
                let ns = child_idents(None, true)?;
                let comm = own_comm()?;
                Ok((
                    Spawned {
                        actor: me,
                        holder: me,
                        comm,
                        ns,
                    },
                    None,
                ))
            }
            Method::Clone3 => {
                let (hold_r, hold_w) = pipe2(OFlag::O_CLOEXEC).map_err(|e| (Stage::Clone3, e))?;
                let pid = clone3(flags).map_err(|e| (Stage::Clone3, e))?;
                if pid == 0 {
                    // The holder: live until the actor lets go.
                    drop(hold_w);
                    let mut b = [0u8; 1];
                    let _ = read_exact(&hold_r, &mut b);
                    child_exit(0)
                }
                drop(hold_r);
                let ns = child_idents(Some(pid), false)?;
                let comm = own_comm()?;
                Ok((
                    Spawned {
                        actor: me,
                        holder: pid,
                        comm,
                        ns,
                    },
                    Some((pid, hold_w)),
                ))
            }
        }
    };
    let (report, holder) = match step() {
        Ok((s, h)) => (Ok(s), h),
        Err(e) => (Err(e), None),
    };
    let failed = report.is_err();
    let sent = write_all(&rep, &encode_report(&report));
    drop(rep);
    if sent.is_ok() && !failed {
        let mut b = [0u8; 1];
        // End of file (the validator is gone) lets go as well.
        let _ = read_exact(&go, &mut b);
    }
    let mut status = i32::from(failed || sent.is_err());
    if let Some((pid, hold_w)) = holder {
        drop(hold_w);
        if !matches!(reap(Pid::from_raw(pid)), Ok(true)) {
            status = 1;
        }
    }
    status
}

/// Forks a child that sets its `comm` to `comm` (if given), creates the namespaces of `kinds`
/// with `method`, and reports its pid and the identities of the new namespaces.  A child that
/// unshares a PID namespace forks a first process into it, which exits at once: before that the
/// namespace cannot be opened (it is still the namespace the records are about).  With
/// [`Hold::ExitAtOnce`] the child has exited when this returns; with [`Hold::UntilReleased`]
/// it (and its namespaces) lives until [`Child::release`] or drop.
pub fn spawn(
    kinds: &[NsKind],
    method: Method,
    comm: Option<&str>,
    hold: Hold,
) -> Result<Child, NsError> {
    let comm = comm
        .map(CString::new)
        .transpose()
        .map_err(|e| NsError::Io {
            what: "comm".into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
        })?;
    let flags = clone_flags(kinds);
    let (rep_r, rep_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let parent_ends = [rep_r.as_raw_fd(), go_w.as_raw_fd()];
    // The closure owns the child's ends: the parent drops (closes) them when fork_child returns.
    let pid = fork_child(move || {
        for fd in parent_ends {
            // SAFETY: closes this process's copies of the parent's ends, which it never uses.
            unsafe { libc::close(fd) };
        }
        actor(flags, method, comm.as_ref(), rep_w, go_r)
    })?;
    let mut child = Child {
        info: Spawned {
            actor: pid.as_raw(),
            holder: pid.as_raw(),
            comm: Vec::new(),
            ns: BTreeMap::new(),
        },
        pid,
        go: Some(go_w),
    };
    let mut buf = [0u8; REPORT_LEN];
    let got = read_exact(&rep_r, &mut buf);
    drop(rep_r);
    let report = match got {
        Ok(true) => decode_report(&buf),
        Ok(false) => {
            let _ = child.release();
            return Err(NsError::Protocol {
                pid: pid.as_raw(),
                why: "exited without a report".into(),
            });
        }
        Err(e) => {
            let _ = child.release();
            return Err(sys(format!("reading the report of child {pid}"))(e));
        }
    };
    match report {
        Ok(info) => child.info = info,
        Err((stage, errno)) => {
            let _ = child.release();
            return Err(NsError::Child {
                pid: pid.as_raw(),
                stage,
                errno,
            });
        }
    }
    if hold == Hold::ExitAtOnce {
        child.release()?;
    }
    Ok(child)
}

/// Makes uid and gid 0 of the new user namespace the ones this process had before
/// (`unshare -r`), so that it may create a user namespace in it.
fn map_root(uid: u32, gid: u32) -> ChildResult<()> {
    let w = |path: &str, text: String| {
        std::fs::write(path, text)
            .map_err(|e| (Stage::IdMap, Errno::from_raw(e.raw_os_error().unwrap_or(0))))
    };
    w("/proc/self/uid_map", format!("0 {uid} 1"))?;
    w("/proc/self/setgroups", "deny".into())?;
    w("/proc/self/gid_map", format!("0 {gid} 1"))
}

/// One level of [`nested_userns`]: status, errno, level, pid, identity.
const LEVEL_LEN: usize = 1 + 4 + 4 + 4 + 16;

fn nested_level(level: usize, depth: usize, rep: &OwnedFd, go: &OwnedFd) -> i32 {
    let uid = nix::unistd::geteuid().as_raw();
    let gid = nix::unistd::getegid().as_raw();
    let made = unshare(CloneFlags::CLONE_NEWUSER)
        .map_err(|e| (Stage::Unshare, e))
        .and_then(|()| map_root(uid, gid))
        .and_then(|()| {
            ns_ident(None, NsKind::User).map_err(|e| {
                let errno = match e {
                    NsError::Sys { errno, .. } => errno,
                    _ => Errno::UnknownErrno,
                };
                (Stage::ReadIdentity, errno)
            })
        });
    let mut b = Vec::with_capacity(LEVEL_LEN);
    match &made {
        Ok(id) => {
            b.push(0);
            b.extend_from_slice(&0i32.to_ne_bytes());
            b.extend_from_slice(&(level as i32).to_ne_bytes());
            b.extend_from_slice(&getpid().as_raw().to_ne_bytes());
            b.extend_from_slice(&id.inum.to_ne_bytes());
            b.extend_from_slice(&id.id.to_ne_bytes());
        }
        Err((stage, errno)) => {
            b.push(stage.code());
            b.extend_from_slice(&(*errno as i32).to_ne_bytes());
            b.resize(LEVEL_LEN, 0);
        }
    }
    if made.is_err() || write_all(rep, &b).is_err() {
        return 1;
    }
    if level + 1 == depth {
        let mut x = [0u8; 1];
        let _ = read_exact(go, &mut x);
        return 0;
    }
    match fork_child(|| nested_level(level + 1, depth, rep, go)) {
        Ok(pid) => i32::from(!matches!(reap(pid), Ok(true))),
        Err(_) => {
            let mut f = vec![Stage::Fork.code()];
            f.extend_from_slice(&(Errno::last() as i32).to_ne_bytes());
            f.resize(LEVEL_LEN, 0);
            let _ = write_all(rep, &f);
            1
        }
    }
}

/// User namespaces created one inside the other.
#[derive(Debug)]
pub struct Nested {
    /// For each level from the outermost: the pid of the process that created it and its
    /// identity.
    pub levels: Vec<(i32, NsIdent)>,
    child: Child,
}

impl Nested {
    /// Lets every process exit and reaps them.
    pub fn release(&mut self) -> Result<(), NsError> {
        self.child.release()
    }
}

/// Creates `depth` nested user namespaces: a child unshares `CLONE_NEWUSER` (and maps root to
/// itself), forks the next, which does the same, and so on.  With [`Hold::UntilReleased`] they
/// live until [`Nested::release`] or drop.
pub fn nested_userns(depth: usize, hold: Hold) -> Result<Nested, NsError> {
    let (rep_r, rep_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let pid = fork_child(|| nested_level(0, depth, &rep_w, &go_r))?;
    drop(rep_w);
    drop(go_r);
    let mut nested = Nested {
        levels: Vec::new(),
        child: Child {
            info: Spawned {
                actor: pid.as_raw(),
                holder: pid.as_raw(),
                comm: Vec::new(),
                ns: BTreeMap::new(),
            },
            pid,
            go: Some(go_w),
        },
    };
    for level in 0..depth {
        let mut b = [0u8; LEVEL_LEN];
        let err = match read_exact(&rep_r, &mut b) {
            Ok(true) if b[0] == 0 && i32_at(&b, 5) == level as i32 => None,
            Ok(true) if b[0] == 0 => Some(NsError::Protocol {
                pid: pid.as_raw(),
                why: format!("level {} reported out of turn", i32_at(&b, 5)),
            }),
            Ok(true) => Some(NsError::Child {
                pid: pid.as_raw(),
                stage: Stage::from_code(b[0]),
                errno: Errno::from_raw(i32_at(&b, 1)),
            }),
            Ok(false) => Some(NsError::Protocol {
                pid: pid.as_raw(),
                why: format!("level {level} exited without a report"),
            }),
            Err(e) => Some(sys("reading the nested user namespace report")(e)),
        };
        if let Some(e) = err {
            let _ = nested.release();
            return Err(e);
        }
        nested.levels.push((
            i32_at(&b, 9),
            NsIdent {
                inum: u64_at(&b, 13),
                id: u64_at(&b, 21),
            },
        ));
    }
    if hold == Hold::ExitAtOnce {
        nested.release()?;
    }
    Ok(nested)
}

/// Forks a child that enters the namespace of `kind` that `path` names with setns(2) and exits;
/// returns the child's pid once it has been reaped.
pub fn setns_in_child(path: &Path, kind: NsKind) -> Result<i32, NsError> {
    let (rep_r, rep_w) = pipe()?;
    let path_owned = path.to_path_buf();
    let pid = fork_child(|| {
        let r: ChildResult<()> = File::open(&path_owned)
            .map_err(|e| (Stage::Setns, Errno::from_raw(e.raw_os_error().unwrap_or(0))))
            .and_then(|f| setns(&f, clone_flag(kind)).map_err(|e| (Stage::Setns, e)));
        let mut b = vec![0u8];
        b.extend_from_slice(&0i32.to_ne_bytes());
        if let Err((stage, errno)) = r {
            b[0] = stage.code();
            b[1..5].copy_from_slice(&(errno as i32).to_ne_bytes());
        }
        let _ = write_all(&rep_w, &b);
        i32::from(r.is_err())
    })?;
    drop(rep_w);
    let mut b = [0u8; 5];
    let got = read_exact(&rep_r, &mut b);
    let ok = reap(pid)?;
    match got {
        Ok(true) if b[0] == 0 && ok => Ok(pid.as_raw()),
        Ok(true) if b[0] != 0 => Err(NsError::Child {
            pid: pid.as_raw(),
            stage: Stage::from_code(b[0]),
            errno: Errno::from_raw(i32_at(&b, 1)),
        }),
        Ok(_) => Err(NsError::Protocol {
            pid: pid.as_raw(),
            why: "setns child failed without a report".into(),
        }),
        Err(e) => Err(sys("reading the setns report")(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ns_get_id_request_code() {
        assert_eq!(nix::request_code_read!(0xb7, 0x0d, 8), NS_GET_ID);
    }

    #[test]
    fn clone_flags_of_kinds() {
        assert_eq!(clone_flags(&[]), CloneFlags::empty());
        assert_eq!(
            clone_flags(&NsKind::ALL).bits(),
            libc::CLONE_NEWNS
                | libc::CLONE_NEWUTS
                | libc::CLONE_NEWIPC
                | libc::CLONE_NEWUSER
                | libc::CLONE_NEWPID
                | libc::CLONE_NEWNET
        );
        assert_eq!(clone_flag(NsKind::Mnt).bits(), 0x0002_0000);
        assert_eq!(clone_flag(NsKind::Net).bits(), 0x4000_0000);
    }

    #[test]
    fn reports_round_trip() {
        let mut ns = BTreeMap::new();
        for (i, k) in NsKind::ALL.into_iter().enumerate() {
            let i = i as u64;
            ns.insert(
                k,
                NsIdent {
                    inum: 4026531840 + i,
                    id: 1 << (40 + i),
                },
            );
        }
        let s = Spawned {
            actor: 1234,
            holder: 1235,
            comm: b"x \"=type=AVC m".to_vec(),
            ns,
        };
        assert_eq!(decode_report(&encode_report(&Ok(s.clone()))), Ok(s));
        let e = decode_report(&encode_report(&Err((Stage::Unshare, Errno::EPERM))));
        assert_eq!(e, Err((Stage::Unshare, Errno::EPERM)));
    }

    #[test]
    fn stage_codes_round_trip() {
        for c in 0..=255u8 {
            assert_eq!(Stage::from_code(c).code(), c);
        }
        assert_eq!(Stage::Setns.to_string(), "setns");
    }
}
