// SPDX-License-Identifier: GPL-2.0

//! `nsaudit check-log`: the `AUDIT_NS_*` records of an auditd log against the reference.
//!
//! Every namespace record must have exactly the field set of its type, the subject included
//! ([`check_ns_record`]); in an event that has a `SYSCALL` record, the record's subject must be
//! that of the `SYSCALL` record; and across the log (in any order of the lines) no record is
//! repeated, an event keeps one stamp, no namespace is created or removed twice and none is
//! removed before it was created, in event order ([`Stream`]).

use crate::record::{parse_log, AUDIT_SYSCALL};
use crate::reference::is_ns_type;
use crate::validate::{Got, Stream};
use std::io::BufRead;

/// What `check-log` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCheck {
    /// Namespace records that follow the reference and agree with the rest of the log.
    pub passed: u64,
    /// Lines and records that do not.
    pub failed: u64,
    /// `not ok - FILE:LINE: why`, one per failure.
    pub problems: Vec<String>,
}

impl LogCheck {
    fn fail(&mut self, msg: String) {
        self.failed += 1;
        self.problems.push(msg);
    }

    /// `check-log: N passed, N failed`.
    pub fn summary(&self) -> String {
        format!("check-log: {} passed, {} failed", self.passed, self.failed)
    }
}

