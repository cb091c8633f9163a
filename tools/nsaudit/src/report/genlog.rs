// SPDX-License-Identifier: GPL-2.0

//! A generated auditd log whose answers are known, for the report's tests and benchmark.
//!
//! The generator simulates a host that loads the module (an `op=existing` record per type), runs
//! daemons, and a container runtime that starts and stops containers: `unshare` followed by a
//! `vfork`ed child (the `vfork` event is written after the child's `execve`, as audit does), or
//! `clone` with `CLONE_NEW*` flags (`clone3` for a time namespace, which `clone` cannot make);
//! the tasks inside fork, exec, open files, exit, and now and then create a nested container
//! with `unshare`.  Namespaces get ids from one counter and inode numbers from a pool, so
//! inodes are reused as in the kernel.  Mount, UTS, IPC, cgroup and time namespaces are removed
//! by the last task leaving, user, PID and network namespaces later by kernel workers.  Every
//! namespace record carries its subject, the same as its event's `SYSCALL` record.  Every
//! system call event of a task that is not in the initial namespaces has an `AUDIT_NS_INFO`
//! record after its `SYSCALL` record, as the kernel writes it ([`GenParams::ns_info`]): the
//! task that unshares a container's namespaces stays in its own PID and time namespaces, which
//! its children enter.
//!
//! It only produces what [`super`]'s heuristic is documented to follow, and the namespaces of
//! every task are those its `AUDIT_NS_INFO` records give, so the report must find exactly the
//! [`GenTruth`] the simulation counted, with and without the records.

use crate::nsinfo::{initial_id, NsInfo};
use crate::reference::NsKind;
use crate::rng::Rng;
use crate::syscall::{SYS_CLONE, SYS_CLONE3};
use std::collections::HashSet;
use std::io::{self, Write};

mod fleet;
mod tasks;

pub use fleet::{generate_fleet, node_name};
use tasks::has_info;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenParams {
    /// Stop starting events once this many records are written.
    pub records: u64,
    /// The seed of the pseudo-random sequence.
    pub seed: u64,
    /// At most this many containers alive at once.
    pub max_live: usize,
    /// Write the `AUDIT_NS_INFO` records of the events of tasks in namespaces, as kernels with
    /// the record do.
    pub ns_info: bool,
}

impl Default for GenParams {
    fn default() -> Self {
        GenParams {
            records: 1_000_000,
            seed: 1,
            max_live: 40,
            ns_info: true,
        }
    }
}

/// What the simulation did, which the report must find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenTruth {
    pub records: u64,
    pub events: u64,
    /// INIT `op=create` records per type (indexed by [`NsKind::index`]).
    pub created: [u64; NsKind::COUNT],
    pub existing: [u64; NsKind::COUNT],
    pub removed: [u64; NsKind::COUNT],
    pub containers: u64,
    /// Containers created by a task inside another.
    pub nested: u64,
    /// Containers whose namespaces were all removed.
    pub ended: u64,
    /// Events of tasks inside each container, in order of creation.
    pub inside: Vec<u64>,
    /// Of those, the events with an `AUDIT_NS_INFO` record, per container.
    pub exact: Vec<u64>,
    /// Events with an `AUDIT_NS_INFO` record.
    pub info_events: u64,
    /// Of those, events inside no container: the creations of containers on the host.
    pub info_unmatched: u64,
    /// System call events without an `AUDIT_NS_INFO` record, after the first event with one.
    pub initial: u64,
    /// Serial of each container's creating event, in order of creation.
    pub serials: Vec<u64>,
    /// The parent (index) of each container.
    pub parents: Vec<Option<usize>>,
    /// Namespaces created with an inode number an earlier one had.
    pub inode_reuses: u64,
}

const HOST_INODE: u64 = 4026531832;
const FIRST_INODE: u64 = 4026532000;
const RUNTIME_PID: u32 = 100;
const DAEMONS: u32 = 20;
const SUBJECT_TAIL: &str = "auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 \
tty=(none) ses=3";
/// The pids of the kernel workers that remove user, PID and network namespaces: below the
/// tasks' pids, children of `kthreadd` (pid 2).
const KWORKERS: [u32; 4] = [31, 32, 47, 58];

