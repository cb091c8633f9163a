// SPDX-License-Identifier: GPL-2.0

//! The report as text, JSON and a Graphviz graph.

use super::*;

/// `12 (mnt 2, net 10)`: the total and the types that have any.
fn per_kind(counts: &PerKind) -> String {
    let total = counts.total();
    let parts: Vec<String> = NsKind::ALL
        .iter()
        .filter(|&&k| counts[k] > 0)
        .map(|&k| format!("{} {}", k.name(), counts[k]))
        .collect();
    if parts.is_empty() {
        "0".into()
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

/// `s` inside a double-quoted Graphviz string.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The lines under a listed event: when, who by name, what ran, where.
fn write_details<W: Write>(w: &mut W, d: &whole::Details) -> io::Result<()> {
    let user = |k: &str, v: &Option<String>| v.as_ref().map(|n| format!(" {k}={n}"));
    let users: String = [("user", &d.user), ("euser", &d.euser), ("auser", &d.auser)]
        .iter()
        .filter_map(|(k, v)| user(k, v))
        .collect();
    writeln!(w, "      time={}{users}", d.time)?;
    if let Some(a) = &d.args {
        writeln!(w, "      args={a:?}")?;
    } else if let Some(t) = &d.title {
        writeln!(w, "      title={t:?}")?;
    }
    if d.cwd.is_some() || !d.paths.is_empty() {
        let cwd = d
            .cwd
            .as_deref()
            .map_or(String::new(), |c| format!("cwd={c:?} "));
        writeln!(w, "      {cwd}paths={:?}", d.paths)?;
    }
    Ok(())
}

fn subject_text(s: &Subject) -> String {
    let mut t = format!("pid={} ppid={}", s.pid, s.ppid);
    for (k, v) in [("uid", s.uid), ("auid", s.auid), ("ses", s.ses)] {
        if let Some(v) = v {
            t += &format!(" {k}={v}");
        }
    }
    match &s.comm {
        Some(c) => t += &format!(" comm={c:?}"),
        None => t += " comm=(null)",
    }
    match &s.exe {
        Some(e) => t += &format!(" exe={e:?}"),
        None => t += " exe=(null)",
    }
    t
}

fn syscall_text(c: &Syscall) -> String {
    let mut t = match c.name {
        Some(n) => format!("{n}({})", c.nr),
        None => format!("syscall {}", c.nr),
    };
    if let Some(s) = c.success {
        t += if s { " success=yes" } else { " success=no" };
    }
    if let Some(e) = c.exit {
        t += &format!(" exit={e}");
    }
    if let Some(k) = &c.key {
        t += &format!(" key={k:?}");
    }
    t
}

impl Report {
    /// Whether a line could not be read.
    pub fn has_errors(&self) -> bool {
        self.summary.bad_lines > 0
    }

    /// The report as text: the counts, the containers as a tree, the lineage of the
    /// namespaces, and the events of a selection.
    pub fn write_text<W: Write>(&self, w: &mut W) -> io::Result<()> {
        self.write_text_as(w, "nsaudit report")
    }

    /// The report as text, its first line starting with `label`.
    fn write_text_as<W: Write>(&self, w: &mut W, label: &str) -> io::Result<()> {
        self.write_counts(w, label)?;
        self.write_containers(w)?;
        self.write_lineage(w)?;
        self.write_selected_events(w)
    }

    /// The counts of the log and what a selection matched.
    fn write_counts<W: Write>(&self, w: &mut W, label: &str) -> io::Result<()> {
        let s = &self.summary;
        writeln!(
            w,
            "{label}: {} records in {} events, {} lines of {}",
            s.records,
            s.events,
            s.lines,
            s.files.join(", ")
        )?;
        writeln!(w, "namespaces created: {}", per_kind(&s.created))?;
        writeln!(
            w,
            "namespaces existing at module load: {}",
            per_kind(&s.existing)
        )?;
        writeln!(
            w,
            "namespaces removed: {}, {} of them created before the log",
            per_kind(&s.removed),
            s.removed_unknown
        )?;
        writeln!(
            w,
            "containers: {}, {} ended, {} alive at the end of the log, {} of unknown creation",
            s.containers,
            s.containers_ended,
            s.containers - s.containers_ended,
            s.containers_unknown
        )?;
        if s.events_ns_info == 0 {
            writeln!(
                w,
                "AUDIT_NS_INFO: none in the log, events are attributed by pid"
            )?;
        } else {
            writeln!(
                w,
                "AUDIT_NS_INFO: {} events, {} of them in a container of the log; {} events of \
                 tasks in the initial namespaces",
                s.events_ns_info,
                s.events_ns_info - s.events_ns_info_unmatched,
                s.events_initial
            )?;
        }
        if s.bad_lines + s.warnings + s.late_records > 0 {
            writeln!(
                w,
                "problems: {} bad lines, {} warnings, {} late records",
                s.bad_lines, s.warnings, s.late_records
            )?;
        }
        if let Some(sel) = &self.selection {
            writeln!(w)?;
            let ns: Vec<String> = sel.namespaces.iter().map(|n| n.to_string()).collect();
            let cs: Vec<String> = sel.containers.iter().map(|c| c.to_string()).collect();
            writeln!(
                w,
                "selected namespaces: {}",
                if ns.is_empty() {
                    "none".into()
                } else {
                    ns.join(", ")
                }
            )?;
            writeln!(
                w,
                "selected containers: {}",
                if cs.is_empty() {
                    "none".into()
                } else {
                    cs.join(", ")
                }
            )?;
        }
        Ok(())
    }

    /// The containers as a tree.
    fn write_containers<W: Write>(&self, w: &mut W) -> io::Result<()> {
        writeln!(w)?;
        writeln!(
            w,
            "containers (the namespaces a runtime created for one run):"
        )?;
        if self.containers.is_empty() {
            writeln!(w, "  none")?;
        }
        for c in &self.containers {
            let pad = "  ".repeat(c.depth + 1);
            let kinds: Vec<&str> = c.namespaces.iter().map(|n| n.kind).collect();
            writeln!(w, "{pad}container {}: {}", c.id, kinds.join(" "))?;
            if let Some(name) = &c.name {
                writeln!(w, "{pad}  name        {name}")?;
            }
            if c.unknown_creation {
                writeln!(
                    w,
                    "{pad}  created by  unknown: before the log, or left out of the input; first \
                     seen  [{}:{}]",
                    c.file, c.line
                )?;
            } else {
                let creator = c.creator.as_ref().map_or("unknown".into(), subject_text);
                writeln!(w, "{pad}  created by  {creator}")?;
                let call = c
                    .syscall
                    .as_ref()
                    .map_or("no SYSCALL record".into(), syscall_text);
                writeln!(w, "{pad}              {call}  [{}:{}]", c.file, c.line)?;
            }
            for (i, n) in c.namespaces.iter().enumerate() {
                let head = if i == 0 { "namespaces" } else { "" };
                writeln!(w, "{pad}  {head:<10}  {n}")?;
            }
            for (i, sh) in c.shares.iter().enumerate() {
                let head = if i == 0 { "shares" } else { "" };
                let with = sh.container.map_or("no container of the log".into(), |s| {
                    format!("container {s}")
                });
                writeln!(w, "{pad}  {head:<10}  {} with {with}", sh.ns)?;
            }
            match c.ended {
                Some(e) => writeln!(w, "{pad}  ended       {e} (last removal)")?,
                None => writeln!(
                    w,
                    "{pad}  ended       no: {} of {} namespaces removed by the end of the log",
                    c.removed,
                    c.namespaces.len()
                )?,
            }
            writeln!(
                w,
                "{pad}  inside      {} events ({} by AUDIT_NS_INFO, {} by pid), {} with nested \
                 containers; {} tasks",
                c.events_inside,
                c.events_by_ns_info,
                c.events_by_pid,
                c.events_with_nested,
                c.tasks_seen
            )?;
        }
        Ok(())
    }

    /// The lineage of the namespaces.
    fn write_lineage<W: Write>(&self, w: &mut W) -> io::Result<()> {
        writeln!(w)?;
        writeln!(w, "lineage (old_<t>ns_id -> <t>ns_id):")?;
        for n in &self.namespaces {
            let pad = "  ".repeat(n.depth + 1);
            let origin = match (n.origin, n.created) {
                ("container", Some(s)) => format!("container {s}"),
                ("existing", Some(s)) => format!("existing at {s}"),
                _ => "origin not in the log".into(),
            };
            let removed = n
                .removed
                .map_or(String::new(), |r| format!(", removed {r}"));
            writeln!(w, "{pad}{}  {origin}{removed}", n.ns)?;
        }
        Ok(())
    }

    /// The events of a selection, one a line.
    fn write_selected_events<W: Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(sel) = &self.selection {
            writeln!(w)?;
            writeln!(w, "events in the selection ({}):", sel.events.len())?;
            for e in &sel.events {
                let mut t = format!("  {}  {}:{}", e.stamp, e.file, e.line);
                if let Some(c) = &e.syscall {
                    t += &format!("  {}", syscall_text(c));
                }
                if let Some(s) = &e.subject {
                    t += &format!("  {}", subject_text(s));
                }
                for n in &e.namespaces {
                    t += &format!("  {n}");
                }
                let how = match e.attribution {
                    Some(Attribution::NsInfo) => " by AUDIT_NS_INFO",
                    _ => "",
                };
                for (c, r) in &e.containers {
                    let (r, how) = match r {
                        Reason::Created => ("created", ""),
                        Reason::Removed => ("removal in", ""),
                        Reason::Inside => ("inside", how),
                    };
                    t += &format!("  [{r} {c}{how}]");
                }
                writeln!(w, "{t}")?;
                write_details(w, &e.details)?;
            }
        }
        Ok(())
    }

    /// The report as one JSON object.
    pub fn write_json<W: Write>(&self, w: &mut W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self).map_err(io::Error::other)?;
        writeln!(w)
    }

    /// The lineage as a Graphviz graph: a node per namespace, an edge from each to those
    /// derived from it, a cluster per container, labelled with its creator and its events.
    pub fn write_dot<W: Write>(&self, w: &mut W) -> io::Result<()> {
        writeln!(w, "digraph nsaudit {{")?;
        writeln!(w, "  rankdir=LR;")?;
        writeln!(w, "  node [shape=box, fontname=\"monospace\"];")?;
        self.write_dot_body(w, "", "  ")?;
        writeln!(w, "}}")
    }

    /// The clusters, nodes and edges of the graph, their names starting with `prefix`, each
    /// line with `pad`.
    fn write_dot_body<W: Write>(&self, w: &mut W, prefix: &str, pad: &str) -> io::Result<()> {
        let node = |n: &NsRef| format!("\"{prefix}{}_{}\"", n.kind, n.id);
        for (i, c) in self.containers.iter().enumerate() {
            let who = c.creator.as_ref().map_or(String::new(), |s| {
                format!(
                    "\\npid {} {}",
                    s.pid,
                    dot_escape(s.comm.as_deref().unwrap_or(""))
                )
            });
            let inside = format!(
                "\\ninside {} ({} by AUDIT_NS_INFO, {} by pid)",
                c.events_inside, c.events_by_ns_info, c.events_by_pid
            );
            writeln!(w, "{pad}subgraph cluster_{prefix}{i} {{")?;
            writeln!(w, "{pad}  label=\"container {}{who}{inside}\";", c.id)?;
            for n in &c.namespaces {
                writeln!(w, "{pad}  {};", node(n))?;
            }
            writeln!(w, "{pad}}}")?;
        }
        for n in &self.namespaces {
            let removed = n
                .removed
                .map_or(String::new(), |r| format!("\\nremoved {r}"));
            let origin = if n.origin == "existing" {
                "\\nexisting"
            } else {
                ""
            };
            writeln!(
                w,
                "{pad}{} [label=\"{}:{}\\nid {}{origin}{removed}\"];",
                node(&n.ns),
                n.ns.kind,
                n.ns.inode,
                n.ns.id
            )?;
            if let Some(p) = &n.parent {
                writeln!(w, "{pad}{} -> {};", node(p), node(&n.ns))?;
            }
        }
        Ok(())
    }
}

