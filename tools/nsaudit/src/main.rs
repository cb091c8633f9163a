// SPDX-License-Identifier: GPL-2.0

//! The `nsaudit` command: a thin layer over the library.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use nsaudit::bench::{self, BenchArgs, BenchOptions};
use nsaudit::demo::{run_demo, DemoOptions};
use nsaudit::record::parse_log;
use nsaudit::reference::{check_ns_record, is_ns_type};
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
    /// Measure what auditing namespaces costs: create+destroy cycles per second per type with
    /// and without the module, audit rules instead, records per second, memory (root, in the
    /// guest; it loads and unloads the module and runs the audit daemon).
    Bench {
        /// The module to load and unload.
        #[arg(long, default_value = "/lib/modules/ns_audit.ko")]
        module: PathBuf,
        /// A short run: 2 rounds of 300 ms blocks, a smaller flood and fewer pinned namespaces.
        #[arg(long)]
        quick: bool,
        /// Rounds; each measures every type in every configuration once [default: 7, quick 2].
        #[arg(long)]
        rounds: Option<usize>,
        /// Length of a block of cycles in the baseline, ms [default: 1000, quick 300].
        #[arg(long, value_name = "MS")]
        block_ms: Option<u64>,
        /// Namespaces of the flood [default: 5000, quick 1000].
        #[arg(long, value_name = "N")]
        flood: Option<u32>,
        /// Namespace sets pinned for the memory measurement [default: 500, quick 100].
        #[arg(long, value_name = "N")]
        pin: Option<u32>,
        /// Directory for bench.json, bench.txt and bench.dat.
        #[arg(long, default_value = "/out")]
        out: PathBuf,
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
        Cmd::CheckLog { file } => check_log(&file),
        Cmd::Bench {
            module,
            quick,
            rounds,
            block_ms,
            flood,
            pin,
            out,
        } => {
            let opts = BenchOptions::new(&BenchArgs {
                module,
                quick,
                rounds,
                block_ms,
                flood,
                pin,
                out,
            })?;
            let report = bench::run(&opts, &mut std::io::stderr()).context("nsaudit bench")?;
            print!("{}", bench::render_table(&report));
            Ok(ExitCode::SUCCESS)
        }
    }
}
