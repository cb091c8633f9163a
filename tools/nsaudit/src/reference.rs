// SPDX-License-Identifier: GPL-2.0

//! The reference format of the `AUDIT_NS_*` records, as a checker.
//!
//! ```text
//! INIT (1340-1345, 1352-1353): op=create|existing SUBJECT [subj=...] dev=MM:mm
//!     old_<t>ns=N|(none) old_<t>ns_id=N|(none) <t>ns=N <t>ns_id=N res=1
//! DEL (1346-1351, 1354-1355): op=remove SUBJECT [subj=...] dev=MM:mm <t>ns=N <t>ns_id=N res=1
//! SUBJECT: ppid pid auid uid gid euid suid fsuid egid sgid fsgid tty ses comm exe
//! ```
//!
//! `<t>` is `mnt`, `uts`, `ipc`, `user`, `pid`, `net`, `cgroup` or `time`.  Every record of a
//! type has the same fields: the SUBJECT is always there, written by `audit_log_task_info()`,
//! in a record of a syscall event too, where it must agree with the event's `SYSCALL` record
//! ([`check_event_subject`]).  A removal run by a kernel thread names that thread
//! ([`TaskSubject::is_kernel_thread`]); a record written without a task (interrupt context)
//! has exactly [`NO_TASK_SUBJECT`].

use crate::record::{decode_untrusted, needs_hex, parse_decimal, Record};

/// The namespace types that have records, in record type order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsKind {
    Mnt,
    Uts,
    Ipc,
    User,
    Pid,
    Net,
    Cgroup,
    Time,
}

impl NsKind {
    /// How many kinds there are: the length of the tables indexed by [`NsKind::index`].
    pub const COUNT: usize = 8;

    /// Every kind, in record type order.
    pub const ALL: [NsKind; NsKind::COUNT] = [
        NsKind::Mnt,
        NsKind::Uts,
        NsKind::Ipc,
        NsKind::User,
        NsKind::Pid,
        NsKind::Net,
        NsKind::Cgroup,
        NsKind::Time,
    ];

    /// The field prefix (`net` in `netns=`), also the file name in `/proc/PID/ns/`.
    pub fn name(self) -> &'static str {
        match self {
            NsKind::Mnt => "mnt",
            NsKind::Uts => "uts",
            NsKind::Ipc => "ipc",
            NsKind::User => "user",
            NsKind::Pid => "pid",
            NsKind::Net => "net",
            NsKind::Cgroup => "cgroup",
            NsKind::Time => "time",
        }
    }

    /// Whether `unshare(2)` of this kind moves the caller into the namespace it creates.  A new
    /// PID or time namespace is for the caller's children: the caller stays where it is, and
    /// the new namespace is the one [`NsKind::for_children_file`] names (a time namespace is
    /// also entered by the caller's next `execve`).
    pub fn enters_on_unshare(self) -> bool {
        !matches!(self, NsKind::Pid | NsKind::Time)
    }

    /// The file in `/proc/PID/ns/` naming the namespace of this kind that the task's children
    /// are created in: `pid_for_children`, `time_for_children`, and for the kinds a task's
    /// children always share, its own ([`NsKind::name`]).
    pub fn for_children_file(self) -> &'static str {
        match self {
            NsKind::Pid => "pid_for_children",
            NsKind::Time => "time_for_children",
            _ => self.name(),
        }
    }

    /// The kind named `name` ([`NsKind::name`]).
    pub fn from_name(name: &str) -> Option<NsKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Position in [`NsKind::ALL`], which is also the bit of the module's `types` parameter.
    pub fn index(self) -> usize {
        self as usize
    }

    /// `(AUDIT_NS_INIT_<T>, AUDIT_NS_DEL_<T>)`, as `include/uapi/linux/audit.h` numbers them:
    /// the first six kinds in two runs, 1340-1345 and 1346-1351, cgroup and time namespaces
    /// after them.
    fn record_types(self) -> (u16, u16) {
        match self {
            NsKind::Mnt => (1340, 1346),
            NsKind::Uts => (1341, 1347),
            NsKind::Ipc => (1342, 1348),
            NsKind::User => (1343, 1349),
            NsKind::Pid => (1344, 1350),
            NsKind::Net => (1345, 1351),
            NsKind::Cgroup => (1352, 1354),
            NsKind::Time => (1353, 1355),
        }
    }

    /// `AUDIT_NS_INIT_<T>`.
    pub fn init_type(self) -> u16 {
        self.record_types().0
    }

    /// `AUDIT_NS_DEL_<T>`.
    pub fn del_type(self) -> u16 {
        self.record_types().1
    }

    /// The kind of a record type and whether it is an INIT (creation) type.
    pub fn from_type(ty: u16) -> Option<(NsKind, bool)> {
        Self::ALL.into_iter().find_map(|k| match k.record_types() {
            (init, _) if init == ty => Some((k, true)),
            (_, del) if del == ty => Some((k, false)),
            _ => None,
        })
    }
}

