// SPDX-License-Identifier: GPL-2.0
// expect-error: E0277
//! Must not compile: a plain string as a field's value.  Text goes through `Untrusted` (audit's
//! encoder) or, if fixed, `audit_word!`, so that a value cannot carry another field.

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
    name: "audit_value_str",
    authors: ["nsaudit developers"],
    description: "compile-fail test of kernel::audit",
    license: "GPL",
}

/// Writes one record; never called, so that the module writes nothing when loaded.
#[allow(dead_code)]
fn write_one(name: &[u8]) {
    let _ = name;
    if let Some(mut rec) = Record::start(GFP_KERNEL, RecordType::ns_init(ns::Type::Net)) {
        rec.field(audit_key!("op"), "create pid=1");
    }
}

struct Writer;

impl kernel::Module for Writer {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let _ = bindings::AUDIT_SYSCALL;
        Ok(Writer)
    }
}