impl Fleet {
    /// The label of a report's first line: its node, or what it holds.
    fn label(r: &Report) -> String {
        match &r.node {
            Some(n) => format!("node {n}"),
            None => "lines without node=".into(),
        }
    }

    /// The reports as text: a log of one machine without `node=` as
    /// [`Report::write_text`]; otherwise a line for the log as a whole, then the report of
    /// each node, its first line naming the node.
    pub fn write_text<W: Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(r) = self.plain() {
            return r.write_text(w);
        }
        let names: Vec<&str> = self
            .reports
            .iter()
            .map(|r| r.node.as_deref().unwrap_or("(lines without node=)"))
            .collect();
        writeln!(
            w,
            "nsaudit report: {} nodes, {} lines of {}",
            self.reports.len(),
            self.lines,
            self.files.join(", ")
        )?;
        if !names.is_empty() {
            writeln!(w, "nodes: {}", names.join(", "))?;
        }
        if self.bad_lines + self.warnings > 0 {
            writeln!(
                w,
                "problems of no one node: {} bad lines, {} warnings",
                self.bad_lines, self.warnings
            )?;
        }
        for r in &self.reports {
            writeln!(w)?;
            writeln!(w, "=== {} ===", Self::label(r))?;
            r.write_text_as(w, &Self::label(r))?;
        }
        Ok(())
    }

    /// The reports as one JSON object: a log of one machine without `node=` as
    /// [`Report::write_json`]; otherwise `{"nodes": [report...], ...}`, each with its `node`.
    pub fn write_json<W: Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(r) = self.plain() {
            return r.write_json(w);
        }
        serde_json::to_writer_pretty(&mut *w, self).map_err(io::Error::other)?;
        writeln!(w)
    }

    /// The lineage as one Graphviz graph: a log of one machine without `node=` as
    /// [`Report::write_dot`]; otherwise a cluster per node around its containers and
    /// namespaces, whose names start with `n<index>_`.
    pub fn write_dot<W: Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(r) = self.plain() {
            return r.write_dot(w);
        }
        writeln!(w, "digraph nsaudit {{")?;
        writeln!(w, "  rankdir=LR;")?;
        writeln!(w, "  node [shape=box, fontname=\"monospace\"];")?;
        for (i, r) in self.reports.iter().enumerate() {
            writeln!(w, "  subgraph cluster_n{i} {{")?;
            writeln!(w, "    label=\"{}\";", dot_escape(&Self::label(r)))?;
            r.write_dot_body(w, &format!("n{i}_"), "    ")?;
            writeln!(w, "  }}")?;
        }
        writeln!(w, "}}")
    }
}
