// SPDX-License-Identifier: GPL-2.0

//! The command line of `nsaudit rules --ns-info` and `nsaudit check-log --no-task-order`, run
//! as the binary: arguments refused before the kernel is asked, and check-log's order of each
//! task's records on the recorded fixtures.

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

#[test]
fn check_log_follows_each_tasks_order_unless_told_not_to() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nsinfo.log");
    // The fixture was recorded with series v6, where the removals of an exiting task came last
    // first: the check finds them, and nothing else is wrong with the log.
    let o = nsaudit(&["check-log", fixture]);
    let out = stdout(&o);
    let problems: Vec<&str> = out.lines().filter(|l| l.starts_with("not ok")).collect();
    assert!(!o.status.success(), "{out}");
    assert!(!problems.is_empty(), "{out}");
    for p in &problems {
        assert!(
            p.contains("the namespace records of one task must arrive in serial order"),
            "{p}"
        );
    }
    let o = nsaudit(&["check-log", "--no-task-order", fixture]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).ends_with(" 0 failed\n"), "{}", stdout(&o));
}
