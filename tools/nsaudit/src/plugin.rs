// SPDX-License-Identifier: GPL-2.0

//! `nsaudit plugin`: the report as an auditd plugin.  auditd writes every record of every
//! event, one text line each (`format = string`, with `node=` when `name_format` is set or the
//! event came from another machine), to the plugin's standard input; the plugin writes one
//! JSON line per event with the container its task was in ([`crate::report::StreamEvent`]).
//!
//! auditd's dispatcher writes to a plugin's pipe with blocking writes, one plugin after the
//! other.  A plugin that does not read makes the dispatcher wait, auditd's queue to the plugins
//! (`q_depth` in `auditd.conf`) fills, and auditd applies `overflow_action` (by default, it
//! drops events for every plugin and says so in syslog).  So the plugin never stops reading:
//!
//! * a thread reads standard input into a queue of at most `queue` lines; when the queue is
//!   full (the attribution cannot keep up, which takes over a million records a second to
//!   happen), lines are dropped and counted;
//! * the attribution takes every line it is given, so its state stays right;
//! * a thread writes the JSON lines from a queue of at most `queue` lines; when the output is
//!   slow and the queue full, events are not written and are counted;
//! * after a loss, the next line written says how much was lost: `{"lost": {...}}`.
//!
//! To replay a log rather than follow auditd, [`PluginOptions::wait`] waits instead of losing.

use crate::report::whole::Names;
use crate::report::{Diagnostic, Reporter, StreamEvent, MAX_DIAGNOSTICS};
use serde::Serialize;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How the plugin runs.
#[derive(Debug, Clone)]
pub struct PluginOptions {
    /// Live containers kept per node (see [`crate::report::MAX_CONTAINERS`]).
    pub max_containers: usize,
    /// Input lines held between the reader and the attribution.
    pub input_queue: usize,
    /// JSON lines held between the attribution and the writer.
    pub output_queue: usize,
    /// Wait for the attribution and the output rather than lose lines: to replay a log, not
    /// under auditd.
    pub wait: bool,
    /// Every open event is closed after this long without input.
    pub idle: Duration,
    /// Whole events, ECS-shaped (`ecs.rs`), instead of the compact line.
    pub ecs: bool,
}

impl Default for PluginOptions {
    fn default() -> Self {
        PluginOptions {
            max_containers: crate::report::MAX_CONTAINERS,
            input_queue: 65536,
            output_queue: 65536,
            wait: false,
            idle: Duration::from_secs(1),
            ecs: false,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PluginStats {
    /// Lines read from the input.
    pub lines: u64,
    /// Lines read but dropped: the attribution could not keep up.
    pub lines_not_read: u64,
    /// Events written.
    pub events: u64,
    /// Events not written: the output could not keep up.
    pub events_not_written: u64,
    /// Lines that could not be parsed.
    pub bad_lines: u64,
    /// Diagnostics beyond those shown.
    pub diagnostics_not_shown: u64,
}

/// The line written after a loss.
#[derive(Serialize)]
struct Lost {
    lost: LostCounts,
}

#[derive(Serialize)]
struct LostCounts {
    /// Events not written since the last such line.
    events_not_written: u64,
    /// Input lines dropped since the last such line.
    lines_not_read: u64,
}

/// Reads `input` in a thread of its own into a queue of `queue` lines, dropping and counting
/// what does not fit unless `wait`; the receiver ends at the end of the input or a read error.
fn spawn_reader<R: Read + Send + 'static>(
    input: R,
    queue: usize,
    wait: bool,
    dropped: Arc<AtomicU64>,
) -> (mpsc::Receiver<Vec<u8>>, thread::JoinHandle<io::Result<()>>) {
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(queue);
    let h = thread::spawn(move || {
        let mut input = BufReader::with_capacity(1 << 20, input);
        loop {
            let mut line = Vec::with_capacity(256);
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            if wait {
                if tx.send(line).is_err() {
                    return Ok(());
                }
                continue;
            }
            match tx.try_send(line) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => return Ok(()),
            }
        }
    });
    (rx, h)
}

/// What the writer is given: a line, or an event it writes as a whole ECS line itself (the
/// formatting of whole events then runs beside the attribution).
enum Out {
    Line(String),
    Whole(Box<StreamEvent>),
}

/// Writes what a queue of `queue` holds to `output`, flushing whenever the queue is empty;
/// whole events with the names of `names`.
fn spawn_writer<W: Write + Send + 'static>(
    mut output: W,
    queue: usize,
    names: Option<Names>,
) -> (SyncSender<Out>, thread::JoinHandle<io::Result<()>>) {
    let (tx, rx) = mpsc::sync_channel::<Out>(queue);
    let h = thread::spawn(move || {
        let names = names.unwrap_or_default();
        let mut buf = String::with_capacity(4096);
        let mut write = |out: &mut W, o: Out| match o {
            Out::Line(line) => out.write_all(line.as_bytes()),
            Out::Whole(ev) => {
                buf.clear();
                ecs::write_ecs(&mut buf, &ev, &names);
                buf.push('\n');
                out.write_all(buf.as_bytes())
            }
        };
        while let Ok(o) = rx.recv() {
            write(&mut output, o)?;
            while let Ok(o) = rx.try_recv() {
                write(&mut output, o)?;
            }
            output.flush()?;
        }
        output.flush()
    });
    (tx, h)
}

