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

    /// The container of a task whose namespaces have the ids `ids`:
    ///
    /// 1. of the containers all of whose namespaces are among `ids`, the one created last
    ///    (the innermost);
    /// 2. else, when every namespace of `ids` that is not an initial one is a container's, the
    ///    one of those created last (a task that joined a namespace of another container);
    /// 3. else none: the task is in namespaces no container holds, and the caller groups it
    ///    into a container of unknown creation ([`Machine::unknown_container`]).
    pub(super) fn container_of_ids(&self, ids: &NsInfo) -> Option<Cid> {
        let mut owners: Vec<Cid> = Vec::new();
        let mut all_held = true;
        for k in NsKind::ALL {
            let id = ids.id(k);
            match self.namespaces.get(&(k, id)).and_then(Namespace::owner) {
                Some(c) if !owners.contains(&c) => owners.push(c),
                Some(_) => {}
                None => all_held &= is_initial(id),
            }
        }
        let whole = owners
            .iter()
            .copied()
            .filter(|&c| self.in_every_namespace(c, ids))
            .max();
        whole.or_else(|| all_held.then(|| owners.iter().copied().max()).flatten())
    }

    /// Whether a task with namespaces `ids` is in every namespace of container `c`.  A PID or
    /// time namespace counts also when the task is in the one it was made from: `unshare(2)`
    /// of those types moves the caller's children, not the caller.
    fn in_every_namespace(&self, c: Cid, ids: &NsInfo) -> bool {
        let Some(ct) = self.containers.get(&c) else {
            return false;
        };
        ct.members.iter().all(|&(k, id)| {
            ids.id(k) == id
                || (!k.enters_on_unshare()
                    && self
                        .namespaces
                        .get(&(k, id))
                        .and_then(|n| n.parent)
                        .is_some_and(|(_, old)| ids.id(k) == old))
        })
    }

    /// The container of unknown creation of a task in namespaces `ids` that no container
    /// holds: a new one, first seen in `ev`, holding every one of them that is not an initial
    /// namespace.  [`None`] when there is none.
    pub(super) fn unknown_container(&mut self, ids: &NsInfo, ev: &Pending) -> Option<Cid> {
        let free: Vec<NsKind> = NsKind::ALL
            .into_iter()
            .filter(|&k| {
                let id = ids.id(k);
                !is_initial(id)
                    && self
                        .namespaces
                        .get(&(k, id))
                        .and_then(Namespace::owner)
                        .is_none()
            })
            .collect();
        if free.is_empty() {
            return None;
        }
        let c = self.new_container(ev, None);
        self.summary.containers_unknown += 1;
        let mut selected = false;
        for k in free {
            let key = self.ensure_ns(
                k,
                NsIdent {
                    inum: 0,
                    id: ids.id(k),
                },
            );
            if let Some(ns) = self.namespaces.get_mut(&key) {
                ns.holder = Some(c);
                selected |= ns.selected;
            }
            if let Some(ct) = self.container(c) {
                ct.members.push(key);
            }
        }
        if let Some(ct) = self.container(c) {
            ct.unknown = true;
            ct.name = None;
            ct.interesting |= selected;
        }
        Some(c)
    }

    /// The container of the task with namespaces `ids`: by [`Machine::container_of_ids`], or
    /// one of unknown creation; the ids are kept as the container's.
    fn placed(&mut self, ids: &NsInfo, ev: &Pending) -> Option<Cid> {
        let c = self
            .container_of_ids(ids)
            .or_else(|| self.unknown_container(ids, ev))?;
        // The ids of a task in every one of its namespaces, not of one still in the PID or time
        // namespace it unshared from.
        let exact = self
            .containers
            .get(&c)
            .is_some_and(|ct| ct.members.iter().all(|&(k, id)| ids.id(k) == id));
        if let Some(ct) = self.container(c).filter(|_| exact) {
            ct.ids = Some(*ids);
        }
        Some(c)
    }

    /// The container the task of an event was inside when it made the call: by the ids of
    /// its record, those of the types the event created taken from the INIT records' origins.
    pub(super) fn exact_inside(&mut self, known: Known, ev: &Pending) -> Option<Cid> {
        let Known::Info(info) = known else {
            return None;
        };
        let before = ev
            .ns
            .iter()
            .filter(|r| r.op == Op::Create)
            .fold(info, |ids, r| match r.old {
                Some(old) => ids.with(r.kind, old.id),
                None => ids,
            });
        let c = self.placed(&before, ev);
        if c.is_none() {
            self.summary.events_ns_info_unmatched += 1;
        }
        if let Some(ct) = c.and_then(|c| self.containers.get(&c)) {
            self.summary.events_unknown_creation += u64::from(ct.unknown);
        }
        c
    }

    /// Follows the task `s` where its record says it is after the call, so that its events
    /// without a record (its removals as it exits) find it too.
    pub(super) fn follow_exactly(&mut self, known: Known, s: &Subject, ev: &Pending) {
        let after = match known {
            Known::Info(info) => self.placed(&info, ev),
            Known::Initial => None,
        };
        match after {
            Some(c) => self.add_task(s.pid, s.ppid, c),
            None => self.drop_task(s.pid),
        }
    }

    /// Counts the serial numbers missing before `serial`: many of them say that the input
    /// was filtered (`ausearch -k`, `-m`, ...).  A serial far below the highest one begins a
    /// new boot.
    pub(super) fn note_serial(&mut self, serial: u64) {
        match self.serial_max {
            Some(max) if serial > max => {
                self.serial_gaps += serial - max - 1;
                self.serial_max = Some(serial);
            }
            Some(max) if serial + WINDOW < max => self.serial_max = Some(serial),
            Some(_) => self.serial_gaps = self.serial_gaps.saturating_sub(1),
            None => self.serial_max = Some(serial),
        }
    }
}

/// Whether `id` is the id of an initial namespace.
fn is_initial(id: u64) -> bool {
    id <= NS_LAST_INIT_ID
}

#[cfg(test)]
mod tests;
