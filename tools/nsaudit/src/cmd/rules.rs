// SPDX-License-Identifier: GPL-2.0

//! `nsaudit rules`: add, delete and list audit rules, with the namespace fields (`mntns_id`
//! ... `timens_id`) that auditctl does not know yet; auditctl's options and syntax.

use anyhow::{bail, Context};
use nsaudit::audit::rules::{Field, RuleSpec};
use nsaudit::audit::{AuditSocket, AUDIT_FEATURE_BITMAP_NS_ID_FILTER};
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["add", "delete", "list"])))]
pub struct Args {
    /// Add a rule on LIST with ACTION: always,exit, never,exit, always,exclude, never,user, ...
    #[arg(short = 'a', value_name = "ACTION,LIST")]
    add: Option<String>,
    /// Delete the rule equal to the one given (same list, action, system calls and fields).
    #[arg(short = 'd', value_name = "ACTION,LIST")]
    delete: Option<String>,
    /// List the loaded rules, namespace fields included.
    #[arg(short = 'l')]
    list: bool,
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

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list && (!args.syscalls.is_empty() || !args.fields.is_empty() || args.key.is_some()) {
        bail!("-l takes no -S, -F or -k");
    }
    let rule = match args.add.as_deref().or(args.delete.as_deref()) {
        Some(la) => Some(
            RuleSpec::parse(la, &args.syscalls, &args.fields, args.key.as_deref())
                .map_err(anyhow::Error::msg)
                .context("nsaudit rules: bad rule")?,
        ),
        None => None,
    };
    let mut sock = AuditSocket::open().context("opening the audit netlink socket")?;
    let has_ns = |r: &RuleSpec| r.conds.iter().any(|c| matches!(c.field, Field::Ns(_)));
    if rule.as_ref().is_some_and(has_ns) {
        let features = sock.status().context("reading audit's status")?.features;
        if features & AUDIT_FEATURE_BITMAP_NS_ID_FILTER == 0 {
            bail!(
                "this kernel has no namespace rule fields (audit features {features:#x}                  lack AUDIT_FEATURE_BITMAP_NS_ID_FILTER, {AUDIT_FEATURE_BITMAP_NS_ID_FILTER:#x})"
            );
        }
    }
    match rule {
        Some(r) if args.add.is_some() => sock.add_rule_spec(&r)?,
        Some(r) => sock.del_rule_spec(&r)?,
        None => {
            let rules = sock.list_rules()?;
            if rules.is_empty() {
                println!("No rules");
            }
            for r in rules {
                println!("{r}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
