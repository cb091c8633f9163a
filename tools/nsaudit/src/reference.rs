// SPDX-License-Identifier: GPL-2.0

//! The reference format of the `AUDIT_NS_*` records, as a checker.
//!
//! ```text
//! INIT (1340-1345): op=create|existing [SUBJECT [subj=...]] dev=MM:mm
//!                   old_<t>ns=N|(none) old_<t>ns_id=N|(none) <t>ns=N <t>ns_id=N res=1
//! DEL  (1346-1351): op=remove [SUBJECT [subj=...]] dev=MM:mm <t>ns=N <t>ns_id=N res=1
//! SUBJECT:          ppid pid auid uid gid euid suid fsuid egid sgid fsgid tty ses comm exe
//! ```
//!
//! `<t>` is `mnt`, `uts`, `ipc`, `user`, `pid` or `net`.  A record that is part of a syscall
//! event has no SUBJECT: the event's `SYSCALL` record names it ([`check_event_subject`]).  A
//! record that is an event of its own has it; when the kernel itself acted, it is exactly
//! [`KERNEL_SUBJECT`].

use crate::record::{decode_untrusted, needs_hex, parse_decimal, Record};

/// `AUDIT_NS_INIT_MNT`, the first creation type.
pub const AUDIT_NS_INIT_MNT: u16 = 1340;
/// `AUDIT_NS_DEL_MNT`, the first removal type.
pub const AUDIT_NS_DEL_MNT: u16 = 1346;

/// The namespace types that have records, in record type order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsKind {
    Mnt,
    Uts,
    Ipc,
    User,
    Pid,
    Net,
}

impl NsKind {
    /// Every kind, in record type order.
    pub const ALL: [NsKind; 6] = [
        NsKind::Mnt,
        NsKind::Uts,
        NsKind::Ipc,
        NsKind::User,
        NsKind::Pid,
        NsKind::Net,
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
        }
    }

    /// Position in [`NsKind::ALL`], which is also the bit of the module's `types` parameter.
    pub fn index(self) -> usize {
        self as usize
    }

    /// `AUDIT_NS_INIT_<T>`.
    pub fn init_type(self) -> u16 {
        AUDIT_NS_INIT_MNT + self as u16
    }

    /// `AUDIT_NS_DEL_<T>`.
    pub fn del_type(self) -> u16 {
        AUDIT_NS_DEL_MNT + self as u16
    }

    /// The kind of a record type and whether it is an INIT (creation) type.
    pub fn from_type(ty: u16) -> Option<(NsKind, bool)> {
        let i = ty.checked_sub(AUDIT_NS_INIT_MNT)?;
        let kind = *Self::ALL.get(usize::from(i % 6))?;
        match i / 6 {
            0 => Some((kind, true)),
            1 => Some((kind, false)),
            _ => None,
        }
    }
}

/// Whether `ty` is one of the twelve `AUDIT_NS_*` types.
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

/// The subject fields of a record, as `audit_log_task_info()` writes them: those of an
/// `AUDIT_NS_*` record that is an event of its own, or of a `SYSCALL` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSubject {
    pub ppid: u32,
    pub pid: u32,
    pub auid: u32,
    pub uid: u32,
    pub ses: u32,
    /// The decoded bytes of `comm=`.
    pub comm: Vec<u8>,
    /// The decoded bytes of `exe=`, [`None`] for `exe=(null)`.
    pub exe: Option<Vec<u8>>,
    pub subj: Option<String>,
    /// The fifteen fields as written, `ppid=... exe=...`.
    pub text: String,
}

