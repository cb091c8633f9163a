// SPDX-License-Identifier: GPL-2.0

//! `nsaudit report`: containers, namespace lineage and the events inside them, from the records
//! of an auditd log alone.
//!
//! # What the log says
//!
//! * Lineage: every `AUDIT_NS_INIT_*` record names the new namespace (`<t>ns=`, `<t>ns_id=`) and
//!   the one it was derived from (`old_<t>ns=`, `old_<t>ns_id=`).  Namespaces are keyed by type
//!   and `ns_id`, which the kernel never reuses; inode numbers are reused.
//! * Containers: the namespaces created by one event (one `clone`/`unshare` with several
//!   `CLONE_NEW*` flags share `msg=audit(time:serial)`) form a *container*, named by that
//!   event.  Its creator is the subject of the event's `SYSCALL` record (or of its INIT records
//!   when there is none).  It ends with the last `AUDIT_NS_DEL_*` record of its namespaces.
//!
//! # What the report infers (the heuristic)
//!
//! A record other than INIT/DEL does not say which namespaces its task was in.  The report
//! follows tasks by pid:
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
pub mod genlog;

use crate::record::{parse_decimal, type_from_name, ParseError, AUDIT_EOE, AUDIT_SYSCALL};
use crate::reference::{NsIdent, NsKind, Op};
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::{self, BufRead, Write};
use thiserror::Error;

/// An event is closed when a record this many serials away from it arrives.
pub const WINDOW: u64 = 1000;
/// At most this many diagnostics are kept; the rest are only counted.
pub const MAX_DIAGNOSTICS: usize = 100;
/// At most this many characters of a line are quoted in a message.
const SNIPPET: usize = 100;

fn snippet(s: &str) -> String {
    match s.char_indices().nth(SNIPPET) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// The stamp of an event: `audit(SEC.MSEC:SERIAL)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Stamp {
    pub sec: u64,
    pub msec: u32,
    pub serial: u64,
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}:{}", self.sec, self.msec, self.serial)
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One line of an auditd log, borrowed: the header parsed, the fields on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The record type; 0 for a type name nsaudit does not know (`CWD`, `PATH`, ...).
    pub ty: u16,
    /// The `type=` value as written.
    pub name: &'a str,
    pub stamp: Stamp,
    /// The text after `): `, empty when the record has no field.
    body: &'a str,
}

impl<'a> Line<'a> {
    /// The fields, each checked as [`crate::record::parse_record`] checks it.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            split: (!self.body.is_empty()).then(|| self.body.split(' ')),
            after: "audit(...):",
        }
    }
}

/// The fields of a [`Line`]: `(key, value)` with the value as written, or the first error.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    split: Option<std::str::Split<'a, char>>,
    after: &'a str,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(&'a str, &'a str), ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let field = self.split.as_mut()?.next()?;
        let r = check_field(field, self.after);
        if r.is_err() {
            self.split = None;
        }
        self.after = field;
        Some(r)
    }
}

/// One `key=value` field of a line whose bytes are all printable ASCII or spaces.
fn check_field<'a>(field: &'a str, after: &str) -> Result<(&'a str, &'a str), ParseError> {
    if field.is_empty() {
        return Err(ParseError::EmptyField(snippet(after)));
    }
    let (k, v) = field
        .split_once('=')
        .ok_or_else(|| ParseError::NoEquals(snippet(field)))?;
    if k.is_empty()
        || !k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ParseError::BadKey(snippet(field)));
    }
    let vb = v.as_bytes();
    if memchr_count(b'"', vb) != 0
        && !(vb.len() >= 2
            && vb[0] == b'"'
            && vb[vb.len() - 1] == b'"'
            && memchr_count(b'"', vb) == 2)
    {
        return Err(ParseError::BadQuote(snippet(field)));
    }
    Ok((k, v))
}

fn memchr_count(c: u8, b: &[u8]) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

/// Whether every byte is printable ASCII or a space; written to vectorize.
fn all_printable(b: &[u8]) -> bool {
    b.iter()
        .fold(0u8, |acc, &x| acc | u8::from(x < 0x20) | u8::from(x > 0x7e))
        == 0
}

/// The record type of a `type=` value; 0 for a well-formed name nsaudit does not know.
fn line_type(name: &str) -> Result<u16, ParseError> {
    match name {
        "SYSCALL" => return Ok(AUDIT_SYSCALL),
        "EOE" => return Ok(AUDIT_EOE),
        _ => {}
    }
    match type_from_name(name) {
        Ok(ty) => Ok(ty),
        Err(_)
            if !name.is_empty()
                && name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
        {
            Ok(0)
        }
        Err(e) => Err(e),
    }
}

/// Parses the header of one line of an auditd log (without its newline): `[node=NAME ]type=NAME
/// msg=audit(SEC.MSEC:SERIAL):[ fields]`, with the rules of [`crate::record::parse_log_line`]
/// (which the unit tests and the fuzz target check), except that type names it does not know
/// are accepted as type 0.  Every byte before auditd's `\x1d` separator must be printable
/// ASCII or a space; the fields are checked by [`Line::fields`].
pub fn parse_line(line: &[u8]) -> Result<Line<'_>, ParseError> {
    let line = match line.iter().position(|&b| b == 0x1d) {
        Some(i) => &line[..i],
        None => line,
    };
    let line = match line.strip_prefix(b"node=") {
        Some(r) => match r.iter().position(|&b| b == b' ') {
            Some(i) => &r[i + 1..],
            None => &[],
        },
        None => line,
    };
    if !all_printable(line) {
        let text = String::from_utf8_lossy(line);
        return Err(ParseError::BadChar(snippet(&text)));
    }
    // All ASCII: this cannot fail.
    let line = std::str::from_utf8(line).map_err(|e| ParseError::Read(e.to_string()))?;
    let rest = line
        .strip_prefix("type=")
        .ok_or_else(|| ParseError::NoType(snippet(line)))?;
    let (name, msg) = rest
        .split_once(" msg=")
        .ok_or_else(|| ParseError::NoMsg(snippet(line)))?;
    let ty = line_type(name)?;
    let rest = msg
        .strip_prefix("audit(")
        .ok_or_else(|| ParseError::NoHeader(snippet(msg)))?;
    let bad = |why| ParseError::BadStamp {
        text: snippet(msg),
        why,
    };
    let (stamp, rest) = rest.split_once("):").ok_or_else(|| bad("no \"):\""))?;
    let (time, serial) = stamp.split_once(':').ok_or_else(|| bad("no ':'"))?;
    let (sec, msec) = time.split_once('.').ok_or_else(|| bad("no '.'"))?;
    if msec.len() != 3 || !msec.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the milliseconds are not three digits"));
    }
    let sec = parse_decimal(sec).ok_or_else(|| bad("the seconds are not a number"))?;
    let msec = msec.parse().map_err(|_| bad("bad milliseconds"))?;
    let serial = parse_decimal(serial).ok_or_else(|| bad("the serial is not a number"))?;
    let body = if rest.is_empty() {
        rest
    } else {
        rest.strip_prefix(' ')
            .ok_or_else(|| ParseError::NoSpace(snippet(rest)))?
    };
    Ok(Line {
        ty,
        name,
        stamp: Stamp { sec, msec, serial },
        body,
    })
}

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
        write!(f, "{}:{}: {sev}: {}", self.file, self.line, self.message)
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
    #[error("bad selector {0:?}: expected <type>:<inode> (type mnt, uts, ipc, user, pid or net) or a namespace id")]
    BadNsSelector(String),
    #[error("bad event {0:?}: expected a serial (123) or a stamp (1795923186.392:123)")]
    BadEventSelector(String),
    #[error("cannot write the report: {0}")]
    Write(#[from] io::Error),
}

/// A namespace the report is asked about: `--ns <type>:<inode>` or `--ns <ns_id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsSelector {
    /// Every namespace of that type that had that inode number (inode numbers are reused).
    Inode(NsKind, u64),
    /// The namespace(s) with that id (ids are unique per type; every type is searched).
    Id(u64),
}

impl std::str::FromStr for NsSelector {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::BadNsSelector(s.to_string());
        match s.split_once(':') {
            Some((t, inum)) => {
                let kind = NsKind::ALL
                    .into_iter()
                    .find(|k| k.name() == t || format!("{}ns", k.name()) == t)
                    .ok_or_else(bad)?;
                Ok(NsSelector::Inode(
                    kind,
                    parse_decimal(inum).ok_or_else(bad)?,
                ))
            }
            None => Ok(NsSelector::Id(parse_decimal(s).ok_or_else(bad)?)),
        }
    }
}

/// An event the report is asked about: `--event <serial>` or `--event SEC.MSEC:SERIAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSelector {
    Serial(u64),
    Stamp(Stamp),
}

impl std::str::FromStr for EventSelector {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, ReportError> {
        let bad = || ReportError::BadEventSelector(s.to_string());
        if let Some(n) = parse_decimal(s) {
            return Ok(EventSelector::Serial(n));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b':')
        {
            return Err(bad());
        }
        let line = format!("type=EOE msg=audit({s}): ");
        parse_line(line.as_bytes())
            .map(|l| EventSelector::Stamp(l.stamp))
            .map_err(|_| bad())
    }
}

