// SPDX-License-Identifier: GPL-2.0

//! The audit netlink socket: becoming the audit daemon, rules, status, and the records.
//!
//! Requests are built with `netlink-packet-audit`.  What arrives is decoded here, because the
//! kernel sends records to the audit daemon with a quirk that generic netlink parsers get wrong:
//! `nlmsg_len` of a record holds the length of the text alone, without the 16-byte header (see
//! `audit_log_end()` and the comment in `kauditd_send_multicast_skb()`).  Each record is a
//! datagram of its own, so its text is the rest of the datagram.  Replies to requests (status,
//! acks, errors) have normal lengths.

use netlink_packet_audit::{
    rules::{RuleAction, RuleField, RuleFieldFlags, RuleFlags, RuleMessage, RuleSyscalls},
    AuditMessage, StatusMessage, StatusMessageBuffer, AUDIT_GET,
};
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, Parseable, NLMSG_ERROR, NLMSG_NOOP,
    NLMSG_OVERRUN, NLM_F_ACK, NLM_F_REQUEST,
};
use netlink_sys::{protocols::NETLINK_AUDIT, Socket, SocketAddr};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};
use thiserror::Error;

pub mod features;
mod multicast;
mod reply;
pub mod rules;

pub use features::{Features, AUDIT_FEATURE_NS_INFO};
pub use multicast::AUDIT_NLGRP_READLOG;

/// `AUDIT_STATUS_ENABLED`.
pub const AUDIT_STATUS_ENABLED: u32 = 0x1;
/// `AUDIT_STATUS_FAILURE`.
pub const AUDIT_STATUS_FAILURE: u32 = 0x2;
/// `AUDIT_STATUS_PID`.
pub const AUDIT_STATUS_PID: u32 = 0x4;
/// `AUDIT_STATUS_BACKLOG_LIMIT`.
pub const AUDIT_STATUS_BACKLOG_LIMIT: u32 = 0x10;
/// `AUDIT_ARCH_X86_64`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// x86_64 `kexec_load`, the system call of the harmless rule.
pub use crate::syscall::SYS_KEXEC_LOAD;

/// Length of a netlink header.
const NLMSG_HDRLEN: usize = 16;
/// Types below this are control messages, not records (`AUDIT_FIRST_USER_MSG`).
const AUDIT_FIRST_USER_MSG: u16 = 1100;
/// How long a request may wait for its answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum AuditError {
    #[error("audit netlink socket: {what}: {source}")]
    Io {
        what: &'static str,
        source: io::Error,
    },
    #[error("audit netlink: malformed message from the kernel: {0}")]
    Decode(String),
    #[error("audit netlink: the kernel refused {what}: {source}")]
    Refused { what: String, source: io::Error },
    #[error("audit netlink: no answer to {what} within {after:?}")]
    Timeout { what: String, after: Duration },
    #[error("audit netlink: the receive queue overflowed (ENOBUFS), records were lost")]
    Overrun,
    #[error("audit rule: {0}")]
    BadRule(String),
    #[error("this kernel has no AUDIT_FEATURE_NS_INFO (series v7): {0}")]
    NoNsInfo(String),
}

fn io_err(what: &'static str) -> impl FnOnce(io::Error) -> AuditError {
    move |source| AuditError::Io { what, source }
}

/// Audit's status, as `auditctl -s` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub enabled: u32,
    pub failure: u32,
    pub pid: u32,
    pub rate_limit: u32,
    pub backlog_limit: u32,
    pub lost: u32,
    pub backlog: u32,
    /// `feature_bitmap`: `AUDIT_FEATURE_BITMAP_*`.
    pub features: u32,
}

/// `AUDIT_FEATURE_BITMAP_NS_ID_FILTER`: the kernel takes the namespace rule fields.
pub const AUDIT_FEATURE_BITMAP_NS_ID_FILTER: u32 = 0x80;

impl From<&StatusMessage> for Status {
    fn from(s: &StatusMessage) -> Self {
        Status {
            enabled: s.enabled,
            failure: s.failure,
            pid: s.pid,
            rate_limit: s.rate_limiting,
            backlog_limit: s.backlog_limit,
            lost: s.lost,
            backlog: s.backlog,
            features: s.feature_bitmap,
        }
    }
}

