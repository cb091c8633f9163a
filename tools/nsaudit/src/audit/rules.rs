// SPDX-License-Identifier: GPL-2.0

//! Audit rules as `auditctl` writes them, with the namespace fields of the series
//! (`mntns_id` ... `timens_id`, `AUDIT_MNTNS_ID` 27 ... `AUDIT_TIMENS_ID` 34): parsed from
//! auditctl's options, encoded to and decoded from the kernel's `struct audit_rule_data`, and
//! printed back in auditctl's syntax; and the requests that add, delete and list them.
//!
//! A namespace field's value is a 64-bit `ns_id`, which the 32-bit `values[]` cannot hold: the
//! rule carries it in its buffer like a string field's text, `values[i]` being its length, 8,
//! and the bytes those of a `u64` in host byte order (`audit_data_to_entry()` in the series'
//! `kernel/auditfilter.c`).  `netlink-packet-audit` knows no such field, so the structure is
//! written and read here.

use super::{AuditError, AuditSocket, Incoming, NLMSG_HDRLEN};
use crate::nsinfo::{field_of, initial_id};
use crate::reference::NsKind;
use netlink_packet_core::{NLMSG_DONE, NLM_F_ACK, NLM_F_REQUEST};
use std::fmt;
use std::time::Duration;

/// `AUDIT_ADD_RULE`, `AUDIT_DEL_RULE`, `AUDIT_LIST_RULES`.
const AUDIT_ADD_RULE: u16 = 1011;
const AUDIT_DEL_RULE: u16 = 1012;
const AUDIT_LIST_RULES: u16 = 1013;
/// `AUDIT_MNTNS_ID`, the first namespace field; the others follow in [`NsKind::ALL`] order.
pub const AUDIT_MNTNS_ID: u32 = 27;
const AUDIT_BITMASK_SIZE: usize = 64;
/// `AUDIT_MAX_FIELDS`.
pub const AUDIT_MAX_FIELDS: usize = 64;
/// `AUDIT_FILTER_PREPEND`, a flag beside the list number.
const AUDIT_FILTER_PREPEND: u32 = 0x10;
/// Bytes of `struct audit_rule_data` before `buf`: flags, action, field_count, mask, fields,
/// values, fieldflags, buflen.
pub const RULE_DATA_LEN: usize = 4 * (3 + AUDIT_BITMASK_SIZE + 3 * AUDIT_MAX_FIELDS + 1);
/// `AUDIT_ARCH_X86_64` and `AUDIT_ARCH_I386`, auditctl's `b64` and `b32`.
const ARCHES: [(&str, u32); 2] = [("b64", 0xc000_003e), ("b32", 0x4000_0003)];

/// A filter list (`AUDIT_FILTER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    User = 0,
    Task = 1,
    Exit = 4,
    Exclude = 5,
    Filesystem = 6,
    IoUring = 7,
}

const LISTS: [(List, &str); 6] = [
    (List::User, "user"),
    (List::Task, "task"),
    (List::Exit, "exit"),
    (List::Exclude, "exclude"),
    (List::Filesystem, "filesystem"),
    (List::IoUring, "io_uring"),
];

/// A rule's action (`AUDIT_NEVER`, `AUDIT_ALWAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Never = 0,
    Always = 2,
}

/// A comparison, with its `fieldflags` value and auditctl's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitMask,
    BitTest,
}

const OPS: [(Op, u32, &str); 8] = [
    // Two-character spellings first, so that "!=" is not read as "!" and "=".
    (Op::Ne, 0x3000_0000, "!="),
    (Op::Le, 0x5000_0000, "<="),
    (Op::Ge, 0x6000_0000, ">="),
    (Op::BitTest, 0x4800_0000, "&="),
    (Op::Eq, 0x4000_0000, "="),
    (Op::Lt, 0x1000_0000, "<"),
    (Op::Gt, 0x2000_0000, ">"),
    (Op::BitMask, 0x0800_0000, "&"),
];

/// A rule field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `<t>ns_id`: the id of the task's namespace of that type.
    Ns(NsKind),
    /// A field with a 32-bit number (`uid`, `arch`, ...), by its `AUDIT_*` number.
    Num(u32),
    /// A field whose value is text in the buffer (`key`, `exe`, `path`, `dir`, LSM labels).
    Text(u32),
}