impl EventSelector {
    fn matches(&self, stamp: &Stamp) -> bool {
        match self {
            EventSelector::Serial(n) => stamp.serial == *n,
            EventSelector::Stamp(s) => s == stamp,
        }
    }
}

/// What to report on.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub ns: Vec<NsSelector>,
    pub events: Vec<EventSelector>,
}

impl ReportOptions {
    fn selecting(&self) -> bool {
        !self.ns.is_empty() || !self.events.is_empty()
    }
}

/// Who did something: the subject fields of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub pid: u32,
    pub ppid: u32,
    pub uid: Option<u32>,
    pub auid: Option<u32>,
    pub ses: Option<u32>,
    /// `comm=` decoded (lossily) from audit's quoted or hex form.
    pub comm: Option<String>,
    /// `exe=` decoded; absent for `exe=(null)`.
    pub exe: Option<String>,
}

/// What a `SYSCALL` record says about its call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Syscall {
    pub arch: Option<String>,
    pub nr: u32,
    /// The x86_64 name, when the architecture is x86_64 and the number is one nsaudit knows.
    pub name: Option<&'static str>,
    pub success: Option<bool>,
    pub exit: Option<i64>,
    pub key: Option<String>,
}

/// x86_64 system call names the report prints.
const X86_64_SYSCALLS: [(u32, &str); 20] = [
    (0, "read"),
    (1, "write"),
    (2, "open"),
    (44, "sendto"),
    (56, "clone"),
    (57, "fork"),
    (58, "vfork"),
    (59, "execve"),
    (60, "exit"),
    (62, "kill"),
    (165, "mount"),
    (175, "init_module"),
    (231, "exit_group"),
    (257, "openat"),
    (272, "unshare"),
    (308, "setns"),
    (313, "finit_module"),
    (322, "execveat"),
    (428, "open_tree"),
    (435, "clone3"),
];
const SYS_CLONE: u32 = 56;
const SYS_FORK: u32 = 57;
const SYS_VFORK: u32 = 58;
const SYS_EXIT_GROUP: u32 = 231;
const SYS_UNSHARE: u32 = 272;
const SYS_CLONE3: u32 = 435;
const ARCH_X86_64: &str = "c000003e";

fn syscall_name(arch: Option<&str>, nr: u32) -> Option<&'static str> {
    if arch != Some(ARCH_X86_64) {
        return None;
    }
    X86_64_SYSCALLS
        .iter()
        .find(|(n, _)| *n == nr)
        .map(|(_, s)| *s)
}

/// `"text"` or hex, decoded lossily; `None` for `(null)` and what does not decode.
fn untrusted(v: &str) -> Option<String> {
    if v == "(null)" {
        return None;
    }
    crate::record::decode_untrusted(v)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A namespace record, decoded as far as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NsRec {
    kind: NsKind,
    op: Op,
    ns: NsIdent,
    old: Option<NsIdent>,
    /// The record's subject, which every record carries; [`None`] for the subject of no task
    /// (`pid=-1`) and in logs of the series' first format, whose records of a syscall event
    /// left the subject to the `SYSCALL` record.
    subject: Option<Subject>,
}

impl NsRec {
    /// Whether the record names a kernel thread as its subject (a removal run by a worker):
    /// no `exe`, never logged in, `kthreadd` or its child; or the fixed "kernel" subject
    /// (`pid=0`) of the series' first format.
    fn kernel(&self) -> bool {
        self.subject.as_ref().is_some_and(|s| {
            let kthread =
                s.exe.is_none() && s.auid == Some(u32::MAX) && (s.ppid == 2 || s.pid == 2);
            kthread || (s.pid == 0 && s.comm.as_deref() == Some("kernel"))
        })
    }
}

/// The field names of one kind: `old_<t>ns`, `old_<t>ns_id`, `<t>ns`, `<t>ns_id`.
fn ns_keys(kind: NsKind) -> [&'static str; 4] {
    match kind {
        NsKind::Mnt => ["old_mntns", "old_mntns_id", "mntns", "mntns_id"],
        NsKind::Uts => ["old_utsns", "old_utsns_id", "utsns", "utsns_id"],
        NsKind::Ipc => ["old_ipcns", "old_ipcns_id", "ipcns", "ipcns_id"],
        NsKind::User => ["old_userns", "old_userns_id", "userns", "userns_id"],
        NsKind::Pid => ["old_pidns", "old_pidns_id", "pidns", "pidns_id"],
        NsKind::Net => ["old_netns", "old_netns_id", "netns", "netns_id"],
    }
}

/// Subject fields as they are collected from a record.
#[derive(Default)]
struct SubjectFields<'a> {
    pid: Option<&'a str>,
    ppid: Option<&'a str>,
    uid: Option<&'a str>,
    auid: Option<&'a str>,
    ses: Option<&'a str>,
    comm: Option<&'a str>,
    exe: Option<&'a str>,
}

impl<'a> SubjectFields<'a> {
    /// Takes `k=v` if it is a subject field; true if it was.
    fn take(&mut self, k: &str, v: &'a str) -> bool {
        let slot = match k {
            "pid" => &mut self.pid,
            "ppid" => &mut self.ppid,
            "uid" => &mut self.uid,
            "auid" => &mut self.auid,
            "ses" => &mut self.ses,
            "comm" => &mut self.comm,
            "exe" => &mut self.exe,
            _ => return false,
        };
        if slot.is_none() {
            *slot = Some(v);
        }
        true
    }

    /// Whether the record had any subject field.
    fn any(&self) -> bool {
        [
            self.pid, self.ppid, self.uid, self.auid, self.ses, self.comm, self.exe,
        ]
        .iter()
        .any(Option::is_some)
    }

    fn subject(&self, ty: &str) -> Result<Subject, LineError> {
        let num = |field: &'static str, v: Option<&str>| -> Result<Option<u32>, LineError> {
            v.map(|v| {
                parse_decimal(v)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| LineError::BadValue {
                        ty: ty.to_string(),
                        field,
                        value: snippet(v),
                    })
            })
            .transpose()
        };
        let need = |field: &'static str, v: Option<u32>| {
            v.ok_or_else(|| LineError::Missing {
                ty: ty.to_string(),
                field,
            })
        };
        Ok(Subject {
            pid: need("pid", num("pid", self.pid)?)?,
            ppid: need("ppid", num("ppid", self.ppid)?)?,
            uid: num("uid", self.uid)?,
            auid: num("auid", self.auid)?,
            ses: num("ses", self.ses)?,
            comm: self.comm.and_then(untrusted),
            exe: self.exe.and_then(untrusted),
        })
    }
}

/// Decodes a `SYSCALL` record.
fn decode_syscall(line: &Line<'_>) -> Result<(Syscall, Subject), LineError> {
    let mut s = SubjectFields::default();
    let (mut arch, mut nr, mut success, mut exit, mut key) = (None, None, None, None, None);
    for f in line.fields() {
        let (k, v) = f?;
        if s.take(k, v) {
            continue;
        }
        let slot = match k {
            "arch" => &mut arch,
            "syscall" => &mut nr,
            "success" => &mut success,
            "exit" => &mut exit,
            "key" => &mut key,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v);
        }
    }
    let bad = |field, value: &str| LineError::BadValue {
        ty: "SYSCALL".into(),
        field,
        value: snippet(value),
    };
    let nr = nr.ok_or(LineError::Missing {
        ty: "SYSCALL".into(),
        field: "syscall",
    })?;
    let nr = parse_decimal(nr)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| bad("syscall", nr))?;
    let success = match success {
        None => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(v) => return Err(bad("success", v)),
    };
    let exit = match exit {
        None => None,
        Some(v) => {
            let n = match v.strip_prefix('-') {
                Some(d) => parse_decimal(d)
                    .and_then(|n| i64::try_from(n).ok())
                    .map(|n| -n),
                None => parse_decimal(v).and_then(|n| i64::try_from(n).ok()),
            };
            Some(n.ok_or_else(|| bad("exit", v))?)
        }
    };
    let key = key.and_then(untrusted);
    let call = Syscall {
        name: syscall_name(arch, nr),
        arch: arch.map(str::to_string),
        nr,
        success,
        exit,
        key,
    };
    Ok((call, s.subject("SYSCALL")?))
}

