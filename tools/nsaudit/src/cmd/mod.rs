// SPDX-License-Identifier: GPL-2.0

//! The subcommands: each turns its arguments into the library's options, runs it and says
//! how the command exits.  `run(args) -> anyhow::Result<ExitCode>` everywhere.

pub mod check_log;
pub mod id;
pub mod man;
pub mod plugin;
pub mod report;
pub mod rules;

use std::process::ExitCode;

/// 0 for a test that passed, 1 for one that failed.
pub fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
