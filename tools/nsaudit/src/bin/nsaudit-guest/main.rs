// SPDX-License-Identifier: GPL-2.0

//! The `nsaudit-guest` command, the kernel developer's harness of the QEMU guest: it loads
//! and unloads ns_audit.ko, becomes the audit daemon, floods audit with namespaces and checks
//! every record.  It changes the machine it runs on: run it as root in a test guest, never on
//! a host in use.  The auditor's commands are `nsaudit`'s.

mod cmd;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nsaudit-guest",
    version,
    about = "The test harness of the nsaudit guest: validate, stress and measure the namespace \
             records (root, in a test guest; it loads modules and becomes the audit daemon)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load ns_audit.ko, create and destroy namespaces, and check every record.
    ///
    /// Load ns_audit.ko, create and destroy namespaces, and check every record (root, in the
    /// guest; it becomes the audit daemon, or reads beside auditd with --beside-auditd).
    #[command(mut_arg("module", |a| a.help("The module to load and unload")))]
    Validate(cmd::validate::Args),
    /// Create and drop one namespace of each type and print the records.
    ///
    /// Create and drop one namespace of each type and print the records (root, in the guest).
    #[command(mut_arg("module", |a| a.help("The module to load if it is not loaded")))]
    Demo(cmd::demo::Args),
    /// Churn namespaces while loading and unloading ns_audit.ko, then account for every record.
    ///
    /// Churn namespaces while loading and unloading ns_audit.ko, toggling audit and stalling
    /// the reader, then account for every record (root, in the debug guest).
    #[command(mut_arg("module", |a| a.help("The module to load and unload")))]
    Stress(cmd::stress::Args),
    /// Measure what auditing namespaces costs.
    ///
    /// Measure what auditing namespaces costs: create+destroy cycles per second per type with
    /// and without the module, audit rules instead, audited system call events with the
    /// AUDIT_NS_INFO record on and off, records per second, memory (root, in the guest; it
    /// loads and unloads the module and runs the audit daemon).
    #[command(mut_arg("module", |a| a.help("The module to load and unload")))]
    Bench(cmd::bench::Args),
    /// Flood audit with namespaces from unprivileged processes: audit must lose nothing.
    ///
    /// Flood audit with namespaces from unprivileged processes while the audit daemon reads
    /// slowly: every INIT and DEL must arrive and audit must lose nothing (root, in the guest;
    /// it becomes the audit daemon and restores audit's status at the end).  Exits 0 if so, 1
    /// if not.
    Flood(cmd::flood::Args),
    /// Load the module while thousands of namespaces are alive: one op=existing record each.
    ///
    /// Load the module while thousands of UTS and IPC namespaces are alive, with a small
    /// backlog and a slow audit daemon: every one must get one op=existing record naming the
    /// loading process, and audit must lose nothing (root, in the guest).  Exits 0 if so, 1 if
    /// not.
    #[command(mut_arg("module", |a| a.help("The module to load (it is unloaded first if it is loaded, and at the end)")))]
    Snapshot(cmd::snapshot::Args),
    /// Check that every record the validator received is in auditd's log.
    ///
    /// Check that every record of RECEIVED (validate --beside-auditd --log) is in LOG, the
    /// audit daemon's log: same type (by number or auditd's name), same stamp, same fields; EOE
    /// records aside, which auditd does not write.  Exits 0 if so, 1 if not.
    CompareLog(cmd::compare_log::Args),
    /// Check the report of a log against the containers the runtimes ran.
    ///
    /// Check the report of auditd's LOG against the containers that scripts/guest-runtimes ran
    /// (its manifest): one container per run, with the namespaces /proc showed, its name, every
    /// execve of its tasks inside it and no host-side one, ended when deleted, and the plugin's
    /// lines alike. Exits 1 if a check fails (in the guest's tests).
    #[command(hide = true)]
    CheckRuntimes(cmd::check_runtimes::Args),
    /// Run a command as the audit daemon and record every record (the report's fixtures).
    ///
    /// Run `sh -c CMD` as the audit daemon with rules on the namespace, process and kill system
    /// calls and write every record to FILE (root, in the guest; records the report's
    /// fixtures).
    #[command(hide = true)]
    #[command(mut_arg("module", |a| a.help("The module to load if it is not loaded")))]
    ReportCapture(cmd::report_capture::Args),
}

/// Reports an argument that clap let through but the options refuse, as clap does: exit 2.
fn usage_error(msg: &str) -> ! {
    Cli::command()
        .error(clap::error::ErrorKind::ValueValidation, msg)
        .exit()
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().cmd {
        Cmd::Validate(args) => cmd::validate::run(args),
        Cmd::Demo(args) => cmd::demo::run(args),
        Cmd::Stress(args) => cmd::stress::run(args),
        Cmd::Bench(args) => cmd::bench::run(args),
        Cmd::Flood(args) => cmd::flood::run(args),
        Cmd::Snapshot(args) => cmd::snapshot::run(args),
        Cmd::CompareLog(args) => cmd::compare_log::run(args),
        Cmd::CheckRuntimes(args) => cmd::check_runtimes::run(args),
        Cmd::ReportCapture(args) => cmd::report_capture::run(args),
    }
}