/// Decodes an `AUDIT_NS_*` record.
fn decode_ns(line: &Line<'_>, kind: NsKind, init: bool) -> Result<NsRec, LineError> {
    let ty = || {
        format!(
            "{}_{}",
            if init { "INIT" } else { "DEL" },
            kind.name().to_uppercase()
        )
    };
    let keys = ns_keys(kind);
    let mut s = SubjectFields::default();
    let mut vals: [Option<&str>; 4] = [None; 4];
    let mut op = None;
    for f in line.fields() {
        let (k, v) = f?;
        if s.take(k, v) {
            continue;
        }
        if k == "op" {
            op.get_or_insert(v);
        } else if let Some(i) = keys.iter().position(|key| *key == k) {
            vals[i].get_or_insert(v);
        }
    }
    let op = match (op, init) {
        (Some("create"), true) => Op::Create,
        (Some("existing"), true) => Op::Existing,
        (Some("remove"), false) => Op::Remove,
        (Some(v), _) => {
            return Err(LineError::BadValue {
                ty: ty(),
                field: "op",
                value: snippet(v),
            })
        }
        (None, _) => {
            return Err(LineError::Missing {
                ty: ty(),
                field: "op",
            })
        }
    };
    let num = |i: usize| -> Result<Option<u64>, LineError> {
        match vals[i] {
            None => Err(LineError::Missing {
                ty: ty(),
                field: keys[i],
            }),
            Some("(none)") if i < 2 => Ok(None),
            Some(v) => parse_decimal(v)
                .map(Some)
                .ok_or_else(|| LineError::BadValue {
                    ty: ty(),
                    field: keys[i],
                    value: snippet(v),
                }),
        }
    };
    let ns = NsIdent {
        inum: num(2)?.unwrap_or_default(),
        id: num(3)?.unwrap_or_default(),
    };
    let old = if init {
        match (num(0)?, num(1)?) {
            (Some(inum), Some(id)) => Some(NsIdent { inum, id }),
            _ => None,
        }
    } else {
        None
    };
    // audit_log_task_info() without a task writes pid=-1: no one to follow.
    let subject = if s.any() && s.pid != Some("-1") {
        Some(s.subject(&ty())?)
    } else {
        None
    };
    Ok(NsRec {
        kind,
        op,
        ns,
        old,
        subject,
    })
}

/// Where a record or an event was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    file: u32,
    line: u64,
}

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
    complete: bool,
}

/// Key of a namespace: type and id.
type NsKey = (NsKind, u64);
/// A container is numbered in the order of creation.
type Cid = usize;

/// Where a namespace comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Created by the event of that container.
    Container(Cid),
    /// `op=existing`: alive when the module was loaded, reported at that stamp.
    Existing(Stamp),
    /// Known only as the `old_` of another namespace or from its removal.
    Unknown,
}

#[derive(Debug)]
struct Namespace {
    inum: u64,
    origin: Origin,
    parent: Option<NsKey>,
    children: Vec<NsKey>,
    removed: Option<Stamp>,
    /// Selected by `--ns`, or derived from one that is.
    selected: bool,
}

/// Why an event belongs to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The event created the container's namespaces.
    Created,
    /// A record of the event removed one of its namespaces.
    Removed,
    /// The task was inside the container.
    Inside,
}

#[derive(Debug)]
struct Container {
    stamp: Stamp,
    loc: Loc,
    creator: Option<Subject>,
    syscall: Option<Syscall>,
    members: Vec<NsKey>,
    removed: usize,
    ended: Option<Stamp>,
    /// Containers whose namespaces this one's were derived from, or whose task created it.
    parents: Vec<Cid>,
    /// Events with [`Reason::Inside`] for this container.
    inside: u64,
    /// Tasks seen inside: counted, not kept.
    tasks_seen: u64,
    /// Live tasks, so they can be dropped when the container ends.
    tasks: Vec<u32>,
    interesting: bool,
}

/// A task the report follows.
#[derive(Debug, Clone, Copy)]
struct Task {
    container: Cid,
    ppid: u32,
}

/// An event listed in a selection.
#[derive(Debug, Clone, Serialize)]
pub struct EventOut {
    pub stamp: Stamp,
    pub file: String,
    pub line: u64,
    pub records: u32,
    /// Record type numbers (0 for names nsaudit does not know), at most eight.
    pub types: Vec<u16>,
    pub subject: Option<Subject>,
    pub syscall: Option<Syscall>,
    /// `INIT net:4026532033 id=28` for each namespace record.
    pub namespaces: Vec<String>,
    /// The containers it belongs to and why.
    pub containers: Vec<(Stamp, Reason)>,
}

/// A count per namespace type, indexed by [`NsKind::index`]; a JSON object by type name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerKind(pub [u64; 6]);

impl PerKind {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl std::ops::Index<NsKind> for PerKind {
    type Output = u64;
    fn index(&self, k: NsKind) -> &u64 {
        &self.0[k.index()]
    }
}

impl Serialize for PerKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        for k in NsKind::ALL {
            m.serialize_entry(k.name(), &self.0[k.index()])?;
        }
        m.end()
    }
}

/// Counts of the whole log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files: Vec<String>,
    pub lines: u64,
    pub records: u64,
    pub events: u64,
    pub bad_lines: u64,
    pub warnings: u64,
    /// INIT `op=create` records per type.
    pub created: PerKind,
    /// INIT `op=existing` records per type.
    pub existing: PerKind,
    /// DEL records per type.
    pub removed: PerKind,
    /// DEL records of namespaces the log has no INIT record for.
    pub removed_unknown: u64,
    pub containers: u64,
    pub containers_ended: u64,
    /// Records of an event that arrived after the event was closed.
    pub late_records: u64,
}

/// Reads auditd logs and builds the report; see the module documentation.
pub struct Reporter {
    opts: ReportOptions,
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
    containers: Vec<Option<Container>>,
    tasks: HashMap<u32, Task>,
    events: Vec<EventOut>,
    selected_roots: Vec<NsKey>,
    event_hits: Vec<bool>,
}

impl Reporter {
    pub fn new(opts: ReportOptions) -> Self {
        let n = opts.events.len();
        Reporter {
            opts,
            files: Vec::new(),
            summary: Summary::default(),
            diagnostics: Vec::new(),
            pending: VecDeque::new(),
            pending_base: 0,
            pending_index: HashMap::new(),
            newest: None,
            closed: VecDeque::new(),
            closed_set: HashSet::new(),
            namespaces: HashMap::new(),
            containers: Vec::new(),
            tasks: HashMap::new(),
            events: Vec::new(),
            selected_roots: Vec::new(),
            event_hits: vec![false; n],
        }
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

    /// Reads one log, `name` being what messages call it.  Lines that cannot be parsed are
    /// counted and reported as diagnostics; only a read error stops the file.
    pub fn read<R: BufRead>(&mut self, name: &str, mut reader: R) -> Result<(), ReportError> {
        let file = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push(name.to_string());
        self.summary.files.push(name.to_string());
        let mut buf = Vec::with_capacity(1024);
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|source| ReportError::Read {
                    file: name.to_string(),
                    line: line_no,
                    source,
                })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            self.summary.lines += 1;
            let loc = Loc {
                file,
                line: line_no,
            };
            let complete = buf.last() == Some(&b'\n');
            let text = if complete { &buf[..n - 1] } else { &buf[..] };
            if text.iter().all(|b| b.is_ascii_whitespace())
                || text.starts_with(b"----")
                || text.starts_with(b"time->")
            {
                continue;
            }
            let r = self.line(text, loc);
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
        Ok(())
    }

    /// Takes one line (without its newline).
    fn line(&mut self, text: &[u8], loc: Loc) -> Result<(), LineError> {
        let line = parse_line(text)?;
        let mut syscall = None;
        let mut ns = None;
        if line.ty == AUDIT_SYSCALL {
            syscall = Some(decode_syscall(&line)?);
        } else if let Some((kind, init)) = NsKind::from_type(line.ty) {
            ns = Some(decode_ns(&line, kind, init)?);
        }
        self.summary.records += 1;
        self.add_record(line.ty, line.stamp, loc, syscall, ns);
        Ok(())
    }

    fn add_record(
        &mut self,
        ty: u16,
        stamp: Stamp,
        loc: Loc,
        syscall: Option<(Syscall, Subject)>,
        ns: Option<NsRec>,
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
        if let Some(s) = syscall {
            if p.syscall.is_none() {
                p.syscall = Some(s);
            }
        }
        p.ns.extend(ns);
        if ty == AUDIT_EOE {
            p.complete = true;
        }
        self.newest = Some(stamp.serial);
        self.flush(false);
    }

