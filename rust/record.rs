// SPDX-License-Identifier: GPL-2.0

//! The parts of an `AUDIT_NS_*` record that do not depend on the running kernel: which record
//! type a namespace type maps to, the namespace fields and their order, and the type selection.

use kernel::{
    audit::RecordType,
    bindings,
    fmt,
    ns::{
        self,
        DevNum, //
    },
    prelude::*, //
};

/// The namespace types that have audit records, in the order of their record type numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NsType {
    Mnt,
    Uts,
    Ipc,
    User,
    Pid,
    Net,
}

impl NsType {
    /// All types, in record type order.
    pub(crate) const ALL: [NsType; 6] = [
        NsType::Mnt,
        NsType::Uts,
        NsType::Ipc,
        NsType::User,
        NsType::Pid,
        NsType::Net,
    ];

    /// Maps a namespace type to its audit type, [`None`] for cgroup and time namespaces, which
    /// have no records.
    pub(crate) fn from_ns(kind: ns::Type) -> Option<Self> {
        match kind {
            ns::Type::Mnt => Some(NsType::Mnt),
            ns::Type::Uts => Some(NsType::Uts),
            ns::Type::Ipc => Some(NsType::Ipc),
            ns::Type::User => Some(NsType::User),
            ns::Type::Pid => Some(NsType::Pid),
            ns::Type::Net => Some(NsType::Net),
            ns::Type::Cgroup | ns::Type::Time => None,
        }
    }

    /// Position in [`NsType::ALL`].
    fn index(self) -> u32 {
        self as u32
    }

    /// The prefix of the namespace fields: `mnt` gives `mntns=`, `old_mntns=`, ...
    pub(crate) fn name(self) -> &'static str {
        match self {
            NsType::Mnt => "mnt",
            NsType::Uts => "uts",
            NsType::Ipc => "ipc",
            NsType::User => "user",
            NsType::Pid => "pid",
            NsType::Net => "net",
        }
    }

    /// The record type for a namespace of this type being created, 1340-1345.
    pub(crate) fn init_record(self) -> RecordType {
        RecordType::new(bindings::AUDIT_NS_INIT_MNT + self.index())
    }

    /// The record type for a namespace of this type being removed, 1346-1351.
    pub(crate) fn del_record(self) -> RecordType {
        RecordType::new(bindings::AUDIT_NS_DEL_MNT + self.index())
    }

    /// The bit of this type in the `types` parameter.
    pub(crate) fn bit(self) -> u32 {
        1 << self.index()
    }
}

/// The set of namespace types to log, from the `types` module parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TypeMask(u32);

impl TypeMask {
    /// Every type.
    pub(crate) const ALL: u32 = 0x3f;

    /// Validates a `types` parameter value: a non-zero mask of the bits of [`NsType::bit`].
    pub(crate) fn new(mask: u32) -> Result<Self> {
        if mask == 0 || mask & !Self::ALL != 0 {
            return Err(EINVAL);
        }
        Ok(Self(mask))
    }

    /// Whether namespaces of type `t` are logged.
    pub(crate) fn contains(self, t: NsType) -> bool {
        self.0 & t.bit() != 0
    }
}

/// The `op=` field: why the record was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// `AUDIT_NS_INIT_*`: the namespace was just created.
    Create,
    /// `AUDIT_NS_INIT_*` written when the module is loaded: the namespace already existed.
    Existing,
    /// `AUDIT_NS_DEL_*`: the namespace was removed.
    Remove,
}

impl Op {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Existing => "existing",
            Op::Remove => "remove",
        }
    }
}

/// The identity of one namespace: inode number and 64-bit id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NsId {
    pub(crate) inum: u32,
    pub(crate) id: u64,
}

/// The namespace fields that follow the subject fields, in their fixed order:
/// ` dev=MM:mm[ old_<t>ns=N old_<t>ns_id=N] <t>ns=N <t>ns_id=N res=1`.
///
/// The `old_` pair is written for [`Op::Create`] and [`Op::Existing`], as `(none)` when the
/// namespace it derives from is not known.
pub(crate) struct NsFields {
    pub(crate) op: Op,
    pub(crate) kind: NsType,
    /// The device of namespace files.
    pub(crate) dev: DevNum,
    pub(crate) ns: NsId,
    pub(crate) old: Option<NsId>,
}

