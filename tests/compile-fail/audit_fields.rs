// SPDX-License-Identifier: GPL-2.0
// expect: compiles
//! The control for the audit_* tests: a record of a namespace type with a checked key, a
//! fixed word, an untrusted string, a number and a device number compiles, so that each of them
//! fails for the one thing it changes.

use kernel::{
    audit::{
        Record,
        RecordType,
        Untrusted, //
    },
    audit_key,
    audit_word,
    bindings,
    ns,
    prelude::*,
};

module! {
    type: Writer,
    name: "audit_fields",
    authors: ["nsaudit developers"],
    description: "compile-fail test of kernel::audit",
    license: "GPL",
}

/// Writes one record; never called, so that the module writes nothing when loaded.
#[allow(dead_code)]
fn write_one(name: &[u8]) {
    if let Some(mut rec) = Record::start(GFP_KERNEL, RecordType::ns_init(ns::Type::Net)) {
        rec.field(audit_key!("op"), audit_word!("create"));
        rec.write_subject();
        rec.field(audit_key!("name"), Untrusted(name));
        rec.field(audit_key!("netns_id"), 4097u64);
        rec.field(audit_key!("dev"), ns::nsfs_dev());
    }
}

struct Writer;

impl kernel::Module for Writer {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let _ = bindings::AUDIT_SYSCALL;
        Ok(Writer)
    }
}
