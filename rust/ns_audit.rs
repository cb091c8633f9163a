// SPDX-License-Identifier: GPL-2.0

//! Audit records for the creation and removal of namespaces.
//!
//! Registers on the namespace notifier chain (`include/linux/ns_notifier.h`) and writes one
//! `AUDIT_NS_INIT_*` record when a namespace of any of the eight types (mount, UTS, IPC, user,
//! PID, network, cgroup, time) is created and one `AUDIT_NS_DEL_*` record when it is removed.
//! At load it writes an `AUDIT_NS_INIT_*` record with `op=existing` for every namespace alive at
//! that moment.
//!
//! The chain runs in atomic context, so its records are started with
//! [`Record::start_deferred`]: audit sends them from where their writer may wait for room in
//! the backlog (the end of the system call, the return to user space, or a worker), and a full
//! backlog slows down whoever creates namespaces instead of losing records.
//!
//! The same source builds in the kernel tree (`CONFIG_NS_AUDIT`) and out of it (Kbuild `M=`).
//! The record format is described in `Documentation/records.rst` of nsaudit.

use core::ops::ControlFlow;
use kernel::{
    alloc::flags::GFP_ATOMIC,
    audit::Record,
    audit_key,
    ns::{
        self,
        DevNum,
        Event,
        Namespace,
        Notifier,
        Registration, //
    },
    prelude::*,
    time::{
        Instant,
        Monotonic, //
    },
};

mod record;

use record::{
    NsFields,
    NsId,
    NsType,
    Op,
    TypeMask,
    Val, //
};

module! {
    type: NsAudit,
    name: "ns_audit",
    authors: ["nsaudit developers"],
    description: "Audit records for namespace creation and removal",
    license: "GPL",
    params: {
        types: u32 {
            default: 0xff,
            description: "Namespace types to log, a mask: 1 mnt, 2 uts, 4 ipc, 8 user, 16 pid, \
                          32 net, 64 cgroup, 128 time (default 0xff, all)",
        },
    },
}

fn ns_id(ns: &Namespace) -> NsId {
    NsId {
        inum: ns.inum(),
        id: ns.id(),
    }
}

/// Writes the fields of one record, in their fixed order: `op=`, the subject, the namespace.
fn write_fields(rec: &mut Record, fields: &NsFields) {
    rec.field(audit_key!("op"), fields.op.word());
    rec.write_subject();
    fields.for_each(|key, val| match val {
        Val::Num(n) => rec.field(key, n),
        Val::Word(w) => rec.field(key, w),
        Val::Dev(d) => rec.field(key, d),
    });
}

/// The notifier: filters by type and writes the records.
struct Logger {
    mask: TypeMask,
    dev: DevNum,
}

impl Logger {
    fn selected(&self, ns: &Namespace) -> Option<NsType> {
        ns.kind()
            .map(NsType::from_ns)
            .filter(|t| self.mask.contains(*t))
    }

    /// Writes a record from the notifier chain, which runs in atomic context.
    fn log_atomic(&self, fields: &NsFields) {
        let ty = match fields.op {
            Op::Remove => fields.kind.del_record(),
            Op::Create | Op::Existing => fields.kind.init_record(),
        };
        if let Some(mut rec) = Record::start_deferred(GFP_ATOMIC, ty) {
            write_fields(&mut rec, fields);
        }
    }
}

impl Notifier for Logger {
    fn notify(&self, event: Event<'_>) {
        let (ns, op, parent) = match event {
            Event::Add { ns, parent } => (ns, Op::Create, parent),
            Event::Remove { ns } => (ns, Op::Remove, None),
            _ => return,
        };
        let Some(kind) = self.selected(ns) else {
            return;
        };
        self.log_atomic(&NsFields {
            op,
            kind,
            dev: self.dev,
            ns: ns_id(ns),
            old: parent.map(ns_id),
        });
    }
}

/// What the load snapshot did.
#[derive(Default)]
struct Snapshot {
    /// Namespaces reported.
    reported: usize,
    /// Time the walk took, records included, as the monotonic clock measures it.
    walk_ns: i64,
}

/// Writes an `op=existing` record for every namespace alive now, from process context.
///
/// The walk holds no lock while it calls back, so each record is written at once, where it
/// may wait for room in the audit backlog, while namespaces are created and removed meanwhile.
fn snapshot(logger: &Logger) -> Snapshot {
    let mut stats = Snapshot::default();
    let start = Instant::<Monotonic>::now();
    ns::walk(0, |ns, parent| {
        if let Some(kind) = logger.selected(ns) {
            let fields = NsFields {
                op: Op::Existing,
                kind,
                dev: logger.dev,
                ns: ns_id(ns),
                old: parent.map(ns_id),
            };
            // Process context: the record may wait for the backlog.
            if let Some(mut rec) = Record::start(GFP_KERNEL, kind.init_record()) {
                write_fields(&mut rec, &fields);
            }
            stats.reported += 1;
        }
        ControlFlow::Continue(())
    });
    stats.walk_ns = start.elapsed().as_nanos();
    stats
}

#[pin_data]
struct NsAudit {
    #[pin]
    reg: Registration<Logger>,
}

impl kernel::InPlaceModule for NsAudit {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let init = pin_init::pin_init_scope(|| {
            let value = module_parameters::types.value();
            let mask = TypeMask::new(value).inspect_err(|_| {
                pr_err!(
                    "invalid types=0x{:x}: must be a non-zero mask of 0x{:x} \
                     (1 mnt, 2 uts, 4 ipc, 8 user, 16 pid, 32 net, 64 cgroup, 128 time)\n",
                    value,
                    TypeMask::ALL
                );
            })?;
            let logger = Logger {
                mask,
                dev: ns::nsfs_dev(),
            };
            Ok(try_pin_init!(Self {
                reg <- Registration::register(logger),
            }))
        });
        // Register first, then report what already exists, so that no namespace created in
        // between goes unreported.
        init.pin_chain(|this| {
            let stats = snapshot(this.reg.notifier());
            pr_info!(
                "logging namespace types 0x{:x}; {} existing namespaces reported in {} us\n",
                module_parameters::types.value(),
                stats.reported,
                stats.walk_ns / 1000
            );
            Ok(())
        })
    }
}
