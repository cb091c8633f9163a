// SPDX-License-Identifier: GPL-2.0

//! Scenarios f and g: namespaces that outlive their tasks, held by an open file or a bind
//! mount, and setns(2) into them.

use super::*;

/// What keeps a namespace alive once its tasks are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    /// An open `/proc/PID/ns` file.
    Fd,
    /// A bind mount of it on a file.
    Mount,
}

impl By {
    fn what(self) -> &'static str {
        match self {
            By::Fd => "an fd",
            By::Mount => "a bind mount",
        }
    }
}

/// The namespaces a child unshares and what pins each: both ways for the first kinds and for
/// cgroup and time namespaces.
const PINS: [(NsKind, By); 4] = [
    (NsKind::Net, By::Fd),
    (NsKind::Uts, By::Mount),
    (NsKind::Cgroup, By::Fd),
    (NsKind::Time, By::Mount),
];

/// A namespace pinned, with what holds it.
struct Pin {
    kind: NsKind,
    id: NsIdent,
    by: By,
    /// The open file, for [`By::Fd`].
    file: Option<File>,
    /// The mount point, for [`By::Mount`].
    target: PathBuf,
}

impl Pin {
    /// The path that names the namespace now: the open file, or the mount point.
    fn path(&self) -> PathBuf {
        match &self.file {
            Some(f) => PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd())),
            None => self.target.clone(),
        }
    }

    /// Whether `g` is the DEL record of this namespace.
    fn is_del(&self, g: &Got) -> bool {
        g.ns.as_ref()
            .is_some_and(|r| !r.init && r.kind == self.kind && r.ns.id == self.id.id)
    }
}

impl<W: Write> Validator<W> {
    /// f and g: namespaces kept alive by an fd and by a bind mount ([`PINS`]); setns into them.
    pub(super) fn scenario_pinned(&mut self) {
        let label = "pinned";
        let kinds = PINS.map(|p| p.0);
        let Some(mut child) = self.spawn(label, &kinds, Method::Unshare, None, Hold::UntilReleased)
        else {
            return;
        };
        let info = child.info.clone();
        let ids: Vec<(NsKind, NsIdent)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, *i)))
            .collect();
        if ids.len() != kinds.len() {
            self.tap.check(
                false,
                &format!("{label}: the child reports its namespaces"),
                "missing",
            );
            return;
        }
        let want = ids.clone();
        self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| want.iter().all(|&(k, id)| has_ns(g, k, true, id.id)),
        );
        let pins: Vec<Pin> = PINS
            .iter()
            .filter_map(|&(kind, by)| {
                let id = info.ns.get(&kind).copied()?;
                self.pin(info.actor, kind, id, by)
            })
            .collect();
        self.release(label, &mut child);
        let early = self.settle(Duration::from_millis(1500));
        for p in &pins {
            self.tap.report(vec![eval_none(
                &format!(
                    "pinned: no DEL_{} while {} holds the {} namespace",
                    upper(p.kind),
                    p.by.what(),
                    p.kind.name()
                ),
                &early,
                |g| p.is_del(g),
            )]);
        }
        self.pinned_setns(&pins);
        let loose: Vec<(NsKind, NsIdent)> = ids
            .iter()
            .filter(|(k, _)| !pins.iter().any(|p| p.kind == *k))
            .copied()
            .collect();
        // Nothing holds these: they went with the child.
        self.wait_dels(&loose);
        self.pinned_release(pins, info.actor);
    }

    /// Pins the namespace `id` of `kind` of the child `actor` (for a time namespace, the one for
    /// its children) `by` an open file or a bind mount; [`None`] after a failed check.
    fn pin(&mut self, actor: i32, kind: NsKind, id: NsIdent, by: By) -> Option<Pin> {
        let name = kind.for_children_file();
        let src = format!("/proc/{actor}/ns/{name}");
        let target =
            std::env::temp_dir().join(format!("nsaudit-{}-{}", kind.name(), std::process::id()));
        let (what, made) = match by {
            By::Fd => (
                format!("pinned: open /proc/CHILD/ns/{name}"),
                File::open(&src).map(Some).map_err(|e| e.to_string()),
            ),
            By::Mount => (
                format!("pinned: bind-mount /proc/CHILD/ns/{name} on a file"),
                File::create(&target)
                    .map_err(|e| format!("create {}: {e}", target.display()))
                    .and_then(|_| {
                        nsops::bind_mount(Path::new(&src), &target).map_err(|e| e.to_string())
                    })
                    .map(|()| None),
            ),
        };
        let ok = made.is_ok();
        self.tap
            .check(ok, &what, made.as_ref().err().cloned().unwrap_or_default());
        if !ok && by == By::Mount {
            let _ = std::fs::remove_file(&target);
        }
        let file = made.ok()?;
        Some(Pin {
            kind,
            id,
            by,
            file,
            target,
        })
    }

    /// g: setns(2) into the pinned namespaces creates and removes nothing.  Each setns runs in
    /// a forked child, which has the single thread that entering a time namespace needs.
    fn pinned_setns(&mut self, pins: &[Pin]) {
        for p in pins {
            let r = nsops::setns_in_child(&p.path(), p.kind);
            self.tap.check(
                r.is_ok(),
                &format!(
                    "setns: a child enters the {} namespace {} holds",
                    p.kind.name(),
                    p.by.what()
                ),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        if !pins.is_empty() {
            let after = self.settle(Duration::from_millis(1000));
            self.tap.report(vec![eval_none(
                "setns: entering existing namespaces writes no INIT and no DEL",
                &after,
                |g| g.ns.is_some() || is_ns_type(g.ty),
            )]);
        }
        self.flush("pinned and setns");
    }

    /// The pinned namespaces go when what holds them goes: the fds, then the bind mounts.  The
    /// DEL names the task that let go: the validator, or the child if it was last.
    fn pinned_release(&mut self, pins: Vec<Pin>, actor: i32) {
        let me = std::process::id() as i32;
        let (fds, mounts): (Vec<Pin>, Vec<Pin>) = pins.into_iter().partition(|p| p.by == By::Fd);
        let fd_ids: Vec<(NsKind, NsIdent)> = fds.iter().map(|p| (p.kind, p.id)).collect();
        drop(fds);
        let got = self.wait_dels(&fd_ids);
        self.tap.report(eval_dels(
            "pinned by an fd, after close",
            &got,
            &fd_ids,
            &[me, actor],
        ));
        for p in &mounts {
            self.tap.report(vec![eval_none(
                &format!(
                    "pinned: still no DEL_{} while the bind mount holds it",
                    upper(p.kind)
                ),
                &got,
                |g| p.is_del(g),
            )]);
        }
        for p in &mounts {
            let un = nsops::unmount(&p.target);
            self.tap.check(
                un.is_ok(),
                &format!(
                    "pinned: umount the bind mount of the {} namespace",
                    p.kind.name()
                ),
                un.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        let mount_ids: Vec<(NsKind, NsIdent)> = mounts.iter().map(|p| (p.kind, p.id)).collect();
        let got = self.wait_dels(&mount_ids);
        self.tap.report(eval_dels(
            "pinned by a bind mount, after umount",
            &got,
            &mount_ids,
            &[me, actor],
        ));
        for p in &mounts {
            let _ = std::fs::remove_file(&p.target);
        }
        self.flush("pinned, released");
    }
}