#[derive(Debug, Clone)]
struct Ctr {
    index: usize,
    ns: Vec<(NsKind, u64, u64)>,
    /// Live tasks inside: (pid, ppid).
    tasks: Vec<(u32, u32)>,
    has_pid: bool,
    parent: Option<usize>,
    live_nested: usize,
    /// The runtime task that cloned it, outside (clone variant).
    runtime: Option<u32>,
    /// The task that unshared its namespaces, while it lives: it is in the new ones but for
    /// the PID and time namespaces, which its children enter.
    unsharer: Option<u32>,
    depth: usize,
}

struct Gen<W: Write> {
    w: W,
    rng: Rng,
    serial: u64,
    ms: u64,
    truth: GenTruth,
    next_pid: u32,
    live_pids: HashSet<u32>,
    next_id: u64,
    next_inode: u64,
    free_inodes: Vec<u64>,
    used_inodes: HashSet<u64>,
    host: [(u64, u64); NsKind::COUNT],
    live: Vec<Ctr>,
    /// Kernel DEL records still to write: (countdown, kind, inode, id).
    kernel_dels: Vec<(u32, NsKind, u64, u64)>,
    /// Write `AUDIT_NS_INFO` records.
    ns_info: bool,
    /// An event with an `AUDIT_NS_INFO` record was written.
    info_written: bool,
}

/// A record of an event: type name and fields.
type Rec = (String, String);

impl<W: Write> Gen<W> {
    fn below(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n.max(1)
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        if self.below(4) == 0 {
            self.ms += 1;
        }
        self.serial
    }

    fn write_event(&mut self, serial: u64, recs: &[Rec], eoe: bool) -> io::Result<()> {
        let stamp = format!(
            "{}.{:03}:{serial}",
            1795900000 + self.ms / 1000,
            self.ms % 1000
        );
        for (ty, body) in recs {
            writeln!(self.w, "type={ty} msg=audit({stamp}): {body}")?;
        }
        let mut n = recs.len() as u64;
        if eoe {
            writeln!(self.w, "type=EOE msg=audit({stamp}): ")?;
            n += 1;
        }
        self.truth.records += n;
        self.truth.events += 1;
        if has_info(recs) {
            self.truth.info_events += 1;
            self.info_written = true;
        } else if self.info_written && recs.iter().any(|(ty, _)| ty == "SYSCALL") {
            self.truth.initial += 1;
        }
        self.tick_kernel_dels()
    }

    fn event(&mut self, recs: &[Rec]) -> io::Result<u64> {
        let s = self.next_serial();
        self.write_event(s, recs, true)?;
        Ok(s)
    }

    fn tick_kernel_dels(&mut self) -> io::Result<()> {
        let mut due = Vec::new();
        self.kernel_dels.retain_mut(|d| {
            if d.0 == 0 {
                due.push(*d);
                false
            } else {
                d.0 -= 1;
                true
            }
        });
        for (_, kind, inum, id) in due {
            let i = self.below(KWORKERS.len() as u64) as usize;
            let subject = format!(
                "ppid=2 pid={} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 \
fsgid=0 tty=(none) ses=4294967295 comm=\"kworker/u8:{i}\" exe=(null)",
                KWORKERS[i]
            );
            self.del(kind, inum, id, &subject)?;
        }
        Ok(())
    }

    fn del(&mut self, kind: NsKind, inum: u64, id: u64, subject: &str) -> io::Result<()> {
        let t = kind.name();
        let rec = (
            format!("UNKNOWN[{}]", kind.del_type()),
            format!("op=remove {subject} dev=00:04 {t}ns={inum} {t}ns_id={id} res=1"),
        );
        self.truth.removed[kind.index()] += 1;
        self.free_inodes.push(inum);
        let s = self.next_serial();
        self.write_event(s, &[rec], false)
    }

    fn new_pid(&mut self) -> u32 {
        loop {
            self.next_pid = if self.next_pid >= 30000 {
                1000
            } else {
                self.next_pid + 1
            };
            if self.live_pids.insert(self.next_pid) {
                return self.next_pid;
            }
        }
    }

