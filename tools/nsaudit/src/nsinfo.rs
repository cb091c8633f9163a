// SPDX-License-Identifier: GPL-2.0

//! `AUDIT_NS_INFO` (1356): the namespaces of the task of a system call event.
//!
//! ```text
//! mntns_id=N utsns_id=N ipcns_id=N userns_id=N pidns_id=N netns_id=N cgroupns_id=N timens_id=N
//! ```
//!
//! The audit core writes it in `audit_log_exit()`, right after the event's `SYSCALL` (or
//! `URINGOP`) record and with the same stamp, when the task is not in the initial namespace of
//! every type.  The fields are always these eight, in [`NsKind::ALL`] order, each the decimal
//! 64-bit id `NS_GET_ID` returns, taken at the exit of the call: `pidns_id` is the PID
//! namespace the task is in (`/proc/PID/ns/pid`, not `pid_for_children`), `timens_id` its own
//! time namespace (not `time_for_children`), `userns_id` the user namespace of its credentials.
//!
//! The initial namespaces have the small ids the kernel reserves, one per type
//! (`include/uapi/linux/nsfs.h`: `IPC_NS_INIT_ID` 1 ... `MNT_NS_INIT_ID` 8, which is
//! `NS_LAST_INIT_ID`), so a record whose ids are all initial is never written.

use crate::record::{parse_decimal, Record};
use crate::reference::NsKind;

/// `AUDIT_NS_INFO`.
pub const AUDIT_NS_INFO: u16 = 1356;

/// `NS_LAST_INIT_ID`: ids up to this one belong to the initial namespaces.
pub const NS_LAST_INIT_ID: u64 = 8;

/// The fields of the record, in order.
pub const NS_INFO_FIELDS: [&str; NsKind::COUNT] = [
    "mntns_id",
    "utsns_id",
    "ipcns_id",
    "userns_id",
    "pidns_id",
    "netns_id",
    "cgroupns_id",
    "timens_id",
];

/// The id of the initial namespace of `kind`, as `include/uapi/linux/nsfs.h` of Linux 7.3
/// reserves it.
pub fn initial_id(kind: NsKind) -> u64 {
    match kind {
        NsKind::Ipc => 1,
        NsKind::Uts => 2,
        NsKind::User => 3,
        NsKind::Pid => 4,
        NsKind::Cgroup => 5,
        NsKind::Time => 6,
        NsKind::Net => 7,
        NsKind::Mnt => 8,
    }
}

/// The field of `kind` in the record: `<t>ns_id`.
pub fn field_of(kind: NsKind) -> &'static str {
    NS_INFO_FIELDS[kind.index()]
}

/// The namespace ids of a task, one per kind: what an `AUDIT_NS_INFO` record says, or what the
/// task read itself with `NS_GET_ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NsInfo(pub [u64; NsKind::COUNT]);

impl NsInfo {
    /// The ids of the initial namespaces.
    pub fn initial() -> NsInfo {
        NsInfo(NsKind::ALL.map(initial_id))
    }

    /// The id of the namespace of `kind`.
    pub fn id(&self, kind: NsKind) -> u64 {
        self.0[kind.index()]
    }

    /// The same ids with the one of `kind` replaced by `id`.
    pub fn with(mut self, kind: NsKind, id: u64) -> NsInfo {
        self.0[kind.index()] = id;
        self
    }

    /// Whether every namespace is the initial one of its type: no record is written then.
    pub fn all_initial(&self) -> bool {
        *self == NsInfo::initial()
    }

    /// The kinds whose ids differ from `other`'s.
    pub fn differences(&self, other: &NsInfo) -> Vec<NsKind> {
        NsKind::ALL
            .into_iter()
            .filter(|&k| self.id(k) != other.id(k))
            .collect()
    }

    /// The record's text after the stamp: `mntns_id=N ... timens_id=N`.
    pub fn fields_text(&self) -> String {
        NsKind::ALL
            .iter()
            .map(|&k| format!("{}={}", field_of(k), self.id(k)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::fmt::Display for NsInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.fields_text())
    }
}

/// Checks an `AUDIT_NS_INFO` record: its type, exactly the eight fields in their order, each a
/// non-zero decimal id; an id the kernel reserves for an initial namespace
/// ([`NS_LAST_INIT_ID`] or below) only in the field of that namespace's type; and not all of
/// them initial.  Returns the ids, or every problem found.
pub fn check_ns_info(rec: &Record) -> Result<NsInfo, Vec<String>> {
    let mut errs = Vec::new();
    if rec.ty != AUDIT_NS_INFO {
        errs.push(format!(
            "type {} is not AUDIT_NS_INFO ({AUDIT_NS_INFO})",
            rec.ty
        ));
    }
    let keys = rec.keys();
    if keys != NS_INFO_FIELDS {
        errs.push(format!(
            "fields are [{}], AUDIT_NS_INFO has [{}]",
            keys.join(" "),
            NS_INFO_FIELDS.join(" ")
        ));
    }
    let mut ids = [0u64; NsKind::COUNT];
    for k in NsKind::ALL {
        let key = field_of(k);
        let Some(v) = rec.get(key) else {
            errs.push(format!("no {key}="));
            continue;
        };
        match parse_decimal(v).filter(|&n| n != 0) {
            Some(id) if id <= NS_LAST_INIT_ID && id != initial_id(k) => errs.push(format!(
                "{key}={id} is the id of the initial {} namespace, not of a {} namespace",
                initial_kind(id).map_or("?", NsKind::name),
                k.name()
            )),
            Some(id) => ids[k.index()] = id,
            None => errs.push(format!("{key}={v} is not a non-zero 64-bit decimal number")),
        }
    }
    let info = NsInfo(ids);
    if errs.is_empty() && info.all_initial() {
        errs.push(format!(
            "every id is the initial namespace's ({info}): the kernel writes no record then"
        ));
    }
    if errs.is_empty() {
        Ok(info)
    } else {
        Err(errs)
    }
}

/// The kind whose initial namespace has the reserved id `id`.
fn initial_kind(id: u64) -> Option<NsKind> {
    NsKind::ALL.into_iter().find(|&k| initial_id(k) == id)
}

#[cfg(test)]
mod tests;
