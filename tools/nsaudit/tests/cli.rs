// SPDX-License-Identifier: GPL-2.0

//! The command line of `nsaudit rules --ns-info`, run as the binary: arguments refused before
//! the kernel is asked.

use std::process::{Command, Output};

fn nsaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nsaudit"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn rules_ns_info_takes_on_or_off_alone() {
    let help = stdout(&nsaudit(&["rules", "--help"]));
    assert!(help.contains("--ns-info <on|off>"), "{help}");
    assert!(help.contains("needs root (CAP_AUDIT_CONTROL)"), "{help}");
    for bad in [
        &["rules", "--ns-info", "maybe"][..],
        &["rules", "--ns-info", "on", "-l"],
        &["rules", "--ns-info", "off", "-a", "always,exit"],
    ] {
        let o = nsaudit(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
    let o = nsaudit(&["rules", "--ns-info", "on", "-S", "all"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--ns-info takes no -S, -F or -k"),
        "{}",
        stderr(&o)
    );
}
