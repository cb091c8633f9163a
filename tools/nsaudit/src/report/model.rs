// SPDX-License-Identifier: GPL-2.0

//! The finished report: what `--format json` prints and the renderers read.

use super::*;

/// Why an event belongs to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The event created the container's namespaces.
    Created,
    /// A record of the event removed one of its namespaces.
    Removed,
    /// The task was inside the container.
    Inside,
}

/// How the report knows where the task of an event was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// From the ids of the event's `AUDIT_NS_INFO` record.
    NsInfo,
    /// A system call event without an `AUDIT_NS_INFO` record in a log that has them: the task
    /// was in the initial namespaces.
    Initial,
    /// The heuristic: the task followed by pid.
    Pid,
}

/// An event listed in a selection.
#[derive(Debug, Clone, Serialize)]
pub struct EventOut {
    pub stamp: Stamp,
    pub file: String,
    pub line: u64,
    pub records: u32,
    /// Record type numbers (0 for names nsaudit does not know), at most eight.
    pub types: Vec<u16>,
    pub subject: Option<Subject>,
    pub syscall: Option<Syscall>,
    /// `INIT net:4026532033 id=28` for each namespace record.
    pub namespaces: Vec<String>,
    /// The containers it belongs to and why.
    pub containers: Vec<(Stamp, Reason)>,
    /// How its task's container was found; [`None`] when the event names no task and has no
    /// `AUDIT_NS_INFO` record.
    pub attribution: Option<Attribution>,
    /// What its records say of the process: time, arguments, title, directory, paths, user
    /// names (`whole.rs`).
    pub details: whole::Details,
}

/// A count per namespace type, indexed by [`NsKind::index`]; a JSON object by type name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerKind(pub [u64; NsKind::COUNT]);

impl PerKind {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl std::ops::Index<NsKind> for PerKind {
    type Output = u64;
    fn index(&self, k: NsKind) -> &u64 {
        &self.0[k.index()]
    }
}

impl Serialize for PerKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(NsKind::COUNT))?;
        for k in NsKind::ALL {
            m.serialize_entry(k.name(), &self.0[k.index()])?;
        }
        m.end()
    }
}

/// Counts of the whole log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files: Vec<String>,
    pub lines: u64,
    pub records: u64,
    pub events: u64,
    pub bad_lines: u64,
    pub warnings: u64,
    /// INIT `op=create` records per type.
    pub created: PerKind,
    /// INIT `op=existing` records per type.
    pub existing: PerKind,
    /// DEL records per type.
    pub removed: PerKind,
    /// DEL records of namespaces the log has no INIT record for.
    pub removed_unknown: u64,
    pub containers: u64,
    /// Of those, containers of unknown creation: their namespaces were created before the log
    /// began, or the input leaves out their creation.
    pub containers_unknown: u64,
    pub containers_ended: u64,
    /// Records of an event that arrived after the event was closed.
    pub late_records: u64,
    /// Events with an `AUDIT_NS_INFO` record.
    pub events_ns_info: u64,
    /// Of those, events whose ids are in no container of the log (the task was in namespaces
    /// created before the log began, or on the host).
    pub events_ns_info_unmatched: u64,
    /// Events with an `AUDIT_NS_INFO` record inside containers of unknown creation.
    pub events_unknown_creation: u64,
    /// System call events without an `AUDIT_NS_INFO` record, from the first event with one on:
    /// events of tasks in the initial namespaces.
    pub events_initial: u64,
}

/// A namespace as the report prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NsRef {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub inode: u64,
    pub id: u64,
}

impl fmt::Display for NsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} id={}", self.kind, self.inode, self.id)
    }
}

/// The ids of a task's eight namespaces, a JSON object by type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsIds(pub NsInfo);

impl Serialize for NsIds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(NsKind::COUNT))?;
        for k in NsKind::ALL {
            m.serialize_entry(k.name(), &self.0.id(k))?;
        }
        m.end()
    }
}

/// A namespace a container has but did not create: another container's (a pod's network
/// namespace, the namespaces a nested container kept from its parent's), or one of no
/// container of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SharedNs {
    #[serde(flatten)]
    pub ns: NsRef,
    /// The container that holds it.
    pub container: Option<Stamp>,
}

