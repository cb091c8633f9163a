// SPDX-License-Identifier: GPL-2.0

//! `nsaudit report`: containers, namespace lineage and the events inside them, from the records
//! of an auditd log alone.
//!
//! # What the log says
//!
//! * Lineage: every `AUDIT_NS_INIT_*` record names the new namespace (`<t>ns=`, `<t>ns_id=`) and
//!   the one it was derived from (`old_<t>ns=`, `old_<t>ns_id=`).  Namespaces are keyed by type
//!   and `ns_id`, which the kernel never reuses; inode numbers are reused.
//! * Containers: the namespaces a runtime created for one run form a *container*, named by
//!   the stamp of the first event that created one of them and by the runtime's command line
//!   (`names.rs`).  Its creator is the subject of that event's `SYSCALL` record (or of its
//!   INIT records when there is none).  It ends with the last `AUDIT_NS_DEL_*` record of its
//!   namespaces.
//!
//! # One container per run
//!
//! Runtimes create a container's namespaces with several calls: crun `clone`s and its child
//! then `unshare`s `CLONE_NEWCGROUP`; runc's `runc init` unshares in one stage and its cgroup
//! namespace in another; a user namespace comes first in a call of its own.  An event that
//! creates namespaces *extends* the container its task is in, instead of nesting a new one in
//! it, when the task is still the runtime that set that container up: it runs the program
//! (`exe=`) that created the container, and neither it nor its parent has run `execve(2)`
//! inside the container.  Once a program was executed inside, what it creates is a nested
//! container: `crun run` inside a crun container, `unshare -n sh` in a shell inside.  Without
//! the events of `execve(2)` in the log (no rule audits it), a program of the runtime's own
//! binary that creates namespaces inside a container that binary created is taken for the
//! runtime.
//!
//! A container can also join namespaces that exist (an OCI `path`, the pod of `podman pod`):
//! those are not its own, and the report lists them as *shared*, with the container that
//! holds them, from the ids of its tasks' `AUDIT_NS_INFO` records.
//!
//! * Where a task is: the kernel writes an `AUDIT_NS_INFO` record in every system call event
//!   of a task outside the initial namespaces, with the ids of its eight namespaces.  An event
//!   with one is inside the innermost container all of whose namespaces its task is in; from
//!   the first such event on, a system call event without one is a task's in the initial
//!   namespaces (`exact.rs`).  Ids whose creation is not in the input (a log that began later,
//!   `ausearch -k` output) make a container of *unknown creation*, one per set of ids, which
//!   `--ns ID` selects like any other; the report warns when the serial numbers of its input
//!   say it was filtered.
//!
//! # What the report infers (the heuristic)
//!
//! Without an `AUDIT_NS_INFO` record, a record other than INIT/DEL does not say which
//! namespaces its task was in.  The report follows tasks by pid:
//!
//! * the creator of a container is inside it after an `unshare` (or when the event has no
//!   `SYSCALL` record); after `clone`/`clone3`/`fork`/`vfork` the new child, whose pid is the
//!   `exit=` value, is inside and the caller is not;
//! * a task whose `ppid` is a task inside container C, first seen after C was created, is inside
//!   C (its child);
//! * a task that creates a namespace derived from one of C's was inside C;
//! * a task leaves the report at `exit_group`, when its pid shows up with a `ppid` that is not
//!   its parent's nor a task of the same container (the pid was reused), and when the first
//!   namespace of its container is removed (no task can be in a namespace that is removed).
//!
//! Limits: a task forked *before* its parent entered a container is counted in it if its first
//! record comes after; the `exit=` of a `clone` called inside a PID namespace is a pid of that
//! namespace, so such children are found only through their `ppid`; `setns(2)` is not followed
//! (its record does not say which namespace); tasks that are orphaned and reparented outside
//! the container are lost; tasks of namespaces that existed before the log began are not known,
//! only the containers derived from them; only the system calls the audit rules select have
//! records at all.
//!
//! # Many machines
//!
//! Ids, serials and pids are unique only on one machine.  A central log prefixes every line
//! with `node=NAME`; each node is read apart, into a report of its own (`fleet.rs`).  A log
//! without `node=` is one machine, reported as such.
//!
//! # Streaming
//!
//! Lines are read one at a time; records are grouped into events by their stamp in a window:
//! an event is closed when its `EOE` record arrives or when a record more than [`WINDOW`]
//! serials away arrives, and events are processed in the order they began.  Memory is bounded
//! by the window, the namespaces and containers of the log (a few hundred bytes each), the
//! tasks followed while they live and the events listed (only with `--ns` or `--event`), never
//! by the number of records.  A record that arrives after its event was closed is counted as a
//! separate event, with a warning.

