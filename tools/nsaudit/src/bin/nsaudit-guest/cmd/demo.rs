// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest demo`.

use anyhow::{bail, Context};
use nsaudit::demo::{run_demo, run_demo_auditd, AuditdOptions, DemoOptions};
use nsaudit::guest::ModulePath;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    module: ModulePath,
    /// Seconds to wait for the records: an INIT and a DEL of every type.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Leave the records to the audit daemon that runs (auditd) and wait until it has written
    /// them to LOG, instead of becoming the audit daemon and printing them.
    #[arg(long, value_name = "LOG")]
    auditd: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    let opts = DemoOptions {
        module: args.module.module,
        timeout: Duration::from_secs(args.timeout),
    };
    match args.auditd {
        Some(log) => {
            let shown = log.display().to_string();
            run_demo_auditd(&AuditdOptions { demo: opts, log }).context("nsaudit-guest demo")?;
            eprintln!("nsaudit-guest demo: the audit daemon wrote an INIT and a DEL record of each type to {shown}");
        }
        None => run_demo(&opts, &mut std::io::stdout().lock()).context("nsaudit-guest demo")?,
    }
    Ok(ExitCode::SUCCESS)
}
