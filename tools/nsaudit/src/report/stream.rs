// SPDX-License-Identifier: GPL-2.0

//! The report as a stream: every event, as soon as it is closed, with the container its task
//! was in, for a reader that runs as long as auditd does (`nsaudit plugin`).
//!
//! The events are read and attributed exactly as by the report ([`Machine::process`]); each
//! one also becomes a [`StreamEvent`].  What the report keeps for its tree is dropped instead,
//! so that memory is bounded however long the stream runs:
//!
//! * a container is forgotten, with its namespaces, once its last namespace is removed (no
//!   task can be inside it any more) and its removal written;
//! * of the containers still alive, at most `max_containers` are kept per node: beyond, the
//!   oldest is forgotten, with its namespaces and tasks ([`StreamStats::forgotten`]), and later
//!   events of its tasks are attributed to no container of the stream;
//! * a namespace of no container of the stream (the host's, or one created before the stream
//!   began) is forgotten when it is removed, and at most `max_containers` of them are kept;
//! * the tasks followed are at most one per pid, dropped as they exit;
//! * the window of events still open is the report's ([`WINDOW`] serials); in a stream an event
//!   is also closed when a record stamped [`STALE_MS`] later arrives, and every open event is
//!   closed when the input has been idle ([`Reporter::flush_idle`]).
//!
//! Each node is a machine of its own, with its own bound.

use super::*;

/// In a stream, an event is closed when a record stamped this many milliseconds later arrives.
pub const STALE_MS: u64 = 2000;
/// The default bound of live containers kept per node.
pub const MAX_CONTAINERS: usize = 4096;

/// A container as a streamed event names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerRef {
    /// The stamp of the event that created it.
    pub id: Stamp,
    /// The command line of the runtime that created it.
    pub name: Option<String>,
    /// Its creation is not in the log (`Report`'s containers say the same).
    pub unknown_creation: bool,
    /// The node it is on.
    pub node: Option<String>,
    pub namespaces: Vec<NsRef>,
    /// The ids of the eight namespaces of a task inside.
    pub ids: Option<NsIds>,
    /// Namespaces of those that it did not create, and who holds them.
    pub shares: Vec<SharedNs>,
    /// The container it is nested in, while the stream knows it.
    pub parent: Option<Stamp>,
}

/// One event of the stream, one JSON line of `nsaudit plugin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamEvent {
    pub node: Option<String>,
    pub event: Stamp,
    pub records: u32,
    pub syscall: Option<Syscall>,
    pub subject: Option<Subject>,
    /// The container its task was in when it made the call; [`None`] on the host or unknown.
    pub container: Option<ContainerRef>,
    /// How that was found; [`None`] when the event names no task.
    pub attribution: Option<Attribution>,
    /// The container the event created.
    pub created: Option<ContainerRef>,
    /// The containers some of whose namespaces the event removed.
    pub removal_in: Vec<Stamp>,
    /// Every record of the event, when the stream is of whole events (`ReportOptions::whole`).
    #[serde(skip)]
    pub raw: Vec<whole::RawRecord>,
}

/// What a stream forgot or could not tell, per node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StreamStats {
    /// Live containers forgotten for the bound.
    pub forgotten: u64,
    /// Containers forgotten because they ended.
    pub ended: u64,
    /// Containers kept now.
    pub containers: usize,
    /// Namespaces kept now.
    pub namespaces: usize,
    /// Tasks followed now.
    pub tasks: usize,
}

/// The state a machine keeps to stream instead of building a report.
#[derive(Debug)]
pub(super) struct Stream {
    max_containers: usize,
    /// Events closed and not yet taken.
    out: Vec<StreamEvent>,
    /// Containers that ended, to forget once their removal is written.
    ended: Vec<Cid>,
    /// Namespaces of no container, oldest first: forgotten beyond the bound.
    loose: VecDeque<NsKey>,
    /// Namespaces of no container that were removed.
    removed: Vec<NsKey>,
    /// The time of the newest record, in milliseconds.
    pub(super) newest_ms: u64,
    stats: StreamStats,
}

impl Stream {
    pub(super) fn new(max_containers: usize) -> Self {
        Stream {
            max_containers: max_containers.max(1),
            out: Vec::new(),
            ended: Vec::new(),
            loose: VecDeque::new(),
            removed: Vec::new(),
            newest_ms: 0,
            stats: StreamStats::default(),
        }
    }
}

/// The time of a stamp in milliseconds.
pub(super) fn stamp_ms(s: &Stamp) -> u64 {
    s.sec.saturating_mul(1000).saturating_add(u64::from(s.msec))
}

impl Machine {
    /// A namespace known only by reference was added.
    pub(super) fn stream_loose(&mut self, key: NsKey) {
        if let Some(st) = &mut self.stream {
            st.loose.push_back(key);
        }
    }

    /// Namespace `key` was removed; `ended`, its container if that ended with it.
    pub(super) fn stream_removed(&mut self, key: NsKey, origin: Origin, ended: Option<Cid>) {
        if let Some(st) = &mut self.stream {
            match origin {
                Origin::Container(_) => st.ended.extend(ended),
                _ => st.removed.push(key),
            }
        }
    }

    fn container_ref(&self, c: Cid) -> Option<ContainerRef> {
        let ct = self.containers.get(&c)?;
        Some(ContainerRef {
            id: ct.stamp,
            name: ct.name.as_ref().map(|a| a.join(" ")),
            unknown_creation: ct.unknown,
            node: self.node.clone(),
            namespaces: ct.members.iter().map(|&k| self.ns_ref(k)).collect(),
            ids: ct.ids.map(NsIds),
            shares: self.shares(c),
            parent: ct
                .parents
                .first()
                .and_then(|p| self.containers.get(p))
                .map(|p| p.stamp),
        })
    }