pub mod capture;
mod decode;
mod exact;
mod extend;
mod finish;
mod fleet;
pub mod genlog;
mod infer;
mod model;
pub(crate) mod names;
mod parse;
mod render;
mod select;
mod stream;
#[cfg(test)]
mod tests;
pub mod whole;

pub use decode::{Subject, Syscall};
pub use fleet::{report_from_readers, split_node, NodeError, Reporter};
pub use model::{
    Attribution, ContainerOut, EventOut, Fleet, NamespaceOut, NsIds, NsRef, PerKind, Reason,
    Report, SelectionOut, SharedNs, Summary,
};
pub use parse::{parse_line, Fields, Line, Stamp};
pub use select::{EventSelector, NsSelector, ReportOptions};
pub use stream::{ContainerRef, StreamEvent, StreamStats, MAX_CONTAINERS, STALE_MS};

use crate::nsinfo::{NsInfo, AUDIT_NS_INFO, NS_INFO_FIELDS};
use crate::record::{
    check_field, parse_decimal, parse_stamp, snippet, split_log_line, type_from_name, ParseError,
    AUDIT_EOE, AUDIT_EXECVE, AUDIT_PROCTITLE, AUDIT_SYSCALL,
};
use crate::reference::{NsIdent, NsKind, Op};
use crate::syscall::{
    SYS_CLONE, SYS_CLONE3, SYS_EXECVE, SYS_EXECVEAT, SYS_EXIT_GROUP, SYS_FORK, SYS_UNSHARE,
    SYS_VFORK,
};
use decode::*;
use infer::*;
use names::Command;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::{self, BufRead, Write};
use stream::{stamp_ms, Stream};
use thiserror::Error;

/// An event is closed when a record this many serials away from it arrives.
pub const WINDOW: u64 = 1000;
/// At most this many diagnostics are kept; the rest are only counted.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Why a line was not taken.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LineError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{ty} record without {field}=")]
    Missing { ty: String, field: &'static str },
    #[error("{ty} record: bad {field}={value:?}")]
    BadValue {
        ty: String,
        field: &'static str,
        value: String,
    },
    #[error("not valid UTF-8")]
    NotUtf8,
    #[error("node= without a record after it")]
    NoRecord,
}

/// What a diagnostic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A line that could not be read: it counts as bad.
    Error,
    /// Something in the records that does not fit (late record, duplicate INIT).
    Warning,
}

/// A message about one line of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u64,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // A problem of an option (`--event`, `--ns`) has no line.
        match self.line {
            0 => write!(f, "{}: {sev}: {}", self.file, self.message),
            _ => write!(f, "{}:{}: {sev}: {}", self.file, self.line, self.message),
        }
    }
}

/// Errors of the report as a whole.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error("{file}: read error after line {line}: {source}")]
    Read {
        file: String,
        line: u64,
        source: io::Error,
    },
    #[error("bad selector {0:?}: expected <type>:<inode> (type mnt, uts, ipc, user, pid, net, cgroup or time) or a namespace id")]
    BadNsSelector(String),
    #[error("bad event {0:?}: expected a serial (123) or a stamp (1795923186.392:123)")]
    BadEventSelector(String),
    #[error("cannot write the report: {0}")]
    Write(#[from] io::Error),
}

/// Where a record or an event was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    file: u32,
    line: u64,
}

/// The highest id of an initial namespace (`NS_LAST_INIT_ID` of `<linux/nsfs.h>`): the
/// initial namespaces have the ids 1 to 8.
const NS_LAST_INIT_ID: u64 = 8;

/// The types of auditd's own records (`DAEMON_START`, ...), stamped with auditd's serials.
const AUDIT_FIRST_DAEMON: u16 = 1200;
const AUDIT_LAST_DAEMON: u16 = 1299;

/// Record types kept per event (beyond, they are only counted).
const EVENT_TYPES: usize = 8;

/// An event whose records are still being collected.
#[derive(Debug)]
struct Pending {
    stamp: Stamp,
    loc: Loc,
    records: u32,
    types: [u16; EVENT_TYPES],
    syscall: Option<(Syscall, Subject)>,
    ns: Vec<NsRec>,
    /// The ids of its `AUDIT_NS_INFO` record.
    info: Option<NsInfo>,
    /// The command line of its `PROCTITLE` record.
    title: Option<Vec<String>>,
    /// The arguments of its `EXECVE` record.
    argv: Option<Vec<String>>,
    /// Every record, when the report lists events or streams whole ones (`whole.rs`).
    raw: Vec<whole::RawRecord>,
    complete: bool,
}

