// SPDX-License-Identifier: GPL-2.0
// expect: compiles
//! The control for ns_notifier_borrows_local.rs: the same module with a notifier that owns its
//! data compiles, so that test fails for the lifetime and nothing else.

use kernel::{
    ns::{
        Event,
        Notifier,
        Registration, //
    },
    prelude::*,
};

module! {
    type: Owning,
    name: "ns_notifier_static",
    authors: ["nsaudit developers"],
    description: "compile-fail control",
    license: "GPL",
}

struct OwningNotifier(u64);

impl Notifier for OwningNotifier {
    fn notify(&self, _event: Event<'_>) {}
}

struct Owning;

impl kernel::Module for Owning {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let local = 0u64;
        let reg = KBox::pin_init(Registration::register(OwningNotifier(local)), GFP_KERNEL)?;
        core::mem::forget(reg);
        Ok(Owning)
    }
}