    fn subject(pid: u32, ppid: u32, comm: &str) -> String {
        format!("ppid={ppid} pid={pid} {SUBJECT_TAIL} comm=\"{comm}\" exe=\"/usr/bin/{comm}\"")
    }

    fn syscall(nr: u32, exit: Option<i64>, pid: u32, ppid: u32, comm: &str) -> Rec {
        let result = match exit {
            Some(e) => format!(" success={} exit={e}", if e < 0 { "no" } else { "yes" }),
            None => String::new(),
        };
        (
            "SYSCALL".into(),
            format!(
                "arch=c000003e syscall={nr}{result} a0=0 a1=7ffd0 a2=0 a3=0 items=0 {} key=(null)",
                Self::subject(pid, ppid, comm)
            ),
        )
    }

    fn proctitle(comm: &str) -> Rec {
        let hex: String = comm.bytes().map(|b| format!("{b:02X}")).collect();
        ("PROCTITLE".into(), format!("proctitle={hex}"))
    }

    fn file_recs(pid: u32, ppid: u32, comm: &str) -> Vec<Rec> {
        vec![
            Self::syscall(257, Some(3), pid, ppid, comm),
            ("CWD".into(), "cwd=\"/\"".into()),
            (
                "PATH".into(),
                "item=0 name=\"/etc/hosts\" inode=131 dev=00:03 mode=0100644 ouid=0 ogid=0 \
rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"
                    .into(),
            ),
            Self::proctitle(comm),
        ]
    }

    fn exec_recs(pid: u32, ppid: u32, comm: &str) -> Vec<Rec> {
        vec![
            Self::syscall(59, Some(0), pid, ppid, comm),
            ("EXECVE".into(), format!("argc=1 a0=\"{comm}\"")),
            ("CWD".into(), "cwd=\"/\"".into()),
            (
                "PATH".into(),
                format!(
                    "item=0 name=\"/usr/bin/{comm}\" inode=77 dev=00:03 mode=0100755 ouid=0 \
ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"
                ),
            ),
            Self::proctitle(comm),
        ]
    }

    fn new_ns(&mut self, kind: NsKind) -> (u64, u64) {
        let inum = match self.free_inodes.pop() {
            Some(i) => i,
            None => {
                self.next_inode += 1;
                self.next_inode
            }
        };
        if !self.used_inodes.insert(inum) {
            self.truth.inode_reuses += 1;
        }
        self.next_id += 1;
        self.truth.created[kind.index()] += 1;
        (inum, self.next_id)
    }

    /// An INIT record of a syscall event of task `(pid, ppid, comm)`, whose `SYSCALL` record
    /// names the same subject.
    fn init_rec(task: (u32, u32, &str), kind: NsKind, old: (u64, u64), new: (u64, u64)) -> Rec {
        let t = kind.name();
        (
            format!("UNKNOWN[{}]", kind.init_type()),
            format!(
                "op=create {} dev=00:04 old_{t}ns={} old_{t}ns_id={} {t}ns={} {t}ns_id={} \
res=1",
                Self::subject(task.0, task.1, task.2),
                old.0,
                old.1,
                new.0,
                new.1
            ),
        )
    }

    fn load_module(&mut self) -> io::Result<()> {
        let mut recs = vec![Self::syscall(313, Some(0), 90, 1, "insmod")];
        for k in NsKind::ALL {
            let t = k.name();
            let (inum, id) = self.host[k.index()];
            recs.push((
                format!("UNKNOWN[{}]", k.init_type()),
                format!(
                    "op=existing {} dev=00:04 old_{t}ns=(none) old_{t}ns_id=(none) \
{t}ns={inum} {t}ns_id={id} res=1",
                    Self::subject(90, 1, "insmod")
                ),
            ));
            self.truth.existing[k.index()] += 1;
        }
        recs.push(Self::proctitle("insmod"));
        self.event(&recs).map(drop)
    }

    /// The namespace of `kind` a task of container `parent` (or the host) is in.
    fn ns_of(&self, parent: Option<usize>, kind: NsKind) -> (u64, u64) {
        let mut p = parent;
        while let Some(i) = p {
            let c = &self.live[i];
            if let Some(&(_, inum, id)) = c.ns.iter().find(|(k, _, _)| *k == kind) {
                return (inum, id);
            }
            p = c.parent;
        }
        self.host[kind.index()]
    }

