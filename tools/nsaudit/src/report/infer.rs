// SPDX-License-Identifier: GPL-2.0

//! The heuristic of the module documentation: namespaces, containers and the tasks inside;
//! each event placed by its `AUDIT_NS_INFO` record ([`super::exact`]) or by the heuristic.

use super::*;

/// Key of a namespace: type and id.
pub(super) type NsKey = (NsKind, u64);
/// A container is numbered in the order of creation.
pub(super) type Cid = usize;

/// Where a namespace comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Created by the event of that container.
    Container(Cid),
    /// `op=existing`: alive when the module was loaded, reported at that stamp.
    Existing(Stamp),
    /// Known only as the `old_` of another namespace or from its removal.
    Unknown,
}

#[derive(Debug)]
pub(super) struct Namespace {
    pub(super) inum: u64,
    pub(super) origin: Origin,
    pub(super) parent: Option<NsKey>,
    pub(super) children: Vec<NsKey>,
    pub(super) removed: Option<Stamp>,
    /// Selected by `--ns`, or derived from one that is.
    pub(super) selected: bool,
    /// The container of unknown creation that holds it (`exact.rs`).
    pub(super) holder: Option<Cid>,
}

impl Namespace {
    /// The container that holds it: the one that created it, or one of unknown creation.
    pub(super) fn owner(&self) -> Option<Cid> {
        match self.origin {
            Origin::Container(c) => Some(c),
            _ => self.holder,
        }
    }
}

#[derive(Debug)]
pub(super) struct Container {
    pub(super) stamp: Stamp,
    pub(super) loc: Loc,
    pub(super) creator: Option<Subject>,
    pub(super) syscall: Option<Syscall>,
    pub(super) members: Vec<NsKey>,
    /// The command line of the runtime that created it (`names.rs`).
    pub(super) name: Option<Vec<String>>,
    /// Its creation is not in the log: it holds the namespaces of `AUDIT_NS_INFO` records that
    /// no container of the log created (`exact.rs`).
    pub(super) unknown: bool,
    /// The ids of the eight namespaces of a task inside, from the last `AUDIT_NS_INFO` record
    /// attributed to it.
    pub(super) ids: Option<NsInfo>,
    pub(super) removed: usize,
    /// The latest removal seen so far, in event order: records of different events can arrive
    /// in another order than their stamps.
    pub(super) last_removal: Option<Stamp>,
    pub(super) ended: Option<Stamp>,
    /// Containers whose namespaces this one's were derived from, or whose task created it.
    pub(super) parents: Vec<Cid>,
    /// Events with [`Reason::Inside`] for this container.
    pub(super) inside: u64,
    /// Of those, the events attributed by their `AUDIT_NS_INFO` record.
    pub(super) by_ns_info: u64,
    /// Tasks seen inside: counted, not kept.
    pub(super) tasks_seen: u64,
    /// Live tasks, so they can be dropped when the container ends.
    pub(super) tasks: Vec<u32>,
    pub(super) interesting: bool,
}

/// A task the report follows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Task {
    pub(super) container: Cid,
    pub(super) ppid: u32,
    /// It (or its parent, before it forked) ran `execve(2)` inside its container: it is a
    /// program of the container, no longer the runtime that sets it up.
    pub(super) ran: bool,
}

impl Machine {
    pub(super) fn ns_selected(&self, kind: NsKind, ns: NsIdent) -> bool {
        self.opts.ns.iter().any(|s| match *s {
            NsSelector::Inode(k, inum) => k == kind && inum == ns.inum,
            NsSelector::Id(id) => id == ns.id,
        })
    }

    /// The namespace `key`, created as known only by reference when the log has not shown it.
    pub(super) fn ensure_ns(&mut self, kind: NsKind, ident: NsIdent) -> NsKey {
        let key = (kind, ident.id);
        if !self.namespaces.contains_key(&key) {
            let selected = self.ns_selected(kind, ident);
            if selected {
                self.selected_roots.push(key);
            }
            self.namespaces.insert(
                key,
                Namespace {
                    inum: ident.inum,
                    origin: Origin::Unknown,
                    parent: None,
                    children: Vec::new(),
                    removed: None,
                    selected,
                    holder: None,
                },
            );
            self.stream_loose(key);
        }
        key
    }

    pub(super) fn container(&mut self, c: Cid) -> Option<&mut Container> {
        self.containers.get_mut(&c)
    }

