// SPDX-License-Identifier: GPL-2.0

//! Namespace identities (`NS_GET_ID`, the nsfs device) and the mounts that pin them.

use super::*;

/// The `CLONE_NEW*` flag of a namespace kind.  `CLONE_NEWTIME` (0x80) is a flag of
/// `unshare(2)`, `clone3(2)` and `setns(2)` only: in `clone(2)` that bit belongs to the exit
/// signal (`CSIGNAL`).
pub fn clone_flag(kind: NsKind) -> CloneFlags {
    match kind {
        NsKind::Mnt => CloneFlags::CLONE_NEWNS,
        NsKind::Uts => CloneFlags::CLONE_NEWUTS,
        NsKind::Ipc => CloneFlags::CLONE_NEWIPC,
        NsKind::User => CloneFlags::CLONE_NEWUSER,
        NsKind::Pid => CloneFlags::CLONE_NEWPID,
        NsKind::Net => CloneFlags::CLONE_NEWNET,
        NsKind::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        NsKind::Time => CloneFlags::from_bits_retain(libc::CLONE_NEWTIME),
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
pub(super) fn ns_path(pid: Option<i32>, file: &str) -> String {
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
/// `for_children`, the PID and time namespaces are those its children get (`pid_for_children`,
/// `time_for_children`: [`NsKind::for_children_file`]), which are the ones
/// `unshare(CLONE_NEWPID)` and `unshare(CLONE_NEWTIME)` create.
pub fn ns_idents(
    pid: Option<i32>,
    for_children: bool,
) -> Result<BTreeMap<NsKind, NsIdent>, NsError> {
    NsKind::ALL
        .iter()
        .map(|&k| {
            let file = if for_children {
                k.for_children_file()
            } else {
                k.name()
            };
            Ok((k, ns_idents_one(pid, file)?))
        })
        .collect()
}

pub(super) fn ns_idents_one(pid: Option<i32>, file: &str) -> Result<NsIdent, NsError> {
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