/// The 32-bit fields nsaudit names.
const NUM_FIELDS: [(&str, u32); 12] = [
    ("pid", 0),
    ("uid", 1),
    ("euid", 2),
    ("gid", 5),
    ("egid", 6),
    ("auid", 9),
    ("arch", 11),
    ("msgtype", 12),
    ("ppid", 18),
    ("sessionid", 25),
    ("exit", 103),
    ("success", 104),
];

/// The text fields nsaudit names.
const TEXT_FIELDS: [(&str, u32); 4] = [("path", 105), ("dir", 107), ("exe", 112), ("key", 210)];

/// The other text fields, whose values a listing must skip in the buffer: the LSM labels.
const LSM_FIELDS: [u32; 10] = [13, 14, 15, 16, 17, 19, 20, 21, 22, 23];

impl Field {
    /// Its `AUDIT_*` number.
    pub fn number(self) -> u32 {
        match self {
            Field::Ns(k) => AUDIT_MNTNS_ID + k.index() as u32,
            Field::Num(n) | Field::Text(n) => n,
        }
    }

    /// The field of `AUDIT_*` number `n`.
    pub fn from_number(n: u32) -> Field {
        let ns = n.checked_sub(AUDIT_MNTNS_ID).map(|i| i as usize);
        if let Some(k) = ns.and_then(|i| NsKind::ALL.get(i)) {
            return Field::Ns(*k);
        }
        if TEXT_FIELDS.iter().any(|&(_, t)| t == n) || LSM_FIELDS.contains(&n) {
            return Field::Text(n);
        }
        Field::Num(n)
    }

    /// By name: `mntns_id`, `uid`, `key`, ..., or `f<N>` for field number N, as auditctl
    /// lists fields it has no name for.
    pub fn from_name(name: &str) -> Result<Field, String> {
        if let Some(k) = NsKind::ALL.into_iter().find(|&k| field_of(k) == name) {
            return Ok(Field::Ns(k));
        }
        if let Some(&(_, n)) = NUM_FIELDS.iter().find(|(s, _)| *s == name) {
            return Ok(Field::Num(n));
        }
        if let Some(&(_, n)) = TEXT_FIELDS.iter().find(|(s, _)| *s == name) {
            return Ok(Field::Text(n));
        }
        match name.strip_prefix('f').map(str::parse::<u32>) {
            Some(Ok(n)) => Ok(Field::from_number(n)),
            _ => Err(format!(
                "unknown field {name:?}: nsaudit knows {}, {}, {} and f<number>",
                NsKind::ALL.map(field_of).join(", "),
                NUM_FIELDS.map(|(s, _)| s).join(", "),
                TEXT_FIELDS.map(|(s, _)| s).join(", ")
            )),
        }
    }

    fn name(self) -> String {
        let named = |t: &[(&'static str, u32)], n| t.iter().find(|&&(_, x)| x == n).map(|p| p.0);
        match self {
            Field::Ns(k) => field_of(k).to_string(),
            Field::Num(n) => named(&NUM_FIELDS, n).map_or(format!("f{n}"), str::to_string),
            Field::Text(n) => named(&TEXT_FIELDS, n).map_or(format!("f{n}"), str::to_string),
        }
    }
}

/// A field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Num(u32),
    /// A namespace id: 8 bytes in the buffer.
    Id(u64),
    /// Text in the buffer; also any other bytes, for rules the kernel must refuse.
    Bytes(Vec<u8>),
}

/// One `-F` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

/// A rule: its list, action, system calls (exit and io_uring lists; [`None`] for all) and
/// conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    pub list: List,
    pub action: Action,
    pub syscalls: Option<Vec<u32>>,
    pub conds: Vec<Cond>,
}

/// Parses a namespace id for the field of `kind`: a decimal or 0x number of 1 to 2^64-1, or
/// `init`, the id of the initial namespace of that type.
pub fn parse_ns_id(kind: NsKind, text: &str) -> Result<u64, String> {
    let field = field_of(kind);
    if text == "init" {
        return Ok(initial_id(kind));
    }
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse::<u64>(),
    };
    match parsed {
        Ok(0) => Err(format!("{field}=0: no namespace has id 0")),
        Ok(id) => Ok(id),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(format!(
            "{field}={text}: out of range, a namespace id is 64-bit (at most {})",
            u64::MAX
        )),
        Err(_) => Err(format!(
            "{field}={text}: not a namespace id (a number, or \"init\" for {})",
            initial_id(kind)
        )),
    }
}