/// A change of audit's status: the fields that are [`Some`] are set, the others stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusChange {
    pub enabled: Option<u32>,
    pub failure: Option<u32>,
    pub pid: Option<u32>,
    pub backlog_limit: Option<u32>,
}

/// `AUDIT_MAX_KEY_LEN`: the longest key of a rule.
pub const AUDIT_MAX_KEY_LEN: usize = 256;

/// The rules nsaudit loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `-a never,exit -F arch=<arch> -S <syscall>`: changes nothing for other system calls, but
    /// with at least one rule loaded audit writes `SYSCALL` records for events that have other
    /// records.
    NeverExit { arch: u32, syscall: u32 },
    /// `-a always,exit -F arch=<arch> -S <syscall>`: a SYSCALL record for every such call.
    AlwaysExit { arch: u32, syscall: u32 },
    /// `-a always,exit -F arch=<arch> -S <syscall>... [-F path=<path>] -F key=<key>`: a
    /// SYSCALL record with `key="<key>"` for every such call; with `path`, for those that name
    /// that file only (a watch: the absolute path of a file whose directory exists, matched by
    /// device and inode, so in every mount namespace that shares the file).
    AlwaysExitKeyed {
        arch: u32,
        syscalls: Vec<u32>,
        path: Option<String>,
        key: String,
    },
    /// `-a always,exclude -F msgtype=<type>`: audit drops records of that type.
    ExcludeMsgtype(u16),
    /// `-a task,never`: tasks forked from now on get no audit context, so none of their
    /// records belongs to a system call's event.
    TaskNever,
}

impl Rule {
    /// The never-rule on x86_64 `kexec_load`.
    pub fn never_kexec_load() -> Rule {
        Rule::NeverExit {
            arch: AUDIT_ARCH_X86_64,
            syscall: SYS_KEXEC_LOAD,
        }
    }

    /// The `struct audit_rule_data` of the rule.
    pub fn message(&self) -> Result<RuleMessage, AuditError> {
        let mut rule = RuleMessage::new();
        match self {
            &Rule::NeverExit { arch, syscall } | &Rule::AlwaysExit { arch, syscall } => {
                rule.flags = RuleFlags::FilterExit;
                rule.action = if matches!(self, Rule::NeverExit { .. }) {
                    RuleAction::Never
                } else {
                    RuleAction::Always
                };
                rule.fields = vec![(RuleField::Arch(arch), RuleFieldFlags::Equal)];
                rule.syscalls = syscall_mask(&[syscall])?;
            }
            Rule::AlwaysExitKeyed {
                arch,
                syscalls,
                path,
                key,
            } => {
                rule.flags = RuleFlags::FilterExit;
                rule.action = RuleAction::Always;
                rule.syscalls = syscall_mask(syscalls)?;
                rule.fields = vec![(RuleField::Arch(*arch), RuleFieldFlags::Equal)];
                if let Some(p) = path {
                    check_watch_path(p)?;
                    rule.fields
                        .push((RuleField::Watch(p.clone()), RuleFieldFlags::Equal));
                }
                check_key(key)?;
                rule.fields
                    .push((RuleField::Filterkey(key.clone()), RuleFieldFlags::Equal));
            }
            &Rule::ExcludeMsgtype(ty) => {
                // AUDIT_FILTER_EXCLUDE is AUDIT_FILTER_TYPE; auditctl sets every system call.
                rule.flags = RuleFlags::FilterType;
                rule.action = RuleAction::Always;
                rule.fields = vec![(RuleField::Msgtype(u32::from(ty)), RuleFieldFlags::Equal)];
                rule.syscalls = RuleSyscalls::new_maxed();
            }
            Rule::TaskNever => {
                // No field; auditctl sets every system call for the task list too.
                rule.flags = RuleFlags::FilterTask;
                rule.action = RuleAction::Never;
                rule.fields = Vec::new();
                rule.syscalls = RuleSyscalls::new_maxed();
            }
        }
        Ok(rule)
    }
}

