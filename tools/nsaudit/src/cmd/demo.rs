// SPDX-License-Identifier: GPL-2.0

//! `nsaudit demo`.

use anyhow::{bail, Context};
use nsaudit::demo::{run_demo, DemoOptions};
use nsaudit::guest::ModulePath;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    module: ModulePath,
    /// Seconds to wait for the records: an INIT and a DEL of every type.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    let opts = DemoOptions {
        module: args.module.module,
        timeout: Duration::from_secs(args.timeout),
    };
    run_demo(&opts, &mut std::io::stdout().lock()).context("nsaudit demo")?;
    Ok(ExitCode::SUCCESS)
}
