// SPDX-License-Identifier: GPL-2.0

//! `nsaudit check-log`: the `AUDIT_NS_*` and `AUDIT_NS_INFO` records of an auditd log against
//! the reference.
//!
//! Every namespace record must have exactly the field set of its type, the subject included
//! ([`check_ns_record`]); in an event that has a `SYSCALL` record, the record's subject must be
//! that of the `SYSCALL` record; and across the log (in any order of the lines) no record is
//! repeated, an event keeps one stamp, no namespace is created or removed twice and none is
//! removed before it was created, in event order ([`Stream`]).  Every `AUDIT_NS_INFO` record
//! must have exactly its eight ids ([`check_ns_info`]), be the only one of its event, and share
//! the event with a `SYSCALL` or `URINGOP` record.  The namespace records of one task (one
//! subject `pid=`, per `node=`; `pid=-1` aside) must be in the order of their serials in the
//! log, which is the order they arrived in ([`TaskOrder`]): series v7 guarantees it, and
//! [`Checks::task_order`] leaves it out for logs of earlier kernels.
//!
//! [`check_ns_record`]: crate::reference::check_ns_record
//! [`check_ns_info`]: crate::nsinfo::check_ns_info

use crate::nsinfo::AUDIT_NS_INFO;
use crate::record::order::node_of;
use crate::record::{
    log_lines, parse_record, parse_stamp, split_log_record, LogError, Record, TaskOrder,
    AUDIT_SYSCALL, AUDIT_URINGOP,
};
use crate::reference::is_ns_type;
use crate::validate::{Got, Stream};
use std::collections::BTreeMap;
use std::io::BufRead;

/// What `check-log` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCheck {
    /// Namespace and `AUDIT_NS_INFO` records that follow the reference and agree with the rest
    /// of the log.
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

/// What [`check_log_with`] checks besides the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// The namespace records of each task are in the order of their serials.
    pub task_order: bool,
}

impl Default for Checks {
    fn default() -> Self {
        Checks { task_order: true }
    }
}

/// Line `line` of a log, `l`, parsed if it is a record that [`check_log`] checks: a namespace
/// record, an `AUDIT_NS_INFO`, `SYSCALL` or `URINGOP` record.  Of the other records only the
/// type and the stamp must parse: their fields need not follow the kernel's rules for the
/// records of the series (user messages have `msg='text with spaces'`).
fn parse_checked(line: usize, l: &str) -> Result<Option<(usize, u16, Record)>, LogError> {
    let err = |error| LogError { line, error };
    let (ty, msg) = split_log_record(l).map_err(err)?;
    if !is_ns_type(ty) && ![AUDIT_SYSCALL, AUDIT_URINGOP, AUDIT_NS_INFO].contains(&ty) {
        parse_stamp(msg).map_err(err)?;
        return Ok(None);
    }
    Ok(Some((line, ty, parse_record(ty, msg).map_err(err)?)))
}

/// Checks the log `reader`, named `name` in the messages, with every check.
pub fn check_log<R: BufRead>(name: &str, reader: R) -> LogCheck {
    check_log_with(name, reader, Checks::default())
}