impl fmt::Display for NsFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.kind.name();
        let (major, minor) = (self.dev.major(), self.dev.minor());
        write!(f, " dev={major:02x}:{minor:02x}")?;
        if self.op != Op::Remove {
            match self.old {
                Some(old) => write!(f, " old_{t}ns={} old_{t}ns_id={}", old.inum, old.id)?,
                None => write!(f, " old_{t}ns=(none) old_{t}ns_id=(none)")?,
            }
        }
        write!(f, " {t}ns={} {t}ns_id={} res=1", self.ns.inum, self.ns.id)
    }
}

#[kunit_tests(ns_audit_record)]
mod tests {
    use super::*;
    use kernel::str::CString;

    fn render(fields: &NsFields) -> Result<CString> {
        CString::try_from_fmt(fmt!("{fields}"))
    }

    #[test]
    fn type_mapping() {
        let kinds = [
            ns::Type::Mnt,
            ns::Type::Uts,
            ns::Type::Ipc,
            ns::Type::User,
            ns::Type::Pid,
            ns::Type::Net,
        ];
        for (i, (kind, t)) in kinds.iter().zip(NsType::ALL).enumerate() {
            let i = i as u32;
            assert_eq!(NsType::from_ns(*kind), Some(t));
            assert_eq!(t.init_record().as_raw(), 1340 + i);
            assert_eq!(t.del_record().as_raw(), 1346 + i);
            assert_eq!(t.bit(), 1 << i);
        }
        assert_eq!(NsType::from_ns(ns::Type::Cgroup), None);
        assert_eq!(NsType::from_ns(ns::Type::Time), None);
    }

    #[test]
    fn type_names() {
        let names = ["mnt", "uts", "ipc", "user", "pid", "net"];
        for (t, name) in NsType::ALL.iter().zip(names) {
            assert_eq!(t.name(), name);
        }
    }

    #[test]
    fn mask_validation() {
        assert!(TypeMask::new(0).is_err());
        assert!(TypeMask::new(0x40).is_err());
        assert!(TypeMask::new(0xffff_ffff).is_err());
        let all = TypeMask::new(TypeMask::ALL);
        assert!(all.is_ok());
        let net_user = TypeMask::new(NsType::Net.bit() | NsType::User.bit());
        assert_eq!(net_user.map(|m| m.contains(NsType::Net)), Ok(true));
        assert_eq!(net_user.map(|m| m.contains(NsType::User)), Ok(true));
        assert_eq!(net_user.map(|m| m.contains(NsType::Mnt)), Ok(false));
    }

    #[test]
    fn init_fields() -> Result {
        let fields = NsFields {
            op: Op::Create,
            kind: NsType::Net,
            dev: DevNum::new(0, 4),
            ns: NsId {
                inum: 4026532001,
                id: 4097,
            },
            old: Some(NsId {
                inum: 4026531840,
                id: 1,
            }),
        };
        assert_eq!(
            render(&fields)?.to_bytes(),
            b" dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 netns_id=4097 res=1"
        );
        Ok(())
    }

    #[test]
    fn init_fields_without_origin() -> Result {
        let fields = NsFields {
            op: Op::Existing,
            kind: NsType::Mnt,
            dev: DevNum::new(1, 0x12),
            ns: NsId {
                inum: 4026531841,
                id: 2,
            },
            old: None,
        };
        assert_eq!(
            render(&fields)?.to_bytes(),
            b" dev=01:12 old_mntns=(none) old_mntns_id=(none) mntns=4026531841 mntns_id=2 res=1"
        );
        Ok(())
    }

    #[test]
    fn del_fields() -> Result {
        let fields = NsFields {
            op: Op::Remove,
            kind: NsType::User,
            dev: DevNum::new(0, 4),
            ns: NsId {
                inum: 4026532100,
                id: 4100,
            },
            old: Some(NsId { inum: 1, id: 1 }),
        };
        assert_eq!(
            render(&fields)?.to_bytes(),
            b" dev=00:04 userns=4026532100 userns_id=4100 res=1"
        );
        Ok(())
    }
}