    pub(super) fn add_task(&mut self, pid: u32, ppid: u32, c: Cid) {
        if pid == 0 {
            return;
        }
        // A task keeps what it ran in its container; a new one inherits its parent's.
        let ran = match self.tasks.get(&pid) {
            Some(t) if t.container == c => t.ran,
            _ => self
                .tasks
                .get(&ppid)
                .is_some_and(|p| p.container == c && p.ran),
        };
        let task = Task {
            container: c,
            ppid,
            ran,
        };
        if let Some(old) = self.tasks.insert(pid, task) {
            if old.container != c {
                if let Some(oc) = self.container(old.container) {
                    oc.tasks.retain(|&p| p != pid);
                }
            }
        }
        if let Some(ct) = self.container(c) {
            if !ct.tasks.contains(&pid) {
                ct.tasks.push(pid);
                ct.tasks_seen += 1;
            }
        }
    }

    pub(super) fn drop_task(&mut self, pid: u32) {
        if let Some(t) = self.tasks.remove(&pid) {
            if let Some(c) = self.container(t.container) {
                c.tasks.retain(|&p| p != pid);
            }
        }
    }

    /// The container the task `pid` (child of `ppid`) is inside, following the rules of the
    /// module documentation; `adopt` lets a child of a known task join its container.
    pub(super) fn task_container(&mut self, pid: u32, ppid: u32, adopt: bool) -> Option<Cid> {
        if pid == 0 {
            return None;
        }
        if let Some(t) = self.tasks.get(&pid).copied() {
            let same_parent = t.ppid == ppid
                || self
                    .tasks
                    .get(&ppid)
                    .is_some_and(|p| p.container == t.container);
            if same_parent {
                if t.ppid != ppid {
                    self.tasks.insert(pid, Task { ppid, ..t });
                }
                return Some(t.container);
            }
            // The pid was reused by a task outside.
            self.drop_task(pid);
        }
        if !adopt {
            return None;
        }
        let c = self.tasks.get(&ppid)?.container;
        self.add_task(pid, ppid, c);
        Some(c)
    }

    /// Whether container `y` is `x` or nested in it.
    pub(super) fn within(&self, mut y: Cid, x: Cid) -> bool {
        for _ in 0..=self.containers.len() {
            if y == x {
                return true;
            }
            match self.containers.get(&y).and_then(|c| c.parents.first()) {
                Some(&p) if p < y => y = p,
                _ => return false,
            }
        }
        false
    }

    /// Whether the task `pid` is inside a container with a PID namespace, so that the pids it
    /// sees are not the global ones.
    pub(super) fn in_pid_container(&self, pid: u32) -> bool {
        self.tasks.get(&pid).is_some_and(|t| {
            self.containers
                .get(&t.container)
                .is_some_and(|c| c.members.iter().any(|(k, _)| *k == NsKind::Pid))
        })
    }