/// The mask of an exit rule on `syscalls`: one at least, each below 2048 (64 words of 32 bits).
fn syscall_mask(syscalls: &[u32]) -> Result<RuleSyscalls, AuditError> {
    if syscalls.is_empty() {
        return Err(AuditError::BadRule("no system call".into()));
    }
    let mut mask = RuleSyscalls::new_zeroed();
    for &nr in syscalls {
        if nr >= 64 * 32 {
            return Err(AuditError::BadRule(format!(
                "system call {nr} does not fit the mask"
            )));
        }
        mask.set(nr);
    }
    Ok(mask)
}

/// A path the kernel takes for a watch (`audit_to_watch()`): absolute, not ending in `/`, no
/// NUL, at most `PATH_MAX` bytes.
fn check_watch_path(path: &str) -> Result<(), AuditError> {
    let ok = path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains('\0')
        && path.len() < libc::PATH_MAX as usize;
    if ok {
        Ok(())
    } else {
        Err(AuditError::BadRule(format!(
            "watch path {path:?}: must be absolute, not end with '/', and hold no NUL"
        )))
    }
}

/// A key the kernel takes: 1 to [`AUDIT_MAX_KEY_LEN`] bytes, no NUL.
fn check_key(key: &str) -> Result<(), AuditError> {
    if key.is_empty() || key.len() > AUDIT_MAX_KEY_LEN || key.contains('\0') {
        return Err(AuditError::BadRule(format!(
            "key {key:?}: must be 1 to {AUDIT_MAX_KEY_LEN} bytes without NUL"
        )));
    }
    Ok(())
}

/// One message from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// An audit record: its type and text.
    Record { ty: u16, text: String },
    /// The answer to `AUDIT_GET`.
    Status { seq: u32, status: Status },
    /// `NLMSG_ERROR` with 0: request `seq` succeeded.
    Ack { seq: u32 },
    /// `NLMSG_ERROR` with `-errno`: request `seq` failed.
    Error { seq: u32, errno: i32 },
    /// One rule of the answer to `AUDIT_LIST_RULES` `seq`: its `struct audit_rule_data`.
    RuleData { seq: u32, data: Vec<u8> },
    /// `NLMSG_DONE`: the end of the answer to request `seq`.
    Done { seq: u32 },
    /// The answer to `AUDIT_GET_FEATURE` `seq`.
    Features { seq: u32, features: Features },
    /// Anything else (`NLMSG_NOOP`, other control messages).
    Ignored { ty: u16 },
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    let s = b.get(o..o + 4)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    let s = b.get(o..o + 2)?;
    Some(u16::from_ne_bytes([s[0], s[1]]))
}

/// Decodes one datagram from the audit socket.
pub fn decode_datagram(buf: &[u8]) -> Result<Vec<Incoming>, AuditError> {
    let bad = |why: String| AuditError::Decode(why);
    let mut out = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let rest = &buf[off..];
        let (Some(len), Some(ty), Some(seq)) = (u32_at(rest, 0), u16_at(rest, 4), u32_at(rest, 8))
        else {
            return Err(bad(format!(
                "{} bytes left, too short for a header",
                rest.len()
            )));
        };
        let len = len as usize;
        let is_record = ty >= AUDIT_FIRST_USER_MSG;
        if is_record {
            // The record's text is the rest of the datagram, whatever nlmsg_len says.
            let text = rest.get(NLMSG_HDRLEN..).unwrap_or_default();
            let end = text.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            out.push(Incoming::Record {
                ty,
                text: String::from_utf8_lossy(&text[..end]).into_owned(),
            });
            break;
        }
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(bad(format!(
                "type {ty}: nlmsg_len {len} with {} bytes left",
                rest.len()
            )));
        }
        let payload = &rest[NLMSG_HDRLEN..len];
        match ty {
            NLMSG_ERROR => {
                let code = u32_at(payload, 0)
                    .ok_or_else(|| bad("NLMSG_ERROR without an error code".into()))?
                    as i32;
                out.push(if code == 0 {
                    Incoming::Ack { seq }
                } else {
                    Incoming::Error {
                        seq,
                        errno: code.saturating_neg(),
                    }
                });
            }
            AUDIT_GET => {
                let status = StatusMessageBuffer::new_checked(payload)
                    .and_then(|b| StatusMessage::parse(&b))
                    .map_err(|e| bad(format!("AUDIT_GET reply: {e}")))?;
                out.push(Incoming::Status {
                    seq,
                    status: Status::from(&status),
                });
            }
            rules::LIST_RULES => out.push(Incoming::RuleData {
                seq,
                data: payload.to_vec(),
            }),
            rules::DONE => out.push(Incoming::Done { seq }),
            features::AUDIT_GET_FEATURE => out.push(Incoming::Features {
                seq,
                features: Features::decode(payload).map_err(bad)?,
            }),
            NLMSG_NOOP | NLMSG_OVERRUN => out.push(Incoming::Ignored { ty }),
            _ => out.push(Incoming::Ignored { ty }),
        }
        off += (len + 3) & !3;
    }
    Ok(out)
}

