// SPDX-License-Identifier: GPL-2.0

//! The audit socket against the running kernel (no ns_audit module needed): becoming the audit
//! daemon, rules, status, and real records through the strict parser.  It changes the host's
//! audit state for a moment, so it only runs when asked:
//!
//!     sudo cargo test --test audit_live -- --ignored
//!
//! It skips itself where another audit daemon runs or audit is locked.

use nsaudit::audit::{AuditError, AuditSocket, Rule, AUDIT_ARCH_X86_64};
use nsaudit::nsops::{spawn, Hold, Method};
use nsaudit::record::{parse_record, Record, AUDIT_EOE, AUDIT_SYSCALL};
use nsaudit::reference::NsKind;
use std::time::{Duration, Instant};

const UNSHARE: Rule = Rule::AlwaysExit {
    arch: AUDIT_ARCH_X86_64,
    syscall: 272,
};

/// Puts the host back as it was, also when the test fails.
struct Restore {
    sock: AuditSocket,
    enabled: u32,
    rules: Vec<Rule>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        for r in self.rules.drain(..) {
            let _ = self.sock.del_rule(&r);
        }
        let _ = self.sock.release_daemon();
        let _ = self.sock.set_enabled(self.enabled);
    }
}

/// Records until `done` holds or `max` passes.
fn collect(
    sock: &mut AuditSocket,
    max: Duration,
    done: impl Fn(&[(u16, String)]) -> bool,
) -> Vec<(u16, String)> {
    let start = Instant::now();
    let mut got = Vec::new();
    while !done(&got) && start.elapsed() < max {
        got.extend(
            sock.recv_records(max.saturating_sub(start.elapsed()))
                .unwrap(),
        );
    }
    got
}

fn syscall_of(got: &[(u16, String)], pid: i32) -> Option<Record> {
    got.iter()
        .filter(|(ty, _)| *ty == AUDIT_SYSCALL)
        .filter_map(|(ty, text)| parse_record(*ty, text).ok())
        .find(|r| r.get("pid") == Some(pid.to_string().as_str()))
}

#[test]
#[ignore = "changes the host's audit state; run as root with --ignored"]
fn audit_socket_on_this_host() {
    let mut sock = AuditSocket::open().unwrap();
    let before = sock.status().unwrap();
    if before.pid != 0 || before.enabled == 2 {
        eprintln!(
            "SKIPPED: audit daemon pid {} enabled {}",
            before.pid, before.enabled
        );
        return;
    }
    let mut host = Restore {
        sock,
        enabled: before.enabled,
        rules: Vec::new(),
    };
    let sock = &mut host.sock;
    sock.become_daemon(8192).unwrap();
    let st = sock.status().unwrap();
    assert_eq!(
        (st.pid, st.enabled, st.backlog_limit),
        (std::process::id(), 1, 8192)
    );

    sock.add_rule(&Rule::never_kexec_load()).unwrap();
    host.rules.push(Rule::never_kexec_load());
    let sock = &mut host.sock;
    // The kernel refuses a rule it has (EEXIST): errors of requests surface.
    match sock.add_rule(&Rule::never_kexec_load()) {
        Err(AuditError::Refused { source, .. }) => {
            assert_eq!(source.raw_os_error(), Some(libc::EEXIST))
        }
        other => panic!("{other:?}"),
    }
    sock.add_rule(&UNSHARE).unwrap();
    host.rules.push(UNSHARE);
    let sock = &mut host.sock;

    let child = spawn(
        &[NsKind::Uts],
        Method::Unshare,
        Some("live \"test"),
        Hold::ExitAtOnce,
    )
    .unwrap();
    let pid = child.info.actor;
    let got = collect(sock, Duration::from_secs(5), |g| {
        syscall_of(g, pid).is_some_and(|s| {
            g.iter()
                .any(|(ty, t)| *ty == AUDIT_EOE && t.contains(&format!(":{}):", s.serial)))
        })
    });
    let sc = syscall_of(&got, pid).unwrap_or_else(|| panic!("no SYSCALL record: {got:?}"));
    assert_eq!(sc.get("syscall"), Some("272"));
    assert_eq!(sc.get("arch"), Some("c000003e"));
    assert_eq!(sc.get("comm"), Some("6C697665202274657374"));
    // Every record the kernel sent parses with the strict parser.
    for (ty, text) in &got {
        if let Err(e) = parse_record(*ty, text) {
            panic!("type {ty}: {e}: {text}");
        }
    }

    // An exclude rule on SYSCALL drops the record.
    let exclude = Rule::ExcludeMsgtype(AUDIT_SYSCALL);
    sock.add_rule(&exclude).unwrap();
    host.rules.push(exclude.clone());
    let sock = &mut host.sock;
    let child = spawn(&[NsKind::Uts], Method::Unshare, None, Hold::ExitAtOnce).unwrap();
    let got = collect(sock, Duration::from_secs(1), |_| false);
    assert!(syscall_of(&got, child.info.actor).is_none(), "{got:?}");
    sock.del_rule(&exclude).unwrap();
    host.rules.pop();
    let sock = &mut host.sock;
    // Deleting it again: ENOENT.
    match sock.del_rule(&exclude) {
        Err(AuditError::Refused { source, .. }) => {
            assert_eq!(source.raw_os_error(), Some(libc::ENOENT))
        }
        other => panic!("{other:?}"),
    }
    let child = spawn(&[NsKind::Uts], Method::Unshare, None, Hold::ExitAtOnce).unwrap();
    let got = collect(sock, Duration::from_secs(5), |g| {
        syscall_of(g, child.info.actor).is_some()
    });
    assert!(syscall_of(&got, child.info.actor).is_some(), "{got:?}");

    let st = sock.status().unwrap();
    assert_eq!(st.lost, before.lost);
    for r in [UNSHARE, Rule::never_kexec_load()] {
        sock.del_rule(&r).unwrap();
    }
    host.rules.clear();
    host.sock.release_daemon().unwrap();
    assert_eq!(host.sock.status().unwrap().pid, 0);
}
