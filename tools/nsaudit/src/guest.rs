// SPDX-License-Identifier: GPL-2.0

//! The guest's processes and the module: loading and unloading `ns_audit.ko`, running a
//! command, forking a child that leaves through `_exit`, reaping it, and making room for open
//! files.  Shared by the subcommands that run in the guest.
//!
//! Audit never applies backpressure to the audit daemon's own records (`audit_log_start()`
//! skips the backlog check for it), so whatever must be audited like any other task (a module
//! load, namespace churn) runs in a forked child, never in the daemon itself.

use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use thiserror::Error;

/// What can go wrong here.
#[derive(Debug, Error)]
pub enum GuestError {
    #[error("{what}: {errno}")]
    Sys { what: String, errno: Errno },
    #[error("{cmd}: {why}")]
    Command { cmd: String, why: String },
}

fn sys(what: impl Into<String>) -> impl FnOnce(Errno) -> GuestError {
    let what = what.into();
    move |errno| GuestError::Sys { what, errno }
}

/// `--module`, the option of every subcommand that loads the module.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ModulePath {
    /// The module to load.
    #[arg(long, default_value = "/lib/modules/ns_audit.ko")]
    pub module: std::path::PathBuf,
}

/// The module a test loads, as the command line gives it.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ModuleArgs {
    #[command(flatten)]
    pub path: ModulePath,
    /// Do not load (nor unload) the module: test the one loaded, if any.
    #[arg(long)]
    pub no_load: bool,
}

/// Whether `ns_audit` is loaded.
pub fn module_loaded() -> bool {
    Path::new("/sys/module/ns_audit").exists()
}

/// Runs `prog` with `args` and waits for it; returns its pid, or as the error what it printed.
pub fn run_cmd(prog: &str, args: &[&str]) -> Result<i32, GuestError> {
    let cmd = format!("{prog} {}", args.join(" "));
    let run = Command::new(prog)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|c| {
            let pid = i32::try_from(c.id()).unwrap_or(-1);
            c.wait_with_output().map(|o| (pid, o))
        });
    match run {
        Ok((pid, o)) if o.status.success() => Ok(pid),
        Ok((_, o)) => Err(GuestError::Command {
            cmd,
            why: format!(
                "{}: {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        }),
        Err(e) => Err(GuestError::Command {
            cmd,
            why: format!("cannot run it: {e}"),
        }),
    }
}

/// `finit_module(2)` of the module file `path` with `params`.
pub fn finit_module(path: &Path, params: &str) -> Result<(), std::io::Error> {
    let f = File::open(path)?;
    let params = CString::new(params)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: finit_module(2) reads the open file and the NUL-terminated parameter string,
    // both alive for the call.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, f.as_raw_fd(), params.as_ptr(), 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// [`finit_module`] in a forked child, as `insmod` would do it: the load is audited like any
/// other task's, never the caller's (the audit daemon).  `Ok(Err(errno))` when the load
/// failed.
pub fn finit_module_in_child(path: &Path, params: &str) -> Result<Result<(), Errno>, GuestError> {
    let pid = fork_child(|| match finit_module(path, params) {
        Ok(()) => 0,
        Err(e) => e.raw_os_error().unwrap_or(255).clamp(1, 255),
    })?;
    match reap_status(pid)? {
        Some(0) => Ok(Ok(())),
        Some(errno) => Ok(Err(Errno::from_raw(errno))),
        None => Err(GuestError::Command {
            cmd: format!("finit_module {} {params}", path.display()),
            why: "the loading process was killed by a signal".into(),
        }),
    }
}

/// `delete_module(2)` of `ns_audit`, again while it is busy.
pub fn delete_module() -> Result<(), std::io::Error> {
    let name = c"ns_audit";
    loop {
        // SAFETY: delete_module(2) reads the NUL-terminated name, alive for the call.
        let r = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EBUSY) | Some(libc::EINTR) => {
                std::thread::sleep(Duration::from_millis(5))
            }
            _ => return Err(e),
        }
    }
}

/// Leaves a forked child without running anything of the parent's (destructors, atexit, stdio
/// buffers).
pub fn child_exit(status: i32) -> ! {
    // SAFETY: _exit only ends the process.
    unsafe { libc::_exit(status) }
}

/// Forks; the child runs `body` and leaves through [`child_exit`] with its status.
///
/// The callers are single-threaded, so the child may do anything the parent could.
pub fn fork_child(body: impl FnOnce() -> i32) -> Result<Pid, GuestError> {
    // SAFETY: the process is single-threaded, so the child may do anything the parent could;
    // it never returns into the parent's code but leaves through `_exit`.
    match unsafe { fork() }.map_err(sys("fork"))? {
        ForkResult::Child => {
            let status = body();
            child_exit(status)
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// Waits for `pid`, again after `EINTR`; true if it exited with status 0.
pub fn reap(pid: Pid) -> Result<bool, GuestError> {
    reap_status(pid).map(|s| s == Some(0))
}

/// Waits for `pid`; its exit status, [`None`] if a signal ended it.
pub fn reap_status(pid: Pid) -> Result<Option<i32>, GuestError> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(Some(code)),
            Ok(WaitStatus::Signaled(..)) => return Ok(None),
            Ok(_) => {}
            Err(Errno::EINTR) => {}
            Err(e) => return Err(sys(format!("waitpid {pid}"))(e)),
        }
    }
}

/// Whether `pid` has ended, without waiting: [`None`] while it runs, its exit status (or
/// `Some(None)` for a signal) once it has ended and is reaped.
pub fn try_reap(pid: Pid) -> Result<Option<Option<i32>>, GuestError> {
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return Ok(None),
            Ok(WaitStatus::Exited(_, code)) => return Ok(Some(Some(code))),
            Ok(WaitStatus::Signaled(..)) => return Ok(Some(None)),
            Ok(_) => return Ok(None),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(sys(format!("waitpid {pid}"))(e)),
        }
    }
}

