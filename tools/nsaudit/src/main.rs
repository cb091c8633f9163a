// SPDX-License-Identifier: GPL-2.0

//! The `nsaudit` command: a thin layer over the library.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use nsaudit::demo::{run_demo, DemoOptions};
use nsaudit::record::parse_log;
use nsaudit::reference::{check_ns_record, is_ns_type};
use nsaudit::stress::{self, StressOptions};
use nsaudit::validate::{self, Options};
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "nsaudit", version, about = "Audit records of Linux namespaces")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load ns_audit.ko, create and destroy namespaces, and check every record (root, in the
    /// guest; it becomes the audit daemon).
    Validate {
        /// The module to load and unload.
        #[arg(long, default_value = "/lib/modules/ns_audit.ko")]
        module: PathBuf,
        /// Write every record received to FILE in auditd's log format.
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
    },
    /// Create and drop one namespace of each type and print the records (root, in the guest).
    Demo {
        /// The module to load if it is not loaded.
        #[arg(long, default_value = "/lib/modules/ns_audit.ko")]
        module: PathBuf,
        /// Seconds to wait for the twelve records.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Churn namespaces while loading and unloading ns_audit.ko, toggling audit and stalling
    /// the reader, then account for every record (root, in the debug guest).
    Stress {
        /// The module to load and unload.
        #[arg(long, default_value = "/lib/modules/ns_audit.ko")]
        module: PathBuf,
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
    },
    /// Check the AUDIT_NS_* records of an auditd log against the reference.
    CheckLog {
        /// The log, e.g. the --log output of validate.
        file: PathBuf,
    },
}

fn check_log(file: &PathBuf) -> anyhow::Result<ExitCode> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let (mut passed, mut failed) = (0, 0);
    for item in parse_log(BufReader::new(f)) {
        match item {
            Err(e) => {
                failed += 1;
                println!("not ok - {}: {e}", file.display());
            }
            Ok((line, ty, rec)) if is_ns_type(ty) => match check_ns_record(&rec) {
                Ok(_) => passed += 1,
                Err(errs) => {
                    failed += 1;
                    println!("not ok - {}:{line}: {}", file.display(), errs.join("; "));
                }
            },
            Ok(_) => {}
        }
    }
    println!("check-log: {passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().cmd {
        Cmd::Validate { module, log } => {
            let summary = validate::run(&Options { module, log }, std::io::stdout().lock());
            Ok(if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Demo { module, timeout } => {
            if timeout == 0 {
                bail!("--timeout must be at least 1 second");
            }
            let opts = DemoOptions {
                module,
                timeout: Duration::from_secs(timeout),
            };
            run_demo(&opts, &mut std::io::stdout().lock()).context("nsaudit demo")?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Stress {
            module,
            rounds,
            workers,
            churn,
            batch,
        } => {
            let opts = StressOptions {
                module,
                rounds,
                workers,
                churn: Duration::from_secs(churn),
                batch,
            };
            let totals = stress::run(&opts).context("nsaudit stress")?;
            println!("{}", totals.summary());
            Ok(if totals.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::CheckLog { file } => check_log(&file),
    }
}