    /// Takes one event: its namespace records, then where its task is: by its `AUDIT_NS_INFO`
    /// record when the log says ([`Machine::known_namespaces`]), by the heuristic otherwise.
    pub(super) fn process(&mut self, mut ev: Pending) {
        self.summary.events += 1;
        // auditd's own records (DAEMON_START, ...) count serials of their own.
        if !(AUDIT_FIRST_DAEMON..=AUDIT_LAST_DAEMON).contains(&ev.types[0]) {
            self.note_serial(ev.stamp.serial);
        }
        let subject = ev.syscall.as_ref().map(|(_, s)| s.clone()).or_else(|| {
            ev.ns
                .iter()
                .filter(|r| !r.kernel())
                .find_map(|r| r.subject.clone())
        });
        let known = self.known_namespaces(&ev);
        // Only DEL records: the task is exiting, it joins nothing.
        let adopt = ev.syscall.is_some() || ev.ns.iter().any(|r| r.op != Op::Remove);
        // Where the task was before the call: by its record, or by the heuristic.
        let (exact, guessed) = match known {
            Some(k) => (self.exact_inside(k, &ev), None),
            None => (
                None,
                subject
                    .as_ref()
                    .and_then(|s| self.task_container(s.pid, s.ppid, adopt)),
            ),
        };
        let mut fx = Effects::default();
        if ev.ns.iter().any(|r| r.op == Op::Create) {
            fx.created = subject
                .as_ref()
                .and_then(|s| self.extension_of(exact.or(guessed), s));
            fx.extends = fx.created.is_some();
        }
        for rec in &ev.ns {
            if self.opts.selecting() {
                let verb = if rec.op == Op::Remove { "DEL" } else { "INIT" };
                let (kind, ns) = (rec.kind.name(), rec.ns);
                fx.ns_text
                    .push(format!("{verb} {kind}:{} id={}", ns.inum, ns.id));
            }
            match rec.op {
                Op::Create | Op::Existing => self.take_init(&ev, rec, subject.as_ref(), &mut fx),
                Op::Remove => self.take_del(&ev, rec, &mut fx),
            }
        }
        let (inside, attribution) = match known {
            Some(k) => {
                if let Some(s) = &subject {
                    self.follow_exactly(k, s, &ev);
                }
                (exact, Some(k.attribution()))
            }
            None => (
                self.creator_container(guessed, &fx.lineage, subject.as_ref()),
                subject.as_ref().map(|_| Attribution::Pid),
            ),
        };
        if let Some(c) = fx.created {
            fx.reasons.push((c, Reason::Created));
            self.place_creation(c, &ev, inside, &fx, subject.as_ref());
        }
        if let Some(p) = inside {
            fx.reasons.push((p, Reason::Inside));
        }
        // One reason per container, the strongest: Created, then Removed, then Inside.
        fx.reasons.sort_by_key(|&(c, r)| (c, r as u8));
        fx.reasons.dedup_by_key(|&mut (c, _)| c);
        self.count_inside(&fx.reasons, attribution);
        if let Some(s) = &subject {
            self.note_exec(&ev, s);
            self.note_command(&ev, s);
            if ev
                .syscall
                .as_ref()
                .is_some_and(|(c, _)| c.nr == SYS_EXIT_GROUP && c.name.is_some())
            {
                self.drop_task(s.pid);
            }
        }
        let created = fx.created;
        // The container the event is inside as the report counts it: none when the event
        // created or removed namespaces of the container its task was in (its reason there is
        // Created or Removed, not Inside).
        let inside = inside.filter(|&p| fx.reasons.contains(&(p, Reason::Inside)));
        self.stream_event(
            &mut ev,
            subject.as_ref(),
            inside,
            attribution,
            created,
            &fx.reasons,
        );
        if self.opts.selecting() {
            self.list_event(ev, subject, fx, attribution);
        }
    }

    /// Counts an event in the containers it is inside of.
    fn count_inside(&mut self, reasons: &[(Cid, Reason)], attribution: Option<Attribution>) {
        for &(c, r) in reasons {
            if r == Reason::Inside {
                if let Some(ct) = self.container(c) {
                    ct.inside += 1;
                    ct.by_ns_info += u64::from(attribution == Some(Attribution::NsInfo));
                }
            }
        }
    }

    /// An INIT record: a namespace created by the event (in its container) or existing at
    /// module load.
    fn take_init(
        &mut self,
        ev: &Pending,
        rec: &NsRec,
        subject: Option<&Subject>,
        fx: &mut Effects,
    ) {
        let key = (rec.kind, rec.ns.id);
        let k = rec.kind.index();
        if rec.op == Op::Create {
            self.summary.created.0[k] += 1;
        } else {
            self.summary.existing.0[k] += 1;
        }
        if let Some(ns) = self.namespaces.get(&key) {
            // A second module load writes op=existing again: nothing new.
            if rec.op == Op::Existing && ns.origin != Origin::Unknown {
                return;
            }
            if ns.origin != Origin::Unknown || ns.removed.is_some() {
                let msg = format!(
                    "a second INIT record for {}:{} id={} (the log repeats itself, or \
                     logs are out of order); ignored",
                    rec.kind.name(),
                    rec.ns.inum,
                    rec.ns.id
                );
                self.diag(ev.loc, Severity::Warning, msg);
                return;
            }
        }
        let parent = rec.old.map(|o| self.ensure_ns(rec.kind, o));
        let key = self.ensure_ns(rec.kind, rec.ns);
        self.release_held(ev, key);
        let parent_selected = parent
            .and_then(|p| self.namespaces.get(&p))
            .is_some_and(|p| p.selected);
        let origin = if rec.op == Op::Create {
            let c = match fx.created {
                Some(c) => c,
                None => self.new_container(ev, subject),
            };
            fx.created = Some(c);
            Origin::Container(c)
        } else {
            Origin::Existing(ev.stamp)
        };
        let ns = self.namespaces.get_mut(&key).expect("just inserted");
        ns.origin = origin;
        ns.parent = parent;
        ns.selected |= parent_selected;
        let selected = ns.selected;
        fx.interesting_ns |= selected;
        if let Some(p) = parent.and_then(|p| self.namespaces.get_mut(&p)) {
            p.children.push(key);
        }
        let parent_container =
            parent
                .and_then(|p| self.namespaces.get(&p))
                .and_then(|p| match p.origin {
                    Origin::Container(pc) => Some(pc),
                    _ => None,
                });
        if let Origin::Container(c) = origin {
            let ct = self.container(c).expect("just created");
            ct.members.push(key);
            ct.interesting |= selected;
            if let Some(pc) = parent_container.filter(|&pc| pc != c) {
                if !fx.lineage.contains(&pc) {
                    fx.lineage.push(pc);
                }
            }
        }
    }