/// Checks the log `reader`, named `name` in the messages.
pub fn check_log<R: BufRead>(name: &str, reader: R) -> LogCheck {
    let mut out = LogCheck::default();
    let mut stream = Stream::default();
    for item in parse_log(reader) {
        let (line, ty, rec) = match item {
            Ok(x) => x,
            Err(e) => {
                out.fail(format!("not ok - {name}: {e}"));
                continue;
            }
        };
        if !is_ns_type(ty) && ty != AUDIT_SYSCALL {
            continue;
        }
        let (got, problem) = Got::new(ty, rec.payload());
        let mut problems: Vec<String> = problem.into_iter().collect();
        problems.extend(stream.observe(&got));
        if problems.is_empty() {
            out.passed += u64::from(is_ns_type(ty));
        }
        for p in problems {
            out.fail(format!("not ok - {name}:{line}: {p}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = "ppid=1 pid=77 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"unshare\" exe=\"/bin/busybox\"";
    const KWORKER: &str = "ppid=2 pid=41 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 \
egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"kworker/u8:1\" exe=(null)";

    fn init(serial: u64, subject: &str) -> String {
        format!(
            "type=UNKNOWN[1345] msg=audit(1700000000.100:{serial}): op=create {subject} \
             dev=00:04 old_netns=4026531840 old_netns_id=1 netns=4026532001 netns_id=4097 res=1"
        )
    }

    fn syscall(serial: u64, subject: &str) -> String {
        format!(
            "type=SYSCALL msg=audit(1700000000.100:{serial}): arch=c000003e syscall=272 \
             success=yes exit=0 a0=40000000 a1=0 a2=0 a3=0 items=0 {subject} key=(null)"
        )
    }

    fn del(serial: u64, time: &str) -> String {
        format!(
            "type=UNKNOWN[1351] msg=audit({time}:{serial}): op=remove {KWORKER} dev=00:04 \
             netns=4026532001 netns_id=4097 res=1"
        )
    }

    fn run(lines: &[String]) -> LogCheck {
        check_log("t.log", lines.join("\n").as_bytes())
    }

    #[test]
    fn a_good_log_passes_in_any_order() {
        let good = [
            init(10, TASK),
            syscall(10, TASK),
            "type=EOE msg=audit(1700000000.100:10): ".into(),
            del(11, "1700000000.200"),
        ];
        let c = run(&good);
        assert_eq!((c.passed, c.failed), (2, 0), "{:?}", c.problems);
        assert_eq!(c.summary(), "check-log: 2 passed, 0 failed");
        // The DEL and the SYSCALL record first.
        let c = run(&[good[3].clone(), good[1].clone(), good[0].clone()]);
        assert_eq!((c.passed, c.failed), (2, 0), "{:?}", c.problems);
    }

    #[test]
    fn cgroup_and_time_records_have_their_own_fields() {
        // unshare(CLONE_NEWCGROUP | CLONE_NEWTIME) by pid 77, then both removed as it exits.
        let init = |ty: u16, t: &str, old: u64, new: u64| {
            format!(
                "type=UNKNOWN[{ty}] msg=audit(1700000000.100:10): op=create {TASK} dev=00:04 \
                 old_{t}ns={} old_{t}ns_id={old} {t}ns={} {t}ns_id={new} res=1",
                4026531800 + old,
                4026532000 + new % 100
            )
        };
        let del = |ty: u16, serial: u64, t: &str, id: u64| {
            format!(
                "type=UNKNOWN[{ty}] msg=audit(1700000000.200:{serial}): op=remove {TASK} \
                 dev=00:04 {t}ns={} {t}ns_id={id} res=1",
                4026532000 + id % 100
            )
        };
        let good = [
            init(1352, "cgroup", 5, 4100),
            init(1353, "time", 6, 4101),
            syscall(10, TASK),
            del(1354, 11, "cgroup", 4100),
            del(1355, 12, "time", 4101),
        ];
        let c = run(&good);
        assert_eq!((c.passed, c.failed), (4, 0), "{:?}", c.problems);
        // A time record with the fields of a cgroup record, and the reverse.
        let mut bad = good.clone();
        bad[1] = init(1353, "cgroup", 6, 4101);
        bad[4] = del(1354, 12, "time", 4101);
        let c = run(&bad);
        assert_eq!((c.passed, c.failed), (2, 2), "{:?}", c.problems);
        assert!(c.problems[0].starts_with("not ok - t.log:2: "), "{c:?}");
        assert!(c.problems[0].contains("old_timens"), "{c:?}");
        assert!(c.problems[1].starts_with("not ok - t.log:5: "), "{c:?}");
    }

    #[test]
    fn a_record_without_its_subject_fails() {
        let bare = init(10, TASK).replace(&format!("{TASK} "), "");
        let c = run(&[bare, syscall(10, TASK)]);
        assert_eq!((c.passed, c.failed), (0, 1));
        assert!(c.problems[0].starts_with("not ok - t.log:1: "), "{c:?}");
        assert!(c.problems[0].contains("no subject after op="), "{c:?}");
    }

    #[test]
    fn a_subject_that_is_not_the_syscall_records_fails() {
        let other = TASK.replace("pid=77", "pid=78");
        let c = run(&[init(10, TASK), syscall(10, &other)]);
        assert_eq!((c.passed, c.failed), (1, 1), "{c:?}");
        assert!(c.problems[0].contains("t.log:2: "), "{c:?}");
        assert!(c.problems[0].contains("[pid]"), "{c:?}");
        let c = run(&[syscall(10, &other), init(10, TASK)]);
        assert_eq!((c.passed, c.failed), (0, 1), "{c:?}");
    }

    #[test]
    fn removal_before_creation_repeats_and_bad_lines_fail() {
        let c = run(&[init(10, TASK), del(9, "1700000000.050")]);
        assert_eq!(c.failed, 1, "{c:?}");
        assert!(c.problems[0].contains("removed at"), "{c:?}");
        // Twice: the line repeats, and so does the creation.
        let c = run(&[init(10, TASK), init(10, TASK)]);
        assert_eq!((c.passed, c.failed), (1, 2), "{c:?}");
        let c = run(&["garbage".into(), del(3, "1700000000.050")]);
        assert_eq!((c.passed, c.failed), (1, 1), "{c:?}");
        assert!(
            c.problems[0].starts_with("not ok - t.log: line 1: "),
            "{c:?}"
        );
    }
}
