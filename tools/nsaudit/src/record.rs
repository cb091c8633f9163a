// SPDX-License-Identifier: GPL-2.0

//! Audit records as text, from the audit netlink socket or from auditd's log format.
//!
//! The kernel writes a record as `audit(SECONDS.MILLIS:SERIAL): key=value key=value ...`: one
//! space after the stamp, fields separated by single spaces, a value running until the next
//! space.  Values never contain spaces: audit quotes untrusted strings only when they contain no
//! space, quote or control character, and hex-encodes them otherwise.  This parser is strict:
//! anything else is an error, never a panic.

use std::io::BufRead;
use thiserror::Error;

mod names;
pub mod order;
pub use names::AUDITD_TYPE_NAMES;
pub use order::{OutOfOrder, TaskOrder};

/// `AUDIT_SYSCALL`: the record of an audited system call.
pub const AUDIT_SYSCALL: u16 = 1300;
/// `AUDIT_EOE`: the end of a multi-record event.
pub const AUDIT_EOE: u16 = 1320;
/// `AUDIT_EXECVE`: the arguments of an `execve(2)`.
pub const AUDIT_EXECVE: u16 = 1309;
/// `AUDIT_PROCTITLE`: the command line of the task of an event.
pub const AUDIT_PROCTITLE: u16 = 1327;
/// `AUDIT_URINGOP`: the record of an audited io_uring operation, which takes the place of the
/// `SYSCALL` record in its event.
pub const AUDIT_URINGOP: u16 = 1336;

/// Why a record, a log line or an untrusted string could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("record does not start with \"audit(\": {0:?}")]
    NoHeader(String),
    #[error("bad stamp in {text:?}: {why}")]
    BadStamp { text: String, why: &'static str },
    #[error(
        "interpreted output (ausearch -i, aureport -i): the records are needed as the kernel \
         wrote them: use ausearch --raw, or the log itself"
    )]
    Interpreted,
    #[error("expected a space after the stamp \"audit(...):\", found {0:?}")]
    NoSpace(String),
    #[error("empty field (two spaces in a row or a trailing space) after {0:?}")]
    EmptyField(String),
    #[error("field {0:?} has no \"=\"")]
    NoEquals(String),
    #[error("field {0:?}: the key must be letters, digits, '_' or '-'")]
    BadKey(String),
    #[error("field {0:?}: the value has a character outside printable ASCII")]
    BadChar(String),
    #[error("field {0:?}: a quote that does not enclose the whole value")]
    BadQuote(String),
    #[error("log line does not start with \"type=\": {0:?}")]
    NoType(String),
    #[error("unknown record type name {0:?}")]
    BadType(String),
    #[error("log line has no \" msg=\" after the type: {0:?}")]
    NoMsg(String),
    #[error("bad untrusted string {text:?}: {why}")]
    BadUntrusted { text: String, why: &'static str },
    #[error("cannot read the log: {0}")]
    Read(String),
}

/// At most this many characters of the input are quoted in an error.
const SNIPPET: usize = 100;

/// `s`, cut to [`SNIPPET`] characters for an error message.
pub(crate) fn snippet(s: &str) -> String {
    match s.char_indices().nth(SNIPPET) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// The record type (`nlmsg_type`), e.g. 1300 for `SYSCALL`.
    pub ty: u16,
    /// Seconds of the event's time stamp.
    pub sec: u64,
    /// Milliseconds of the event's time stamp.
    pub msec: u32,
    /// The event serial: the records of one event share stamp and serial.
    pub serial: u64,
    /// The fields in their order, values exactly as written (quotes kept).
    pub fields: Vec<(String, String)>,
}

impl Record {
    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The field names in order.
    pub fn keys(&self) -> Vec<&str> {
        self.fields.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The record's text as the kernel writes it: `audit(S.mmm:N): k=v ...`.
    pub fn payload(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "audit({}.{:03}:{}): {}",
            self.sec,
            self.msec,
            self.serial,
            fields.join(" ")
        )
    }

    /// The record as a line of auditd's log (see [`format_log_line`]).
    pub fn to_log_line(&self) -> String {
        format_log_line(self.ty, &self.payload())
    }
}

