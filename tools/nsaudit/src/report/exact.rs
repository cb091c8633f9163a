// SPDX-License-Identifier: GPL-2.0

//! Exact attribution: where the task of an event was, from its `AUDIT_NS_INFO` record.
//!
//! The record names every namespace of the task at the exit of the call.  A container owns the
//! namespaces its event created, so the task was inside each container that owns one of the
//! ids; of those, the report takes the one created last, which is the innermost: a container
//! nested in another was created after it, and a task in the nested one has the nested
//! container's namespaces and its parent's of the other types.
//!
//! The ids are those after the call.  For an event that created namespaces the report wants
//! where the creator was before (the container the new one is nested in), so the ids of the
//! types it created are replaced by the `old_<t>ns_id` of their INIT records.  Other calls that
//! change namespaces (`setns(2)`, and `unshare(2)` of namespaces the log does not see created)
//! count in the namespaces the task has after them.
//!
//! The kernel writes the record for every system call event of a task that is not in the
//! initial namespace of every type.  Once a log has shown one, a system call event without one
//! is the event of a task in the initial namespaces: inside no container.  Before the first
//! one (and in logs of kernels without the record, or that exclude it with
//! `-a always,exclude -F msgtype=1356`) the heuristic decides.

use super::*;

/// What an event says about the namespaces of its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    /// The ids of its `AUDIT_NS_INFO` record.
    Info(NsInfo),
    /// A system call event without one, in a log that has them: the initial namespaces.
    Initial,
}

impl Known {
    pub(super) fn attribution(self) -> Attribution {
        match self {
            Known::Info(_) => Attribution::NsInfo,
            Known::Initial => Attribution::Initial,
        }
    }
}

impl Machine {
    /// What `ev` says about the namespaces of its task, [`None`] if nothing: the heuristic
    /// decides then.  Counts the events of both kinds.
    pub(super) fn known_namespaces(&mut self, ev: &Pending) -> Option<Known> {
        match ev.info {
            Some(info) => {
                self.info_seen = true;
                self.summary.events_ns_info += 1;
                Some(Known::Info(info))
            }
            None if self.info_seen && ev.syscall.is_some() => {
                self.summary.events_initial += 1;
                Some(Known::Initial)
            }
            None => None,
        }
    }

    /// The container that owns one of the namespaces `ids`, the one created last.
    pub(super) fn container_of_ids(&self, ids: &NsInfo) -> Option<Cid> {
        NsKind::ALL
            .iter()
            .filter_map(|&k| match self.namespaces.get(&(k, ids.id(k)))?.origin {
                Origin::Container(c) => Some(c),
                _ => None,
            })
            .max()
    }

    /// The container the task of an event was inside when it made the call: by the ids of
    /// its record, those of the types the event created taken from the INIT records' origins.
    pub(super) fn exact_inside(&mut self, known: Known, ns: &[NsRec]) -> Option<Cid> {
        let Known::Info(info) = known else {
            return None;
        };
        let before = ns
            .iter()
            .filter(|r| r.op == Op::Create)
            .fold(info, |ids, r| match r.old {
                Some(old) => ids.with(r.kind, old.id),
                None => ids,
            });
        let c = self.container_of_ids(&before);
        self.summary.events_ns_info_unmatched += u64::from(c.is_none());
        c
    }

    /// Follows the task `s` where its record says it is after the call, so that its events
    /// without a record (its removals as it exits) find it too.
    pub(super) fn follow_exactly(&mut self, known: Known, s: &Subject) {
        let after = match known {
            Known::Info(info) => self.container_of_ids(&info),
            Known::Initial => None,
        };
        match after {
            Some(c) => self.add_task(s.pid, s.ppid, c),
            None => self.drop_task(s.pid),
        }
    }
}

#[cfg(test)]
mod tests;