    /// Processes the events at the front of the window that are complete or too old (all of
    /// them with `all`).
    fn flush(&mut self, all: bool) {
        while let Some(front) = self.pending.front() {
            let old = self
                .newest
                .is_some_and(|n| n.abs_diff(front.stamp.serial) > WINDOW);
            if !(all || front.complete || old) {
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

    fn ns_selected(&self, kind: NsKind, ns: NsIdent) -> bool {
        self.opts.ns.iter().any(|s| match *s {
            NsSelector::Inode(k, inum) => k == kind && inum == ns.inum,
            NsSelector::Id(id) => id == ns.id,
        })
    }

    /// The namespace `key`, created as known only by reference when the log has not shown it.
    fn ensure_ns(&mut self, kind: NsKind, ident: NsIdent) -> NsKey {
        let key = (kind, ident.id);
        if !self.namespaces.contains_key(&key) {
            let selected = self.ns_selected(kind, ident);
            if selected {
                self.selected_roots.push(key);
            }
            self.namespaces.insert(
                key,
                Namespace {
                    inum: ident.inum,
                    origin: Origin::Unknown,
                    parent: None,
                    children: Vec::new(),
                    removed: None,
                    selected,
                },
            );
        }
        key
    }

    fn container(&mut self, c: Cid) -> Option<&mut Container> {
        self.containers.get_mut(c).and_then(Option::as_mut)
    }

    fn add_task(&mut self, pid: u32, ppid: u32, c: Cid) {
        if pid == 0 {
            return;
        }
        if let Some(old) = self.tasks.insert(pid, Task { container: c, ppid }) {
            if old.container != c {
                if let Some(oc) = self.container(old.container) {
                    oc.tasks.retain(|&p| p != pid);
                }
            }
        }
        if let Some(ct) = self.container(c) {
            if !ct.tasks.contains(&pid) {
                ct.tasks.push(pid);
                ct.tasks_seen += 1;
            }
        }
    }

    fn drop_task(&mut self, pid: u32) {
        if let Some(t) = self.tasks.remove(&pid) {
            if let Some(c) = self.container(t.container) {
                c.tasks.retain(|&p| p != pid);
            }
        }
    }

    /// The container the task `pid` (child of `ppid`) is inside, following the rules of the
    /// module documentation; `adopt` lets a child of a known task join its container.
    fn task_container(&mut self, pid: u32, ppid: u32, adopt: bool) -> Option<Cid> {
        if pid == 0 {
            return None;
        }
        if let Some(t) = self.tasks.get(&pid).copied() {
            let same_parent = t.ppid == ppid
                || self
                    .tasks
                    .get(&ppid)
                    .is_some_and(|p| p.container == t.container);
            if same_parent {
                if t.ppid != ppid {
                    self.tasks.insert(
                        pid,
                        Task {
                            container: t.container,
                            ppid,
                        },
                    );
                }
                return Some(t.container);
            }
            // The pid was reused by a task outside.
            self.drop_task(pid);
        }
        if !adopt {
            return None;
        }
        let c = self.tasks.get(&ppid)?.container;
        self.add_task(pid, ppid, c);
        Some(c)
    }

    /// Whether container `y` is `x` or nested in it.
    fn within(&self, mut y: Cid, x: Cid) -> bool {
        for _ in 0..self.containers.len() {
            if y == x {
                return true;
            }
            match self
                .containers
                .get(y)
                .and_then(Option::as_ref)
                .and_then(|c| c.parents.first())
            {
                Some(&p) if p < y => y = p,
                _ => return false,
            }
        }
        false
    }

    /// Whether the task `pid` is inside a container with a PID namespace, so that the pids it
    /// sees are not the global ones.
    fn in_pid_container(&self, pid: u32) -> bool {
        self.tasks.get(&pid).is_some_and(|t| {
            self.containers
                .get(t.container)
                .and_then(Option::as_ref)
                .is_some_and(|c| c.members.iter().any(|(k, _)| *k == NsKind::Pid))
        })
    }

    fn process(&mut self, ev: Pending) {
        self.summary.events += 1;
        let mut reasons: Vec<(Cid, Reason)> = Vec::new();
        let subject = ev.syscall.as_ref().map(|(_, s)| s.clone()).or_else(|| {
            ev.ns
                .iter()
                .filter(|r| !r.kernel())
                .find_map(|r| r.subject.clone())
        });
        // Only DEL records: the task is exiting, it joins nothing.
        let adopt = ev.syscall.is_some() || ev.ns.iter().any(|r| r.op != Op::Remove);
        let inside = subject
            .as_ref()
            .and_then(|s| self.task_container(s.pid, s.ppid, adopt));
        let mut interesting_ns = false;
        let mut created: Option<Cid> = None;
        // Containers the new namespaces were derived from: their creator was inside.
        let mut lineage: Vec<Cid> = Vec::new();
        let mut ns_text = Vec::new();
        for rec in &ev.ns {
            let key = (rec.kind, rec.ns.id);
            let k = rec.kind.index();
            let verb = if rec.op == Op::Remove { "DEL" } else { "INIT" };
            if self.opts.selecting() {
                ns_text.push(format!(
                    "{verb} {}:{} id={}",
                    rec.kind.name(),
                    rec.ns.inum,
                    rec.ns.id
                ));
            }
            match rec.op {
                Op::Create | Op::Existing => {
                    if rec.op == Op::Create {
                        self.summary.created.0[k] += 1;
                    } else {
                        self.summary.existing.0[k] += 1;
                    }
                    if let Some(ns) = self.namespaces.get(&key) {
                        // A second module load writes op=existing again: nothing new.
                        if rec.op == Op::Existing && ns.origin != Origin::Unknown {
                            continue;
                        }
                        if ns.origin != Origin::Unknown || ns.removed.is_some() {
                            let msg = format!(
                                "a second INIT record for {}:{} id={} (the log repeats itself, or \
                                 logs are out of order); ignored",
                                rec.kind.name(),
                                rec.ns.inum,
                                rec.ns.id
                            );
                            self.diag(ev.loc, Severity::Warning, msg);
                            continue;
                        }
                    }
                    let parent = rec.old.map(|o| self.ensure_ns(rec.kind, o));
                    let key = self.ensure_ns(rec.kind, rec.ns);
                    let parent_selected = parent
                        .and_then(|p| self.namespaces.get(&p))
                        .is_some_and(|p| p.selected);
                    let origin = if rec.op == Op::Create {
                        let c = match created {
                            Some(c) => c,
                            None => {
                                let c = self.containers.len();
                                self.containers.push(Some(Container {
                                    stamp: ev.stamp,
                                    loc: ev.loc,
                                    creator: subject.clone(),
                                    syscall: ev.syscall.as_ref().map(|(s, _)| s.clone()),
                                    members: Vec::new(),
                                    removed: 0,
                                    ended: None,
                                    parents: Vec::new(),
                                    inside: 0,
                                    tasks_seen: 0,
                                    tasks: Vec::new(),
                                    interesting: false,
                                }));
                                self.summary.containers += 1;
                                created = Some(c);
                                c
                            }
                        };
                        Origin::Container(c)
                    } else {
                        Origin::Existing(ev.stamp)
                    };
                    let ns = self.namespaces.get_mut(&key).expect("just inserted");
                    ns.origin = origin;
                    ns.parent = parent;
                    ns.selected |= parent_selected;
                    let selected = ns.selected;
                    interesting_ns |= selected;
                    if let Some(p) = parent.and_then(|p| self.namespaces.get_mut(&p)) {
                        p.children.push(key);
                    }
                    let parent_container =
                        parent
                            .and_then(|p| self.namespaces.get(&p))
                            .and_then(|p| match p.origin {
                                Origin::Container(pc) => Some(pc),
                                _ => None,
                            });
                    if let Origin::Container(c) = origin {
                        let ct = self.container(c).expect("just created");
                        ct.members.push(key);
                        ct.interesting |= selected;
                        if let Some(pc) = parent_container {
                            if !lineage.contains(&pc) {
                                lineage.push(pc);
                            }
                        }
                    }
                }
                Op::Remove => {
                    self.summary.removed.0[k] += 1;
                    if !self.namespaces.contains_key(&key) {
                        self.summary.removed_unknown += 1;
                    }
                    let key = self.ensure_ns(rec.kind, rec.ns);
                    let ns = self.namespaces.get_mut(&key).expect("just inserted");
                    if ns.removed.is_some() {
                        let msg = format!(
                            "a second DEL record for {}:{} id={}; ignored",
                            rec.kind.name(),
                            rec.ns.inum,
                            rec.ns.id
                        );
                        self.diag(ev.loc, Severity::Warning, msg);
                        continue;
                    }
                    ns.removed = Some(ev.stamp);
                    interesting_ns |= ns.selected;
                    if let Origin::Container(c) = ns.origin {
                        reasons.push((c, Reason::Removed));
                        let mut tasks = Vec::new();
                        if let Some(ct) = self.container(c) {
                            ct.removed += 1;
                            if ct.removed == 1 {
                                tasks = std::mem::take(&mut ct.tasks);
                            }
                            if ct.removed == ct.members.len() {
                                ct.ended = Some(ev.stamp);
                            }
                        }
                        for pid in tasks {
                            self.tasks.remove(&pid);
                        }
                        if self.container(c).is_some_and(|ct| ct.ended.is_some()) {
                            self.summary.containers_ended += 1;
                        }
                    }
                }
            }
        }
        // The creator's container: the task's, unless the lineage contradicts it.
        let inside = match (inside, lineage.first().copied()) {
            (Some(y), Some(x)) if !self.within(y, x) => {
                if let Some(s) = &subject {
                    self.add_task(s.pid, s.ppid, x);
                }
                Some(x)
            }
            (None, Some(x)) => Some(x),
            (y, _) => y,
        };
        if let Some(c) = created {
            reasons.push((c, Reason::Created));
            let mut parents: Vec<Cid> = inside.into_iter().collect();
            parents.extend(lineage.iter().filter(|&&p| Some(p) != inside));
            if let Some(ct) = self.container(c) {
                ct.parents = parents;
            }
            let call = ev.syscall.as_ref().map(|(s, _)| s);
            // The system call as far as the report knows it: (number, exit) on x86_64.
            let known = call.filter(|c| c.name.is_some()).map(|c| (c.nr, c.exit));
            if let Some(s) = &subject {
                match (call.is_some(), known) {
                    (_, Some((SYS_CLONE | SYS_CLONE3 | SYS_FORK | SYS_VFORK, Some(child))))
                        if child > 0 && !self.in_pid_container(s.pid) =>
                    {
                        if let Ok(child) = u32::try_from(child) {
                            self.add_task(child, s.pid, c);
                        }
                    }
                    (false, _) | (_, Some((SYS_UNSHARE, _))) => self.add_task(s.pid, s.ppid, c),
                    _ => {}
                }
            }
            let by_event = self.opts.events.iter().position(|e| e.matches(&ev.stamp));
            if let Some(i) = by_event {
                self.event_hits[i] = true;
            }
            let parents_interesting = self
                .container(c)
                .map_or(Vec::new(), |ct| ct.parents.clone());
            let pi = parents_interesting.iter().any(|&p| {
                self.containers
                    .get(p)
                    .and_then(Option::as_ref)
                    .is_some_and(|pc| pc.interesting)
            });
            if let Some(ct) = self.container(c) {
                ct.interesting |= by_event.is_some() || pi;
            }
        }
        if let Some(p) = inside {
            reasons.push((p, Reason::Inside));
        }
        // One reason per container, the strongest: Created, then Removed, then Inside.
        reasons.sort_by_key(|&(c, r)| (c, r as u8));
        reasons.dedup_by_key(|&mut (c, _)| c);
        for &(c, r) in &reasons {
            if r == Reason::Inside {
                if let Some(ct) = self.container(c) {
                    ct.inside += 1;
                }
            }
        }
        if let (Some(s), Some((call, _))) = (&subject, &ev.syscall) {
            if call.nr == SYS_EXIT_GROUP && call.name.is_some() {
                self.drop_task(s.pid);
            }
        }
        if !self.opts.selecting() {
            return;
        }
        let listed = interesting_ns
            || reasons.iter().any(|&(c, _)| {
                self.containers
                    .get(c)
                    .and_then(Option::as_ref)
                    .is_some_and(|ct| ct.interesting)
            });
        if listed {
            let containers = reasons
                .iter()
                .filter_map(|&(c, r)| {
                    self.containers
                        .get(c)
                        .and_then(Option::as_ref)
                        .map(|ct| (ct.stamp, r))
                })
                .collect();
            let n = (ev.records as usize).min(EVENT_TYPES);
            self.events.push(EventOut {
                stamp: ev.stamp,
                file: self.files[ev.loc.file as usize].clone(),
                line: ev.loc.line,
                records: ev.records,
                types: ev.types[..n].to_vec(),
                subject,
                syscall: ev.syscall.map(|(s, _)| s),
                namespaces: ns_text,
                containers,
            });
        }
    }
}

/// A namespace as the report prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NsRef {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub inode: u64,
    pub id: u64,
}

impl fmt::Display for NsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} id={}", self.kind, self.inode, self.id)
    }
}

