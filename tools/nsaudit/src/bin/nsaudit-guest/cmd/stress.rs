// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest stress`.

use super::exit_code;
use anyhow::Context;
use nsaudit::guest::ModulePath;
use nsaudit::stress::{self, StressOptions};
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    module: ModulePath,
    /// Rounds of churn and account.
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Worker processes creating namespaces in parallel.
    #[arg(long, default_value_t = 3)]
    workers: u32,
    /// Seconds of churn in each round.
    #[arg(long, default_value_t = 8)]
    churn: u64,
    /// Operations per worker in each account phase.
    #[arg(long, default_value_t = 10)]
    batch: u32,
    /// Unprivileged flood workers in the first half of each churn phase (0: none).
    #[arg(long, default_value_t = 2)]
    flooders: u32,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = StressOptions {
        module: args.module.module,
        rounds: args.rounds,
        workers: args.workers,
        churn: Duration::from_secs(args.churn),
        batch: args.batch,
        flooders: args.flooders,
    };
    let totals = stress::run(&opts).context("nsaudit-guest stress")?;
    println!("{}", totals.summary());
    Ok(exit_code(totals.failures.is_empty()))
}
