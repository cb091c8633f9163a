// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest flood`.

use super::exit_code;
use anyhow::Context;
use nsaudit::flood::{self, FloodArgs};
use std::process::ExitCode;

pub type Args = FloodArgs;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = args.options().unwrap_or_else(|e| crate::usage_error(&e));
    let ok = flood::run(&opts, &mut std::io::stdout().lock()).context("nsaudit-guest flood")?;
    Ok(exit_code(ok))
}
