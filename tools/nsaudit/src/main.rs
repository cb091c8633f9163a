// SPDX-License-Identifier: GPL-2.0

//! The `nsaudit` command: parses the command line and runs one subcommand of [`cmd`].

mod cmd;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "nsaudit", version, about = "Audit records of Linux namespaces")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load ns_audit.ko, create and destroy namespaces, and check every record (root, in the
    /// guest; it becomes the audit daemon, or reads beside auditd with --beside-auditd).
    #[command(mut_arg("module", |a| a.help("The module to load and unload")))]
    Validate(cmd::validate::Args),
    /// Create and drop one namespace of each type and print the records (root, in the guest).
    #[command(mut_arg("module", |a| a.help("The module to load if it is not loaded")))]
    Demo(cmd::demo::Args),
    /// Churn namespaces while loading and unloading ns_audit.ko, toggling audit and stalling
    /// the reader, then account for every record (root, in the debug guest).
    #[command(mut_arg("module", |a| a.help("The module to load and unload")))]
    Stress(cmd::stress::Args),
    /// Measure what auditing namespaces costs: create+destroy cycles per second per type with
    /// and without the module, audit rules instead, audited system call events with the
    /// AUDIT_NS_INFO record on and off, records per second, memory (root, in the guest; it loads
    /// and unloads the module and runs the audit daemon).
    #[command(mut_arg("module", |a| a.help("The module to load and unload")))]
    Bench(cmd::bench::Args),
    /// Flood audit with namespaces from unprivileged processes while the audit daemon reads
    /// slowly: every INIT and DEL must arrive and audit must lose nothing (root, in the guest;
    /// it becomes the audit daemon and restores audit's status at the end).  Exits 0 if so,
    /// 1 if not.
    Flood(cmd::flood::Args),
    /// Load the module while thousands of UTS and IPC namespaces are alive, with a small
    /// backlog and a slow audit daemon: every one must get one op=existing record naming the
    /// loading process, and audit must lose nothing (root, in the guest).  Exits 0 if so, 1 if
    /// not.
    #[command(mut_arg("module", |a| a.help("The module to load (it is unloaded first if it is loaded, and at the end)")))]
    Snapshot(cmd::snapshot::Args),
    /// Check the AUDIT_NS_* records of an auditd log against the reference: one field set per
    /// type, the subject in every record, agreeing with the event's SYSCALL record, the records
    /// of each task (subject pid) in serial order; and the AUDIT_NS_INFO records: the eight
    /// ids, at most one per event, in an event with a SYSCALL or URINGOP record.
    CheckLog(cmd::check_log::Args),
    /// Check that every record of RECEIVED (validate --beside-auditd --log) is in LOG, the
    /// audit daemon's log: same type (by number or auditd's name), same stamp, same fields;
    /// EOE records aside, which auditd does not write.  Exits 0 if so, 1 if not.
    CompareLog(cmd::compare_log::Args),
    /// Rebuild containers, namespace lineage and the events inside them from auditd logs.
    ///
    /// A container is the namespaces a runtime created for one run, however many calls it
    /// made (crun's clone and then unshare, runc init's stages), named by the stamp of the
    /// first and by the runtime's command line (crun run NAME); a container is nested only
    /// when a program that ran execve inside another created it. Events are attributed by
    /// their AUDIT_NS_INFO record: the innermost container whose namespaces the task is in,
    /// or, for namespaces created before the log (or left out of a filtered input), a
    /// container of unknown creation grouped by those ids. Without the record, by heuristic
    /// (the creating task, the clone's child and their children, by pid). See
    /// Documentation/report.rst. Exits 1 if a line could not be read (unless --lenient).
    Report(cmd::report::Args),
    /// Add (-a), delete (-d) or list (-l) audit rules as auditctl does, with the namespace
    /// fields mntns_id, utsns_id, ipcns_id, userns_id, pidns_id, netns_id, cgroupns_id and
    /// timens_id, or turn the AUDIT_NS_INFO record on or off (--ns-info on|off, the audit
    /// feature AUDIT_FEATURE_NS_INFO of series v7) (root; a kernel with the series).  Example:
    /// -a always,exit -S all -F mntns_id!=init audits every system call of tasks outside the
    /// initial mount namespace.
    Rules(cmd::rules::Args),
    /// An auditd plugin: read the records auditd gives its plugins (format = string) on
    /// standard input and write one JSON line per event with the container its task was in,
    /// as the report attributes it: the container's creation stamp, node and namespace ids,
    /// and how it was found. Memory is bounded (--max-containers per node); it never stops
    /// reading, and when its output is slower than auditd it counts the events it could not
    /// write and says so in the output. See Documentation/report.rst. Exits 1 at the end of
    /// the input if a line could not be read.
    Plugin(cmd::plugin::Args),
    /// Print the namespaces of process PID (inode number and NS_GET_ID): the ids of a running
    /// container, from its runtime's pid, for `nsaudit report --ns ID` and for audit rules
    /// (--format rule prints `-F mntns_id=ID ...` for auditctl).
    Id(cmd::id::Args),
    /// Check the report of auditd's LOG against the containers that scripts/guest-runtimes
    /// ran (its manifest): one container per run, with the namespaces /proc showed, its name,
    /// every execve of its tasks inside it and no host-side one, ended when deleted, and the
    /// plugin's lines alike. Exits 1 if a check fails (in the guest's tests).
    #[command(hide = true)]
    CheckRuntimes(cmd::check_runtimes::Args),
    /// Run `sh -c CMD` as the audit daemon with rules on the namespace, process and kill system
    /// calls and write every record to FILE (root, in the guest; records the report's fixtures).
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
        Cmd::CheckLog(args) => cmd::check_log::run(args),
        Cmd::CompareLog(args) => cmd::compare_log::run(args),
        Cmd::Report(args) => cmd::report::run(args),
        Cmd::Plugin(args) => cmd::plugin::run(args),
        Cmd::ReportCapture(args) => cmd::report_capture::run(args),
        Cmd::Rules(args) => cmd::rules::run(args),
        Cmd::Id(args) => cmd::id::run(args),
        Cmd::CheckRuntimes(args) => cmd::check_runtimes::run(args),
    }
}