/// The bytes of request `msg` with sequence number `seq`, asking for an ack.
fn encode_request(msg: AuditMessage, seq: u32) -> Vec<u8> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_ACK;
    header.sequence_number = seq;
    let mut nl = NetlinkMessage::new(header, NetlinkPayload::from(msg));
    nl.finalize();
    let mut buf = vec![0; nl.buffer_len()];
    nl.serialize(&mut buf);
    buf
}

/// A NETLINK_AUDIT socket.
pub struct AuditSocket {
    sock: Socket,
    seq: u32,
    /// Records that arrived while waiting for an answer.
    pending: VecDeque<(u16, String)>,
    /// The last `AUDIT_GET` answer and its sequence number.
    status: Option<(u32, Status)>,
    /// Overruns seen while waiting for answers.
    overruns: u64,
}

impl AuditSocket {
    /// Opens and binds the socket (needs `CAP_AUDIT_CONTROL` for anything useful).
    pub fn open() -> Result<Self, AuditError> {
        let mut sock = Socket::new(NETLINK_AUDIT).map_err(io_err("socket(NETLINK_AUDIT)"))?;
        sock.bind_auto().map_err(io_err("bind"))?;
        sock.connect(&SocketAddr::new(0, 0))
            .map_err(io_err("connect"))?;
        sock.set_non_blocking(true).map_err(io_err("O_NONBLOCK"))?;
        // A larger queue for bursts; the kernel caps it at rmem_max, which is fine too.
        let _ = sock.set_rx_buf_sz(4 << 20);
        Ok(Self {
            sock,
            seq: 0,
            pending: VecDeque::new(),
            status: None,
            overruns: 0,
        })
    }

    /// Sets the socket's receive buffer (the kernel rounds it up to its minimum).  A small one
    /// makes a reader that stops reading overflow audit's backlog quickly.
    pub fn set_receive_buffer(&mut self, bytes: usize) -> Result<(), AuditError> {
        self.sock
            .set_rx_buf_sz(bytes)
            .map_err(io_err("setsockopt(SO_RCVBUF)"))
    }