/// A container in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerOut {
    /// The stamp of the event that created it, which names it; for a container of unknown
    /// creation, of the first event seen inside.
    pub id: Stamp,
    /// The command line of the runtime that created it.
    pub name: Option<String>,
    /// Its creation is not in the log: it holds namespaces of `AUDIT_NS_INFO` records that no
    /// event of the log created.
    pub unknown_creation: bool,
    pub file: String,
    pub line: u64,
    pub creator: Option<Subject>,
    pub syscall: Option<Syscall>,
    pub namespaces: Vec<NsRef>,
    /// The ids of the eight namespaces of a task inside, from the last `AUDIT_NS_INFO` record.
    pub ids: Option<NsIds>,
    /// Namespaces of those that it did not create, and who holds them.
    pub shares: Vec<SharedNs>,
    /// The container it is nested in (its namespaces were derived from that one's, or a task
    /// inside that one created it).
    pub parent: Option<Stamp>,
    /// Other containers some of its namespaces were derived from.
    pub also_derived_from: Vec<Stamp>,
    /// Nesting depth in the report's tree (0: created on the host).
    pub depth: usize,
    /// How many of its namespaces were removed.
    pub removed: usize,
    /// The last removal, when all of them were removed.
    pub ended: Option<Stamp>,
    /// Events of tasks inside it.
    pub events_inside: u64,
    /// Of those, the events attributed by their `AUDIT_NS_INFO` record.
    pub events_by_ns_info: u64,
    /// Of those, the events attributed by the heuristic.
    pub events_by_pid: u64,
    /// Events of tasks inside it or a container nested in it.
    pub events_with_nested: u64,
    /// Tasks (pids) seen inside.
    pub tasks_seen: u64,
}

/// A namespace in the report.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceOut {
    #[serde(flatten)]
    pub ns: NsRef,
    /// `container`, `existing` (op=existing at module load) or `unknown` (seen only as an
    /// `old_` or removed).
    pub origin: &'static str,
    /// The container (creating event) or the module load event.
    pub created: Option<Stamp>,
    pub parent: Option<NsRef>,
    pub removed: Option<Stamp>,
    /// Depth in the lineage tree.
    pub depth: usize,
}

/// What `--ns` and `--event` matched, and the events listed for them.
#[derive(Debug, Clone, Serialize)]
pub struct SelectionOut {
    pub namespaces: Vec<NsRef>,
    pub containers: Vec<Stamp>,
    pub events: Vec<EventOut>,
}

/// The finished report of one machine.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The node its lines named (`node=NAME`); absent for lines without.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub summary: Summary,
    pub containers: Vec<ContainerOut>,
    pub namespaces: Vec<NamespaceOut>,
    pub selection: Option<SelectionOut>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The reports of a log: one per node, in the order of the node's first line.  A log without
/// `node=` prefixes has one report, without a node, and is printed as before; a log with them
/// prints a report per node.
#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    #[serde(rename = "nodes")]
    pub reports: Vec<Report>,
    /// Every file read.
    pub files: Vec<String>,
    /// Every line read, of every node, blank lines and `ausearch` separators too.
    pub lines: u64,
    /// Lines whose node cannot be told (`node=` with an empty or unprintable name).
    pub bad_lines: u64,
    /// Warnings of no one node: a `--event` or `--node` that matched nothing.
    pub warnings: u64,
    /// The messages of those; a report of one machine has them in its own.
    pub diagnostics: Vec<Diagnostic>,
}

impl Fleet {
    /// The report of a log of one machine without `node=`, which is printed as before.
    pub fn plain(&self) -> Option<&Report> {
        match &self.reports[..] {
            [one] if one.node.is_none() => Some(one),
            _ => None,
        }
    }

    /// The report of a log of one machine without `node=`; [`None`] for a log of nodes.
    pub fn into_plain(self) -> Option<Report> {
        self.plain()?;
        self.reports.into_iter().next()
    }

    /// The report of node `name` (`None`: of the lines without `node=`).
    pub fn node(&self, name: Option<&str>) -> Option<&Report> {
        self.reports.iter().find(|r| r.node.as_deref() == name)
    }

    /// Whether a line could not be read.
    pub fn has_errors(&self) -> bool {
        self.bad_lines > 0 || self.reports.iter().any(Report::has_errors)
    }

    /// Lines that could not be read, of every node.
    pub fn total_bad_lines(&self) -> u64 {
        self.bad_lines
            + self
                .reports
                .iter()
                .map(|r| r.summary.bad_lines)
                .sum::<u64>()
    }

    /// Every message, those of the log as a whole first, then each node's.
    pub fn all_diagnostics(&self) -> impl Iterator<Item = (Option<&str>, &Diagnostic)> {
        let fleet = self.diagnostics.iter().map(|d| (None, d));
        let nodes = self
            .reports
            .iter()
            .flat_map(|r| r.diagnostics.iter().map(move |d| (r.node.as_deref(), d)));
        fleet.chain(nodes)
    }

    /// Problems in all (bad lines and warnings), shown or not.
    pub fn problems(&self) -> u64 {
        self.bad_lines
            + self.warnings
            + self
                .reports
                .iter()
                .map(|r| r.summary.bad_lines + r.summary.warnings)
                .sum::<u64>()
    }
}
