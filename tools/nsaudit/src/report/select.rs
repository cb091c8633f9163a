// SPDX-License-Identifier: GPL-2.0

//! What `--ns` and `--event` ask the report about.

use super::*;

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
    pub(super) fn matches(&self, stamp: &Stamp) -> bool {
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
    /// Only the lines of these nodes (`node=NAME`); all when empty.
    pub nodes: Vec<String>,
    /// The containers whose runtime's command line has one of these (`names.rs`).
    pub containers: Vec<String>,
    /// Keep every record of an event, for the plugin's whole events (`whole.rs`).
    pub whole: bool,
}

impl ReportOptions {
    pub(super) fn selecting(&self) -> bool {
        !self.ns.is_empty() || !self.events.is_empty() || !self.containers.is_empty()
    }
}
