// SPDX-License-Identifier: GPL-2.0

//! Audit records for the creation and removal of namespaces.
//!
//! Registers on the namespace notifier chain (`include/linux/ns_notifier.h`) and writes one
//! `AUDIT_NS_INIT_*` record when a mount, UTS, IPC, user, PID or network namespace is created
//! and one `AUDIT_NS_DEL_*` record when it is removed.  At load it writes an `AUDIT_NS_INIT_*`
//! record with `op=existing` for every namespace alive at that moment.
//!
//! The record format is described in `Documentation/records.rst` of nsaudit.

use core::ops::ControlFlow;
use kernel::{
    alloc::flags::GFP_ATOMIC,
    audit::{
        Record,
        Subject, //
    },
    ns::{
        self,
        Event,
        Namespace,
        Notifier,
        Registration, //
    },
    prelude::*,
};

mod record;

use record::{
    NsFields,
    NsId,
    NsType,
    Op,
    TypeMask,
    KERNEL_SUBJECT, //
};

module! {
    type: NsAudit,
    name: "ns_audit",
    authors: ["nsaudit developers"],
    description: "Audit records for namespace creation and removal",
    license: "GPL",
    params: {
        types: u32 {
            default: 0x3f,
            description: "Namespace types to log, a mask: 1 mnt, 2 uts, 4 ipc, 8 user, 16 pid, \
                          32 net (default 0x3f, all)",
        },
    },
}

fn ns_id(ns: &Namespace) -> NsId {
    NsId {
        inum: ns.inum(),
        id: ns.id(),
    }
}

/// Writes one record.  Never sleeps: the buffer is allocated with `GFP_ATOMIC`, so a full
/// backlog makes audit drop the record and count it as lost instead of waiting.
///
/// The subject fields follow `op=` only in a record that is an event of its own: in a system
/// call, the record joins the call's event, whose `SYSCALL` record names the subject.
fn log(subject: Subject, ty: u32, fields: &NsFields) {
    let Some(mut rec) = Record::start(subject, GFP_ATOMIC, ty) else {
        return;
    };
    rec.write(fmt!("op={}", fields.op.name()));
    match subject {
        Subject::Current if rec.in_syscall_event() => (),
        Subject::Current => rec.write_task_info(),
        Subject::Kernel => rec.write(fmt!("{KERNEL_SUBJECT}")),
    }
    rec.write(fmt!("{fields}"));
}

/// The notifier: filters by type and writes the records.
struct Logger {
    mask: TypeMask,
    dev: u32,
}

impl Logger {
    fn selected(&self, ns: &Namespace) -> Option<NsType> {
        NsType::from_clone_flag(ns.kind()).filter(|t| self.mask.contains(*t))
    }

    fn log_init(&self, op: Op, ns: &Namespace, parent: Option<&Namespace>) {
        let Some(kind) = self.selected(ns) else {
            return;
        };
        let fields = NsFields {
            op,
            kind,
            dev: self.dev,
            ns: ns_id(ns),
            old: parent.map(ns_id),
        };
        log(Subject::of_caller(), kind.init_record(), &fields);
    }
}

impl Notifier for Logger {
    fn notify(&self, event: Event<'_>) {
        match event {
            Event::Add { ns, parent } => self.log_init(Op::Create, ns, parent),
            Event::Remove { ns } => {
                let Some(kind) = self.selected(ns) else {
                    return;
                };
                let fields = NsFields {
                    op: Op::Remove,
                    kind,
                    dev: self.dev,
                    ns: ns_id(ns),
                    old: None,
                };
                log(Subject::of_caller(), kind.del_record(), &fields);
            }
        }
    }
}

struct NsAudit {
    _reg: Pin<KBox<Registration<Logger>>>,
}

impl kernel::Module for NsAudit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let value = module_parameters::types.value();
        let mask = TypeMask::new(value).inspect_err(|_| {
            pr_err!(
                "invalid types=0x{:x}: must be a non-zero mask of 0x{:x} \
                 (1 mnt, 2 uts, 4 ipc, 8 user, 16 pid, 32 net)\n",
                value,
                TypeMask::ALL
            );
        })?;
        let logger = Logger {
            mask,
            dev: ns::nsfs_dev(),
        };

        // Register first, then report what already exists, so that no namespace created in
        // between goes unreported.
        let reg = KBox::pin_init(Registration::register(logger), GFP_KERNEL)?;
        let logger = reg.notifier();
        ns::walk(|ns, parent| {
            logger.log_init(Op::Existing, ns, parent);
            ControlFlow::Continue(())
        });
        pr_info!("logging namespace types 0x{:x}\n", value);
        Ok(NsAudit { _reg: reg })
    }
}
