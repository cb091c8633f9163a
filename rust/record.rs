// SPDX-License-Identifier: GPL-2.0

//! The parts of an `AUDIT_NS_*` record that do not depend on the running kernel: which record
//! type a namespace type maps to, the namespace fields and their order, and the type selection.

use kernel::{
    audit::{
        Key,
        RecordType,
        Word, //
    },
    audit_key,
    audit_word,
    ns::{
        self,
        DevNum, //
    },
    prelude::*, //
};

/// The namespace types, in the order of their bits in the `types` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NsType {
    Mnt,
    Uts,
    Ipc,
    User,
    Pid,
    Net,
    Cgroup,
    Time,
}

impl NsType {
    /// All types, in the order of their bits.
    pub(crate) const ALL: [NsType; 8] = [
        NsType::Mnt,
        NsType::Uts,
        NsType::Ipc,
        NsType::User,
        NsType::Pid,
        NsType::Net,
        NsType::Cgroup,
        NsType::Time,
    ];

    /// Maps a namespace type to its audit type: every namespace type has records.
    pub(crate) fn from_ns(kind: ns::Type) -> Self {
        match kind {
            ns::Type::Mnt => NsType::Mnt,
            ns::Type::Uts => NsType::Uts,
            ns::Type::Ipc => NsType::Ipc,
            ns::Type::User => NsType::User,
            ns::Type::Pid => NsType::Pid,
            ns::Type::Net => NsType::Net,
            ns::Type::Cgroup => NsType::Cgroup,
            ns::Type::Time => NsType::Time,
        }
    }

    /// Position in [`NsType::ALL`].
    fn index(self) -> u32 {
        self as u32
    }

    /// The namespace type of the kernel crate.
    pub(crate) fn ns_type(self) -> ns::Type {
        match self {
            NsType::Mnt => ns::Type::Mnt,
            NsType::Uts => ns::Type::Uts,
            NsType::Ipc => ns::Type::Ipc,
            NsType::User => ns::Type::User,
            NsType::Pid => ns::Type::Pid,
            NsType::Net => ns::Type::Net,
            NsType::Cgroup => ns::Type::Cgroup,
            NsType::Time => ns::Type::Time,
        }
    }

    /// The record type for a namespace of this type being created: 1340-1345 for the six
    /// types of the first block, 1352-1353 for cgroup and time.
    pub(crate) fn init_record(self) -> RecordType {
        RecordType::ns_init(self.ns_type())
    }

    /// The record type for a namespace of this type being removed: 1346-1351, then 1354-1355.
    pub(crate) fn del_record(self) -> RecordType {
        RecordType::ns_del(self.ns_type())
    }

    /// The keys of the namespace fields: `mnt` gives `old_mntns=`, `old_mntns_id=`, `mntns=`,
    /// `mntns_id=`.
    pub(crate) fn keys(self) -> NsKeys {
        macro_rules! keys {
            ($t:literal) => {
                NsKeys {
                    old_ns: audit_key!(concat!("old_", $t, "ns")),
                    old_ns_id: audit_key!(concat!("old_", $t, "ns_id")),
                    ns: audit_key!(concat!($t, "ns")),
                    ns_id: audit_key!(concat!($t, "ns_id")),
                }
            };
        }
        match self {
            NsType::Mnt => keys!("mnt"),
            NsType::Uts => keys!("uts"),
            NsType::Ipc => keys!("ipc"),
            NsType::User => keys!("user"),
            NsType::Pid => keys!("pid"),
            NsType::Net => keys!("net"),
            NsType::Cgroup => keys!("cgroup"),
            NsType::Time => keys!("time"),
        }
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
    pub(crate) const ALL: u32 = 0xff;

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
    /// The value of `op=`.
    pub(crate) fn word(self) -> Word {
        match self {
            Op::Create => audit_word!("create"),
            Op::Existing => audit_word!("existing"),
            Op::Remove => audit_word!("remove"),
        }
    }
}

/// The keys of the four namespace fields of a type.
pub(crate) struct NsKeys {
    pub(crate) old_ns: Key,
    pub(crate) old_ns_id: Key,
    pub(crate) ns: Key,
    pub(crate) ns_id: Key,
}

/// The value of a namespace field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    /// A number.
    Num(u64),
    /// A fixed word: `(none)` or `1`.
    Word(Word),
    /// The device of namespace files.
    Dev(DevNum),
}

/// The identity of one namespace: inode number and 64-bit id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NsId {
    pub(crate) inum: u32,
    pub(crate) id: u64,
}

/// The namespace fields that follow the subject fields, in their fixed order:
/// `dev=MM:mm[ old_<t>ns=N old_<t>ns_id=N] <t>ns=N <t>ns_id=N res=1`.
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

