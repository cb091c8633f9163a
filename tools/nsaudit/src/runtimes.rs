// SPDX-License-Identifier: GPL-2.0

//! The report against what the container runtimes say: `nsaudit-guest check-runtimes` reads the
//! manifest that `scripts/guest-runtimes` writes in the Debian guest (one JSON line per
//! container a runtime ran: its name, the pid of its main process, the inode and id of each of
//! its eight namespaces as `/proc/PID/ns` showed them) and auditd's log of the same run, and
//! checks that the report has, for each run:
//!
//! * exactly one container made of the run's namespaces (none holds a part of them);
//! * its namespaces, own and shared, are the ones of `/proc/PID/ns`, by id and inode number;
//! * its name is the runtime's command line, which has the container's name or id;
//! * every `execve(2)` of a task with the run's namespaces is inside it, by its `AUDIT_NS_INFO`
//!   record, those of `<runtime> exec` included, and at least two (the main process and the
//!   exec); no event without the record (the runtime's own, on the host) is;
//! * it ended, at the removal of its namespaces, when the runtime deleted it;
//! * a run whose manifest names an outer container is nested in that one's container;
//! * the plugin's lines (the same log, streamed) put the same events in it, with the same name
//!   and ids.

use crate::nsinfo::{check_ns_info, NsInfo, AUDIT_NS_INFO};
use crate::record::{parse_log, Record, AUDIT_SYSCALL};
use crate::reference::NsKind;
use crate::report::{
    report_from_readers, ContainerOut, Reason, Report, ReportOptions, Reporter, Stamp, StreamEvent,
};
use crate::syscall::SYS_EXECVE;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One line of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    /// `crun`, `runc`, `podman`, ...
    pub runtime: String,
    /// The name the runtime was given.
    pub name: String,
    /// The container's id, where the runtime has one besides the name (podman).
    #[serde(default)]
    pub id: Option<String>,
    /// The pid of its main process on the host.
    pub pid: u32,
    /// Inode number of each namespace, by type name.
    pub ns: BTreeMap<String, u64>,
    /// `NS_GET_ID` of each namespace, by type name.
    pub ns_id: BTreeMap<String, u64>,
    /// The name of the container it was started in, if any.
    #[serde(default)]
    pub outer: Option<String>,
    /// Whether a command was run in it with the runtime's exec (not in a pod's infra).
    #[serde(default = "yes")]
    pub exec: bool,
}

fn yes() -> bool {
    true
}

/// What `guest-runtimes` wrote of its rule on one container (`one.json`): the rule's key and
/// the namespaces of the container it names and of another one, as `nsaudit id` prints them.
#[derive(Debug, Clone, Deserialize)]
pub struct One {
    pub key: String,
    pub audited: IdOut,
    pub other: IdOut,
}

/// `nsaudit id --format json`.
#[derive(Debug, Clone, Deserialize)]
pub struct IdOut {
    pub pid: u32,
    pub namespaces: BTreeMap<String, IdNs>,
}

/// A namespace of [`IdOut`].
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct IdNs {
    pub inode: u64,
    pub id: u64,
}

impl IdOut {
    fn ids(&self) -> Result<NsInfo, String> {
        NsKind::ALL
            .into_iter()
            .try_fold(NsInfo::initial(), |ids, k| {
                let n = self
                    .namespaces
                    .get(k.name())
                    .ok_or_else(|| format!("nsaudit id {}: no {}", self.pid, k.name()))?;
                Ok(ids.with(k, n.id))
            })
    }
}

impl Run {
    /// The ids of its eight namespaces.
    fn ids(&self) -> Result<NsInfo, String> {
        let mut ids = NsInfo::initial();
        for k in NsKind::ALL {
            let id = self
                .ns_id
                .get(k.name())
                .ok_or_else(|| format!("{}: no {} namespace id", self.name, k.name()))?;
            ids = ids.with(k, *id);
        }
        Ok(ids)
    }

    /// Its namespaces that are not initial ones: (type, id).
    fn own(&self, ids: &NsInfo) -> BTreeSet<(&'static str, u64)> {
        NsKind::ALL
            .into_iter()
            .filter(|&k| ids.id(k) > 8)
            .map(|k| (k.name(), ids.id(k)))
            .collect()
    }
}

/// Reads the manifest: one [`Run`] per line.
pub fn read_manifest(text: &str) -> Result<Vec<Run>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("manifest line {}: {e}", i + 1)))
        .collect()
}

