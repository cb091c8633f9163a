// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest validate`.

use super::exit_code;
use nsaudit::guest::ModulePath;
use nsaudit::validate::{self, Options};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    module: ModulePath,
    /// Write every record received to FILE in auditd's log format.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Leave the running audit daemon (auditd, which must be running) in place and read the
    /// copies of the records from the multicast group AUDIT_NLGRP_READLOG (needs
    /// CAP_AUDIT_READ); what only the daemon can do is skipped with a note.
    #[arg(long)]
    beside_auditd: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        module: args.module.module,
        log: args.log,
        beside_auditd: args.beside_auditd,
    };
    let summary = validate::run(&opts, std::io::stdout().lock());
    Ok(exit_code(summary.failed == 0))
}
