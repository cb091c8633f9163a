// SPDX-License-Identifier: GPL-2.0

//! One container per run: the events with which a runtime goes on setting a container up
//! extend it, instead of nesting new containers in it (the module documentation's "One
//! container per run").  A task is a program of its container once it, or its parent before
//! it forked, ran `execve(2)` inside it.

use super::*;

impl Machine {
    /// A successful `execve(2)`: the task runs a program of the container it is in now.
    pub(super) fn note_exec(&mut self, ev: &Pending, s: &Subject) {
        let exec = ev.syscall.as_ref().is_some_and(|(c, _)| {
            c.name.is_some()
                && (c.nr == SYS_EXECVE || c.nr == SYS_EXECVEAT)
                && c.success != Some(false)
        });
        if exec {
            if let Some(t) = self.tasks.get_mut(&s.pid) {
                t.ran = true;
            }
        }
    }

    /// The container that new namespaces of the task `s`, inside container `c`, extend
    /// instead of nesting a container in it: see "One container per run" in the module
    /// documentation.  The task is still the runtime that set `c` up: it runs the program
    /// that created `c`, and neither it nor its parent has run `execve(2)` inside `c`.
    pub(super) fn extension_of(&self, c: Option<Cid>, s: &Subject) -> Option<Cid> {
        let c = c?;
        let ct = self.containers.get(&c)?;
        let runtime = ct.creator.as_ref().and_then(|cr| cr.exe.as_ref());
        let ran = |pid: u32| {
            self.tasks
                .get(&pid)
                .is_some_and(|t| t.container == c && t.ran)
        };
        let same = !ct.unknown
            && ct.ended.is_none()
            && runtime.is_some()
            && runtime == s.exe.as_ref()
            && !ran(s.pid)
            && !ran(s.ppid);
        same.then_some(c)
    }
}
