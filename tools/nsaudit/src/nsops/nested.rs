// SPDX-License-Identifier: GPL-2.0

//! Namespaces made one from the other: nested, one process per level, or unshared again and
//! again by one process; and setns(2) in a child.

use super::*;

/// Makes uid and gid 0 of the new user namespace the ones this process had before
/// (`unshare -r`), so that it may create a user namespace in it.
pub(super) fn map_root(uid: u32, gid: u32) -> ChildResult<()> {
    let w = |path: &str, text: String| {
        std::fs::write(path, text)
            .map_err(|e| (Stage::IdMap, Errno::from_raw(e.raw_os_error().unwrap_or(0))))
    };
    w("/proc/self/uid_map", format!("0 {uid} 1"))?;
    w("/proc/self/setgroups", "deny".into())?;
    w("/proc/self/gid_map", format!("0 {gid} 1"))
}

/// One level on the pipe: status, errno, level, pid, identity.
pub(super) const LEVEL_LEN: usize = 1 + 4 + 4 + 4 + 16;

/// The report of level `level`: the namespace it made, or the step that failed.
fn level_report(level: usize, made: &ChildResult<NsIdent>) -> [u8; LEVEL_LEN] {
    let mut b = Vec::with_capacity(LEVEL_LEN);
    match made {
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
        }
    }
    let mut out = [0u8; LEVEL_LEN];
    out[..b.len()].copy_from_slice(&b);
    out
}

/// Unshares `kind` and reads the identity of the namespace made: the caller's own, or for a
/// time namespace the one for its children ([`NsKind::for_children_file`]).  A new user
/// namespace gets root mapped to the caller's ids.
fn unshare_one(kind: NsKind) -> ChildResult<NsIdent> {
    let uid = nix::unistd::geteuid().as_raw();
    let gid = nix::unistd::getegid().as_raw();
    unshare(clone_flag(kind)).map_err(|e| (Stage::Unshare, e))?;
    if kind == NsKind::User {
        map_root(uid, gid)?;
    }
    ident::ns_idents_one(None, kind.for_children_file()).map_err(|e| {
        let errno = match e {
            NsError::Sys { errno, .. } => errno,
            NsError::Io { source, .. } => Errno::from_raw(source.raw_os_error().unwrap_or(0)),
            _ => Errno::UnknownErrno,
        };
        (Stage::ReadIdentity, errno)
    })
}

/// Waits for the go byte, or for the end of file when the parent is gone.
fn wait_go(go: &OwnedFd) {
    let mut x = [0u8; 1];
    let _ = read_exact(go, &mut x);
}

pub(super) fn nested_level(
    kind: NsKind,
    level: usize,
    depth: usize,
    rep: &OwnedFd,
    go: &OwnedFd,
) -> i32 {
    let made = unshare_one(kind);
    if write_all(rep, &level_report(level, &made)).is_err() || made.is_err() {
        return 1;
    }
    if level + 1 == depth {
        wait_go(go);
        return 0;
    }
    match fork_child(|| nested_level(kind, level + 1, depth, rep, go)) {
        Ok(pid) => i32::from(!matches!(reap(pid), Ok(true))),
        Err(_) => {
            let _ = write_all(
                rep,
                &level_report(level, &Err((Stage::Fork, Errno::last()))),
            );
            1
        }
    }
}

/// The body of [`unshare_repeatedly`]'s child.
fn repeated(kind: NsKind, times: usize, rep: &OwnedFd, go: &OwnedFd) -> i32 {
    for level in 0..times {
        let made = unshare_one(kind);
        if write_all(rep, &level_report(level, &made)).is_err() || made.is_err() {
            return 1;
        }
    }
    wait_go(go);
    0
}

/// Namespaces of one kind, each made from the one before.
#[derive(Debug)]
pub struct Nested {
    /// For each level from the first: the pid of the process that created it and its identity.
    pub levels: Vec<(i32, NsIdent)>,
    child: Child,
}

impl Nested {
    /// Lets every process exit and reaps them.
    pub fn release(&mut self) -> Result<(), NsError> {
        self.child.release()
    }
}

/// Forks a child that runs `body` with the write end of the report pipe and the read end of
/// the go pipe, and reads `depth` level reports from it.
fn levels(
    depth: usize,
    hold: Hold,
    body: impl FnOnce(&OwnedFd, &OwnedFd) -> i32,
) -> Result<Nested, NsError> {
    let (rep_r, rep_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let pid = fork_child(|| body(&rep_w, &go_r))?;
    drop(rep_w);
    drop(go_r);
    let mut nested = Nested {
        levels: Vec::new(),
        child: Child::new(pid, go_w),
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
            Err(e) => Some(sys("reading the report of a level")(e)),
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

/// Creates `depth` nested namespaces of `kind`, one process per level: a child unshares the
/// kind (a user namespace with root mapped to itself), forks the next, which does the same, and
/// so on, each inside the one before.  For the kinds the caller enters
/// ([`NsKind::enters_on_unshare`]).  With [`Hold::UntilReleased`] they live until
/// [`Nested::release`] or drop.
pub fn nested(kind: NsKind, depth: usize, hold: Hold) -> Result<Nested, NsError> {
    if !kind.enters_on_unshare() {
        return Err(NsError::Sys {
            what: format!("nesting {} namespaces one process per level", kind.name()),
            errno: Errno::EINVAL,
        });
    }
    levels(depth, hold, |rep, go| nested_level(kind, 0, depth, rep, go))
}

/// Creates `times` namespaces of `kind` in one child, which unshares the kind again and again:
/// each is made from the one before, which the child gives up.  For a time namespace that is
/// the one for its children: the second `unshare(CLONE_NEWTIME)` derives from the first, and
/// drops it unless something else holds it.  Not for PID namespaces, which a task unshares
/// once.  With [`Hold::UntilReleased`] the child lives until [`Nested::release`] or drop.
pub fn unshare_repeatedly(kind: NsKind, times: usize, hold: Hold) -> Result<Nested, NsError> {
    levels(times, hold, |rep, go| repeated(kind, times, rep, go))
}

/// Forks a child that enters the namespace of `kind` that `path` names with setns(2) and exits;
/// returns the child's pid once it has been reaped.  The child has a single thread, which
/// entering a time namespace needs.
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