/// Checks the log `reader`, named `name` in the messages, with `checks`.
pub fn check_log_with<R: BufRead>(name: &str, reader: R, checks: Checks) -> LogCheck {
    let mut out = LogCheck::default();
    let mut stream = Stream::default();
    // The lines of the AUDIT_NS_INFO records that passed so far, by serial: they pass once the
    // whole log shows that their event has a SYSCALL or URINGOP record.
    let mut infos: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut order = TaskOrder::default();
    for item in log_lines(reader) {
        let checked = item.and_then(|(line, l)| {
            let node = node_of(&l).map(str::to_string);
            Ok(parse_checked(line, &l)?.map(|(line, ty, rec)| (line, ty, rec, node)))
        });
        let (line, ty, rec, node) = match checked {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => {
                out.fail(format!("not ok - {name}: {e}"));
                continue;
            }
        };
        let (got, problem) = Got::new(ty, rec.payload());
        let mut problems: Vec<String> = problem.into_iter().collect();
        problems.extend(stream.observe(&got));
        if checks.task_order && is_ns_type(ty) {
            if let Some(e) = order.observe_record(node.as_deref(), &rec, line) {
                problems.push(format!(
                    "{e}: the namespace records of one task must arrive in serial order"
                ));
            }
        }
        if problems.is_empty() {
            out.passed += u64::from(is_ns_type(ty));
            if ty == AUDIT_NS_INFO {
                infos.entry(rec.serial).or_default().push(line);
            }
        }
        for p in problems {
            out.fail(format!("not ok - {name}:{line}: {p}"));
        }
    }
    let alone = stream.unanchored_infos();
    for (serial, lines) in infos {
        if alone.binary_search(&serial).is_err() {
            out.passed += lines.len() as u64;
            continue;
        }
        for line in lines {
            out.fail(format!(
                "not ok - {name}:{line}: an AUDIT_NS_INFO record in event {serial}, which has \
                 no SYSCALL or URINGOP record"
            ));
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

    fn info(serial: u64, time: &str, body: &str) -> String {
        format!("type=UNKNOWN[1356] msg=audit({time}:{serial}): {body}")
    }

    /// A task in new mount, UTS and network namespaces, the initial others.
    const IDS: &str = "mntns_id=4098 utsns_id=4099 ipcns_id=1 userns_id=3 pidns_id=4 \
netns_id=4097 cgroupns_id=5 timens_id=6";

    fn uringop(serial: u64) -> String {
        format!(
            "type=URINGOP msg=audit(1700000000.100:{serial}): uring_op=18 success=yes exit=0 \
             items=0 ppid=1 pid=77 uid=0 gid=0 euid=0 suid=0 egid=0 sgid=0 fsuid=0 fsgid=0 \
             key=(null)"
        )
    }

    #[test]
    fn an_info_record_passes_with_its_syscall_or_uringop_record() {
        let ok = [
            init(10, TASK),
            syscall(10, TASK),
            info(10, "1700000000.100", IDS),
            "type=EOE msg=audit(1700000000.100:10): ".into(),
            uringop(12),
            info(12, "1700000000.100", IDS),
        ];
        let c = run(&ok);
        assert_eq!((c.passed, c.failed), (3, 0), "{:?}", c.problems);
        // The NS_INFO records before the records they follow.
        let c = run(&[
            ok[5].clone(),
            ok[2].clone(),
            ok[0].clone(),
            ok[4].clone(),
            ok[1].clone(),
        ]);
        assert_eq!((c.passed, c.failed), (3, 0), "{:?}", c.problems);
    }

    #[test]
    fn an_info_record_alone_or_twice_in_an_event_fails() {
        // Event 11 has no SYSCALL record; event 10 has two NS_INFO records.
        let c = run(&[
            syscall(10, TASK),
            info(10, "1700000000.100", IDS),
            info(11, "1700000000.100", IDS),
            info(10, "1700000000.100", &IDS.replace("4098", "4100")),
        ]);
        assert_eq!((c.passed, c.failed), (1, 2), "{:?}", c.problems);
        assert!(
            c.problems[0]
                .starts_with("not ok - t.log:4: a second AUDIT_NS_INFO record in event 10"),
            "{c:?}"
        );
        assert!(
            c.problems[1].starts_with(
                "not ok - t.log:3: an AUDIT_NS_INFO record in event 11, which has no SYSCALL"
            ),
            "{c:?}"
        );
    }

    #[test]
    fn an_info_record_of_another_format_or_stamp_fails() {
        let c = run(&[
            syscall(10, TASK),
            info(10, "1700000000.100", &format!("{TASK} {IDS}")),
            syscall(11, TASK),
            info(11, "1700000000.200", IDS),
            syscall(12, TASK),
            info(
                12,
                "1700000000.100",
                &crate::nsinfo::NsInfo::initial().fields_text(),
            ),
        ]);
        assert_eq!((c.passed, c.failed), (0, 3), "{:?}", c.problems);
        assert!(
            c.problems[0].starts_with(
                "not ok - t.log:2: breaks the AUDIT_NS_INFO format (fields are [ppid pid"
            ),
            "{c:?}"
        );
        assert!(
            c.problems[1].starts_with("not ok - t.log:4: serial 11 with two stamps"),
            "{c:?}"
        );
        // A task in the initial namespaces gets no record.
        assert!(
            c.problems[2].contains("the kernel writes no record then"),
            "{c:?}"
        );
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

    /// The removal of network namespace `id` by the kernel worker, in event `serial`.
    fn del_net(serial: u64, id: u64) -> String {
        format!(
            "type=UNKNOWN[1351] msg=audit(1700000000.200:{serial}): op=remove {KWORKER} \
             dev=00:04 netns={} netns_id={id} res=1",
            4026532000 + id % 1000
        )
    }

    #[test]
    fn one_tasks_records_out_of_serial_order_fail() {
        // Three removals by the kernel worker pid 41 arrive as :8, :7, :6.
        let c = run(&[del_net(8, 4101), del_net(7, 4102), del_net(6, 4103)]);
        assert_eq!((c.passed, c.failed), (1, 2), "{:?}", c.problems);
        let without = Checks { task_order: false };
        let lines = [del_net(8, 4101), del_net(7, 4102), del_net(6, 4103)].join("\n");
        let c0 = check_log_with("t.log", lines.as_bytes(), without);
        assert_eq!((c0.passed, c0.failed), (3, 0), "{:?}", c0.problems);
        assert_eq!(
            c.problems[0],
            "not ok - t.log:2: pid 41: serial 7 at line 2 after serial 8 at line 1: the \
             namespace records of one task must arrive in serial order"
        );
        assert!(
            c.problems[1].starts_with(
                "not ok - t.log:3: pid 41: serial 6 at line 3 after serial 7 at line 2"
            ),
            "{c:?}"
        );
        // In order they pass, and so does another task's earlier event after them.
        let c = run(&[
            del_net(6, 4103),
            del_net(7, 4102),
            del_net(8, 4101),
            init(5, TASK),
            syscall(5, TASK),
        ]);
        assert_eq!((c.passed, c.failed), (4, 0), "{:?}", c.problems);
    }

    #[test]
    fn serial_order_is_per_node_and_skips_records_of_no_task() {
        let no_task = crate::reference::NO_TASK_SUBJECT;
        let nobody = |serial: u64, id: u64| del_net(serial, id).replace(KWORKER, no_task);
        let c = run(&[nobody(8, 4101), nobody(7, 4102)]);
        assert!(
            c.problems.iter().all(|p| !p.contains("serial order")),
            "{c:?}"
        );
        let c = run(&[
            format!("node=a {}", del_net(8, 4101)),
            format!("node=b {}", del_net(7, 4102)),
        ]);
        assert_eq!((c.passed, c.failed), (2, 0), "{:?}", c.problems);
        let c = run(&[
            format!("node=a {}", del_net(8, 4101)),
            format!("node=a {}", del_net(7, 4102)),
        ]);
        assert_eq!((c.passed, c.failed), (1, 1), "{:?}", c.problems);
    }

    #[test]
    fn other_records_need_a_known_type_and_a_stamp_only() {
        // A user message as auditd writes it: a type name nsaudit does not check, a quoted
        // text with spaces, the enriched part.
        let user = "type=TRUSTED_APP msg=audit(1700000000.150:12): pid=80 uid=0 \
                    auid=4294967295 ses=4294967295 msg='nsaudit step a b'\u{1d}UID=\"root\"";
        let c = run(&[init(10, TASK), syscall(10, TASK), user.into()]);
        assert_eq!((c.passed, c.failed), (1, 0), "{:?}", c.problems);
        for bad in [
            "type=NO_SUCH_TYPE msg=audit(1700000000.150:12): a=b",
            "type=TRUSTED_APP msg=audit(1700000000.150): msg='x y'",
        ] {
            let c = run(&[bad.into()]);
            assert_eq!((c.passed, c.failed), (0, 1), "{bad}: {c:?}");
        }
    }
}