/// What the report takes from a record besides its type and stamp.
#[derive(Debug)]
enum Content {
    Syscall(Syscall, Subject),
    Ns(NsRec),
    Info(NsInfo),
    Title(Vec<String>),
    Argv(Vec<String>),
    Other,
}

/// One machine's part of the report: the records of one node (or of a log without `node=`),
/// read into its namespaces, containers and tasks; see the module documentation.
struct Machine {
    opts: ReportOptions,
    /// The node its lines name; [`None`] for lines without `node=`.
    node: Option<String>,
    /// The names of the files read so far, as [`Loc::file`] indexes them.
    files: Vec<String>,
    summary: Summary,
    diagnostics: Vec<Diagnostic>,
    pending: VecDeque<Pending>,
    /// Sequence number of `pending[0]`.
    pending_base: u64,
    pending_index: HashMap<Stamp, u64>,
    /// The newest serial seen.
    newest: Option<u64>,
    /// Stamps of recently closed events, oldest first, to recognise late records.
    closed: VecDeque<Stamp>,
    closed_set: HashSet<Stamp>,
    namespaces: HashMap<NsKey, Namespace>,
    /// The containers by number, in order of creation.
    containers: BTreeMap<Cid, Container>,
    /// The number of the next container.
    next_cid: Cid,
    tasks: HashMap<u32, Task>,
    /// The command lines of tasks (`names.rs`).
    commands: HashMap<u32, Command>,
    /// Serial numbers missing between the events so far, and the highest one seen.
    serial_gaps: u64,
    serial_max: Option<u64>,
    events: Vec<EventOut>,
    selected_roots: Vec<NsKey>,
    event_hits: Vec<bool>,
    /// An event with an `AUDIT_NS_INFO` record was processed: the kernel writes them, so a
    /// system call event without one is a task's in the initial namespaces.
    info_seen: bool,
    /// Streaming: the events written as they close, and what is forgotten (`stream.rs`).
    stream: Option<Stream>,
    /// Every record of an event is kept: events are listed, or streamed whole.
    keep_raw: bool,
    /// The user names of this machine, for the events listed.
    names: whole::Names,
}

impl Machine {
    /// A machine for `node`; streaming with at most `stream` live containers if given.
    fn new(
        opts: ReportOptions,
        node: Option<String>,
        files: &[String],
        stream: Option<usize>,
    ) -> Self {
        let n = opts.events.len();
        let keep_raw = opts.whole || opts.selecting();
        let names = if opts.selecting() {
            whole::Names::of_this_machine()
        } else {
            whole::Names::default()
        };
        let summary = Summary {
            files: files.to_vec(),
            ..Summary::default()
        };
        Machine {
            opts,
            node,
            files: files.to_vec(),
            summary,
            diagnostics: Vec::new(),
            pending: VecDeque::new(),
            pending_base: 0,
            pending_index: HashMap::new(),
            newest: None,
            closed: VecDeque::new(),
            closed_set: HashSet::new(),
            namespaces: HashMap::new(),
            containers: BTreeMap::new(),
            next_cid: 0,
            tasks: HashMap::new(),
            commands: HashMap::new(),
            serial_gaps: 0,
            serial_max: None,
            events: Vec::new(),
            selected_roots: Vec::new(),
            event_hits: vec![false; n],
            info_seen: false,
            keep_raw,
            names,
            stream: stream.map(Stream::new),
        }
    }

    /// A file the lines that follow come from.
    fn add_file(&mut self, name: &str) {
        self.files.push(name.to_string());
        self.summary.files.push(name.to_string());
    }

