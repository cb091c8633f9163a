// SPDX-License-Identifier: GPL-2.0

//! The records the report reads: `SYSCALL` (the call and its subject), `AUDIT_NS_*` and
//! `AUDIT_NS_INFO`.

use super::*;

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

/// `"text"` or hex, decoded lossily; `None` for `(null)` and what does not decode.
pub(super) fn untrusted(v: &str) -> Option<String> {
    if v == "(null)" {
        return None;
    }
    crate::record::decode_untrusted(v)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A namespace record, decoded as far as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NsRec {
    pub(super) kind: NsKind,
    pub(super) op: Op,
    pub(super) ns: NsIdent,
    pub(super) old: Option<NsIdent>,
    /// The record's subject, which every record carries; [`None`] for the subject of no task
    /// (`pid=-1`) and in logs of the series' first format, whose records of a syscall event
    /// left the subject to the `SYSCALL` record.
    pub(super) subject: Option<Subject>,
}

impl NsRec {
    /// Whether the record names a kernel thread as its subject (a removal run by a worker):
    /// no `exe`, never logged in, `kthreadd` or its child; or the fixed "kernel" subject
    /// (`pid=0`) of the series' first format.
    pub(super) fn kernel(&self) -> bool {
        self.subject.as_ref().is_some_and(|s| {
            let kthread =
                s.exe.is_none() && s.auid == Some(u32::MAX) && (s.ppid == 2 || s.pid == 2);
            kthread || (s.pid == 0 && s.comm.as_deref() == Some("kernel"))
        })
    }
}

/// The field names of one kind: `old_<t>ns`, `old_<t>ns_id`, `<t>ns`, `<t>ns_id`.
pub(super) fn ns_keys(kind: NsKind) -> [&'static str; 4] {
    match kind {
        NsKind::Mnt => ["old_mntns", "old_mntns_id", "mntns", "mntns_id"],
        NsKind::Uts => ["old_utsns", "old_utsns_id", "utsns", "utsns_id"],
        NsKind::Ipc => ["old_ipcns", "old_ipcns_id", "ipcns", "ipcns_id"],
        NsKind::User => ["old_userns", "old_userns_id", "userns", "userns_id"],
        NsKind::Pid => ["old_pidns", "old_pidns_id", "pidns", "pidns_id"],
        NsKind::Net => ["old_netns", "old_netns_id", "netns", "netns_id"],
        NsKind::Cgroup => ["old_cgroupns", "old_cgroupns_id", "cgroupns", "cgroupns_id"],
        NsKind::Time => ["old_timens", "old_timens_id", "timens", "timens_id"],
    }
}

/// Subject fields as they are collected from a record.
#[derive(Default)]
pub(super) struct SubjectFields<'a> {
    pub(super) pid: Option<&'a str>,
    pub(super) ppid: Option<&'a str>,
    pub(super) uid: Option<&'a str>,
    pub(super) auid: Option<&'a str>,
    pub(super) ses: Option<&'a str>,
    pub(super) comm: Option<&'a str>,
    pub(super) exe: Option<&'a str>,
}

impl<'a> SubjectFields<'a> {
    /// Takes `k=v` if it is a subject field; true if it was.
    pub(super) fn take(&mut self, k: &str, v: &'a str) -> bool {
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
    pub(super) fn any(&self) -> bool {
        [
            self.pid, self.ppid, self.uid, self.auid, self.ses, self.comm, self.exe,
        ]
        .iter()
        .any(Option::is_some)
    }

    pub(super) fn subject(&self, ty: &str) -> Result<Subject, LineError> {
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
pub(super) fn decode_syscall(line: &Line<'_>) -> Result<(Syscall, Subject), LineError> {
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
        name: crate::syscall::name(arch, nr),
        arch: arch.map(str::to_string),
        nr,
        success,
        exit,
        key,
    };
    Ok((call, s.subject("SYSCALL")?))
}

/// Decodes an `AUDIT_NS_*` record.
pub(super) fn decode_ns(line: &Line<'_>, kind: NsKind, init: bool) -> Result<NsRec, LineError> {
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

/// Decodes an `AUDIT_NS_INFO` record: the id of each kind, by field name, each a non-zero
/// decimal number.
pub(super) fn decode_info(line: &Line<'_>) -> Result<NsInfo, LineError> {
    let mut vals: [Option<&str>; NsKind::COUNT] = [None; NsKind::COUNT];
    for f in line.fields() {
        let (k, v) = f?;
        if let Some(i) = NS_INFO_FIELDS.iter().position(|key| *key == k) {
            vals[i].get_or_insert(v);
        }
    }
    let mut ids = [0u64; NsKind::COUNT];
    for (i, field) in NS_INFO_FIELDS.into_iter().enumerate() {
        let v = vals[i].ok_or_else(|| LineError::Missing {
            ty: "NS_INFO".into(),
            field,
        })?;
        ids[i] = parse_decimal(v)
            .filter(|&id| id != 0)
            .ok_or_else(|| LineError::BadValue {
                ty: "NS_INFO".into(),
                field,
                value: snippet(v),
            })?;
    }
    Ok(NsInfo(ids))
}

/// The arguments of a `PROCTITLE` record: the task's command line, NUL-separated in the
/// kernel's copy (at most 128 bytes of it).
pub(super) fn decode_title(line: &Line<'_>) -> Result<Vec<String>, LineError> {
    for f in line.fields() {
        let (k, v) = f?;
        if k == "proctitle" {
            let bytes = crate::record::decode_untrusted(v).map_err(|_| LineError::BadValue {
                ty: "PROCTITLE".into(),
                field: "proctitle",
                value: snippet(v),
            })?;
            return Ok(bytes
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect());
        }
    }
    Err(LineError::Missing {
        ty: "PROCTITLE".into(),
        field: "proctitle",
    })
}

/// The arguments of an `EXECVE` record: `a0=` ... in order, an argument the kernel split into
/// `aN[0]=`, `aN[1]=` ... joined again; those that do not decode are left out.
pub(super) fn decode_execve(line: &Line<'_>) -> Result<Vec<String>, LineError> {
    let mut args: Vec<(usize, Vec<u8>)> = Vec::new();
    for f in line.fields() {
        let (k, v) = f?;
        let Some(rest) = k.strip_prefix('a') else {
            continue;
        };
        let (n, part) = match rest.split_once('[') {
            Some((n, p)) if p.ends_with(']') => (n, true),
            _ => (rest, false),
        };
        let Some(n) = parse_decimal(n).and_then(|n| usize::try_from(n).ok()) else {
            continue;
        };
        let Ok(bytes) = crate::record::decode_untrusted(v) else {
            continue;
        };
        match args.last_mut() {
            Some((last, a)) if part && *last == n => a.extend_from_slice(&bytes),
            _ => args.push((n, bytes)),
        }
    }
    args.sort_by_key(|&(n, _)| n);
    Ok(args
        .into_iter()
        .map(|(_, a)| String::from_utf8_lossy(&a).into_owned())
        .collect())
}