/// The type name auditd writes in its log: `SYSCALL`, `EOE` and `PROCTITLE` for the record types
/// nsaudit meets besides its own, `UNKNOWN[N]` otherwise (auditd's spelling for the types its
/// tables do not have, which is what it writes for the `AUDIT_NS_*` types).
pub fn type_name(ty: u16) -> String {
    match ty {
        AUDIT_SYSCALL => "SYSCALL".into(),
        AUDIT_EOE => "EOE".into(),
        AUDIT_PROCTITLE => "PROCTITLE".into(),
        _ => format!("UNKNOWN[{ty}]"),
    }
}

/// The record type of a log line's `type=` value: a name, `UNKNOWN[N]` or a number.
pub fn type_from_name(name: &str) -> Result<u16, ParseError> {
    let bad = || ParseError::BadType(snippet(name));
    let number = |s: &str| parse_decimal(s).and_then(|n| u16::try_from(n).ok());
    if let Some(n) = name
        .strip_prefix("UNKNOWN[")
        .and_then(|r| r.strip_suffix(']'))
    {
        return number(n).ok_or_else(bad);
    }
    match name {
        "SYSCALL" => Ok(AUDIT_SYSCALL),
        "EOE" => Ok(AUDIT_EOE),
        "PROCTITLE" => Ok(AUDIT_PROCTITLE),
        _ => AUDITD_TYPE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .or_else(|| number(name))
            .ok_or_else(bad),
    }
}

/// A line of auditd's log for a record of type `ty` whose text is `payload`:
/// `type=NAME msg=audit(...): ...`.
pub fn format_log_line(ty: u16, payload: &str) -> String {
    format!("type={} msg={payload}", type_name(ty))
}

/// A decimal number as the kernel prints it: digits only, no sign, no leading zero.
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// The stamp of a record: seconds, milliseconds, serial.
pub type RawStamp = (u64, u32, u64);

/// Splits `audit(S.mmm:N):` off `payload`; returns the stamp and the fields' text after the one
/// space (empty when the record has no field).
pub fn parse_stamp(payload: &str) -> Result<(RawStamp, &str), ParseError> {
    let rest = payload
        .strip_prefix("audit(")
        .ok_or_else(|| ParseError::NoHeader(snippet(payload)))?;
    let bad = |why| ParseError::BadStamp {
        text: snippet(payload),
        why,
    };
    // `ausearch -i` writes the time as a date: `audit(12/05/2026 10:00:01.123:45) : ...`.
    if let Some((stamp, _)) = rest.split_once(')') {
        if stamp.contains('/') && stamp.contains(' ') {
            return Err(ParseError::Interpreted);
        }
    }
    let (stamp, rest) = rest.split_once("):").ok_or_else(|| bad("no \"):\""))?;
    let (time, serial) = stamp.split_once(':').ok_or_else(|| bad("no ':'"))?;
    let (sec, msec) = time.split_once('.').ok_or_else(|| bad("no '.'"))?;
    if msec.len() != 3 || !msec.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the milliseconds are not three digits"));
    }
    let sec = parse_decimal(sec).ok_or_else(|| bad("the seconds are not a number"))?;
    let msec = msec.parse().map_err(|_| bad("bad milliseconds"))?;
    let serial = parse_decimal(serial).ok_or_else(|| bad("the serial is not a number"))?;
    // An event's last record (EOE) has no field at all.
    let body = if rest.is_empty() {
        rest
    } else {
        rest.strip_prefix(' ')
            .ok_or_else(|| ParseError::NoSpace(snippet(rest)))?
    };
    Ok(((sec, msec, serial), body))
}

/// Checks one `key=value` field, `after` being the field before it (for the message of an
/// empty field); returns the key and the value as written.
pub fn check_field<'a>(field: &'a str, after: &str) -> Result<(&'a str, &'a str), ParseError> {
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
    if !v.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ParseError::BadChar(snippet(field)));
    }
    let quotes = v.bytes().filter(|&b| b == b'"').count();
    let enclosed = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
    if quotes != 0 && !(quotes == 2 && enclosed) {
        return Err(ParseError::BadQuote(snippet(field)));
    }
    Ok((k, v))
}

/// Splits a log line's `type=NAME msg=PAYLOAD` (after any `node=` prefix) into the name and
/// the payload; `line` is what a message quotes.
pub fn split_log_line<'a>(raw: &'a str, line: &str) -> Result<(&'a str, &'a str), ParseError> {
    let rest = raw
        .strip_prefix("type=")
        .ok_or_else(|| ParseError::NoType(snippet(line)))?;
    rest.split_once(" msg=")
        .ok_or_else(|| ParseError::NoMsg(snippet(line)))
}

