// SPDX-License-Identifier: GPL-2.0

//! The namespaces of the generator's tasks, the `AUDIT_NS_INFO` records that name them, and
//! the events of tasks inside containers.

use super::*;
use crate::nsinfo::AUDIT_NS_INFO;

/// Whether the records of an event include an `AUDIT_NS_INFO` record.
pub(super) fn has_info(recs: &[Rec]) -> bool {
    let ty = format!("UNKNOWN[{AUDIT_NS_INFO}]");
    recs.iter().any(|(t, _)| *t == ty)
}

impl<W: Write> Gen<W> {
    /// The namespaces of task `pid` of live container `ci` (or of the host): of each kind, the
    /// one of the innermost container that has one, or the host's.  The task that unshared a
    /// container's namespaces is not in its PID and time namespaces, which are for its
    /// children.
    pub(super) fn ids_of(&self, ci: Option<usize>, pid: u32) -> NsInfo {
        let mut ids = NsInfo(self.host.map(|(_, id)| id));
        for k in NsKind::ALL {
            let mut p = ci;
            while let Some(i) = p {
                let c = &self.live[i];
                let entered = k.enters_on_unshare() || c.unsharer != Some(pid);
                if let Some(&(_, _, id)) = c.ns.iter().find(|(kind, _, _)| *kind == k) {
                    if entered {
                        ids = ids.with(k, id);
                        break;
                    }
                }
                p = c.parent;
            }
        }
        ids
    }

    /// The `AUDIT_NS_INFO` record of an event of task `pid` of `ci`: none for a task in the
    /// initial namespaces, nor when the generator writes none.
    pub(super) fn info_rec(&self, ci: Option<usize>, pid: u32) -> Option<Rec> {
        let ids = self.ids_of(ci, pid);
        (self.ns_info && !ids.all_initial())
            .then(|| (format!("UNKNOWN[{AUDIT_NS_INFO}]"), ids.fields_text()))
    }

    /// `recs` with the `AUDIT_NS_INFO` record of task `pid` of `ci` after the `SYSCALL` record.
    fn with_info(&self, mut recs: Vec<Rec>, ci: Option<usize>, pid: u32) -> Vec<Rec> {
        if let Some(info) = self.info_rec(ci, pid) {
            let at = recs
                .iter()
                .position(|(ty, _)| ty == "SYSCALL")
                .map_or(0, |i| i + 1);
            recs.insert(at, info);
        }
        recs
    }

    /// Writes an event of task `pid` of live container `ci`, inside it.
    pub(super) fn inside_event(&mut self, ci: usize, pid: u32, recs: Vec<Rec>) -> io::Result<u64> {
        let serial = self.next_serial();
        self.inside_event_at(serial, ci, pid, recs)
    }

    /// [`Gen::inside_event`] with the serial `serial`.
    pub(super) fn inside_event_at(
        &mut self,
        serial: u64,
        ci: usize,
        pid: u32,
        recs: Vec<Rec>,
    ) -> io::Result<u64> {
        let recs = self.with_info(recs, Some(ci), pid);
        let index = self.live[ci].index;
        self.write_event(serial, &recs, true)?;
        self.truth.inside[index] += 1;
        self.truth.exact[index] += u64::from(has_info(&recs));
        Ok(serial)
    }

    /// Task `pid` has exited: its pid may be reused, by a task that unshared nothing.
    pub(super) fn task_exited(&mut self, pid: u32) {
        self.live_pids.remove(&pid);
        for c in &mut self.live {
            if c.unsharer == Some(pid) {
                c.unsharer = None;
            }
        }
    }
}