impl std::str::FromStr for NsKind {
    type Err = String;

    /// A kind by its name ([`NsKind::name`]), as a command line gives it.
    fn from_str(s: &str) -> Result<NsKind, String> {
        NsKind::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = NsKind::ALL.iter().map(|k| k.name()).collect();
            format!("{s:?} is not a namespace type ({})", names.join(", "))
        })
    }
}

/// Whether `ty` is one of the sixteen `AUDIT_NS_*` types.
pub fn is_ns_type(ty: u16) -> bool {
    NsKind::from_type(ty).is_some()
}

/// The identity of a namespace: the inode number of `/proc/PID/ns/<t>` and what `NS_GET_ID`
/// returns for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NsIdent {
    pub inum: u64,
    pub id: u64,
}

/// The `op=` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// INIT: the namespace was just created.
    Create,
    /// INIT written when the module is loaded, for a namespace that existed before.
    Existing,
    /// DEL: the namespace was removed.
    Remove,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Existing => "existing",
            Op::Remove => "remove",
        }
    }
}

/// The subject fields of a record, as `audit_log_task_info()` writes them: those of every
/// `AUDIT_NS_*` record and of a `SYSCALL` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSubject {
    /// `ppid=`, a `pid_t`: -1 only in [`NO_TASK_SUBJECT`].
    pub ppid: i32,
    /// `pid=`, a `pid_t`: -1 only in [`NO_TASK_SUBJECT`].
    pub pid: i32,
    pub auid: u32,
    pub uid: u32,
    pub ses: u32,
    /// The decoded bytes of `comm=`; empty for `comm=(null)` ([`NO_TASK_SUBJECT`] only).
    pub comm: Vec<u8>,
    /// The decoded bytes of `exe=`, [`None`] for `exe=(null)`.
    pub exe: Option<Vec<u8>>,
    pub subj: Option<String>,
    /// The fifteen fields as written, `ppid=... exe=...`.
    pub text: String,
}

impl TaskSubject {
    /// Whether the subject is a kernel thread, such as the workqueue worker that frees user,
    /// PID and network namespaces: it has no memory map (`exe=(null)`), was never logged in
    /// (`auid` unset) and is `kthreadd` (pid 2) or one of its children (ppid 2).
    pub fn is_kernel_thread(&self) -> bool {
        self.exe.is_none() && self.auid == u32::MAX && (self.ppid == 2 || self.pid == 2)
    }

    /// Whether this is the subject of a record written without a task (interrupt context).
    pub fn is_no_task(&self) -> bool {
        self.text == NO_TASK_SUBJECT
    }

