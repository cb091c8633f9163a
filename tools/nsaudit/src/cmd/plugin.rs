// SPDX-License-Identifier: GPL-2.0

//! `nsaudit plugin`: reads auditd's plugin input on standard input, writes a JSON line per
//! event to standard output or `--output FILE`, reopened on SIGHUP (auditd sends it to its
//! plugins when it reloads; a log rotation can too).

use anyhow::Context;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nsaudit::plugin::{self, PluginOptions};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(clap::Args)]
pub struct Args {
    /// Append the JSON lines to FILE rather than write them to standard output (auditd gives
    /// its plugins no output); the file is reopened on SIGHUP.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Live containers kept per node; beyond, the oldest is forgotten.
    #[arg(long, value_name = "N", default_value_t = nsaudit::report::MAX_CONTAINERS,
          value_parser = at_least_one)]
    max_containers: usize,
    /// Lines held between reading, attribution and writing, in each direction.
    #[arg(long, value_name = "N", default_value_t = 65536, value_parser = at_least_one)]
    queue: usize,
    /// Wait for a slow output instead of losing events (to replay a log; not under auditd).
    #[arg(long)]
    wait: bool,
    /// compact: the event's subject, call and container; ecs: the whole event, every record,
    /// with Elastic Common Schema's field names (Documentation/report.rst).
    #[arg(long, value_enum, default_value_t = Format::Compact)]
    format: Format,
}

/// A count of 1 or more: a queue or a bound of 0 would lose everything.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be 1 or more".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Compact,
    Ecs,
}

static HUP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hup(_: libc::c_int) {
    HUP.store(true, Ordering::Relaxed);
}

/// A file opened for appending, opened again after a SIGHUP.
struct Reopen {
    path: PathBuf,
    file: BufWriter<File>,
}

impl Reopen {
    fn open(path: PathBuf) -> io::Result<Self> {
        let f = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Reopen {
            path,
            file: BufWriter::new(f),
        })
    }
}

impl Write for Reopen {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if HUP.swap(false, Ordering::Relaxed) {
            self.file.flush()?;
            *self = Reopen::open(std::mem::take(&mut self.path))?;
        }
        self.file.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let hup = SigAction::new(
        SigHandler::Handler(on_hup),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic.
    unsafe { sigaction(Signal::SIGHUP, &hup) }.context("SIGHUP handler")?;
    let opts = PluginOptions {
        max_containers: args.max_containers,
        input_queue: args.queue,
        output_queue: args.queue,
        wait: args.wait,
        ecs: args.format == Format::Ecs,
        ..Default::default()
    };
    let mut diag = |m: String| eprintln!("nsaudit plugin: {m}");
    let stats = match args.output {
        Some(path) => {
            let out = Reopen::open(path.clone())
                .with_context(|| format!("opening {}", path.display()))?;
            plugin::run(io::stdin(), out, &opts, &mut diag)
        }
        None => plugin::run(io::stdin(), BufWriter::new(io::stdout()), &opts, &mut diag),
    }
    .context("nsaudit plugin")?;
    eprintln!(
        "nsaudit plugin: {} lines, {} events written, {} not written (output too slow), {} \
         lines not read (attribution too slow), {} bad lines",
        stats.lines, stats.events, stats.events_not_written, stats.lines_not_read, stats.bad_lines
    );
    if stats.diagnostics_not_shown > 0 {
        eprintln!(
            "nsaudit plugin: {} more problems not shown",
            stats.diagnostics_not_shown
        );
    }
    Ok(super::exit_code(stats.bad_lines == 0))
}
