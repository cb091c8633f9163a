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
//! The record format is described in `Documentation/records.rst` of nsaudit.

use core::ops::ControlFlow;
use kernel::{
    alloc::flags::GFP_ATOMIC,
    audit::Record,
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
    TypeMask, //
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
    rec.write(fmt!("op={}", fields.op.name()));
    rec.write_subject();
    rec.write(fmt!("{fields}"));
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

/// How many namespaces the load snapshot copies while it holds the namespace tree lock.
const SNAPSHOT_BATCH: usize = 64;

/// What the load snapshot did.
#[derive(Default)]
struct Snapshot {
    /// Namespaces reported.
    reported: usize,
    /// Batches, each one hold of the namespace tree lock.
    batches: usize,
    /// Time the lock was held, all batches together, as the monotonic clock measures it.  Summed
    /// over the batches, this stays right on average even where the clock only moves once a tick.
    locked_ns: i64,
}

/// Writes an `op=existing` record for every namespace alive now, from process context.
///
/// The namespace tree is walked in batches: each batch visits up to [`SNAPSHOT_BATCH`]
/// namespaces under the tree lock and copies the identities of those selected, and their
/// records are written after the lock is dropped, where they may wait for room in the audit
/// backlog.
fn snapshot(logger: &Logger) -> Result<Snapshot> {
    let mut batch = KVec::with_capacity(SNAPSHOT_BATCH, GFP_KERNEL)?;
    let mut from = 0u64;
    let mut stats = Snapshot::default();
    loop {
        batch.clear();
        let start = Instant::<Monotonic>::now();
        let mut visited = 0;
        ns::walk(from, |ns, parent| {
            from = ns.id() + 1;
            visited += 1;
            if let Some(kind) = logger.selected(ns) {
                let fields = NsFields {
                    op: Op::Existing,
                    kind,
                    dev: logger.dev,
                    ns: ns_id(ns),
                    old: parent.map(ns_id),
                };
                // Cannot fail: the capacity was allocated before the walk.
                if batch.push_within_capacity(fields).is_err() {
                    return ControlFlow::Break(());
                }
            }
            // Every namespace visited counts, selected or not, so that a mask that selects
            // few types does not make one batch walk the whole tree.
            if visited == SNAPSHOT_BATCH {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        stats.batches += 1;
        stats.locked_ns += start.elapsed().as_nanos();
        for fields in batch.iter() {
            // The caller is in process context: the record may wait for the backlog.
            if let Some(mut rec) = Record::start(GFP_KERNEL, fields.kind.init_record()) {
                write_fields(&mut rec, fields);
            }
        }
        stats.reported += batch.len();
        if visited < SNAPSHOT_BATCH {
            return Ok(stats);
        }
    }
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
            let stats = snapshot(this.reg.notifier())?;
            pr_info!(
                "logging namespace types 0x{:x}; {} existing namespaces reported; \
                 tree lock held {} times, {} us in all\n",
                module_parameters::types.value(),
                stats.reported,
                stats.batches,
                stats.locked_ns / 1000
            );
            Ok(())
        })
    }
}
