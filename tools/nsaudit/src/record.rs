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

/// `AUDIT_SYSCALL`: the record of an audited system call.
pub const AUDIT_SYSCALL: u16 = 1300;
/// `AUDIT_EOE`: the end of a multi-record event.
pub const AUDIT_EOE: u16 = 1320;
/// `AUDIT_PROCTITLE`: the command line of the task of an event.
pub const AUDIT_PROCTITLE: u16 = 1327;

/// Why a record, a log line or an untrusted string could not be parsed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("record does not start with \"audit(\": {0:?}")]
    NoHeader(String),
    #[error("bad stamp in {text:?}: {why}")]
    BadStamp { text: String, why: &'static str },
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

/// Names auditd writes for a few more types; accepted when reading a log, never written.
const MORE_NAMES: [(&str, u16); 7] = [
    ("DAEMON_START", 1200),
    ("CONFIG_CHANGE", 1305),
    ("KERN_MODULE", 1330),
    ("SERVICE_START", 1130),
    ("PATH", 1302),
    ("CWD", 1307),
    ("EXECVE", 1309),
];

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
        _ => MORE_NAMES
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

/// Parses one line of auditd's log: `[node=NAME ]type=NAME msg=audit(...): fields`.  The
/// interpreted part that auditd's enriched format appends after a `\x1d` is ignored.
pub fn parse_log_line(line: &str) -> Result<(u16, Record), ParseError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let raw = line.split('\u{1d}').next().unwrap_or_default();
    let raw = match raw.strip_prefix("node=") {
        Some(r) => r.split_once(' ').map(|(_, r)| r).unwrap_or_default(),
        None => raw,
    };
    let (name, msg) = split_log_line(raw, line)?;
    let ty = type_from_name(name)?;
    Ok((ty, parse_record(ty, msg)?))
}

/// A log line that could not be parsed, with its number (from 1).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("line {line}: {error}")]
pub struct LogError {
    pub line: usize,
    pub error: ParseError,
}