    /// A namespace whose creation arrives after a container of unknown creation took it (a
    /// log read out of order): it leaves that container, with a warning.
    fn release_held(&mut self, ev: &Pending, key: NsKey) {
        let Some(h) = self.namespaces.get_mut(&key).and_then(|n| n.holder.take()) else {
            return;
        };
        if let Some(ct) = self.container(h) {
            ct.members.retain(|&k| k != key);
        }
        let msg = format!(
            "the INIT record of {}:{} id={} comes after events inside it (logs out of order?)",
            key.0.name(),
            self.namespaces.get(&key).map_or(0, |n| n.inum),
            key.1
        );
        self.diag(ev.loc, Severity::Warning, msg);
    }

    /// The container of the event `ev`, which created its first namespace.
    pub(super) fn new_container(&mut self, ev: &Pending, subject: Option<&Subject>) -> Cid {
        let name = subject.and_then(|s| self.creation_name(ev, s));
        let named = name
            .as_ref()
            .is_some_and(|argv| self.opts.containers.iter().any(|n| names::names(argv, n)));
        let c = self.next_cid;
        self.next_cid += 1;
        self.containers.insert(
            c,
            Container {
                stamp: ev.stamp,
                loc: ev.loc,
                creator: subject.cloned(),
                syscall: ev.syscall.as_ref().map(|(s, _)| s.clone()),
                members: Vec::new(),
                name,
                unknown: false,
                ids: None,
                removed: 0,
                last_removal: None,
                ended: None,
                parents: Vec::new(),
                inside: 0,
                by_ns_info: 0,
                tasks_seen: 0,
                tasks: Vec::new(),
                interesting: named,
            },
        );
        self.summary.containers += 1;
        c
    }

    /// A DEL record: the first removal in a container drops its tasks, the last ends it.
    fn take_del(&mut self, ev: &Pending, rec: &NsRec, fx: &mut Effects) {
        let key = (rec.kind, rec.ns.id);
        self.summary.removed.0[rec.kind.index()] += 1;
        if !self.namespaces.contains_key(&key) {
            self.summary.removed_unknown += 1;
        }
        let key = self.ensure_ns(rec.kind, rec.ns);
        let ns = self.namespaces.get_mut(&key).expect("just inserted");
        if ns.removed.is_some() {
            let msg = format!(
                "a second DEL record for {}:{} id={}; ignored",
                rec.kind.name(),
                rec.ns.inum,
                rec.ns.id
            );
            self.diag(ev.loc, Severity::Warning, msg);
            return;
        }
        ns.removed = Some(ev.stamp);
        fx.interesting_ns |= ns.selected;
        let origin = match ns.owner() {
            Some(c) => Origin::Container(c),
            None => ns.origin,
        };
        let Origin::Container(c) = origin else {
            self.stream_removed(key, origin, None);
            return;
        };
        fx.reasons.push((c, Reason::Removed));
        let mut tasks = Vec::new();
        if let Some(ct) = self.container(c) {
            ct.removed += 1;
            if ct.removed == 1 {
                tasks = std::mem::take(&mut ct.tasks);
            }
            ct.last_removal = ct.last_removal.max(Some(ev.stamp));
            if ct.removed == ct.members.len() {
                ct.ended = ct.last_removal;
            }
        }
        for pid in tasks {
            self.tasks.remove(&pid);
        }
        if self.container(c).is_some_and(|ct| ct.ended.is_some()) {
            self.summary.containers_ended += 1;
            self.stream_removed(key, origin, Some(c));
        }
    }

