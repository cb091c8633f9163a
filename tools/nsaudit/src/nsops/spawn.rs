// SPDX-License-Identifier: GPL-2.0

//! A child process that creates namespaces and reports them over a pipe.

use super::*;

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
    /// and time namespaces for children ([`NsKind::for_children_file`]), which are the ones
    /// created.
    pub ns: BTreeMap<NsKind, NsIdent>,
    /// The actor's own namespaces after the call (`/proc/self/ns/<t>`): after `unshare` the
    /// new ones of the kinds the caller enters ([`NsKind::enters_on_unshare`]) and its
    /// namespaces of before of the others; after `clone3` all its namespaces of before.
    pub actor_ns: BTreeMap<NsKind, NsIdent>,
}

/// A child that waits for [`Child::release`]; dropping it releases it too.
#[derive(Debug)]
pub struct Child {
    pub info: Spawned,
    pid: Pid,
    go: Option<OwnedFd>,
}

impl Child {
    /// The child `pid`, released by closing `go`, before it has reported.
    pub(super) fn new(pid: Pid, go: OwnedFd) -> Self {
        Child {
            info: Spawned {
                actor: pid.as_raw(),
                holder: pid.as_raw(),
                comm: Vec::new(),
                ns: BTreeMap::new(),
                actor_ns: BTreeMap::new(),
            },
            pid,
            go: Some(go),
        }
    }

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

/// Where the identities start in a report: after status, errno, actor and holder.
const IDENTS_AT: usize = 1 + 4 + 4 + 4;

/// The size of the identities of every kind (inode number and id each): [`Spawned::ns`], then
/// [`Spawned::actor_ns`].
const IDENTS_LEN: usize = NsKind::COUNT * 16;

/// Where the comm starts in a report (its length, then 16 bytes).
const COMM_AT: usize = IDENTS_AT + 2 * IDENTS_LEN;

/// Size of [`Spawned`] on the pipe.
pub(super) const REPORT_LEN: usize = COMM_AT + 1 + 16;

pub(super) fn encode_report(r: &ChildResult<Spawned>) -> [u8; REPORT_LEN] {
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
            for map in [&s.ns, &s.actor_ns] {
                for k in NsKind::ALL {
                    let id = map.get(&k).copied().unwrap_or(NsIdent { inum: 0, id: 0 });
                    buf.extend_from_slice(&id.inum.to_ne_bytes());
                    buf.extend_from_slice(&id.id.to_ne_bytes());
                }
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

pub(super) fn i32_at(b: &[u8], o: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[o..o + 4]);
    i32::from_ne_bytes(a)
}

pub(super) fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_ne_bytes(a)
}

/// The identities of every kind written from offset `at` of a report.
fn idents_at(b: &[u8], at: usize) -> BTreeMap<NsKind, NsIdent> {
    NsKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let o = at + i * 16;
            (
                k,
                NsIdent {
                    inum: u64_at(b, o),
                    id: u64_at(b, o + 8),
                },
            )
        })
        .collect()
}

pub(super) fn decode_report(b: &[u8; REPORT_LEN]) -> ChildResult<Spawned> {
    if b[0] != 0 {
        return Err((Stage::from_code(b[0]), Errno::from_raw(i32_at(b, 1))));
    }
    let comm_len = usize::from(b[COMM_AT]).min(16);
    Ok(Spawned {
        actor: i32_at(b, 5),
        holder: i32_at(b, 9),
        comm: b[COMM_AT + 1..COMM_AT + 1 + comm_len].to_vec(),
        ns: idents_at(b, IDENTS_AT),
        actor_ns: idents_at(b, IDENTS_AT + IDENTS_LEN),
    })
}

/// The kernel's `comm` of this task, without the newline.
pub(super) fn own_comm() -> ChildResult<Vec<u8>> {
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

pub(super) fn child_idents(
    pid: Option<i32>,
    for_children: bool,
) -> ChildResult<BTreeMap<NsKind, NsIdent>> {
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
pub(super) struct CloneArgs {
    pub(super) flags: u64,
    pub(super) pidfd: u64,
    pub(super) child_tid: u64,
    pub(super) parent_tid: u64,
    pub(super) exit_signal: u64,
    pub(super) stack: u64,
    pub(super) stack_size: u64,
    pub(super) tls: u64,
}

/// `clone3` without a new stack (like fork): the child's pid in the parent, 0 in the child.
pub(super) fn clone3(flags: CloneFlags) -> Result<i32, Errno> {
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
pub(super) fn actor(
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
                let actor_ns = child_idents(None, false)?;
                let comm = own_comm()?;
                Ok((
                    Spawned {
                        actor: me,
                        holder: me,
                        comm,
                        ns,
                        actor_ns,
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
                let actor_ns = child_idents(None, false)?;
                let comm = own_comm()?;
                Ok((
                    Spawned {
                        actor: me,
                        holder: pid,
                        comm,
                        ns,
                        actor_ns,
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
/// namespace cannot be opened (it is still the namespace the records are about).  A child that
/// unshares a time namespace stays outside it, like one that unshares a PID namespace: it is
/// reported as `time_for_children`.  With
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
    let mut child = Child::new(pid, go_w);
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
