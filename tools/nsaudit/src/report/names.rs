// SPDX-License-Identifier: GPL-2.0

//! The name of a container: the command line of the runtime that created it.
//!
//! A container's user knows it by the name or id given to the runtime (`crun run ctr1`,
//! `runc run ctr1`, the 64-digit id podman passes to `crun create`).  The report keeps the
//! command line of every task from its events: the arguments of its last successful
//! `execve(2)` (the first `EXECVE` record of the event: the kernel splits argument lists of
//! more than about 7.5 KiB over several), or else its `PROCTITLE` record (the first 128 bytes;
//! after an `execve(2)` the kernel may still give the title before it, so the arguments of
//! the `EXECVE` record win).  The name of a container is the command line of its creator, or
//! of the furthest ancestor in the unbroken run of its ancestors whose program has the same
//! name (`argv[0]`'s last component): runc creates the namespaces in `runc init`, a child of
//! `runc init`, a child of the `runc run ctr1` that holds the name.  Without the events of
//! the ancestors' `execve`, the creator's own command line names it.  At most 1 KiB of a
//! command line and the command lines of 16384 tasks are kept (the table starts again empty
//! beyond; a task's is dropped at its `exit_group`).
//!
//! `--container NAME` selects the containers whose command line's last argument that is not
//! an option is `NAME` (`crun run ... ctr1`, `runc run ctr1`), or, for a `NAME` of at least
//! 12 hexadecimal digits, a 64-digit container id that begins with it.

use super::*;

/// Command lines are kept for at most this many tasks; beyond, the table starts again empty.
const MAX_COMMANDS: usize = 16384;
/// At most this many bytes of a command line are kept.
const MAX_COMMAND_BYTES: usize = 1024;
/// Ancestors looked at for a name.
const MAX_ANCESTORS: usize = 16;

/// A task's command line, as its events showed it last.
#[derive(Debug)]
pub(super) struct Command {
    ppid: u32,
    argv: Vec<String>,
    /// From the `EXECVE` record of its last `execve(2)`: the `PROCTITLE` records after it may
    /// still be the one before (the kernel keeps a task's title until it reads it again).
    execve: bool,
}

/// `argv` cut to [`MAX_COMMAND_BYTES`].
fn bounded(argv: &[String]) -> Vec<String> {
    let mut left = MAX_COMMAND_BYTES;
    let mut out = Vec::new();
    for a in argv {
        if left == 0 {
            break;
        }
        let mut end = a.len().min(left);
        while !a.is_char_boundary(end) {
            end -= 1;
        }
        out.push(a[..end].to_string());
        left -= end;
    }
    out
}

/// The last component of a program name.
fn program(argv: &[String]) -> Option<&str> {
    let a = argv.first()?;
    Some(a.rsplit('/').next().unwrap_or(a))
}

/// Whether `name` names a container whose command line is `argv`: its last argument that is
/// not an option (`crun run ... NAME`, `crun create ... ID`) is `NAME`, or, for a `NAME` of 12
/// or more hexadecimal digits, a 64-digit id that begins with it.
pub(crate) fn names(argv: &[String], name: &str) -> bool {
    let Some(last) = argv.iter().skip(1).rev().find(|a| !a.starts_with('-')) else {
        return false;
    };
    let id_prefix = name.len() >= 12 && name.bytes().all(|b| b.is_ascii_hexdigit());
    last == name
        || (id_prefix
            && last.len() == 64
            && last.starts_with(name)
            && last.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Machine {
    /// The command line of the task of `ev` now: the arguments of its `EXECVE` record (of a
    /// successful call), the ones kept for its pid from an earlier one, or its `PROCTITLE`.
    fn command_now(&self, ev: &Pending, s: &Subject) -> Option<(Vec<String>, bool)> {
        let failed = ev
            .syscall
            .as_ref()
            .is_some_and(|(c, _)| c.success == Some(false));
        if let Some(a) = ev.argv.as_ref().filter(|a| !a.is_empty() && !failed) {
            return Some((bounded(a), true));
        }
        match (self.commands.get(&s.pid), ev.title.as_deref()) {
            (Some(c), _) if c.ppid == s.ppid && c.execve => Some((c.argv.clone(), true)),
            (Some(c), None) if c.ppid == s.ppid => Some((c.argv.clone(), false)),
            (_, t) => t.map(|t| (bounded(t), false)),
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
        let Some((argv, execve)) = self.command_now(ev, s) else {
            return;
        };
        if self.commands.len() >= MAX_COMMANDS && !self.commands.contains_key(&s.pid) {
            self.commands.clear();
        }
        let ppid = s.ppid;
        self.commands.insert(s.pid, Command { ppid, argv, execve });
    }

    /// The name of the container that `ev`, of the task `s`, creates: see the module
    /// documentation.
    pub(super) fn creation_name(&self, ev: &Pending, s: &Subject) -> Option<Vec<String>> {
        let (mut best, _) = self.command_now(ev, s)?;
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
