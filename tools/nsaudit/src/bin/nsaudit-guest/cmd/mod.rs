// SPDX-License-Identifier: GPL-2.0

//! The harness's subcommands: each turns its arguments into the library's options, runs it
//! and says how the command exits.  `run(args) -> anyhow::Result<ExitCode>` everywhere.

pub mod bench;
pub mod check_runtimes;
pub mod compare_log;
pub mod demo;
pub mod flood;
pub mod report_capture;
pub mod snapshot;
pub mod stress;
pub mod validate;

use std::process::ExitCode;

/// 0 for a test that passed, 1 for one that failed.
pub fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
