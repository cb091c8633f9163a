// SPDX-License-Identifier: GPL-2.0

//! The scenarios, in the order [`Validator::run`] runs them.

use super::*;

impl<W: Write> Validator<W> {
    /// a: load the module; op=existing records for our own namespaces.
    pub(super) fn scenario_load(&mut self) {
        if module_loaded() {
            self.tap
                .note("ns_audit is loaded already: unloading it first");
            if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
                self.tap
                    .check(false, "load: rmmod the module loaded before", e);
            }
            self.settle(Duration::from_millis(500));
            self.flush("before load");
        }
        let loaded = self.insmod(&[]);
        let ok = loaded.is_ok();
        self.tap.check(
            ok,
            &format!("load: insmod {}", self.opts.module.display()),
            loaded.as_ref().err().cloned().unwrap_or_default(),
        );
        let Ok(insmod) = loaded else {
            return;
        };
        let own = self.own.clone();
        let got = self.collect(Duration::from_secs(1), Duration::from_secs(5), move |g| {
            own.iter()
                .all(|(k, id)| ns_of(g).any(|r| r.kind == *k && r.init && r.ns == *id))
        });
        let mut checks = eval_load(&got, &self.own);
        checks.push(eval_load_subject(&got, insmod));
        self.tap.report(checks);
        self.flush("load");
    }

    /// b, c, d, i: create the namespaces of `kinds` in a child and check INIT and DEL.
    pub(super) fn scenario_create(
        &mut self,
        label: &str,
        kinds: &[NsKind],
        method: Method,
        comm: Option<&str>,
    ) -> Option<(Vec<Got>, Spawned)> {
        let mut child = self.spawn(label, kinds, method, comm, Hold::UntilReleased)?;
        let info = child.info.clone();
        let want: Vec<(NsKind, u64)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, i.id)))
            .collect();
        let actor = info.actor.to_string();
        let mut got = self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| {
                want.iter().all(|&(k, id)| has_ns(g, k, true, id))
                    && g.iter()
                        .filter_map(|x| x.rec.as_ref())
                        .any(|r| r.ty == AUDIT_SYSCALL && r.get("pid") == Some(actor.as_str()))
            },
        );
        self.release(label, &mut child);
        let ids: Vec<(NsKind, NsIdent)> = kinds
            .iter()
            .filter_map(|k| info.ns.get(k).map(|i| (*k, *i)))
            .collect();
        let dels = self.wait_dels(&ids);
        got.extend(dels);
        let checks = eval_create(label, &got, kinds, &info, &self.own, method);
        self.tap.report(checks);
        let checks = eval_dels(label, &got, &ids, &[info.actor, info.holder]);
        self.tap.report(checks);
        self.flush(label);
        Some((got, info))
    }

    /// e: three nested user namespaces.
    pub(super) fn scenario_nested(&mut self) {
        let label = "nested userns";
        let mut nested = match nsops::nested(NsKind::User, 3, Hold::UntilReleased) {
            Ok(n) => n,
            Err(e) => {
                self.tap
                    .check(false, &format!("{label}: create three levels"), e);
                return;
            }
        };
        let levels = nested.levels.clone();
        let ids: Vec<u64> = levels.iter().map(|l| l.1.id).collect();
        let mut got = self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| ids.iter().all(|&id| has_ns(g, NsKind::User, true, id)),
        );
        if let Err(e) = nested.release() {
            self.tap
                .check(false, &format!("{label}: the children exit cleanly"), e);
        }
        let del_ids: Vec<(NsKind, NsIdent)> = levels.iter().map(|l| (NsKind::User, l.1)).collect();
        got.extend(self.wait_dels(&del_ids));
        let checks = eval_nested(&got, &levels, &self.own);
        self.tap.report(checks);
        let pids: Vec<i32> = levels.iter().map(|l| l.0).collect();
        let checks = eval_dels(label, &got, &del_ids, &pids);
        self.tap.report(checks);
        self.flush(label);
    }

    /// f and g: namespaces kept alive by an fd and by a bind mount; setns into them.
    pub(super) fn scenario_pinned(&mut self) {
        let label = "pinned";
        let kinds = [NsKind::Net, NsKind::Uts];
        let Some(mut child) = self.spawn(label, &kinds, Method::Unshare, None, Hold::UntilReleased)
        else {
            return;
        };
        let info = child.info.clone();
        let (Some(&net), Some(&uts)) = (info.ns.get(&NsKind::Net), info.ns.get(&NsKind::Uts))
        else {
            self.tap.check(
                false,
                &format!("{label}: the child reports its namespaces"),
                "missing",
            );
            return;
        };
        self.collect(
            Duration::from_millis(200),
            Duration::from_secs(5),
            move |g| has_ns(g, NsKind::Net, true, net.id) && has_ns(g, NsKind::Uts, true, uts.id),
        );
        let fd = File::open(format!("/proc/{}/ns/net", info.actor));
        let target = std::env::temp_dir().join(format!("nsaudit-uts-{}", std::process::id()));
        let bound = File::create(&target)
            .map_err(|e| format!("create {}: {e}", target.display()))
            .and_then(|_| {
                nsops::bind_mount(Path::new(&format!("/proc/{}/ns/uts", info.actor)), &target)
                    .map_err(|e| e.to_string())
            });
        let fd_ok = fd.is_ok();
        self.tap.check(
            fd_ok,
            "pinned: open /proc/CHILD/ns/net",
            fd.as_ref().err().map(|e| e.to_string()).unwrap_or_default(),
        );
        let bind_ok = bound.is_ok();
        self.tap.check(
            bind_ok,
            "pinned: bind-mount /proc/CHILD/ns/uts on a file",
            bound.err().unwrap_or_default(),
        );
        self.release(label, &mut child);
        let early = self.settle(Duration::from_millis(1500));
        if fd_ok {
            self.tap.report(vec![eval_none(
                "pinned: no DEL_NET while an fd holds the network namespace",
                &early,
                |g| {
                    g.ns.as_ref()
                        .is_some_and(|r| !r.init && r.kind == NsKind::Net && r.ns.id == net.id)
                },
            )]);
        }
        if bind_ok {
            self.tap.report(vec![eval_none(
                "pinned: no DEL_UTS while a bind mount holds the UTS namespace",
                &early,
                |g| {
                    g.ns.as_ref()
                        .is_some_and(|r| !r.init && r.kind == NsKind::Uts && r.ns.id == uts.id)
                },
            )]);
        }

        self.pinned_setns(fd.as_ref().ok(), bind_ok, &target);
        self.pinned_release(fd.ok(), bind_ok, &target, (net, uts), info.actor);
    }

    /// g: setns(2) into the pinned namespaces creates and removes nothing.
    pub(super) fn pinned_setns(&mut self, fd: Option<&File>, bind_ok: bool, target: &Path) {
        let mut entered = Vec::new();
        if let Some(f) = fd {
            entered.push((format!("/proc/self/fd/{}", f.as_raw_fd()), NsKind::Net));
        }
        if bind_ok {
            entered.push((target.to_string_lossy().into_owned(), NsKind::Uts));
        }
        for (path, kind) in &entered {
            let r = nsops::setns_in_child(Path::new(path), *kind);
            self.tap.check(
                r.is_ok(),
                &format!("setns: a child enters the pinned {} namespace", kind.name()),
                r.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
        if !entered.is_empty() {
            let after = self.settle(Duration::from_millis(1000));
            self.tap.report(vec![eval_none(
                "setns: entering existing namespaces writes no INIT and no DEL",
                &after,
                |g| g.ns.is_some() || is_ns_type(g.ty),
            )]);
        }
        self.flush("pinned and setns");
    }

    /// The pinned namespaces go when what holds them goes: the fd, then the bind mount.
    pub(super) fn pinned_release(
        &mut self,
        fd: Option<File>,
        bind_ok: bool,
        target: &Path,
        (net, uts): (NsIdent, NsIdent),
        actor: i32,
    ) {
        if let Some(f) = fd {
            drop(f);
            let got = self.wait_dels(&[(NsKind::Net, net)]);
            let me = std::process::id() as i32;
            self.tap.report(eval_dels(
                "pinned by an fd, after close",
                &got,
                &[(NsKind::Net, net)],
                &[me, actor],
            ));
            if bind_ok {
                self.tap.report(vec![eval_none(
                    "pinned: still no DEL_UTS while the bind mount holds it",
                    &got,
                    |g| {
                        g.ns.as_ref()
                            .is_some_and(|r| !r.init && r.kind == NsKind::Uts && r.ns.id == uts.id)
                    },
                )]);
            }
        } else {
            // Nothing holds it: it goes away with the child.
            self.wait_dels(&[(NsKind::Net, net)]);
        }
        if bind_ok {
            let un = nsops::unmount(target);
            let un_ok = un.is_ok();
            self.tap.check(
                un_ok,
                "pinned: umount the bind mount",
                un.err().map(|e| e.to_string()).unwrap_or_default(),
            );
            let got = self.wait_dels(&[(NsKind::Uts, uts)]);
            let me = std::process::id() as i32;
            self.tap.report(eval_dels(
                "pinned by a bind mount, after umount",
                &got,
                &[(NsKind::Uts, uts)],
                &[me, actor],
            ));
        } else {
            self.wait_dels(&[(NsKind::Uts, uts)]);
        }
        let _ = std::fs::remove_file(target);
        self.flush("pinned, released");
    }

    /// h: an exclude rule on msgtype 1345 drops INIT_NET, not DEL_NET.
    /// Audit disabled: no namespace record at all, and records again once it is enabled.
    pub(super) fn scenario_disabled(&mut self) {
        let label = "disabled";
        let off = self.sock.set_enabled(0);
        let ok = off.is_ok();
        self.tap.check(
            ok,
            "disabled: auditctl -e 0",
            off.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return;
        }
        let child = self.spawn(label, &NsKind::ALL, Method::Unshare, None, Hold::ExitAtOnce);
        // Long enough for the removals that run in workers (user, pid, net).
        let got = self.settle(Duration::from_millis(2500));
        if child.is_some() {
            self.tap.report(vec![eval_none(
                "disabled: no namespace record while audit is disabled",
                &got,
                |g| g.ns.is_some() || is_ns_type(g.ty),
            )]);
        }
        let on = self.sock.set_enabled(1);
        let ok = on.is_ok();
        self.tap.check(
            ok,
            "disabled: auditctl -e 1",
            on.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if ok {
            if let Some(child) = self.spawn(
                label,
                &[NsKind::Uts],
                Method::Unshare,
                None,
                Hold::ExitAtOnce,
            ) {
                if let Some(&uts) = child.info.ns.get(&NsKind::Uts) {
                    let got = self.collect(
                        Duration::from_millis(300),
                        Duration::from_secs(10),
                        move |g| has_ns(g, NsKind::Uts, false, uts.id),
                    );
                    self.tap.check(
                        has_ns(&got, NsKind::Uts, true, uts.id)
                            && has_ns(&got, NsKind::Uts, false, uts.id),
                        "disabled: INIT_UTS and DEL_UTS come again once audit is enabled",
                        "missing",
                    );
                }
            }
        }
        self.flush(label);
    }

    pub(super) fn scenario_exclude(&mut self) {
        let label = "exclude";
        let rule = Rule::ExcludeMsgtype(NsKind::Net.init_type());
        let added = self.sock.add_rule(&rule);
        let ok = added.is_ok();
        self.tap.check(
            ok,
            "exclude: add -a always,exclude -F msgtype=1345",
            added.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if !ok {
            return;
        }
        if let Some(mut child) = self.spawn(
            label,
            &[NsKind::Net],
            Method::Unshare,
            None,
            Hold::UntilReleased,
        ) {
            let info = child.info.clone();
            let got = self.settle(Duration::from_millis(1000));
            self.tap.report(vec![eval_none(
                "exclude: no INIT_NET while msgtype=1345 is excluded",
                &got,
                |g| g.ty == NsKind::Net.init_type(),
            )]);
            self.release(label, &mut child);
            if let Some(&net) = info.ns.get(&NsKind::Net) {
                let got = self.wait_dels(&[(NsKind::Net, net)]);
                self.tap
                    .report(eval_dels(label, &got, &[(NsKind::Net, net)], &[info.actor]));
            }
        }
        let deleted = self.sock.del_rule(&rule);
        let del_ok = deleted.is_ok();
        self.tap.check(
            del_ok,
            "exclude: delete the rule",
            deleted.err().map(|e| e.to_string()).unwrap_or_default(),
        );
        if del_ok {
            if let Some(child) = self.spawn(
                label,
                &[NsKind::Net],
                Method::Unshare,
                None,
                Hold::ExitAtOnce,
            ) {
                let info = child.info.clone();
                if let Some(&net) = info.ns.get(&NsKind::Net) {
                    let got = self.collect(
                        Duration::from_millis(300),
                        Duration::from_secs(10),
                        move |g| {
                            has_ns(g, NsKind::Net, true, net.id)
                                && has_ns(g, NsKind::Net, false, net.id)
                        },
                    );
                    self.tap.check(
                        has_ns(&got, NsKind::Net, true, net.id),
                        "exclude: INIT_NET comes again once the rule is gone",
                        "no INIT_NET",
                    );
                }
            }
        }
        self.flush(label);
    }

    /// i: a comm made to look like more fields.
    pub(super) fn scenario_comm(&mut self) {
        let label = "comm injection";
        let Some((got, info)) =
            self.scenario_create(label, &[NsKind::Uts], Method::Unshare, Some(INJECTION_COMM))
        else {
            return;
        };
        let init = got.iter().find(|g| {
            g.ty == NsKind::Uts.init_type()
                && g.ns
                    .as_ref()
                    .is_some_and(|r| Some(r.ns) == info.ns.get(&NsKind::Uts).copied())
        });
        // The INIT record carries comm itself, as the SYSCALL record of its event does.
        let syscall = init
            .and_then(|g| g.ns.as_ref())
            .and_then(|r| syscall_of(&got, r.serial));
        let hex = |r: &Record| r.get("comm").is_some_and(|c| !c.starts_with('"'));
        let fields_ok = init
            .and_then(|g| g.rec.as_ref())
            .zip(syscall)
            .is_some_and(|(r, sc)| {
                let keys = r.keys();
                !keys.contains(&"type")
                    && !keys.contains(&"msg")
                    && keys.iter().filter(|k| **k == "comm").count() == 1
                    && hex(r)
                    && hex(sc)
            });
        self.tap.check(
            fields_ok,
            "comm injection: the record's and the event's comm are hex-encoded and add no field",
            match (init, syscall) {
                (Some(g), Some(sc)) => format!("{} | {}", g.log_line(), sc.to_log_line()),
                (Some(g), None) => format!("{} and no SYSCALL record", g.log_line()),
                _ => "no INIT_UTS record".into(),
            },
        );
        let decoded = init
            .and_then(|g| g.ns.as_ref())
            .and_then(|r| check_event_subject(r, syscall).ok())
            .map(|s| s.comm);
        self.tap.check(
            decoded.as_deref() == Some(info.comm.as_slice())
                && info.comm == INJECTION_COMM.as_bytes(),
            "comm injection: comm decodes to the bytes of /proc/PID/comm",
            format!(
                "record {:?}, /proc {:?}",
                decoded.map(|d| String::from_utf8_lossy(&d).into_owned()),
                String::from_utf8_lossy(&info.comm)
            ),
        );
    }

    /// The `types` module parameter: bad values fail, 0x20 logs network namespaces only.
    pub(super) fn scenario_types(&mut self) {
        let label = "types";
        if let Err(e) = run_cmd("rmmod", &["ns_audit"]) {
            self.tap.check(false, "types: rmmod ns_audit", e);
            return;
        }
        self.settle(Duration::from_millis(300));
        for bad in ["types=0", "types=64", "types=0x80000000"] {
            let r = self.insmod(&[bad]);
            let failed = r.is_err();
            self.tap.check(
                failed,
                &format!("types: insmod {bad} fails"),
                "insmod succeeded",
            );
            if !failed {
                let _ = run_cmd("rmmod", &["ns_audit"]);
            }
        }
        let got = self.settle(Duration::from_millis(500));
        self.tap.report(vec![eval_none(
            "types: failed loads write no record",
            &got,
            |g| is_ns_type(g.ty),
        )]);
        let r = self.insmod(&["types=0x20"]);
        let ok = r.is_ok();
        self.tap
            .check(ok, "types: insmod types=0x20", r.err().unwrap_or_default());
        if !ok {
            return;
        }
        let got = self.collect(Duration::from_secs(1), Duration::from_secs(5), |g| {
            ns_of(g).any(|r| r.kind == NsKind::Net)
        });
        let kinds: HashSet<NsKind> = ns_of(&got).map(|r| r.kind).collect();
        self.tap.check(
            kinds == HashSet::from([NsKind::Net]),
            "types: types=0x20 reports existing network namespaces only",
            format!("{kinds:?}"),
        );
        if let Some(child) = self.spawn(
            label,
            &[NsKind::Net, NsKind::Uts],
            Method::Unshare,
            None,
            Hold::ExitAtOnce,
        ) {
            if let Some(&net) = child.info.ns.get(&NsKind::Net) {
                let got = self.collect(
                    Duration::from_millis(500),
                    Duration::from_secs(10),
                    move |g| {
                        has_ns(g, NsKind::Net, true, net.id)
                            && has_ns(g, NsKind::Net, false, net.id)
                    },
                );
                let kinds: Vec<(NsKind, bool)> = ns_of(&got).map(|r| (r.kind, r.init)).collect();
                self.tap.check(
                    kinds == [(NsKind::Net, true), (NsKind::Net, false)],
                    "types: unshare of net and uts logs INIT_NET and DEL_NET only",
                    format!("{kinds:?}"),
                );
            }
        }
        self.flush(label);
    }

    /// j: after rmmod nothing is logged.
    pub(super) fn scenario_rmmod(&mut self) {
        let r = run_cmd("rmmod", &["ns_audit"]);
        let ok = r.is_ok();
        self.tap
            .check(ok, "rmmod: rmmod ns_audit", r.err().unwrap_or_default());
        let mut got = self.settle(Duration::from_millis(300));
        if ok {
            for k in NsKind::ALL {
                self.spawn("rmmod", &[k], Method::Unshare, None, Hold::ExitAtOnce);
            }
            self.spawn(
                "rmmod",
                &NsKind::ALL,
                Method::Clone3,
                None,
                Hold::ExitAtOnce,
            );
            got.extend(self.settle(Duration::from_secs(2)));
            self.tap.report(vec![eval_none(
                "rmmod: no AUDIT_NS_* record once the module is gone",
                &got,
                |g| is_ns_type(g.ty),
            )]);
        }
        self.flush("rmmod");
    }
}
