// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest check-runtimes`: the report of a log against the containers the runtimes ran.

use anyhow::Context;
use nsaudit::runtimes::{check, check_one, read_manifest};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The JSON lines scripts/guest-runtimes wrote: one per container.
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// What guest-runtimes wrote of its rule on one container (one.json).
    #[arg(long, value_name = "FILE")]
    one: Option<PathBuf>,
    /// auditd's log of the same run.
    log: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let manifest = std::fs::read_to_string(&args.manifest)
        .with_context(|| format!("reading {}", args.manifest.display()))?;
    let log = std::fs::read_to_string(&args.log)
        .with_context(|| format!("reading {}", args.log.display()))?;
    let runs = read_manifest(&manifest).map_err(anyhow::Error::msg)?;
    if runs.is_empty() {
        anyhow::bail!("{}: no container", args.manifest.display());
    }
    let mut problems = check(&runs, &log).map_err(anyhow::Error::msg)?;
    if let Some(path) = &args.one {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let one = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
        problems.extend(check_one(&one, &log).map_err(anyhow::Error::msg)?);
    }
    for p in &problems {
        eprintln!("nsaudit-guest check-runtimes: {p}");
    }
    println!(
        "nsaudit-guest check-runtimes: {} containers, {} problems",
        runs.len(),
        problems.len()
    );
    Ok(super::exit_code(problems.is_empty()))
}