    fn start_container(&mut self) -> io::Result<()> {
        use NsKind::*;
        let kinds: &[NsKind] = match self.below(20) {
            0..=5 => &[Mnt, Uts, Ipc, Pid, Net],
            6..=9 => &[Mnt, Uts, Ipc, Pid, Net, Cgroup],
            10..=12 => &[User, Mnt, Uts, Ipc, Pid, Net, Cgroup],
            13 => &[User, Mnt, Uts, Ipc, Pid, Net, Cgroup, Time],
            14..=15 => &[Net],
            16 => &[Pid, Time],
            _ => &[User, Net],
        };
        let index = self.truth.inside.len();
        let r = self.new_pid();
        // The runtime's child execs the runtime shim: a host event.
        self.event(&Self::exec_recs(r, RUNTIME_PID, "runc"))?;
        // A task that unshares only PID and time namespaces enters neither: it clones.
        let clone = self.below(10) < 3 || !kinds.iter().any(|k| k.enters_on_unshare());
        let mut ns = Vec::new();
        let mut inits = Vec::new();
        let q = self.new_pid();
        for &k in kinds {
            let new = self.new_ns(k);
            inits.push(Self::init_rec(
                (r, RUNTIME_PID, "runc"),
                k,
                self.host[k.index()],
                new,
            ));
            ns.push((k, new.0, new.1));
        }
        self.live.push(Ctr {
            index,
            ns,
            tasks: Vec::new(),
            has_pid: kinds.contains(&Pid),
            parent: None,
            live_nested: 0,
            runtime: clone.then_some(r),
            unsharer: (!clone).then_some(r),
            depth: 0,
        });
        let ci = self.live.len() - 1;
        self.truth.inside.push(0);
        self.truth.exact.push(0);
        self.truth.parents.push(None);
        self.truth.containers += 1;
        let mut recs = vec![if clone {
            let nr = if kinds.contains(&Time) {
                SYS_CLONE3
            } else {
                SYS_CLONE
            };
            Self::syscall(nr, Some(i64::from(q)), r, RUNTIME_PID, "runc")
        } else {
            Self::syscall(272, Some(0), r, RUNTIME_PID, "runc")
        }];
        // The caller of clone stays on the host; the one of unshare is in what it entered.
        if !clone {
            recs.extend(self.info_rec(Some(ci), r));
        }
        recs.extend(inits);
        recs.push(Self::proctitle("runc"));
        // The creator was on the host before the call: inside no container.
        self.truth.info_unmatched += u64::from(has_info(&recs));
        let serial = self.event(&recs)?;
        self.truth.serials.push(serial);
        if clone {
            self.live[ci].tasks.push((q, r));
            self.inside_event(ci, q, Self::exec_recs(q, r, "init"))?;
        } else {
            // The vfork returns after the child's execve: its event has the lower serial and is
            // written second.
            let vfork = self.next_serial();
            self.live[ci].tasks.push((r, RUNTIME_PID));
            self.live[ci].tasks.push((q, r));
            self.inside_event(ci, q, Self::exec_recs(q, r, "init"))?;
            let recs = vec![
                Self::syscall(58, Some(i64::from(q)), r, RUNTIME_PID, "runc"),
                Self::proctitle("runc"),
            ];
            self.inside_event_at(vfork, ci, r, recs)?;
        }
        Ok(())
    }

    /// A task of `ci` that has no child among the container's tasks.
    fn leaf(&mut self, ci: usize) -> Option<usize> {
        let c = &self.live[ci];
        let leaves: Vec<usize> = (0..c.tasks.len())
            .filter(|&i| !c.tasks.iter().any(|t| t.1 == c.tasks[i].0))
            .collect();
        if leaves.is_empty() {
            return None;
        }
        let pick = self.below(leaves.len() as u64) as usize;
        Some(leaves[pick])
    }

