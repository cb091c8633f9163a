// SPDX-License-Identifier: GPL-2.0

//! From the state of the inference to the report: trees of containers and namespaces.

use super::*;

impl Machine {
    /// The namespaces of container `c`'s tasks that it did not create and that are not
    /// initial ones, with the container that holds each.
    pub(super) fn shares(&self, c: Cid) -> Vec<SharedNs> {
        let Some(ct) = self.containers.get(&c) else {
            return Vec::new();
        };
        let Some(ids) = ct.ids else {
            return Vec::new();
        };
        NsKind::ALL
            .into_iter()
            .map(|k| (k, ids.id(k)))
            .filter(|&(k, id)| id > NS_LAST_INIT_ID && !ct.members.contains(&(k, id)))
            .map(|key| SharedNs {
                ns: self.ns_ref(key),
                container: self
                    .namespaces
                    .get(&key)
                    .and_then(Namespace::owner)
                    .and_then(|o| self.containers.get(&o))
                    .map(|o| o.stamp),
            })
            .collect()
    }

    pub(super) fn ns_ref(&self, key: NsKey) -> NsRef {
        NsRef {
            kind: key.0.name(),
            inode: self.namespaces.get(&key).map_or(0, |n| n.inum),
            id: key.1,
        }
    }

    /// Ends the input: processes the events still open and builds the report; with it, which
    /// `--event` selectors matched a creating event.
    pub(super) fn finish(mut self) -> (Report, Vec<bool>) {
        self.flush(true);
        self.warn_filtered();
        let containers = self.container_tree();
        let namespaces = self.namespace_tree();
        let selection = self.opts.selecting().then(|| self.selection());
        let report = Report {
            node: self.node,
            summary: self.summary,
            containers,
            namespaces,
            selection,
            diagnostics: self.diagnostics,
        };
        (report, self.event_hits)
    }

    /// A warning when serial numbers are missing between the events, 10 or more and more than
    /// one for ten events: the input was filtered (`ausearch -k`, `-m`, `-p`), or records were
    /// lost, and containers whose creating events it left out are of unknown creation.  The
    /// kernel numbers every event it sends, so a whole log has none missing.
    fn warn_filtered(&mut self) {
        let s = &self.summary;
        if self.serial_gaps < 10 || self.serial_gaps * 10 <= s.events {
            return;
        }
        let msg = format!(
            "the input looks filtered: {} serial numbers are missing between its {} events \
             (ausearch -k, -m or -p output, or records lost); containers whose creation it \
             leaves out are grouped by the ids of their AUDIT_NS_INFO records as of unknown \
             creation ({} of them)",
            self.serial_gaps, s.events, s.containers_unknown
        );
        self.diag(Loc { file: 0, line: 0 }, Severity::Warning, msg);
    }

    /// Whether the report shows container `c`: all of them, or those a selection wants.
    fn container_shown(&self, c: &Container) -> bool {
        !self.opts.selecting() || c.interesting
    }

    /// The containers shown, as a tree by first parent in order of creation: the roots and
    /// the children of each.
    fn container_children(&self) -> (Vec<Cid>, HashMap<Cid, Vec<Cid>>) {
        let mut children: HashMap<Cid, Vec<Cid>> = HashMap::new();
        let mut roots = Vec::new();
        for (&i, c) in &self.containers {
            if !self.container_shown(c) {
                continue;
            }
            let parent = c.parents.first().copied().filter(|p| {
                self.containers
                    .get(p)
                    .is_some_and(|pc| self.container_shown(pc))
            });
            match parent {
                Some(p) if p < i => children.entry(p).or_default().push(i),
                _ => roots.push(i),
            }
        }
        (roots, children)
    }