    fn diag(&mut self, loc: Loc, severity: Severity, message: String) {
        match severity {
            Severity::Error => self.summary.bad_lines += 1,
            Severity::Warning => self.summary.warnings += 1,
        }
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(Diagnostic {
                file: self.files[loc.file as usize].clone(),
                line: loc.line,
                severity,
                message,
            });
        }
    }

    /// Counts and reports what became of a line: `complete` when it ended with a newline.
    fn line_result(&mut self, r: Result<(), LineError>, complete: bool, loc: Loc) {
        match (r, complete) {
            (Ok(()), true) => {}
            (Ok(()), false) => self.diag(
                loc,
                Severity::Warning,
                "the last line has no newline (the log may be cut here)".into(),
            ),
            (Err(e), true) => self.diag(loc, Severity::Error, e.to_string()),
            (Err(e), false) => self.diag(
                loc,
                Severity::Error,
                format!("truncated last line (no newline at the end of the file): {e}"),
            ),
        }
    }

    /// Takes one line (without its newline and its node).
    fn line(&mut self, text: &[u8], loc: Loc) -> Result<(), LineError> {
        let line = parse_line(text)?;
        let content = if line.ty == AUDIT_SYSCALL {
            let (call, subject) = decode_syscall(&line)?;
            Content::Syscall(call, subject)
        } else if line.ty == AUDIT_NS_INFO {
            Content::Info(decode_info(&line)?)
        } else if let Some((kind, init)) = NsKind::from_type(line.ty) {
            Content::Ns(decode_ns(&line, kind, init)?)
        } else if line.ty == AUDIT_PROCTITLE {
            Content::Title(decode_title(&line)?)
        } else if line.ty == AUDIT_EXECVE {
            Content::Argv(decode_execve(&line)?)
        } else {
            Content::Other
        };
        self.summary.records += 1;
        let raw = self.keep_raw.then(|| whole::raw_record(&line));
        self.add_record(line.ty, line.stamp, loc, content, raw);
        Ok(())
    }

    fn add_record(
        &mut self,
        ty: u16,
        stamp: Stamp,
        loc: Loc,
        content: Content,
        raw: Option<whole::RawRecord>,
    ) {
        let seq = match self.pending.back() {
            Some(p) if p.stamp == stamp => Some(self.pending_base + self.pending.len() as u64 - 1),
            _ => self.pending_index.get(&stamp).copied(),
        };
        let seq = match seq {
            Some(seq) => seq,
            None => {
                if self.closed_set.contains(&stamp) {
                    self.summary.late_records += 1;
                    self.diag(
                        loc,
                        Severity::Warning,
                        format!(
                            "a record of event {stamp} arrived after the event was closed \
                             ({WINDOW} serials later or after its EOE); counted as a separate event"
                        ),
                    );
                }
                let seq = self.pending_base + self.pending.len() as u64;
                self.pending.push_back(Pending {
                    stamp,
                    loc,
                    records: 0,
                    types: [0; EVENT_TYPES],
                    syscall: None,
                    ns: Vec::new(),
                    info: None,
                    title: None,
                    argv: None,
                    raw: Vec::new(),
                    complete: false,
                });
                self.pending_index.insert(stamp, seq);
                seq
            }
        };
        let i = (seq - self.pending_base) as usize;
        let p = &mut self.pending[i];
        if (p.records as usize) < EVENT_TYPES {
            p.types[p.records as usize] = ty;
        }
        p.records += 1;
        p.raw.extend(raw);
        let mut second_info = false;
        match content {
            Content::Syscall(call, subject) => {
                if p.syscall.is_none() {
                    p.syscall = Some((call, subject));
                }
            }
            Content::Ns(rec) => p.ns.push(rec),
            Content::Info(info) => {
                second_info = p.info.is_some();
                p.info.get_or_insert(info);
            }
            Content::Title(t) => {
                p.title.get_or_insert(t);
            }
            Content::Argv(a) => {
                p.argv.get_or_insert(a);
            }
            Content::Other => {}
        }
        if ty == AUDIT_EOE {
            p.complete = true;
        }
        if second_info {
            self.diag(
                loc,
                Severity::Warning,
                format!("a second AUDIT_NS_INFO record in event {stamp}; the first one counts"),
            );
        }
        self.newest = Some(stamp.serial);
        if let Some(st) = &mut self.stream {
            st.newest_ms = st.newest_ms.max(stamp_ms(&stamp));
        }
        self.flush(false);
    }

    /// Processes the events at the front of the window that are complete or too old (all of
    /// them with `all`).
    fn flush(&mut self, all: bool) {
        while let Some(front) = self.pending.front() {
            let old = self
                .newest
                .is_some_and(|n| n.abs_diff(front.stamp.serial) > WINDOW);
            let stale = self
                .stream
                .as_ref()
                .is_some_and(|st| st.newest_ms > stamp_ms(&front.stamp) + STALE_MS);
            if !(all || front.complete || old || stale) {
                break;
            }
            let Some(ev) = self.pending.pop_front() else {
                break;
            };
            self.pending_base += 1;
            self.pending_index.remove(&ev.stamp);
            if self.closed.len() >= WINDOW as usize * 4 {
                if let Some(s) = self.closed.pop_front() {
                    self.closed_set.remove(&s);
                }
            }
            if self.closed_set.insert(ev.stamp) {
                self.closed.push_back(ev.stamp);
            }
            self.process(ev);
        }
    }
}
