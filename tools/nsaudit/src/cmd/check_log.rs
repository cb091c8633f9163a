// SPDX-License-Identifier: GPL-2.0

//! `nsaudit check-log`: every `AUDIT_NS_*` record of an auditd log, its fields, the subject
//! included, and that it agrees with its event's `SYSCALL` record and with the rest of the log;
//! every `AUDIT_NS_INFO` record, its ids and its event; the namespace records of each task in
//! serial order.

use super::exit_code;
use anyhow::Context;
use nsaudit::checklog::{self, Checks};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The log, e.g. the --log output of validate.
    file: PathBuf,
    /// Do not check that the namespace records of each task are in the order of their serials
    /// (a log of a kernel before series v7).
    #[arg(long)]
    no_task_order: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let file = &args.file;
    let f = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let checks = Checks {
        task_order: !args.no_task_order,
    };
    let c = checklog::check_log_with(&file.display().to_string(), BufReader::new(f), checks);
    for p in &c.problems {
        println!("{p}");
    }
    println!("{}", c.summary());
    Ok(exit_code(c.failed == 0))
}
