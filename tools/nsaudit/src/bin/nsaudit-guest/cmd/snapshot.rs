// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest snapshot`.

use super::exit_code;
use anyhow::Context;
use nsaudit::snapshot::{self, SnapshotArgs};
use std::process::ExitCode;

pub type Args = SnapshotArgs;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let ok =
        snapshot::run(&args, &mut std::io::stdout().lock()).context("nsaudit-guest snapshot")?;
    Ok(exit_code(ok))
}
