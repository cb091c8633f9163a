// SPDX-License-Identifier: GPL-2.0
// expect-error: invalid audit field name
//! Must not compile: a field name with a space and an equals sign, which would write a field of
//! its own (`op=create pid=1`); keys are checked when the module is built.

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
    name: "audit_key_invalid",
    authors: ["nsaudit developers"],
    description: "compile-fail test of kernel::audit",
    license: "GPL",
}

/// Writes one record; never called, so that the module writes nothing when loaded.
#[allow(dead_code)]
fn write_one(name: &[u8]) {
    let _ = name;
    if let Some(mut rec) = Record::start(GFP_KERNEL, RecordType::ns_init(ns::Type::Net)) {
        rec.field(audit_key!("op=create pid"), 1u32);
    }
}

struct Writer;

impl kernel::Module for Writer {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let _ = bindings::AUDIT_SYSCALL;
        Ok(Writer)
    }
}