    /// Writes the event just processed to the stream, then forgets what the bound wants.
    pub(super) fn stream_event(
        &mut self,
        ev: &mut Pending,
        subject: Option<&Subject>,
        inside: Option<Cid>,
        attribution: Option<Attribution>,
        created: Option<Cid>,
        reasons: &[(Cid, Reason)],
    ) {
        if self.stream.is_none() {
            return;
        }
        // A stream of whole events takes the records (a stream lists no events).
        let raw = std::mem::take(&mut ev.raw);
        let out = StreamEvent {
            node: self.node.clone(),
            event: ev.stamp,
            records: ev.records,
            syscall: ev.syscall.as_ref().map(|(s, _)| s.clone()),
            subject: subject.cloned(),
            container: inside.and_then(|c| self.container_ref(c)),
            attribution,
            created: created.and_then(|c| self.container_ref(c)),
            removal_in: reasons
                .iter()
                .filter(|(_, r)| *r == Reason::Removed)
                .filter_map(|(c, _)| self.containers.get(c).map(|ct| ct.stamp))
                .collect(),
            raw,
        };
        if let Some(st) = &mut self.stream {
            st.out.push(out);
        }
        self.forget();
    }

    /// Forgets a container, its namespaces and the tasks inside.
    fn forget_container(&mut self, c: Cid) {
        let Some(ct) = self.containers.remove(&c) else {
            return;
        };
        for pid in ct.tasks {
            self.tasks.remove(&pid);
        }
        for key in ct.members {
            self.forget_ns(key);
        }
    }

    /// Forgets a namespace, and its place among its parent's children.
    fn forget_ns(&mut self, key: NsKey) {
        let Some(ns) = self.namespaces.remove(&key) else {
            return;
        };
        if let Some(p) = ns.parent.and_then(|p| self.namespaces.get_mut(&p)) {
            p.children.retain(|&k| k != key);
        }
    }

    /// What the bound of the module documentation wants forgotten now.
    fn forget(&mut self) {
        let Some(st) = &mut self.stream else {
            return;
        };
        let ended = std::mem::take(&mut st.ended);
        let removed = std::mem::take(&mut st.removed);
        let max = st.max_containers;
        let mut loose = Vec::new();
        while st.loose.len() > max {
            loose.extend(st.loose.pop_front());
        }
        for c in ended {
            if self.containers.contains_key(&c) {
                self.forget_container(c);
                self.stream_stats().ended += 1;
            }
        }
        for key in removed.into_iter().chain(loose) {
            // Namespaces a container holds go with it, those of unknown creation too.
            if self
                .namespaces
                .get(&key)
                .is_some_and(|n| n.owner().is_none())
            {
                self.forget_ns(key);
            }
        }
        while self.containers.len() > max {
            let Some((&c, _)) = self.containers.first_key_value() else {
                break;
            };
            self.forget_container(c);
            self.stream_stats().forgotten += 1;
        }
    }

    fn stream_stats(&mut self) -> &mut StreamStats {
        &mut self.stream.as_mut().expect("streaming").stats
    }
}

impl Reporter {
    /// A reporter for a stream of records (auditd's plugin input): every event is written as
    /// a [`StreamEvent`] as soon as it is closed, and at most `max_containers` live containers
    /// are kept per node; see the module documentation.
    pub fn streaming(max_containers: usize) -> Self {
        Self::streaming_with(max_containers, false)
    }

    /// [`Reporter::streaming`], with every record of each event in its [`StreamEvent`] when
    /// `whole`.
    pub fn streaming_with(max_containers: usize, whole: bool) -> Self {
        let opts = ReportOptions {
            whole,
            ..ReportOptions::default()
        };
        let mut r = Reporter::new(opts);
        r.stream = Some(max_containers);
        r
    }

    /// Closes every open event: the input has been idle.
    pub fn flush_idle(&mut self) {
        for (i, m) in self.machines.iter_mut().enumerate() {
            if !m.pending.is_empty() {
                m.flush(true);
                self.dirty.push(i);
            }
        }
    }

    /// Moves the events closed since the last call to `out`, and their diagnostics to `diags`
    /// with their node.
    pub fn take_events(
        &mut self,
        out: &mut Vec<StreamEvent>,
        diags: &mut Vec<(Option<String>, Diagnostic)>,
    ) {
        self.dirty.sort_unstable();
        self.dirty.dedup();
        for i in self.dirty.drain(..) {
            let m = &mut self.machines[i];
            if let Some(st) = &mut m.stream {
                out.append(&mut st.out);
            }
            diags.extend(m.diagnostics.drain(..).map(|d| (m.node.clone(), d)));
        }
        diags.extend(self.diagnostics.drain(..).map(|d| (None, d)));
    }

    /// What the stream of each node forgot and keeps now.
    pub fn stream_stats(&self) -> Vec<(Option<String>, StreamStats)> {
        self.machines
            .iter()
            .filter_map(|m| {
                let st = m.stream.as_ref()?;
                let stats = StreamStats {
                    containers: m.containers.len(),
                    namespaces: m.namespaces.len(),
                    tasks: m.tasks.len(),
                    ..st.stats
                };
                Some((m.node.clone(), stats))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
