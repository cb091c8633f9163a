// SPDX-License-Identifier: GPL-2.0

//! The evaluation of the `AUDIT_NS_INFO` scenarios: pure functions over the records received
//! and what the probes reported ([`crate::nsops::Probed`]), tested without a kernel that writes
//! the record.

use super::*;
use crate::nsinfo::{NsInfo, AUDIT_NS_INFO};
use crate::nsops::{Joined, Probed, PROBE_SYSCALLS};
use crate::syscall::{self, ARCH_X86_64, SYS_SETNS};

/// The key of the scenarios' audit rules.
pub const INFO_KEY: &str = "nsinfo";

/// An event of a task: its system call and its `AUDIT_NS_INFO` records (each [`None`] when it
/// breaks the format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEvent {
    pub serial: u64,
    /// `syscall=` of the `SYSCALL` record.
    pub syscall: Option<u32>,
    /// `key=` of the `SYSCALL` record, as written.
    pub key: Option<String>,
    pub infos: Vec<Option<NsInfo>>,
}

impl TaskEvent {
    fn name(&self) -> String {
        match self.syscall {
            Some(nr) => match syscall::name(Some(ARCH_X86_64), nr) {
                Some(n) => format!("{n}({nr})@{}", self.serial),
                None => format!("syscall {nr}@{}", self.serial),
            },
            None => format!("serial {}", self.serial),
        }
    }

    /// The ids of its one record, if it has exactly one and that has the format.
    fn info(&self) -> Option<NsInfo> {
        match self.infos[..] {
            [Some(i)] => Some(i),
            _ => None,
        }
    }
}

/// The events of task `pid` (its `SYSCALL` records) among `got`, in serial order, each with
/// the `AUDIT_NS_INFO` records of its serial.
pub fn task_events(got: &[Got], pid: i32) -> Vec<TaskEvent> {
    let pid = pid.to_string();
    let mut events: Vec<TaskEvent> = got
        .iter()
        .filter_map(|g| g.rec.as_ref())
        .filter(|r| r.ty == AUDIT_SYSCALL && r.get("pid") == Some(pid.as_str()))
        .map(|r| TaskEvent {
            serial: r.serial,
            syscall: r.get("syscall").and_then(|s| s.parse().ok()),
            key: r.get("key").map(str::to_string),
            infos: got
                .iter()
                .filter(|g| {
                    g.ty == AUDIT_NS_INFO && g.rec.as_ref().is_some_and(|x| x.serial == r.serial)
                })
                .map(|g| g.info)
                .collect(),
        })
        .collect();
    events.sort_by_key(|e| e.serial);
    events.dedup_by_key(|e| e.serial);
    events
}

/// The names of `events`, for a message.
fn names<'a>(events: impl IntoIterator<Item = &'a TaskEvent>) -> String {
    let v: Vec<String> = events.into_iter().map(TaskEvent::name).collect();
    format!("[{}]", v.join(", "))
}

/// `mntns_id=... timens_id=...`, or what is wrong with the records of an event.
fn infos_text(e: &TaskEvent) -> String {
    let v: Vec<String> = e
        .infos
        .iter()
        .map(|i| i.map_or("(breaks the format)".into(), |i| i.to_string()))
        .collect();
    format!("{}: [{}]", e.name(), v.join(" | "))
}

/// That each system call of [`PROBE_SYSCALLS`] of the probe has an event with the scenarios'
/// key: the rules selected them.
fn eval_probe_calls(label: &str, events: &[TaskEvent], pid: i32) -> Check {
    let key = format!("\"{INFO_KEY}\"");
    let missing: Vec<u32> = PROBE_SYSCALLS
        .iter()
        .filter(|&&nr| {
            !events
                .iter()
                .any(|e| e.syscall == Some(nr) && e.key.as_deref() == Some(key.as_str()))
        })
        .copied()
        .collect();
    check(
        format!("{label}: its getpid, uname and openat of the watched file are audited with key={INFO_KEY}"),
        missing.is_empty(),
        || format!("pid {pid}: no event of system calls {missing:?} with key={key}; events {}", names(events)),
    )
}

/// That every event in `events` has exactly one `AUDIT_NS_INFO` record, with the ids `want`.
fn eval_infos(label: &str, what: &str, events: &[&TaskEvent], want: NsInfo) -> Vec<Check> {
    let not_one: Vec<&&TaskEvent> = events.iter().filter(|e| e.infos.len() != 1).collect();
    let wrong: Vec<String> = events
        .iter()
        .filter(|e| e.infos.len() == 1 && e.info() != Some(want))
        .map(|e| infos_text(e))
        .collect();
    vec![
        check(
            format!(
                "{label}: each of {} events of {what} has exactly one AUDIT_NS_INFO record",
                events.len()
            ),
            !events.is_empty() && not_one.is_empty(),
            || {
                let v: Vec<String> = not_one
                    .iter()
                    .map(|e| format!("{} has {}", e.name(), e.infos.len()))
                    .collect();
                if events.is_empty() {
                    "no event".into()
                } else {
                    v.join(", ")
                }
            },
        ),
        check(
            format!("{label}: the AUDIT_NS_INFO records of {what} name {want}"),
            !events.is_empty() && wrong.is_empty(),
            || wrong.join(" || "),
        ),
    ]
}