/// A system call event: its number, key and `AUDIT_NS_INFO` ids.
#[derive(Debug, Default)]
struct Call {
    nr: u32,
    key: Option<String>,
    info: Option<NsInfo>,
}

/// What the log's system call events say, by serial.  Lines of other records that do not
/// parse (the kernel's `FEATURE_CHANGE` has two spaces in a row) are left out.
fn syscalls(log: &str) -> Result<HashMap<u64, Call>, String> {
    let mut out: HashMap<u64, Call> = HashMap::new();
    for item in parse_log(log.as_bytes()) {
        let Ok((_, _, r)) = item else {
            continue;
        };
        let r: Record = r;
        if r.ty == AUDIT_SYSCALL {
            let call = out.entry(r.serial).or_default();
            call.nr = r.get("syscall").and_then(|v| v.parse().ok()).unwrap_or(0);
            call.key = r.get("key").map(|k| k.trim_matches('"').to_string());
        } else if r.ty == AUDIT_NS_INFO {
            let ids = check_ns_info(&r).map_err(|e| e.join("; "))?;
            out.entry(r.serial).or_default().info = Some(ids);
        }
    }
    Ok(out)
}

/// Every problem of the report of `log` against the `runs`; none when it agrees.
pub fn check(runs: &[Run], log: &str) -> Result<Vec<String>, String> {
    let calls = syscalls(log)?;
    let report = report_of(ReportOptions::default(), log)?;
    let stream = streamed(log)?;
    let mut problems = Vec::new();
    let mut found: HashMap<&str, Stamp> = HashMap::new();
    for run in runs {
        let who = format!("{} {}", run.runtime, run.name);
        let mut say = |p: String| problems.push(format!("{who}: {p}"));
        let ids = run.ids()?;
        let own = run.own(&ids);
        // Exactly one container made of the run's namespaces.
        let made: Vec<&ContainerOut> = report
            .containers
            .iter()
            .filter(|c| {
                !c.namespaces.is_empty()
                    && c.namespaces.iter().all(|n| own.contains(&(n.kind, n.id)))
            })
            .collect();
        let [c] = made[..] else {
            let ids: Vec<String> = made.iter().map(|c| c.id.to_string()).collect();
            say(format!(
                "{} containers of its namespaces: {ids:?}",
                made.len()
            ));
            continue;
        };
        found.insert(run.name.as_str(), c.id);
        check_namespaces(run, c, &own, &mut say);
        // The name is in the command line, if not as an argument of its own
        // (`unshare ... sh -c 'hostname NAME; ...'`).
        let named = c.name.as_ref().is_some_and(|n| {
            n.contains(&run.name) || run.id.as_ref().is_some_and(|id| n.contains(id.as_str()))
        });
        if !named {
            say(format!("named {:?}", c.name));
        }
        if c.ended.is_none() {
            say(format!("container {} did not end", c.id));
        }
        let inside = check_events(c, run, &ids, &calls, log, &mut say)?;
        check_stream(c, &inside, &stream, &mut say);
    }
    // Nested only when started inside another: in that one's container, or in none.
    for run in runs {
        let Some(&c) = found.get(run.name.as_str()) else {
            continue;
        };
        let parent = report
            .containers
            .iter()
            .find(|x| x.id == c)
            .and_then(|x| x.parent);
        let want = run
            .outer
            .as_ref()
            .and_then(|o| found.get(o.as_str()).copied());
        if parent != want {
            problems.push(format!(
                "{} {}: nested in {parent:?}, not in {want:?} ({:?})",
                run.runtime, run.name, run.outer
            ));
        }
    }
    Ok(problems)
}