/// Puts the namespace fields after the others, keeping each group's order.  An auditctl that
/// does not know them does not skip their 8 bytes in the buffer when it lists a rule, and
/// would read a string field after one (`key=`, `exe=`) from the wrong place.
pub fn namespace_fields_last(conds: &mut [Cond]) {
    conds.sort_by_key(|c| matches!(c.field, Field::Ns(_)));
}

/// Parses `-F` text: `name<op>value`.
pub fn parse_cond(text: &str) -> Result<Cond, String> {
    let at = text
        .find(['=', '!', '<', '>', '&'])
        .ok_or_else(|| format!("-F {text}: no operator (=, !=, <, <=, >, >=, &, &=)"))?;
    let (name, rest) = text.split_at(at);
    let &(op, _, spelled) = OPS
        .iter()
        .find(|(_, _, s)| rest.starts_with(s))
        .ok_or_else(|| format!("-F {text}: bad operator"))?;
    let value = &rest[spelled.len()..];
    if value.is_empty() {
        return Err(format!("-F {text}: no value"));
    }
    let field = Field::from_name(name)?;
    let value = match field {
        Field::Ns(k) => Value::Id(parse_ns_id(k, value)?),
        Field::Text(_) => Value::Bytes(value.as_bytes().to_vec()),
        Field::Num(11) => Value::Num(parse_arch(value)?),
        Field::Num(_) => Value::Num(parse_u32(name, value)?),
    };
    Ok(Cond { field, op, value })
}

fn parse_u32(name: &str, text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text
            .parse::<u32>()
            .or_else(|e| text.parse::<i32>().map(|v| v as u32).map_err(|_| e)),
    };
    parsed.map_err(|_| format!("{name}={text}: not a 32-bit number"))
}

fn parse_arch(text: &str) -> Result<u32, String> {
    match ARCHES.iter().find(|(s, _)| *s == text) {
        Some(&(_, a)) => Ok(a),
        None => parse_u32("arch", text),
    }
}

/// Parses auditctl's `list,action` (either order).
pub fn parse_list_action(text: &str) -> Result<(List, Action), String> {
    let (a, b) = text
        .split_once(',')
        .ok_or_else(|| format!("{text:?}: expected list,action such as always,exit"))?;
    let action = |s: &str| match s {
        "always" => Some(Action::Always),
        "never" => Some(Action::Never),
        _ => None,
    };
    let list = |s: &str| LISTS.iter().find(|(_, n)| *n == s).map(|&(l, _)| l);
    match (list(a), action(b), list(b), action(a)) {
        (Some(l), Some(act), _, _) | (_, _, Some(l), Some(act)) => Ok((l, act)),
        _ => Err(format!(
            "{text:?}: expected an action (always, never) and a list ({})",
            LISTS.map(|(_, n)| n).join(", ")
        )),
    }
}

