// SPDX-License-Identifier: GPL-2.0

//! The command line of `nsaudit rules --ns-info`, `nsaudit check-log --no-task-order`, and the
//! arguments and input `report` and `plugin` refuse or warn about, run
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

/// `nsaudit report` of `log` (given on standard input) with `args`.
fn report_stdin(args: &[&str], log: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsaudit"))
        .arg("report")
        .args(args)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run nsaudit");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(log.as_bytes()).expect("write the log");
    drop(stdin);
    child.wait_with_output().expect("wait for nsaudit")
}

#[test]
fn counts_of_zero_are_refused() {
    for opt in ["--queue", "--max-containers"] {
        let o = nsaudit(&["plugin", opt, "0"]);
        assert_eq!(o.status.code(), Some(2), "{opt}");
        assert!(stderr(&o).contains("must be 1 or more"), "{}", stderr(&o));
    }
}

#[test]
fn selections_that_match_nothing_are_warned_about() {
    let log = include_str!("fixtures/container.log");
    let o = report_stdin(&["--ns", "999999", "--container", "nothing"], log);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("--ns: warning: no namespace with id 999999 in the log"),
        "{err}"
    );
    assert!(err.contains("--container: warning:"), "{err}");
    let o = report_stdin(&["--event", "99999"], log);
    assert!(stderr(&o).contains("--event: warning: no event with serial 99999"));
    // A selector that matches is not warned about.
    let o = report_stdin(&["--ns", "1"], log);
    assert!(!stderr(&o).contains("--ns"), "{}", stderr(&o));
}

#[test]
fn a_bad_selector_names_every_type() {
    let o = nsaudit(&["report", "--ns", "net:abc", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("mnt, uts, ipc, user, pid, net, cgroup or time"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn interpreted_input_is_refused_with_the_way_out() {
    let line = "type=SYSCALL msg=audit(12/05/2026 10:00:01.123:45) : arch=x86_64 \
                syscall=execve success=yes exit=0 ppid=1 pid=2 comm=ls exe=/bin/ls\n";
    let o = report_stdin(&[], line);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("use ausearch --raw"), "{}", stderr(&o));
}