/// A container in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerOut {
    /// The stamp of the event that created it, which names it.
    pub id: Stamp,
    pub file: String,
    pub line: u64,
    pub creator: Option<Subject>,
    pub syscall: Option<Syscall>,
    pub namespaces: Vec<NsRef>,
    /// The container it is nested in (its namespaces were derived from that one's, or a task
    /// inside that one created it).
    pub parent: Option<Stamp>,
    /// Other containers some of its namespaces were derived from.
    pub also_derived_from: Vec<Stamp>,
    /// Nesting depth in the report's tree (0: created on the host).
    pub depth: usize,
    /// How many of its namespaces were removed.
    pub removed: usize,
    /// The last removal, when all of them were removed.
    pub ended: Option<Stamp>,
    /// Events of tasks inside it.
    pub events_inside: u64,
    /// Events of tasks inside it or a container nested in it.
    pub events_with_nested: u64,
    /// Tasks (pids) seen inside.
    pub tasks_seen: u64,
}

/// A namespace in the report.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceOut {
    #[serde(flatten)]
    pub ns: NsRef,
    /// `container`, `existing` (op=existing at module load) or `unknown` (seen only as an
    /// `old_` or removed).
    pub origin: &'static str,
    /// The container (creating event) or the module load event.
    pub created: Option<Stamp>,
    pub parent: Option<NsRef>,
    pub removed: Option<Stamp>,
    /// Depth in the lineage tree.
    pub depth: usize,
}

/// What `--ns` and `--event` matched, and the events listed for them.
#[derive(Debug, Clone, Serialize)]
pub struct SelectionOut {
    pub namespaces: Vec<NsRef>,
    pub containers: Vec<Stamp>,
    pub events: Vec<EventOut>,
}

/// The finished report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub containers: Vec<ContainerOut>,
    pub namespaces: Vec<NamespaceOut>,
    pub selection: Option<SelectionOut>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Reporter {
    fn ns_ref(&self, key: NsKey) -> NsRef {
        NsRef {
            kind: key.0.name(),
            inode: self.namespaces.get(&key).map_or(0, |n| n.inum),
            id: key.1,
        }
    }

    /// Ends the input: processes the events still open and builds the report.
    pub fn finish(mut self) -> Report {
        self.flush(true);
        for (i, sel) in self.opts.events.clone().iter().enumerate() {
            if !self.event_hits[i] {
                let what = match sel {
                    EventSelector::Serial(n) => format!("serial {n}"),
                    EventSelector::Stamp(s) => s.to_string(),
                };
                self.summary.warnings += 1;
                self.diagnostics.push(Diagnostic {
                    file: "--event".into(),
                    line: 0,
                    severity: Severity::Warning,
                    message: format!("no event with {what} created a namespace"),
                });
            }
        }
        let selecting = self.opts.selecting();
        // Containers: a tree by first parent, in order of creation.
        let n = self.containers.len();
        let shown = |c: &Container| !selecting || c.interesting;
        let mut children: Vec<Vec<Cid>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, c) in self.containers.iter().enumerate() {
            let Some(c) = c else { continue };
            if !shown(c) {
                continue;
            }
            let parent = c
                .parents
                .first()
                .copied()
                .filter(|&p| self.containers[p].as_ref().is_some_and(&shown));
            match parent {
                Some(p) if p < i => children[p].push(i),
                _ => roots.push(i),
            }
        }
        let mut totals = vec![0u64; n];
        for i in (0..n).rev() {
            if let Some(c) = &self.containers[i] {
                totals[i] += c.inside;
                if let Some(&p) = c.parents.first() {
                    if p < i {
                        totals[p] += totals[i];
                    }
                }
            }
        }
        let mut containers = Vec::new();
        let mut stack: Vec<(Cid, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            let Some(c) = &self.containers[i] else {
                continue;
            };
            let stamp_of = |p: Cid| self.containers[p].as_ref().map(|pc| pc.stamp);
            containers.push(ContainerOut {
                id: c.stamp,
                file: self.files[c.loc.file as usize].clone(),
                line: c.loc.line,
                creator: c.creator.clone(),
                syscall: c.syscall.clone(),
                namespaces: c.members.iter().map(|&k| self.ns_ref(k)).collect(),
                parent: c.parents.first().and_then(|&p| stamp_of(p)),
                also_derived_from: c
                    .parents
                    .iter()
                    .skip(1)
                    .filter_map(|&p| stamp_of(p))
                    .collect(),
                depth,
                removed: c.removed,
                ended: c.ended,
                events_inside: c.inside,
                events_with_nested: totals[i],
                tasks_seen: c.tasks_seen,
            });
            for &ch in children[i].iter().rev() {
                stack.push((ch, depth + 1));
            }
        }
        // Namespaces: lineage trees, by type, then id.
        let ns_shown = |ns: &Namespace| {
            !selecting
                || ns.selected
                || matches!(ns.origin, Origin::Container(c)
                    if self.containers[c].as_ref().is_some_and(|ct| ct.interesting))
        };
        let mut ns_roots: Vec<NsKey> = self
            .namespaces
            .iter()
            .filter(|(_, ns)| ns_shown(ns))
            .filter(|(_, ns)| {
                ns.parent
                    .and_then(|p| self.namespaces.get(&p))
                    .is_none_or(|p| !ns_shown(p))
            })
            .map(|(k, _)| *k)
            .collect();
        ns_roots.sort();
        let mut namespaces = Vec::new();
        let mut stack: Vec<(NsKey, usize)> = ns_roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((key, depth)) = stack.pop() {
            let Some(ns) = self.namespaces.get(&key) else {
                continue;
            };
            let (origin, created) = match ns.origin {
                Origin::Container(c) => ("container", self.containers[c].as_ref().map(|c| c.stamp)),
                Origin::Existing(s) => ("existing", Some(s)),
                Origin::Unknown => ("unknown", None),
            };
            namespaces.push(NamespaceOut {
                ns: self.ns_ref(key),
                origin,
                created,
                parent: ns.parent.map(|p| self.ns_ref(p)),
                removed: ns.removed,
                depth,
            });
            let mut ch: Vec<NsKey> = ns
                .children
                .iter()
                .copied()
                .filter(|c| self.namespaces.get(c).is_some_and(ns_shown))
                .collect();
            ch.sort();
            for c in ch.into_iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        let selection = selecting.then(|| {
            let mut roots = self.selected_roots.clone();
            roots.sort();
            SelectionOut {
                namespaces: roots.iter().map(|&k| self.ns_ref(k)).collect(),
                containers: self
                    .containers
                    .iter()
                    .flatten()
                    .filter(|c| {
                        self.opts.events.iter().any(|e| e.matches(&c.stamp))
                            || c.members.iter().any(|m| self.selected_roots.contains(m))
                    })
                    .map(|c| c.stamp)
                    .collect(),
                events: std::mem::take(&mut self.events),
            }
        });
        Report {
            summary: self.summary,
            containers,
            namespaces,
            selection,
            diagnostics: self.diagnostics,
        }
    }
}

