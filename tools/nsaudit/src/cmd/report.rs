// SPDX-License-Identifier: GPL-2.0

//! `nsaudit report`: reads the logs, writes the report and the optional graph.

use anyhow::Context;
use clap::ValueEnum;
use nsaudit::report::{EventSelector, Fleet, NsSelector, ReportOptions, Reporter};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write the lineage as a Graphviz graph to FILE.
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// Report on the namespace <type>:<inode> (every one that had that inode) or <ns_id>,
    /// its descendants, their containers and the events inside them. Repeatable.
    #[arg(long, value_name = "NS")]
    ns: Vec<NsSelector>,
    /// Report on the container created by the event with this serial (or SEC.MSEC:SERIAL)
    /// and the events inside it and its nested containers. Repeatable.
    #[arg(long, value_name = "SERIAL")]
    event: Vec<EventSelector>,
    /// Report on the containers whose runtime's command line ends with the argument NAME
    /// (`crun run NAME`, options aside), or with a container id that begins with NAME (12 or
    /// more hexadecimal digits: podman's), and the events inside them. Repeatable.
    #[arg(long, value_name = "NAME")]
    container: Vec<String>,
    /// Only the lines of the machine NAME of a central log (`node=NAME`). Repeatable.
    #[arg(long, value_name = "NAME")]
    node: Vec<String>,
    /// Exit 0 even if some lines could not be read.
    #[arg(long)]
    lenient: bool,
    /// auditd logs (or `ausearch --raw` output), oldest first; `-` or none: standard input.
    logs: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = ReportOptions {
        ns: args.ns,
        events: args.event,
        nodes: args.node,
        containers: args.container,
        whole: false,
    };
    let report = read_logs(opts, &args.logs)?;
    let mut shown = 0u64;
    for (node, d) in report.all_diagnostics() {
        match node {
            Some(n) => eprintln!("nsaudit report: node {n}: {d}"),
            None => eprintln!("nsaudit report: {d}"),
        }
        shown += 1;
    }
    let total = report.problems();
    if total > shown {
        eprintln!("nsaudit report: {} more problems not shown", total - shown);
    }
    write_report(&report, args.format)?;
    if let Some(dot) = args.dot {
        let f = File::create(&dot).with_context(|| format!("creating {}", dot.display()))?;
        let mut f = std::io::BufWriter::new(f);
        report
            .write_dot(&mut f)
            .and_then(|()| f.flush())
            .with_context(|| format!("writing {}", dot.display()))?;
    }
    if report.has_errors() && !args.lenient {
        eprintln!(
            "nsaudit report: {} lines could not be read (--lenient to exit 0 anyway)",
            report.total_bad_lines()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the logs in order (standard input for `-` or none) and builds the report.
fn read_logs(opts: ReportOptions, logs: &[PathBuf]) -> anyhow::Result<Fleet> {
    let mut r = Reporter::new(opts);
    let stdin = [PathBuf::from("-")];
    let logs = if logs.is_empty() { &stdin[..] } else { logs };
    for log in logs {
        if log.as_os_str() == "-" {
            r.read(
                "<stdin>",
                BufReader::with_capacity(1 << 20, std::io::stdin().lock()),
            )?;
        } else {
            let f = File::open(log).with_context(|| format!("opening {}", log.display()))?;
            r.read(
                &log.display().to_string(),
                BufReader::with_capacity(1 << 20, f),
            )?;
        }
    }
    Ok(r.finish())
}

/// Writes the report to standard output in `format`.
fn write_report(report: &Fleet, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        Format::Text => report.write_text(&mut out),
        Format::Json => report.write_json(&mut out),
    }
    .and_then(|()| out.flush());
    match written {
        // The reader went away (| head): not an error of the report.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing the report"),
    }
}