    fn activity(&mut self, ci: usize) -> io::Result<()> {
        let n = self.live[ci].tasks.len() as u64;
        if n == 0 {
            return Ok(());
        }
        let ti = self.below(n) as usize;
        let (pid, ppid) = self.live[ci].tasks[ti];
        match self.below(100) {
            0..=39 => {
                let child = self.new_pid();
                let seen = if self.live[ci].has_pid {
                    i64::from(self.live[ci].tasks.len() as u32 + 1)
                } else {
                    i64::from(child)
                };
                let recs = vec![
                    Self::syscall(56, Some(seen), pid, ppid, "sh"),
                    Self::proctitle("sh"),
                ];
                self.inside_event(ci, pid, recs)?;
                let comm = ["ls", "cat", "nginx", "python3"][self.below(4) as usize];
                self.live[ci].tasks.push((child, pid));
                self.inside_event(ci, child, Self::exec_recs(child, pid, comm))?;
            }
            40..=59 if n > 1 => {
                if let Some(li) = self.leaf(ci) {
                    let (pid, ppid) = self.live[ci].tasks[li];
                    let recs = vec![
                        Self::syscall(231, None, pid, ppid, "ls"),
                        Self::proctitle("ls"),
                    ];
                    self.inside_event(ci, pid, recs)?;
                    self.live[ci].tasks.remove(li);
                    self.task_exited(pid);
                }
            }
            60..=98 => {
                self.inside_event(ci, pid, Self::file_recs(pid, ppid, "nginx"))?;
            }
            _ if self.live[ci].depth < 2 && self.live.len() < 64 && n > 1 => {
                self.nest(ci)?;
            }
            _ => {
                self.inside_event(ci, pid, Self::file_recs(pid, ppid, "sh"))?;
            }
        }
        Ok(())
    }

    /// A leaf task of `ci` unshares a nested container.
    fn nest(&mut self, ci: usize) -> io::Result<()> {
        use NsKind::*;
        let Some(li) = self.leaf(ci) else {
            return Ok(());
        };
        let (pid, ppid) = self.live[ci].tasks[li];
        let kinds: &[NsKind] = match self.below(4) {
            0 => &[Net],
            1 => &[Uts, Net],
            2 => &[Mnt, Uts],
            _ => &[Cgroup, Time],
        };
        let mut inits = Vec::new();
        let mut ns = Vec::new();
        for &k in kinds {
            let old = self.ns_of(Some(ci), k);
            let new = self.new_ns(k);
            inits.push(Self::init_rec((pid, ppid, "unshare"), k, old, new));
            ns.push((k, new.0, new.1));
        }
        // Its event counts in the container it was in before the call.
        let parent_index = self.live[ci].index;
        self.live[ci].tasks.remove(li);
        self.live[ci].live_nested += 1;
        let index = self.truth.inside.len();
        let depth = self.live[ci].depth + 1;
        self.live.push(Ctr {
            index,
            ns,
            tasks: vec![(pid, ppid)],
            has_pid: false,
            parent: Some(ci),
            live_nested: 0,
            runtime: None,
            unsharer: Some(pid),
            depth,
        });
        let nci = self.live.len() - 1;
        self.truth.inside.push(0);
        self.truth.exact.push(0);
        self.truth.parents.push(Some(parent_index));
        self.truth.containers += 1;
        self.truth.nested += 1;
        let mut recs = vec![Self::syscall(272, Some(0), pid, ppid, "unshare")];
        // After the call it is in the namespaces it entered.
        let after = self.info_rec(Some(nci), pid);
        recs.extend(after);
        recs.extend(inits);
        recs.push(Self::proctitle("unshare"));
        let exact = has_info(&recs);
        let serial = self.event(&recs)?;
        self.truth.serials.push(serial);
        self.truth.inside[parent_index] += 1;
        self.truth.exact[parent_index] += u64::from(exact);
        Ok(())
    }

