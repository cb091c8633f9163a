// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest report-capture`: record an auditd-format log of a command for the report.
//!
//! Becomes the audit daemon, loads `always,exit` rules for the system calls that create, join
//! and leave namespaces, run programs and kill tasks, loads the module if it is not loaded (so
//! the log starts with its `op=existing` records), runs `sh -c CMD`, and writes every record
//! received until the command has exited and no record came for [`QUIET`].  A kernel that
//! writes `AUDIT_NS_INFO` adds one to each event of a task in namespaces.  This is how the report's
//! fixtures were recorded in the guest; it needs root and is not for production use (auditd
//! does this job there).

use crate::audit::{AuditError, AuditSocket, Rule, AUDIT_ARCH_X86_64};
use crate::daemon::BACKLOG_LIMIT;
use crate::guest::module_loaded;
use crate::record::format_log_line;
use crate::syscall::{
    SYS_CLONE, SYS_CLONE3, SYS_EXECVE, SYS_EXIT_GROUP, SYS_FORK, SYS_KILL, SYS_SETNS, SYS_UNSHARE,
    SYS_VFORK,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use thiserror::Error;

/// x86_64 system calls that get a `SYSCALL` record in the capture: clone, fork, vfork,
/// execve, kill, exit_group, setns, unshare, clone3.  `kill` shows which task was killed
/// (`a0`), which leaves no `exit_group` record.
pub const CAPTURED_SYSCALLS: [u32; 9] = [
    SYS_CLONE,
    SYS_FORK,
    SYS_VFORK,
    SYS_EXECVE,
    SYS_KILL,
    SYS_EXIT_GROUP,
    SYS_SETNS,
    SYS_UNSHARE,
    SYS_CLONE3,
];

/// How long the log must stay quiet after the command exits before the capture ends.
pub const QUIET: Duration = Duration::from_secs(2);

/// What to capture.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// The module to load if it is not loaded.
    pub module: PathBuf,
    /// The shell command to run.
    pub command: String,
    /// Give up waiting for quiet after this long.
    pub timeout: Duration,
}

#[derive(Debug, Error)]
pub enum CaptureError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("insmod {module}: {why}")]
    Insmod { module: String, why: String },
    #[error("cannot run sh -c {command:?}: {why}")]
    Spawn { command: String, why: String },
    #[error("cannot write the log: {0}")]
    Output(#[from] std::io::Error),
}

fn rules() -> impl Iterator<Item = Rule> {
    CAPTURED_SYSCALLS
        .into_iter()
        .map(|syscall| Rule::AlwaysExit {
            arch: AUDIT_ARCH_X86_64,
            syscall,
        })
}

fn capture<W: Write>(
    sock: &mut AuditSocket,
    opts: &CaptureOptions,
    out: &mut W,
) -> Result<bool, CaptureError> {
    let write = |recs: Vec<(u16, String)>, out: &mut W| -> std::io::Result<usize> {
        for (ty, text) in &recs {
            writeln!(out, "{}", format_log_line(*ty, text))?;
        }
        Ok(recs.len())
    };
    if !module_loaded() {
        let module = opts.module.to_string_lossy().into_owned();
        let o = Command::new("insmod")
            .arg(&module)
            .output()
            .map_err(|e| CaptureError::Insmod {
                module: module.clone(),
                why: e.to_string(),
            })?;
        if !o.status.success() {
            return Err(CaptureError::Insmod {
                module,
                why: String::from_utf8_lossy(&o.stderr).trim().to_string(),
            });
        }
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&opts.command)
        .spawn()
        .map_err(|e| CaptureError::Spawn {
            command: opts.command.clone(),
            why: e.to_string(),
        })?;
    let start = Instant::now();
    let mut status = None;
    let mut quiet_since = Instant::now();
    loop {
        let n = write(sock.recv_records(Duration::from_millis(100))?, out)?;
        if n > 0 {
            quiet_since = Instant::now();
        }
        if status.is_none() {
            status = child.try_wait()?;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= QUIET || start.elapsed() >= opts.timeout {
            break;
        }
    }
    out.flush()?;
    Ok(status.is_some_and(|s| s.success()))
}

/// Runs the capture, writing the log to `out`; returns whether the command succeeded.  Leaves
/// the daemon role and the rules behind in any case.
pub fn run_capture<W: Write>(opts: &CaptureOptions, out: &mut W) -> Result<bool, CaptureError> {
    let mut sock = AuditSocket::open()?;
    sock.become_daemon(BACKLOG_LIMIT)?;
    let mut added = Vec::new();
    let mut result = Ok(false);
    for rule in rules() {
        match sock.add_rule(&rule) {
            Ok(()) => added.push(rule),
            Err(e) => {
                result = Err(e.into());
                break;
            }
        }
    }
    if result.is_ok() {
        result = capture(&mut sock, opts, out);
    }
    let deleted: Result<Vec<()>, _> = added.iter().map(|r| sock.del_rule(r)).collect();
    let released = sock.release_daemon();
    let ok = result?;
    deleted?;
    released?;
    Ok(ok)
}