/// Parses `-S` values: names nsaudit knows, numbers, or `all`; comma-separated.
pub fn parse_syscalls(args: &[String]) -> Result<Option<Vec<u32>>, String> {
    let mut out = Vec::new();
    for s in args.iter().flat_map(|a| a.split(',')) {
        if s == "all" {
            return Ok(None);
        }
        let nr = crate::syscall::number(s)
            .or_else(|| s.parse().ok())
            .ok_or_else(|| format!("-S {s}: unknown system call (a number works)"))?;
        if nr as usize >= AUDIT_BITMASK_SIZE * 32 {
            return Err(format!("-S {s}: beyond the mask of 2048 system calls"));
        }
        out.push(nr);
    }
    // In number order, as a listing gives them back.
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

impl RuleSpec {
    /// A rule from auditctl's options: `-a`/`-d` text, `-S` values, `-F` conditions, `-k` key.
    pub fn parse(
        list_action: &str,
        syscalls: &[String],
        conds: &[String],
        key: Option<&str>,
    ) -> Result<RuleSpec, String> {
        let (list, action) = parse_list_action(list_action)?;
        let syscalls = if syscalls.is_empty() {
            None
        } else if matches!(list, List::Exit | List::IoUring) {
            parse_syscalls(syscalls)?
        } else {
            return Err("-S: only exit and io_uring rules name system calls".into());
        };
        let mut conds: Vec<Cond> = conds
            .iter()
            .map(|c| parse_cond(c))
            .collect::<Result<_, _>>()?;
        if let Some(k) = key {
            conds.push(parse_cond(&format!("key={k}"))?);
        }
        if conds.len() > AUDIT_MAX_FIELDS {
            return Err(format!("more than {AUDIT_MAX_FIELDS} fields"));
        }
        namespace_fields_last(&mut conds);
        Ok(RuleSpec {
            list,
            action,
            syscalls,
            conds,
        })
    }

    /// The bytes of its `struct audit_rule_data`, its conditions in their order (see
    /// [`namespace_fields_last`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut words = vec![0u32; RULE_DATA_LEN / 4];
        let mut buf = Vec::new();
        words[0] = self.list as u32;
        words[1] = self.action as u32;
        words[2] = self.conds.len() as u32;
        let mask = &mut words[3..3 + AUDIT_BITMASK_SIZE];
        match &self.syscalls {
            None => mask.fill(u32::MAX),
            Some(nrs) => {
                for &nr in nrs {
                    mask[nr as usize / 32] |= 1 << (nr % 32);
                }
            }
        }
        let fields = 3 + AUDIT_BITMASK_SIZE;
        let values = fields + AUDIT_MAX_FIELDS;
        let flags = values + AUDIT_MAX_FIELDS;
        for (i, c) in self.conds.iter().enumerate().take(AUDIT_MAX_FIELDS) {
            words[fields + i] = c.field.number();
            words[flags + i] = OPS.iter().find(|o| o.0 == c.op).map_or(0, |o| o.1);
            words[values + i] = match &c.value {
                Value::Num(v) => *v,
                Value::Id(id) => {
                    buf.extend_from_slice(&id.to_ne_bytes());
                    8
                }
                Value::Bytes(b) => {
                    buf.extend_from_slice(b);
                    b.len() as u32
                }
            };
        }
        words[flags + AUDIT_MAX_FIELDS] = buf.len() as u32;
        let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        out.extend_from_slice(&buf);
        out
    }

    /// A rule from the bytes of a `struct audit_rule_data` the kernel listed.
    pub fn decode(data: &[u8]) -> Result<RuleSpec, String> {
        let word = |i: usize| super::u32_at(data, 4 * i).ok_or("a rule shorter than its header");
        let list_nr = word(0)? & !AUDIT_FILTER_PREPEND;
        let list = LISTS
            .iter()
            .find(|(l, _)| *l as u32 == list_nr)
            .map(|&(l, _)| l)
            .ok_or(format!("a rule on unknown list {list_nr}"))?;
        let action = match word(1)? {
            0 => Action::Never,
            2 => Action::Always,
            a => return Err(format!("a rule with unknown action {a}")),
        };
        let count = word(2)? as usize;
        if count > AUDIT_MAX_FIELDS {
            return Err(format!("a rule with {count} fields"));
        }
        let mask: Vec<u32> = (0..AUDIT_BITMASK_SIZE)
            .map(|i| word(3 + i))
            .collect::<Result<_, _>>()?;
        let syscalls = if mask.iter().all(|&w| w == u32::MAX) {
            None
        } else {
            Some(
                (0..AUDIT_BITMASK_SIZE as u32 * 32)
                    .filter(|nr| mask[*nr as usize / 32] & (1 << (nr % 32)) != 0)
                    .collect(),
            )
        };
        let fields = 3 + AUDIT_BITMASK_SIZE;
        let (values, flags) = (fields + AUDIT_MAX_FIELDS, fields + 2 * AUDIT_MAX_FIELDS);
        let mut buf = data.get(RULE_DATA_LEN..).unwrap_or_default();
        let mut conds = Vec::new();
        for i in 0..count {
            let field = Field::from_number(word(fields + i)?);
            let flag = word(flags + i)?;
            let op = OPS
                .iter()
                .find(|o| o.1 == flag)
                .map(|o| o.0)
                .ok_or(format!("field {i}: unknown operator {flag:#x}"))?;
            let v = word(values + i)?;
            let value = match field {
                Field::Num(_) => Value::Num(v),
                Field::Ns(_) | Field::Text(_) => {
                    let (bytes, rest) = buf
                        .split_at_checked(v as usize)
                        .ok_or(format!("field {i}: {v} bytes beyond the buffer"))?;
                    buf = rest;
                    match (field, <[u8; 8]>::try_from(bytes)) {
                        (Field::Ns(_), Ok(b)) => Value::Id(u64::from_ne_bytes(b)),
                        _ => Value::Bytes(bytes.to_vec()),
                    }
                }
            };
            conds.push(Cond { field, op, value });
        }
        Ok(RuleSpec {
            list,
            action,
            syscalls,
            conds,
        })
    }
}