impl NsFields {
    /// Calls `f` for each field after the subject, in order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(Key, Val)) {
        let keys = self.kind.keys();
        f(audit_key!("dev"), Val::Dev(self.dev));
        if self.op != Op::Remove {
            match self.old {
                Some(old) => {
                    f(keys.old_ns, Val::Num(old.inum.into()));
                    f(keys.old_ns_id, Val::Num(old.id));
                }
                None => {
                    f(keys.old_ns, Val::Word(audit_word!("(none)")));
                    f(keys.old_ns_id, Val::Word(audit_word!("(none)")));
                }
            }
        }
        f(keys.ns, Val::Num(self.ns.inum.into()));
        f(keys.ns_id, Val::Num(self.ns.id));
        f(audit_key!("res"), Val::Word(audit_word!("1")));
    }
}

#[kunit_tests(ns_audit_record)]
mod tests {
    use super::*;
    use kernel::{
        fmt,
        str::CString, //
    };

    /// The fields as a record shows them, each preceded by a space.
    struct Rendered<'a>(&'a NsFields);

    impl fmt::Display for Rendered<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let mut res = Ok(());
            self.0.for_each(|key, val| {
                res = res.and_then(|()| match val {
                    Val::Num(n) => write!(f, " {}={n}", key.as_str()),
                    Val::Word(w) => write!(f, " {}={}", key.as_str(), w.as_str()),
                    Val::Dev(d) => {
                        write!(f, " {}={:02x}:{:02x}", key.as_str(), d.major(), d.minor())
                    }
                });
            });
            res
        }
    }

    fn render(fields: &NsFields) -> Result<CString> {
        CString::try_from_fmt(fmt!("{}", Rendered(fields)))
    }

    #[test]
    fn type_mapping() {
        // (namespace type, INIT record type, DEL record type, bit of `types=`): the table of
        // Documentation/records.rst and include/uapi/linux/audit.h.
        let table = [
            (ns::Type::Mnt, 1340, 1346, 0x01),
            (ns::Type::Uts, 1341, 1347, 0x02),
            (ns::Type::Ipc, 1342, 1348, 0x04),
            (ns::Type::User, 1343, 1349, 0x08),
            (ns::Type::Pid, 1344, 1350, 0x10),
            (ns::Type::Net, 1345, 1351, 0x20),
            (ns::Type::Cgroup, 1352, 1354, 0x40),
            (ns::Type::Time, 1353, 1355, 0x80),
        ];
        assert_eq!(table.len(), NsType::ALL.len());
        for ((kind, init, del, bit), t) in table.into_iter().zip(NsType::ALL) {
            assert_eq!(NsType::from_ns(kind), t);
            assert_eq!(t.init_record().as_raw(), init);
            assert_eq!(t.del_record().as_raw(), del);
            assert_eq!(t.bit(), bit);
        }
    }

    #[test]
    fn type_names() {
        let names = ["mnt", "uts", "ipc", "user", "pid", "net", "cgroup", "time"];
        for (t, name) in NsType::ALL.iter().zip(names) {
            let keys = t.keys();
            assert_eq!(keys.ns_id.as_str().strip_suffix("ns_id"), Some(name));
            assert_eq!(keys.ns.as_str().strip_suffix("ns"), Some(name));
            assert_eq!(
                keys.old_ns.as_str().strip_prefix("old_"),
                Some(keys.ns.as_str())
            );
            assert_eq!(
                keys.old_ns_id.as_str().strip_prefix("old_"),
                Some(keys.ns_id.as_str())
            );
        }
    }

    #[test]
    fn mask_validation() {
        assert!(TypeMask::new(0).is_err());
        assert!(TypeMask::new(0x100).is_err());
        assert!(TypeMask::new(0x1ff).is_err());
        assert!(TypeMask::new(0xffff_ffff).is_err());
        let all = TypeMask::new(TypeMask::ALL);
        assert!(all.is_ok());
        let net_user = TypeMask::new(NsType::Net.bit() | NsType::User.bit());
        assert_eq!(net_user.map(|m| m.contains(NsType::Net)), Ok(true));
        assert_eq!(net_user.map(|m| m.contains(NsType::User)), Ok(true));
        assert_eq!(net_user.map(|m| m.contains(NsType::Mnt)), Ok(false));
        let time = TypeMask::new(0x80);
        assert_eq!(time.map(|m| m.contains(NsType::Time)), Ok(true));
        assert_eq!(time.map(|m| m.contains(NsType::Cgroup)), Ok(false));
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
    fn cgroup_and_time_fields() -> Result {
        let cgroup = NsFields {
            op: Op::Create,
            kind: NsType::Cgroup,
            dev: DevNum::new(0, 4),
            ns: NsId {
                inum: 4026532210,
                id: 4200,
            },
            old: Some(NsId {
                inum: 4026531835,
                id: 7,
            }),
        };
        assert_eq!(
            render(&cgroup)?.to_bytes(),
            b" dev=00:04 old_cgroupns=4026531835 old_cgroupns_id=7 cgroupns=4026532210 \
              cgroupns_id=4200 res=1"
        );
        let time = NsFields {
            op: Op::Remove,
            kind: NsType::Time,
            dev: DevNum::new(0, 4),
            ns: NsId {
                inum: 4026532211,
                id: 4201,
            },
            old: None,
        };
        assert_eq!(
            render(&time)?.to_bytes(),
            b" dev=00:04 timens=4026532211 timens_id=4201 res=1"
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