impl TaskSubject {
    /// Whether this is the kernel's subject (the removal ran in a worker or kernel thread).
    pub fn is_kernel(&self) -> bool {
        self.text == KERNEL_SUBJECT
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
    /// The record's own subject fields; [`None`] in a record that is part of a syscall event,
    /// whose `SYSCALL` record names the subject.
    pub subject: Option<TaskSubject>,
    /// `dev=`: major and minor of the nsfs device.
    pub dev: (u32, u32),
    /// `<t>ns=` and `<t>ns_id=`.
    pub ns: NsIdent,
    /// `old_<t>ns=` and `old_<t>ns_id=`: the namespace it was derived from; [`None`] for DEL
    /// records and for `(none)`.
    pub old: Option<NsIdent>,
}

impl NsRecord {
    /// Whether the record names the kernel as its subject.
    pub fn is_kernel_subject(&self) -> bool {
        self.subject.as_ref().is_some_and(TaskSubject::is_kernel)
    }
}

/// The subject fields, in `audit_log_task_info()`'s order.
pub const SUBJECT_FIELDS: [&str; 15] = [
    "ppid", "pid", "auid", "uid", "gid", "euid", "suid", "fsuid", "egid", "sgid", "fsgid", "tty",
    "ses", "comm", "exe",
];

/// The exact subject of a record the kernel wrote on its own behalf.
pub const KERNEL_SUBJECT: &str = "ppid=0 pid=0 auid=4294967295 uid=0 gid=0 euid=0 suid=0 \
fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"kernel\" exe=(null)";

/// The field names the reference requires for a record of `kind`, INIT or DEL, with or
/// without the subject fields, with or without `subj=` (only with the subject), in order.
pub fn expected_fields(kind: NsKind, init: bool, subject: bool, subj: bool) -> Vec<String> {
    let t = kind.name();
    let mut want = vec!["op".to_string()];
    if subject {
        want.extend(SUBJECT_FIELDS.iter().map(|s| s.to_string()));
        if subj {
            want.push("subj".into());
        }
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

    /// The subject fields, wherever they are in the record; checks their values.
    fn subject(&mut self) -> Option<TaskSubject> {
        let ppid = self.u32("ppid");
        let pid = self.u32("pid");
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
        let comm = self.untrusted("comm", false).map(Option::unwrap_or_default);
        let exe = self.untrusted("exe", true);
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
        if pid == Some(0) && text != KERNEL_SUBJECT {
            self.fail(format!(
                "pid=0 is the kernel, whose subject is exactly \"{KERNEL_SUBJECT}\", not \"{text}\""
            ));
        }
        Some(TaskSubject {
            ppid: ppid?,
            pid: pid?,
            auid: auid?,
            uid: uid?,
            ses: ses?,
            comm: comm?,
            exe: exe?,
            subj,
            text,
        })
    }

    /// An untrusted string in audit's canonical form: quoted when it can be, hex otherwise.
    fn untrusted(&mut self, key: &str, null_ok: bool) -> Option<Option<Vec<u8>>> {
        let v = self.value(key)?.to_string();
        if v == "(null)" {
            if !null_ok {
                self.fail(format!("{key}=(null)"));
            }
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
            "type {} is not an AUDIT_NS_* type (1340-1351)",
            rec.ty
        )]);
    };
    let mut c = Checker {
        rec,
        errs: Vec::new(),
    };
    let t = kind.name();
    let keys = rec.keys();
    let own_subject = keys.get(1) == Some(&SUBJECT_FIELDS[0]);
    let has_subj = own_subject && keys.get(SUBJECT_FIELDS.len() + 1) == Some(&"subj");
    let want = expected_fields(kind, init, own_subject, has_subj);
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