/// Parses the text of a record of type `msg_type` as the kernel sends it over netlink.
pub fn parse_record(msg_type: u16, payload: &str) -> Result<Record, ParseError> {
    let ((sec, msec, serial), body) = parse_stamp(payload)?;
    let mut fields = Vec::new();
    if !body.is_empty() {
        let mut after = "audit(...):";
        for field in body.split(' ') {
            let (k, v) = check_field(field, after)?;
            fields.push((k.to_string(), v.to_string()));
            after = field;
        }
    }
    Ok(Record {
        ty: msg_type,
        sec,
        msec,
        serial,
        fields,
    })
}

/// Splits one line of auditd's log, `[node=NAME ]type=NAME msg=audit(...): fields`, into its
/// record type and the record's text as the kernel sent it, without parsing the fields.  The
/// interpreted part that auditd's enriched format appends after a `\x1d` is left out.
pub fn split_log_record(line: &str) -> Result<(u16, &str), ParseError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let raw = line.split('\u{1d}').next().unwrap_or_default();
    let raw = match raw.strip_prefix("node=") {
        Some(r) => r.split_once(' ').map(|(_, r)| r).unwrap_or_default(),
        None => raw,
    };
    let (name, msg) = split_log_line(raw, line)?;
    Ok((type_from_name(name)?, msg))
}

/// Parses one line of auditd's log: `[node=NAME ]type=NAME msg=audit(...): fields`.  The
/// interpreted part that auditd's enriched format appends after a `\x1d` is ignored.
pub fn parse_log_line(line: &str) -> Result<(u16, Record), ParseError> {
    let (ty, msg) = split_log_record(line)?;
    Ok((ty, parse_record(ty, msg)?))
}

/// A log line that could not be parsed, with its number (from 1).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("line {line}: {error}")]
pub struct LogError {
    pub line: usize,
    pub error: ParseError,
}

/// The lines of a log, skipping empty ones; each item carries its line number (from 1).
pub fn log_lines<R: BufRead>(reader: R) -> impl Iterator<Item = Result<(usize, String), LogError>> {
    reader.lines().enumerate().filter_map(|(i, line)| {
        let line_no = i + 1;
        match line {
            Err(e) => Some(Err(LogError {
                line: line_no,
                error: ParseError::Read(e.to_string()),
            })),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(Ok((line_no, l))),
        }
    })
}

/// Parses an auditd log line by line, skipping empty lines; each item carries its line number
/// (from 1).
pub fn parse_log<R: BufRead>(
    reader: R,
) -> impl Iterator<Item = Result<(usize, u16, Record), LogError>> {
    log_lines(reader).map(|item| {
        let (line, l) = item?;
        parse_log_line(&l)
            .map(|(ty, rec)| (line, ty, rec))
            .map_err(|error| LogError { line, error })
    })
}

/// Whether audit writes `bytes` hex-encoded rather than quoted (`audit_string_contains_control`).
pub fn needs_hex(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| b == b'"' || !(0x21..=0x7e).contains(&b))
}

/// Decodes an audit untrusted string: `"text"` gives the bytes between the quotes, uppercase hex
/// (`6120622022`) the bytes it encodes, and `(null)` (what audit writes for a missing string)
/// nothing.
pub fn decode_untrusted(value: &str) -> Result<Vec<u8>, ParseError> {
    let bad = |why| ParseError::BadUntrusted {
        text: snippet(value),
        why,
    };
    if value == "(null)" {
        return Ok(Vec::new());
    }
    if let Some(inner) = value.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .ok_or_else(|| bad("no closing quote"))?;
        if needs_hex(inner.as_bytes()) {
            return Err(bad(
                "a quoted string with a quote, space or control character",
            ));
        }
        return Ok(inner.as_bytes().to_vec());
    }
    if value.is_empty() {
        return Err(bad("empty"));
    }
    if !value.len().is_multiple_of(2) {
        return Err(bad("odd number of hex digits"));
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    value
        .as_bytes()
        .chunks(2)
        .map(|pair| match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(bad("not uppercase hex")),
        })
        .collect()
}

#[cfg(test)]
mod tests;
