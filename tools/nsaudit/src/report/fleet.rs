// SPDX-License-Identifier: GPL-2.0

//! Many machines in one log: the lines of a central log (auditd's `name_format`, forwarded by
//! `audisp-remote` or a log shipper) begin with `node=NAME `.  Namespace ids, serials and pids
//! are unique only on one machine, so each node is read by a [`Machine`] of its own, with its
//! own window of events, namespaces, containers and tasks; lines without `node=` are one more
//! machine.  A log without `node=` is therefore read exactly as before.

use super::*;

/// Why the node of a line cannot be told; the line counts as bad for the log as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NodeError {
    #[error("node= with an empty name")]
    Empty,
    #[error("node name with a byte that is not printable ASCII: {0}")]
    BadChar(String),
    #[error("a second node= prefix")]
    Twice,
}

/// The node prefix of a line: `node=NAME ` as auditd writes it.  Returns the name (printable
/// ASCII but the space, which ends it) and the rest, the record; [`None`] for a line without
/// the prefix.  A second prefix is refused: forwarding adds none to a line that has one.
pub fn split_node(line: &[u8]) -> Result<(Option<&[u8]>, &[u8]), NodeError> {
    let Some(r) = line.strip_prefix(b"node=") else {
        return Ok((None, line));
    };
    let (name, rest) = match r.iter().position(|&b| b == b' ') {
        Some(i) => (&r[..i], &r[i + 1..]),
        None => (r, &[][..]),
    };
    if name.is_empty() {
        return Err(NodeError::Empty);
    }
    if !name.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(NodeError::BadChar(snippet(&String::from_utf8_lossy(name))));
    }
    if rest.starts_with(b"node=") {
        return Err(NodeError::Twice);
    }
    Ok((Some(name), rest))
}

/// Reads auditd logs, of one machine or of many, and builds a report per node.
pub struct Reporter {
    opts: ReportOptions,
    files: Vec<String>,
    /// One per node, in the order of the node's first line.
    pub(super) machines: Vec<Machine>,
    /// The machine of each node name.
    by_node: HashMap<Vec<u8>, usize>,
    /// The machine of the lines without `node=`.
    plain: Option<usize>,
    /// The machine of the previous line, not to look its node up again: lines of one node
    /// come in runs.
    last: Option<(Vec<u8>, usize)>,
    /// Lines of no machine: blank lines, `ausearch` separators, lines of nodes not selected.
    other_lines: u64,
    /// Lines whose node cannot be told.
    bad_lines: u64,
    warnings: u64,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Streaming: the bound of live containers per node (`stream.rs`).
    pub(super) stream: Option<usize>,
    /// Streaming: the machines that closed events since they were taken.
    pub(super) dirty: Vec<usize>,
}

impl Reporter {
    pub fn new(opts: ReportOptions) -> Self {
        Reporter {
            opts,
            files: Vec::new(),
            machines: Vec::new(),
            by_node: HashMap::new(),
            plain: None,
            last: None,
            other_lines: 0,
            bad_lines: 0,
            warnings: 0,
            diagnostics: Vec::new(),
            stream: None,
            dirty: Vec::new(),
        }
    }

    /// The lines that follow are those of file `name` (what messages call it).
    pub fn start_file(&mut self, name: &str) {
        self.files.push(name.to_string());
        for m in &mut self.machines {
            m.add_file(name);
        }
    }