    /// The value of subject field `key` as written.
    fn field(&self, key: &str) -> Option<&str> {
        self.text
            .split(' ')
            .filter_map(|f| f.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// A record that follows the reference, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsRecord {
    pub kind: NsKind,
    /// An INIT (creation) record, not a DEL one.
    pub init: bool,
    pub op: Op,
    /// The event serial of the record.
    pub serial: u64,
    /// The subject fields, which every record carries.
    pub subject: TaskSubject,
    /// `dev=`: major and minor of the nsfs device.
    pub dev: (u32, u32),
    /// `<t>ns=` and `<t>ns_id=`.
    pub ns: NsIdent,
    /// `old_<t>ns=` and `old_<t>ns_id=`: the namespace it was derived from; [`None`] for DEL
    /// records and for `(none)`.
    pub old: Option<NsIdent>,
}

impl NsRecord {
    /// Whether the record names a kernel thread as its subject.
    pub fn is_kernel_subject(&self) -> bool {
        self.subject.is_kernel_thread()
    }
}

/// The subject fields, in `audit_log_task_info()`'s order.
pub const SUBJECT_FIELDS: [&str; 15] = [
    "ppid", "pid", "auid", "uid", "gid", "euid", "suid", "fsuid", "egid", "sgid", "fsgid", "tty",
    "ses", "comm", "exe",
];

/// The exact subject `audit_log_task_info()` writes when there is no task: a record written
/// in interrupt context (not expected of the namespace records, accepted as "no task").
pub const NO_TASK_SUBJECT: &str = "ppid=-1 pid=-1 auid=4294967295 uid=4294967295 \
gid=4294967295 euid=4294967295 suid=4294967295 fsuid=4294967295 egid=4294967295 \
sgid=4294967295 fsgid=4294967295 tty=(none) ses=4294967295 comm=(null) exe=(null)";

/// The subject fields that an `execve` may change between the namespace record, written
/// during the call, and the `SYSCALL` record, written at its exit: all but these.
const EXEC_STABLE_FIELDS: [&str; 7] = ["ppid", "pid", "auid", "uid", "gid", "tty", "ses"];

/// x86_64 `execve` and `execveat`, which replace `comm`, `exe` and maybe the credentials.
const X86_64_EXEC_SYSCALLS: [&str; 2] = ["59", "322"];

/// The field names the reference requires for a record of `kind`, INIT or DEL, with or
/// without `subj=` (a security module's label), in order.
pub fn expected_fields(kind: NsKind, init: bool, subj: bool) -> Vec<String> {
    let t = kind.name();
    let mut want = vec!["op".to_string()];
    want.extend(SUBJECT_FIELDS.iter().map(|s| s.to_string()));
    if subj {
        want.push("subj".into());
    }
    want.push("dev".into());
    if init {
        want.push(format!("old_{t}ns"));
        want.push(format!("old_{t}ns_id"));
    }
    want.push(format!("{t}ns"));
    want.push(format!("{t}ns_id"));
    want.push("res".into());
    want
}

/// One hex part of `dev=`, as `%02x` prints it: lowercase, at least two digits, no leading zero
/// beyond those.
fn parse_dev_part(s: &str) -> Option<u32> {
    let ok = s.len() >= 2
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && (s.len() == 2 || !s.starts_with('0'));
    if ok {
        u32::from_str_radix(s, 16).ok()
    } else {
        None
    }
}

/// Parses `dev=MM:mm`.
pub fn parse_dev(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((parse_dev_part(a)?, parse_dev_part(b)?))
}

/// Collects the problems of one record.
struct Checker<'a> {
    rec: &'a Record,
    errs: Vec<String>,
}

impl<'a> Checker<'a> {
    fn fail(&mut self, msg: String) {
        self.errs.push(msg);
    }

    fn value(&mut self, key: &str) -> Option<&'a str> {
        let rec: &'a Record = self.rec;
        let v = rec.get(key);
        if v.is_none() {
            self.fail(format!("no {key}="));
        }
        v
    }

    /// A 32-bit decimal field.
    fn u32(&mut self, key: &str) -> Option<u32> {
        let v = self.value(key)?;
        let n = parse_decimal(v).and_then(|n| u32::try_from(n).ok());
        if n.is_none() {
            self.fail(format!("{key}={v} is not a 32-bit decimal number"));
        }
        n
    }

    /// A namespace inode number (32 bits) and id (64 bits, not 0).
    fn ident(&mut self, inum_key: &str, id_key: &str) -> Option<NsIdent> {
        let inum = self.u32(inum_key);
        let v = self.value(id_key)?;
        let id = parse_decimal(v).filter(|&n| n != 0);
        if id.is_none() {
            self.fail(format!(
                "{id_key}={v} is not a non-zero 64-bit decimal number"
            ));
        }
        if inum == Some(0) {
            self.fail(format!("{inum_key}=0 is not an inode number"));
        }
        Some(NsIdent {
            inum: u64::from(inum?),
            id: id?,
        })
    }

