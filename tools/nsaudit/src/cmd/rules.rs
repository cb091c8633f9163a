// SPDX-License-Identifier: GPL-2.0

//! `nsaudit rules`: add, delete and list audit rules, with the namespace fields (`mntns_id`
//! ... `timens_id`) that auditctl does not know yet; auditctl's options and syntax.  And turn
//! the `AUDIT_NS_INFO` record on or off (`AUDIT_FEATURE_NS_INFO`, series v7), which `-l`
//! shows after the rules.

use anyhow::{bail, Context};
use nsaudit::audit::features::{ns_info_line, on_off};
use nsaudit::audit::rules::{Field, RuleSpec};
use nsaudit::audit::{AuditError, AuditSocket, AUDIT_FEATURE_BITMAP_NS_ID_FILTER};
use std::process::ExitCode;

/// `--ns-info`'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(clap::Args)]
#[command(group(
    clap::ArgGroup::new("what").required(true).args(["add", "delete", "list", "ns_info"])
))]
pub struct Args {
    /// Add a rule on LIST with ACTION: always,exit, never,exit, always,exclude, never,user, ...
    #[arg(short = 'a', value_name = "ACTION,LIST")]
    add: Option<String>,
    /// Delete the rule equal to the one given (same list, action, system calls and fields).
    #[arg(short = 'd', value_name = "ACTION,LIST")]
    delete: Option<String>,
    /// List the loaded rules, namespace fields included, then whether the AUDIT_NS_INFO record
    /// is on (ns_info: on, or off).
    #[arg(short = 'l')]
    list: bool,
    /// Turn the AUDIT_NS_INFO record on or off: the audit feature AUDIT_FEATURE_NS_INFO of
    /// series v7, off when the kernel boots; needs root (CAP_AUDIT_CONTROL).
    #[arg(long, value_enum, value_name = "on|off")]
    ns_info: Option<Switch>,
    /// A system call by name or number, or all; repeatable, or comma-separated.
    #[arg(short = 'S', value_name = "SYSCALL")]
    syscalls: Vec<String>,
    /// A field comparison, NAME OP VALUE with OP one of = != < <= > >=: <t>ns_id=ID (64-bit
    /// namespace id, or init for the type's initial namespace), uid=, auid=, pid=, arch=b64,
    /// msgtype=, key=, exe=, f<N>=.
    #[arg(short = 'F', value_name = "NAME=VALUE")]
    fields: Vec<String>,
    /// The rule's key (-F key=KEY).
    #[arg(short = 'k', value_name = "KEY")]
    key: Option<String>,
}

/// `e`, with what to do when the kernel refused for want of privilege.
fn explained(e: AuditError) -> anyhow::Error {
    let eperm = matches!(&e, AuditError::Refused { source, .. }
        if source.raw_os_error() == Some(libc::EPERM));
    let e = anyhow::Error::new(e);
    if eperm {
        e.context("nsaudit rules needs root (CAP_AUDIT_CONTROL)")
    } else {
        e
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let has_rule_parts = !args.syscalls.is_empty() || !args.fields.is_empty() || args.key.is_some();
    if args.list && has_rule_parts {
        bail!("-l takes no -S, -F or -k");
    }
    if args.ns_info.is_some() && has_rule_parts {
        bail!("--ns-info takes no -S, -F or -k");
    }
    let rule = match args.add.as_deref().or(args.delete.as_deref()) {
        Some(la) => Some(
            RuleSpec::parse(la, &args.syscalls, &args.fields, args.key.as_deref())
                .map_err(anyhow::Error::msg)
                .context("nsaudit rules: bad rule")?,
        ),
        None => None,
    };
    if !nix::unistd::geteuid().is_root() {
        bail!("nsaudit rules changes and reads this host's audit rules: run it as root");
    }
    let mut sock = AuditSocket::open().context("opening the audit netlink socket")?;
    let has_ns = |r: &RuleSpec| r.conds.iter().any(|c| matches!(c.field, Field::Ns(_)));
    if rule.as_ref().is_some_and(has_ns) {
        let features = sock.status().context("reading audit's status")?.features;
        if features & AUDIT_FEATURE_BITMAP_NS_ID_FILTER == 0 {
            bail!(
                "this kernel has no namespace rule fields (audit features {features:#x} \
                 lack AUDIT_FEATURE_BITMAP_NS_ID_FILTER, {AUDIT_FEATURE_BITMAP_NS_ID_FILTER:#x})"
            );
        }
    }
    if let Some(switch) = args.ns_info {
        let on = switch == Switch::On;
        let was = sock.set_ns_info(on).map_err(explained)?;
        println!("{} (was {})", ns_info_line(on, false), on_off(was));
        return Ok(ExitCode::SUCCESS);
    }
    match rule {
        Some(r) if args.add.is_some() => sock.add_rule_spec(&r).map_err(explained)?,
        Some(r) => sock.del_rule_spec(&r).map_err(explained)?,
        None => {
            let rules = sock.list_rules().map_err(explained)?;
            if rules.is_empty() {
                println!("No rules");
            }
            for r in rules {
                println!("{r}");
            }
            let features = sock.get_features().map_err(explained)?;
            println!("{}", features.ns_info_line());
        }
    }
    Ok(ExitCode::SUCCESS)
}