    /// The containers, depth first, each with the events inside it and its nested ones.
    fn container_tree(&self) -> Vec<ContainerOut> {
        let (roots, children) = self.container_children();
        let mut totals: HashMap<Cid, u64> = HashMap::new();
        for (&i, c) in self.containers.iter().rev() {
            let t = c.inside + totals.get(&i).copied().unwrap_or(0);
            totals.insert(i, t);
            if let Some(&p) = c.parents.first() {
                if p < i {
                    *totals.entry(p).or_default() += t;
                }
            }
        }
        let mut containers = Vec::new();
        let mut stack: Vec<(Cid, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            let Some(c) = self.containers.get(&i) else {
                continue;
            };
            let stamp_of = |p: Cid| self.containers.get(&p).map(|pc| pc.stamp);
            containers.push(ContainerOut {
                id: c.stamp,
                name: c.name.as_ref().map(|a| a.join(" ")),
                unknown_creation: c.unknown,
                file: self.files[c.loc.file as usize].clone(),
                line: c.loc.line,
                creator: c.creator.clone(),
                syscall: c.syscall.clone(),
                namespaces: c.members.iter().map(|&k| self.ns_ref(k)).collect(),
                ids: c.ids.map(NsIds),
                shares: self.shares(i),
                parent: c.parents.first().and_then(|&p| stamp_of(p)),
                also_derived_from: c
                    .parents
                    .iter()
                    .skip(1)
                    .filter_map(|&p| stamp_of(p))
                    .collect(),
                depth,
                removed: c.removed,
                ended: c.ended,
                events_inside: c.inside,
                events_by_ns_info: c.by_ns_info,
                events_by_pid: c.inside - c.by_ns_info,
                events_with_nested: totals.get(&i).copied().unwrap_or(0),
                tasks_seen: c.tasks_seen,
            });
            for &ch in children.get(&i).into_iter().flatten().rev() {
                stack.push((ch, depth + 1));
            }
        }
        containers
    }

    /// Whether the report shows a namespace: all of them, or those selected and those of the
    /// containers a selection wants.
    fn ns_shown(&self, ns: &Namespace) -> bool {
        !self.opts.selecting()
            || ns.selected
            || matches!(ns.origin, Origin::Container(c)
                if self.containers.get(&c).is_some_and(|ct| ct.interesting))
    }

    /// The namespaces as lineage trees, by type, then id.
    fn namespace_tree(&self) -> Vec<NamespaceOut> {
        let mut ns_roots: Vec<NsKey> = self
            .namespaces
            .iter()
            .filter(|(_, ns)| self.ns_shown(ns))
            .filter(|(_, ns)| {
                ns.parent
                    .and_then(|p| self.namespaces.get(&p))
                    .is_none_or(|p| !self.ns_shown(p))
            })
            .map(|(k, _)| *k)
            .collect();
        ns_roots.sort();
        let mut namespaces = Vec::new();
        let mut stack: Vec<(NsKey, usize)> = ns_roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((key, depth)) = stack.pop() {
            let Some(ns) = self.namespaces.get(&key) else {
                continue;
            };
            let (origin, created) = match ns.origin {
                Origin::Container(c) => ("container", self.containers.get(&c).map(|c| c.stamp)),
                Origin::Existing(s) => ("existing", Some(s)),
                Origin::Unknown => ("unknown", None),
            };
            namespaces.push(NamespaceOut {
                ns: self.ns_ref(key),
                origin,
                created,
                parent: ns.parent.map(|p| self.ns_ref(p)),
                removed: ns.removed,
                depth,
            });
            let mut ch: Vec<NsKey> = ns
                .children
                .iter()
                .copied()
                .filter(|c| self.namespaces.get(c).is_some_and(|n| self.ns_shown(n)))
                .collect();
            ch.sort();
            for c in ch.into_iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        namespaces
    }

    /// What `--ns` and `--event` matched, and the events listed for them.
    fn selection(&mut self) -> SelectionOut {
        let mut roots = self.selected_roots.clone();
        roots.sort();
        SelectionOut {
            namespaces: roots.iter().map(|&k| self.ns_ref(k)).collect(),
            containers: self
                .containers
                .values()
                .filter(|c| {
                    self.opts.events.iter().any(|e| e.matches(&c.stamp))
                        || c.members.iter().any(|m| self.selected_roots.contains(m))
                        || c.name.as_ref().is_some_and(|argv| {
                            self.opts.containers.iter().any(|n| names::names(argv, n))
                        })
                })
                .map(|c| c.stamp)
                .collect(),
            events: std::mem::take(&mut self.events),
        }
    }
}