impl fmt::Display for RuleSpec {
    /// auditctl's syntax: `-a always,exit -S openat -F mntns_id=4026532100 -F key=k`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = if self.action == Action::Always {
            "always"
        } else {
            "never"
        };
        let list = LISTS
            .iter()
            .find(|(l, _)| *l == self.list)
            .map_or("?", |l| l.1);
        write!(f, "-a {action},{list}")?;
        if matches!(self.list, List::Exit | List::IoUring) {
            match &self.syscalls {
                None => write!(f, " -S all")?,
                Some(nrs) => {
                    let names: Vec<String> = nrs
                        .iter()
                        .map(|&nr| {
                            crate::syscall::name(Some(crate::syscall::ARCH_X86_64), nr)
                                .map_or(nr.to_string(), str::to_string)
                        })
                        .collect();
                    write!(f, " -S {}", names.join(","))?;
                }
            }
        }
        for c in &self.conds {
            let op = OPS.iter().find(|o| o.0 == c.op).map_or("?", |o| o.2);
            let value = match (&c.value, c.field) {
                (Value::Num(v), Field::Num(11)) => ARCHES
                    .iter()
                    .find(|a| a.1 == *v)
                    .map_or(format!("{v:#x}"), |a| a.0.to_string()),
                (Value::Num(v), _) => v.to_string(),
                (Value::Id(id), _) => id.to_string(),
                (Value::Bytes(b), _) => b.escape_ascii().to_string(),
            };
            write!(f, " -F {}{op}{value}", c.field.name())?;
        }
        Ok(())
    }
}

/// How long a listing may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(5);

impl AuditSocket {
    /// Loads `rule` (`AUDIT_ADD_RULE`).
    pub fn add_rule_spec(&mut self, rule: &RuleSpec) -> Result<(), AuditError> {
        let seq = self.next_seq();
        let msg = encode_raw(AUDIT_ADD_RULE, seq, &rule.encode());
        self.send_and_wait(&msg, seq, &format!("adding {rule}"))
            .map(drop)
    }

    /// Removes `rule` (`AUDIT_DEL_RULE`): the kernel deletes the rule equal to it.
    pub fn del_rule_spec(&mut self, rule: &RuleSpec) -> Result<(), AuditError> {
        let seq = self.next_seq();
        let msg = encode_raw(AUDIT_DEL_RULE, seq, &rule.encode());
        self.send_and_wait(&msg, seq, &format!("deleting {rule}"))
            .map(drop)
    }

    /// Every rule loaded (`AUDIT_LIST_RULES`), in the order the kernel lists them.
    pub fn list_rules(&mut self) -> Result<Vec<RuleSpec>, AuditError> {
        let seq = self.next_seq();
        self.send_raw(&encode_raw(AUDIT_LIST_RULES, seq, &[]))?;
        let mut rules = Vec::new();
        self.await_reply(seq, "listing the rules", LIST_TIMEOUT, |m| match m {
            Incoming::RuleData { seq: s, data } if s == seq => match RuleSpec::decode(&data) {
                Ok(rule) => {
                    rules.push(rule);
                    None
                }
                Err(e) => Some(Err(AuditError::Decode(e))),
            },
            Incoming::Done { seq: s } if s == seq => Some(Ok(std::mem::take(&mut rules))),
            _ => None,
        })
    }
}

/// A request of type `ty` with `payload`, asking for an ack.
pub(super) fn encode_raw(ty: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = (NLMSG_HDRLEN + payload.len()) as u32;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&len.to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    out.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(payload);
    out
}

/// `NLMSG_DONE` as a `u16` message type.
pub(super) const DONE: u16 = NLMSG_DONE;
/// The type of a listed rule.
pub(super) const LIST_RULES: u16 = AUDIT_LIST_RULES;

#[cfg(test)]
mod tests;
