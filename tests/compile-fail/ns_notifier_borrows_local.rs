// SPDX-License-Identifier: GPL-2.0
// expect-error: E0478|E0597
//! Must not compile: a namespace notifier that borrows a local.  Safe code could forget the
//! registration and have the chain call the notifier after the local is gone, so
//! `kernel::ns::Notifier` requires `'static`.

use kernel::{
    ns::{
        Event,
        Notifier,
        Registration, //
    },
    prelude::*,
};

module! {
    type: Borrowing,
    name: "ns_notifier_borrows_local",
    authors: ["nsaudit developers"],
    description: "compile-fail test",
    license: "GPL",
}

struct BorrowingNotifier<'a>(&'a u64);

impl Notifier for BorrowingNotifier<'_> {
    fn notify(&self, _event: Event<'_>) {}
}

struct Borrowing;

impl kernel::Module for Borrowing {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let local = 0u64;
        let reg = KBox::pin_init(Registration::register(BorrowingNotifier(&local)), GFP_KERNEL)?;
        core::mem::forget(reg);
        Ok(Borrowing)
    }
}
