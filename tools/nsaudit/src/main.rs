// SPDX-License-Identifier: GPL-2.0

//! The `nsaudit` command: a thin layer over the library.

use anyhow::{bail, Context};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use nsaudit::bench::{self, BenchArgs, BenchOptions};
use nsaudit::checklog;
use nsaudit::demo::{run_demo, DemoOptions};
use nsaudit::flood::{self, FloodArgs};
use nsaudit::report::capture::{run_capture, CaptureOptions};
use nsaudit::report::{EventSelector, NsSelector, ReportOptions, Reporter};
use nsaudit::snapshot::{self, SnapshotArgs};
use nsaudit::stress::{self, StressOptions};
use nsaudit::validate::{self, Options};
use std::fs::File;
use std::io::{BufReader, Write};
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
        /// Unprivileged flood workers in the first half of each churn phase (0: none).
        #[arg(long, default_value_t = 2)]
        flooders: u32,
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
        /// The guest runs under QEMU -icount (scripts/bench --icount): its clock counts
        /// instructions; the reports say so.
        #[arg(long)]
        icount: bool,
    },
    /// Flood audit with namespaces from unprivileged processes while the audit daemon reads
    /// slowly: every INIT and DEL must arrive and audit must lose nothing (root, in the guest;
    /// it becomes the audit daemon and restores audit's status at the end).  Exits 0 if so,
    /// 1 if not.
    Flood(FloodArgs),
    /// Load the module while thousands of UTS and IPC namespaces are alive, with a small
    /// backlog and a slow audit daemon: every one must get one op=existing record naming the
    /// loading process, and audit must lose nothing (root, in the guest).  Exits 0 if so, 1 if
    /// not.
    Snapshot(SnapshotArgs),
    /// Check the AUDIT_NS_* records of an auditd log against the reference: one field set per
    /// type, the subject in every record, agreeing with the event's SYSCALL record.
    CheckLog {
        /// The log, e.g. the --log output of validate.
        file: PathBuf,
    },
    /// Rebuild containers, namespace lineage and the events inside them from auditd logs.
    ///
    /// Namespaces created by one event (one clone or unshare) form a container, named by the
    /// event's stamp. Events are attributed to a container when their records carry its
    /// namespace ids, or, by heuristic, when their task is known to be inside: the task that
    /// unshared (or the child of the clone that) created it, and tasks whose ppid is such a
    /// task, seen after the creation and before its first namespace is removed. Tasks forked
    /// before their parent entered, setns(2) and orphans reparented outside are not followed;
    /// see Documentation/report.rst. Exits 1 if a line could not be read (unless --lenient).
    Report {
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
        /// Exit 0 even if some lines could not be read.
        #[arg(long)]
        lenient: bool,
        /// auditd logs (or `ausearch --raw` output), oldest first; `-` or none: standard input.
        logs: Vec<PathBuf>,
    },
    /// Run `sh -c CMD` as the audit daemon with rules on the namespace and process system calls
    /// and write every record to FILE (root, in the guest; records the report's fixtures).
    #[command(hide = true)]
    ReportCapture {
        /// The module to load if it is not loaded.
        #[arg(long, default_value = "/lib/modules/ns_audit.ko")]
        module: PathBuf,
        /// The log to write, in auditd's format.
        #[arg(long, value_name = "FILE")]
        log: PathBuf,
        /// Seconds to wait at most for the records after CMD exits.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// The shell command.
        command: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn report(
    format: Format,
    dot: Option<PathBuf>,
    opts: ReportOptions,
    lenient: bool,
    logs: Vec<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let mut r = Reporter::new(opts);
    let stdin = [PathBuf::from("-")];
    let logs = if logs.is_empty() {
        &stdin[..]
    } else {
        &logs[..]
    };
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
    let report = r.finish();
    for d in &report.diagnostics {
        eprintln!("nsaudit report: {d}");
    }
    let shown = report.diagnostics.len() as u64;
    let total = report.summary.bad_lines + report.summary.warnings;
    if total > shown {
        eprintln!("nsaudit report: {} more problems not shown", total - shown);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        Format::Text => report.write_text(&mut out),
        Format::Json => report.write_json(&mut out),
    }
    .and_then(|()| out.flush());
    match written {
        // The reader went away (| head): not an error of the report.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.context("writing the report")?,
    }
    if let Some(dot) = dot {
        let f = File::create(&dot).with_context(|| format!("creating {}", dot.display()))?;
        let mut f = std::io::BufWriter::new(f);
        report
            .write_dot(&mut f)
            .and_then(|()| f.flush())
            .with_context(|| format!("writing {}", dot.display()))?;
    }
    if report.has_errors() && !lenient {
        eprintln!(
            "nsaudit report: {} lines could not be read (--lenient to exit 0 anyway)",
            report.summary.bad_lines
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks every `AUDIT_NS_*` record of an auditd log: its fields, the subject included, and
/// that it agrees with its event's `SYSCALL` record and with the rest of the log.
fn check_log(file: &PathBuf) -> anyhow::Result<ExitCode> {
    let f = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let c = checklog::check_log(&file.display().to_string(), BufReader::new(f));
    for p in &c.problems {
        println!("{p}");
    }
    println!("{}", c.summary());
    Ok(exit_code(c.failed == 0))
}

/// 0 for a test that passed, 1 for one that failed.
fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Reports an argument that clap let through but the options refuse, as clap does: exit 2.
fn usage_error(msg: &str) -> ! {
    Cli::command()
        .error(clap::error::ErrorKind::ValueValidation, msg)
        .exit()
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().cmd {
        Cmd::Validate { module, log } => {
            let summary = validate::run(&Options { module, log }, std::io::stdout().lock());
            Ok(exit_code(summary.failed == 0))
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
            flooders,
        } => {
            let opts = StressOptions {
                module,
                rounds,
                workers,
                churn: Duration::from_secs(churn),
                batch,
                flooders,
            };
            let totals = stress::run(&opts).context("nsaudit stress")?;
            println!("{}", totals.summary());
            Ok(exit_code(totals.failures.is_empty()))
        }
        Cmd::CheckLog { file } => check_log(&file),
        Cmd::Snapshot(args) => {
            let ok =
                snapshot::run(&args, &mut std::io::stdout().lock()).context("nsaudit snapshot")?;
            Ok(exit_code(ok))
        }
        Cmd::Flood(args) => {
            let opts = args.options().unwrap_or_else(|e| usage_error(&e));
            let ok = flood::run(&opts, &mut std::io::stdout().lock()).context("nsaudit flood")?;
            Ok(exit_code(ok))
        }
        Cmd::Report {
            format,
            dot,
            ns,
            event,
            lenient,
            logs,
        } => report(
            format,
            dot,
            ReportOptions { ns, events: event },
            lenient,
            logs,
        ),
        Cmd::ReportCapture {
            module,
            log,
            timeout,
            command,
        } => {
            let f = std::fs::File::create(&log)
                .with_context(|| format!("creating {}", log.display()))?;
            let opts = CaptureOptions {
                module,
                command,
                timeout: Duration::from_secs(timeout),
            };
            let ok = run_capture(&opts, &mut std::io::BufWriter::new(f))
                .context("nsaudit report-capture")?;
            Ok(exit_code(ok))
        }
        Cmd::Bench {
            module,
            quick,
            rounds,
            block_ms,
            flood,
            pin,
            out,
            icount,
        } => {
            let opts = BenchOptions::new(&BenchArgs {
                module,
                quick,
                rounds,
                block_ms,
                flood,
                pin,
                out,
                icount,
            })?;
            let report = bench::run(&opts, &mut std::io::stderr()).context("nsaudit bench")?;
            print!("{}", bench::render_table(&report));
            Ok(ExitCode::SUCCESS)
        }
    }
}
