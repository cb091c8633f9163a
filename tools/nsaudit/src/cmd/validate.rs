// SPDX-License-Identifier: GPL-2.0

//! `nsaudit validate`.

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
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        module: args.module.module,
        log: args.log,
    };
    let summary = validate::run(&opts, std::io::stdout().lock());
    Ok(exit_code(summary.failed == 0))
}
