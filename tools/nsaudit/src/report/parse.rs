// SPDX-License-Identifier: GPL-2.0

//! The lines of an auditd log: the stamp, the type and the fields, without decoding them.

use super::*;

/// At most this many characters of a line are quoted in a message.
pub(super) const SNIPPET: usize = 100;

pub(super) fn snippet(s: &str) -> String {
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
pub(super) fn check_field<'a>(
    field: &'a str,
    after: &str,
) -> Result<(&'a str, &'a str), ParseError> {
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

pub(super) fn memchr_count(c: u8, b: &[u8]) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

/// Whether every byte is printable ASCII or a space; written to vectorize.
pub(super) fn all_printable(b: &[u8]) -> bool {
    b.iter()
        .fold(0u8, |acc, &x| acc | u8::from(x < 0x20) | u8::from(x > 0x7e))
        == 0
}

/// The record type of a `type=` value; 0 for a well-formed name nsaudit does not know.
pub(super) fn line_type(name: &str) -> Result<u16, ParseError> {
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
