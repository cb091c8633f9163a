// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest report-capture`: the report's fixtures, recorded in the guest.

use super::exit_code;
use anyhow::Context;
use nsaudit::guest::ModulePath;
use nsaudit::report::capture::{run_capture, CaptureOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    module: ModulePath,
    /// The log to write, in auditd's format.
    #[arg(long, value_name = "FILE")]
    log: PathBuf,
    /// Seconds to wait at most for the records after CMD exits.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// The shell command.
    command: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let log = &args.log;
    let f = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let opts = CaptureOptions {
        module: args.module.module,
        command: args.command,
        timeout: Duration::from_secs(args.timeout),
    };
    let ok = run_capture(&opts, &mut std::io::BufWriter::new(f))
        .context("nsaudit-guest report-capture")?;
    Ok(exit_code(ok))
}
