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
    /// An auditd plugin: every event as a JSON line, with the container its task was in.
    ///
    /// An auditd plugin: read the records auditd gives its plugins (format = string) on
    /// standard input and write one JSON line per event with the container its task was in, as
    /// the report attributes it: the container's creation stamp, node and namespace ids, and
    /// how it was found. Memory is bounded (--max-containers per node); it never stops reading,
    /// and when its output is slower than auditd it counts the events it could not write and
    /// says so in the output. See Documentation/report.rst. Exits 1 at the end of the input if
    /// a line could not be read.
    Plugin(cmd::plugin::Args),
    /// Add, delete or list audit rules with namespace fields (root: changes the host's rules).
    ///
    /// Add (-a), delete (-d) or list (-l) audit rules as auditctl does, with the namespace
    /// fields mntns_id, utsns_id, ipcns_id, userns_id, pidns_id, netns_id, cgroupns_id and
    /// timens_id, or turn the AUDIT_NS_INFO record on or off (--ns-info on|off, the audit
    /// feature AUDIT_FEATURE_NS_INFO of series v7) (root; a kernel with the series).  Example:
    /// -a always,exit -S all -F mntns_id!=init audits every system call of tasks outside the
    /// initial mount namespace.
    Rules(cmd::rules::Args),
    /// Check the namespace records of an auditd log against their reference format.
    ///
    /// Check the AUDIT_NS_* records of an auditd log against the reference: one field set per
    /// type, the subject in every record, agreeing with the event's SYSCALL record, the records
    /// of each task (subject pid) in serial order; and the AUDIT_NS_INFO records: the eight
    /// ids, at most one per event, in an event with a SYSCALL or URINGOP record.
    CheckLog(cmd::check_log::Args),
    /// Print the namespace ids of a running process, such as a container's.
    ///
    /// Print the namespaces of process PID (inode number and NS_GET_ID): the ids of a running
    /// container, from its runtime's pid, for `nsaudit report --ns ID` and for audit rules
    /// (--format rule prints `-F mntns_id=ID ...` for auditctl).
    Id(cmd::id::Args),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Write the manual pages, nsaudit(8) and nsaudit-COMMAND(8), to DIR (for packages).
    #[command(hide = true)]
    Man { dir: std::path::PathBuf },
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().cmd {
        Cmd::Report(args) => cmd::report::run(args),
        Cmd::Plugin(args) => cmd::plugin::run(args),
        Cmd::Rules(args) => cmd::rules::run(args),
        Cmd::CheckLog(args) => cmd::check_log::run(args),
        Cmd::Id(args) => cmd::id::run(args),
        Cmd::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "nsaudit",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Man { dir } => cmd::man::write(Cli::command(), &dir),
    }
}