/// A probe's events: each of its system calls is there, and each of its events has exactly
/// one `AUDIT_NS_INFO` record with the ids the probe read itself, or, for a probe whose
/// namespaces are all the initial ones (`want_info` false), none.
pub fn eval_info_task(label: &str, got: &[Got], probed: &Probed, want_info: bool) -> Vec<Check> {
    let events = task_events(got, probed.pid);
    let mut out = vec![eval_probe_calls(label, &events, probed.pid)];
    if want_info {
        let all: Vec<&TaskEvent> = events.iter().collect();
        out.extend(eval_infos(label, "the task", &all, probed.ids));
    } else {
        let with: Vec<String> = events
            .iter()
            .filter(|e| !e.infos.is_empty())
            .map(infos_text)
            .collect();
        out.push(check(
            format!(
                "{label}: none of the task's {} events has an AUDIT_NS_INFO record",
                events.len()
            ),
            !events.is_empty() && with.is_empty(),
            || {
                if events.is_empty() {
                    "no event".into()
                } else {
                    with.join(" || ")
                }
            },
        ));
    }
    out
}

/// The namespaces of a task in `before` after each `setns(2)` into those of `target` of the
/// kinds of `steps`, one call per entry: a PID namespace entered with `setns(2)` is the one
/// for the task's children, its own stays; every other kind (time too) the task enters itself.
pub fn setns_steps(before: NsInfo, target: NsInfo, steps: &[&[NsKind]]) -> Vec<NsInfo> {
    let mut ids = before;
    steps
        .iter()
        .map(|kinds| {
            for &k in kinds.iter().filter(|&&k| k != NsKind::Pid) {
                ids = ids.with(k, target.id(k));
            }
            ids
        })
        .collect()
}

/// A joiner that entered the namespaces of a container probe (`container`) from `before`, one
/// `setns(2)` per entry of `steps`: each of its `setns` events carries the namespaces it has
/// after that call, every later event those it has after the last, which are the ones it read
/// itself, and its PID namespace stays `before`'s exactly; its child is in the container's PID
/// namespace too.
pub fn eval_info_joiner(
    label: &str,
    got: &[Got],
    joined: &Joined,
    before: NsInfo,
    container: NsInfo,
    steps: &[&[NsKind]],
) -> Vec<Check> {
    let want = setns_steps(before, container, steps);
    let last = want.last().copied().unwrap_or(before);
    let pid = NsKind::Pid;
    let mut out = vec![
        check(
            format!("{label}: after setns the joiner is in the container's namespaces but its own PID namespace, its child in all"),
            joined.joiner.ids == last && joined.child.ids == container,
            || format!("joiner {}, child {}, want {last} and {container}", joined.joiner.ids, joined.child.ids),
        ),
        check(
            format!(
                "{label}: the joiner's pidns_id stays the host's ({}), its child's is the container's ({})",
                before.id(pid),
                container.id(pid)
            ),
            joined.joiner.ids.id(pid) == before.id(pid)
                && joined.child.ids.id(pid) == container.id(pid)
                && before.id(pid) != container.id(pid),
            || format!("joiner {}, child {}", joined.joiner.ids.id(pid), joined.child.ids.id(pid)),
        ),
    ];
    let events = task_events(got, joined.joiner.pid);
    let setns: Vec<&TaskEvent> = events
        .iter()
        .filter(|e| e.syscall == Some(SYS_SETNS))
        .collect();
    let got_steps: Vec<Option<NsInfo>> = setns.iter().map(|e| e.info()).collect();
    let want_steps: Vec<Option<NsInfo>> = want.iter().copied().map(Some).collect();
    out.push(check(
        format!(
            "{label}: each of its {} setns events carries the namespaces it has after that call",
            want.len()
        ),
        got_steps == want_steps,
        || {
            let v: Vec<String> = setns.iter().map(|e| infos_text(e)).collect();
            let w: Vec<String> = want.iter().map(NsInfo::to_string).collect();
            format!("got [{}], want [{}]", v.join(" || "), w.join(" || "))
        },
    ));
    out.push(eval_probe_calls(label, &events, joined.joiner.pid));
    let later: Vec<&TaskEvent> = events
        .iter()
        .filter(|e| {
            e.syscall != Some(SYS_SETNS) && setns.last().is_some_and(|s| e.serial > s.serial)
        })
        .collect();
    out.extend(eval_infos(
        label,
        "the joiner after its setns",
        &later,
        last,
    ));
    out.extend(eval_info_task(
        &format!("{label}, the joiner's child"),
        got,
        &joined.child,
        true,
    ));
    out
}

#[cfg(test)]
mod tests;