    /// A `pid_t` as `%d` prints it: a non-negative 32-bit number, or -1.
    fn pid(&mut self, key: &str) -> Option<i32> {
        let v = self.value(key)?;
        let n = if v == "-1" {
            Some(-1)
        } else {
            parse_decimal(v).and_then(|n| i32::try_from(n).ok())
        };
        if n.is_none() {
            self.fail(format!("{key}={v} is not a pid"));
        }
        n
    }

    /// The subject fields, wherever they are in the record; checks their values.
    fn subject(&mut self) -> Option<TaskSubject> {
        let ppid = self.pid("ppid");
        let pid = self.pid("pid");
        let auid = self.u32("auid");
        let uid = self.u32("uid");
        for k in ["gid", "euid", "suid", "fsuid", "egid", "sgid", "fsgid"] {
            self.u32(k);
        }
        if let Some(tty) = self.value("tty") {
            if tty != "(none)"
                && (tty.is_empty() || !tty.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                self.fail(format!("tty={tty} is neither (none) nor a tty name"));
            }
        }
        let ses = self.u32("ses");
        let comm = self.untrusted("comm");
        let exe = self.untrusted("exe");
        let subj = self.rec.get("subj").map(str::to_string);
        if subj.as_deref() == Some("") {
            self.fail("subj= is empty".into());
        }
        let rec: &'a Record = self.rec;
        let text = SUBJECT_FIELDS
            .iter()
            .map(|k| format!("{k}={}", rec.get(k).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" ");
        if text != NO_TASK_SUBJECT {
            if pid == Some(-1) || ppid == Some(-1) {
                self.fail(format!(
                    "pid=-1 or ppid=-1 belong to the subject of no task, exactly \"{NO_TASK_SUBJECT}\", not \"{text}\""
                ));
            }
            if comm == Some(None) {
                self.fail("comm=(null) outside the subject of no task".into());
            }
        }
        if pid == Some(0) {
            self.fail(format!(
                "pid=0 is an idle task, which writes no record (no task is pid=-1): \"{text}\""
            ));
        }
        Some(TaskSubject {
            ppid: ppid?,
            pid: pid?,
            auid: auid?,
            uid: uid?,
            ses: ses?,
            comm: comm?.unwrap_or_default(),
            exe: exe?,
            subj,
            text,
        })
    }

    /// An untrusted string in audit's canonical form: quoted when it can be, hex otherwise;
    /// [`None`] for `(null)`.
    fn untrusted(&mut self, key: &str) -> Option<Option<Vec<u8>>> {
        let v = self.value(key)?.to_string();
        if v == "(null)" {
            return Some(None);
        }
        match decode_untrusted(&v) {
            Ok(bytes) => {
                if v.starts_with('"') == needs_hex(&bytes) {
                    self.fail(format!(
                        "{key}={v}: audit quotes a string exactly when it needs no hex"
                    ));
                }
                Some(Some(bytes))
            }
            Err(e) => {
                self.fail(format!("{key}: {e}"));
                None
            }
        }
    }
}

/// Checks a record against the reference: its type is an `AUDIT_NS_*` type, it has exactly the
/// fields of the reference in their order, its `op` fits the type, the numbers are decimal (hex
/// for `dev`), `comm`/`exe` are audit untrusted strings, and `res=1`.  Returns the decoded
/// record, or every problem found.
pub fn check_ns_record(rec: &Record) -> Result<NsRecord, Vec<String>> {
    let Some((kind, init)) = NsKind::from_type(rec.ty) else {
        return Err(vec![format!(
            "type {} is not an AUDIT_NS_* type (1340-1355)",
            rec.ty
        )]);
    };
    let mut c = Checker {
        rec,
        errs: Vec::new(),
    };
    let t = kind.name();
    let keys = rec.keys();
    let has_subj = keys.get(SUBJECT_FIELDS.len() + 1) == Some(&"subj");
    let want = expected_fields(kind, init, has_subj);
    if keys.get(1..=SUBJECT_FIELDS.len()) != Some(&SUBJECT_FIELDS[..]) {
        c.fail(format!(
            "no subject after op=: every {} record carries [{}]",
            if init { "INIT" } else { "DEL" },
            SUBJECT_FIELDS.join(" ")
        ));
    }
    if keys != want {
        c.fail(format!(
            "fields are [{}], the reference says [{}]",
            keys.join(" "),
            want.join(" ")
        ));
    }

    let op = match (c.value("op"), init) {
        (Some("create"), true) => Some(Op::Create),
        (Some("existing"), true) => Some(Op::Existing),
        (Some("remove"), false) => Some(Op::Remove),
        (Some(v), _) => {
            let v = v.to_string();
            c.fail(format!(
                "op={v} in a {} record",
                if init { "INIT" } else { "DEL" }
            ));
            None
        }
        (None, _) => None,
    };

    let subject = c.subject();
    let dev = c.value("dev").map(str::to_string).and_then(|v| {
        let d = parse_dev(&v);
        if d.is_none() {
            c.fail(format!("dev={v} is not %02x:%02x"));
        }
        d
    });
    let old = if init {
        let (ok, oid) = (format!("old_{t}ns"), format!("old_{t}ns_id"));
        match (rec.get(&ok), rec.get(&oid)) {
            (Some("(none)"), Some("(none)")) => Some(None),
            (Some("(none)"), _) | (_, Some("(none)")) => {
                c.fail(format!("only one of {ok} and {oid} is (none)"));
                None
            }
            _ => c.ident(&ok, &oid).map(Some),
        }
    } else {
        Some(None)
    };
    let ns = c.ident(&format!("{t}ns"), &format!("{t}ns_id"));
    match c.value("res") {
        Some("1") | None => {}
        Some(v) => {
            let v = v.to_string();
            c.fail(format!("res={v}, the reference says res=1"));
        }
    }

    match (op, subject, dev, ns, old) {
        (Some(op), Some(subject), Some(dev), Some(ns), Some(old)) if c.errs.is_empty() => {
            Ok(NsRecord {
                kind,
                init,
                op,
                serial: rec.serial,
                subject,
                dev,
                ns,
                old,
            })
        }
        _ => {
            if c.errs.is_empty() {
                c.fail("a field is missing".into());
            }
            Err(c.errs)
        }
    }
}

/// Reads and checks the subject fields of a `SYSCALL` record.
pub fn check_syscall_subject(rec: &Record) -> Result<TaskSubject, Vec<String>> {
    let mut c = Checker {
        rec,
        errs: Vec::new(),
    };
    match c.subject() {
        Some(s) if c.errs.is_empty() => Ok(s),
        _ => {
            if c.errs.is_empty() {
                c.fail("a subject field is missing".into());
            }
            Err(c.errs)
        }
    }
}

/// The subject of `ns`, checked against its event: when the event has a `SYSCALL` record,
/// `syscall`, the record's subject must be that of the `SYSCALL` record, field by field,
/// `subj` included; in an `execve` event only the fields the call cannot change
/// (`ppid pid auid uid gid tty ses`), since the `SYSCALL` record is written at its exit.
pub fn check_event_subject(ns: &NsRecord, syscall: Option<&Record>) -> Result<TaskSubject, String> {
    let Some(sc) = syscall else {
        return Ok(ns.subject.clone());
    };
    let theirs = check_syscall_subject(sc)
        .map_err(|e| format!("serial {}: SYSCALL record: {}", ns.serial, e.join("; ")))?;
    let exec = sc.get("arch") == Some(crate::syscall::ARCH_X86_64)
        && sc
            .get("syscall")
            .is_some_and(|n| X86_64_EXEC_SYSCALLS.contains(&n));
    let ours = &ns.subject;
    let differ: Vec<String> = if exec {
        EXEC_STABLE_FIELDS
            .iter()
            .filter(|k| ours.field(k) != theirs.field(k))
            .map(|k| k.to_string())
            .collect()
    } else {
        let mut d: Vec<String> = SUBJECT_FIELDS
            .iter()
            .filter(|k| ours.field(k) != theirs.field(k))
            .map(|k| k.to_string())
            .collect();
        if ours.subj != theirs.subj {
            d.push("subj".into());
        }
        d
    };
    if differ.is_empty() {
        Ok(ns.subject.clone())
    } else {
        Err(format!(
            "serial {}: the subject differs from the SYSCALL record's in [{}]: \"{}\" vs \"{}\"",
            ns.serial,
            differ.join(" "),
            ours.text,
            theirs.text
        ))
    }
}

#[cfg(test)]
mod tests;
