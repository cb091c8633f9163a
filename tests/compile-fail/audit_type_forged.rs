// SPDX-License-Identifier: GPL-2.0
// expect-error: E0423|E0599|E0603
//! Must not compile: a record type other than the namespace types.  Rust code must not be able
//! to write AUDIT_SYSCALL or a user message type, whose format belongs elsewhere.

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
    name: "audit_type_forged",
    authors: ["nsaudit developers"],
    description: "compile-fail test of kernel::audit",
    license: "GPL",
}

/// Writes one record; never called, so that the module writes nothing when loaded.
#[allow(dead_code)]
fn write_one(name: &[u8]) {
    let _ = name;
    let ty = RecordType::new(bindings::AUDIT_SYSCALL);
    if let Some(mut rec) = Record::start(GFP_KERNEL, ty) {
        rec.field(audit_key!("op"), audit_word!("create"));
    }
}

struct Writer;

impl kernel::Module for Writer {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let _ = bindings::AUDIT_SYSCALL;
        Ok(Writer)
    }
}