/// Makes room for `n` open files; root may raise the hard limit.
pub fn raise_fd_limit(n: u64) -> Result<(), GuestError> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one struct rlimit to `lim`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(sys("getrlimit(RLIMIT_NOFILE)")(Errno::last()));
    }
    if lim.rlim_cur >= n {
        return Ok(());
    }
    lim.rlim_cur = n;
    lim.rlim_max = lim.rlim_max.max(n);
    // SAFETY: setrlimit reads one struct rlimit from `lim`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(sys(format!("setrlimit(RLIMIT_NOFILE, {n})"))(Errno::last()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_report_their_status() {
        let ok = fork_child(|| 0).unwrap();
        assert!(reap(ok).unwrap());
        let bad = fork_child(|| 3).unwrap();
        assert_eq!(reap_status(bad).unwrap(), Some(3));
        let slow = fork_child(|| {
            std::thread::sleep(Duration::from_millis(200));
            0
        })
        .unwrap();
        assert_eq!(try_reap(slow).unwrap(), None);
        assert!(reap(slow).unwrap());
    }

    #[test]
    fn commands_give_their_pid_or_their_complaint() {
        assert!(run_cmd("true", &[]).unwrap() > 0);
        let e = run_cmd("sh", &["-c", "echo nope >&2; exit 4"]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        assert!(run_cmd("/nonexistent/prog", &[]).is_err());
    }

    #[test]
    fn a_load_in_a_child_reports_its_errno() {
        // Opening the file fails before any system call that loads.
        let r = finit_module_in_child(Path::new("/nonexistent/ns_audit.ko"), "types=0x40");
        assert_eq!(r.unwrap(), Err(Errno::ENOENT));
    }

    #[test]
    fn the_fd_limit_stays_when_it_is_high_enough() {
        assert!(raise_fd_limit(16).is_ok());
    }
}
