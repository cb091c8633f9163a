// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest compare-log`: every record received (validate's --log) is in the audit daemon's
//! log.

use super::exit_code;
use anyhow::Context;
use nsaudit::compare;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The records received, e.g. the --log output of validate --beside-auditd.
    received: PathBuf,
    /// The audit daemon's log of the same time, e.g. /var/log/audit/audit.log.
    log: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let open = |p: &PathBuf| {
        File::open(p)
            .map(BufReader::new)
            .with_context(|| format!("opening {}", p.display()))
    };
    let c = compare::compare_logs(
        &args.received.display().to_string(),
        open(&args.received)?,
        &args.log.display().to_string(),
        open(&args.log)?,
    );
    for p in &c.problems {
        println!("{p}");
    }
    println!("{}", c.summary());
    Ok(exit_code(c.passed()))
}
