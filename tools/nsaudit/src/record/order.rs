// SPDX-License-Identifier: GPL-2.0

//! The order of one task's records: the records a task writes reach the audit daemon, and so
//! its log, in the order of their event serials (`msg=audit(T:SERIAL)`), whatever other tasks
//! write meanwhile.  [`TaskOrder`] follows the records of every subject `pid=` in the order
//! they arrived and reports one whose serial is below that of the task's record before it.
//! Records without a subject pid, and those of no task (`pid=-1`), are not followed.

use super::Record;
use std::collections::HashMap;
use std::fmt;

/// A record of a task that arrived after one of the same task with a higher serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfOrder {
    /// The subject `pid=`.
    pub pid: i32,
    /// The serial and the place (a log line, or an arrival number) of the task's record before.
    pub before: (u64, usize),
    /// The serial and the place of this one.
    pub now: (u64, usize),
}

impl OutOfOrder {
    /// `pid 41: serial 7 at line 12 after serial 8 at line 10`, with `place` for "line".
    pub fn describe(&self, place: &str) -> String {
        format!(
            "pid {}: serial {} at {place} {} after serial {} at {place} {}",
            self.pid, self.now.0, self.now.1, self.before.0, self.before.1
        )
    }
}

impl fmt::Display for OutOfOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("line"))
    }
}

/// The last serial of each task (by node, for a log of many machines, and subject pid), and
/// where it was.
#[derive(Debug, Clone, Default)]
pub struct TaskOrder {
    last: HashMap<(Option<String>, i32), (u64, usize)>,
}

/// The subject pid of `rec`: its `pid=` field, [`None`] if it has none, it does not parse, or
/// it is `-1` (no task).
pub fn subject_pid(rec: &Record) -> Option<i32> {
    rec.get("pid")?.parse().ok().filter(|&p: &i32| p != -1)
}

impl TaskOrder {
    /// Takes the record of `pid` (on `node`) with event serial `serial`, found at `at`; an
    /// [`OutOfOrder`] if the task's record before has a higher serial.  Equal serials are one
    /// event.
    pub fn observe(
        &mut self,
        node: Option<&str>,
        pid: i32,
        serial: u64,
        at: usize,
    ) -> Option<OutOfOrder> {
        let before = self
            .last
            .insert((node.map(str::to_string), pid), (serial, at))?;
        (serial < before.0).then_some(OutOfOrder {
            pid,
            before,
            now: (serial, at),
        })
    }

    /// [`Self::observe`] for `rec`, if it has a subject pid ([`subject_pid`]).
    pub fn observe_record(
        &mut self,
        node: Option<&str>,
        rec: &Record,
        at: usize,
    ) -> Option<OutOfOrder> {
        let pid = subject_pid(rec)?;
        self.observe(node, pid, rec.serial, at)
    }
}

/// The `node=NAME` of a log line of a central log, [`None`] without one.
pub fn node_of(line: &str) -> Option<&str> {
    line.strip_prefix("node=")?.split_once(' ').map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_record;

    fn rec(serial: u64, pid: &str) -> Record {
        let text = format!("audit(1700000000.100:{serial}): op=remove ppid=2 pid={pid} res=1");
        parse_record(1349, &text).unwrap()
    }

    #[test]
    fn a_task_whose_serials_fall_is_reported_with_both_places() {
        let mut o = TaskOrder::default();
        assert_eq!(o.observe_record(None, &rec(8, "41"), 1), None);
        let e = o.observe_record(None, &rec(7, "41"), 2).unwrap();
        assert_eq!(
            e,
            OutOfOrder {
                pid: 41,
                before: (8, 1),
                now: (7, 2)
            }
        );
        assert_eq!(
            e.to_string(),
            "pid 41: serial 7 at line 2 after serial 8 at line 1"
        );
        assert_eq!(
            e.describe("record"),
            "pid 41: serial 7 at record 2 after serial 8 at record 1"
        );
        // Each record is compared with the one before it.
        let e = o.observe_record(None, &rec(6, "41"), 3).unwrap();
        assert_eq!((e.before, e.now), ((7, 2), (6, 3)));
        assert_eq!(o.observe_record(None, &rec(9, "41"), 4), None);
    }

    #[test]
    fn tasks_and_nodes_are_followed_apart_and_one_event_may_repeat() {
        let mut o = TaskOrder::default();
        assert_eq!(o.observe(None, 41, 10, 1), None);
        // Another task with a lower serial, the same event again, another node's pid 41.
        assert_eq!(o.observe(None, 42, 3, 2), None);
        assert_eq!(o.observe(None, 41, 10, 3), None);
        assert_eq!(o.observe(Some("b"), 41, 2, 4), None);
        assert!(o.observe(Some("b"), 41, 1, 5).is_some());
        assert_eq!(o.observe(Some("a"), 41, 1, 6), None);
    }

    #[test]
    fn records_of_no_task_or_without_a_pid_are_not_followed() {
        let mut o = TaskOrder::default();
        assert_eq!(o.observe_record(None, &rec(8, "-1"), 1), None);
        assert_eq!(o.observe_record(None, &rec(7, "-1"), 2), None);
        assert_eq!(subject_pid(&rec(7, "-1")), None);
        assert_eq!(subject_pid(&rec(7, "x")), None);
        let bare = parse_record(1349, "audit(1.000:5): op=remove res=1").unwrap();
        assert_eq!(subject_pid(&bare), None);
        assert_eq!(o.observe_record(None, &bare, 3), None);
    }

    #[test]
    fn the_node_of_a_line() {
        assert_eq!(
            node_of("node=web1 type=SYSCALL msg=audit(1.000:2): a=b"),
            Some("web1")
        );
        assert_eq!(node_of("type=SYSCALL msg=audit(1.000:2): a=b"), None);
    }
}