    let subject = if own_subject {
        c.subject().map(Some)
    } else {
        Some(None)
    };
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

/// The subject of the event of `ns`, checked: the record's own subject fields when it is an
/// event of its own, and then no `SYSCALL` record may share its serial; otherwise those of the
/// `SYSCALL` record of its event, `syscall`, which must be there.
pub fn check_event_subject(ns: &NsRecord, syscall: Option<&Record>) -> Result<TaskSubject, String> {
    match (&ns.subject, syscall) {
        (Some(own), None) => Ok(own.clone()),
        (Some(_), Some(_)) => Err(format!(
            "serial {}: a record of a syscall event repeats the subject of its SYSCALL record",
            ns.serial
        )),
        (None, Some(sc)) => check_syscall_subject(sc)
            .map_err(|e| format!("serial {}: SYSCALL record: {}", ns.serial, e.join("; "))),
        (None, None) => Err(format!(
            "serial {}: no subject fields and no SYSCALL record in the event",
            ns.serial
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_record;

    const TASK: &str = "ppid=1 pid=77 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" exe=\"/bin/busybox\"";

    const NET_INIT: &str = "op=create ppid=1 pid=77 auid=4294967295 uid=0 gid=0 euid=0 suid=0 \
fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" exe=\"/bin/busybox\" \
dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 netns_id=4097 res=1";

    fn rec(ty: u16, body: &str) -> Record {
        parse_record(ty, &format!("audit(1700000000.123:45): {body}")).unwrap()
    }

    fn errors(ty: u16, body: &str) -> Vec<String> {
        match check_ns_record(&rec(ty, body)) {
            Ok(r) => panic!("accepted {body}: {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn kinds_and_types() {
        assert_eq!(NsKind::from_type(1340), Some((NsKind::Mnt, true)));
        assert_eq!(NsKind::from_type(1343), Some((NsKind::User, true)));
        assert_eq!(NsKind::from_type(1345), Some((NsKind::Net, true)));
        assert_eq!(NsKind::from_type(1346), Some((NsKind::Mnt, false)));
        assert_eq!(NsKind::from_type(1350), Some((NsKind::Pid, false)));
        assert_eq!(NsKind::from_type(1351), Some((NsKind::Net, false)));
        for ty in [0, 1300, 1320, 1339, 1352, u16::MAX] {
            assert_eq!(NsKind::from_type(ty), None, "{ty}");
            assert!(!is_ns_type(ty));
        }
        let names: Vec<&str> = NsKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names, ["mnt", "uts", "ipc", "user", "pid", "net"]);
        for (i, k) in NsKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(usize::from(k.init_type()), 1340 + i);
            assert_eq!(usize::from(k.del_type()), 1346 + i);
            assert_eq!(NsKind::from_type(k.init_type()), Some((k, true)));
            assert_eq!(NsKind::from_type(k.del_type()), Some((k, false)));
        }
    }

    #[test]
    fn accepts_the_spec_example() {
        let ns = check_ns_record(&rec(1345, NET_INIT)).unwrap();
        assert_eq!((ns.kind, ns.init, ns.op), (NsKind::Net, true, Op::Create));
        let s = ns.subject.clone().unwrap();
        assert_eq!((s.ppid, s.pid, s.uid), (1, 77, 0));
        assert_eq!((s.auid, s.ses), (u32::MAX, u32::MAX));
        assert_eq!(ns.serial, 45);
        assert_eq!(ns.dev, (0, 4));
        assert_eq!(
            ns.ns,
            NsIdent {
                inum: 4026532001,
                id: 4097
            }
        );
        assert_eq!(
            ns.old,
            Some(NsIdent {
                inum: 4026531840,
                id: 1
            })
        );
        assert_eq!(s.comm, b"unshare");
        assert_eq!(s.exe.as_deref(), Some(&b"/bin/busybox"[..]));
        assert_eq!(s.subj, None);
        assert_eq!(s.text, TASK);
        assert!(!ns.is_kernel_subject());
    }

    #[test]
    fn accepts_records_of_a_syscall_event_without_subject() {
        let body = NET_INIT.replace(&format!("{TASK} "), "");
        assert_eq!(
            body,
            "op=create dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 \
             netns_id=4097 res=1"
        );
        let ns = check_ns_record(&rec(1345, &body)).unwrap();
        assert_eq!(ns.subject, None);
        assert!(!ns.is_kernel_subject());
        assert_eq!(ns.ns.id, 4097);
        let del = check_ns_record(&rec(
            1351,
            "op=remove dev=00:04 netns=4026532001 netns_id=4097 res=1",
        ))
        .unwrap();
        assert_eq!((del.op, del.subject), (Op::Remove, None));
    }

    #[test]
    fn event_subject_comes_from_one_place() {
        let syscall = rec(
            1300,
            &format!("arch=c000003e syscall=272 success=yes exit=0 a0=40000000 a1=0 a2=0 a3=0 items=0 {TASK} key=(null)"),
        );
        let bound =
            check_ns_record(&rec(1345, &NET_INIT.replace(&format!("{TASK} "), ""))).unwrap();
        let own = check_ns_record(&rec(1345, NET_INIT)).unwrap();
        let s = check_event_subject(&bound, Some(&syscall)).unwrap();
        assert_eq!((s.pid, s.text.as_str()), (77, TASK));
        assert_eq!(check_event_subject(&own, None).unwrap().pid, 77);
        let e = check_event_subject(&own, Some(&syscall)).unwrap_err();
        assert!(e.contains("repeats the subject"), "{e}");
        let e = check_event_subject(&bound, None).unwrap_err();
        assert!(e.contains("no SYSCALL record"), "{e}");
        let bad = rec(1300, "arch=c000003e syscall=272 pid=x key=(null)");
        assert!(check_event_subject(&bound, Some(&bad)).is_err());
    }

    #[test]
    fn accepts_every_kind() {
        for k in NsKind::ALL {
            let t = k.name();
            let init = format!(
                "op=create {TASK} dev=00:04 old_{t}ns=4026531840 old_{t}ns_id=1 {t}ns=4026532001 {t}ns_id=4097 res=1"
            );
            let ns = check_ns_record(&rec(k.init_type(), &init)).unwrap();
            assert_eq!((ns.kind, ns.init), (k, true));
            let del = format!("op=remove {TASK} dev=00:04 {t}ns=4026532001 {t}ns_id=4097 res=1");
            let ns = check_ns_record(&rec(k.del_type(), &del)).unwrap();
            assert_eq!(
                (ns.kind, ns.init, ns.op, ns.old),
                (k, false, Op::Remove, None)
            );
            let bound = init.replace(&format!("{TASK} "), "");
            let ns = check_ns_record(&rec(k.init_type(), &bound)).unwrap();
            assert_eq!((ns.kind, ns.init, ns.subject), (k, true, None));
            // A record of one kind with the fields of another is wrong.
            let other = NsKind::ALL[(k.index() + 1) % 6];
            assert!(check_ns_record(&rec(other.init_type(), &init)).is_err());
        }
    }

    #[test]
    fn accepts_a_kernel_del_record() {
        let ns = check_ns_record(&rec(
            1351,
            &format!("op=remove {KERNEL_SUBJECT} dev=00:04 netns=4026532001 netns_id=4097 res=1"),
        ))
        .unwrap();
        assert!(ns.is_kernel_subject());
        let s = ns.subject.unwrap();
        assert_eq!((s.pid, s.ppid), (0, 0));
        assert_eq!(s.comm, b"kernel");
        assert_eq!(s.exe, None);
        assert!(!ns.init);
    }

    #[test]
    fn kernel_subject_needs_every_field() {
        // A task may call itself "kernel" and have no exe: that is not the kernel's subject.
        let task = KERNEL_SUBJECT.replace("ppid=0 pid=0", "ppid=1 pid=5");
        let ns = check_ns_record(&rec(
            1351,
            &format!("op=remove {task} dev=00:04 netns=4026532001 netns_id=4097 res=1"),
        ))
        .unwrap();
        assert!(!ns.is_kernel_subject());
        // pid=0 with anything but the kernel's subject is wrong.
        let errs = errors(
            1351,
            &format!(
                "op=remove {} dev=00:04 netns=4026532001 netns_id=4097 res=1",
                KERNEL_SUBJECT.replace("uid=0 gid", "uid=5 gid")
            ),
        );
        assert!(
            errs.iter().any(|e| e.contains("pid=0 is the kernel")),
            "{errs:?}"
        );
    }

    #[test]
    fn accepts_existing_without_origin_hex_comm_and_subj() {
        let body = format!(
            "op=existing {} subj=unconfined dev=00:04 old_mntns=(none) old_mntns_id=(none) mntns=4026531841 mntns_id=2 res=1",
            TASK.replace("comm=\"unshare\"", "comm=7820223D747970653D41564320")
        );
        let ns = check_ns_record(&rec(1340, &body)).unwrap();
        assert_eq!(ns.op, Op::Existing);
        assert_eq!(ns.old, None);
        let s = ns.subject.unwrap();
        assert_eq!(s.subj.as_deref(), Some("unconfined"));
        assert_eq!(s.comm, b"x \"=type=AVC ");
    }

    #[test]
    fn accepts_large_device_numbers() {
        let ns =
            check_ns_record(&rec(1345, &NET_INIT.replace("dev=00:04", "dev=103:1ab"))).unwrap();
        assert_eq!(ns.dev, (0x103, 0x1ab));
    }

    #[test]
    fn rejects_deviations() {
        let cases: Vec<(&str, String)> = vec![
            (
                "wrong order",
                NET_INIT.replace(
                    "netns=4026532001 netns_id=4097",
                    "netns_id=4097 netns=4026532001",
                ),
            ),
            (
                "subject order",
                NET_INIT.replace("uid=0 gid=0", "gid=0 uid=0"),
            ),
            (
                "subj out of place",
                NET_INIT.replace(" dev=00:04", " dev=00:04 subj=x"),
            ),
            ("missing res", NET_INIT.replace(" res=1", "")),
            ("res=0", NET_INIT.replace(" res=1", " res=0")),
            ("extra field", format!("{NET_INIT} key=x")),
            ("repeated field", NET_INIT.replace(" res=1", " res=1 res=1")),
            ("missing op", NET_INIT.replace("op=create ", "")),
            ("missing tty", NET_INIT.replace(" tty=(none)", "")),
            (
                "bad number",
                NET_INIT.replace("netns=4026532001", "netns=x3"),
            ),
            ("signed number", NET_INIT.replace("pid=77", "pid=+77")),
            (
                "negative number",
                NET_INIT.replace("uid=0 gid", "uid=-1 gid"),
            ),
            ("leading zero", NET_INIT.replace("pid=77", "pid=077")),
            (
                "inode beyond 32 bits",
                NET_INIT.replace("netns=4026532001", "netns=4294967296"),
            ),
            ("zero id", NET_INIT.replace("netns_id=4097", "netns_id=0")),
            (
                "uid beyond 32 bits",
                NET_INIT.replace("auid=4294967295", "auid=4294967296"),
            ),
            ("op for DEL", NET_INIT.replace("op=create", "op=remove")),
            ("unknown op", NET_INIT.replace("op=create", "op=created")),
            (
                "one (none)",
                NET_INIT.replace("old_netns=4026531840", "old_netns=(none)"),
            ),
            ("bad dev", NET_INIT.replace("dev=00:04", "dev=4")),
            ("dev not padded", NET_INIT.replace("dev=00:04", "dev=0:04")),
            ("dev uppercase", NET_INIT.replace("dev=00:04", "dev=00:0A")),
            (
                "dev over-padded",
                NET_INIT.replace("dev=00:04", "dev=000:04"),
            ),
            (
                "injected field",
                NET_INIT.replace("comm=\"unshare\"", "comm=\"x\" type=AVC"),
            ),
            (
                "needless hex",
                NET_INIT.replace("comm=\"unshare\"", "comm=756E7368617265"),
            ),
            (
                "lowercase hex",
                NET_INIT.replace("comm=\"unshare\"", "comm=6a2062"),
            ),
            (
                "comm (null)",
                NET_INIT.replace("comm=\"unshare\"", "comm=(null)"),
            ),
            ("bad tty", NET_INIT.replace("tty=(none)", "tty=")),
            ("empty subj", NET_INIT.replace(" dev=", " subj= dev=")),
            (
                "subj without subject",
                NET_INIT.replace(&format!("{TASK} "), "subj=x "),
            ),
            (
                "part of the subject",
                NET_INIT.replace(&format!("{TASK} "), "ppid=1 pid=77 "),
            ),
            (
                "subject after dev",
                NET_INIT
                    .replace(&format!("{TASK} "), "")
                    .replace(" res=1", &format!(" {TASK} res=1")),
            ),
        ];
        for (what, body) in &cases {
            assert!(
                check_ns_record(&rec(1345, body)).is_err(),
                "{what}: accepted {body}"
            );
        }
        // DEL records carry no old_ fields, INIT records need them.
        let del = NET_INIT.replace("op=create", "op=remove");
        assert!(errors(1351, &del).iter().any(|e| e.contains("fields are")));
        let init_without_old = NET_INIT.replace(" old_netns=4026531840 old_netns_id=1", "");
        assert!(errors(1345, &init_without_old)
            .iter()
            .any(|e| e.contains("fields are")));
        // Not a namespace type at all.
        assert_eq!(errors(1300, NET_INIT).len(), 1);
    }

    #[test]
    fn reports_every_problem() {
        let body = NET_INIT
            .replace("res=1", "res=2")
            .replace("pid=77", "pid=x")
            .replace("dev=00:04", "dev=zz");
        let errs = errors(1345, &body);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("res=2")));
        assert!(errs.iter().any(|e| e.contains("pid=x")));
        assert!(errs.iter().any(|e| e.contains("dev=zz")));
    }

    #[test]
    fn expected_fields_follow_the_reference() {
        let f = expected_fields(NsKind::User, true, true, true);
        assert_eq!(f.len(), 1 + 15 + 1 + 1 + 2 + 2 + 1);
        assert_eq!(f[16], "subj");
        assert_eq!(
            f[18..],
            ["old_userns", "old_userns_id", "userns", "userns_id", "res"]
        );
        let f = expected_fields(NsKind::Pid, false, true, false);
        assert_eq!(f[15..], ["exe", "dev", "pidns", "pidns_id", "res"]);
        let f = expected_fields(NsKind::Net, false, false, true);
        assert_eq!(f, ["op", "dev", "netns", "netns_id", "res"]);
    }
}