/// Reads the logs in order and builds the report.
pub fn report_from_readers<R: BufRead>(
    opts: ReportOptions,
    inputs: impl IntoIterator<Item = (String, R)>,
) -> Result<Report, ReportError> {
    let mut r = Reporter::new(opts);
    for (name, input) in inputs {
        r.read(&name, input)?;
    }
    Ok(r.finish())
}

const KIND_NAMES: [&str; 6] = ["mnt", "uts", "ipc", "user", "pid", "net"];

fn per_kind(counts: &PerKind) -> String {
    let total = counts.total();
    let parts: Vec<String> = KIND_NAMES
        .iter()
        .zip(&counts.0)
        .filter(|(_, &n)| n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if parts.is_empty() {
        "0".into()
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

fn subject_text(s: &Subject) -> String {
    let mut t = format!("pid={} ppid={}", s.pid, s.ppid);
    for (k, v) in [("uid", s.uid), ("auid", s.auid), ("ses", s.ses)] {
        if let Some(v) = v {
            t += &format!(" {k}={v}");
        }
    }
    match &s.comm {
        Some(c) => t += &format!(" comm={c:?}"),
        None => t += " comm=(null)",
    }
    match &s.exe {
        Some(e) => t += &format!(" exe={e:?}"),
        None => t += " exe=(null)",
    }
    t
}

fn syscall_text(c: &Syscall) -> String {
    let mut t = match c.name {
        Some(n) => format!("{n}({})", c.nr),
        None => format!("syscall {}", c.nr),
    };
    if let Some(s) = c.success {
        t += if s { " success=yes" } else { " success=no" };
    }
    if let Some(e) = c.exit {
        t += &format!(" exit={e}");
    }
    if let Some(k) = &c.key {
        t += &format!(" key={k:?}");
    }
    t
}

impl Report {
    /// Whether a line could not be read.
    pub fn has_errors(&self) -> bool {
        self.summary.bad_lines > 0
    }

    /// The report as text: the counts, the containers as a tree, the lineage of the
    /// namespaces, and the events of a selection.
    pub fn write_text<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let s = &self.summary;
        writeln!(
            w,
            "nsaudit report: {} records in {} events, {} lines of {}",
            s.records,
            s.events,
            s.lines,
            s.files.join(", ")
        )?;
        writeln!(w, "namespaces created: {}", per_kind(&s.created))?;
        writeln!(
            w,
            "namespaces existing at module load: {}",
            per_kind(&s.existing)
        )?;
        writeln!(
            w,
            "namespaces removed: {}, {} of them created before the log",
            per_kind(&s.removed),
            s.removed_unknown
        )?;
        writeln!(
            w,
            "containers: {}, {} ended, {} alive at the end of the log",
            s.containers,
            s.containers_ended,
            s.containers - s.containers_ended
        )?;
        if s.bad_lines + s.warnings + s.late_records > 0 {
            writeln!(
                w,
                "problems: {} bad lines, {} warnings, {} late records",
                s.bad_lines, s.warnings, s.late_records
            )?;
        }
        if let Some(sel) = &self.selection {
            writeln!(w)?;
            let ns: Vec<String> = sel.namespaces.iter().map(|n| n.to_string()).collect();
            let cs: Vec<String> = sel.containers.iter().map(|c| c.to_string()).collect();
            writeln!(
                w,
                "selected namespaces: {}",
                if ns.is_empty() {
                    "none".into()
                } else {
                    ns.join(", ")
                }
            )?;
            writeln!(
                w,
                "selected containers: {}",
                if cs.is_empty() {
                    "none".into()
                } else {
                    cs.join(", ")
                }
            )?;
        }
        writeln!(w)?;
        writeln!(w, "containers (namespaces created by one event):")?;
        if self.containers.is_empty() {
            writeln!(w, "  none")?;
        }
        for c in &self.containers {
            let pad = "  ".repeat(c.depth + 1);
            let kinds: Vec<&str> = c.namespaces.iter().map(|n| n.kind).collect();
            writeln!(w, "{pad}container {}: {}", c.id, kinds.join(" "))?;
            let creator = c.creator.as_ref().map_or("unknown".into(), subject_text);
            writeln!(w, "{pad}  created by  {creator}")?;
            let call = c
                .syscall
                .as_ref()
                .map_or("no SYSCALL record".into(), syscall_text);
            writeln!(w, "{pad}              {call}  [{}:{}]", c.file, c.line)?;
            for (i, n) in c.namespaces.iter().enumerate() {
                let head = if i == 0 { "namespaces" } else { "" };
                writeln!(w, "{pad}  {head:<10}  {n}")?;
            }
            match c.ended {
                Some(e) => writeln!(w, "{pad}  ended       {e} (last removal)")?,
                None => writeln!(
                    w,
                    "{pad}  ended       no: {} of {} namespaces removed by the end of the log",
                    c.removed,
                    c.namespaces.len()
                )?,
            }
            writeln!(
                w,
                "{pad}  inside      {} events, {} with nested containers; {} tasks",
                c.events_inside, c.events_with_nested, c.tasks_seen
            )?;
        }
        writeln!(w)?;
        writeln!(w, "lineage (old_<t>ns_id -> <t>ns_id):")?;
        for n in &self.namespaces {
            let pad = "  ".repeat(n.depth + 1);
            let origin = match (n.origin, n.created) {
                ("container", Some(s)) => format!("container {s}"),
                ("existing", Some(s)) => format!("existing at {s}"),
                _ => "origin not in the log".into(),
            };
            let removed = n
                .removed
                .map_or(String::new(), |r| format!(", removed {r}"));
            writeln!(w, "{pad}{}  {origin}{removed}", n.ns)?;
        }
        if let Some(sel) = &self.selection {
            writeln!(w)?;
            writeln!(w, "events in the selection ({}):", sel.events.len())?;
            for e in &sel.events {
                let mut t = format!("  {}  {}:{}", e.stamp, e.file, e.line);
                if let Some(c) = &e.syscall {
                    t += &format!("  {}", syscall_text(c));
                }
                if let Some(s) = &e.subject {
                    t += &format!("  {}", subject_text(s));
                }
                for n in &e.namespaces {
                    t += &format!("  {n}");
                }
                for (c, r) in &e.containers {
                    let r = match r {
                        Reason::Created => "created",
                        Reason::Removed => "removal in",
                        Reason::Inside => "inside",
                    };
                    t += &format!("  [{r} {c}]");
                }
                writeln!(w, "{t}")?;
            }
        }
        Ok(())
    }

    /// The report as one JSON object.
    pub fn write_json<W: Write>(&self, w: &mut W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self).map_err(io::Error::other)?;
        writeln!(w)
    }

    /// The lineage as a Graphviz graph: a node per namespace, an edge from each to those
    /// derived from it, a cluster per container.
    pub fn write_dot<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let node = |n: &NsRef| format!("\"{}_{}\"", n.kind, n.id);
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        writeln!(w, "digraph nsaudit {{")?;
        writeln!(w, "  rankdir=LR;")?;
        writeln!(w, "  node [shape=box, fontname=\"monospace\"];")?;
        for (i, c) in self.containers.iter().enumerate() {
            let who = c.creator.as_ref().map_or(String::new(), |s| {
                format!("\\npid {} {}", s.pid, esc(s.comm.as_deref().unwrap_or("")))
            });
            writeln!(w, "  subgraph cluster_{i} {{")?;
            writeln!(w, "    label=\"container {}{who}\";", c.id)?;
            for n in &c.namespaces {
                writeln!(w, "    {};", node(n))?;
            }
            writeln!(w, "  }}")?;
        }
        for n in &self.namespaces {
            let removed = n
                .removed
                .map_or(String::new(), |r| format!("\\nremoved {r}"));
            let origin = if n.origin == "existing" {
                "\\nexisting"
            } else {
                ""
            };
            writeln!(
                w,
                "  {} [label=\"{}:{}\\nid {}{origin}{removed}\"];",
                node(&n.ns),
                n.ns.kind,
                n.ns.inode,
                n.ns.id
            )?;
            if let Some(p) = &n.parent {
                writeln!(w, "  {} -> {};", node(p), node(&n.ns))?;
            }
        }
        writeln!(w, "}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_log_line;

    const FIXTURE: &str = include_str!("../tests/fixtures/container.log");

    fn subject(pid: u32, ppid: u32, comm: &str) -> String {
        format!(
            "ppid={ppid} pid={pid} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
             fsgid=0 tty=(none) ses=1 comm=\"{comm}\" exe=\"/bin/{comm}\""
        )
    }

    fn syscall(serial: u64, nr: u32, exit: i64, pid: u32, ppid: u32) -> String {
        format!(
            "type=SYSCALL msg=audit(10.000:{serial}): arch=c000003e syscall={nr} success=yes \
             exit={exit} a0=0 items=0 {}",
            subject(pid, ppid, "sh")
        )
    }

    fn init(serial: u64, kind: &str, ty: u16, old: u64, id: u64, pid: u32) -> String {
        format!(
            "type=UNKNOWN[{ty}] msg=audit(10.000:{serial}): op=create {} dev=00:04 \
             old_{kind}ns={} old_{kind}ns_id={old} {kind}ns={} {kind}ns_id={id} res=1",
            subject(pid, 1, "sh"),
            4026531000 + old,
            4026532000 + id
        )
    }

    /// A removal by a workqueue worker.
    fn del(serial: u64, kind: &str, ty: u16, id: u64) -> String {
        format!(
            "type=UNKNOWN[{ty}] msg=audit(10.000:{serial}): op=remove ppid=2 pid=41 \
             auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) \
             ses=4294967295 comm=\"kworker/u8:1\" exe=(null) dev=00:04 {kind}ns={} {kind}ns_id={id} res=1",
            4026532000 + id
        )
    }

    fn eoe(serial: u64) -> String {
        format!("type=EOE msg=audit(10.000:{serial}): ")
    }

    fn run(opts: ReportOptions, log: &str) -> Report {
        report_from_readers(opts, [("t.log".to_string(), log.as_bytes())]).unwrap()
    }

    /// A container (net+uts, serial 2, by pid 50) whose child 51 runs a command (serial 3),
    /// a host event (serial 4), and the removals (5, 6).
    fn simple_log() -> Vec<String> {
        vec![
            init(2, "uts", 1341, 1, 20, 50),
            init(2, "net", 1345, 2, 21, 50),
            syscall(2, 272, 0, 50, 1),
            eoe(2),
            syscall(3, 59, 0, 51, 50),
            eoe(3),
            syscall(4, 59, 0, 60, 1),
            eoe(4),
            del(5, "uts", 1347, 20),
            del(6, "net", 1351, 21),
        ]
    }

    #[test]
    fn builds_a_container() {
        let r = run(ReportOptions::default(), &(simple_log().join("\n") + "\n"));
        assert_eq!(r.summary.records, 10);
        assert_eq!(r.summary.events, 5);
        assert_eq!(r.containers.len(), 1);
        let c = &r.containers[0];
        assert_eq!(c.id.serial, 2);
        assert_eq!(c.line, 1);
        let kinds: Vec<&str> = c.namespaces.iter().map(|n| n.kind).collect();
        assert_eq!(kinds, ["uts", "net"]);
        assert_eq!(c.creator.as_ref().unwrap().pid, 50);
        assert_eq!(c.syscall.as_ref().unwrap().name, Some("unshare"));
        assert_eq!(c.ended.map(|s| s.serial), Some(6));
        // The creator's child ran one event inside; the host event is not counted.
        assert_eq!(c.events_inside, 1);
        assert_eq!(c.tasks_seen, 2);
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        // Lineage: the parents are known only by reference.
        let net: Vec<_> = r.namespaces.iter().filter(|n| n.ns.kind == "net").collect();
        assert_eq!(net.len(), 2);
        assert_eq!(
            (net[0].ns.id, net[0].origin, net[0].depth),
            (2, "unknown", 0)
        );
        assert_eq!(
            (net[1].ns.id, net[1].origin, net[1].depth),
            (21, "container", 1)
        );
    }

    #[test]
    fn removers_are_not_followed_into_containers() {
        // The kernel thread of the removals, the subject of no task, and the fixed subject of
        // the series' first format: none of them is a task of the container.
        let no_task = "ppid=-1 pid=-1 auid=4294967295 uid=4294967295 gid=4294967295 \
                       euid=4294967295 suid=4294967295 fsuid=4294967295 egid=4294967295 \
                       sgid=4294967295 fsgid=4294967295 tty=(none) ses=4294967295 comm=(null) \
                       exe=(null)";
        let v1 = "ppid=0 pid=0 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 \
                  sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"kernel\" exe=(null)";
        for remover in [None, Some(no_task), Some(v1)] {
            let mut log = simple_log();
            if let Some(r) = remover {
                log[9] = log[9].replace(
                    &log[9][log[9].find("ppid=").unwrap()..log[9].find(" dev=").unwrap()],
                    r,
                );
            }
            let r = run(ReportOptions::default(), &(log.join("\n") + "\n"));
            assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
            let c = &r.containers[0];
            assert_eq!((c.events_inside, c.tasks_seen), (1, 2), "{remover:?}");
            assert_eq!(c.ended.map(|s| s.serial), Some(6));
        }
    }

    #[test]
    fn lists_the_events_of_a_selection() {
        let log = simple_log().join("\n") + "\n";
        for opts in [
            ReportOptions {
                events: vec!["2".parse().unwrap()],
                ..Default::default()
            },
            ReportOptions {
                ns: vec!["net:4026532021".parse().unwrap()],
                ..Default::default()
            },
            ReportOptions {
                ns: vec!["20".parse().unwrap()],
                ..Default::default()
            },
        ] {
            let r = run(opts, &log);
            let sel = r.selection.unwrap();
            let serials: Vec<u64> = sel.events.iter().map(|e| e.stamp.serial).collect();
            assert_eq!(serials, [2, 3, 5, 6]);
            assert_eq!(sel.events[1].containers[0].1, Reason::Inside);
            assert_eq!(sel.containers.len(), 1);
        }
    }

    #[test]
    fn reports_bad_lines_with_their_numbers_and_goes_on() {
        let mut lines = simple_log();
        lines.insert(4, "garbage".into());
        lines.insert(
            6,
            "type=SYSCALL msg=audit(10.000:3): syscall=59 pid=x ppid=1".into(),
        );
        lines.insert(
            7,
            "type=SYSCALL msg=audit(10.000:3): syscall=59  pid=51 ppid=50".into(),
        );
        let r = run(ReportOptions::default(), &(lines.join("\n") + "\n"));
        assert_eq!(r.summary.bad_lines, 3);
        assert!(r.has_errors());
        let lines: Vec<u64> = r.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, [5, 7, 8]);
        assert!(r.diagnostics[0].to_string().starts_with("t.log:5: error: "));
        assert!(
            r.diagnostics[1].message.contains("pid"),
            "{}",
            r.diagnostics[1]
        );
        assert_eq!(r.containers.len(), 1);
        assert_eq!(r.containers[0].ended.map(|s| s.serial), Some(6));
    }

    #[test]
    fn a_truncated_last_line_is_an_error_a_complete_one_is_not() {
        let lines = simple_log();
        let log = lines.join("\n");
        // The last line cut inside a field.
        let cut = &log[..log.len() - 12];
        let r = run(ReportOptions::default(), cut);
        assert_eq!(r.summary.bad_lines, 1);
        let d = &r.diagnostics[0];
        assert_eq!((d.line, d.severity), (10, Severity::Error));
        assert!(d.message.contains("truncated"), "{d}");
        // Cut after the whole record: only a warning.
        let r = run(ReportOptions::default(), &log);
        assert_eq!(r.summary.bad_lines, 0);
        assert_eq!(r.diagnostics[0].severity, Severity::Warning);
        assert_eq!(r.containers[0].ended.map(|s| s.serial), Some(6));
    }

    #[test]
    fn interleaved_records_make_the_same_report() {
        let a = simple_log();
        // The records of events 2 and 3 mixed, and a removal before the EOE of 3.
        let mixed = [
            &a[0], &a[4], &a[1], &a[2], &a[8], &a[5], &a[3], &a[6], &a[7], &a[9],
        ];
        let joined: Vec<&str> = mixed.iter().map(|s| s.as_str()).collect();
        let r1 = run(ReportOptions::default(), &(a.join("\n") + "\n"));
        let r2 = run(ReportOptions::default(), &(joined.join("\n") + "\n"));
        assert_eq!(r2.summary.events, r1.summary.events);
        assert_eq!(r2.containers[0].namespaces, r1.containers[0].namespaces);
        assert_eq!(r2.containers[0].creator, r1.containers[0].creator);
        assert_eq!(r2.containers[0].ended, r1.containers[0].ended);
        assert!(r2.diagnostics.is_empty());
    }

    #[test]
    fn late_records_are_counted_and_named() {
        let mut lines = vec![syscall(1, 59, 0, 70, 1)];
        for s in 2..(WINDOW + 10) {
            lines.push(syscall(s, 0, 0, 70, 1));
            lines.push(eoe(s));
        }
        lines.push(eoe(1));
        let r = run(ReportOptions::default(), &(lines.join("\n") + "\n"));
        assert_eq!(r.summary.late_records, 1);
        let d = &r.diagnostics[0];
        assert_eq!(d.line, lines.len() as u64);
        assert!(d.message.contains("10.000:1"), "{d}");
        // Event 1 twice (its SYSCALL, then its late EOE) and the events 2 to WINDOW + 9.
        assert_eq!(r.summary.events, WINDOW + 10);
    }

    #[test]
    fn removals_without_creation_and_repeated_records() {
        let mut lines = simple_log();
        lines.push(del(7, "ipc", 1348, 99));
        lines.push(init(8, "uts", 1341, 1, 20, 50));
        let r = run(ReportOptions::default(), &(lines.join("\n") + "\n"));
        assert_eq!(r.summary.removed_unknown, 1);
        assert_eq!(r.summary.warnings, 1);
        assert!(r.diagnostics[0].message.contains("second INIT"));
        assert_eq!(r.diagnostics[0].line, 12);
    }

    #[test]
    fn inode_numbers_select_every_namespace_that_had_them() {
        let log = [
            init(2, "net", 1345, 1, 20, 50),
            eoe(2),
            del(3, "net", 1351, 20),
            // Same inode, new id.
            format!(
                "type=UNKNOWN[1345] msg=audit(10.000:4): op=create {} dev=00:04 \
                 old_netns=4026531001 old_netns_id=1 netns=4026532020 netns_id=30 res=1",
                subject(52, 1, "unshare")
            ),
        ];
        let r = run(
            ReportOptions {
                ns: vec!["net:4026532020".parse().unwrap()],
                ..Default::default()
            },
            &(log.join("\n") + "\n"),
        );
        let sel = r.selection.unwrap();
        let ids: Vec<u64> = sel.namespaces.iter().map(|n| n.id).collect();
        assert_eq!(ids, [20, 30]);
        assert_eq!(r.containers.len(), 2);
    }

    #[test]
    fn clone_puts_the_child_inside_not_the_caller() {
        let log = [
            init(2, "pid", 1344, 1, 20, 50),
            syscall(2, 56, 51, 50, 1),
            eoe(2),
            syscall(3, 59, 0, 51, 50),
            eoe(3),
            syscall(4, 59, 0, 50, 1),
            eoe(4),
        ];
        let r = run(ReportOptions::default(), &(log.join("\n") + "\n"));
        assert_eq!(r.containers[0].events_inside, 1);
        assert!(r.containers[0].ended.is_none());
    }

    #[test]
    fn tasks_leave_at_exit_group_and_when_their_pid_is_reused() {
        let log = [
            init(2, "net", 1345, 1, 20, 50),
            syscall(2, 272, 0, 50, 1),
            eoe(2),
            syscall(3, 231, 0, 50, 1),
            eoe(3),
            // pid 50 again, a new task.
            syscall(4, 59, 0, 50, 1),
            eoe(4),
            // A reused pid with another parent.
            init(5, "uts", 1341, 1, 21, 60),
            syscall(5, 272, 0, 60, 1),
            eoe(5),
            syscall(6, 59, 0, 60, 7),
            eoe(6),
        ];
        let r = run(ReportOptions::default(), &(log.join("\n") + "\n"));
        let inside: Vec<u64> = r.containers.iter().map(|c| c.events_inside).collect();
        assert_eq!(inside, [1, 0]);
    }

    #[test]
    fn not_utf8_and_binary_lines_are_errors() {
        let mut log = simple_log().join("\n").into_bytes();
        log.extend_from_slice(b"\ntype=EOE msg=audit(10.000:9): \xff\xfe\n\x00\x01\n");
        let r =
            report_from_readers(ReportOptions::default(), [("b".to_string(), &log[..])]).unwrap();
        assert_eq!(r.summary.bad_lines, 2);
        assert_eq!(r.diagnostics[0].line, 11);
        assert_eq!(r.diagnostics[1].line, 12);
    }

    #[test]
    fn selectors() {
        assert_eq!(
            "net:4026532001".parse::<NsSelector>().unwrap(),
            NsSelector::Inode(NsKind::Net, 4026532001)
        );
        assert_eq!(
            "userns:5".parse::<NsSelector>().unwrap(),
            NsSelector::Inode(NsKind::User, 5)
        );
        assert_eq!("28".parse::<NsSelector>().unwrap(), NsSelector::Id(28));
        for bad in ["", "foo:1", "net:", "net:x", "-1", "net:1:2"] {
            assert!(bad.parse::<NsSelector>().is_err(), "accepted {bad:?}");
        }
        assert_eq!(
            "12".parse::<EventSelector>().unwrap(),
            EventSelector::Serial(12)
        );
        assert_eq!(
            "1795923186.392:15".parse::<EventSelector>().unwrap(),
            EventSelector::Stamp(Stamp {
                sec: 1795923186,
                msec: 392,
                serial: 15
            })
        );
        for bad in ["", "x", "1.2:3", "1.002", "1.002:3): a=b"] {
            assert!(bad.parse::<EventSelector>().is_err(), "accepted {bad:?}");
        }
    }

    /// `parse_line` with every field checked must agree with the validator's parser.
    fn agree(text: &str) {
        let t = text.strip_suffix('\n').unwrap_or(text);
        let mine = parse_line(t.as_bytes()).and_then(|l| {
            let f: Result<Vec<_>, _> = l.fields().collect();
            f.map(|f| (l, f))
        });
        match parse_log_line(text) {
            Ok((ty, rec)) => {
                let (l, f) = mine.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                assert_eq!(l.ty, ty, "{text:?}");
                assert_eq!(
                    (l.stamp.sec, l.stamp.msec, l.stamp.serial),
                    (rec.sec, rec.msec, rec.serial)
                );
                let fields: Vec<(String, String)> = f
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                assert_eq!(fields, rec.fields, "{text:?}");
            }
            Err(_) => {
                if let Ok((l, _)) = mine {
                    assert_eq!(l.ty, 0, "accepted {text:?}, the validator does not");
                }
            }
        }
    }

    #[test]
    fn the_line_parser_agrees_with_the_validators() {
        let mut n = 0;
        let specials = [
            " ", "  ", "\"", "=", ":", "(", ")", ".", "\0", "\u{e9}", "\u{1d}", "\n", "0", "",
        ];
        for base in FIXTURE.lines().take(40) {
            agree(base);
            let cuts: Vec<usize> = base.char_indices().map(|(i, _)| i).step_by(3).collect();
            for &i in &cuts {
                agree(&base[..i]);
                agree(&base[i..]);
                for sp in specials {
                    let next = base[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                    agree(&format!("{}{sp}{}", &base[..i], &base[next..]));
                    n += 1;
                }
            }
        }
        assert!(n > 10_000);
        for odd in [
            "node=x type=EOE msg=audit(1.000:1): ",
            "type=CWD msg=audit(1.000:1): cwd=\"/\"",
        ] {
            assert!(parse_line(odd.as_bytes()).is_ok());
        }
    }

    #[test]
    fn survives_random_logs() {
        let alphabet = b"type=UNKNOWN[1345] SYSCALL EOE msg=audit(1.000:2): op=create netns_id=1 \
old_netns_id=2 pid=3 ppid=\"x\xff\x1d\n\n";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut bytes = Vec::new();
            for _ in 0..(x % 400) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                bytes.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let opts = ReportOptions {
                ns: vec![NsSelector::Id(1)],
                events: vec![EventSelector::Serial(2)],
            };
            let r = report_from_readers(opts, [("r".to_string(), &bytes[..])]).unwrap();
            r.write_text(&mut io::sink()).unwrap();
            r.write_json(&mut io::sink()).unwrap();
            r.write_dot(&mut io::sink()).unwrap();
        }
    }

    #[test]
    fn the_fixture_reads_cleanly() {
        let r = run(ReportOptions::default(), FIXTURE);
        assert_eq!(r.summary.bad_lines, 0);
        assert_eq!(r.summary.lines, FIXTURE.lines().count() as u64);
        let mut out = Vec::new();
        r.write_dot(&mut out).unwrap();
        let dot = String::from_utf8(out).unwrap();
        assert!(dot.starts_with("digraph nsaudit {"));
        // The network namespace unshared inside the container's comes from it.
        let nested = FIXTURE
            .lines()
            .filter_map(|l| parse_log_line(l).ok())
            .filter(|(ty, r)| *ty == 1345 && r.get("op") == Some("create"))
            .filter_map(|(_, r)| {
                let (old, new) = (r.get("old_netns_id")?, r.get("netns_id")?);
                let created = format!(" netns_id={old} res=1");
                FIXTURE
                    .lines()
                    .any(|l| l.contains(" op=create ") && l.ends_with(&created))
                    .then(|| format!("\"net_{old}\" -> \"net_{new}\";"))
            })
            .next();
        let edge = nested.expect("the fixture has a nested network namespace");
        assert!(dot.contains(&edge), "{edge}: {dot}");
    }
}