/// The attribution's side: takes the lines, hands the events to the writer.
struct Pump<'a> {
    reporter: Reporter,
    tx: SyncSender<Out>,
    stats: PluginStats,
    /// Losses not yet said.
    lost_events: u64,
    lost_lines: u64,
    dropped: Arc<AtomicU64>,
    events: Vec<StreamEvent>,
    diags: Vec<(Option<String>, Diagnostic)>,
    shown: u64,
    diag: &'a mut dyn FnMut(String),
    wait: bool,
    /// Whole events, which the writer formats; else compact lines.
    whole: bool,
}

impl Pump<'_> {
    /// Sends one line to the writer; false if it was not (the queue is full).
    fn send(&mut self, line: Out) -> io::Result<bool> {
        if self.wait {
            return self
                .tx
                .send(line)
                .map(|()| true)
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the output failed"));
        }
        match self.tx.try_send(line) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(TrySendError::Disconnected(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the output failed",
            )),
        }
    }

    /// Writes the events closed so far, and the diagnostics.
    fn drain(&mut self) -> io::Result<()> {
        self.reporter.take_events(&mut self.events, &mut self.diags);
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        self.lost_lines += dropped;
        self.stats.lines_not_read += dropped;
        for (node, d) in self.diags.drain(..) {
            if d.severity == crate::report::Severity::Error {
                self.stats.bad_lines += 1;
            }
            if self.shown < MAX_DIAGNOSTICS as u64 {
                self.shown += 1;
                match node {
                    Some(n) => (self.diag)(format!("node {n}: {d}")),
                    None => (self.diag)(d.to_string()),
                }
            } else {
                self.stats.diagnostics_not_shown += 1;
            }
        }
        for ev in std::mem::take(&mut self.events) {
            if self.lost_events + self.lost_lines > 0 {
                let lost = Lost {
                    lost: LostCounts {
                        events_not_written: self.lost_events,
                        lines_not_read: self.lost_lines,
                    },
                };
                if !self.send(Out::Line(json_line(&lost)?))? {
                    self.lost_events += 1;
                    self.stats.events_not_written += 1;
                    continue;
                }
                (self.lost_events, self.lost_lines) = (0, 0);
            }
            let line = match self.whole {
                true => Out::Whole(Box::new(ev)),
                false => Out::Line(json_line(&ev)?),
            };
            if self.send(line)? {
                self.stats.events += 1;
            } else {
                self.lost_events += 1;
                self.stats.events_not_written += 1;
            }
        }
        Ok(())
    }
}

impl Pump<'_> {
    /// At the end of the input, says what was lost since it was last said, waiting for the
    /// writer if it must: auditd is not waiting any more.
    fn say_lost(&mut self) -> io::Result<()> {
        if self.lost_events + self.lost_lines == 0 {
            return Ok(());
        }
        let lost = Lost {
            lost: LostCounts {
                events_not_written: self.lost_events,
                lines_not_read: self.lost_lines,
            },
        };
        self.tx
            .send(Out::Line(json_line(&lost)?))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the output failed"))
    }
}

fn json_line<T: Serialize>(v: &T) -> io::Result<String> {
    let mut s = serde_json::to_string(v).map_err(io::Error::other)?;
    s.push('\n');
    Ok(s)
}

/// Runs the plugin until the end of `input`: every event as a JSON line to `output`;
/// diagnostics (at most [`MAX_DIAGNOSTICS`]) to `diag`.  Fails if reading or writing fails.
pub fn run<R, W>(
    input: R,
    output: W,
    opts: &PluginOptions,
    diag: &mut dyn FnMut(String),
) -> io::Result<PluginStats>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let dropped = Arc::new(AtomicU64::new(0));
    let (lines, reader) = spawn_reader(input, opts.input_queue.max(1), opts.wait, dropped.clone());
    let (tx, writer) = spawn_writer(
        output,
        opts.output_queue.max(1),
        opts.ecs.then(Names::of_this_machine),
    );
    let mut reporter = Reporter::streaming_with(opts.max_containers, opts.ecs);
    reporter.start_file("<stdin>");
    let mut pump = Pump {
        reporter,
        tx,
        stats: PluginStats::default(),
        lost_events: 0,
        lost_lines: 0,
        dropped,
        events: Vec::new(),
        diags: Vec::new(),
        shown: 0,
        diag,
        wait: opts.wait,
        whole: opts.ecs,
    };
    let mut line_no = 0u64;
    let pumped = loop {
        match lines.recv_timeout(opts.idle) {
            Ok(line) => {
                line_no += 1;
                pump.stats.lines += 1;
                pump.reporter.push_line(&line, line_no);
            }
            Err(RecvTimeoutError::Timeout) => pump.reporter.flush_idle(),
            Err(RecvTimeoutError::Disconnected) => {
                pump.reporter.flush_idle();
                break pump.drain().and_then(|()| pump.say_lost());
            }
        }
        if let Err(e) = pump.drain() {
            break Err(e);
        }
    };
    let stats = pump.stats;
    drop(pump);
    drop(lines);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("writer panicked")));
    written?;
    pumped?;
    // The reader ends at the end of the input; after a write error it may still wait.
    if reader.is_finished() {
        reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader panicked")))?;
    }
    Ok(stats)
}

pub mod ecs;

#[cfg(test)]
mod tests;