    /// Reads one log, `name` being what messages call it.  Lines that cannot be parsed are
    /// counted and reported as diagnostics; only a read error stops the file.
    pub fn read<R: BufRead>(&mut self, name: &str, mut reader: R) -> Result<(), ReportError> {
        self.start_file(name);
        let mut buf = Vec::with_capacity(1024);
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|source| ReportError::Read {
                    file: name.to_string(),
                    line: line_no,
                    source,
                })?;
            if n == 0 {
                break;
            }
            line_no += 1;
            self.push_line(&buf, line_no);
        }
        Ok(())
    }

    /// Takes line `line_no` of the current file (`<input>` if none was started), with its
    /// newline if it has one (a last line without is reported as possibly cut).
    pub fn push_line(&mut self, buf: &[u8], line_no: u64) {
        if self.files.is_empty() {
            self.start_file("<input>");
        }
        let file = u32::try_from(self.files.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let loc = Loc {
            file,
            line: line_no,
        };
        let complete = buf.last() == Some(&b'\n');
        let text = if complete { &buf[..buf.len() - 1] } else { buf };
        if text.iter().all(|b| b.is_ascii_whitespace())
            || text.starts_with(b"----")
            || text.starts_with(b"time->")
        {
            self.other_lines += 1;
            return;
        }
        let (node, record) = match split_node(text) {
            Ok(split) => split,
            Err(e) => {
                self.bad_line(loc, e.to_string());
                return;
            }
        };
        let Some(i) = self.machine_of(node) else {
            self.other_lines += 1;
            return;
        };
        if self.stream.is_some() {
            self.dirty.push(i);
        }
        let m = &mut self.machines[i];
        m.summary.lines += 1;
        let r = if record.iter().all(|b| b.is_ascii_whitespace()) {
            Err(LineError::NoRecord)
        } else {
            m.line(record, loc)
        };
        m.line_result(r, complete, loc);
    }

    fn bad_line(&mut self, loc: Loc, message: String) {
        self.bad_lines += 1;
        let file = self.files[loc.file as usize].clone();
        self.fleet_diag(file, loc.line, Severity::Error, message);
    }

    /// A problem of the log as a whole, at `file:line` (an option and 0 for a selection).
    fn fleet_diag(&mut self, file: String, line: u64, severity: Severity, message: String) {
        if severity == Severity::Warning {
            self.warnings += 1;
        }
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(Diagnostic {
                file,
                line,
                severity,
                message,
            });
        }
    }

    /// The machine of the lines of `node`, made at its first line; [`None`] for a node that
    /// `--node` leaves out.
    fn machine_of(&mut self, node: Option<&[u8]>) -> Option<usize> {
        let Some(name) = node else {
            if self.plain.is_none() && self.opts.nodes.is_empty() {
                self.plain = Some(self.add_machine(None));
            }
            return self.plain;
        };
        if let Some((last, m)) = &self.last {
            if last[..] == *name {
                return Some(*m);
            }
        }
        let m = match self.by_node.get(name) {
            Some(&m) => m,
            None => {
                // Printable ASCII: split_node checked it.
                let text = String::from_utf8_lossy(name).into_owned();
                if !self.opts.nodes.is_empty() && !self.opts.nodes.contains(&text) {
                    return None;
                }
                let m = self.add_machine(Some(text));
                self.by_node.insert(name.to_vec(), m);
                m
            }
        };
        self.last = Some((name.to_vec(), m));
        Some(m)
    }

    fn add_machine(&mut self, node: Option<String>) -> usize {
        self.machines.push(Machine::new(
            self.opts.clone(),
            node,
            &self.files,
            self.stream,
        ));
        self.machines.len() - 1
    }

    /// Ends the input: the report of every machine.  The report of a log without `node=`
    /// gets the lines and problems of the log as a whole too, as before; an empty log without
    /// `--node` is such a log.
    pub fn finish(mut self) -> Fleet {
        if self.machines.is_empty() && self.opts.nodes.is_empty() {
            self.add_machine(None);
        }
        let mut hits = vec![false; self.opts.events.len()];
        let mut reports = Vec::new();
        for m in std::mem::take(&mut self.machines) {
            let (report, h) = m.finish();
            hits.iter_mut().zip(h).for_each(|(a, b)| *a |= b);
            reports.push(report);
        }
        self.warn_unmatched(&hits, &reports);
        let mut fleet = Fleet {
            reports,
            files: self.files,
            lines: self.other_lines,
            bad_lines: self.bad_lines,
            warnings: self.warnings,
            diagnostics: self.diagnostics,
        };
        fleet.lines += fleet.reports.iter().map(|r| r.summary.lines).sum::<u64>();
        if let [one @ Report { node: None, .. }] = &mut fleet.reports[..] {
            one.summary.lines += self.other_lines;
            one.summary.bad_lines += fleet.bad_lines;
            one.summary.warnings += fleet.warnings;
            one.diagnostics.append(&mut fleet.diagnostics);
            fleet.bad_lines = 0;
            fleet.warnings = 0;
        }
        fleet
    }

    /// A warning for each `--event` that matched no creating event of any node, each `--ns`
    /// and `--container` that matched nothing, and each `--node` that named no line.
    fn warn_unmatched(&mut self, hits: &[bool], reports: &[Report]) {
        for (sel, hit) in self.opts.events.clone().iter().zip(hits) {
            if !hit {
                let what = match sel {
                    EventSelector::Serial(n) => format!("serial {n}"),
                    EventSelector::Stamp(s) => s.to_string(),
                };
                let msg = format!("no event with {what} created a namespace");
                self.fleet_diag("--event".into(), 0, Severity::Warning, msg);
            }
        }
        for sel in self.opts.ns.clone() {
            let found = reports.iter().any(|r| {
                r.selection.as_ref().is_some_and(|s| {
                    s.namespaces.iter().any(|n| match sel {
                        NsSelector::Id(id) => n.id == id,
                        NsSelector::Inode(k, inum) => n.kind == k.name() && n.inode == inum,
                    })
                })
            });
            if !found {
                let what = match sel {
                    NsSelector::Id(id) => format!("id {id}"),
                    NsSelector::Inode(k, inum) => format!("{}:{inum}", k.name()),
                };
                let msg = format!("no namespace with {what} in the log");
                self.fleet_diag("--ns".into(), 0, Severity::Warning, msg);
            }
        }
        for name in self.opts.containers.clone() {
            let named = reports.iter().flat_map(|r| &r.containers).any(|c| {
                c.name.as_deref().is_some_and(|n| {
                    let argv: Vec<String> = n.split(' ').map(str::to_string).collect();
                    super::names::names(&argv, &name)
                })
            });
            if !named {
                let msg = format!("no container's command line names {name:?}");
                self.fleet_diag("--container".into(), 0, Severity::Warning, msg);
            }
        }
        for node in self.opts.nodes.clone() {
            if !reports.iter().any(|r| r.node.as_ref() == Some(&node)) {
                let msg = format!("no line of node {node:?}");
                self.fleet_diag("--node".into(), 0, Severity::Warning, msg);
            }
        }
    }
}

/// Reads the logs in order and builds the report of every node.
pub fn report_from_readers<R: BufRead>(
    opts: ReportOptions,
    inputs: impl IntoIterator<Item = (String, R)>,
) -> Result<Fleet, ReportError> {
    let mut r = Reporter::new(opts);
    for (name, input) in inputs {
        r.read(&name, input)?;
    }
    Ok(r.finish())
}

#[cfg(test)]
mod tests;
