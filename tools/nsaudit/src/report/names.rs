// SPDX-License-Identifier: GPL-2.0

//! The name of a container: the command line of the runtime that created it.
//!
//! A container's user knows it by the name or id given to the runtime (`crun run ctr1`,
//! `runc run ctr1`, the 64-digit id podman passes to `crun create`).  The report keeps the
//! command line of every task from its events: the arguments of its last `execve(2)`
//! (`EXECVE` record, complete), or else its `PROCTITLE` record (the first 128 bytes).  The
//! name of a container is the command line of its creator, or of the creator's nearest
//! ancestor in a run of ancestors whose program has the same name (`argv[0]`'s last
//! component): runc creates the namespaces in `runc init`, a child of the `runc run ctr1`
//! that holds the name.  Without the events of the ancestors' `execve`, the creator's own
//! command line names it.
//!
//! `--container NAME` selects the containers one of whose arguments is `NAME`, or, for a
//! `NAME` of at least 12 hexadecimal digits, begins with it (the short form of a container
//! id).

use super::*;

/// Command lines are kept for at most this many tasks; beyond, the table starts again empty.
const MAX_COMMANDS: usize = 65536;
/// Ancestors looked at for a name.
const MAX_ANCESTORS: usize = 16;

/// A task's command line, as its events showed it last.
#[derive(Debug)]
pub(super) struct Command {
    ppid: u32,
    argv: Vec<String>,
}

/// The last component of a program name.
fn program(argv: &[String]) -> Option<&str> {
    let a = argv.first()?;
    Some(a.rsplit('/').next().unwrap_or(a))
}

/// Whether `name` names a container whose command line is `argv`.
pub(crate) fn names(argv: &[String], name: &str) -> bool {
    let id_prefix = name.len() >= 12 && name.bytes().all(|b| b.is_ascii_hexdigit());
    argv.iter().any(|a| {
        a == name
            || (id_prefix
                && a.len() == 64
                && a.starts_with(name)
                && a.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

impl Machine {
    /// The command line of the task of `ev` now: its `EXECVE` arguments, the one kept for
    /// its pid, or its `PROCTITLE`.
    fn command_now(&self, ev: &Pending, s: &Subject) -> Option<Vec<String>> {
        if let Some(a) = ev.argv.as_ref().filter(|a| !a.is_empty()) {
            return Some(a.clone());
        }
        match (self.commands.get(&s.pid), ev.title.as_deref()) {
            (Some(c), t)
                if c.ppid == s.ppid && (t.is_none() || program(&c.argv) == t.and_then(program)) =>
            {
                Some(c.argv.clone())
            }
            (_, t) => t.map(<[String]>::to_vec),
        }
    }

    /// Keeps the command line of the task of `ev`, and forgets it when the task exits.
    pub(super) fn note_command(&mut self, ev: &Pending, s: &Subject) {
        let exits = ev
            .syscall
            .as_ref()
            .is_some_and(|(c, _)| c.nr == SYS_EXIT_GROUP && c.name.is_some());
        if exits {
            self.commands.remove(&s.pid);
            return;
        }
        let Some(argv) = self.command_now(ev, s) else {
            return;
        };
        if self.commands.len() >= MAX_COMMANDS && !self.commands.contains_key(&s.pid) {
            self.commands.clear();
        }
        self.commands.insert(s.pid, Command { ppid: s.ppid, argv });
    }

    /// The name of the container that `ev`, of the task `s`, creates: see the module
    /// documentation.
    pub(super) fn creation_name(&self, ev: &Pending, s: &Subject) -> Option<Vec<String>> {
        let mut best = self.command_now(ev, s)?;
        let prog = program(&best)?.to_string();
        let mut ppid = s.ppid;
        for _ in 0..MAX_ANCESTORS {
            match self.commands.get(&ppid) {
                Some(c) if program(&c.argv) == Some(prog.as_str()) => {
                    best = c.argv.clone();
                    if c.ppid == ppid {
                        break;
                    }
                    ppid = c.ppid;
                }
                _ => break,
            }
        }
        Some(best)
    }
}

#[cfg(test)]
mod tests;
