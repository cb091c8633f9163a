// SPDX-License-Identifier: GPL-2.0

//! The lines of an auditd log: the stamp, the type and the fields, without decoding them.

use super::*;

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
    /// The text after `): `, as written.
    pub fn body(&self) -> &'a str {
        self.body
    }

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
/// msg=audit(SEC.MSEC:SERIAL):[ fields]`, borrowed, with the parser of [`crate::record`]
/// ([`split_log_line`], [`parse_stamp`], [`check_field`]), except that type names it does not
/// know are accepted as type 0.  Every byte before auditd's `\x1d` separator must be printable
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
    let (name, msg) = split_log_line(line, line)?;
    let ty = line_type(name)?;
    let ((sec, msec, serial), body) = parse_stamp(msg)?;
    Ok(Line {
        ty,
        name,
        stamp: Stamp { sec, msec, serial },
        body,
    })
}