/// Its namespaces, own and shared, against `/proc/PID/ns`.
fn check_namespaces(
    run: &Run,
    c: &ContainerOut,
    own: &BTreeSet<(&'static str, u64)>,
    say: &mut impl FnMut(String),
) {
    let has: BTreeSet<(&str, u64)> = c
        .namespaces
        .iter()
        .chain(c.shares.iter().map(|s| &s.ns))
        .map(|n| (n.kind, n.id))
        .collect();
    if &has != own {
        say(format!(
            "namespaces {has:?}, /proc/{}/ns has {own:?}",
            run.pid
        ));
    }
    for n in c.namespaces.iter().chain(c.shares.iter().map(|s| &s.ns)) {
        let want = run.ns.get(n.kind).copied();
        if n.inode != 0 && want != Some(n.inode) {
            say(format!(
                "{} namespace inode {}, /proc has {want:?}",
                n.kind, n.inode
            ));
        }
    }
}

/// The events inside container `c` against the log's `execve` events with its ids.
fn check_events(
    c: &ContainerOut,
    run: &Run,
    ids: &NsInfo,
    calls: &HashMap<u64, Call>,
    log: &str,
    say: &mut impl FnMut(String),
) -> Result<BTreeSet<u64>, String> {
    let opts = ReportOptions {
        events: vec![crate::report::EventSelector::Stamp(c.id)],
        ..ReportOptions::default()
    };
    let sel = report_of(opts, log)?
        .selection
        .unwrap_or_else(|| unreachable!());
    let inside: BTreeSet<u64> = sel
        .events
        .iter()
        .filter(|e| e.containers.contains(&(c.id, Reason::Inside)))
        .map(|e| e.stamp.serial)
        .collect();
    let execs: BTreeSet<u64> = calls
        .iter()
        .filter(|(_, c)| c.nr == SYS_EXECVE && c.info.as_ref() == Some(ids))
        .map(|(&s, _)| s)
        .collect();
    let least = 1 + usize::from(run.exec);
    if execs.len() < least {
        say(format!(
            "{} execve events with its ids in the log, not {least} or more",
            execs.len()
        ));
    }
    let missing: Vec<&u64> = execs.difference(&inside).collect();
    if !missing.is_empty() {
        say(format!(
            "execve events with its ids not inside it: {missing:?}"
        ));
    }
    let hostside: Vec<u64> = inside
        .iter()
        .copied()
        .filter(|s| calls.get(s).is_some_and(|c| c.info.is_none()))
        .collect();
    if !hostside.is_empty() {
        say(format!(
            "events without AUDIT_NS_INFO (on the host) inside it: {hostside:?}"
        ));
    }
    Ok(inside)
}

/// The rule on one container's mount namespace id: its key is on `execve` events of that
/// container only, at least one, and the other container's `execve` events (recorded under
/// another rule) do not have it.
pub fn check_one(one: &One, log: &str) -> Result<Vec<String>, String> {
    let calls = syscalls(log)?;
    let (audited, other) = (one.audited.ids()?, one.other.ids()?);
    let mut problems = Vec::new();
    let keyed: Vec<(&u64, &Call)> = calls
        .iter()
        .filter(|(_, c)| c.key.as_deref() == Some(one.key.as_str()))
        .collect();
    if keyed.is_empty() {
        problems.push(format!("one: no event has the key {:?}", one.key));
    }
    for (s, c) in &keyed {
        if c.info != Some(audited) {
            problems.push(format!("one: event {s} has the key, with ids {:?}", c.info));
        }
    }
    let others = calls
        .values()
        .filter(|c| c.nr == SYS_EXECVE && c.info == Some(other))
        .count();
    if others == 0 {
        problems.push("one: no execve event of the other container".into());
    }
    Ok(problems)
}

/// The plugin's lines of container `c` against the report's: the same events inside it.
fn check_stream(
    c: &ContainerOut,
    inside: &BTreeSet<u64>,
    stream: &[StreamEvent],
    say: &mut impl FnMut(String),
) {
    let lines: Vec<&StreamEvent> = stream
        .iter()
        .filter(|e| e.container.as_ref().is_some_and(|x| x.id == c.id))
        .collect();
    let serials: BTreeSet<u64> = lines.iter().map(|e| e.event.serial).collect();
    if &serials != inside {
        say(format!(
            "the plugin has the events {serials:?} inside it, the report {inside:?}"
        ));
    }
    for e in lines {
        let Some(x) = e.container.as_ref() else {
            continue;
        };
        if x.name != c.name {
            say(format!(
                "event {}: the plugin names it {:?}",
                e.event, x.name
            ));
        }
        if x.ids.is_none() {
            say(format!("event {}: the plugin's line has no ids", e.event));
        }
    }
}

fn report_of(opts: ReportOptions, log: &str) -> Result<Report, String> {
    report_from_readers(opts, [("audit.log".to_string(), log.as_bytes())])
        .map_err(|e| e.to_string())?
        .into_plain()
        .ok_or_else(|| "the log has node= prefixes".to_string())
}

/// The plugin's events for `log`, as `nsaudit plugin --wait` writes them.
fn streamed(log: &str) -> Result<Vec<StreamEvent>, String> {
    let mut r = Reporter::streaming(crate::report::MAX_CONTAINERS);
    let mut out = Vec::new();
    let mut diags = Vec::new();
    r.read("audit.log", log.as_bytes())
        .map_err(|e| e.to_string())?;
    r.flush_idle();
    r.take_events(&mut out, &mut diags);
    Ok(out)
}