    /// The creator's container: the task's (`inside`), unless the lineage contradicts it.
    fn creator_container(
        &mut self,
        inside: Option<Cid>,
        lineage: &[Cid],
        subject: Option<&Subject>,
    ) -> Option<Cid> {
        match (inside, lineage.first().copied()) {
            (Some(y), Some(x)) if !self.within(y, x) => {
                if let Some(s) = subject {
                    self.add_task(s.pid, s.ppid, x);
                }
                Some(x)
            }
            (None, Some(x)) => Some(x),
            (y, _) => y,
        }
    }

    /// Places the container `c` that `ev` created: its parents, the task now inside it, and
    /// whether a selection wants it.
    fn place_creation(
        &mut self,
        c: Cid,
        ev: &Pending,
        inside: Option<Cid>,
        fx: &Effects,
        subject: Option<&Subject>,
    ) {
        let mut parents: Vec<Cid> = inside.into_iter().collect();
        parents.extend(fx.lineage.iter().filter(|&&p| Some(p) != inside));
        if let Some(ct) = self.container(c).filter(|_| !fx.extends) {
            ct.parents = parents;
        }
        let call = ev.syscall.as_ref().map(|(s, _)| s);
        // The system call as far as the report knows it: (number, exit) on x86_64.
        let known = call.filter(|c| c.name.is_some()).map(|c| (c.nr, c.exit));
        if let Some(s) = subject {
            match (call.is_some(), known) {
                (_, Some((SYS_CLONE | SYS_CLONE3 | SYS_FORK | SYS_VFORK, Some(child))))
                    if child > 0 && !self.in_pid_container(s.pid) =>
                {
                    if let Ok(child) = u32::try_from(child) {
                        self.add_task(child, s.pid, c);
                    }
                }
                (false, _) | (_, Some((SYS_UNSHARE, _))) => self.add_task(s.pid, s.ppid, c),
                _ => {}
            }
        }
        let by_event = self.opts.events.iter().position(|e| e.matches(&ev.stamp));
        if let Some(i) = by_event {
            self.event_hits[i] = true;
        }
        let parents_interesting = self
            .container(c)
            .map_or(Vec::new(), |ct| ct.parents.clone());
        let pi = parents_interesting
            .iter()
            .any(|&p| self.containers.get(&p).is_some_and(|pc| pc.interesting));
        if let Some(ct) = self.container(c) {
            ct.interesting |= by_event.is_some() || pi;
        }
    }

    /// Lists the event in the selection if it concerns a selected namespace or container.
    fn list_event(
        &mut self,
        ev: Pending,
        subject: Option<Subject>,
        fx: Effects,
        attribution: Option<Attribution>,
    ) {
        let listed = fx.interesting_ns
            || fx
                .reasons
                .iter()
                .any(|&(c, _)| self.containers.get(&c).is_some_and(|ct| ct.interesting));
        if !listed {
            return;
        }
        let containers = fx
            .reasons
            .iter()
            .filter_map(|&(c, r)| self.containers.get(&c).map(|ct| (ct.stamp, r)))
            .collect();
        let n = (ev.records as usize).min(EVENT_TYPES);
        let details = whole::Details::of(&ev.stamp, &ev.raw, &self.names);
        self.events.push(EventOut {
            stamp: ev.stamp,
            file: self.files[ev.loc.file as usize].clone(),
            line: ev.loc.line,
            records: ev.records,
            types: ev.types[..n].to_vec(),
            subject,
            syscall: ev.syscall.map(|(s, _)| s),
            namespaces: fx.ns_text,
            containers,
            attribution,
            details,
        });
    }
}

/// What one event did, gathered while its namespace records are taken.
#[derive(Default)]
struct Effects {
    /// The containers it belongs to and why, before one reason per container is kept.
    reasons: Vec<(Cid, Reason)>,
    /// A record concerned a selected namespace.
    interesting_ns: bool,
    /// The container it created, or extended.
    created: Option<Cid>,
    /// The namespaces it created extend the container its task was in.
    extends: bool,
    /// Containers the new namespaces were derived from: their creator was inside.
    lineage: Vec<Cid>,
    /// `INIT net:4026532033 id=28` for each namespace record, when selecting.
    ns_text: Vec<String>,
}
