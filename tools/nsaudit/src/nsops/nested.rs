// SPDX-License-Identifier: GPL-2.0

//! Nested user namespaces, one process per level, and setns(2) in a child.

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

/// One level of [`nested_userns`]: status, errno, level, pid, identity.
pub(super) const LEVEL_LEN: usize = 1 + 4 + 4 + 4 + 16;

pub(super) fn nested_level(level: usize, depth: usize, rep: &OwnedFd, go: &OwnedFd) -> i32 {
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