    /// Ends live container `ci`: its tasks exit, the last one removes the mount, UTS, IPC,
    /// cgroup and time namespaces, the kernel the others a little later.
    fn stop(&mut self, ci: usize) -> io::Result<()> {
        let mut last = None;
        while let Some(li) = self.leaf(ci) {
            let (pid, ppid) = self.live[ci].tasks[li];
            let recs = vec![
                Self::syscall(231, None, pid, ppid, "sh"),
                Self::proctitle("sh"),
            ];
            self.inside_event(ci, pid, recs)?;
            self.live[ci].tasks.remove(li);
            self.task_exited(pid);
            last = Some((pid, ppid));
        }
        let c = self.live.remove(ci);
        // Indices of containers after ci moved down by one.
        for other in &mut self.live {
            if let Some(p) = other.parent {
                if p > ci {
                    other.parent = Some(p - 1);
                }
            }
        }
        if let Some(p) = c.parent {
            self.live[p].live_nested -= 1;
        }
        let (pid, ppid) = last.unwrap_or((0, 0));
        let subject = format!("ppid={ppid} pid={pid} {SUBJECT_TAIL} comm=\"sh\" exe=(null)");
        for &(k, inum, id) in &c.ns {
            match k {
                NsKind::User | NsKind::Pid | NsKind::Net => {
                    let delay = self.below(20) as u32;
                    self.kernel_dels.push((delay, k, inum, id));
                }
                _ => self.del(k, inum, id, &subject)?,
            }
        }
        if let Some(r) = c.runtime {
            let rec = Self::syscall(231, None, r, RUNTIME_PID, "runc");
            self.event(&[rec, Self::proctitle("runc")])?;
            self.live_pids.remove(&r);
        }
        self.truth.ended += 1;
        Ok(())
    }

    fn host_event(&mut self) -> io::Result<()> {
        let pid = 200 + self.below(u64::from(DAEMONS)) as u32;
        self.event(&Self::file_recs(pid, 1, "sshd")).map(drop)
    }
}

impl<W: Write> Gen<W> {
    /// A simulation writing to `w`, the module loaded.
    fn new(p: &GenParams, w: W) -> io::Result<Self> {
        // The initial namespaces, with the ids the kernel reserves for them.
        let host = NsKind::ALL.map(|k| (HOST_INODE + k.index() as u64, initial_id(k)));
        let mut g = Gen {
            w,
            rng: Rng::new(p.seed),
            serial: 0,
            ms: 0,
            truth: GenTruth::default(),
            next_pid: 1000,
            live_pids: HashSet::new(),
            next_id: 100,
            next_inode: FIRST_INODE,
            free_inodes: Vec::new(),
            used_inodes: HashSet::new(),
            host,
            live: Vec::new(),
            kernel_dels: Vec::new(),
            ns_info: p.ns_info,
            info_written: false,
        };
        g.load_module()?;
        Ok(g)
    }

    /// One step of the simulation: a host event, a container started or stopped, or
    /// something inside one.
    fn step(&mut self, max_live: usize) -> io::Result<()> {
        let live = self.live.len();
        match self.below(100) {
            0..=29 => self.host_event(),
            30..=32 if live < max_live => self.start_container(),
            33..=34 if live > 0 => {
                let idle: Vec<usize> = (0..live)
                    .filter(|&i| self.live[i].live_nested == 0)
                    .collect();
                let pick = self.below(idle.len() as u64) as usize;
                self.stop(idle[pick])
            }
            _ if live > 0 => {
                let ci = self.below(live as u64) as usize;
                self.activity(ci)
            }
            _ => self.start_container(),
        }
    }

    /// Writes the kernel's removals still due; returns what the simulation did, and the
    /// writer.
    fn finish(mut self) -> io::Result<(GenTruth, W)> {
        while !self.kernel_dels.is_empty() {
            for d in &mut self.kernel_dels {
                d.0 = 0;
            }
            self.tick_kernel_dels()?;
        }
        self.w.flush()?;
        // Containers whose removals were all written have ended; those still live have not.
        self.truth.ended = self.truth.containers - self.live.len() as u64;
        Ok((self.truth, self.w))
    }
}

/// Writes the log to `w`; returns what the simulation did.
pub fn generate<W: Write>(p: &GenParams, w: W) -> io::Result<GenTruth> {
    let mut g = Gen::new(p, w)?;
    while g.truth.records < p.records {
        g.step(p.max_live)?;
    }
    g.finish().map(|(t, _)| t)
}
