// SPDX-License-Identifier: GPL-2.0

//! `nsaudit-guest bench`.

use anyhow::Context;
use nsaudit::bench::{self, BenchArgs, BenchOptions};
use nsaudit::guest::ModulePath;
use nsaudit::reference::NsKind;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    module: ModulePath,
    /// The namespace types to measure, comma-separated or repeated (mnt, uts, ipc, user, pid,
    /// net, cgroup, time) [default: all].
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',',
          value_parser = str::parse::<NsKind>)]
    types: Vec<NsKind>,
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
    /// Length of a block of audited getppid calls in the AUDIT_NS_INFO measurement (a task in
    /// a container and one on the host, the record on and off), ms [default: 200, quick 100].
    #[arg(long, value_name = "MS")]
    events_block_ms: Option<u64>,
    /// Skip the measurement of audited system call events with AUDIT_NS_INFO on and off.
    #[arg(long)]
    no_events: bool,
    /// Length of a block of getppid calls in the rule cost measurement (no rule, a uid rule, a
    /// mntns_id rule; a task in a container and one on the host), ms [default: 200, quick 100].
    #[arg(long, value_name = "MS")]
    rule_cost_block_ms: Option<u64>,
    /// Skip the measurement of the cost of one rule (uid against mntns_id against none).
    #[arg(long)]
    no_rule_cost: bool,
    /// Directory for bench.json, bench.txt and bench.dat.
    #[arg(long, default_value = "/out")]
    out: PathBuf,
    /// The guest runs under QEMU -icount (scripts/bench --icount): its clock counts
    /// instructions; the reports say so.
    #[arg(long)]
    icount: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = BenchOptions::new(&BenchArgs {
        module: args.module.module,
        types: args.types,
        quick: args.quick,
        rounds: args.rounds,
        block_ms: args.block_ms,
        flood: args.flood,
        pin: args.pin,
        events_block_ms: args.events_block_ms,
        no_events: args.no_events,
        rule_cost_block_ms: args.rule_cost_block_ms,
        no_rule_cost: args.no_rule_cost,
        out: args.out,
        icount: args.icount,
    })?;
    let report = bench::run(&opts, &mut std::io::stderr()).context("nsaudit-guest bench")?;
    print!("{}", bench::render_table(&report));
    Ok(ExitCode::SUCCESS)
}
