// SPDX-License-Identifier: GPL-2.0

//! x86_64 system calls: the numbers nsaudit uses in audit rules and reads in `SYSCALL` records,
//! and the names the report prints.  The one table of them; a test checks it against libc.

/// `AUDIT_ARCH_X86_64` as a `SYSCALL` record writes it (`arch=c000003e`).
pub const ARCH_X86_64: &str = "c000003e";

pub const SYS_GETPID: u32 = 39;
pub const SYS_CLONE: u32 = 56;
pub const SYS_FORK: u32 = 57;
pub const SYS_VFORK: u32 = 58;
pub const SYS_EXECVE: u32 = 59;
pub const SYS_KILL: u32 = 62;
pub const SYS_UNAME: u32 = 63;
pub const SYS_GETPPID: u32 = 110;
pub const SYS_EXIT_GROUP: u32 = 231;
pub const SYS_KEXEC_LOAD: u32 = 246;
pub const SYS_OPENAT: u32 = 257;
pub const SYS_UNSHARE: u32 = 272;
pub const SYS_SETNS: u32 = 308;
pub const SYS_EXECVEAT: u32 = 322;
pub const SYS_CLONE3: u32 = 435;

/// The names the report prints, by number.
const NAMES: [(u32, &str); 23] = [
    (0, "read"),
    (1, "write"),
    (2, "open"),
    (SYS_GETPID, "getpid"),
    (44, "sendto"),
    (SYS_CLONE, "clone"),
    (SYS_FORK, "fork"),
    (SYS_VFORK, "vfork"),
    (SYS_EXECVE, "execve"),
    (60, "exit"),
    (SYS_KILL, "kill"),
    (SYS_UNAME, "uname"),
    (SYS_GETPPID, "getppid"),
    (165, "mount"),
    (175, "init_module"),
    (SYS_EXIT_GROUP, "exit_group"),
    (SYS_OPENAT, "openat"),
    (SYS_UNSHARE, "unshare"),
    (SYS_SETNS, "setns"),
    (313, "finit_module"),
    (SYS_EXECVEAT, "execveat"),
    (428, "open_tree"),
    (SYS_CLONE3, "clone3"),
];

/// The name of system call `nr` of the record's `arch=`, when that is x86_64 and the number is
/// one nsaudit knows.
pub fn name(arch: Option<&str>, nr: u32) -> Option<&'static str> {
    if arch != Some(ARCH_X86_64) {
        return None;
    }
    NAMES.iter().find(|(n, _)| *n == nr).map(|(_, s)| *s)
}

/// The x86_64 number of system call `name`, when nsaudit knows it.
pub fn number(name: &str) -> Option<u32> {
    NAMES.iter().find(|(_, s)| *s == name).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_libc() {
        assert_eq!(
            ARCH_X86_64,
            format!("{:x}", crate::audit::AUDIT_ARCH_X86_64)
        );
        for (nr, sys) in [
            (SYS_CLONE, libc::SYS_clone),
            (SYS_FORK, libc::SYS_fork),
            (SYS_VFORK, libc::SYS_vfork),
            (SYS_EXECVE, libc::SYS_execve),
            (SYS_EXECVEAT, libc::SYS_execveat),
            (SYS_EXIT_GROUP, libc::SYS_exit_group),
            (SYS_KEXEC_LOAD, libc::SYS_kexec_load),
            (SYS_UNSHARE, libc::SYS_unshare),
            (SYS_SETNS, libc::SYS_setns),
            (SYS_CLONE3, libc::SYS_clone3),
            (SYS_GETPID, libc::SYS_getpid),
            (SYS_KILL, libc::SYS_kill),
            (SYS_UNAME, libc::SYS_uname),
            (SYS_GETPPID, libc::SYS_getppid),
            (SYS_OPENAT, libc::SYS_openat),
        ] {
            assert_eq!(i64::from(nr), sys);
        }
        for (nr, sys) in [
            (0, libc::SYS_read),
            (1, libc::SYS_write),
            (2, libc::SYS_open),
            (44, libc::SYS_sendto),
            (60, libc::SYS_exit),
            (165, libc::SYS_mount),
            (175, libc::SYS_init_module),
            (313, libc::SYS_finit_module),
            (322, libc::SYS_execveat),
            (428, libc::SYS_open_tree),
        ] {
            assert_eq!(i64::from(nr), sys);
        }
        assert_eq!(name(Some(ARCH_X86_64), SYS_UNSHARE), Some("unshare"));
        assert_eq!(name(Some("40000003"), SYS_UNSHARE), None);
        assert_eq!(name(Some(ARCH_X86_64), 9999), None);
    }
}