    /// Waits until the socket is readable or `timeout` passes; true if readable.
    fn wait_readable(&self, timeout: Duration) -> Result<bool, AuditError> {
        let mut fds = [PollFd::new(self.sock.as_fd(), PollFlags::POLLIN)];
        let t = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, t) {
            Ok(n) => Ok(n > 0),
            Err(nix::errno::Errno::EINTR) => Ok(false),
            Err(e) => Err(AuditError::Io {
                what: "poll",
                source: e.into(),
            }),
        }
    }

    /// Reads one datagram from the kernel, [`None`] if there is none.
    fn read_datagram(&mut self) -> Result<Option<Vec<Incoming>>, AuditError> {
        match self.sock.recv_from_full() {
            Ok((buf, addr)) => {
                if addr.port_number() != 0 {
                    // Not from the kernel.
                    return Ok(Some(Vec::new()));
                }
                decode_datagram(&buf).map(Some)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(Some(Vec::new())),
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => Err(AuditError::Overrun),
            Err(e) => Err(AuditError::Io {
                what: "recvfrom",
                source: e,
            }),
        }
    }

    /// Like [`Self::read_datagram`], but an overrun (`ENOBUFS`: a delivery to this socket
    /// failed because its buffer was full) is counted in [`Self::overruns`] instead of failing
    /// a request whose answer may still come.
    fn read_datagram_counting(&mut self) -> Result<Option<Vec<Incoming>>, AuditError> {
        match self.read_datagram() {
            Err(AuditError::Overrun) => {
                self.overruns += 1;
                Ok(Some(Vec::new()))
            }
            other => other,
        }
    }

    /// Overruns seen while waiting for answers since the last call.
    pub fn take_overruns(&mut self) -> u64 {
        std::mem::take(&mut self.overruns)
    }

    /// Files what arrived: records for later, the answer to request `seq` returned.
    fn file(&mut self, msgs: Vec<Incoming>, seq: u32) -> Option<Result<(), i32>> {
        let mut answer = None;
        for m in msgs {
            match m {
                Incoming::Record { ty, text } => self.pending.push_back((ty, text)),
                Incoming::Status { seq: s, status } => self.status = Some((s, status)),
                Incoming::Ack { seq: s } if s == seq && seq != 0 => answer = Some(Ok(())),
                Incoming::Error { seq: s, errno } if s == seq && seq != 0 => {
                    answer = Some(Err(errno))
                }
                _ => {}
            }
        }
        answer
    }

    /// Sends `msg` and waits for its ack; records arriving meanwhile are kept.
    fn request(&mut self, msg: AuditMessage, what: &str) -> Result<u32, AuditError> {
        let seq = self.next_seq();
        self.send_and_wait(&encode_request(msg, seq), seq, what)
    }

    /// The sequence number of the next request.
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends the bytes of a request.
    fn send_raw(&mut self, buf: &[u8]) -> Result<(), AuditError> {
        let sent = self.sock.send(buf, 0).map_err(io_err("send"))?;
        if sent != buf.len() {
            return Err(AuditError::Io {
                what: "send",
                source: io::Error::new(io::ErrorKind::WriteZero, "short send"),
            });
        }
        Ok(())
    }

    /// Sends request `seq` and waits for its ack; records arriving meanwhile are kept.
    fn send_and_wait(&mut self, buf: &[u8], seq: u32, what: &str) -> Result<u32, AuditError> {
        self.send_raw(buf)?;
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            while let Some(msgs) = self.read_datagram_counting()? {
                match self.file(msgs, seq) {
                    Some(Ok(())) => return Ok(seq),
                    Some(Err(errno)) => {
                        return Err(AuditError::Refused {
                            what: what.to_string(),
                            source: io::Error::from_raw_os_error(errno),
                        })
                    }
                    None => {}
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AuditError::Timeout {
                    what: what.to_string(),
                    after: REQUEST_TIMEOUT,
                });
            }
            self.wait_readable(left)?;
        }
    }

    fn set_status(&mut self, s: StatusMessage, what: &str) -> Result<(), AuditError> {
        self.request(AuditMessage::SetStatus(s), what).map(drop)
    }

    /// Becomes the audit daemon: enables audit, registers this process (records come to this
    /// socket from now on) and sets the backlog limit.
    pub fn become_daemon(&mut self, backlog_limit: u32) -> Result<(), AuditError> {
        let mut s = StatusMessage::new();
        s.mask = AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID | AUDIT_STATUS_BACKLOG_LIMIT;
        s.enabled = 1;
        s.pid = std::process::id();
        s.backlog_limit = backlog_limit;
        self.set_status(s, "AUDIT_SET enabled=1 pid backlog_limit")
    }

    /// Stops being the audit daemon (the kernel logs records to the console again).
    pub fn release_daemon(&mut self) -> Result<(), AuditError> {
        let mut s = StatusMessage::new();
        s.mask = AUDIT_STATUS_PID;
        s.pid = 0;
        self.set_status(s, "AUDIT_SET pid=0")
    }

    /// Changes the parts of audit's status that `change` names.
    pub fn change_status(&mut self, change: StatusChange) -> Result<(), AuditError> {
        let mut s = StatusMessage::new();
        let mut what = Vec::new();
        if let Some(v) = change.enabled {
            s.mask |= AUDIT_STATUS_ENABLED;
            s.enabled = v;
            what.push(format!("enabled={v}"));
        }
        if let Some(v) = change.failure {
            s.mask |= AUDIT_STATUS_FAILURE;
            s.failure = v;
            what.push(format!("failure={v}"));
        }
        if let Some(v) = change.pid {
            s.mask |= AUDIT_STATUS_PID;
            s.pid = v;
            what.push(format!("pid={v}"));
        }
        if let Some(v) = change.backlog_limit {
            s.mask |= AUDIT_STATUS_BACKLOG_LIMIT;
            s.backlog_limit = v;
            what.push(format!("backlog_limit={v}"));
        }
        if s.mask == 0 {
            return Ok(());
        }
        self.set_status(s, &format!("AUDIT_SET {}", what.join(" ")))
    }

    /// Enables (1) or disables (0) audit.
    pub fn set_enabled(&mut self, enabled: u32) -> Result<(), AuditError> {
        let mut s = StatusMessage::new();
        s.mask = AUDIT_STATUS_ENABLED;
        s.enabled = enabled;
        self.set_status(s, "AUDIT_SET enabled")
    }

    /// Audit's status (`AUDIT_GET`).
    pub fn status(&mut self) -> Result<Status, AuditError> {
        self.status = None;
        let seq = self.request(AuditMessage::GetStatus(None), "AUDIT_GET")?;
        // The kernel sends the reply from a kernel thread (audit_send_reply()), so it usually
        // comes after the ack.
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            if let Some((s, status)) = self.status {
                if s == seq {
                    self.status = None;
                    return Ok(status);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AuditError::Timeout {
                    what: "the AUDIT_GET reply".into(),
                    after: REQUEST_TIMEOUT,
                });
            }
            if self.wait_readable(left)? {
                while let Some(msgs) = self.read_datagram_counting()? {
                    self.file(msgs, 0);
                }
            }
        }
    }

    /// Sends a user message of type `ty` (`AUDIT_FIRST_USER_MSG` ... 1199), which audit logs as
    /// a record of that type, as `auditctl -m` does.
    pub fn send_user_message(&mut self, ty: u16, text: &str) -> Result<(), AuditError> {
        if !(AUDIT_FIRST_USER_MSG..=1199).contains(&ty) {
            return Err(AuditError::BadRule(format!(
                "type {ty} is not a user message type (1100-1199)"
            )));
        }
        // With its NUL, as auditctl sends it: audit_receive_msg() writes one over the last
        // byte of the text.
        self.request(
            AuditMessage::Event((ty, format!("{text}\0"))),
            &format!("sending a user message of type {ty}"),
        )
        .map(drop)
    }

    /// Loads `rule` (`AUDIT_ADD_RULE`).
    pub fn add_rule(&mut self, rule: &Rule) -> Result<(), AuditError> {
        let msg = rule.message()?;
        self.request(AuditMessage::AddRule(msg), &format!("adding {rule:?}"))
            .map(drop)
    }

    /// Removes `rule` (`AUDIT_DEL_RULE`).
    pub fn del_rule(&mut self, rule: &Rule) -> Result<(), AuditError> {
        let msg = rule.message()?;
        self.request(AuditMessage::DelRule(msg), &format!("deleting {rule:?}"))
            .map(drop)
    }

    /// One record as `(type, text)`: one that arrived while waiting for an answer, or else the
    /// next datagram, waiting up to `timeout`; [`None`] if none came.  Unlike
    /// [`Self::recv_records`] this leaves the rest in the socket, so that a slow reader lets
    /// the socket fill up as a slow audit daemon does.
    pub fn recv_one(&mut self, timeout: Duration) -> Result<Option<(u16, String)>, AuditError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Ok(Some(r));
            }
            if let Some(msgs) = self.read_datagram()? {
                self.file(msgs, 0);
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.wait_readable(left)?;
        }
    }

    /// Records as `(type, text)`: waits up to `timeout` for the first one, then returns it with
    /// every other one already queued; an empty vector if none came.  Acks and errors that
    /// belong to no request are dropped.
    pub fn recv_records(&mut self, timeout: Duration) -> Result<Vec<(u16, String)>, AuditError> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(msgs) = self.read_datagram()? {
                self.file(msgs, 0);
            }
            if !self.pending.is_empty() {
                return Ok(self.pending.drain(..).collect());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Vec::new());
            }
            self.wait_readable(left)?;
        }
    }
}

/// For waiting on the socket together with other descriptors.
impl AsFd for AuditSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

#[cfg(test)]
mod tests;