/// Parses an auditd log line by line, skipping empty lines; each item carries its line number
/// (from 1).
pub fn parse_log<R: BufRead>(
    reader: R,
) -> impl Iterator<Item = Result<(usize, u16, Record), LogError>> {
    reader.lines().enumerate().filter_map(|(i, line)| {
        let line_no = i + 1;
        match line {
            Err(e) => Some(Err(LogError {
                line: line_no,
                error: ParseError::Read(e.to_string()),
            })),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(
                parse_log_line(&l)
                    .map(|(ty, rec)| (line_no, ty, rec))
                    .map_err(|error| LogError {
                        line: line_no,
                        error,
                    }),
            ),
        }
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
mod tests {
    use super::*;

    const NET: &str = "audit(1700000000.123:45): op=create ppid=1 pid=77 auid=4294967295 uid=0 \
gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" \
exe=\"/bin/busybox\" dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 \
netns_id=4097 res=1";

    #[test]
    fn parses_a_record() {
        let r = parse_record(1345, NET).unwrap();
        assert_eq!((r.ty, r.sec, r.msec, r.serial), (1345, 1700000000, 123, 45));
        assert_eq!(r.fields.len(), 22);
        assert_eq!(r.keys()[..3], ["op", "ppid", "pid"]);
        assert_eq!(r.keys().last(), Some(&"res"));
        assert_eq!(r.get("comm"), Some("\"unshare\""));
        assert_eq!(r.get("tty"), Some("(none)"));
        assert_eq!(r.get("netns_id"), Some("4097"));
        assert_eq!(r.get("missing"), None);
        assert_eq!(r.payload(), NET);
    }

    #[test]
    fn get_returns_the_first_of_repeated_keys() {
        let r = parse_record(1300, "audit(1.000:2): a=1 a=2").unwrap();
        assert_eq!(r.get("a"), Some("1"));
        assert_eq!(r.keys(), ["a", "a"]);
    }

    #[test]
    fn parses_a_record_without_fields() {
        let r = parse_record(AUDIT_EOE, "audit(1.002:3): ").unwrap();
        assert!(r.fields.is_empty());
        assert_eq!(r.serial, 3);
        assert_eq!(parse_record(AUDIT_EOE, "audit(1.002:3):").unwrap(), r);
        assert_eq!(r.payload(), "audit(1.002:3): ");
    }

    #[test]
    fn keeps_values_unparsed() {
        let r = parse_record(1341, "audit(0.000:0): comm=6120622022 exe=(null) e= k=a-b").unwrap();
        assert_eq!(r.get("comm"), Some("6120622022"));
        assert_eq!(r.get("exe"), Some("(null)"));
        assert_eq!(r.get("e"), Some(""));
        assert_eq!(r.get("k"), Some("a-b"));
    }

    #[test]
    fn rejects_malformed_records() {
        type Want = fn(&ParseError) -> bool;
        let cases: &[(&str, Want)] = &[
            ("", |e| matches!(e, ParseError::NoHeader(_))),
            ("op=x", |e| matches!(e, ParseError::NoHeader(_))),
            (" audit(1.000:1): a=b", |e| {
                matches!(e, ParseError::NoHeader(_))
            }),
            ("audit(17959", |e| matches!(e, ParseError::BadStamp { .. })),
            ("audit(1.000:1", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.2:3): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.0000:3): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.002:x): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.002:+3): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(01.002:3): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1:3): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.002): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.002:99999999999999999999): a=b", |e| {
                matches!(e, ParseError::BadStamp { .. })
            }),
            ("audit(1.002:3):a=b", |e| {
                matches!(e, ParseError::NoSpace(_))
            }),
            ("audit(1.002:3): ab", |e| {
                matches!(e, ParseError::NoEquals(_))
            }),
            ("audit(1.002:3): a=b c", |e| {
                matches!(e, ParseError::NoEquals(_))
            }),
            ("audit(1.002:3): =b", |e| matches!(e, ParseError::BadKey(_))),
            ("audit(1.002:3): a.b=c", |e| {
                matches!(e, ParseError::BadKey(_))
            }),
            ("audit(1.002:3): a=b  c=d", |e| {
                matches!(e, ParseError::EmptyField(_))
            }),
            ("audit(1.002:3): a=b ", |e| {
                matches!(e, ParseError::EmptyField(_))
            }),
            ("audit(1.002:3):  a=b", |e| {
                matches!(e, ParseError::EmptyField(_))
            }),
            ("audit(1.002:3): a=b\tc=d", |e| {
                matches!(e, ParseError::BadChar(_))
            }),
            ("audit(1.002:3): a=\u{e9}", |e| {
                matches!(e, ParseError::BadChar(_))
            }),
            ("audit(1.002:3): a=b\n", |e| {
                matches!(e, ParseError::BadChar(_))
            }),
            ("audit(1.002:3): comm=\"x", |e| {
                matches!(e, ParseError::BadQuote(_))
            }),
            ("audit(1.002:3): comm=\"", |e| {
                matches!(e, ParseError::BadQuote(_))
            }),
            ("audit(1.002:3): comm=a\"b\"", |e| {
                matches!(e, ParseError::BadQuote(_))
            }),
            ("audit(1.002:3): comm=\"a\"b\"", |e| {
                matches!(e, ParseError::BadQuote(_))
            }),
        ];
        for (text, want) in cases {
            match parse_record(1, text) {
                Ok(r) => panic!("accepted {text:?}: {r:?}"),
                Err(e) => assert!(want(&e), "{text:?} gave {e:?}"),
            }
        }
    }

    #[test]
    fn rejects_every_truncation() {
        // Cut inside the stamp or right after ':' (no separator), each prefix must fail.
        let text = "audit(1700000000.123:45): a=\"b\"";
        for cut in 0.."audit(1700000000.123:45):".len() {
            assert!(
                parse_record(1, &text[..cut]).is_err(),
                "accepted {:?}",
                &text[..cut]
            );
        }
        // Cut inside the quoted value.
        assert!(parse_record(1, &text[..text.len() - 1]).is_err());
    }

    #[test]
    fn errors_quote_a_bounded_snippet() {
        let long = format!("audit(1.000:1): {}", "x".repeat(10_000));
        let msg = parse_record(1, &long).unwrap_err().to_string();
        assert!(msg.len() < 300, "{msg}");
        assert!(msg.contains("..."));
    }

    #[test]
    fn log_type_names() {
        assert_eq!(type_name(1300), "SYSCALL");
        assert_eq!(type_name(1320), "EOE");
        assert_eq!(type_name(1327), "PROCTITLE");
        assert_eq!(type_name(1345), "UNKNOWN[1345]");
        assert_eq!(type_name(1305), "UNKNOWN[1305]");
        assert_eq!(type_from_name("SYSCALL"), Ok(1300));
        assert_eq!(type_from_name("EOE"), Ok(1320));
        assert_eq!(type_from_name("UNKNOWN[1340]"), Ok(1340));
        assert_eq!(type_from_name("1351"), Ok(1351));
        assert_eq!(type_from_name("CONFIG_CHANGE"), Ok(1305));
        assert_eq!(type_from_name("EXECVE"), Ok(1309));
        assert_eq!(type_from_name("PATH"), Ok(1302));
        for bad in [
            "",
            "FOO",
            "UNKNOWN[]",
            "UNKNOWN[x]",
            "UNKNOWN[70000]",
            "-1",
            "UNKNOWN[1340",
        ] {
            assert!(type_from_name(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn round_trips_through_the_log_format() {
        let r = parse_record(1345, NET).unwrap();
        let line = r.to_log_line();
        assert_eq!(line, format!("type=UNKNOWN[1345] msg={NET}"));
        assert_eq!(parse_log_line(&line).unwrap(), (1345, r));
        for (ty, text) in [
            (1300, "audit(1.002:3): arch=c000003e syscall=272"),
            (1320, "audit(1.002:3): "),
        ] {
            let s = parse_record(ty, text).unwrap();
            assert_eq!(format_log_line(ty, text), s.to_log_line());
            assert_eq!(parse_log_line(&s.to_log_line()).unwrap(), (ty, s));
        }
    }

    #[test]
    fn parses_auditd_log_lines() {
        let (ty, r) = parse_log_line("type=1340 msg=audit(5.000:6): op=existing").unwrap();
        assert_eq!((ty, r.ty, r.serial), (1340, 1340, 6));
        let (ty, r) = parse_log_line(
            "node=guest type=SYSCALL msg=audit(5.000:6): arch=c000003e syscall=272\u{1d}ARCH=x86_64 SYSCALL=unshare",
        )
        .unwrap();
        assert_eq!(ty, 1300);
        assert_eq!(r.keys(), ["arch", "syscall"]);
        assert!(matches!(
            parse_log_line("msg=audit(1.002:3): "),
            Err(ParseError::NoType(_))
        ));
        assert!(matches!(
            parse_log_line("type=FOO msg=audit(1.002:3): "),
            Err(ParseError::BadType(_))
        ));
        assert!(matches!(
            parse_log_line("type=1345"),
            Err(ParseError::NoMsg(_))
        ));
        assert!(matches!(
            parse_log_line("type=1345 msg=x"),
            Err(ParseError::NoHeader(_))
        ));
        assert!(matches!(
            parse_log_line("node=x"),
            Err(ParseError::NoType(_))
        ));
        assert!(matches!(
            parse_log_line("type=UNKNOWN[1345] msg=audit(1.002:3): a"),
            Err(ParseError::NoEquals(_))
        ));
    }

    #[test]
    fn parse_log_numbers_lines() {
        let log = "type=UNKNOWN[1345] msg=audit(1.002:3): a=b\n\ngarbage\ntype=EOE msg=audit(1.002:3): \n";
        let out: Vec<_> = parse_log(log.as_bytes()).collect();
        assert_eq!(out.len(), 3);
        let (line, ty, rec) = out[0].as_ref().unwrap();
        assert_eq!((*line, *ty, rec.get("a")), (1, 1345, Some("b")));
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.line, 3);
        assert!(matches!(err.error, ParseError::NoType(_)));
        assert!(err.to_string().starts_with("line 3: "));
        assert_eq!(out[2].as_ref().unwrap().0, 4);
    }

    #[test]
    fn parse_log_reports_unreadable_lines() {
        let out: Vec<_> = parse_log(&b"type=EOE msg=audit(1.002:3): \n\xff\xfe\n"[..]).collect();
        assert!(out[0].is_ok());
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.line, 2);
        assert!(matches!(err.error, ParseError::Read(_)));
    }

    #[test]
    fn decodes_untrusted_strings() {
        assert_eq!(decode_untrusted("\"sh\"").unwrap(), b"sh");
        assert_eq!(decode_untrusted("\"\"").unwrap(), b"");
        assert_eq!(decode_untrusted("6120622022").unwrap(), b"a b \"");
        assert_eq!(decode_untrusted("00FF").unwrap(), [0u8, 0xff]);
        assert_eq!(decode_untrusted("(null)").unwrap(), b"");
        for bad in [
            "\"a", "\"", "\"a b\"", "\"a\"b\"", "612", "zz", "6a", "", "(none)", "0x41",
        ] {
            assert!(decode_untrusted(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn hex_is_needed_for_spaces_quotes_and_control_characters() {
        assert!(!needs_hex(b"unshare"));
        assert!(!needs_hex(b""));
        assert!(needs_hex(b"a b"));
        assert!(needs_hex(b"a\"b"));
        assert!(needs_hex(b"a\nb"));
        assert!(needs_hex(b"caf\xc3\xa9"));
        assert!(needs_hex(b"\x7f"));
    }

    /// Parses `text` every way there is; whatever parses must print back to itself.
    fn exercise(text: &str) {
        if let Ok(rec) = parse_record(1345, text) {
            let _ = crate::reference::check_ns_record(&rec);
            for (_, v) in &rec.fields {
                let _ = decode_untrusted(v);
            }
            assert_eq!(parse_record(1345, &rec.payload()), Ok(rec), "{text:?}");
        }
        if let Ok((ty, rec)) = parse_log_line(text) {
            let _ = crate::reference::check_ns_record(&rec);
            assert_eq!(
                parse_log_line(&rec.to_log_line()),
                Ok((ty, rec)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn survives_mutations() {
        let log = format!("type=UNKNOWN[1345] msg={NET}");
        let specials = [
            " ", "  ", "\"", "=", ":", "(", ")", ".", "\0", "\u{e9}", "\u{1d}", "\n", "0", "9", "",
        ];
        let mut n = 0;
        for base in [NET, log.as_str()] {
            let cuts: Vec<usize> = base.char_indices().map(|(i, _)| i).collect();
            for &i in &cuts {
                exercise(&base[..i]);
                exercise(&base[i..]);
                for sp in specials {
                    let next = base[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                    exercise(&format!("{}{sp}{}", &base[..i], &base[next..]));
                    exercise(&format!("{}{sp}{}", &base[..i], &base[i..]));
                    n += 2;
                }
            }
        }
        assert!(n > 10_000);
        // Random bytes, lossily decoded, from a fixed xorshift sequence.
        let alphabet = b"audit(1.000:2): k=v\"x\xff\xc3\x1d\ntype=UNKNOWN[13] msg=";
        let mut rng = crate::rng::Rng::new(1);
        let mut next = || rng.next_u64();
        for _ in 0..5000 {
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            exercise(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn decimal_numbers_are_strict() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("4294967295"), Some(4294967295));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "+1", "-1", "01", "1a", " 1", "18446744073709551616"] {
            assert_eq!(parse_decimal(bad), None, "accepted {bad:?}");
        }
    }
}
